import { Duration } from 'cdk8s';
import { checkDuration, checkPort, checkPresent, checkText, ValidationError } from '../core';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { formatDuration } from '../plan/duration-format';
import { HttpMethod, PosixScript, ShellWord, Step } from '../script';
import { KubernetesVersion } from '../workload';
import { IstioVersion } from './istio-version';
import {
  IstioDrainedWorkloadProps, IstioPort, NATIVE_SIDECAR_ANNOTATION, SIDECAR_INJECT_LABEL,
} from './props';
import { PROXY_CONFIG_ANNOTATION, protoDuration, renderProxyConfig } from './proxy-config';
import { ISTIO_PROXY_CONTAINER } from './proxy-trim';

/** What an IstioDrainedWorkload derives from its props alone. */
export interface IstioDerivation {
  readonly kubernetesVersion: KubernetesVersion;
  readonly plan: ShutdownPlan;
  readonly native: boolean;
  /** Sealed (rendered). */
  readonly appPreStop?: PosixScript;
  /** Sealed (rendered); frozen. */
  readonly additionalPreStops: { readonly [name: string]: PosixScript };
  /** Sealed (rendered). */
  readonly proxyPreStop?: PosixScript;
  readonly proxyConfig: string;
  /** Frozen. */
  readonly annotations: { readonly [key: string]: string };
}

/**
 * Validation, the plan, the scripts and the annotations: a pure function of the props,
 * unit-testable without a chart. `scopePath` (the construct path) is only put in front of
 * error messages; it never reaches the result, which equal workloads share.
 */
export function deriveIstioDrainedWorkload(props: IstioDrainedWorkloadProps, scopePath?: string): IstioDerivation {
  checkText(props?.image, 'image', "the app's image", 'registry.example.com/orders:1.4.2');
  const istio = checkPresent(props.istioVersion, 'istioVersion', "give the mesh's version, e.g. IstioVersion.of('1.22').");
  checkPresent(props.ports, 'ports', 'give at least one port the app listens on, e.g. { port: 8080, protocol: IstioProtocol.HTTP }.');
  if (props.ports.length === 0) {
    throw propError(scopePath, 'ports', '[]', 'is empty: give at least one port the app listens on, e.g. { port: 8080, protocol: IstioProtocol.HTTP }.');
  }
  const kubernetesVersion = props.kubernetesVersion ?? KubernetesVersion.V1_28;
  const seenPorts = new PortRegistry(scopePath);
  seenPorts.add('ports', props.ports);
  const containerName = props.containerName ?? 'app';
  assertContainerName(scopePath, 'containerName', containerName);
  const extras = props.additionalContainers ?? [];
  const names = [containerName];
  extras.forEach((c, i) => {
    assertContainerName(scopePath, `additionalContainers[${i}].name`, c.name);
    if (names.includes(c.name)) {
      throw propError(scopePath, `additionalContainers[${i}].name`, c.name, 'is already the name of another app container: container names are unique in a pod.');
    }
    names.push(c.name);
    seenPorts.add(`additionalContainers[${i}].ports`, c.ports ?? []);
  });
  const containersText = names.length > 1 ? `app containers (${names.join(', ')})` : 'app';
  const native = props.nativeSidecars ?? false;
  if (native && !kubernetesVersion.supportsNativeSidecars) {
    throw propError(scopePath, 'nativeSidecars', true, `needs kubernetesVersion 1.29 or newer (native sidecars), but it is ${kubernetesVersion}. Raise kubernetesVersion or set nativeSidecars: false.`);
  }
  if (native && !istio.supportsNativeSidecars) {
    throw propError(scopePath, 'nativeSidecars', true, `needs Istio 1.19 or newer (ENABLE_NATIVE_SIDECARS), but istioVersion is ${istio}. Upgrade Istio or set nativeSidecars: false.`);
  }

  const propagation = wholeSeconds(scopePath, 'propagation', props.propagation ?? Duration.seconds(5), 0);
  const appShutdownTimeout = positive(scopePath, 'appShutdownTimeout', props.appShutdownTimeout ?? Duration.seconds(10));
  const drain = positive(scopePath, 'terminationDrainDuration', props.terminationDrainDuration ?? Duration.seconds(5));
  const margin = nonNegative(scopePath, 'margin', props.margin ?? Duration.seconds(2));
  // Validated for plain JavaScript callers; the hold no longer polls (see proxyPreStop below).
  wholeSeconds(scopePath, 'portPollInterval', props.portPollInterval ?? Duration.seconds(1), 1);
  const exitOnZero = props.exitOnZeroActiveConnections ?? false;
  if (exitOnZero && !istio.supportsExitOnZeroActiveConnections) {
    throw propError(scopePath, 'exitOnZeroActiveConnections', true, `needs Istio 1.12 or newer (EXIT_ON_ZERO_ACTIVE_CONNECTIONS), but istioVersion is ${istio}. Upgrade Istio or leave exitOnZeroActiveConnections off.`);
  }
  if (props.minimumDrainDuration && !exitOnZero) {
    throw durationError(scopePath, 'minimumDrainDuration', props.minimumDrainDuration, 'only applies with exitOnZeroActiveConnections: true (pilot-agent reads it only then). Set exitOnZeroActiveConnections: true or remove minimumDrainDuration.');
  }
  const minDrain = props.minimumDrainDuration ? nonNegative(scopePath, 'minimumDrainDuration', props.minimumDrainDuration) : undefined;
  if (minDrain && minDrain.toMilliseconds() > drain.toMilliseconds()) {
    throw durationError(scopePath, 'minimumDrainDuration', minDrain, `is longer than terminationDrainDuration ${formatDuration(drain)}, the drain's budget in the grace period: SIGKILL would come about when pilot-agent starts counting connections. Lower minimumDrainDuration to at most ${formatDuration(drain)} or raise terminationDrainDuration.`);
  }

  const endpoint = props.shutdownEndpoint;
  let endpointUrl: string | undefined;
  let endpointTimeout: Duration | undefined;
  if (endpoint) {
    if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/.test(endpoint.path)) {
      throw propError(scopePath, 'shutdownEndpoint.path', endpoint.path, "is not a URL path: start it with '/' and use only URL characters (percent-encode the rest).");
    }
    const port = endpoint.port ?? props.ports[0].port;
    assertPort(scopePath, 'shutdownEndpoint.port', port);
    endpointUrl = `http://127.0.0.1:${port}${endpoint.path}`;
    endpointTimeout = wholeSeconds(scopePath, 'shutdownEndpoint.timeout', endpoint.timeout ?? Duration.seconds(5), 1);
  }

  // The plan, built from the props; every timing below is read back from it.
  const proxyWhile = native
    ? 'the native istio-proxy sidecar keeps running (Kubernetes stops it only after the app has exited)'
    : "istio-proxy's preStop holds the proxy until the end of the app's stop phase";
  const phases: ShutdownPhaseProps[] = [{
    kind: PhaseKind.PROPAGATE,
    name: 'propagate',
    description: `${names.length > 1 ? `preStop of ${names.join(', ')}` : 'app preStop'}: wait for endpoint removal to reach kube-proxy, ingresses and other sidecars; ${proxyWhile}`,
    bound: propagation,
    boundProperty: 'propagation',
  }];
  if (endpointUrl && endpointTimeout) {
    phases.push({
      kind: PhaseKind.STOP,
      name: 'app-shutdown',
      description: `app preStop: ${endpoint!.method ?? HttpMethod.POST} ${endpointUrl} (the app's own shutdown)`,
      bound: endpointTimeout,
      inPreStop: true,
      boundProperty: 'shutdownEndpoint.timeout',
    });
  }
  phases.push({
    kind: PhaseKind.STOP,
    name: 'stop',
    description: native
      ? `${containersText} ${names.length > 1 ? 'get their' : 'gets its'} stop signal and exit${names.length > 1 ? '' : 's'}; outbound calls still go through the proxy. Kubernetes stops the native istio-proxy sidecar after the app exits (no declared istio-proxy preStop needed)`
      : `${containersText} ${names.length > 1 ? 'get their' : 'gets its'} stop signal and exit${names.length > 1 ? '' : 's'}; outbound calls still go through the proxy, whose preStop holds it until this phase ends`,
    bound: appShutdownTimeout,
    boundProperty: 'appShutdownTimeout',
  });
  // Upstream pilot-agent (pkg/envoy/agent.go, terminate): without exit-on-zero it sleeps
  // terminationDrainDuration and stops Envoy; with it, it waits MINIMUM_DRAIN_DURATION, then
  // polls downstream_cx_active every second with no limit of its own (only SIGKILL ends it),
  // and stops early after 5 failed reads or an empty answer ("exit after min(all connections
  // close, terminationGracePeriodSeconds-minimumDrainDuration)", its own comment). So with
  // exit-on-zero the drain's real bound is SIGKILL: the phase is the budget the plan reserves
  // (terminationDrainDuration, which pilot-agent then ignores), and the description says that
  // SIGKILL ends it (the timeline's SIGKILL row says when).
  const minText = minDrain ? protoDuration(minDrain) : '5s (default)';
  const exitOnZeroOrdinary = !native && exitOnZero;
  // pilot-agent's connection poll gives up after 5 failed stats reads in a row from Istio 1.23; in
  // 1.22 and before one failed read ends the drain (istio/istio pkg/envoy/agent.go, terminate).
  const earlyExit = istio.isAtLeast(IstioVersion.of('1.23'))
    ? `after 5 failed reads in a row on Istio ${istio}`
    : `after a single failed read on Istio ${istio}, before 1.23`;
  const drainDescription = (sigkillAt: string): string => {
    if (native) {
      return `istio-proxy gets SIGTERM after the app exited: Istio 1.21+ has drained since its own preStop and exits at once; before 1.21 it drains as an ordinary sidecar (terminationDrainDuration ${protoDuration(drain)})`;
    }
    if (exitOnZero) {
      return `istio-proxy gets SIGTERM: pilot-agent drains inbound listeners, waits MINIMUM_DRAIN_DURATION ${minText}, then stops Envoy at 0 active connections `
        + `(or early when its stats cannot be read: ${earlyExit}). It ignores terminationDrainDuration in this mode: only SIGKILL at ${sigkillAt} ends a drain that never reaches 0; `
        + `the plan budgets terminationDrainDuration ${protoDuration(drain)} for it`;
    }
    return `istio-proxy gets SIGTERM: pilot-agent drains inbound listeners, then stops Envoy after terminationDrainDuration ${protoDuration(drain)}`;
  };
  const buildPlan = (sigkillAt: string): ShutdownPlan => {
    const all: ShutdownPhaseProps[] = [...phases, {
      kind: PhaseKind.DRAIN,
      name: 'proxy-drain',
      description: drainDescription(sigkillAt),
      bound: drain,
      endsEarly: exitOnZero,
      inPreStop: false,
      boundProperty: 'terminationDrainDuration',
    }];
    if (margin.toMilliseconds() > 0) {
      all.push({
        kind: PhaseKind.MARGIN,
        name: 'margin',
        description: exitOnZeroOrdinary ? 'safety margin (with exit-on-zero the proxy may still be draining here: only SIGKILL stops it)' : 'safety margin',
        bound: margin,
        boundProperty: 'margin',
      });
    }
    return new ShutdownPlan({ phases: all, terminationGracePeriod: props.terminationGracePeriod });
  };
  // Built once: the SIGKILL time is the plan's own last row, so the description does not repeat it.
  const plan = buildPlan('the end of the grace period');

  // Nothing to wait for and nothing to call: the app gets its stop signal at once.
  let appPreStop: PosixScript | undefined;
  if (plan.preStopDeadline.toMilliseconds() >= 1000) {
    appPreStop = new PosixScript({ name: 'app-prestop', deadline: plan.preStopDeadline })
      .add(Step.sleepUntil(plan.endOf('propagate'), 'endpoint removal reaches kube-proxy, ingresses and the other sidecars'));
    if (endpointUrl) {
      appPreStop.add(Step.http({
        method: endpoint!.method ?? HttpMethod.POST,
        url: ShellWord.literal(endpointUrl),
        timeout: plan.phase('app-shutdown').bound,
        description: 'app shutdown endpoint',
      }));
    }
  }

  // The other app containers wait for propagation too, then get their stop signal.
  const additionalPreStops: { [name: string]: PosixScript } = {};
  if (plan.endOf('propagate').toMilliseconds() >= 1000) {
    for (const c of extras) {
      additionalPreStops[c.name] = new PosixScript({ name: `${c.name.slice(0, 55)}-prestop`, deadline: plan.endOf('propagate') })
        .add(Step.sleepUntil(plan.endOf('propagate'), 'endpoint removal reaches kube-proxy, ingresses and the other sidecars'));
    }
  }

  // The hold lasts until the end of the app's stop phase. Nothing the proxy container can see
  // tells that the app is done earlier: an app closes its listeners on SIGTERM and may still call
  // out seconds later (a flush, a deregistration), and the app container's exit is invisible from
  // another container. Releasing at the first poll that saw the app's ports closed stopped Envoy
  // while the app still needed it (test/istio/kubelet-order.real.test.ts).
  let proxyPreStop: PosixScript | undefined;
  if (!native) {
    const stopEnd = plan.endOf('stop');
    proxyPreStop = new PosixScript({ name: 'istio-proxy-hold', deadline: stopEnd })
      .add(
        Step.log(`holding istio-proxy until t=${formatDuration(stopEnd)}, the end of the app's stop phase`),
        Step.sleepUntil(stopEnd, "the app's shutdown and its outbound calls keep the proxy"),
      );
  }

  const userAnnotations = props.podAnnotations ?? {};
  const proxyConfig = renderProxyConfig({
    terminationDrainDuration: plan.phase('proxy-drain').bound,
    holdApplicationUntilProxyStarts: props.holdApplicationUntilProxyStarts,
    exitOnZeroActiveConnections: exitOnZero,
    minimumDrainDuration: minDrain,
  }, userAnnotations[PROXY_CONFIG_ANNOTATION]);
  const annotations: { [key: string]: string } = { ...userAnnotations, [PROXY_CONFIG_ANNOTATION]: proxyConfig };
  if (istio.supportsNativeSidecarAnnotation) {
    const want = String(native);
    const theirs = userAnnotations[NATIVE_SIDECAR_ANNOTATION];
    if (theirs !== undefined && theirs !== want) {
      throw propError(scopePath, `podAnnotations['${NATIVE_SIDECAR_ANNOTATION}']`, theirs, `contradicts nativeSidecars: ${native}. Remove the annotation and set nativeSidecars instead: the shutdown order depends on it.`);
    }
    annotations[NATIVE_SIDECAR_ANNOTATION] = want;
  }
  const injectAnnotation = userAnnotations[SIDECAR_INJECT_LABEL];
  if (injectAnnotation !== undefined && injectAnnotation !== 'true') {
    throw propError(scopePath, `podAnnotations['${SIDECAR_INJECT_LABEL}']`, injectAnnotation, 'turns injection off, but IstioDrainedWorkload exists to order the app and its injected proxy. Remove it, or use GracefulWorkload for a pod without a sidecar.');
  }
  const injectLabel = props.podLabels?.[SIDECAR_INJECT_LABEL];
  if (injectLabel !== undefined && injectLabel !== 'true') {
    throw propError(scopePath, `podLabels['${SIDECAR_INJECT_LABEL}']`, injectLabel, 'turns injection off, but IstioDrainedWorkload exists to order the app and its injected proxy. Remove it, or use GracefulWorkload for a pod without a sidecar.');
  }
  for (const script of [appPreStop, proxyPreStop, ...Object.values(additionalPreStops)]) script?.render();
  return {
    kubernetesVersion,
    plan,
    native,
    appPreStop,
    additionalPreStops: Object.freeze(additionalPreStops),
    proxyPreStop,
    proxyConfig,
    annotations: Object.freeze(annotations),
  };
}

/** `http-web`: the protocol, a dash, the suffix (Istio's `<protocol>[-<suffix>]`). */
export function portName(p: IstioPort): string {
  return `${p.protocol}-${p.suffix ?? p.port}`;
}

/** Every app port of the pod: names and numbers unique across containers (one network namespace). */
class PortRegistry {
  public readonly numbers: number[] = [];
  private readonly names = new Set<string>();
  constructor(private readonly scopePath: string | undefined) {}

  public add(property: string, ports: IstioPort[]): void {
    for (const p of ports) {
      assertPort(this.scopePath, `${property}[].port`, p.port);
      if (p.servicePort !== undefined) assertPort(this.scopePath, `${property}[].servicePort`, p.servicePort);
      const name = portName(p);
      // Container port names are IANA_SVC_NAMEs: <= 15 lower-case letters, digits and single dashes.
      if (name.length > 15 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) || !/[a-z]/.test(name)) {
        throw propError(this.scopePath, `${property}[].suffix`, p.suffix ?? String(p.port), `makes the port name '${name}', which is not a valid port name: at most 15 lower-case letters, digits and single dashes. Use a shorter suffix such as 'web'.`);
      }
      if (this.names.has(name)) throw propError(this.scopePath, property, name, 'appears twice: give each port a unique suffix.');
      if (this.numbers.includes(p.port)) {
        throw propError(this.scopePath, `${property}[].port`, p.port, 'is declared twice: the containers of a pod share one network namespace, so only one of them can listen on a port.');
      }
      this.names.add(name);
      this.numbers.push(p.port);
    }
  }
}

function assertContainerName(scopePath: string | undefined, property: string, name: string): void {
  if (name === ISTIO_PROXY_CONTAINER || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw propError(scopePath, property, name, `must be a DNS label (lower-case letters, digits, '-') other than '${ISTIO_PROXY_CONTAINER}', which is the injected proxy's name.`);
  }
}

function assertPort(_scopePath: string | undefined, property: string, port: number): void {
  checkPort(port, property);
}

function wholeSeconds(_scopePath: string | undefined, property: string, d: Duration, min: number): Duration {
  return checkDuration(d, property, { minSeconds: min, whole: true });
}

function positive(scopePath: string | undefined, property: string, d: Duration): Duration {
  if (d.toMilliseconds() === 0) throw durationError(scopePath, property, d, 'must be longer than zero.');
  return checkDuration(d, property, { minSeconds: 0, whole: false });
}

function nonNegative(_scopePath: string | undefined, property: string, d: Duration): Duration {
  return checkDuration(d, property, { minSeconds: 0, whole: false });
}

/** `test/orders: propagation 1.5s must be ...`: durations in the timeline's own notation. */
function durationError(scopePath: string | undefined, property: string, d: Duration, fix: string): Error {
  return propError(scopePath, property, d, fix);
}

/** An error naming the construct path (when known), the property, the value and the fix. */
function propError(scopePath: string | undefined, property: string, value: unknown, fix: string): Error {
  return new ValidationError(property, value, fix, scopePath);
}
