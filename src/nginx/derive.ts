import { Duration } from 'cdk8s';
import { checkWholeSeconds } from '../core';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { PollProbe, PosixScript, Step } from '../script';
import { establishedConnectionsProbe, readyFileOnceListeningProbe } from './connections-probe';
import { NginxCutOver } from './cut-over';
import { assertPort, checkUserNginxConf, renderNginxConfCached } from './nginx-conf';
import { GracefulNginxProps, NginxPaths } from './props';
import { nginxStartCommand } from './start-command';

/** The largest `keepaliveTimeout`, in seconds, accepted without `allowLongKeepalive`. */
export const MAX_KEEPALIVE_TIMEOUT_SECONDS = 10;

/** How long the postStart waits for nginx to listen before it gives up (and leaves the pod unready). */
const POST_START_WAIT_SECONDS = 30;

/** What a GracefulNginx derives from its props alone. */
export interface NginxDerivation {
  readonly port: number;
  readonly servicePort: number;
  readonly uid: number;
  readonly gid: number;
  readonly cutOver: NginxCutOver;
  readonly fileMode: boolean;
  readonly period: number;
  readonly threshold: number;
  readonly keepaliveTimeoutSeconds: number;
  readonly keepaliveTimeSeconds: number;
  readonly workerShutdownTimeoutSeconds: number;
  readonly plan: ShutdownPlan;
  readonly nginxConf: string;
  /** Sealed (rendered). */
  readonly preStopScript: PosixScript;
  /** The postStart exec command in readiness-file mode (frozen). */
  readonly postStartCommand?: string[];
  /** The container command (frozen). */
  readonly startCommand: string[];
}

/**
 * Validation, the plan, nginx.conf and the scripts: a pure function of the props, unit-testable
 * without a chart. Errors name the property, the value and the fix; the construct puts its path in
 * front.
 */
export function deriveGracefulNginx(props: GracefulNginxProps): NginxDerivation {
  const fail = (property: string, value: unknown, fix: string): never => {
    throw new Error(`${property} ${value} ${fix}`);
  };
  const seconds = (property: string, d: Duration, min: number): number => {
    return checkWholeSeconds(d, property, min, "nginx and the preStop's sleeps work in seconds");
  };

  const port = props.port ?? 8080;
  try {
    assertPort(port, 'port');
  } catch (e) {
    fail('port', port, 'is out of range: use 1-65535.');
  }
  const servicePort = props.servicePort ?? 80;
  if (!Number.isInteger(servicePort) || servicePort < 1 || servicePort > 65535) fail('servicePort', servicePort, 'is out of range: use 1-65535.');
  const uid = props.runAsUser ?? 101;
  if (!Number.isInteger(uid) || uid < 1) fail('runAsUser', uid, 'must be a whole number >= 1: the pod runs with runAsNonRoot (uid 101 is the unprivileged image\'s nginx user).');
  const gid = props.runAsGroup ?? 101;
  if (!Number.isInteger(gid) || gid < 0) fail('runAsGroup', gid, 'must be a whole number >= 0.');
  if (props.servers !== undefined && props.config !== undefined) {
    throw new Error('set servers or config, not both (config is a whole nginx.conf, servers go inside the generated one).');
  }

  const cutOver = props.cutOver ?? NginxCutOver.readinessFile();
  const fileMode = cutOver.usesReadinessFile;
  const period = seconds('cutOver period', cutOver.period, 1);
  const threshold = cutOver.failureThreshold;
  if (!Number.isInteger(threshold) || threshold < 1) fail('cutOver failureThreshold', threshold, 'must be a whole number >= 1.');
  const window = fileMode ? period * threshold : 0;
  const propagation = seconds('propagation', props.propagation ?? Duration.seconds(5), 0);
  let wait: number;
  if (props.cutOverWait) {
    wait = seconds('cutOverWait', props.cutOverWait, 1);
    if (wait <= window) {
      fail('cutOverWait', `${wait}s`, `is not longer than the readiness probe window (${period}s x ${threshold} = ${window}s): routers would still send new connections when nginx stops. Use at least ${window + 1}s, or leave it unset to derive ${window + propagation}s.`);
    }
  } else {
    if (propagation < 1) {
      fail('propagation', `${propagation}s`, 'leaves no time for endpoint removal to reach kube-proxy, ingresses and load balancers: use at least 1s.');
    }
    wait = window + propagation;
  }

  const keepaliveTimeoutSeconds = seconds('keepaliveTimeout', props.keepaliveTimeout ?? Duration.seconds(3), 0);
  if (keepaliveTimeoutSeconds > MAX_KEEPALIVE_TIMEOUT_SECONDS && !props.allowLongKeepalive) {
    fail('keepaliveTimeout', `${keepaliveTimeoutSeconds}s`, `is above ${MAX_KEEPALIVE_TIMEOUT_SECONDS}s: every idle connection must be closed before nginx stops, so the drain grows with it. Lower it, or set allowLongKeepalive: true.`);
  }
  if (!props.keepaliveTime && wait < 2) {
    fail(props.cutOverWait ? 'cutOverWait' : 'propagation', `${props.cutOverWait ? wait : propagation}s`, `leaves a cut-over wait of ${wait}s, too short for keepalive_time (at least 1s, and below the wait): ${props.cutOverWait ? 'use at least 2s' : `use at least ${2 - window}s`}, or set keepaliveTime.`);
  }
  const derivedTime = Math.max(1, Math.min(propagation, wait - 1));
  const keepaliveTimeSeconds = props.keepaliveTime ? seconds('keepaliveTime', props.keepaliveTime, 1) : derivedTime;
  if (keepaliveTimeSeconds >= wait) {
    fail('keepaliveTime', `${keepaliveTimeSeconds}s`, `is not below the cut-over wait (${wait}s): connections pinned to the pod must be able to leave by keepalive_time soon after it leaves rotation. Use at most ${wait - 1}s.`);
  }
  const workerShutdownTimeoutSeconds = seconds('maxDrain', props.maxDrain ?? Duration.seconds(10), 1);
  const reload = props.reloadBeforeQuit ?? false;

  // Keep-alive retirement: every connection still pinned when the pod leaves rotation is closed
  // by nginx within keepalive_time (busy) or keepalive_timeout (idle), plus one response.
  const retire = Math.max(keepaliveTimeSeconds, keepaliveTimeoutSeconds) + 1;
  const stop = workerShutdownTimeoutSeconds + 1;
  const phases: ShutdownPhaseProps[] = [];
  if (fileMode) {
    phases.push({ kind: PhaseKind.DEREGISTER, description: 'remove the readiness file', bound: Duration.seconds(0) });
  }
  phases.push({
    kind: PhaseKind.PROPAGATE,
    description: fileMode
      ? `readiness probe fails (${period}s x ${threshold}) and endpoint removal propagates (${propagation}s)`
      : 'wait for endpoint removal to reach every proxy and load balancer',
    bound: Duration.seconds(wait),
    boundProperty: props.cutOverWait ? 'cutOverWait' : 'propagation',
  });
  phases.push({
    kind: PhaseKind.DRAIN,
    name: 'retire-keepalive',
    description: `keep-alive connections leave: nginx closes each after its next response (keepalive_time ${keepaliveTimeSeconds}s) or when idle (keepalive_timeout ${keepaliveTimeoutSeconds}s)`,
    bound: Duration.seconds(retire),
    endsEarly: true,
    // The error for a pinned grace period names whichever of the two sets this bound.
    boundProperty: keepaliveTimeoutSeconds > keepaliveTimeSeconds ? 'keepaliveTimeout' : 'keepaliveTime',
  });
  if (reload) {
    phases.push({ kind: PhaseKind.DRAIN, name: 'reload', description: 'nginx -s reload; old workers answer Connection: close', bound: Duration.seconds(1), inPreStop: true });
  }
  phases.push({
    kind: PhaseKind.STOP,
    name: 'quit',
    description: `nginx -s quit; in-flight requests finish (worker_shutdown_timeout ${workerShutdownTimeoutSeconds}s); wait for the master to exit`,
    bound: Duration.seconds(stop),
    endsEarly: true,
    inPreStop: true,
    boundProperty: 'maxDrain',
  });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: props.margin ?? Duration.seconds(2), boundProperty: 'margin' });
  const plan = new ShutdownPlan({ phases, terminationGracePeriod: props.terminationGracePeriod });

  // nginx.conf
  const limits = { maxKeepaliveTimeoutSeconds: keepaliveTimeoutSeconds, maxKeepaliveTimeSeconds: keepaliveTimeSeconds };
  let nginxConf: string;
  if (props.config !== undefined) {
    const problems = checkUserNginxConf(props.config, {
      ...limits,
      wholeConfig: { maxWorkerShutdownTimeoutSeconds: workerShutdownTimeoutSeconds, pidFile: NginxPaths.PID_FILE },
    });
    if (problems.length > 0) throw new Error(`config does not fit the shutdown plan: ${problems.join('; ')}.`);
    nginxConf = props.config;
  } else {
    if (props.servers !== undefined) {
      const problems = checkUserNginxConf(props.servers, limits);
      if (problems.length > 0) throw new Error(`servers do not fit the shutdown plan: ${problems.join('; ')}.`);
    }
    nginxConf = renderNginxConfCached({
      port,
      keepaliveTimeoutSeconds,
      keepaliveTimeSeconds,
      workerShutdownTimeoutSeconds,
      pidFile: NginxPaths.PID_FILE,
      tempDir: NginxPaths.TEMP_DIR,
      servers: props.servers,
      accessLog: props.accessLog,
    });
  }

  // preStop
  const nginx = (signal: string) => ['nginx', '-e', 'stderr', '-c', NginxPaths.CONFIG_FILE, '-s', signal];
  const script = new PosixScript({ name: 'nginx-prestop', deadline: plan.preStopDeadline });
  if (fileMode) script.add(Step.run(['rm', '-f', NginxPaths.READY_FILE], 'remove the readiness file'));
  script.add(
    Step.sleepUntil(plan.endOf('propagate'), fileMode ? 'readiness fails and endpoint removal propagates' : 'endpoint removal propagates'),
    Step.pollUntilZero({
      probe: establishedConnectionsProbe(port),
      until: plan.endOf('retire-keepalive'),
      description: `keep-alive connections to port ${port}`,
    }),
  );
  if (reload) {
    script.add(Step.run(nginx('reload'), 'nginx -s reload'), Step.sleep(plan.phase('reload').bound, 'old workers answer Connection: close'));
  }
  script.add(
    Step.run(nginx('quit'), 'nginx -s quit'),
    Step.pollUntilZero({ probe: PollProbe.processAlive(NginxPaths.PID_FILE), until: plan.endOf('quit'), description: 'nginx master' }),
  );

  script.render();

  // postStart: the readiness file appears only once nginx listens. The container command has
  // removed the previous run's file first (the emptyDir survives restarts).
  const postStart = fileMode ? new PosixScript({ name: 'nginx-poststart', deadline: Duration.seconds(POST_START_WAIT_SECONDS) })
    .add(
      Step.pollUntilZero({
        probe: readyFileOnceListeningProbe(port, NginxPaths.READY_FILE),
        until: Duration.seconds(POST_START_WAIT_SECONDS - 1),
        description: `nginx not listening on port ${port} (then create the readiness file)`,
      }),
      Step.whenPollDidNotReachZero([Step.log(`nginx does not listen on port ${port}: no readiness file, the pod stays unready`)]),
    ) : undefined;
  const nginxArgv = ['nginx', '-e', 'stderr', '-c', NginxPaths.CONFIG_FILE, '-g', 'daemon off;'];
  const startCommand = nginxStartCommand(nginxArgv, fileMode ? [NginxPaths.READY_FILE, NginxPaths.PID_FILE] : [NginxPaths.PID_FILE]);
  return {
    port,
    servicePort,
    uid,
    gid,
    cutOver,
    fileMode,
    period,
    threshold,
    keepaliveTimeoutSeconds,
    keepaliveTimeSeconds,
    workerShutdownTimeoutSeconds,
    plan,
    nginxConf,
    preStopScript: script,
    postStartCommand: postStart ? Object.freeze(postStart.toCommand()) as string[] : undefined,
    startCommand: Object.freeze(startCommand) as string[],
  };
}
