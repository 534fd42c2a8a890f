import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DerivationCache } from '../core';
import { holdScript, httpdCommand } from '../hook-sidecar';
import { ShutdownPlan } from '../plan';
import { PosixScript } from '../script';
import { deriveGracefulEnvoyGateway, Validated } from './derive';
import {
  DRAIN_DONE_FILE, DRAIN_MANAGER_DIR, DRAIN_MANAGER_STATE, DRAIN_MANAGER_WWW, DRAIN_PATH, READY_PATH,
  renderDrainCgi, renderReadyCgi,
} from './drain-manager';
import { DrainManagerOptions, GracefulEnvoyGatewayProps } from './props';
import { adminCallHost, reachableFromKubelet } from './stat-names';
import { DrainSelection } from './stats';
import { withConstructPath } from '../workload/errors';
import { GracefulWorkload } from '../workload/graceful-workload';
import { PreStopHook } from '../workload/prestop-hook';

const GLOO_UID = 10101;
const NOBODY = 65534;

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
        'drain.cgi': renderDrainCgi(`${DRAIN_MANAGER_DIR}/drain.sh`, script.deadlineSeconds),
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
    // holds it until the drain it serves has ended: the hold waits for the drain's marker, and its
    // own deadline is the end of the next phase (stop), after the drain's. A native
    // sidecar stops after Envoy anyway.
    const hold = this.workload.usesNativeSidecars ? undefined : PreStopHook.script(
      holdScript('drain-manager-hold', DRAIN_DONE_FILE, plan),
    );
    return this.workload.addSidecar({
      name: 'drain-manager',
      image: options.image ?? 'busybox:1.36',
      command: httpdCommand(port, DRAIN_MANAGER_WWW),
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

const DERIVATIONS = new DerivationCache(deriveGracefulEnvoyGateway);

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
