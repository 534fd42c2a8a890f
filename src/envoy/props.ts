import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { GracefulEnvoyGateway } from './gateway';
import { DrainTarget } from './stats';
import { KubernetesVersion } from '../workload/kubernetes-version';

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
