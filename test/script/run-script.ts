/**
 * Runs generated POSIX scripts for real, in dash, bash or busybox sh, for tests.
 *
 * ```ts
 * import { runScript, SHELLS } from '../script/run-script';
 *
 * const r = await runScript(script.render(), { shell: 'busybox', withPath: { http: 'busybox-wget' } });
 * expect(r.code).toBe(0);
 * expect(r.messages).toContain('POST http://127.0.0.1:1234/x: ok');
 * ```
 *
 * - The script's log (`gs_log`) goes to a fresh temp file through `GS_LOG_TARGET`, never to
 *   `/proc/1/fd/1`; `log` holds its lines, `messages` the same lines without `t=<s> <name>: `.
 * - `withPath` runs the script with a PATH made of symlinks to only the tools you name, so a test
 *   can prove which HTTP client the script picks at run time (or that it has none).
 * - Every process the script starts runs in its own process group, which is killed on timeout and
 *   after the script exits (orphaned `sleep`s included).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The shells a generated script must run in. */
export type ShellName = 'dash' | 'bash' | 'busybox';

/** All of them, for `describe.each(SHELLS)` / `Promise.all(SHELLS.map(...))`. */
export const SHELLS: ShellName[] = ['dash', 'bash', 'busybox'];

/**
 * Which HTTP client the script can see on PATH:
 * - `curl`: /usr/bin/curl
 * - `wget`: GNU wget
 * - `busybox-wget`: a `wget` symlink to busybox (like Alpine)
 * - `busybox`: only a `busybox` binary, no `wget` name (the script must fall back to `busybox wget`)
 * - `none`: no HTTP client at all
 */
export type HttpToolChoice = 'curl' | 'wget' | 'busybox-wget' | 'busybox' | 'none';

/** A PATH made of only the tools a test wants visible. */
export interface PathSpec {
  /** Plain tools, by name, resolved on the machine's PATH. Default: `DEFAULT_TOOLS`. */
  readonly tools?: string[];
  /** The HTTP client to expose. Default: `none`. */
  readonly http?: HttpToolChoice;
  /** Extra symlinks: name on the fake PATH → absolute target. */
  readonly links?: Record<string, string>;
}

/** What a script needs besides its shell: the runtime's date/sleep/kill plus a few common tools. */
export const DEFAULT_TOOLS = ['date', 'sleep', 'kill', 'cat', 'rm', 'mkdir', 'touch', 'head', 'tr', 'ls', 'env', 'true', 'false', 'printf', 'echo', 'sh'];

export interface RunScriptOptions {
  /** The shell. Default `dash`. */
  readonly shell?: ShellName;
  /** Extra environment variables (PATH and GS_LOG_TARGET are set by the helper unless given here). */
  readonly env?: Record<string, string>;
  /** Kill the script's process group after this long. Default 30000. */
  readonly timeoutMs?: number;
  /** Run with a PATH of only these tools (see `PathSpec`). Default: the machine's PATH. */
  readonly withPath?: PathSpec;
  /** Working directory. Default: a fresh temp dir. */
  readonly cwd?: string;
  /** Data written to the script's stdin, then closed. Default: none (stdin is /dev/null). */
  readonly stdin?: string;
}

export interface ScriptResult {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  /** The signal that ended the script, if any. */
  readonly signal: NodeJS.Signals | null;
  /** stdout decoded as UTF-8. */
  readonly stdout: string;
  /** stdout as bytes, for byte-exact comparisons. */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
  /** The log lines, e.g. `t=0 my-script: start (deadline t=5s)`. */
  readonly log: string[];
  /** The log lines without the `t=<s> <name>: ` prefix. */
  readonly messages: string[];
  /** From spawn to exit, in milliseconds. */
  readonly elapsedMs: number;
  /** When the script was spawned (ms since the epoch): `startedAt + elapsedMs` is when it exited. */
  readonly startedAt: number;
  /** Whether `timeoutMs` ran out and the helper killed the script. */
  readonly timedOut: boolean;
  /** The temp dir that held the script and log (removed after the run). */
  readonly dir: string;
}

/** One log line, parsed. */
export interface LogLine {
  readonly t: number;
  readonly name: string;
  readonly message: string;
}

const LOG_LINE = /^t=(-?\d+) ([^:]+): (.*)$/;

/** Parses `t=<s> <name>: <message>`; throws on a line that does not have that shape. */
export function parseLogLine(line: string): LogLine {
  const m = LOG_LINE.exec(line);
  if (!m) throw new Error(`not a gs_log line: ${JSON.stringify(line)}`);
  return { t: Number(m[1]), name: m[2], message: m[3] };
}

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.join(dir, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Absolute path of a tool on the machine's PATH; throws when it is missing. */
export function requireTool(tool: string): string {
  const p = which(tool);
  if (!p) throw new Error(`${tool} is not installed (scripts/ensure-test-deps.sh installs the test tools).`);
  return p;
}

/** The command line that runs a script file in a shell, with absolute paths (independent of PATH). */
export function shellCommand(shell: ShellName, file: string): string[] {
  switch (shell) {
    case 'dash': return [requireTool('dash'), file];
    case 'bash': return [requireTool('bash'), file];
    case 'busybox': return [requireTool('busybox'), 'sh', file];
  }
}

/** Builds a bin dir holding symlinks to only the tools in `spec`. The caller removes it (or use runScript). */
export function makeBinDir(spec: PathSpec, parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, 'gs-bin-'));
  const links: Record<string, string> = {};
  for (const t of spec.tools ?? DEFAULT_TOOLS) {
    const p = which(t);
    if (p) links[t] = p;
  }
  switch (spec.http ?? 'none') {
    case 'curl': links.curl = requireTool('curl'); break;
    case 'wget': links.wget = requireTool('wget'); break;
    case 'busybox-wget': links.wget = requireTool('busybox'); break;
    case 'busybox': links.busybox = requireTool('busybox'); break;
    case 'none': break;
  }
  Object.assign(links, spec.links ?? {});
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, name));
  return dir;
}

/**
 * Writes `text` to a temp file and runs it in `shell`, logging to a temp file through
 * GS_LOG_TARGET. Resolves when the script exits (or is killed at `timeoutMs`).
 */
export async function runScript(text: string, options: RunScriptOptions = {}): Promise<ScriptResult> {
  const shell = options.shell ?? 'dash';
  const target = options.env?.GS_LOG_TARGET;
  if (target !== undefined && (!target || target.startsWith('/proc/'))) {
    throw new Error('runScript: GS_LOG_TARGET must be a file, never /proc/1/fd/1 or unset.');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-run-'));
  const file = path.join(dir, 'script.sh');
  const logFile = path.join(dir, 'log');
  fs.writeFileSync(file, text, { mode: 0o755 });
  fs.writeFileSync(logFile, '');
  const binDir = options.withPath ? makeBinDir(options.withPath, dir) : undefined;
  const env: Record<string, string> = {
    PATH: binDir ?? process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C',
    GS_LOG_TARGET: logFile,
    ...(options.env ?? {}),
  };
  const [cmd, ...args] = shellCommand(shell, file);
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: options.cwd ?? dir, env, detached: true, stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // group already gone
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; killGroup('SIGKILL'); }, options.timeoutMs ?? 30_000);
  type Exit = { code: number | null; signal: NodeJS.Signals | null; elapsedMs: number };
  const { code, signal, elapsedMs } = await new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, s) => resolve({ code: c, signal: s, elapsedMs: Date.now() - started }));
  });
  clearTimeout(timer);
  // Leftovers (a watchdog's sleep, a backgrounded command) die with the group.
  killGroup('SIGKILL');
  // Give the pipes a moment to deliver what was written before exit.
  await new Promise<void>(resolve => {
    let n = 0;
    const done = () => { if (++n === 2) resolve(); };
    if (child.stdout!.readableEnded) done(); else child.stdout!.once('close', done);
    if (child.stderr!.readableEnded) done(); else child.stderr!.once('close', done);
    setTimeout(resolve, 500);
  });
  const log = fs.readFileSync(logFile, 'utf8').split('\n').filter(l => l.length > 0);
  fs.rmSync(dir, { recursive: true, force: true });
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    signal,
    stdout: stdoutBytes.toString('utf8'),
    stdoutBytes,
    stderr: Buffer.concat(err).toString('utf8'),
    log,
    messages: log.map(l => LOG_LINE.exec(l)?.[3] ?? l),
    elapsedMs,
    startedAt: started,
    timedOut,
    dir,
  };
}

/** Runs the same script in every shell at once. */
export async function runInAllShells(text: string, options: Omit<RunScriptOptions, 'shell'> = {}): Promise<Record<ShellName, ScriptResult>> {
  const results = await Promise.all(SHELLS.map(shell => runScript(text, { ...options, shell })));
  return { dash: results[0], bash: results[1], busybox: results[2] };
}

/** Runs `shellcheck -s sh` on a script; `output` is its complaint (empty when clean). */
export function shellcheck(text: string): { ok: boolean; output: string } {
  const r = spawnSync(requireTool('shellcheck'), ['-s', 'sh', '-'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
