import { ApiObject } from 'cdk8s';
import { SLEEP_PLACEHOLDER } from './prestop-hook';

const INSTALLED = Symbol.for('cdk8s-graceful-shutdown.schema-escape');

/**
 * The one place where fields newer than cdk8s-plus-28's 1.28 schema enter the manifest.
 * cdk8s-plus-28 re-serializes through its schema after applying JSON patches, silently dropping
 * fields it does not know (facts/toolchain.md), so this wraps the object's final `toJson()`:
 * a preStop exec whose command is the sleep placeholder becomes `preStop.sleep.seconds`.
 */
export function installSchemaEscape(obj: ApiObject): void {
  const holder = obj as unknown as Record<symbol, boolean>;
  if (holder[INSTALLED]) return;
  holder[INSTALLED] = true;
  const original = obj.toJson.bind(obj);
  obj.toJson = () => rewriteNewerFields(original());
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
