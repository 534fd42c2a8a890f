import { Duration } from 'cdk8s';
import { OfflineEndpoint, Registry, RegistryShutdownOptions } from '../../src';
import { deregistrationScript, registryPlan } from '../../src/registry/deregistration';

/** Short plan values so real runs take seconds: requests 1s, confirm 2s, caches 1s, RPC 1s. */
export const SHORT: RegistryShutdownOptions = {
  requestTimeout: Duration.seconds(1),
  confirmTimeout: Duration.seconds(2),
  loginTimeout: Duration.seconds(2),
  cacheRefresh: Duration.seconds(1),
  rpcTimeout: Duration.seconds(1),
  stopTimeout: Duration.seconds(3),
  margin: Duration.seconds(1),
};

/** The plan and the rendered deregistration script of a registry. */
export function scriptFor(registry: Registry, offline?: OfflineEndpoint, options: RegistryShutdownOptions = SHORT, doneFile?: string) {
  const plan = registryPlan(registry, offline, options);
  const script = deregistrationScript({ registry, offline, plan, doneFile });
  return { plan, script, text: script.render() };
}

/** The index of the first message matching `re`; fails the test with the log when there is none. */
export function indexOf(messages: string[], re: RegExp): number {
  const i = messages.findIndex(m => re.test(m));
  if (i < 0) throw new Error(`no log line matches ${re}:\n${messages.join('\n')}`);
  return i;
}
