import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IstioDrainedWorkload, IstioProtocol, IstioVersion } from 'cdk8s-graceful-shutdown';

/** The backend's address inside the pod: nginx proxies to it over loopback (not through Envoy). */
const BACKEND_PORT = 8000;

/**
 * The field case: an nginx-fronted orders API in an Istio mesh whose proxy drains for 60s. nginx
 * (the unprivileged image: uid 101, port 8080, `STOPSIGNAL SIGQUIT`) and the orders backend
 * (a gunicorn app on 127.0.0.1:8000) share the pod with the injected istio-proxy. Without the
 * construct, Kubernetes signals all three at once, so the proxy can go away while nginx still
 * finishes requests and the backend still makes its own outbound calls, and a 60s
 * `terminationDrainDuration` under the default 30s grace period is cut by SIGKILL.
 *
 * Here, from one plan:
 * - t=0..10s  nginx and the backend keep serving while ingresses, kube-proxy and the other
 *             sidecars learn that the pod is going;
 * - t=10..30s nginx gets SIGQUIT (graceful, `worker_shutdown_timeout` from the plan) and the
 *             backend SIGTERM (gunicorn's graceful stop, `--graceful-timeout` from the plan);
 *             istio-proxy is held by its preStop until ports 8080 and 8000 are closed and no
 *             connection out through the proxy is left, so outbound calls while stopping work;
 * - then istio-proxy gets SIGTERM and pilot-agent drains for `terminationDrainDuration: 60s`;
 * - `terminationGracePeriodSeconds` is derived above all of it (92).
 */
export class IstioOrdersChart extends Chart {
  /** The workload. */
  public readonly workload: IstioDrainedWorkload;
  /** nginx.conf, with its shutdown timeout read from the plan. */
  public readonly nginxConfig: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.workload = new IstioDrainedWorkload(this, 'orders', {
      istioVersion: IstioVersion.of('1.22'),
      containerName: 'nginx',
      image: 'nginxinc/nginx-unprivileged:1.26-alpine',
      securityContext: { user: 101, group: 101 },
      ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'web', servicePort: 80 }],
      additionalContainers: [{
        name: 'orders',
        image: 'ghcr.io/example/orders:2.3.1',
        ports: [{ port: BACKEND_PORT, protocol: IstioProtocol.HTTP, suffix: 'backend' }],
        securityContext: { user: 10001, group: 10001 },
      }],
      replicas: 3,
      propagation: Duration.seconds(10),
      appShutdownTimeout: Duration.seconds(20),
      terminationDrainDuration: Duration.seconds(60),
      holdApplicationUntilProxyStarts: true,
    });

    // Both app processes stop within the plan's `stop` phase: the timeouts are read from it.
    const stopSeconds = this.workload.plan.phase('stop').bound.toSeconds();
    this.workload.container('orders').env.addVariable('GUNICORN_CMD_ARGS',
      kplus.EnvValue.fromValue(`--bind 127.0.0.1:${BACKEND_PORT} --graceful-timeout ${stopSeconds}`));
    this.nginxConfig = new kplus.ConfigMap(this, 'nginx-conf', {
      data: { 'nginx.conf': nginxConf(stopSeconds) },
    });
    const nginx = this.workload.appContainer;
    nginx.mount('/etc/nginx/nginx.conf', kplus.Volume.fromConfigMap(this, 'nginx-conf-volume', this.nginxConfig), { subPath: 'nginx.conf', readOnly: true });
    // The root filesystem is read-only: pid file and temp files go to an emptyDir.
    nginx.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'nginx-tmp', 'nginx-tmp'));
  }
}

/** nginx in front of the backend; SIGQUIT lets in-flight requests finish within `stopSeconds`. */
function nginxConf(stopSeconds: number): string {
  return `worker_processes auto;
pid /tmp/nginx.pid;
error_log stderr warn;
worker_shutdown_timeout ${stopSeconds}s;
events {
  worker_connections 1024;
}
http {
  access_log /dev/stdout;
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  keepalive_timeout 15s;
  upstream orders {
    server 127.0.0.1:${BACKEND_PORT};
    keepalive 16;
  }
  server {
    listen 8080;
    location = /healthz {
      access_log off;
      return 200 "ok\\n";
    }
    location / {
      proxy_pass http://orders;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}
