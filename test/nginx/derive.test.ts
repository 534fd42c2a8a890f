import { Duration } from 'cdk8s';
import { NginxCutOver, NginxPaths } from '../../src';
import { deriveGracefulNginx } from '../../src/nginx/derive';

// The derivation is a pure function of the props: no chart, no construct.
describe('deriveGracefulNginx (no chart)', () => {
  test('defaults: plan phases, grace period, nginx.conf timings and the preStop steps', () => {
    const d = deriveGracefulNginx({});
    // 0 deregister + (5s x 1 + 5s) propagate + (max(5, 3) + 1) retire + (10 + 1) quit + 2 margin
    expect(d.plan.terminationGracePeriodSeconds).toBe(29);
    expect(d.plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['deregister', 0], ['propagate', 10], ['retire-keepalive', 6], ['quit', 11], ['margin', 2]]);
    expect([d.port, d.servicePort, d.uid, d.gid]).toEqual([8080, 80, 101, 101]);
    expect(d.nginxConf).toMatch(/keepalive_timeout 3s;/);
    expect(d.nginxConf).toMatch(/keepalive_time 5s;/);
    expect(d.nginxConf).toMatch(/worker_shutdown_timeout 10s;/);
    const script = d.preStopScript.render();
    expect(script).toContain(`'rm' '-f' '${NginxPaths.READY_FILE}'`);
    expect(script.indexOf("'-s' 'quit'")).toBeGreaterThan(script.indexOf(`'rm' '-f' '${NginxPaths.READY_FILE}'`));
    expect(script).not.toContain("'-s' 'reload'");
    expect(d.postStartCommand).toBeDefined();
    expect(d.startCommand.join(' ')).toContain(NginxPaths.CONFIG_FILE);
  });

  test('endpoints-only cut-over with reload: no readiness file, a 1s reload phase, the reload in the preStop', () => {
    const d = deriveGracefulNginx({ cutOver: NginxCutOver.endpointsOnly(), reloadBeforeQuit: true, propagation: Duration.seconds(4) });
    expect(d.fileMode).toBe(false);
    expect(d.postStartCommand).toBeUndefined();
    expect(d.plan.phases.map(p => p.name)).toEqual(['propagate', 'retire-keepalive', 'reload', 'quit', 'margin']);
    expect(d.plan.phase('reload').bound.toSeconds()).toBe(1);
    const script = d.preStopScript.render();
    expect(script).not.toContain(NginxPaths.READY_FILE);
    expect(script.indexOf("'-s' 'reload'")).toBeGreaterThan(-1);
    expect(script.indexOf("'-s' 'quit'")).toBeGreaterThan(script.indexOf("'-s' 'reload'"));
  });

  test('bad input fails naming the property, the value and the fix', () => {
    expect(() => deriveGracefulNginx({ port: 70000 })).toThrow(/port 70000 is out of range/);
    expect(() => deriveGracefulNginx({ keepaliveTimeout: Duration.seconds(30) })).toThrow(/keepaliveTimeout 30s is above 10s.*allowLongKeepalive/);
    expect(() => deriveGracefulNginx({ runAsUser: 0 })).toThrow(/runAsUser 0 must be a whole number >= 1/);
  });
});
