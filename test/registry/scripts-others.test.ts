/**
 * The synthesized deregistration scripts run for real against fake Eureka, Consul and admin-API
 * servers (dash, bash, busybox ash; curl, GNU wget), and every flavour's script is shellcheck clean.
 * Nacos is in scripts-nacos.test.ts (two files, so jest runs them in parallel).
 */
import { Duration } from 'cdk8s';
import { HttpMethod, NacosApiVersion, NacosAuth, OfflineEndpoint, Registry, RegistryHeader, RegistrySecret } from '../../src';
import { runScript, shellcheck } from '../script/run-script';
import { FakeAdmin } from './fakes/admin';
import { FakeApp } from './fakes/app';
import { FakeConsul } from './fakes/consul';
import { FakeEureka } from './fakes/eureka';
import { callOrder, Mode } from './fakes/fake-server';
import { fakeTracker, nacosAuth, POD_IP, scriptFor, SHORT, TOKEN } from './helpers';

jest.setTimeout(60_000);
const track = fakeTracker();

describe('Eureka, Consul and a custom admin API', () => {
  test('Eureka: out of service (and delete) with the Authorization header from the environment (dash, GNU wget)', async () => {
    const auth = 'Basic ZXVyZWthOnNla3JpdC1ldXJla2E=';
    const eureka = track(await FakeEureka.start(auth));
    eureka.instances.push({ app: 'SOA-TEST', instanceId: 'soa-test-7d9f:soa-test:8080', ipAddr: POD_IP, port: 8080, status: 'UP' });
    const registry = Registry.eureka({ serverUrl: `${eureka.server.url}/eureka`, appName: 'soa-test', port: 8080, authorization: RegistrySecret.fromSecretName('eureka', 'authorization'), deleteInstance: true });
    const { text } = scriptFor(registry);
    expect(text).not.toContain(auth);
    const r = await runScript(text, { shell: 'dash', withPath: { http: 'wget' }, env: { POD_IP, POD_NAME: 'soa-test-7d9f', GS_REG_EUREKA_AUTH: auth } });
    expect(r.code).toBe(0);
    expect(r.log.join('\n')).not.toContain('ZXVyZWth');
    expect(eureka.server.calls.map(c => `${c.method} ${c.path}${c.query.value ? `?value=${c.query.value}` : ''}`).filter((c, i, a) => c !== a[i - 1])).toEqual([
      'PUT /eureka/apps/SOA-TEST/soa-test-7d9f:soa-test:8080/status?value=OUT_OF_SERVICE',
      'DELETE /eureka/apps/SOA-TEST/soa-test-7d9f:soa-test:8080',
      'GET /eureka/apps/SOA-TEST/soa-test-7d9f:soa-test:8080',
    ]);
    expect(eureka.server.calls.every(c => c.headers.authorization === auth)).toBe(true);
    expect(eureka.server.callsTo('get')[0].headers.accept).toBe('application/json');
    expect(r.messages).toContain('instance still registered (eureka): 0');
  });

  test('Eureka check: status UP is present, OUT_OF_SERVICE is gone, a 500 is "cannot tell" (bash, curl)', async () => {
    const eureka = track(await FakeEureka.start());
    eureka.instances.push({ app: 'SOA-TEST', instanceId: `${POD_IP}:soa-test:8080`, ipAddr: POD_IP, port: 8080, status: 'UP' });
    eureka.server.setMode('status', Mode.FAIL);
    const registry = Registry.eureka({ serverUrl: `${eureka.server.url}/eureka`, appName: 'soa-test', instanceId: '${POD_IP}:soa-test:8080' });
    const r1 = await runScript(scriptFor(registry).text, { shell: 'bash', withPath: { http: 'curl' }, env: { POD_IP } });
    expect(r1.messages).toContain('Eureka: take SOA-TEST/${POD_IP}:soa-test:8080 out of service: failed: answered HTTP 500');
    expect(r1.messages).toContain('instance still registered (eureka): 1');
    eureka.server.setMode('status', Mode.OK).setMode('get', Mode.FAIL);
    const r2 = await runScript(scriptFor(registry).text, { shell: 'bash', withPath: { http: 'curl' }, env: { POD_IP } });
    expect(r2.messages).toContain('instance still registered (eureka): unknown (the check answered HTTP 500), retrying');
    expect(eureka.find('SOA-TEST', `${POD_IP}:soa-test:8080`)!.status).toBe('OUT_OF_SERVICE');
  });

  test('Consul: app offline fails, confirm sees it, PUT deregister with X-Consul-Token (busybox ash, curl)', async () => {
    const consul = track(await FakeConsul.start(TOKEN));
    const app = track(await FakeApp.start());
    app.server.setMode('service-registry', Mode.FAIL);
    consul.services.set('soa-test-8080', { ID: 'soa-test-8080', Service: 'soa-test', Address: POD_IP, Port: 8080 });
    const registry = Registry.consul({ agentUrl: consul.server.url.replace('127.0.0.1', '${HOST_IP}'), serviceId: 'soa-test-8080', token: RegistrySecret.fromSecretName('consul', 'token') });
    const { text } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }));
    const r = await runScript(text, { shell: 'busybox', withPath: { http: 'curl' }, env: { POD_IP, HOST_IP: '127.0.0.1', GS_REG_CONSUL_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    expect(r.log.join('\n')).not.toContain(TOKEN);
    // Confirmation reads the agent's health of the service; the force-remove is checked again after the PUT.
    expect(callOrder(app.server, consul.server).filter((c, i, a) => c !== a[i - 1])).toEqual(['app service-registry', 'consul health', 'consul deregister', 'consul health']);
    expect(consul.server.calls.every(c => c.headers['x-consul-token'] === TOKEN)).toBe(true);
    expect(consul.services.size).toBe(0);
    expect(r.messages).toContain('app: POST /actuator/service-registry status OUT_OF_SERVICE: failed: answered HTTP 500');
    expect(r.messages).toContain('Consul: deregister service soa-test-8080: ok');
  });

  test('custom admin API: offline slow, check 200 then force-remove, clear config, secret header (dash, GNU wget)', async () => {
    const admin = track(await FakeAdmin.start(TOKEN));
    admin.server.slowMs = 3000;
    admin.server.setMode('offline', Mode.SLOW);
    admin.instances.add(`${POD_IP}:8080`);
    admin.config.set(POD_IP, 'x');
    const base = `${admin.server.url}/admin`;
    const q = 'service=soa-test&ip=${POD_IP}&port=8080';
    const registry = Registry.custom({
      name: 'soa-admin',
      offlineUrl: `${base}/instances/offline?${q}`,
      checkUrl: `${base}/instances?${q}`,
      forceRemoveUrl: `${base}/instances?${q}`,
      clearConfigUrl: `${base}/config/\${POD_IP}`,
      headers: [RegistryHeader.fromSecret('X-Admin-Token', RegistrySecret.fromSecretName('soa-admin', 'token'))],
      clearConfigHeaders: [RegistryHeader.fromSecret('X-Admin-Token', RegistrySecret.fromSecretName('soa-admin', 'token'))],
    });
    const { text } = scriptFor(registry);
    const r = await runScript(text, { shell: 'dash', withPath: { http: 'wget' }, env: { POD_IP, GS_REG_HEADER_1: TOKEN, GS_REG_CLEAR_HEADER_1: TOKEN } });
    expect(r.code).toBe(0);
    expect(r.log.join('\n')).not.toContain(TOKEN);
    const order = callOrder(admin.server).filter((c, i, a) => c !== a[i - 1]);
    expect(order[0]).toBe('admin offline');
    // The offline call timed out at 1s, before the slow admin applied it; the check still saw the instance.
    expect(r.messages).toContain('soa-admin: offline: failed: no answer within the timeout');
    expect(order).toContain('admin clear-config');
    expect(order[order.length - 1]).toBe('admin clear-config');
    expect(admin.server.calls.every(c => c.headers['x-admin-token'] === TOKEN)).toBe(true);
    expect(admin.server.callsTo('check').every(c => c.query.ip === POD_IP)).toBe(true);
    expect(admin.config.has(POD_IP)).toBe(false);
  });
});

test('every flavour and placement script is shellcheck clean', () => {
  const secret = RegistrySecret.fromSecretName('s', 'k');
  const registries = [
    Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080, auth: nacosAuth, clearConfigUrl: 'http://admin/config/${POD_IP}' }),
    Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080, auth: NacosAuth.accessToken(secret) }),
    Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080, auth: nacosAuth, apiVersion: NacosApiVersion.V2 }),
    Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080, auth: nacosAuth, apiVersion: NacosApiVersion.V3_ADMIN }),
    Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'soa-test', port: 8080, authorization: secret, deleteInstance: true }),
    Registry.consul({ agentUrl: 'http://${HOST_IP}:8500', serviceId: 'soa-test-8080', token: secret }),
    Registry.custom({ offlineUrl: 'http://a/o?ip=${POD_IP}', checkUrl: 'http://a/c?ip=${POD_IP}', checkPresentText: '"ip":"${POD_IP}"', forceRemoveUrl: 'http://a/r', clearConfigUrl: 'http://a/cfg', clearConfigMethod: HttpMethod.POST, headers: [RegistryHeader.of('X-A', "it's"), RegistryHeader.fromSecret('X-T', secret)] }),
  ];
  for (const registry of registries) {
    for (const doneFile of [undefined, '/var/run/graceful-shutdown/deregistered']) {
      const { text } = scriptFor(registry, OfflineEndpoint.http({ url: 'http://127.0.0.1:8080/offline', method: HttpMethod.PUT, body: '{"x":"$(id)"}' }), { ...SHORT, confirmTimeout: Duration.seconds(3) }, doneFile);
      const sc = shellcheck(text);
      expect({ kind: registry.kind, out: sc.output }).toEqual({ kind: registry.kind, out: '' });
    }
  }
});

test('Consul: the app puts its service in maintenance (health critical): confirmed at once, no force-remove, the graceful shutdown ends early (dash, curl)', async () => {
  const consul = track(await FakeConsul.start(TOKEN));
  consul.services.set('soa-test-8080', { ID: 'soa-test-8080', Service: 'soa-test', Address: POD_IP, Port: 8080 });
  // Spring Cloud Consul's service-registry endpoint with OUT_OF_SERVICE enables maintenance mode.
  const app = track(await FakeApp.start(status => {
    if (status === 'OUT_OF_SERVICE') consul.maintenance.add('soa-test-8080');
  }));
  const registry = Registry.consul({ agentUrl: consul.server.url, serviceId: 'soa-test-8080', token: RegistrySecret.fromSecretName('consul', 'token') });
  const options = { ...SHORT, confirmTimeout: Duration.seconds(5) };
  const { text, plan } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }), options);
  const r = await runScript(text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP, GS_REG_CONSUL_TOKEN: TOKEN } });
  expect(r.code).toBe(0);
  expect(r.messages).toContain('instance still registered (consul): 0');
  expect(consul.server.callsTo('deregister')).toHaveLength(0);
  expect(consul.server.callsTo('health').every(c => c.headers['x-consul-token'] === TOKEN && c.path === '/v1/agent/health/service/id/soa-test-8080')).toBe(true);
  expect(consul.services.has('soa-test-8080')).toBe(true);
  // Ends about one wait (2s) after the offline call, long before the confirmation window (t=6s) closes.
  expect(r.elapsedMs).toBeLessThan(plan.endOf('confirm').toMilliseconds());
  expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: the instance is out of Consul service soa-test-8080/);
});
