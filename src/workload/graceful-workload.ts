import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkContainerName, checkPresent, checkWholeNumber } from '../core';
import { ShutdownPlan } from '../plan';
import { withConstructPath } from './errors';
import { KubernetesVersion } from './kubernetes-version';
import { PreStopHook, PreStopKind } from './prestop-hook';
import { installSchemaEscape } from './schema-escape';
import { encodePlanAnnotation, PLAN_ANNOTATION as PLAN_ANNOTATION_NAME } from '../plan/plan-annotation';

/** Pod annotation carrying the plan's timeline, read back by `cdk8s-graceful lint` and `timeline`. */
export const PLAN_ANNOTATION = PLAN_ANNOTATION_NAME;

/** Each plan's annotation, once written. */
const ANNOTATIONS = new WeakMap<ShutdownPlan, string>();

/** A container of a {@link GracefulWorkload}: cdk8s-plus container props plus the preStop hook. */
export interface GracefulContainerProps extends kplus.ContainerProps {
  /**
   * What the container does before its stop signal. Takes precedence over `lifecycle.preStop`.
   * @default no preStop hook
   */
  readonly preStop?: PreStopHook;
}

/** Props of a {@link GracefulWorkload}. */
export interface GracefulWorkloadProps {
  /** The shutdown plan every timing is derived from. */
  readonly plan: ShutdownPlan;
  /**
   * Number of replicas.
   * @default 2 (one replica cannot roll without a gap when a node drains)
   */
  readonly replicas?: number;
  /**
   * The Kubernetes version the manifests target.
   * @default KubernetesVersion.V1_28
   */
  readonly kubernetesVersion?: KubernetesVersion;
  /**
   * Extra pod labels.
   * @default none
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Extra pod annotations.
   * @default none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * Rolling-update surge. maxUnavailable is always 0: capacity is added before any is taken down.
   * @default PercentOrAbsolute.absolute(1)
   */
  readonly maxSurge?: kplus.PercentOrAbsolute;
  /**
   * Pods the PodDisruptionBudget lets voluntary disruptions (node drains) take down at once.
   * @default 1
   */
  readonly pdbMaxUnavailable?: number;
  /**
   * Pod security context. cdk8s-plus's defaults (non-root) stay on unless you change them here.
   * @default cdk8s-plus defaults
   */
  readonly securityContext?: kplus.PodSecurityContextProps;
  /**
   * Whether the pod shares one process namespace between its containers (a sidecar can then see
   * the app's processes).
   * @default false
   */
  readonly shareProcessNamespace?: boolean;
}

/** Resource requests sized for a small proxy or web server, instead of cdk8s-plus's 1 CPU / 512Mi. */
export const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};

/**
 * The base every pattern composes: a cdk8s-plus-28 Deployment whose grace period, preStop hooks
 * and plan annotation come from one {@link ShutdownPlan}, a rolling update that never takes
 * capacity down first (maxUnavailable 0), a PodDisruptionBudget, and an optional Service.
 */
export class GracefulWorkload extends Construct {
  /** The value of the `graceful-shutdown.cdk8s.io/plan` pod annotation for a plan: JSON of its phases. */
  public static planAnnotation(plan: ShutdownPlan): string {
    // Plans are immutable, and patterns share one plan between workloads built from equal props.
    let text = ANNOTATIONS.get(plan);
    if (text === undefined) {
      text = encodePlanAnnotation(plan);
      ANNOTATIONS.set(plan, text);
    }
    return text;
  }

  /** The plan. */
  public readonly plan: ShutdownPlan;
  /** The Kubernetes version targeted. */
  public readonly kubernetesVersion: KubernetesVersion;
  /** Escape hatch: the Deployment. */
  public readonly deployment: kplus.Deployment;
  /** Escape hatch: the PodDisruptionBudget. */
  public readonly podDisruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  private _service?: kplus.Service;

  /**
   * @param scope the chart or construct to add the workload to
   * @param id the construct id; names the Deployment, budget and Service
   * @param props the plan and the workload's settings
   */
  public constructor(scope: Construct, id: string, props: GracefulWorkloadProps) {
    super(scope, id);
    const { replicas, pdbMaxUnavailable } = withConstructPath(this, () => {
      checkPresent(props?.plan, 'plan', 'give the ShutdownPlan every timing is derived from, e.g. ShutdownPlan.standard({ maxDrain: Duration.seconds(30) }).');
      return {
        replicas: checkWholeNumber(props.replicas ?? 2, 'replicas', 0),
        pdbMaxUnavailable: checkWholeNumber(props.pdbMaxUnavailable ?? 1, 'pdbMaxUnavailable', 1, 'or node drains block forever'),
      };
    });
    this.plan = props.plan;
    this.kubernetesVersion = props.kubernetesVersion ?? KubernetesVersion.V1_28;

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      replicas,
      terminationGracePeriod: this.plan.terminationGracePeriod,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: props.maxSurge ?? kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      podMetadata: {
        labels: props.podLabels,
        annotations: {
          ...props.podAnnotations,
          [PLAN_ANNOTATION]: GracefulWorkload.planAnnotation(this.plan),
        },
      },
      securityContext: props.securityContext,
    });
    const apiObject = ApiObject.of(this.deployment);
    if (props.shareProcessNamespace) {
      apiObject.addJsonPatch(JsonPatch.add('/spec/template/spec/shareProcessNamespace', true));
    }

    this.podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'Budget', {
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(pdbMaxUnavailable),
        selector: { matchLabels: this.deployment.matchLabels },
      },
    });
  }

  /** The Service, once `exposeViaService` has been called. */
  public get service(): kplus.Service | undefined {
    return this._service;
  }

  /** Adds an app container with its preStop hook, and the default resources unless given. */
  public addContainer(props: GracefulContainerProps): kplus.Container {
    return withConstructPath(this, () => this.deployment.addContainer(this.containerProps(props)));
  }

  /**
   * Adds a sidecar: a native sidecar (init container with `restartPolicy: Always`, stopped after
   * the app containers) on Kubernetes 1.29+, an ordinary container before.
   */
  public addSidecar(props: GracefulContainerProps): kplus.Container {
    return withConstructPath(this, () => this.kubernetesVersion.supportsNativeSidecars
      ? this.deployment.addInitContainer({ ...this.containerProps(props), restartPolicy: kplus.ContainerRestartPolicy.ALWAYS })
      : this.deployment.addContainer(this.containerProps(props)));
  }

  /** Whether sidecars added with `addSidecar` are native sidecars. */
  public get usesNativeSidecars(): boolean {
    return this.kubernetesVersion.supportsNativeSidecars;
  }

  /** Exposes the pods through a Service (once). */
  public exposeViaService(options: kplus.DeploymentExposeViaServiceOptions): kplus.Service {
    if (this._service) throw new Error(`${this.node.path}: exposeViaService was already called; use the 'service' property to change it.`);
    this._service = this.deployment.exposeViaService(options);
    return this._service;
  }

  /** The container with this name. */
  public container(name: string): kplus.Container {
    const c = [...this.deployment.containers, ...this.deployment.initContainers].find(x => x.name === name);
    if (!c) throw new Error(`${this.node.path}: no container named '${name}'.`);
    return c;
  }

  private containerProps(props: GracefulContainerProps): kplus.ContainerProps {
    // cdk8s-plus names an unnamed container itself, but writes an empty name as it is.
    if (props.name !== undefined) checkContainerName(props.name, 'containers[].name');
    const preStop = props.preStop;
    const useSleepAction = this.kubernetesVersion.supportsSleepAction;
    const handler = preStop?._toHandler(useSleepAction);
    // Only a sleep action needs the post-serialization rewrite; every other Deployment keeps
    // cdk8s-plus's own toJson, as its synthesis cost is paid per workload.
    if (useSleepAction && preStop?._kind === PreStopKind.SLEEP) installSchemaEscape(ApiObject.of(this.deployment));
    // A spread, not `{ preStop, ...rest }`: V8's object rest is a slow path, and cdk8s-plus
    // ignores the extra `preStop` key.
    return {
      ...props,
      resources: props.resources ?? DEFAULT_RESOURCES,
      lifecycle: handler ? { ...props.lifecycle, preStop: handler } : props.lifecycle,
    };
  }
}
