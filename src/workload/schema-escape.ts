import { ApiObject } from 'cdk8s';
import { SLEEP_PLACEHOLDER } from './prestop-hook';

const REWRITES = Symbol.for('cdk8s-graceful-shutdown.json-rewrites');

/** A rewrite of an object's final JSON. Pure: takes the JSON and returns it. */
export type JsonRewrite = (json: any) => any;

/**
 * The one place where an object's serialized JSON is changed after cdk8s-plus has rendered it.
 * cdk8s-plus-28 re-serializes through its 1.28 schema after applying JSON patches, silently
 * dropping fields it does not know (`KubeDeployment.toJson()` applies the patches, then passes the
 * result through the generated `toJson_KubeDeploymentProps`, which copies schema fields only;
 * test/workload/graceful-workload.test.ts pins this), so fields of newer schemas, and fields
 * that must NOT be there (cdk8s-plus defaults on a container Istio merges), can only be handled
 * on the final JSON. `toJson()` is wrapped once; rewrites run in the order they were added, each
 * at most once per name.
 */
export function addJsonRewrite(obj: ApiObject, name: string, rewrite: JsonRewrite): void {
  const holder = obj as unknown as Record<symbol, Map<string, JsonRewrite> | undefined>;
  let rewrites = holder[REWRITES];
  if (!rewrites) {
    rewrites = new Map();
    holder[REWRITES] = rewrites;
    const original = obj.toJson.bind(obj);
    const chain = rewrites;
    obj.toJson = () => [...chain.values()].reduce((json, f) => f(json), original());
  }
  if (!rewrites.has(name)) rewrites.set(name, rewrite);
}

/** Makes fields newer than the 1.28 schema survive synthesis (the sleep action). */
export function installSchemaEscape(obj: ApiObject): void {
  addJsonRewrite(obj, 'newer-fields', rewriteNewerFields);
}

/** Rewrites placeholders in a serialized workload into fields of newer schemas. Pure. */
export function rewriteNewerFields(json: any): any {
  const podSpec = json?.spec?.template?.spec ?? (json?.kind === 'Pod' ? json.spec : undefined);
  if (!podSpec) return json;
  for (const list of [podSpec.containers, podSpec.initContainers]) {
    for (const c of list ?? []) {
      const cmd = c?.lifecycle?.preStop?.exec?.command;
      if (Array.isArray(cmd) && cmd[0] === SLEEP_PLACEHOLDER) {
        c.lifecycle.preStop = { sleep: { seconds: Number(cmd[1]) } };
      }
    }
  }
  return json;
}
