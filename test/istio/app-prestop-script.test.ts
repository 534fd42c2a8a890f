/**
 * The app container's preStop, taken from the synthesized Deployment and run for real: it waits
 * for propagation, then calls the app's shutdown endpoint (a recording server on 127.0.0.1),
 * bounded by the app-shutdown phase.
 */
import { Duration, Testing } from 'cdk8s';
import { IstioDrainedWorkload, IstioProtocol, IstioVersion } from '../../src';
import { startRecordingServer } from '../script/http-fixture';
import { HttpToolChoice, runScript, SHELLS } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

function appScript(port: number, timeout: Duration): string {
  const chart = Testing.chart();
  new IstioDrainedWorkload(chart, 'app', {
    istioVersion: IstioVersion.V1_22,
    image: 'example/app:1',
    ports: [{ port, protocol: IstioProtocol.HTTP }],
    propagation: Duration.seconds(2),
    shutdownEndpoint: { path: '/admin/shutdown?reason=prestop', timeout },
  });
  return preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'app'));
}

const TOOLS: Record<string, HttpToolChoice> = { dash: 'curl', bash: 'wget', busybox: 'busybox-wget' };

describe('app preStop: propagation, then the shutdown endpoint', () => {
  test.each(SHELLS)('%s: calls POST /admin/shutdown once propagation has passed', async shell => {
    let calledAt = 0;
    const srv = await startRecordingServer(() => {
      calledAt = Date.now();
      return { status: 200, body: 'bye' };
    });
    try {
      const started = Date.now();
      const r = await runScript(appScript(srv.port, Duration.seconds(3)), { shell, withPath: { http: TOOLS[shell] }, timeoutMs: 15_000 });
      expect(r.code).toBe(0);
      expect(srv.requests.map(q => [q.method, q.url])).toEqual([['POST', '/admin/shutdown?reason=prestop']]);
      // Not before the end of propagation: 2s counted in whole seconds of `date +%s`, so at least 1s.
      expect(calledAt - started).toBeGreaterThanOrEqual(950);
      expect(calledAt - started).toBeLessThan(2500);
      expect(r.messages).toContain('wait until t=2s: endpoint removal reaches kube-proxy, ingresses and the other sidecars');
      expect(r.messages).toContain('app shutdown endpoint: ok');
      expect(r.messages.indexOf('wait until t=2s: endpoint removal reaches kube-proxy, ingresses and the other sidecars'))
        .toBeLessThan(r.messages.indexOf('app shutdown endpoint: ok'));
      expect(r.elapsedMs).toBeLessThan(3000);
    } finally {
      await srv.close();
    }
  }, 20_000);

  test.each(SHELLS)('%s: a shutdown endpoint that never answers is cut at the phase bound', async shell => {
    const srv = await startRecordingServer(() => ({ hang: true }));
    try {
      const r = await runScript(appScript(srv.port, Duration.seconds(2)), { shell, withPath: { http: TOOLS[shell] }, timeoutMs: 15_000 });
      expect(r.code).toBe(0);
      expect(r.timedOut).toBe(false);
      // Deadline: propagation 2s + the call's 2s = t=4s.
      expect(r.elapsedMs).toBeGreaterThanOrEqual(2900);
      expect(r.elapsedMs).toBeLessThan(4000 + 1500);
      expect(r.messages.some(m => m.startsWith('app shutdown endpoint: failed: '))).toBe(true);
      expect(r.messages[r.messages.length - 1]).toBe('done');
    } finally {
      await srv.close();
    }
  }, 20_000);
});
