/**
 * What several rules share: number and grace formatting, the containers that get a stop signal,
 * and how hooks and loops are described in messages. Module-internal.
 */
import { AnnotatedPlan, decodePlanAnnotation, PLAN_ANNOTATION } from '../../plan/plan-annotation';
import { PodTemplateTarget } from '../model';
import { ShellLoop } from '../shell';
import { ContainerInfo, containersOf, HookInfo } from '../workload';

export const fmt = (s: number) => (Number.isFinite(s) ? `${Number(s.toFixed(3))}s` : 'forever');

export function grace(t: PodTemplateTarget): string {
  return `terminationGracePeriodSeconds ${t.gracePeriodSeconds}${t.gracePeriodExplicit ? '' : ' (the Kubernetes default; the pod does not set it)'}`;
}

/** Containers that get a stop signal with the pod: app containers and native sidecars. */
export function running(t: PodTemplateTarget): ContainerInfo[] {
  return containersOf(t).filter(c => !c.initContainer || c.nativeSidecar);
}

export function hooks(c: ContainerInfo): Array<[string, HookInfo]> {
  return [['preStop', c.preStop], ['postStart', c.postStart]];
}

export function describeHook(h: HookInfo): string {
  switch (h.type) {
    case 'sleep': return `the sleep action (${h.sleepSeconds}s)`;
    case 'httpGet': return `httpGet ${h.httpTarget}`;
    case 'exec': return h.shell ? `${h.shell} -c script` : `exec \`${h.script}\``;
    default: return h.type;
  }
}

export function describeLoop(l: ShellLoop): string {
  if (l.deadlineSeconds !== undefined && l.boundSeconds === l.deadlineSeconds) return `a loop bounded by a ${fmt(l.deadlineSeconds)} deadline`;
  if (l.iterations !== undefined) return `${l.iterations} × ${fmt(l.perIterationSeconds)} = ${fmt(l.boundSeconds ?? 0)} of polling`;
  return 'a loop';
}


const PLANS = new WeakMap<object, { plan?: AnnotatedPlan; error?: string }>();

/**
 * The plan this library wrote into the pod template's annotation, decoded once per template;
 * `error` when the annotation is there but unreadable, both absent when there is none.
 */
export function annotatedPlanOf(t: PodTemplateTarget): { plan?: AnnotatedPlan; error?: string } {
  const template = t.podTemplate;
  if (typeof template !== 'object' || template === null) return {};
  let r = PLANS.get(template);
  if (r === undefined) {
    const text = template.metadata?.annotations?.[PLAN_ANNOTATION];
    if (typeof text !== 'string') {
      r = {};
    } else {
      try {
        r = { plan: decodePlanAnnotation(text) };
      } catch (e) {
        r = { error: (e as Error).message };
      }
    }
    PLANS.set(template, r);
  }
  return r;
}

/**
 * The grace period a fix should ask for: the annotated plan's own when the library wrote the pod
 * (its number is exact; the shell reader's is an upper estimate), else what the rule computed.
 */
export function graceToSet(t: PodTemplateTarget, computed: number): number {
  return annotatedPlanOf(t).plan?.gracePeriodSeconds ?? computed;
}
