/**
 * A synthesized nginx pod, played on this machine: its container, mounts, probes, hooks and grace
 * period are read from the synthesized Deployment and ConfigMap; in-container paths and the port
 * are remapped into a temp dir (see `remap`), then real nginx runs from the result.
 *
 * Path remapping (documented substitution): every volume mountPath of the container becomes
 * `<podDir>/<volumeName>` in nginx.conf, the command, the hooks and the probe. A mountPath is
 * replaced only as a whole path: where it is not preceded by a path character and is followed by
 * `/` or a non-path character (so `/run/nginx` is remapped in `'/run/nginx/ready'` but not in
 * `/var/run/nginx` or `/run/nginx2`); longer mountPaths first. `listen <containerPort>` becomes
 * `listen 127.0.0.1:<hostPort>`, and the scripts' /proc/net/tcp pattern `*:<HEXPORT>)` follows the
 * port. Nothing else is changed.
 *
 * Every wait here is bounded in time, every timer is cleared, and every process started is killed
 * by `stop()` or, as a last resort, by `killEverything()` (tests call it in afterAll).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

/** The parts of a synthesized pod the harness runs. Paths are in-container paths. */
export interface PodSpecUnderTest {
  /** The container command (`nginx -e stderr -c ... -g 'daemon off;'`). */
  readonly command: string[];
  /** The container port. */
  readonly port: number;
  /** Volume mounts: mountPath and the files a ConfigMap puts there (emptyDirs have none). */
  readonly mounts: Array<{ readonly name: string; readonly mountPath: string; readonly files?: Record<string, string> }>;
  /** preStop exec command, if any. */
  readonly preStop?: string[];
  /** postStart exec command, if any. */
  readonly postStart?: string[];
  /** The readiness probe: an exec command or a TCP check. */
  readonly readiness?: { readonly command?: string[]; readonly tcp?: boolean; readonly periodSeconds: number; readonly failureThreshold: number };
  /** The image's STOPSIGNAL (not in the pod spec): SIGQUIT for nginx images since 1.19.5. */
  readonly stopSignal: NodeJS.Signals;
  /** terminationGracePeriodSeconds. */
  readonly gracePeriodSeconds: number;
}

/** Reads a pod spec from synthesized objects (Deployment + ConfigMaps). */
export function podFromManifests(objects: any[], options: { container?: string; stopSignal?: NodeJS.Signals } = {}): PodSpecUnderTest {
  const dep = objects.find(o => o.kind === 'Deployment');
  if (!dep) throw new Error('no Deployment in the synthesized objects');
  const spec = dep.spec.template.spec;
  const c = spec.containers.find((x: any) => x.name === (options.container ?? 'nginx'));
  if (!c) throw new Error(`no container ${options.container ?? 'nginx'}`);
  const mounts = (c.volumeMounts ?? []).map((m: any) => {
    const vol = spec.volumes.find((v: any) => v.name === m.name);
    let files: Record<string, string> | undefined;
    if (vol?.configMap) {
      const cm = objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === vol.configMap.name);
      if (!cm) throw new Error(`ConfigMap ${vol.configMap.name} is not in the synthesized objects`);
      files = cm.data;
    } else if (!vol?.emptyDir) {
      throw new Error(`volume ${m.name}: only emptyDir and configMap volumes are emulated`);
    }
    return { name: m.name, mountPath: m.mountPath, files };
  });
  const rp = c.readinessProbe;
  return {
    command: c.command,
    port: c.ports[0].containerPort,
    mounts,
    preStop: c.lifecycle?.preStop?.exec?.command,
    postStart: c.lifecycle?.postStart?.exec?.command,
    readiness: rp ? {
      command: rp.exec?.command,
      tcp: rp.tcpSocket !== undefined,
      periodSeconds: rp.periodSeconds ?? 10,
      failureThreshold: rp.failureThreshold ?? 3,
    } : undefined,
    stopSignal: options.stopSignal ?? 'SIGQUIT',
    gracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
  };
}

/** The nginx.conf of a pod spec: the ConfigMap file whose in-container path the command names. */
export function nginxConfOf(pod: PodSpecUnderTest): { mount: number; file: string; text: string } {
  // The command is `nginx ... -c <path> ...`, or `/bin/sh -c "... exec 'nginx' ... '-c' '<path>' ..."`.
  const words = pod.command.join(' ');
  for (let i = 0; i < pod.mounts.length; i++) {
    const m = pod.mounts[i];
    for (const [f, text] of Object.entries(m.files ?? {})) {
      const file = `${m.mountPath}/${f}`;
      if (words.includes(`-c ${file}`) || words.includes(`'-c' '${file}'`)) return { mount: i, file: f, text };
    }
  }
  throw new Error(`the command ${JSON.stringify(pod.command)} names no nginx.conf from a ConfigMap mount`);
}

/** A copy of the pod spec with its nginx.conf changed (for the hand-written variants). */
export function withNginxConf(pod: PodSpecUnderTest, edit: (conf: string) => string): PodSpecUnderTest {
  const { mount, file, text } = nginxConfOf(pod);
  const mounts = pod.mounts.map((m, i) => (i === mount ? { ...m, files: { ...m.files, [file]: edit(text) } } : m));
  return { ...pod, mounts };
}

/** The substitution from in-container paths and port to this machine. */
export interface Remap {
  readonly dirs: Array<[string, string]>;
  readonly port: number;
  readonly hostPort: number;
}

/** Characters that can be part of a path (a mountPath matches only between non-path characters). */
const PATH_CHAR = '[A-Za-z0-9._~@%+/-]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Applies the documented substitution to a text (config, script, command argument). */
export function remap(text: string, r: Remap): string {
  const dirs = [...r.dirs].map(([from, to]) => [from.replace(/\/+$/, ''), to] as [string, string]).sort((a, b) => b[0].length - a[0].length);
  let out = text;
  if (dirs.length > 0) {
    // One pass over the text, so a replacement is never itself remapped again.
    const alternatives = dirs.map(([from]) => escapeRegExp(from)).join('|');
    const re = new RegExp(`(?<!${PATH_CHAR})(${alternatives})(?=/|(?!${PATH_CHAR}))`, 'g');
    out = out.replace(re, from => dirs.find(([f]) => f === from)![1]);
  }
  out = out.replace(new RegExp(`(\\blisten\\s+)${r.port}(?=[\\s;])`, 'g'), `$1127.0.0.1:${r.hostPort}`);
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  out = out.split(`*:${hex(r.port)})`).join(`*:${hex(r.hostPort)})`);
  return out;
}

export { freePort } from '../../util/free-port';

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/** The result of deleting a pod. */
export interface DeleteResult {
  /** From "delete" until the nginx master had exited, in ms. */
  readonly terminateMs: number;
  /** Whether the kubelet had to SIGKILL. */
  readonly killed: boolean;
  /** The preStop's log lines. */
  readonly preStopLog: string[];
  /** The preStop's exit code (undefined when there is none). */
  readonly preStopCode?: number | null;
  /** Whether the preStop was still running at the grace period. */
  readonly preStopTimedOut: boolean;
}

/** One emulated pod running real nginx. */
export class EmulatedPod {
  public readonly dir: string;
  public readonly hostPort: number;
  public readonly spec: PodSpecUnderTest;
  public ready = false;
  /** The last postStart run, if any. */
  public postStart?: Promise<number | null>;
  private readonly r: Remap;
  private nginx?: ChildProcess;
  private exited?: Promise<void>;
  private probeTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private probeStarted = false;
  private readonly listeners: Array<(ready: boolean) => void> = [];
  private readonly children = new Set<ChildProcess>();

  public constructor(public readonly name: string, spec: PodSpecUnderTest, parentDir: string, hostPort: number) {
    this.spec = spec;
    this.hostPort = hostPort;
    this.dir = path.join(parentDir, name);
    fs.mkdirSync(this.dir, { recursive: true });
    const dirs: Array<[string, string]> = [];
    for (const m of spec.mounts) {
      const host = path.join(this.dir, m.name);
      fs.mkdirSync(host, { recursive: true });
      dirs.push([m.mountPath, host]);
    }
    this.r = { dirs, port: spec.port, hostPort };
    for (const m of spec.mounts) {
      for (const [f, text] of Object.entries(m.files ?? {})) {
        fs.writeFileSync(path.join(this.dir, m.name, f), remap(text, this.r));
      }
    }
  }

  /** Applies this pod's remap. */
  public remap(text: string): string {
    return remap(text, this.r);
  }

  /** Calls `fn` whenever readiness changes. */
  public onReadiness(fn: (ready: boolean) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Starts the container (its command, remapped), runs postStart, and starts the readiness probe
   * loop; resolves once nginx listens. Call again after `crash()` to play a container restart:
   * the pod's emptyDirs (and whatever the last run left in them) survive, as in Kubernetes.
   */
  public async start(): Promise<void> {
    this.spawnContainer();
    await this.waitListening(10_000);
    void this.runPostStart();
    if (!this.probeStarted) this.probeLoop();
  }

  /** Starts the container command only (no postStart, no probe loop): for tests of the command itself. */
  public spawnContainer(): void {
    if (this.running) throw new Error(`${this.name}: the container is already running`);
    this.stopped = false;
    const [cmd, ...args] = this.spec.command.map(a => this.remap(a));
    const err = fs.openSync(path.join(this.dir, 'nginx.stderr'), 'a');
    const child = spawn(cmd === 'nginx' ? '/usr/sbin/nginx' : cmd, args, { detached: true, stdio: ['ignore', 'ignore', err], env: ENV });
    fs.closeSync(err);
    this.nginx = child;
    this.exited = new Promise(resolve => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    LIVE.add(this);
  }

  /** Runs the postStart hook (in the background, bounded), as the kubelet does right after the start. */
  public runPostStart(): Promise<number | null> | undefined {
    if (!this.spec.postStart) return undefined;
    const run = this.exec(this.spec.postStart, 35_000);
    this.postStart = run;
    return run;
  }

  /** Kills the container's processes (SIGKILL, no hooks): a crash. The emptyDirs keep their files. */
  public async crash(): Promise<void> {
    this.signal('SIGKILL', true);
    if (this.exited) await bounded(this.exited, 5000);
  }

  /** Runs the readiness probe once, as the kubelet would; true when it passes. */
  public async probeOnce(): Promise<boolean> {
    const rp = this.spec.readiness;
    if (!rp) return true;
    return rp.command ? (await this.exec(rp.command, Math.max(1000, rp.periodSeconds * 1000))) === 0 : this.tcpCheck();
  }

  /** The nginx master's pid. */
  public get pid(): number | undefined {
    return this.nginx?.pid;
  }

  /** Whether the nginx master is still running. */
  public get running(): boolean {
    return this.nginx !== undefined && this.nginx.exitCode === null && this.nginx.signalCode === null;
  }

  /**
   * Deletes the pod as the kubelet does: runs the preStop (`sh -c`), then sends the stop signal,
   * then SIGKILL at the grace period (a preStop still running then gets one 2s extension).
   */
  public async delete(): Promise<DeleteResult> {
    const t0 = Date.now();
    const graceMs = this.spec.gracePeriodSeconds * 1000;
    const logFile = path.join(this.dir, 'prestop.log');
    fs.writeFileSync(logFile, '');
    let killed = false;
    let preStopCode: number | null | undefined;
    let preStopTimedOut = false;
    if (this.spec.preStop) {
      // The hook's own bound (exec) is past the kubelet's: the kubelet gives up on it first.
      const hook = this.exec(this.spec.preStop, graceMs + 2000 + 1000, { GS_LOG_TARGET: logFile });
      const first = await bounded(hook, graceMs);
      if (first === TIMED_OUT) {
        preStopTimedOut = true;
        await bounded(hook, 2000);
      } else {
        preStopCode = first;
      }
    }
    if (this.running) this.signal(this.spec.stopSignal);
    const left = graceMs + (preStopTimedOut ? 2000 : 0) - (Date.now() - t0);
    const outcome = await bounded(this.exited!, left);
    if (outcome === TIMED_OUT && this.running) {
      killed = true;
      this.signal('SIGKILL', true);
      await bounded(this.exited!, 5000);
    }
    const terminateMs = Date.now() - t0;
    this.signal('SIGKILL', true); // workers left behind die with the pod
    return { terminateMs, killed, preStopLog: fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean), preStopCode, preStopTimedOut };
  }

  /** Stops everything this pod started; bounded (at most ~2s), safe to call twice. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.signal('SIGKILL', true);
    for (const c of this.children) killGroup(c, 'SIGKILL');
    if (this.exited) await bounded(this.exited, 2000);
    LIVE.delete(this);
  }

  private signal(sig: NodeJS.Signals, group = false): void {
    const pid = this.nginx?.pid;
    if (!pid) return;
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      // gone
    }
  }

  private probeLoop(): void {
    this.probeStarted = true;
    const rp = this.spec.readiness;
    if (!rp) {
      this.setReady(true);
      return;
    }
    const tick = async () => {
      if (this.stopped) return;
      const ok = await this.probeOnce();
      if (this.stopped) return;
      if (ok) {
        this.failures = 0;
        this.setReady(true);
      } else if (++this.failures >= rp.failureThreshold) {
        this.setReady(false);
      }
      if (!this.stopped) this.probeTimer = setTimeout(() => void tick(), rp.periodSeconds * 1000);
    };
    void tick();
  }

  private setReady(ready: boolean): void {
    if (ready === this.ready) return;
    this.ready = ready;
    for (const fn of this.listeners) fn(ready);
  }

  private tcpCheck(): Promise<boolean> {
    return new Promise(resolve => {
      const s = net.connect(this.hostPort, '127.0.0.1');
      s.setTimeout(1000);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
      s.once('timeout', () => { s.destroy(); resolve(false); });
    });
  }

  /** Resolves once nginx accepts connections; throws when it exits first or after `timeoutMs`. */
  public async waitUntilListening(timeoutMs: number): Promise<void> {
    return this.waitListening(timeoutMs);
  }

  private async waitListening(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) {
        throw new Error(`${this.name}: nginx exited: ${fs.readFileSync(path.join(this.dir, 'nginx.stderr'), 'utf8')}`);
      }
      if (await this.tcpCheck()) return;
      await pause(50);
    }
    throw new Error(`${this.name}: nginx does not listen on ${this.hostPort}: ${fs.readFileSync(path.join(this.dir, 'nginx.stderr'), 'utf8')}`);
  }

  /** Runs an exec command of the spec (remapped), in its own process group; resolves to the exit code. */
  private exec(command: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<number | null> {
    const [cmd, ...args] = command.map(a => this.remap(a));
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', env: { ...ENV, GS_LOG_TARGET: path.join(this.dir, 'hooks.log'), ...env } });
    this.children.add(child);
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    return new Promise(resolve => {
      const done = (code: number | null) => {
        clearTimeout(timer);
        killGroup(child, 'SIGKILL'); // a hook's leftover sleeps
        this.children.delete(child);
        resolve(code);
      };
      child.once('error', () => done(127));
      child.once('exit', code => done(code));
    });
  }
}

/** Every pod started and not yet stopped, so a failed test can still kill them all. */
const LIVE = new Set<EmulatedPod>();

/** Stops every pod the harness started that is still running (tests call it in afterAll). */
export async function killEverything(): Promise<void> {
  await Promise.all([...LIVE].map(p => p.stop()));
}

/** What `bounded` resolves to when the time ran out. */
export const TIMED_OUT = Symbol('timed out');

/** Waits for `promise` at most `ms`; the timer is cleared either way, so nothing is left pending. */
export async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>(resolve => { timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms)); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A plain pause whose timer cannot outlive a test. */
export function pause(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (c.pid) process.kill(-c.pid, sig);
  } catch {
    // gone
  }
}
