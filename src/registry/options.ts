import { Duration } from 'cdk8s';

/** The timings of a registry-aware shutdown; every one becomes a phase bound of the plan. */
export interface RegistryShutdownOptions {
  /**
   * The timeout of each HTTP call: the app's offline call, each force-remove call, the config
   * clean-up, and each presence check. Whole seconds.
   * @default Duration.seconds(3)
   */
  readonly requestTimeout?: Duration;
  /**
   * How long to wait for the registry to confirm the instance is gone after the offline call,
   * polling every `pollInterval`; the force-remove follows when it is still there. Whole seconds.
   * @default Duration.seconds(5)
   */
  readonly confirmTimeout?: Duration;
  /**
   * How often the presence check runs while confirming.
   * @default Duration.seconds(1)
   */
  readonly pollInterval?: Duration;
  /**
   * How often the script asks the registry again during the wait for client caches and in-flight
   * calls, to remove the instance again when a client's heartbeat registered it again. Each check
   * is bounded inside the wait: the wait is never shortened or lengthened by it.
   * @default Duration.seconds(5)
   */
  readonly recheckInterval?: Duration;
  /**
   * How long a Nacos username/password login may take, retries included (only with
   * `NacosAuth.usernamePassword`).
   * @default Duration.seconds(3)
   */
  readonly loginTimeout?: Duration;
  /**
   * How long clients keep routing to the removed instance from their caches (registry fetch,
   * server response cache, load-balancer list). At least 1s: this wait is never skipped.
   * @default the registry's `defaultCacheRefresh` (Eureka 90s; Nacos, Consul, custom 10s)
   */
  readonly cacheRefresh?: Duration;
  /**
   * The clients' RPC timeout: a call sent just before the caches refreshed may run this long. At
   * least 1s: this wait is never skipped.
   * @default Duration.seconds(5)
   */
  readonly rpcTimeout?: Duration;
  /**
   * How long the app takes to exit after SIGTERM (Spring Boot's
   * `spring.lifecycle.timeout-per-shutdown-phase` defaults to 30s).
   * @default Duration.seconds(30)
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
}

