import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { HttpMethod } from '../script';
import { KubernetesVersion } from '../workload';
import type { IstioDrainedWorkload } from './istio-drained-workload';
import { IstioVersion } from './istio-version';

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
   * No longer has an effect: the `istio-proxy` preStop holds the proxy until the end of the app's
   * stop phase, which covers every outbound call the plan allows (sockets seen in
   * `/proc/net/tcp` could not tell that the app was done: an app that closed its listener still
   * called out later).
   * @default true
   * @deprecated the hold always lasts until the end of the app's stop phase
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
   * be read (5 times in a row from Istio 1.23; once is enough in 1.22 and before: the plan's
   * timeline names the rule for `istioVersion`) or come back empty. Needs Istio 1.12+.
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
   * No longer has an effect (still validated: whole seconds, at least 1): the `istio-proxy`
   * preStop no longer polls the app's sockets, it holds the proxy until the end of the app's
   * stop phase.
   * @default Duration.seconds(1)
   * @deprecated the hold always lasts until the end of the app's stop phase
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
