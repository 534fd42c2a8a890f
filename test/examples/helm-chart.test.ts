import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Duration } from 'cdk8s';
import * as YAML from 'yaml';
import { GracefulWorkload, HelmChart, ShutdownPlan } from '../../src';

/**
 * HelmChart on an app with every reference kind it scopes, rendered by a real Helm: references to
 * objects of the app follow the release prefix, references to objects the app does not define
 * (a Secret made by the platform) stay as written, and `{{` in the app's own text survives Helm.
 */
const root = path.join(__dirname, '..', '..');
let helm: string;
let tmp: string;

beforeAll(() => {
  helm = execFileSync('bash', [path.join(root, 'scripts', 'ensure-helm.sh')], { encoding: 'utf8', timeout: 300_000 }).trim();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-helm-unit-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Helm's output read as Kubernetes reads it: YAML 1.1, where `on` and `yes` are booleans. */
function renderApp(app: App, release: string): any[] {
  const dir = fs.mkdtempSync(path.join(tmp, 'chart-'));
  HelmChart.fromApp(app, { name: 'refs', version: '0.1.0' }).writeTo(dir);
  const r = spawnSync(helm, ['template', release, dir], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return YAML.parseAllDocuments(r.stdout, { version: '1.1' }).map(d => d.toJS()).filter(o => o);
}

function appWithReferences(): App {
  const app = new App({ outdir: path.join(os.tmpdir(), 'never-written') });
  const chart = new Chart(app, 'refs');
  const plan = ShutdownPlan.standard({ propagation: Duration.seconds(5), stopTimeout: Duration.seconds(10) });
  const workload = new GracefulWorkload(chart, 'api', { plan, replicas: 2 });
  workload.addContainer({ name: 'app', image: 'example/api:1', portNumber: 8080 });
  workload.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  new ApiObject(chart, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { 'template.txt': 'Hello {{ .Name }}', 'flag': 'on', 'answer': 'yes', 'zip': '0123' } });
  new ApiObject(chart, 'creds', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' } });
  new ApiObject(chart, 'sa', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner' } });
  new ApiObject(chart, 'role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader' }, rules: [] });
  new ApiObject(chart, 'binding', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'reader-binding' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'runner' }, { kind: 'User', name: 'runner' }],
  });
  new ApiObject(chart, 'job', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate' },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: 'runner',
          imagePullSecrets: [{ name: 'creds' }, { name: 'platform-pull' }],
          containers: [{
            name: 'migrate',
            image: 'example/migrate:1',
            envFrom: [{ configMapRef: { name: 'config' } }, { secretRef: { name: 'platform-db' } }],
            env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }],
          }],
          volumes: [{ name: 'cfg', configMap: { name: 'config' } }, { name: 'both', projected: { sources: [{ secret: { name: 'creds' } }] } }],
        },
      },
    },
  });
  new ApiObject(chart, 'crd', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'drains.example.com' },
    spec: { group: 'example.com', names: { kind: 'Drain', plural: 'drains' }, scope: 'Namespaced', versions: [] },
  });
  new ApiObject(chart, 'legacy', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'legacy' },
    spec: { selector: { app: 'legacy-bridge' }, ports: [{ port: 80 }] },
  });
  const service = ApiObject.of(workload.service!).name;
  new ApiObject(chart, 'ingress', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web' },
    spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }] },
  });
  const deployment = ApiObject.of(workload.deployment).name;
  new ApiObject(chart, 'hpa', {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'api' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment }, minReplicas: 2, maxReplicas: 4 },
  });
  return app;
}

test('references to objects of the app follow the release; references to other objects stay', () => {
  const objects = renderApp(appWithReferences(), 'rel');
  const find = (kind: string) => objects.find(o => o.kind === kind);
  const names = new Set(objects.map(o => `${o.kind}/${o.metadata.name}`));
  const job = find('Job').spec.template.spec;
  expect(job.serviceAccountName).toBe('rel-runner');
  expect(job.imagePullSecrets).toEqual([{ name: 'rel-creds' }, { name: 'platform-pull' }]);
  expect(job.containers[0].envFrom).toEqual([{ configMapRef: { name: 'rel-config' } }, { secretRef: { name: 'platform-db' } }]);
  expect(job.containers[0].env[0].valueFrom.secretKeyRef.name).toBe('rel-creds');
  expect(job.volumes[0].configMap.name).toBe('rel-config');
  expect(job.volumes[1].projected.sources[0].secret.name).toBe('rel-creds');
  const binding = find('RoleBinding');
  expect(binding.roleRef.name).toBe('rel-reader');
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-runner' }, { kind: 'User', name: 'runner' }]);
  const backend = find('Ingress').spec.rules[0].http.paths[0].backend.service.name;
  expect(names.has(`Service/${backend}`)).toBe(true);
  expect(names.has(`Deployment/${find('HorizontalPodAutoscaler').spec.scaleTargetRef.name}`)).toBe(true);
  expect(find('Job').spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/instance': 'rel' });
  // A Service of the app selects the release's pods; one selecting pods from elsewhere is left alone.
  const services = objects.filter(o => o.kind === 'Service');
  expect(services.find(o => o.metadata.name === 'rel-legacy').spec.selector).toEqual({ app: 'legacy-bridge' });
  expect(services.find(o => o.metadata.name !== 'rel-legacy').spec.selector).toMatchObject({ 'app.kubernetes.io/instance': 'rel' });
  // A CRD's name is <plural>.<group>: it is not the release's to change.
  expect(find('CustomResourceDefinition').metadata.name).toBe('drains.example.com');
  // The app's own `{{` is text to Helm, not a template action.
  expect(find('ConfigMap').data['template.txt']).toBe('Hello {{ .Name }}');
  // Strings that YAML 1.1 (Helm's and Kubernetes' parser) reads as booleans or octal stay strings.
  expect(find('ConfigMap').data).toMatchObject({ flag: 'on', answer: 'yes', zip: '0123' });
});

test('a long release name is shortened so that every name stays a 63-character DNS label', () => {
  const release = 'a-release-name-of-fifty-three-characters-abcdefghijkl';
  expect(release.length).toBe(53);
  const objects = renderApp(appWithReferences(), release);
  for (const o of objects.filter(x => x.kind !== 'CustomResourceDefinition')) {
    expect(o.metadata.name.length).toBeLessThanOrEqual(63);
    expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  }
  const service = objects.find(o => o.kind === 'Service');
  expect(objects.find(o => o.kind === 'Ingress').spec.rules[0].http.paths[0].backend.service.name).toBe(service.metadata.name);
});

test('values: one entry per workload with its replicas and every container image; Jobs have no replicas', () => {
  const chart = HelmChart.fromApp(appWithReferences(), { name: 'refs', version: '0.1.0' });
  expect(YAML.parse(chart.files['values.yaml'])).toEqual({
    workloads: { 'refs-api': { replicas: 2, images: { app: 'example/api:1' } }, 'refs-job': { images: { migrate: 'example/migrate:1' } } },
  });
  expect(chart.files['templates/NOTES.txt']).toContain('terminationGracePeriodSeconds: 17 (derived from the plan)');
  // Helm reads Chart.yaml as YAML 1.1: an appVersion such as 1.10 must stay the string it is.
  const versioned = HelmChart.fromApp(new App(), { name: 'refs', version: '0.1.0', appVersion: '1.10' });
  expect(YAML.parse(versioned.files['Chart.yaml'], { version: '1.1' })).toMatchObject({ version: '0.1.0', appVersion: '1.10' });
  expect(chart.files['templates/NOTES.txt']).toContain('== refs-job: Job');
});

test('bad chart options and colliding values keys fail with what to change', () => {
  expect(() => HelmChart.fromApp(new App(), { name: 'Web_Platform', version: '1.0.0' })).toThrow(/name 'Web_Platform' is not a chart name; use lowercase/);
  expect(() => HelmChart.fromApp(new App(), { name: 'web', version: '1.0' })).toThrow(/version '1.0' is not a SemVer 2 version/);
  const app = new App();
  const chart = new Chart(app, 'c');
  const pod = (_name: string) => ({ template: { spec: { containers: [{ name: 'x', image: 'x' }] } } });
  new ApiObject(chart, 'a-b', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'one' }, spec: pod('one') });
  const nested = new Chart(app, 'c-a');
  new ApiObject(nested, 'b', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'two' }, spec: pod('two') });
  expect(() => HelmChart.fromApp(app, { name: 'web', version: '1.0.0' })).toThrow(/Job two and Job one would share the values key 'c-a-b'/);
});

test("the app's validations run first, as app.synth() runs them", () => {
  const app = new App();
  const chart = new Chart(app, 'c');
  chart.node.addValidation({ validate: () => ['GS999 something disagrees'] });
  expect(() => HelmChart.fromApp(app, { name: 'web', version: '1.0.0' })).toThrow(/c: GS999 something disagrees/);
});
