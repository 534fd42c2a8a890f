import { Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ExampleWorkload } from './main';
import {
  Confirmation, DeregistrationPlacement, NacosAuth, OfflineEndpoint, Registry, RegistryAwareService,
  RegistryAwareServiceProps, RegistryHeader, RegistrySecret,
} from 'cdk8s-graceful-shutdown';

/**
 * The field case: `soa-test` (port 8080) is registered in Nacos by pod IP; Nacos runs with auth on
 * (username and password in the Secret `nacos-cred`). A platform admin controller (`soa-admin`)
 * fronts Nacos and keeps configuration per instance IP. On termination:
 * 1. the app's own offline endpoint (Spring Cloud's service-registry actuator, DOWN);
 * 2. the admin controller confirms the instance is gone (404), polled for up to 5s;
 * 3. if it is still there (the app's call hung or failed): Nacos's own
 *    `DELETE /nacos/v1/ns/instance?serviceName=soa-test&groupName=SOA&namespaceId=prod&ip=<pod IP>&port=8080`,
 *    with the token from a login made with the Secret's credentials;
 * 4. the admin controller clears the configuration kept for the pod IP;
 * 5. the wait for client caches (Nacos 1.x clients poll every 10s) and the RPC timeout (3s).
 * Once in the app container's preStop (the app image has sh and curl), once in a sidecar (the app
 * image needs no curl, no SDK).
 */
export class RegistryChart extends Chart {
  public readonly inApp: RegistryAwareService;
  public readonly sidecar: RegistryAwareService;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const admin = 'http://soa-admin.soa.svc.cluster.local:8080/admin';
    const adminToken = RegistryHeader.fromSecret('X-Admin-Token', RegistrySecret.fromSecretName('soa-admin-token', 'token'));
    const registry = Registry.nacos({
      serverUrl: 'http://nacos.soa.svc.cluster.local:8848',
      serviceName: 'soa-test',
      port: 8080,
      groupName: 'SOA',
      namespaceId: 'prod',
      auth: NacosAuth.usernamePassword(
        RegistrySecret.fromSecretName('nacos-cred', 'username'),
        RegistrySecret.fromSecretName('nacos-cred', 'password'),
      ),
      confirmation: Confirmation.adminController({
        name: 'soa-admin',
        checkUrl: `${admin}/instances?service=soa-test&group=SOA&ip=\${POD_IP}&port=8080`,
        headers: [adminToken],
      }),
      clearConfigUrl: `${admin}/config/\${POD_IP}`,
      clearConfigHeaders: [adminToken],
    });
    const common: Omit<RegistryAwareServiceProps, 'app'> = {
      registry,
      offlineEndpoint: OfflineEndpoint.springBootServiceRegistry({ port: 8080, status: 'DOWN' }),
      cacheRefresh: Duration.seconds(10),
      rpcTimeout: Duration.seconds(3),
      stopTimeout: Duration.seconds(30),
      replicas: 3,
    };
    const app = { name: 'soa-test', image: 'registry.example.com/soa/soa-test:2.3.1', portNumber: 8080 };
    this.inApp = new RegistryAwareService(this, 'soa-test', { ...common, app });
    this.sidecar = new RegistryAwareService(this, 'soa-test-sidecar', {
      ...common,
      app,
      placement: DeregistrationPlacement.SIDECAR,
    });
  }

  /** Both workloads with their plans, for the timeline printout. */
  public get workloads(): ExampleWorkload[] {
    return [
      { name: 'soa-test (Nacos; deregistration in the app container)', plan: this.inApp.plan },
      { name: 'soa-test-sidecar (Nacos; deregistration in a sidecar)', plan: this.sidecar.plan },
    ];
  }
}
