import { Duration } from 'cdk8s';
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { applyConfirmation, Confirmation } from './confirmation';
import { bindHeaders, RegistryCall, RegistrySpec, SecretEnv } from './internal';
import { adminCheckPresence, nacosAuthCheck, nacosListPresence, nacosV3Presence, PresentWhen, statusPresence } from './probes';
import { RegistryHeader, RegistrySecret } from './secret';
import { checkUrl, enc, placeholdersIn, query, requirePort, requireText, urlHost, userWord } from './url';
import { madeFrom } from '../script/value-key';

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

/** Options of {@link Registry.eureka}. */
export interface EurekaRegistryOptions extends RegistryCommonOptions {
  /**
   * The Eureka service URL as in the client's `defaultZone`, e.g. `http://eureka.soa:8761/eureka`
   * (Netflix's own servers use `.../eureka/v2`). Paths `apps/{APP}/{id}` are appended.
   */
  readonly serverUrl: string;
  /** The application name; upper-cased in paths as Eureka clients do. */
  readonly appName: string;
  /**
   * The instance ID. May contain `${POD_IP}` and `${POD_NAME}` (the pod name), read at run time.
   * @default `${POD_NAME}:<appName in lower case>:<port>`, Spring Cloud Netflix's default
   */
  readonly instanceId?: string;
  /**
   * The app's port, for the default instance ID.
   * @default none; required when `instanceId` is not given
   */
  readonly port?: number;
  /**
   * The whole `Authorization` header value (e.g. `Basic dXNlcjpwYXNz`) from a Secret, for a
   * server behind basic auth.
   * @default no Authorization header
   */
  readonly authorization?: RegistrySecret;
  /**
   * Whether the force-remove also deletes the instance after taking it out of service. Off by
   * default: a running Eureka client re-registers a deleted instance at its next heartbeat (30s)
   * and the server drops the sticky OUT_OF_SERVICE override on delete.
   * @default false
   */
  readonly deleteInstance?: boolean;
}

/** Options of {@link Registry.consul}. */
export interface ConsulRegistryOptions extends RegistryCommonOptions {
  /**
   * The agent the service was registered on, e.g. `http://${HOST_IP}:8500` for the node's agent
   * (`HOST_IP` comes from the downward API).
   */
  readonly agentUrl: string;
  /** The service ID (not the name) registered on that agent. */
  readonly serviceId: string;
  /**
   * An ACL token with `service:write`, sent as `X-Consul-Token`.
   * @default no token
   */
  readonly token?: RegistrySecret;
}

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

const NACOS_TOKEN_ENV = 'GS_REG_NACOS_TOKEN';

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
    return madeFrom('Registry.nacos', options, o => Registry.makeNacos(o));
  }

  /**
   * Eureka REST operations: force-remove `PUT {serverUrl}/apps/{APP}/{id}/status?value=OUT_OF_SERVICE`
   * (a sticky override: clients skip the instance), then, with `deleteInstance`,
   * `DELETE {serverUrl}/apps/{APP}/{id}`; presence from `GET {serverUrl}/apps/{APP}/{id}` (404: gone;
   * 200 with status UP: present; 200 with another status: out of service, so gone for clients).
   */
  public static eureka(options: EurekaRegistryOptions): Registry {
    return madeFrom('Registry.eureka', options, o => Registry.makeEureka(o));
  }

  /**
   * Consul agent service API: force-remove `PUT /v1/agent/service/deregister/{id}` on the agent
   * that registered the service (ACL `service:write`, token in `X-Consul-Token`); presence from the
   * agent's health of that service, `GET /v1/agent/health/service/id/{id}` (200 passing or 429
   * warning: in rotation; 503 critical, as in maintenance mode, or 404 unknown: out of rotation).
   */
  public static consul(options: ConsulRegistryOptions): Registry {
    return madeFrom('Registry.consul', options, o => Registry.makeConsul(o));
  }

  /**
   * An in-house admin API: an offline URL, a check URL that tells present (2xx) from gone (404),
   * a force-remove URL and an optional per-IP config clean-up URL.
   */
  public static custom(options: CustomRegistryOptions): Registry {
    return madeFrom('Registry.custom', options, o => Registry.makeCustom(o));
  }

  private static makeNacos(options: NacosRegistryOptions): Registry {
    const server = checkUrl(options.serverUrl, 'Registry.nacos serverUrl', 'http://nacos.soa:8848');
    const serviceName = requireText(options.serviceName, 'Registry.nacos serviceName', 'soa-test');
    const port = requirePort(options.port, 'Registry.nacos port');
    const ctx = (options.contextPath ?? '/nacos').replace(/\/+$/, '');
    if (ctx !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(ctx)) {
      throw new Error(`Registry.nacos contextPath '${options.contextPath}' must start with '/' and use only letters, digits and '-._~/'. Write it like contextPath: '/nacos'.`);
    }
    const examples = { groupName: 'DEFAULT_GROUP', namespaceId: 'public', clusterName: 'DEFAULT' };
    for (const [k, v] of [['groupName', options.groupName], ['namespaceId', options.namespaceId], ['clusterName', options.clusterName]] as const) {
      if (v !== undefined) requireText(v, `Registry.nacos ${k}`, examples[k]);
    }
    const api = options.apiVersion ?? NacosApiVersion.V1;
    if (!Object.values(NacosApiVersion).includes(api)) {
      throw new Error(`Registry.nacos apiVersion '${api}' is not a Nacos API version: use NacosApiVersion.V1, NacosApiVersion.V2 or NacosApiVersion.V3_ADMIN.`);
    }
    const secrets: SecretEnv[] = [];
    const auth = options.auth;
    if (auth?._token) secrets.push({ name: NACOS_TOKEN_ENV, secret: auth._token });
    if (auth?._username) {
      secrets.push({ name: 'GS_REG_NACOS_USERNAME', secret: auth._username }, { name: 'GS_REG_NACOS_PASSWORD', secret: auth._password! });
    }
    const headers = auth ? [HttpHeader.fromEnv('Authorization', 'GS_REG_NACOS_BEARER')] : [];
    const instancePath = api === NacosApiVersion.V3_ADMIN ? `${ctx}/v3/admin/ns/instance` : `${ctx}/${api}/ns/instance`;
    const ident = query([['serviceName', serviceName], ['groupName', options.groupName], ['namespaceId', options.namespaceId]]);
    const instanceQuery = `${ident}&ip=\${POD_IP}&${query([['port', port], ['clusterName', options.clusterName], ['ephemeral', options.ephemeral]])}`;
    const instanceUrl = ShellWord.concat([userWord(server), ShellWord.template(`${instancePath}?${instanceQuery}`)]);
    const what = `this pod (${serviceName}, port ${port})`;
    const apiName = api === NacosApiVersion.V3_ADMIN ? 'Nacos admin API v3' : `Nacos Open API ${api}`;
    const presence = (t: number) => {
      if (api === NacosApiVersion.V3_ADMIN) {
        const detailQuery = `${ident}&ip=\${POD_IP}&${query([['port', port], ['clusterName', options.clusterName]])}`;
        return nacosV3Presence({
          url: ShellWord.concat([userWord(server), ShellWord.template(`${instancePath}?${detailQuery}`)]),
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
        listUrl: ShellWord.concat([userWord(server), ShellWord.template(`${instancePath}/list?${listQuery}`)]),
        port,
        headers,
        needsAuth: auth !== undefined,
        timeoutSeconds: t,
        description: `this pod's instance (port ${port}) in the Nacos instance list (${api})`,
      });
    };
    const loginPath = api === NacosApiVersion.V3_ADMIN ? `${ctx}/v3/auth/user/login` : `${ctx}/v1/auth/login`;
    const loginUrl = ShellWord.concat([userWord(server), ShellWord.literal(loginPath)]);
    return new Registry(RegistryKind.NACOS, `Nacos ${serviceName}:${port} at ${server} (${apiName})`, Duration.seconds(10), {
      removal: [{ method: HttpMethod.DELETE, url: instanceUrl, headers, needsAuth: auth !== undefined, description: `Nacos: deregister ${what}` }],
      presence,
      auth: auth ? t => nacosAuthCheck(auth._username
        ? { loginUrl, userEnv: 'GS_REG_NACOS_USERNAME', passwordEnv: 'GS_REG_NACOS_PASSWORD', tokenEnv: NACOS_TOKEN_ENV, timeoutSeconds: t }
        : { tokenEnv: NACOS_TOKEN_ENV, timeoutSeconds: t }) : undefined,
      login: auth?._username !== undefined,
      clearConfig: clearConfigCall(options, 'Registry.nacos'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnv(['POD_IP', ...placeholdersIn(server), ...placeholdersIn(options.clearConfigUrl ?? '')]),
    }, options.confirmation);
  }

  private static makeEureka(options: EurekaRegistryOptions): Registry {
    const server = checkUrl(options.serverUrl, 'Registry.eureka serverUrl', 'http://eureka.soa:8761/eureka');
    const appName = requireText(options.appName, 'Registry.eureka appName', 'soa-test');
    let instanceId = options.instanceId;
    if (instanceId === undefined) {
      if (options.port === undefined) {
        throw new Error("Registry.eureka needs instanceId or port: the default instance ID is '${POD_NAME}:<appName>:<port>'. Give port: 8080 or instanceId.");
      }
      instanceId = `\${POD_NAME}:${appName.toLowerCase()}:${requirePort(options.port, 'Registry.eureka port')}`;
    }
    requireText(instanceId, 'Registry.eureka instanceId', '${POD_NAME}:soa-test:8080', true);
    const path = ShellWord.concat([userWord(server), ShellWord.literal(`/apps/${enc(appName.toUpperCase())}/`), encodedUserWord(instanceId)]);
    const headers: HttpHeader[] = [];
    const secrets: SecretEnv[] = [];
    if (options.authorization) {
      headers.push(HttpHeader.fromEnv('Authorization', 'GS_REG_EUREKA_AUTH'));
      secrets.push({ name: 'GS_REG_EUREKA_AUTH', secret: options.authorization });
    }
    const removal: RegistryCall[] = [{
      method: HttpMethod.PUT,
      url: ShellWord.concat([path, ShellWord.literal('/status?value=OUT_OF_SERVICE')]),
      headers,
      description: `Eureka: take ${appName.toUpperCase()}/${instanceId} out of service`,
    }];
    if (options.deleteInstance) {
      removal.push({ method: HttpMethod.DELETE, url: path, headers, description: `Eureka: delete ${appName.toUpperCase()}/${instanceId}` });
    }
    return new Registry(RegistryKind.EUREKA, `Eureka ${appName.toUpperCase()}/${instanceId} at ${server}`, Duration.seconds(90), {
      removal,
      presence: t => statusPresence({
        description: `Eureka instance ${appName.toUpperCase()}/${instanceId} (UP)`,
        url: path,
        headers: [HttpHeader.of('Accept', 'application/json'), ...headers],
        timeoutSeconds: t,
        presentWhen: PresentWhen.STATUS_UP,
      }),
      clearConfig: clearConfigCall(options, 'Registry.eureka'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnv([...placeholdersIn(server), ...placeholdersIn(instanceId), ...placeholdersIn(options.clearConfigUrl ?? '')]),
    }, options.confirmation);
  }

  private static makeConsul(options: ConsulRegistryOptions): Registry {
    const agent = checkUrl(options.agentUrl, 'Registry.consul agentUrl', 'http://${HOST_IP}:8500');
    const serviceId = requireText(options.serviceId, 'Registry.consul serviceId', 'soa-test-8080', true);
    const headers: HttpHeader[] = [];
    const secrets: SecretEnv[] = [];
    if (options.token) {
      headers.push(HttpHeader.fromEnv('X-Consul-Token', 'GS_REG_CONSUL_TOKEN'));
      secrets.push({ name: 'GS_REG_CONSUL_TOKEN', secret: options.token });
    }
    const id = encodedUserWord(serviceId);
    return new Registry(RegistryKind.CONSUL, `Consul service ${serviceId} at ${agent}`, Duration.seconds(10), {
      removal: [{
        method: HttpMethod.PUT,
        url: ShellWord.concat([userWord(agent), ShellWord.literal('/v1/agent/service/deregister/'), id]),
        headers,
        description: `Consul: deregister service ${serviceId}`,
      }],
      presence: t => statusPresence({
        description: `Consul service ${serviceId} passing on the agent`,
        url: ShellWord.concat([userWord(agent), ShellWord.literal('/v1/agent/health/service/id/'), id]),
        headers,
        timeoutSeconds: t,
        presentWhen: PresentWhen.CONSUL_HEALTH,
      }),
      clearConfig: clearConfigCall(options, 'Registry.consul'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnv([...placeholdersIn(agent), ...placeholdersIn(serviceId), ...placeholdersIn(options.clearConfigUrl ?? '')]),
    }, options.confirmation);
  }

  private static makeCustom(options: CustomRegistryOptions): Registry {
    const name = options.name === undefined ? 'admin API' : requireText(options.name, 'Registry.custom name', 'soa-admin');
    const offlineUrl = checkUrl(options.offlineUrl, 'Registry.custom offlineUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080/offline');
    const check = checkUrl(options.checkUrl, 'Registry.custom checkUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080');
    const forceRemoveUrl = checkUrl(options.forceRemoveUrl, 'Registry.custom forceRemoveUrl', 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080');
    const bound = bindHeaders(options.headers, 'GS_REG_HEADER');
    const text = options.checkPresentText === undefined ? undefined : requireText(options.checkPresentText, 'Registry.custom checkPresentText', '"ip":"${POD_IP}"', true);
    return new Registry(RegistryKind.CUSTOM, `${name} at ${urlHost(check)}`, Duration.seconds(10), {
      offline: [{ method: options.offlineMethod ?? HttpMethod.POST, url: userWord(offlineUrl), headers: bound.headers, description: `${name}: offline` }],
      removal: [{ method: options.forceRemoveMethod ?? HttpMethod.DELETE, url: userWord(forceRemoveUrl), headers: bound.headers, description: `${name}: force-remove` }],
      presence: adminCheckPresence(name, check, bound.headers, text),
      clearConfig: clearConfigCall(options, 'Registry.custom'),
      secrets: [...bound.envs, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnv([offlineUrl, check, forceRemoveUrl, text ?? '', options.clearConfigUrl ?? ''].flatMap(placeholdersIn)),
    }, options.confirmation);
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

  private constructor(kind: RegistryKind, description: string, defaultCacheRefresh: Duration, spec: RegistrySpec, confirmation?: Confirmation) {
    this.kind = kind;
    this.description = description;
    this.defaultCacheRefresh = defaultCacheRefresh;
    this._spec = applyConfirmation(spec, confirmation);
  }
}

/** A user string URL-encoded except for its `${POD_IP}`/`${HOST_IP}`/`${POD_NAME}` placeholders. */
function encodedUserWord(text: string): ShellWord {
  const parts = text.split(/(\$\{(?:POD_IP|HOST_IP|POD_NAME)\})/);
  return ShellWord.concat(parts.filter(p => p !== '').map(p => (/^\$\{[A-Z_]+\}$/.test(p) ? ShellWord.env(p.slice(2, -1)) : ShellWord.literal(enc(p)))));
}

function clearConfigCall(o: RegistryCommonOptions, flavour: string): RegistryCall | undefined {
  if (o.clearConfigUrl === undefined) return undefined;
  const url = checkUrl(o.clearConfigUrl, `${flavour} clearConfigUrl`, 'http://soa-admin.soa:8080/admin/config/${POD_IP}');
  return {
    method: o.clearConfigMethod ?? HttpMethod.DELETE,
    url: userWord(url),
    headers: bindHeaders(o.clearConfigHeaders, 'GS_REG_CLEAR_HEADER').headers,
    description: 'clear the configuration kept for this pod IP',
  };
}

function clearConfigSecrets(o: RegistryCommonOptions): SecretEnv[] {
  return bindHeaders(o.clearConfigHeaders, 'GS_REG_CLEAR_HEADER').envs;
}

function runtimeEnv(names: string[]): string[] {
  return ['POD_IP', 'HOST_IP', 'POD_NAME'].filter(n => names.includes(n));
}
