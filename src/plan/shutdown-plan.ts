import { Duration } from 'cdk8s';
import { ceilSeconds, formatMillis } from './duration-format';
import { PhaseKind, ShutdownPhase, ShutdownPhaseProps } from './shutdown-phase';
import { DerivationCache, ValidationError } from '../core';

/** Props of a {@link ShutdownPlan}. */
export interface ShutdownPlanProps {
  /** The phases, in the order they run. Each starts when the previous one's bound has passed. */
  readonly phases: ShutdownPhaseProps[];
  /**
   * A grace period the user pins. It must be whole seconds and at least the sum of the phase
   * bounds; time above the sum is extra slack at the end.
   * @default derived: the sum of the phase bounds, rounded up to whole seconds (at least 1s)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * The name of the property that pinned `terminationGracePeriod`, used in error messages.
   * @default 'terminationGracePeriod'
   */
  readonly terminationGracePeriodProperty?: string;
}

/** Props of {@link ShutdownPlan.standard}: the common deregister, propagate, drain, stop, margin shape. */
export interface StandardShutdownPlanProps {
  /**
   * How long the calls that stop new work may take (HTTP timeouts of `healthcheck/fail`, registry
   * offline calls). Zero leaves the phase out.
   * @default Duration.seconds(0)
   */
  readonly deregisterTimeout?: Duration;
  /**
   * How long endpoint removal takes to reach kube-proxy, ingresses and load balancers.
   * @default Duration.seconds(5) (KEP-3960's own example)
   */
  readonly propagation?: Duration;
  /**
   * The longest to wait for in-flight connections to end; the drain ends early at zero. Zero leaves the phase out.
   * @default Duration.seconds(0)
   */
  readonly maxDrain?: Duration;
  /**
   * How long the process takes to exit after its stop signal.
   * @default Duration.seconds(5)
   */
  readonly stopTimeout?: Duration;
  /**
   * Slack before SIGKILL.
   * @default Duration.seconds(2)
   */
  readonly margin?: Duration;
  /**
   * A grace period to pin instead of deriving it.
   * @default derived from the phases
   */
  readonly terminationGracePeriod?: Duration;
}

/** One row of the rendered timeline. */
export interface TimelineEntry {
  /** The phase's name, or `SIGKILL` for the last row. */
  readonly name: string;
  /** The phase's kind; absent on the SIGKILL row. */
  readonly kind?: PhaseKind;
  /** Start, in milliseconds after the pod was marked terminating. */
  readonly startMillis: number;
  /** End of the bound, in milliseconds after the pod was marked terminating. */
  readonly endMillis: number;
  /** What happens. */
  readonly description: string;
  /** Whether the phase runs inside a preStop hook. */
  readonly inPreStop: boolean;
  /** Whether the phase ends early when its condition holds. */
  readonly endsEarly: boolean;
}

/**
 * The timing model every pattern is built on: ordered phases with bounds, from which the grace
 * period, preStop deadlines, sleeps, probe periods and drain durations are all derived, so they
 * cannot disagree. Pure: no constructs, no I/O.
 */
export class ShutdownPlan {
  /** The common shape: deregister, propagate, drain, stop, margin; zero-length optional phases left out. */
  public static standard(props: StandardShutdownPlanProps = {}): ShutdownPlan {
    // Plans are values: equal props give the one plan (its annotation is then written once).
    return STANDARD_PLANS.get(props, undefined);
  }

  /** The phases in the order they run (frozen: a plan is a value). */
  public readonly phases: ShutdownPhase[];
  /** The sum of the phase bounds, rounded up to whole seconds (at least 1s). */
  public readonly requiredGracePeriod: Duration;
  /** The grace period to set on the pod: the pinned one, or `requiredGracePeriod`. */
  public readonly terminationGracePeriod: Duration;
  /** Whether the user pinned the grace period. */
  public readonly pinned: boolean;

  private readonly starts: number[];

  /**
   * @param props the phases in order and, optionally, a pinned grace period; throws when they cannot work
   */
  public constructor(props: ShutdownPlanProps) {
    if (props.phases.length === 0) {
      throw new Error('a shutdown plan needs at least one phase.');
    }
    // Frozen: a plan is a value, shared by workloads built from equal props.
    this.phases = Object.freeze(props.phases.map(p => new ShutdownPhase(p))) as ShutdownPhase[];
    const seen = new Set<string>();
    for (const p of this.phases) {
      if (seen.has(p.name)) {
        throw new Error(`phase name '${p.name}' appears twice in the plan. Give each phase a unique name.`);
      }
      seen.add(p.name);
    }
    this.starts = [];
    let t = 0;
    for (const p of this.phases) {
      this.starts.push(t);
      t += p.bound.toMilliseconds();
    }
    const requiredSeconds = Math.max(1, ceilSeconds(Duration.millis(t)));
    this.requiredGracePeriod = Duration.seconds(requiredSeconds);

    const pinned = props.terminationGracePeriod;
    this.pinned = pinned !== undefined;
    this.terminationGracePeriod = pinned === undefined ? this.requiredGracePeriod : this.checkPinned(pinned, props, requiredSeconds);
    // A plan is a value: shared by workloads built from equal props, so nothing in it can change.
    Object.freeze(this.starts);
    Object.freeze(this);
  }

  private checkPinned(pinned: Duration, props: ShutdownPlanProps, requiredSeconds: number): Duration {
    const prop = props.terminationGracePeriodProperty ?? 'terminationGracePeriod';
    const pinnedMs = pinned.toMilliseconds();
    if (!Number.isFinite(pinnedMs) || pinnedMs <= 0 || pinnedMs % 1000 !== 0) {
      throw new ValidationError(prop, pinned, `is not a whole, positive number of seconds, which Kubernetes requires. Use Duration.seconds(n) with a whole n >= ${requiredSeconds}, or leave it unset to derive it (${requiredSeconds}s).`);
    }
    if (pinnedMs < requiredSeconds * 1000) {
      throw new ValidationError(prop, pinned, this.doesNotFitFix(prop, pinnedMs, requiredSeconds));
    }
    return pinned;
  }

  /** `terminationGracePeriodSeconds` of the pod spec. */
  public get terminationGracePeriodSeconds(): number {
    return this.terminationGracePeriod.toSeconds();
  }

  /** When the last phase that runs in a preStop hook ends: the deadline for the preStop scripts. */
  public get preStopDeadline(): Duration {
    let end = 0;
    this.phases.forEach((p, i) => {
      if (p.inPreStop) end = this.starts[i] + p.bound.toMilliseconds();
    });
    return Duration.millis(end);
  }

  /** The phase with this name; throws, listing the names there are, when there is none. */
  public phase(name: string): ShutdownPhase {
    const p = this.tryPhase(name);
    if (!p) throw new Error(`the plan has no phase '${name}'; it has: ${this.phases.map(x => x.name).join(', ')}.`);
    return p;
  }

  /** The phase with this name, if any. */
  public tryPhase(name: string): ShutdownPhase | undefined {
    return this.phases.find(p => p.name === name);
  }

  /** The first phase of this kind, if any. */
  public phaseOfKind(kind: PhaseKind): ShutdownPhase | undefined {
    return this.phases.find(p => p.kind === kind);
  }

  /** When the named phase starts, after the pod was marked terminating. */
  public startOf(name: string): Duration {
    return Duration.millis(this.starts[this.indexOf(name)]);
  }

  /** When the named phase's bound ends, after the pod was marked terminating. */
  public endOf(name: string): Duration {
    const i = this.indexOf(name);
    return Duration.millis(this.starts[i] + this.phases[i].bound.toMilliseconds());
  }

  /** The timeline as data: one entry per phase, then SIGKILL at the grace period. */
  public timeline(): TimelineEntry[] {
    const rows: TimelineEntry[] = this.phases.map((p, i) => ({
      name: p.name,
      kind: p.kind,
      startMillis: this.starts[i],
      endMillis: this.starts[i] + p.bound.toMilliseconds(),
      description: p.description,
      inPreStop: p.inPreStop,
      endsEarly: p.endsEarly,
    }));
    const kill = this.terminationGracePeriod.toMilliseconds();
    rows.push({ name: 'SIGKILL', startMillis: kill, endMillis: kill, description: 'anything still running is killed', inPreStop: false, endsEarly: false });
    return rows;
  }

  /**
   * The plan as a text timeline for people:
   * `t=0s  propagate  <=12s  wait for ... [preStop]` ... `t=47s  SIGKILL`.
   */
  public toString(): string {
    const rows = this.timeline();
    const cells = rows.map(r => [
      `t=${formatMillis(r.startMillis)}`,
      r.name,
      r.kind ? `<=${formatMillis(r.endMillis - r.startMillis)}` : '',
      r.description + (r.endsEarly ? ' (ends early)' : '') + (r.inPreStop ? ' [preStop]' : ''),
    ]);
    const widths = [0, 1, 2].map(c => Math.max(...cells.map(row => row[c].length)));
    const header = `terminationGracePeriodSeconds: ${this.terminationGracePeriodSeconds}` +
      (!this.pinned ? ' (derived from the plan)'
        : this.terminationGracePeriodSeconds === this.requiredGracePeriod.toSeconds() ? ' (pinned; exactly what the plan needs)'
          : ` (pinned; the plan needs ${this.requiredGracePeriod.toSeconds()})`);
    const lines = cells.map(row => [
      row[0].padStart(widths[0]), row[1].padEnd(widths[1]), row[2].padEnd(widths[2]), row[3],
    ].join('  ').trimEnd());
    return [header, ...lines].join('\n');
  }

  /** The plan as a Mermaid gantt chart, for docs and pull requests. */
  public toMermaid(title?: string): string {
    const lines = [
      'gantt',
      `  title ${(title ?? 'Shutdown plan').replace(/[\n:;#]/g, ' ')} (terminationGracePeriodSeconds=${this.terminationGracePeriodSeconds})`,
      '  dateFormat X',
      '  axisFormat %s',
    ];
    let section: string | undefined;
    this.phases.forEach((p, i) => {
      const want = p.inPreStop ? 'preStop' : 'after the stop signal';
      if (want !== section) {
        lines.push(`  section ${want}`);
        section = want;
      }
      const start = Math.floor(this.starts[i] / 1000);
      const ms = p.bound.toMilliseconds();
      const label = `${p.name} <=${formatMillis(ms)}${p.endsEarly ? ' (ends early)' : ''}`;
      const len = Math.max(ceilSeconds(p.bound), 0);
      lines.push(len === 0
        ? `  ${label} :milestone, ${p.name}, ${start}, 0s`
        : `  ${label} :${p.name}, ${start}, ${len}s`);
    });
    lines.push('  section kubelet');
    lines.push(`  SIGKILL :milestone, sigkill, ${this.terminationGracePeriodSeconds}, 0s`);
    return lines.join('\n');
  }

  private indexOf(name: string): number {
    const i = this.phases.findIndex(p => p.name === name);
    if (i < 0) this.phase(name);
    return i;
  }

  private doesNotFitFix(prop: string, pinnedMs: number, requiredSeconds: number): string {
    const sum = this.phases.map(p => p.toString()).join(' + ');
    const misfit = this.phases.findIndex((p, i) => this.starts[i] + p.bound.toMilliseconds() > pinnedMs);
    const p = this.phases[misfit];
    const where = `the ${p.name} phase (t=${formatMillis(this.starts[misfit])}..${formatMillis(this.starts[misfit] + p.bound.toMilliseconds())}) does not fit before SIGKILL at t=${formatMillis(pinnedMs)}`;
    // Name the property of the phase that does not fit; when it has none, the largest adjustable bound.
    const adjustable = (x: ShutdownPhase) => x.boundProperty !== undefined && x.bound.toMilliseconds() > 0;
    const largest = this.phases.filter(adjustable).sort((a, b) => b.bound.toMilliseconds() - a.bound.toMilliseconds());
    const target = adjustable(p) ? p : largest[0];
    const lower = target ? `lower ${target.boundProperty}` : `shorten the ${p.name} phase`;
    return `is shorter than the plan's ${formatMillis(requiredSeconds * 1000)}: ${sum}; ${where}. Raise ${prop} to at least ${formatMillis(requiredSeconds * 1000)} or ${lower}.`;
  }
}

/** The phases of `ShutdownPlan.standard`. */
function buildStandardPlan(props: StandardShutdownPlanProps): ShutdownPlan {
  const phases: ShutdownPhaseProps[] = [];
  const deregister = props.deregisterTimeout ?? Duration.seconds(0);
  if (deregister.toMilliseconds() > 0) {
    phases.push({ kind: PhaseKind.DEREGISTER, description: 'stop new work arriving', bound: deregister, boundProperty: 'deregisterTimeout' });
  }
  phases.push({
    kind: PhaseKind.PROPAGATE,
    description: 'wait for endpoint removal to reach every proxy and load balancer',
    bound: props.propagation ?? Duration.seconds(5),
    boundProperty: 'propagation',
  });
  const maxDrain = props.maxDrain ?? Duration.seconds(0);
  if (maxDrain.toMilliseconds() > 0) {
    phases.push({ kind: PhaseKind.DRAIN, description: 'wait for in-flight connections to end', bound: maxDrain, endsEarly: true, boundProperty: 'maxDrain' });
  }
  phases.push({ kind: PhaseKind.STOP, description: 'stop signal; the process exits', bound: props.stopTimeout ?? Duration.seconds(5), boundProperty: 'stopTimeout' });
  phases.push({ kind: PhaseKind.MARGIN, description: 'safety margin', bound: props.margin ?? Duration.seconds(2), boundProperty: 'margin' });
  return new ShutdownPlan({ phases, terminationGracePeriod: props.terminationGracePeriod });
}

const STANDARD_PLANS = new DerivationCache(buildStandardPlan);
