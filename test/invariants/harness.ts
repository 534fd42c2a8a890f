/**
 * The invariant harness's bookkeeping: every run of a synthesized hook or container command
 * reports what it measured, each invariant it checked, and any violation; the ledger sums them
 * up into one line (`invariants: runs=N violations=0 ...`) and the figures docs/guarantees.md
 * quotes (worst margin before a deadline, per invariant).
 *
 * The invariants (docs/guarantees.md states them in full):
 * 1. A script returns by the deadline its header states, and before SIGKILL.
 * 2. A protected wait is never shortened.
 * 3. Never early: an unknown count or state is never read as "done".
 * 4. Every container the library adds exits promptly on SIGTERM as PID 1, once its work is done.
 * 5. A hold ends only after what it holds.
 */
import * as fs from 'fs';
import { HttpToolChoice, runScript, ScriptResult, ShellName } from '../script/run-script';
import { containerOf, only, preStopScript } from '../util/synth';

export type InvariantId = 1 | 2 | 3 | 4 | 5;

/** One run: a placement, the generated case, what was measured. */
export interface RunReport {
  readonly placement: string;
  /** The generated case, for a violation's message (short). */
  readonly label: string;
  /** The invariants this run checked. */
  readonly checked: InvariantId[];
  readonly violations: string[];
  /** For invariant 1: the header's deadline minus the measured time, in ms. */
  readonly deadlineMarginMs?: number;
  /** For invariant 2: the measured protected wait minus the promised one, in ms. */
  readonly protectedSlackMs?: number;
  /** For invariant 4: SIGTERM to exit, in ms. */
  readonly sigtermExitMs?: number;
  /** For invariant 5: how long after what it held the hold ended, in ms. */
  readonly holdAfterMs?: number;
}

/** Collects reports; prints the summary. */
export class Ledger {
  public readonly reports: RunReport[] = [];

  public add(r: RunReport): void {
    this.reports.push(r);
  }

  public get violations(): string[] {
    return this.reports.flatMap(r => r.violations.map(v => `${r.placement} [${r.label}]: ${v}`));
  }

  /** Per invariant: runs that checked it, violations, and the worst measured figure. */
  public figures(): Record<string, { runs: number; worst?: number }> {
    const by = (i: InvariantId) => this.reports.filter(r => r.checked.includes(i));
    const min = (xs: Array<number | undefined>) => {
      const v = xs.filter((x): x is number => x !== undefined);
      return v.length ? Math.min(...v) : undefined;
    };
    const max = (xs: Array<number | undefined>) => {
      const v = xs.filter((x): x is number => x !== undefined);
      return v.length ? Math.max(...v) : undefined;
    };
    return {
      'deadline (worst margin ms)': { runs: by(1).length, worst: min(by(1).map(r => r.deadlineMarginMs)) },
      'protected wait (worst slack ms)': { runs: by(2).length, worst: min(by(2).map(r => r.protectedSlackMs)) },
      'never early (runs)': { runs: by(3).length },
      'PID 1 SIGTERM (worst exit ms)': { runs: by(4).length, worst: max(by(4).map(r => r.sigtermExitMs)) },
      'hold after held (worst ms after)': { runs: by(5).length, worst: min(by(5).map(r => r.holdAfterMs)) },
    };
  }

  public summary(): string {
    const f = this.figures();
    const parts = Object.entries(f).map(([k, v]) => `${k}: runs=${v.runs}${v.worst !== undefined ? ` worst=${Math.round(v.worst)}` : ''}`);
    const placements = [...new Set(this.reports.map(r => r.placement))].sort();
    return `invariants: runs=${this.reports.length} violations=${this.violations.length}\n  ${parts.join('\n  ')}\n  placements: ${placements.join(', ')}`;
  }
}

/** Runs `tasks` with at most `limit` at once (the runs mostly sleep; the machine has few cores). */
export async function runLimited<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** The deadline a library script states in its header ("Returns within Ns"). */
export function headerDeadlineSeconds(script: string): number {
  const m = /^# Returns within (\d+)s of starting\./m.exec(script);
  if (!m) throw new Error('not a library script: no "Returns within Ns" header');
  return Number(m[1]);
}

export interface CheckedRunOptions {
  readonly shell: ShellName;
  readonly http?: HttpToolChoice;
  readonly graceSeconds: number;
  readonly env?: Record<string, string>;
  /** Extra tools on the script's PATH (name → absolute path). */
  readonly links?: Record<string, string>;
}

/** Runs a library script for real and checks invariant 1 on it. */
export async function runChecked(script: string, opts: CheckedRunOptions):
Promise<{ r: ScriptResult; violations: string[]; marginMs: number; spawnedAt: number }> {
  const deadlineMs = headerDeadlineSeconds(script) * 1000;
  const r = await runScript(script, {
    shell: opts.shell,
    withPath: opts.http || opts.links ? { http: opts.http, links: opts.links } : undefined,
    timeoutMs: opts.graceSeconds * 1000 + 5000,
    env: opts.env,
  });
  const violations: string[] = [];
  if (r.code !== 0) violations.push(`exit ${r.code} (signal ${r.signal}); stderr: ${r.stderr.slice(0, 200)}`);
  if (r.elapsedMs > deadlineMs) violations.push(`invariant 1: returned after ${r.elapsedMs}ms, header says ${deadlineMs}ms`);
  if (r.elapsedMs >= opts.graceSeconds * 1000) violations.push(`invariant 1: ran ${r.elapsedMs}ms, SIGKILL at ${opts.graceSeconds}s`);
  return { r, violations, marginMs: deadlineMs - r.elapsedMs, spawnedAt: r.startedAt };
}

/** The mtime of a file in ms since the epoch, or undefined when it does not exist. */
export function mtimeMs(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * A hook sidecar's hold and the work it holds: the sidecar's preStop waits for a done marker that
 * a CGI-started script (`<name>.sh`, run by `<name>.cgi`, both from one ConfigMap) writes when its
 * work ends.
 */
export interface HeldWork {
  /** The synthesized objects: the Deployment and the ConfigMap. */
  readonly objects: any[];
  /** The ConfigMap keys' stem: `<name>.sh` and `<name>.cgi`. */
  readonly name: string;
  /** The container whose preStop is the hold. */
  readonly sidecar: string;
  /** Where the pod mounts the ConfigMap (no trailing slash). */
  readonly scriptDir: string;
  /** Where the script writes its done marker (`<stateDir>/done`). */
  readonly stateDir: string;
  /** What the CGI prints when it started the work. */
  readonly answer: string;
  /** The work in a violation message, e.g. "the drain". */
  readonly work: string;
}

/** How {@link runHoldWithCgi} runs. */
export interface HoldRunOptions {
  readonly placement: string;
  readonly label: string;
  readonly shell: ShellName;
  readonly http: HttpToolChoice;
  readonly graceSeconds: number;
  /** How long after the hold the CGI starts (the kubelet's httpGet reaches the sidecar late). */
  readonly cgiDelayMs: number;
  readonly cgiEnv?: Record<string, string>;
  /** A temp dir standing in for the mounts. */
  readonly dir: string;
}

/**
 * Runs the hold and, `cgiDelayMs` later, the CGI, both for real, with the pod's paths moved under
 * `dir`: invariant 1 on the hold, invariant 5 (the hold returns only after the done marker).
 */
export async function runHoldWithCgi(w: HeldWork, o: HoldRunOptions): Promise<RunReport> {
  const { dir } = o;
  const cm = w.objects.find(x => x.kind === 'ConfigMap' && x.data?.[`${w.name}.cgi`]);
  const relocate = (s: string) => s.split(w.stateDir).join(`${dir}/state`).split(`${w.scriptDir}/`).join(`${dir}/scripts/`);
  fs.mkdirSync(`${dir}/scripts`, { recursive: true });
  fs.mkdirSync(`${dir}/state`);
  fs.writeFileSync(`${dir}/scripts/${w.name}.sh`, cm.data[`${w.name}.sh`], { mode: 0o555 });
  const hold = relocate(preStopScript(containerOf(only(w.objects, 'Deployment'), w.sidecar)));
  const holdRun = runChecked(hold, { shell: o.shell, graceSeconds: o.graceSeconds });
  await new Promise(r => setTimeout(r, o.cgiDelayMs));
  const cgiRun = runScript(relocate(cm.data[`${w.name}.cgi`]), {
    shell: o.shell, withPath: { http: o.http }, timeoutMs: o.graceSeconds * 1000 + 5000, env: o.cgiEnv,
  });
  const [h, cgi] = await Promise.all([holdRun, cgiRun]);
  const violations = [...h.violations];
  const holdEnd = h.spawnedAt + h.r.elapsedMs;
  const marker = mtimeMs(`${dir}/state/done`);
  if (!cgi.stdout.includes(w.answer)) violations.push(`the CGI did not answer: ${cgi.stdout.slice(0, 100)}`);
  if (marker === undefined) violations.push(`invariant 5: ${w.work} wrote no done marker`);
  else if (holdEnd < marker) violations.push(`invariant 5: the hold returned ${Math.round(marker - holdEnd)}ms before ${w.work} ended`);
  return {
    placement: o.placement,
    label: o.label,
    checked: [1, 5],
    violations,
    deadlineMarginMs: h.marginMs,
    holdAfterMs: marker === undefined ? undefined : holdEnd - marker,
  };
}
