/**
 * The termination harness: two emulated pods behind the balancer, sustained keep-alive load from
 * wrk, and one pod deleted mid-load as the kubelet would. Counts failed requests against the total.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Balancer, BackendStats } from './balancer';
import { DeleteResult, EmulatedPod, freePort, PodSpecUnderTest } from './pod';
import { Wrk, WrkResult } from './wrk';

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

/** Runs one deletion under load. */
export async function runScenario(pod: PodSpecUnderTest, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-e2e-'));
  const routing = options.routing ?? (pod.readiness?.command ? 'readiness' : 'endpoints');
  const lb = new Balancer(options.propagationMs ?? 2000);
  const pods = [new EmulatedPod('pod-a', pod, dir, await freePort()), new EmulatedPod('pod-b', pod, dir, await freePort())];
  let wrk: Wrk | undefined;
  try {
    for (const p of pods) {
      lb.add(p.name, p.hostPort);
      p.onReadiness(ready => lb.setRoutable(p.name, ready));
    }
    await Promise.all(pods.map(p => p.start()));
    await waitFor(() => pods.every(p => lb.isRoutable(p.name)), 15_000, 'both pods ready');
    await lb.listen();
    wrk = new Wrk(`http://127.0.0.1:${lb.port}/`, { threads: options.threads, connections: options.connections, maxSeconds: pod.gracePeriodSeconds + 30, requestDelayMs: options.requestDelayMs });
    await sleep(options.loadBeforeMs ?? 1500);
    if (routing === 'endpoints') lb.setRoutable('pod-a', false);
    const deletion = await pods[0].delete();
    await sleep(options.loadAfterMs ?? 1000);
    const result = await wrk.stop();
    wrk = undefined;
    return { failed: result.failed, total: result.total, terminateS: deletion.terminateMs / 1000, wrk: result, deletion, dir, deletedPodConnections: lb.stats('pod-a') };
  } finally {
    if (wrk) await wrk.stop().catch(() => undefined);
    await Promise.all(pods.map(p => p.stop()));
    await lb.close();
    if (!options.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
