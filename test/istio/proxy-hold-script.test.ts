/**
 * The declared istio-proxy preStop, taken from the synthesized Deployment and run for real in
 * dash, bash and busybox sh while real sockets listen on loopback and then close. The script reads
 * /proc/net/tcp{,6} of its network namespace, which here is the test's own, as in a pod the proxy
 * container sees the app's sockets.
 */
import * as net from 'net';
import { Duration, Testing } from 'cdk8s';
import { IstioDrainedWorkload, IstioPort, IstioProtocol, IstioVersion } from '../../src';
import { DEFAULT_TOOLS, runScript, ScriptResult, shellcheck, SHELLS, ShellName } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

const servers: net.Server[] = [];

afterAll(async () => {
  await Promise.all(servers.map(s => new Promise<void>(resolve => (s.listening ? s.close(() => resolve()) : resolve()))));
});

/** A real listener on a free port of `host` (port 0), or undefined when the host is not available (no ::1). */
async function listen(host: string): Promise<net.Server | undefined> {
  const server = net.createServer(socket => socket.destroy());
  servers.push(server);
  return new Promise(resolve => {
    server.once('error', () => resolve(undefined));
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

function closeAfter(server: net.Server, ms: number): Promise<number> {
  return new Promise(resolve => setTimeout(() => server.close(() => resolve(Date.now())), ms));
}

/** The istio-proxy preStop of a workload whose app listens on `ports` and stops within `appShutdownTimeout`. */
function proxyScript(ports: number[], appShutdownTimeout: Duration): { script: string; deadlineSeconds: number } {
  const chart = Testing.chart();
  const istioPorts: IstioPort[] = ports.map((port, i) => ({ port, protocol: IstioProtocol.TCP, suffix: `p${i}` }));
  const w = new IstioDrainedWorkload(chart, 'app', {
    istioVersion: IstioVersion.V1_22,
    image: 'example/app:1',
    ports: istioPorts,
    propagation: Duration.seconds(0),
    appShutdownTimeout,
    margin: Duration.seconds(0),
  });
  const dep = only(synthValid(chart), 'Deployment');
  return { script: preStopScript(containerOf(dep, 'istio-proxy')), deadlineSeconds: w.plan.endOf('stop').toSeconds() };
}

async function timedRun(script: string, shell: ShellName, tools?: string[]): Promise<{ r: ScriptResult; started: number; ended: number }> {
  const started = Date.now();
  const r = await runScript(script, { shell, timeoutMs: 20_000, withPath: tools ? { tools } : undefined });
  return { r, started, ended: started + r.elapsedMs };
}

describe('istio-proxy preStop holds the proxy until the app stops listening', () => {
  test('the script is shellcheck clean', () => {
    const { script } = proxyScript([8080], Duration.seconds(10));
    expect(shellcheck(script)).toEqual({ ok: true, output: '' });
  });

  test.each(SHELLS)('%s: waits while the app listens (IPv4 and IPv6), returns within a poll interval of the close', async shell => {
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    if (!v4) throw new Error('cannot listen on 127.0.0.1');
    const ports = [portOf(v4), ...(v6 ? [portOf(v6)] : [])];
    const { script, deadlineSeconds } = proxyScript(ports, Duration.seconds(10));
    expect(deadlineSeconds).toBe(10);

    const run = timedRun(script, shell);
    // IPv4 closes first: the script must keep waiting for the IPv6 socket.
    const closedV4 = closeAfter(v4, 1000);
    const closedLast = v6 ? closeAfter(v6, 1500) : closeAfter(await listen('127.0.0.1') as net.Server, 1500);
    const [{ r, started, ended }, , lastClose] = await Promise.all([run, closedV4, closedLast]);

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // Kept waiting while anything listened...
    expect(ended).toBeGreaterThanOrEqual(lastClose - 50);
    expect(ended - started).toBeGreaterThanOrEqual(1400);
    // ...and returned within about one poll interval (1s) of the last close, far from the 10s deadline.
    expect(ended - lastClose).toBeLessThan(1000 + 700);
    expect(r.messages[0]).toBe('start (deadline t=10s)');
    expect(r.messages).toContain(`app sockets listening on ${ports.join(', ')}: 0`);
    expect(r.messages.some(m => /listening on .*: [12]$/.test(m))).toBe(true);
    expect(r.messages.join('\n')).not.toContain('deadline reached');
    expect(r.messages[r.messages.length - 1]).toBe('done');
  }, 20_000);

  test.each(SHELLS)('%s: a port that never closes ends the wait at the deadline (the end of the app stop phase)', async shell => {
    const server = await listen('127.0.0.1');
    if (!server) throw new Error('cannot listen on 127.0.0.1');
    const { script, deadlineSeconds } = proxyScript([portOf(server)], Duration.seconds(3));
    expect(deadlineSeconds).toBe(3);
    const { r } = await timedRun(script, shell);
    expect(r.code).toBe(0);
    expect(r.timedOut).toBe(false);
    // The deadline is counted in whole seconds from `date +%s`: between 2 and 3 s, plus the last poll.
    expect(r.elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(r.elapsedMs).toBeLessThan(3000 + 1200);
    expect(r.messages).toContain(`app sockets listening on ${portOf(server)}: deadline reached at 1`);
    expect(r.messages).toContain('the app still listens at the end of its stop phase; releasing istio-proxy to drain anyway');
    await new Promise<void>(resolve => server.close(() => resolve()));
  }, 20_000);

  test.each(SHELLS)('%s: an app that already stopped listening releases the proxy at once', async shell => {
    const server = await listen('127.0.0.1');
    if (!server) throw new Error('cannot listen on 127.0.0.1');
    const port = portOf(server);
    await new Promise<void>(resolve => server.close(() => resolve()));
    const { script } = proxyScript([port], Duration.seconds(10));
    const { r } = await timedRun(script, shell);
    expect(r.code).toBe(0);
    expect(r.elapsedMs).toBeLessThan(1000);
    expect(r.messages).toContain(`app sockets listening on ${port}: 0`);
  }, 20_000);

  test.each(SHELLS)('%s: without cat in the image the probe reads the file line by line and still sees the close', async shell => {
    const server = await listen('127.0.0.1');
    if (!server) throw new Error('cannot listen on 127.0.0.1');
    const port = portOf(server);
    const { script } = proxyScript([port], Duration.seconds(10));
    const run = timedRun(script, shell, DEFAULT_TOOLS.filter(t => t !== 'cat'));
    const closed = closeAfter(server, 1200);
    const [{ r, ended }, closedAt] = await Promise.all([run, closed]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(ended).toBeGreaterThanOrEqual(closedAt - 50);
    // No tight bound here: bash reads a busy /proc/net/tcp slowly line by line (why cat is preferred).
    expect(r.messages.join('\n')).not.toContain('deadline reached');
    expect(r.messages).toContain(`app sockets listening on ${port}: 1`);
    expect(r.messages).toContain(`app sockets listening on ${port}: 0`);
  }, 20_000);
});
