import { CheckLevel, RuleViolation } from '../model';
import { envoyDrainSettings, objectRef } from '../workload';
import { fmt, grace, graceToSet, running } from './helpers';
import { defineRule } from './rule';

export const GS016 = defineRule({
  id: 'GS016',
  name: 'drain-flag-exceeds-grace',
  level: CheckLevel.ERROR,
  summary: 'Envoy\'s `--drain-time-s` (when the preStop starts a graceful drain: `drain_listeners?graceful` or `healthcheck/fail`), or Envoy Gateway\'s shutdown-manager `--drain-timeout`, is not below the grace period; `$(VAR)` is read from the container\'s env.',
  explanation: 'Envoy drains listeners gracefully for --drain-time-s after `POST /drain_listeners?graceful`; Envoy Gateway\'s `envoy-gateway envoy shutdown --drain-timeout` waits up to that long for connections to close. When that is not below terminationGracePeriodSeconds, SIGKILL ends the drain: connections still open are reset, and the manifest\'s own settings say they should not be.',
  fix: 'Keep the drain below the grace period, leaving time for the stop: lower the drain flag, or raise terminationGracePeriodSeconds (Envoy Gateway sets it to the drain timeout plus 300s).',
  check: t => {
    const out: RuleViolation[] = [];
    const drains = new Set(running(t).filter(c => /drain_listeners\?graceful|healthcheck\/fail/.test(c.preStop.analysis?.script ?? '')).map(c => c.name));
    for (const d of envoyDrainSettings(t)) {
      const applies = d.flag === '--drain-timeout' ? d.where === 'preStop' : d.flag === '--drain-time-s' && drains.has(d.container);
      if (!applies || d.seconds < t.gracePeriodSeconds) continue;
      out.push({
        container: d.container,
        message: `${objectRef(t)}: container "${d.container}" drains for up to ${fmt(d.seconds)} (${d.flag} in its ${d.where === 'args' ? 'args' : 'preStop'}), not below ${grace(t)}: SIGKILL at t=${t.gracePeriodSeconds}s cuts the drain.`,
        fix: `Set terminationGracePeriodSeconds to at least ${graceToSet(t, Math.ceil(d.seconds) + 10)}, or lower ${d.flag} below ${t.gracePeriodSeconds}s.`,
      });
    }
    return out;
  },
});
