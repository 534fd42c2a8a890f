/** Eureka: its options and what its factory derives. */
import { Duration } from 'cdk8s';
import { checkPort, checkPresent, checkText } from '../core';
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { clearConfigCall, clearConfigSecrets, FlavourParts, RegistryCommonOptions, RegistryKind } from './flavour';
import { RegistryCall, SecretEnv } from './internal';
import { PresentWhen, statusPresence } from './probes';
import type { Registry } from './registry';
import { RegistrySecret } from './secret';
import { checkUrl, checkUserText, enc, encodedUserWord, runtimeEnvOf } from './url';

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

/** What `Registry.eureka(options)` is made of. @internal */
export function eurekaParts(options: EurekaRegistryOptions): FlavourParts {
  const server = checkUrl(options.serverUrl, 'Registry.eureka serverUrl', 'http://eureka.soa:8761/eureka');
  const appName = checkText(options.appName, 'Registry.eureka appName', 'the application name', 'soa-test');
  let instanceId = options.instanceId;
  if (instanceId === undefined) {
    const port = checkPresent(options.port, 'Registry.eureka port',
      "give port (e.g. 8080) or instanceId: without an instanceId, the default '${POD_NAME}:<appName>:<port>' needs the port.");
    instanceId = `\${POD_NAME}:${appName.toLowerCase()}:${checkPort(port, 'Registry.eureka port')}`;
  }
  checkUserText(instanceId, 'Registry.eureka instanceId', 'the instance ID', '${POD_NAME}:soa-test:8080');
  const app = appName.toUpperCase();
  const path = ShellWord.concat([ShellWord.userTemplate(server, 'Registry.eureka serverUrl'), ShellWord.literal(`/apps/${enc(app)}/`), encodedUserWord(instanceId)]);
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
    description: `Eureka: take ${app}/${instanceId} out of service`,
  }];
  if (options.deleteInstance) {
    removal.push({ method: HttpMethod.DELETE, url: path, headers, description: `Eureka: delete ${app}/${instanceId}` });
  }
  return {
    kind: RegistryKind.EUREKA,
    description: `Eureka ${app}/${instanceId} at ${server}`,
    defaultCacheRefresh: Duration.seconds(90),
    spec: {
      removal,
      presence: t => statusPresence({
        description: `Eureka instance ${app}/${instanceId} (UP)`,
        url: path,
        headers: [HttpHeader.of('Accept', 'application/json'), ...headers],
        timeoutSeconds: t,
        presentWhen: PresentWhen.STATUS_UP,
      }),
      clearConfig: clearConfigCall(options, 'Registry.eureka'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnvOf([server, instanceId, options.clearConfigUrl]),
    },
  };
}
