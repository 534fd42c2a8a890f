import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch, Testing } from 'cdk8s';
import { CheckLevel, GracefulShutdownChecks } from '../../src';

/** A Deployment written as a raw ApiObject: not created by this library. */
function rawDeployment(chart: Chart, id: string, preStop: string[], grace?: number): ApiObject {
  return new ApiObject(chart, id, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: id },
    spec: {
      selector: { matchLabels: { app: id } },
      template: {
        metadata: { labels: { app: id } },
        spec: { ...(grace ? { terminationGracePeriodSeconds: grace } : {}), containers: [{ name: 'app', image: 'x', lifecycle: { preStop: { exec: { command: preStop } } } }] },
      },
    },
  });
}

describe('GracefulShutdownChecks', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => { warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); });
  afterEach(() => warn.mockRestore());

  test('Testing.synth fails on an error, naming the rule and the construct path', () => {
    const chart = Testing.chart();
    rawDeployment(chart, 'web', ['sleep', '45']);
    GracefulShutdownChecks.addTo(chart);
    expect(() => Testing.synth(chart)).toThrow(/GS001 \[test\/web\] Deployment web: preStop of container "app" sleeps 45s/);
  });

  test('app.synth() runs the validation too and writes nothing on error', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-synth-'));
    const app = new App({ outdir });
    const chart = new Chart(app, 'prod');
    rawDeployment(chart, 'api', ['/bin/sh', '-c', 'if [[ -f /tmp/x ]]; then sleep 1; fi'], 40);
    GracefulShutdownChecks.addTo(chart, { kubernetesVersion: '1.29' });
    expect(() => app.synth()).toThrow(/GS011 \[prod\/api\]/);
    expect(fs.readdirSync(outdir)).toEqual([]);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('sees JSON patches and passes a compliant chart; warnings print but do not fail', () => {
    const chart = Testing.chart();
    const d = rawDeployment(chart, 'web', ['sleep', '45']);
    d.addJsonPatch(JsonPatch.add('/spec/template/spec/terminationGracePeriodSeconds', 60));
    new ApiObject(chart, 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'nopre' } } });
    new ApiObject(chart, 'nopre', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nopre' },
      spec: { template: { metadata: { labels: { app: 'nopre' } }, spec: { containers: [{ name: 'app', image: 'x' }] } } },
    });
    const checks = GracefulShutdownChecks.addTo(chart);
    expect(() => Testing.synth(chart)).not.toThrow();
    expect(checks.findings().filter(f => f.level !== CheckLevel.INFO).map(f => `${f.ruleId} ${f.source}`)).toEqual(['GS005 test/nopre']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('warning GS005 [test/nopre]'));
  });

  test('warningsAsErrors fails on warnings; printWarnings: false keeps quiet', () => {
    const chart = Testing.chart();
    rawDeployment(chart, 'w', ['/bin/sh', '-c', 'while true; do sleep 1; done']);
    GracefulShutdownChecks.addTo(chart, { warningsAsErrors: true });
    expect(() => Testing.synth(chart)).toThrow(/GS010 \[test\/w\].*no counter or deadline/);

    const quiet = Testing.chart();
    rawDeployment(quiet, 'w', ['/bin/sh', '-c', 'while true; do sleep 1; done']);
    GracefulShutdownChecks.addTo(quiet, { printWarnings: false });
    expect(() => Testing.synth(quiet)).not.toThrow();
    expect(warn).not.toHaveBeenCalled();
  });

  test('disabledRules turns a rule off', () => {
    const chart = Testing.chart();
    rawDeployment(chart, 'web', ['sleep', '45']);
    GracefulShutdownChecks.addTo(chart, { disabledRules: ['GS001'] });
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});
