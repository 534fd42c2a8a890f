import { Duration } from 'cdk8s';
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { applyConfirmation, Confirmation } from './confirmation';
import { bindHeaders, RegistryCall, RegistrySpec, SecretEnv } from './internal';
import { adminCheckPresence, nacosLoginProbe, nacosPresenceProbe, PresentWhen, statusPresenceProbe } from './probes';
import { RegistryHeader, RegistrySecret } from './secret';
import { checkUrl, enc, placeholdersIn, query, requirePort, requireText, urlHost, userWord } from './url';
import { madeFrom } from '../script/value-key';

/** Which registry a {@link Registry} talks to. */
export enum RegistryKind {
  /** Nacos (Open API v1). */
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

/** How the script authenticates to Nacos (`nacos.core.auth.enabled=true`). */
export class NacosAuth {
  /** A ready access token from a Secret, sent as the `accessToken` query parameter. */
  public static accessToken(token: RegistrySecret): NacosAuth {
    return new NacosAuth(token, undefined, undefined);
  }

  /**
   * Username and password from Secrets: the script logs in at run time with
   * `POST /nacos/v1/auth/login` (form-encoded) and uses the `accessToken` of the answer.
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
   * Nacos Open API v1: force-remove `DELETE /nacos/v1/ns/instance?serviceName&ip&port&groupName&namespaceId&clusterName&ephemeral`
   * (answers `ok`); presence from `GET /nacos/v1/ns/instance/list` (`hosts[]` with `ip` and `port`).
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
   * that registered the service (ACL `service:write`, token in `X-Consul-Token`); presence from
   * `GET /v1/agent/service/{id}` (200: present, 404: gone).
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
    const server = checkUrl(options.serverUrl, 'Registry.nacos serverUrl');
    const serviceName = requireText(options.serviceName, 'Registry.nacos serviceName', 'soa-test');
    const port = requirePort(options.port, 'Registry.nacos port');
    const ctx = (options.contextPath ?? '/nacos').replace(/\/+$/, '');
    if (ctx !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(ctx)) {
      throw new Error(`Registry.nacos contextPath '${options.contextPath}' must start with '/' and use only letters, digits and '-._~/'.`);
    }
    for (const [k, v] of [['groupName', options.groupName], ['namespaceId', options.namespaceId], ['clusterName', options.clusterName]] as const) {
      if (v !== undefined) requireText(v, `Registry.nacos ${k}`, 'DEFAULT_GROUP');
    }
    const secrets: SecretEnv[] = [];
    const auth = options.auth;
    if (auth?._token) secrets.push({ name: NACOS_TOKEN_ENV, secret: auth._token });
    if (auth?._username) {
      secrets.push({ name: 'GS_REG_NACOS_USERNAME', secret: auth._username }, { name: 'GS_REG_NACOS_PASSWORD', secret: auth._password! });
    }
    const tokenParam = auth ? `&accessToken=\${${NACOS_TOKEN_ENV}}` : '';
    const base = `${ctx}/v1/ns`;
    const ident = query([['serviceName', serviceName], ['groupName', options.groupName], ['namespaceId', options.namespaceId]]);
    const removeUrl = ShellWord.concat([
      userWord(server),
      ShellWord.template(`${base}/instance?${ident}&ip=\${POD_IP}&${query([['port', port], ['clusterName', options.clusterName], ['ephemeral', options.ephemeral]])}${tokenParam}`),
    ]);
    const listUrl = ShellWord.concat([
      userWord(server),
      ShellWord.template(`${base}/instance/list?${ident}&${query([['clusters', options.clusterName], ['healthyOnly', false]])}${tokenParam}`),
    ]);
    const loginUrl = ShellWord.concat([userWord(server), ShellWord.literal(`${ctx}/v1/auth/login`)]);
    const what = `this pod (${serviceName}, port ${port})`;
    return new Registry(RegistryKind.NACOS, `Nacos ${serviceName}:${port} at ${server}`, Duration.seconds(10), {
      removal: [{ method: HttpMethod.DELETE, url: removeUrl, headers: [], description: `Nacos: deregister ${what}` }],
      presence: t => nacosPresenceProbe({ listUrl, port, timeoutSeconds: t }),
      login: auth?._username ? t => nacosLoginProbe(loginUrl, 'GS_REG_NACOS_USERNAME', 'GS_REG_NACOS_PASSWORD', NACOS_TOKEN_ENV, t) : undefined,
      clearConfig: clearConfigCall(options, 'Registry.nacos'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnv(['POD_IP', ...placeholdersIn(server), ...placeholdersIn(options.clearConfigUrl ?? '')]),
    }, options.confirmation);
  }

  private static makeEureka(options: EurekaRegistryOptions): Registry {
    const server = checkUrl(options.serverUrl, 'Registry.eureka serverUrl');
    const appName = requireText(options.appName, 'Registry.eureka appName', 'soa-test');
    let instanceId = options.instanceId;
    if (instanceId === undefined) {
      if (options.port === undefined) {
        throw new Error("Registry.eureka needs instanceId or port: the default instance ID is '${POD_NAME}:<appName>:<port>'. Give port: 8080 or instanceId.");
      }
      instanceId = `\${POD_NAME}:${appName.toLowerCase()}:${requirePort(options.port, 'Registry.eureka port')}`;
    }
    requireText(instanceId, 'Registry.eureka instanceId', '${POD_NAME}:soa-test:8080');
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
      presence: t => statusPresenceProbe({
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
    const agent = checkUrl(options.agentUrl, 'Registry.consul agentUrl');
    const serviceId = requireText(options.serviceId, 'Registry.consul serviceId', 'soa-test-8080');
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
      presence: t => statusPresenceProbe({
        description: `Consul service ${serviceId} on the agent`,
        url: ShellWord.concat([userWord(agent), ShellWord.literal('/v1/agent/service/'), id]),
        headers,
        timeoutSeconds: t,
        presentWhen: PresentWhen.ANSWERED,
      }),
      clearConfig: clearConfigCall(options, 'Registry.consul'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnv([...placeholdersIn(agent), ...placeholdersIn(serviceId), ...placeholdersIn(options.clearConfigUrl ?? '')]),
    }, options.confirmation);
  }

  private static makeCustom(options: CustomRegistryOptions): Registry {
    const name = options.name === undefined ? 'admin API' : requireText(options.name, 'Registry.custom name', 'soa-admin');
    const offlineUrl = checkUrl(options.offlineUrl, 'Registry.custom offlineUrl');
    const check = checkUrl(options.checkUrl, 'Registry.custom checkUrl');
    const forceRemoveUrl = checkUrl(options.forceRemoveUrl, 'Registry.custom forceRemoveUrl');
    const bound = bindHeaders(options.headers, 'GS_REG_HEADER');
    const text = options.checkPresentText === undefined ? undefined : requireText(options.checkPresentText, 'Registry.custom checkPresentText', '"ip":"${POD_IP}"');
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
  const url = checkUrl(o.clearConfigUrl, `${flavour} clearConfigUrl`);
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
