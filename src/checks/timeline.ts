/**
 * A workload's termination timeline as read from its manifest, as a {@link ShutdownPlan}, so the
 * CLI prints it in the library's own format. Module-internal: used by the CLI.
 */
import { Duration } from 'cdk8s';
import { PhaseKind, ShutdownPhaseProps, ShutdownPlan } from '../plan';
import { PodTemplateTarget } from './model';
import { ContainerInfo, containersOf, HookInfo, istioInfo, objectRef } from './workload';
import { PLAN_ANNOTATION } from '../workload/graceful-workload';

/** The timeline of one container of a workload. */
export interface ContainerTimeline {
  /** `Deployment default/web, container app`. */
  readonly title: string;
  readonly container: string;
  readonly plan: ShutdownPlan;
  /** Things the plan cannot show, e.g. a preStop that runs past SIGKILL. */
  readonly notes: string[];
}

const short = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** Phases of one preStop, in order, with `undefined` bounds for waits whose bound cannot be read. */
function preStopPhases(h: HookInfo): Array<Omit<ShutdownPhaseProps, 'bound'> & { bound?: number; unbounded?: boolean }> {
  const out: Array<Omit<ShutdownPhaseProps, 'bound'> & { bound?: number; unbounded?: boolean }> = [];
  if (h.type === 'sleep') {
    out.push({ kind: PhaseKind.PROPAGATE, name: 'sleep', description: `lifecycle sleep action, ${h.sleepSeconds}s (fixed)`, bound: h.sleepSeconds ?? 0 });
  } else if (h.type === 'httpGet') {
    out.push({ kind: PhaseKind.DRAIN, name: 'http-get', description: `preStop httpGet ${h.httpTarget}: blocks until the handler answers (its bound is not in the manifest)`, bound: undefined });
  } else if (h.type === 'exec' && h.analysis) {
    const a = h.analysis;
    const base = (h.command?.[0] ?? '').split('/').pop() ?? '';
    if (!h.shell && a.sleeps.length === 0 && !['nginx', 'kill', 'pkill', 'wget', 'curl', 'rm'].includes(base)) {
      out.push({ kind: PhaseKind.DRAIN, name: 'exec', description: `preStop \`${short(h.script ?? '')}\` (its bound is not in the manifest)`, bound: undefined });
      return out;
    }
    for (const c of a.commands) {
      if (c.depth !== 0 || c.head === 'done') continue;
      const loop = a.loops.find(l => l.startIndex === c.index);
      if (loop) {
        out.push({
          kind: PhaseKind.DRAIN,
          name: loop.pollsEnvoyStats ? 'poll-envoy' : 'poll',
          description: `poll loop \`${short(loop.header, 50)}\`${loop.boundSeconds === undefined ? ' (no bound of its own: runs until SIGKILL)' : ''}`,
          bound: loop.boundSeconds,
          endsEarly: true,
          unbounded: loop.boundSeconds === undefined,
        });
      } else if (/healthcheck\/fail|drain_listeners/.test(c.text)) {
        out.push({ kind: PhaseKind.DEREGISTER, name: 'fail-healthcheck', description: `\`${short(c.text)}\``, bound: 0 });
      } else if (c.head === 'rm') {
        out.push({ kind: PhaseKind.DEREGISTER, name: 'rm', description: `\`${short(c.text)}\` (readiness starts failing)`, bound: 0 });
      } else if (/(^|\/)nginx$/.test(c.head) && /-s\s*quit/.test(c.text)) {
        out.push({ kind: PhaseKind.STOP, name: 'nginx-quit', description: '`nginx -s quit` (returns at once; nginx drains in the background)', bound: 0, inPreStop: true });
      } else if (/(^|\/)sleep$/.test(c.head)) {
        const s = a.sleeps.find(x => x.index === c.index)?.seconds;
        out.push({ kind: PhaseKind.PROPAGATE, name: 'sleep', description: `\`${c.text}\` (fixed)`, bound: s });
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

function build(title: string, container: string, grace: number, raw: Array<Omit<ShutdownPhaseProps, 'bound'> & { bound?: number; unbounded?: boolean }>, stopText: string): ContainerTimeline {
  const notes: string[] = [];
  const phases: ShutdownPhaseProps[] = [];
  let t = 0;
  for (const p of uniqueNames(raw)) {
    const bound = p.bound ?? Math.max(0, grace - t);
    const { unbounded: _u, ...rest } = p;
    phases.push({ ...rest, bound: Duration.millis(Math.round(bound * 1000)) });
    t += bound;
  }
  phases.push({ kind: PhaseKind.STOP, name: 'stop', description: stopText, bound: Duration.millis(Math.max(0, Math.round((grace - t) * 1000))), inPreStop: false });
  if (t > grace) {
    notes.push(`the steps before the stop signal may run ${Number(t.toFixed(3))}s, past SIGKILL at t=${grace}s (plus the kubelet's one-off 2s extension): the container may never get its stop signal.`);
  }
  let plan: ShutdownPlan;
  try {
    plan = new ShutdownPlan({ phases, terminationGracePeriod: Duration.seconds(grace), terminationGracePeriodProperty: 'terminationGracePeriodSeconds' });
  } catch {
    plan = new ShutdownPlan({ phases });
    notes.push(`terminationGracePeriodSeconds is ${grace}; SIGKILL comes at t=${grace}s, not where the plan below puts it.`);
  }
  return { title, container, plan, notes };
}

/**
 * The plan this library wrote into the pod annotation, if any: exact where the manifest's
 * shell would only be read heuristically.
 */
export function annotatedPlan(target: PodTemplateTarget): ContainerTimeline | undefined {
  const raw = target.podTemplate?.metadata?.annotations?.[PLAN_ANNOTATION];
  if (typeof raw !== 'string') return undefined;
  const notes: string[] = [];
  try {
    const parsed = JSON.parse(raw);
    const phases: ShutdownPhaseProps[] = (parsed.phases as any[]).map(p => ({
      kind: p.kind as PhaseKind,
      name: String(p.name),
      description: String(p.description),
      bound: Duration.millis(Math.round((Number(p.end) - Number(p.start)) * 1000)),
      inPreStop: p.preStop === true,
      endsEarly: p.endsEarly === true,
    }));
    let plan: ShutdownPlan;
    try {
      plan = new ShutdownPlan({ phases, terminationGracePeriod: Duration.seconds(target.gracePeriodSeconds), terminationGracePeriodProperty: 'terminationGracePeriodSeconds' });
    } catch (e) {
      plan = new ShutdownPlan({ phases });
      notes.push(`the manifest's terminationGracePeriodSeconds ${target.gracePeriodSeconds} no longer fits the plan (${(e as Error).message.split(':')[0]}): was it edited after synthesis?`);
    }
    return { title: `${objectRef(target)} (plan from the ${PLAN_ANNOTATION} annotation)`, container: '*', plan, notes };
  } catch (e) {
    return undefined;
  }
}

/** The timelines of a workload: one per container that has a preStop (or the first one), plus an injected Istio sidecar. */
export function timelinesOf(target: PodTemplateTarget): ContainerTimeline[] {
  const planned = annotatedPlan(target);
  if (planned) return [planned];
  const grace = target.gracePeriodSeconds;
  const all = containersOf(target).filter(c => !c.initContainer || c.nativeSidecar);
  const withHook = all.filter(c => c.preStop.type !== 'none');
  const shown: ContainerInfo[] = withHook.length > 0 ? withHook : all.slice(0, 1);
  const out = shown.map(c => build(
    `${objectRef(target)}, container ${c.name}`, c.name, grace, preStopPhases(c.preStop),
    c.nativeSidecar ? 'stop signal after the app containers exit; the process exits' : 'stop signal (SIGTERM or the image\'s STOPSIGNAL); the process exits',
  ));
  const istio = istioInfo(target);
  if (istio.injected && !all.some(c => c.name === 'istio-proxy')) {
    const phases = istio.exitOnZero
      ? [
        { kind: PhaseKind.PROPAGATE, name: 'minimum-drain', description: `MINIMUM_DRAIN_DURATION ${istio.minimumDrainMillis / 1000}s (fixed)`, bound: istio.minimumDrainMillis / 1000 },
        { kind: PhaseKind.DRAIN, name: 'exit-on-zero', description: 'poll Envoy every 1s until no connection is left (no bound of its own)', bound: undefined, endsEarly: true },
      ]
      : [{ kind: PhaseKind.DRAIN, name: 'istio-drain', description: `terminationDrainDuration ${istio.drainText}: drain, then Envoy is stopped`, bound: istio.drainMillis / 1000, inPreStop: false }];
    out.push(build(`${objectRef(target)}, container istio-proxy (injected; SIGTERM at t=0, no preStop)`, 'istio-proxy', grace, phases, 'pilot-agent exits'));
  }
  return out;
}
