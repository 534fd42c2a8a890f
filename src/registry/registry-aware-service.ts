import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ShutdownPlan } from '../plan';
import { PosixScript } from '../script';
import { GracefulWorkload, KubernetesVersion, PreStopHook } from '../workload';
import { deregistrationScript, registryPlan, waitForSidecarScript } from './deregistration';
import { SecretEnv } from './internal';
import { OfflineEndpoint } from './offline-endpoint';
import { RegistryShutdownOptions } from './options';
import { Registry } from './registry';
import { withConstructPath } from '../workload/errors';

/** Where the deregistration script runs. */
export enum DeregistrationPlacement {
  /** In the app container's preStop: the app image needs `sh` and curl or wget. */
  APP_CONTAINER = 'app-container',
  /**
   * In a sidecar's preStop: the app needs no SDK and no tools; its preStop waits for the
   * sidecar's done-file on a shared emptyDir, or sleeps with the lifecycle sleep action.
   */
  SIDECAR = 'sidecar',
}

/** How the app container waits for the sidecar in the SIDECAR placement. */
export enum AppWait {
  /** A preStop script polls for the sidecar's done-file (needs `sh`, `date` and `sleep` in the app image). */
  DONE_FILE = 'done-file',
  /** The preStop sleeps until the plan's preStop deadline: the kubelet's sleep action on 1.30+, `sleep N` before. */
  SLEEP = 'sleep',
}

/** Props of a {@link RegistryAwareService}. */
export interface RegistryAwareServiceProps extends RegistryShutdownOptions {
  /** The registry the app is registered in, and how to leave it. */
  readonly registry: Registry;
  /**
   * The app's own offline endpoint, called first.
   * @default none: the registry flavour's offline call (custom) or its removal call is the first step
   */
  readonly offlineEndpoint?: OfflineEndpoint;
  /** The app container (cdk8s-plus container props; its preStop is set here). */
  readonly app: kplus.ContainerProps;
  /**
   * Where the deregistration runs.
   * @default DeregistrationPlacement.APP_CONTAINER
   */
  readonly placement?: DeregistrationPlacement;
  /**
   * The sidecar image: needs `sh`, `date`, `sleep`, `touch` and curl (or GNU wget for PUT/DELETE).
   * @default 'curlimages/curl:8.8.0'
   */
  readonly sidecarImage?: string;
  /**
   * How the app waits for the sidecar.
   * @default AppWait.SLEEP on Kubernetes 1.30+ (no tools needed), AppWait.DONE_FILE before
   */
  readonly appWait?: AppWait;
  /**
   * The Kubernetes version targeted.
   * @default KubernetesVersion.V1_28
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /**
   * Replicas.
   * @default 2
   */
  readonly replicas?: number;
}

/** Mount path of the shared emptyDir in the SIDECAR placement. */
export const SIGNAL_DIR = '/var/run/graceful-shutdown';
/** The sidecar's done-file. */
export const DONE_FILE = `${SIGNAL_DIR}/deregistered`;
/** Name of the sidecar container. */
export const SIDECAR_NAME = 'registry-deregister';

/**
 * A microservice registered by pod IP in a service registry (Nacos, Eureka, Consul, an in-house
 * admin API) that leaves the registry before it stops: the app's offline call, a confirmation from
 * the registry, a force-remove when the app's call hung or failed, the per-IP config clean-up, and
 * the wait for client caches and in-flight calls, all before SIGTERM and all from one plan.
 */
export class RegistryAwareService extends Construct {
  /** The plan every timing comes from. */
  public readonly plan: ShutdownPlan;
  /** The workload (Deployment and PodDisruptionBudget). */
  public readonly workload: GracefulWorkload;
  /** The deregistration script. */
  public readonly script: PosixScript;
  /** The app container. */
  public readonly appContainer: kplus.Container;
  /** The sidecar, in the SIDECAR placement. */
  public readonly sidecar?: kplus.Container;
  /** The placement used. */
  public readonly placement: DeregistrationPlacement;

  public constructor(scope: Construct, id: string, props: RegistryAwareServiceProps) {
    super(scope, id);
    const version = props.kubernetesVersion ?? KubernetesVersion.V1_28;
    this.placement = props.placement ?? DeregistrationPlacement.APP_CONTAINER;
    const sidecarMode = this.placement === DeregistrationPlacement.SIDECAR;
    const built = withConstructPath(this, () => {
      if (!props.registry) throw new Error('registry is missing: give Registry.nacos(...), Registry.eureka(...), Registry.consul(...) or Registry.custom(...).');
      if (!props.app?.image) throw new Error("app.image is missing: give the app container's image.");
      for (const [prop, value] of [['sidecarImage', props.sidecarImage], ['appWait', props.appWait]]) {
        if (value !== undefined && !sidecarMode) {
          throw new Error(`${prop} is set but placement is not SIDECAR. Set placement: DeregistrationPlacement.SIDECAR or drop ${prop}.`);
        }
      }
      const plan = registryPlan(props.registry, props.offlineEndpoint, props);
      const script = deregistrationScript({
        registry: props.registry,
        offline: props.offlineEndpoint,
        plan,
        pollInterval: props.pollInterval,
        doneFile: sidecarMode ? DONE_FILE : undefined,
      });
      return { plan, script };
    });
    this.plan = built.plan;
    this.script = built.script;
    this.workload = new GracefulWorkload(this, 'Workload', { plan: this.plan, kubernetesVersion: version, replicas: props.replicas });

    const secrets = [...props.registry._spec.secrets, ...(props.offlineEndpoint?._secrets ?? [])];
    const runtime = new Set(['POD_IP', ...props.registry._spec.runtimeEnv, ...(props.offlineEndpoint?._runtimeEnv ?? [])]);
    const env = this.envFor(secrets, runtime);
    const appName = props.app.name ?? 'app';

    if (!sidecarMode) {
      this.appContainer = this.workload.addContainer({
        ...props.app,
        name: appName,
        envVariables: { ...props.app.envVariables, ...env },
        preStop: PreStopHook.script(this.script),
      });
      return;
    }
    // SIDECAR: an ordinary container on every version. A native sidecar (1.29+) gets its preStop
    // only after the app containers have exited, too late to leave the registry before SIGTERM.
    const wait = props.appWait ?? (version.supportsSleepAction ? AppWait.SLEEP : AppWait.DONE_FILE);
    const volume = kplus.Volume.fromEmptyDir(this, 'signal', 'graceful-shutdown-signal');
    const appPreStop = wait === AppWait.SLEEP
      ? PreStopHook.sleep(this.plan.preStopDeadline)
      : PreStopHook.script(waitForSidecarScript(this.plan, DONE_FILE));
    this.appContainer = this.workload.addContainer({ ...props.app, name: appName, preStop: appPreStop });
    if (wait === AppWait.DONE_FILE) this.appContainer.mount(SIGNAL_DIR, volume, { readOnly: true });
    this.sidecar = this.workload.addContainer({
      name: SIDECAR_NAME,
      image: props.sidecarImage ?? 'curlimages/curl:8.8.0',
      command: ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'],
      envVariables: env,
      preStop: PreStopHook.script(this.script),
      resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) } },
    });
    this.sidecar.mount(SIGNAL_DIR, volume);
  }

  private envFor(secrets: SecretEnv[], runtime: Set<string>): { [name: string]: kplus.EnvValue } {
    const env: { [name: string]: kplus.EnvValue } = {};
    if (runtime.has('POD_IP')) env.POD_IP = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_IP);
    if (runtime.has('HOST_IP')) env.HOST_IP = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_IP);
    if (runtime.has('POD_NAME')) env.POD_NAME = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME);
    const imported = new Map<string, kplus.ISecret>();
    for (const s of secrets) {
      let secret = s.secret.secret;
      if (!secret) {
        const name = s.secret.secretName!;
        secret = imported.get(name) ?? kplus.Secret.fromSecretName(this, `secret-${name}`, name);
        imported.set(name, secret);
      }
      env[s.name] = kplus.EnvValue.fromSecretValue({ secret, key: s.secret.key });
    }
    return env;
  }
}
