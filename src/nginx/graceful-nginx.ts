import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { PollProbe, PosixScript, Step } from '../script';
import { GracefulWorkload, KubernetesVersion, PreStopHook } from '../workload';
import { establishedConnectionsProbe, readyFileOnceListeningProbe } from './connections-probe';
import { NginxCutOver } from './cut-over';
import { assertPort, checkUserNginxConf, renderNginxConfCached } from './nginx-conf';
import { nginxStartCommand } from './start-command';
import { checkWholeSeconds, DerivationCache } from '../core';
import { withConstructPath } from '../workload/errors';

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

/** How long the postStart waits for nginx to listen before it gives up (and leaves the pod unready). */
const POST_START_WAIT_SECONDS = 30;

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
  public static readonly MAX_KEEPALIVE_TIMEOUT_SECONDS = 10;

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

/** What a GracefulNginx derives from its props alone. */
interface Derived {
  readonly port: number;
  readonly servicePort: number;
  readonly uid: number;
  readonly gid: number;
  readonly cutOver: NginxCutOver;
  readonly fileMode: boolean;
  readonly period: number;
  readonly threshold: number;
  readonly keepaliveTimeoutSeconds: number;
  readonly keepaliveTimeSeconds: number;
  readonly workerShutdownTimeoutSeconds: number;
  readonly plan: ShutdownPlan;
  readonly nginxConf: string;
  /** Sealed (rendered). */
  readonly preStopScript: PosixScript;
  /** The postStart exec command in readiness-file mode (frozen). */
  readonly postStartCommand?: string[];
  /** The container command (frozen). */
  readonly startCommand: string[];
}

function derive(props: GracefulNginxProps): Derived {
  const fail = (property: string, value: unknown, fix: string): never => {
    throw new Error(`${property} ${value} ${fix}`);
  };
  const seconds = (property: string, d: Duration, min: number): number => {
    return checkWholeSeconds(d, property, min, "nginx and the preStop's sleeps work in seconds");
  };

  const port = props.port ?? 8080;
  try {
    assertPort(port, 'port');
  } catch (e) {
    fail('port', port, 'is out of range: use 1-65535.');
  }
  const servicePort = props.servicePort ?? 80;
  if (!Number.isInteger(servicePort) || servicePort < 1 || servicePort > 65535) fail('servicePort', servicePort, 'is out of range: use 1-65535.');
  const uid = props.runAsUser ?? 101;
  if (!Number.isInteger(uid) || uid < 1) fail('runAsUser', uid, 'must be a whole number >= 1: the pod runs with runAsNonRoot (uid 101 is the unprivileged image\'s nginx user).');
  const gid = props.runAsGroup ?? 101;
  if (!Number.isInteger(gid) || gid < 0) fail('runAsGroup', gid, 'must be a whole number >= 0.');
  if (props.servers !== undefined && props.config !== undefined) {
    throw new Error('set servers or config, not both (config is a whole nginx.conf, servers go inside the generated one).');
  }

  const cutOver = props.cutOver ?? NginxCutOver.readinessFile();
  const fileMode = cutOver.usesReadinessFile;
  const period = seconds('cutOver period', cutOver.period, 1);
  const threshold = cutOver.failureThreshold;
  if (!Number.isInteger(threshold) || threshold < 1) fail('cutOver failureThreshold', threshold, 'must be a whole number >= 1.');
  const window = fileMode ? period * threshold : 0;
  const propagation = seconds('propagation', props.propagation ?? Duration.seconds(5), 0);
  let wait: number;
  if (props.cutOverWait) {
    wait = seconds('cutOverWait', props.cutOverWait, 1);
    if (wait <= window) {
      fail('cutOverWait', `${wait}s`, `is not longer than the readiness probe window (${period}s x ${threshold} = ${window}s): routers would still send new connections when nginx stops. Use at least ${window + 1}s, or leave it unset to derive ${window + propagation}s.`);
    }
  } else {
    if (propagation < 1) {
      fail('propagation', `${propagation}s`, 'leaves no time for endpoint removal to reach kube-proxy, ingresses and load balancers: use at least 1s.');
    }
    wait = window + propagation;
  }

  const keepaliveTimeoutSeconds = seconds('keepaliveTimeout', props.keepaliveTimeout ?? Duration.seconds(3), 0);
  if (keepaliveTimeoutSeconds > GracefulNginx.MAX_KEEPALIVE_TIMEOUT_SECONDS && !props.allowLongKeepalive) {
    fail('keepaliveTimeout', `${keepaliveTimeoutSeconds}s`, `is above ${GracefulNginx.MAX_KEEPALIVE_TIMEOUT_SECONDS}s: every idle connection must be closed before nginx stops, so the drain grows with it. Lower it, or set allowLongKeepalive: true.`);
  }
  if (!props.keepaliveTime && wait < 2) {
    fail(props.cutOverWait ? 'cutOverWait' : 'propagation', `${props.cutOverWait ? wait : propagation}s`, `leaves a cut-over wait of ${wait}s, too short for keepalive_time (at least 1s, and below the wait): ${props.cutOverWait ? 'use at least 2s' : `use at least ${2 - window}s`}, or set keepaliveTime.`);
  }
  const derivedTime = Math.max(1, Math.min(propagation, wait - 1));
  const keepaliveTimeSeconds = props.keepaliveTime ? seconds('keepaliveTime', props.keepaliveTime, 1) : derivedTime;
  if (keepaliveTimeSeconds >= wait) {
    fail('keepaliveTime', `${keepaliveTimeSeconds}s`, `is not below the cut-over wait (${wait}s): connections pinned to the pod must be able to leave by keepalive_time soon after it leaves rotation. Use at most ${wait - 1}s.`);
  }
  const workerShutdownTimeoutSeconds = seconds('maxDrain', props.maxDrain ?? Duration.seconds(10), 1);
  const reload = props.reloadBeforeQuit ?? false;

  // Keep-alive retirement: every connection still pinned when the pod leaves rotation is closed
  // by nginx within keepalive_time (busy) or keepalive_timeout (idle), plus one response.
  const retire = Math.max(keepaliveTimeSeconds, keepaliveTimeoutSeconds) + 1;
  const stop = workerShutdownTimeoutSeconds + 1;
  const phases: ShutdownPhaseProps[] = [];
  if (fileMode) {
    phases.push({ kind: PhaseKind.DEREGISTER, description: 'remove the readiness file', bound: Duration.seconds(0) });
  }
  phases.push({
    kind: PhaseKind.PROPAGATE,
    description: fileMode
      ? `readiness probe fails (${period}s x ${threshold}) and endpoint removal propagates (${propagation}s)`
      : 'wait for endpoint removal to reach every proxy and load balancer',
    bound: Duration.seconds(wait),
    boundProperty: props.cutOverWait ? 'cutOverWait' : 'propagation',
  });
  phases.push({
    kind: PhaseKind.DRAIN,
    name: 'retire-keepalive',
    description: `keep-alive connections leave: nginx closes each after its next response (keepalive_time ${keepaliveTimeSeconds}s) or when idle (keepalive_timeout ${keepaliveTimeoutSeconds}s)`,
    bound: Duration.seconds(retire),
    endsEarly: true,
    // The error for a pinned grace period names whichever of the two sets this bound.
    boundProperty: keepaliveTimeoutSeconds > keepaliveTimeSeconds ? 'keepaliveTimeout' : 'keepaliveTime',
  });
  if (reload) {
    phases.push({ kind: PhaseKind.DRAIN, name: 'reload', description: 'nginx -s reload; old workers answer Connection: close', bound: Duration.seconds(1), inPreStop: true });
  }
  phases.push({
    kind: PhaseKind.STOP,
    name: 'quit',
    description: `nginx -s quit; in-flight requests finish (worker_shutdown_timeout ${workerShutdownTimeoutSeconds}s); wait for the master to exit`,
    bound: Duration.seconds(stop),
    endsEarly: true,
    inPreStop: true,
    boundProperty: 'maxDrain',
  });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: props.margin ?? Duration.seconds(2), boundProperty: 'margin' });
  const plan = new ShutdownPlan({ phases, terminationGracePeriod: props.terminationGracePeriod });

  // nginx.conf
  const limits = { maxKeepaliveTimeoutSeconds: keepaliveTimeoutSeconds, maxKeepaliveTimeSeconds: keepaliveTimeSeconds };
  let nginxConf: string;
  if (props.config !== undefined) {
    const problems = checkUserNginxConf(props.config, {
      ...limits,
      wholeConfig: { maxWorkerShutdownTimeoutSeconds: workerShutdownTimeoutSeconds, pidFile: NginxPaths.PID_FILE },
    });
    if (problems.length > 0) throw new Error(`config does not fit the shutdown plan: ${problems.join('; ')}.`);
    nginxConf = props.config;
  } else {
    if (props.servers !== undefined) {
      const problems = checkUserNginxConf(props.servers, limits);
      if (problems.length > 0) throw new Error(`servers do not fit the shutdown plan: ${problems.join('; ')}.`);
    }
    nginxConf = renderNginxConfCached({
      port,
      keepaliveTimeoutSeconds,
      keepaliveTimeSeconds,
      workerShutdownTimeoutSeconds,
      pidFile: NginxPaths.PID_FILE,
      tempDir: NginxPaths.TEMP_DIR,
      servers: props.servers,
      accessLog: props.accessLog,
    });
  }

  // preStop
  const nginx = (signal: string) => ['nginx', '-e', 'stderr', '-c', NginxPaths.CONFIG_FILE, '-s', signal];
  const script = new PosixScript({ name: 'nginx-prestop', deadline: plan.preStopDeadline });
  if (fileMode) script.add(Step.run(['rm', '-f', NginxPaths.READY_FILE], 'remove the readiness file'));
  script.add(
    Step.sleepUntil(plan.endOf('propagate'), fileMode ? 'readiness fails and endpoint removal propagates' : 'endpoint removal propagates'),
    Step.pollUntilZero({
      probe: establishedConnectionsProbe(port),
      until: plan.endOf('retire-keepalive'),
      description: `keep-alive connections to port ${port}`,
    }),
  );
  if (reload) {
    script.add(Step.run(nginx('reload'), 'nginx -s reload'), Step.sleep(plan.phase('reload').bound, 'old workers answer Connection: close'));
  }
  script.add(
    Step.run(nginx('quit'), 'nginx -s quit'),
    Step.pollUntilZero({ probe: PollProbe.processAlive(NginxPaths.PID_FILE), until: plan.endOf('quit'), description: 'nginx master' }),
  );

  script.render();

  // postStart: the readiness file appears only once nginx listens. The container command has
  // removed the previous run's file first (the emptyDir survives restarts).
  const postStart = fileMode ? new PosixScript({ name: 'nginx-poststart', deadline: Duration.seconds(POST_START_WAIT_SECONDS) })
    .add(
      Step.pollUntilZero({
        probe: readyFileOnceListeningProbe(port, NginxPaths.READY_FILE),
        until: Duration.seconds(POST_START_WAIT_SECONDS - 1),
        description: `nginx not listening on port ${port} (then create the readiness file)`,
      }),
      Step.whenPollDidNotReachZero([Step.log(`nginx does not listen on port ${port}: no readiness file, the pod stays unready`)]),
    ) : undefined;
  const nginxArgv = ['nginx', '-e', 'stderr', '-c', NginxPaths.CONFIG_FILE, '-g', 'daemon off;'];
  const startCommand = nginxStartCommand(nginxArgv, fileMode ? [NginxPaths.READY_FILE, NginxPaths.PID_FILE] : [NginxPaths.PID_FILE]);
  return {
    port,
    servicePort,
    uid,
    gid,
    cutOver,
    fileMode,
    period,
    threshold,
    keepaliveTimeoutSeconds,
    keepaliveTimeSeconds,
    workerShutdownTimeoutSeconds,
    plan,
    nginxConf,
    preStopScript: script,
    postStartCommand: postStart ? Object.freeze(postStart.toCommand()) as string[] : undefined,
    startCommand: Object.freeze(startCommand) as string[],
  };
}

const DERIVATIONS = new DerivationCache(derive);
