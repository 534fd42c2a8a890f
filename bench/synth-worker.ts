/**
 * One measurement in a fresh process (so peak RSS is this run's own):
 * `synth-worker <graceful|plain> <n>` builds n workloads in one chart, synthesizes the app to YAML,
 * and prints {ms, cpuMs, buildMs, maxRssMb, bytes} as JSON (buildMs: constructing the workloads, the
 * rest of ms: `synthYaml`; cpuMs: the process's CPU time over the same run, which a loaded host
 * inflates far less than wall time).
 */
import { App, Chart } from 'cdk8s';
import { PATTERNS } from './synth-workloads';

function run(variant: 'graceful' | 'plain', n: number): { ms: number; cpuMs: number; buildMs: number; bytes: number } {
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  return { ms: Number(end - start) / 1e6, cpuMs: (used.user + used.system) / 1000, buildMs: Number(built - start) / 1e6, bytes: yaml.length };
}

const [variant, nText] = process.argv.slice(2);
if (variant !== 'graceful' && variant !== 'plain') throw new Error(`variant must be graceful or plain, not ${variant}`);
const n = Number(nText);
run(variant, Math.min(50, n)); // warm the JIT and module caches
const result = run(variant, n);
console.log(JSON.stringify({ ...result, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
