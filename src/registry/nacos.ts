/** Nacos: its options, its API versions and authentication, and what its factory derives. */
import { Duration } from 'cdk8s';
import { checkPort, checkText, ValidationError } from '../core';
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { clearConfigCall, clearConfigSecrets, FlavourParts, RegistryCommonOptions, RegistryKind } from './flavour';
import { SecretEnv } from './internal';
import { nacosAuthCheck, nacosListPresence, nacosV3Presence } from './probes';
import type { Registry } from './registry';
import { RegistrySecret } from './secret';
import { checkUrl, query, runtimeEnvOf } from './url';

/** Which Nacos HTTP API the script calls (see docs/registry.md, "Nacos API versions"). */
export enum NacosApiVersion {
  /**
   * Open API v1 (Nacos 1.x and 2.x): `DELETE {ctx}/v1/ns/instance`, `GET {ctx}/v1/ns/instance/list`,
   * login `POST {ctx}/v1/auth/login`.
   */
  V1 = 'v1',
  /**
   * Open API v2 (Nacos 2.2+): `DELETE {ctx}/v2/ns/instance`, `GET {ctx}/v2/ns/instance/list`, answers
   * `{code, message, data}`; login `POST {ctx}/v1/auth/login` (2.x has no v2 login).
   */
  V2 = 'v2',
  /**
   * The Nacos 3.x admin API: `DELETE {ctx}/v3/admin/ns/instance`, presence from
   * `GET {ctx}/v3/admin/ns/instance` (404 once gone), login `POST {ctx}/v3/auth/user/login`.
   */
  V3_ADMIN = 'v3-admin',
}

/** How the script authenticates to Nacos (`nacos.core.auth.enabled=true`). */
export class NacosAuth {
  /**
   * A ready access token from a Secret, sent as the header `Authorization: Bearer <token>` (Nacos
   * reads that header before the `accessToken` parameter), never in a URL.
   */
  public static accessToken(token: RegistrySecret): NacosAuth {
    return new NacosAuth(token, undefined, undefined);
  }

  /**
   * Username and password from Secrets: the script logs in at run time with
   * `POST /nacos/v1/auth/login` (`/nacos/v3/auth/user/login` with `NacosApiVersion.V3_ADMIN`),
   * form-encoded, and sends the `accessToken` of the answer as `Authorization: Bearer <token>`. A
   * failed login is retried before each call until the force-remove phase ends; a call that needs
   * the token is never sent without it.
   */
  public static usernamePassword(username: RegistrySecret, password: RegistrySecret): NacosAuth {
    return new NacosAuth(undefined, username, password);
  }

  /** @internal */ public readonly _token?: RegistrySecret;
  /** @internal */ public readonly _username?: RegistrySecret;
  /** @internal */ public readonly _password?: RegistrySecret;

  private constructor(token?: RegistrySecret, username?: RegistrySecret, password?: RegistrySecret) {
    this._token = token;
    this._username = username;
    this._password = password;
  }
}

/** Options of {@link Registry.nacos}. */
export interface NacosRegistryOptions extends RegistryCommonOptions {
  /** The Nacos server, without the context path, e.g. `http://nacos.soa:8848`. */
  readonly serverUrl: string;
  /**
   * The Nacos context path.
   * @default '/nacos'
   */
  readonly contextPath?: string;
  /** The service name the app registers as (`spring.application.name`), e.g. `soa-test`. */
  readonly serviceName: string;
  /** The port the app registers. */
  readonly port: number;
  /**
   * The group.
   * @default Nacos's default (`DEFAULT_GROUP`): the parameter is not sent
   */
  readonly groupName?: string;
  /**
   * The namespace ID.
   * @default Nacos's default (`public`): the parameter is not sent
   */
  readonly namespaceId?: string;
  /**
   * The cluster.
   * @default Nacos's default (`DEFAULT`): the parameter is not sent
   */
  readonly clusterName?: string;
  /**
   * Whether the instance is ephemeral; sent as `ephemeral` when set.
   * @default not sent (Nacos treats instances as ephemeral)
   */
  readonly ephemeral?: boolean;
  /**
   * Credentials when Nacos auth is on.
   * @default no credentials
   */
  readonly auth?: NacosAuth;
  /**
   * The HTTP API to call: Open API v1, Open API v2, or the 3.x admin API.
   * @default NacosApiVersion.V1
   */
  readonly apiVersion?: NacosApiVersion;
}

const NACOS_TOKEN_ENV = 'GS_REG_NACOS_TOKEN';
/** A path segment: what a context path may contain. */
const CONTEXT_PATH = /^\/[A-Za-z0-9._~/-]*$/;

/** What `Registry.nacos(options)` is made of: checked options, the calls and the presence check. @internal */
export function nacosParts(options: NacosRegistryOptions): FlavourParts {
  const server = checkUrl(options.serverUrl, 'Registry.nacos serverUrl', 'http://nacos.soa:8848');
  const serviceName = checkText(options.serviceName, 'Registry.nacos serviceName', 'the service name the app registers as', 'soa-test');
  const port = checkPort(options.port, 'Registry.nacos port');
  const ctx = (options.contextPath ?? '/nacos').replace(/\/+$/, '');
  if (ctx !== '' && !CONTEXT_PATH.test(ctx)) {
    throw new ValidationError('Registry.nacos contextPath', options.contextPath, "must start with '/' and use only letters, digits and '-._~/'. Write it like contextPath: '/nacos'.");
  }
  const examples = { groupName: 'DEFAULT_GROUP', namespaceId: 'public', clusterName: 'DEFAULT' };
  for (const [k, v] of [['groupName', options.groupName], ['namespaceId', options.namespaceId], ['clusterName', options.clusterName]] as const) {
    if (v !== undefined) checkText(v, `Registry.nacos ${k}`, `the ${k}, or leave it out for Nacos's default`, examples[k]);
  }
  const api = options.apiVersion ?? NacosApiVersion.V1;
  if (!Object.values(NacosApiVersion).includes(api)) {
    throw new ValidationError('Registry.nacos apiVersion', api, 'is not a Nacos API version: use NacosApiVersion.V1, NacosApiVersion.V2 or NacosApiVersion.V3_ADMIN.');
  }
  const secrets: SecretEnv[] = [];
  const auth = options.auth;
  if (auth?._token) secrets.push({ name: NACOS_TOKEN_ENV, secret: auth._token });
  if (auth?._username) {
    secrets.push({ name: 'GS_REG_NACOS_USERNAME', secret: auth._username }, { name: 'GS_REG_NACOS_PASSWORD', secret: auth._password! });
  }
  const serverWord = ShellWord.userTemplate(server, 'Registry.nacos serverUrl');
  const headers = auth ? [HttpHeader.fromEnv('Authorization', 'GS_REG_NACOS_BEARER')] : [];
  const instancePath = api === NacosApiVersion.V3_ADMIN ? `${ctx}/v3/admin/ns/instance` : `${ctx}/${api}/ns/instance`;
  const ident = query([['serviceName', serviceName], ['groupName', options.groupName], ['namespaceId', options.namespaceId]]);
  const instanceQuery = `${ident}&ip=\${POD_IP}&${query([['port', port], ['clusterName', options.clusterName], ['ephemeral', options.ephemeral]])}`;
  const instanceUrl = ShellWord.concat([serverWord, ShellWord.template(`${instancePath}?${instanceQuery}`)]);
  const what = `this pod (${serviceName}, port ${port})`;
  const apiName = api === NacosApiVersion.V3_ADMIN ? 'Nacos admin API v3' : `Nacos Open API ${api}`;
  const presence = (t: number) => {
    if (api === NacosApiVersion.V3_ADMIN) {
      const detailQuery = `${ident}&ip=\${POD_IP}&${query([['port', port], ['clusterName', options.clusterName]])}`;
      return nacosV3Presence({
        url: ShellWord.concat([serverWord, ShellWord.template(`${instancePath}?${detailQuery}`)]),
        headers,
        needsAuth: auth !== undefined,
        timeoutSeconds: t,
        description: `this pod's instance (port ${port}) at the ${apiName}`,
      });
    }
    // v1 takes the cluster as `clusters`, v2 as `clusterName` (InstanceControllerV2#list).
    const clusterParam = api === NacosApiVersion.V1 ? 'clusters' : 'clusterName';
    const listQuery = `${ident}&${query([[clusterParam, options.clusterName], ['healthyOnly', false]])}`;
    return nacosListPresence({
      listUrl: ShellWord.concat([serverWord, ShellWord.template(`${instancePath}/list?${listQuery}`)]),
      port,
      headers,
      needsAuth: auth !== undefined,
      timeoutSeconds: t,
      description: `this pod's instance (port ${port}) in the Nacos instance list (${api})`,
    });
  };
  const loginPath = api === NacosApiVersion.V3_ADMIN ? `${ctx}/v3/auth/user/login` : `${ctx}/v1/auth/login`;
  const loginUrl = ShellWord.concat([serverWord, ShellWord.literal(loginPath)]);
  return {
    kind: RegistryKind.NACOS,
    description: `Nacos ${serviceName}:${port} at ${server} (${apiName})`,
    defaultCacheRefresh: Duration.seconds(10),
    spec: {
      removal: [{ method: HttpMethod.DELETE, url: instanceUrl, headers, needsAuth: auth !== undefined, description: `Nacos: deregister ${what}` }],
      presence,
      auth: auth ? t => nacosAuthCheck(auth._username
        ? { loginUrl, userEnv: 'GS_REG_NACOS_USERNAME', passwordEnv: 'GS_REG_NACOS_PASSWORD', tokenEnv: NACOS_TOKEN_ENV, timeoutSeconds: t }
        : { tokenEnv: NACOS_TOKEN_ENV, timeoutSeconds: t }) : undefined,
      login: auth?._username !== undefined,
      clearConfig: clearConfigCall(options, 'Registry.nacos'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnvOf([server, options.clearConfigUrl], ['POD_IP']),
    },
  };
}
