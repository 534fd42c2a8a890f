import { CheckFinding, RulePack } from '../../src';

/** A Deployment with the given containers and pod-spec fields, as plain JSON. */
type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };
export function deployment(containers: any[], spec: Record<string, unknown> = {}, meta: Meta = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', ...meta.labels }, annotations: meta.annotations },
        spec: { ...spec, containers },
      },
    },
  };
}

export const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' } } };

/** A container whose preStop runs `sh -c script`. */
export function shContainer(script: string, name = 'app', extra: Record<string, unknown> = {}): any {
  return { name, image: 'example/app:1', lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', script] } } }, ...extra };
}

export function check(objects: any[], kubernetesVersion = '1.28'): CheckFinding[] {
  return RulePack.builtIn({ kubernetesVersion }).checkObjects(objects);
}

/** Findings of one rule. */
export function of(id: string, objects: any[], kubernetesVersion = '1.28'): CheckFinding[] {
  return check(objects, kubernetesVersion).filter(f => f.ruleId === id);
}
