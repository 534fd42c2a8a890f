/**
 * Real nginx under keep-alive load, deleted as the kubelet would, through the termination harness
 * (test/e2e/harness). GracefulNginx must fail exactly 0 requests; the naive pod must fail some
 * under the same load, so the harness can tell the difference.
 */
import { cleanupHarness, runScenario } from './harness/scenario';
import { gracefulPod, PROPAGATION_MS, variants } from './harness/variants';

jest.setTimeout(90_000);

// Whatever happens in a test (a failure, a timeout), nothing it started outlives the file.
afterAll(async () => {
  await cleanupHarness();
});

describe('GracefulNginx under keep-alive load (real nginx, wrk, 32 connections)', () => {
  test('GracefulNginx: zero failed requests; nginx exits well before SIGKILL', async () => {
    const { pod, construct } = gracefulPod();
    const r = await runScenario(pod, { propagationMs: PROPAGATION_MS });
    console.log(`variant=graceful-nginx failed=${r.failed} total=${r.total} terminate_s=${r.terminateS.toFixed(1)}`);
    expect(r.wrk.requests).toBeGreaterThan(1000);
    // Half of the connections were pinned to the deleted pod, and nginx closed every one cleanly.
    expect(r.deletedPodConnections.opened).toBeGreaterThanOrEqual(16);
    expect(r.deletedPodConnections.backendErrors).toBe(0);
    expect(r.failed).toBe(0);
    expect(r.deletion.killed).toBe(false);
    expect(r.deletion.preStopTimedOut).toBe(false);
    expect(r.deletion.preStopCode).toBe(0);
    expect(r.terminateS).toBeLessThan(construct.plan.terminationGracePeriodSeconds);
    // The preStop ran the plan in order and saw the master exit.
    const messages = r.deletion.preStopLog.map(l => l.replace(/^t=\d+ nginx-prestop: /, ''));
    expect(messages).toEqual(expect.arrayContaining([
      'remove the readiness file: ok',
      'keep-alive connections to port 8080: 0',
      'nginx -s quit: ok',
      'nginx master: 0',
      'done',
    ]));
  });

  test('the naive pod (no preStop, SIGTERM) fails requests under the same load', async () => {
    const r = await runScenario(variants().naive, { propagationMs: PROPAGATION_MS });
    console.log(`variant=naive failed=${r.failed} total=${r.total} terminate_s=${r.terminateS.toFixed(1)}`);
    expect(r.wrk.requests).toBeGreaterThan(1000);
    expect(r.failed).toBeGreaterThan(0);
  });
});
