/**
 * The plan annotation (`graceful-shutdown.cdk8s.io/plan`): one codec, written by GracefulWorkload
 * and read back by the checks and the CLI, so a synthesized manifest carries its exact plan and the
 * readers never guess it from shell text. Module-internal: not part of the jsii API (the workload
 * exports the annotation name).
 */
import type { ShutdownPlan } from './shutdown-plan';

/** The pod annotation that carries the plan. */
export const PLAN_ANNOTATION = 'graceful-shutdown.cdk8s.io/plan';

/** One phase as the annotation stores it: its window in seconds after the pod was marked terminating. */
export interface AnnotatedPhase {
  readonly name: string;
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  readonly preStop: boolean;
  readonly endsEarly: boolean;
  readonly description: string;
}

/** A plan read back from the annotation. */
export interface AnnotatedPlan {
  /** The grace period the library set (and the plan fits). */
  readonly gracePeriodSeconds: number;
  readonly phases: AnnotatedPhase[];
}

/**
 * The annotation text for a plan:
 * `{"gracePeriodSeconds":47,"phases":[{"name":..,"kind":..,"start":..,"end":..,"preStop"?:true,
 * "endsEarly"?:true,"description":..}]}`. Written as text in one pass (it runs once per workload):
 * strings go through JSON.stringify, numbers print as JSON does (finite ms / 1000).
 */
export function encodePlanAnnotation(plan: ShutdownPlan): string {
  let out = `{"gracePeriodSeconds":${plan.terminationGracePeriodSeconds},"phases":[`;
  let start = 0;
  plan.phases.forEach((p, i) => {
    const end = start + p.bound.toMilliseconds();
    out += `${i > 0 ? ',' : ''}{"name":${JSON.stringify(p.name)},"kind":${JSON.stringify(p.kind)},"start":${start / 1000},"end":${end / 1000}`
      + `${p.inPreStop ? ',"preStop":true' : ''}${p.endsEarly ? ',"endsEarly":true' : ''},"description":${JSON.stringify(p.description)}}`;
    start = end;
  });
  return `${out}]}`;
}

/**
 * Reads the annotation text back. Throws an Error saying what is wrong when the text is not a
 * plan this codec wrote (not JSON, no grace period, a phase without a finite window).
 */
export function decodePlanAnnotation(text: string): AnnotatedPlan {
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${PLAN_ANNOTATION} is not JSON: ${(e as Error).message}`);
  }
  const grace = parsed?.gracePeriodSeconds;
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace <= 0) {
    throw new Error(`${PLAN_ANNOTATION} has no positive gracePeriodSeconds`);
  }
  if (!Array.isArray(parsed.phases) || parsed.phases.length === 0) {
    throw new Error(`${PLAN_ANNOTATION} has no phases`);
  }
  const phases = (parsed.phases as any[]).map((p, i): AnnotatedPhase => {
    const start = Number(p?.start);
    const end = Number(p?.end);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
      throw new Error(`${PLAN_ANNOTATION} phase ${i + 1} has no valid start..end window`);
    }
    return {
      name: String(p.name ?? `phase-${i + 1}`),
      kind: String(p.kind ?? 'drain'),
      start,
      end,
      preStop: p.preStop === true,
      endsEarly: p.endsEarly === true,
      description: String(p.description ?? ''),
    };
  });
  return { gracePeriodSeconds: grace, phases };
}

/** The grace period the plan's phases need: the end of the last phase, rounded up to whole seconds (at least 1). */
export function requiredGraceOf(plan: AnnotatedPlan): number {
  const end = plan.phases.reduce((m, p) => Math.max(m, p.end), 0);
  return Math.max(1, Math.ceil(end - 1e-9));
}
