import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ShutdownPlan } from '../plan';
import { PosixScript, Step } from '../script';
import { GracefulWorkload, KubernetesVersion, PreStopHook } from '../workload';
import { carriesCredential, deregistrationScript, registryPlan, waitForSidecarScript } from './deregistration';
import { SecretEnv } from './internal';
import { OfflineEndpoint } from './offline-endpoint';
import { RegistryShutdownOptions } from './options';
import { fileExistsProbe } from './probes';
import { Registry } from './registry';
import { renderTriggerCgi, TRIGGER_DIR, TRIGGER_PATH, TRIGGER_SCRIPT, triggerCommand } from './trigger';
import { DerivationCache } from '../script/value-key';
import { withConstructPath } from '../workload/errors';

/** Where the deregistration script runs. */
export enum DeregistrationPlacement {
  /** In the app container's preStop: the app image needs `sh` and curl or wget. */
  APP_CONTAINER = 'app-container',
  /**
   * In a sidecar: the app needs no SDK and no HTTP client. How the app waits (and what starts the
   * sidecar's deregistration) is `appWait`.
   */
  SIDECAR = 'sidecar',
}

/** How the app container waits for the sidecar in the SIDECAR placement. */
export enum AppWait {
  /**
   * The sidecar (an ordinary container) runs the deregistration in its own preStop, which the
   * kubelet starts at t=0 together with the app's; the app's preStop script polls for the
   * sidecar's done-file on a shared emptyDir (needs `sh`, `date` and `sleep` in the app image).
   */
  DONE_FILE = 'done-file',
  /**
   * As DONE_FILE, but the app's preStop sleeps until the plan's preStop deadline: the kubelet's
   * sleep action on 1.30+ (no tools at all), `sleep N` before. Always waits the whole window.
   */
  SLEEP = 'sleep',
  /**
   * The app's preStop is an `httpGet` the kubelet makes to the sidecar (no tools in the app
   * image); the sidecar serves it with busybox `httpd` and a CGI that runs the deregistration and
   * answers when it has ended, so the app's SIGTERM follows as soon as the deregistration is done.
   * The sidecar is a native sidecar on 1.29+ (started before the app, stopped after it); before
   * 1.29 an ordinary container whose own preStop holds it until the deregistration has ended.
   * Needs `sidecarImage` with `sh`, busybox `httpd` and curl (or GNU wget for PUT/DELETE calls).
   */
  HTTP_GET = 'http-get',
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
   * The sidecar image: needs `sh`, `date`, `sleep`, `touch` and curl (or GNU wget for PUT/DELETE);
   * with `AppWait.HTTP_GET` also busybox `httpd` (e.g. Alpine with `curl` and `busybox-extras`).
   * @default 'curlimages/curl:8.8.0' (DONE_FILE and SLEEP); required with HTTP_GET
   */
  readonly sidecarImage?: string;
  /**
   * How the app waits for the sidecar (SIDECAR placement only).
   * @default AppWait.SLEEP on Kubernetes 1.30+ (no tools needed), AppWait.DONE_FILE before
   */
  readonly appWait?: AppWait;
  /**
   * The port of the sidecar's trigger (`AppWait.HTTP_GET` only). It listens on the pod IP, as the
   * kubelet calls it there: restrict it with a NetworkPolicy (a GET deregisters the pod).
   * @default 19010
   */
  readonly triggerPort?: number;
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
  /**
   * Whether a credential (a token, a password, a secret header) may be passed to wget as an
   * argument when the image has no curl. With curl, credentials always go to `curl -K -` on stdin,
   * never into a process's arguments. GNU and busybox wget take headers and bodies only as
   * arguments, which any process in the pod (or on the node, with a shared process namespace or a
   * debug container) can read from /proc/PID/cmdline while the request runs. With `false`, the script
   * refuses such a call when it finds only wget, and logs why (the image's tools are known only at
   * run time, so this is enforced there). With the default, the construct warns at synthesis
   * (printed once per process, and in `credentialWarning` and the node metadata
   * `graceful-shutdown:warning`).
   * @default true
   */
  readonly allowCredentialsInArguments?: boolean;
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
 *
 * In the SIDECAR placement the sidecar is a native sidecar (1.29+) only with `AppWait.HTTP_GET`,
 * where the app's preStop (a kubelet httpGet) triggers it: a native sidecar's own preStop runs only
 * after the app has exited, so with DONE_FILE and SLEEP, whose trigger is the sidecar's own
 * preStop, it stays an ordinary container. See docs/registry.md, "Placements".
 */
export class RegistryAwareService extends Construct {
  /** The plan every timing comes from. */
  public readonly plan: ShutdownPlan;
  /**
   * The workload (Deployment and PodDisruptionBudget): this construct's default child (id `Default`), so the objects' names
   * and addresses are those of direct children (`<chart>-<id>-deployment-<hash>`).
   */
  public readonly workload: GracefulWorkload;
  /** The deregistration script: already rendered, so sealed; services with equal props share it. */
  public readonly script: PosixScript;
  /** The app container. */
  public readonly appContainer: kplus.Container;
  /** The sidecar, in the SIDECAR placement. */
  public readonly sidecar?: kplus.Container;
  /** The placement used. */
  public readonly placement: DeregistrationPlacement;
  /** How the app waits for the sidecar, in the SIDECAR placement. */
  public readonly appWait?: AppWait;
  /**
   * Set when some registry call carries a credential and `allowCredentialsInArguments` is not
   * false: without curl in the image, wget would carry it in its arguments.
   */
  public readonly credentialWarning?: string;

  /**
   * @param scope the chart or construct to add the service to
   * @param id the construct id; names the Deployment, Service and budget
   * @param props the registry, the app container, the placement and the timings
   */
  public constructor(scope: Construct, id: string, props: RegistryAwareServiceProps) {
    super(scope, id);
    // Validation, the plan and the scripts are a pure function of the props: derived once per
    // distinct props value and shared by equal services.
    const built = withConstructPath(this, () => DERIVATIONS.get(props, undefined));
    const version = built.version;
    this.placement = built.placement;
    const sidecarMode = this.placement === DeregistrationPlacement.SIDECAR;
    const wait = built.wait;
    this.plan = built.plan;
    this.script = built.script;
    this.workload = new GracefulWorkload(this, 'Default', { plan: this.plan, kubernetesVersion: version, replicas: props.replicas });
    this.credentialWarning = built.credentialWarning;
    if (this.credentialWarning) {
      this.node.addMetadata('graceful-shutdown:warning', this.credentialWarning);
      warnOnce(`[graceful-shutdown] warning ${this.node.path}: ${this.credentialWarning}`);
    }

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
    this.appWait = wait;
    if (wait === AppWait.HTTP_GET) {
      const port = props.triggerPort ?? 19010;
      this.appContainer = this.workload.addContainer({ ...props.app, name: appName, preStop: PreStopHook.httpGet(TRIGGER_PATH, { port }) });
      this.sidecar = this.addTriggerSidecar(props.sidecarImage!, port, env);
      return;
    }
    // DONE_FILE and SLEEP: the deregistration runs in the sidecar's own preStop, which the kubelet
    // starts at t=0 only for an ordinary container: a native sidecar (1.29+) gets its preStop
    // after the app containers have exited, too late. So an ordinary container on every version.
    const volume = kplus.Volume.fromEmptyDir(this, 'signal', 'graceful-shutdown-signal');
    const appPreStop = wait === AppWait.SLEEP
      ? PreStopHook.sleep(this.plan.preStopDeadline)
      : PreStopHook.script(built.waitForSidecar!);
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

  /**
   * The HTTP_GET sidecar: busybox httpd with the trigger CGI, the script from a ConfigMap, a
   * writable emptyDir for the lock and the done marker. Native on 1.29+; before, an ordinary
   * container that would get SIGTERM at t=0, so its preStop holds it until the done marker.
   */
  private addTriggerSidecar(image: string, port: number, env: { [name: string]: kplus.EnvValue }): kplus.Container {
    const done = `${SIGNAL_DIR}/done`;
    const cm = new kplus.ConfigMap(this, 'DeregisterScripts', {
      data: {
        'deregister.sh': this.script.render(),
        'deregister.cgi': renderTriggerCgi(TRIGGER_SCRIPT, SIGNAL_DIR, this.script.deadlineSeconds),
      },
    });
    const scripts = kplus.Volume.fromConfigMap(this, 'scripts', cm, {
      defaultMode: 0o555,
      items: { 'deregister.sh': { path: 'deregister.sh' }, 'deregister.cgi': { path: `www${TRIGGER_PATH}` } },
    });
    const state = kplus.Volume.fromEmptyDir(this, 'signal', 'graceful-shutdown-signal');
    const hold = this.workload.usesNativeSidecars ? undefined : PreStopHook.script(
      new PosixScript({ name: 'registry-deregister-hold', deadline: this.plan.preStopDeadline }).add(
        Step.pollUntilZero({ probe: fileExistsProbe(done, 'deregistration running'), interval: Duration.seconds(1) }),
      ),
    );
    return this.workload.addSidecar({
      name: SIDECAR_NAME,
      image,
      command: triggerCommand(port),
      ports: [{ number: port, name: 'deregister' }],
      envVariables: env,
      volumeMounts: [
        { path: TRIGGER_DIR, volume: scripts, readOnly: true },
        { path: SIGNAL_DIR, volume: state },
      ],
      resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) } },
      preStop: hold,
    });
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

/** What a RegistryAwareService derives from its props alone. */
interface Derived {
  readonly version: KubernetesVersion;
  readonly placement: DeregistrationPlacement;
  readonly wait: AppWait;
  readonly plan: ShutdownPlan;
  /** Sealed (rendered). */
  readonly script: PosixScript;
  /** The app's wait for the sidecar's done file (SIDECAR placement with DONE_FILE); sealed. */
  readonly waitForSidecar?: PosixScript;
  readonly credentialWarning?: string;
}

function derive(props: RegistryAwareServiceProps): Derived {
  const version = props.kubernetesVersion ?? KubernetesVersion.V1_28;
  const placement = props.placement ?? DeregistrationPlacement.APP_CONTAINER;
  const sidecarMode = placement === DeregistrationPlacement.SIDECAR;
  const wait = props.appWait ?? (version.supportsSleepAction ? AppWait.SLEEP : AppWait.DONE_FILE);
  if (!props.registry) throw new Error('registry is missing: give Registry.nacos(...), Registry.eureka(...), Registry.consul(...) or Registry.custom(...).');
  if (!props.app?.image) throw new Error("app.image is missing: give the app container's image.");
  for (const [prop, value] of [['sidecarImage', props.sidecarImage], ['appWait', props.appWait], ['triggerPort', props.triggerPort]]) {
    if (value !== undefined && !sidecarMode) {
      throw new Error(`${prop} is set but placement is not SIDECAR. Set placement: DeregistrationPlacement.SIDECAR or drop ${prop}.`);
    }
  }
  if (props.triggerPort !== undefined && wait !== AppWait.HTTP_GET) {
    throw new Error(`triggerPort ${props.triggerPort} is set but appWait is ${wait}. Set appWait: AppWait.HTTP_GET or drop triggerPort.`);
  }
  if (wait === AppWait.HTTP_GET && props.sidecarImage === undefined) {
    throw new Error('appWait HTTP_GET needs sidecarImage: an image with sh, busybox httpd and curl (e.g. Alpine with the curl and busybox-extras packages); the default curlimages/curl:8.8.0 has no httpd. Set sidecarImage, or use AppWait.DONE_FILE or AppWait.SLEEP.');
  }
  if (props.triggerPort !== undefined && (!Number.isInteger(props.triggerPort) || props.triggerPort < 1 || props.triggerPort > 65535)) {
    throw new Error(`triggerPort ${props.triggerPort} is not a port: use a whole number 1-65535, e.g. 19010.`);
  }
  if (props.allowCredentialsInArguments !== undefined && typeof props.allowCredentialsInArguments !== 'boolean') {
    throw new Error(`allowCredentialsInArguments ${JSON.stringify(props.allowCredentialsInArguments)} is not a boolean: use true or false.`);
  }
  const plan = registryPlan(props.registry, props.offlineEndpoint, props);
  const script = deregistrationScript({
    registry: props.registry,
    offline: props.offlineEndpoint,
    plan,
    pollInterval: props.pollInterval,
    recheckInterval: props.recheckInterval,
    doneFile: sidecarMode && wait !== AppWait.HTTP_GET ? DONE_FILE : undefined,
    allowCredentialsInArguments: props.allowCredentialsInArguments,
  });
  script.render();
  const waitForSidecar = sidecarMode && wait === AppWait.DONE_FILE ? waitForSidecarScript(plan, DONE_FILE) : undefined;
  waitForSidecar?.render();
  const spec = props.registry._spec;
  const calls = [...spec.removal, ...(spec.offline ?? [])];
  if (spec.clearConfig) calls.push(spec.clearConfig);
  if (props.offlineEndpoint) calls.push(props.offlineEndpoint._call);
  const credentialed = calls.some(carriesCredential) || spec.auth !== undefined;
  const credentialWarning = credentialed && props.allowCredentialsInArguments !== false
    ? 'registry calls carry credentials: with curl in the image they go to curl on stdin, but an image with only wget passes them as wget arguments, readable in /proc/PID/cmdline by other processes in the pod. Add curl to the image, or set allowCredentialsInArguments: false to refuse such calls.'
    : undefined;
  return { version, placement, wait, plan, script, waitForSidecar, credentialWarning };
}

const DERIVATIONS = new DerivationCache(derive);

/** Warnings already printed: a platform synthesizes many equal services, one line says it. */
const WARNED = new Set<string>();

/** Prints a synthesis warning once per process (the first construct path that has it). */
function warnOnce(message: string): void {
  const key = message.replace(/^\[graceful-shutdown\] warning [^:]*: /, '');
  if (WARNED.has(key)) return;
  WARNED.add(key);
  console.warn(message);
}
