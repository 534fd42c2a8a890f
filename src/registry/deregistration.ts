import { Duration } from 'cdk8s';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { formatDuration } from '../plan/duration-format';
import { IPollProbe, PosixScript, Step } from '../script';
import { RegistryCall } from './internal';
import { OfflineEndpoint } from './offline-endpoint';
import { RegistryShutdownOptions } from './options';
import { fileExistsProbe } from './probes';
import { Registry } from './registry';

/** Whole seconds of a duration prop, or a clear error naming it. */
function seconds(d: Duration | undefined, fallback: number, property: string, min = 0): Duration {
  const v = d ?? Duration.seconds(fallback);
  const ms = v.toMilliseconds();
  if (!Number.isFinite(ms) || ms < min * 1000 || ms % 1000 !== 0) {
    throw new Error(`${property} ${formatDuration(v)} must be a whole number of seconds${min > 0 ? ` and at least ${min}s` : ''} (the script's timers count seconds). Use Duration.seconds(n).`);
  }
  return v;
}

/** The calls of the offline step: the app's endpoint, else the flavour's own offline call, else its removal. */
export function offlineCalls(registry: Registry, offline?: OfflineEndpoint): RegistryCall[] {
  return offline ? [offline._call] : (registry._spec.offline ?? registry._spec.removal);
}

/**
 * The shutdown plan of a registry-aware service, in the order the script runs:
 * [login] → offline → confirm → force-remove → [clear-config] → client-caches → in-flight → stop → margin.
 */
export function registryPlan(registry: Registry, offline: OfflineEndpoint | undefined, o: RegistryShutdownOptions = {}): ShutdownPlan {
  const request = seconds(o.requestTimeout, 3, 'requestTimeout', 1);
  const times = (n: number) => Duration.seconds(request.toSeconds() * n);
  const spec = registry._spec;
  seconds(o.pollInterval, 1, 'pollInterval', 1);
  const phases: ShutdownPhaseProps[] = [];
  if (spec.login) {
    phases.push({ kind: PhaseKind.DEREGISTER, name: 'login', description: 'log in to Nacos (token kept in memory, never logged)', bound: seconds(o.loginTimeout, 3, 'loginTimeout', 1), boundProperty: 'loginTimeout' });
  }
  const calls = offlineCalls(registry, offline);
  phases.push({
    kind: PhaseKind.DEREGISTER,
    name: 'offline',
    description: calls.map(c => c.description).join('; '),
    bound: times(calls.length),
    boundProperty: 'requestTimeout',
  });
  phases.push({ kind: PhaseKind.DEREGISTER, name: 'confirm', description: `poll ${spec.checkedAt ?? registry.description} until the instance is gone`, bound: seconds(o.confirmTimeout, 5, 'confirmTimeout', 1), endsEarly: true, boundProperty: 'confirmTimeout' });
  phases.push({ kind: PhaseKind.DEREGISTER, name: 'force-remove', description: `only if still there: ${spec.removal.map(c => c.description).join('; ')}`, bound: times(spec.removal.length), boundProperty: 'requestTimeout' });
  if (spec.clearConfig) {
    phases.push({ kind: PhaseKind.DEREGISTER, name: 'clear-config', description: spec.clearConfig.description, bound: request, boundProperty: 'requestTimeout' });
  }
  phases.push({ kind: PhaseKind.PROPAGATE, name: 'client-caches', description: 'clients refresh their registry caches (runs even when a step failed)', bound: seconds(o.cacheRefresh ?? registry.defaultCacheRefresh, 0, 'cacheRefresh'), boundProperty: 'cacheRefresh' });
  phases.push({ kind: PhaseKind.DRAIN, name: 'in-flight', description: 'calls sent before the refresh finish (RPC timeout)', bound: seconds(o.rpcTimeout, 5, 'rpcTimeout'), boundProperty: 'rpcTimeout' });
  phases.push({ kind: PhaseKind.STOP, description: 'SIGTERM; the app shuts down gracefully', bound: seconds(o.stopTimeout, 30, 'stopTimeout'), boundProperty: 'stopTimeout' });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: seconds(o.margin, 2, 'margin'), boundProperty: 'margin' });
  return new ShutdownPlan({ phases, terminationGracePeriod: o.terminationGracePeriod });
}

/** Options of {@link deregistrationScript}. */
export interface DeregistrationScriptOptions {
  readonly registry: Registry;
  readonly offline?: OfflineEndpoint;
  readonly plan: ShutdownPlan;
  readonly pollInterval?: Duration;
  /** The sidecar writes this file when deregistered and drained. */
  readonly doneFile?: string;
}

/**
 * The deregistration script: every timing read back from the plan. Steps log their outcome; a
 * failed offline call falls through to the confirmation and the force-remove; the wait for client
 * caches always runs; the script returns by `plan.preStopDeadline`.
 */
export function deregistrationScript(o: DeregistrationScriptOptions): PosixScript {
  const { plan, registry } = o;
  const spec = registry._spec;
  const interval = o.pollInterval ?? Duration.seconds(1);
  const request = plan.phase('force-remove').bound.toSeconds() / spec.removal.length;
  const timeout = Duration.seconds(request);
  const http = (c: RegistryCall) =>
    Step.http({ method: c.method, url: c.url, body: c.body, headers: c.headers, timeout, description: c.description });
  const poll = (probe: IPollProbe, phase: string, description: string) =>
    Step.pollUntilZero({ probe, interval, until: plan.endOf(phase), description });
  const steps: Step[] = [Step.log(`leaving ${registry.description}`)];
  if (spec.login) {
    steps.push(
      poll(spec.login(request), 'login', 'Nacos login pending'),
      Step.whenPollDidNotReachZero([Step.log('no Nacos token: the registry may refuse the calls below; going on so the wait still happens')]),
    );
  }
  steps.push(...offlineCalls(registry, o.offline).map(http));
  steps.push(
    poll(spec.presence(request), 'confirm', `instance still registered (${spec.checker ?? registry.kind})`),
    Step.whenPollDidNotReachZero([
      Step.log('not confirmed gone: force-remove at the registry'),
      ...spec.removal.map(http),
    ]),
  );
  if (spec.clearConfig) steps.push(http(spec.clearConfig));
  const wait = Duration.millis(plan.phase('client-caches').bound.toMilliseconds() + plan.phase('in-flight').bound.toMilliseconds());
  steps.push(Step.sleep(wait, `client caches refresh (${formatDuration(plan.phase('client-caches').bound)}) and in-flight calls end (${formatDuration(plan.phase('in-flight').bound)})`));
  if (o.doneFile) {
    steps.push(Step.run(['touch', o.doneFile], `signal the app container (${o.doneFile})`, { timeout: Duration.seconds(2) }));
  }
  return new PosixScript({ name: `${registry.kind}-deregister`, deadline: plan.preStopDeadline, steps });
}

/** The app container's preStop in the sidecar placement: wait for the sidecar's done-file, bounded. */
export function waitForSidecarScript(plan: ShutdownPlan, doneFile: string): PosixScript {
  return new PosixScript({ name: 'wait-for-deregistration', deadline: plan.preStopDeadline }).add(
    Step.pollUntilZero({ probe: fileExistsProbe(doneFile, 'sidecar deregistration pending'), interval: Duration.seconds(1) }),
    Step.whenPollDidNotReachZero([Step.log('no signal from the sidecar by the deadline: stopping anyway')]),
  );
}
