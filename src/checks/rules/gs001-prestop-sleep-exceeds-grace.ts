import { CheckLevel } from '../model';
import { objectRef, preStopWait } from '../workload';
import { describeHook, fmt, grace, graceToSet, running } from './helpers';
import { defineRule } from './rule';

export const GS001 = defineRule({
  id: 'GS001',
  name: 'prestop-sleep-exceeds-grace',
  level: CheckLevel.ERROR,
  summary: 'A preStop\'s fixed wait (sleep action, `sleep N`, `sleep $VAR` with VAR from the container\'s env, `sleep infinity`, `timeout N sleep M`, also inside `sh -c "...; sleep 30"`, summed) is not below `terminationGracePeriodSeconds` (30 when unset).',
  explanation: 'The grace period counts from the moment the pod is marked terminating, preStop included. A preStop that sleeps as long as the grace period (or longer) is killed before the container ever gets its stop signal, so the application never shuts down gracefully. The API server rejects a sleep action that is not below the grace period; an exec `sleep` is not checked by anyone.',
  fix: 'Raise terminationGracePeriodSeconds to the preStop wait plus the application\'s drain time plus a margin, or shorten the sleep.',
  check: t => running(t).flatMap(c => {
    const w = preStopWait(c.preStop);
    if (w.fixedSeconds <= 0 || w.fixedSeconds < t.gracePeriodSeconds) return [];
    if (w.fixedSeconds === Infinity) {
      return [{
        container: c.name,
        message: `${objectRef(t)}: preStop of container "${c.name}" sleeps forever (\`sleep infinity\`): only SIGKILL at t=${t.gracePeriodSeconds}s (${grace(t)}) ends it, and the container never gets its stop signal.`,
        fix: 'Replace `sleep infinity` with a bounded wait below the grace period (e.g. `sleep 15`), or a poll loop with a deadline.',
      }];
    }
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" sleeps ${fmt(w.fixedSeconds)} (${describeHook(c.preStop)}), not below ${grace(t)}: the container is killed at t=${t.gracePeriodSeconds}s without ever getting its stop signal.`,
      fix: `Set terminationGracePeriodSeconds to at least ${graceToSet(t, Math.ceil(w.fixedSeconds) + 10)} (the sleep, time for the application to stop, and a margin), or sleep less than ${t.gracePeriodSeconds}s.`,
    }];
  }),
});
