import { ApiObject } from 'cdk8s';
import { addJsonRewrite } from '../workload/schema-escape';

/** The name of Istio's injected proxy container. */
export const ISTIO_PROXY_CONTAINER = 'istio-proxy';

/**
 * cdk8s-plus gives every container defaults (resources, security context, imagePullPolicy).
 * On the declared `istio-proxy` container those would override the injected proxy's own
 * settings, because Istio merges every field set here into the injected container. So, after
 * serialization, that one container keeps only `name`, `image: auto` and `lifecycle`.
 * Runs on the final JSON, after the schema escape the workload installed.
 */
export function installDeclaredProxyTrim(obj: ApiObject): void {
  addJsonRewrite(obj, 'istio-proxy-trim', trimDeclaredProxy);
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
