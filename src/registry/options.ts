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
   * How long a Nacos username/password login may take, retries included (only with
   * `NacosAuth.usernamePassword`).
   * @default Duration.seconds(3)
   */
  readonly loginTimeout?: Duration;
  /**
   * How long clients keep routing to the removed instance from their caches (registry fetch,
   * server response cache, load-balancer list).
   * @default the registry's `defaultCacheRefresh` (Eureka 90s; Nacos, Consul, custom 10s)
   */
  readonly cacheRefresh?: Duration;
  /**
   * The clients' RPC timeout: a call sent just before the caches refreshed may run this long.
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

