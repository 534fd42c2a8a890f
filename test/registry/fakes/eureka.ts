/**
 * A fake Eureka server with the REST operations non-Java clients use (Netflix wiki "Eureka REST
 * operations", https://github.com/Netflix/eureka/wiki/Eureka-REST-operations; Spring Cloud serves
 * them under `/eureka` instead of `/eureka/v2`):
 *
 * - `GET /eureka/apps/{APP}/{id}`: 200 with the instance (JSON with `Accept: application/json`,
 *   else XML), 404 when there is none.
 * - `PUT /eureka/apps/{APP}/{id}/status?value=OUT_OF_SERVICE`: 200 on success (the wiki says 500 on
 *   failure; the server answers 404 for an unknown instance). The override is sticky.
 * - `DELETE /eureka/apps/{APP}/{id}`: 200 on success, 404 when unknown.
 *
 * Application names are upper case, as clients send them. With `authorization` set, calls without
 * that exact `Authorization` header answer 401 (a server behind basic auth).
 *
 * A client heartbeat can be switched on: a Eureka client renews with
 * `PUT /eureka/apps/{APP}/{id}`; when the server answers 404 (the instance was deleted), the client
 * registers again with `POST /eureka/apps/{APP}` and status UP (Netflix eureka-client
 * `DiscoveryClient#renew`: "re-registering"). The fake does that internally on a timer.
 */
import { FakeServer, json, Request } from './fake-server';

export interface EurekaInstance {
  readonly app: string;
  readonly instanceId: string;
  readonly ipAddr: string;
  readonly port: number;
  status: 'UP' | 'DOWN' | 'OUT_OF_SERVICE' | 'STARTING' | 'UNKNOWN';
}

export class FakeEureka {
  public static async start(authorization?: string): Promise<FakeEureka> {
    const e = new FakeEureka(authorization);
    e.server = await FakeServer.start('eureka', req => e.route(req));
    return e;
  }

  public server!: FakeServer;
  public instances: EurekaInstance[] = [];
  /** How many times the heartbeat registered a deleted instance again. */
  public reRegistrations = 0;
  private readonly beats: NodeJS.Timeout[] = [];

  private constructor(private readonly authorization?: string) {}

  /** A client heartbeat every `everyMs` that registers `instance` again (UP) when it was deleted, at most `max` times. */
  public heartbeat(instance: EurekaInstance, everyMs: number, max = Infinity): this {
    this.beats.push(setInterval(() => {
      if (!this.find(instance.app, instance.instanceId) && this.reRegistrations < max) {
        this.instances.push({ ...instance, status: 'UP' });
        this.reRegistrations++;
      }
    }, everyMs));
    return this;
  }

  public async down(): Promise<void> {
    this.beats.forEach(clearInterval);
    await this.server.down();
  }

  public find(app: string, id: string): EurekaInstance | undefined {
    return this.instances.find(i => i.app === app && i.instanceId === id);
  }

  private route(req: Request) {
    const m = /^\/eureka\/apps\/([^/]+)\/([^/]+)(\/status)?$/.exec(req.path);
    if (!m) return undefined;
    const [, app, id, status] = m;
    const unauthorized = () => this.authorization !== undefined && req.headers.authorization !== this.authorization;
    const deny = { status: 401, body: 'Unauthorized' };
    if (req.method === 'GET' && !status) {
      return {
        route: 'get',
        reply: () => {
          if (unauthorized()) return deny;
          const i = this.find(app, id);
          if (!i) return { status: 404, body: '' };
          const inst = { instanceId: i.instanceId, hostName: i.ipAddr, app: i.app, ipAddr: i.ipAddr, status: i.status, overriddenStatus: i.status === 'OUT_OF_SERVICE' ? 'OUT_OF_SERVICE' : 'UNKNOWN', port: { '$': i.port, '@enabled': 'true' } };
          if (String(req.headers.accept ?? '').includes('application/json')) return json(200, { instance: inst });
          return { status: 200, body: `<instance><instanceId>${i.instanceId}</instanceId><app>${i.app}</app><status>${i.status}</status></instance>`, contentType: 'application/xml' };
        },
      };
    }
    if (req.method === 'PUT' && status) {
      return {
        route: 'status',
        reply: () => {
          if (unauthorized()) return deny;
          const i = this.find(app, id);
          if (!i) return { status: 404, body: '' };
          i.status = req.query.value as EurekaInstance['status'];
          return { status: 200, body: '' };
        },
      };
    }
    if (req.method === 'DELETE' && !status) {
      return {
        route: 'delete',
        reply: () => {
          if (unauthorized()) return deny;
          const before = this.instances.length;
          this.instances = this.instances.filter(i => !(i.app === app && i.instanceId === id));
          return { status: before === this.instances.length ? 404 : 200, body: '' };
        },
      };
    }
    return undefined;
  }
}
