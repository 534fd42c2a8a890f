import { ApiObject } from 'cdk8s';

/** The name of Istio's injected proxy container. */
export const ISTIO_PROXY_CONTAINER = 'istio-proxy';

const TRIMMED = Symbol.for('cdk8s-graceful-shutdown.istio-proxy-trim');

/**
 * cdk8s-plus gives every container defaults (resources, security context, imagePullPolicy).
 * On the declared `istio-proxy` container those would override the injected proxy's own
 * settings, because Istio merges every field set here into the injected container. So, after
 * serialization, that one container keeps only `name`, `image: auto` and `lifecycle`.
 * Wraps the object's final `toJson()` once, after the schema escape the workload installed.
 */
export function installDeclaredProxyTrim(obj: ApiObject): void {
  const holder = obj as unknown as Record<symbol, boolean>;
  if (holder[TRIMMED]) return;
  holder[TRIMMED] = true;
  const original = obj.toJson.bind(obj);
  obj.toJson = () => trimDeclaredProxy(original());
}

/** Keeps only what must be merged into the injected proxy. Pure. */
export function trimDeclaredProxy(json: any): any {
  const spec = json?.spec?.template?.spec;
  const containers: any[] | undefined = spec?.containers;
  if (!Array.isArray(containers)) return json;
  spec.containers = containers.map(c => c?.name === ISTIO_PROXY_CONTAINER
    ? { name: c.name, image: c.image, ...(c.lifecycle ? { lifecycle: c.lifecycle } : {}) }
    : c);
  return json;
}
