import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { NacosAuth, OfflineEndpoint, Registry, RegistryShutdownOptions, RegistrySecret } from '../../src';
import { FakeServer } from './fakes/fake-server';
import { deregistrationScript, registryPlan, registryTimings } from '../../src/registry/deregistration';
import { requireTool } from '../script/run-script';

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
  const timings = registryTimings(registry, options);
  const plan = registryPlan(registry, offline, timings, doneFile !== undefined, options.terminationGracePeriod);
  const script = deregistrationScript({ registry, offline, plan, timings, doneFile });
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

/**
 * A `sleep` for the script's PATH that records when each sleep starts (epoch ms) and for how long,
 * then runs the real sleep: a test reads when the protected wait's timer started without trusting
 * the script's own whole-second log. `read()` gives the records; `remove()` deletes the files.
 */
export interface SleepRecorder {
  /** Links for `withPath.links`. */
  readonly link: Record<string, string>;
  /** A file a test may write an epoch-nanoseconds stamp into (see `exitStamp`). */
  readonly stampFile: string;
  read(): Array<{ atMs: number; seconds: number }>;
  /** The stamp in `stampFile`, in epoch ms. */
  exitStamp(): number;
  remove(): void;
}

export function sleepRecorder(): SleepRecorder {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-sleep-'));
  const log = path.join(dir, 'sleeps');
  const shim = path.join(dir, 'sleep');
  fs.writeFileSync(log, '');
  fs.writeFileSync(shim, `#!${requireTool('dash')}\nprintf '%s %s\\n' "$(${requireTool('date')} +%s%N)" "$1" >>'${log}'\nexec ${requireTool('sleep')} "$@"\n`, { mode: 0o755 });
  const stampFile = path.join(dir, 'exit-stamp');
  return {
    link: { sleep: shim },
    stampFile,
    exitStamp: () => Number(fs.readFileSync(stampFile, 'utf8').trim().slice(0, -6)),
    read: () => fs.readFileSync(log, 'utf8').split('\n').filter(l => l).map(l => {
      const [ns, secs] = l.split(' ');
      return { atMs: Number(ns.slice(0, -6)), seconds: Number(secs) };
    }),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
