import { Duration } from 'cdk8s';
import { PhaseKind, ShutdownPhase, ShutdownPhaseProps, ShutdownPlan } from '../../src/plan';
import { ceilSeconds, formatMillis } from '../../src/plan/duration-format';

const s = Duration.seconds;
const phase = (kind: PhaseKind, bound: Duration, extra: Partial<ShutdownPhaseProps> = {}): ShutdownPhaseProps =>
  ({ kind, bound, description: `${kind} things`, ...extra });

/** A Duration whose milliseconds cdk8s itself would refuse to build (to reach our own checks). */
function rawDuration(ms: number): Duration {
  const d = Object.create(Duration.prototype) as Duration;
  (d as any).toMilliseconds = () => ms;
  return d;
}

/** The issue's example: 30s pinned vs propagate 12s + drain 30s + stop 3s + margin 2s = 47s. */
const issueExample = () => ShutdownPlan.standard({
  propagation: s(12), maxDrain: s(30), stopTimeout: s(3), margin: s(2), terminationGracePeriod: s(30),
});

describe('duration formatting', () => {
  test.each([
    [0, '0s'], [500, '0.5s'], [1000, '1s'], [47_000, '47s'], [59_000, '59s'], [60_000, '1m'], [90_000, '1m30s'],
    [NaN, 'NaNms'], [Infinity, 'Infinityms'],
    [3_600_000, '1h'], [3_661_000, '1h1m1s'], [86_400_000, '1d'], [90_061_000, '1d1h1m1s'], [60_500, '1m500ms'], [1234, '1.234s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatMillis(ms)).toBe(text);
  });

  test.each([[0, 0], [1, 1], [400, 1], [999, 1], [1000, 1], [1001, 2], [2500, 3], [47_000, 47]])('ceilSeconds(%d ms) = %d', (ms, want) => {
    expect(ceilSeconds(Duration.millis(ms))).toBe(want);
  });
});

describe('ShutdownPlan arithmetic', () => {
  test('the grace period is the sum of the bounds', () => {
    const plan = new ShutdownPlan({
      phases: [phase(PhaseKind.PROPAGATE, s(12)), phase(PhaseKind.DRAIN, s(30)), phase(PhaseKind.STOP, s(3)), phase(PhaseKind.MARGIN, s(2))],
    });
    expect(plan.terminationGracePeriodSeconds).toBe(47);
    expect(plan.requiredGracePeriod.toSeconds()).toBe(47);
    expect(plan.pinned).toBe(false);
    expect(plan.startOf('drain').toMilliseconds()).toBe(12_000);
    expect(plan.endOf('drain').toMilliseconds()).toBe(42_000);
    expect(plan.startOf('margin').toMilliseconds()).toBe(45_000);
    expect(plan.endOf('margin').toMilliseconds()).toBe(47_000);
    expect(plan.preStopDeadline.toMilliseconds()).toBe(42_000);
  });

  test.each([
    ['0.4s + 0.4s', [400, 400], 1],
    ['2.5s', [2500], 3],
    ['all zero', [0, 0, 0], 1],
    ['1s + 1ms', [1000, 1], 2],
    ['exact 3s', [1500, 1500], 3],
  ])('rounds %s up to whole seconds', (_, bounds, want) => {
    const kinds = [PhaseKind.DEREGISTER, PhaseKind.PROPAGATE, PhaseKind.DRAIN];
    const plan = new ShutdownPlan({ phases: (bounds as number[]).map((ms, i) => phase(kinds[i], Duration.millis(ms))) });
    expect(plan.terminationGracePeriodSeconds).toBe(want);
    expect(plan.terminationGracePeriod.toMilliseconds()).toBe(want * 1000);
  });

  test('startOf/endOf keep sub-second offsets', () => {
    const plan = new ShutdownPlan({ phases: [phase(PhaseKind.DEREGISTER, Duration.millis(400)), phase(PhaseKind.PROPAGATE, Duration.millis(400))] });
    expect(plan.startOf('propagate').toMilliseconds()).toBe(400);
    expect(plan.endOf('propagate').toMilliseconds()).toBe(800);
    expect(plan.preStopDeadline.toMilliseconds()).toBe(800);
  });

  test('inPreStop defaults per kind, and can be overridden', () => {
    const plan = new ShutdownPlan({
      phases: Object.values(PhaseKind).map(k => phase(k, s(1))),
    });
    expect(plan.phases.map(p => [p.kind, p.inPreStop])).toEqual([
      [PhaseKind.DEREGISTER, true], [PhaseKind.PROPAGATE, true], [PhaseKind.DRAIN, true], [PhaseKind.STOP, false], [PhaseKind.MARGIN, false],
    ]);
    expect(plan.preStopDeadline.toSeconds()).toBe(3);
    const stopInPreStop = new ShutdownPlan({
      phases: [phase(PhaseKind.DRAIN, s(5), { inPreStop: false }), phase(PhaseKind.STOP, s(4), { inPreStop: true })],
    });
    expect(stopInPreStop.phases.map(p => p.inPreStop)).toEqual([false, true]);
    expect(stopInPreStop.preStopDeadline.toSeconds()).toBe(9);
  });

  test('phase names default to the kind; lookups by name and kind', () => {
    const plan = new ShutdownPlan({ phases: [phase(PhaseKind.DRAIN, s(5), { name: 'drain-listeners' }), phase(PhaseKind.DRAIN, s(3))] });
    expect(plan.phases.map(p => p.name)).toEqual(['drain-listeners', 'drain']);
    expect(plan.phase('drain').bound.toSeconds()).toBe(3);
    expect(plan.tryPhase('nope')).toBeUndefined();
    expect(plan.phaseOfKind(PhaseKind.DRAIN)!.name).toBe('drain-listeners');
    expect(plan.phaseOfKind(PhaseKind.STOP)).toBeUndefined();
    expect(() => plan.phase('nope')).toThrow("the plan has no phase 'nope'; it has: drain-listeners, drain.");
    expect(() => plan.startOf('nope')).toThrow(/no phase 'nope'/);
    expect(() => plan.endOf('nope')).toThrow(/no phase 'nope'/);
  });
});

describe('ShutdownPlan.standard', () => {
  test('defaults: propagate 5s, stop 5s, margin 2s; zero deregister and drain left out', () => {
    const plan = ShutdownPlan.standard();
    expect(plan.phases.map(p => `${p}`)).toEqual(['propagate 5s', 'stop 5s', 'margin 2s']);
    expect(plan.terminationGracePeriodSeconds).toBe(12);
    expect(plan.preStopDeadline.toSeconds()).toBe(5);
  });

  test('every phase, in order, with its bound property and endsEarly on the drain', () => {
    const plan = ShutdownPlan.standard({ deregisterTimeout: s(2), propagation: s(10), maxDrain: s(60), stopTimeout: s(4), margin: s(1) });
    expect(plan.phases.map(p => [p.name, p.kind, p.bound.toSeconds(), p.boundProperty, p.endsEarly, p.inPreStop])).toEqual([
      ['deregister', PhaseKind.DEREGISTER, 2, 'deregisterTimeout', false, true],
      ['propagate', PhaseKind.PROPAGATE, 10, 'propagation', false, true],
      ['drain', PhaseKind.DRAIN, 60, 'maxDrain', true, true],
      ['stop', PhaseKind.STOP, 4, 'stopTimeout', false, false],
      ['margin', PhaseKind.MARGIN, 1, 'margin', false, false],
    ]);
    expect(plan.terminationGracePeriodSeconds).toBe(77);
    expect(plan.preStopDeadline.toSeconds()).toBe(72);
  });

  test('a zero propagation, stop or margin stays as an instant phase', () => {
    const plan = ShutdownPlan.standard({ propagation: s(0), stopTimeout: s(0), margin: s(0) });
    expect(plan.phases.map(p => `${p}`)).toEqual(['propagate 0s', 'stop 0s', 'margin 0s']);
    expect(plan.terminationGracePeriodSeconds).toBe(1);
  });

  test('a pinned grace period at or above the requirement is accepted', () => {
    const exact = ShutdownPlan.standard({ propagation: s(12), maxDrain: s(30), stopTimeout: s(3), margin: s(2), terminationGracePeriod: s(47) });
    expect([exact.terminationGracePeriodSeconds, exact.requiredGracePeriod.toSeconds(), exact.pinned]).toEqual([47, 47, true]);
    const more = ShutdownPlan.standard({ terminationGracePeriod: s(120) });
    expect([more.terminationGracePeriodSeconds, more.requiredGracePeriod.toSeconds()]).toEqual([120, 12]);
    const fractionalPlan = new ShutdownPlan({ phases: [phase(PhaseKind.DRAIN, Duration.millis(2500))], terminationGracePeriod: s(3) });
    expect(fractionalPlan.terminationGracePeriodSeconds).toBe(3);
  });
});

describe('ShutdownPlan errors', () => {
  test('no phases', () => {
    expect(() => new ShutdownPlan({ phases: [] })).toThrow('a shutdown plan needs at least one phase.');
  });

  test('duplicate names', () => {
    expect(() => new ShutdownPlan({ phases: [phase(PhaseKind.DRAIN, s(1)), phase(PhaseKind.DRAIN, s(2))] }))
      .toThrow("phase name 'drain' appears twice in the plan. Give each phase a unique name.");
  });

  test.each(['', 'Drain', '1drain', 'drain_x', 'drain listeners', 'a'.repeat(41), '-x', 'dr\nain'])('bad name %j', name => {
    expect(() => new ShutdownPhase(phase(PhaseKind.DRAIN, s(1), { name }))).toThrow(`phase name '${name}' is not valid`);
  });

  test.each(['d', 'drain-listeners', 'a'.repeat(40), 'x9-'])('good name %j', name => {
    expect(new ShutdownPhase(phase(PhaseKind.DRAIN, s(1), { name })).name).toBe(name);
  });

  test.each([-1, NaN, Infinity])('bound of %d ms', ms => {
    expect(() => new ShutdownPhase(phase(PhaseKind.DRAIN, rawDuration(ms))))
      .toThrow(`phase 'drain': bound ${ms}ms is not a finite, non-negative duration. Give it Duration.seconds(n) with n >= 0.`);
  });

  test.each(['', '   ', '\n'])('empty description %j', description => {
    expect(() => new ShutdownPhase({ kind: PhaseKind.STOP, bound: s(1), description }))
      .toThrow("phase 'stop': description is empty. Say what the phase does, for the timeline.");
  });

  test.each([[Duration.millis(30_500), '30.5s'], [Duration.millis(0), '0s'], [rawDuration(NaN), 'NaNms']])('pinned grace period %s is not whole seconds', (d, shown) => {
    expect(() => ShutdownPlan.standard({ terminationGracePeriod: d }))
      .toThrow(`terminationGracePeriod ${shown} is not a whole, positive number of seconds, which Kubernetes requires. Use Duration.seconds(n) with a whole n >= 12, or leave it unset to derive it (12s).`);
  });

  test('a pinned grace period that is too short names the property, both numbers, the misfit and the fix (the issue example)', () => {
    expect(issueExample).toThrow(
      "terminationGracePeriod 30s is shorter than the plan's 47s: propagate 12s + drain 30s + stop 3s + margin 2s; " +
      'the drain phase (t=12s..42s) does not fit before SIGKILL at t=30s. ' +
      'Raise terminationGracePeriod to at least 47s or lower maxDrain.');
  });

  test('the misfit is the first phase that runs past SIGKILL; the property name is configurable', () => {
    const make = () => new ShutdownPlan({
      phases: [phase(PhaseKind.PROPAGATE, s(5)), phase(PhaseKind.STOP, s(3), { boundProperty: 'stopTimeout' }), phase(PhaseKind.MARGIN, s(2))],
      terminationGracePeriod: s(9),
      terminationGracePeriodProperty: 'spec.gracePeriod',
    });
    expect(make).toThrow("spec.gracePeriod 9s is shorter than the plan's 10s: propagate 5s + stop 3s + margin 2s; " +
      'the margin phase (t=8s..10s) does not fit before SIGKILL at t=9s. Raise spec.gracePeriod to at least 10s or lower stopTimeout.');
  });

  test('with no adjustable property, the fix names the phase to shorten; a fractional sum shows its rounding', () => {
    expect(() => new ShutdownPlan({ phases: [phase(PhaseKind.DRAIN, Duration.millis(2500))], terminationGracePeriod: s(2) }))
      .toThrow("terminationGracePeriod 2s is shorter than the plan's 3s: drain 2.5s; the drain phase (t=0s..2.5s) does not fit before SIGKILL at t=2s. " +
        'Raise terminationGracePeriod to at least 3s or shorten the drain phase.');
  });
});

describe('timeline rendering', () => {
  const plan = () => ShutdownPlan.standard({ propagation: s(12), maxDrain: s(30), stopTimeout: s(3), margin: s(2) });

  test('timeline() rows end with SIGKILL at the grace period', () => {
    const rows = plan().timeline();
    expect(rows.map(r => [r.name, r.startMillis / 1000, r.endMillis / 1000, r.inPreStop, r.endsEarly])).toEqual([
      ['propagate', 0, 12, true, false], ['drain', 12, 42, true, true], ['stop', 42, 45, false, false], ['margin', 45, 47, false, false], ['SIGKILL', 47, 47, false, false],
    ]);
    expect(rows[4].kind).toBeUndefined();
  });

  test('toString(): header and one aligned row per phase, then SIGKILL', () => {
    const lines = plan().toString().split('\n');
    expect(lines).toEqual([
      'terminationGracePeriodSeconds: 47 (derived from the plan)',
      ' t=0s  propagate  <=12s  wait for endpoint removal to reach every proxy and load balancer [preStop]',
      't=12s  drain      <=30s  wait for in-flight connections to end (ends early) [preStop]',
      't=42s  stop       <=3s   stop signal; the process exits',
      't=45s  margin     <=2s   safety margin',
      't=47s  SIGKILL           anything still running is killed',
    ]);
    // Columns line up: every row's name starts at the same column, and so do the descriptions.
    const rows = lines.slice(1);
    expect(new Set(rows.map(l => l.indexOf(l.trim().split(/\s+/)[1])))).toEqual(new Set([7]));
    expect(new Set(rows.map(l => l.search(/(wait|stop signal|safety|anything)/)))).toEqual(new Set([25]));
  });

  test('toString() of a pinned plan says so', () => {
    const text = ShutdownPlan.standard({ terminationGracePeriod: s(60) }).toString();
    expect(text.split('\n')[0]).toBe('terminationGracePeriodSeconds: 60 (pinned; the plan needs 12)');
    const exact = new ShutdownPlan({ phases: [{ kind: PhaseKind.STOP, description: 'stop', bound: Duration.seconds(12) }], terminationGracePeriod: Duration.seconds(12) });
    expect(exact.toString().split('\n')[0]).toBe('terminationGracePeriodSeconds: 12 (pinned; exactly what the plan needs)');
    expect(text.split('\n').pop()).toBe(' t=1m  SIGKILL          anything still running is killed');
  });

  test('day-long drains read 1d', () => {
    const p = ShutdownPlan.standard({ maxDrain: s(86_400), propagation: s(0), stopTimeout: s(0), margin: s(0) });
    expect(p.terminationGracePeriodSeconds).toBe(86_400);
    const lines = p.toString().split('\n');
    expect(lines[2]).toMatch(/^t=0s {2}drain {6}<=1d {2}wait for in-flight connections to end \(ends early\) \[preStop\]$/);
    expect(lines[lines.length - 1]).toMatch(/^t=1d {2}SIGKILL/);
    expect(p.toMermaid()).toContain('  drain <=1d (ends early) :drain, 0, 86400s');
  });

  test('toMermaid(): a gantt with one task per phase at its start offset, milestones for instants and SIGKILL', () => {
    const p = ShutdownPlan.standard({ deregisterTimeout: s(2), propagation: s(10), maxDrain: s(30), stopTimeout: s(0), margin: s(2) });
    const lines = p.toMermaid('nginx: web; #1').split('\n');
    expect(lines).toEqual([
      'gantt',
      '  title nginx  web   1 (terminationGracePeriodSeconds=44)',
      '  dateFormat X',
      '  axisFormat %s',
      '  section preStop',
      '  deregister <=2s :deregister, 0, 2s',
      '  propagate <=10s :propagate, 2, 10s',
      '  drain <=30s (ends early) :drain, 12, 30s',
      '  section after the stop signal',
      '  stop <=0s :milestone, stop, 42, 0s',
      '  margin <=2s :margin, 42, 2s',
      '  section kubelet',
      '  SIGKILL :milestone, sigkill, 44, 0s',
    ]);
    // Gantt grammar: every task line is `<label> :[milestone, ]<id>, <start>, <n>s` with a unique id.
    const tasks = lines.filter(l => l.includes(' :'));
    for (const t of tasks) expect(t).toMatch(/^ {2}[^:#;\n]+ :(milestone, )?[a-z][a-z0-9-]*, \d+, \d+s$/);
    const ids = tasks.map(t => t.split(':')[1].replace('milestone, ', '').split(',')[0]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ShutdownPlan.standard().toMermaid().split('\n')[1]).toBe('  title Shutdown plan (terminationGracePeriodSeconds=12)');
  });
});

describe('the fix a too-short grace period names', () => {
  const timed = (kind: PhaseKind, name: string, seconds: number, boundProperty?: string) =>
    ({ kind, name, description: name, bound: Duration.seconds(seconds), boundProperty });
  test('the property of the phase that does not fit, even when another phase is larger', () => {
    const props = { phases: [timed(PhaseKind.PROPAGATE, 'propagate', 40, 'propagation'), timed(PhaseKind.DRAIN, 'keepalive', 5, 'keepaliveTimeout')], terminationGracePeriod: Duration.seconds(42) };
    expect(() => new ShutdownPlan(props)).toThrow(/the keepalive phase \(t=40s\.\.45s\) does not fit before SIGKILL at t=42s\. Raise terminationGracePeriod to at least 45s or lower keepaliveTimeout\.$/);
  });
  test('the largest adjustable bound when the misfit phase has no property', () => {
    const props = { phases: [timed(PhaseKind.PROPAGATE, 'propagate', 40, 'propagation'), timed(PhaseKind.MARGIN, 'margin', 5)], terminationGracePeriod: Duration.seconds(42) };
    expect(() => new ShutdownPlan(props)).toThrow(/or lower propagation\.$/);
  });
});

