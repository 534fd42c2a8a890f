/**
 * The declared istio-proxy preStop, taken from the synthesized Deployment and run for real in
 * dash, bash and busybox sh. It holds the proxy until the end of the app's stop phase, whatever
 * the app's sockets do: an app that has closed its listeners may still call out through the proxy
 * (test/istio/kubelet-order.real.test.ts runs that case end to end).
 */
import * as net from 'net';
import { Duration, Testing } from 'cdk8s';
import { IstioDrainedWorkload, IstioProtocol, IstioVersion } from '../../src';
import { runScript, shellcheck, SHELLS } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

jest.setTimeout(30_000);

function holdOf(port: number): { script: string; stopEnd: number } {
  const chart = Testing.chart();
  const w = new IstioDrainedWorkload(chart, 'app', {
    istioVersion: IstioVersion.V1_22,
    image: 'example/app:1',
    ports: [{ port, protocol: IstioProtocol.TCP }],
    propagation: Duration.seconds(1),
    appShutdownTimeout: Duration.seconds(2),
    margin: Duration.seconds(0),
  });
  return { script: preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'istio-proxy')), stopEnd: w.plan.endOf('stop').toSeconds() };
}

test('the script is shellcheck clean', () => {
  expect(shellcheck(holdOf(8080).script)).toEqual({ ok: true, output: '' });
});

test.each(SHELLS)('%s: an app with no listener left does not release the proxy before its stop phase ends', async shell => {
  // A port nothing listens on (closed at once): the old hold returned at its first poll.
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  const { script, stopEnd } = holdOf(port);
  expect(stopEnd).toBe(3);
  const r = await runScript(script, { shell });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  // Held for the stop phase, less the runtime's reserve (0.3s), and returned by the header's deadline.
  expect(r.elapsedMs).toBeGreaterThanOrEqual(stopEnd * 1000 - 400);
  expect(r.elapsedMs).toBeLessThanOrEqual(stopEnd * 1000);
  expect(r.messages).toEqual([
    `start (deadline t=${stopEnd}s)`,
    `holding istio-proxy until t=${stopEnd}s, the end of the app's stop phase`,
    `wait until t=${stopEnd}s: the app's shutdown and its outbound calls keep the proxy`,
    'done',
  ]);
});
