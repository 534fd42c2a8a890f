/**
 * The base of the fake registries: a node http server on 127.0.0.1, port 0, that records every
 * call (method, path, query, headers, body, global order) and can be told, per route, to answer
 * slowly, fail with 500, or hang; `down()` closes it so connections are refused.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface RecordedCall {
  /** Order across every fake server of the test process. */
  readonly seq: number;
  readonly server: string;
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  /** Lower-case header names. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeReply {
  readonly status: number;
  readonly body?: string;
  readonly contentType?: string;
}

export enum Mode {
  OK = 'ok',
  /** Answer 500. */
  FAIL = 'fail',
  /** Answer after `slowMs`. */
  SLOW = 'slow',
  /** Never answer. */
  HANG = 'hang',
}

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A route: a name for `setMode` and call filters, and a handler; `undefined` means "not mine". */
export type Router = (req: Request) => { route: string; reply: () => FakeReply } | undefined;

let seq = 0;

export class FakeServer {
  public static async start(name: string, router: Router): Promise<FakeServer> {
    const f = new FakeServer(name, router);
    await new Promise<void>(resolve => f.server.listen(0, '127.0.0.1', resolve));
    f.port = (f.server.address() as AddressInfo).port;
    return f;
  }

  public readonly calls: RecordedCall[] = [];
  public port = 0;
  public slowMs = 1500;
  private readonly modes = new Map<string, Mode>();
  private readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(public readonly name: string, router: Router) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://fake');
        const query: Record<string, string> = {};
        u.searchParams.forEach((v, k) => { query[k] = v; });
        const r: Request = { method: req.method ?? '', path: decodeURIComponent(u.pathname), query, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const hit = router(r);
        const route = hit?.route ?? 'unknown';
        this.calls.push({ seq: ++seq, server: name, route, ...r });
        const send = (reply: FakeReply) => {
          if (res.writableEnded) return;
          res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain;charset=UTF-8' });
          res.end(reply.body ?? '');
        };
        if (!hit) return send({ status: 404, body: `no route ${r.method} ${r.path}` });
        const mode = this.modes.get(route) ?? Mode.OK;
        if (mode === Mode.HANG) return;
        if (mode === Mode.FAIL) return send({ status: 500, body: 'injected failure' });
        if (mode === Mode.SLOW) {
          const t = setTimeout(() => { this.timers.delete(t); send(hit.reply()); }, this.slowMs);
          this.timers.add(t);
          return;
        }
        send(hit.reply());
      });
    });
  }

  /** `http://127.0.0.1:<port>` */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  public setMode(route: string, mode: Mode): this {
    this.modes.set(route, mode);
    return this;
  }

  /** Calls to one route. */
  public callsTo(route: string): RecordedCall[] {
    return this.calls.filter(c => c.route === route);
  }

  /** Stops answering: later connections are refused. */
  public async down(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

/** Every call of several fakes in global order, as `server route` strings. */
export function callOrder(...fakes: FakeServer[]): string[] {
  return fakes.flatMap(f => f.calls).sort((a, b) => a.seq - b.seq).map(c => `${c.server} ${c.route}`);
}

export function json(status: number, body: unknown): FakeReply {
  return { status, body: JSON.stringify(body), contentType: 'application/json;charset=UTF-8' };
}
