/**
 * A TCP load balancer on loopback that plays a Service: each new connection goes to the next
 * routable backend (round robin); existing connections stay pinned to their backend, as conntrack
 * keeps them. A backend becomes unroutable `propagationMs` after it turns unready (or after it is
 * deleted, in endpoints mode), as kube-proxy learns of endpoint changes late. A reset on one side
 * is passed on as a reset; a clean close as a clean close.
 */
import * as net from 'net';
import { bounded } from './pod';

interface Backend {
  readonly port: number;
  routable: boolean;
  readonly stats: BackendStats;
}

/** What happened to the connections routed to one backend. */
export interface BackendStats {
  /** Connections routed to it. */
  opened: number;
  /** Closed by the backend with a FIN (a clean close). */
  closedByBackend: number;
  /** Ended by an error on the backend side (reset, refused). */
  backendErrors: number;
  /** Client bytes that arrived after the backend had closed (requests that raced a close). */
  raced: number;
}

export class Balancer {
  public port = 0;
  private readonly backends = new Map<string, Backend>();
  private readonly sockets = new Set<net.Socket>();
  private next = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: net.Server;

  public constructor(private readonly propagationMs: number) {}

  /** Adds a backend (unroutable until `setRoutable`). */
  public add(name: string, port: number): void {
    this.backends.set(name, { port, routable: false, stats: { opened: 0, closedByBackend: 0, backendErrors: 0, raced: 0 } });
  }

  /** Routes new connections to the backend (now), or stops routing (after the propagation delay). */
  public setRoutable(name: string, routable: boolean): void {
    const b = this.backends.get(name)!;
    if (routable) {
      b.routable = true;
      return;
    }
    const t = setTimeout(() => { this.timers.delete(t); b.routable = false; }, this.propagationMs);
    this.timers.add(t);
  }

  /** Whether a backend gets new connections. */
  public isRoutable(name: string): boolean {
    return this.backends.get(name)?.routable ?? false;
  }

  /** Per-backend connection outcomes. */
  public stats(name: string): BackendStats {
    return { ...this.backends.get(name)!.stats };
  }

  public async listen(): Promise<number> {
    this.server = net.createServer(client => this.accept(client));
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Stops listening and destroys every connection; bounded (at most 2s), safe to call twice. */
  public async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>(resolve => server.close(() => resolve())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    await bounded(closed, 2000);
  }

  private accept(client: net.Socket): void {
    this.track(client);
    if (!this.server) {
      client.destroy();
      return;
    }
    const routable = [...this.backends.values()].filter(b => b.routable);
    if (routable.length === 0) {
      client.resetAndDestroy();
      return;
    }
    const backend = routable[this.next++ % routable.length];
    const upstream = net.connect(backend.port, '127.0.0.1');
    this.track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    backend.stats.opened++;
    let backendClosed = false;
    upstream.once('end', () => { backendClosed = true; backend.stats.closedByBackend++; });
    client.on('data', () => { if (backendClosed) backend.stats.raced++; });
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('error', () => { backend.stats.backendErrors++; if (!client.destroyed) client.resetAndDestroy(); });
    client.on('error', () => { if (!upstream.destroyed) upstream.resetAndDestroy(); });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}
