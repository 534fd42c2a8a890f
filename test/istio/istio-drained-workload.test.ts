import * as fs from 'fs';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { HttpMethod, IstioDrainedWorkload, IstioDrainedWorkloadProps, IstioProtocol, IstioVersion, KubernetesVersion } from '../../src';
import { trimDeclaredProxy } from '../../src/istio/proxy-trim';
import { shellcheck } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

const BASE: IstioDrainedWorkloadProps = {
  istioVersion: IstioVersion.V1_22,
  image: 'ghcr.io/example/orders:2.3.1',
  ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'web' }, { port: 9090, protocol: IstioProtocol.GRPC }],
};

function build(props: Partial<IstioDrainedWorkloadProps> = {}) {
  const chart = Testing.chart();
  const w = new IstioDrainedWorkload(chart, 'orders', { ...BASE, ...props });
  const objects = synthValid(chart);
  const dep = only(objects, 'Deployment');
  const pod = dep.spec.template;
  return { chart, w, objects, dep, pod, proxyConfig: parse(pod.metadata.annotations['proxy.istio.io/config']) };
}

function buildError(props: Partial<IstioDrainedWorkloadProps>): string {
  const chart = Testing.chart();
  try {
    new IstioDrainedWorkload(chart, 'orders', { ...BASE, ...props });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('IstioDrainedWorkload: the field case (proxy drains for 60s)', () => {
  const props: Partial<IstioDrainedWorkloadProps> = {
    propagation: Duration.seconds(10),
    shutdownEndpoint: { path: '/admin/shutdown', port: 8080, timeout: Duration.seconds(5) },
    appShutdownTimeout: Duration.seconds(20),
    terminationDrainDuration: Duration.seconds(60),
  };

  test('proxy.istio.io/config is YAML with terminationDrainDuration from the drain phase', () => {
    const { proxyConfig, w } = build(props);
    expect(proxyConfig).toEqual({ terminationDrainDuration: '60s' });
    expect(w.plan.phase('proxy-drain').bound.toSeconds()).toBe(60);
    // The public property is exactly the annotation's text.
    expect(parse(w.proxyConfig)).toEqual(proxyConfig);
  });

  test('grace period = propagation + shutdown call + app stop + drain + margin, derived', () => {
    const { pod, w } = build(props);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(10 + 5 + 20 + 60 + 2);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(w.plan.terminationGracePeriodSeconds);
    expect(w.plan.phases.map(p => p.name)).toEqual(['propagate', 'app-shutdown', 'stop', 'proxy-drain', 'margin']);
    const planAnnotation = JSON.parse(pod.metadata.annotations['graceful-shutdown.cdk8s.io/plan']);
    expect(planAnnotation.phases.map((p: any) => [p.name, p.start, p.end])).toEqual([
      ['propagate', 0, 10], ['app-shutdown', 10, 15], ['stop', 15, 35], ['proxy-drain', 35, 95], ['margin', 95, 97],
    ]);
  });

  test('the app preStop waits for propagation, then calls its shutdown endpoint within the plan', () => {
    const { dep } = build(props);
    const script = preStopScript(containerOf(dep, 'app'));
    expect(script).toContain('gs_deadline=$((gs_start + 15))');
    expect(script).toContain('gs_sleep_until 10');
    expect(script).toContain("gs_http POST 'http://127.0.0.1:8080/admin/shutdown' \"$(gs_cap 5)\"");
    expect(script.indexOf('gs_sleep_until 10')).toBeLessThan(script.indexOf('gs_http POST'));
    expect(shellcheck(script)).toEqual({ ok: true, output: '' });
  });

  test('the declared istio-proxy carries only name, image auto and a preStop bounded by the end of the app stop phase', () => {
    const { dep, w } = build(props);
    const proxy = containerOf(dep, 'istio-proxy');
    expect(Object.keys(proxy).sort()).toEqual(['image', 'lifecycle', 'name']);
    expect(proxy.image).toBe('auto');
    expect(Object.keys(proxy.lifecycle)).toEqual(['preStop']);
    const script = preStopScript(proxy);
    expect(script).toContain(`gs_deadline=$((gs_start + ${w.plan.endOf('stop').toSeconds()}))`);
    expect(w.plan.endOf('stop').toSeconds()).toBe(35);
    // 8080 = 0x1F90, 9090 = 0x2382: both ports, read from /proc/net/tcp{,6}.
    expect(script).toContain('*:1F90|*:2382) gs_count=$((gs_count + 1))');
    expect(script).toContain('/proc/net/tcp /proc/net/tcp6');
    // ...and ESTABLISHED connections Envoy accepted on its outbound port 15001 = 0x3A99.
    expect(script).toContain('*:3A99) gs_count=$((gs_count + 1))');
    expect(script).toContain('[ "$4" = 01 ] || continue');
    expect(shellcheck(script)).toEqual({ ok: true, output: '' });
    // The app container keeps the cdk8s-plus defaults the proxy must not get.
    const app = containerOf(dep, 'app');
    expect(app.securityContext.runAsNonRoot).toBe(true);
    expect(app.resources.requests.cpu).toBe('100m');
  });

  test('injection label, ports named for protocol selection, a Service with appProtocol', () => {
    const { pod, dep, objects } = build(props);
    expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('true');
    expect(containerOf(dep, 'app').ports).toEqual([{ containerPort: 8080, name: 'http-web' }, { containerPort: 9090, name: 'grpc-9090' }]);
    const svc = only(objects, 'Service');
    expect(svc.spec.ports).toEqual([
      { name: 'http-web', port: 8080, targetPort: 8080, appProtocol: 'http' },
      { name: 'grpc-9090', port: 9090, targetPort: 9090, appProtocol: 'grpc' },
    ]);
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
  });

  test('the timeline says who does what and when', () => {
    const { w } = build(props);
    const text = w.plan.toString();
    expect(text).toContain('terminationGracePeriodSeconds: 97 (derived from the plan)');
    expect(text).toMatch(/t=35s\s+proxy-drain\s+<=1m\s+istio-proxy gets SIGTERM: pilot-agent drains inbound listeners, then stops Envoy after terminationDrainDuration 60s/);
    expect(text).toMatch(/t=1m37s\s+SIGKILL/);
    expect(w.plan.toMermaid()).toContain('proxy-drain <=1m :proxy-drain, 35, 60s');
  });
});

describe('proxy config fields', () => {
  test('exit-on-zero: proxyMetadata carries both variables as strings; the drain ends early', () => {
    const { proxyConfig, w, pod } = build({
      terminationDrainDuration: Duration.seconds(30), exitOnZeroActiveConnections: true, minimumDrainDuration: Duration.seconds(10),
    });
    expect(proxyConfig).toEqual({
      terminationDrainDuration: '30s',
      proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true', MINIMUM_DRAIN_DURATION: '10s' },
    });
    expect(typeof proxyConfig.proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS).toBe('string');
    expect(w.plan.phase('proxy-drain').endsEarly).toBe(true);
    expect(w.plan.phase('proxy-drain').description)
      .toContain('waits MINIMUM_DRAIN_DURATION 10s, then stops Envoy at 0 active connections (or early when its stats cannot be read)');
    // pilot-agent ignores terminationDrainDuration with exit-on-zero: only SIGKILL bounds it, and the timeline says when.
    expect(w.plan.phase('proxy-drain').description)
      .toContain('It ignores terminationDrainDuration in this mode: only SIGKILL at the end of the grace period ends a drain that never reaches 0; the plan budgets terminationDrainDuration 30s for it');
    expect(w.plan.phase('margin').description).toContain('the proxy may still be draining here: only SIGKILL stops it');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(5 + 10 + 30 + 2);
  });

  test('docs/istio.md quotes the exit-on-zero rows exactly as the plan renders them', () => {
    const rows = build({ exitOnZeroActiveConnections: true, terminationDrainDuration: Duration.seconds(30) }).w.plan.toString().split('\n');
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/istio.md'), 'utf8');
    const quoted = rows.filter(r => /proxy-drain|margin/.test(r)).map(r => `  ${r.trimStart()}`);
    expect(quoted).toHaveLength(2);
    for (const r of quoted) expect(doc).toContain(r);
  });

  test('exit-on-zero under a pinned, longer grace period: the timeline names the pinned SIGKILL', () => {
    const { w, pod } = build({
      exitOnZeroActiveConnections: true, terminationDrainDuration: Duration.seconds(30), terminationGracePeriod: Duration.seconds(120),
    });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(120);
    expect(w.plan.phase('proxy-drain').description).toContain('only SIGKILL at the end of the grace period ends a drain that never reaches 0');
    expect(w.plan.toString()).toMatch(/t=2m\s+SIGKILL/);
  });

  test('without exit-on-zero the drain is a fixed terminationDrainDuration, no SIGKILL wording', () => {
    const d = build({ terminationDrainDuration: Duration.seconds(30) }).w.plan.phase('proxy-drain');
    expect(d.endsEarly).toBe(false);
    expect(d.description).toBe('istio-proxy gets SIGTERM: pilot-agent drains inbound listeners, then stops Envoy after terminationDrainDuration 30s');
  });

  test('exit-on-zero without a minimum leaves Istio default (not written)', () => {
    const { proxyConfig } = build({ exitOnZeroActiveConnections: true });
    expect(proxyConfig.proxyMetadata).toEqual({ EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' });
  });

  test('holdApplicationUntilProxyStarts is written only when set', () => {
    expect(build({ holdApplicationUntilProxyStarts: true }).proxyConfig.holdApplicationUntilProxyStarts).toBe(true);
    expect(build({ holdApplicationUntilProxyStarts: false }).proxyConfig.holdApplicationUntilProxyStarts).toBe(false);
    expect('holdApplicationUntilProxyStarts' in build().proxyConfig).toBe(false);
  });

  test('durations use the protobuf JSON form istiod parses (seconds, never 1m30s)', () => {
    expect(build({ terminationDrainDuration: Duration.seconds(90) }).proxyConfig.terminationDrainDuration).toBe('90s');
    expect(build({ terminationDrainDuration: Duration.millis(1500) }).proxyConfig.terminationDrainDuration).toBe('1.5s');
  });

  test('merges with the user\'s annotation: other keys kept, equal values accepted', () => {
    const user = 'concurrency: 2\nterminationDrainDuration: 1m\nproxyMetadata:\n  ISTIO_META_DNS_CAPTURE: "true"\n';
    const { proxyConfig, pod } = build({
      terminationDrainDuration: Duration.seconds(60),
      exitOnZeroActiveConnections: true,
      podAnnotations: { 'proxy.istio.io/config': user, 'example.com/owner': 'orders' },
    });
    expect(proxyConfig).toEqual({
      concurrency: 2,
      terminationDrainDuration: '60s',
      proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' },
    });
    expect(pod.metadata.annotations['example.com/owner']).toBe('orders');
  });

  test('JSON in the user\'s annotation is read too', () => {
    const { proxyConfig } = build({ podAnnotations: { 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}' } });
    expect(proxyConfig).toEqual({ holdApplicationUntilProxyStarts: true, terminationDrainDuration: '5s' });
  });

  test('a conflicting value in the user\'s annotation is an error naming both values and the fix', () => {
    const msg = buildError({ terminationDrainDuration: Duration.seconds(60), podAnnotations: { 'proxy.istio.io/config': 'terminationDrainDuration: 30s' } });
    expect(msg).toMatch(/^test\/orders: /);
    expect(msg).toContain("sets terminationDrainDuration: '30s'");
    expect(msg).toContain("derives terminationDrainDuration: '60s'");
    expect(msg).toContain('set terminationDrainDuration on the construct instead');
    const hold = buildError({ holdApplicationUntilProxyStarts: true, podAnnotations: { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: false' } });
    expect(hold).toContain('sets holdApplicationUntilProxyStarts: false, but the construct derives holdApplicationUntilProxyStarts: true');
    const min = buildError({ exitOnZeroActiveConnections: true, minimumDrainDuration: Duration.seconds(3), podAnnotations: { 'proxy.istio.io/config': 'proxyMetadata:\n  MINIMUM_DRAIN_DURATION: 8s' } });
    expect(min).toContain("sets proxyMetadata.MINIMUM_DRAIN_DURATION: '8s'");
    expect(min).toContain('set minimumDrainDuration on the construct');
  });

  test('exit-on-zero set by hand in the annotation is refused: the plan must know the drain ends early', () => {
    const msg = buildError({ podAnnotations: { 'proxy.istio.io/config': 'proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"' } });
    expect(msg).toContain('proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS');
    expect(msg).toContain('set exitOnZeroActiveConnections on the construct');
  });

  test('an annotation that is not a YAML mapping is refused', () => {
    expect(buildError({ podAnnotations: { 'proxy.istio.io/config': '- a\n- b' } })).toContain('must be a YAML mapping');
    expect(buildError({ podAnnotations: { 'proxy.istio.io/config': 'a: [' } })).toContain('is not valid YAML');
  });
});

describe('native sidecars', () => {
  test('no declared istio-proxy; the timeline says Kubernetes stops the native sidecar after the app', () => {
    const { dep, w, pod } = build({ nativeSidecars: true, kubernetesVersion: KubernetesVersion.V1_29, istioVersion: IstioVersion.V1_24 });
    const names = [...dep.spec.template.spec.containers, ...(dep.spec.template.spec.initContainers ?? [])].map((c: any) => c.name);
    expect(names).toEqual(['app']);
    expect(w.nativeSidecars).toBe(true);
    expect(w.proxyPreStop).toBeUndefined();
    expect(w.plan.toString()).toContain('Kubernetes stops the native istio-proxy sidecar after the app exits (no declared istio-proxy preStop needed)');
    expect(w.plan.phase('propagate').description).toContain('the native istio-proxy sidecar keeps running (Kubernetes stops it only after the app has exited)');
    expect(pod.metadata.annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    // The drain still bounds the grace period: Istio before 1.21 drains on the SIGTERM.
    expect(pod.spec.terminationGracePeriodSeconds).toBe(5 + 10 + 5 + 2);
  });

  test('on Istio 1.24+ the per-pod annotation pins the mode; before 1.24 it is not written', () => {
    expect(build({ istioVersion: IstioVersion.V1_27 }).pod.metadata.annotations['sidecar.istio.io/nativeSidecar']).toBe('false');
    expect(build({ istioVersion: IstioVersion.V1_22 }).pod.metadata.annotations['sidecar.istio.io/nativeSidecar']).toBeUndefined();
    expect(build({ nativeSidecars: true, kubernetesVersion: KubernetesVersion.V1_29, istioVersion: IstioVersion.V1_19 })
      .pod.metadata.annotations['sidecar.istio.io/nativeSidecar']).toBeUndefined();
  });

  test('native sidecars need Kubernetes 1.29 and Istio 1.19', () => {
    expect(buildError({ nativeSidecars: true })).toMatch(/^test\/orders: nativeSidecars true needs kubernetesVersion 1.29 or newer/);
    expect(buildError({ nativeSidecars: true, kubernetesVersion: KubernetesVersion.V1_30, istioVersion: IstioVersion.of('1.18') }))
      .toContain('needs Istio 1.19 or newer (ENABLE_NATIVE_SIDECARS), but istioVersion is 1.18');
  });

  test('a nativeSidecar annotation that contradicts the mode is refused', () => {
    expect(buildError({ istioVersion: IstioVersion.V1_27, podAnnotations: { 'sidecar.istio.io/nativeSidecar': 'true' } }))
      .toContain("podAnnotations['sidecar.istio.io/nativeSidecar'] 'true' contradicts nativeSidecars: false");
  });
});

describe('mistakes users make', () => {
  test('a drain longer than the pinned grace period: the plan error names numbers, phase and the property to lower', () => {
    const msg = buildError({ terminationDrainDuration: Duration.seconds(60), terminationGracePeriod: Duration.seconds(30) });
    expect(msg).toMatch(/^test\/orders: terminationGracePeriod 30s is shorter than the plan's 1m17s: propagate 5s \+ stop 10s \+ proxy-drain 1m \+ margin 2s/);
    expect(msg).toContain('the proxy-drain phase (t=15s..1m15s) does not fit before SIGKILL at t=30s');
    expect(msg).toContain('lower terminationDrainDuration');
  });

  test('no propagation and no shutdown endpoint: the app has no preStop, the proxy still waits for it', () => {
    const { dep, w } = build({ propagation: Duration.seconds(0) });
    expect(w.appPreStop).toBeUndefined();
    expect(containerOf(dep, 'app').lifecycle).toBeUndefined();
    expect(preStopScript(containerOf(dep, 'istio-proxy'))).toContain('gs_deadline=$((gs_start + 10))');
  });

  test('a pinned grace period that fits is kept, with the slack at the end', () => {
    const { pod } = build({ terminationGracePeriod: Duration.seconds(40) });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(40);
  });

  test('a minimum drain longer than the drain', () => {
    const msg = buildError({
      exitOnZeroActiveConnections: true, terminationDrainDuration: Duration.seconds(10), minimumDrainDuration: Duration.seconds(15),
    });
    expect(msg).toMatch(/^test\/orders: minimumDrainDuration 15s is longer than terminationDrainDuration 10s/);
    expect(msg).toContain("the drain's budget in the grace period");
    expect(msg).toContain('Lower minimumDrainDuration to at most 10s');
  });

  test('a minimum drain without exit-on-zero', () => {
    expect(buildError({ minimumDrainDuration: Duration.seconds(5) })).toContain('only applies with exitOnZeroActiveConnections: true');
  });

  test('exit-on-zero on an Istio version that lacks it', () => {
    expect(buildError({ exitOnZeroActiveConnections: true, istioVersion: IstioVersion.of('1.11.8') }))
      .toContain('exitOnZeroActiveConnections true needs Istio 1.12 or newer (EXIT_ON_ZERO_ACTIVE_CONNECTIONS), but istioVersion is 1.11');
    expect(build({ exitOnZeroActiveConnections: true, istioVersion: IstioVersion.V1_12 }).proxyConfig.proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS).toBe('true');
  });

  test('ports: none, out of range, a name too long, duplicates', () => {
    expect(buildError({ ports: [] })).toContain('ports \'[]\' is empty');
    expect(buildError({ ports: [{ port: 70000, protocol: IstioProtocol.TCP }] })).toContain('ports[].port 70000 is out of range: use a whole number 1-65535');
    expect(buildError({ ports: [{ port: 8080, protocol: IstioProtocol.GRPC_WEB, suffix: 'frontend' }] }))
      .toContain("makes the port name 'grpc-web-frontend', which is not a valid port name");
    expect(buildError({ ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'a' }, { port: 8081, protocol: IstioProtocol.HTTP, suffix: 'a' }] }))
      .toContain("ports 'http-a' appears twice");
  });

  test('timings the shell cannot keep, and a bad shutdown path', () => {
    expect(buildError({ propagation: Duration.millis(1500) })).toContain('propagation 1.5s must be a whole number of seconds');
    expect(buildError({ terminationDrainDuration: Duration.seconds(0) })).toContain('terminationDrainDuration 0s must be longer than zero');
    expect(buildError({ shutdownEndpoint: { path: 'shutdown' } })).toContain("shutdownEndpoint.path 'shutdown' is not a URL path");
    expect(buildError({ shutdownEndpoint: { path: "/x'; reboot; '" } })).toContain('is not a URL path');
  });

  test('the app container cannot be called istio-proxy', () => {
    expect(buildError({ containerName: 'istio-proxy' })).toContain("containerName 'istio-proxy' must be a DNS label");
    expect(buildError({ containerName: 'App_1' })).toContain("containerName 'App_1' must be a DNS label");
    expect(containerOf(build({ containerName: 'orders' }).dep, 'orders').image).toBe('ghcr.io/example/orders:2.3.1');
  });

  test('injection turned off by label or annotation is refused', () => {
    expect(buildError({ podLabels: { 'sidecar.istio.io/inject': 'false' } })).toContain("podLabels['sidecar.istio.io/inject'] 'false' turns injection off");
    expect(buildError({ podAnnotations: { 'sidecar.istio.io/inject': 'false' } })).toContain("podAnnotations['sidecar.istio.io/inject'] 'false' turns injection off");
  });

  test('the shutdown endpoint method and port are the user\'s; the URL is quoted', () => {
    const { dep } = build({ shutdownEndpoint: { path: '/actuator/shutdown?now=1&x=$HOME', port: 8081, method: HttpMethod.PUT } });
    expect(preStopScript(containerOf(dep, 'app'))).toContain("gs_http PUT 'http://127.0.0.1:8081/actuator/shutdown?now=1&x=$HOME'");
  });
});

describe('more than one app container (nginx in front of a backend)', () => {
  const props: Partial<IstioDrainedWorkloadProps> = {
    containerName: 'nginx',
    image: 'nginxinc/nginx-unprivileged:1.26-alpine',
    ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'web', servicePort: 80 }],
    additionalContainers: [{ name: 'orders', image: 'ghcr.io/example/orders:2.3.1', ports: [{ port: 8000, protocol: IstioProtocol.HTTP, suffix: 'backend' }] }],
    propagation: Duration.seconds(10),
    appShutdownTimeout: Duration.seconds(20),
    terminationDrainDuration: Duration.seconds(60),
  };

  test('each app container waits for propagation; the proxy waits for every app port; the Service exposes the main one', () => {
    const { dep, objects, w, pod } = build(props);
    expect(pod.spec.containers.map((c: any) => c.name)).toEqual(['nginx', 'orders', 'istio-proxy']);
    for (const name of ['nginx', 'orders']) {
      const script = preStopScript(containerOf(dep, name));
      expect(script).toContain('gs_sleep_until 10');
      expect(script).toContain('gs_deadline=$((gs_start + 10))');
      expect(shellcheck(script)).toEqual({ ok: true, output: '' });
    }
    expect(containerOf(dep, 'orders').ports).toEqual([{ containerPort: 8000, name: 'http-backend' }]);
    expect(containerOf(dep, 'orders').image).toBe('ghcr.io/example/orders:2.3.1');
    // 8080 = 0x1F90, 8000 = 0x1F40: the hold waits for both, until the end of the stop phase.
    const hold = preStopScript(containerOf(dep, 'istio-proxy'));
    expect(hold).toContain('*:1F90|*:1F40) gs_count=$((gs_count + 1))');
    expect(hold).toContain('gs_deadline=$((gs_start + 30))');
    expect(only(objects, 'Service').spec.ports).toEqual([{ name: 'http-web', port: 80, targetPort: 8080, appProtocol: 'http' }]);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(10 + 20 + 60 + 2);
    expect(w.plan.phase('propagate').description).toMatch(/^preStop of nginx, orders: wait for endpoint removal/);
    expect(w.plan.phase('stop').description).toMatch(/^app containers \(nginx, orders\) get their stop signal and exit/);
    expect(w.container('orders').name).toBe('orders');
    expect(w.appContainer.name).toBe('nginx');
  });

  test('with no propagation the other containers get no preStop either', () => {
    const { dep } = build({ ...props, propagation: Duration.seconds(0) });
    expect(containerOf(dep, 'orders').lifecycle).toBeUndefined();
  });

  test('names and ports must be unique across the pod', () => {
    expectError({ ...props, additionalContainers: [{ name: 'nginx', image: 'x' }] },
      "additionalContainers[0].name 'nginx'", 'is already the name of another app container');
    expectError({ ...props, additionalContainers: [{ name: 'istio-proxy', image: 'x' }] },
      "additionalContainers[0].name 'istio-proxy'", "must be a DNS label (lower-case letters, digits, '-') other than 'istio-proxy'");
    expectError({ ...props, additionalContainers: [{ name: 'orders', image: 'x', ports: [{ port: 8080, protocol: IstioProtocol.TCP, suffix: 'other' }] }] },
      'additionalContainers[0].ports[].port 8080', 'is declared twice: the containers of a pod share one network namespace');
    expectError({ ...props, additionalContainers: [{ name: 'orders', image: 'x', ports: [{ port: 9000, protocol: IstioProtocol.HTTP, suffix: 'web' }] }] },
      "additionalContainers[0].ports 'http-web'", 'appears twice: give each port a unique suffix.');
  });

  test('container() refuses the declared istio-proxy, which is not an app container', () => {
    const { w } = build(props);
    expect(() => w.container('istio-proxy')).toThrow("test/orders: the declared 'istio-proxy' only carries a preStop");
    expect(() => w.container('nope')).toThrow("no container named 'nope'");
  });
});

describe('outbound connections through the proxy', () => {
  test('waitForOutboundConnections: false watches the listening ports only', () => {
    const { dep, w } = build({ waitForOutboundConnections: false });
    const hold = preStopScript(containerOf(dep, 'istio-proxy'));
    expect(hold).not.toContain('3A99');
    expect(hold).toContain("'app sockets listening on 8080, 9090: 0'");
    expect(w.plan.phase('stop').description).toMatch(/whose preStop returns once the app's ports are closed$/);
  });

  test('on by default, and the timeline says so', () => {
    const { w } = build();
    expect(w.plan.phase('stop').description).toContain("returns once the app's ports are closed and its connections out through the proxy have ended");
    expect(w.proxyPreStop!.render()).toContain("'app sockets (listening on 8080, 9090, or connected out through :15001): 0'");
  });
});

describe('errors name the construct path, the property, the value and the fix', () => {
  test.each<[string, Partial<IstioDrainedWorkloadProps>, string, string]>([
    ['pinned grace period too short', { terminationDrainDuration: Duration.seconds(60), terminationGracePeriod: Duration.seconds(30) },
      "terminationGracePeriod 30s is shorter than the plan's 1m17s", 'lower terminationDrainDuration'],
    ['minimum drain longer than the drain', { exitOnZeroActiveConnections: true, terminationDrainDuration: Duration.seconds(10), minimumDrainDuration: Duration.seconds(15) },
      'minimumDrainDuration 15s is longer than terminationDrainDuration 10s', 'Lower minimumDrainDuration to at most 10s or raise terminationDrainDuration.'],
    ['exit-on-zero on Istio 1.11', { exitOnZeroActiveConnections: true, istioVersion: IstioVersion.of('1.11') },
      'exitOnZeroActiveConnections true needs Istio 1.12 or newer', 'Upgrade Istio or leave exitOnZeroActiveConnections off.'],
    ['minimum drain without exit-on-zero', { minimumDrainDuration: Duration.seconds(5) },
      'minimumDrainDuration 5s only applies with exitOnZeroActiveConnections: true', 'Set exitOnZeroActiveConnections: true or remove minimumDrainDuration.'],
    ['native sidecars on Kubernetes 1.28', { nativeSidecars: true },
      'nativeSidecars true needs kubernetesVersion 1.29 or newer', 'Raise kubernetesVersion or set nativeSidecars: false.'],
    ['a conflicting proxy.istio.io/config', { podAnnotations: { 'proxy.istio.io/config': 'terminationDrainDuration: 30s' } },
      "podAnnotations['proxy.istio.io/config'] sets terminationDrainDuration: '30s', but the construct derives terminationDrainDuration: '5s'",
      'Remove terminationDrainDuration from the annotation and set terminationDrainDuration on the construct instead'],
    ['injection turned off', { podLabels: { 'sidecar.istio.io/inject': 'false' } },
      "podLabels['sidecar.istio.io/inject'] 'false' turns injection off", 'Remove it, or use GracefulWorkload'],
    ['a poll interval the shell cannot keep', { portPollInterval: Duration.millis(500) },
      'portPollInterval 0.5s must be a whole number of seconds, at least 1s', 'Use Duration.seconds(n).'],
  ])('%s', (_name, props, what, fix) => expectError(props, what, fix));
});

/** The error starts with the construct path, then names the property and value, and ends with the fix. */
function expectError(props: Partial<IstioDrainedWorkloadProps>, propertyAndValue: string, fix: string): void {
  const msg = buildError(props);
  const head = `test/orders: ${propertyAndValue}`;
  expect(msg.slice(0, head.length)).toBe(head);
  expect(msg).toContain(fix);
}

describe('IstioVersion', () => {
  test('parses and compares', () => {
    expect(IstioVersion.of('v1.22.3').toString()).toBe('1.22');
    expect(IstioVersion.of('1.24.0-beta.1').supportsNativeSidecarAnnotation).toBe(true);
    expect(IstioVersion.of('1.11').supportsExitOnZeroActiveConnections).toBe(false);
    expect(IstioVersion.V1_12.supportsExitOnZeroActiveConnections).toBe(true);
    expect(IstioVersion.of('1.18').supportsNativeSidecars).toBe(false);
    expect(IstioVersion.V1_19.supportsNativeSidecars).toBe(true);
    expect(IstioVersion.V1_27.isAtLeast(IstioVersion.V1_24)).toBe(true);
    expect(IstioVersion.V1_22.isAtLeast(IstioVersion.V1_24)).toBe(false);
  });

  test('refuses what is not a version', () => {
    expect(() => IstioVersion.of('latest')).toThrow("istioVersion 'latest' is not an Istio version");
    expect(() => IstioVersion.of('2.0')).toThrow('only Istio 1.x');
  });
});

describe('trimDeclaredProxy', () => {
  test('keeps only name, image and lifecycle of istio-proxy; other containers untouched', () => {
    const json = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'a', resources: { requests: { cpu: '1' } } },
              { name: 'istio-proxy', image: 'auto', imagePullPolicy: 'Always', resources: {}, securityContext: { runAsNonRoot: true }, lifecycle: { preStop: { exec: { command: ['x'] } } } },
            ],
          },
        },
      },
    };
    const out = trimDeclaredProxy(json);
    expect(out.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'a', resources: { requests: { cpu: '1' } } },
      { name: 'istio-proxy', image: 'auto', lifecycle: { preStop: { exec: { command: ['x'] } } } },
    ]);
    expect(trimDeclaredProxy({ kind: 'Service' })).toEqual({ kind: 'Service' });
  });
});
