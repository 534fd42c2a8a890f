/** The `Registry` value type: one factory per flavour (each flavour in its own file). */
import { Duration } from 'cdk8s';
import { withValueKey } from '../core';
import { applyConfirmation, Confirmation } from './confirmation';
import { consulParts, ConsulRegistryOptions } from './consul';
import { customParts, CustomRegistryOptions } from './custom';
import { eurekaParts, EurekaRegistryOptions } from './eureka';
import { FlavourParts, RegistryKind } from './flavour';
import { RegistrySpec } from './internal';
import { nacosParts, NacosRegistryOptions } from './nacos';

/**
 * A service registry and how to leave it, cdk8s-plus `Handler` style: each flavour knows the
 * registry's real API for removing an instance, for checking whether it is still there, and for
 * authenticating, with credentials only from Secrets.
 */
export class Registry {
  /**
   * Nacos: force-remove `DELETE /nacos/{v1,v2}/ns/instance` or `/nacos/v3/admin/ns/instance` with
   * `serviceName&ip&port&groupName&namespaceId&clusterName&ephemeral`; presence from the v1/v2
   * instance list (`hosts[]` with `ip` and `port`; disabled instances are not listed) or the 3.x
   * admin instance detail (404 or `enabled:false`: gone). See `apiVersion`.
   */
  public static nacos(options: NacosRegistryOptions): Registry {
    return withValueKey(new Registry(nacosParts(options), options.confirmation), 'Registry.nacos', options);
  }

  /**
   * Eureka REST operations: force-remove `PUT {serverUrl}/apps/{APP}/{id}/status?value=OUT_OF_SERVICE`
   * (a sticky override: clients skip the instance), then, with `deleteInstance`,
   * `DELETE {serverUrl}/apps/{APP}/{id}`; presence from `GET {serverUrl}/apps/{APP}/{id}` (404: gone;
   * 200 with status UP: present; 200 with another status: out of service, so gone for clients).
   */
  public static eureka(options: EurekaRegistryOptions): Registry {
    return withValueKey(new Registry(eurekaParts(options), options.confirmation), 'Registry.eureka', options);
  }

  /**
   * Consul agent service API: force-remove `PUT /v1/agent/service/deregister/{id}` on the agent
   * that registered the service (ACL `service:write`, token in `X-Consul-Token`); presence from the
   * agent's health of that service, `GET /v1/agent/health/service/id/{id}` (200 passing or 429
   * warning: in rotation; 503 critical, as in maintenance mode, or 404 unknown: out of rotation).
   */
  public static consul(options: ConsulRegistryOptions): Registry {
    return withValueKey(new Registry(consulParts(options), options.confirmation), 'Registry.consul', options);
  }

  /**
   * An in-house admin API: an offline URL, a check URL that tells present (2xx) from gone (404),
   * a force-remove URL and an optional per-IP config clean-up URL.
   */
  public static custom(options: CustomRegistryOptions): Registry {
    return withValueKey(new Registry(customParts(options), options.confirmation), 'Registry.custom', options);
  }

  /** The flavour. */
  public readonly kind: RegistryKind;
  /** What and where, for the timeline and the log. */
  public readonly description: string;
  /**
   * How long clients keep routing to a removed instance by default (their cache refresh), used
   * when the service does not set `cacheRefresh`: Eureka 90s (client fetch 30s + server response
   * cache 30s + Ribbon/LoadBalancer list 30s); Nacos 10s (the `cacheMillis` a 1.x client polls by;
   * 2.x pushes over gRPC); Consul and custom 10s (depends on the clients' watch settings: set it).
   */
  public readonly defaultCacheRefresh: Duration;
  /** @internal */ public readonly _spec: RegistrySpec;

  private constructor(parts: FlavourParts, confirmation?: Confirmation) {
    this.kind = parts.kind;
    this.description = parts.description;
    this.defaultCacheRefresh = parts.defaultCacheRefresh;
    this._spec = applyConfirmation(parts.spec, confirmation);
  }
}
