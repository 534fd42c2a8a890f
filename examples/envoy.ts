import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { GracefulEnvoyGateway } from 'cdk8s-graceful-shutdown';

/**
 * The field case: a Gloo-style gateway-proxy carrying ssh on `[::]:2222` next to HTTP on 8080.
 * Before, a rolling update cut every ssh session: the Gloo preStop failed the health check and
 * slept a fixed time, then Envoy got SIGTERM. Here, from one plan (docs/envoy.md shows it):
 * - t=0..4s   POST /healthcheck/fail and POST /drain_listeners?graceful on the loopback admin;
 * - t=4..14s  keep serving while readiness fails (5s x 2) and endpoint removal reaches kube-proxy
 *             and the load balancer (minDrain 10s);
 * - t=14s..   poll `listener.[__]_2222` + `listener.0.0.0.0_8080` `downstream_cx_active` (with the
 *             `server.live` sentinel) every second and return as soon as they are 0, at the latest
 *             after 1 day;
 * - then SIGTERM, Envoy exits; `terminationGracePeriodSeconds` follows the 1-day drain (86421).
 * Envoy runs with `--drain-time-s 86414 --drain-strategy immediate` from the same plan (t=0 to the
 * end of the drain phase), so HTTP keep-alive clients get `Connection: close` at once while ssh
 * sessions end on their own, and the listeners are never stopped while the preStop still polls.
 */
export class EnvoyGatewayChart extends Chart {
  /** The gateway. */
  public readonly gateway: GracefulEnvoyGateway;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.gateway = new GracefulEnvoyGateway(this, 'gateway-proxy', {
      image: 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0',
      args: ['--disable-hot-restart'],
      listeners: [
        { name: 'ssh', port: 2222, address: '::' },
        { name: 'http', port: 8080, servicePort: 80 },
      ],
      adminPort: 19000,
      adminAddress: '127.0.0.1',
      minDrain: Duration.seconds(10),
      maxDrain: Duration.days(1),
      envoyDrainFlags: true,
      replicas: 3,
    });
  }
}
