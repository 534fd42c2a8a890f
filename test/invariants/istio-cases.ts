/**
 * IstioDrainedWorkload under generated props and a misbehaving app shutdown endpoint, run for real:
 * - `istio-app-prestop`: the app's preStop (propagation wait, then the shutdown call): invariants 1
 *   and 2 (the call never goes out before the propagation wait has passed);
 * - `istio-proxy-hold`: the declared istio-proxy's preStop: invariant 5 (it holds the proxy until
 *   the end of the app's stop phase) and 1. test/istio/kubelet-order.real.test.ts runs both in the
 *   kubelet's order with a fake pilot-agent.
 */
import { Duration, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { Fault, FaultServer } from './fault-server';
import { RunReport, runChecked } from './harness';
import { IstioDrainedWorkload, IstioProtocol, IstioVersion } from '../../src';
import { DEADLINE_RESERVE_CENTISECONDS } from '../../src/script/runtime';
import { HttpToolChoice, SHELLS, ShellName } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

export interface IstioCase {
  readonly propagationS: number;
  readonly shutdownTimeoutS: number;
  readonly appShutdownTimeoutS: number;
  readonly exitOnZero: boolean;
  readonly fault: Fault;
  readonly shell: ShellName;
  readonly http: HttpToolChoice;
}

export const endpointFault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constantFrom<Fault>({ kind: 'ok' }, { kind: 'down' }, { kind: 'reset' }, { kind: 'hang' }, { kind: 'status-500' }, { kind: 'garbage' }, { kind: 'empty' }),
  fc.record({ kind: fc.constant('slow' as const), delayMs: fc.integer({ min: 100, max: 2500 }) }),
  fc.record({ kind: fc.constant('recovering' as const), from: fc.constantFrom('down' as const, 'hang' as const, 'status-500' as const), afterMs: fc.integer({ min: 200, max: 3000 }) }),
);

export const istioCase: fc.Arbitrary<IstioCase> = fc.record({
  propagationS: fc.integer({ min: 0, max: 2 }),
  shutdownTimeoutS: fc.integer({ min: 1, max: 2 }),
  appShutdownTimeoutS: fc.integer({ min: 1, max: 2 }),
  exitOnZero: fc.boolean(),
  fault: endpointFault,
  shell: fc.constantFrom(...SHELLS),
  http: fc.constantFrom<HttpToolChoice>('curl', 'busybox-wget'),
});

function label(c: IstioCase): string {
  return `${c.shell}/${c.http} propagation=${c.propagationS}s shutdown=${c.shutdownTimeoutS}s stop=${c.appShutdownTimeoutS}s exitOnZero=${c.exitOnZero} fault=${JSON.stringify(c.fault)}`;
}

function build(c: IstioCase, endpointPort: number) {
  const chart = Testing.chart();
  const w = new IstioDrainedWorkload(chart, 'app', {
    istioVersion: IstioVersion.V1_22,
    image: 'example/app:1',
    ports: [{ port: endpointPort, protocol: IstioProtocol.HTTP }],
    propagation: Duration.seconds(c.propagationS),
    shutdownEndpoint: { path: '/shutdown', timeout: Duration.seconds(c.shutdownTimeoutS) },
    appShutdownTimeout: Duration.seconds(c.appShutdownTimeoutS),
    terminationDrainDuration: Duration.seconds(1),
    exitOnZeroActiveConnections: c.exitOnZero,
    margin: Duration.seconds(1),
  });
  return { w, dep: only(synthValid(chart), 'Deployment') };
}

export async function runIstioAppPreStop(c: IstioCase): Promise<RunReport> {
  const endpoint = new FaultServer();
  await endpoint.start(c.fault);
  try {
    const { w, dep } = build(c, endpoint.port);
    const script = preStopScript(containerOf(dep, 'app'));
    const { violations, marginMs } = await runChecked(script, { shell: c.shell, http: c.http, graceSeconds: w.plan.terminationGracePeriodSeconds });
    const checked: RunReport['checked'] = [1];
    let protectedSlackMs: number | undefined;
    const call = endpoint.requests.find(q => q.path === '/shutdown');
    if (call) {
      checked.push(2);
      protectedSlackMs = call.arrivedMs - c.propagationS * 1000;
      if (protectedSlackMs < 0) violations.push(`invariant 2: the shutdown call went out at ${call.arrivedMs}ms, before propagation (${c.propagationS}s) had passed`);
    }
    return { placement: 'istio-app-prestop', label: label(c), checked, violations, deadlineMarginMs: marginMs, protectedSlackMs };
  } finally {
    await endpoint.close();
  }
}

export async function runIstioProxyHold(c: IstioCase): Promise<RunReport> {
  const { w, dep } = build(c, 8080);
  const hold = preStopScript(containerOf(dep, 'istio-proxy'));
  const { r, violations, marginMs } = await runChecked(hold, { shell: c.shell, graceSeconds: w.plan.terminationGracePeriodSeconds });
  // The hold ends at the end of the app's stop phase, less the runtime's reserve (and the clock's 10ms step).
  const heldUntilMs = w.plan.endOf('stop').toMilliseconds() - DEADLINE_RESERVE_CENTISECONDS * 10 - 10;
  if (r.elapsedMs < heldUntilMs) violations.push(`invariant 5: released the proxy at ${r.elapsedMs}ms, the app's stop phase ends at ${w.plan.endOf('stop').toMilliseconds()}ms`);
  return { placement: 'istio-proxy-hold', label: label(c), checked: [1, 5], violations, deadlineMarginMs: marginMs, holdAfterMs: r.elapsedMs - heldUntilMs };
}
