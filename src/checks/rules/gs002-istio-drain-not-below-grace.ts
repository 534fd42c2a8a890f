import { CheckLevel } from '../model';
import { istioInfo, objectRef } from '../workload';
import { grace, graceToSet } from './helpers';
import { defineRule } from './rule';

export const GS002 = defineRule({
  id: 'GS002',
  name: 'istio-drain-not-below-grace',
  level: CheckLevel.ERROR,
  summary: 'Istio `terminationDrainDuration` (from `proxy.istio.io/config`, default 5s) is not below the grace period.',
  explanation: 'Istio\'s sidecar drains for terminationDrainDuration (5s by default) after SIGTERM, then stops Envoy. If that is not below the pod\'s grace period, the kubelet kills istio-proxy mid-drain and open connections are reset.',
  fix: 'Set terminationDrainDuration in proxy.istio.io/config below terminationGracePeriodSeconds, leaving time for the application to stop, or raise the grace period.',
  check: t => {
    const i = istioInfo(t);
    if (!i.injected || i.exitOnZero || i.drainMillis < t.gracePeriodSeconds * 1000) return [];
    return [{
      container: 'istio-proxy',
      message: `${objectRef(t)}: Istio terminationDrainDuration ${i.drainText} (proxy.istio.io/config) is not below ${grace(t)}: istio-proxy is killed at t=${t.gracePeriodSeconds}s before its drain ends.`,
      fix: `Set terminationGracePeriodSeconds to at least ${graceToSet(t, Math.ceil(i.drainMillis / 1000) + 5)}, or terminationDrainDuration below ${t.gracePeriodSeconds}s.`,
    }];
  },
});
