import { CheckLevel } from '../model';
import { containersOf, istioInfo, objectRef, preStopWait } from '../workload';
import { fmt, running } from './helpers';
import { defineRule } from './rule';

export const GS003 = defineRule({
  id: 'GS003',
  name: 'istio-sidecar-exits-before-app-wait',
  level: CheckLevel.WARNING,
  summary: 'Ordinary Istio sidecar whose drain ends before an app container\'s preStop wait.',
  explanation: 'An ordinary Istio sidecar has no preStop: it gets SIGTERM at t=0, drains for terminationDrainDuration and exits, while the application container may still be sleeping in its preStop waiting for endpoint removal. Traffic that still arrives, and the application\'s own outbound calls, fail once the proxy is gone (istio #7136, #10112, #36631).',
  fix: 'Make terminationDrainDuration at least as long as the application\'s preStop wait plus its drain, or use native sidecars (which stop after the application), or EXIT_ON_ZERO_ACTIVE_CONNECTIONS with a bounded grace period.',
  check: t => {
    const i = istioInfo(t);
    if (!i.injected || i.native) return [];
    const proxy = containersOf(t).find(c => c.name === 'istio-proxy');
    if (proxy && proxy.preStop.type !== 'none') return [];
    const drainS = i.drainMillis / 1000;
    return running(t).filter(c => c.name !== 'istio-proxy').flatMap(c => {
      const w = preStopWait(c.preStop);
      const wait = w.boundSeconds ?? w.fixedSeconds;
      if (wait <= drainS) return [];
      return [{
        container: c.name,
        message: `${objectRef(t)}: istio-proxy stops after terminationDrainDuration ${i.drainText}, but the preStop of container "${c.name}" waits ${fmt(wait)}: between t=${fmt(drainS)} and t=${fmt(wait)} the pod has no proxy, so requests still routed to it and its outbound calls fail.`,
        fix: Number.isFinite(wait)
          ? `Set terminationDrainDuration to at least ${Math.ceil(wait) + 5}s (and terminationGracePeriodSeconds above it), or run istio-proxy as a native sidecar.`
          : 'Bound the preStop wait, then set terminationDrainDuration above it; or run istio-proxy as a native sidecar.',
      }];
    });
  },
});
