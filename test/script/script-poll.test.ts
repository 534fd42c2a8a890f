import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import { RecordingServer, startRecordingServer } from './http-fixture';
import { runScript, SHELLS } from './run-script';
import { IPollProbe, PollProbe, PosixScript, Step } from '../../src/script';
import { LOADED_HOST_SLACK_MS } from '../util/timing';

const s = Duration.seconds;
const script = (deadline: number, ...steps: Step[]) => new PosixScript({ name: 'poll-test', deadline: s(deadline), steps });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-poll-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

function sleeper(seconds: number): ChildProcess {
  const c = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  started.push(c);
  return c;
}

/** A probe that counts down a counter file: fails `failures` times, then counts `counts` one by one. */
function scriptedProbe(file: string, failures: number, counts: string[]): IPollProbe {
  const cases = counts.map((c, i) => `  ${failures + i + 1}) gs_count=${c}; return 0 ;;`).join('\n');
  return {
    description: 'scripted',
    usesHttp: false,
    renderBody: () => [
      `gs_n=$(cat '${file}' 2>/dev/null || echo 0)`,
      'gs_n=$((gs_n + 1))',
      `echo "$gs_n" >'${file}'`,
      `if [ "$gs_n" -le ${failures} ]; then gs_why="attempt $gs_n failed"; return 1; fi`,
      'case $gs_n in',
      cases,
      'esac',
      'gs_count=0',
      'return 0',
    ].join('\n'),
  };
}

describe('PollProbe.processAlive', () => {
  test('returns within about one interval after the process dies', async () => {
    const results = await Promise.all(SHELLS.map(async shell => {
      const proc = sleeper(2);
      const pidFile = path.join(tmp, `pid-${shell}`);
      fs.writeFileSync(pidFile, `${proc.pid}\n`);
      const r = await runScript(script(6,
        Step.pollUntilZero({ probe: PollProbe.processAlive(pidFile) }),
        Step.whenPollDidNotReachZero([Step.log('NOT EXPECTED')]),
      ).render(), { shell });
      return { shell, r, pidFile };
    }));
    for (const { shell, r, pidFile } of results) {
      expect({ shell, messages: r.messages }).toEqual({
        shell,
        messages: ['start (deadline t=6s)', `waiting until process in ${pidFile} is 0 (every 1s, until t=6s)`, `process in ${pidFile}: 1`, `process in ${pidFile}: 0`, 'done'],
      });
      expect(r.elapsedMs).toBeGreaterThanOrEqual(1500);
      expect(r.elapsedMs).toBeLessThan(2000 + 1000 + LOADED_HOST_SLACK_MS);
    }
  });

  test('keeps waiting while the process lives and ends at until; a pid file without a newline still counts', async () => {
    const results = await Promise.all(SHELLS.map(async shell => {
      const proc = sleeper(30);
      const pidFile = path.join(tmp, `pid-live-${shell}`);
      fs.writeFileSync(pidFile, `${proc.pid}`); // no trailing newline
      const r = await runScript(script(6,
        Step.pollUntilZero({ probe: PollProbe.processAlive(pidFile), until: s(2) }),
        Step.whenPollDidNotReachZero([Step.log('fallback: still alive')]),
      ).render(), { shell });
      proc.kill('SIGKILL');
      return { shell, r, pidFile };
    }));
    for (const { shell, r, pidFile } of results) {
      expect({ shell, messages: r.messages }).toEqual({
        shell,
        messages: ['start (deadline t=6s)', `waiting until process in ${pidFile} is 0 (every 1s, until t=2s)`, `process in ${pidFile}: 1`,
          `process in ${pidFile}: deadline reached at 1`, 'fallback: still alive', 'done'],
      });
      expect(r.elapsedMs).toBeGreaterThanOrEqual(1000);
      expect(r.elapsedMs).toBeLessThan(2000 + LOADED_HOST_SLACK_MS);
    }
  });

  test('a missing pid file is zero; an empty one cannot tell and is retried', async () => {
    const empty = path.join(tmp, 'pid-empty');
    fs.writeFileSync(empty, '');
    const missing = path.join(tmp, 'pid-missing');
    const results = await Promise.all(SHELLS.map(shell => runScript(script(2,
      Step.pollUntilZero({ probe: PollProbe.processAlive(missing) }),
      Step.pollUntilZero({ probe: PollProbe.processAlive(empty) }),
    ).render(), { shell })));
    for (const r of results) {
      expect(r.messages).toEqual([
        'start (deadline t=2s)',
        `waiting until process in ${missing} is 0 (every 1s, until t=2s)`, `process in ${missing}: 0`,
        `waiting until process in ${empty} is 0 (every 1s, until t=2s)`, `process in ${empty}: unknown (no process id in ${empty}), retrying`,
        `process in ${empty}: deadline reached at unknown (no process id in ${empty}), retrying`, 'done',
      ]);
      expect(r.elapsedMs).toBeLessThan(2000 + LOADED_HOST_SLACK_MS);
    }
  });
});

describe('PollProbe.listeningTcpPorts', () => {
  async function listen(host: string): Promise<net.Server | undefined> {
    const server = net.createServer();
    return new Promise(resolve => {
      server.once('error', () => resolve(undefined));
      server.listen(0, host, () => resolve(server));
    });
  }

  test('counts listeners on IPv4 and IPv6 (::1 when available) and returns after they close', async () => {
    const servers = (await Promise.all(['127.0.0.1', '::1'].map(listen))).filter((x): x is net.Server => !!x);
    expect(servers.length).toBeGreaterThanOrEqual(1);
    const ports = servers.map(x => (x.address() as net.AddressInfo).port);
    const closer = setTimeout(() => servers.forEach(x => x.close()), 2000);
    try {
      const results = await Promise.all(SHELLS.map(shell => runScript(script(6,
        Step.pollUntilZero({ probe: PollProbe.listeningTcpPorts(ports) }),
      ).render(), { shell })));
      const what = `sockets listening on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
      for (const r of results) {
        const m = r.messages;
        expect(m.slice(0, 3)).toEqual(['start (deadline t=6s)', `waiting until ${what} is 0 (every 1s, until t=6s)`, `${what}: ${servers.length}`]);
        // The two listeners close in one tick, but a poll may still land between them.
        for (const between of m.slice(3, -2)) expect(between).toMatch(new RegExp(`^${what}: [1-9]$`));
        expect(m.slice(-2)).toEqual([`${what}: 0`, 'done']);
        expect(r.elapsedMs).toBeGreaterThanOrEqual(1500);
        expect(r.elapsedMs).toBeLessThan(2000 + 1000 + LOADED_HOST_SLACK_MS);
      }
    } finally {
      clearTimeout(closer);
      servers.forEach(x => x.close());
    }
  });
});

describe('the poll loop', () => {
  test('a probe that cannot tell is logged as unknown and retried, never taken as zero', async () => {
    const results = await Promise.all(SHELLS.map(async shell => {
      const counter = path.join(tmp, `count-${shell}`);
      const r = await runScript(script(6,
        Step.pollUntilZero({ probe: scriptedProbe(counter, 3, []) }),
        Step.whenPollDidNotReachZero([Step.log('NOT EXPECTED')]),
      ).render(), { shell });
      return { shell, r, polls: Number(fs.readFileSync(counter, 'utf8')) };
    }));
    for (const { shell, r, polls } of results) {
      expect({ shell, messages: r.messages }).toEqual({
        shell,
        messages: ['start (deadline t=6s)', 'waiting until scripted is 0 (every 1s, until t=6s)',
          'scripted: unknown (attempt 1 failed), retrying', 'scripted: unknown (attempt 2 failed), retrying', 'scripted: unknown (attempt 3 failed), retrying',
          'scripted: 0', 'done'],
      });
      expect(polls).toBe(4);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(2500);
      expect(r.elapsedMs).toBeLessThan(3000 + LOADED_HOST_SLACK_MS);
    }
  });

  test('a count that keeps changing is logged at most every 5s; a count that is not a number is unknown', async () => {
    const results = await Promise.all(SHELLS.map(async shell => {
      const a = path.join(tmp, `busy-${shell}`);
      const b = path.join(tmp, `nan-${shell}`);
      const noReason: IPollProbe = { description: 'silent', usesHttp: false, renderBody: () => 'return 1' };
      const r = await runScript(script(6,
        Step.pollUntilZero({ probe: scriptedProbe(a, 0, ['5', '4', '3', '2']) }),
        Step.pollUntilZero({ probe: scriptedProbe(b, 0, ['abc']), description: 'garbled' }),
        Step.pollUntilZero({ probe: noReason, until: s(0) }),
      ).render(), { shell });
      return { shell, r };
    }));
    for (const { shell, r } of results) {
      expect({ shell, messages: r.messages }).toEqual({
        shell,
        messages: ['start (deadline t=6s)', 'waiting until scripted is 0 (every 1s, until t=6s)', 'scripted: 5', 'scripted: 0',
          'waiting until garbled is 0 (every 1s, until t=6s)', "garbled: unknown (the probe counted 'abc', not a number), retrying", 'garbled: 0',
          'waiting until silent is 0 (every 1s, until t=0s)', 'silent: unknown (the probe gave no reason), retrying',
          'silent: deadline reached at unknown (the probe gave no reason), retrying', 'done'],
      });
      expect(r.elapsedMs).toBeLessThan(5000 + LOADED_HOST_SLACK_MS);
    }
  });

  describe('with HTTP endpoints that hang', () => {
    let srv: RecordingServer;
    beforeAll(async () => { srv = await startRecordingServer(() => ({ hang: true })); });
    afterAll(() => srv.close());

    test('the whole script still returns before its deadline, even with until past it', async () => {
      const probe: IPollProbe = {
        description: 'admin connections',
        usesHttp: true,
        renderBody: () => `if ! gs_count=$(gs_http GET '${srv.url}/stats' "$(gs_cap 10)" ''); then gs_why='admin API did not answer'; return 1; fi\nreturn 0`,
      };
      const results = await Promise.all(SHELLS.map(shell => runScript(script(3,
        Step.pollUntilZero({ probe, until: s(100) }),
        Step.whenPollDidNotReachZero([Step.log('gave up')]),
      ).render(), { shell, withPath: { http: shell === 'dash' ? 'curl' : shell === 'bash' ? 'wget' : 'busybox-wget' } })));
      for (const r of results) {
        expect(r.code).toBe(0);
        expect(r.messages.slice(0, 3)).toEqual([expect.stringMatching(/^start \(deadline t=3s\), http via /), 'waiting until admin connections is 0 (every 1s, until t=3s)',
          'admin connections: unknown (admin API did not answer), retrying']);
        expect(r.messages.slice(-3)).toEqual(['admin connections: deadline reached at unknown (admin API did not answer), retrying', 'gave up', 'done']);
        expect(r.elapsedMs).toBeLessThan(3000 + LOADED_HOST_SLACK_MS);
      }
    });
  });
});

describe('PollProbe.establishedTcpConnections', () => {
  test('counts the connections a server accepted (not its listener, not the client side) and returns once they close', async () => {
    const server = net.createServer(sock => sock.on('error', () => undefined));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    const clients = await Promise.all([1, 2].map(() => new Promise<net.Socket>(resolve => {
      const c = net.connect(port, '127.0.0.1', () => resolve(c));
    })));
    const closer = setTimeout(() => clients.forEach(c => c.destroy()), 2000);
    try {
      const results = await Promise.all(SHELLS.map(shell => runScript(script(6,
        Step.pollUntilZero({ probe: PollProbe.establishedTcpConnections([port]) }),
      ).render(), { shell })));
      const what = `connections to port ${port}`;
      for (const r of results) {
        expect(r.messages.slice(0, 3)).toEqual(['start (deadline t=6s)', `waiting until ${what} is 0 (every 1s, until t=6s)`, `${what}: 2`]);
        expect(r.messages.slice(-2)).toEqual([`${what}: 0`, 'done']);
        expect(r.elapsedMs).toBeGreaterThanOrEqual(1500);
        expect(r.elapsedMs).toBeLessThan(2000 + 1000 + LOADED_HOST_SLACK_MS);
      }
    } finally {
      clearTimeout(closer);
      clients.forEach(c => c.destroy());
      server.close();
    }
  });
});

describe('the poll loop at the script deadline', () => {
  test('an HTTP probe reports its last answer, not a call it had no time left to make', async () => {
    // Like an HTTP probe: with no time left (gs_cap 0) it cannot ask, so it cannot tell.
    const busy: IPollProbe = {
      description: 'busy things',
      usesHttp: true,
      renderBody: () => 'if [ "$(gs_cap 1)" -lt 1 ]; then gs_why=\'no time left\'; return 1; fi\ngs_count=1\nreturn 0',
    };
    const all = await Promise.all(SHELLS.map(shell => runScript(script(2, Step.pollUntilZero({ probe: busy })).render(), { shell })));
    for (const r of all) {
      expect(r.messages.slice(-2)).toEqual(['busy things: deadline reached at 1', 'done']);
      expect(r.messages.join('\n')).not.toContain('no time left');
    }
  });
});

