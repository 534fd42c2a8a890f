import { Duration } from 'cdk8s';
import { FIELD } from './field-props';
import { DrainListenersMode } from '../../src';
import { deriveGracefulEnvoyGateway } from '../../src/envoy/derive';


// The derivation is a pure function of the props: no chart, no construct.
describe('deriveGracefulEnvoyGateway (no chart)', () => {
  test('a 1-day drain: plan phases, grace period, the drain script calls in order and the deadline', () => {
    const d = deriveGracefulEnvoyGateway(FIELD);
    // deregister 2 calls x 2s + min-drain max(minDrain 5s, readiness 5s x 2) + drain 1d + stop 5s + margin 2s.
    expect(d.plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['deregister', 4], ['min-drain', 10], ['drain', 86400], ['stop', 5], ['margin', 2]]);
    expect(d.plan.terminationGracePeriodSeconds).toBe(4 + 10 + 86400 + 5 + 2);
    expect(d.adminUrl).toBe('http://127.0.0.1:19000');
    const script = d.drainScript.render();
    expect(script).toContain(`gs_deadline=$((gs_start + ${4 + 10 + 86400}))`);
    const fail = script.indexOf("'http://127.0.0.1:19000/healthcheck/fail'");
    const drain = script.indexOf("'http://127.0.0.1:19000/drain_listeners?graceful'");
    expect(fail).toBeGreaterThan(-1);
    expect(drain).toBeGreaterThan(fail);
    expect(d.envoyArgs).toEqual(['--disable-hot-restart']);
    expect(d.validated.sidecarPort).toBeUndefined();
  });

  test('envoyDrainFlags, bootstrap and no health-check fail: the drain time is the end of the drain phase', () => {
    const d = deriveGracefulEnvoyGateway({
      ...FIELD,
      bootstrap: 'static_resources: {}',
      envoyDrainFlags: true,
      failHealthCheck: false,
      drainListeners: DrainListenersMode.GRACEFUL_INBOUND_ONLY,
      minDrain: Duration.seconds(0),
      maxDrain: Duration.seconds(30),
    });
    expect(d.plan.phases.map(p => p.name)).toEqual(['deregister', 'drain', 'stop', 'margin']);
    expect(d.plan.terminationGracePeriodSeconds).toBe(2 + 30 + 5 + 2);
    expect(d.envoyArgs).toEqual(['--disable-hot-restart', '-c', '/etc/envoy/envoy.yaml', '--drain-time-s', '32', '--drain-strategy', 'immediate']);
    const script = d.drainScript.render();
    expect(script).not.toContain('healthcheck/fail');
    expect(script).toContain("'http://127.0.0.1:19000/drain_listeners?graceful&inboundonly'");
  });

  test('bad input fails naming the property, the value and the fix', () => {
    expect(() => deriveGracefulEnvoyGateway({ ...FIELD, adminPort: 0 })).toThrow(/adminPort 0 is out of range/);
    expect(() => deriveGracefulEnvoyGateway({ ...FIELD, drainManager: { port: 8080 } })).toThrow(/drainManager\.port 8080 is already used by listeners\[1\]\.port/);
    expect(() => deriveGracefulEnvoyGateway({ ...FIELD, maxDrain: Duration.seconds(2), pollInterval: Duration.seconds(5) })).toThrow(/maxDrain 2s is shorter than pollInterval 5s/);
  });
});
