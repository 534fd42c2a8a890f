import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { CheckLevel, HttpMethod, PollProbe, PosixScript, RulePack, ShellWord, Step } from '../../src';
import { readManifests } from '../../src/checks/manifest';
import { analyzeScript } from '../../src/checks/shell';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
function lint(name: string) {
  const text = fs.readFileSync(fixture(name), 'utf8');
  return RulePack.builtIn()._checkLocated([...readManifests(text, name)]).filter(f => f.level !== CheckLevel.INFO);
}
const ids = (name: string) => lint(name).map(f => `${f.ruleId} ${f.name}`).sort();

describe('realistic manifests', () => {
  test('Envoy Gateway proxy with its shutdown-manager: clean', () => {
    expect(lint('envoy-gateway.yaml')).toEqual([]);
  });
  test('Gloo gateway-proxy with gracefulShutdown: fixed 25s sleep after healthcheck/fail', () => {
    const f = lint('gloo-gateway-proxy.yaml');
    expect(f.map(x => x.ruleId)).toEqual(['GS008']);
    expect(f[0]).toMatchObject({ kind: 'Deployment', name: 'gateway-proxy', namespace: 'gloo-system', container: 'gateway-proxy', source: 'gloo-gateway-proxy.yaml', line: 4 });
    expect(f[0].message).toContain('25s');
    expect(lint('gloo-gateway-proxy-fixed.yaml')).toEqual([]);
  });
  test('Istio-annotated Deployments: drain not below grace, exit-on-zero with default grace', () => {
    expect(ids('istio-deployment.yaml')).toEqual(['GS002 reviews', 'GS004 ratings']);
    expect(lint('istio-deployment-fixed.yaml')).toEqual([]);
  });
  test('ingress-nginx controller with /wait-shutdown and 300s grace: clean', () => {
    expect(lint('ingress-nginx.yaml')).toEqual([]);
  });
  test('nginx -s quit alone, behind a Service', () => {
    expect(ids('nginx-quit.yaml')).toEqual(['GS005 web', 'GS007 web']);
  });
  test('the field Envoy drain loop: bash syntax under /bin/sh, unreachable admin read as zero', () => {
    const f = lint('envoy-field-drain.yaml');
    expect(f.map(x => x.ruleId).sort()).toEqual(['GS009', 'GS011']);
    expect(f.every(x => x.level === CheckLevel.ERROR)).toBe(true);
  });
});

describe('the field Envoy drain loop, measured in real shells', () => {
  // A stub wget that reports 3 active connections, so a working loop keeps polling.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-dash-'));
  fs.writeFileSync(path.join(dir, 'wget'), '#!/bin/sh\necho "http.ingress.downstream_cx_active: 3"\n', { mode: 0o755 });
  const loop = [
    'n=0',
    'for i in 1 2 3; do',
    '  if [[ $(wget -qO- \'http://127.0.0.1:9901/stats?filter=^http\\.ingress\\.downstream_cx_active$\' | awk \'{print $2}\') -ne 0 ]]; then',
    '    n=$((n+1)); sleep 0.1',
    '  else',
    '    break',
    '  fi',
    'done',
    'echo "polls=$n"',
  ].join('\n');
  const run = (shell: string[]) => execFileSync(shell[0], [...shell.slice(1), '-c', loop], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  test('dash returns at once (drains nothing); bash and busybox sh poll', () => {
    expect(run(['dash'])).toBe('polls=0');
    expect(run(['bash'])).toBe('polls=3');
    expect(run(['busybox', 'sh'])).toBe('polls=3');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
});

describe("the library's own generated scripts", () => {
  test('a PosixScript preStop (HTTP call, sleep, bounded poll) passes every rule', () => {
    const script = new PosixScript({ name: 'app-drain', deadline: Duration.seconds(40) }).add(
      Step.http({ method: HttpMethod.POST, url: ShellWord.literal('http://127.0.0.1:19000/healthcheck/fail') }),
      Step.sleep(Duration.seconds(5), 'endpoint propagation'),
      Step.pollUntilZero({ probe: PollProbe.listeningTcpPorts([8080]) }),
    );
    const text = script.render();
    expect(text.split('\n')[1]).toBe('# cdk8s-graceful-shutdown: app-drain');
    const d = {
      kind: 'Deployment',
      metadata: { name: 'app' },
      spec: { template: { metadata: { labels: { app: 'a' } }, spec: { terminationGracePeriodSeconds: 47, containers: [{ name: 'app', image: 'x', lifecycle: { preStop: { exec: { command: script.toCommand() } } } }] } } },
    };
    const svc = { kind: 'Service', metadata: { name: 'a' }, spec: { selector: { app: 'a' } } };
    expect(RulePack.builtIn().checkObjects([d, svc])).toEqual([]);
  });

  function asDeployment(script: PosixScript, grace: number) {
    return [{
      kind: 'Deployment',
      metadata: { name: 'app' },
      spec: { template: { metadata: { labels: { app: 'a' } }, spec: { terminationGracePeriodSeconds: grace, containers: [{ name: 'app', image: 'x', lifecycle: { preStop: { exec: { command: script.toCommand() } } } }] } } },
    }, { kind: 'Service', metadata: { name: 'a' }, spec: { selector: { app: 'a' } } }];
  }

  test('a preStop that only waits with Step.sleepUntil counts as a propagation wait (GS005 quiet)', () => {
    const script = new PosixScript({ name: 'web', deadline: Duration.seconds(10) }).add(Step.sleepUntil(Duration.seconds(10), 'propagation'));
    expect(RulePack.builtIn().checkObjects(asDeployment(script, 32))).toEqual([]);
  });

  test('sleeps then a poll bounded by the script deadline: the bound is the deadline, not their sum (GS010)', () => {
    // The Envoy shape: min drain, then a day-long poll, all capped by one deadline from the start.
    const script = new PosixScript({ name: 'drain', deadline: Duration.seconds(86414) }).add(
      Step.sleep(Duration.seconds(10), 'minimum drain'),
      Step.sleepUntil(Duration.seconds(14), 'settle'),
      Step.pollUntilZero({ probe: PollProbe.listeningTcpPorts([2222]) }),
    );
    expect(RulePack.builtIn().checkObjects(asDeployment(script, 86421))).toEqual([]);
    // The same deadline past the grace period is still caught.
    const late = RulePack.builtIn().checkObjects(asDeployment(script, 86400));
    expect(late.map(f => f.ruleId)).toEqual(['GS010']);
    expect(late[0].message).toContain('86414s');
  });

  test('the runtime deadline is only trusted in scripts with the library header', () => {
    const text = new PosixScript({ name: 'drain', deadline: Duration.seconds(100) }).add(
      Step.sleep(Duration.seconds(60), 'wait'),
      Step.pollUntilZero({ probe: PollProbe.listeningTcpPorts([2222]) }),
    ).render();
    expect(analyzeScript(text).scriptDeadlineSeconds).toBe(100);
    expect(analyzeScript(text.replace('# cdk8s-graceful-shutdown: drain', '# copied from a wiki')).scriptDeadlineSeconds).toBeUndefined();
  });
});
