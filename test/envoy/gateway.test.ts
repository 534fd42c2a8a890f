import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { FakeEnvoyAdmin } from './fake-envoy-admin';
import { FIELD } from './field-props';
import { EnvoyGatewayChart } from '../../examples/envoy';
import { DrainListenersMode, DrainTarget, GracefulEnvoyGateway, GracefulEnvoyGatewayProps, GracefulShutdownChecks, KubernetesVersion } from '../../src';
import { httpdCommand } from '../../src/hook-sidecar';
import { HttpToolChoice, makeBinDir, requireTool, runScript, shellcheck, ShellName } from '../script/run-script';
import { freePort } from '../util/free-port';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';
import { LOADED_HOST_SLACK_MS } from '../util/timing';

const FIELD_NAMES = 'listener.[__]_2222.downstream_cx_active + listener.0.0.0.0_8080.downstream_cx_active';


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
    // deregister 2 calls x 2s + min-drain max(minDrain 5s, readiness 5s x 2) + drain 1d + stop 5s + margin 2s.
    expect(spec.terminationGracePeriodSeconds).toBe(4 + 10 + 86400 + 5 + 2);
    expect(spec.terminationGracePeriodSeconds).toBe(gw.plan.terminationGracePeriodSeconds);
    expect(gw.plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['deregister', 4], ['min-drain', 10], ['drain', 86400], ['stop', 5], ['margin', 2]]);
    expect(gw.plan.phase('min-drain').boundProperty).toBe('readinessPeriod');
    const envoy = containerOf(dep, 'envoy');
    const script = preStopScript(envoy);
    expect(script).toContain(`gs_deadline=$((gs_start + ${4 + 10 + 86400}))`);
    expect(script).toContain("'http://127.0.0.1:19000/healthcheck/fail'");
    expect(script).toContain("'http://127.0.0.1:19000/drain_listeners?graceful'");
    expect(script).toContain(`'http://127.0.0.1:19000${gw.drainSelection.statsPath}'`);
    expect(script).toContain("'listener.[__]_2222.downstream_cx_active'|'listener.0.0.0.0_8080.downstream_cx_active')");
    // min-drain counts from when the deregister calls returned; the poll still ends at the plan's t=1d14s.
    expect(script).toContain('gs_sleep_for 10\n');
    expect(script).toContain('gs_until=$((gs_t0 + 8641400))');
    // The sentinel is asked for and required.
    expect(script).toContain("'server.live') gs_sentinel=1 ;;");
    expect(shellcheck(script).output).toBe('');
    expect(envoy.args).toEqual(['--disable-hot-restart']);
    expect(envoy.ports).toEqual([{ containerPort: 2222, name: 'ssh' }, { containerPort: 8080, name: 'http' }]);
    // Loopback admin: the kubelet cannot reach it; readiness runs wget inside, as Gloo's chart does.
    expect(envoy.readinessProbe.exec.command).toEqual(['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:19000/ready']);
    expect(envoy.readinessProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 });
    expect(envoy.securityContext).toMatchObject({
      runAsNonRoot: true, runAsUser: 10101, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    const svc = only(objects, 'Service');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([{ name: 'ssh', port: 2222, targetPort: 2222 }, { name: 'http', port: 8080, targetPort: 8080 }]);
    expect(gw.plan.toString()).toMatch(/t=1d14s\s+stop/);
  });

  test('the readiness window is a plan input: probe fields and the min-drain phase move together', () => {
    const wide = build({ readinessPeriod: Duration.seconds(3), readinessFailureThreshold: 4, minDrain: Duration.seconds(5) });
    const probe = containerOf(only(synthValid(wide.chart), 'Deployment'), 'envoy').readinessProbe;
    expect(probe).toMatchObject({ periodSeconds: 3, failureThreshold: 4, timeoutSeconds: 2 });
    expect(wide.gw.plan.phase('min-drain').bound.toSeconds()).toBe(12);
    expect(wide.gw.plan.phase('min-drain').description).toBe('keep serving while readiness fails (3s x 4) and endpoint removal reaches every proxy and load balancer (minDrain 5s)');
    // minDrain larger than the window: minDrain rules, and errors name it.
    const long = build({ minDrain: Duration.seconds(30) });
    expect(long.gw.plan.phase('min-drain').bound.toSeconds()).toBe(30);
    expect(long.gw.plan.phase('min-drain').boundProperty).toBe('minDrain');
    // No probe, or no /healthcheck/fail (so /ready never fails while draining): no window to wait for.
    expect(build({ readiness: false }).gw.plan.phase('min-drain').bound.toSeconds()).toBe(5);
    expect(build({ failHealthCheck: false }).gw.plan.phase('min-drain').bound.toSeconds()).toBe(5);
    expect(build({ readiness: false, minDrain: Duration.seconds(0) }).gw.plan.tryPhase('min-drain')).toBeUndefined();
    const off = build({ readiness: false });
    expect(containerOf(only(synthValid(off.chart), 'Deployment'), 'envoy').readinessProbe).toBeUndefined();
  });

  test('envoyDrainFlags: --drain-time-s runs from t=0 to the end of the drain phase, so Envoy never stops listeners mid-poll', () => {
    const { chart, gw } = build({ envoyDrainFlags: true, maxDrain: Duration.minutes(10), minDrain: Duration.seconds(10) });
    const envoy = containerOf(only(synthValid(chart), 'Deployment'), 'envoy');
    // deregister 4s + min-drain 10s + drain 600s.
    expect(envoy.args).toEqual(['--disable-hot-restart', '--drain-time-s', '614', '--drain-strategy', 'immediate']);
    expect(gw.plan.endOf('drain').toSeconds()).toBe(614);
    expect(gw.plan.preStopDeadline.toSeconds()).toBe(614);
  });

  test('your own --drain-time-s is kept when it covers the propagation (>= start of the drain phase)', () => {
    expect(build({ args: ['--drain-time-s', '14'] }).gw.envoyArgs).toEqual(['--drain-time-s', '14']);
    expect(build({ args: ['--drain-time-s=86414'] }).gw.envoyArgs).toEqual(['--drain-time-s=86414']);
    // Without drain_listeners the flag does not bear on the preStop.
    expect(build({ args: ['--drain-time-s', '1'], drainListeners: DrainListenersMode.NONE }).gw.envoyArgs).toEqual(['--drain-time-s', '1']);
  });

  test('admin on 0.0.0.0: readiness is an httpGet on /ready; inboundonly, no healthcheck/fail, no min drain', () => {
    const { chart, gw } = build({
      adminAddress: '0.0.0.0', failHealthCheck: false, drainListeners: DrainListenersMode.GRACEFUL_INBOUND_ONLY, minDrain: Duration.seconds(0), maxDrain: Duration.seconds(30),
    });
    const envoy = containerOf(only(synthValid(chart), 'Deployment'), 'envoy');
    expect(envoy.readinessProbe.httpGet).toEqual({ path: '/ready', port: 19000, scheme: 'HTTP' });
    expect(envoy.readinessProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 2 });
    expect(envoy.ports).toContainEqual({ containerPort: 19000, name: 'admin' });
    const script = preStopScript(envoy);
    expect(script).not.toContain('healthcheck/fail');
    expect(script).toContain("'http://127.0.0.1:19000/drain_listeners?graceful&inboundonly'");
    expect(script).not.toContain('minimum drain');
    expect(gw.plan.phases.map(p => p.name)).toEqual(['deregister', 'drain', 'stop', 'margin']);
    expect(gw.plan.terminationGracePeriodSeconds).toBe(2 + 30 + 5 + 2);
  });

  test('drainTargets: allListeners, and listeners left out of the drain, reach the preStop', () => {
    const a = build({ drainTargets: [DrainTarget.allListeners({ excludePorts: [8081] })] });
    expect(a.gw.drainSelection.filterRegex).toBe('^(server\\.live|listener\\..*\\.downstream_cx_active)$');
    const sa = preStopScript(containerOf(only(synthValid(a.chart), 'Deployment'), 'envoy'));
    expect(sa).toContain(`'http://127.0.0.1:19000${a.gw.drainSelection.statsPath}'`);
    expect(sa).toContain("    listener.admin.*|listener.*.worker_[0-9]*|listener.*.main_thread.*|listener.envoy_internal_*|'listener.'*'_8081.downstream_cx_active') ;;");
    expect(sa).toContain('    listener.*.downstream_cx_active) gs_count=$((gs_count + gs_sval)) ;;');
    expect(a.gw.plan.phase('drain').description).toBe('poll all listeners except port 8081 every 1s until 0');
    const b = build({ listeners: [{ name: 'ssh', port: 2222, address: '[::]' }, { name: 'stats', port: 8081, drain: false }, { name: 'grpc', port: 9000, statPrefix: 'grpc_in' }] });
    expect(b.gw.drainSelection.statNames).toEqual(['listener.[__]_2222.downstream_cx_active', 'listener.grpc_in.downstream_cx_active']);
    const sb = preStopScript(containerOf(only(synthValid(b.chart), 'Deployment'), 'envoy'));
    expect(sb).toContain("    'listener.[__]_2222.downstream_cx_active'|'listener.grpc_in.downstream_cx_active') gs_count=");
    expect(sb).not.toContain('8081');
    // The undrained listener is still a container port and a Service port.
    expect(only(synthValid(b.chart), 'Service').spec.ports.map((p: any) => p.port)).toEqual([2222, 8081, 9000]);
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
    ['empty image', { image: ' ' }, /^test\/gateway-proxy: image ' ' is empty: give the Envoy image/],
    ['no listeners', { listeners: [] }, /^test\/gateway-proxy: listeners is empty \(\[\]\): give at least one listener/],
    ['port out of range', { listeners: [{ name: 'ssh', port: 70000 }] }, /^test\/gateway-proxy: listeners\[0\]\.port 70000 is out of range: use a whole number 1-65535\.$/],
    ['servicePort out of range', { listeners: [{ name: 'ssh', port: 2222, servicePort: 0 }] }, /^test\/gateway-proxy: listeners\[0\]\.servicePort 0 is out of range: use a whole number 1-65535\.$/],
    ['address not an IP', { listeners: [{ name: 'ssh', port: 2222, address: 'localhost' }] }, /^test\/gateway-proxy: listeners\[0\]\.address 'localhost' is not an IP address: use the listener's bind address as in its Envoy config, e\.g\. '0\.0\.0\.0', '::' or '\[::\]'\.$/],
    ['bad stat prefix', { listeners: [{ name: 'ssh', port: 2222, statPrefix: 'ssh|.*' }] }, /^test\/gateway-proxy: listeners\[0\]\.statPrefix 'ssh\|\.\*' is not a plain stat prefix: use letters, digits/],
    ['admin stat prefix', { listeners: [{ name: 'ssh', port: 2222, statPrefix: 'admin' }] }, /^test\/gateway-proxy: listeners\[0\]\.statPrefix 'admin' names the admin listener.*use the stat_prefix of a traffic listener/],
    ['port used by the admin', { listeners: [{ name: 'a', port: 19000 }] }, /^test\/gateway-proxy: listeners\[0\]\.port 19000 is already used by adminPort: give each listener its own port\.$/],
    ['port used twice', { listeners: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }, /^test\/gateway-proxy: listeners\[1\]\.port 80 is already used by listeners\[0\]\.port: give each listener its own port\.$/],
    ['bad port name', { listeners: [{ name: 'SSH_port', port: 2222 }] }, /^test\/gateway-proxy: listeners\[0\]\.name 'SSH_port' is not a valid port name: use 1-15 lower-case letters/],
    ['name used twice', { listeners: [{ name: 'a', port: 1 }, { name: 'a', port: 2 }] }, /^test\/gateway-proxy: listeners\[1\]\.name 'a' is used twice/],
    ['adminPort out of range', { adminPort: 0 }, /^test\/gateway-proxy: adminPort 0 is out of range: use a whole number 1-65535\.$/],
    ['poll interval 0', { pollInterval: Duration.seconds(0) }, /^test\/gateway-proxy: pollInterval 0s must be a whole number of seconds, at least 1s .*Use Duration\.seconds\(n\)\.$/],
    ['fractional maxDrain', { maxDrain: Duration.millis(1500) }, /^test\/gateway-proxy: maxDrain 1\.5s must be a whole number of seconds/],
    ['maxDrain under the poll interval', { maxDrain: Duration.seconds(2), pollInterval: Duration.seconds(5) }, /^test\/gateway-proxy: maxDrain 2s is shorter than pollInterval 5s: .* Raise maxDrain or lower pollInterval\.$/],
    ['readinessPeriod 0', { readinessPeriod: Duration.seconds(0) }, /^test\/gateway-proxy: readinessPeriod 0s must be a whole number of seconds, at least 1s/],
    ['readinessFailureThreshold 0', { readinessFailureThreshold: 0 }, /^test\/gateway-proxy: readinessFailureThreshold 0 must be a whole number >= 1/],
    ['pinned grace period below the plan', { terminationGracePeriod: Duration.seconds(3600) }, /^test\/gateway-proxy: terminationGracePeriod 1h is shorter than the plan's 1d21s.*Raise terminationGracePeriod to at least 1d21s or lower maxDrain/],
    ['drain flags twice', { envoyDrainFlags: true, args: ['--drain-time-s', '30'] }, /^test\/gateway-proxy: args already set --drain-time-s \('--drain-time-s'\) and envoyDrainFlags is true, .* Remove --drain-time-s from args, or set envoyDrainFlags: false\.$/],
    ['own drain time before the poll starts', { args: ['--drain-time-s=2'], minDrain: Duration.seconds(10) }, /^test\/gateway-proxy: args --drain-time-s '2' must be a whole number of seconds >= 14 \(the plan's drain phase starts at t=14s\).*Use --drain-time-s 86414/],
    ['own drain time not a number', { args: ['--drain-time-s', '1d'] }, /^test\/gateway-proxy: args --drain-time-s '1d' must be a whole number of seconds/],
    ['admin address not an IP', { adminAddress: 'envoy-admin' }, /^test\/gateway-proxy: adminAddress 'envoy-admin' is not an IP address: use the admin bind address/],
    ['nothing drained', { listeners: [{ name: 'http', port: 8080, drain: false }] }, /^test\/gateway-proxy: no listener is drained: .*drainTargets is unset\. Set drain: true/],
    ['empty drainTargets', { drainTargets: [] }, /^test\/gateway-proxy: no listener is drained: .*drainTargets is \[\]\./],
    ['allListeners mixed', { drainTargets: [DrainTarget.allListeners(), DrainTarget.listener({ port: 8080 })] }, /^test\/gateway-proxy: drainTargets: DrainTarget\.allListeners\(\) already selects every listener/],
    ['sidecar port out of range', { drainManager: { port: 70000 } }, /^test\/gateway-proxy: drainManager\.port 70000 is out of range/],
    ['sidecar port used by a listener', { drainManager: { port: 8080 } }, /^test\/gateway-proxy: drainManager\.port 8080 is already used by listeners\[1\]\.port: .*give it a free port/],
    ['sidecar port used by the admin', { drainManager: { port: 19000 } }, /^test\/gateway-proxy: drainManager\.port 19000 is already used by adminPort/],
    ['empty sidecar image', { drainManager: { image: '' } }, /^test\/gateway-proxy: drainManager\.image '' is empty/],
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
      // No readiness window and no minDrain: only the drain itself shows.
      const { chart } = build({ adminPort: admin.port, minDrain: Duration.seconds(0), readiness: false, maxDrain: Duration.seconds(20) });
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
      expect(r.elapsedMs).toBeLessThan(3000 + 1000 + LOADED_HOST_SLACK_MS);
    } finally {
      await admin.close();
    }
  });

  test.concurrent('no connections: returns right after min-drain, which counts from when the calls returned (not the 4s bound)', async () => {
    const admin = new FakeEnvoyAdmin();
    await admin.start();
    try {
      const { chart, gw } = build({ adminPort: admin.port, minDrain: Duration.seconds(2), readiness: false, maxDrain: Duration.seconds(20) });
      expect(gw.plan.startOf('drain').toSeconds()).toBe(6);
      const script = preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'envoy'));
      const r = await runScript(script, { shell: 'dash', withPath: { http: 'curl' } });
      expect(r.code).toBe(0);
      expect(r.messages).toContain(`active connections (${FIELD_NAMES}): 0`);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(2000);
      expect(r.elapsedMs).toBeLessThan(2000 + LOADED_HOST_SLACK_MS);
    } finally {
      await admin.close();
    }
  });

  test.concurrent('connections that never close: ends by maxDrain and says Envoy cuts them', async () => {
    const admin = new FakeEnvoyAdmin();
    await admin.start();
    try {
      const { chart } = build({
        adminPort: admin.port,
        minDrain: Duration.seconds(1),
        readinessPeriod: Duration.seconds(1),
        readinessFailureThreshold: 1,
        maxDrain: Duration.seconds(2),
      });
      const script = preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'envoy'));
      admin.setConnections({ '[__]_2222': 1 });
      const r = await runScript(script, { shell: 'busybox', withPath: { http: 'busybox-wget' } });
      expect(r.code).toBe(0);
      expect(r.messages).toContain('sleep 1s: min-drain: keep serving while readiness fails (1s x 1) and endpoint removal reaches every proxy and load balancer (minDrain 1s)');
      expect(r.messages).toContain(`active connections (${FIELD_NAMES}): 1`);
      expect(r.messages).not.toContain(`active connections (${FIELD_NAMES}): 0`);
      expect(r.messages).toContain('maxDrain (2s) reached: Envoy closes the connections left at SIGTERM');
      // The calls return at once; min-drain 1s; the poll runs to the plan's end of drain,
      // deregister 4s + min-drain 1s + drain 2s = the preStop deadline, 7s.
      expect(r.elapsedMs).toBeLessThan(7000 + LOADED_HOST_SLACK_MS);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(6000);
    } finally {
      await admin.close();
    }
  });

  test.concurrent.each(combos)('%s with %s: admin down at first: the failed calls are logged, the count is unknown and retried, then read once it is up', async (shell, http) => {
    const admin = new FakeEnvoyAdmin();
    await admin.start();
    try {
      const { chart } = build({
        adminPort: admin.port,
        adminCallTimeout: Duration.seconds(1),
        minDrain: Duration.seconds(0),
        readiness: false,
        maxDrain: Duration.seconds(20),
      });
      const script = preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'envoy'));
      await admin.down();
      admin.setConnections({ '0.0.0.0_8080': 1 });
      admin.schedule([{ atMs: 1800, up: true }, { atMs: 3000, set: { '0.0.0.0_8080': 0 } }]);
      const r = await runScript(script, { shell, withPath: { http } });
      expect(r.code).toBe(0);
      expect(r.messages.some(m => m.startsWith('POST /healthcheck/fail (load balancers stop sending): failed'))).toBe(true);
      const unknown = r.messages.findIndex(m => m.startsWith(`active connections (${FIELD_NAMES}): unknown (GET /stats: `));
      const one = r.messages.indexOf(`active connections (${FIELD_NAMES}): 1`);
      const zero = r.messages.indexOf(`active connections (${FIELD_NAMES}): 0`);
      expect(unknown).toBeGreaterThanOrEqual(0);
      expect(one).toBeGreaterThan(unknown);
      expect(zero).toBeGreaterThan(one);
      expect(r.messages.some(m => m.includes('maxDrain'))).toBe(false);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
      expect(r.elapsedMs).toBeLessThan(3000 + 1000 + LOADED_HOST_SLACK_MS);
      // The stats calls that were answered all carried the sentinel filter.
      expect(admin.calls.filter(c => c.path.startsWith('/stats')).every(c => c.path.includes(encodeURIComponent('server\\.live')))).toBe(true);
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
    // Under a shell that stops httpd on SIGTERM: httpd as PID 1 would ignore it (test/invariants/pid1-containers.test.ts).
    expect(dm).toMatchObject({ image: 'busybox:1.36', restartPolicy: 'Always', command: httpdCommand(19002, '/drain-manager/www') });
    expect(dm.lifecycle).toBeUndefined();
    const cm = objects.find(o => o.kind === 'ConfigMap' && o.data['drain.sh']);
    expect(cm.data['drain.sh']).toBe(gw.drainScript.render());
    expect(shellcheck(cm.data['drain.cgi']).output).toBe('');
    expect(shellcheck(cm.data['ready.cgi']).output).toBe('');
    expect(envoy.readinessProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 });
    expect(cm.data['ready.cgi']).toContain('(sleep 2; kill "$pid" 2>/dev/null) >/dev/null 2>&1 &');
    expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(86421);
  });

  test('1.28: an ordinary container whose own preStop holds it until the drain it serves has ended', () => {
    const { chart } = build({ drainManager: { image: 'registry.example/busybox:1.36.1', port: 19100 } });
    const dep = only(synthValid(chart), 'Deployment');
    const dm = containerOf(dep, 'drain-manager');
    expect(dep.spec.template.spec.initContainers ?? []).toEqual([]);
    expect(dm.image).toBe('registry.example/busybox:1.36.1');
    const hold = preStopScript(dm);
    expect(hold).toContain("if [ -e '/run/drain-manager/done' ]");
    // Past the drain's own deadline (t=86414s): the end of the stop phase, so the hold never ends before the drain it holds.
    expect(hold).toContain(`gs_deadline=$((gs_start + ${4 + 10 + 86400 + 5}))`);
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
      const { chart } = build({
        drainManager: {},
        adminPort: admin.port,
        adminCallTimeout: Duration.seconds(1),
        minDrain: Duration.seconds(0),
        readinessPeriod: Duration.seconds(1),
        readinessFailureThreshold: 1,
        maxDrain: Duration.seconds(20),
      });
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
      // Bounded by the drain's own deadline (3s of calls + 20s), far below it when the count reaches 0.
      expect(elapsed).toBeLessThan(15_000);
      expect(fs.existsSync(`${dir}/state/done`)).toBe(true);
      expect(admin.drainListeners).toEqual(['?graceful']);
      const lines = fs.readFileSync(log, 'utf8');
      expect(lines).toContain('envoy-drain: POST /drain_listeners?graceful: ok');
      expect(lines).toMatch(/envoy-drain: active connections .*: 0/);
      // After healthcheck/fail, readiness through the sidecar fails with 503.
      const after = await fetch(`http://127.0.0.1:${httpdPort}/cgi-bin/ready`);
      expect([after.status, await after.text()]).toEqual([503, 'envoy not ready\n']);
      // A wedged admin: the CGI gives up after the probe timeout (1s) and answers 503, rather
      // than leaving a wget behind per probe.
      admin.hangReady = true;
      const t0 = Date.now();
      const hung = await fetch(`http://127.0.0.1:${httpdPort}/cgi-bin/ready`);
      expect([hung.status, await hung.text()]).toEqual([503, 'envoy not ready\n']);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(Date.now() - t0).toBeLessThan(2500);
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
    // busybox httpd cannot report a port it picked: take a free one from the kernel (port 0), release it, use it.
    httpdPort = await freePort();
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

describe('the example and its docs', () => {
  test('docs/envoy.md shows the example plan (text and Mermaid) and Envoy flags as the construct renders them', () => {
    const chart = new EnvoyGatewayChart(Testing.app(), 'envoy-gateway');
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/envoy.md'), 'utf8');
    expect(doc).toContain(chart.gateway.plan.toMermaid('gateway-proxy ssh 2222 + http 8080, maxDrain 1d'));
    expect(doc).toContain(chart.gateway.plan.toString());
    expect(chart.gateway.envoyArgs).toEqual(['--disable-hot-restart', '--drain-time-s', '86414', '--drain-strategy', 'immediate']);
    expect(doc).toContain('--drain-time-s 86414 --drain-strategy immediate');
    expect(chart.gateway.plan.terminationGracePeriodSeconds).toBe(86421);
  });

  test('the example chart passes the graceful-shutdown checks and the schema', () => {
    const chart = new EnvoyGatewayChart(Testing.app(), 'envoy-gateway');
    GracefulShutdownChecks.addTo(chart);
    const dep = only(synthValid(chart), 'Deployment');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(86421);
  });
});
