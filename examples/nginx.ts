import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { GracefulNginx, NginxCutOver } from 'cdk8s-graceful-shutdown';

/**
 * The field case for nginx: 2 replicas, a readiness file checked every 5s, taken out of rotation
 * before it stops; keep-alive connections are closed by nginx (keepalive_time), not reset.
 */
export class NginxChart extends Chart {
  public readonly nginx: GracefulNginx;
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.nginx = new GracefulNginx(this, 'web-nginx', {
      replicas: 2,
      cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(5), failureThreshold: 1 }),
      propagation: Duration.seconds(5),
      keepaliveTimeout: Duration.seconds(3),
      maxDrain: Duration.seconds(10),
    });
  }
}
