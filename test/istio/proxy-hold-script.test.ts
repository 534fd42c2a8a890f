/**
 * The declared istio-proxy preStop, taken from the synthesized Deployment and run for real in
 * dash, bash and busybox sh while real sockets listen on loopback and then close. The script reads
 * /proc/net/tcp{,6} of its network namespace, which here is the test's own, as in a pod the proxy
 * container sees the app's sockets.
 */
import * as fs from 'fs';
import * as net from 'net';
import { Duration, Testing } from 'cdk8s';
import { IstioDrainedWorkload, IstioPort, IstioProtocol, IstioVersion, PosixScript, Step } from '../../src';
import { appActivityProbe, ENVOY_OUTBOUND_PORT } from '../../src/istio/proxy-hold-probe';
import { DEFAULT_TOOLS, runScript, ScriptResult, shellcheck, SHELLS, ShellName } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map(s => new Promise<void>(resolve => (s.listening ? s.close(() => resolve()) : resolve()))));
});

/** What the synthesized hold script logs it is counting (it also watches Envoy's outbound port). */
function what(ports: number[]): string {
  return `app sockets (listening on ${ports.join(', ')}, or connected out through :${ENVOY_OUTBOUND_PORT})`;
}

/** ESTABLISHED sockets on local port `port` on this machine right now (the synthesized script watches 15001). */
function establishedOn(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '01' && cols[1]?.endsWith(hex)) n++;
    }
  }
  return n;
}

beforeAll(() => {
  // The synthesized script also waits on connections to Envoy's 15001: nothing here may hold one.
  expect({ establishedOnEnvoyOutboundPort: establishedOn(ENVOY_OUTBOUND_PORT) }).toEqual({ establishedOnEnvoyOutboundPort: 0 });
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

/**
 * The istio-proxy preStop of a workload whose main container listens on `ports` (and a second
 * app container on `backendPorts`) and stops within `appShutdownTimeout`.
 */
function proxyScript(ports: number[], appShutdownTimeout: Duration, backendPorts: number[] = []): { script: string; deadlineSeconds: number } {
  const chart = Testing.chart();
  const istioPorts = (list: number[], prefix: string): IstioPort[] => list.map((port, i) => ({ port, protocol: IstioProtocol.TCP, suffix: `${prefix}${i}` }));
  const w = new IstioDrainedWorkload(chart, 'app', {
    istioVersion: IstioVersion.V1_22,
    image: 'example/app:1',
    ports: istioPorts(ports, 'p'),
    additionalContainers: backendPorts.length ? [{ name: 'backend', image: 'example/backend:1', ports: istioPorts(backendPorts, 'b') }] : undefined,
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
    expect(r.messages).toContain(`${what(ports)}: 0`);
    expect(r.messages.some(m => m === `${what(ports)}: 2` || m === `${what(ports)}: 1`)).toBe(true);
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
    expect(r.messages).toContain(`${what([portOf(server)])}: deadline reached at 1`);
    expect(r.messages).toContain('the app is still active at the end of its stop phase; releasing istio-proxy to drain anyway');
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
    expect(r.messages).toContain(`${what([port])}: 0`);
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
    expect(r.messages).toContain(`${what([port])}: 1`);
    expect(r.messages).toContain(`${what([port])}: 0`);
  }, 20_000);

  test.each(SHELLS)('%s: waits for every app container: nginx in front and the backend behind it', async shell => {
    const front = await listen('127.0.0.1');
    const backend = await listen('127.0.0.1');
    if (!front || !backend) throw new Error('cannot listen on 127.0.0.1');
    const ports = [portOf(front), portOf(backend)];
    const { script } = proxyScript([ports[0]], Duration.seconds(10), [ports[1]]);
    const run = timedRun(script, shell);
    // The front closes first; the backend still listens (finishing its own shutdown).
    const frontClosed = closeAfter(front, 600);
    const backendClosed = closeAfter(backend, 1800);
    const [{ r, ended }, frontAt, backendAt] = await Promise.all([run, frontClosed, backendClosed]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(ended).toBeGreaterThanOrEqual(backendAt - 50);
    expect(ended - frontAt).toBeGreaterThan(1000);
    expect(ended - backendAt).toBeLessThan(1000 + 700);
    expect(r.messages[2]).toBe(`waiting until ${what(ports)} is 0 (every 1s, until t=10s)`);
    expect(r.messages).toContain(`${what(ports)}: 0`);
    expect(r.messages.join('\n')).not.toContain('deadline reached');
  }, 20_000);
});

describe('the hold probe also counts connections the app holds out through the proxy', () => {
  /** A script polling the probe, with `envoyPort` standing in for Envoy's 15001 (tests pick free ports). */
  function probeScript(listenPorts: number[], envoyPort: number, seconds = 10): string {
    return new PosixScript({ name: 'istio-proxy-hold', deadline: Duration.seconds(seconds) })
      .add(Step.pollUntilZero({ probe: appActivityProbe(listenPorts, envoyPort) }), Step.whenPollDidNotReachZero([Step.log('released at the deadline')]))
      .render();
  }

  /** An "Envoy outbound listener" and one connection the "app" opened to it, ended after `ms`. */
  async function outboundConnection(ms: number): Promise<{ envoyPort: number; ended: Promise<number> }> {
    const envoy = net.createServer(socket => { sockets.push(socket); });
    servers.push(envoy);
    await new Promise<void>(resolve => envoy.listen(0, '127.0.0.1', () => resolve()));
    const client = net.connect(portOf(envoy), '127.0.0.1');
    sockets.push(client);
    await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject); });
    const ended = new Promise<number>(resolve => setTimeout(() => {
      client.destroy();
      envoy.close();
      for (const s of sockets) s.destroy();
      resolve(Date.now());
    }, ms));
    return { envoyPort: portOf(envoy), ended };
  }

  test('the script is shellcheck clean', () => {
    expect(shellcheck(probeScript([8080, 8000], ENVOY_OUTBOUND_PORT))).toEqual({ ok: true, output: '' });
  });

  test.each(SHELLS)('%s: the app closed its listener but still calls out: the proxy is held until that connection ends', async shell => {
    const app = await listen('127.0.0.1');
    if (!app) throw new Error('cannot listen on 127.0.0.1');
    const appPort = portOf(app);
    const { envoyPort, ended } = await outboundConnection(1800);
    const started = Date.now();
    const run = runScript(probeScript([appPort], envoyPort), { shell, timeoutMs: 20_000 });
    const appClosed = closeAfter(app, 300);
    const [r, closedAt, endedAt] = await Promise.all([run, appClosed, ended]);
    const finished = started + r.elapsedMs;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const desc = `app sockets (listening on ${appPort}, or connected out through :${envoyPort})`;
    // 2 at first (the listener and the outbound connection); the loop logs a change at most every
    // 5s, so the 1 after the listener closed shows in the timing below, not in the log.
    expect(r.messages).toContain(`waiting until ${desc} is 0 (every 1s, until t=10s)`);
    expect(r.messages).toContain(`${desc}: 2`);
    expect(r.messages).toContain(`${desc}: 0`);
    expect(finished).toBeGreaterThanOrEqual(endedAt - 50);
    expect(finished - closedAt).toBeGreaterThan(1000);
    expect(finished - endedAt).toBeLessThan(1000 + 700);
    expect(r.messages.join('\n')).not.toContain('released at the deadline');
  }, 20_000);

  test.each(SHELLS)('%s: a listening socket on the stand-in port is not an outbound connection', async shell => {
    // Envoy's 15001 listener is always there: only ESTABLISHED sockets on it count.
    const envoy = await listen('127.0.0.1');
    if (!envoy) throw new Error('cannot listen on 127.0.0.1');
    const app = await listen('127.0.0.1');
    if (!app) throw new Error('cannot listen on 127.0.0.1');
    const appPort = portOf(app);
    await new Promise<void>(resolve => app.close(() => resolve()));
    const r = await runScript(probeScript([appPort], portOf(envoy)), { shell, timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    expect(r.elapsedMs).toBeLessThan(1000);
    expect(r.messages).toContain(`app sockets (listening on ${appPort}, or connected out through :${portOf(envoy)}): 0`);
  }, 20_000);
});
