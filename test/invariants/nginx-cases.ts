/**
 * GracefulNginx under generated timings and client behaviour, with real nginx: the synthesized pod
 * (test/e2e/harness/pod.ts: container command, mounts, hooks, probe, grace period, paths remapped
 * into a temp dir) is started, clients connect, and the pod is deleted in the kubelet's order
 * (preStop, then the image's STOPSIGNAL SIGQUIT, SIGKILL at the grace period). The preStop runs in
 * the generated shell. Checked: invariant 1 (the preStop returns by its header's deadline, and
 * nginx has exited before SIGKILL) and 3 (a connection that stays open is never counted as gone:
 * the keep-alive drain does not read 0 while a client holds a half-sent request).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { headerDeadlineSeconds, RunReport } from './harness';
import { EmulatedPod, freePort } from '../e2e/harness/pod';
import { gracefulPod } from '../e2e/harness/variants';
import { requireTool, SHELLS, ShellName } from '../script/run-script';

export interface NginxCase {
  readonly propagationS: number;
  readonly keepaliveTimeoutS: number;
  readonly maxDrainS: number;
  readonly reloadBeforeQuit: boolean;
  /** Clients that made a request and keep the connection idle (nginx closes them). */
  readonly idleClients: number;
  /** Clients that sent half a request and never finish it: a count that never reaches zero. */
  readonly stuckClients: number;
  readonly shell: ShellName;
}

export const nginxCase: fc.Arbitrary<NginxCase> = fc.record({
  propagationS: fc.integer({ min: 1, max: 2 }),
  keepaliveTimeoutS: fc.integer({ min: 1, max: 3 }),
  maxDrainS: fc.integer({ min: 1, max: 3 }),
  reloadBeforeQuit: fc.boolean(),
  idleClients: fc.integer({ min: 0, max: 3 }),
  stuckClients: fc.integer({ min: 0, max: 1 }),
  shell: fc.constantFrom(...SHELLS),
});

function label(c: NginxCase): string {
  return `${c.shell} propagation=${c.propagationS}s keepalive=${c.keepaliveTimeoutS}s maxDrain=${c.maxDrainS}s reload=${c.reloadBeforeQuit} idle=${c.idleClients} stuck=${c.stuckClients}`;
}

function shellArgv(shell: ShellName): string[] {
  return shell === 'busybox' ? [requireTool('busybox'), 'sh', '-c'] : [requireTool(shell), '-c'];
}

async function connect(port: number, send: string): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('error', reject); });
  s.on('error', () => undefined);
  s.write(send);
  return s;
}

export async function runNginxDelete(c: NginxCase): Promise<RunReport> {
  const { pod, construct } = gracefulPod({
    propagation: Duration.seconds(c.propagationS),
    keepaliveTimeout: Duration.seconds(c.keepaliveTimeoutS),
    maxDrain: Duration.seconds(c.maxDrainS),
    reloadBeforeQuit: c.reloadBeforeQuit,
  });
  const script = pod.preStop![2];
  const stamp = path.join(os.tmpdir(), `gs-inv-nginx-stamp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const end = "gs_log 'done'\nexit 0\n";
  const stamped = `${script.slice(0, -end.length)}gs_log 'done'\ndate +%s%N >'${stamp}'\nexit 0\n`;
  const spec = { ...pod, preStop: [...shellArgv(c.shell), stamped] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-inv-nginx-'));
  const p = new EmulatedPod('pod', spec, dir, await freePort());
  const sockets: net.Socket[] = [];
  const stuck: Array<{ closedAtMs?: number }> = [];
  const violations: string[] = [];
  let marginMs: number | undefined;
  try {
    await p.start();
    for (let i = 0; i < c.idleClients; i++) sockets.push(await connect(p.hostPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    for (let i = 0; i < c.stuckClients; i++) {
      const s = await connect(p.hostPort, 'GET / HTTP/1.1\r\nHost: x\r\n');
      const record: { closedAtMs?: number } = {};
      s.once('close', () => { record.closedAtMs = Date.now(); });
      stuck.push(record);
      sockets.push(s);
    }
    await new Promise(r => setTimeout(r, 100));
    const t0 = Date.now();
    const d = await p.delete();
    const grace = construct.plan.terminationGracePeriodSeconds;
    const deadlineMs = headerDeadlineSeconds(script) * 1000;
    if (d.preStopTimedOut) violations.push('invariant 1: the preStop still ran at the grace period');
    if (d.killed) violations.push(`invariant 1: nginx was SIGKILLed at ${grace}s`);
    if (d.preStopCode !== 0) violations.push(`the preStop exited ${d.preStopCode}`);
    if (fs.existsSync(stamp)) {
      const elapsed = Number(fs.readFileSync(stamp, 'utf8').trim().slice(0, -6)) - t0;
      marginMs = deadlineMs - elapsed;
      if (marginMs < 0) violations.push(`invariant 1: the preStop returned after ${elapsed}ms, its header says ${deadlineMs}ms`);
    } else {
      violations.push('the preStop never reached its last line');
    }
    // A 0 read at t=T (whole seconds) is early when a half-sent request's connection was still open
    // at T+1s: nginx had not closed it (client_header_timeout) and the client had not either.
    const zero = d.preStopLog.map(l => /^t=(\d+) [^:]+: keep-alive connections to port \d+: 0$/.exec(l)).find(m => m);
    if (zero && stuck.some(s => s.closedAtMs === undefined || s.closedAtMs - t0 > (Number(zero[1]) + 1) * 1000)) {
      violations.push(`invariant 3: the keep-alive drain read 0 at t=${zero[1]}s while a client's connection was still open`);
    }
    return { placement: 'nginx-delete', label: label(c), checked: [1, 3], violations, deadlineMarginMs: marginMs };
  } finally {
    for (const s of sockets) s.destroy();
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(stamp, { force: true });
  }
}
