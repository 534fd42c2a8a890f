/** Consul: its options and what its factory derives. */
import { Duration } from 'cdk8s';
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { clearConfigCall, clearConfigSecrets, FlavourParts, RegistryCommonOptions, RegistryKind } from './flavour';
import { SecretEnv } from './internal';
import { PresentWhen, statusPresence } from './probes';
import type { Registry } from './registry';
import { RegistrySecret } from './secret';
import { checkUrl, checkUserText, encodedUserWord, runtimeEnvOf } from './url';

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

/** What `Registry.consul(options)` is made of. @internal */
export function consulParts(options: ConsulRegistryOptions): FlavourParts {
  const agent = checkUrl(options.agentUrl, 'Registry.consul agentUrl', 'http://${HOST_IP}:8500');
  const serviceId = checkUserText(options.serviceId, 'Registry.consul serviceId', 'the service ID registered on the agent', 'soa-test-8080');
  const headers: HttpHeader[] = [];
  const secrets: SecretEnv[] = [];
  if (options.token) {
    headers.push(HttpHeader.fromEnv('X-Consul-Token', 'GS_REG_CONSUL_TOKEN'));
    secrets.push({ name: 'GS_REG_CONSUL_TOKEN', secret: options.token });
  }
  const agentWord = ShellWord.userTemplate(agent, 'Registry.consul agentUrl');
  const id = encodedUserWord(serviceId);
  return {
    kind: RegistryKind.CONSUL,
    description: `Consul service ${serviceId} at ${agent}`,
    defaultCacheRefresh: Duration.seconds(10),
    spec: {
      removal: [{
        method: HttpMethod.PUT,
        url: ShellWord.concat([agentWord, ShellWord.literal('/v1/agent/service/deregister/'), id]),
        headers,
        description: `Consul: deregister service ${serviceId}`,
      }],
      presence: t => statusPresence({
        description: `Consul service ${serviceId} passing on the agent`,
        url: ShellWord.concat([agentWord, ShellWord.literal('/v1/agent/health/service/id/'), id]),
        headers,
        timeoutSeconds: t,
        presentWhen: PresentWhen.CONSUL_HEALTH,
      }),
      clearConfig: clearConfigCall(options, 'Registry.consul'),
      secrets: [...secrets, ...clearConfigSecrets(options)],
      runtimeEnv: runtimeEnvOf([agent, serviceId, options.clearConfigUrl]),
    },
  };
}
