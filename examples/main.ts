import { App, Chart, ChartProps, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvoyGatewayChart } from './envoy';
import { IstioOrdersChart } from './istio';
import { NginxChart } from './nginx';
import { RegistryChart } from './registry';
import { GracefulShutdownChecks, GracefulWorkload, HelmChart, PosixScript, PreStopHook, ShutdownPlan, Step } from 'cdk8s-graceful-shutdown';

/**
 * The example platform: one chart per pattern, with field-realistic values. `npm run synth`
 * writes dist-k8s/*.k8s.yaml and prints every workload's shutdown timeline; `npm run synth:helm`
 * (`--helm dist-helm [--chart-version 1.0.0]`) writes the same app as a Helm chart instead.
 */

/** A plain web API on the base construct: wait for endpoint propagation, then let the app drain. */
export class WebApiChart extends Chart {
  public readonly workload: GracefulWorkload;
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    const plan = ShutdownPlan.standard({
      propagation: Duration.seconds(10),
      stopTimeout: Duration.seconds(20),
      margin: Duration.seconds(2),
    });
    this.workload = new GracefulWorkload(this, 'web-api', { plan, replicas: 3 });
    this.workload.addContainer({
      name: 'app',
      image: 'ghcr.io/example/web-api:1.4.2',
      portNumber: 8080,
      preStop: PreStopHook.script(new PosixScript({ name: 'web-api-prestop', deadline: plan.preStopDeadline })
        .add(Step.sleepUntil(plan.endOf('propagate'), 'endpoint removal reaches kube-proxy and the ingress'))),
    });
    this.workload.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  }
}

/** Every workload of the example app with its plan, for printing timelines. */
export interface ExampleWorkload {
  readonly name: string;
  readonly plan: ShutdownPlan;
}

export function buildExampleApp(app: App): ExampleWorkload[] {
  const web = new WebApiChart(app, 'web-api');
  const istio = new IstioOrdersChart(app, 'istio-orders');
  return [{ name: 'web-api', plan: web.workload.plan }, { name: `istio-orders, proxy.istio.io/config: {${istio.workload.proxyConfig.trim().split('\n').join(', ')}}`, plan: istio.workload.plan }, { name: 'web-nginx', plan: new NginxChart(app, 'web-nginx').nginx.plan }, { name: 'envoy-gateway', plan: new EnvoyGatewayChart(app, 'envoy-gateway').gateway.plan }, ...new RegistryChart(app, 'soa-test').workloads];
}

if (require.main === module) {
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : process.argv[at + 1];
  };
  const helmOutdir = option('--helm');
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist-k8s' });
  const workloads = buildExampleApp(app);
  // The consistency rules run over every object at synth time: an error fails the synth.
  for (const chart of app.charts) GracefulShutdownChecks.addTo(chart);
  if (helmOutdir) {
    HelmChart.fromApp(app, {
      name: 'graceful-shutdown-examples',
      version: option('--chart-version') ?? '1.0.0',
      appVersion: '1.0.0',
      description: 'The cdk8s-graceful-shutdown example platform: one workload per pattern',
    }).writeTo(helmOutdir);
  } else {
    app.synth();
  }
  for (const w of workloads) {
    console.log(`\n== ${w.name}\n${w.plan.toString()}`);
  }
  console.log(`\nwrote ${helmOutdir ?? app.outdir}/`);
}
