/** A RegistryAwareService's derivation from its props: validation, the plan, the scripts. Pure. */
import { checkPort, checkPresent, checkText, ValidationError } from '../core';
import { ShutdownPlan } from '../plan';
import { PosixScript } from '../script';
import { KubernetesVersion } from '../workload';
import { carriesCredential, deregistrationScript, registryPlan, registryTimings, waitForSidecarScript } from './deregistration';
import { AppWait, DeregistrationPlacement, DONE_FILE, RegistryAwareServiceProps } from './service-props';

/** What a RegistryAwareService derives from its props alone; shared by services with equal props, so immutable. */
export interface DerivedRegistryService {
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

/**
 * Validation, the plan and the scripts of a RegistryAwareService: a pure function of its props
 * (no construct), read through the derivation cache.
 */
export function deriveRegistryService(props: RegistryAwareServiceProps): DerivedRegistryService {
  const version = props.kubernetesVersion ?? KubernetesVersion.V1_28;
  const placement = props.placement ?? DeregistrationPlacement.APP_CONTAINER;
  const sidecarMode = placement === DeregistrationPlacement.SIDECAR;
  const wait = props.appWait ?? (version.supportsSleepAction ? AppWait.SLEEP : AppWait.DONE_FILE);
  checkPresent(props.registry, 'registry', 'give Registry.nacos(...), Registry.eureka(...), Registry.consul(...) or Registry.custom(...).');
  checkText(props.app?.image, 'app.image', "the app container's image", 'registry.example.com/soa-test:1.4.2');
  for (const [prop, value] of [['sidecarImage', props.sidecarImage], ['appWait', props.appWait], ['triggerPort', props.triggerPort]] as const) {
    if (value !== undefined && !sidecarMode) {
      throw new ValidationError(prop, value, `is set but placement is not SIDECAR. Set placement: DeregistrationPlacement.SIDECAR or drop ${prop}.`);
    }
  }
  if (props.triggerPort !== undefined && wait !== AppWait.HTTP_GET) {
    throw new ValidationError('triggerPort', props.triggerPort, `is set but appWait is ${wait}. Set appWait: AppWait.HTTP_GET or drop triggerPort.`);
  }
  if (wait === AppWait.HTTP_GET) {
    checkPresent(props.sidecarImage, 'sidecarImage', 'appWait HTTP_GET needs an image with sh, busybox httpd and curl (e.g. Alpine with the curl and busybox-extras packages); the default curlimages/curl:8.8.0 has no httpd. Set sidecarImage, or use AppWait.DONE_FILE or AppWait.SLEEP.');
  }
  if (props.triggerPort !== undefined) checkPort(props.triggerPort, 'triggerPort');
  if (props.allowCredentialsInArguments !== undefined && typeof props.allowCredentialsInArguments !== 'boolean') {
    throw new ValidationError('allowCredentialsInArguments', props.allowCredentialsInArguments, 'is not a boolean: use true or false.');
  }
  const timings = registryTimings(props.registry, props);
  // Only the app of the DONE_FILE wait reads the done-file (SLEEP sleeps to the deadline, HTTP_GET
  // has its own marker): the script writes it, in a phase of its own, only there.
  const doneFile = sidecarMode && wait === AppWait.DONE_FILE ? DONE_FILE : undefined;
  const plan = registryPlan(props.registry, props.offlineEndpoint, timings, doneFile !== undefined, props.terminationGracePeriod);
  const script = deregistrationScript({
    registry: props.registry,
    offline: props.offlineEndpoint,
    plan,
    timings,
    doneFile,
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
