import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';

/**
 * `npm run synth:helm` for real: cdk8s-cli writes the example app as a Helm chart. Helm renders
 * templates/ with Go templates, so a `{{` in a generated script or config would break
 * `helm install`; none may appear.
 */
test('the example app synthesizes as a Helm chart whose templates carry no Go template syntax', () => {
  const root = path.join(__dirname, '..', '..');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-helm-'));
  try {
    execFileSync(path.join(root, 'node_modules', '.bin', 'cdk8s'), [
      'synth', '--app', 'npx ts-node -P test/tsconfig.json examples/main.ts',
      '--format', 'helm', '--chart-version', '1.0.0', '-o', out, '--check-upgrade=false',
    ], { cwd: root, stdio: 'pipe', timeout: 120_000 });
    const chart = YAML.parse(fs.readFileSync(path.join(out, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', version: '1.0.0', type: 'application' });
    const templates = fs.readdirSync(path.join(out, 'templates'));
    expect(templates.sort()).toEqual(['envoy-gateway.k8s.yaml', 'istio-orders.k8s.yaml', 'soa-test.k8s.yaml', 'web-api.k8s.yaml', 'web-nginx.k8s.yaml']);
    for (const t of templates) {
      const text = fs.readFileSync(path.join(out, 'templates', t), 'utf8');
      expect({ t, goTemplate: text.includes('{{') }).toEqual({ t, goTemplate: false });
      const kinds = YAML.parseAllDocuments(text).map(d => d.toJS()?.kind);
      expect(kinds).toContain('Deployment');
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
