import { Duration } from 'cdk8s';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { formatDuration } from '../plan/duration-format';
import { IPollProbe, PosixScript, Step } from '../script';
import { RegistryCall } from './internal';
import { OfflineEndpoint } from './offline-endpoint';
import { RegistryShutdownOptions } from './options';
import { fileExistsProbe, isSecretHeader } from './probes';
import { Registry } from './registry';
import { callsProbe, confirmProbe, forceRemoveProbe, loginProbe, ProbeContext, protectedWaitProbe, ShellCall } from './shell-calls';

/** Examples for the duration errors: values that fit each property. */
const DURATION_EXAMPLES: Record<string, number> = {
  requestTimeout: 3,
  confirmTimeout: 5,
  pollInterval: 1,
  recheckInterval: 5,
  loginTimeout: 3,
  cacheRefresh: 10,
  rpcTimeout: 3,
  stopTimeout: 30,
  margin: 2,
};

/** What each wait promised in the docs is for, for the error when it is zero. */
const PROMISED_WAITS: Record<string, string> = {
  cacheRefresh: 'the wait for client caches runs even when a step failed',
  rpcTimeout: 'the wait for in-flight calls runs even when a step failed',
};

/** Whole seconds of a duration prop, or a clear error naming it, its value and a value that fits. */
function seconds(d: Duration | undefined, fallback: number, property: string, min = 0): Duration {
  const v = d ?? Duration.seconds(fallback);
  const ms = v?.toMilliseconds?.();
  const example = `Duration.seconds(${DURATION_EXAMPLES[property] ?? Math.max(min, 1)})`;
  if (ms === undefined || !Number.isFinite(ms) || ms % 1000 !== 0) {
    throw new Error(`${property} ${ms === undefined ? String(v) : formatDuration(v)} must be a whole number of seconds (the script's timers count seconds). Use e.g. ${property}: ${example}.`);
  }
  if (ms < min * 1000) {
    const why = PROMISED_WAITS[property] ? `${PROMISED_WAITS[property]}, so it is never 0` : 'it is a timer of the script';
    throw new Error(`${property} ${formatDuration(v)} is ${ms < 0 ? 'negative' : 'too short'}: ${why}; it must be at least ${min}s. Use e.g. ${property}: ${example}.`);
  }
  return v;
}

/** The calls of the offline step: the app's endpoint, else the flavour's own offline call, else its removal. */
export function offlineCalls(registry: Registry, offline?: OfflineEndpoint): RegistryCall[] {
  return offline ? [offline._call] : (registry._spec.offline ?? registry._spec.removal);
}

/** Name of the plan phase that keeps the whole-second clock's slack before the protected wait. */
export const CLOCK_SLACK_PHASE = 'clock-slack';

/**
 * The shutdown plan of a registry-aware service, in the order the script runs:
 * [login] → offline → confirm → force-remove → [clear-config] → clock-slack → client-caches →
 * in-flight → stop → margin. Every step before the protected wait (client-caches + in-flight) is
 * bounded by its own phase end, so the protected wait starts by its planned start and keeps its
 * whole length. The force-remove's bound holds its calls and the check after them.
 */
export function registryPlan(registry: Registry, offline: OfflineEndpoint | undefined, o: RegistryShutdownOptions = {}): ShutdownPlan {
  const request = seconds(o.requestTimeout, 3, 'requestTimeout', 1);
  const times = (n: number) => Duration.seconds(request.toSeconds() * n);
  const spec = registry._spec;
  seconds(o.pollInterval, 1, 'pollInterval', 1);
  seconds(o.recheckInterval, 5, 'recheckInterval', 1);
  const phases: ShutdownPhaseProps[] = [];
  if (spec.login) {
    phases.push({ kind: PhaseKind.DEREGISTER, name: 'login', description: 'log in to Nacos (token kept in memory, never logged; retried before each call later)', bound: seconds(o.loginTimeout, 3, 'loginTimeout', 1), boundProperty: 'loginTimeout' });
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
  phases.push({ kind: PhaseKind.DEREGISTER, name: 'force-remove', description: `only if still there: ${spec.removal.map(c => c.description).join('; ')}, then check again (retried until this phase ends)`, bound: times(spec.removal.length + 1), boundProperty: 'requestTimeout' });
  if (spec.clearConfig) {
    phases.push({ kind: PhaseKind.DEREGISTER, name: 'clear-config', description: spec.clearConfig.description, bound: request, boundProperty: 'requestTimeout' });
  }
  phases.push({ kind: PhaseKind.DEREGISTER, name: CLOCK_SLACK_PHASE, description: "slack of the script's whole-second clock: the steps above end by here, so the wait below starts on time", bound: Duration.seconds(1) });
  phases.push({ kind: PhaseKind.PROPAGATE, name: 'client-caches', description: 'clients refresh their registry caches (runs even when a step failed; re-checks that the instance stays removed)', bound: seconds(o.cacheRefresh ?? registry.defaultCacheRefresh, 0, 'cacheRefresh', 1), boundProperty: 'cacheRefresh' });
  phases.push({ kind: PhaseKind.DRAIN, name: 'in-flight', description: 'calls sent before the refresh finish (RPC timeout)', bound: seconds(o.rpcTimeout, 5, 'rpcTimeout', 1), boundProperty: 'rpcTimeout' });
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
  /** How often the protected wait asks the registry again. Default 5s. */
  readonly recheckInterval?: Duration;
  /** The sidecar writes this file when deregistered and drained. */
  readonly doneFile?: string;
  /** When false, a credentialed call is refused rather than sent through wget. Default true. */
  readonly allowCredentialsInArguments?: boolean;
}

/** Whether a call carries a credential (a header from a Secret, or the registry's token). */
export function carriesCredential(c: RegistryCall): boolean {
  return c.headers.some(isSecretHeader) || (c.needsAuth ?? false);
}

function shellCall(c: RegistryCall): ShellCall {
  return {
    method: c.method,
    url: c.url,
    body: c.body,
    headers: c.headers.map(h => h.word),
    secret: carriesCredential(c),
    needsAuth: c.needsAuth ?? false,
    description: c.description,
  };
}

/**
 * The deregistration script: every timing read back from the plan. Each step is a poll bounded by
 * its own phase end (a failed call is sent again, a missing token fetched again, until then); the
 * protected wait for client caches and in-flight calls always runs its whole length and re-checks
 * that the instance stays removed; the script returns by `plan.preStopDeadline`.
 */
export function deregistrationScript(o: DeregistrationScriptOptions): PosixScript {
  const { plan, registry } = o;
  const spec = registry._spec;
  const interval = o.pollInterval ?? Duration.seconds(1);
  const request = plan.phase('force-remove').bound.toSeconds() / (spec.removal.length + 1);
  const presence = spec.presence(request);
  const ctx: ProbeContext = { timeoutSeconds: request, auth: spec.auth?.(request), presence, noArgvSecrets: o.allowCredentialsInArguments === false };
  const end = (phase: string) => plan.endOf(phase).toSeconds();
  const poll = (probe: IPollProbe, phase: string, description: string) =>
    Step.pollUntilZero({ probe, interval, until: plan.endOf(phase), description });
  const removal = spec.removal.map(shellCall);
  const checker = spec.checker ?? registry.kind;
  const steps: Step[] = [Step.log(`leaving ${registry.description}`)];
  if (spec.login) {
    steps.push(
      poll(loginProbe(ctx, end('login'), true), 'login', 'Nacos login pending'),
      Step.whenPollDidNotReachZero([Step.log('no Nacos token yet: each call below logs in first and is not sent without a token')]),
    );
  }
  steps.push(poll(callsProbe('offline calls not answered', offlineCalls(registry, o.offline).map(shellCall), ctx, end('offline'), 'off', !spec.login), 'offline', 'offline calls not answered'));
  steps.push(
    poll(confirmProbe(ctx, end('confirm')), 'confirm', `instance still registered (${checker})`),
    Step.whenPollDidNotReachZero([
      Step.log('not confirmed gone: force-remove at the registry'),
      poll(forceRemoveProbe(removal, ctx, end('force-remove')), 'force-remove', `instance still registered after the force-remove (${checker})`),
      Step.whenPollDidNotReachZero([Step.log('force-remove not confirmed by the end of its phase: the instance may still be registered; the wait below checks again')]),
    ]),
  );
  if (spec.clearConfig) {
    steps.push(poll(callsProbe('config clean-up not answered', [shellCall(spec.clearConfig)], ctx, end('clear-config'), 'cc', false), 'clear-config', 'config clean-up not answered'));
  }
  const caches = plan.phase('client-caches').bound;
  const inFlight = plan.phase('in-flight').bound;
  const waitSeconds = caches.toSeconds() + inFlight.toSeconds();
  const recheck = (o.recheckInterval ?? Duration.seconds(5)).toSeconds();
  steps.push(Step.pollUntilZero({
    interval,
    description: 'seconds left of the protected wait',
    probe: protectedWaitProbe({
      waitSeconds,
      recheckSeconds: recheck,
      message: `wait ${waitSeconds}s: client caches refresh (${formatDuration(caches)}) and in-flight calls end (${formatDuration(inFlight)}); re-checking every ${recheck}s that the instance stays removed`,
      removal,
      registry: spec.checkedAt ?? registry.description,
    }, ctx),
  }));
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
