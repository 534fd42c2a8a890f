/**
 * A dependency that misbehaves on cue, for the invariant harness: an HTTP server on 127.0.0.1 that
 * answers as told, refuses (port closed), drops connections, hangs, answers 500, garbage or an
 * empty body, answers slowly, or recovers after a while. It records every request with its
 * arrival time (ms since `start`).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { freePort } from '../util/free-port';

export type Fault =
  | { kind: 'ok' }
  | { kind: 'down' }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'status-500' }
  | { kind: 'garbage' }
  | { kind: 'empty' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'recovering'; from: 'down' | 'hang' | 'status-500'; afterMs: number };

export interface FaultRequest {
  readonly method: string;
  readonly path: string;
  readonly arrivedMs: number;
}

export class FaultServer {
  public readonly requests: FaultRequest[] = [];
  public port = 0;
  private server?: http.Server;
  private started = Date.now();
  private mode: Fault = { kind: 'ok' };
  private timer?: NodeJS.Timeout;

  /** `body` is what a healthy answer carries. */
  public constructor(private readonly body = 'ok\n') {}

  /** Starts with `fault` in force (a `down` server takes a free port and does not listen on it). */
  public async start(fault: Fault): Promise<void> {
    this.started = Date.now();
    this.mode = fault;
    if (fault.kind === 'down' || (fault.kind === 'recovering' && fault.from === 'down')) {
      this.port = await freePort();
    } else {
      await this.listen();
    }
    if (fault.kind === 'recovering') {
      this.timer = setTimeout(() => {
        this.mode = { kind: 'ok' };
        if (!this.server) void this.listen();
      }, fault.afterMs);
    }
  }

  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  public async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>(resolve => s.close(() => resolve()));
    }
  }

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', arrivedMs: Date.now() - this.started });
      req.resume();
      req.on('end', () => this.answer(req, res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const m = this.mode;
    const kind = m.kind === 'recovering' ? m.from : m.kind;
    switch (kind) {
      case 'hang': return;
      case 'reset': return void req.socket.destroy();
      case 'status-500': res.writeHead(500); return void res.end('internal error\n');
      case 'garbage': res.writeHead(200, { 'content-type': 'text/html' }); return void res.end('<html>\x00\x01 not what you asked for</html>');
      case 'empty': res.writeHead(200); return void res.end();
      case 'slow': return void setTimeout(() => { res.writeHead(200); res.end(this.body); }, (m as { delayMs: number }).delayMs);
      default: res.writeHead(200); return void res.end(this.body);
    }
  }
}
