/**
 * The termination harness: two emulated pods behind the balancer, sustained keep-alive load from
 * wrk, and one pod deleted mid-load as the kubelet would. Counts failed requests against the total.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Balancer, BackendStats } from './balancer';
import { bounded, DeleteResult, EmulatedPod, freePort, killEverything, pause, PodSpecUnderTest, TIMED_OUT } from './pod';
import { killAllWrk, Wrk, WrkResult } from './wrk';
import { requireTool } from '../../script/run-script';

/**
 * Kills everything the harness started that is still running: pods (nginx, hooks, probes) and
 * wrk. Test files call it in afterAll, so a failed or timed-out test leaves nothing behind.
 */
export async function cleanupHarness(): Promise<void> {
  killAllWrk();
  await killEverything();
}

export interface ScenarioOptions {
  /** Endpoint propagation delay of the balancer. Default 2000 ms. */
  readonly propagationMs?: number;
  /**
   * What takes a pod out of rotation: `readiness` follows its readiness probe only (as an ingress
   * or LB health check would); `endpoints` also removes it on deletion (EndpointSlice
   * `ready=false` for terminating pods). Default: `readiness` when the pod has an exec readiness
   * probe, else `endpoints`.
   */
  readonly routing?: 'readiness' | 'endpoints';
  /** wrk connections. Default 32. */
  readonly connections?: number;
  /** wrk threads. Default 2. */
  readonly threads?: number;
  /** Pause between requests on each connection, ms (see `Wrk`). Default 20. */
  readonly requestDelayMs?: number;
  /** Load before the deletion, ms. Default 1500. */
  readonly loadBeforeMs?: number;
  /** Load after the pod has terminated, ms. Default 1000. */
  readonly loadAfterMs?: number;
  /** Keep the temp dir (logs) for inspection. Default false. */
  readonly keepDir?: boolean;
}

export interface ScenarioResult {
  readonly failed: number;
  readonly total: number;
  readonly terminateS: number;
  readonly wrk: WrkResult;
  readonly deletion: DeleteResult;
  readonly dir: string;
  /** What happened to the connections routed to the deleted pod. */
  readonly deletedPodConnections: BackendStats;
}

/** Runs one deletion under load. Bounded: it gives up (and cleans up) after `scenarioBudgetMs`. */
export async function runScenario(pod: PodSpecUnderTest, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  // A missing tool must fail the run (CI installs them), never skip it.
  for (const tool of ['wrk', 'nginx', 'sh']) requireTool(tool);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-e2e-'));
  const routing = options.routing ?? (pod.readiness?.command ? 'readiness' : 'endpoints');
  const lb = new Balancer(options.propagationMs ?? 2000);
  const pods = [new EmulatedPod('pod-a', pod, dir, await freePort()), new EmulatedPod('pod-b', pod, dir, await freePort())];
  const loadBeforeMs = options.loadBeforeMs ?? 1500;
  const loadAfterMs = options.loadAfterMs ?? 1000;
  let wrk: Wrk | undefined;
  const body = async (): Promise<ScenarioResult> => {
    for (const p of pods) {
      lb.add(p.name, p.hostPort);
      p.onReadiness(ready => lb.setRoutable(p.name, ready));
    }
    await Promise.all(pods.map(p => p.start()));
    await waitFor(() => pods.every(p => lb.isRoutable(p.name)), 15_000, 'both pods ready');
    await lb.listen();
    wrk = new Wrk(`http://127.0.0.1:${lb.port}/`, { threads: options.threads, connections: options.connections, maxSeconds: pod.gracePeriodSeconds + 30, requestDelayMs: options.requestDelayMs });
    await pause(loadBeforeMs);
    if (routing === 'endpoints') lb.setRoutable('pod-a', false);
    const deletion = await pods[0].delete();
    await pause(loadAfterMs);
    const result = await wrk.stop();
    wrk = undefined;
    return { failed: result.failed, total: result.total, terminateS: deletion.terminateMs / 1000, wrk: result, deletion, dir, deletedPodConnections: lb.stats('pod-a') };
  };
  // start (10s) + ready (15s) + load + grace period (+2s hook extension, +5s kill) + wrk stop (10s) + slack
  const budgetMs = 10_000 + 15_000 + loadBeforeMs + (pod.gracePeriodSeconds + 7) * 1000 + loadAfterMs + 10_000 + 10_000;
  const run = body();
  run.catch(() => undefined); // when the budget runs out first, its late error is not unhandled
  try {
    const r = await bounded(run, budgetMs);
    if (r === TIMED_OUT) throw new Error(`the scenario did not finish within ${budgetMs / 1000}s`);
    return r;
  } finally {
    const w = wrk as Wrk | undefined;
    if (w) w.kill();
    await Promise.all(pods.map(p => p.stop()));
    await lb.close();
    if (!options.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}
