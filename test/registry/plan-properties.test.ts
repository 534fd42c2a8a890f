/**
 * Invariants of the registry plan and script over generated props (fast-check): the protected wait
 * is reserved in the plan and every earlier step is bounded before it; the script's timer is the
 * whole wait; the deadline is the wait's end; no token ever goes into a URL. And the placeholder
 * rule: a `${NAME}` in a URL is accepted exactly when NAME is one the script reads at run time.
 */
import { Duration, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { Confirmation, NacosApiVersion, NacosAuth, OfflineEndpoint, Registry, RegistryAwareService, RegistryHeader, RegistrySecret } from '../../src';

const secret = RegistrySecret.fromSecretName('s', 'k');

const registryArb = fc.oneof(
  fc.record({
    api: fc.constantFrom(NacosApiVersion.V1, NacosApiVersion.V2, NacosApiVersion.V3_ADMIN),
    auth: fc.constantFrom('none', 'login', 'token'),
    clear: fc.boolean(),
  }).map(o => Registry.nacos({
    serverUrl: 'http://nacos.soa:8848',
    serviceName: 'soa-test',
    port: 8080,
    apiVersion: o.api,
    auth: o.auth === 'none' ? undefined : o.auth === 'login' ? NacosAuth.usernamePassword(secret, secret) : NacosAuth.accessToken(secret),
    clearConfigUrl: o.clear ? 'http://soa-admin/admin/config/${POD_IP}' : undefined,
  })),
  fc.boolean().map(del => Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'soa-test', port: 8080, authorization: secret, deleteInstance: del })),
  fc.boolean().map(ctl => Registry.consul({
    agentUrl: 'http://${HOST_IP}:8500',
    serviceId: 'soa-test-8080',
    token: secret,
    confirmation: ctl ? Confirmation.adminController({ checkUrl: 'http://soa-admin/i?ip=${POD_IP}', headers: [RegistryHeader.fromSecret('X-T', secret)] }) : undefined,
  })),
  fc.constant(Registry.custom({ offlineUrl: 'http://a/o?ip=${POD_IP}', checkUrl: 'http://a/c?ip=${POD_IP}', forceRemoveUrl: 'http://a/r?ip=${POD_IP}' })),
);

const secs = (min: number, max: number) => fc.integer({ min, max }).map(n => Duration.seconds(n));

test('for any flavour and timings: the protected wait is reserved, every earlier step ends before it, the timer is the whole wait, the deadline is its end', () => {
  fc.assert(fc.property(
    registryArb,
    fc.record({
      requestTimeout: secs(1, 5),
      confirmTimeout: secs(1, 10),
      loginTimeout: secs(1, 5),
      cacheRefresh: secs(1, 120),
      rpcTimeout: secs(1, 30),
      stopTimeout: secs(0, 60),
      margin: secs(0, 5),
      pollInterval: secs(1, 3),
      recheckInterval: secs(1, 10),
    }),
    fc.boolean(),
    (registry, timings, withOffline) => {
      const svc = new RegistryAwareService(Testing.chart(), 'svc', {
        registry,
        app: { image: 'x' },
        ...timings,
        offlineEndpoint: withOffline ? OfflineEndpoint.springBootServiceRegistry({ port: 8080 }) : undefined,
      });
      const plan = svc.plan;
      const s = (d: Duration) => d.toSeconds();
      const waitStart = s(plan.startOf('client-caches'));
      expect(s(plan.endOf('clock-slack'))).toBe(waitStart);
      expect(s(plan.phase('clock-slack').bound)).toBe(1);
      const names = plan.phases.map(p => p.name);
      for (const name of names.slice(0, names.indexOf('clock-slack'))) expect(s(plan.endOf(name))).toBeLessThanOrEqual(waitStart - 1);
      const wait = s(timings.cacheRefresh) + s(timings.rpcTimeout);
      expect(svc.script.deadlineSeconds).toBe(waitStart + wait);
      const text = svc.script.render();
      expect(text.split(`\nsleep ${wait} &\n`).length - 1 + text.split(`\n    sleep ${wait} &\n`).length - 1 + text.split(`\n  sleep ${wait} &\n`).length - 1).toBe(1);
      // Every step's phase end, as the script computes it, is before the wait's reserved start.
      const ends = [...text.matchAll(/gs_reg_until=\$\(\(gs_start \+ (\d+)\)\)/g)].map(m => Number(m[1]));
      expect(ends.length).toBeGreaterThanOrEqual(2);
      for (const e of ends) expect(e).toBeLessThanOrEqual(waitStart - 1);
      expect(text).not.toContain('accessToken=');
      // Registry calls reach curl only through a config on stdin.
      const curlLines = text.split('\n').filter(l => /gs_reg_b=\$\(.*curl /.test(l));
      expect(curlLines.length).toBe(1);
      expect(curlLines[0]).toMatch(/\| curl -sS --max-time "\$gs_rq_t" -X "\$gs_rq_m" -w "\$gs_reg_nl%\{http_code\}" -K - 2>\/dev\/null\)/);
      expect(text).not.toMatch(/gs_http (GET|POST|PUT|DELETE) /);
    },
  ), { numRuns: 60 });
});

test('a ${NAME} in a URL is accepted exactly when the script reads NAME at run time (POD_IP, HOST_IP, POD_NAME)', () => {
  const supported = ['POD_IP', 'HOST_IP', 'POD_NAME'];
  fc.assert(fc.property(
    fc.oneof(fc.constantFrom(...supported), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/)),
    name => {
      const make = () => Registry.custom({ offlineUrl: `http://admin/o/\${${name}}`, checkUrl: 'http://admin/c', forceRemoveUrl: 'http://admin/r' });
      if (supported.includes(name)) {
        expect(make).not.toThrow();
      } else {
        expect(make).toThrow(`Registry.custom offlineUrl 'http://admin/o/\${${name}}' names \${${name}}, which is never set at run time: the supported placeholders are \${POD_IP}, \${HOST_IP}, \${POD_NAME}.`);
      }
    },
  ), { numRuns: 200 });
});
