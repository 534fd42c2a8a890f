import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { DeregistrationPlacement, OfflineEndpoint, Registry, RegistryAwareService, RegistryHeader, RegistrySecret } from '../src';
import { ExampleWorkload } from './main';

/**
 * The field case: `soa-test` (port 8080) is registered in Nacos by pod IP. A platform admin
 * controller (`soa-admin`) fronts Nacos and keeps configuration per instance IP. On termination:
 * the app's own offline endpoint (Spring Cloud's service-registry actuator, DOWN), then the admin
 * controller confirms the instance is gone (404) or force-removes it, then the per-IP config is
 * cleared, then the wait for client caches (Nacos 1.x clients poll every 10s) and the RPC timeout.
 * Once in the app container's preStop, once in a sidecar: the app image needs no curl or wget, and
 * its preStop waits for the sidecar's done-file (on Kubernetes 1.30+ it would be the kubelet's sleep
 * action, needing no tools at all; the example app targets 1.28).
 */
export class RegistryChart extends Chart {
  public readonly inApp: RegistryAwareService;
  public readonly sidecar: RegistryAwareService;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const admin = 'http://soa-admin.soa.svc.cluster.local:8080/admin';
    const instance = 'service=soa-test&group=DEFAULT_GROUP&ip=${POD_IP}&port=8080';
    const token = RegistryHeader.fromSecret('X-Admin-Token', RegistrySecret.fromSecretName('soa-admin-token', 'token'));
    const registry = Registry.custom({
      name: 'soa-admin',
      offlineUrl: `${admin}/instances/offline?${instance}`,
      checkUrl: `${admin}/instances?${instance}`,
      forceRemoveUrl: `${admin}/instances?${instance}`,
      clearConfigUrl: `${admin}/config/\${POD_IP}`,
      headers: [token],
      clearConfigHeaders: [token],
    });
    const common = {
      registry,
      offlineEndpoint: OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'DOWN' }),
      cacheRefresh: Duration.seconds(10),
      rpcTimeout: Duration.seconds(3),
      stopTimeout: Duration.seconds(30),
      replicas: 3,
    };
    this.inApp = new RegistryAwareService(this, 'soa-test', {
      ...common,
      app: { name: 'soa-test', image: 'registry.example.com/soa/soa-test:2.3.1', portNumber: 8080 },
    });
    this.sidecar = new RegistryAwareService(this, 'soa-test-sidecar', {
      ...common,
      app: { name: 'soa-test', image: 'registry.example.com/soa/soa-test:2.3.1', portNumber: 8080 },
      placement: DeregistrationPlacement.SIDECAR,
    });
  }

  /** Both workloads with their plans, for the timeline printout. */
  public get workloads(): ExampleWorkload[] {
    return [
      { name: 'soa-test (deregistration in the app container)', plan: this.inApp.plan },
      { name: 'soa-test-sidecar (deregistration in a sidecar)', plan: this.sidecar.plan },
    ];
  }
}
