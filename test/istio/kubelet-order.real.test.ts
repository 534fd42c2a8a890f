/**
 * Invariant 5 for IstioDrainedWorkload, end to end in the kubelet's order with the default plan
 * (propagation 5s, app stop 10s, proxy drain 5s, margin 2s: grace 22s):
 * - t=0: the kubelet runs every container's preStop at once (the synthesized app preStop and the
 *   declared istio-proxy hold, both for real in a shell);
 * - each container gets SIGTERM when its own preStop has returned (kubelet
 *   `killContainer`: preStop, then the stop signal), SIGKILL at the end of the grace period;
 * - the app closes its listener on SIGTERM and makes one outbound call at t=12s, which the plan
 *   allows (its stop phase lasts until t=15s);
 * - the proxy is a fake pilot-agent + Envoy that follows istio/istio `pkg/envoy/agent.go`
 *   (`terminate`): on SIGTERM it drains inbound listeners only (`drain_listeners?inboundonly&graceful`,
 *   so outbound keeps working), then either sleeps `terminationDrainDuration` and stops Envoy, or,
 *   with EXIT_ON_ZERO_ACTIVE_CONNECTIONS, sleeps MINIMUM_DRAIN_DURATION (5s) and stops Envoy at
 *   the first poll (every 1s) that counts no active downstream connection.
 * The app's call must reach Envoy. Before the hold lasted until the end of the stop phase, it
 * released at the first poll that saw the app's port closed (t≈5s), Envoy stopped at t≈10s and the
 * call at t=12s was refused.
 */
import * as http from 'http';
import * as net from 'net';
import { Testing } from 'cdk8s';
import { IstioDrainedWorkload, IstioProtocol, IstioVersion } from '../../src';
import { runScript, ShellName, SHELLS } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

jest.setTimeout(60_000);

const APP_CALLS_OUT_AT_MS = 12_000;

/** The fake proxy: Envoy's outbound listener (answers every call) and pilot-agent's SIGTERM handling. */
class FakeIstioProxy {
  public stoppedAtMs?: number;
  private active = 0;
  private readonly server = http.createServer((_req, res) => {
    this.active++;
    res.on('finish', () => this.active--);
    res.end('ok');
  });

  public async start(): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', () => resolve()));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** pilot-agent's terminate(): outbound keeps working while it drains; then Envoy is stopped. */
  public async sigterm(t0: number, drainMs: number, exitOnZero: boolean): Promise<void> {
    if (!exitOnZero) {
      await sleep(drainMs);
    } else {
      await sleep(5_000); // MINIMUM_DRAIN_DURATION default
      while (this.active > 0) await sleep(1_000);
    }
    this.stoppedAtMs = Date.now() - t0;
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  public close(): void {
    if (this.server.listening) this.server.close();
  }
}

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

async function freeListener(): Promise<net.Server> {
  const s = net.createServer(c => c.destroy());
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', () => resolve()));
  return s;
}

async function simulate(shell: ShellName, exitOnZero: boolean) {
  const app = await freeListener();
  const appPort = (app.address() as net.AddressInfo).port;
  const chart = Testing.chart();
  const w = new IstioDrainedWorkload(chart, 'orders', {
    istioVersion: IstioVersion.V1_22,
    image: 'example/orders:1',
    ports: [{ port: appPort, protocol: IstioProtocol.HTTP }],
    exitOnZeroActiveConnections: exitOnZero,
  });
  const dep = only(synthValid(chart), 'Deployment');
  expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(22);
  const appPreStop = preStopScript(containerOf(dep, 'app'));
  const hold = preStopScript(containerOf(dep, 'istio-proxy'));
  const proxy = new FakeIstioProxy();
  const envoyPort = await proxy.start();
  const drainMs = w.plan.phase('proxy-drain').bound.toMilliseconds();
  try {
    const t0 = Date.now();
    let appCall: Promise<string> | undefined;
    const appSide = runScript(appPreStop, { shell, timeoutMs: 22_000 }).then(async () => {
      // SIGTERM to the app: it closes its listener, and calls out later while stopping.
      await new Promise<void>(resolve => app.close(() => resolve()));
      await sleep(Math.max(0, APP_CALLS_OUT_AT_MS - (Date.now() - t0)));
      appCall = fetch(`http://127.0.0.1:${envoyPort}/outbound`).then(r => r.text(), (e: Error) => `refused: ${e.message}`);
      return appCall;
    });
    let holdReturnedMs = 0;
    const proxySide = runScript(hold, { shell, timeoutMs: 22_000 }).then(r => {
      holdReturnedMs = Date.now() - t0;
      expect(r.code).toBe(0);
      return proxy.sigterm(t0, drainMs, exitOnZero);
    });
    const outcome = await appSide;
    await proxySide;
    return { outcome, holdReturnedMs, envoyStoppedMs: proxy.stoppedAtMs!, stopEndMs: w.plan.endOf('stop').toMilliseconds() };
  } finally {
    proxy.close();
    if (app.listening) app.close();
  }
}

test("the default plan, with and without exit-on-zero, in every shell: the app's outbound call at t=12s goes through the proxy", async () => {
  // The six runs at once: each is mostly sleeping, and the test then takes one run's 20s.
  const cases = [false, true].flatMap(exitOnZero => SHELLS.map(shell => ({ shell, exitOnZero })));
  const results = await Promise.all(cases.map(async c => ({ ...c, ...(await simulate(c.shell, c.exitOnZero)) })));
  for (const r of results) {
    expect({ shell: r.shell, exitOnZero: r.exitOnZero, outcome: r.outcome }).toEqual({ shell: r.shell, exitOnZero: r.exitOnZero, outcome: 'ok' });
    // The hold released at the end of the app's stop phase (less the runtime's 0.3s reserve), never earlier.
    expect(r.holdReturnedMs).toBeGreaterThanOrEqual(r.stopEndMs - 400);
    expect(r.envoyStoppedMs).toBeGreaterThan(APP_CALLS_OUT_AT_MS);
    expect(r.envoyStoppedMs).toBeLessThan(22_000);
  }
});
