import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DerivationCache } from '../core';
import { ShutdownPlan } from '../plan';
import { PosixScript } from '../script';
import { GracefulWorkload, PreStopHook } from '../workload';
import { NginxCutOver } from './cut-over';
import { deriveGracefulNginx, MAX_KEEPALIVE_TIMEOUT_SECONDS } from './derive';
import { GracefulNginxProps, NginxPaths } from './props';
import { withConstructPath } from '../workload/errors';

/**
 * nginx, taken out of rotation before it stops, with keep-alive connections closed by nginx
 * rather than reset. One plan drives the readiness probe, the preStop, keepalive_time,
 * worker_shutdown_timeout and the grace period:
 *
 * 1. preStop removes the readiness file (readiness-file cut-over);
 * 2. waits `period x failureThreshold + propagation`, until no router sends new connections;
 * 3. waits until the keep-alive connections pinned to the pod have been closed by nginx
 *    (`keepalive_time` ends each after a `Connection: close` response), polling their count;
 * 4. `nginx -s quit`, then waits until the master has exited, bounded by the deadline.
 */
export class GracefulNginx extends Construct {
  /**
   * The default image: nginx's own unprivileged build, stable 1.26 on Alpine. It runs as uid 101
   * (so it passes runAsNonRoot), listens on 8080, declares `STOPSIGNAL SIGQUIT` (graceful) and has
   * `/bin/sh`, `rm`, `touch` and `test` (busybox). Sources: nginxinc/docker-nginx-unprivileged
   * `stable/alpine-slim/Dockerfile` (`NGINX_VERSION=1.26.2`, `STOPSIGNAL SIGQUIT`, `USER $UID` with
   * `UID=101`, `EXPOSE 8080`) and `.github/workflows/alpine-stable.yml`, which pushes the
   * `<major>.<minor>-alpine` tag. The official `nginx` image runs as root. Pin a digest in production.
   */
  public static readonly DEFAULT_IMAGE = 'nginxinc/nginx-unprivileged:1.26-alpine';
  /** The largest `keepaliveTimeout`, in seconds, accepted without `allowLongKeepalive`. */
  public static readonly MAX_KEEPALIVE_TIMEOUT_SECONDS = MAX_KEEPALIVE_TIMEOUT_SECONDS;

  /** The plan every timing comes from. */
  public readonly plan: ShutdownPlan;
  /**
   * The workload (Deployment, PDB, Service): this construct's default child (id `Default`), so the objects' names
   * and addresses are those of direct children (`<chart>-<id>-deployment-<hash>`).
   */
  public readonly workload: GracefulWorkload;
  /** The nginx container. */
  public readonly container: kplus.Container;
  /** The ConfigMap holding nginx.conf. */
  public readonly configMap: kplus.ConfigMap;
  /** The nginx.conf text. */
  public readonly nginxConf: string;
  /** The preStop script: already rendered, so sealed; nginx workloads with equal props share it. */
  public readonly preStopScript: PosixScript;
  /** The port nginx listens on. */
  public readonly port: number;
  /** `keepalive_timeout`, seconds. */
  public readonly keepaliveTimeoutSeconds: number;
  /** `keepalive_time`, seconds. */
  public readonly keepaliveTimeSeconds: number;
  /** `worker_shutdown_timeout`, seconds. */
  public readonly workerShutdownTimeoutSeconds: number;
  /** The cut-over mode. */
  public readonly cutOver: NginxCutOver;

  /**
   * @param scope the chart or construct to add nginx to
   * @param id the construct id; names the Deployment, ConfigMap, Service and budget
   * @param props the image, cut-over mode, keep-alive and drain timings, and server config
   */
  public constructor(scope: Construct, id: string, props: GracefulNginxProps = {}) {
    super(scope, id);
    // Validation, the plan, nginx.conf and the scripts are a pure function of the props: derived
    // once per distinct props value and shared by equal nginx workloads.
    const d = withConstructPath(this, () => DERIVATIONS.get(props, undefined));
    this.port = d.port;
    this.keepaliveTimeoutSeconds = d.keepaliveTimeoutSeconds;
    this.keepaliveTimeSeconds = d.keepaliveTimeSeconds;
    this.workerShutdownTimeoutSeconds = d.workerShutdownTimeoutSeconds;
    this.cutOver = d.cutOver;
    this.plan = d.plan;
    this.nginxConf = d.nginxConf;
    this.preStopScript = d.preStopScript;
    const { fileMode, period, threshold, uid, gid, servicePort } = d;

    // workload
    this.workload = new GracefulWorkload(this, 'Default', {
      plan: this.plan,
      replicas: props.replicas,
      kubernetesVersion: props.kubernetesVersion,
    });
    this.configMap = new kplus.ConfigMap(this, 'Config', { data: { 'nginx.conf': this.nginxConf } });
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'nginx-config' });
    const runVolume = kplus.Volume.fromEmptyDir(this, 'RunVolume', 'nginx-run');
    const tempVolume = kplus.Volume.fromEmptyDir(this, 'TempVolume', 'nginx-temp');

    const readiness = fileMode
      ? kplus.Probe.fromCommand(['test', '-f', NginxPaths.READY_FILE], { periodSeconds: Duration.seconds(period), failureThreshold: threshold })
      : kplus.Probe.fromTcpSocket({ port: this.port, periodSeconds: Duration.seconds(period), failureThreshold: threshold });

    this.container = this.workload.addContainer({
      name: 'nginx',
      image: props.image ?? GracefulNginx.DEFAULT_IMAGE,
      command: [...d.startCommand],
      portNumber: this.port,
      securityContext: { user: uid, group: gid, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      readiness,
      lifecycle: d.postStartCommand ? { postStart: kplus.Handler.fromCommand([...d.postStartCommand]) } : undefined,
      preStop: PreStopHook.script(this.preStopScript),
      volumeMounts: [
        { path: NginxPaths.CONFIG_DIR, volume: configVolume, readOnly: true },
        { path: NginxPaths.RUN_DIR, volume: runVolume },
        { path: NginxPaths.TEMP_DIR, volume: tempVolume },
      ],
    });

    if (props.exposeService ?? true) {
      this.workload.exposeViaService({ ports: [{ port: servicePort, targetPort: this.port }] });
    }
  }

  /** The Deployment. */
  public get deployment(): kplus.Deployment {
    return this.workload.deployment;
  }
}

const DERIVATIONS = new DerivationCache(deriveGracefulNginx);
