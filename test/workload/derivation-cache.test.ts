import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { buildExampleApp } from '../../examples/main';
import {
  AppWait, Confirmation, DeregistrationPlacement, DrainListenersMode, GracefulEnvoyGateway, GracefulNginx, IstioDrainedWorkload,
  IstioProtocol, IstioVersion, KubernetesVersion, NacosAuth, NginxCutOver, OfflineEndpoint, Registry, RegistryAwareService,
  RegistrySecret, Step, GracefulWorkload, ShutdownPlan, PreStopHook, PosixScript,
} from '../../src';
import { derivationCacheEnabled, setDerivationCacheEnabled, valueKey, withoutDerivationCache, withValueKey } from '../../src/core';

// Every pattern derives its validation, plan, scripts and texts once per distinct props value
// (DerivationCache) and shares them between equal workloads. A props key that leaves out an input,
// or a derivation that reads its construct (beyond error messages), would hand a workload another
// one's manifests. These properties build many props drawn from small sets, so props that differ
// in one field are frequent, through the cache and fresh, and compare the synthesized objects
// (or the error message) of each.

type Outcome = { json: unknown } | { error: string };

function outcome(build: (scope: Construct, id: string) => void, id: string): Outcome {
  const chart = new Chart(new App(), 'platform');
  try {
    build(chart, id);
    return { json: chart.toJson() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Props from `model` (one arbitrary per field), then the same props with one field changed: the
 * cache is filled with the first, and the second, built through the cache after a build under
 * another id, must equal its fresh build. A key that leaves out a field fails on the pairs that
 * differ in that field only; a derivation that keeps its construct's path fails on every pair.
 */
function cachedEqualsFresh<P>(model: { [field: string]: fc.Arbitrary<unknown> }, build: (scope: Construct, id: string, p: P) => void): number {
  const fields = Object.keys(model);
  const pairs = fc.record(model).chain(p => fc.constantFrom(...fields)
    .chain(field => model[field].map(v => ({ first: p as P, second: { ...p, [field]: v } as P }))));
  let built = 0;
  SAMPLES.push(...fc.sample(pairs, { numRuns: 30, seed: 7 }).map(({ second }) => (sc: Construct, id: string) => build(sc, id, second)));
  fc.assert(fc.property(pairs, ({ first, second }) => {
    outcome((sc, id) => build(sc, id, first), 'elsewhere');
    outcome((sc, id) => build(sc, id, second), 'elsewhere');
    const cached = outcome((sc, id) => build(sc, id, second), 'w');
    const fresh = withoutDerivationCache(() => outcome((sc, id) => build(sc, id, second), 'w'));
    expect(cached).toEqual(fresh);
    if ('json' in cached) built++;
  }), { numRuns: 400, seed: 20261122 });
  return built;
}

/** Builders of props drawn by each pattern's test below, for the whole-chart comparison at the end. */
const SAMPLES: Array<(scope: Construct, id: string) => void> = [];

const s = Duration.seconds;
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const version = opt(fc.constantFrom(KubernetesVersion.of('1.28'), KubernetesVersion.of('1.29'), KubernetesVersion.of('1.30')));

describe('valueKey', () => {
  class A { constructor(public readonly x: number) {} }
  class B { constructor(public readonly x: number) {} }

  test('types, classes and structure are told apart', () => {
    const keys = [1, '1', true, 'T', undefined, 'u', null, 0, -0, [1], { 0: 1 }, [[1]], [1, 1], { a: 1 }, { a: '1' }, { b: 1 },
      new A(1), new B(1), new A(2), s(60), Duration.minutes(1), s(61)].map(v => valueKey(v));
    expect(keys.every(k => k !== undefined)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    expect(valueKey(new A(1))).toBe(valueKey(new A(1)));
    expect(valueKey({ a: [s(5), { b: 'x' }] })).toBe(valueKey({ a: [s(5), { b: 'x' }] }));
  });

  test('what cannot be keyed is not: functions, constructs, opaque built-ins, cycles', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const oddDuration = Object.assign(Object.create(Duration.prototype), { toMilliseconds: () => 5 });
    for (const v of [() => 1, { f: () => 1 }, new Chart(new App(), 'c'), new Map(), new Set([1]), new Date(0), /x/, cyclic, Step.log('x'), oddDuration]) {
      expect(valueKey(v)).toBeUndefined();
    }
  });

  test('a value key stands for an object that holds functions, by the inputs it was made from', () => {
    const make = (port: number) => withValueKey({ probe: () => port }, 'probe', { port });
    expect(valueKey(make(1))).toBe(valueKey(make(1)));
    expect(valueKey(make(1))).not.toBe(valueKey(make(2)));
    expect(valueKey(withValueKey({ f: () => 1 }, 'x', { g: () => 1 }))).toBeUndefined();
  });
});

describe('the derivation cache gives every workload its own manifests', () => {
  test('ShutdownPlan.standard, through GracefulWorkload', () => {
    const model = {
      deregisterTimeout: opt(fc.constantFrom(s(0), s(2))),
      propagation: opt(fc.constantFrom(s(5), s(10))),
      maxDrain: opt(fc.constantFrom(s(0), s(20), s(21))),
      stopTimeout: opt(fc.constantFrom(s(5), s(6))),
      margin: opt(fc.constantFrom(s(0), s(2))),
      terminationGracePeriod: opt(fc.constantFrom(s(30), s(60))),
    };
    const build = (scope: Construct, id: string, p: any) => {
      const w = new GracefulWorkload(scope, id, { plan: ShutdownPlan.standard(p) });
      w.addContainer({ name: 'app', image: 'app:1', preStop: PreStopHook.sleep(w.plan.preStopDeadline) });
    };
    expect(cachedEqualsFresh(model, build)).toBeGreaterThan(80);
  });

  test('GracefulEnvoyGateway', () => {
    const model = {
      image: fc.constantFrom('envoy:1', 'envoy:2', ' '),
      listeners: fc.constantFrom(
        [{ name: 'http', port: 8080 }],
        [{ name: 'http', port: 8080, servicePort: 80 }],
        [{ name: 'http', port: 8081 }],
        [{ name: 'ssh', port: 2222, address: '::' }, { name: 'http', port: 8080, drain: false }],
        [{ name: 'http', port: 8080, statPrefix: 'ingress_http' }],
      ),
      adminPort: opt(fc.constantFrom(19000, 19001, 8080)),
      adminAddress: opt(fc.constantFrom('127.0.0.1', '0.0.0.0')),
      failHealthCheck: opt(fc.boolean()),
      drainListeners: opt(fc.constantFrom(DrainListenersMode.GRACEFUL, DrainListenersMode.GRACEFUL_INBOUND_ONLY, DrainListenersMode.NONE)),
      minDrain: opt(fc.constantFrom(s(0), s(5), s(10))),
      maxDrain: opt(fc.constantFrom(s(30), s(60), Duration.hours(1))),
      envoyDrainFlags: opt(fc.boolean()),
      drainManager: opt(fc.constantFrom({}, { port: 19003 })),
      readinessPeriod: opt(fc.constantFrom(s(5), s(10))),
      terminationGracePeriod: opt(fc.constantFrom(s(20), s(3700))),
      kubernetesVersion: version,
    };
    expect(cachedEqualsFresh(model, (scope, id, p: any) => new GracefulEnvoyGateway(scope, id, p))).toBeGreaterThan(80);
  });

  test('GracefulNginx', () => {
    const model = {
      cutOver: opt(fc.constantFrom(
        NginxCutOver.readinessFile(),
        NginxCutOver.readinessFile({ period: s(2), failureThreshold: 2 }),
        NginxCutOver.endpointsOnly(),
      )),
      port: opt(fc.constantFrom(8080, 8081)),
      propagation: opt(fc.constantFrom(s(1), s(5))),
      cutOverWait: opt(fc.constantFrom(s(3), s(12))),
      keepaliveTimeout: opt(fc.constantFrom(s(0), s(3), s(20))),
      keepaliveTime: opt(fc.constantFrom(s(1), s(2))),
      maxDrain: opt(fc.constantFrom(s(10), s(11))),
      reloadBeforeQuit: opt(fc.boolean()),
      servers: opt(fc.constantFrom('server { listen 8080; }', 'server { listen 8080; keepalive_timeout 60s; }')),
      accessLog: opt(fc.boolean()),
      runAsUser: opt(fc.constantFrom(101, 1000)),
      kubernetesVersion: version,
    };
    expect(cachedEqualsFresh(model, (scope, id, p: any) => new GracefulNginx(scope, id, p))).toBeGreaterThan(80);
  });

  test('IstioDrainedWorkload', () => {
    const model = {
      istioVersion: fc.constantFrom(IstioVersion.of('1.11'), IstioVersion.of('1.22')),
      image: fc.constantFrom('app:1', 'app:2'),
      ports: fc.constantFrom(
        [{ port: 8080, protocol: IstioProtocol.HTTP }],
        [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'api', servicePort: 80 }],
        [{ port: 9090, protocol: IstioProtocol.GRPC }],
      ),
      propagation: opt(fc.constantFrom(s(0), s(5), s(10))),
      shutdownEndpoint: opt(fc.constantFrom({ path: '/shutdown' }, { path: '/admin/shutdown', timeout: s(3) }, { path: 'nope' })),
      appShutdownTimeout: opt(fc.constantFrom(s(10), s(20))),
      terminationDrainDuration: opt(fc.constantFrom(s(5), s(60))),
      exitOnZeroActiveConnections: opt(fc.boolean()),
      nativeSidecars: opt(fc.boolean()),
      waitForOutboundConnections: opt(fc.boolean()),
      additionalContainers: opt(fc.constantFrom([{ name: 'backend', image: 'b:1', ports: [{ port: 9000, protocol: IstioProtocol.HTTP }] }])),
      podAnnotations: opt(fc.constantFrom({ team: 'a' }, { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' })),
      kubernetesVersion: version,
    };
    expect(cachedEqualsFresh(model, (scope, id, p: any) => new IstioDrainedWorkload(scope, id, p))).toBeGreaterThan(80);
  });

  test('RegistryAwareService', () => {
    const secret = (key: string) => RegistrySecret.fromSecretName('nacos', key);
    // The registry's options are fields of the model too, so pairs differ in one of them alone.
    const model = {
      flavour: fc.constantFrom('nacos', 'eureka', 'consul'),
      serverUrl: fc.constantFrom('http://nacos:8848', 'http://nacos.soa:8848'),
      serviceName: fc.constantFrom('a', 'b'),
      port: fc.constantFrom(8080, 8081),
      groupName: opt(fc.constantFrom('DEFAULT_GROUP', 'G')),
      auth: opt(fc.constantFrom(NacosAuth.accessToken(secret('token')), NacosAuth.usernamePassword(secret('username'), secret('password')))),
      clearConfigUrl: opt(fc.constantFrom('http://admin/config/${POD_IP}', 'http://admin/cfg/${POD_IP}')),
      checkUrl: opt(fc.constantFrom('http://admin/check/${POD_IP}', 'http://admin/check2/${POD_IP}')),
      deleteInstance: opt(fc.boolean()),
      agentUrl: fc.constantFrom('http://${HOST_IP}:8500', 'http://consul:8500'),
      app: fc.constantFrom({ image: 'svc:1', portNumber: 8080 }, { name: 'svc', image: 'svc:2' }),
      offlineEndpoint: opt(fc.constantFrom(
        OfflineEndpoint.springBootServiceRegistry({ port: 8080 }),
        OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'DOWN' }),
        OfflineEndpoint.http({ url: 'http://127.0.0.1:8080/offline' }),
      )),
      placement: opt(fc.constantFrom(DeregistrationPlacement.APP_CONTAINER, DeregistrationPlacement.SIDECAR)),
      appWait: opt(fc.constantFrom(AppWait.DONE_FILE, AppWait.SLEEP)),
      cacheRefresh: opt(fc.constantFrom(s(10), s(30))),
      rpcTimeout: opt(fc.constantFrom(s(3), s(5))),
      requestTimeout: opt(fc.constantFrom(s(2), s(3))),
      terminationGracePeriod: opt(fc.constantFrom(s(30), s(90))),
      kubernetesVersion: version,
    };
    const registryOf = (p: any): Registry => {
      const confirmation = p.checkUrl ? Confirmation.adminController({ checkUrl: p.checkUrl }) : undefined;
      switch (p.flavour) {
        case 'nacos':
          return Registry.nacos({
            serverUrl: p.serverUrl,
            serviceName: p.serviceName,
            port: p.port,
            groupName: p.groupName,
            auth: p.auth,
            clearConfigUrl: p.clearConfigUrl,
            confirmation,
          });
        case 'eureka':
          return Registry.eureka({ serverUrl: `${p.serverUrl}/eureka`, appName: p.serviceName, port: p.port, deleteInstance: p.deleteInstance, confirmation });
        default:
          return Registry.consul({ agentUrl: p.agentUrl, serviceId: p.serviceName, confirmation });
      }
    };
    const build = (scope: Construct, id: string, p: any) => {
      // Only the service's own props next to the registry: its options reach the key through it.
      const { flavour, serverUrl, serviceName, port, groupName, auth, clearConfigUrl, checkUrl, deleteInstance, agentUrl, ...service } = p;
      return new RegistryAwareService(scope, id, { ...service, registry: registryOf(p) });
    };
    expect(cachedEqualsFresh(model, build)).toBeGreaterThan(80);
  });
});

describe('what equal workloads share', () => {
  test('equal props share the plan and the sealed scripts; other props get their own', () => {
    const chart = new Chart(new App(), 'c');
    const props = { propagation: s(5), maxDrain: s(10) };
    const a = new GracefulNginx(chart, 'a', props);
    const b = new GracefulNginx(chart, 'b', { ...props });
    const c = new GracefulNginx(chart, 'c', { ...props, maxDrain: s(11) });
    expect(b.plan).toBe(a.plan);
    expect(b.preStopScript).toBe(a.preStopScript);
    expect(c.plan).not.toBe(a.plan);
    expect(c.plan.terminationGracePeriodSeconds).toBe(a.plan.terminationGracePeriodSeconds + 1);
    // Shared, so nothing in them can change: the script is sealed, the plan frozen all the way down.
    expect(() => a.preStopScript.add(Step.log('late'))).toThrow(/already rendered/);
    expect(() => (a.plan.phases as unknown[]).push('x')).toThrow(TypeError);
    expect(Object.isFrozen(a.plan)).toBe(true);
    expect(a.plan.phases.every(p => Object.isFrozen(p))).toBe(true);
    expect(() => { (a.plan as any).terminationGracePeriod = s(1); }).toThrow(TypeError);
    expect(() => { (a.plan.phases[0] as any).bound = s(1); }).toThrow(TypeError);
    expect(a.plan.terminationGracePeriodSeconds).toBe(c.plan.terminationGracePeriodSeconds - 1);
  });

  test('props holding a construct are derived per workload (identity, not value)', () => {
    const chart = new Chart(new App(), 'c');
    const secret = kplus.Secret.fromSecretName(chart, 'token', 'nacos-token');
    const build = (id: string) => new RegistryAwareService(chart, id, {
      registry: Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'a', port: 8080, auth: NacosAuth.accessToken(RegistrySecret.fromSecret(secret, 'token')) }),
      app: { image: 'svc:1' },
    });
    expect(build('a').plan).not.toBe(build('b').plan);
  });
});

describe('the cache switch', () => {
  /** The chart's YAML, or the error it gave, built by `fill`. */
  function yamlOf(fill: (app: App) => void): string {
    const app = new App({ outdir: '/nonexistent' });
    try {
      fill(app);
      return app.synthYaml();
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  }

  test('the example app synthesizes to the same bytes with the cache on and off', () => {
    expect(derivationCacheEnabled()).toBe(true);
    const on = yamlOf(app => buildExampleApp(app));
    const onAgain = yamlOf(app => buildExampleApp(app)); // now from the cache
    const off = withoutDerivationCache(() => yamlOf(app => buildExampleApp(app)));
    expect(on.length).toBeGreaterThan(10_000);
    expect(onAgain).toBe(off);
    expect(on).toBe(off);
  });

  test('a sample of every pattern\'s props, in one chart, synthesizes to the same bytes with the cache on and off', () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(150); // filled by the tests above, 30 per pattern
    // Each sample twice, under different ids: the second build of equal props comes from the cache.
    const fill = (app: App) => {
      const chart = new Chart(app, 'platform');
      SAMPLES.forEach((build, i) => {
        for (const copy of ['a', 'b']) {
          try {
            build(chart, `w${i}${copy}`);
          } catch (e) {
            new kplus.ConfigMap(chart, `e${i}${copy}`, { data: { error: (e as Error).message } });
          }
        }
      });
    };
    const on = yamlOf(fill);
    setDerivationCacheEnabled(false);
    let off: string;
    try {
      off = yamlOf(fill);
    } finally {
      setDerivationCacheEnabled(true);
    }
    expect(on).not.toMatch(/^error/);
    expect(on).toBe(off);
  });

  test('CDK8S_GRACEFUL_SHUTDOWN_CACHE=off starts with the cache off', () => {
    const before = process.env.CDK8S_GRACEFUL_SHUTDOWN_CACHE;
    process.env.CDK8S_GRACEFUL_SHUTDOWN_CACHE = 'off';
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const core = require('../../src/core') as typeof import('../../src/core');
        expect(core.derivationCacheEnabled()).toBe(false);
        const chart = new Chart(new App(), 'c');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { GracefulNginx: Nginx } = require('../../src/nginx') as typeof import('../../src/nginx');
        const a = new Nginx(chart, 'a', { maxDrain: s(10) });
        const b = new Nginx(chart, 'b', { maxDrain: s(10) });
        expect(b.plan).not.toBe(a.plan);
        expect(b.plan.toString()).toBe(a.plan.toString());
      });
    } finally {
      if (before === undefined) delete process.env.CDK8S_GRACEFUL_SHUTDOWN_CACHE;
      else process.env.CDK8S_GRACEFUL_SHUTDOWN_CACHE = before;
    }
  });
});

describe('no construct can change what another shares', () => {
  /** Every PosixScript, array and plan a construct exposes, by field name. */
  function exposed(construct: object): Array<[string, unknown]> {
    return Object.entries(construct).filter(([k, v]) => !k.startsWith('_') && (v instanceof PosixScript || v instanceof ShutdownPlan || Array.isArray(v)
      || (v && typeof v === 'object' && Object.values(v).some(x => x instanceof PosixScript))));
  }

  test('what equal workloads share is sealed or frozen, for every pattern', () => {
    const chart = new Chart(new App(), 'c');
    const ports = [{ port: 8080, protocol: IstioProtocol.HTTP }];
    const registry = () => Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'a', port: 8080 });
    const pairs: Array<[object, object]> = [
      [new GracefulNginx(chart, 'n1', { maxDrain: s(10) }), new GracefulNginx(chart, 'n2', { maxDrain: s(10) })],
      ...[{}, { port: 19003 }].map(drainManager => [
        new GracefulEnvoyGateway(chart, `e1${drainManager.port ?? ''}`, { image: 'e:1', listeners: [{ name: 'http', port: 8080 }], drainManager }),
        new GracefulEnvoyGateway(chart, `e2${drainManager.port ?? ''}`, { image: 'e:1', listeners: [{ name: 'http', port: 8080 }], drainManager }),
      ] as [object, object]),
      [
        new IstioDrainedWorkload(chart, 'i1', { image: 'a:1', istioVersion: IstioVersion.of('1.22'), ports, shutdownEndpoint: { path: '/stop' } }),
        new IstioDrainedWorkload(chart, 'i2', { image: 'a:1', istioVersion: IstioVersion.of('1.22'), ports, shutdownEndpoint: { path: '/stop' } }),
      ],
      ...[DeregistrationPlacement.APP_CONTAINER, DeregistrationPlacement.SIDECAR].map(placement => [
        new RegistryAwareService(chart, `r1${placement}`, { registry: registry(), app: { image: 'svc:1' }, placement }),
        new RegistryAwareService(chart, `r2${placement}`, { registry: registry(), app: { image: 'svc:1' }, placement }),
      ] as [object, object]),
    ];
    let shared = 0;
    for (const [a, b] of pairs) {
      const bFields = new Map(exposed(b));
      for (const [name, value] of exposed(a)) {
        const other = bFields.get(name);
        if (other !== value) continue; // not shared: each construct has its own
        shared++;
        const scripts = value instanceof PosixScript ? [value] : Object.values(value as object).filter(x => x instanceof PosixScript);
        for (const script of scripts) expect(() => (script as PosixScript).add(Step.log('late'))).toThrow(/already rendered/);
        if (Array.isArray(value) || value instanceof ShutdownPlan) expect(Object.isFrozen(value)).toBe(true);
        if (!(value instanceof PosixScript) && !Array.isArray(value) && !(value instanceof ShutdownPlan)) expect(Object.isFrozen(value)).toBe(true);
      }
    }
    expect(shared).toBeGreaterThanOrEqual(10); // the cache is on: plans and scripts are shared
  });
});
