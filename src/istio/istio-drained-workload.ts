import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { formatDuration } from '../plan/duration-format';
import { HttpMethod, PosixScript, ShellWord, Step } from '../script';
import { GracefulWorkload, KubernetesVersion, PreStopHook } from '../workload';
import { IstioVersion } from './istio-version';
import { PROXY_CONFIG_ANNOTATION, protoDuration, renderProxyConfig } from './proxy-config';
import { appActivityProbe, ENVOY_OUTBOUND_PORT } from './proxy-hold-probe';
import { installDeclaredProxyTrim, ISTIO_PROXY_CONTAINER } from './proxy-trim';
import { checkDuration, checkPort, checkPresent, checkText, DerivationCache } from '../core';
import { propError, withConstructPath } from '../workload/errors';

/**
 * The pod label that asks Istio's webhook to inject the sidecar: "If either label is enabled, the
 * pod is injected", unless the namespace has `istio-injection=disabled` ("If either label is
 * disabled, the pod is not injected"). Control planes installed with revisions match
 * `istio.io/rev=<revision>` instead: add it through `podLabels`.
 * (istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy)
 */
export const SIDECAR_INJECT_LABEL = 'sidecar.istio.io/inject';
/** Per-pod choice of native or ordinary sidecar injection (Istio 1.24+, precedence over `ENABLE_NATIVE_SIDECARS`). */
export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';

/**
 * The application protocol of a port, for Istio's explicit protocol selection: the Service port
 * is named `<protocol>-<suffix>` and carries `appProtocol: <protocol>`
 * (istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/).
 */
export enum IstioProtocol {
  /** Plaintext HTTP/1.1. */
  HTTP = 'http',
  /** Plaintext HTTP/2. */
  HTTP2 = 'http2',
  /** TLS the sidecar does not terminate (same as TLS for a sidecar). */
  HTTPS = 'https',
  /** gRPC (HTTP/2). */
  GRPC = 'grpc',
  /** gRPC-Web. */
  GRPC_WEB = 'grpc-web',
  /** Opaque TCP. */
  TCP = 'tcp',
  /** TLS passthrough. */
  TLS = 'tls',
}

/** A port the app listens on. */
export interface IstioPort {
  /** The container port. */
  readonly port: number;
  /** Its protocol, for Istio's protocol selection. */
  readonly protocol: IstioProtocol;
  /**
   * Suffix of the port name: the name is `<protocol>-<suffix>`, at most 15 characters (container
   * port names are IANA service names).
   * @default the port number
   */
  readonly suffix?: string;
  /**
   * The Service port that forwards to it.
   * @default the container port
   */
  readonly servicePort?: number;
}

/** The app's own shutdown endpoint, called from its preStop hook after propagation. */
export interface AppShutdownEndpoint {
  /** The path, e.g. `/shutdown` or `/actuator/shutdown`. */
  readonly path: string;
  /**
   * The port, on 127.0.0.1 inside the app container.
   * @default the first of `ports`
   */
  readonly port?: number;
  /**
   * The method.
   * @default HttpMethod.POST
   */
  readonly method?: HttpMethod;
  /**
   * How long the call may take (whole seconds); the bound of the `app-shutdown` phase.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
}

/**
 * Another container of the app in the same pod, e.g. the backend behind an nginx main container.
 * Its preStop waits for endpoint propagation like the main container's, and the declared
 * `istio-proxy` waits until its ports are closed too. Its ports are not exposed by the Service.
 */
export interface IstioAppContainer {
  /** The container name: a DNS label, unique in the pod, not `istio-proxy`. */
  readonly name: string;
  /** The image. Needs `sh`, `date` and `sleep` when `propagation` is above 0 (the preStop waits). */
  readonly image: string;
  /**
   * The ports it listens on (on any address, loopback included). Declared on the container with
   * names for protocol selection; the proxy is held until all of them are closed.
   * @default none: the proxy does not wait for this container's sockets
   */
  readonly ports?: IstioPort[];
  /**
   * Environment variables.
   * @default none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };
  /**
   * Resources.
   * @default 100m CPU and 128Mi memory requested, 512Mi memory limit
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Security context.
   * @default cdk8s-plus defaults (non-root, read-only root filesystem)
   */
  readonly securityContext?: kplus.ContainerSecurityContextProps;
}

/** Props of an {@link IstioDrainedWorkload}. */
export interface IstioDrainedWorkloadProps {
  /** The Istio version of the mesh: decides which proxy settings exist. */
  readonly istioVersion: IstioVersion;
  /** The image of the main app container (the one the Service reaches, e.g. nginx in front of a backend). */
  readonly image: string;
  /**
   * The ports the main app container listens on (at least one). The Service exposes them, and the
   * proxy is held until all of them are closed.
   */
  readonly ports: IstioPort[];
  /**
   * The main app container's name.
   * @default 'app'
   */
  readonly containerName?: string;
  /**
   * Further containers of the app in the same pod (a backend behind an nginx front, a worker).
   * Each gets the propagation wait as its preStop; the proxy is held until their ports close too.
   * @default none
   */
  readonly additionalContainers?: IstioAppContainer[];
  /**
   * Whether the `istio-proxy` preStop also waits while the app still has connections out through
   * the proxy: ESTABLISHED sockets on Envoy's outbound port 15001, read from `/proc/net/tcp`.
   * Only visible with REDIRECT interception (Istio's default); with
   * `sidecar.istio.io/interceptionMode: TPROXY` it sees none and only the listening ports count.
   * @default true
   */
  readonly waitForOutboundConnections?: boolean;
  /**
   * Environment variables of the app container.
   * @default none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };
  /**
   * Resources of the app container.
   * @default 100m CPU and 128Mi memory requested, 512Mi memory limit
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Security context of the app container.
   * @default cdk8s-plus defaults (non-root, read-only root filesystem)
   */
  readonly securityContext?: kplus.ContainerSecurityContextProps;
  /**
   * How long endpoint removal takes to reach kube-proxy, ingresses and the other sidecars
   * (whole seconds). Every app container's preStop waits this long, serving as usual.
   * @default Duration.seconds(5)
   */
  readonly propagation?: Duration;
  /**
   * The app's own shutdown endpoint, called after propagation. Needs curl or wget in the app image.
   * @default no call: the app only gets its stop signal
   */
  readonly shutdownEndpoint?: AppShutdownEndpoint;
  /**
   * How long the app takes to exit after its stop signal (its own graceful shutdown, including
   * the outbound calls it makes while stopping, which still go through the proxy).
   * @default Duration.seconds(10)
   */
  readonly appShutdownTimeout?: Duration;
  /**
   * `terminationDrainDuration` of the proxy: how long pilot-agent drains Envoy after its SIGTERM
   * before stopping it. With exit-on-zero pilot-agent ignores it (it polls until 0 connections or
   * SIGKILL): it is then only the budget the plan reserves for the drain before SIGKILL.
   * @default Duration.seconds(5) (Istio's default)
   */
  readonly terminationDrainDuration?: Duration;
  /**
   * Sets `proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"`: pilot-agent stops Envoy as soon
   * as no downstream connection is active (after `minimumDrainDuration`). pilot-agent then has no
   * limit of its own: `terminationDrainDuration` is the budget the plan reserves, and SIGKILL at the
   * end of the grace period ends the drain. Risk: it also stops Envoy *early* when the stats cannot
   * be read 5 times in a row or come back empty. Needs Istio 1.12+.
   * @default false
   */
  readonly exitOnZeroActiveConnections?: boolean;
  /**
   * `proxyMetadata.MINIMUM_DRAIN_DURATION`: with exit-on-zero, how long pilot-agent drains before
   * it starts counting connections. Must not exceed `terminationDrainDuration`.
   * @default not written (Istio's default, 5s, applies); only allowed with exitOnZeroActiveConnections
   */
  readonly minimumDrainDuration?: Duration;
  /**
   * Writes `holdApplicationUntilProxyStarts` (ordinary sidecars: the app starts only once the proxy is ready).
   * @default not written (the mesh default applies)
   */
  readonly holdApplicationUntilProxyStarts?: boolean;
  /**
   * Slack before SIGKILL.
   * @default Duration.seconds(2)
   */
  readonly margin?: Duration;
  /**
   * A grace period to pin; it must cover the whole plan.
   * @default derived from the plan
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Whether Istio injects the proxy as a Kubernetes native sidecar (init container with
   * `restartPolicy: Always`). Then Kubernetes stops it after the app has exited and the construct
   * declares no `istio-proxy` preStop. Needs Kubernetes 1.29+ and Istio 1.19+; on Istio 1.24+
   * the construct sets `sidecar.istio.io/nativeSidecar` to match, before that the mesh must have
   * `ENABLE_NATIVE_SIDECARS=true`.
   * @default false
   */
  readonly nativeSidecars?: boolean;
  /**
   * How often the `istio-proxy` preStop checks whether the app's ports are closed and its
   * outbound connections have ended (whole seconds).
   * @default Duration.seconds(1)
   */
  readonly portPollInterval?: Duration;
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
   * Extra pod labels.
   * @default none
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Extra pod annotations. A `proxy.istio.io/config` here is merged with the derived fields.
   * @default none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * The Service type.
   * @default ServiceType.CLUSTER_IP
   */
  readonly serviceType?: kplus.ServiceType;
}

/**
 * A workload and its Istio sidecar that shut down in the right order, from one plan.
 *
 * Kubernetes signals every container at once, so an injected proxy can stop while the app is
 * still shutting down and still making outbound calls. This construct:
 * - derives `terminationGracePeriodSeconds` from propagation + app shutdown + the proxy's
 *   `terminationDrainDuration` + margin, so the drain is never cut by SIGKILL;
 * - writes `proxy.istio.io/config` (`terminationDrainDuration`, optionally
 *   `holdApplicationUntilProxyStarts` and exit-on-zero) merged with the user's own;
 * - gives the app a preStop that waits for endpoint propagation, then calls its shutdown endpoint
 *   (and `additionalContainers`, e.g. a backend behind nginx, the same propagation wait);
 * - with ordinary sidecars, declares an `istio-proxy` container holding only a preStop that waits
 *   until every app container's ports are closed and the app's connections out through Envoy's
 *   outbound port 15001 have ended (bounded by the end of the app's stop phase). Istio merges a
 *   container of that name in the pod spec into the injected one ("Customizing injection",
 *   istio.io/latest/docs/setup/additional-setup/sidecar-injection/#customizing-injection; the
 *   merge is `reapplyOverwrittenContainers` in istio/istio `pkg/kube/inject/inject.go`, where
 *   `image: auto` keeps the injected image);
 * - with native sidecars, relies on Kubernetes stopping the proxy after the app and says so;
 * - labels the pod for injection, names ports for protocol selection and adds a Service.
 */
export class IstioDrainedWorkload extends Construct {
  /** The plan every timing comes from. */
  public readonly plan: ShutdownPlan;
  /**
   * The workload (Deployment, PodDisruptionBudget, Service): this construct's default child (id `Default`), so the objects' names
   * and addresses are those of direct children (`<chart>-<id>-deployment-<hash>`).
   */
  public readonly workload: GracefulWorkload;
  /** The value of the `proxy.istio.io/config` annotation. */
  public readonly proxyConfig: string;
  /** Whether the proxy is a native sidecar (no declared `istio-proxy` preStop). */
  public readonly nativeSidecars: boolean;
  /**
   * The app container's preStop script (none when propagation is 0 and there is no shutdown
   * endpoint). Already rendered, so sealed: workloads with equal props share it.
   */
  public readonly appPreStop?: PosixScript;
  /** The declared `istio-proxy` preStop script (ordinary sidecars only); rendered, so sealed and shared like `appPreStop`. */
  public readonly proxyPreStop?: PosixScript;
  /** The Service. */
  public readonly service: kplus.Service;

  /**
   * @param scope the chart or construct to add the workload to
   * @param id the construct id; names the Deployment and Service
   * @param props the app, its ports, the Istio version and the timings
   */
  public constructor(scope: Construct, id: string, props: IstioDrainedWorkloadProps) {
    super(scope, id);
    // Validation, the plan, the scripts and the annotations are a pure function of the props:
    // derived once per distinct props value and shared by equal workloads.
    const built = withConstructPath(this, () => DERIVATIONS.get(props, this));
    const kubernetesVersion = built.kubernetesVersion;
    this.plan = built.plan;
    this.nativeSidecars = built.native;
    this.proxyConfig = built.proxyConfig;
    this.appPreStop = built.appPreStop;
    this.proxyPreStop = built.proxyPreStop;

    this.workload = new GracefulWorkload(this, 'Default', {
      plan: this.plan,
      replicas: props.replicas,
      kubernetesVersion,
      podLabels: { ...props.podLabels, [SIDECAR_INJECT_LABEL]: 'true' },
      podAnnotations: built.annotations,
    });
    const containerName = props.containerName ?? 'app';
    this.workload.addContainer({
      name: containerName,
      image: props.image,
      ports: props.ports.map(p => ({ number: p.port, name: portName(p) })),
      envVariables: props.envVariables,
      resources: props.resources,
      securityContext: props.securityContext,
      preStop: this.appPreStop ? PreStopHook.script(this.appPreStop) : PreStopHook.none(),
    });
    for (const extra of props.additionalContainers ?? []) {
      const preStop = built.additionalPreStops[extra.name];
      this.workload.addContainer({
        name: extra.name,
        image: extra.image,
        ports: (extra.ports ?? []).map(p => ({ number: p.port, name: portName(p) })),
        envVariables: extra.envVariables,
        resources: extra.resources,
        securityContext: extra.securityContext,
        preStop: preStop ? PreStopHook.script(preStop) : PreStopHook.none(),
      });
    }
    if (this.proxyPreStop) {
      // Declared only to carry the preStop: everything else comes from the injection template.
      this.workload.deployment.addContainer({
        name: ISTIO_PROXY_CONTAINER,
        image: 'auto',
        lifecycle: { preStop: kplus.Handler.fromCommand(this.proxyPreStop.toCommand()) },
      });
      installDeclaredProxyTrim(ApiObject.of(this.workload.deployment));
    }
    this.service = this.workload.exposeViaService({
      serviceType: props.serviceType,
      ports: props.ports.map(p => ({ port: p.servicePort ?? p.port, targetPort: p.port, name: portName(p) })),
    });
    // appProtocol is in the 1.28 schema but not in cdk8s-plus-28's ServicePort: add it by patch.
    const svc = ApiObject.of(this.service);
    props.ports.forEach((p, i) => svc.addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, p.protocol)));
  }

  /** The main app container (the one `image` and `ports` describe). */
  public get appContainer(): kplus.Container {
    return this.workload.deployment.containers[0];
  }

  /** An app container by name: the main one or one of `additionalContainers`. */
  public container(name: string): kplus.Container {
    if (name === ISTIO_PROXY_CONTAINER) {
      throw new Error(`${this.node.path}: the declared '${ISTIO_PROXY_CONTAINER}' only carries a preStop merged into the injected proxy; it is not an app container.`);
    }
    return this.workload.container(name);
  }

  /** The Deployment. */
  public get deployment(): kplus.Deployment {
    return this.workload.deployment;
  }
}

/** What an IstioDrainedWorkload derives from its props alone. */
interface Derived {
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
 * Validation, the plan, the scripts and the annotations, from the props alone (`scope` names the
 * construct in errors only): derived once per distinct props value and shared by equal workloads.
 */
function derive(props: IstioDrainedWorkloadProps, scope: Construct): Derived {
  checkText(props?.image, 'image', "the app's image", 'registry.example.com/orders:1.4.2');
  const istio = checkPresent(props.istioVersion, 'istioVersion', "give the mesh's version, e.g. IstioVersion.of('1.22').");
  checkPresent(props.ports, 'ports', 'give at least one port the app listens on, e.g. { port: 8080, protocol: IstioProtocol.HTTP }.');
  if (props.ports.length === 0) {
    throw propError(scope, 'ports', '[]', 'is empty: give at least one port the app listens on, e.g. { port: 8080, protocol: IstioProtocol.HTTP }.');
  }
  const kubernetesVersion = props.kubernetesVersion ?? KubernetesVersion.V1_28;
  const seenPorts = new PortRegistry(scope);
  seenPorts.add('ports', props.ports);
  const containerName = props.containerName ?? 'app';
  assertContainerName(scope, 'containerName', containerName);
  const extras = props.additionalContainers ?? [];
  const names = [containerName];
  extras.forEach((c, i) => {
    assertContainerName(scope, `additionalContainers[${i}].name`, c.name);
    if (names.includes(c.name)) {
      throw propError(scope, `additionalContainers[${i}].name`, c.name, 'is already the name of another app container: container names are unique in a pod.');
    }
    names.push(c.name);
    seenPorts.add(`additionalContainers[${i}].ports`, c.ports ?? []);
  });
  const containersText = names.length > 1 ? `app containers (${names.join(', ')})` : 'app';
  const native = props.nativeSidecars ?? false;
  if (native && !kubernetesVersion.supportsNativeSidecars) {
    throw propError(scope, 'nativeSidecars', true, `needs kubernetesVersion 1.29 or newer (native sidecars), but it is ${kubernetesVersion}. Raise kubernetesVersion or set nativeSidecars: false.`);
  }
  if (native && !istio.supportsNativeSidecars) {
    throw propError(scope, 'nativeSidecars', true, `needs Istio 1.19 or newer (ENABLE_NATIVE_SIDECARS), but istioVersion is ${istio}. Upgrade Istio or set nativeSidecars: false.`);
  }

  const propagation = wholeSeconds(scope, 'propagation', props.propagation ?? Duration.seconds(5), 0);
  const appShutdownTimeout = positive(scope, 'appShutdownTimeout', props.appShutdownTimeout ?? Duration.seconds(10));
  const drain = positive(scope, 'terminationDrainDuration', props.terminationDrainDuration ?? Duration.seconds(5));
  const margin = nonNegative(scope, 'margin', props.margin ?? Duration.seconds(2));
  const interval = wholeSeconds(scope, 'portPollInterval', props.portPollInterval ?? Duration.seconds(1), 1);
  const exitOnZero = props.exitOnZeroActiveConnections ?? false;
  if (exitOnZero && !istio.supportsExitOnZeroActiveConnections) {
    throw propError(scope, 'exitOnZeroActiveConnections', true, `needs Istio 1.12 or newer (EXIT_ON_ZERO_ACTIVE_CONNECTIONS), but istioVersion is ${istio}. Upgrade Istio or leave exitOnZeroActiveConnections off.`);
  }
  if (props.minimumDrainDuration && !exitOnZero) {
    throw durationError(scope, 'minimumDrainDuration', props.minimumDrainDuration, 'only applies with exitOnZeroActiveConnections: true (pilot-agent reads it only then). Set exitOnZeroActiveConnections: true or remove minimumDrainDuration.');
  }
  const minDrain = props.minimumDrainDuration ? nonNegative(scope, 'minimumDrainDuration', props.minimumDrainDuration) : undefined;
  if (minDrain && minDrain.toMilliseconds() > drain.toMilliseconds()) {
    throw durationError(scope, 'minimumDrainDuration', minDrain, `is longer than terminationDrainDuration ${formatDuration(drain)}, the drain's budget in the grace period: SIGKILL would come about when pilot-agent starts counting connections. Lower minimumDrainDuration to at most ${formatDuration(drain)} or raise terminationDrainDuration.`);
  }

  const endpoint = props.shutdownEndpoint;
  let endpointUrl: string | undefined;
  let endpointTimeout: Duration | undefined;
  if (endpoint) {
    if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/.test(endpoint.path)) {
      throw propError(scope, 'shutdownEndpoint.path', endpoint.path, "is not a URL path: start it with '/' and use only URL characters (percent-encode the rest).");
    }
    const port = endpoint.port ?? props.ports[0].port;
    assertPort(scope, 'shutdownEndpoint.port', port);
    endpointUrl = `http://127.0.0.1:${port}${endpoint.path}`;
    endpointTimeout = wholeSeconds(scope, 'shutdownEndpoint.timeout', endpoint.timeout ?? Duration.seconds(5), 1);
  }

  // The plan, built from the props; every timing below is read back from it.
  const waitOutbound = !native && (props.waitForOutboundConnections ?? true);
  const holdUntil = waitOutbound
    ? "the app's ports are closed and its connections out through the proxy have ended"
    : "the app's ports are closed";
  const proxyWhile = native
    ? 'the native istio-proxy sidecar keeps running (Kubernetes stops it only after the app has exited)'
    : `istio-proxy's preStop holds the proxy until ${holdUntil}`;
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
      : `${containersText} ${names.length > 1 ? 'get their' : 'gets its'} stop signal and exit${names.length > 1 ? '' : 's'}; outbound calls still go through the proxy, whose preStop returns once ${holdUntil}`,
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
  const drainDescription = (sigkillAt: string): string => {
    if (native) {
      return `istio-proxy gets SIGTERM after the app exited: Istio 1.21+ has drained since its own preStop and exits at once; before 1.21 it drains as an ordinary sidecar (terminationDrainDuration ${protoDuration(drain)})`;
    }
    if (exitOnZero) {
      return `istio-proxy gets SIGTERM: pilot-agent drains inbound listeners, waits MINIMUM_DRAIN_DURATION ${minText}, then stops Envoy at 0 active connections `
        + `(or early when its stats cannot be read). It ignores terminationDrainDuration in this mode: only SIGKILL at ${sigkillAt} ends a drain that never reaches 0; `
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

  let proxyPreStop: PosixScript | undefined;
  if (!native) {
    const probe = appActivityProbe(seenPorts.numbers, waitOutbound ? ENVOY_OUTBOUND_PORT : undefined);
    proxyPreStop = new PosixScript({ name: 'istio-proxy-hold', deadline: plan.endOf('stop') })
      .add(
        Step.log(`holding istio-proxy until ${holdUntil}, so the app's shutdown and outbound calls keep the proxy`),
        Step.pollUntilZero({ probe, interval }),
        Step.whenPollDidNotReachZero([Step.log('the app is still active at the end of its stop phase; releasing istio-proxy to drain anyway')]),
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
      throw propError(scope, `podAnnotations['${NATIVE_SIDECAR_ANNOTATION}']`, theirs, `contradicts nativeSidecars: ${native}. Remove the annotation and set nativeSidecars instead: the shutdown order depends on it.`);
    }
    annotations[NATIVE_SIDECAR_ANNOTATION] = want;
  }
  const injectAnnotation = userAnnotations[SIDECAR_INJECT_LABEL];
  if (injectAnnotation !== undefined && injectAnnotation !== 'true') {
    throw propError(scope, `podAnnotations['${SIDECAR_INJECT_LABEL}']`, injectAnnotation, 'turns injection off, but IstioDrainedWorkload exists to order the app and its injected proxy. Remove it, or use GracefulWorkload for a pod without a sidecar.');
  }
  const injectLabel = props.podLabels?.[SIDECAR_INJECT_LABEL];
  if (injectLabel !== undefined && injectLabel !== 'true') {
    throw propError(scope, `podLabels['${SIDECAR_INJECT_LABEL}']`, injectLabel, 'turns injection off, but IstioDrainedWorkload exists to order the app and its injected proxy. Remove it, or use GracefulWorkload for a pod without a sidecar.');
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

const DERIVATIONS = new DerivationCache(derive);

/** `http-web`: the protocol, a dash, the suffix (Istio's `<protocol>[-<suffix>]`). */
function portName(p: IstioPort): string {
  return `${p.protocol}-${p.suffix ?? p.port}`;
}

/** Every app port of the pod: names and numbers unique across containers (one network namespace). */
class PortRegistry {
  public readonly numbers: number[] = [];
  private readonly names = new Set<string>();
  constructor(private readonly scope: Construct) {}

  public add(property: string, ports: IstioPort[]): void {
    for (const p of ports) {
      assertPort(this.scope, `${property}[].port`, p.port);
      if (p.servicePort !== undefined) assertPort(this.scope, `${property}[].servicePort`, p.servicePort);
      const name = portName(p);
      // Container port names are IANA_SVC_NAMEs: <= 15 lower-case letters, digits and single dashes.
      if (name.length > 15 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) || !/[a-z]/.test(name)) {
        throw propError(this.scope, `${property}[].suffix`, p.suffix ?? String(p.port), `makes the port name '${name}', which is not a valid port name: at most 15 lower-case letters, digits and single dashes. Use a shorter suffix such as 'web'.`);
      }
      if (this.names.has(name)) throw propError(this.scope, property, name, 'appears twice: give each port a unique suffix.');
      if (this.numbers.includes(p.port)) {
        throw propError(this.scope, `${property}[].port`, p.port, 'is declared twice: the containers of a pod share one network namespace, so only one of them can listen on a port.');
      }
      this.names.add(name);
      this.numbers.push(p.port);
    }
  }
}

function assertContainerName(scope: Construct, property: string, name: string): void {
  if (name === ISTIO_PROXY_CONTAINER || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw propError(scope, property, name, `must be a DNS label (lower-case letters, digits, '-') other than '${ISTIO_PROXY_CONTAINER}', which is the injected proxy's name.`);
  }
}

function assertPort(_scope: Construct, property: string, port: number): void {
  checkPort(port, property);
}

function wholeSeconds(_scope: Construct, property: string, d: Duration, min: number): Duration {
  return checkDuration(d, property, { minSeconds: min, whole: true });
}

function positive(scope: Construct, property: string, d: Duration): Duration {
  if (d.toMilliseconds() === 0) throw durationError(scope, property, d, 'must be longer than zero.');
  return checkDuration(d, property, { minSeconds: 0, whole: false });
}

function nonNegative(_scope: Construct, property: string, d: Duration): Duration {
  return checkDuration(d, property, { minSeconds: 0, whole: false });
}

/** `test/orders: propagation 1.5s must be ...`: durations in the timeline's own notation. */
function durationError(scope: Construct, property: string, d: Duration, fix: string): Error {
  return propError(scope, property, d, fix);
}
