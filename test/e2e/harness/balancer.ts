/**
 * A TCP load balancer on loopback that plays a Service: each new connection goes to the next
 * routable backend (round robin); existing connections stay pinned to their backend, as conntrack
 * keeps them. A backend becomes unroutable `propagationMs` after it turns unready (or after it is
 * deleted, in endpoints mode), as kube-proxy learns of endpoint changes late. A reset on one side
 * is passed on as a reset; a clean close as a clean close.
 */
import * as net from 'net';

interface Backend {
  readonly port: number;
  routable: boolean;
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
    this.backends.set(name, { port, routable: false });
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

  public async listen(): Promise<number> {
    this.server = net.createServer(client => this.accept(client));
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  public async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    this.track(client);
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
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('error', () => { if (!client.destroyed) client.resetAndDestroy(); });
    client.on('error', () => { if (!upstream.destroyed) upstream.resetAndDestroy(); });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}
