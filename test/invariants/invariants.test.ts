/**
 * The invariant harness in CI: a seeded sample of generated props and dependency faults for every
 * placement, each run for real in dash, bash or busybox sh with curl or busybox wget only, checked
 * against invariants 1-5 from measured times and the fakes' request logs (test/invariants/suite.ts).
 * Prints `invariants: runs=N violations=0` and the worst figures. A larger sweep:
 * bench/invariants.ts. Replay a failure with GS_INVARIANTS_SEED=<seed>.
 */
import { CI_SIZE, runSuite } from './suite';
import { killEverything } from '../e2e/harness/pod';

jest.setTimeout(600_000);
afterAll(() => killEverything());

test('invariants 1-5 hold for every generated case', async () => {
  const seed = Number(process.env.GS_INVARIANTS_SEED ?? 20261201);
  const ledger = await runSuite(CI_SIZE, seed, 6);
  process.stdout.write(`${ledger.summary()}\n  seed: ${seed}\n`);
  expect(ledger.violations).toEqual([]);
  const generated = Object.values(CI_SIZE).reduce((a, b) => a + b, 0);
  expect(ledger.reports.length).toBeGreaterThanOrEqual(generated);
});
