/**
 * A fake Nacos server (Open API v1, naming and auth), with the real paths, parameters and answers:
 *
 * - `DELETE /nacos/v1/ns/instance?serviceName=&ip=&port=` (required) plus optional `groupName`,
 *   `namespaceId`, `clusterName`, `ephemeral`; answers `ok` (text/plain), also when the service does
 *   not exist. Sources: Nacos Open API "注销实例" as mirrored at https://apifox.com/apidoc/project-1919056/api-49133360
 *   and https://blog.csdn.net/lr309283175/article/details/115483372 (with InstanceController#deregister,
 *   which returns "ok" for a missing service).
 * - `GET /nacos/v1/ns/instance/list?serviceName=` plus `groupName`, `namespaceId`, `clusters`,
 *   `healthyOnly`; answers JSON `{name, groupName, clusters, cacheMillis: 10000, hosts: [{instanceId,
 *   ip, port, weight, healthy, enabled, ephemeral, clusterName, serviceName, metadata, ...}],
 *   lastRefTime, checksum, allIPs, reachProtectionThreshold, valid}`.
 *   Source: https://apifox.com/apidoc/project-1919056/api-49133363 (example response).
 * - `POST /nacos/v1/auth/login` with form `username=&password=`; answers
 *   `{"accessToken":"...","tokenTtl":18000,"globalAdmin":...}`; later calls carry `accessToken=` as a
 *   query parameter. Sources: https://nacos.io/docs/latest/manual/user/auth (Open-API auth) and
 *   https://nacos.io/blog/faq/nacos-user-question-history14576/. With auth on, a call without a
 *   valid token answers 403.
 *
 * Field order of the host objects and pretty-printing are switchable, to prove the script's
 * matching does not depend on them.
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

  private constructor(private readonly auth?: NacosAuthConfig) {}

  public register(i: NacosInstance): this {
    this.instances.push(i);
    return this;
  }

  public has(ip: string, port: number): boolean {
    return this.instances.some(i => i.ip === ip && i.port === port);
  }

  private authorized(req: Request): boolean {
    return !this.auth || req.query.accessToken === this.auth.token;
  }

  private route(req: Request) {
    const forbidden = () => ({ status: 403, body: 'user not found!' });
    if (req.method === 'POST' && req.path === '/nacos/v1/auth/login') {
      return {
        route: 'login',
        reply: () => {
          const form = new URLSearchParams(req.body);
          if (!this.auth || form.get('username') !== this.auth.username || form.get('password') !== this.auth.password) {
            return { status: 403, body: 'unknown user!' };
          }
          return json(200, { accessToken: this.auth.token, tokenTtl: 18000, globalAdmin: false, username: this.auth.username });
        },
      };
    }
    if (req.method === 'DELETE' && req.path === '/nacos/v1/ns/instance') {
      return {
        route: 'deregister',
        reply: () => {
          if (!this.authorized(req)) return forbidden();
          const q = req.query;
          if (!q.serviceName || !q.ip || !q.port) return { status: 400, body: 'Param \'serviceName\', \'ip\' and \'port\' are required' };
          this.instances = this.instances.filter(i => !(i.serviceName === q.serviceName && (i.groupName ?? 'DEFAULT_GROUP') === (q.groupName ?? 'DEFAULT_GROUP')
            && (i.namespaceId ?? 'public') === (q.namespaceId ?? 'public') && i.ip === q.ip && String(i.port) === q.port));
          return { status: 200, body: 'ok' };
        },
      };
    }
    if (req.method === 'GET' && req.path === '/nacos/v1/ns/instance/list') {
      return {
        route: 'list',
        reply: () => {
          if (!this.authorized(req)) return forbidden();
          const q = req.query;
          if (!q.serviceName) return { status: 400, body: 'Param \'serviceName\' is required' };
          const group = q.groupName ?? 'DEFAULT_GROUP';
          const hosts = this.instances
            .filter(i => i.serviceName === q.serviceName && (i.groupName ?? 'DEFAULT_GROUP') === group && (i.namespaceId ?? 'public') === (q.namespaceId ?? 'public'))
            .map(i => this.host(i, group));
          const body = { name: `${group}@@${q.serviceName}`, groupName: group, clusters: q.clusters ?? '', cacheMillis: 10000, hosts, lastRefTime: Date.now(), checksum: 'c0ffee', allIPs: false, reachProtectionThreshold: false, valid: true };
          return { status: 200, body: JSON.stringify(body, undefined, this.pretty ? 2 : undefined), contentType: 'application/json;charset=UTF-8' };
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
      ['enabled', true],
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
