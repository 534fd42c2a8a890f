/**
 * Runs a container command as PID 1 of its own PID namespace (`unshare --pid --fork --mount-proc`,
 * as root), the way a container runtime starts it, and measures how long it takes to exit after
 * SIGTERM. The kernel delivers a signal sent from outside the namespace to its PID 1 only when
 * PID 1 has a handler for it (pid_namespaces(7), "The namespace init process"), which is exactly
 * what the kubelet's SIGTERM meets in a pod.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RunReport } from './harness';
import { makeBinDir, requireTool } from '../script/run-script';

/** A command started as PID 1 of a fresh PID namespace. */
export interface Pid1Process {
  /** The namespace's PID 1, as the host sees it. */
  readonly hostPid: number;
  /** The `unshare` parent. */
  readonly child: ChildProcess;
  /** Resolves with the time of exit (ms since epoch) once the namespace is gone. */
  readonly exited: Promise<number>;
  /** The signal numbers PID 1 has handlers for (from /proc/PID/status SigCgt). */
  caughtSignals(): number[];
  /** Kills the whole namespace (SIGKILL to PID 1 kills every process in it). */
  kill(): void;
}

/** Whether this machine can make PID namespaces (root and util-linux unshare). */
export function canUnsharePid(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return fs.existsSync(requireTool('unshare'));
  } catch {
    return false;
  }
}

/** Starts `command` (argv) as PID 1 of a new PID namespace; resolves once it runs. */
export async function startAsPid1(command: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Pid1Process> {
  const child = spawn(requireTool('unshare'), ['--pid', '--fork', '--mount-proc', '--', ...command], {
    env: options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: options.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number>(resolve => child.on('exit', () => resolve(Date.now())));
  let hostPid = 0;
  for (let i = 0; i < 200 && !hostPid; i++) {
    await new Promise(r => setTimeout(r, 20));
    try {
      const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
      if (kids) hostPid = Number(kids.split(/\s+/)[0]);
    } catch {
      // not yet
    }
  }
  if (!hostPid) {
    child.kill('SIGKILL');
    throw new Error(`no PID 1 under unshare for ${JSON.stringify(command)}`);
  }
  return {
    hostPid,
    child,
    exited,
    caughtSignals: () => {
      const status = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8');
      // SigCgt is a 64-bit hex mask, bit N-1 for signal N: read it digit by digit from the right.
      const hex = /SigCgt:\s*([0-9a-f]+)/.exec(status)![1];
      const out: number[] = [];
      [...hex].reverse().forEach((digit, i) => {
        const v = parseInt(digit, 16);
        for (let b = 0; b < 4; b++) if (Math.floor(v / 2 ** b) % 2 === 1) out.push(i * 4 + b + 1);
      });
      return out.sort((x, y) => x - y);
    },
    kill: () => {
      try {
        process.kill(hostPid, 'SIGKILL');
      } catch {
        // gone
      }
      child.kill('SIGKILL');
    },
  };
}

/**
 * Sends SIGTERM to PID 1 and waits up to `waitMs` for the namespace to end. Returns the time from
 * signal to exit in ms, or undefined when it was still running (it is then killed).
 */
export async function exitAfterSigterm(p: Pid1Process, waitMs: number): Promise<number | undefined> {
  const sent = Date.now();
  process.kill(p.hostPid, 'SIGTERM');
  const result = await Promise.race([p.exited.then(t => t - sent), new Promise<undefined>(r => setTimeout(() => r(undefined), waitMs))]);
  if (result === undefined) {
    p.kill();
    await p.exited;
  }
  return result;
}

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise(r => setTimeout(r, 50));
  }
  return check();
}

/** Where a container under test serves, if it does. */
export interface Pid1RunOptions {
  /** The in-container document root its command names (replaced by a temp dir). */
  readonly documentRoot?: string;
  /** The port it listens on: SIGTERM comes once it answers there. */
  readonly port?: number;
}

/**
 * Invariant 4 for one synthesized container: its command (a busybox image: sh, httpd, sleep, kill)
 * runs as PID 1; once it serves (`port`) or after 300ms, it gets SIGTERM and must exit within 5s.
 * `documentRoot`, the in-container path its command names, is replaced by a temp dir.
 */
export async function runContainerAsPid1(placement: string, label: string, container: any, o: Pid1RunOptions = {}): Promise<RunReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-inv-pid1-'));
  const violations: string[] = [];
  let exitMs: number | undefined;
  try {
    const busybox = requireTool('busybox');
    const bin = makeBinDir({ tools: [], links: { sh: busybox, httpd: busybox, sleep: busybox, kill: busybox, busybox } }, dir);
    fs.mkdirSync(`${dir}/www`);
    const command = [...(container.command ?? []), ...(container.args ?? [])]
      .map((a: string) => (o.documentRoot ? a.split(o.documentRoot).join(`${dir}/www`) : a))
      .map((a: string) => (a === '/bin/sh' ? `${bin}/sh` : a));
    const p = await startAsPid1(command, { env: { PATH: bin } });
    try {
      if (o.port !== undefined) {
        const serving = await until(async () => {
          try {
            await fetch(`http://127.0.0.1:${o.port}/`, { signal: AbortSignal.timeout(1000) });
            return true;
          } catch {
            return false;
          }
        }, 10_000);
        if (!serving) violations.push('the sidecar never served');
      } else {
        await new Promise(r => setTimeout(r, 300));
      }
      exitMs = await exitAfterSigterm(p, 5000);
      if (exitMs === undefined) violations.push('invariant 4: still running 5s after SIGTERM as PID 1');
    } finally {
      p.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { placement, label, checked: [4], violations, sigtermExitMs: exitMs };
}
