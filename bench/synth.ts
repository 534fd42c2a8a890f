/**
 * `npm run bench:synth`: what the library costs when a CI pipeline synthesizes a whole platform.
 * For N = 100, 1,000 and 5,000 workloads it synthesizes the library's constructs and the same
 * objects configured by hand with plain cdk8s-plus-28, alternating the order, each in a fresh
 * process, and prints one line per N:
 *   n=<N> graceful_ms=<t> plain_ms=<t> ratio=<r> cpu_ratio=<r> peak_rss_mb=<m> graceful_us_per_workload=<u> plain_us_per_workload=<u>
 * Times are medians over BENCH_REPEAT runs per variant (default 31 / 9 / 5 for N = 100 / 1,000 /
 * 5,000; a run at N = 100 lasts under 0.1 s, so one host hiccup moves it by 10 %). The two variants run back to back, alternating which goes first, and `ratio` is the
 * median of those pairs' ratios: this host's speed drifts by tens of percent between minutes, and a
 * pair shares its minute. `cpu_ratio` is the same median over the processes' CPU time, which other
 * load on the host inflates far less than wall time (use it when the host is shared). build_ms is the part spent constructing the workloads, the rest is
 * `synthYaml`. Set BENCH_SIZES=100,1000 or BENCH_REPEAT=1 for a quick look.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const sizes = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
/** Runs per variant and N: more for small N, whose runs are short enough for one host hiccup to move them. */
const repeatFor = (n: number) => Number(process.env.BENCH_REPEAT ?? (n <= 100 ? 31 : n <= 1000 ? 9 : 5));
const worker = path.join(__dirname, 'synth-worker.ts');

interface Sample { ms: number; cpuMs: number; buildMs: number; maxRssMb: number; bytes: number }

function measure(variant: string, n: number): Sample {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', worker, variant, String(n)], {
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'test', 'tsconfig.json') },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: string[] = [];
for (const n of sizes) {
  const g: Sample[] = [];
  const p: Sample[] = [];
  const repeat = repeatFor(n);
  for (let r = 0; r < repeat; r++) {
    // Alternate which variant runs first, so neither always gets the warmer machine.
    if (r % 2 === 0) { g.push(measure('graceful', n)); p.push(measure('plain', n)); } else { p.push(measure('plain', n)); g.push(measure('graceful', n)); }
  }
  const gms = median(g.map(s => s.ms));
  const pms = median(p.map(s => s.ms));
  const ratio = median(g.map((x, i) => x.ms / p[i].ms));
  const cpuRatio = median(g.map((x, i) => x.cpuMs / p[i].cpuMs));
  const line = `n=${n} graceful_ms=${gms.toFixed(0)} plain_ms=${pms.toFixed(0)} ratio=${ratio.toFixed(3)} cpu_ratio=${cpuRatio.toFixed(3)}` +
    ` peak_rss_mb=${Math.max(...g.map(s => s.maxRssMb)).toFixed(0)} plain_peak_rss_mb=${Math.max(...p.map(s => s.maxRssMb)).toFixed(0)}` +
    ` graceful_us_per_workload=${(gms * 1000 / n).toFixed(0)} plain_us_per_workload=${(pms * 1000 / n).toFixed(0)}` +
    ` graceful_build_ms=${median(g.map(x => x.buildMs)).toFixed(0)} plain_build_ms=${median(p.map(x => x.buildMs)).toFixed(0)}` +
    ` yaml_bytes_graceful=${g[0].bytes} yaml_bytes_plain=${p[0].bytes}`;
  console.log(line);
  rows.push(line);
}
