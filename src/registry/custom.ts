/** An in-house admin API: its options and what its factory derives. */
import { Duration } from 'cdk8s';
import { checkText } from '../core';
import { HttpMethod, ShellWord } from '../script';
import { clearConfigCall, clearConfigSecrets, FlavourParts, RegistryCommonOptions, RegistryKind } from './flavour';
import { bindHeaders } from './internal';
import { adminCheckPresence } from './probes';
import type { Registry } from './registry';
import { RegistryHeader } from './secret';
import { checkUrl, checkUserText, runtimeEnvOf, urlHost } from './url';

/** Options of {@link Registry.custom}. */
export interface CustomRegistryOptions extends RegistryCommonOptions {
  /**
   * What the admin API is, for the log and the timeline.
   * @default 'admin API'
   */
  readonly name?: string;
  /** The URL that takes this instance offline. May contain `${POD_IP}`, `${HOST_IP}`, `${POD_NAME}`. */
  readonly offlineUrl: string;
  /**
   * The method of the offline call.
   * @default HttpMethod.POST
   */
  readonly offlineMethod?: HttpMethod;
  /**
   * The URL that tells whether this instance is still registered: a 404 answer means gone, a 2xx
   * answer means present (see `checkPresentText`), anything else means "cannot tell".
   */
  readonly checkUrl: string;
  /**
   * When set, a 2xx answer means present only when its body contains this text (may contain
   * `${POD_IP}`), and gone otherwise.
   * @default any 2xx answer means present
   */
  readonly checkPresentText?: string;
  /** The URL that removes the instance when the offline call did not. */
  readonly forceRemoveUrl: string;
  /**
   * The method of the force-remove call.
   * @default HttpMethod.DELETE
   */
  readonly forceRemoveMethod?: HttpMethod;
  /**
   * Headers for the offline, check and force-remove calls.
   * @default none
   */
  readonly headers?: RegistryHeader[];
}

/** What `Registry.custom(options)` is made of. @internal */
export function customParts(options: CustomRegistryOptions): FlavourParts {
  const name = options.name === undefined ? 'admin API' : checkText(options.name, 'Registry.custom name', 'what the admin API is, for the log', 'soa-admin');
  const offlineUrl = checkUrl(options.offlineUrl, 'Registry.custom offlineUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080/offline');
  const check = checkUrl(options.checkUrl, 'Registry.custom checkUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080');
  const forceRemoveUrl = checkUrl(options.forceRemoveUrl, 'Registry.custom forceRemoveUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080');
  const bound = bindHeaders(options.headers, 'GS_REG_HEADER');
  const text = options.checkPresentText === undefined ? undefined
    : checkUserText(options.checkPresentText, 'Registry.custom checkPresentText', 'a text a present answer contains', '"ip":"${POD_IP}"');
  return {
    kind: RegistryKind.CUSTOM,
    description: `${name} at ${urlHost(check)}`,
    defaultCacheRefresh: Duration.seconds(10),
    spec: {
      offline: [{ method: options.offlineMethod ?? HttpMethod.POST, url: ShellWord.userTemplate(offlineUrl, 'Registry.custom offlineUrl'), headers: bound.headers, description: `${name}: offline` }],
      removal: [{ method: options.forceRemoveMethod ?? HttpMethod.DELETE, url: ShellWord.userTemplate(forceRemoveUrl, 'Registry.custom forceRemoveUrl'), headers: bound.headers, description: `${name}: force-remove` }],
      presence: adminCheckPresence(name, ShellWord.userTemplate(check, 'Registry.custom checkUrl'), bound.headers,
        text === undefined ? undefined : ShellWord.userTemplate(text, 'Registry.custom checkPresentText')),
      clearConfig: clearConfigCall(options, 'Registry.custom'),
      secrets: [...bound.envs, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnvOf([offlineUrl, check, forceRemoveUrl, text, options.clearConfigUrl]),
    },
  };
}
