import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioDrainedWorkload, IstioProtocol, IstioVersion } from '../src';

/**
 * The field case: an orders API in an Istio mesh, reached through ingress-nginx, whose proxy
 * drains for 60s. Without the construct, Kubernetes signals the app and its istio-proxy at once,
 * so the proxy can go away while the app still finishes requests and makes its own outbound calls,
 * and a 60s `terminationDrainDuration` under the default 30s grace period is cut by SIGKILL.
 *
 * Here, from one plan:
 * - t=0..10s  the app keeps serving while ingress-nginx, kube-proxy and the other sidecars learn
 *             that the pod is going (ingress-nginx syncs its upstreams from EndpointSlices);
 * - t=10..15s the app's preStop calls its own `POST /admin/shutdown`;
 * - t=15..35s the app gets SIGTERM and exits; istio-proxy is held by its preStop until the app's
 *             port 8080 is closed, so the app's outbound calls while stopping still work;
 * - then istio-proxy gets SIGTERM and pilot-agent drains for `terminationDrainDuration: 60s`;
 * - `terminationGracePeriodSeconds` is derived above all of it (97).
 */
export class IstioOrdersChart extends Chart {
  /** The workload. */
  public readonly workload: IstioDrainedWorkload;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.workload = new IstioDrainedWorkload(this, 'orders', {
      istioVersion: IstioVersion.of('1.22'),
      image: 'ghcr.io/example/orders:2.3.1',
      replicas: 3,
      ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'api', servicePort: 80 }],
      propagation: Duration.seconds(10),
      shutdownEndpoint: { path: '/admin/shutdown', timeout: Duration.seconds(5) },
      appShutdownTimeout: Duration.seconds(20),
      terminationDrainDuration: Duration.seconds(60),
      holdApplicationUntilProxyStarts: true,
    });
  }
}
