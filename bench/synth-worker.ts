/**
 * One measurement in a fresh process (so peak RSS is this run's own):
 * `synth-worker <graceful|plain> <n>` builds n workloads in one chart, synthesizes the app to YAML,
 * and prints {ms, buildMs, maxRssMb, bytes} as JSON (buildMs: constructing the workloads, the rest
 * of ms: `synthYaml`).
 */
import { App, Chart } from 'cdk8s';
import { PATTERNS } from './synth-workloads';

function run(variant: 'graceful' | 'plain', n: number): { ms: number; buildMs: number; bytes: number } {
  const start = process.hrtime.bigint();
  const app = new App();
  const chart = new Chart(app, 'platform');
  for (let i = 0; i < n; i++) {
    const pattern = PATTERNS[i % PATTERNS.length];
    pattern[variant](chart, i);
  }
  const built = process.hrtime.bigint();
  const yaml = app.synthYaml();
  const end = process.hrtime.bigint();
  return { ms: Number(end - start) / 1e6, buildMs: Number(built - start) / 1e6, bytes: yaml.length };
}

const [variant, nText] = process.argv.slice(2);
if (variant !== 'graceful' && variant !== 'plain') throw new Error(`variant must be graceful or plain, not ${variant}`);
const n = Number(nText);
run(variant, Math.min(50, n)); // warm the JIT and module caches
const result = run(variant, n);
console.log(JSON.stringify({ ...result, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
