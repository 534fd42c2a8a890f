/**
 * GracefulNginx with a client that sends half a request header and never finishes it (a slow or
 * stuck client): nginx does not close such a connection when worker_shutdown_timeout expires, so
 * before the generated nginx.conf bounded client_header_timeout by the plan's quit phase, nginx
 * ran until SIGKILL at the end of the grace period. Real nginx, the kubelet's order
 * (test/e2e/harness/pod.ts), every shell for the preStop.
 */
import { runNginxDelete } from './nginx-cases';
import { killEverything } from '../e2e/harness/pod';
import { SHELLS } from '../script/run-script';

jest.setTimeout(120_000);
afterAll(() => killEverything());

test.each(SHELLS)('a half-sent request does not keep nginx past its plan (%s)', async shell => {
  const r = await runNginxDelete({
    propagationS: 1, keepaliveTimeoutS: 1, maxDrainS: 2, reloadBeforeQuit: false, idleClients: 1, stuckClients: 1, shell,
  });
  expect(r.violations).toEqual([]);
  expect(r.deadlineMarginMs).toBeGreaterThanOrEqual(0);
});
