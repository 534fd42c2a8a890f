import { CheckLevel } from '../model';
import { containersOf, objectRef } from '../workload';
import { hooks } from './helpers';
import { defineRule } from './rule';

export const GS013 = defineRule({
  id: 'GS013',
  name: 'tcpsocket-lifecycle-hook',
  level: CheckLevel.ERROR,
  summary: 'A `tcpSocket` preStop/postStart.',
  explanation: 'tcpSocket is deprecated and "NOT supported as a LifecycleHandler"; such hooks fail at runtime (core/v1 API). cdk8s-plus\'s Handler.fromTcpSocket emits one.',
  fix: 'Use exec, httpGet, or the sleep action (1.30+) for lifecycle hooks.',
  check: t => containersOf(t).flatMap(c => hooks(c).filter(([, h]) => h.type === 'tcpSocket').map(([which]) => ({
    container: c.name,
    message: `${objectRef(t)}: ${which} of container "${c.name}" is a tcpSocket handler, which Kubernetes does not run as a lifecycle hook: it fails at runtime.`,
  }))),
});
