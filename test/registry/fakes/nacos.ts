/**
 * A fake Nacos server: the naming instance API of the Open API v1 and v2 and the 3.x admin API,
 * and the login, with the real paths, parameters, answers and auth rules. Sources (alibaba/nacos,
 * read at commit 486e198, 3.x, and tags 1.4.1 and 2.2.0):
 *
 * - v1 `DELETE /nacos/v1/ns/instance?serviceName=&ip=&port=` plus optional `groupName`,
 *   `namespaceId`, `clusterName`, `ephemeral`; answers `ok` (text/plain), also for a missing service
 *   (naming/.../controllers/InstanceController.java#deregister).
 * - v1 `GET /nacos/v1/ns/instance/list?serviceName=` plus `groupName`, `namespaceId`, `clusters`,
 *   `healthyOnly`: JSON `{name, groupName, clusters, cacheMillis, hosts: [...], ...}`. Disabled
 *   instances are left out: InstanceOperatorClientImpl#listInstance selects with enableOnly = true
 *   (ServiceUtil#selectInstancesWithHealthyProtection).
 * - v2 (InstanceControllerV2, `/nacos/v2/ns/instance`): the same DELETE parameters (InstanceForm),
 *   answer `{"code":0,"message":"success","data":"ok"}`; `GET /nacos/v2/ns/instance/list` with
 *   `clusterName` (not `clusters`), answer `{"code":0,"message":"success","data":{...,"hosts":[...]}}`,
 *   disabled instances left out as in v1.
 * - 3.x admin API (InstanceControllerV3, UtilsAndCommons.INSTANCE_CONTROLLER_V3_ADMIN_PATH =
 *   `/v3/admin/ns/instance`): DELETE as v2; `GET /nacos/v3/admin/ns/instance?serviceName&ip&port...`
 *   answers `{"code":0,"message":"success","data":{ip, port, enabled, ...}}` (disabled instances
 *   included), or HTTP 404 `{"code":20004,"message":"resource not found","data":"no matched ip found!"}`
 *   (InstanceOperatorClientImpl#getInstance0 with NacosApiExceptionHandler).
 * - Login: `POST /nacos/v1/auth/login` (UserController) and `POST /nacos/v3/auth/user/login`
 *   (UserControllerV3, AuthConstants.USER_PATH) with form `username=&password=`; answer
 *   `{"accessToken":"...","tokenTtl":18000,"globalAdmin":...,"username":...}`.
 * - Auth: the token is read from the `Authorization: Bearer <token>` header first, then the
 *   `accessToken` parameter or header (NacosAuthPluginService#resolveToken with
 *   HttpIdentityContextBuilder, which reads identity names from headers and parameters; 1.x
 *   NacosAuthManager#resolveToken). Without a valid token: 403.
 *
 * A client heartbeat can be switched on: like a running Nacos client whose beat finds its
 * ephemeral instance gone (alibaba/nacos#13109), it registers the instance again.
 */
import { FakeServer, json, Request } from './fake-server';

export interface NacosInstance {
  readonly serviceName: string;
  readonly groupName?: string;
  readonly namespaceId?: string;
  readonly clusterName?: string;
  readonly ip: string;
  readonly port: number;
  readonly metadata?: Record<string, string>;
  readonly enabled?: boolean;
}

export interface NacosAuthConfig {
  readonly username: string;
  readonly password: string;
  readonly token: string;
}

export class FakeNacos {
  public static async start(auth?: NacosAuthConfig): Promise<FakeNacos> {
    const n = new FakeNacos(auth);
    n.server = await FakeServer.start('nacos', req => n.route(req));
    return n;
  }

  public server!: FakeServer;
  public instances: NacosInstance[] = [];
  /** Reverse the field order of host objects (ip after port, metadata first). */
  public reverseFields = false;
  /** Pretty-print answers with white space and line breaks. */
  public pretty = false;
  /** Every token a call presented, as received (header or parameter). */
  public readonly tokensSeen: string[] = [];
  /** How many times the heartbeat registered a deleted instance again. */
  public reRegistrations = 0;
  private readonly beats: NodeJS.Timeout[] = [];

  private constructor(private readonly auth?: NacosAuthConfig) {}

  public register(i: NacosInstance): this {
    this.instances.push(i);
    return this;
  }

  public has(ip: string, port: number): boolean {
    return this.instances.some(i => i.ip === ip && i.port === port);
  }

  /** Whether the instance is there and enabled (what clients are sent). */
  public inRotation(ip: string, port: number): boolean {
    return this.instances.some(i => i.ip === ip && i.port === port && i.enabled !== false);
  }

  /**
   * A client heartbeat every `everyMs` that registers `instance` again when it finds it gone, at
   * most `maxReRegistrations` times (a test then knows when the last one happened).
   */
  public heartbeat(instance: NacosInstance, everyMs: number, maxReRegistrations = Infinity): this {
    const t = setInterval(() => {
      if (!this.has(instance.ip, instance.port) && this.reRegistrations < maxReRegistrations) {
        this.instances.push(instance);
        this.reRegistrations++;
      }
    }, everyMs);
    this.beats.push(t);
    return this;
  }

  public async down(): Promise<void> {
    this.beats.forEach(clearInterval);
    await this.server.down();
  }

  private token(req: Request): string | undefined {
    const bearer = req.headers.authorization;
    if (typeof bearer === 'string' && bearer.startsWith('Bearer ')) return bearer.slice('Bearer '.length);
    const header = req.headers.accesstoken;
    return req.query.accessToken ?? (typeof header === 'string' ? header : undefined);
  }

  private authorized(req: Request): boolean {
    const t = this.token(req);
    if (t !== undefined) this.tokensSeen.push(t);
    return !this.auth || t === this.auth.token;
  }

  private matches(i: NacosInstance, q: Record<string, string>): boolean {
    return i.serviceName === q.serviceName && (i.groupName ?? 'DEFAULT_GROUP') === (q.groupName ?? 'DEFAULT_GROUP')
      && (i.namespaceId ?? 'public') === (q.namespaceId ?? 'public');
  }

  private route(req: Request) {
    const forbidden = () => ({ status: 403, body: 'user not found!' });
    const v = /^\/nacos\/(v1|v2)\/ns\/instance(\/list)?$/.exec(req.path) ?? /^\/nacos\/(v3)\/admin\/ns\/instance(\/list)?$/.exec(req.path);
    const wrap = (data: unknown) => json(200, { code: 0, message: 'success', data });
    if (req.method === 'POST' && (req.path === '/nacos/v1/auth/login' || req.path === '/nacos/v3/auth/user/login')) {
      return {
        route: req.path.includes('/v3/') ? 'login-v3' : 'login',
        reply: () => {
          const form = new URLSearchParams(req.body);
          if (!this.auth || form.get('username') !== this.auth.username || form.get('password') !== this.auth.password) {
            return { status: 403, body: 'unknown user!' };
          }
          return json(200, { accessToken: this.auth.token, tokenTtl: 18000, globalAdmin: false, username: this.auth.username });
        },
      };
    }
    if (!v) return undefined;
    const version = v[1];
    const suffix = version === 'v1' ? '' : `-${version}`;
    if (req.method === 'DELETE' && !v[2]) {
      return {
        route: `deregister${suffix}`,
        reply: () => {
          if (!this.authorized(req)) return forbidden();
          const q = req.query;
          if (!q.serviceName || !q.ip || !q.port) return { status: 400, body: 'Param \'serviceName\', \'ip\' and \'port\' are required' };
          this.instances = this.instances.filter(i => !(this.matches(i, q) && i.ip === q.ip && String(i.port) === q.port));
          return version === 'v1' ? { status: 200, body: 'ok' } : wrap('ok');
        },
      };
    }
    if (req.method === 'GET' && v[2] && version !== 'v3') {
      return {
        route: `list${suffix}`,
        reply: () => {
          if (!this.authorized(req)) return forbidden();
          const q = req.query;
          if (!q.serviceName) return { status: 400, body: 'Param \'serviceName\' is required' };
          const group = q.groupName ?? 'DEFAULT_GROUP';
          const hosts = this.instances
            .filter(i => this.matches(i, q) && i.enabled !== false)
            .map(i => this.host(i, group));
          const body = { name: `${group}@@${q.serviceName}`, groupName: group, clusters: q.clusters ?? q.clusterName ?? '', cacheMillis: 10000, hosts, lastRefTime: Date.now(), checksum: 'c0ffee', allIPs: false, reachProtectionThreshold: false, valid: true };
          const text = JSON.stringify(version === 'v1' ? body : { code: 0, message: 'success', data: body }, undefined, this.pretty ? 2 : undefined);
          return { status: 200, body: text, contentType: 'application/json;charset=UTF-8' };
        },
      };
    }
    if (req.method === 'GET' && !v[2] && version === 'v3') {
      return {
        route: 'detail-v3',
        reply: () => {
          if (!this.authorized(req)) return forbidden();
          const q = req.query;
          const i = this.instances.find(x => this.matches(x, q) && x.ip === q.ip && String(x.port) === q.port);
          if (!i) return json(404, { code: 20004, message: 'resource not found', data: 'no matched ip found!' });
          return wrap(this.host(i, q.groupName ?? 'DEFAULT_GROUP'));
        },
      };
    }
    return undefined;
  }

  private host(i: NacosInstance, group: string): Record<string, unknown> {
    const cluster = i.clusterName ?? 'DEFAULT';
    const fields: Array<[string, unknown]> = [
      ['instanceId', `${i.ip}#${i.port}#${cluster}#${group}@@${i.serviceName}`],
      ['ip', i.ip],
      ['port', i.port],
      ['weight', 1.0],
      ['healthy', true],
      ['enabled', i.enabled !== false],
      ['ephemeral', true],
      ['clusterName', cluster],
      ['serviceName', `${group}@@${i.serviceName}`],
      ['metadata', i.metadata ?? { 'preserved.register.source': 'SPRING_CLOUD' }],
      ['instanceHeartBeatInterval', 5000],
      ['instanceIdGenerator', 'simple'],
      ['instanceHeartBeatTimeOut', 15000],
      ['ipDeleteTimeout', 30000],
    ];
    return Object.fromEntries(this.reverseFields ? fields.reverse() : fields);
  }
}
