import { Duration } from 'cdk8s';
import { parse } from 'yaml';
import { IstioDrainedWorkloadProps, IstioProtocol, IstioVersion, KubernetesVersion } from '../../src';
import { deriveIstioDrainedWorkload } from '../../src/istio/derive';

const BASE: IstioDrainedWorkloadProps = {
  istioVersion: IstioVersion.V1_22,
  image: 'ghcr.io/example/orders:2.3.1',
  ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'web' }, { port: 9090, protocol: IstioProtocol.GRPC }],
};

// The derivation is a pure function of the props: no chart, no construct.
describe('deriveIstioDrainedWorkload (no chart)', () => {
  test('plan, grace period, proxy config and the two preStop scripts from the props', () => {
    const d = deriveIstioDrainedWorkload({
      ...BASE,
      propagation: Duration.seconds(10),
      shutdownEndpoint: { path: '/admin/shutdown', port: 8080, timeout: Duration.seconds(5) },
      appShutdownTimeout: Duration.seconds(20),
      terminationDrainDuration: Duration.seconds(60),
    });
    expect(d.plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['propagate', 10], ['app-shutdown', 5], ['stop', 20], ['proxy-drain', 60], ['margin', 2]]);
    expect(d.plan.terminationGracePeriodSeconds).toBe(10 + 5 + 20 + 60 + 2);
    expect(parse(d.proxyConfig)).toEqual({ terminationDrainDuration: '60s' });
    expect(d.annotations['proxy.istio.io/config']).toBe(d.proxyConfig);
    expect(d.native).toBe(false);
    // The app waits for propagation, then calls its shutdown endpoint, within propagate + app-shutdown.
    const app = d.appPreStop!.render();
    expect(app).toContain('gs_deadline=$((gs_start + 15))');
    expect(app).toContain("'http://127.0.0.1:8080/admin/shutdown'");
    // The declared istio-proxy is held until the end of the app's stop phase (t=35s).
    const hold = d.proxyPreStop!.render();
    expect(hold).toContain('gs_deadline=$((gs_start + 35))');
    expect(hold).toContain('holding istio-proxy until t=35s');
  });

  test('native sidecars: no proxy hold, the annotation says native', () => {
    const d = deriveIstioDrainedWorkload({ ...BASE, istioVersion: IstioVersion.of('1.24'), nativeSidecars: true, kubernetesVersion: KubernetesVersion.V1_29 });
    expect(d.native).toBe(true);
    expect(d.proxyPreStop).toBeUndefined();
    expect(d.annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
  });

  test('bad input fails naming the construct path given, the property, the value and the fix', () => {
    expect(() => deriveIstioDrainedWorkload({ ...BASE, ports: [] }, 'test/orders'))
      .toThrow(/^test\/orders: ports '\[\]' is empty: give at least one port/);
    expect(() => deriveIstioDrainedWorkload({ ...BASE, minimumDrainDuration: Duration.seconds(1) }))
      .toThrow(/^minimumDrainDuration 1s only applies with exitOnZeroActiveConnections: true/);
  });
});
