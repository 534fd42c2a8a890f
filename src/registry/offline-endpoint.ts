import { checkPort, ValidationError, withValueKey } from '../core';
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { bindHeaders, RegistryCall, SecretEnv } from './internal';
import { RegistryHeader } from './secret';
import { checkUrl, runtimeEnvOf } from './url';

/** Options of {@link OfflineEndpoint.springBootServiceRegistry}. */
export interface SpringBootServiceRegistryOptions {
  /** The port the actuator listens on (the management port), e.g. 8080. */
  readonly port: number;
  /**
   * The actuator path.
   * @default '/actuator/service-registry'
   */
  readonly path?: string;
  /**
   * The status to set. Eureka accepts UP, DOWN, OUT_OF_SERVICE and UNKNOWN; Spring Cloud Alibaba's
   * Nacos registry accepts only UP and DOWN (DOWN disables the instance).
   * @default 'OUT_OF_SERVICE'
   */
  readonly status?: string;
}

/** Options of {@link OfflineEndpoint.http}. */
export interface HttpOfflineEndpointOptions {
  /**
   * The URL of the app's offline endpoint, e.g. `http://127.0.0.1:8080/offline` (the sidecar shares
   * the pod's network, so 127.0.0.1 reaches the app from both placements). May contain `${POD_IP}`.
   */
  readonly url: string;
  /**
   * The method.
   * @default HttpMethod.POST
   */
  readonly method?: HttpMethod;
  /**
   * The request body.
   * @default empty
   */
  readonly body?: string;
  /**
   * Request headers.
   * @default none
   */
  readonly headers?: RegistryHeader[];
}

/**
 * The app's own offline endpoint, called first: the app's registry client leaves the registry the
 * way it joined. When it hangs or fails, the registry is asked directly (confirm, then force-remove).
 */
export class OfflineEndpoint {
  /**
   * Spring Cloud Commons' `/actuator/service-registry` endpoint: `POST` with the JSON body
   * `{"status":"OUT_OF_SERVICE"}` sets the registration's status (the endpoint must be exposed:
   * `management.endpoints.web.exposure.include=service-registry`).
   */
  public static springBootServiceRegistry(options: SpringBootServiceRegistryOptions): OfflineEndpoint {
    return withValueKey(OfflineEndpoint.makeSpringBootServiceRegistry(options), 'OfflineEndpoint.springBootServiceRegistry', options);
  }

  /** Any HTTP endpoint of the app that takes it offline. */
  public static http(options: HttpOfflineEndpointOptions): OfflineEndpoint {
    return withValueKey(OfflineEndpoint.makeHttp(options), 'OfflineEndpoint.http', options);
  }

  private static makeSpringBootServiceRegistry(options: SpringBootServiceRegistryOptions): OfflineEndpoint {
    const port = checkPort(options.port, 'OfflineEndpoint.springBootServiceRegistry port');
    const path = options.path ?? '/actuator/service-registry';
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) {
      throw new ValidationError('OfflineEndpoint.springBootServiceRegistry path', path, "must start with '/' and use only letters, digits and '-._~/'. Write it like path: '/actuator/service-registry'.");
    }
    const status = options.status ?? 'OUT_OF_SERVICE';
    if (!/^[A-Z_]{1,32}$/.test(status)) {
      throw new ValidationError('OfflineEndpoint.springBootServiceRegistry status', status, "is not a registry status: use e.g. 'OUT_OF_SERVICE' or 'DOWN'.");
    }
    return new OfflineEndpoint({
      method: HttpMethod.POST,
      url: ShellWord.literal(`http://127.0.0.1:${port}${path}`),
      body: ShellWord.literal(JSON.stringify({ status })),
      headers: [HttpHeader.of('Content-Type', 'application/json')],
      description: `app: POST ${path} status ${status}`,
    }, [], []);
  }

  private static makeHttp(options: HttpOfflineEndpointOptions): OfflineEndpoint {
    const url = checkUrl(options.url, 'OfflineEndpoint.http url', 'http://127.0.0.1:8080/offline');
    const bound = bindHeaders(options.headers, 'GS_OFFLINE_HEADER');
    const method = options.method ?? HttpMethod.POST;
    return new OfflineEndpoint({
      method,
      url: ShellWord.userTemplate(url, 'OfflineEndpoint.http url'),
      body: options.body === undefined ? undefined : ShellWord.literal(options.body),
      headers: bound.headers,
      description: `app: ${method} ${url}`,
    }, bound.envs, runtimeEnvOf([url]));
  }

  /** @internal */ public readonly _call: RegistryCall;
  /** @internal */ public readonly _secrets: SecretEnv[];
  /** @internal */ public readonly _runtimeEnv: string[];

  private constructor(call: RegistryCall, secrets: SecretEnv[], runtimeEnv: string[]) {
    this._call = call;
    this._secrets = secrets;
    this._runtimeEnv = runtimeEnv;
  }
}
