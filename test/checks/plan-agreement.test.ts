import { App, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import {
  AppWait, CheckFinding, CheckLevel, Confirmation, DeregistrationPlacement, DrainListenersMode, GracefulEnvoyGateway, GracefulNginx,
  GracefulWorkload, IstioDrainedWorkload, IstioProtocol, IstioVersion, KubernetesVersion, NginxCutOver, OfflineEndpoint, PreStopHook,
  Registry, RegistryAwareService, RulePack, ShutdownPlan,
} from '../../src';
import { decodePlanAnnotation, PLAN_ANNOTATION } from '../../src/plan/plan-annotation';

// The checks agree with the plan (the library's guarantee 6): for props of every pattern, the
// synthesized manifest lints with no error; with its grace period lowered (by one second, and to
// half), the checks report the workload, and every grace period a fix asks for is the annotated
// plan's own, not the shell reader's estimate.

const s = Duration.seconds;
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const version = opt(fc.constantFrom('1.28', '1.29', '1.30', '1.33'));
const RUNS = 40;

interface Sample { readonly objects: any[]; readonly version: string }

/** Synthesizes one pattern; undefined when the props are refused at synthesis (they are random). */
function synth(build: (scope: Construct, v: KubernetesVersion | undefined) => void, v: string | undefined): Sample | undefined {
  const chart = new Chart(new App(), 'c');
  try {
    build(chart, v === undefined ? undefined : KubernetesVersion.of(v));
  } catch (e) {
    return undefined;
  }
  return { objects: chart.toJson(), version: v ?? '1.28' };
}

const GRACE_FIX = /terminationGracePeriodSeconds (?:to )?at least (\d+)/g;

function lint(objects: any[], kubernetesVersion: string): CheckFinding[] {
  return RulePack.builtIn({ kubernetesVersion }).checkObjects(objects).filter(f => f.level !== CheckLevel.INFO);
}

/** Checks one sample; returns how many edits of planned workloads it checked. */
function agrees(sample: Sample): number {
  const clean = lint(sample.objects, sample.version);
  expect(clean.filter(f => f.level === CheckLevel.ERROR).map(f => `${f.ruleId} ${f.message}`)).toEqual([]);
  let edited = 0;
  sample.objects.forEach((o, i) => {
    const text = o.spec?.template?.metadata?.annotations?.[PLAN_ANNOTATION];
    if (typeof text !== 'string') return;
    const plan = decodePlanAnnotation(text);
    const grace = o.spec.template.spec.terminationGracePeriodSeconds;
    expect(grace).toBe(plan.gracePeriodSeconds);
    for (const lowered of new Set([grace - 1, Math.floor(grace / 2)])) {
      if (lowered < 1) continue;
      const copy = JSON.parse(JSON.stringify(o));
      copy.spec.template.spec.terminationGracePeriodSeconds = lowered;
      const objects = sample.objects.map((x, j) => (j === i ? copy : x));
      const found = lint(objects, sample.version).filter(f => f.name === o.metadata.name);
      expect(found.map(f => f.ruleId)).toContain('GS014');
      const asked = found.flatMap(f => [...f.fix.matchAll(GRACE_FIX)].map(m => Number(m[1])));
      expect(asked.length).toBeGreaterThan(0);
      expect(new Set(asked)).toEqual(new Set([plan.gracePeriodSeconds]));
      edited++;
    }
  });
  return edited;
}

type Model = { [field: string]: fc.Arbitrary<unknown> };
type Build<P> = (scope: Construct, p: P, v: KubernetesVersion | undefined) => void;

/** Runs the property; returns how many samples synthesized (random props may be refused) and edits checked. */
function property<P>(model: Model, build: Build<P>): { built: number; edited: number } {
  let edited = 0;
  let built = 0;
  fc.assert(fc.property(fc.record(model), version, (p, v) => {
    const sample = synth((scope, kv) => build(scope, p as P, kv), v);
    if (sample) {
      built++;
      edited += agrees(sample);
    }
  }), { numRuns: RUNS, seed: 20261201 });
  return { built, edited };
}

function enough(r: { built: number; edited: number }): void {
  expect(r.built).toBeGreaterThanOrEqual(RUNS / 2);
  expect(r.edited).toBeGreaterThanOrEqual(r.built);
}

describe('the checks agree with the plan', () => {
  test('GracefulWorkload with a standard plan and a sleep hook', () => {
    const model = {
      deregisterTimeout: opt(fc.constantFrom(s(0), s(2))),
      propagation: opt(fc.constantFrom(s(1), s(5), s(10))),
      maxDrain: opt(fc.constantFrom(s(0), s(20), s(45))),
      stopTimeout: opt(fc.constantFrom(s(1), s(5))),
      margin: opt(fc.constantFrom(s(0), s(2))),
      terminationGracePeriod: opt(fc.constantFrom(s(60), s(120))),
    };
    enough(property(model, (scope, p: any, v) => {
      const w = new GracefulWorkload(scope, 'w', { plan: ShutdownPlan.standard(p), kubernetesVersion: v });
      w.addContainer({ name: 'app', image: 'app:1', preStop: PreStopHook.sleep(w.plan.preStopDeadline) });
    }));
  });

  test('GracefulEnvoyGateway', () => {
    const model = {
      listeners: fc.constantFrom([{ name: 'http', port: 8080 }], [{ name: 'ssh', port: 2222 }, { name: 'http', port: 8080, drain: false }]),
      failHealthCheck: opt(fc.boolean()),
      drainListeners: opt(fc.constantFrom(DrainListenersMode.GRACEFUL, DrainListenersMode.GRACEFUL_INBOUND_ONLY, DrainListenersMode.NONE)),
      minDrain: opt(fc.constantFrom(s(0), s(5))),
      maxDrain: opt(fc.constantFrom(s(30), s(60), Duration.hours(1))),
      envoyDrainFlags: opt(fc.boolean()),
      drainManager: opt(fc.constantFrom({}, { port: 19003 })),
      readinessPeriod: opt(fc.constantFrom(s(5), s(10))),
    };
    enough(property(model, (scope, p: any, v) => new GracefulEnvoyGateway(scope, 'gw', { image: 'envoyproxy/envoy:v1.31.0', ...p, kubernetesVersion: v })));
  });

  test('GracefulNginx', () => {
    const model = {
      cutOver: opt(fc.constantFrom(
        NginxCutOver.readinessFile(), NginxCutOver.readinessFile({ period: s(2), failureThreshold: 2 }), NginxCutOver.endpointsOnly(),
      )),
      propagation: opt(fc.constantFrom(s(1), s(5))),
      cutOverWait: opt(fc.constantFrom(s(6), s(12))),
      keepaliveTimeout: opt(fc.constantFrom(s(0), s(3), s(10))),
      maxDrain: opt(fc.constantFrom(s(10), s(25))),
      reloadBeforeQuit: opt(fc.boolean()),
    };
    enough(property(model, (scope, p: any, v) => new GracefulNginx(scope, 'ng', { ...p, kubernetesVersion: v })));
  });

  test('IstioDrainedWorkload', () => {
    const model = {
      istioVersion: fc.constantFrom(IstioVersion.of('1.11'), IstioVersion.of('1.22'), IstioVersion.of('1.23')),
      ports: fc.constantFrom([{ port: 8080, protocol: IstioProtocol.HTTP }], [{ port: 9090, protocol: IstioProtocol.GRPC }]),
      propagation: opt(fc.constantFrom(s(0), s(5), s(10))),
      shutdownEndpoint: opt(fc.constantFrom({ path: '/shutdown' }, { path: '/admin/shutdown', timeout: s(3) })),
      appShutdownTimeout: opt(fc.constantFrom(s(10), s(20))),
      terminationDrainDuration: opt(fc.constantFrom(s(5), s(60))),
      exitOnZeroActiveConnections: opt(fc.boolean()),
      nativeSidecars: opt(fc.boolean()),
      waitForOutboundConnections: opt(fc.boolean()),
    };
    enough(property(model, (scope, p: any, v) => new IstioDrainedWorkload(scope, 'orders', { image: 'orders:1', ...p, kubernetesVersion: v })));
  });

  test('RegistryAwareService', () => {
    const model = {
      flavour: fc.constantFrom('nacos', 'eureka', 'consul'),
      checkUrl: opt(fc.constantFrom('http://admin/check/${POD_IP}')),
      offlineEndpoint: opt(fc.constantFrom(OfflineEndpoint.springBootServiceRegistry({ port: 8080 }), OfflineEndpoint.http({ url: 'http://127.0.0.1:8080/offline' }))),
      placement: opt(fc.constantFrom(DeregistrationPlacement.APP_CONTAINER, DeregistrationPlacement.SIDECAR)),
      appWait: opt(fc.constantFrom(AppWait.DONE_FILE, AppWait.SLEEP)),
      cacheRefresh: opt(fc.constantFrom(s(10), s(30))),
      rpcTimeout: opt(fc.constantFrom(s(3), s(5))),
      terminationGracePeriod: opt(fc.constantFrom(s(90))),
    };
    enough(property(model, (scope, p: any, v) => {
      const { flavour, checkUrl, appWait, ...service } = p;
      if (service.placement === DeregistrationPlacement.SIDECAR) service.appWait = appWait;
      const confirmation = checkUrl ? Confirmation.adminController({ checkUrl }) : undefined;
      const registry = flavour === 'nacos' ? Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'a', port: 8080, confirmation })
        : flavour === 'eureka' ? Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'a', port: 8080, confirmation })
          : Registry.consul({ agentUrl: 'http://${HOST_IP}:8500', serviceId: 'a', confirmation });
      return new RegistryAwareService(scope, 'svc', { ...service, registry, app: { image: 'svc:1', portNumber: 8080 }, kubernetesVersion: v });
    }));
  });
});
