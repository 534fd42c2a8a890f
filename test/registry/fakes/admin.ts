/**
 * A fake in-house admin controller of the field case: it fronts the registry for a platform team
 * and keeps configuration per instance IP. There is no public spec (it is the company's own API);
 * the paths model the field write-up: take an instance offline, tell present (200) from gone
 * (404), force-remove it, and clear the configuration kept for its IP.
 *
 * - `POST /admin/instances/offline?service=&ip=&port=` → 200 `ok`
 * - `GET /admin/instances?service=&ip=&port=` → 200 JSON when registered, 404 when not
 * - `DELETE /admin/instances?service=&ip=&port=` → 200 `ok`
 * - `DELETE /admin/config/{ip}` → 200 `ok` (removes the per-IP configuration)
 *
 * With `token` set, calls without `X-Admin-Token: <token>` answer 401. With `fronts` set, the check
 * answers from the registry behind the controller (the field case: the controller fronts Nacos)
 * instead of its own `instances`.
 */
import { FakeServer, json, Request } from './fake-server';

export class FakeAdmin {
  public static async start(token?: string): Promise<FakeAdmin> {
    const a = new FakeAdmin(token);
    a.server = await FakeServer.start('admin', req => a.route(req));
    return a;
  }

  public server!: FakeServer;
  /** Registered `ip:port` of the service. */
  public instances = new Set<string>();
  /** Configuration kept per IP. */
  public config = new Map<string, string>();
  /** When set, the check asks this (the registry the controller fronts) whether `ip:port` is there. */
  public fronts?: (ip: string, port: number) => boolean;

  private constructor(private readonly token?: string) {}

  private route(req: Request) {
    const denied = () => this.token !== undefined && req.headers['x-admin-token'] !== this.token;
    const guard = (f: () => { status: number; body?: string }) => () => (denied() ? { status: 401, body: 'no token' } : f());
    const key = `${req.query.ip}:${req.query.port}`;
    if (req.path === '/admin/instances/offline' && req.method === 'POST') {
      return { route: 'offline', reply: guard(() => { this.instances.delete(key); return { status: 200, body: 'ok' }; }) };
    }
    if (req.path === '/admin/instances' && req.method === 'GET') {
      return { route: 'check', reply: guard(() => ((this.fronts ? this.fronts(String(req.query.ip), Number(req.query.port)) : this.instances.has(key)) ? json(200, { service: req.query.service, ip: req.query.ip, port: Number(req.query.port) }) : { status: 404, body: 'not found' })) };
    }
    if (req.path === '/admin/instances' && req.method === 'DELETE') {
      return { route: 'remove', reply: guard(() => { this.instances.delete(key); return { status: 200, body: 'ok' }; }) };
    }
    const m = /^\/admin\/config\/([^/]+)$/.exec(req.path);
    if (m && req.method === 'DELETE') {
      return { route: 'clear-config', reply: guard(() => { this.config.delete(m[1]); return { status: 200, body: 'ok' }; }) };
    }
    return undefined;
  }
}
