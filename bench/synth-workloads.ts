/**
 * The workloads the synthesis benchmark builds: each pattern twice, once through this library and
 * once configured by hand with plain cdk8s-plus-28 and the same field values (bench/hand-configured.ts),
 * so the ratio is what the library itself costs. Workload i of a pattern varies its drain bound
 * with i % 5, as a platform's services differ.
 */
import { App, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  GracefulEnvoyGateway, GracefulNginx, GracefulWorkload, IstioDrainedWorkload, IstioProtocol, IstioVersion,
  NginxCutOver, OfflineEndpoint, PosixScript, PreStopHook, Registry, RegistryAwareService, RegistrySecret, ShutdownPlan, Step,
  NacosAuth,
} from '../src';
import { buildByHand } from './hand-configured';

export interface BenchPattern {
  readonly name: string;
  /** Builds workload number `i` through the library. */
  graceful(scope: Construct, i: number): void;
  /** Builds workload number `i` by hand, with the same fields. */
  plain(scope: Construct, i: number): void;
}

const VARIANTS = 5;

/** A pattern whose hand-configured twin copies the field values of a synthesized instance. */
function pattern(name: string, build: (scope: Construct, id: string, variant: number) => void): BenchPattern {
  const templates = new Map<number, any[]>();
  const template = (variant: number) => {
    let objects = templates.get(variant);
    if (!objects) {
      const chart = new Chart(new App(), 'template');
      build(chart, 'w', variant);
      objects = chart.toJson();
      templates.set(variant, objects);
    }
    return objects;
  };
  return {
    name,
    graceful: (scope, i) => build(scope, `${name}-${i}`, i % VARIANTS),
    plain: (scope, i) => buildByHand(scope, `${name}-${i}`, template(i % VARIANTS)),
  };
}

export const PATTERNS: BenchPattern[] = [
  pattern('workload', (scope, id, v) => {
    const plan = ShutdownPlan.standard({ propagation: Duration.seconds(10), maxDrain: Duration.seconds(20 + v), stopTimeout: Duration.seconds(5) });
    const w = new GracefulWorkload(scope, id, { plan });
    w.addContainer({
      name: 'app',
      image: 'ghcr.io/example/web:1',
      portNumber: 8080,
      preStop: PreStopHook.script(new PosixScript({ name: 'web-prestop', deadline: plan.preStopDeadline })
        .add(Step.sleepUntil(plan.endOf('propagate'), 'endpoint removal reaches every proxy'))),
    });
    w.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  }),
  pattern('envoy', (scope, id, v) => {
    new GracefulEnvoyGateway(scope, id, {
      image: 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0',
      listeners: [{ name: 'ssh', port: 2222, address: '::' }, { name: 'http', port: 8080, servicePort: 80 }],
      minDrain: Duration.seconds(10),
      maxDrain: Duration.hours(1 + v),
      envoyDrainFlags: true,
    });
  }),
  pattern('istio', (scope, id, v) => {
    new IstioDrainedWorkload(scope, id, {
      istioVersion: IstioVersion.of('1.22'),
      image: 'ghcr.io/example/orders:2.3.1',
      ports: [{ port: 8080, protocol: IstioProtocol.HTTP, suffix: 'api', servicePort: 80 }],
      propagation: Duration.seconds(10),
      shutdownEndpoint: { path: '/admin/shutdown', timeout: Duration.seconds(5) },
      appShutdownTimeout: Duration.seconds(20),
      terminationDrainDuration: Duration.seconds(60 + v),
    });
  }),
  pattern('nginx', (scope, id, v) => {
    new GracefulNginx(scope, id, {
      cutOver: NginxCutOver.readinessFile({ period: Duration.seconds(5), failureThreshold: 1 }),
      propagation: Duration.seconds(5),
      keepaliveTimeout: Duration.seconds(3),
      maxDrain: Duration.seconds(10 + v),
    });
  }),
  pattern('registry', (scope, id, v) => {
    new RegistryAwareService(scope, id, {
      registry: Registry.nacos({
        serverUrl: 'http://nacos.soa.svc.cluster.local:8848',
        serviceName: 'soa-test',
        port: 8080,
        auth: NacosAuth.usernamePassword(RegistrySecret.fromSecretName('nacos', 'username'), RegistrySecret.fromSecretName('nacos', 'password')),
        clearConfigUrl: 'http://soa-admin.soa.svc.cluster.local:8080/admin/config/${POD_IP}',
      }),
      offlineEndpoint: OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'DOWN' }),
      app: { name: 'soa-test', image: 'registry.example.com/soa/soa-test:2.3.1', portNumber: 8080 },
      cacheRefresh: Duration.seconds(10 + v),
      rpcTimeout: Duration.seconds(3),
      stopTimeout: Duration.seconds(30),
    });
  }),
];
