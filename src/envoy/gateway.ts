import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { ceilSeconds, formatMillis } from '../plan/duration-format';
import { HttpMethod, PosixScript, ShellWord, Step } from '../script';
import {
  DRAIN_DONE_FILE, DRAIN_MANAGER_DIR, DRAIN_MANAGER_STATE, DRAIN_MANAGER_WWW, DRAIN_PATH, READY_PATH,
  renderDrainCgi, renderReadyCgi,
} from './drain-manager';
import { EnvoyProbe } from './probe';
import { adminCallHost, assertPort, assertStatPrefix, canonicalAddress, reachableFromKubelet } from './stat-names';
import { DrainSelection, DrainTarget } from './stats';
import { checkPresent, checkText, checkWholeSeconds, DerivationCache } from '../core';
import { withConstructPath } from '../workload/errors';
import { GracefulWorkload } from '../workload/graceful-workload';
import { KubernetesVersion } from '../workload/kubernetes-version';
import { PreStopHook } from '../workload/prestop-hook';

/** A listener of the gateway. */
export interface EnvoyListener {
  /** Port name, for the container port and the Service (lower-case, at most 15 characters). */
  readonly name: string;
  /** The port the listener binds in the pod. */
  readonly port: number;
  /**
   * The listener's bind address in the Envoy config; it names the listener's stats.
   * @default '0.0.0.0'
   */
  readonly address?: string;
  /**
   * The listener's `stat_prefix`, when its config sets one (it then replaces the address in stat names).
   * @default none: stats are named after address and port
   */
  readonly statPrefix?: string;
  /**
   * The Service port.
   * @default the listener port
   */
  readonly servicePort?: number;
  /**
   * Whether termination waits for this listener's connections.
   * @default true
   */
  readonly drain?: boolean;
}

/** What the preStop asks Envoy's listeners to do. */
export enum DrainListenersMode {
  /** `POST /drain_listeners?graceful`: drain every listener for `--drain-time-s`, then stop them. */
  GRACEFUL = 'graceful',
  /** `POST /drain_listeners?graceful&inboundonly`: only listeners with `traffic_direction: INBOUND`. */
  GRACEFUL_INBOUND_ONLY = 'graceful&inboundonly',
  /** No drain_listeners call: connections end on their own (and healthcheck/fail, if on). */
  NONE = 'none',
}

/** Options of the drain-manager sidecar, for Envoy images without a shell. */
export interface DrainManagerOptions {
  /**
   * The sidecar image: needs busybox `sh`, `httpd`, `wget`, `sleep` and `date`.
   * @default 'busybox:1.36'
   */
  readonly image?: string;
  /**
   * The port the sidecar's httpd listens on (the kubelet calls it for preStop and readiness).
   * @default 19002 (Envoy Gateway's shutdown-manager port)
   */
  readonly port?: number;
}

/** Props of a {@link GracefulEnvoyGateway}. */
export interface GracefulEnvoyGatewayProps {
  /** The Envoy image (e.g. Gloo's `quay.io/solo-io/gloo-envoy-wrapper`). */
  readonly image: string;
  /**
   * Envoy's arguments (Gloo: `--disable-hot-restart`).
   * @default none
   */
  readonly args?: string[];
  /**
   * Envoy's bootstrap YAML. When given it goes into a ConfigMap mounted at `/etc/envoy/envoy.yaml`,
   * and `-c /etc/envoy/envoy.yaml` is added unless `args` already give a config path.
   * @default none: the image's own config
   */
  readonly bootstrap?: string;
  /** The listeners: container ports, Service ports and (by default) what the drain waits for. */
  readonly listeners: EnvoyListener[];
  /**
   * The admin port.
   * @default 19000 (Gloo's gateway-proxy)
   */
  readonly adminPort?: number;
  /**
   * The admin bind address. On loopback (Gloo's default) the kubelet cannot reach it, so readiness
   * runs `wget` inside the container, or goes through the drain-manager sidecar.
   * @default '127.0.0.1'
   */
  readonly adminAddress?: string;
  /**
   * What the drain waits for.
   * @default every listener whose `drain` is not false, by address and port (or stat prefix)
   */
  readonly drainTargets?: DrainTarget[];
  /**
   * Whether the preStop first calls `POST /healthcheck/fail`, so load balancers that health-check
   * Envoy (through its `health_check` filter) stop sending traffic.
   * @default true
   */
  readonly failHealthCheck?: boolean;
  /**
   * The drain_listeners call.
   * @default DrainListenersMode.GRACEFUL
   */
  readonly drainListeners?: DrainListenersMode;
  /**
   * How long each admin call (healthcheck/fail, drain_listeners, one /stats read) may take.
   * @default Duration.seconds(2)
   */
  readonly adminCallTimeout?: Duration;
  /**
   * The least time to keep serving after the deregister calls, while endpoint removal reaches
   * kube-proxy and load balancers, and load balancers that health-check Envoy notice
   * `/healthcheck/fail` (Envoy Gateway's minDrainDuration). The min-drain phase lasts the larger of
   * this and the readiness window (`readinessPeriod` × `readinessFailureThreshold`, when
   * `failHealthCheck` and `readiness` are on). Zero, with no readiness window, leaves it out.
   * @default Duration.seconds(5)
   */
  readonly minDrain?: Duration;
  /**
   * The longest to wait for the selected listeners' connections to end; the wait ends as soon as
   * they are 0. Hours or a day for long-lived connections (ssh); the grace period follows.
   * @default Duration.seconds(60)
   */
  readonly maxDrain?: Duration;
  /**
   * How often the connection count is read.
   * @default Duration.seconds(1)
   */
  readonly pollInterval?: Duration;
  /**
   * How long Envoy takes to exit after SIGTERM.
   * @default Duration.seconds(5)
   */
  readonly stopTimeout?: Duration;
  /**
   * Slack before SIGKILL.
   * @default Duration.seconds(2)
   */
  readonly margin?: Duration;
  /**
   * A grace period to pin; it must fit the plan.
   * @default derived from the plan
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Append `--drain-time-s <end of the drain phase>` and `--drain-strategy immediate` to Envoy's
   * arguments. The drain time runs from t=0 (the earliest `drain_listeners` can be sent) to the end
   * of the drain phase, so Envoy never stops its listeners while the preStop still polls. Immediate:
   * every HTTP response during the drain carries `Connection: close` (HTTP/2 GOAWAY) at once,
   * instead of a share rising over the drain time (Envoy Gateway #4205).
   * @default false
   */
  readonly envoyDrainFlags?: boolean;
  /**
   * Run the drain in a sidecar, for Envoy images without a shell: the Envoy container's preStop
   * is an `httpGet` to the sidecar, which answers once drained.
   * @default no sidecar: the preStop is a POSIX sh script in the Envoy container (needs `sh` and
   * `wget` or `curl` in the image, as Gloo's does)
   */
  readonly drainManager?: DrainManagerOptions;
  /**
   * The Service type.
   * @default kplus.ServiceType.LOAD_BALANCER (Gloo's gateway-proxy)
   */
  readonly serviceType?: kplus.ServiceType;
  /**
   * Whether Envoy's `/ready` is the readiness probe.
   * @default true
   */
  readonly readiness?: boolean;
  /**
   * The readiness probe's period. After the preStop's `/healthcheck/fail`, `/ready` answers 503
   * `DRAINING`, and the kubelet marks the pod not ready (not "serving") within `readinessPeriod` ×
   * `readinessFailureThreshold`. Until then Kubernetes may still route to the terminating pod when
   * no other endpoint is ready, so the min-drain phase lasts at least that window.
   * @default Duration.seconds(5)
   */
  readonly readinessPeriod?: Duration;
  /**
   * Consecutive failed `/ready` calls before the pod is not ready (see `readinessPeriod`).
   * @default 2 (one slow admin answer under load does not take a gateway out of rotation)
   */
  readonly readinessFailureThreshold?: number;
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
   * The Envoy container's security context.
   * @default non-root (uid 10101, Gloo's), read-only root filesystem, no privilege escalation
   */
  readonly securityContext?: kplus.ContainerSecurityContextProps;
}

const GLOO_UID = 10101;
const NOBODY = 65534;
const BOOTSTRAP_PATH = '/etc/envoy/envoy.yaml';

/**
 * An Envoy gateway-proxy Deployment (Gloo-style: you bring image, args or bootstrap, listener
 * ports and admin port) whose termination waits exactly as long as connections live: the preStop
 * fails the health check, drains the listeners, and polls the selected listeners'
 * `downstream_cx_active` every `pollInterval`, returning at 0 or at `maxDrain`. Every timing
 * (grace period, preStop deadline, sleeps, Envoy's `--drain-time-s`) comes from one plan.
 */
export class GracefulEnvoyGateway extends Construct {
  /** The plan. */
  public readonly plan: ShutdownPlan;
  /**
   * The workload (Deployment, PDB, Service): this construct's default child (id `Default`), so the objects' names
   * and addresses are those of direct children (`<chart>-<id>-deployment-<hash>`).
   */
  public readonly workload: GracefulWorkload;
  /** What the drain waits for. */
  public readonly drainSelection: DrainSelection;
  /**
   * The drain script (runs in the Envoy container's preStop, or in the drain-manager sidecar).
   * Already rendered, so sealed: gateways with equal props share it.
   */
  public readonly drainScript: PosixScript;
  /** Envoy's arguments as rendered (frozen: gateways with equal props share them). */
  public readonly envoyArgs: string[];
  /** The Envoy container. */
  public readonly envoy: kplus.Container;
  /** The drain-manager sidecar, in sidecar mode. */
  public readonly drainManager?: kplus.Container;

  private readonly readinessTimeoutSeconds: number;

  /**
   * @param scope the chart or construct to add the gateway to
   * @param id the construct id; names the Deployment, Service and budget
   * @param props the image, listeners, admin endpoint and drain timings
   */
  public constructor(scope: Construct, id: string, props: GracefulEnvoyGatewayProps) {
    super(scope, id);
    // Validation, the plan, the drain script and Envoy's arguments are a pure function of the
    // props: derived once per distinct props value and shared by equal gateways.
    const d = withConstructPath(this, () => DERIVATIONS.get(props, undefined));
    const v = d.validated;
    this.plan = d.plan;
    this.drainSelection = v.selection;
    this.readinessTimeoutSeconds = v.adminCallTimeout.toSeconds();
    this.drainScript = d.drainScript;
    this.envoyArgs = d.envoyArgs;
    const adminUrl = d.adminUrl;
    const script = d.drainScript;

    this.workload = new GracefulWorkload(this, 'Default', {
      plan: this.plan,
      replicas: props.replicas,
      kubernetesVersion: props.kubernetesVersion,
    });

    const volumeMounts: kplus.VolumeMount[] = [];
    if (props.bootstrap !== undefined) {
      const cm = new kplus.ConfigMap(this, 'Bootstrap', { data: { 'envoy.yaml': props.bootstrap } });
      volumeMounts.push({ path: '/etc/envoy', volume: kplus.Volume.fromConfigMap(this, 'BootstrapVolume', cm), readOnly: true });
    }

    const sidecarPort = v.sidecarPort;
    const readiness = v.readiness ? readinessProbe(v, sidecarPort) : undefined;
    this.envoy = this.workload.addContainer({
      name: 'envoy',
      image: props.image,
      args: [...this.envoyArgs],
      ports: [
        ...props.listeners.map(l => ({ number: l.port, name: l.name })),
        ...(reachableFromKubelet(v.adminAddress) ? [{ number: v.adminPort, name: 'admin' }] : []),
      ],
      readiness,
      volumeMounts,
      securityContext: props.securityContext ?? {
        ensureNonRoot: true, user: GLOO_UID, group: GLOO_UID, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      },
      preStop: sidecarPort ? PreStopHook.httpGet(DRAIN_PATH, { port: sidecarPort }) : PreStopHook.script(script),
    });

    if (props.drainManager && sidecarPort) {
      this.drainManager = this.addDrainManager(props.drainManager, sidecarPort, adminUrl, script);
    }

    this.workload.exposeViaService({
      serviceType: props.serviceType ?? kplus.ServiceType.LOAD_BALANCER,
      ports: props.listeners.map(l => ({ name: l.name, port: l.servicePort ?? l.port, targetPort: l.port })),
    });
  }

  private addDrainManager(options: DrainManagerOptions, port: number, adminUrl: string, script: PosixScript): kplus.Container {
    const plan = this.plan;
    const cm = new kplus.ConfigMap(this, 'DrainManagerScripts', {
      data: {
        'drain.sh': script.render(),
        'drain.cgi': renderDrainCgi({ scriptPath: `${DRAIN_MANAGER_DIR}/drain.sh`, stateDir: DRAIN_MANAGER_STATE, waitSeconds: script.deadlineSeconds }),
        'ready.cgi': renderReadyCgi(`${adminUrl}/ready`, this.readinessTimeoutSeconds),
      },
    });
    const scripts = kplus.Volume.fromConfigMap(this, 'DrainManagerVolume', cm, {
      defaultMode: 0o555,
      items: {
        'drain.sh': { path: 'drain.sh' },
        'drain.cgi': { path: `www${DRAIN_PATH}` },
        'ready.cgi': { path: `www${READY_PATH}` },
      },
    });
    const state = kplus.Volume.fromEmptyDir(this, 'DrainManagerState', 'drain-manager-state');
    // As an ordinary container (before 1.29) the sidecar gets SIGTERM at t=0 unless its own preStop
    // holds it until the drain it serves has ended. A native sidecar stops after Envoy anyway.
    const hold = this.workload.usesNativeSidecars ? undefined : PreStopHook.script(
      new PosixScript({ name: 'drain-manager-hold', deadline: plan.preStopDeadline })
        .add(Step.pollUntilZero({ probe: EnvoyProbe.fileExists(DRAIN_DONE_FILE, 'drain still running'), until: plan.preStopDeadline })),
    );
    return this.workload.addSidecar({
      name: 'drain-manager',
      image: options.image ?? 'busybox:1.36',
      command: ['httpd', '-f', '-p', String(port), '-h', DRAIN_MANAGER_WWW],
      ports: [{ number: port, name: 'drain-manager' }],
      volumeMounts: [
        { path: DRAIN_MANAGER_DIR, volume: scripts, readOnly: true },
        { path: DRAIN_MANAGER_STATE, volume: state },
      ],
      securityContext: { ensureNonRoot: true, user: NOBODY, group: NOBODY, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) } },
      preStop: hold,
    });
  }
}

/** What a gateway derives from its props alone. */
interface Derived {
  readonly validated: Validated;
  readonly plan: ShutdownPlan;
  readonly adminUrl: string;
  /** Sealed (rendered). */
  readonly drainScript: PosixScript;
  /** Frozen. */
  readonly envoyArgs: string[];
}

function derive(props: GracefulEnvoyGatewayProps): Derived {
  const v = validate(props);
  const plan = buildPlan(props, v);
  const adminUrl = `http://${adminCallHost(v.adminAddress)}:${v.adminPort}`;
  const timeout = v.adminCallTimeout;
  const script = new PosixScript({ name: 'envoy-drain', deadline: plan.preStopDeadline });
  if (v.failHealthCheck) {
    script.add(Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${adminUrl}/healthcheck/fail`), timeout, description: 'POST /healthcheck/fail (load balancers stop sending)' }));
  }
  if (v.drainListeners !== DrainListenersMode.NONE) {
    script.add(Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${adminUrl}/drain_listeners?${v.drainListeners}`), timeout, description: `POST /drain_listeners?${v.drainListeners}` }));
  }
  if (plan.tryPhase('min-drain')) {
    // Counted from when the deregister calls returned (the readiness window starts at
    // /healthcheck/fail), not from the phase's fixed start: it ends no later than the plan says,
    // and does not add the unused part of the calls' timeouts to every termination.
    const minDrain = plan.phase('min-drain');
    script.add(Step.sleep(minDrain.bound, `min-drain: ${minDrain.description}`));
  }
  script.add(
    Step.pollUntilZero({
      probe: EnvoyProbe.activeConnections({ selection: v.selection, adminUrl, timeout }),
      interval: v.pollInterval,
      until: plan.endOf('drain'),
    }),
    Step.whenPollDidNotReachZero([Step.log(`maxDrain (${formatMillis(plan.phase('drain').bound.toMilliseconds())}) reached: Envoy closes the connections left at SIGTERM`)]),
  );
  script.render();
  return { validated: v, plan, adminUrl, drainScript: script, envoyArgs: Object.freeze(envoyArgs(props, plan, v)) as string[] };
}

const DERIVATIONS = new DerivationCache(derive);

interface Validated {
  readonly adminPort: number;
  readonly adminAddress: string;
  readonly selection: DrainSelection;
  readonly failHealthCheck: boolean;
  readonly drainListeners: DrainListenersMode;
  readonly adminCallTimeout: Duration;
  readonly pollInterval: Duration;
  readonly readiness: boolean;
  readonly readinessPeriod: Duration;
  readonly readinessFailureThreshold: number;
  readonly sidecarPort?: number;
}

const PORT_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function validate(props: GracefulEnvoyGatewayProps): Validated {
  checkText(props?.image, 'image', 'the Envoy image', 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0');
  checkPresent(props.listeners, 'listeners', 'give at least one listener ({ name, port }).');
  if (props.listeners.length === 0) throw new Error('listeners is empty ([]): give at least one listener ({ name, port }).');
  const adminPort = props.adminPort ?? 19000;
  assertPort(adminPort, 'adminPort');
  const adminAddress = props.adminAddress ?? '127.0.0.1';
  adminCallHost(adminAddress); // validates
  const names = new Set<string>();
  const ports = new Map<number, string>([[adminPort, 'adminPort']]);
  const targets: DrainTarget[] = [];
  props.listeners.forEach((l, i) => {
    const where = `listeners[${i}]`;
    if (!PORT_NAME.test(l.name)) throw new Error(`${where}.name '${l.name}' is not a valid port name: use 1-15 lower-case letters, digits and '-' (e.g. 'ssh', 'http').`);
    if (names.has(l.name)) throw new Error(`${where}.name '${l.name}' is used twice: give each listener its own name.`);
    names.add(l.name);
    assertPort(l.port, `${where}.port`);
    const taken = ports.get(l.port);
    if (taken) throw new Error(`${where}.port ${l.port} is already used by ${taken}: give each listener its own port.`);
    ports.set(l.port, `${where}.port`);
    if (l.servicePort !== undefined) assertPort(l.servicePort, `${where}.servicePort`);
    let t: DrainTarget;
    if (l.statPrefix !== undefined) {
      assertStatPrefix(l.statPrefix, `${where}.statPrefix`);
      t = DrainTarget.statPrefix(l.statPrefix);
    } else {
      const address = l.address ?? '0.0.0.0';
      canonicalAddress(address, `${where}.address`);
      t = DrainTarget.listener({ port: l.port, address });
    }
    if (l.drain !== false) targets.push(t);
  });
  let sidecarPort: number | undefined;
  if (props.drainManager) {
    sidecarPort = props.drainManager.port ?? 19002;
    assertPort(sidecarPort, 'drainManager.port');
    const taken = ports.get(sidecarPort);
    if (taken) throw new Error(`drainManager.port ${sidecarPort} is already used by ${taken}: the sidecar shares the pod's network namespace; give it a free port (default 19002).`);
    if (props.drainManager.image !== undefined && !props.drainManager.image.trim()) {
      throw new Error(`drainManager.image '${props.drainManager.image}' is empty: give a busybox image with sh, httpd and wget, or leave it unset for 'busybox:1.36'.`);
    }
  }
  const chosen = props.drainTargets ?? targets;
  if (chosen.length === 0) {
    throw new Error(`no listener is drained: every listener has drain: false and drainTargets is ${props.drainTargets ? '[]' : 'unset'}. Set drain: true on the listeners to wait for, or drainTargets: [DrainTarget.allListeners()].`);
  }
  const selection = prefixed('drainTargets', () => DrainSelection.of(chosen));
  const adminCallTimeout = wholeSeconds(props.adminCallTimeout ?? Duration.seconds(2), 'adminCallTimeout', 1);
  const pollInterval = wholeSeconds(props.pollInterval ?? Duration.seconds(1), 'pollInterval', 1);
  const maxDrain = props.maxDrain ?? Duration.seconds(60);
  if (maxDrain.toMilliseconds() < pollInterval.toMilliseconds()) {
    throw new Error(`maxDrain ${formatMillis(maxDrain.toMilliseconds())} is shorter than pollInterval ${formatMillis(pollInterval.toMilliseconds())}: the count would be read at most once. Raise maxDrain or lower pollInterval.`);
  }
  const readinessPeriod = wholeSeconds(props.readinessPeriod ?? Duration.seconds(5), 'readinessPeriod', 1);
  const readinessFailureThreshold = props.readinessFailureThreshold ?? 2;
  if (!Number.isInteger(readinessFailureThreshold) || readinessFailureThreshold < 1) {
    throw new Error(`readinessFailureThreshold ${readinessFailureThreshold} must be a whole number >= 1 (Kubernetes' failureThreshold). Use e.g. 2.`);
  }
  return {
    adminPort,
    adminAddress,
    selection,
    failHealthCheck: props.failHealthCheck ?? true,
    drainListeners: props.drainListeners ?? DrainListenersMode.GRACEFUL,
    adminCallTimeout,
    pollInterval,
    readiness: props.readiness ?? true,
    readinessPeriod,
    readinessFailureThreshold,
    sidecarPort,
  };
}

function buildPlan(props: GracefulEnvoyGatewayProps, v: Validated): ShutdownPlan {
  const calls = (v.failHealthCheck ? 1 : 0) + (v.drainListeners !== DrainListenersMode.NONE ? 1 : 0);
  const phases: ShutdownPhaseProps[] = [];
  if (calls > 0) {
    const what = [v.failHealthCheck ? 'POST /healthcheck/fail' : '', v.drainListeners !== DrainListenersMode.NONE ? `POST /drain_listeners?${v.drainListeners}` : ''].filter(Boolean).join(', ');
    phases.push({ kind: PhaseKind.DEREGISTER, description: what, bound: Duration.millis(v.adminCallTimeout.toMilliseconds() * calls), boundProperty: 'adminCallTimeout' });
  }
  const minDrain = wholeSeconds(props.minDrain ?? Duration.seconds(5), 'minDrain', 0);
  // /ready fails only after /healthcheck/fail; then the pod stops being "serving" within the window.
  const windowS = v.readiness && v.failHealthCheck ? v.readinessPeriod.toSeconds() * v.readinessFailureThreshold : 0;
  const propagateS = Math.max(minDrain.toSeconds(), windowS);
  if (propagateS > 0) {
    const byReadiness = windowS > minDrain.toSeconds();
    const parts = [
      ...(windowS > 0 ? [`readiness fails (${v.readinessPeriod.toSeconds()}s x ${v.readinessFailureThreshold})`] : []),
      `endpoint removal reaches every proxy and load balancer (minDrain ${minDrain.toSeconds()}s)`,
    ];
    phases.push({
      kind: PhaseKind.PROPAGATE,
      name: 'min-drain',
      description: `keep serving while ${parts.join(' and ')}`,
      bound: Duration.seconds(propagateS),
      boundProperty: byReadiness ? 'readinessPeriod' : 'minDrain',
    });
  }
  phases.push({
    kind: PhaseKind.DRAIN,
    description: `poll ${v.selection.allListeners ? v.selection.toString() : v.selection.statNames.join(' + ')} every ${formatMillis(v.pollInterval.toMilliseconds())} until 0`,
    bound: wholeSeconds(props.maxDrain ?? Duration.seconds(60), 'maxDrain', 1),
    endsEarly: true,
    boundProperty: 'maxDrain',
  });
  phases.push({ kind: PhaseKind.STOP, description: 'SIGTERM: Envoy exits, closing what is left', bound: wholeSeconds(props.stopTimeout ?? Duration.seconds(5), 'stopTimeout', 0), boundProperty: 'stopTimeout' });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: wholeSeconds(props.margin ?? Duration.seconds(2), 'margin', 0), boundProperty: 'margin' });
  return new ShutdownPlan({ phases, terminationGracePeriod: props.terminationGracePeriod });
}

/** Envoy's arguments: the user's, plus the bootstrap path and the drain flags when asked. */
function envoyArgs(props: GracefulEnvoyGatewayProps, plan: ShutdownPlan, v: Validated): string[] {
  const args = [...(props.args ?? [])];
  const has = (flag: string) => args.findIndex(a => a === flag || a.startsWith(`${flag}=`));
  if (props.bootstrap !== undefined && has('-c') < 0 && has('--config-path') < 0) {
    args.push('-c', BOOTSTRAP_PATH);
  }
  // drain_listeners may be sent as early as t=0; its drain must last until the poll ends (t=end of
  // drain), so the listeners are never stopped while the preStop still waits. SIGTERM ends it anyway.
  const drainTimeS = Math.max(1, ceilSeconds(plan.endOf('drain')));
  // At the least, listeners stay up until the poll starts: load balancers may send until then.
  const minDrainTimeS = Math.max(1, ceilSeconds(plan.startOf('drain')));
  const i = has('--drain-time-s');
  if (props.envoyDrainFlags) {
    for (const flag of ['--drain-time-s', '--drain-strategy']) {
      const at = has(flag);
      if (at >= 0) throw new Error(`args already set ${flag} ('${args[at]}') and envoyDrainFlags is true, which adds it from the plan (--drain-time-s ${drainTimeS}, --drain-strategy immediate). Remove ${flag} from args, or set envoyDrainFlags: false.`);
    }
    args.push('--drain-time-s', String(drainTimeS), '--drain-strategy', 'immediate');
  } else if (i >= 0 && v.drainListeners !== DrainListenersMode.NONE) {
    const raw = args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
    const n = Number(raw);
    if (!/^\d+$/.test(raw ?? '') || n < minDrainTimeS) {
      throw new Error(`args --drain-time-s '${raw}' must be a whole number of seconds >= ${minDrainTimeS} (the plan's drain phase starts at t=${minDrainTimeS}s): drain_listeners?graceful stops the listeners after it, and load balancers may still send until then. Use --drain-time-s ${drainTimeS} (until the end of the drain phase), or set envoyDrainFlags: true to have it added.`);
    }
  }
  return args;
}

function readinessProbe(v: Validated, sidecarPort: number | undefined): kplus.Probe {
  const timing = {
    periodSeconds: v.readinessPeriod,
    failureThreshold: v.readinessFailureThreshold,
    timeoutSeconds: v.adminCallTimeout,
  };
  if (sidecarPort) return kplus.Probe.fromHttpGet(READY_PATH, { port: sidecarPort, ...timing });
  if (reachableFromKubelet(v.adminAddress)) return kplus.Probe.fromHttpGet('/ready', { port: v.adminPort, ...timing });
  // Loopback admin: the kubelet calls the pod IP and cannot reach it; Gloo's chart runs wget inside.
  return kplus.Probe.fromCommand(['wget', '-q', '-O', '/dev/null', `http://${adminCallHost(v.adminAddress)}:${v.adminPort}/ready`], timing);
}

function wholeSeconds(d: Duration, property: string, min: number): Duration {
  checkWholeSeconds(d, property, min, 'the preStop script counts in seconds');
  return d;
}

function prefixed<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}
