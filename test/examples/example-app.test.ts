import { App, Chart } from 'cdk8s';
import { buildExampleApp } from '../../examples/main';
import { GracefulShutdownChecks } from '../../src';
import { synthValid } from '../util/synth';

/**
 * The example app is what `npm run synth` writes: every chart must be schema-valid, pass every
 * consistency rule with warnings as errors, and carry each plan's grace period on its pod.
 */
describe('the example app', () => {
  const app = new App({ outdir: '/nonexistent-never-written' });
  const workloads = buildExampleApp(app);
  const charts = app.charts as Chart[];

  test('has one workload per pattern and the base, each with a plan', () => {
    const names = workloads.map(w => w.name).join(' | ');
    for (const expected of ['web-api', 'istio-orders', 'web-nginx', 'envoy-gateway', 'soa-test']) expect(names).toContain(expected);
  });

  test('every object is valid against the Kubernetes schema', () => {
    for (const chart of charts) expect(synthValid(chart).length).toBeGreaterThan(0);
  });

  test('every chart passes the consistency checks with warnings as errors', () => {
    for (const chart of charts) {
      const checks = GracefulShutdownChecks.addTo(chart, { warningsAsErrors: true, printWarnings: false });
      expect({ chart: chart.node.id, errors: checks.validate() }).toEqual({ chart: chart.node.id, errors: [] });
    }
  });

  test("each plan's grace period is the one on a synthesized Deployment", () => {
    const graces = charts.flatMap(c => c.toJson()).filter(o => o.kind === 'Deployment').map(o => o.spec.template.spec.terminationGracePeriodSeconds);
    for (const w of workloads) expect(graces).toContain(w.plan.terminationGracePeriodSeconds);
    // The Envoy example drains ssh for up to a day: the grace period follows.
    expect(Math.max(...graces)).toBeGreaterThan(86_400);
  });
});
