import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { IstioOrdersChart } from '../../examples/istio';
import { GracefulShutdownChecks } from '../../src';
import { shellcheck } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

/** The title docs/istio.md gives the example's Mermaid gantt. */
export const DOC_MERMAID_TITLE = 'istio-orders: nginx + backend, proxy drains 60s';

describe('examples/istio.ts: an nginx-fronted app whose proxy drains for 60s', () => {
  const chart = new IstioOrdersChart(Testing.app(), 'istio-orders');
  GracefulShutdownChecks.addTo(chart, { warningsAsErrors: true, printWarnings: false });
  const objects = synthValid(chart);
  const dep = only(objects, 'Deployment');
  const pod = dep.spec.template;
  const plan = chart.workload.plan;

  test('passes the consistency checks with warnings as errors', () => {
    expect(GracefulShutdownChecks.addTo(chart, { warningsAsErrors: true, printWarnings: false }).validate()).toEqual([]);
  });

  test('annotation parsed back: terminationDrainDuration 60s, holdApplicationUntilProxyStarts; grace period derived above it', () => {
    const config = parse(pod.metadata.annotations['proxy.istio.io/config']);
    expect(config).toEqual({ terminationDrainDuration: '60s', holdApplicationUntilProxyStarts: true });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(92);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(plan.terminationGracePeriodSeconds);
    expect(plan.phases.map(p => [p.name, p.bound.toSeconds()])).toEqual([['propagate', 10], ['stop', 20], ['proxy-drain', 60], ['margin', 2]]);
    expect(plan.toString()).toContain('terminationGracePeriodSeconds: 92 (derived from the plan)');
    expect(plan.toString()).toMatch(/t=30s\s+proxy-drain\s+<=1m\s+istio-proxy gets SIGTERM/);
  });

  test('nginx in front and the backend behind it, both waiting for propagation; the Service reaches nginx', () => {
    expect(pod.spec.containers.map((c: any) => [c.name, c.image])).toEqual([
      ['nginx', 'nginxinc/nginx-unprivileged:1.26-alpine'],
      ['orders', 'ghcr.io/example/orders:2.3.1'],
      ['istio-proxy', 'auto'],
    ]);
    for (const name of ['nginx', 'orders']) expect(preStopScript(containerOf(dep, name))).toContain('gs_sleep_until 10');
    expect(only(objects, 'Service').spec.ports).toEqual([{ name: 'http-web', port: 80, targetPort: 8080, appProtocol: 'http' }]);
    expect(containerOf(dep, 'nginx').securityContext).toMatchObject({ runAsUser: 101, runAsNonRoot: true, readOnlyRootFilesystem: true });
  });

  test("nginx's and the backend's shutdown timeouts are the plan's stop phase", () => {
    const conf = only(objects, 'ConfigMap').data['nginx.conf'];
    expect(conf).toContain(`worker_shutdown_timeout ${plan.phase('stop').bound.toSeconds()}s;`);
    expect(conf).toContain('server 127.0.0.1:8000;');
    expect(conf).toContain('pid /tmp/nginx.pid;');
    const mounts = containerOf(dep, 'nginx').volumeMounts.map((m: any) => [m.mountPath, m.subPath]);
    expect(mounts).toEqual([['/etc/nginx/nginx.conf', 'nginx.conf'], ['/tmp', undefined]]);
    expect(containerOf(dep, 'orders').env).toEqual([{ name: 'GUNICORN_CMD_ARGS', value: '--bind 127.0.0.1:8000 --graceful-timeout 20' }]);
  });

  test('istio-proxy is held until the stop phase of nginx and the backend ends', () => {
    const hold = preStopScript(containerOf(dep, 'istio-proxy'));
    expect(hold).toContain(`gs_sleep_until ${plan.endOf('stop').toSeconds()}\n`);
    expect(hold).toContain(`gs_deadline=$((gs_start + ${plan.endOf('stop').toSeconds()}))`);
    expect(plan.endOf('stop').toSeconds()).toBe(30);
    expect(shellcheck(hold)).toEqual({ ok: true, output: '' });
  });

  test('docs/istio.md shows this plan: the text timeline and the Mermaid gantt as the plan renders them', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/istio.md'), 'utf8');
    expect(doc).toContain(plan.toString());
    expect(doc).toContain(plan.toMermaid(DOC_MERMAID_TITLE));
  });
});
