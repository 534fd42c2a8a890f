import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { FakeEnvoyAdmin } from './fake-envoy-admin';
import { DrainListenersMode, DrainTarget, GracefulEnvoyGateway, GracefulEnvoyGatewayProps, KubernetesVersion } from '../../src';
import { HttpToolChoice, makeBinDir, requireTool, runScript, shellcheck, ShellName } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

const FIELD: GracefulEnvoyGatewayProps = {
  image: 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0',
  args: ['--disable-hot-restart'],
  listeners: [
    { name: 'ssh', port: 2222, address: '::' },
    { name: 'http', port: 8080 },
  ],
  maxDrain: Duration.days(1),
};

function build(props: Partial<GracefulEnvoyGatewayProps> = {}) {
  const chart = Testing.chart();
  const gw = new GracefulEnvoyGateway(chart, 'gateway-proxy', { ...FIELD, ...props });
  return { chart, gw };
}

describe('GracefulEnvoyGateway: synthesized objects', () => {
  test('a 1-day drain: grace period follows, everything read back from one plan', () => {
    const { chart, gw } = build();
    const objects = synthValid(chart);
    const dep = only(objects, 'Deployment');
    const spec = dep.spec.template.spec;
    // deregister 2 calls x 2s + min-drain 5s + drain 1d + stop 5s + margin 2s.
    expect(spec.terminationGracePeriodSeconds).toBe(4 + 5 + 86400 + 5 + 2);
    expect(spec.terminationGracePeriodSeconds).toBe(gw.plan.terminationGracePeriodSeconds);
    expect(gw.plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['deregister', 4], ['min-drain', 5], ['drain', 86400], ['stop', 5], ['margin', 2]]);
    const envoy = containerOf(dep, 'envoy');
    const script = preStopScript(envoy);
    expect(script).toContain(`gs_deadline=$((gs_start + ${4 + 5 + 86400}))`);
    expect(script).toContain("'http://127.0.0.1:19000/healthcheck/fail'");
    expect(script).toContain("'http://127.0.0.1:19000/drain_listeners?graceful'");
    expect(script).toContain(`'http://127.0.0.1:19000${gw.drainSelection.statsPath}'`);
    expect(script).toContain("'listener.[__]_2222.downstream_cx_active'|'listener.0.0.0.0_8080.downstream_cx_active')");
    expect(script).toContain('gs_sleep_until 9\n');
    expect(shellcheck(script).output).toBe('');
    expect(envoy.args).toEqual(['--disable-hot-restart']);
    expect(envoy.ports).toEqual([{ containerPort: 2222, name: 'ssh' }, { containerPort: 8080, name: 'http' }]);
    // Loopback admin: the kubelet cannot reach it; readiness runs wget inside, as Gloo's chart does.
    expect(envoy.readinessProbe.exec.command).toEqual(['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:19000/ready']);
    expect(envoy.securityContext).toMatchObject({
      runAsNonRoot: true, runAsUser: 10101, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    const svc = only(objects, 'Service');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([{ name: 'ssh', port: 2222, targetPort: 2222 }, { name: 'http', port: 8080, targetPort: 8080 }]);
    expect(gw.plan.toString()).toMatch(/t=1d9s\s+stop/);
  });

  test('envoyDrainFlags appends --drain-time-s (min-drain + drain window) and --drain-strategy immediate', () => {
    const { chart } = build({ envoyDrainFlags: true, maxDrain: Duration.minutes(10), minDrain: Duration.seconds(10) });
    const envoy = containerOf(only(synthValid(chart), 'Deployment'), 'envoy');
    expect(envoy.args).toEqual(['--disable-hot-restart', '--drain-time-s', '610', '--drain-strategy', 'immediate']);
  });

  test('admin on 0.0.0.0: readiness is an httpGet on /ready; inboundonly, no healthcheck/fail, no min drain', () => {
    const { chart, gw } = build({
      adminAddress: '0.0.0.0', failHealthCheck: false, drainListeners: DrainListenersMode.GRACEFUL_INBOUND_ONLY, minDrain: Duration.seconds(0), maxDrain: Duration.seconds(30),
    });
    const envoy = containerOf(only(synthValid(chart), 'Deployment'), 'envoy');
    expect(envoy.readinessProbe.httpGet).toEqual({ path: '/ready', port: 19000, scheme: 'HTTP' });
    expect(envoy.ports).toContainEqual({ containerPort: 19000, name: 'admin' });
    const script = preStopScript(envoy);
    expect(script).not.toContain('healthcheck/fail');
    expect(script).toContain("'http://127.0.0.1:19000/drain_listeners?graceful&inboundonly'");
    expect(script).not.toContain('minimum drain');
    expect(gw.plan.phases.map(p => p.name)).toEqual(['deregister', 'drain', 'stop', 'margin']);
    expect(gw.plan.terminationGracePeriodSeconds).toBe(2 + 30 + 5 + 2);
  });

  test('drainTargets: allListeners, and listeners left out of the drain', () => {
    const a = build({ drainTargets: [DrainTarget.allListeners({ excludePorts: [8081] })] });
    expect(a.gw.drainSelection.filterRegex).toBe('^(server\\.live|listener\\..*\\.downstream_cx_active)$');
    const b = build({ listeners: [{ name: 'ssh', port: 2222, address: '[::]' }, { name: 'stats', port: 8081, drain: false }, { name: 'grpc', port: 9000, statPrefix: 'grpc_in' }] });
    expect(b.gw.drainSelection.statNames).toEqual(['listener.[__]_2222.downstream_cx_active', 'listener.grpc_in.downstream_cx_active']);
  });

  test('bootstrap goes into a ConfigMap mounted at /etc/envoy and -c is added', () => {
    const { chart } = build({ bootstrap: 'admin: {}\n' });
    const objects = synthValid(chart);
    const envoy = containerOf(only(objects, 'Deployment'), 'envoy');
    expect(envoy.args).toEqual(['--disable-hot-restart', '-c', '/etc/envoy/envoy.yaml']);
    expect(envoy.volumeMounts).toEqual([expect.objectContaining({ mountPath: '/etc/envoy', readOnly: true })]);
    expect(only(objects, 'ConfigMap').data).toEqual({ 'envoy.yaml': 'admin: {}\n' });
  });

  test.each<[string, Partial<GracefulEnvoyGatewayProps>, RegExp]>([
    ['port out of range', { listeners: [{ name: 'ssh', port: 70000 }] }, /gateway-proxy: listeners\[0\]: port 70000 is out of range: use a whole number 1-65535/],
    ['address not an IP', { listeners: [{ name: 'ssh', port: 2222, address: 'localhost' }] }, /gateway-proxy: listeners\[0\]: listener address 'localhost' is not an IP address/],
    ['bad stat prefix', { listeners: [{ name: 'ssh', port: 2222, statPrefix: 'ssh|.*' }] }, /gateway-proxy: listeners\[0\]: DrainTarget.statPrefix 'ssh\|\.\*' is not a plain stat prefix/],
    ['port used twice', { listeners: [{ name: 'a', port: 19000 }] }, /gateway-proxy: listeners\[0\].port 19000 is already used by the admin/],
    ['bad port name', { listeners: [{ name: 'SSH_port', port: 2222 }] }, /listeners\[0\].name 'SSH_port' is not a valid port name/],
    ['poll interval 0', { pollInterval: Duration.seconds(0) }, /gateway-proxy: pollInterval 0s must be a whole number of seconds, at least 1s/],
    ['fractional maxDrain', { maxDrain: Duration.millis(1500) }, /gateway-proxy: maxDrain 1.5s must be a whole number of seconds/],
    ['maxDrain under the poll interval', { maxDrain: Duration.seconds(2), pollInterval: Duration.seconds(5) }, /maxDrain 2s is shorter than pollInterval 5s/],
    ['pinned grace period below the plan', { terminationGracePeriod: Duration.seconds(3600) }, /gateway-proxy: terminationGracePeriod 1h is shorter than the plan's 1d16s.*Raise terminationGracePeriod to at least 1d16s or lower maxDrain/],
    ['drain flags twice', { envoyDrainFlags: true, args: ['--drain-time-s', '30'] }, /gateway-proxy: args already set --drain-time-s \('--drain-time-s'\) and envoyDrainFlags is true/],
    ['own drain time under minDrain', { args: ['--drain-time-s=2'], minDrain: Duration.seconds(10) }, /gateway-proxy: args --drain-time-s '2' must be a whole number of seconds >= minDrain \(10s\)/],
    ['admin address not an IP', { adminAddress: 'envoy-admin' }, /gateway-proxy: adminAddress 'envoy-admin' is not an IP address/],
    ['nothing drained', { listeners: [{ name: 'http', port: 8080, drain: false }] }, /gateway-proxy: no listener is drained/],
    ['allListeners mixed', { drainTargets: [DrainTarget.allListeners(), DrainTarget.listener({ port: 8080 })] }, /gateway-proxy: drainTargets: DrainTarget.allListeners\(\) already selects every listener/],
  ])('bad input is a synthesis error naming path, property, value and fix: %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('GracefulEnvoyGateway: the synthesized preStop, run for real against the fake admin', () => {
  const combos: Array<[ShellName, HttpToolChoice]> = [['dash', 'curl'], ['bash', 'wget'], ['busybox', 'busybox-wget']];
  test.concurrent.each(combos)('%s with %s: healthcheck/fail, drain_listeners, then exit within a poll interval of the last close', async (shell, http) => {
    const admin = new FakeEnvoyAdmin();
    await admin.start();
    try {
      const { chart } = build({ adminPort: admin.port, minDrain: Duration.seconds(0), maxDrain: Duration.seconds(20) });
      const script = preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'envoy'));
      admin.setConnections({ '[__]_2222': 1, '0.0.0.0_8080': 2 });
      admin.schedule([{ atMs: 1500, set: { '0.0.0.0_8080': 0 } }, { atMs: 3000, set: { '[__]_2222': 0 } }]);
      const r = await runScript(script, { shell, withPath: { http } });
      expect(r.code).toBe(0);
      expect(admin.calls.slice(0, 2).map(c => [c.method, c.path, c.status])).toEqual([['POST', '/healthcheck/fail', 200], ['POST', '/drain_listeners?graceful', 200]]);
      expect(admin.drainListeners).toEqual(['?graceful']);
      expect(admin.state).toBe('DRAINING');
      expect(r.messages).toContain('POST /healthcheck/fail (load balancers stop sending): ok');
      expect(r.messages.some(m => m.endsWith(': 3'))).toBe(true);
      expect(r.messages.some(m => m.endsWith(': 0'))).toBe(true);
      expect(r.messages.some(m => m.includes('unknown') || m.includes('maxDrain'))).toBe(false);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
      expect(r.elapsedMs).toBeLessThan(3000 + 1000 + 900);
    } finally {
      await admin.close();
    }
  });

  test.concurrent('connections that never close: ends by maxDrain and says Envoy cuts them', async () => {
    const admin = new FakeEnvoyAdmin();
    await admin.start();
    try {
      const { chart } = build({ adminPort: admin.port, minDrain: Duration.seconds(1), maxDrain: Duration.seconds(2) });
      const script = preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'envoy'));
      admin.setConnections({ '[__]_2222': 1 });
      const r = await runScript(script, { shell: 'busybox', withPath: { http: 'busybox-wget' } });
      expect(r.code).toBe(0);
      expect(r.messages).toContain('wait until t=5s: minimum drain: endpoint removal reaches every proxy and load balancer');
      expect(r.messages).toContain('maxDrain (2s) reached: Envoy closes the connections left at SIGTERM');
      // deregister 4s + min-drain 1s + drain 2s = the preStop deadline, 7s.
      expect(r.elapsedMs).toBeLessThan(7000 + 900);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(5000);
    } finally {
      await admin.close();
    }
  });
});

describe('GracefulEnvoyGateway: drain-manager sidecar mode', () => {
  test('1.29+: native sidecar, Envoy preStop is an httpGet to it, readiness through it', () => {
    const { chart, gw } = build({ drainManager: {}, kubernetesVersion: KubernetesVersion.V1_29 });
    const objects = synthValid(chart);
    const dep = only(objects, 'Deployment');
    const envoy = containerOf(dep, 'envoy');
    expect(envoy.lifecycle.preStop).toEqual({ httpGet: { path: '/cgi-bin/drain', port: 19002, scheme: 'HTTP' } });
    expect(envoy.readinessProbe.httpGet).toEqual({ path: '/cgi-bin/ready', port: 19002, scheme: 'HTTP' });
    const dm = containerOf(dep, 'drain-manager');
    expect(dep.spec.template.spec.initContainers.map((c: any) => c.name)).toEqual(['drain-manager']);
    expect(dm).toMatchObject({ image: 'busybox:1.36', restartPolicy: 'Always', command: ['httpd', '-f', '-p', '19002', '-h', '/drain-manager/www'] });
    expect(dm.lifecycle).toBeUndefined();
    const cm = objects.find(o => o.kind === 'ConfigMap' && o.data['drain.sh']);
    expect(cm.data['drain.sh']).toBe(gw.drainScript.render());
    expect(shellcheck(cm.data['drain.cgi']).output).toBe('');
    expect(shellcheck(cm.data['ready.cgi']).output).toBe('');
    expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(86416);
  });

  test('1.28: an ordinary container whose own preStop holds it until the drain it serves has ended', () => {
    const { chart } = build({ drainManager: { image: 'registry.example/busybox:1.36.1', port: 19100 } });
    const dep = only(synthValid(chart), 'Deployment');
    const dm = containerOf(dep, 'drain-manager');
    expect(dep.spec.template.spec.initContainers ?? []).toEqual([]);
    expect(dm.image).toBe('registry.example/busybox:1.36.1');
    const hold = preStopScript(dm);
    expect(hold).toContain("if [ -e '/run/drain-manager/done' ]");
    expect(hold).toContain(`gs_deadline=$((gs_start + ${4 + 5 + 86400}))`);
    expect(containerOf(dep, 'envoy').lifecycle.preStop.httpGet.port).toBe(19100);
  });

  test('for real: busybox httpd runs the synthesized CGI; GET /cgi-bin/drain answers only once drained', async () => {
    const admin = new FakeEnvoyAdmin();
    await admin.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-dm-'));
    const bin = makeBinDir({ http: 'busybox-wget', tools: ['date', 'sleep', 'kill', 'mkdir', 'printf', 'sh', 'busybox'] }, dir);
    const log = path.join(dir, 'log');
    fs.writeFileSync(log, '');
    let httpd: ReturnType<typeof spawn> | undefined;
    try {
      const { chart } = build({ drainManager: {}, adminPort: admin.port, minDrain: Duration.seconds(0), maxDrain: Duration.seconds(20) });
      const objects = synthValid(chart);
      const cm = objects.find(o => o.kind === 'ConfigMap' && o.data['drain.sh']);
      // The synthesized files, with the pod's absolute paths moved into the temp dir.
      const relocate = (s: string) => s.split('/run/drain-manager').join(`${dir}/state`).split('/drain-manager/').join(`${dir}/dm/`);
      fs.mkdirSync(`${dir}/dm/www/cgi-bin`, { recursive: true });
      fs.mkdirSync(`${dir}/state`);
      fs.writeFileSync(`${dir}/dm/drain.sh`, cm.data['drain.sh'], { mode: 0o555 });
      fs.writeFileSync(`${dir}/dm/www/cgi-bin/drain`, relocate(cm.data['drain.cgi']), { mode: 0o555 });
      fs.writeFileSync(`${dir}/dm/www/cgi-bin/ready`, relocate(cm.data['ready.cgi']), { mode: 0o555 });
      const ready = await fetchVia(dir, bin, log, h => { httpd = h; });
      expect(ready).toEqual([200, 'LIVE\n']);
      admin.setConnections({ '[__]_2222': 1 });
      admin.schedule([{ atMs: 2000, set: { '[__]_2222': 0 } }]);
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${httpdPort}/cgi-bin/drain`);
      const elapsed = Date.now() - started;
      expect([res.status, await res.text()]).toEqual([200, 'drained\n']);
      expect(elapsed).toBeGreaterThanOrEqual(2000);
      expect(elapsed).toBeLessThan(2000 + 1000 + 700);
      expect(fs.existsSync(`${dir}/state/done`)).toBe(true);
      expect(admin.drainListeners).toEqual(['?graceful']);
      const lines = fs.readFileSync(log, 'utf8');
      expect(lines).toContain('envoy-drain: POST /drain_listeners?graceful: ok');
      expect(lines).toMatch(/envoy-drain: active connections .*: 0/);
      // After healthcheck/fail, readiness through the sidecar fails with 503.
      const after = await fetch(`http://127.0.0.1:${httpdPort}/cgi-bin/ready`);
      expect(after.status).toBe(503);
    } finally {
      if (httpd?.pid) process.kill(-httpd.pid, 'SIGKILL');
      await admin.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

let httpdPort = 0;
/** Starts busybox httpd on a free port with the CGI dir, waits for it, and GETs /cgi-bin/ready. */
async function fetchVia(dir: string, bin: string, log: string, keep: (h: ReturnType<typeof spawn>) => void): Promise<[number, string]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    httpdPort = 20000 + Math.floor(Math.random() * 20000);
    const h = spawn(requireTool('busybox'), ['httpd', '-f', '-p', `127.0.0.1:${httpdPort}`, '-h', `${dir}/dm/www`], {
      env: { PATH: bin, GS_LOG_TARGET: log }, detached: true, stdio: 'ignore',
    });
    keep(h);
    for (let i = 0; i < 20; i++) {
      await new Promise(r => setTimeout(r, 50));
      try {
        const res = await fetch(`http://127.0.0.1:${httpdPort}/cgi-bin/ready`);
        return [res.status, await res.text()];
      } catch {
        if (h.exitCode !== null) break;
      }
    }
    if (h.pid) process.kill(-h.pid, 'SIGKILL');
  }
  throw new Error('busybox httpd did not start');
}
