/**
 * What every registry flavour shares: its kind, the options each has, and what a flavour's
 * factory derives from its options (pure; the `Registry` value type wraps it).
 */
import { Duration } from 'cdk8s';
import { HttpMethod, ShellWord } from '../script';
import type { Confirmation } from './confirmation';
import { bindHeaders, RegistryCall, RegistrySpec, SecretEnv } from './internal';
import type { NacosApiVersion } from './nacos';
import type { Registry } from './registry';
import { RegistryHeader } from './secret';
import { checkUrl } from './url';

/** Which registry a {@link Registry} talks to. */
export enum RegistryKind {
  /** Nacos (Open API v1 or v2, or the 3.x admin API: see {@link NacosApiVersion}). */
  NACOS = 'nacos',
  /** Netflix Eureka (REST operations). */
  EUREKA = 'eureka',
  /** HashiCorp Consul (agent service API). */
  CONSUL = 'consul',
  /** An in-house admin API. */
  CUSTOM = 'custom',
}

/** Options every registry flavour has. */
export interface RegistryCommonOptions {
  /**
   * A URL that clears the configuration kept for this pod's IP (an admin controller that stores
   * config per instance IP, which piles up as pods get new IPs). May contain `${POD_IP}`,
   * `${HOST_IP}` and `${POD_NAME}`, read at run time.
   * @default no clean-up call
   */
  readonly clearConfigUrl?: string;
  /**
   * The method of the clean-up call.
   * @default HttpMethod.DELETE
   */
  readonly clearConfigMethod?: HttpMethod;
  /**
   * Headers for the clean-up call (e.g. an admin token from a Secret).
   * @default none
   */
  readonly clearConfigHeaders?: RegistryHeader[];
  /**
   * Confirm through an admin controller instead of the registry itself, e.g.
   * `Confirmation.adminController({ name: 'soa-admin', checkUrl: 'http://soa-admin/admin/instances?ip=${POD_IP}&port=8080' })`.
   * The force-remove stays the registry's own call unless the controller has a `forceRemoveUrl`.
   * @default the registry's own presence check (Nacos instance list, Eureka instance, Consul agent service)
   */
  readonly confirmation?: Confirmation;
}

/** What a flavour's factory derives from its options. @internal */
export interface FlavourParts {
  readonly kind: RegistryKind;
  /** What and where, for the timeline and the log. */
  readonly description: string;
  /** How long clients keep routing to a removed instance, unless the service sets `cacheRefresh`. */
  readonly defaultCacheRefresh: Duration;
  readonly spec: RegistrySpec;
}

/** The per-IP config clean-up call of a flavour's options, checked; `factory` names the flavour in errors. @internal */
export function clearConfigCall(o: RegistryCommonOptions, factory: string): RegistryCall | undefined {
  if (o.clearConfigUrl === undefined) return undefined;
  const property = `${factory} clearConfigUrl`;
  const url = checkUrl(o.clearConfigUrl, property, 'http://soa-admin.soa:8080/admin/config/${POD_IP}');
  return {
    method: o.clearConfigMethod ?? HttpMethod.DELETE,
    url: ShellWord.userTemplate(url, property),
    headers: bindHeaders(o.clearConfigHeaders, 'GS_REG_CLEAR_HEADER').headers,
    description: 'clear the configuration kept for this pod IP',
  };
}

/** The Secrets the clean-up call's headers read. @internal */
export function clearConfigSecrets(o: RegistryCommonOptions): SecretEnv[] {
  return bindHeaders(o.clearConfigHeaders, 'GS_REG_CLEAR_HEADER').envs;
}
