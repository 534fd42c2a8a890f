/**
 * `npm run bench:lint`: the CLI's cost on a big manifest file. Generates a multi-document YAML
 * file of about SIZE_MB megabytes (default 50) from a mix of workloads (hand-written hooks with
 * sleeps, poll loops, Envoy drain flags, injected Istio sidecars, Services, ConfigMaps, and the
 * library's own synthesized patterns with their plan annotations), then runs `lint` and
 * `timeline` on it, each in its own Node process, and prints wall time and peak RSS of each and
 * the lint/timeline time ratio. The budget: lint at most 1.5x timeline, memory bounded per
 * document (documents are parsed and checked one at a time).
 *
 * The machine may be shared: each command runs PAIRS times (default 3), alternating, and the
 * medians are compared, both wall time and CPU time (user + system, less sensitive to other load).
 *
 *   npx ts-node bench/lint.ts [SIZE_MB] [PAIRS]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import * as YAML from 'yaml';
import { GracefulNginx, IstioDrainedWorkload, IstioProtocol, IstioVersion } from '../src';

const sizeMb = Number(process.argv[2] ?? 50);
const pairs = Number(process.argv[3] ?? 3);
const root = path.join(__dirname, '..');

function handWritten(i: number): unknown[] {
  const labels = { app: `web-${i}` };
  const hook = [
    'curl -X POST http://localhost:9901/drain_listeners?graceful; sleep $DRAIN_TIME_SECONDS',
    'i=0; while [ $i -lt 30 ] && wget -qO- http://127.0.0.1:19000/stats | grep -q "downstream_cx_active: [1-9]"; do sleep 1; i=$((i+1)); done',
    'deadline=$(( $(date +%s) + 20 )); while [ "$(date +%s)" -lt "$deadline" ]; do n=$(wget -qO- -T 2 http://127.0.0.1:9901/stats?filter=downstream_cx_active); case $n in ""|*[!0-9]*) sleep 1; continue ;; esac; [ "$n" -eq 0 ] && break; sleep 1; done',
    'nginx -s quit; while pgrep -x nginx >/dev/null; do sleep 1; done',
    '/wait-shutdown',
  ][i % 5];
  return [
    {
      apiVersion: 'apps/v1',
      kind: i % 7 === 0 ? 'StatefulSet' : 'Deployment',
      metadata: { name: `web-${i}`, namespace: `ns-${i % 13}`, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: i % 3 === 0 ? { 'proxy.istio.io/config': 'terminationDrainDuration: 20s' } : {} },
          spec: {
            terminationGracePeriodSeconds: 30 + (i % 40),
            containers: [{
              name: 'app',
              image: `example/app:${i}`,
              args: ['--drain-time-s $(DRAIN_TIME_SECONDS)', '--log-level info'],
              env: [{ name: 'DRAIN_TIME_SECONDS', value: String(10 + (i % 30)) }, { name: 'JAVA_OPTS', value: '-Xmx512m '.repeat(10) }],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
              lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', hook] } } },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: `web-${i}`, namespace: `ns-${i % 13}` }, spec: { selector: labels, ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cfg-${i}`, namespace: `ns-${i % 13}` }, data: { 'app.properties': 'key=value\n'.repeat(40) } },
  ];
}

function libraryOutput(): unknown[] {
  const app = new App();
  const chart = new Chart(app, 'lib');
  new GracefulNginx(chart, 'nginx', {});
  new IstioDrainedWorkload(chart, 'orders', { image: 'orders:1', istioVersion: IstioVersion.of('1.22'), ports: [{ port: 8080, protocol: IstioProtocol.HTTP }] });
  return chart.toJson();
}

function generate(file: string): number {
  const target = sizeMb * 1024 * 1024;
  const lib = libraryOutput().map(o => YAML.stringify(o)).join('---\n');
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let docs = 0;
  for (let i = 0; written < target; i++) {
    const text = `---\n${handWritten(i).map(o => YAML.stringify(o)).join('---\n')}${i % 10 === 0 ? `---\n${lib}` : ''}`;
    fs.writeSync(fd, text);
    written += Buffer.byteLength(text);
    docs += 3;
  }
  fs.closeSync(fd);
  return docs;
}

/** Runs one CLI command in its own process; its time excludes Node's start and TypeScript compilation. */
interface Run { readonly seconds: number; readonly cpuSeconds: number; readonly peakRssMb: number; readonly code: number }

function measure(command: string, file: string): Run {
  const script = `require(${JSON.stringify(require.resolve('ts-node'))}).register({ project: ${JSON.stringify(path.join(root, 'tsconfig.json'))}, transpileOnly: true });
const { main } = require(${JSON.stringify(path.join(root, 'src', 'cli', 'main.ts'))});
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
main([${JSON.stringify(command)}, '--quiet', ${JSON.stringify(file)}].filter(a => a !== '--quiet' || ${JSON.stringify(command)} === 'lint'), {
  stdout: () => {}, stderr: t => process.stderr.write(t), readStdin: async () => '', readFile: p => require('fs').readFileSync(p, 'utf8'),
}).then(code => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024, code }));
});`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const keep = process.env.BENCH_LINT_FILE;
const file = keep ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lint-')), 'big.yaml');
const docs = generate(file);
const mb = fs.statSync(file).size / 1024 / 1024;
console.log(`file: ${mb.toFixed(1)} MB, about ${docs} documents`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs: Record<'timeline' | 'lint', Run[]> = { timeline: [], lint: [] };
for (let i = 0; i < pairs; i++) {
  for (const command of (i % 2 === 0 ? ['timeline', 'lint'] : ['lint', 'timeline']) as Array<'timeline' | 'lint'>) runs[command].push(measure(command, file));
}
const summary = (command: 'timeline' | 'lint') => {
  const r = runs[command];
  return { wall: median(r.map(x => x.seconds)), cpu: median(r.map(x => x.cpuSeconds)), rss: Math.max(...r.map(x => x.peakRssMb)) };
};
const t = summary('timeline');
const l = summary('lint');
for (const [name, x] of [['timeline', t], ['lint', l]] as const) {
  console.log(`${name.padEnd(8)} median of ${pairs}: ${x.wall.toFixed(2)} s wall, ${x.cpu.toFixed(2)} s CPU, peak RSS ${x.rss.toFixed(0)} MB`);
}
console.log(`lint/timeline ratio: ${(l.wall / t.wall).toFixed(2)} wall, ${(l.cpu / t.cpu).toFixed(2)} CPU (budget 1.5)`);
if (!keep) fs.rmSync(path.dirname(file), { recursive: true, force: true });
