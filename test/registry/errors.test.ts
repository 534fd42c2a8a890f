import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import {
  Confirmation, HttpMethod, NacosApiVersion, OfflineEndpoint, Registry, RegistryAwareService, RegistrySecret,
} from '../../src';
import { PLACEHOLDER_NAMES, ValidationError } from '../../src/core';

// Every bad registry option fails where it is given with a ValidationError: the property (the
// factory and the option), the value as given, and a fix; inside a RegistryAwareService also the
// construct path. Plain JavaScript callers reach these too (no type checker stops them).

function errorOf(make: () => unknown): ValidationError {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('no error was thrown');
}

const js = (o: unknown): any => o;
const nacos = { serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080 };

test.each([
  ['Registry.nacos contextPath', () => Registry.nacos({ ...nacos, contextPath: 'nacos' }), 'nacos', /^must start with '\/'.*Write it like contextPath: '\/nacos'\.$/],
  ['Registry.nacos apiVersion', () => Registry.nacos({ ...nacos, apiVersion: js('v9') }), 'v9', /NacosApiVersion\.V1, NacosApiVersion\.V2 or NacosApiVersion\.V3_ADMIN/],
  ['Registry.nacos serviceName', () => Registry.nacos(js({ serverUrl: 'http://nacos:8848', port: 8080 })), undefined, /^is required: give the service name .*'soa-test'/],
  ['Registry.nacos port', () => Registry.nacos({ ...nacos, port: 0 }), 0, /1-65535/],
  ['Registry.nacos groupName', () => Registry.nacos({ ...nacos, groupName: ' ' }), ' ', /^is empty: .*'DEFAULT_GROUP'/],
  ['Registry.eureka appName', () => Registry.eureka(js({ serverUrl: 'http://e:8761/eureka', port: 8080 })), undefined, /^is required: give the application name/],
  ['Registry.custom checkUrl', () => Registry.custom({ offlineUrl: 'http://a/o', checkUrl: 'a/c', forceRemoveUrl: 'http://a/f' }), 'a/c',
    "is not an http(s) URL with a host. Write it like 'http://soa-admin.soa:8080/admin/instances/${POD_IP}:8080'."],
  ['Registry.custom name', () => Registry.custom({ name: '', offlineUrl: 'http://a/o', checkUrl: 'http://a/c', forceRemoveUrl: 'http://a/f' }), '', /^is empty: give what the admin API is/],
  ['Confirmation.adminController forceRemoveMethod', () => Confirmation.adminController({ checkUrl: 'http://a/c', forceRemoveMethod: HttpMethod.PUT }), 'PUT', /^is set without forceRemoveUrl\. Give forceRemoveUrl/],
  ['OfflineEndpoint.springBootServiceRegistry status', () => OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'down; id' }), 'down; id', /^is not a registry status: use e\.g\. 'OUT_OF_SERVICE' or 'DOWN'\.$/],
  ['OfflineEndpoint.springBootServiceRegistry path', () => OfflineEndpoint.springBootServiceRegistry({ port: 8080, path: 'actuator' }), 'actuator', /^must start with '\/'/],
  ['OfflineEndpoint.springBootServiceRegistry port', () => OfflineEndpoint.springBootServiceRegistry({ port: 65536 }), 65536, /1-65535/],
  ['RegistrySecret.fromSecretName name', () => RegistrySecret.fromSecretName('Bad_Name', 'k'), 'Bad_Name', /Kubernetes object name.*'nacos-cred'/],
  ['RegistrySecret key', () => RegistrySecret.fromSecretName('cred', 'a b'), 'a b', /Secret data key/],
])('%s: a ValidationError with the property, the value and the fix', (property, make, value, fix) => {
  const e = errorOf(make as () => unknown);
  expect(e.property).toBe(property);
  expect(e.value).toEqual(value);
  if (typeof fix === 'string') expect(e.fix).toBe(fix);
  else expect(e.fix).toMatch(fix as RegExp);
  expect(e.message).toBe(`${property} ${value === undefined ? '(missing)' : typeof value === 'string' ? `'${value}'` : value} ${e.fix}`);
});

test('inside a RegistryAwareService: the construct path too, for props plain JavaScript leaves out', () => {
  const chart = Testing.chart();
  const registry = Registry.nacos(nacos);
  const noImage = errorOf(() => new RegistryAwareService(chart, 'svc', js({ registry, app: {} })));
  expect([noImage.constructPath, noImage.property, noImage.value]).toEqual(['test/svc', 'app.image', undefined]);
  expect(noImage.message).toMatch(/^test\/svc: app\.image \(missing\) is required: give the app container's image/);
  const noRegistry = errorOf(() => new RegistryAwareService(chart, 'svc2', js({ app: { image: 'a:1' } })));
  expect([noRegistry.constructPath, noRegistry.property]).toEqual(['test/svc2', 'registry']);
  expect(noRegistry.fix).toMatch(/Registry\.nacos\(\.\.\.\)/);
});

test('an unsupported ${NAME} in any user string of any factory names that option and lists every supported placeholder', () => {
  const options: Array<[string, (text: string) => unknown]> = [
    ['Registry.nacos serverUrl', t => Registry.nacos({ ...nacos, serverUrl: `http://${t}:8848` })],
    ['Registry.nacos clearConfigUrl', t => Registry.nacos({ ...nacos, clearConfigUrl: `http://admin/${t}` })],
    ['Registry.eureka instanceId', t => Registry.eureka({ serverUrl: 'http://e:8761/eureka', appName: 'a', instanceId: `${t}:a:8080` })],
    ['Registry.consul serviceId', t => Registry.consul({ agentUrl: 'http://consul:8500', serviceId: `a-${t}` })],
    ['Registry.custom checkPresentText', t => Registry.custom({ offlineUrl: 'http://a/o', checkUrl: 'http://a/c', forceRemoveUrl: 'http://a/f', checkPresentText: t })],
    ['Confirmation.adminController forceRemoveUrl', t => Confirmation.adminController({ checkUrl: 'http://a/c', forceRemoveUrl: `http://a/${t}` })],
    ['OfflineEndpoint.http url', t => OfflineEndpoint.http({ url: `http://127.0.0.1:8080/${t}` })],
  ];
  fc.assert(fc.property(
    fc.constantFrom(...options),
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter(n => !PLACEHOLDER_NAMES.includes(n)),
    ([property, make], name) => {
      const e = errorOf(() => make(`\${${name}}`));
      expect(e.property).toBe(property);
      expect(String(e.value)).toContain(`\${${name}}`);
      expect(e.fix).toContain(`names \${${name}}, which is never set at run time`);
      for (const supported of PLACEHOLDER_NAMES) expect(e.fix).toContain(`\${${supported}}`);
      // The supported ones pass in the same place.
      for (const supported of PLACEHOLDER_NAMES) expect(() => make(`\${${supported}}`)).not.toThrow();
    },
  ), { numRuns: 150 });
});

test('NacosApiVersion values all pass', () => {
  for (const apiVersion of Object.values(NacosApiVersion)) expect(() => Registry.nacos({ ...nacos, apiVersion })).not.toThrow();
});
