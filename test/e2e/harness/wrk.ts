/** Runs wrk (Debian's) and reads its summary: completed requests and failures by type. */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bounded, TIMED_OUT } from './pod';

/** Every wrk started and not yet stopped. */
const LIVE_WRK = new Set<Wrk>();

/** Kills every wrk still running (tests call it in afterAll). */
export function killAllWrk(): void {
  for (const w of [...LIVE_WRK]) w.kill();
}

export interface WrkResult {
  /** Completed requests (wrk's "N requests in"). */
  readonly requests: number;
  /** Socket errors by type. */
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
  /** Responses outside 2xx/3xx. */
  readonly non2xx: number;
  /** Every failed request: socket errors plus non-2xx. */
  readonly failed: number;
  /** Completed plus failed-by-socket-error requests. */
  readonly total: number;
  /** wrk's own output. */
  readonly output: string;
}

/** Parses wrk's summary. */
export function parseWrk(output: string): WrkResult {
  const req = /(\d+) requests in /.exec(output);
  if (!req) throw new Error(`cannot read wrk's summary:\n${output}`);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const n2 = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const [connect, read, write, timeout] = se ? se.slice(1).map(Number) : [0, 0, 0, 0];
  const non2xx = n2 ? Number(n2[1]) : 0;
  const requests = Number(req[1]);
  const sockErrors = connect + read + write + timeout;
  return { requests, connect, read, write, timeout, non2xx, failed: sockErrors + non2xx, total: requests + sockErrors, output };
}

/** A running wrk; `stop()` sends SIGINT, on which wrk stops and prints its summary. */
export class Wrk {
  private readonly child: ChildProcess;
  private out = '';
  private readonly done: Promise<WrkResult>;

  private readonly luaDir: string;

  /**
   * `requestDelayMs`: each connection waits this long between requests (wrk's Lua `delay()`).
   * Unpaced, wrk sends thousands of requests per second on each connection, so nginx's
   * `keepalive_requests` (1000) recycles every connection cleanly within a second and hides what
   * happens to real, slower clients' connections. Default 20 ms (50 requests/s per connection).
   */
  public constructor(url: string, options: { threads?: number; connections?: number; maxSeconds?: number; requestDelayMs?: number } = {}) {
    this.luaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-wrk-'));
    const lua = path.join(this.luaDir, 'pace.lua');
    const delay = options.requestDelayMs ?? 20;
    fs.writeFileSync(lua, `function delay()\n  return ${delay}\nend\n`);
    const args = ['-t', String(options.threads ?? 2), '-c', String(options.connections ?? 32), '-d', `${options.maxSeconds ?? 60}s`, '--timeout', '5s',
      ...(delay > 0 ? ['-s', lua] : []), url];
    this.child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    LIVE_WRK.add(this);
    this.child.stdout!.on('data', d => { this.out += d; });
    this.child.stderr!.on('data', d => { this.out += d; });
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', e => {
        fs.rmSync(this.luaDir, { recursive: true, force: true });
        reject(new Error(`wrk could not start (scripts/ensure-test-deps.sh installs it): ${e.message}`));
      });
      this.child.once('close', () => {
        fs.rmSync(this.luaDir, { recursive: true, force: true });
        try {
          resolve(parseWrk(this.out));
        } catch (e) {
          reject(e);
        }
      });
    });
    this.done.catch(() => undefined); // handled in stop(); never an unhandled rejection
  }

  /** Stops wrk (SIGINT, then SIGKILL after 5s) and resolves to its summary; bounded (~10s). */
  public async stop(): Promise<WrkResult> {
    this.child.kill('SIGINT');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    try {
      const r = await bounded(this.done, 10_000);
      if (r === TIMED_OUT) throw new Error(`wrk did not exit within 10s of SIGINT:\n${this.out}`);
      return r;
    } finally {
      clearTimeout(t);
      LIVE_WRK.delete(this);
    }
  }

  /** Kills wrk at once, without waiting for its summary. */
  public kill(): void {
    this.child.kill('SIGKILL');
    LIVE_WRK.delete(this);
  }
}
