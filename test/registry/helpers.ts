import { Duration } from 'cdk8s';
import { NacosAuth, OfflineEndpoint, Registry, RegistryShutdownOptions, RegistrySecret } from '../../src';
import { FakeServer } from './fakes/fake-server';
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

/** The pod IP the real runs use. */
export const POD_IP = '10.1.2.3';
/** A distinctive password: must never appear in a script, a manifest or a log. */
export const PASSWORD = 'Pw-&+ %sekrit-7f3a9c';
/** A distinctive token: must never appear in a script, a manifest or a log. */
export const TOKEN = 'tok-5e8b1d-SEKRIT';
/** Nacos username/password from the Secret `nacos-cred`. */
export const nacosAuth = NacosAuth.usernamePassword(RegistrySecret.fromSecretName('nacos-cred', 'username'), RegistrySecret.fromSecretName('nacos-cred', 'password'));

/** Collects the fake servers a test file starts and stops them all in `afterAll`. */
export function fakeTracker(): <T extends { server: FakeServer; down?: () => Promise<void> }>(f: T) => T {
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(stops.map(s => s()));
  });
  return f => {
    stops.push(() => (f.down ? f.down() : f.server.down()));
    return f;
  };
}
