/**
 * The synthesized deregistration scripts run for real against a fake Nacos (and the admin
 * controller's clean-up): dash, bash, busybox ash; curl, GNU wget, busybox wget. The other flavours
 * are in scripts-others.test.ts (two files, so jest runs them in parallel).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OfflineEndpoint, Registry } from '../../src';
import { runScript } from '../script/run-script';
import { FakeAdmin } from './fakes/admin';
import { FakeApp } from './fakes/app';
import { callOrder, Mode } from './fakes/fake-server';
import { FakeNacos } from './fakes/nacos';
import { fakeTracker, indexOf, nacosAuth, PASSWORD, POD_IP, scriptFor, TOKEN } from './helpers';

jest.setTimeout(60_000);
const track = fakeTracker();

describe('Nacos with the admin controller clean-up', () => {
  test('app offline hangs: confirm, force-remove with the pod IP and token, clean-up, then the wait; no secret in text or log (dash, curl)', async () => {
    const nacos = track(await FakeNacos.start({ username: 'deployer', password: PASSWORD, token: TOKEN }));
    const admin = track(await FakeAdmin.start());
    const app = track(await FakeApp.start());
    app.server.setMode('service-registry', Mode.HANG);
    nacos.register({ serviceName: 'soa-test', groupName: 'SOA', ip: POD_IP, port: 8080 }).register({ serviceName: 'soa-test', groupName: 'SOA', ip: '10.1.2.4', port: 8080 });
    admin.config.set(POD_IP, 'per-ip config');
    const registry = Registry.nacos({
      serverUrl: nacos.server.url,
      serviceName: 'soa-test',
      port: 8080,
      groupName: 'SOA',
      namespaceId: 'prod',
      auth: nacosAuth,
      clearConfigUrl: `${admin.server.url}/admin/config/\${POD_IP}`,
    });
    nacos.instances = nacos.instances.map(i => ({ ...i, namespaceId: 'prod' }));
    const offline = OfflineEndpoint.springBootServiceRegistry({ port: app.server.port, status: 'DOWN' });
    const { text, plan } = scriptFor(registry, offline);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TOKEN);

    const r = await runScript(text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP, GS_REG_NACOS_USERNAME: 'deployer', GS_REG_NACOS_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    const all = [...r.log, r.stdout, r.stderr].join('\n');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(encodeURIComponent(PASSWORD));

    // The calls, in order, across the servers.
    const order = callOrder(nacos.server, admin.server, app.server).filter((c, i, a) => c !== a[i - 1]);
    // The force-remove is checked again right after the DELETE.
    expect(order).toEqual(['nacos login', 'app service-registry', 'nacos list', 'nacos deregister', 'nacos list', 'admin clear-config']);
    const login = nacos.server.callsTo('login')[0];
    expect(new URLSearchParams(login.body).get('password')).toBe(PASSWORD);
    expect(JSON.parse(app.server.calls[0].body)).toEqual({ status: 'DOWN' });
    const del = nacos.server.callsTo('deregister')[0];
    // The token travels as a header, never in the URL (Nacos reads `Authorization: Bearer` first).
    expect(del.query).toEqual({ serviceName: 'soa-test', groupName: 'SOA', namespaceId: 'prod', ip: POD_IP, port: '8080' });
    expect(del.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(nacos.server.callsTo('list').every(c => c.headers.authorization === `Bearer ${TOKEN}` && c.query.accessToken === undefined && c.query.groupName === 'SOA' && c.query.namespaceId === 'prod')).toBe(true);
    expect(admin.server.callsTo('clear-config')[0].path).toBe(`/admin/config/${POD_IP}`);
    expect(nacos.has(POD_IP, 8080)).toBe(false);
    expect(nacos.has('10.1.2.4', 8080)).toBe(true);
    expect(admin.config.has(POD_IP)).toBe(false);

    // Each step logged with its outcome; the wait comes last and is not skipped.
    const m = r.messages;
    expect(indexOf(m, /^Nacos login pending: 0$/)).toBeLessThan(indexOf(m, /app: POST \/actuator\/service-registry status DOWN: failed: curl: timed out/));
    expect(indexOf(m, /instance still registered \(nacos\): deadline reached at 1/)).toBeLessThan(indexOf(m, /force-remove at the registry/));
    expect(indexOf(m, /Nacos: deregister this pod \(soa-test, port 8080\): ok/)).toBeLessThan(indexOf(m, /clear the configuration kept for this pod IP: ok/));
    expect(indexOf(m, /^wait 2s: client caches refresh \(1s\) and in-flight calls end \(1s\)/)).toBeGreaterThan(indexOf(m, /clear the configuration kept for this pod IP: ok/));
    expect(m[m.length - 3]).toMatch(/^outcome: the instance is out of Nacos soa-test:8080/);
    // login <=2s, offline 1s (hung), confirm until t=5, then the 2s wait: about 7s, inside the deadline.
    expect(r.elapsedMs).toBeGreaterThanOrEqual(6000);
    expect(r.elapsedMs).toBeLessThanOrEqual(plan.preStopDeadline.toMilliseconds() + 1500);
  });

  test('app offline works: confirmed gone at once, no force-remove; matching survives field order, white space and near-miss hosts (bash, GNU wget)', async () => {
    const nacos = track(await FakeNacos.start());
    nacos.reverseFields = true;
    nacos.pretty = true;
    const app = track(await FakeApp.start(() => {
      nacos.instances = nacos.instances.filter(i => !(i.ip === POD_IP && i.port === 8080));
    }));
    for (const [ip, port] of [[POD_IP, 8080], [POD_IP, 8081], ['10.1.2.30', 8080], [POD_IP, 80800]] as const) {
      nacos.register({ serviceName: 'soa-test', ip, port, metadata: { 'note': `ip ${POD_IP}`, 'k},{': 'v' } });
    }
    const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080 });
    const { text } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }));
    const r = await runScript(text, { shell: 'bash', withPath: { http: 'wget' }, env: { POD_IP } });
    expect(r.code).toBe(0);
    expect(r.messages).toContain('instance still registered (nacos): 0');
    expect(nacos.server.callsTo('deregister')).toHaveLength(0);
    expect(r.messages.some(x => /force-remove/.test(x))).toBe(false);
    expect(nacos.instances.map(i => `${i.ip}:${i.port}`)).toEqual([`${POD_IP}:8081`, '10.1.2.30:8080', `${POD_IP}:80800`]);
    expect(indexOf(r.messages, /^wait 2s/)).toBeGreaterThan(0);
    expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: the instance is out of/);
  });

  test('registry down: never taken as gone; force-remove fails and says why; the wait still runs; returns by the deadline (busybox ash, curl)', async () => {
    const nacos = track(await FakeNacos.start());
    const url = nacos.server.url;
    await nacos.server.down();
    const registry = Registry.nacos({ serverUrl: url, serviceName: 'soa-test', port: 8080, auth: nacosAuth });
    const { text, plan } = scriptFor(registry);
    const r = await runScript(text, { shell: 'busybox', withPath: { http: 'curl' }, env: { POD_IP, GS_REG_NACOS_USERNAME: 'u', GS_REG_NACOS_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    const m = r.messages;
    expect(m).toContain('Nacos login pending: unknown (login: curl: connection refused), retrying');
    expect(indexOf(m, /no Nacos token/)).toBeGreaterThan(0);
    // No token: the DELETE is never sent with an empty token, and the log says so.
    expect(indexOf(m, /instance still registered \(nacos\): deadline reached at unknown \(no token \(login: curl: connection refused\)\)/)).toBeGreaterThan(0);
    expect(indexOf(m, /Nacos: deregister this pod \(soa-test, port 8080\): failed: no token, not sent \(login: curl: connection refused\)/)).toBeGreaterThan(0);
    expect(indexOf(m, /^wait 2s/)).toBeGreaterThan(indexOf(m, /force-remove not confirmed/));
    expect(m[m.length - 3]).toMatch(/^outcome: NOT confirmed: .* could not tell \(last: unknown \(no token/);
    expect(m[m.length - 1]).toBe('done');
    expect(r.elapsedMs).toBeLessThanOrEqual(plan.preStopDeadline.toMilliseconds() + 1500);
    expect(r.log.join('\n')).not.toContain(PASSWORD);
  });

  test('busybox wget cannot send DELETE: the log says to add curl or GNU wget; the wait still runs', async () => {
    const nacos = track(await FakeNacos.start());
    nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
    const { text } = scriptFor(Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080 }));
    const r = await runScript(text, { shell: 'busybox', withPath: { http: 'busybox-wget' }, env: { POD_IP } });
    expect(r.code).toBe(0);
    expect(r.messages).toContain('Nacos: deregister this pod (soa-test, port 8080): failed: busybox wget sends only GET and POST: add curl or GNU wget to the image');
    // The GET check still works with busybox wget: it saw the instance.
    expect(r.messages).toContain('instance still registered (nacos): 1');
    expect(indexOf(r.messages, /^wait 2s/)).toBeGreaterThan(0);
    expect(r.messages[r.messages.length - 3]).toBe(`outcome: NOT removed: the last check still found the instance in Nacos soa-test:8080 at ${nacos.server.url} (Nacos Open API v1)`);
    expect(nacos.server.callsTo('deregister')).toHaveLength(0);
  });
});

test('hostile values run as data: a service and group name with quotes, $(...), backticks and ${...} reach Nacos byte for byte and execute nothing (dash, curl)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-reg-nasty-'));
  const marker = path.join(dir, 'pwned');
  const nasty = `soa'test $(touch ${marker}) \`touch ${marker}\` \${HOME} "x" & y=1`;
  const nacos = track(await FakeNacos.start());
  nacos.register({ serviceName: nasty, groupName: nasty, ip: POD_IP, port: 8080 });
  const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: nasty, groupName: nasty, port: 8080 });
  const r = await runScript(scriptFor(registry).text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP } });
  expect(r.code).toBe(0);
  expect(fs.existsSync(marker)).toBe(false);
  const del = nacos.server.callsTo('deregister')[0];
  expect([del.query.serviceName, del.query.groupName, del.query.ip]).toEqual([nasty, nasty, POD_IP]);
  expect(nacos.has(POD_IP, 8080)).toBe(false);
  fs.rmSync(dir, { recursive: true, force: true });
});
