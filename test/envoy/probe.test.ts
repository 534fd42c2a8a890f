import { Duration } from 'cdk8s';
import { FakeEnvoyAdmin } from './fake-envoy-admin';
import { EnvoyProbe } from '../../src/envoy/probe';
import { DrainSelection, DrainTarget } from '../../src/envoy/stats';
import { PosixScript, Step } from '../../src/script';
import { HttpToolChoice, runScript, shellcheck, ShellName } from '../script/run-script';
import { LOADED_HOST_SLACK_MS } from '../util/timing';

const EXACT = DrainSelection.of([DrainTarget.listener({ port: 8080 }), DrainTarget.listener({ address: '::', port: 2222 })]);
const ALL = DrainSelection.of([DrainTarget.allListeners({ excludePorts: [19001] })]);
const WHAT = 'active connections (listener.0.0.0.0_8080.downstream_cx_active + listener.[__]_2222.downstream_cx_active)';

function pollScript(selection: DrainSelection, url: string, deadlineSeconds: number): string {
  return new PosixScript({ name: 'envoy-drain', deadline: Duration.seconds(deadlineSeconds) })
    .add(Step.pollUntilZero({
      probe: EnvoyProbe.activeConnections({ selection, adminUrl: url, timeout: Duration.seconds(1) }),
      interval: Duration.seconds(1),
    }))
    .render();
}

/** The shell/HTTP-client pairs every behaviour is checked with. */
const COMBOS: Array<[ShellName, HttpToolChoice]> = [['dash', 'curl'], ['bash', 'wget'], ['busybox', 'busybox-wget']];

/** Runs `fn` with a fresh fake admin (so tests can run concurrently), closing it afterwards. */
async function withAdmin(fn: (admin: FakeEnvoyAdmin) => Promise<void>): Promise<void> {
  const admin = new FakeEnvoyAdmin();
  await admin.start();
  try {
    await fn(admin);
  } finally {
    await admin.close();
  }
}

describe('EnvoyProbe.activeConnections, run for real', () => {
  test('the script is shellcheck clean (exact and all-listeners selections)', () => {
    for (const sel of [EXACT, ALL]) {
      const r = shellcheck(pollScript(sel, 'http://127.0.0.1:19000', 5));
      expect(r.output).toBe('');
    }
  });

  test.concurrent.each(COMBOS)('%s with %s: sums the selected totals only, then returns within a poll interval of zero', async (shell, http) => withAdmin(async admin => {
    admin.setConnections({ '0.0.0.0_8080': 2, '[__]_2222': 1, 'admin': 1, '0.0.0.0_9000': 5 });
    admin.schedule([{ atMs: 1200, set: { '0.0.0.0_8080': 0 } }, { atMs: 2500, set: { '[__]_2222': 0 } }]);
    const r = await runScript(pollScript(EXACT, admin.url, 20), { shell, withPath: { http } });
    expect(r.code).toBe(0);
    // 3 = 2 + 1: the per-worker copies (worker_0, worker_1), admin and port 9000 are not summed.
    expect(r.messages).toContain(`${WHAT}: 3`);
    // (The runtime logs a changing count at most every 5s, so the intermediate 1 may not show.)
    expect(r.messages).toContain(`${WHAT}: 0`);
    expect(r.messages.some(m => m.includes('unknown'))).toBe(false);
    // Exit within one poll interval (1s) of the last close at 2.5s, plus process start-up.
    expect(r.elapsedMs).toBeGreaterThanOrEqual(2500);
    expect(r.elapsedMs).toBeLessThan(2500 + 1000 + LOADED_HOST_SLACK_MS);
    const stats = admin.calls.filter(c => c.path.startsWith('/stats'));
    expect(stats.every(c => c.method === 'GET' && c.status === 200)).toBe(true);
    expect(stats[0].path).toBe(EXACT.statsPath);
  }));

  test.concurrent.each(COMBOS)('%s with %s: keeps waiting while connections are open and ends by the deadline', async (shell, http) => withAdmin(async admin => {
    admin.setConnections({ '[__]_2222': 1 });
    const r = await runScript(pollScript(EXACT, admin.url, 3), { shell, withPath: { http } });
    expect(r.code).toBe(0);
    expect(r.messages).toContain(`${WHAT}: 1`);
    expect(r.messages.some(m => m.startsWith(`${WHAT}: deadline reached at `))).toBe(true);
    expect(r.messages).not.toContain(`${WHAT}: 0`);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(r.elapsedMs).toBeLessThan(4500);
  }));

  test.concurrent.each(COMBOS)('%s with %s: an admin that is down at first is unknown, retried, then read when it comes up', async (shell, http) => withAdmin(async admin => {
    await admin.down();
    admin.setConnections({ '0.0.0.0_8080': 1 });
    admin.schedule([{ atMs: 1500, up: true }, { atMs: 2600, set: { '0.0.0.0_8080': 0 } }]);
    const r = await runScript(pollScript(EXACT, admin.url, 20), { shell, withPath: { http } });
    expect(r.code).toBe(0);
    const unknown = r.messages.filter(m => m.startsWith(`${WHAT}: unknown (GET /stats: `));
    expect(unknown.length).toBeGreaterThanOrEqual(1);
    expect(r.messages).toContain(`${WHAT}: 1`);
    expect(r.messages.indexOf(`${WHAT}: 1`)).toBeGreaterThan(r.messages.indexOf(unknown[0]));
    expect(r.messages[r.messages.length - 2]).toBe(`${WHAT}: 0`);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(2600);
  }));

  test.concurrent.each(['html', 'missing-value', 'octal', 'status-500', 'empty', 'no-sentinel'] as const)('a garbled or failed answer (%s) is unknown, never zero', async garbage => withAdmin(async admin => {
    admin.setGarbage(garbage);
    const r = await runScript(pollScript(EXACT, admin.url, 2), { shell: 'dash', withPath: { http: 'curl' } });
    expect(r.code).toBe(0);
    const want = {
      'status-500': `${WHAT}: unknown (GET /stats: curl: HTTP error status), retrying`,
      'empty': `${WHAT}: unknown (no server.live line in the /stats answer: not Envoy's stats (or a stats_matcher drops it)), retrying`,
      'no-sentinel': `${WHAT}: unknown (no server.live line in the /stats answer: not Envoy's stats (or a stats_matcher drops it)), retrying`,
    }[garbage as string] ?? `${WHAT}: unknown (garbled /stats answer: `;
    expect(r.messages.some(m => m.startsWith(want))).toBe(true);
    expect(r.messages).not.toContain(`${WHAT}: 0`);
    expect(r.messages.some(m => m.includes('deadline reached at unknown'))).toBe(true);
  }));

  test.concurrent('an Envoy answer with the sentinel and none of the selected names (never used under usedonly) is zero', async () => withAdmin(async admin => {
    // Nothing ever connected: usedonly leaves the gauges out; only server.live is in the answer.
    const [, text] = await (async () => {
      const res = await fetch(`${admin.url}${EXACT.statsPath}`);
      return [res.status, await res.text()];
    })();
    expect(text).toBe('server.live: 1\n');
    const r = await runScript(pollScript(EXACT, admin.url, 5), { shell: 'busybox', withPath: { http: 'busybox-wget' } });
    expect(r.messages).toContain(`${WHAT}: 0`);
    expect(r.elapsedMs).toBeLessThan(1500);
  }));

  test.concurrent('all listeners: admin, per-worker copies and excluded ports are left out', async () => withAdmin(async admin => {
    admin.setConnections({ '0.0.0.0_8080': 2, '[__]_2222': 3, '0.0.0.0_19001': 4 });
    const r = await runScript(pollScript(ALL, admin.url, 2), { shell: 'bash', withPath: { http: 'curl' } });
    const what = 'active connections (all listeners except port 19001)';
    expect(r.messages).toContain(`${what}: 5`);
  }));

  test.concurrent('the fake rejects what RE2 rejects and answers GET on POST-only endpoints with 405', async () => withAdmin(async admin => {
    const get = async (path: string, method = 'GET') => {
      const res = await fetch(`${admin.url}${path}`, { method });
      return [res.status, await res.text()];
    };
    expect(await get(`/stats?filter=${encodeURIComponent('^listener(?!\\.admin)')}`)).toEqual([400, 'Invalid re2 regex']);
    expect(await get(`/stats?filter=${encodeURIComponent('(a)\\1')}`)).toEqual([400, 'Invalid re2 regex']);
    expect(await get('/healthcheck/fail')).toEqual([405, 'Method GET not allowed, POST required.']);
    expect(await get('/ready')).toEqual([200, 'LIVE\n']);
    expect(await get('/healthcheck/fail', 'POST')).toEqual([200, 'OK\n']);
    expect(await get('/ready')).toEqual([503, 'DRAINING\n']);
    admin.setConnections({ '0.0.0.0_8080': 3 });
    const [, text] = await get(`/stats?usedonly&filter=${encodeURIComponent('downstream_cx_active')}`);
    expect(text).toContain('listener.0.0.0.0_8080.downstream_cx_active: 3\n');
    expect(text).toContain('listener.0.0.0.0_8080.worker_0.downstream_cx_active: 2\n');
    expect(text).toContain('listener.admin.downstream_cx_active: 1\n');
    expect(text).not.toContain('9999');
    const [, json] = await get(`/stats?format=json&filter=${encodeURIComponent('^listener\\.0\\.0\\.0\\.0_8080\\.downstream_cx_active$')}`);
    expect(JSON.parse(json as string)).toEqual({ stats: [{ name: 'listener.0.0.0.0_8080.downstream_cx_active', value: 3 }] });
  }));
});
