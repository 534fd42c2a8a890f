import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { DEFAULT_NGINX_IMAGE, GracefulNginx, GracefulNginxProps, NGINX_PATHS, NginxCutOver } from '../../src/nginx';
import { EmulatedPod, freePort, podFromManifests } from '../e2e/harness/pod';
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
    expect(c.image).toBe(DEFAULT_NGINX_IMAGE);
    expect(c.command).toEqual(['nginx', '-e', 'stderr', '-c', NGINX_PATHS.configFile, '-g', 'daemon off;']);
    expect(c.ports).toEqual([{ containerPort: 8080 }]);
    expect(c.securityContext).toMatchObject({
      runAsUser: 101, runAsGroup: 101, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    expect(c.readinessProbe).toEqual({ exec: { command: ['test', '-f', NGINX_PATHS.readyFile] }, periodSeconds: 5, failureThreshold: 1 });
    expect(c.lifecycle.postStart.exec.command[2]).toContain(`'touch' '${NGINX_PATHS.readyFile}'`);
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
    expect(n.nginxConf).toContain(`pid ${NGINX_PATHS.pidFile};`);
    expect(only(objects, 'Service').spec.ports).toEqual([{ port: 80, targetPort: 8080 }]);
    expect(JSON.parse(dep.spec.template.metadata.annotations['graceful-shutdown.cdk8s.io/plan']).gracePeriodSeconds).toBe(29);
  });

  test('endpoints-only cut-over: no readiness file, a TCP probe, a shorter plan', () => {
    const { chart, n } = build({ cutOver: NginxCutOver.endpointsOnly() });
    const c = containerOf(only(synthValid(chart), 'Deployment'), 'nginx');
    expect(c.lifecycle.postStart).toBeUndefined();
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 8080 });
    expect(preStopScript(c)).not.toContain(NGINX_PATHS.readyFile);
    expect(n.plan.tryPhase('deregister')).toBeUndefined();
    expect(n.plan.phase('propagate').bound.toSeconds()).toBe(5);
  });

  test('reloadBeforeQuit adds nginx -s reload and a 1s pause, and a second to the plan', () => {
    const { chart, n } = build({ reloadBeforeQuit: true });
    expect(preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'nginx'))).toContain("'-s' 'reload'");
    expect(n.plan.phase('quit').bound.toSeconds()).toBe(12);
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
    const config = `pid ${NGINX_PATHS.pidFile};\nworker_shutdown_timeout 10s;\nevents {}\nhttp { keepalive_timeout 3s; keepalive_time 5s; server { listen 8080; } }\n`;
    expect(build({ config }).n.nginxConf).toBe(config);
  });
});

describe('GracefulNginx: props are validated with clear errors', () => {
  test.each<[string, GracefulNginxProps, RegExp]>([
    ['probe period 0', { cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(0) }) }, /test\/web: cutOver period 0s must be a whole number of seconds >= 1/],
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
  ])('%s', (_, props, error) => {
    expect(() => build(props)).toThrow(error);
  });

  test('a long keepalive_timeout is accepted when allowed, and the retirement phase grows with it', () => {
    const { n } = build({ keepaliveTimeout: Duration.seconds(30), allowLongKeepalive: true });
    expect(n.plan.phase('retire-keepalive').bound.toSeconds()).toBe(31);
    expect(n.nginxConf).toContain('keepalive_timeout 30s;');
  });
});

describe('GracefulNginx: the synthesized hooks, run for real', () => {
  const { objects } = gracefulPod();
  const pod = podFromManifests(objects);

  test('preStop and postStart pass shellcheck -s sh', () => {
    for (const cmd of [pod.preStop!, pod.postStart!]) {
      const r = shellcheck(cmd[2]);
      expect(r.output).toBe('');
    }
  });

  test.each(SHELLS)('preStop in %s stops a real nginx and returns once the master has exited', async shell => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-prestop-'));
    const p = new EmulatedPod('pod', pod, dir, await freePort());
    try {
      await p.start();
      const ready = path.join(p.dir, 'nginx-run', 'ready');
      for (let i = 0; i < 50 && !fs.existsSync(ready); i++) await new Promise(r => setTimeout(r, 100));
      expect(fs.existsSync(ready)).toBe(true); // postStart created it
      const r = await runScript(p.remap(pod.preStop![2]), { shell, env: { PATH: '/usr/sbin:/usr/bin:/bin' }, timeoutMs: 20_000 });
      expect(r.code).toBe(0);
      expect(fs.existsSync(ready)).toBe(false);
      expect(p.running).toBe(false);
      expect(r.messages).toEqual(expect.arrayContaining(['remove the readiness file: ok', 'keep-alive connections to port 8080: 0', 'nginx -s quit: ok', 'nginx master: 0', 'done']));
      // no load: the wait for propagation (3s) is the only wait
      expect(r.elapsedMs).toBeLessThan(6000);
    } finally {
      await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
