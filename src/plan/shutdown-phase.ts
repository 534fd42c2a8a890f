import { Duration } from 'cdk8s';
import { formatDuration } from './duration-format';

/** What a phase of the shutdown does. */
export enum PhaseKind {
  /** Stop new work arriving: fail readiness, fail Envoy health checks, leave the service registry. */
  DEREGISTER = 'deregister',
  /** Wait until everyone routing to the pod has noticed (endpoints, probes, registry caches). */
  PROPAGATE = 'propagate',
  /** Wait until in-flight connections or requests end. */
  DRAIN = 'drain',
  /** Ask the process to exit gracefully and wait for it. */
  STOP = 'stop',
  /** Slack before SIGKILL. */
  MARGIN = 'margin',
}

/** One phase of a shutdown plan. */
export interface ShutdownPhaseProps {
  /** What kind of work the phase does. */
  readonly kind: PhaseKind;
  /**
   * Name of the phase, unique within its plan; lower-case letters, digits and dashes.
   * @default the kind, e.g. `drain`
   */
  readonly name?: string;
  /** What the phase does, for people reading the timeline ("remove the readiness file"). */
  readonly description: string;
  /** The longest the phase may take. Zero is allowed (an instant step). */
  readonly bound: Duration;
  /**
   * Whether the phase polls and ends as soon as its condition holds (a drain that stops at zero
   * connections), so `bound` is a ceiling, not a wait.
   * @default false
   */
  readonly endsEarly?: boolean;
  /**
   * Whether the phase runs inside a preStop hook (before the container gets its stop signal).
   * @default true for DEREGISTER, PROPAGATE and DRAIN; false for STOP and MARGIN
   */
  readonly inPreStop?: boolean;
  /**
   * The user-facing property that sets this phase's bound. Errors name it as the thing to lower
   * when the plan does not fit its grace period.
   * @default no property is named
   */
  readonly boundProperty?: string;
}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** A phase of a {@link ShutdownPlan}, validated. */
export class ShutdownPhase {
  public readonly kind: PhaseKind;
  public readonly name: string;
  public readonly description: string;
  public readonly bound: Duration;
  public readonly endsEarly: boolean;
  public readonly inPreStop: boolean;
  public readonly boundProperty?: string;

  /**
   * @param props the phase; throws on an invalid name, bound or description
   */
  public constructor(props: ShutdownPhaseProps) {
    this.kind = props.kind;
    this.name = props.name ?? props.kind;
    if (!NAME.test(this.name)) {
      throw new Error(`phase name '${this.name}' is not valid: use 1-40 lower-case letters, digits and dashes, starting with a letter (e.g. 'drain-listeners').`);
    }
    const ms = props.bound.toMilliseconds();
    if (!Number.isFinite(ms) || ms < 0) {
      throw new Error(`phase '${this.name}': bound ${ms}ms is not a finite, non-negative duration. Give it Duration.seconds(n) with n >= 0.`);
    }
    if (!props.description.trim()) {
      throw new Error(`phase '${this.name}': description is empty. Say what the phase does, for the timeline.`);
    }
    this.description = props.description;
    this.bound = props.bound;
    this.endsEarly = props.endsEarly ?? false;
    this.inPreStop = props.inPreStop ?? [PhaseKind.DEREGISTER, PhaseKind.PROPAGATE, PhaseKind.DRAIN].includes(props.kind);
    this.boundProperty = props.boundProperty;
    Object.freeze(this);
  }

  /**
   * The phase as used in sums.
   * @returns the name and bound, e.g. `drain 30s`
   */
  public toString(): string {
    return `${this.name} ${formatDuration(this.bound)}`;
  }
}
