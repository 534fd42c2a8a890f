import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { validationErrorOf } from './helpers';
import { RegistryChart } from '../../examples/registry';
import { AppWait, Confirmation, DeregistrationPlacement, GracefulShutdownChecks, HttpMethod, KubernetesVersion, NacosAuth, OfflineEndpoint, Registry, RegistryAwareService, RegistryHeader, RegistrySecret } from '../../src';
import { runScript } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

const nacos = (extra: Partial<Parameters<typeof Registry.nacos>[0]> = {}) => Registry.nacos({
  serverUrl: 'http://nacos.soa:8848',
  serviceName: 'soa-test',
  port: 8080,
  auth: NacosAuth.usernamePassword(RegistrySecret.fromSecretName('nacos-cred', 'username'), RegistrySecret.fromSecretName('nacos-cred', 'password')),
  clearConfigUrl: 'http://soa-admin.soa/admin/config/${POD_IP}',
  ...extra,
});

/** Asserts a ValidationError's parts: construct path (when built in a chart), property, value, fix. */
function expectError(make: () => unknown, parts: { path?: string; property: string; value: unknown; fix: RegExp | string }): void {
  const e = validationErrorOf(make);
  expect(e.constructPath).toBe(parts.path);
  expect(e.property).toBe(parts.property);
  expect(e.value).toEqual(parts.value);
  if (typeof parts.fix === 'string') expect(e.fix).toBe(parts.fix);
  else expect(e.fix).toMatch(parts.fix);
}

function build(props: Partial<ConstructorParameters<typeof RegistryAwareService>[2]> = {}) {
  const chart = Testing.chart();
  const svc = new RegistryAwareService(chart, 'soa-test', {
    registry: nacos(),
    offlineEndpoint: OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'DOWN' }),
    app: { image: 'registry.example.com/soa-test:1.0', portNumber: 8080 },
    ...props,
  });
  return { chart, svc };
}

describe('RegistryAwareService', () => {
  test('app-container placement: preStop script, pod IP from the downward API, credentials only as secretKeyRef, grace period from the plan', () => {
    const { chart, svc } = build();
    const objects = synthValid(chart);
    const dep = only(objects, 'Deployment');
    const spec = dep.spec.template.spec;
    expect(spec.containers.map((c: any) => c.name)).toEqual(['app']);
    const app = containerOf(dep, 'app');
    const env = Object.fromEntries(app.env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(env.POD_IP).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(env.GS_REG_NACOS_USERNAME).toEqual({ secretKeyRef: { name: 'nacos-cred', key: 'username' } });
    expect(env.GS_REG_NACOS_PASSWORD).toEqual({ secretKeyRef: { name: 'nacos-cred', key: 'password' } });
    expect(preStopScript(app)).toBe(svc.script.render());
    // login 3 + offline 3 + confirm 5 + force-remove 6 (DELETE, then the check) + clear 3 + clock slack 1
    // + caches 10 + rpc 5 + stop 30 + margin 2
    expect(spec.terminationGracePeriodSeconds).toBe(68);
    expect(svc.plan.terminationGracePeriodSeconds).toBe(68);
    expect(svc.plan.preStopDeadline.toSeconds()).toBe(36);
    expect(preStopScript(app)).toContain(`gs_deadline=$((gs_start + ${svc.plan.preStopDeadline.toSeconds()}))`);
    expect(svc.plan.phases.map(p => p.name)).toEqual(['login', 'offline', 'confirm', 'force-remove', 'clear-config', 'clock-slack', 'client-caches', 'in-flight', 'stop', 'margin']);
    // The protected wait starts where every earlier phase has ended.
    expect(svc.plan.startOf('client-caches').toSeconds()).toBe(svc.plan.endOf('clock-slack').toSeconds());
  });

  test('a secret value in a Secret object reaches the pod only by reference: absent from the Deployment YAML and the script', () => {
    const chart = Testing.chart();
    const secretValue = 'S3cr3t-Nacos-Pa55-9c1e';
    const secret = new kplus.Secret(chart, 'cred', { stringData: { password: secretValue, username: 'deployer' } });
    const svc = new RegistryAwareService(chart, 'soa-test', {
      registry: nacos({ auth: NacosAuth.usernamePassword(RegistrySecret.fromSecret(secret, 'username'), RegistrySecret.fromSecret(secret, 'password')) }),
      app: { image: 'soa-test:1' },
    });
    const objects = synthValid(chart);
    const depYaml = YAML.stringify(only(objects, 'Deployment'));
    expect(depYaml).not.toContain(secretValue);
    expect(svc.script.render()).not.toContain(secretValue);
    expect(depYaml).toContain(`name: ${secret.name}`);
  });

  test('sidecar on 1.28: the sidecar runs the script and signals through an emptyDir; the app waits for the file', async () => {
    const { chart, svc } = build({ placement: DeregistrationPlacement.SIDECAR });
    const dep = only(synthValid(chart), 'Deployment');
    const spec = dep.spec.template.spec;
    expect(spec.containers.map((c: any) => c.name)).toEqual(['app', 'registry-deregister']);
    const app = containerOf(dep, 'app');
    const side = containerOf(dep, 'registry-deregister');
    expect(preStopScript(side)).toBe(svc.script.render());
    expect(preStopScript(side)).toContain("'touch' '/var/run/graceful-shutdown/deregistered'");
    expect((app.env ?? []).map((e: any) => e.name)).not.toContain('GS_REG_NACOS_PASSWORD');
    expect(side.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['POD_IP', 'GS_REG_NACOS_PASSWORD']));
    const vol = spec.volumes.find((v: any) => v.emptyDir);
    expect(app.volumeMounts).toEqual([{ name: vol.name, mountPath: '/var/run/graceful-shutdown', readOnly: true }]);
    expect(side.volumeMounts[0]).toMatchObject({ name: vol.name, mountPath: '/var/run/graceful-shutdown' });
    // The app's wait is bounded by the same deadline and ends when the file appears.
    const wait = preStopScript(app);
    expect(wait).toContain(`gs_deadline=$((gs_start + ${svc.plan.preStopDeadline.toSeconds()}))`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-reg-'));
    const text = wait.replace(/\/var\/run\/graceful-shutdown/g, dir);
    setTimeout(() => fs.writeFileSync(`${dir}/deregistered`, ''), 1500);
    const r = await runScript(text, { shell: 'dash' });
    expect(r.messages).toContain('sidecar deregistration pending: 0');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(r.elapsedMs).toBeLessThan(5000);
  });

  test('sidecar on 1.29 stays an ordinary container (a native sidecar gets its preStop only after the app exits); 1.30 uses the sleep action', () => {
    for (const [version, appPreStop] of [
      [KubernetesVersion.V1_29, 'script'],
      [KubernetesVersion.V1_30, 'sleep'],
    ] as const) {
      const { chart, svc } = build({ placement: DeregistrationPlacement.SIDECAR, kubernetesVersion: version });
      const spec = only(synthValid(chart), 'Deployment').spec.template.spec;
      expect(spec.initContainers ?? []).toHaveLength(0);
      expect(spec.containers.map((c: any) => c.name)).toEqual(['app', 'registry-deregister']);
      const app = spec.containers[0];
      if (appPreStop === 'sleep') {
        expect(app.lifecycle.preStop).toEqual({ sleep: { seconds: svc.plan.preStopDeadline.toSeconds() } });
        expect(app.volumeMounts ?? []).toHaveLength(0);
      } else {
        expect(preStopScript(app)).toContain('sidecar deregistration pending');
      }
    }
    const { chart } = build({ placement: DeregistrationPlacement.SIDECAR, kubernetesVersion: KubernetesVersion.V1_30, appWait: AppWait.DONE_FILE });
    expect(preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'app'))).toContain('sidecar deregistration pending');
  });

  test('impossible plans fail at synthesis with the construct path, the property and the fix', () => {
    expect(() => build({ registry: Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'soa-test', port: 8080 }), terminationGracePeriod: Duration.seconds(60) }))
      .toThrow(/^test\/soa-test: terminationGracePeriod 1m is shorter than the plan's 2m22s: offline 3s \+ confirm 5s \+ force-remove 6s \+ clock-slack 1s \+ client-caches 1m30s \+ in-flight 5s \+ stop 30s \+ margin 2s; .*Raise terminationGracePeriod to at least 2m22s or lower cacheRefresh\.$/);
    expect(() => build({ cacheRefresh: Duration.seconds(50), rpcTimeout: Duration.seconds(10), terminationGracePeriod: Duration.seconds(60) }))
      .toThrow(/client-caches phase .* does not fit before SIGKILL at t=1m\. Raise terminationGracePeriod to at least 1m53s or lower cacheRefresh/);
    expect(() => build({ requestTimeout: Duration.millis(1500) }))
      .toThrow('test/soa-test: requestTimeout 1.5s must be a whole number of seconds, at least 1s (each call needs time to answer). Use Duration.seconds(n).');
    expect(() => build({ sidecarImage: 'curlimages/curl:8.8.0' })).toThrow(/sidecarImage 'curlimages\/curl:8.8.0' is set but placement is not SIDECAR/);
    expect(() => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: '', port: 8080 }))
      .toThrow("Registry.nacos serviceName '' is empty: give the service name the app registers as, e.g. 'soa-test'.");
    expect(() => Registry.nacos({ serverUrl: 'ftp://nacos:8848', serviceName: 'soa-test', port: 8080 })).toThrow(/Registry.nacos serverUrl 'ftp:\/\/nacos:8848' is not an http\(s\) URL/);
    expect(() => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 80800 })).toThrow('Registry.nacos port 80800 is out of range: use a whole number 1-65535.');
    expectError(() => Registry.eureka({ serverUrl: 'http://e/eureka', appName: 'a' }),
      { property: 'Registry.eureka port', value: undefined, fix: /^is required: give port \(e\.g\. 8080\) or instanceId/ });
    expect(() => Registry.custom({ offlineUrl: 'http://a/o', checkUrl: 'http://a/c', forceRemoveUrl: 'file:///etc/passwd' })).toThrow(/forceRemoveUrl 'file:\/\/\/etc\/passwd' is not an http\(s\) URL/);
    expectError(() => Registry.consul({ agentUrl: 'http://a:8500', serviceId: 'x\ny' }), { property: 'Registry.consul serviceId', value: 'x\ny', fix: 'contains a control character. Remove it.' });
    expect(() => OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'down; rm -rf /' })).toThrow(/status .* is not a registry status/);
    expect(() => RegistryHeader.of('X-Bad Header', 'v')).toThrow(/not a valid token/);
    expect(() => RegistrySecret.fromSecretName('Bad_Name', 'k')).toThrow(/not a valid Kubernetes object name/);
    // Whole messages: the factory and property, the value, the fix.
    expect(() => Registry.consul({ agentUrl: 'http://consul:8500', serviceId: '  ' }))
      .toThrow("Registry.consul serviceId '  ' is empty: give the service ID registered on the agent, e.g. 'soa-test-8080'.");
    expect(() => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080, contextPath: 'nacos' }))
      .toThrow("Registry.nacos contextPath 'nacos' must start with '/' and use only letters, digits and '-._~/'. Write it like contextPath: '/nacos'.");
    expect(() => build({ placement: DeregistrationPlacement.SIDECAR, pollInterval: Duration.seconds(0) }))
      .toThrow(/^test\/soa-test: pollInterval 0s must be a whole number of seconds, at least 1s \(the script polls in whole seconds; zero would skip a wait the plan promises\)\. Use Duration\.seconds\(n\)\.$/);
  });

  test('a wait the docs promise cannot be zero or negative: rpcTimeout and cacheRefresh (construct path, property, value, fix)', () => {
    expect(() => build({ rpcTimeout: Duration.seconds(0) }))
      .toThrow('test/soa-test: rpcTimeout 0s must be a whole number of seconds, at least 1s (the wait for in-flight calls runs even when a step failed; zero would skip a wait the plan promises). Use Duration.seconds(n).');
    expect(() => build({ cacheRefresh: Duration.seconds(0) }))
      .toThrow('test/soa-test: cacheRefresh 0s must be a whole number of seconds, at least 1s (the wait for client caches runs even when a step failed; zero would skip a wait the plan promises). Use Duration.seconds(n).');
    expectError(() => build({ recheckInterval: Duration.seconds(0) }), { path: 'test/soa-test', property: 'recheckInterval', value: Duration.seconds(0), fix: /at least 1s/ });
    expectError(() => build({ stopTimeout: Duration.millis(2500) }), { path: 'test/soa-test', property: 'stopTimeout', value: Duration.millis(2500), fix: /whole number of seconds/ });
  });

  test('placeholders: only ${POD_IP}, ${HOST_IP} and ${POD_NAME} are substituted; any other is a synthesis error listing them', () => {
    const supported = 'the supported placeholders are ${POD_IP}, ${HOST_IP}, ${POD_NAME}';
    expect(() => Registry.nacos({ serverUrl: 'http://${NACOS_HOST}:8848', serviceName: 'soa-test', port: 8080 }))
      .toThrow(`Registry.nacos serverUrl 'http://\${NACOS_HOST}:8848' names \${NACOS_HOST}, which is never set at run time: ${supported}. Write the value itself, or use one of those.`);
    expect(() => nacos({ clearConfigUrl: 'http://soa-admin/admin/config/${POD_IP}?env=${ENV}' })).toThrow(/Registry.nacos clearConfigUrl .* names \$\{ENV\}, which is never set at run time/);
    expectError(() => Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'soa-test', instanceId: '${HOSTNAME}:soa-test:8080' }),
      { property: 'Registry.eureka instanceId', value: '${HOSTNAME}:soa-test:8080', fix: /^names \$\{HOSTNAME\}, which is never set at run time: the supported placeholders are/ });
    expect(() => Registry.custom({ offlineUrl: 'http://a/o/${POD_IP}', checkUrl: 'http://a/c/${pod_ip}', forceRemoveUrl: 'http://a/f' })).toThrow(/Registry.custom checkUrl .* names \$\{pod_ip\}/);
    expect(() => Confirmation.adminController({ checkUrl: 'http://a/c', checkPresentText: '"ip":"${IP}"' })).toThrow(/checkPresentText .* names \$\{IP\}/);
    // A typo of a supported name is refused too, not sent as literal text.
    expect(() => Registry.custom({ offlineUrl: 'http://a/o/${POD-IP}', checkUrl: 'http://a/c', forceRemoveUrl: 'http://a/f' })).toThrow(/Registry.custom offlineUrl .* names \$\{POD-IP\}, which is never set at run time/);
    expect(() => Confirmation.adminController({ checkUrl: 'http://a/c', checkPresentText: '"ip":"${ POD_IP }"' })).toThrow(/checkPresentText .* names \$\{ POD_IP \}/);
    // The supported ones pass.
    expect(() => Registry.consul({ agentUrl: 'http://${HOST_IP}:8500', serviceId: 'soa-test-${POD_NAME}' })).not.toThrow();
  });

  test('URL errors give an example that fits the property: Eureka and Consul never suggest a Nacos URL; an empty Nacos serverUrl does not suggest an Envoy admin URL', () => {
    expect(() => Registry.nacos({ serverUrl: '', serviceName: 'soa-test', port: 8080 }))
      .toThrow("Registry.nacos serverUrl '' is not an http(s) URL with a host. Write it like 'http://nacos.soa:8848'.");
    expect(() => Registry.eureka({ serverUrl: 'eureka:8761', appName: 'soa-test', port: 8080 }))
      .toThrow("Registry.eureka serverUrl 'eureka:8761' is not an http(s) URL with a host. Write it like 'http://eureka.soa:8761/eureka'.");
    expect(() => Registry.consul({ agentUrl: 'consul 8500', serviceId: 'x' }))
      .toThrow("Registry.consul agentUrl 'consul 8500' is not an http(s) URL without white space. Write it like 'http://${HOST_IP}:8500'.");
    expect(() => OfflineEndpoint.http({ url: '' })).toThrow("OfflineEndpoint.http url '' is not an http(s) URL with a host. Write it like 'http://127.0.0.1:8080/offline'.");
    // Plain JavaScript callers can leave a URL out: the same error, naming it missing.
    expectError(() => Registry.nacos({ serviceName: 'soa-test', port: 8080 } as any),
      { property: 'Registry.nacos serverUrl', value: undefined, fix: "is not an http(s) URL without white space. Write it like 'http://nacos.soa:8848'." });
    for (const make of [
      () => Registry.eureka({ serverUrl: 'x', appName: 'a', port: 1 }),
      () => Registry.consul({ agentUrl: 'x', serviceId: 'a' }),
      () => Registry.custom({ offlineUrl: 'x', checkUrl: 'http://a/c', forceRemoveUrl: 'http://a/f' }),
      () => Confirmation.adminController({ checkUrl: 'x' }),
    ]) {
      expect(make).toThrow(/Write it like/);
      expect(make).not.toThrow(/nacos|127\.0\.0\.1:19000/);
    }
  });

  test('user values reach the script quoted or URL-encoded, never as shell syntax', () => {
    const nasty = "soa'test $(touch /tmp/pwned) `id` ${HOME}";
    const { svc } = build({
      registry: Registry.nacos({ serverUrl: 'http://nacos:8848/$(id)', serviceName: nasty, groupName: nasty, port: 8080 }),
      offlineEndpoint: OfflineEndpoint.http({ url: 'http://127.0.0.1:8080/off?x=$(id)', method: HttpMethod.POST, body: nasty }),
    });
    const text = svc.script.render();
    // encodeURIComponent keeps ' ( ) as they are; Shell.quote then writes ' as '\''.
    expect(text).toContain(`serviceName=${encodeURIComponent(nasty).replace(/'/g, "'\\''")}&groupName=`);
    expect(text).not.toContain('$(touch /tmp/pwned)\'');
    expect(text).toContain("'http://nacos:8848/$(id)'");
    expect(text).toContain('\'soa\'\\\'\'test $(touch /tmp/pwned) `id` ${HOME}\'');
  });
});

test('docs/registry.md shows the example plan as Mermaid, as plan.toMermaid() renders it', () => {
  const chart = new RegistryChart(Testing.app(), 'soa-test');
  const doc = fs.readFileSync(path.join(__dirname, '../../docs/registry.md'), 'utf8');
  expect(doc).toContain(chart.inApp.plan.toMermaid('soa-test: deregistration then SIGTERM'));
  expect(chart.inApp.plan.terminationGracePeriodSeconds).toBe(66);
});

test('the example chart passes the graceful-shutdown checks and the schema', () => {
  const chart = new RegistryChart(Testing.app(), 'soa-test');
  GracefulShutdownChecks.addTo(chart);
  const objects = synthValid(chart);
  expect(objects.filter((o: any) => o.kind === 'Deployment')).toHaveLength(2);
});

describe('Confirmation.adminController on any flavour', () => {
  const adminCheck = 'http://soa-admin/admin/instances?service=soa-test&ip=${POD_IP}&port=8080';
  const token = RegistryHeader.fromSecret('X-Admin-Token', RegistrySecret.fromSecretName('soa-admin-token', 'token'));

  test('Nacos confirmed by the controller: the check goes to the controller, the force-remove and the first step stay Nacos DELETE', () => {
    const registry = nacos({ auth: undefined, confirmation: Confirmation.adminController({ name: 'soa-admin', checkUrl: adminCheck, headers: [token] }) });
    const { chart, svc } = build({ registry, offlineEndpoint: undefined });
    const text = svc.script.render();
    expect(text).toContain("gs_reg_req GET 'http://soa-admin/admin/instances?service=soa-test&ip='\"${POD_IP}\"'&port=8080' \"$(gs_reg_cap 3)\" '' 1 'X-Admin-Token: '\"${GS_REG_CONFIRM_HEADER_1}\"");
    expect(text).not.toContain('/nacos/v1/ns/instance/list');
    expect(text).toContain('instance still registered (soa-admin)');
    // The offline step (no app endpoint), the force-remove and the re-removal during the wait are
    // all Nacos's own DELETE.
    expect(text.match(/gs_reg_req 'DELETE' 'http:\/\/nacos.soa:8848'/g)).toHaveLength(3);
    expect(svc.plan.phase('confirm').description).toBe('poll soa-admin at soa-admin until the instance is gone');
    expect(svc.plan.phase('force-remove').description).toBe('only if still there: Nacos: deregister this pod (soa-test, port 8080), then check again (retried until this phase ends)');
    const app = containerOf(only(synthValid(chart), 'Deployment'), 'app');
    expect(app.env.find((e: any) => e.name === 'GS_REG_CONFIRM_HEADER_1').valueFrom).toEqual({ secretKeyRef: { name: 'soa-admin-token', key: 'token' } });
  });

  test('with forceRemoveUrl the controller also removes; Eureka and Consul take it too', () => {
    const confirmation = Confirmation.adminController({ name: 'soa-admin', checkUrl: adminCheck, forceRemoveUrl: 'http://soa-admin/admin/instances/${POD_IP}', forceRemoveMethod: HttpMethod.POST });
    for (const registry of [
      Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'soa-test', port: 8080, confirmation }),
      Registry.consul({ agentUrl: 'http://${HOST_IP}:8500', serviceId: 'soa-test-8080', confirmation }),
    ]) {
      const { svc } = build({ registry, offlineEndpoint: undefined, cacheRefresh: Duration.seconds(5) });
      expect(svc.plan.phase('force-remove').description).toBe('only if still there: soa-admin: force-remove, then check again (retried until this phase ends)');
      expect(svc.script.render()).toContain("gs_reg_req 'POST' 'http://soa-admin/admin/instances/'\"${POD_IP}\" \"$(gs_reg_cap 3)\" '' 0");
      // The first step is still the registry's own call.
      expect(svc.plan.phase('offline').description).toMatch(registry.kind === 'eureka' ? /^Eureka: take SOA-TEST/ : /^Consul: deregister service/);
    }
  });

  test('bad controller options fail with the property, the value and the fix', () => {
    expect(() => Confirmation.adminController({ checkUrl: 'soa-admin/instances' }))
      .toThrow(/Confirmation.adminController checkUrl 'soa-admin\/instances' is not an http\(s\) URL/);
    expect(() => Confirmation.adminController({ checkUrl: adminCheck, forceRemoveMethod: HttpMethod.POST }))
      .toThrow("Confirmation.adminController forceRemoveMethod 'POST' is set without forceRemoveUrl. Give forceRemoveUrl, or drop forceRemoveMethod to keep the registry's own removal.");
    expect(() => Confirmation.adminController({ checkUrl: adminCheck, name: '' }))
      .toThrow("Confirmation.adminController name '' is empty: give what the controller is, for the log, e.g. 'soa-admin'.");
  });
});

test('credentials in calls: a synthesis-time warning that wget would carry them as arguments, unless allowCredentialsInArguments is false (then the script refuses)', () => {
  const { svc } = build();
  expect(svc.credentialWarning).toMatch(/an image with only wget passes them as wget arguments, readable in \/proc\/PID\/cmdline/);
  expect(svc.node.metadata.some(m => m.type === 'graceful-shutdown:warning' && m.data === svc.credentialWarning)).toBe(true);
  expect(svc.script.render()).toContain('gs_reg_no_argv_secrets=0');
  const strict = build({ allowCredentialsInArguments: false }).svc;
  expect(strict.credentialWarning).toBeUndefined();
  expect(strict.script.render()).toContain('gs_reg_no_argv_secrets=1');
  // No credential anywhere: no warning.
  const plain = build({ registry: Registry.consul({ agentUrl: 'http://${HOST_IP}:8500', serviceId: 'soa-test-8080' }) }).svc;
  expect(plain.credentialWarning).toBeUndefined();
  expect(() => build({ allowCredentialsInArguments: 'no' as any })).toThrow(/^test\/soa-test: allowCredentialsInArguments 'no' is not a boolean: use true or false\.$/);
});

test('the credential warning is printed at synthesis, once per process however many services have it', () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    jest.isolateModules(() => {
      // A fresh copy of the library: its once-per-process memory starts empty.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib = require('../../src') as typeof import('../../src');
      const chart = Testing.chart();
      const registry = lib.Registry.consul({ agentUrl: 'http://${HOST_IP}:8500', serviceId: 'soa-test-8080', token: lib.RegistrySecret.fromSecretName('consul', 'token') });
      new lib.RegistryAwareService(chart, 'a', { registry, app: { image: 'x' } });
      new lib.RegistryAwareService(chart, 'b', { registry, app: { image: 'x' } });
      new lib.RegistryAwareService(chart, 'c', { registry, app: { image: 'x' }, allowCredentialsInArguments: false });
    });
    const lines = warn.mock.calls.map(c => String(c[0])).filter(l => l.includes('as wget arguments'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[graceful-shutdown\] warning test\/a: registry calls carry credentials/);
  } finally {
    warn.mockRestore();
  }
});
