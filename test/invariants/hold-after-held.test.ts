/**
 * Invariant 5 for both hook sidecars on 1.28 (ordinary containers), in its worst case: the
 * dependency never answers, so the script its CGI runs lasts until its own deadline, and the CGI
 * starts 1.5s after the hold (the app's or Envoy's httpGet reaches the sidecar late). The hold must
 * still return only after the script's done marker exists. Before the shared hold
 * (src/hook-sidecar holdScript), both holds had the script's own deadline and returned first.
 */
import { runDrainManagerHold } from './envoy-cases';
import { runRegistryTriggerHold } from './registry-cases';
import { DrainListenersMode } from '../../src';
import { Mode } from '../registry/fakes/fake-server';

jest.setTimeout(120_000);

test('registry HTTP_GET sidecar: a hanging Nacos, a late CGI', async () => {
  const r = await runRegistryTriggerHold({
    cacheRefreshS: 1, rpcTimeoutS: 1, confirmTimeoutS: 1, list: Mode.HANG, deregister: Mode.HANG, down: false, recoverAfterMs: 0, shell: 'dash', http: 'curl',
  }, 1500);
  expect(r.violations).toEqual([]);
  expect(r.holdAfterMs).toBeGreaterThanOrEqual(0);
});

test('envoy drain-manager: an admin answering garbage, a late CGI', async () => {
  const r = await runDrainManagerHold({
    failHealthCheck: true,
    drainListeners: DrainListenersMode.GRACEFUL,
    minDrainS: 0,
    readinessFailureThreshold: 1,
    maxDrainS: 3,
    fault: { kind: 'garbage', garbage: 'html' },
    shell: 'dash',
    http: 'curl',
  }, 1500);
  expect(r.violations).toEqual([]);
  expect(r.holdAfterMs).toBeGreaterThanOrEqual(0);
});
