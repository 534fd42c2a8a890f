/**
 * A fake Consul agent with the agent service and agent health endpoints
 * (https://developer.hashicorp.com/consul/api-docs/agent/service; handlers in hashicorp/consul
 * agent/agent_endpoint.go):
 *
 * - `GET /v1/agent/health/service/id/:service_id` (AgentHealthServiceByID / agentHealthService):
 *   the aggregated status of the service's checks on this agent: 200 `passing`, 429 `warning`,
 *   503 `critical`, body `{"AggregatedStatus":...,"Service":{...},"Checks":[...]}`; 404
 *   `{"AggregatedStatus":"critical","Checks":null,"Service":null}` for an unknown ID.
 * - `PUT /v1/agent/service/maintenance/:service_id?enable=true&reason=` (AgentServiceMaintenance):
 *   maintenance mode registers a critical check `_service_maintenance:<id>` against the service
 *   (https://developer.hashicorp.com/consul/commands/maint), so its health turns critical; 404 for
 *   an unknown ID.
 * - `GET /v1/agent/service/:service_id` ("Get Service Configuration", Consul 1.3+): 200 with the
 *   service definition; 404 for an unknown ID (the agent's "unknown service ID" error).
 * - `PUT /v1/agent/service/deregister/:service_id`: 200 with an empty body; 404 "Unknown service ID
 *   ... Ensure that the service ID is passed, not the service name." for an unknown ID
 *   (hashicorp/consul agent/acl.go, vetServiceUpdateWithAuthorizer).
 * - ACLs: the token arrives in `X-Consul-Token` (hashicorp/consul agent/consul/doc.go); a missing or
 *   wrong token answers 403 "Permission denied".
 */
import { FakeServer, json, Request } from './fake-server';

export interface ConsulService {
  readonly ID: string;
  readonly Service: string;
  readonly Address: string;
  readonly Port: number;
}

export class FakeConsul {
  public static async start(token?: string): Promise<FakeConsul> {
    const c = new FakeConsul(token);
    c.server = await FakeServer.start('consul', req => c.route(req));
    return c;
  }

  public server!: FakeServer;
  public services = new Map<string, ConsulService>();
  /** Service IDs in maintenance mode. */
  public readonly maintenance = new Set<string>();

  private constructor(private readonly token?: string) {}

  private route(req: Request) {
    const denied = () => this.token !== undefined && req.headers['x-consul-token'] !== this.token;
    const deny = { status: 403, body: 'Permission denied' };
    let m = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(req.path);
    if (m && req.method === 'PUT') {
      const id = m[1];
      return {
        route: 'deregister',
        reply: () => {
          if (denied()) return deny;
          if (!this.services.delete(id)) return { status: 404, body: `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.` };
          return { status: 200, body: '' };
        },
      };
    }
    m = /^\/v1\/agent\/service\/maintenance\/(.+)$/.exec(req.path);
    if (m && req.method === 'PUT') {
      const id = m[1];
      return {
        route: 'maintenance',
        reply: () => {
          if (denied()) return deny;
          if (!this.services.has(id)) return { status: 404, body: `Unknown service ID "${id}"` };
          if (req.query.enable === 'true') this.maintenance.add(id); else this.maintenance.delete(id);
          return { status: 200, body: '' };
        },
      };
    }
    m = /^\/v1\/agent\/health\/service\/id\/(.+)$/.exec(req.path);
    if (m && req.method === 'GET') {
      const id = m[1];
      return {
        route: 'health',
        reply: () => {
          if (denied()) return deny;
          const s = this.services.get(id);
          if (!s) return json(404, { AggregatedStatus: 'critical', Checks: null, Service: null });
          const checks = [{ Node: 'node-1', CheckID: `service:${id}`, Name: `Service '${s.Service}' check`, Status: 'passing', ServiceID: id, ServiceName: s.Service }];
          if (this.maintenance.has(id)) {
            checks.push({ Node: 'node-1', CheckID: `_service_maintenance:${id}`, Name: 'Service Maintenance Mode', Status: 'critical', ServiceID: id, ServiceName: s.Service });
          }
          const status = checks.some(c => c.Status === 'critical') ? 'critical' : 'passing';
          return json(status === 'critical' ? 503 : 200, { AggregatedStatus: status, Service: { ...s, Tags: [], Meta: {} }, Checks: checks });
        },
      };
    }
    m = /^\/v1\/agent\/service\/([^/]+)$/.exec(req.path);
    if (m && req.method === 'GET') {
      const id = m[1];
      return {
        route: 'get',
        reply: () => {
          if (denied()) return deny;
          const s = this.services.get(id);
          return s ? json(200, { ...s, Tags: [], Meta: {}, Weights: { Passing: 1, Warning: 1 }, ContentHash: 'c0ffee' }) : { status: 404, body: `unknown service ID: ${id}` };
        },
      };
    }
    return undefined;
  }
}
