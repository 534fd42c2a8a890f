import { checkText, RUNTIME_PLACEHOLDERS, ValidationError, withValueKey } from '../core';
import { HttpMethod, ShellWord } from '../script';
import { bindHeaders, RegistryCall, RegistrySpec } from './internal';
import { adminCheckPresence } from './probes';
import { RegistryHeader } from './secret';
import { checkUrl, checkUserText, runtimeEnvOf, urlHost } from './url';

/** Options of {@link Confirmation.adminController}. */
export interface AdminControllerOptions {
  /**
   * What the controller is, for the log and the timeline, e.g. `soa-admin`.
   * @default 'admin controller'
   */
  readonly name?: string;
  /**
   * The URL that tells whether this instance is still registered: a 404 answer means gone, a 2xx
   * answer means present (see `checkPresentText`), anything else or no answer means "cannot tell".
   * May contain `${POD_IP}`, `${HOST_IP}` and `${POD_NAME}`, read at run time.
   */
  readonly checkUrl: string;
  /**
   * When set, a 2xx answer means present only when its body contains this text (may contain
   * `${POD_IP}`), and gone otherwise.
   * @default any 2xx answer means present
   */
  readonly checkPresentText?: string;
  /**
   * The URL that removes the instance through the controller when it is still there at the end of
   * the confirmation. May contain `${POD_IP}`, `${HOST_IP}` and `${POD_NAME}`.
   * @default the registry's own removal call (e.g. Nacos `DELETE /nacos/v1/ns/instance`)
   */
  readonly forceRemoveUrl?: string;
  /**
   * The method of the force-remove call (only with `forceRemoveUrl`).
   * @default HttpMethod.DELETE
   */
  readonly forceRemoveMethod?: HttpMethod;
  /**
   * Headers for the check and force-remove calls (e.g. an admin token from a Secret).
   * @default none
   */
  readonly headers?: RegistryHeader[];
}

/**
 * Who confirms that the instance is gone, when it is not the registry itself: an admin controller
 * that fronts the registry (the field case: the platform's controller knows what its callers see).
 * Give it as `confirmation` to any registry flavour; the flavour's own removal is kept for the
 * force-remove unless the controller has a `forceRemoveUrl`.
 */
export class Confirmation {
  /** Confirm (and optionally force-remove) through an admin controller's HTTP API. */
  public static adminController(options: AdminControllerOptions): Confirmation {
    return withValueKey(Confirmation.makeAdminController(options), 'Confirmation.adminController', options);
  }

  private static makeAdminController(options: AdminControllerOptions): Confirmation {
    const name = options.name === undefined ? 'admin controller' : checkText(options.name, 'Confirmation.adminController name', 'what the controller is, for the log', 'soa-admin');
    const check = checkUrl(options.checkUrl, 'Confirmation.adminController checkUrl', 'http://soa-admin.soa:8080/admin/instances?ip=${POD_IP}&port=8080');
    const text = options.checkPresentText === undefined ? undefined
      : checkUserText(options.checkPresentText, 'Confirmation.adminController checkPresentText', 'a text a present answer contains', '"ip":"${POD_IP}"');
    if (options.forceRemoveMethod !== undefined && options.forceRemoveUrl === undefined) {
      throw new ValidationError('Confirmation.adminController forceRemoveMethod', options.forceRemoveMethod, "is set without forceRemoveUrl. Give forceRemoveUrl, or drop forceRemoveMethod to keep the registry's own removal.");
    }
    const remove = options.forceRemoveUrl === undefined ? undefined : checkUrl(options.forceRemoveUrl, 'Confirmation.adminController forceRemoveUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080');
    const bound = bindHeaders(options.headers, 'GS_REG_CONFIRM_HEADER');
    return new Confirmation({
      checker: name,
      checkedAt: `${name} at ${urlHost(check)}`,
      presence: adminCheckPresence(name, ShellWord.userTemplate(check, 'Confirmation.adminController checkUrl'), bound.headers,
        text === undefined ? undefined : ShellWord.userTemplate(text, 'Confirmation.adminController checkPresentText')),
      removal: remove === undefined ? undefined : [{
        method: options.forceRemoveMethod ?? HttpMethod.DELETE,
        url: ShellWord.userTemplate(remove, 'Confirmation.adminController forceRemoveUrl'),
        headers: bound.headers,
        description: `${name}: force-remove`,
      }],
      secrets: bound.envs,
      runtimeEnv: runtimeEnvOf([check, text, remove]),
    });
  }

  /** @internal */ public readonly _override: ConfirmationOverride;

  private constructor(override: ConfirmationOverride) {
    this._override = override;
  }
}

/** What a confirmation replaces in a flavour's spec. @internal */
export interface ConfirmationOverride {
  readonly checker: string;
  readonly checkedAt: string;
  readonly presence: RegistrySpec['presence'];
  readonly removal?: RegistryCall[];
  readonly secrets: RegistrySpec['secrets'];
  readonly runtimeEnv: string[];
}

/**
 * A flavour's spec with the confirmation applied: the check (and, when given, the force-remove)
 * through the controller; the offline step keeps the flavour's own call. @internal
 */
export function applyConfirmation(spec: RegistrySpec, confirmation: Confirmation | undefined): RegistrySpec {
  if (!confirmation) return spec;
  const o = confirmation._override;
  return {
    ...spec,
    offline: spec.offline ?? spec.removal,
    removal: o.removal ?? spec.removal,
    presence: o.presence,
    checker: o.checker,
    checkedAt: o.checkedAt,
    secrets: [...spec.secrets, ...o.secrets],
    runtimeEnv: RUNTIME_PLACEHOLDERS.map(p => p.name).filter(n => spec.runtimeEnv.includes(n) || o.runtimeEnv.includes(n)),
  };
}
