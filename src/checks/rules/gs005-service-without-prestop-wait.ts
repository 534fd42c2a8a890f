import { CheckLevel } from '../model';
import { objectRef, preStopWait } from '../workload';
import { running } from './helpers';
import { defineRule } from './rule';

export const GS005 = defineRule({
  id: 'GS005',
  name: 'service-without-prestop-wait',
  level: CheckLevel.WARNING,
  summary: 'A pod selected by a Service where no container\'s preStop waits (sleep, poll loop, httpGet, or a program that blocks such as `/wait-shutdown`, also through `sh -c`; a `sleep $VAR` counts even when VAR is not in the manifest).',
  explanation: 'When a pod is deleted, the kubelet starts stopping containers at the same time as the control plane removes the pod from EndpointSlices; kube-proxy, ingresses and load balancers learn of it seconds later. Without a preStop wait the application gets SIGTERM while traffic still arrives, and those requests fail (kubernetes #43576, ingress-nginx #3639).',
  fix: 'Add a preStop that waits for endpoint removal to propagate (5-10s): `sleep 5` via exec, or the lifecycle sleep action on Kubernetes 1.30+.',
  readsServices: true,
  check: t => {
    if (t.serviceSelected !== true || t.kind === 'Job' || t.kind === 'CronJob') return [];
    const apps = running(t).filter(c => c.name !== 'istio-proxy');
    if (apps.length === 0 || apps.some(c => preStopWait(c.preStop).waits)) return [];
    const names = apps.map(c => `"${c.name}"`).join(', ');
    return [{
      message: `${objectRef(t)} is selected by a Service, but no container (${names}) has a preStop that waits: they get their stop signal at t=0 while endpoint removal is still propagating, so requests routed to the pod in those seconds fail.`,
    }];
  },
});
