/** How serious a finding is. */
export enum CheckLevel {
  /** The settings disagree in a way that loses requests or is rejected; fails the synth and the CLI. */
  ERROR = 'error',
  /** Likely to lose requests or hang a rollout; printed. */
  WARNING = 'warning',
  /** For information (e.g. an object that was skipped). */
  INFO = 'info',
}

/**
 * One pod template to check, with what is known about its surroundings. This is what every rule
 * reads; the pod template is plain Kubernetes JSON (`{ metadata, spec }`).
 */
export interface PodTemplateTarget {
  /** Kind of the object that holds the pod template (`Deployment`, `StatefulSet`, `Pod`, ...). */
  readonly kind: string;
  /** `metadata.name` of that object. */
  readonly name: string;
  /**
   * `metadata.namespace` of that object.
   * @default no namespace given
   */
  readonly namespace?: string;
  /** The pod template: `{ metadata, spec }` as in `spec.template` of a Deployment. */
  readonly podTemplate: any;
  /** `terminationGracePeriodSeconds` of the pod, or Kubernetes' default of 30 when unset. */
  readonly gracePeriodSeconds: number;
  /** Whether the pod spec sets `terminationGracePeriodSeconds` itself. */
  readonly gracePeriodExplicit: boolean;
  /** The Kubernetes version the manifests are for, e.g. `1.28`. */
  readonly kubernetesVersion: string;
  /**
   * Whether a Service selects the pod: true or false when the Services were seen, absent when unknown.
   * @default unknown
   */
  readonly serviceSelected?: boolean;
}

/** What a rule reports about one pod template. */
export interface RuleViolation {
  /** Names the object, the container and the numbers, e.g. "preStop of container app sleeps 40s ...". */
  readonly message: string;
  /**
   * The container the finding is about.
   * @default the finding is about the whole pod
   */
  readonly container?: string;
  /**
   * A fix specific to this case.
   * @default the rule's general fix
   */
  readonly fix?: string;
  /**
   * A level other than the rule's own, for a milder or harsher case of the same rule.
   * @default the rule's level
   */
  readonly level?: CheckLevel;
}

/**
 * A consistency rule over one pod template, in the shape of cdk-nag rules: an id, a level, an
 * explanation, a fix, and a pure check that returns what is wrong (nothing when compliant).
 */
export interface ICheckRule {
  /** Stable id, e.g. `GS001`. */
  readonly id: string;
  /** Short kebab-case name, e.g. `prestop-sleep-exceeds-grace`. */
  readonly name: string;
  /** The rule's level. */
  readonly level: CheckLevel;
  /** Why the rule exists. */
  readonly explanation: string;
  /** What to do about a finding. */
  readonly fix: string;
  /** Pure: what is wrong with this pod template; empty when compliant. */
  check(target: PodTemplateTarget): RuleViolation[];
}

/** A finding: a rule's violation, tied to the object, container and place it comes from. */
export interface CheckFinding {
  /** The rule's id (`GS001`), or `GS000` for objects the checks could not read or skipped. */
  readonly ruleId: string;
  /** The rule's name. */
  readonly ruleName: string;
  /** How serious it is. */
  readonly level: CheckLevel;
  /** What is wrong, naming the object, container and numbers. */
  readonly message: string;
  /** What to do about it. */
  readonly fix: string;
  /** Kind of the object. */
  readonly kind: string;
  /** Name of the object. */
  readonly name: string;
  /**
   * Namespace of the object.
   * @default none given
   */
  readonly namespace?: string;
  /**
   * The container.
   * @default about the whole pod
   */
  readonly container?: string;
  /**
   * Where the object comes from: a file name or a construct path.
   * @default unknown
   */
  readonly source?: string;
  /**
   * 1-based line of the object in its file.
   * @default unknown
   */
  readonly line?: number;
}
