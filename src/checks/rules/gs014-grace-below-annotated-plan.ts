import { requiredGraceOf } from '../../plan/plan-annotation';
import { CheckLevel } from '../model';
import { objectRef } from '../workload';
import { annotatedPlanOf, grace } from './helpers';
import { defineRule } from './rule';

export const GS014 = defineRule({
  id: 'GS014',
  name: 'grace-below-annotated-plan',
  level: CheckLevel.ERROR,
  summary: 'A pod this library synthesized (it carries the `graceful-shutdown.cdk8s.io/plan` annotation) whose `terminationGracePeriodSeconds` is below the plan\'s, or whose plan annotation cannot be read (warning).',
  explanation: 'The library derives the grace period from the shutdown plan and writes the plan into the pod annotation. A grace period edited below it after synthesis (a kustomize patch, a Helm value, a hand edit) cuts the plan\'s last phases: SIGKILL comes before the drain or the stop ends. Below the pinned grace but still above what the phases need, it silently drops the margin the author chose (level warning).',
  fix: 'Set terminationGracePeriodSeconds back to the plan\'s grace period, or change the plan (its props) and synthesize again.',
  check: t => {
    const { plan, error } = annotatedPlanOf(t);
    if (error !== undefined) {
      return [{ level: CheckLevel.WARNING, message: `${objectRef(t)}: ${error}, so the checks fall back to reading the shell text.`, fix: 'Synthesize the workload again, or remove the annotation if the pod is no longer the library\'s.' }];
    }
    if (!plan || t.gracePeriodSeconds >= plan.gracePeriodSeconds) return [];
    const required = requiredGraceOf(plan);
    const cut = plan.phases.filter(p => p.end > t.gracePeriodSeconds).map(p => `${p.name} (t=${p.start}..${p.end}s)`);
    return [{
      level: t.gracePeriodSeconds < required ? CheckLevel.ERROR : CheckLevel.WARNING,
      message: `${objectRef(t)}: ${grace(t)} is below the ${plan.gracePeriodSeconds}s of the shutdown plan the library wrote into the pod (graceful-shutdown.cdk8s.io/plan)`
        + (cut.length > 0 ? `: SIGKILL at t=${t.gracePeriodSeconds}s cuts ${cut.join(', ')}.` : `; its phases still fit (they need ${required}s), but the margin pinned with the plan is gone.`),
      fix: `Set terminationGracePeriodSeconds to at least ${plan.gracePeriodSeconds} (the plan's), or change the plan and synthesize again.`,
    }];
  },
});
