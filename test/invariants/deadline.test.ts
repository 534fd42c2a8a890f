/**
 * Invariants 1 and 2 of the POSIX runtime, measured on real shells with the real clock:
 * - a script returns by the deadline its header states ("Returns within Ns"), counted from the
 *   moment it was spawned, whatever its steps wait for;
 * - a wait the plan promises (`Step.sleep`, `Step.sleepUntil`) is never shortened: it lasts its
 *   full length whenever it fits before the deadline.
 * Scripts start at a random fraction of a wall-clock second: a whole-second clock is wrong by up
 * to one second depending on that fraction.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { IPollProbe, PosixScript, Step } from '../../src/script';
import { runScript, ShellName, SHELLS } from '../script/run-script';

jest.setTimeout(120_000);

const NEVER_ZERO: IPollProbe = { description: 'never zero', usesHttp: false, renderBody: () => 'gs_count=1\nreturn 0' };
const UNKNOWN: IPollProbe = { description: 'cannot tell', usesHttp: false, renderBody: () => "gs_why='no answer'\nreturn 1" };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-deadline-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const pause = (ms: number) => new Promise(r => setTimeout(r, ms));
const headerDeadline = (text: string) => Number(/# Returns within (\d+)s of starting/.exec(text)![1]);

describe('invariant 1: a script returns by the deadline its header states', () => {
  test('polls that never end, in dash, bash and busybox sh, started at any fraction of a second', async () => {
    let runs = 0;
    const overruns: string[] = [];
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 999 }), fc.constantFrom(NEVER_ZERO, UNKNOWN),
      async (deadline, interval, offsetMs, probe) => {
        const text = new PosixScript({ name: 'deadline', deadline: Duration.seconds(deadline) }).add(
          Step.pollUntilZero({ probe, interval: Duration.seconds(interval) }),
        ).render();
        // Start each shell at the chosen fraction of a wall-clock second.
        await pause((1000 - (Date.now() % 1000) + offsetMs) % 1000);
        const results = await Promise.all(SHELLS.map(shell => runScript(text, { shell })));
        results.forEach((r, i) => {
          runs++;
          expect(r.code).toBe(0);
          if (r.elapsedMs > headerDeadline(text) * 1000) overruns.push(`${SHELLS[i]} deadline ${deadline}s offset ${offsetMs}ms: ${r.elapsedMs}ms`);
        });
      },
    ), { numRuns: 8, seed: 12 });
    expect({ runs, overruns }).toEqual({ runs: 24, overruns: [] });
  });
});

describe('invariant 2: a promised wait is never shortened', () => {
  /** A step that writes `file`; its mtime is when the step ran. */
  const mark = (file: string) => Step.run(['touch', file], `mark ${path.basename(file)}`, { timeout: Duration.seconds(1) });
  const mtimeMs = (file: string) => fs.statSync(file).mtimeMs;

  test.each(SHELLS)('Step.sleep(W) lasts W and Step.sleepUntil(T) ends T after the spawn (%s)', async (shell: ShellName) => {
    for (const offsetMs of [50, 500, 950]) {
      const a = path.join(tmp, `${shell}-${offsetMs}-a`);
      const b = path.join(tmp, `${shell}-${offsetMs}-b`);
      const c = path.join(tmp, `${shell}-${offsetMs}-c`);
      const text = new PosixScript({ name: 'protected', deadline: Duration.seconds(5) }).add(
        mark(a), Step.sleep(Duration.seconds(1), 'W'), mark(b), Step.sleepUntil(Duration.seconds(3), 'T'), mark(c),
      ).render();
      await pause((1000 - (Date.now() % 1000) + offsetMs) % 1000);
      const spawned = Date.now();
      const r = await runScript(text, { shell });
      expect(r.code).toBe(0);
      // mtimes have a filesystem tick of a few ms at most; W and T are whole seconds.
      expect(mtimeMs(b) - mtimeMs(a)).toBeGreaterThanOrEqual(1000 - 5);
      expect(mtimeMs(c) - spawned).toBeGreaterThanOrEqual(3000 - 5);
      expect(r.elapsedMs).toBeLessThanOrEqual(5000);
    }
  });

  test('without /proc/uptime (whole-second fallback): still never shortened and never late', async () => {
    // A script whose first line cannot read the clock takes the date +%s fallback.
    const text = new PosixScript({ name: 'fallback', deadline: Duration.seconds(4) }).add(
      Step.sleepUntil(Duration.seconds(2), 'T'), Step.pollUntilZero({ probe: NEVER_ZERO }),
    ).render().replace('</proc/uptime; } 2>/dev/null || gs_up0=', '</nonexistent/uptime; } 2>/dev/null || gs_up0=');
    expect(text).toContain('/nonexistent/uptime');
    const results = await Promise.all(SHELLS.map(shell => runScript(text, { shell })));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.messages).toContain('never zero: deadline reached at 1');
      expect(r.elapsedMs).toBeGreaterThanOrEqual(2000);
      expect(r.elapsedMs).toBeLessThanOrEqual(4000);
    }
  });
});
