/**
 * What several rules share: number and grace formatting, the containers that get a stop signal,
 * and how hooks and loops are described in messages. Module-internal.
 */
import { PodTemplateTarget } from '../model';
import { ShellLoop } from '../shell';
import { ContainerInfo, containersOf, HookInfo } from '../workload';

export const fmt = (s: number) => `${Number(s.toFixed(3))}s`;

export function grace(t: PodTemplateTarget): string {
  return `terminationGracePeriodSeconds ${t.gracePeriodSeconds}${t.gracePeriodExplicit ? '' : ' (the Kubernetes default; the pod does not set it)'}`;
}

/** Containers that get a stop signal with the pod: app containers and native sidecars. */
export function running(t: PodTemplateTarget): ContainerInfo[] {
  return containersOf(t).filter(c => !c.initContainer || c.nativeSidecar);
}

export function hooks(c: ContainerInfo): Array<[string, HookInfo]> {
  return [['preStop', c.preStop], ['postStart', c.postStart]];
}

export function describeHook(h: HookInfo): string {
  switch (h.type) {
    case 'sleep': return `the sleep action (${h.sleepSeconds}s)`;
    case 'httpGet': return `httpGet ${h.httpTarget}`;
    case 'exec': return h.shell ? `${h.shell} -c script` : `exec \`${h.script}\``;
    default: return h.type;
  }
}

export function describeLoop(l: ShellLoop): string {
  if (l.deadlineSeconds !== undefined && l.boundSeconds === l.deadlineSeconds) return `a loop bounded by a ${fmt(l.deadlineSeconds)} deadline`;
  if (l.iterations !== undefined) return `${l.iterations} × ${fmt(l.perIterationSeconds)} = ${fmt(l.boundSeconds ?? 0)} of polling`;
  return 'a loop';
}

