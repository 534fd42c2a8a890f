import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { GracefulNginx, GracefulNginxProps, NginxCutOver, NginxPaths } from '../../src';
import { bounded, EmulatedPod, freePort, killEverything, pause, podFromManifests, remap } from '../e2e/harness/pod';
import { gracefulPod } from '../e2e/harness/variants';
import { runScript, shellcheck, SHELLS } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

function build(props: GracefulNginxProps = {}) {
  const chart = Testing.chart();
  const n = new GracefulNginx(chart, 'web', props);
  return { chart, n };
}

describe('GracefulNginx: synthesized defaults', () => {
  test('field case: plan, grace period, probe, hooks, volumes, image and security context', () => {
    const { chart, n } = build();
    const objects = synthValid(chart);
    const dep = only(objects, 'Deployment');
    const spec = dep.spec.template.spec;
    // 0 deregister + (5s x 1 + 5s) propagate + (max(5, 3) + 1) retire + (10 + 1) quit + 2 margin
    expect(spec.terminationGracePeriodSeconds).toBe(29);
    expect(n.plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['deregister', 0], ['propagate', 10], ['retire-keepalive', 6], ['quit', 11], ['margin', 2]]);
    expect(n.keepaliveTimeSeconds).toBe(5);
    expect(n.keepaliveTimeoutSeconds).toBe(3);
    expect(n.workerShutdownTimeoutSeconds).toBe(10);
    const c = containerOf(dep, 'nginx');
    expect(c.image).toBe(GracefulNginx.DEFAULT_IMAGE);
    // The emptyDir survives restarts: the command clears the last run's readiness and pid files first.
    expect(c.command).toEqual(['/bin/sh', '-c', `rm -f '${NginxPaths.READY_FILE}' '${NginxPaths.PID_FILE}' && exec 'nginx' '-e' 'stderr' '-c' '${NginxPaths.CONFIG_FILE}' '-g' 'daemon off;'`]);
    expect(c.ports).toEqual([{ containerPort: 8080 }]);
    expect(c.securityContext).toMatchObject({
      runAsUser: 101, runAsGroup: 101, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    expect(c.readinessProbe).toEqual({ exec: { command: ['test', '-f', NginxPaths.READY_FILE] }, periodSeconds: 5, failureThreshold: 1 });
    const post = c.lifecycle.postStart.exec.command[2];
    expect(post).toContain(`touch '${NginxPaths.READY_FILE}'`);
    expect(post).toContain('*:1F90)'); // 8080, LISTEN in /proc/net/tcp
    expect(post).toContain('gs_deadline=$((gs_start + 30))');
    const pre = preStopScript(c);
    expect(pre).toContain('gs_deadline=$((gs_start + 27))');
    const order = ['remove the readiness file', 'wait until t=10s', 'keep-alive connections to port 8080', "'nginx' '-e' 'stderr' '-c' '/etc/nginx/graceful/nginx.conf' '-s' 'quit'", 'nginx master'].map(s => pre.indexOf(s));
    expect(order.every(i => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(pre).not.toContain("'reload'");
    expect(c.volumeMounts).toEqual([
      { mountPath: '/etc/nginx/graceful', name: 'nginx-config', readOnly: true },
      { mountPath: '/run/nginx', name: 'nginx-run' },
      { mountPath: '/var/cache/nginx', name: 'nginx-temp' },
    ]);
    const cm = only(objects, 'ConfigMap');
    expect(spec.volumes).toEqual([{ name: 'nginx-config', configMap: { name: cm.metadata.name } }, { name: 'nginx-run', emptyDir: {} }, { name: 'nginx-temp', emptyDir: {} }]);
    expect(cm.data['nginx.conf']).toBe(n.nginxConf);
    expect(n.nginxConf).toContain('keepalive_time 5s;');
    expect(n.nginxConf).toContain('worker_shutdown_timeout 10s;');
    expect(n.nginxConf).toContain(`pid ${NginxPaths.PID_FILE};`);
    expect(only(objects, 'Service').spec.ports).toEqual([{ port: 80, targetPort: 8080 }]);
    expect(JSON.parse(dep.spec.template.metadata.annotations['graceful-shutdown.cdk8s.io/plan']).gracePeriodSeconds).toBe(29);
  });

  test('endpoints-only cut-over: no readiness file, a TCP probe, a shorter plan', () => {
    const { chart, n } = build({ cutOver: NginxCutOver.endpointsOnly() });
    const c = containerOf(only(synthValid(chart), 'Deployment'), 'nginx');
    expect(c.lifecycle.postStart).toBeUndefined();
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 8080 });
    expect(preStopScript(c)).not.toContain(NginxPaths.READY_FILE);
    expect(c.command[2]).toBe(`rm -f '${NginxPaths.PID_FILE}' && exec 'nginx' '-e' 'stderr' '-c' '${NginxPaths.CONFIG_FILE}' '-g' 'daemon off;'`);
    expect(n.plan.tryPhase('deregister')).toBeUndefined();
    expect(n.plan.phase('propagate').bound.toSeconds()).toBe(5);
  });

  test('reloadBeforeQuit adds nginx -s reload and a 1s pause, and a second to the plan', () => {
    const { chart, n } = build({ reloadBeforeQuit: true });
    expect(preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'nginx'))).toContain("'-s' 'reload'");
    expect(n.plan.phase('reload').bound.toSeconds() + n.plan.phase('quit').bound.toSeconds()).toBe(12);
  });

  test('image, port, uid, service port and servers are configurable', () => {
    const servers = 'server {\n  listen 9090;\n  location / { return 204; }\n}';
    const { chart, n } = build({ image: 'nginx:1.27', port: 9090, runAsUser: 1000, runAsGroup: 1000, servicePort: 8000, servers, exposeService: true });
    const objects = synthValid(chart);
    const c = containerOf(only(objects, 'Deployment'), 'nginx');
    expect(c.image).toBe('nginx:1.27');
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000 });
    expect(only(objects, 'Service').spec.ports).toEqual([{ port: 8000, targetPort: 9090 }]);
    expect(n.nginxConf).toContain('listen 9090;');
    expect(preStopScript(c)).toContain('*:2382)');
  });

  test('a whole user config that fits the plan is used as is', () => {
    const config = `pid ${NginxPaths.PID_FILE};\nworker_shutdown_timeout 10s;\nevents {}\nhttp { keepalive_timeout 3s; keepalive_time 5s; server { listen 8080; } }\n`;
    expect(build({ config }).n.nginxConf).toBe(config);
  });
});

describe('GracefulNginx: props are validated with clear errors', () => {
  test.each<[string, GracefulNginxProps, RegExp]>([
    ['probe period 0', { cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(0) }) }, /test\/web: cutOver period 0s must be a whole number of seconds, at least 1s/],
    ['failure threshold 0', { cutOver: NginxCutOver.readinessFile({ failureThreshold: 0 }) }, /cutOver failureThreshold 0 must be a whole number >= 1/],
    ['wait shorter than the probe window', { cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(5), failureThreshold: 2 }), cutOverWait: Duration.seconds(8) },
      /cutOverWait 8s is not longer than the readiness probe window \(5s x 2 = 10s\).*Use at least 11s, or leave it unset to derive 15s/],
    ['keepalive_timeout above 10s', { keepaliveTimeout: Duration.seconds(30) }, /keepaliveTimeout 30s is above 10s.*set allowLongKeepalive: true/],
    ['keepalive_time not below the wait', { keepaliveTime: Duration.seconds(10) }, /keepaliveTime 10s is not below the cut-over wait \(10s\).*at most 9s/],
    ['port out of range', { port: 70000 }, /port 70000 is out of range: use 1-65535/],
    ['service port out of range', { servicePort: 0 }, /servicePort 0 is out of range/],
    ['root uid', { runAsUser: 0 }, /runAsUser 0 must be a whole number >= 1: the pod runs with runAsNonRoot/],
    ['fractional seconds', { propagation: Duration.millis(1500) }, /propagation 1.5s must be a whole number of seconds/],
    ['servers and config', { servers: 'server {}', config: 'events {}' }, /set servers or config, not both/],
    ['servers with a long keepalive', { servers: 'server { listen 8080; keepalive_timeout 75s; }' }, /servers do not fit the shutdown plan: keepalive_timeout 75s is longer than the plan allows \(3s\)/],
    ['a whole config without keep-alive settings', { config: 'events {} http { server { listen 8080; } }' }, /config does not fit the shutdown plan: it does not set keepalive_timeout/],
    ['a pinned grace period that does not fit', { terminationGracePeriod: Duration.seconds(20) }, /terminationGracePeriod 20s is shorter than the plan's 29s/],
    ['a grace period too short for the keep-alive retirement', { keepaliveTimeout: Duration.seconds(8), terminationGracePeriod: Duration.seconds(18) },
      /test\/web: terminationGracePeriod 18s is shorter than the plan's 32s: .*the retire-keepalive phase \(t=10s..19s\) does not fit/],
    ['propagation 0', { cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(1) }), propagation: Duration.seconds(0) },
      /test\/web: propagation 0s leaves no time for endpoint removal .*use at least 1s/],
    ['endpoints-only with propagation 1s leaves no room for keepalive_time', { cutOver: NginxCutOver.endpointsOnly(), propagation: Duration.seconds(1) },
      /test\/web: propagation 1s leaves a cut-over wait of 1s, too short for keepalive_time .*use at least 2s, or set keepaliveTime/],
    ['a whole config with its pid elsewhere', { config: 'pid /tmp/nginx.pid; worker_shutdown_timeout 10s; events {} http { keepalive_timeout 3s; keepalive_time 5s; }' },
      /config does not fit the shutdown plan: pid is '\/tmp\/nginx.pid', but the preStop waits for the master through '\/run\/nginx\/nginx.pid'/],
  ])('%s', (_, props, error) => {
    expect(() => build(props)).toThrow(error);
  });

  test('a long keepalive_timeout is accepted when allowed, and the retirement phase grows with it', () => {
    const { n } = build({ keepaliveTimeout: Duration.seconds(30), allowLongKeepalive: true });
    expect(n.plan.phase('retire-keepalive').bound.toSeconds()).toBe(31);
    expect(n.plan.phase('retire-keepalive').boundProperty).toBe('keepaliveTimeout');
    expect(build().n.plan.phase('retire-keepalive').boundProperty).toBe('keepaliveTime');
    expect(n.nginxConf).toContain('keepalive_timeout 30s;');
  });
});

describe('GracefulNginx: the synthesized hooks, run for real', () => {
  const { objects } = gracefulPod();
  const pod = podFromManifests(objects);
  afterAll(async () => {
    await killEverything();
  });

  async function withPod(fn: (p: EmulatedPod) => Promise<void>, spec = pod): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-nginx-'));
    const p = new EmulatedPod('pod', spec, dir, await freePort());
    try {
      await fn(p);
    } finally {
      await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const waitForFile = async (file: string, present: boolean) => {
    for (let i = 0; i < 50 && fs.existsSync(file) !== present; i++) await pause(100);
    return fs.existsSync(file) === present;
  };

  test('a container restart clears the last run\'s readiness and pid files before nginx starts', async () => {
    await withPod(async p => {
      const ready = path.join(p.dir, 'nginx-run', 'ready');
      const pidFile = path.join(p.dir, 'nginx-run', 'nginx.pid');
      await p.start();
      expect(await waitForFile(ready, true)).toBe(true);
      const firstPid = p.pid;
      await p.crash(); // SIGKILL: the emptyDir keeps both files
      expect(fs.existsSync(ready)).toBe(true);
      expect(fs.readFileSync(pidFile, 'utf8').trim()).toBe(String(firstPid));
      expect(await p.probeOnce()).toBe(true); // the stale file alone would make the pod Ready
      // The restart: only the container command, no postStart yet.
      p.spawnContainer();
      await p.waitUntilListening(10_000);
      expect(fs.existsSync(ready)).toBe(false);
      expect(await p.probeOnce()).toBe(false);
      expect(fs.readFileSync(pidFile, 'utf8').trim()).toBe(String(p.pid));
      // The postStart then creates it, because nginx listens.
      expect(await bounded(p.runPostStart()!, 10_000)).toBe(0);
      expect(fs.existsSync(ready)).toBe(true);
      expect(await p.probeOnce()).toBe(true);
    });
  });

  test('control: the plain nginx command (no clearing) leaves the stale readiness file in place', async () => {
    const plain = { ...pod, command: ['nginx', '-e', 'stderr', '-c', NginxPaths.CONFIG_FILE, '-g', 'daemon off;'] };
    await withPod(async p => {
      const ready = path.join(p.dir, 'nginx-run', 'ready');
      await p.start();
      expect(await waitForFile(ready, true)).toBe(true);
      await p.crash();
      p.spawnContainer();
      await p.waitUntilListening(10_000);
      expect(fs.existsSync(ready)).toBe(true);
    }, plain);
  });

  test.each(SHELLS)('postStart in %s does not create the readiness file while nothing listens, and gives up at its deadline', async shell => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-poststart-'));
    try {
      const ready = path.join(dir, 'ready');
      const port = await freePort(); // closed again: nothing listens there
      const r = { dirs: [[NginxPaths.RUN_DIR, dir]] as Array<[string, string]>, port: 8080, hostPort: port };
      // The same script with a 2s deadline, so the test is short.
      const text = remap(pod.postStart![2], r).replace('gs_deadline=$((gs_start + 30))', 'gs_deadline=$((gs_start + 2))');
      const res = await runScript(text, { shell, env: { PATH: '/usr/sbin:/usr/bin:/bin' }, timeoutMs: 10_000 });
      expect(res.code).toBe(0);
      expect(res.elapsedMs).toBeLessThan(5000);
      expect(fs.existsSync(ready)).toBe(false);
      expect(res.messages).toContain('nginx does not listen on port 8080: no readiness file, the pod stays unready');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('preStop and postStart pass shellcheck -s sh', () => {
    for (const cmd of [pod.preStop!, pod.postStart!]) {
      const r = shellcheck(cmd[2]);
      expect(r.output).toBe('');
    }
  });

  test.each(SHELLS)('preStop in %s stops a real nginx and returns once the master has exited', async shell => {
    await withPod(async p => {
      await p.start();
      const ready = path.join(p.dir, 'nginx-run', 'ready');
      expect(await waitForFile(ready, true)).toBe(true); // postStart created it
      const r = await runScript(p.remap(pod.preStop![2]), { shell, env: { PATH: '/usr/sbin:/usr/bin:/bin' }, timeoutMs: 20_000 });
      expect(r.code).toBe(0);
      expect(fs.existsSync(ready)).toBe(false);
      expect(p.running).toBe(false);
      // The plan's steps, in order.
      const steps = ['remove the readiness file: ok', 'wait until t=3s: readiness fails and endpoint removal propagates',
        'keep-alive connections to port 8080: 0', 'nginx -s quit: ok', 'nginx master: 0', 'done'];
      const at = steps.map(m => r.messages.indexOf(m));
      expect(at.every(i => i >= 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      // no load: the wait for propagation (3s) is the only wait
      expect(r.elapsedMs).toBeGreaterThanOrEqual(2000);
      expect(r.elapsedMs).toBeLessThan(6000);
    });
  });
});

describe('the harness remaps in-container paths exactly', () => {
  const r = { dirs: [['/run/nginx', '/tmp/p/run'], ['/etc/nginx/graceful', '/tmp/p/conf'], ['/var/cache/nginx', '/tmp/p/temp']] as Array<[string, string]>, port: 8080, hostPort: 40000 };
  test.each([
    ['pid /run/nginx/nginx.pid;', 'pid /tmp/p/run/nginx.pid;'],
    ["rm -f '/run/nginx/ready'", "rm -f '/tmp/p/run/ready'"],
    ['/run/nginx', '/tmp/p/run'],
    ['-c /etc/nginx/graceful/nginx.conf', '-c /tmp/p/conf/nginx.conf'],
    // not whole paths: left alone
    ['pid /var/run/nginx/nginx.pid;', 'pid /var/run/nginx/nginx.pid;'],
    ['/run/nginx2/x', '/run/nginx2/x'],
    ['/run/nginx.pid', '/run/nginx.pid'],
    ['include /etc/nginx/mime.types;', 'include /etc/nginx/mime.types;'],
    ['/etc/nginx/gracefully', '/etc/nginx/gracefully'],
    // the port: only `listen 8080` and the /proc/net/tcp pattern
    ['  listen 8080;', '  listen 127.0.0.1:40000;'],
    ['listen 80800;', 'listen 80800;'],
    ['return 200 "8080";', 'return 200 "8080";'],
    ['      *:1F90) gs_count=0 ;;', '      *:9C40) gs_count=0 ;;'],
  ])('%s', (from, to) => {
    expect(remap(from, r)).toBe(to);
  });

  test('a replacement is never remapped again', () => {
    const nested = { ...r, dirs: [['/a', '/b'], ['/b', '/c']] as Array<[string, string]> };
    expect(remap('/a/x /b/y', nested)).toBe('/b/x /c/y');
  });
});
