import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DerivationCache } from '../core';
import { ShutdownPlan } from '../plan';
import { PosixScript } from '../script';
import { GracefulWorkload, PreStopHook } from '../workload';
import { deriveIstioDrainedWorkload, portName } from './derive';
import { IstioDrainedWorkloadProps, SIDECAR_INJECT_LABEL } from './props';
import { installDeclaredProxyTrim, ISTIO_PROXY_CONTAINER } from './proxy-trim';
import { withConstructPath } from '../workload/errors';

/**
 * A workload and its Istio sidecar that shut down in the right order, from one plan.
 *
 * Kubernetes signals every container at once, so an injected proxy can stop while the app is
 * still shutting down and still making outbound calls. This construct:
 * - derives `terminationGracePeriodSeconds` from propagation + app shutdown + the proxy's
 *   `terminationDrainDuration` + margin, so the drain is never cut by SIGKILL;
 * - writes `proxy.istio.io/config` (`terminationDrainDuration`, optionally
 *   `holdApplicationUntilProxyStarts` and exit-on-zero) merged with the user's own;
 * - gives the app a preStop that waits for endpoint propagation, then calls its shutdown endpoint
 *   (and `additionalContainers`, e.g. a backend behind nginx, the same propagation wait);
 * - with ordinary sidecars, declares an `istio-proxy` container holding only a preStop that keeps
 *   the proxy until the end of the app's stop phase, so the app's shutdown and its outbound calls
 *   still go through it (nothing the proxy container can see tells earlier that the app is done:
 *   an app closes its listeners on SIGTERM and may still call out), and
 *   `imagePullPolicy: IfNotPresent` (see below). Istio merges a
 *   container of that name in the pod spec into the injected one ("Customizing injection",
 *   istio.io/latest/docs/setup/additional-setup/sidecar-injection/#customizing-injection; the
 *   merge is `reapplyOverwrittenContainers` in istio/istio `pkg/kube/inject/inject.go`, where
 *   `image: auto` keeps the injected image);
 * - with native sidecars, relies on Kubernetes stopping the proxy after the app and says so;
 * - labels the pod for injection, names ports for protocol selection and adds a Service.
 */
export class IstioDrainedWorkload extends Construct {
  /** The plan every timing comes from. */
  public readonly plan: ShutdownPlan;
  /**
   * The workload (Deployment, PodDisruptionBudget, Service): this construct's default child (id `Default`), so the objects' names
   * and addresses are those of direct children (`<chart>-<id>-deployment-<hash>`).
   */
  public readonly workload: GracefulWorkload;
  /** The value of the `proxy.istio.io/config` annotation. */
  public readonly proxyConfig: string;
  /** Whether the proxy is a native sidecar (no declared `istio-proxy` preStop). */
  public readonly nativeSidecars: boolean;
  /**
   * The app container's preStop script (none when propagation is 0 and there is no shutdown
   * endpoint). Already rendered, so sealed: workloads with equal props share it.
   */
  public readonly appPreStop?: PosixScript;
  /** The declared `istio-proxy` preStop script (ordinary sidecars only); rendered, so sealed and shared like `appPreStop`. */
  public readonly proxyPreStop?: PosixScript;
  /** The Service. */
  public readonly service: kplus.Service;

  /**
   * @param scope the chart or construct to add the workload to
   * @param id the construct id; names the Deployment and Service
   * @param props the app, its ports, the Istio version and the timings
   */
  public constructor(scope: Construct, id: string, props: IstioDrainedWorkloadProps) {
    super(scope, id);
    // Validation, the plan, the scripts and the annotations are a pure function of the props:
    // derived once per distinct props value and shared by equal workloads.
    const built = withConstructPath(this, () => DERIVATIONS.get(props, this.node.path));
    const kubernetesVersion = built.kubernetesVersion;
    this.plan = built.plan;
    this.nativeSidecars = built.native;
    this.proxyConfig = built.proxyConfig;
    this.appPreStop = built.appPreStop;
    this.proxyPreStop = built.proxyPreStop;

    this.workload = new GracefulWorkload(this, 'Default', {
      plan: this.plan,
      replicas: props.replicas,
      kubernetesVersion,
      podLabels: { ...props.podLabels, [SIDECAR_INJECT_LABEL]: 'true' },
      podAnnotations: built.annotations,
    });
    const containerName = props.containerName ?? 'app';
    this.workload.addContainer({
      name: containerName,
      image: props.image,
      ports: props.ports.map(p => ({ number: p.port, name: portName(p) })),
      envVariables: props.envVariables,
      resources: props.resources,
      securityContext: props.securityContext,
      preStop: this.appPreStop ? PreStopHook.script(this.appPreStop) : PreStopHook.none(),
    });
    for (const extra of props.additionalContainers ?? []) {
      const preStop = built.additionalPreStops[extra.name];
      this.workload.addContainer({
        name: extra.name,
        image: extra.image,
        ports: (extra.ports ?? []).map(p => ({ number: p.port, name: portName(p) })),
        envVariables: extra.envVariables,
        resources: extra.resources,
        securityContext: extra.securityContext,
        preStop: preStop ? PreStopHook.script(preStop) : PreStopHook.none(),
      });
    }
    if (this.proxyPreStop) {
      // Declared only to carry the preStop: everything else comes from the injection template.
      this.workload.deployment.addContainer({
        name: ISTIO_PROXY_CONTAINER,
        image: 'auto',
        lifecycle: { preStop: kplus.Handler.fromCommand(this.proxyPreStop.toCommand()) },
      });
      installDeclaredProxyTrim(ApiObject.of(this.workload.deployment));
    }
    this.service = this.workload.exposeViaService({
      serviceType: props.serviceType,
      ports: props.ports.map(p => ({ port: p.servicePort ?? p.port, targetPort: p.port, name: portName(p) })),
    });
    // appProtocol is in the 1.28 schema but not in cdk8s-plus-28's ServicePort: add it by patch.
    const svc = ApiObject.of(this.service);
    props.ports.forEach((p, i) => svc.addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, p.protocol)));
  }

  /** The main app container (the one `image` and `ports` describe). */
  public get appContainer(): kplus.Container {
    return this.workload.deployment.containers[0];
  }

  /** An app container by name: the main one or one of `additionalContainers`. */
  public container(name: string): kplus.Container {
    if (name === ISTIO_PROXY_CONTAINER) {
      throw new Error(`${this.node.path}: the declared '${ISTIO_PROXY_CONTAINER}' only carries a preStop merged into the injected proxy; it is not an app container.`);
    }
    return this.workload.container(name);
  }

  /** The Deployment. */
  public get deployment(): kplus.Deployment {
    return this.workload.deployment;
  }
}

const DERIVATIONS = new DerivationCache(deriveIstioDrainedWorkload);
