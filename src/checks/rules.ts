/**
 * The built-in rules. Each is a small pure function over one pod template. Module-internal: the
 * public way in is `RulePack.builtIn()`.
 */
import { CheckLevel, ICheckRule, PodTemplateTarget, RuleViolation } from './model';
import { parseKubernetesVersion, versionAtLeast } from './parse';
import { findBashisms, findStatsReadAsZero, ShellLoop } from './shell';
import { ContainerInfo, containersOf, HookInfo, istioInfo, objectRef, preStopWait } from './workload';

class BuiltInRule implements ICheckRule {
  public constructor(
    public readonly id: string,
    public readonly name: string,
    public readonly level: CheckLevel,
    public readonly explanation: string,
    public readonly fix: string,
    private readonly fn: (t: PodTemplateTarget) => RuleViolation[],
  ) {}

  public check(target: PodTemplateTarget): RuleViolation[] {
    return this.fn(target);
  }
}

const fmt = (s: number) => `${Number(s.toFixed(3))}s`;

function grace(t: PodTemplateTarget): string {
  return `terminationGracePeriodSeconds ${t.gracePeriodSeconds}${t.gracePeriodExplicit ? '' : ' (the Kubernetes default; the pod does not set it)'}`;
}

/** Containers that get a stop signal with the pod: app containers and native sidecars. */
function running(t: PodTemplateTarget): ContainerInfo[] {
  return containersOf(t).filter(c => !c.initContainer || c.nativeSidecar);
}

function hooks(c: ContainerInfo): Array<[string, HookInfo]> {
  return [['preStop', c.preStop], ['postStart', c.postStart]];
}

function describeHook(h: HookInfo): string {
  switch (h.type) {
    case 'sleep': return `the sleep action (${h.sleepSeconds}s)`;
    case 'httpGet': return `httpGet ${h.httpTarget}`;
    case 'exec': return h.shell ? `${h.shell} -c script` : `exec \`${h.script}\``;
    default: return h.type;
  }
}

function describeLoop(l: ShellLoop): string {
  if (l.deadlineSeconds !== undefined && l.boundSeconds === l.deadlineSeconds) return `a loop bounded by a ${fmt(l.deadlineSeconds)} deadline`;
  if (l.iterations !== undefined) return `${l.iterations} × ${fmt(l.perIterationSeconds)} = ${fmt(l.boundSeconds ?? 0)} of polling`;
  return 'a loop';
}

const GS001 = new BuiltInRule(
  'GS001', 'prestop-sleep-exceeds-grace', CheckLevel.ERROR,
  'The grace period counts from the moment the pod is marked terminating, preStop included. A preStop that sleeps as long as the grace period (or longer) is killed before the container ever gets its stop signal, so the application never shuts down gracefully. The API server rejects a sleep action that is not below the grace period; an exec `sleep` is not checked by anyone.',
  'Raise terminationGracePeriodSeconds to the preStop wait plus the application\'s drain time plus a margin, or shorten the sleep.',
  t => running(t).flatMap(c => {
    const w = preStopWait(c.preStop);
    if (w.fixedSeconds <= 0 || w.fixedSeconds < t.gracePeriodSeconds) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" sleeps ${fmt(w.fixedSeconds)} (${describeHook(c.preStop)}), not below ${grace(t)}: the container is killed at t=${t.gracePeriodSeconds}s without ever getting its stop signal.`,
      fix: `Set terminationGracePeriodSeconds to at least ${Math.ceil(w.fixedSeconds) + 10} (the sleep, time for the application to stop, and a margin), or sleep less than ${t.gracePeriodSeconds}s.`,
    }];
  }),
);

const GS002 = new BuiltInRule(
  'GS002', 'istio-drain-not-below-grace', CheckLevel.ERROR,
  'Istio\'s sidecar drains for terminationDrainDuration (5s by default) after SIGTERM, then stops Envoy. If that is not below the pod\'s grace period, the kubelet kills istio-proxy mid-drain and open connections are reset.',
  'Set terminationDrainDuration in proxy.istio.io/config below terminationGracePeriodSeconds, leaving time for the application to stop, or raise the grace period.',
  t => {
    const i = istioInfo(t);
    if (!i.injected || i.exitOnZero || i.drainMillis < t.gracePeriodSeconds * 1000) return [];
    return [{
      container: 'istio-proxy',
      message: `${objectRef(t)}: Istio terminationDrainDuration ${i.drainText} (proxy.istio.io/config) is not below ${grace(t)}: istio-proxy is killed at t=${t.gracePeriodSeconds}s before its drain ends.`,
      fix: `Set terminationGracePeriodSeconds to at least ${Math.ceil(i.drainMillis / 1000) + 5}, or terminationDrainDuration below ${t.gracePeriodSeconds}s.`,
    }];
  },
);

const GS003 = new BuiltInRule(
  'GS003', 'istio-sidecar-exits-before-app-wait', CheckLevel.WARNING,
  'An ordinary Istio sidecar has no preStop: it gets SIGTERM at t=0, drains for terminationDrainDuration and exits, while the application container may still be sleeping in its preStop waiting for endpoint removal. Traffic that still arrives, and the application\'s own outbound calls, fail once the proxy is gone (istio #7136, #10112, #36631).',
  'Make terminationDrainDuration at least as long as the application\'s preStop wait plus its drain, or use native sidecars (which stop after the application), or EXIT_ON_ZERO_ACTIVE_CONNECTIONS with a bounded grace period.',
  t => {
    const i = istioInfo(t);
    if (!i.injected || i.native) return [];
    const proxy = containersOf(t).find(c => c.name === 'istio-proxy');
    if (proxy && proxy.preStop.type !== 'none') return [];
    const drainS = i.drainMillis / 1000;
    return running(t).filter(c => c.name !== 'istio-proxy').flatMap(c => {
      const w = preStopWait(c.preStop);
      const wait = w.boundSeconds ?? w.fixedSeconds;
      if (wait <= drainS) return [];
      return [{
        container: c.name,
        message: `${objectRef(t)}: istio-proxy stops after terminationDrainDuration ${i.drainText}, but the preStop of container "${c.name}" waits ${fmt(wait)}: between t=${fmt(drainS)} and t=${fmt(wait)} the pod has no proxy, so requests still routed to it and its outbound calls fail.`,
        fix: `Set terminationDrainDuration to at least ${Math.ceil(wait) + 5}s (and terminationGracePeriodSeconds above it), or run istio-proxy as a native sidecar.`,
      }];
    });
  },
);

const GS004 = new BuiltInRule(
  'GS004', 'exit-on-zero-unbounded', CheckLevel.WARNING,
  'With EXIT_ON_ZERO_ACTIVE_CONNECTIONS, pilot-agent waits MINIMUM_DRAIN_DURATION (5s) and then polls Envoy every second until no connection is left, with no limit of its own: only SIGKILL at the grace period ends it. One connection that never closes (a Prometheus scrape, a WebSocket) keeps the pod Terminating for the whole grace period (gateway #4125, istio #60728).',
  'Set terminationGracePeriodSeconds explicitly to MINIMUM_DRAIN_DURATION plus the longest drain you accept plus a margin.',
  t => {
    const i = istioInfo(t);
    if (!i.injected || !i.exitOnZero) return [];
    const min = i.minimumDrainMillis / 1000;
    if (t.gracePeriodSeconds <= min) {
      return [{
        container: 'istio-proxy',
        level: CheckLevel.ERROR,
        message: `${objectRef(t)}: EXIT_ON_ZERO_ACTIVE_CONNECTIONS waits MINIMUM_DRAIN_DURATION ${fmt(min)} before it polls, which does not fit in ${grace(t)}.`,
        fix: `Set terminationGracePeriodSeconds to at least ${Math.ceil(min) + 30}, or lower MINIMUM_DRAIN_DURATION.`,
      }];
    }
    if (!t.gracePeriodExplicit) {
      return [{
        container: 'istio-proxy',
        message: `${objectRef(t)}: EXIT_ON_ZERO_ACTIVE_CONNECTIONS polls until no connection is left and only SIGKILL bounds it, but the pod does not set terminationGracePeriodSeconds (Kubernetes' default 30s applies by accident).`,
      }];
    }
    if (t.gracePeriodSeconds > 600) {
      return [{
        container: 'istio-proxy',
        message: `${objectRef(t)}: EXIT_ON_ZERO_ACTIVE_CONNECTIONS polls until no connection is left, bounded only by terminationGracePeriodSeconds ${t.gracePeriodSeconds}: one connection that never closes keeps the pod Terminating for ${fmt(t.gracePeriodSeconds)}.`,
        fix: 'Lower terminationGracePeriodSeconds to the longest drain you accept (plus MINIMUM_DRAIN_DURATION and a margin).',
      }];
    }
    return [];
  },
);

const GS005 = new BuiltInRule(
  'GS005', 'service-without-prestop-wait', CheckLevel.WARNING,
  'When a pod is deleted, the kubelet starts stopping containers at the same time as the control plane removes the pod from EndpointSlices; kube-proxy, ingresses and load balancers learn of it seconds later. Without a preStop wait the application gets SIGTERM while traffic still arrives, and those requests fail (kubernetes #43576, ingress-nginx #3639).',
  'Add a preStop that waits for endpoint removal to propagate (5-10s): `sleep 5` via exec, or the lifecycle sleep action on Kubernetes 1.30+.',
  t => {
    if (t.serviceSelected !== true || t.kind === 'Job' || t.kind === 'CronJob') return [];
    const apps = running(t).filter(c => c.name !== 'istio-proxy');
    if (apps.length === 0 || apps.some(c => preStopWait(c.preStop).waits)) return [];
    const names = apps.map(c => `"${c.name}"`).join(', ');
    return [{
      message: `${objectRef(t)} is selected by a Service, but no container (${names}) has a preStop that waits: they get their stop signal at t=0 while endpoint removal is still propagating, so requests routed to the pod in those seconds fail.`,
    }];
  },
);

const FILE_TEST = /(?:\bcat|\btest\s+-[efsr]|\[\s+-[efsr]|\bls|\bstat)\s+["']?(\/[^\s"';\]]+)/;

const GS006 = new BuiltInRule(
  'GS006', 'readiness-file-wait-too-short', CheckLevel.WARNING,
  'A preStop that removes the file a readiness probe checks only takes the pod out of rotation once the probe has failed failureThreshold times, one periodSeconds apart. If the hook stops waiting earlier, the application stops while it is still marked ready.',
  'Wait at least periodSeconds × failureThreshold (plus endpoint propagation) after removing the readiness file, or make the probe period shorter.',
  t => running(t).flatMap(c => {
    const probe = c.container.readinessProbe;
    const cmd = probe?.exec?.command;
    const a = c.preStop.analysis;
    if (!Array.isArray(cmd) || !a) return [];
    const m = FILE_TEST.exec(cmd.map(String).join(' '));
    if (!m) return [];
    const file = m[1];
    const rm = a.commands.find(x => x.head === 'rm' && x.words.includes(file));
    if (!rm) return [];
    const period = Number(probe.periodSeconds ?? 10);
    const failures = Number(probe.failureThreshold ?? 3);
    const needed = period * failures;
    const after = a.sleeps.filter(s => s.depth === 0 && s.index > rm.index).reduce((s, x) => s + (x.seconds ?? 0), 0) +
      a.loops.filter(l => l.startIndex > rm.index).reduce((s, l) => s + (l.boundSeconds ?? 0), 0);
    if (after >= needed) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" removes the readiness file ${file} and then waits ${fmt(after)}, but the readiness probe needs up to periodSeconds ${period} × failureThreshold ${failures} = ${fmt(needed)} to mark the pod unready.`,
      fix: `Wait at least ${needed + 5}s after removing ${file} (and keep terminationGracePeriodSeconds above the whole preStop), or lower the probe's periodSeconds.`,
    }];
  }),
);

const GS007 = new BuiltInRule(
  'GS007', 'nginx-quit-without-wait', CheckLevel.WARNING,
  '`nginx -s quit` only sends SIGQUIT to the master and returns at once. The preStop then ends, the kubelet sends the stop signal (SIGTERM unless the image sets STOPSIGNAL SIGQUIT), and SIGTERM turns the graceful shutdown into a fast one that drops in-flight requests.',
  'After `nginx -s quit`, wait for nginx to exit with a bounded loop (e.g. `while pgrep -x nginx >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done`), and set worker_shutdown_timeout below the grace period.',
  t => running(t).flatMap(c => {
    const a = c.preStop.analysis;
    if (!a) return [];
    const quit = a.commands.find(x => /(^|\/)nginx$/.test(x.head) && /(^|\s)-s\s*quit\b/.test(x.text));
    if (!quit) return [];
    const waitsAfter = a.commands.some(x => x.index > quit.index && (/(^|\/)sleep$/.test(x.head) || ['while', 'until', 'for', 'wait'].includes(x.head) || (x.head === 'tail' && /--pid/.test(x.text))));
    if (waitsAfter) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" runs \`${quit.text}\`, which returns at once, and nothing waits after it: the stop signal follows immediately and nginx does not finish in-flight requests unless the image's STOPSIGNAL is SIGQUIT.`,
    }];
  }),
);

const GS008 = new BuiltInRule(
  'GS008', 'fixed-drain-after-healthcheck-fail', CheckLevel.WARNING,
  'A preStop that fails Envoy\'s health check (`POST /healthcheck/fail`) and then sleeps a fixed time (Gloo\'s gracefulShutdown) waits the full time even when nothing is connected, and stops waiting while long requests are still open. It also only tells health-checking load balancers to leave; Kubernetes endpoints still need their propagation time (kgateway #7743).',
  'Poll the connection count (`/stats?filter=^listener\\..*\\.downstream_cx_active$`) every second until it is zero, with a deadline below the grace period, treating an unreachable admin endpoint as unknown.',
  t => running(t).flatMap(c => {
    const a = c.preStop.analysis;
    if (!a || !/healthcheck\/fail/.test(a.script)) return [];
    const failAt = a.commands.find(x => /healthcheck\/fail/.test(x.text));
    // A count-based wait after the health-check failure (Envoy's stats, listening sockets) is a drain, not a fixed sleep.
    const polls = a.loops.some(l => l.pollsEnvoyStats || (l.keyword !== 'for' && !l.unbounded && l.startIndex > failAt?.index!));
    if (!failAt || polls) return [];
    const sleep = a.sleeps.filter(s => s.depth === 0 && s.index > failAt.index).reduce((s, x) => s + (x.seconds ?? 0), 0);
    if (sleep <= 0) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" fails Envoy's health check and then sleeps a fixed ${fmt(sleep)}: it waits ${fmt(sleep)} even with no connection left, and cuts connections still open after ${fmt(sleep)}.`,
    }];
  }),
);

const GS009 = new BuiltInRule(
  'GS009', 'stats-unreachable-read-as-zero', CheckLevel.ERROR,
  'A drain loop that compares Envoy\'s connection count with a number without checking that the read worked treats an unreachable admin endpoint (hostNetwork, a crashed Envoy, a wrong port) as zero connections and ends the drain at once (gateway #9853).',
  'Read the count into a variable, check the read succeeded and is a number (`case $n in \'\'|*[!0-9]*) ... retry ;; esac`), and retry until the deadline when it is not.',
  t => running(t).flatMap(c => {
    const a = c.preStop.analysis;
    if (!a) return [];
    const bad = findStatsReadAsZero(a.script);
    if (bad.length === 0) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" compares Envoy's connection count without checking the read worked (\`${bad[0]}\`): when the admin endpoint is unreachable the read is empty, counts as zero, and the drain ends at once.`,
    }];
  }),
);

const GS010 = new BuiltInRule(
  'GS010', 'poll-loop-exceeds-grace', CheckLevel.ERROR,
  'A preStop poll loop whose bound (iterations × (sleep + request timeout), or its deadline) plus the fixed waits around it exceeds the grace period is cut by SIGKILL, so the application never gets its stop signal. A loop with no bound at all is ended only by SIGKILL.',
  'Give every poll loop a deadline that ends it before terminationGracePeriodSeconds minus the application\'s stop time, or raise the grace period.',
  t => running(t).flatMap((c): RuleViolation[] => {
    const a = c.preStop.analysis;
    if (!a || a.loops.length === 0) return [];
    const unbounded = a.loops.find(l => l.unbounded);
    if (unbounded) {
      return [{
        container: c.name,
        level: CheckLevel.WARNING,
        message: `${objectRef(t)}: preStop of container "${c.name}" has a loop with no counter or deadline (\`${unbounded.header}\`, line ${unbounded.line}): only SIGKILL at t=${t.gracePeriodSeconds}s ends it, and the container never gets its stop signal if it does not end.`,
      }];
    }
    const w = preStopWait(c.preStop);
    if (w.boundSeconds === undefined || w.boundSeconds <= t.gracePeriodSeconds) return [];
    const parts = [...(a.fixedWaitSeconds > 0 ? [`${fmt(a.fixedWaitSeconds)} of sleeps`] : []), ...a.loops.map(describeLoop)];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" may run ${fmt(w.boundSeconds)} (${parts.join(' + ')}), more than ${grace(t)}.`,
      fix: `Bound the loop to end by t=${Math.max(1, t.gracePeriodSeconds - 10)}s, or set terminationGracePeriodSeconds to at least ${Math.ceil(w.boundSeconds) + 10}.`,
    }];
  }),
);

const GS011 = new BuiltInRule(
  'GS011', 'bashism-in-sh-hook', CheckLevel.ERROR,
  'Hooks run with `sh -c` get /bin/sh, which is dash on Debian- and Ubuntu-based images. dash does not know `[[ ]]`, `source`, arrays or `function`: `[[` is "not found", the test is false, and a drain loop such as `if [[ $(wget ...) -ne 0 ]]` returns at once and drains nothing. The same script works under bash and busybox, so it passes a quick test.',
  'Use POSIX sh: `[ ]` instead of `[[ ]]`, `.` instead of `source`, no arrays, `name() { ... }` instead of `function name`; or run the hook with `bash -c` if the image has bash. Check with `shellcheck -s sh`.',
  t => running(t).flatMap(c => hooks(c).flatMap(([which, h]) => {
    if (h.type !== 'exec' || !h.shell || !['sh', 'dash', 'ash'].includes(h.shell) || !h.script) return [];
    const found = findBashisms(h.script);
    if (found.length === 0) return [];
    const constructs = [...new Set(found.map(f => f.construct))].join(', ');
    return [{
      container: c.name,
      message: `${objectRef(t)}: ${which} of container "${c.name}" runs under ${h.command?.[0]} but uses bash-only syntax (${constructs}; line ${found[0].line}: \`${found[0].snippet}\`): under dash, the /bin/sh of Debian and Ubuntu images, it misbehaves silently.`,
    }];
  })),
);

const GS012 = new BuiltInRule(
  'GS012', 'feature-needs-newer-kubernetes', CheckLevel.ERROR,
  'The lifecycle sleep action is beta (on by default) from Kubernetes 1.30 and GA in 1.34; `sleep.seconds: 0` is allowed from 1.33; native sidecars (init containers with restartPolicy: Always) are beta and on by default from 1.29. On older clusters the API server rejects or drops these fields.',
  'Raise the target kubernetesVersion if the cluster has the feature, or use an exec `sleep` and an ordinary sidecar.',
  t => {
    const v = parseKubernetesVersion(t.kubernetesVersion);
    if (!v) return [];
    const out: RuleViolation[] = [];
    for (const c of containersOf(t)) {
      for (const [which, h] of hooks(c)) {
        if (h.type !== 'sleep') continue;
        if (!versionAtLeast(v, 1, 30)) {
          out.push({ container: c.name, message: `${objectRef(t)}: ${which} of container "${c.name}" uses the lifecycle sleep action, which needs Kubernetes 1.30 or later (beta); the target is ${t.kubernetesVersion}.`, fix: `Use exec ["sleep", "${h.sleepSeconds ?? 5}"] on ${t.kubernetesVersion}, or target 1.30+.` });
        } else if (h.sleepSeconds === 0 && !versionAtLeast(v, 1, 33)) {
          out.push({ container: c.name, message: `${objectRef(t)}: ${which} of container "${c.name}" uses the sleep action with seconds: 0, which needs Kubernetes 1.33 or later; the target is ${t.kubernetesVersion}.` });
        }
      }
      if (c.nativeSidecar && !versionAtLeast(v, 1, 29)) {
        out.push({ container: c.name, message: `${objectRef(t)}: init container "${c.name}" has restartPolicy: Always (a native sidecar), which needs Kubernetes 1.29 or later (alpha behind a gate in 1.28); the target is ${t.kubernetesVersion}.`, fix: 'Run it as an ordinary container on this version, or target 1.29+.' });
      }
    }
    return out;
  },
);

const GS013 = new BuiltInRule(
  'GS013', 'tcpsocket-lifecycle-hook', CheckLevel.ERROR,
  'tcpSocket is deprecated and "NOT supported as a LifecycleHandler"; such hooks fail at runtime (core/v1 API). cdk8s-plus\'s Handler.fromTcpSocket emits one.',
  'Use exec, httpGet, or the sleep action (1.30+) for lifecycle hooks.',
  t => containersOf(t).flatMap(c => hooks(c).filter(([, h]) => h.type === 'tcpSocket').map(([which]) => ({
    container: c.name,
    message: `${objectRef(t)}: ${which} of container "${c.name}" is a tcpSocket handler, which Kubernetes does not run as a lifecycle hook: it fails at runtime.`,
  }))),
);

/** The built-in rules, in id order. */
export const BUILT_IN_RULES: ICheckRule[] = [GS001, GS002, GS003, GS004, GS005, GS006, GS007, GS008, GS009, GS010, GS011, GS012, GS013];
