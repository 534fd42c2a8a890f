/**
 * `npm run bench:invariants`: the invariant harness (test/invariants/suite.ts) with a larger sweep
 * than CI's sample, printing the figures docs/guarantees.md quotes: runs and violations per
 * invariant and placement, the worst margin before a deadline, the worst slack of a protected
 * wait, the slowest SIGTERM exit as PID 1, and how close a hold came to what it holds.
 *
 * Every run is real (dash, bash, busybox sh; curl or busybox wget; the fakes of test/envoy and
 * test/registry). Options (environment): GS_INVARIANTS_SCALE (default 4: four times CI's sample),
 * GS_INVARIANTS_SEED (default: the current time, printed), GS_INVARIANTS_CONCURRENCY (default 6).
 * Exits 1 when any invariant was violated, listing each violation.
 */
import { killEverything } from '../test/e2e/harness/pod';
import { Ledger, RunReport } from '../test/invariants/harness';
import { CI_SIZE, runSuite, SuiteSize } from '../test/invariants/suite';

async function main(): Promise<void> {
  const scale = Number(process.env.GS_INVARIANTS_SCALE ?? 4);
  const seed = Number(process.env.GS_INVARIANTS_SEED ?? Date.now() % 1_000_000_000);
  const concurrency = Number(process.env.GS_INVARIANTS_CONCURRENCY ?? 6);
  const size = Object.fromEntries(Object.entries(CI_SIZE).map(([k, v]) => [k, Math.round(v * scale)])) as unknown as SuiteSize;
  const started = Date.now();
  let done = 0;
  const total = Object.values(size).reduce((a, b) => a + b, 0);
  const ledger: Ledger = await runSuite(size, seed, concurrency, (r: RunReport) => {
    done++;
    if (r.violations.length > 0 || done % 20 === 0) process.stderr.write(`  ${done}/${total}+ ${r.violations.length ? `VIOLATION ${r.placement} [${r.label}]: ${r.violations.join('; ')}` : 'ok'}\n`);
  });
  const byPlacement = new Map<string, { runs: number; violations: number; worstMarginMs?: number }>();
  for (const r of ledger.reports) {
    const p = byPlacement.get(r.placement) ?? { runs: 0, violations: 0 };
    p.runs++;
    p.violations += r.violations.length;
    if (r.deadlineMarginMs !== undefined) p.worstMarginMs = Math.min(p.worstMarginMs ?? Infinity, r.deadlineMarginMs);
    byPlacement.set(r.placement, p);
  }
  console.log(ledger.summary());
  console.log(`  seed: ${seed}, scale: ${scale}, concurrency: ${concurrency}, wall time: ${Math.round((Date.now() - started) / 1000)}s`);
  console.log('\n| placement | runs | violations | worst margin before the deadline |\n|---|---|---|---|');
  for (const [p, v] of [...byPlacement].sort()) console.log(`| ${p} | ${v.runs} | ${v.violations} | ${v.worstMarginMs === undefined ? '-' : `${Math.round(v.worstMarginMs)} ms`} |`);
  await killEverything();
  if (ledger.violations.length > 0) {
    console.log(`\nviolations:\n${ledger.violations.join('\n')}`);
    process.exitCode = 1;
  }
}

void main();
