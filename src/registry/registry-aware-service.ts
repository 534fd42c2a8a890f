import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { holdScript } from '../hook-sidecar';
import { ShutdownPlan } from '../plan';
import { PosixScript } from '../script';
import { GracefulWorkload, PreStopHook } from '../workload';
import { deriveRegistryService } from './derive-service';
import { SecretEnv } from './internal';
import { AppWait, DeregistrationPlacement, RegistryAwareServiceProps, SIDECAR_NAME, SIGNAL_DIR } from './service-props';
import { renderTriggerCgi, TRIGGER_DIR, TRIGGER_PATH, TRIGGER_SCRIPT, triggerCommand } from './trigger';
import { DerivationCache, RUNTIME_PLACEHOLDERS } from '../core';
import { withConstructPath } from '../workload/errors';

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
    // The shared hold (src/hook-sidecar): waits for the marker, its deadline after the script's.
    const hold = this.workload.usesNativeSidecars ? undefined : PreStopHook.script(holdScript('registry-deregister-hold', done, this.plan));
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
    // The placeholders user strings may name, each from its downward-API field (one list, src/core).
    for (const p of RUNTIME_PLACEHOLDERS) {
      if (runtime.has(p.name)) env[p.name] = kplus.EnvValue.fromFieldRef(p.fieldPath as kplus.EnvFieldPaths);
    }
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

const DERIVATIONS = new DerivationCache(deriveRegistryService);

/** Warnings already printed: a platform synthesizes many equal services, one line says it. */
const WARNED = new Set<string>();

/** Prints a synthesis warning once per process (the first construct path that has it). */
function warnOnce(message: string): void {
  const key = message.replace(/^\[graceful-shutdown\] warning [^:]*: /, '');
  if (WARNED.has(key)) return;
  WARNED.add(key);
  console.warn(message);
}
