import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { GracefulWorkload, ShutdownPlan } from '../../src';
import { CliIo, main } from '../../src/cli/main';

const fx = (name: string) => path.join(__dirname, '..', 'checks', 'fixtures', name);

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: t => { out += t; },
    stderr: t => { err += t; },
    readStdin: async () => stdin,
    readFile: p => fs.readFileSync(p, 'utf8'),
  };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('cdk8s-graceful lint', () => {
  test('table: rows, messages and fixes; exit 1 on errors', async () => {
    const r = await run(['lint', fx('envoy-field-drain.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^LEVEL\s+RULE\s+OBJECT\s+CONTAINER\s+LOCATION/);
    expect(r.out).toMatch(/ERROR\s+GS011\s+Deployment edge\/edge-envoy\s+envoy\s+.*envoy-field-drain\.yaml:3/);
    expect(r.out).toContain('fix: Use POSIX sh');
    expect(r.out).toContain('2 error(s), 0 warning(s), 0 info.');
  });
  test('exit 0 with warnings only, 1 with --warnings-as-errors; --disable', async () => {
    expect((await run(['lint', fx('gloo-gateway-proxy.yaml')])).code).toBe(0);
    expect((await run(['lint', '--warnings-as-errors', fx('gloo-gateway-proxy.yaml')])).code).toBe(1);
    const r = await run(['lint', '--disable', 'GS008', '--warnings-as-errors', fx('gloo-gateway-proxy.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('0 error(s), 0 warning(s)');
  });
  test('json: the findings with their fields', async () => {
    const r = await run(['lint', '--format', 'json', fx('istio-deployment.yaml'), fx('ingress-nginx.yaml')]);
    const f = JSON.parse(r.out);
    expect(f.map((x: any) => `${x.ruleId} ${x.name} ${x.level} ${x.line}`)).toEqual(['GS002 reviews error 3', 'GS004 ratings warning 32']);
    expect(f[0].source).toBe(fx('istio-deployment.yaml'));
  });
  test('sarif: 2.1.0 shape with rules, results, levels and locations', async () => {
    const r = await run(['lint', '--format=sarif', fx('nginx-quit.yaml')]);
    const s = JSON.parse(r.out);
    expect(s.version).toBe('2.1.0');
    const run0 = s.runs[0];
    expect(run0.tool.driver.name).toBe('cdk8s-graceful');
    const ruleIds = run0.tool.driver.rules.map((x: any) => x.id);
    expect(ruleIds).toContain('GS007');
    for (const res of run0.results) {
      expect(ruleIds[res.ruleIndex]).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(res.message.text.length).toBeGreaterThan(20);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toContain('nginx-quit.yaml');
      expect(res.locations[0].physicalLocation.region.startLine).toBe(12);
    }
    expect(run0.results.map((x: any) => x.ruleId).sort()).toEqual(['GS005', 'GS007']);
  });
  test('stdin, List kinds (kubectl get -o yaml) and unknown kinds as info', async () => {
    const yaml = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: v1',
      '  kind: ConfigMap',
      '  metadata: {name: cfg}',
      '- apiVersion: apps/v1',
      '  kind: StatefulSet',
      '  metadata: {name: db}',
      '  spec:',
      '    template:',
      '      spec:',
      '        containers:',
      '        - name: db',
      '          image: postgres',
      '          lifecycle: {preStop: {exec: {command: [sleep, "30"]}}}',
      '---',
      '',
    ].join('\n');
    const r = await run(['lint', '--format', 'json', '-'], yaml);
    expect(r.code).toBe(1);
    const f = JSON.parse(r.out);
    expect(f).toEqual([
      expect.objectContaining({ ruleId: 'GS000', level: 'info', message: 'skipped: kind ConfigMap is not a workload', source: 'stdin', line: 4 }),
      expect.objectContaining({ ruleId: 'GS001', kind: 'StatefulSet', name: 'db', container: 'db', line: 7 }),
    ]);
  });
  test('malformed YAML: exit 2, file and line, no stack trace', async () => {
    const r = await run(['lint', '-'], 'kind: Deployment\nmetadata:\n  name: [web\n  x: 1\n');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^cdk8s-graceful: stdin:\d+:\d+: malformed YAML: /);
    expect(r.err).not.toMatch(/\n\s+at /);
    const missing = await run(['lint', '/nonexistent/x.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('cdk8s-graceful: /nonexistent/x.yaml: cannot read file: no such file\n');
  });
  test('usage errors exit 2; --help exits 0', async () => {
    expect(await run(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown command 'frobnicate'") });
    expect(await run(['lint'])).toMatchObject({ code: 2, err: expect.stringContaining('needs at least one FILE') });
    expect(await run(['lint', '--format', 'xml', 'a.yaml'])).toMatchObject({ code: 2, err: expect.stringContaining('--format xml is not known') });
    expect(await run(['lint', '--kubernetes-version', 'latest', 'a.yaml'])).toMatchObject({ code: 2 });
    expect(await run(['lint', '--disable', 'GS999', fx('nginx-quit.yaml')])).toMatchObject({ code: 2, err: expect.stringContaining('GS999') });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('cdk8s-graceful lint');
  });
  test('--kubernetes-version changes version-dependent findings', async () => {
    const y = 'kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: distroless\n    lifecycle: {preStop: {sleep: {seconds: 5}}}\n';
    expect((await run(['lint', '--kubernetes-version', '1.28', '-'], y)).code).toBe(1);
    expect((await run(['lint', '--kubernetes-version', '1.30', '-'], y)).code).toBe(0);
    expect((await run(['lint', '--kubernetes-version', '1.29.3-eks-ba74326', '-'], y)).code).toBe(1);
    expect((await run(['lint', '--kubernetes-version', '1.30.0-gke.1', '-'], y)).code).toBe(0);
    expect((await run(['lint', '--kubernetes-version', 'v1.31.2+k3s1', '-'], y)).code).toBe(0);
  });
});

describe('cdk8s-graceful timeline', () => {
  test('a workload synthesized by this library prints its exact plan from the pod annotation', async () => {
    const chart = Testing.chart();
    const plan = ShutdownPlan.standard({ propagation: Duration.seconds(12), maxDrain: Duration.seconds(30), stopTimeout: Duration.seconds(3) });
    new GracefulWorkload(chart, 'web', { plan }).addContainer({ name: 'app', image: 'example/app:1' });
    const yaml = Testing.synth(chart).map(o => YAML.stringify(o)).join('---\n');
    const r = await run(['timeline', '-'], yaml);
    expect(r.code).toBe(0);
    expect(r.out).toContain('(plan from the graceful-shutdown.cdk8s.io/plan annotation)');
    expect(r.out).toContain(plan.toString().split('\n').slice(1).join('\n'));
  });

  test('prints the plan read from the manifest, in the library timeline format', async () => {
    const r = await run(['timeline', fx('gloo-gateway-proxy-fixed.yaml')]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^Deployment gloo-system\/gateway-proxy, container gateway-proxy \(.*gloo-gateway-proxy-fixed\.yaml:4\)$/);
    expect(lines[1]).toBe('terminationGracePeriodSeconds: 60 (set in the manifest)');
    expect(r.out).toMatch(/t=0s\s+fail-healthcheck\s+<=0s/);
    expect(r.out).toMatch(/t=0s\s+sleep\s+<=5s\s+`sleep 5` \(fixed\) \[preStop\]/);
    expect(r.out).toMatch(/t=5s\s+poll-envoy\s+<=45s\s+poll loop .*\(ends early\) \[preStop\]/);
    expect(r.out).toMatch(/t=50s\s+stop\s+<=10s/);
    expect(r.out).toMatch(/t=1m\s+SIGKILL/);
  });
  test('an injected Istio sidecar gets its own timeline; a preStop past SIGKILL is called out', async () => {
    const r = await run(['timeline', fx('istio-deployment.yaml')]);
    expect(r.out).toContain('container istio-proxy (injected; SIGTERM at t=0, no preStop)');
    expect(r.out).toMatch(/istio-drain\s+<=45s/);
    expect(r.out).toContain('SIGKILL comes at t=30s');
    const json = JSON.parse((await run(['timeline', '--format', 'json', fx('ingress-nginx.yaml')])).out);
    expect(json).toHaveLength(1);
    expect(json[0].terminationGracePeriodSeconds).toBe(300);
    expect(json[0].timeline.map((e: any) => e.name)).toEqual(['exec', 'stop', 'SIGKILL']);
  });
});

describe('the cdk8s-graceful binary, really run', () => {
  test('node + ts-node runs lint on a file and sets the exit code', () => {
    const root = path.join(__dirname, '..', '..');
    const script = `require(${JSON.stringify(require.resolve('ts-node'))}).register({ project: ${JSON.stringify(path.join(root, 'test', 'tsconfig.json'))}, transpileOnly: true });` +
      `require(${JSON.stringify(path.join(root, 'src', 'cli', 'main.ts'))}).main(process.argv.slice(1)).then(c => { process.exitCode = c; });`;
    const r = spawnSync(process.execPath, ['-e', script, 'lint', '--format', 'json', fx('envoy-field-drain.yaml')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).map((f: any) => f.ruleId).sort()).toEqual(['GS009', 'GS011']);
    const bad = spawnSync(process.execPath, ['-e', script, 'lint', '-'], { input: 'a: [1\n', encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^cdk8s-graceful: stdin:\d+:\d+: malformed YAML/);
  });
});
