import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { IstioOrdersChart } from '../../examples/istio';
import { GracefulShutdownChecks } from '../../src';
import { only, synthValid } from '../util/synth';

describe('examples/istio.ts: the field case', () => {
  test('passes the consistency checks; annotation, grace period and timeline come from the plan', () => {
    const chart = new IstioOrdersChart(Testing.app(), 'orders');
    GracefulShutdownChecks.addTo(chart, { warningsAsErrors: true });
    const dep = only(synthValid(chart), 'Deployment');
    const pod = dep.spec.template;
    expect(parse(pod.metadata.annotations['proxy.istio.io/config'])).toEqual({ terminationDrainDuration: '60s', holdApplicationUntilProxyStarts: true });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(97);
    const timeline = chart.workload.plan.toString();
    expect(timeline).toContain('terminationGracePeriodSeconds: 97 (derived from the plan)');
    expect(timeline).toMatch(/t=35s\s+proxy-drain\s+<=1m/);
  });
});
