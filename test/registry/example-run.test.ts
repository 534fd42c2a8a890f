/**
 * The example's own synthesized preStop (examples/registry.ts: soa-test on Nacos, confirmed through
 * the soa-admin controller, per-IP clean-up) runs for real, with only its hosts moved to local fakes.
 */
import { Testing } from 'cdk8s';
import { RegistryChart } from '../../examples/registry';
import { runScript } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';
import { FakeAdmin } from './fakes/admin';
import { FakeApp } from './fakes/app';
import { callOrder, FakeServer, Mode } from './fakes/fake-server';
import { FakeNacos } from './fakes/nacos';
import { indexOf } from './helpers';

jest.setTimeout(60_000);

const POD_IP = '10.1.2.3';
const PASSWORD = 'Example-Pw-&+ %-7d1c';
const NACOS_TOKEN = 'nacos-tok-e2a7-SEKRIT';
const ADMIN_TOKEN = 'admin-tok-51f0-SEKRIT';

const servers: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map(s => s.down()));
});

test('the example in the app container: app offline fails, soa-admin still sees it, Nacos DELETE with the pod IP and token, per-IP clean-up, then the 13s wait (dash, curl)', async () => {
  const nacos = await FakeNacos.start({ username: 'deployer', password: PASSWORD, token: NACOS_TOKEN });
  const admin = await FakeAdmin.start(ADMIN_TOKEN);
  const app = await FakeApp.start();
  servers.push(nacos.server, admin.server, app.server);
  app.server.setMode('service-registry', Mode.FAIL);
  nacos.register({ serviceName: 'soa-test', groupName: 'SOA', namespaceId: 'prod', ip: POD_IP, port: 8080 });
  nacos.register({ serviceName: 'soa-test', groupName: 'SOA', namespaceId: 'prod', ip: '10.1.2.4', port: 8080 });
  admin.fronts = (ip, port) => nacos.has(ip, port);
  admin.config.set(POD_IP, 'per-ip config').set('10.1.2.4', 'other pod');

  const chart = new RegistryChart(Testing.app(), 'soa-test');
  const deps = synthValid(chart).filter((o: any) => o.kind === 'Deployment');
  const dep = only(deps.filter((o: any) => !o.metadata.name.includes('sidecar')), 'Deployment');
  const text = preStopScript(containerOf(dep, 'soa-test'));
  expect(text).toBe(chart.inApp.script.render());
  const relocated = text
    .split('http://nacos.soa.svc.cluster.local:8848').join(nacos.server.url)
    .split('http://soa-admin.soa.svc.cluster.local:8080').join(admin.server.url)
    .split('soa-admin.soa.svc.cluster.local:8080').join(admin.server.url.replace('http://', ''))
    .split('http://127.0.0.1:8080/').join(`${app.server.url}/`);
  expect(relocated).not.toContain('svc.cluster.local');

  const r = await runScript(relocated, {
    shell: 'dash',
    withPath: { http: 'curl' },
    env: { POD_IP, GS_REG_NACOS_USERNAME: 'deployer', GS_REG_NACOS_PASSWORD: PASSWORD, GS_REG_CONFIRM_HEADER_1: ADMIN_TOKEN, GS_REG_CLEAR_HEADER_1: ADMIN_TOKEN },
  });
  expect(r.code).toBe(0);
  const all = [...r.log, r.stdout, r.stderr].join('\n');
  for (const secret of [PASSWORD, NACOS_TOKEN, ADMIN_TOKEN]) expect(all).not.toContain(secret);

  const order = callOrder(nacos.server, admin.server, app.server).filter((c, i, a) => c !== a[i - 1]);
  // The force-remove is checked again (at the controller) right after the DELETE, and again
  // during the protected wait.
  expect(order).toEqual(['nacos login', 'app service-registry', 'admin check', 'nacos deregister', 'admin check', 'admin clear-config', 'admin check']);
  expect(admin.server.callsTo('check').every(c => c.query.ip === POD_IP && c.query.port === '8080' && c.headers['x-admin-token'] === ADMIN_TOKEN)).toBe(true);
  expect(nacos.server.callsTo('deregister')[0].query).toEqual({ serviceName: 'soa-test', groupName: 'SOA', namespaceId: 'prod', ip: POD_IP, port: '8080' });
  expect(nacos.server.callsTo('deregister')[0].headers.authorization).toBe(`Bearer ${NACOS_TOKEN}`);
  expect(admin.server.callsTo('clear-config').map(c => [c.method, c.path])).toEqual([['DELETE', `/admin/config/${POD_IP}`]]);
  expect([nacos.has(POD_IP, 8080), nacos.has('10.1.2.4', 8080)]).toEqual([false, true]);
  expect([...admin.config.keys()]).toEqual(['10.1.2.4']);

  const m = r.messages;
  expect(indexOf(m, /app: POST \/actuator\/service-registry status DOWN: failed: answered HTTP 500/))
    .toBeLessThan(indexOf(m, /instance still registered \(soa-admin\): deadline reached at 1/));
  expect(indexOf(m, /not confirmed gone: force-remove at the registry/)).toBeLessThan(indexOf(m, /Nacos: deregister this pod \(soa-test, port 8080\): ok/));
  expect(indexOf(m, /clear the configuration kept for this pod IP: ok/)).toBeLessThan(indexOf(m, /^wait 13s: client caches refresh \(10s\) and in-flight calls end \(3s\)/));
  expect(m[m.length - 3]).toMatch(/^outcome: the instance is out of soa-admin at /);
  // Login and offline take milliseconds; the confirmation polls until t=11 (its window), the
  // force-remove and clean-up take milliseconds, then 13s: about 24s, inside the 34s deadline.
  expect(r.elapsedMs).toBeGreaterThanOrEqual(13_000 + 4_000);
  expect(r.elapsedMs).toBeLessThanOrEqual(chart.inApp.plan.preStopDeadline.toMilliseconds() + 1500);
});
