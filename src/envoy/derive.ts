import { Duration } from 'cdk8s';
import { checkPresent, checkText, checkWholeSeconds } from '../core';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { ceilSeconds, formatMillis } from '../plan/duration-format';
import { HttpMethod, PosixScript, ShellWord, Step } from '../script';
import { EnvoyProbe } from './probe';
import { DrainListenersMode, GracefulEnvoyGatewayProps } from './props';
import { adminCallHost, assertPort, assertStatPrefix, canonicalAddress } from './stat-names';
import { DrainSelection, DrainTarget } from './stats';

const BOOTSTRAP_PATH = '/etc/envoy/envoy.yaml';

/** What a gateway derives from its props alone. */
export interface EnvoyGatewayDerivation {
  readonly validated: Validated;
  readonly plan: ShutdownPlan;
  readonly adminUrl: string;
  /** Sealed (rendered). */
  readonly drainScript: PosixScript;
  /** Frozen. */
  readonly envoyArgs: string[];
}

/**
 * Validation, the plan, the drain script and Envoy's arguments: a pure function of the props,
 * unit-testable without a chart. Errors name the property, the value and the fix; the construct
 * puts its path in front.
 */
export function deriveGracefulEnvoyGateway(props: GracefulEnvoyGatewayProps): EnvoyGatewayDerivation {
  const v = validate(props);
  const plan = buildPlan(props, v);
  const adminUrl = `http://${adminCallHost(v.adminAddress)}:${v.adminPort}`;
  const timeout = v.adminCallTimeout;
  const script = new PosixScript({ name: 'envoy-drain', deadline: plan.preStopDeadline });
  if (v.failHealthCheck) {
    script.add(Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${adminUrl}/healthcheck/fail`), timeout, description: 'POST /healthcheck/fail (load balancers stop sending)' }));
  }
  if (v.drainListeners !== DrainListenersMode.NONE) {
    script.add(Step.http({ method: HttpMethod.POST, url: ShellWord.literal(`${adminUrl}/drain_listeners?${v.drainListeners}`), timeout, description: `POST /drain_listeners?${v.drainListeners}` }));
  }
  if (plan.tryPhase('min-drain')) {
    // Counted from when the deregister calls returned (the readiness window starts at
    // /healthcheck/fail), not from the phase's fixed start: it ends no later than the plan says,
    // and does not add the unused part of the calls' timeouts to every termination.
    const minDrain = plan.phase('min-drain');
    script.add(Step.sleep(minDrain.bound, `min-drain: ${minDrain.description}`));
  }
  script.add(
    Step.pollUntilZero({
      probe: EnvoyProbe.activeConnections({ selection: v.selection, adminUrl, timeout }),
      interval: v.pollInterval,
      until: plan.endOf('drain'),
    }),
    Step.whenPollDidNotReachZero([Step.log(`maxDrain (${formatMillis(plan.phase('drain').bound.toMilliseconds())}) reached: Envoy closes the connections left at SIGTERM`)]),
  );
  script.render();
  return { validated: v, plan, adminUrl, drainScript: script, envoyArgs: Object.freeze(envoyArgs(props, plan, v)) as string[] };
}

/** The props, checked and with their defaults filled in. */
export interface Validated {
  readonly adminPort: number;
  readonly adminAddress: string;
  readonly selection: DrainSelection;
  readonly failHealthCheck: boolean;
  readonly drainListeners: DrainListenersMode;
  readonly adminCallTimeout: Duration;
  readonly pollInterval: Duration;
  readonly readiness: boolean;
  readonly readinessPeriod: Duration;
  readonly readinessFailureThreshold: number;
  readonly sidecarPort?: number;
}

const PORT_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function validate(props: GracefulEnvoyGatewayProps): Validated {
  checkText(props?.image, 'image', 'the Envoy image', 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0');
  checkPresent(props.listeners, 'listeners', 'give at least one listener ({ name, port }).');
  if (props.listeners.length === 0) throw new Error('listeners is empty ([]): give at least one listener ({ name, port }).');
  const adminPort = props.adminPort ?? 19000;
  assertPort(adminPort, 'adminPort');
  const adminAddress = props.adminAddress ?? '127.0.0.1';
  adminCallHost(adminAddress); // validates
  const names = new Set<string>();
  const ports = new Map<number, string>([[adminPort, 'adminPort']]);
  const targets: DrainTarget[] = [];
  props.listeners.forEach((l, i) => {
    const where = `listeners[${i}]`;
    if (!PORT_NAME.test(l.name)) throw new Error(`${where}.name '${l.name}' is not a valid port name: use 1-15 lower-case letters, digits and '-' (e.g. 'ssh', 'http').`);
    if (names.has(l.name)) throw new Error(`${where}.name '${l.name}' is used twice: give each listener its own name.`);
    names.add(l.name);
    assertPort(l.port, `${where}.port`);
    const taken = ports.get(l.port);
    if (taken) throw new Error(`${where}.port ${l.port} is already used by ${taken}: give each listener its own port.`);
    ports.set(l.port, `${where}.port`);
    if (l.servicePort !== undefined) assertPort(l.servicePort, `${where}.servicePort`);
    let t: DrainTarget;
    if (l.statPrefix !== undefined) {
      assertStatPrefix(l.statPrefix, `${where}.statPrefix`);
      t = DrainTarget.statPrefix(l.statPrefix);
    } else {
      const address = l.address ?? '0.0.0.0';
      canonicalAddress(address, `${where}.address`);
      t = DrainTarget.listener({ port: l.port, address });
    }
    if (l.drain !== false) targets.push(t);
  });
  let sidecarPort: number | undefined;
  if (props.drainManager) {
    sidecarPort = props.drainManager.port ?? 19002;
    assertPort(sidecarPort, 'drainManager.port');
    const taken = ports.get(sidecarPort);
    if (taken) throw new Error(`drainManager.port ${sidecarPort} is already used by ${taken}: the sidecar shares the pod's network namespace; give it a free port (default 19002).`);
    if (props.drainManager.image !== undefined && !props.drainManager.image.trim()) {
      throw new Error(`drainManager.image '${props.drainManager.image}' is empty: give a busybox image with sh, httpd and wget, or leave it unset for 'busybox:1.36'.`);
    }
  }
  const chosen = props.drainTargets ?? targets;
  if (chosen.length === 0) {
    throw new Error(`no listener is drained: every listener has drain: false and drainTargets is ${props.drainTargets ? '[]' : 'unset'}. Set drain: true on the listeners to wait for, or drainTargets: [DrainTarget.allListeners()].`);
  }
  const selection = prefixed('drainTargets', () => DrainSelection.of(chosen));
  const adminCallTimeout = wholeSeconds(props.adminCallTimeout ?? Duration.seconds(2), 'adminCallTimeout', 1);
  const pollInterval = wholeSeconds(props.pollInterval ?? Duration.seconds(1), 'pollInterval', 1);
  const maxDrain = props.maxDrain ?? Duration.seconds(60);
  if (maxDrain.toMilliseconds() < pollInterval.toMilliseconds()) {
    throw new Error(`maxDrain ${formatMillis(maxDrain.toMilliseconds())} is shorter than pollInterval ${formatMillis(pollInterval.toMilliseconds())}: the count would be read at most once. Raise maxDrain or lower pollInterval.`);
  }
  const readinessPeriod = wholeSeconds(props.readinessPeriod ?? Duration.seconds(5), 'readinessPeriod', 1);
  const readinessFailureThreshold = props.readinessFailureThreshold ?? 2;
  if (!Number.isInteger(readinessFailureThreshold) || readinessFailureThreshold < 1) {
    throw new Error(`readinessFailureThreshold ${readinessFailureThreshold} must be a whole number >= 1 (Kubernetes' failureThreshold). Use e.g. 2.`);
  }
  return {
    adminPort,
    adminAddress,
    selection,
    failHealthCheck: props.failHealthCheck ?? true,
    drainListeners: props.drainListeners ?? DrainListenersMode.GRACEFUL,
    adminCallTimeout,
    pollInterval,
    readiness: props.readiness ?? true,
    readinessPeriod,
    readinessFailureThreshold,
    sidecarPort,
  };
}

function buildPlan(props: GracefulEnvoyGatewayProps, v: Validated): ShutdownPlan {
  const calls = (v.failHealthCheck ? 1 : 0) + (v.drainListeners !== DrainListenersMode.NONE ? 1 : 0);
  const phases: ShutdownPhaseProps[] = [];
  if (calls > 0) {
    const what = [v.failHealthCheck ? 'POST /healthcheck/fail' : '', v.drainListeners !== DrainListenersMode.NONE ? `POST /drain_listeners?${v.drainListeners}` : ''].filter(Boolean).join(', ');
    phases.push({ kind: PhaseKind.DEREGISTER, description: what, bound: Duration.millis(v.adminCallTimeout.toMilliseconds() * calls), boundProperty: 'adminCallTimeout' });
  }
  const minDrain = wholeSeconds(props.minDrain ?? Duration.seconds(5), 'minDrain', 0);
  // /ready fails only after /healthcheck/fail; then the pod stops being "serving" within the window.
  const windowS = v.readiness && v.failHealthCheck ? v.readinessPeriod.toSeconds() * v.readinessFailureThreshold : 0;
  const propagateS = Math.max(minDrain.toSeconds(), windowS);
  if (propagateS > 0) {
    const byReadiness = windowS > minDrain.toSeconds();
    const parts = [
      ...(windowS > 0 ? [`readiness fails (${v.readinessPeriod.toSeconds()}s x ${v.readinessFailureThreshold})`] : []),
      `endpoint removal reaches every proxy and load balancer (minDrain ${minDrain.toSeconds()}s)`,
    ];
    phases.push({
      kind: PhaseKind.PROPAGATE,
      name: 'min-drain',
      description: `keep serving while ${parts.join(' and ')}`,
      bound: Duration.seconds(propagateS),
      boundProperty: byReadiness ? 'readinessPeriod' : 'minDrain',
    });
  }
  phases.push({
    kind: PhaseKind.DRAIN,
    description: `poll ${v.selection.allListeners ? v.selection.toString() : v.selection.statNames.join(' + ')} every ${formatMillis(v.pollInterval.toMilliseconds())} until 0`,
    bound: wholeSeconds(props.maxDrain ?? Duration.seconds(60), 'maxDrain', 1),
    endsEarly: true,
    boundProperty: 'maxDrain',
  });
  phases.push({ kind: PhaseKind.STOP, description: 'SIGTERM: Envoy exits, closing what is left', bound: wholeSeconds(props.stopTimeout ?? Duration.seconds(5), 'stopTimeout', 0), boundProperty: 'stopTimeout' });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: wholeSeconds(props.margin ?? Duration.seconds(2), 'margin', 0), boundProperty: 'margin' });
  return new ShutdownPlan({ phases, terminationGracePeriod: props.terminationGracePeriod });
}

/** Envoy's arguments: the user's, plus the bootstrap path and the drain flags when asked. */
function envoyArgs(props: GracefulEnvoyGatewayProps, plan: ShutdownPlan, v: Validated): string[] {
  const args = [...(props.args ?? [])];
  const has = (flag: string) => args.findIndex(a => a === flag || a.startsWith(`${flag}=`));
  if (props.bootstrap !== undefined && has('-c') < 0 && has('--config-path') < 0) {
    args.push('-c', BOOTSTRAP_PATH);
  }
  // drain_listeners may be sent as early as t=0; its drain must last until the poll ends (t=end of
  // drain), so the listeners are never stopped while the preStop still waits. SIGTERM ends it anyway.
  const drainTimeS = Math.max(1, ceilSeconds(plan.endOf('drain')));
  // At the least, listeners stay up until the poll starts: load balancers may send until then.
  const minDrainTimeS = Math.max(1, ceilSeconds(plan.startOf('drain')));
  const i = has('--drain-time-s');
  if (props.envoyDrainFlags) {
    for (const flag of ['--drain-time-s', '--drain-strategy']) {
      const at = has(flag);
      if (at >= 0) throw new Error(`args already set ${flag} ('${args[at]}') and envoyDrainFlags is true, which adds it from the plan (--drain-time-s ${drainTimeS}, --drain-strategy immediate). Remove ${flag} from args, or set envoyDrainFlags: false.`);
    }
    args.push('--drain-time-s', String(drainTimeS), '--drain-strategy', 'immediate');
  } else if (i >= 0 && v.drainListeners !== DrainListenersMode.NONE) {
    const raw = args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
    const n = Number(raw);
    if (!/^\d+$/.test(raw ?? '') || n < minDrainTimeS) {
      throw new Error(`args --drain-time-s '${raw}' must be a whole number of seconds >= ${minDrainTimeS} (the plan's drain phase starts at t=${minDrainTimeS}s): drain_listeners?graceful stops the listeners after it, and load balancers may still send until then. Use --drain-time-s ${drainTimeS} (until the end of the drain phase), or set envoyDrainFlags: true to have it added.`);
    }
  }
  return args;
}

function wholeSeconds(d: Duration, property: string, min: number): Duration {
  checkWholeSeconds(d, property, min, 'the preStop script counts in seconds');
  return d;
}

function prefixed<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}
