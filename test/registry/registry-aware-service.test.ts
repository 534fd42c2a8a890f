import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
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
    // login 3 + offline 3 + confirm 5 + force-remove 3 + clear 3 + caches 10 + rpc 5 + stop 30 + margin 2
    expect(spec.terminationGracePeriodSeconds).toBe(64);
    expect(svc.plan.terminationGracePeriodSeconds).toBe(64);
    expect(svc.plan.preStopDeadline.toSeconds()).toBe(32);
    expect(preStopScript(app)).toContain(`gs_deadline=$((gs_start + ${svc.plan.preStopDeadline.toSeconds()}))`);
    expect(svc.plan.phases.map(p => p.name)).toEqual(['login', 'offline', 'confirm', 'force-remove', 'clear-config', 'client-caches', 'in-flight', 'stop', 'margin']);
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
      .toThrow(/^test\/soa-test: terminationGracePeriod 1m is shorter than the plan's 2m18s: offline 3s \+ confirm 5s \+ force-remove 3s \+ client-caches 1m30s \+ in-flight 5s \+ stop 30s \+ margin 2s; .*Raise terminationGracePeriod to at least 2m18s or lower cacheRefresh\.$/);
    expect(() => build({ cacheRefresh: Duration.seconds(50), rpcTimeout: Duration.seconds(10), terminationGracePeriod: Duration.seconds(60) }))
      .toThrow(/client-caches phase .* does not fit before SIGKILL at t=1m\. Raise terminationGracePeriod to at least 1m49s or lower cacheRefresh/);
    expect(() => build({ requestTimeout: Duration.millis(1500) })).toThrow(/^test\/soa-test: requestTimeout 1\.5s must be a whole number of seconds and at least 1s/);
    expect(() => build({ sidecarImage: 'curlimages/curl:8.8.0' })).toThrow(/sidecarImage is set but placement is not SIDECAR/);
    expect(() => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: '', port: 8080 })).toThrow("Registry.nacos serviceName \"\" is missing or empty. Give it, e.g. serviceName: 'soa-test'.");
    expect(() => Registry.nacos({ serverUrl: 'ftp://nacos:8848', serviceName: 'soa-test', port: 8080 })).toThrow(/Registry.nacos serverUrl 'ftp:\/\/nacos:8848' is not an http\(s\) URL/);
    expect(() => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 80800 })).toThrow(/Registry.nacos port 80800 is not a port/);
    expect(() => Registry.eureka({ serverUrl: 'http://e/eureka', appName: 'a' })).toThrow(/needs instanceId or port/);
    expect(() => Registry.custom({ offlineUrl: 'http://a/o', checkUrl: 'http://a/c', forceRemoveUrl: 'file:///etc/passwd' })).toThrow(/forceRemoveUrl 'file:\/\/\/etc\/passwd' is not an http\(s\) URL/);
    expect(() => Registry.consul({ agentUrl: 'http://a:8500', serviceId: 'x\ny' })).toThrow(/serviceId .* control character/);
    expect(() => OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'down; rm -rf /' })).toThrow(/status .* is not a registry status/);
    expect(() => RegistryHeader.of('X-Bad Header', 'v')).toThrow(/not a valid token/);
    expect(() => RegistrySecret.fromSecretName('Bad_Name', 'k')).toThrow(/not a valid Kubernetes object name/);
    // Whole messages: the factory and property, the value, the fix.
    expect(() => Registry.consul({ agentUrl: 'http://consul:8500', serviceId: '  ' }))
      .toThrow("Registry.consul serviceId \"  \" is missing or empty. Give it, e.g. serviceId: 'soa-test-8080'.");
    expect(() => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080, contextPath: 'nacos' }))
      .toThrow("Registry.nacos contextPath 'nacos' must start with '/' and use only letters, digits and '-._~/'.");
    expect(() => build({ placement: DeregistrationPlacement.SIDECAR, pollInterval: Duration.seconds(0) }))
      .toThrow(/^test\/soa-test: pollInterval 0s must be a whole number of seconds and at least 1s \(the script's timers count seconds\)\. Use Duration\.seconds\(n\)\.$/);
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
  expect(chart.inApp.plan.terminationGracePeriodSeconds).toBe(62);
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
    expect(text).toContain("gs_reg_get 'http://soa-admin/admin/instances?service=soa-test&ip='\"${POD_IP}\"'&port=8080' \"$(gs_cap 3)\" 'X-Admin-Token: '\"${GS_REG_CONFIRM_HEADER_1}\"");
    expect(text).not.toContain('/nacos/v1/ns/instance/list');
    expect(text).toContain('instance still registered (soa-admin)');
    // The offline step (no app endpoint) and the force-remove are both Nacos's own DELETE.
    expect(text.match(/gs_http DELETE 'http:\/\/nacos.soa:8848'/g)).toHaveLength(2);
    expect(svc.plan.phase('confirm').description).toBe('poll soa-admin at soa-admin until the instance is gone');
    expect(svc.plan.phase('force-remove').description).toBe('only if still there: Nacos: deregister this pod (soa-test, port 8080)');
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
      expect(svc.plan.phase('force-remove').description).toBe('only if still there: soa-admin: force-remove');
      expect(svc.script.render()).toContain("gs_http POST 'http://soa-admin/admin/instances/'\"${POD_IP}\" \"$(gs_cap 3)\" ''");
      // The first step is still the registry's own call.
      expect(svc.plan.phase('offline').description).toMatch(registry.kind === 'eureka' ? /^Eureka: take SOA-TEST/ : /^Consul: deregister service/);
    }
  });

  test('bad controller options fail with the property, the value and the fix', () => {
    expect(() => Confirmation.adminController({ checkUrl: 'soa-admin/instances' }))
      .toThrow(/Confirmation.adminController checkUrl 'soa-admin\/instances' is not an http\(s\) URL/);
    expect(() => Confirmation.adminController({ checkUrl: adminCheck, forceRemoveMethod: HttpMethod.POST }))
      .toThrow("Confirmation.adminController forceRemoveMethod POST is set without forceRemoveUrl. Give forceRemoveUrl, or drop forceRemoveMethod to keep the registry's own removal.");
    expect(() => Confirmation.adminController({ checkUrl: adminCheck, name: '' })).toThrow("Confirmation.adminController name \"\" is missing or empty. Give it, e.g. name: 'soa-admin'.");
  });
});
