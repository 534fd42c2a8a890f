/**
 * The deregistration script's guarantees, measured in real shells against fakes that fail the way
 * registries do (hanging, refusing a login until late, answering 500, a client heartbeat that
 * registers the instance again):
 *
 * - the protected wait (client caches + RPC timeout) lasts at least its planned length, measured
 *   from when its timer starts to when the script returns, and the script still returns by the
 *   deadline in its header: every earlier step is bounded by its own phase end;
 * - a login that fails until late still yields a token before the force-remove's phase ends, and no
 *   call that needs the token is sent without it;
 * - a force-remove answered 500 is sent again until its phase ends and checked after; the log's
 *   outcome says what the last check found;
 * - an instance a heartbeat registers again during the wait (Nacos, Eureka) is removed again; it is
 *   absent when the wait ends.
 */
import { Duration } from 'cdk8s';
import { OfflineEndpoint, Registry } from '../../src';
import { HttpToolChoice, runScript, ShellName } from '../script/run-script';
import { FakeApp } from './fakes/app';
import { EurekaInstance, FakeEureka } from './fakes/eureka';
import { Mode } from './fakes/fake-server';
import { FakeNacos } from './fakes/nacos';
import { fakeTracker, indexOf, nacosAuth, PASSWORD, POD_IP, scriptFor, sleepRecorder, SHORT, TOKEN } from './helpers';

jest.setTimeout(60_000);
const track = fakeTracker();

/** The script with a line that writes the epoch time in ms to `file` right before it returns. */
function withExitStamp(text: string, file: string): string {
  const end = "gs_log 'done'\nexit 0\n";
  expect(text.endsWith(end)).toBe(true);
  return `${text.slice(0, -end.length)}gs_log 'done'\ndate +%s%N >'${file}'\nexit 0\n`;
}

/** How late a script may return after its header's deadline: process start and exit on a loaded machine. */
const EXIT_SLACK_MS = 500;

describe('a registry that answers 500 and then hangs cannot shorten the protected wait, and the script still returns by its deadline', () => {
  const runs: Array<[ShellName, HttpToolChoice]> = [['dash', 'curl'], ['bash', 'curl'], ['busybox', 'curl'], ['dash', 'busybox-wget'], ['bash', 'busybox-wget'], ['busybox', 'busybox-wget']];
  test.concurrent.each(runs)('%s with %s', async (shell, http) => {
    const nacos = track(await FakeNacos.start({ username: 'deployer', password: PASSWORD, token: TOKEN }));
    for (const route of ['login', 'deregister']) nacos.server.setMode(route, Mode.HANG);
    // The list answers 500 at once, then hangs: a check that starts late in its window and hangs
    // for its whole timeout (2s, longer than the 1s poll interval) is what overran a phase.
    nacos.server.setMode('list', Mode.FAIL);
    const flip = setInterval(() => {
      if (nacos.server.callsTo('list').length >= 1) nacos.server.setMode('list', Mode.HANG);
    }, 20);
    const app = track(await FakeApp.start());
    app.server.setMode('service-registry', Mode.HANG);
    const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080, auth: nacosAuth });
    const options = {
      ...SHORT,
      requestTimeout: Duration.seconds(2),
      cacheRefresh: Duration.seconds(2),
      rpcTimeout: Duration.seconds(1),
      recheckInterval: Duration.seconds(1),
    };
    // POST-only offline call, so busybox wget can send it; the DELETE then fails there with its reason.
    const { text, plan, script } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }), options);
    const waitMs = plan.phase('client-caches').bound.toMilliseconds() + plan.phase('in-flight').bound.toMilliseconds();
    expect(script.deadlineSeconds * 1000).toBe(plan.endOf('in-flight').toMilliseconds());
    const sleeps = sleepRecorder();
    try {
      const started = Date.now();
      // The script records the moment it returns (right before its final `exit 0`), so the measured
      // wait does not depend on how fast the test harness notices the exit.
      const r = await runScript(withExitStamp(text, sleeps.stampFile), {
        shell,
        withPath: { http, links: sleeps.link },
        env: { POD_IP, GS_REG_NACOS_USERNAME: 'deployer', GS_REG_NACOS_PASSWORD: PASSWORD },
      });
      expect(r.code).toBe(0);
      const ended = sleeps.exitStamp();
      // The protected wait's timer is one sleep of the whole wait; it runs to the script's end.
      const timer = sleeps.read().filter(s => s.seconds === waitMs / 1000);
      expect(timer).toHaveLength(1);
      const measuredWaitMs = ended - timer[0].atMs;
      expect(measuredWaitMs).toBeGreaterThanOrEqual(waitMs);
      // eslint-disable-next-line no-console
      console.log(`protected wait ${measuredWaitMs} ms of ${waitMs} ms; returned at ${r.elapsedMs} ms, deadline ${script.deadlineSeconds} s (${shell}, ${http})`);
      // ... and it started by its planned start (plus the clock slack the plan reserves).
      expect(timer[0].atMs - started).toBeLessThanOrEqual(plan.startOf('client-caches').toMilliseconds() + EXIT_SLACK_MS);
      expect(r.elapsedMs).toBeLessThanOrEqual(script.deadlineSeconds * 1000 + EXIT_SLACK_MS);
      expect(r.messages[r.messages.length - 1]).toBe('done');
      expect(indexOf(r.messages, /^outcome: NOT confirmed/)).toBeGreaterThan(indexOf(r.messages, /^wait 3s/));
    } finally {
      clearInterval(flip);
      sleeps.remove();
    }
  });
});

test.concurrent('Nacos login failing until t=6.6s (inside the force-remove phase) still gets a token; no DELETE goes out without it (dash, curl)', async () => {
  const nacos = track(await FakeNacos.start({ username: 'deployer', password: PASSWORD, token: TOKEN }));
  nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
  nacos.server.setMode('login', Mode.FAIL);
  const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080, auth: nacosAuth });
  // login 0-2, offline 2-4 (the DELETE itself: no app endpoint), confirm 4-6, force-remove 6-10.
  const { text, plan } = scriptFor(registry, undefined, { ...SHORT, requestTimeout: Duration.seconds(2), loginTimeout: Duration.seconds(2) });
  expect(plan.startOf('force-remove').toSeconds()).toBe(6);
  const back = setTimeout(() => nacos.server.setMode('login', Mode.OK), 6_600);
  try {
    const r = await runScript(text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP, GS_REG_NACOS_USERNAME: 'deployer', GS_REG_NACOS_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    expect(nacos.has(POD_IP, 8080)).toBe(false);
    const deletes = nacos.server.callsTo('deregister');
    expect(deletes.length).toBeGreaterThanOrEqual(1);
    // Every DELETE carried the real token: none was sent with an empty one.
    expect(deletes.every(c => c.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(nacos.server.callsTo('login').length).toBeGreaterThan(2);
    expect(r.messages).toContain('Nacos: deregister this pod (soa-test, port 8080): failed: no token, not sent (login answered HTTP 500)');
    expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: the instance is out of Nacos/);
  } finally {
    clearTimeout(back);
  }
});

test.concurrent('a force-remove answered 500 is retried until its phase end and checked after; 500 to the end is logged as NOT removed, never as done (bash, curl)', async () => {
  const nacos = track(await FakeNacos.start());
  nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
  const app = track(await FakeApp.start());
  app.server.setMode('service-registry', Mode.FAIL);
  nacos.server.setMode('deregister', Mode.FAIL);
  const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080 });
  const offline = OfflineEndpoint.springBootServiceRegistry({ port: app.server.port });
  // offline 0-2, confirm 2-4, force-remove 4-8 (request 2s: DELETE then the check, retried every 1s),
  // long enough for two attempts on a loaded machine.
  const { text } = scriptFor(registry, offline, { ...SHORT, requestTimeout: Duration.seconds(2) });
  // The first DELETE gets 500; the registry recovers right after it, so a retry is what removes it.
  const recover = setInterval(() => {
    if (nacos.server.callsTo('deregister').length >= 1) nacos.server.setMode('deregister', Mode.OK);
  }, 20);
  const r1 = await runScript(text, { shell: 'bash', withPath: { http: 'curl' }, env: { POD_IP } });
  clearInterval(recover);
  expect(nacos.server.callsTo('deregister').length).toBeGreaterThanOrEqual(2);
  expect(nacos.has(POD_IP, 8080)).toBe(false);
  expect(r1.messages).toContain('Nacos: deregister this pod (soa-test, port 8080): failed: answered HTTP 500');
  expect(r1.messages).toContain('Nacos: deregister this pod (soa-test, port 8080): ok');
  expect(r1.messages[r1.messages.length - 3]).toMatch(/^outcome: the instance is out of Nacos/);

  // 500 until the end: retried, and the log's outcome is what the last check found.
  nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
  nacos.server.setMode('deregister', Mode.FAIL);
  const before = nacos.server.callsTo('deregister').length;
  const r2 = await runScript(text, { shell: 'bash', withPath: { http: 'curl' }, env: { POD_IP } });
  expect(nacos.server.callsTo('deregister').length - before).toBeGreaterThanOrEqual(2);
  expect(nacos.has(POD_IP, 8080)).toBe(true);
  expect(r2.messages).toContain('force-remove not confirmed by the end of its phase: the instance may still be registered; the wait below checks again');
  expect(r2.messages.filter(m => m.startsWith('outcome: '))).toEqual([`outcome: NOT removed: the last check still found the instance in Nacos soa-test:8080 at ${nacos.server.url} (Nacos Open API v1)`]);
});

test.concurrent('a client heartbeat that registers the instance again during the wait is undone: absent when the wait ends (busybox ash, curl)', async () => {
  const nacos = track(await FakeNacos.start());
  const instance = { serviceName: 'soa-test', ip: POD_IP, port: 8080 };
  nacos.register(instance);
  const app = track(await FakeApp.start());
  app.server.setMode('service-registry', Mode.FAIL);
  const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080 });
  const options = { ...SHORT, cacheRefresh: Duration.seconds(4), rpcTimeout: Duration.seconds(1), recheckInterval: Duration.seconds(1) };
  const { text } = scriptFor(registry, OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }), options);
  // The client beats every 1.2s; a beat that finds the instance gone registers it again. Once: the
  // app keeps beating until its SIGTERM, which follows the preStop, so the fake must not beat after
  // the script has returned; one re-registration happens early in the 5s wait.
  nacos.heartbeat(instance, 1_200, 1);
  const r = await runScript(text, { shell: 'busybox', withPath: { http: 'curl' }, env: { POD_IP } });
  expect(r.code).toBe(0);
  expect(nacos.reRegistrations).toBe(1);
  expect(nacos.has(POD_IP, 8080)).toBe(false);
  // Each time the heartbeat brought it back, the wait's re-check removed it again and said so.
  const again = r.messages.filter(m => /^re-check: the instance is in .* again/.test(m));
  expect(again).toHaveLength(nacos.reRegistrations);
  expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: the instance is out of Nacos .* \(last check: gone\); it came back 1 time\(s\) during the wait and was removed again$/);
});

test.concurrent('Eureka with deleteInstance: a client that re-registers (UP) after the DELETE is taken out of service again during the wait (dash, curl)', async () => {
  const eureka = track(await FakeEureka.start());
  const instance: EurekaInstance = { app: 'SOA-TEST', instanceId: `${POD_IP}:soa-test:8080`, ipAddr: POD_IP, port: 8080, status: 'UP' };
  eureka.instances.push({ ...instance });
  const registry = Registry.eureka({ serverUrl: `${eureka.server.url}/eureka`, appName: 'soa-test', instanceId: '${POD_IP}:soa-test:8080', deleteInstance: true });
  const options = { ...SHORT, cacheRefresh: Duration.seconds(4), rpcTimeout: Duration.seconds(1), recheckInterval: Duration.seconds(1) };
  const { text } = scriptFor(registry, undefined, options);
  // Without an app endpoint the first step is the removal itself (out of service, then delete) at
  // t=0; the client's next renewal (1.2s later) finds it gone and registers it again, once.
  eureka.heartbeat(instance, 1_200, 1);
  const r = await runScript(text, { shell: 'dash', withPath: { http: 'curl' }, env: { POD_IP } });
  expect(r.code).toBe(0);
  expect(eureka.reRegistrations).toBe(1);
  const found = eureka.find('SOA-TEST', instance.instanceId);
  // Gone for clients at the end: deleted again, or at least out of service.
  expect(found === undefined || found.status !== 'UP').toBe(true);
  expect(r.messages.filter(m => /^re-check: the instance is in .* again/.test(m))).toHaveLength(1);
  expect(r.messages[r.messages.length - 3]).toMatch(/^outcome: the instance is out of Eureka .*it came back 1 time\(s\) during the wait and was removed again$/);
});
