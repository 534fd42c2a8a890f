import { ApiObject } from 'cdk8s';
import { addJsonRewrite } from '../workload/schema-escape';

/** The name of Istio's injected proxy container. */
export const ISTIO_PROXY_CONTAINER = 'istio-proxy';

/**
 * The declared proxy's pull policy, set explicitly. `image: auto` has no tag, so without it the API
 * server defaults `imagePullPolicy: Always` on the declared container (Kubernetes "Image pull
 * policy": no tag or `:latest` means Always), and the injector's re-apply of the declared
 * container (`reapplyOverwrittenContainers`, istio/istio pkg/kube/inject/inject.go) carries that
 * onto the real proxy: every pod start would pull the proxy image.
 */
export const DECLARED_PROXY_PULL_POLICY = 'IfNotPresent';

/**
 * cdk8s-plus gives every container defaults (resources, security context, imagePullPolicy).
 * On the declared `istio-proxy` container those would override the injected proxy's own
 * settings, because Istio merges every field set here into the injected container. So, after
 * serialization, that one container keeps only `name`, `image: auto`, `lifecycle` and an
 * explicit `imagePullPolicy` (see DECLARED_PROXY_PULL_POLICY).
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
    ? { name: c.name, image: c.image, imagePullPolicy: DECLARED_PROXY_PULL_POLICY, ...(c.lifecycle ? { lifecycle: c.lifecycle } : {}) }
    : c);
  return json;
}
