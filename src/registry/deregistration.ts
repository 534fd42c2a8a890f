import { Duration } from 'cdk8s';
import { checkWholeSeconds, formatDuration } from '../core';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { IPollProbe, PosixScript, Step } from '../script';
import { RegistryCall } from './internal';
import { OfflineEndpoint } from './offline-endpoint';
import { RegistryShutdownOptions } from './options';
import { isSecretHeader } from './probes';
import { fileExistsProbe } from '../hook-sidecar';
import { Registry } from './registry';
import { callsProbe, confirmProbe, forceRemoveProbe, loginProbe, ProbeContext, protectedWaitProbe, ShellCall } from './shell-calls';

/**
 * The timings of a registry-aware shutdown, each validated once from the options: the plan's
 * phases are built from them, and the script reads the ones that are no phase of their own (the
 * per-call timeout, the poll and recheck intervals) from here, never back from a phase bound.
 */
export interface RegistryTimings {
  /** Each HTTP call's timeout: the offline, force-remove and clean-up phases budget whole calls of it. */
  readonly request: Duration;
  readonly login: Duration;
  readonly confirm: Duration;
  readonly poll: Duration;
  readonly recheck: Duration;
  readonly cacheRefresh: Duration;
  readonly rpc: Duration;
  readonly stop: Duration;
  readonly margin: Duration;
}

/** Why each wait the docs promise is at least 1s, for the error when it is zero. */
const AT_LEAST_ONE_SECOND: Record<string, string> = {
  requestTimeout: 'each call needs time to answer',
  confirmTimeout: 'the registry needs time to confirm',
  pollInterval: 'the script polls in whole seconds',
  recheckInterval: 'the script re-checks in whole seconds',
  loginTimeout: 'the login needs time to answer',
  cacheRefresh: 'the wait for client caches runs even when a step failed',
  rpcTimeout: 'the wait for in-flight calls runs even when a step failed',
};

/** The timings of `options`, defaults filled in, each a whole number of seconds (the script's clock counts seconds). */
export function registryTimings(registry: Registry, o: RegistryShutdownOptions = {}): RegistryTimings {
  const timing = (d: Duration | undefined, fallback: Duration, property: string): Duration => {
    const v = d ?? fallback;
    const why = AT_LEAST_ONE_SECOND[property];
    checkWholeSeconds(v, property, why ? 1 : 0, why);
    return v;
  };
  return {
    request: timing(o.requestTimeout, Duration.seconds(3), 'requestTimeout'),
    login: timing(o.loginTimeout, Duration.seconds(3), 'loginTimeout'),
    confirm: timing(o.confirmTimeout, Duration.seconds(5), 'confirmTimeout'),
    poll: timing(o.pollInterval, Duration.seconds(1), 'pollInterval'),
    recheck: timing(o.recheckInterval, Duration.seconds(5), 'recheckInterval'),
    cacheRefresh: timing(o.cacheRefresh, registry.defaultCacheRefresh, 'cacheRefresh'),
    rpc: timing(o.rpcTimeout, Duration.seconds(5), 'rpcTimeout'),
    stop: timing(o.stopTimeout, Duration.seconds(30), 'stopTimeout'),
    margin: timing(o.margin, Duration.seconds(2), 'margin'),
  };
}

/** The calls of the offline step: the app's endpoint, else the flavour's own offline call, else its removal. */
export function offlineCalls(registry: Registry, offline?: OfflineEndpoint): RegistryCall[] {
  return offline ? [offline._call] : (registry._spec.offline ?? registry._spec.removal);
}

/** Name of the plan phase that keeps the whole-second clock's slack before the protected wait. */
export const CLOCK_SLACK_PHASE = 'clock-slack';

/** Name of the plan phase in which the sidecar tells the app container it is done (the done-file). */
export const SIGNAL_APP_PHASE = 'signal-app';

/**
 * The shutdown plan of a registry-aware service, in the order the script runs:
 * [login] → offline → confirm → force-remove → [clear-config] → clock-slack → client-caches →
 * in-flight → [signal-app] → stop → margin. Every step before the protected wait (client-caches +
 * in-flight) is bounded by its own phase end, so the protected wait starts by its planned start
 * and keeps its whole length. The call phases are whole multiples of the request timeout; the
 * force-remove's bound holds its calls and the check after them. `signalsApp`: the script ends by
 * writing the done-file the app container waits for (the sidecar placement with `AppWait.DONE_FILE`).
 */
export function registryPlan(
  registry: Registry, offline: OfflineEndpoint | undefined, t: RegistryTimings, signalsApp = false, terminationGracePeriod?: Duration,
): ShutdownPlan {
  const calls = (n: number) => Duration.seconds(t.request.toSeconds() * n);
  const spec = registry._spec;
  const phases: ShutdownPhaseProps[] = [];
  if (spec.login) {
    phases.push({ kind: PhaseKind.DEREGISTER, name: 'login', description: 'log in to Nacos (token kept in memory, never logged; retried before each call later)', bound: t.login, boundProperty: 'loginTimeout' });
  }
  const offlineOnes = offlineCalls(registry, offline);
  phases.push({
    kind: PhaseKind.DEREGISTER,
    name: 'offline',
    description: offlineOnes.map(c => c.description).join('; '),
    bound: calls(offlineOnes.length),
    boundProperty: 'requestTimeout',
  });
  phases.push({ kind: PhaseKind.DEREGISTER, name: 'confirm', description: `poll ${spec.checkedAt ?? registry.description} until the instance is gone`, bound: t.confirm, endsEarly: true, boundProperty: 'confirmTimeout' });
  phases.push({ kind: PhaseKind.DEREGISTER, name: 'force-remove', description: `only if still there: ${spec.removal.map(c => c.description).join('; ')}, then check again (retried until this phase ends)`, bound: calls(spec.removal.length + 1), boundProperty: 'requestTimeout' });
  if (spec.clearConfig) {
    phases.push({ kind: PhaseKind.DEREGISTER, name: 'clear-config', description: spec.clearConfig.description, bound: calls(1), boundProperty: 'requestTimeout' });
  }
  phases.push({ kind: PhaseKind.DEREGISTER, name: CLOCK_SLACK_PHASE, description: "slack of the script's whole-second clock: the steps above end by here, so the wait below starts on time", bound: Duration.seconds(1) });
  phases.push({ kind: PhaseKind.PROPAGATE, name: 'client-caches', description: 'clients refresh their registry caches (runs even when a step failed; re-checks that the instance stays removed)', bound: t.cacheRefresh, boundProperty: 'cacheRefresh' });
  phases.push({ kind: PhaseKind.DRAIN, name: 'in-flight', description: 'calls sent before the refresh finish (RPC timeout)', bound: t.rpc, boundProperty: 'rpcTimeout' });
  if (signalsApp) {
    // Writing a file on a shared emptyDir: 2s is ample, and budgeted here rather than in the script.
    phases.push({ kind: PhaseKind.DRAIN, name: SIGNAL_APP_PHASE, description: 'the sidecar writes the done-file the app container waits for', bound: Duration.seconds(2) });
  }
  phases.push({ kind: PhaseKind.STOP, description: 'SIGTERM; the app shuts down gracefully', bound: t.stop, boundProperty: 'stopTimeout' });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: t.margin, boundProperty: 'margin' });
  return new ShutdownPlan({ phases, terminationGracePeriod });
}

/** Options of {@link deregistrationScript}. */
export interface DeregistrationScriptOptions {
  readonly registry: Registry;
  readonly offline?: OfflineEndpoint;
  /** Built by {@link registryPlan} from `timings`, with `signalsApp` when `doneFile` is set. */
  readonly plan: ShutdownPlan;
  readonly timings: RegistryTimings;
  /** The sidecar writes this file when deregistered and drained, in the plan's signal-app phase. */
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
  const interval = o.timings.poll;
  const request = o.timings.request.toSeconds();
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
  const recheck = o.timings.recheck.toSeconds();
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
    steps.push(Step.run(['touch', o.doneFile], `signal the app container (${o.doneFile})`, { timeout: plan.phase(SIGNAL_APP_PHASE).bound }));
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
