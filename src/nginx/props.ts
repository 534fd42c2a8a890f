import { Duration } from 'cdk8s';
import { KubernetesVersion } from '../workload';
import { NginxCutOver } from './cut-over';
import type { GracefulNginx } from './graceful-nginx';

/**
 * Where GracefulNginx puts things inside the container. Each directory is its own volume: the
 * config directory a ConfigMap (read-only), the run and temp directories emptyDirs (writable, so
 * the root filesystem can stay read-only).
 */
export class NginxPaths {
  /** The ConfigMap with nginx.conf is mounted here. */
  public static readonly CONFIG_DIR = '/etc/nginx/graceful';
  /** nginx.conf inside `CONFIG_DIR`. */
  public static readonly CONFIG_FILE = '/etc/nginx/graceful/nginx.conf';
  /** emptyDir for the pid file and the readiness file. */
  public static readonly RUN_DIR = '/run/nginx';
  /** The pid file the preStop polls until the master has exited. A whole user config must set `pid` to it. */
  public static readonly PID_FILE = '/run/nginx/nginx.pid';
  /** The readiness file: postStart creates it, the probe tests it, preStop removes it. */
  public static readonly READY_FILE = '/run/nginx/ready';
  /** emptyDir for client_body_temp, proxy_temp, ... */
  public static readonly TEMP_DIR = '/var/cache/nginx';

  private constructor() {}
}

/** Props of a {@link GracefulNginx}. */
export interface GracefulNginxProps {
  /**
   * The nginx image. It must run nginx >= 1.19.10 (`keepalive_time`) and have `/bin/sh`.
   * @default GracefulNginx.DEFAULT_IMAGE (nginxinc/nginx-unprivileged:1.26-alpine: uid 101, port 8080, STOPSIGNAL SIGQUIT)
   */
  readonly image?: string;
  /**
   * The port nginx listens on (the generated server block and the probes use it).
   * @default 8080
   */
  readonly port?: number;
  /**
   * The uid nginx runs as. Must not be 0 (the pod runs with runAsNonRoot).
   * @default 101 (the unprivileged image's nginx user)
   */
  readonly runAsUser?: number;
  /**
   * The gid nginx runs as.
   * @default 101
   */
  readonly runAsGroup?: number;
  /**
   * Number of replicas.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * The Kubernetes version the manifests target.
   * @default KubernetesVersion.V1_28
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /**
   * How the pod is taken out of rotation.
   * @default NginxCutOver.readinessFile() (period 5s, failureThreshold 1)
   */
  readonly cutOver?: NginxCutOver;
  /**
   * How long endpoint removal takes to reach kube-proxy, ingresses and load balancers.
   * @default Duration.seconds(5)
   */
  readonly propagation?: Duration;
  /**
   * The whole wait between removing the readiness file and the keep-alive retirement. Must be
   * longer than the probe window (period x failureThreshold).
   * @default derived: period x failureThreshold + propagation (endpoints-only: propagation)
   */
  readonly cutOverWait?: Duration;
  /**
   * `keepalive_timeout`: how long idle keep-alive connections stay open. Above 10s is refused
   * unless `allowLongKeepalive` is set; the keep-alive retirement phase grows with it.
   * @default Duration.seconds(3)
   */
  readonly keepaliveTimeout?: Duration;
  /**
   * Accept a `keepaliveTimeout` above 10s.
   * @default false
   */
  readonly allowLongKeepalive?: boolean;
  /**
   * `keepalive_time`: the longest a keep-alive connection lives; nginx then closes it after a
   * response carrying `Connection: close`. Must be below the cut-over wait.
   * @default derived: the propagation, at most the cut-over wait minus 1s, at least 1s
   */
  readonly keepaliveTime?: Duration;
  /**
   * `worker_shutdown_timeout`: how long in-flight requests may run after `nginx -s quit`.
   * @default Duration.seconds(10)
   */
  readonly maxDrain?: Duration;
  /**
   * Send `nginx -s reload` and pause 1s before `nginx -s quit` (the field recipe). Measured
   * with real nginx under keep-alive load (docs/nginx.md), it adds nothing once keep-alive
   * connections have been retired by `keepalive_time`, and costs a second.
   * @default false
   */
  readonly reloadBeforeQuit?: boolean;
  /**
   * Slack before SIGKILL.
   * @default Duration.seconds(2)
   */
  readonly margin?: Duration;
  /**
   * A grace period to pin instead of deriving it.
   * @default derived from the plan
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Server blocks to put inside the generated `http {}`. A `keepalive_timeout` or
   * `keepalive_time` they set is checked against the plan.
   * @default one server on `port` serving /usr/share/nginx/html and /healthz
   */
  readonly servers?: string;
  /**
   * A whole nginx.conf instead of the generated one. It must set keepalive_timeout,
   * keepalive_time and worker_shutdown_timeout within the plan and `pid /run/nginx/nginx.pid`.
   * @default the generated config
   */
  readonly config?: string;
  /**
   * The Service port. Set `exposeService: false` for no Service.
   * @default 80
   */
  readonly servicePort?: number;
  /**
   * Whether to create a Service.
   * @default true
   */
  readonly exposeService?: boolean;
  /**
   * Whether nginx writes an access log to stdout.
   * @default true
   */
  readonly accessLog?: boolean;
}
