import { CheckLevel } from '../model';
import { istioInfo, objectRef } from '../workload';
import { fmt, grace, graceToSet } from './helpers';
import { defineRule } from './rule';

export const GS004 = defineRule({
  id: 'GS004',
  name: 'exit-on-zero-unbounded',
  level: CheckLevel.WARNING,
  summary: '`EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"` with no explicit grace period, or one over 600s.',
  explanation: 'With EXIT_ON_ZERO_ACTIVE_CONNECTIONS, pilot-agent waits MINIMUM_DRAIN_DURATION (5s) and then polls Envoy every second until no connection is left, with no limit of its own: only SIGKILL at the grace period ends it. One connection that never closes (a Prometheus scrape, a WebSocket) keeps the pod Terminating for the whole grace period (gateway #4125, istio #60728).',
  fix: 'Set terminationGracePeriodSeconds explicitly to MINIMUM_DRAIN_DURATION plus the longest drain you accept plus a margin.',
  check: t => {
    const i = istioInfo(t);
    if (!i.injected || !i.exitOnZero) return [];
    const min = i.minimumDrainMillis / 1000;
    if (t.gracePeriodSeconds <= min) {
      return [{
        container: 'istio-proxy',
        level: CheckLevel.ERROR,
        message: `${objectRef(t)}: EXIT_ON_ZERO_ACTIVE_CONNECTIONS waits MINIMUM_DRAIN_DURATION ${fmt(min)} before it polls, which does not fit in ${grace(t)}.`,
        fix: `Set terminationGracePeriodSeconds to at least ${graceToSet(t, Math.ceil(min) + 30)}, or lower MINIMUM_DRAIN_DURATION.`,
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
});
