/**
 * A workload's termination timeline as read from its manifest, as a {@link ShutdownPlan}, so the
 * CLI prints it in the library's own format. Module-internal: used by the CLI.
 */
import { Duration } from 'cdk8s';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { PodTemplateTarget } from './model';
import { ContainerInfo, containersOf, envoyDrainSettings, HookInfo, istioInfo, objectRef } from './workload';
import { parseGoDuration } from '../plan/go-duration';
import { decodePlanAnnotation, PLAN_ANNOTATION } from '../plan/plan-annotation';

/** The timeline of one container of a workload. */
export interface ContainerTimeline {
  /** `Deployment default/web, container app`. */
  readonly title: string;
  /** The container's name (`*` for a plan read from the plan annotation, which covers the pod). */
  readonly container: string;
  /** The timeline as a plan: phases in order, SIGKILL at the grace period. */
  readonly plan: ShutdownPlan;
  /** Things the plan cannot show, e.g. a preStop that runs past SIGKILL. */
  readonly notes: string[];
  /** Where the grace period comes from, e.g. `terminationGracePeriodSeconds: 30 (Kubernetes default; the pod does not set it)`. */
  readonly header: string;
}

/** The timeline as text: the grace-period line, then the plan's phases and SIGKILL. */
export function timelineText(t: ContainerTimeline): string {
  return [t.header, ...t.plan.toString().split('\n').slice(1)].join('\n');
}

function graceHeader(target: PodTemplateTarget): string {
  return `terminationGracePeriodSeconds: ${target.gracePeriodSeconds}${target.gracePeriodExplicit ? ' (set in the manifest)' : ' (Kubernetes default; the pod does not set it)'}`;
}

const short = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** Phases of one preStop, in order, with `undefined` bounds for waits whose bound cannot be read. */
function preStopPhases(h: HookInfo): Array<Omit<ShutdownPhaseProps, 'bound'> & { bound?: number; unbounded?: boolean; forever?: boolean }> {
  const out: Array<Omit<ShutdownPhaseProps, 'bound'> & { bound?: number; unbounded?: boolean; forever?: boolean }> = [];
  if (h.type === 'sleep' && h.sleepSeconds === undefined) {
    out.push({ kind: PhaseKind.PROPAGATE, name: 'sleep', description: `lifecycle sleep action with seconds: ${h.badSleepSeconds}, not a whole number of seconds: the API server rejects the pod`, bound: 0 });
  } else if (h.type === 'sleep') {
    out.push({ kind: PhaseKind.PROPAGATE, name: 'sleep', description: `lifecycle sleep action, ${h.sleepSeconds}s (fixed)`, bound: h.sleepSeconds });
  } else if (h.type === 'httpGet') {
    out.push({ kind: PhaseKind.DRAIN, name: 'http-get', description: `preStop httpGet ${h.httpTarget}: blocks until the handler answers (its bound is not in the manifest)`, bound: undefined });
  } else if (h.type === 'exec' && h.analysis) {
    const a = h.analysis;
    for (const c of a.commands) {
      if (c.depth !== 0 || c.head === 'done') continue;
      const loop = a.loops.find(l => l.startIndex === c.index);
      const sleep = a.sleeps.find(x => x.index === c.index);
      if (loop) {
        out.push({
          kind: PhaseKind.DRAIN,
          name: loop.pollsEnvoyStats ? 'poll-envoy' : 'poll',
          description: `poll loop \`${short(loop.header, 50)}\`${loop.boundSeconds === undefined ? ' (no bound of its own: runs until SIGKILL)' : ''}`,
          bound: loop.boundSeconds,
          endsEarly: true,
          unbounded: loop.boundSeconds === undefined,
        });
      } else if (sleep) {
        const seconds = sleep.seconds;
        const what = seconds === undefined ? ' (its length is not in the manifest: runs until SIGKILL at most)'
          : !h.shell && /\$/.test(c.text) ? ' (no shell expands the variable: sleep gets it as written and fails at once)'
            : seconds === Infinity ? ' (forever: only SIGKILL ends it)'
              : `${/\$/.test(c.text) ? ` (${Number(seconds.toFixed(3))}s from the container's env, the script's variables or a default; ` : ' ('}${sleep.endsEarly ? 'at most)' : 'fixed)'}`;
        out.push({ kind: sleep.endsEarly ? PhaseKind.DRAIN : PhaseKind.PROPAGATE, name: sleep.endsEarly ? 'timeout' : 'sleep', description: `\`${short(c.text)}\`${what}`, bound: seconds === Infinity ? undefined : seconds, endsEarly: sleep.endsEarly, forever: seconds === Infinity });
      } else if (/healthcheck\/fail|drain_listeners/.test(c.text)) {
        out.push({ kind: PhaseKind.DEREGISTER, name: 'fail-healthcheck', description: `\`${short(c.text)}\``, bound: 0 });
      } else if (c.head === 'rm') {
        out.push({ kind: PhaseKind.DEREGISTER, name: 'rm', description: `\`${short(c.text)}\` (readiness starts failing)`, bound: 0 });
      } else if (/(^|\/)nginx$/.test(c.head) && /-s\s*quit/.test(c.text)) {
        out.push({ kind: PhaseKind.STOP, name: 'nginx-quit', description: '`nginx -s quit` (returns at once; nginx drains in the background)', bound: 0, inPreStop: true });
      } else if (a.unknownWaits.includes(c)) {
        // Envoy Gateway's `envoy-gateway envoy shutdown --drain-timeout=D` returns by D.
        const flag = /--drain-timeout[= ](\S+)/.exec(c.text);
        const ms = flag ? parseGoDuration(flag[1]) : undefined;
        out.push(ms === undefined
          ? { kind: PhaseKind.DRAIN, name: 'exec', description: `\`${short(c.text)}\` (blocks until it returns; its bound is not in the manifest)`, bound: undefined }
          : { kind: PhaseKind.DRAIN, name: 'exec', description: `\`${short(c.text)}\` (returns by its --drain-timeout)`, bound: ms / 1000, endsEarly: true });
      }
    }
  }
  return out;
}

function uniqueNames<T extends { name?: string; kind: PhaseKind }>(phases: T[]): T[] {
  const seen = new Map<string, number>();
  return phases.map(p => {
    const base = p.name ?? p.kind;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { ...p, name: n === 1 ? base : `${base}-${n}` };
  });
}

function build(title: string, container: string, target: PodTemplateTarget, raw: Array<Omit<ShutdownPhaseProps, 'bound'> & { bound?: number; unbounded?: boolean; forever?: boolean }>, stopText: string): ContainerTimeline {
  const grace = target.gracePeriodSeconds;
  const notes: string[] = [];
  const phases: ShutdownPhaseProps[] = [];
  let t = 0;
  for (const p of uniqueNames(raw)) {
    const bound = p.bound ?? Math.max(0, grace - t);
    const { unbounded: _u, forever: _f, ...rest } = p;
    // SIGKILL comes at the grace period whatever the hook means to do: a step that would run
    // past it is shown cut there, with what it asked for in its description.
    const shown = Math.max(0, Math.min(bound, grace - t));
    const description = shown < bound ? `${rest.description}, cut at t=${grace}s by SIGKILL` : rest.description;
    phases.push({ ...rest, description, bound: Duration.millis(Math.round(shown * 1000)) });
    t += bound;
  }
  const stopStart = phases.reduce((sum, p) => sum + p.bound.toMilliseconds(), 0);
  const neverStopped = t > grace || raw.some(p => p.forever);
  phases.push({ kind: PhaseKind.STOP, name: 'stop', description: neverStopped ? 'stop signal: never sent, SIGKILL comes first' : stopText, bound: Duration.millis(Math.max(0, grace * 1000 - stopStart)), inPreStop: false });
  if (raw.some(p => p.forever)) {
    notes.push(`the preStop waits forever (\`sleep infinity\`): SIGKILL at t=${grace}s ends it, and the container never gets its stop signal.`);
  } else if (t > grace) {
    notes.push(`the steps before the stop signal may run ${Number(t.toFixed(3))}s, past SIGKILL at t=${grace}s (plus the kubelet's one-off 2s extension): the container may never get its stop signal.`);
  } else if (raw.reduce((sum, p) => sum + (p.endsEarly || p.bound === undefined ? 0 : p.bound), 0) >= grace) {
    notes.push(`the steps before the stop signal take all ${grace}s of the grace period: the stop signal comes at SIGKILL, and the application never shuts down gracefully.`);
  }
  let plan: ShutdownPlan;
  try {
    plan = new ShutdownPlan({ phases, terminationGracePeriod: Duration.seconds(grace), terminationGracePeriodProperty: 'terminationGracePeriodSeconds' });
  } catch {
    plan = new ShutdownPlan({ phases });
    notes.push(`terminationGracePeriodSeconds is ${grace}; SIGKILL comes at t=${grace}s, not where the plan below puts it.`);
  }
  return { title, container, plan, notes, header: graceHeader(target) };
}

/**
 * The plan this library wrote into the pod annotation, if any: exact where the manifest's
 * shell would only be read heuristically.
 */
export function annotatedPlan(target: PodTemplateTarget): ContainerTimeline | undefined {
  const raw = target.podTemplate?.metadata?.annotations?.[PLAN_ANNOTATION];
  if (typeof raw !== 'string') return undefined;
  const notes: string[] = [];
  let parsed;
  try {
    parsed = decodePlanAnnotation(raw);
  } catch (e) {
    return undefined;
  }
  const phases: ShutdownPhaseProps[] = parsed.phases.map(p => ({
    kind: p.kind as PhaseKind,
    name: p.name,
    description: p.description,
    bound: Duration.millis(Math.round((p.end - p.start) * 1000)),
    inPreStop: p.preStop,
    endsEarly: p.endsEarly,
  }));
  let plan: ShutdownPlan;
  try {
    plan = new ShutdownPlan({ phases, terminationGracePeriod: Duration.seconds(target.gracePeriodSeconds), terminationGracePeriodProperty: 'terminationGracePeriodSeconds' });
  } catch (e) {
    plan = new ShutdownPlan({ phases });
    notes.push(`the manifest's terminationGracePeriodSeconds ${target.gracePeriodSeconds} no longer fits the plan (${(e as Error).message.split(':')[0]}): was it edited after synthesis?`);
  }
  if (target.gracePeriodSeconds < parsed.gracePeriodSeconds && notes.length === 0) {
    notes.push(`terminationGracePeriodSeconds ${target.gracePeriodSeconds} is below the ${parsed.gracePeriodSeconds}s the library set with the plan: was it edited after synthesis?`);
  }
  const header = `terminationGracePeriodSeconds: ${target.gracePeriodSeconds}` + (target.gracePeriodSeconds === parsed.gracePeriodSeconds
    ? ' (the plan\'s, from the plan annotation)' : ` (edited: the plan annotation says ${parsed.gracePeriodSeconds})`);
  return { title: `${objectRef(target)} (plan from the ${PLAN_ANNOTATION} annotation)`, container: '*', plan, notes, header };
}

/** The timelines of a workload: one per container that has a preStop (or the first one), plus an injected Istio sidecar. */
export function timelinesOf(target: PodTemplateTarget): ContainerTimeline[] {
  const planned = annotatedPlan(target);
  if (planned) return [planned];
  const all = containersOf(target).filter(c => !c.initContainer || c.nativeSidecar);
  const withHook = all.filter(c => c.preStop.type !== 'none');
  const shown: ContainerInfo[] = withHook.length > 0 ? withHook : all.slice(0, 1);
  const out = shown.map(c => build(
    `${objectRef(target)}, container ${c.name}`, c.name, target, preStopPhases(c.preStop),
    c.nativeSidecar ? 'stop signal after the app containers exit; the process exits' : 'stop signal (SIGTERM or the image\'s STOPSIGNAL); the process exits',
  ));
  for (const d of envoyDrainSettings(target)) {
    const t = out.find(x => x.container === d.container);
    const what = d.flag === '--drain-timeout' ? 'Envoy Gateway\'s shutdown manager waits up to' : d.flag === '--drain-time-s' ? 'Envoy drains listeners gracefully (after drain_listeners?graceful or a hot restart) for' : 'on a hot restart, the old Envoy stops after';
    t?.notes.push(`${d.flag} ${d.seconds}: ${what} ${Number(d.seconds.toFixed(3))}s${d.seconds >= target.gracePeriodSeconds && d.flag !== '--parent-shutdown-time-s' ? `, not below the grace period (${target.gracePeriodSeconds}s)` : ''}.`);
  }
  const istio = istioInfo(target);
  const unreadable = istio.config.error ?? (istio.config.terminationDrainText !== undefined && istio.config.terminationDrainMillis === undefined
    ? `terminationDrainDuration "${istio.config.terminationDrainText}" in proxy.istio.io/config is not a Go duration` : undefined);
  if (istio.injected && !all.some(c => c.name === 'istio-proxy')) {
    const phases = istio.exitOnZero
      ? [
        { kind: PhaseKind.PROPAGATE, name: 'minimum-drain', description: `MINIMUM_DRAIN_DURATION ${istio.minimumDrainMillis / 1000}s (fixed)`, bound: istio.minimumDrainMillis / 1000 },
        { kind: PhaseKind.DRAIN, name: 'exit-on-zero', description: 'poll Envoy every 1s until no connection is left (no bound of its own)', bound: undefined, endsEarly: true },
      ]
      : [{ kind: PhaseKind.DRAIN, name: 'istio-drain', description: `terminationDrainDuration ${istio.drainText}: drain, then Envoy is stopped`, bound: istio.drainMillis / 1000, inPreStop: false }];
    const built = build(`${objectRef(target)}, container istio-proxy (injected; SIGTERM at t=0, no preStop)`, 'istio-proxy', target, phases, 'pilot-agent exits');
    if (unreadable) built.notes.push(`${unreadable}: Istio's default drain (5s) is assumed here, but the injector may reject the pod.`);
    out.push(built);
  } else if (istio.injected && unreadable) {
    // The sidecar is in the manifest (injected output): its drain comes from the same unreadable
    // annotation, so the reader of the timeline must hear of it too, not only lint.
    const t = out.find(x => x.container === 'istio-proxy') ?? out[0];
    t?.notes.push(`${unreadable}: how long istio-proxy drains cannot be read (Istio's 5s default would apply if the injector accepted it).`);
  }
  const raw = target.podTemplate?.metadata?.annotations?.[PLAN_ANNOTATION];
  if (typeof raw === 'string' && out.length > 0) {
    out[0].notes.push(`the pod carries a ${PLAN_ANNOTATION} annotation that cannot be read, so this timeline is read from the manifest's shell text instead.`);
  }
  return out;
}
