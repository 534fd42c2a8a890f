/**
 * Test helpers shared by every suite: synthesize a chart and validate each object against the
 * Kubernetes schema (kubernetes-models 4.5.x: the 1.33 schema, CommonJS; 5.x does not load in jest).
 */
import { Chart, Testing } from 'cdk8s';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment as any,
  'v1/Service': Service as any,
  'v1/Pod': Pod as any,
  'v1/ConfigMap': ConfigMap as any,
  'v1/Secret': Secret as any,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as any,
};

/** Synthesizes `chart`, validates every object against the Kubernetes schema, and returns them. */
export function synthValid(chart: Chart): any[] {
  const objects = Testing.synth(chart);
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!Model) throw new Error(`no schema model for ${o.apiVersion} ${o.kind}: add it to test/util/synth.ts`);
    try {
      new Model(o).validate();
    } catch (e) {
      throw new Error(`${o.kind} ${o.metadata?.name} fails the Kubernetes schema: ${(e as Error).message}`);
    }
  }
  return objects;
}

/** The one object of `kind` (throws when there are none or several). */
export function only(objects: any[], kind: string): any {
  const found = objects.filter(o => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

/** A container (or init container) of a Deployment by name. */
export function containerOf(deployment: any, name: string): any {
  const spec = deployment.spec.template.spec;
  const c = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((x: any) => x.name === name);
  if (!c) throw new Error(`no container ${name}; have ${[...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((x: any) => x.name).join(', ')}`);
  return c;
}

/** The preStop script text of a container (`/bin/sh -c <script>`). */
export function preStopScript(container: any): string {
  const cmd = container.lifecycle?.preStop?.exec?.command;
  if (!Array.isArray(cmd) || cmd[0] !== '/bin/sh' || cmd[1] !== '-c') {
    throw new Error(`container ${container.name} has no /bin/sh -c preStop: ${JSON.stringify(container.lifecycle?.preStop)}`);
  }
  return cmd[2];
}
