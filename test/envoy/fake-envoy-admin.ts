/**
 * A fake Envoy admin API for tests and the benchmark, reproducing the formats a drain script reads.
 *
 * What it copies from Envoy (envoyproxy/envoy):
 * - `GET /stats` text format, one `name: value\n` line per stat, counters and gauges as integers,
 *   text readouts as `name: "value"`, unused histograms as `name: No recorded values`
 *   (source/server/admin/stats_render.cc, StatsTextRender::generate).
 * - `usedonly` leaves out stats never set; `filter=` is a regex matched partially (RE2's
 *   PartialMatch), so callers anchor it; a pattern RE2 rejects answers 400 `Invalid re2 regex`
 *   (source/server/admin/stats_params.cc). JS RegExp stands in for RE2 here, and what RE2 lacks
 *   (lookarounds `(?=` `(?!` `(?<=` `(?<!`, named groups `(?<`, backreferences `\1`) is rejected.
 *   `format=json` answers `{"stats":[{"name":…,"value":…}]}` (StatsJsonRender).
 * - Per-worker copies `listener.<addr>.worker_<N>.downstream_cx_active` next to the totals, and
 *   `listener.admin.downstream_cx_active`, which counts the admin connection asking
 *   (docs/root/configuration/listeners/stats.rst).
 * - `server.live` is in every `usedonly` answer: `InstanceImpl::initialize` calls
 *   `failHealthcheck(false)`, which sets the gauge, and `GaugeImpl::set` marks a gauge used whatever
 *   the value (source/server/server.cc; source/common/stats/allocator.cc). 1 while live, 0 after
 *   `/healthcheck/fail`.
 * - Endpoints that mutate state answer a GET with 405 `Method GET not allowed, POST required.`
 *   (source/server/admin/admin.cc, AdminImpl::runCallback).
 * - `POST /healthcheck/fail` and `POST /drain_listeners[?graceful][&inboundonly]` answer `OK\n`;
 *   after healthcheck/fail, `GET /ready` answers `DRAINING\n` with 503, before it `LIVE\n` with 200
 *   (source/server/admin/server_info_handler.cc, handlerReady).
 *
 * The test API sets connection counts now or on a schedule, takes the admin down and up again on
 * the same port, answers garbage, slowly (`delayMs`), or drops connections (`reset`). Listens on 127.0.0.1, port 0 unless given.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** How the fake misbehaves on `/stats`. */
export type Garbage = 'html' | 'status-500' | 'missing-value' | 'hang' | 'octal' | 'empty' | 'no-sentinel' | 'reset';

/** The faults that `allPaths` applies to every endpoint, not only `/stats`. */
const EVERY_PATH_FAULTS: Garbage[] = ['hang', 'status-500', 'reset'];

export interface AdminCall {
  readonly method: string;
  readonly path: string;
  /** When the answer went out (or, for a request never answered, when it arrived). */
  readonly atMs: number;
  /** When the request arrived. */
  readonly arrivedMs: number;
  readonly status: number;
}

export interface ScheduledChange {
  /** Milliseconds after `start()` (or after `schedule()` was called). */
  readonly atMs: number;
  /** Listener scope → active connections, e.g. `{ '0.0.0.0_8080': 2, '[__]_2222': 1 }`. */
  readonly set?: Record<string, number>;
  readonly down?: boolean;
  readonly up?: boolean;
  readonly garbage?: Garbage | null;
}

type Reply = (status: number, body: string, type?: string) => void;

const POST_ONLY = ['/healthcheck/fail', '/healthcheck/ok', '/drain_listeners', '/quitquitquit', '/logging', '/reset_counters', '/runtime_modify', '/cpuprofiler', '/heapprofiler'];

export class FakeEnvoyAdmin {
  /** Every request, in order. */
  public readonly calls: AdminCall[] = [];
  /** What `/ready` answers. */
  public state: 'LIVE' | 'DRAINING' = 'LIVE';
  /** The query strings of every `POST /drain_listeners`. */
  public drainListeners: string[] = [];
  public port = 0;
  private readonly gauges = new Map<string, number>();
  private readonly used = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private server?: http.Server;
  private garbage: Garbage | null = null;
  /** When true, `/ready` never answers (a wedged admin). */
  public hangReady = false;
  /** Every answer waits this long (a slow admin). */
  public delayMs = 0;
  /** Whether a `hang`, `status-500` or `reset` fault hits every endpoint (the admin calls too), not only `/stats`. */
  public allPaths = false;
  private started = Date.now();
  private readonly workers: number;

  public constructor(options: { workers?: number } = {}) {
    this.workers = options.workers ?? 2;
  }

  /** Starts listening; `port` reuses a port (to come back up). */
  public async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening (the admin is "down": connection refused). */
  public async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>(resolve => {
      s.closeAllConnections();
      s.close(() => resolve());
    });
  }

  /** Comes back on the same port. */
  public async up(): Promise<void> {
    if (!this.server) await this.start(this.port);
  }

  /** Stops everything: timers and server. */
  public async close(): Promise<void> {
    this.timers.forEach(t => clearTimeout(t));
    this.timers.length = 0;
    await this.down();
  }

  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Milliseconds since the fake was created or `resetClock()`. */
  public now(): number {
    return Date.now() - this.started;
  }

  public resetClock(): void {
    this.started = Date.now();
  }

  /** Sets active connections of listener scopes (`0.0.0.0_8080`, `[__]_2222`, `admin`). */
  public setConnections(counts: Record<string, number>): void {
    for (const [scope, n] of Object.entries(counts)) {
      const name = `listener.${scope}.downstream_cx_active`;
      this.gauges.set(name, n);
      if (n !== 0) this.used.add(name);
      // Spread over the workers, as each worker's handler counts its own connections.
      if (scope !== 'admin') {
        for (let w = 0; w < this.workers; w++) {
          const share = Math.floor(n / this.workers) + (w < n % this.workers ? 1 : 0);
          const wname = `listener.${scope}.worker_${w}.downstream_cx_active`;
          this.gauges.set(wname, share);
          if (share !== 0) this.used.add(wname);
        }
      }
    }
  }

  /** Answers garbage on /stats until set back to null. */
  public setGarbage(g: Garbage | null): void {
    this.garbage = g;
  }

  /** Runs changes at offsets from now. */
  public schedule(changes: ScheduledChange[]): void {
    for (const c of changes) {
      this.timers.push(setTimeout(() => {
        if (c.set) this.setConnections(c.set);
        if (c.garbage !== undefined) this.setGarbage(c.garbage);
        if (c.down) void this.down();
        if (c.up) void this.up();
      }, c.atMs));
    }
  }

  /** The current value of a stat (undefined when never set). */
  public gauge(name: string): number | undefined {
    return this.gauges.get(name);
  }

  private allStats(): Array<[string, string, boolean]> {
    const rows: Array<[string, string, boolean]> = [];
    for (const [name, v] of this.gauges) rows.push([name, String(v), this.used.has(name)]);
    // Company the gauges keep in a real /stats answer.
    rows.push(['server.live', this.state === 'LIVE' ? '1' : '0', true]);
    rows.push(['server.total_connections', String([...this.gauges].filter(([n]) => !n.includes('.worker_') && n !== 'listener.admin.downstream_cx_active').reduce((a, [, v]) => a + v, 0)), true]);
    rows.push(['http.ingress_http.downstream_cx_active', String(this.gauges.get('listener.0.0.0.0_8080.downstream_cx_active') ?? 0), true]);
    rows.push(['listener.0.0.0.0_8080.downstream_cx_total', '17', true]);
    rows.push(['listener.0.0.0.0_8080.downstream_cx_length_ms', 'No recorded values', true]);
    rows.push(['server.version_text', '"1.31.0"', true]);
    rows.push(['listener.0.0.0.0_9999.downstream_cx_active', '0', false]);
    return rows.sort((a, b) => a[0].localeCompare(b[0]));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const arrivedMs = this.now();
    const reply = (status: number, body: string, type = 'text/plain; charset=UTF-8') => {
      this.calls.push({ method, path: req.url ?? '', atMs: this.now(), arrivedMs, status });
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    req.resume();
    const route = () => this.route(url, method, req, res, reply, arrivedMs);
    req.on('end', () => (this.delayMs > 0 ? setTimeout(route, this.delayMs) : route()));
  }

  private route(url: URL, method: string, req: http.IncomingMessage, res: http.ServerResponse, reply: Reply, arrivedMs: number): void {
    if (this.allPaths && this.garbage && EVERY_PATH_FAULTS.includes(this.garbage) && url.pathname !== '/stats') {
      this.calls.push({ method, path: req.url ?? '', atMs: arrivedMs, arrivedMs, status: 0 });
      if (this.garbage === 'hang') return;
      if (this.garbage === 'reset') return void req.socket.destroy();
      return reply(500, 'internal error\n');
    }
    if (POST_ONLY.includes(url.pathname) && method !== 'POST') {
      return reply(405, `Method ${method} not allowed, POST required.`);
    }
    switch (url.pathname) {
      case '/healthcheck/fail':
        this.state = 'DRAINING';
        return reply(200, 'OK\n');
      case '/healthcheck/ok':
        this.state = 'LIVE';
        return reply(200, 'OK\n');
      case '/drain_listeners':
        this.drainListeners.push(url.search);
        return reply(200, 'OK\n');
      case '/ready':
        if (this.hangReady) return;
        return reply(this.state === 'LIVE' ? 200 : 503, `${this.state}\n`);
      case '/stats':
        return this.stats(url, reply, res, arrivedMs);
      default:
        return reply(404, 'invalid path. admin commands are: ...\n');
    }
  }

  private stats(url: URL, reply: Reply, res: http.ServerResponse, arrivedMs: number): void {
    switch (this.garbage) {
      case 'html': return reply(200, '<html><body>upstream connect error</body></html>\n', 'text/html');
      case 'status-500': return reply(500, 'internal error\n');
      case 'missing-value': return reply(200, 'listener.0.0.0.0_8080.downstream_cx_active: \n');
      case 'octal': return reply(200, 'listener.0.0.0.0_8080.downstream_cx_active: 08\n');
      // Not Envoy: a proxy or a stub answering 200 with nothing, or with well-formed lines but no server.live.
      case 'empty': return reply(200, '');
      case 'no-sentinel': return reply(200, 'listener.0.0.0.0_8080.downstream_cx_active: 0\n');
      case 'hang': this.calls.push({ method: 'GET', path: url.pathname + url.search, atMs: arrivedMs, arrivedMs, status: 0 }); void res; return;
      // Accepts, then drops the connection without an answer (a crashing or restarting admin).
      case 'reset': this.calls.push({ method: 'GET', path: url.pathname + url.search, atMs: arrivedMs, arrivedMs, status: 0 }); res.socket?.destroy(); return;
      default: break;
    }
    const filter = url.searchParams.get('filter');
    let re: RegExp | undefined;
    if (filter) {
      // What RE2 does not have: lookarounds, named groups written (?<name>, backreferences.
      if (/\(\?[=!<]/.test(filter) || /\\[1-9]/.test(filter)) return reply(400, 'Invalid re2 regex');
      try {
        re = new RegExp(filter);
      } catch {
        return reply(400, 'Invalid re2 regex');
      }
    }
    const usedOnly = url.searchParams.has('usedonly');
    // The admin connection asking is itself an active connection of the admin listener.
    const rows = this.allStats().map(([n, v, u]) => (n === 'listener.admin.downstream_cx_active' ? [n, '1', true] as [string, string, boolean] : [n, v, u] as [string, string, boolean]));
    if (!rows.some(([n]) => n === 'listener.admin.downstream_cx_active')) rows.push(['listener.admin.downstream_cx_active', '1', true]);
    const selected = rows.filter(([n, , u]) => (!usedOnly || u) && (!re || re.test(n)));
    if (url.searchParams.get('format') === 'json') {
      return reply(200, JSON.stringify({ stats: selected.filter(([, v]) => /^\d+$/.test(v)).map(([name, v]) => ({ name, value: Number(v) })) }), 'application/json');
    }
    return reply(200, selected.map(([n, v]) => `${n}: ${v}\n`).join(''));
  }
}
