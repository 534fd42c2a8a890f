import { CheckLevel, RuleViolation } from '../model';
import { objectRef, preStopWait } from '../workload';
import { describeLoop, fmt, grace, graceToSet, running } from './helpers';
import { defineRule } from './rule';

export const GS010 = defineRule({
  id: 'GS010',
  name: 'poll-loop-exceeds-grace',
  level: CheckLevel.ERROR,
  summary: 'A preStop whose loops (iterations × (sleep + `wget -T`/`curl -m`), or a `deadline=$(( $(date +%s) + N ))`) and `timeout N cmd` waits plus fixed sleeps exceed the grace period; or a `while`/`until` loop with no counter or deadline.',
  explanation: 'A preStop poll loop whose bound (iterations × (sleep + request timeout), or its deadline) plus the fixed waits around it exceeds the grace period is cut by SIGKILL, so the application never gets its stop signal. A loop with no bound at all is ended only by SIGKILL.',
  fix: 'Give every poll loop a deadline that ends it before terminationGracePeriodSeconds minus the application\'s stop time, or raise the grace period.',
  check: t => running(t).flatMap((c): RuleViolation[] => {
    const a = c.preStop.analysis;
    if (!a || (a.loops.length === 0 && a.boundedWaitSeconds === 0)) return [];
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
    const parts = [
      ...(a.fixedWaitSeconds > 0 ? [`${fmt(a.fixedWaitSeconds)} of sleeps`] : []),
      ...(a.boundedWaitSeconds > 0 ? [`${fmt(a.boundedWaitSeconds)} of \`timeout\`-bounded commands`] : []),
      ...a.loops.map(describeLoop),
    ];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" may run ${fmt(w.boundSeconds)} (${parts.join(' + ')}), more than ${grace(t)}.`,
      fix: `Bound the waits to end by t=${Math.max(1, t.gracePeriodSeconds - 10)}s, or set terminationGracePeriodSeconds to at least ${graceToSet(t, Math.ceil(w.boundSeconds) + 10)}.`,
    }];
  }),
});
