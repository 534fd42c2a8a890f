/**
 * `npm run bench:nginx`: deletes one of two real nginx pods under sustained keep-alive load
 * (test/e2e harness) for each shutdown variant, and prints
 * `variant=<name> failed=<n> total=<n> terminate_s=<s>` per run plus a summary table.
 * RUNS=<n> repeats each variant; VARIANTS=a,b picks some; DELAY_MS=<ms> sets wrk's pause between
 * requests on each connection (default 20; 0 = unpaced). Each line also shows the failure types.
 */
import { runScenario } from '../test/e2e/harness/scenario';
import { PROPAGATION_MS, variants } from '../test/e2e/harness/variants';

const ORDER = ['naive', 'readiness-only', 'field-recipe', 'graceful-nginx', 'graceful-nginx+reload', 'graceful-nginx-endpoints'];

async function main(): Promise<void> {
  const all = variants();
  const pick = process.env.VARIANTS ? process.env.VARIANTS.split(',') : ORDER;
  const runs = Number(process.env.RUNS ?? 1);
  const requestDelayMs = Number(process.env.DELAY_MS ?? 20);
  const rows: Array<{ name: string; failed: number[]; total: number[]; terminate: number[]; grace: number }> = [];
  const pace = requestDelayMs > 0 ? `1 request per connection every ${requestDelayMs} ms` : 'unpaced';
  console.log(`# 2 nginx pods, 32 keep-alive connections (wrk -t2, ${pace}), propagation ${PROPAGATION_MS / 1000}s, readiness period 1s x 1`);
  for (const name of pick) {
    const pod = all[name];
    if (!pod) throw new Error(`unknown variant ${name}; have ${Object.keys(all).join(', ')}`);
    const row = { name, failed: [] as number[], total: [] as number[], terminate: [] as number[], grace: pod.gracePeriodSeconds };
    for (let i = 0; i < runs; i++) {
      const r = await runScenario(pod, { propagationMs: PROPAGATION_MS, requestDelayMs });
      const w = r.wrk;
      console.log(`variant=${name} failed=${r.failed} total=${r.total} terminate_s=${r.terminateS.toFixed(1)}`
        + ` errors=connect:${w.connect},read:${w.read},write:${w.write},timeout:${w.timeout},non2xx:${w.non2xx} pinned=${r.deletedPodConnections.opened}`);
      row.failed.push(r.failed);
      row.total.push(r.total);
      row.terminate.push(r.terminateS);
    }
    rows.push(row);
  }
  const table = [
    ['variant', 'failed', 'total', 'terminate_s', 'grace_s'],
    ...rows.map(r => [r.name, r.failed.join('/'), r.total.join('/'), r.terminate.map(t => t.toFixed(1)).join('/'), String(r.grace)]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map(row => row[c].length)));
  console.log('');
  table.forEach((row, i) => {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`);
  });
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
