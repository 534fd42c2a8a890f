/**
 * The same script-level tests for each Nacos HTTP API the construct speaks: Open API v1, Open API
 * v2 and the 3.x admin API (fakes/nacos.ts cites the controllers each follows). For each: an
 * offline call that disables the instance is confirmed at once; a hanging offline call ends in the
 * force-remove with the login's token as a header (a token with `+`, `/`, `&` and `=` arrives
 * intact); a registry that is down is never taken as gone.
 */
import { Duration } from 'cdk8s';
import { NacosApiVersion, NacosAuth, OfflineEndpoint, Registry, RegistrySecret } from '../../src';
import { runScript } from '../script/run-script';
import { FakeApp } from './fakes/app';
import { Mode } from './fakes/fake-server';
import { FakeNacos } from './fakes/nacos';
import { fakeTracker, indexOf, nacosAuth, PASSWORD, POD_IP, scriptFor, SHORT } from './helpers';
import { LOADED_HOST_SLACK_MS } from '../util/timing';

jest.setTimeout(60_000);
const track = fakeTracker();

/** A token with every character a URL query would mangle. */
const ODD_TOKEN = 'tok+a/b&c=d';

const VERSIONS: Array<[NacosApiVersion, string]> = [[NacosApiVersion.V1, ''], [NacosApiVersion.V2, '-v2'], [NacosApiVersion.V3_ADMIN, '-v3']];

describe.each(VERSIONS)('Nacos %s', (apiVersion, suffix) => {
  const checkRoute = apiVersion === NacosApiVersion.V3_ADMIN ? 'detail-v3' : `list${suffix}`;

  test.concurrent('the app disables its instance (Spring Cloud Alibaba DOWN): confirmed gone at once, no force-remove (dash, curl)', async () => {
    const nacos = track(await FakeNacos.start());
    nacos.register({ serviceName: 'soa-test', groupName: 'SOA', ip: POD_IP, port: 8080 }).register({ serviceName: 'soa-test', groupName: 'SOA', ip: '10.1.2.4', port: 8080 });
    const app = track(await FakeApp.start(() => {
      nacos.instances = nacos.instances.map(i => (i.ip === POD_IP ? { ...i, enabled: false } : i));
    }));
    const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', groupName: 'SOA', clusterName: 'DEFAULT', port: 8080, apiVersion });
    // The offline call must go out in its phase even when the shell starts slowly on a loaded host
    // (a 1 s phase was seen to end before dash had sent it): this test is about the confirmation.
    const options = { ...SHORT, requestTimeout: Duration.seconds(3) };
    const { text } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port, status: 'DOWN' }), options);
    const r = await runScript(text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP } });
    expect(r.code).toBe(0);
    expect(r.messages).toContain('instance still registered (nacos): 0');
    expect(nacos.server.callsTo(`deregister${suffix}`)).toHaveLength(0);
    // Disabled, not deleted: out of rotation, which is what the confirmation proves.
    expect([nacos.has(POD_IP, 8080), nacos.inRotation(POD_IP, 8080), nacos.inRotation('10.1.2.4', 8080)]).toEqual([true, false, true]);
    const check = nacos.server.callsTo(checkRoute)[0];
    expect(check.query.groupName).toBe('SOA');
    if (apiVersion === NacosApiVersion.V1) expect(check.query.clusters).toBe('DEFAULT');
    else expect(check.query.clusterName).toBe('DEFAULT');
    if (apiVersion === NacosApiVersion.V3_ADMIN) expect([check.query.ip, check.query.port]).toEqual([POD_IP, '8080']);
    expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: the instance is out of Nacos/);
  });

  test.concurrent(`the app's offline call hangs: force-remove with the login's token '${ODD_TOKEN}' as a header, intact (bash, curl)`, async () => {
    const nacos = track(await FakeNacos.start({ username: 'deployer', password: PASSWORD, token: ODD_TOKEN }));
    nacos.register({ serviceName: 'soa-test', namespaceId: 'prod', ip: POD_IP, port: 8080 });
    const app = track(await FakeApp.start());
    app.server.setMode('service-registry', Mode.HANG);
    const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', namespaceId: 'prod', port: 8080, auth: nacosAuth, apiVersion });
    const { text } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }));
    const r = await runScript(text, { shell: 'bash', withPath: { http: 'curl' }, env: { POD_IP, GS_REG_NACOS_USERNAME: 'deployer', GS_REG_NACOS_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    expect(nacos.server.callsTo(apiVersion === NacosApiVersion.V3_ADMIN ? 'login-v3' : 'login')).toHaveLength(1);
    const del = nacos.server.callsTo(`deregister${suffix}`);
    expect(del).toHaveLength(1);
    expect(del[0].query).toEqual({ serviceName: 'soa-test', namespaceId: 'prod', ip: POD_IP, port: '8080' });
    expect(del[0].headers.authorization).toBe(`Bearer ${ODD_TOKEN}`);
    expect(nacos.tokensSeen.every(t => t === ODD_TOKEN)).toBe(true);
    expect(nacos.server.calls.every(c => c.query.accessToken === undefined)).toBe(true);
    expect(nacos.has(POD_IP, 8080)).toBe(false);
    expect(r.log.join('\n')).not.toContain(ODD_TOKEN);
    expect(indexOf(r.messages, /not confirmed gone: force-remove/)).toBeLessThan(indexOf(r.messages, /^Nacos: deregister this pod \(soa-test, port 8080\): ok$/));
  });

  test.concurrent('the registry is down: never taken as gone, and the wait still runs (busybox ash, curl)', async () => {
    const nacos = await FakeNacos.start();
    const url = nacos.server.url;
    await nacos.down();
    const registry = Registry.nacos({ serverUrl: url, serviceName: 'soa-test', port: 8080, apiVersion });
    const { text, plan } = scriptFor(registry, undefined, { ...SHORT, confirmTimeout: Duration.seconds(1) });
    const r = await runScript(text, { shell: 'busybox', withPath: { http: 'curl' }, env: { POD_IP } });
    expect(r.code).toBe(0);
    expect(r.messages.some(m => /: 0$/.test(m) && /still registered/.test(m))).toBe(false);
    expect(indexOf(r.messages, /^wait 2s/)).toBeGreaterThan(0);
    // The refusal is seen; the last attempt of a phase may instead find no time left on a loaded host.
    expect(r.messages.some(m => /curl: connection refused/.test(m))).toBe(true);
    expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: NOT confirmed: .*(curl: connection refused|no time left in this phase)/);
    expect(r.elapsedMs).toBeLessThanOrEqual(plan.preStopDeadline.toMilliseconds() + LOADED_HOST_SLACK_MS);
  });
});

test('a ready token from a Secret (NacosAuth.accessToken) with URL-special characters travels intact as a header (dash, curl)', async () => {
  const nacos = track(await FakeNacos.start({ username: 'u', password: 'p', token: ODD_TOKEN }));
  nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
  const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080, auth: NacosAuth.accessToken(RegistrySecret.fromSecretName('nacos-token', 'token')) });
  const r = await runScript(scriptFor(registry).text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP, GS_REG_NACOS_TOKEN: ODD_TOKEN } });
  expect(r.code).toBe(0);
  expect(nacos.server.callsTo('deregister').map(c => c.headers.authorization)).toEqual([`Bearer ${ODD_TOKEN}`]);
  expect(nacos.has(POD_IP, 8080)).toBe(false);
  expect(nacos.server.callsTo('login')).toHaveLength(0);
});
