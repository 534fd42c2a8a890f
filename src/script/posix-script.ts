import { Duration } from 'cdk8s';
import { CORE_FUNCTIONS, HTTP_FUNCTIONS } from './runtime';
import { Shell } from './shell';
import { RenderContext, Step } from './step';

/** Props of a {@link PosixScript}. */
export interface PosixScriptProps {
  /** Names the script in its header and in every log line (`t=3 envoy-drain: ...`). */
  readonly name: string;
  /**
   * The script returns within this long of starting, whatever the endpoints it calls do. Take it
   * from the plan (e.g. `plan.preStopDeadline`) so it ends before SIGKILL. Rounded down to seconds.
   */
  readonly deadline: Duration;
  /**
   * The steps, in order.
   * @default none; add them with `add()`
   */
  readonly steps?: Step[];
}

/** Where the log goes when `GS_LOG_TARGET` is unset: PID 1's stdout, so `kubectl logs` shows the drain. */
export const DEFAULT_LOG_TARGET = '/proc/1/fd/1';

// SC2034: gs_ok, gs_poll and gs_body are there for the steps that follow.
// SC2016: every literal is single-quoted on purpose, `$` in it included.
// SC2317: shellcheck 0.9 takes helpers called only inside $(...) for unreachable code.
const HEADER_COMMENT = '# shellcheck disable=SC2034,SC2016,SC2317';

/** The lines after the per-script header, the same in every script. */
const PRELUDE = [
  `gs_log_target=\${GS_LOG_TARGET:-${DEFAULT_LOG_TARGET}}`,
  // Commands write their output to the log; /dev/stderr when PID 1's stdout is not writable.
  'if { true >>"$gs_log_target"; } 2>/dev/null; then gs_cmd_out=$gs_log_target; else gs_cmd_out=/dev/stderr; fi',
  'gs_ok=1',
  'gs_poll=zero',
  CORE_FUNCTIONS,
  '',
].join('\n');
const PRELUDE_WITH_HTTP = `${PRELUDE}${HTTP_FUNCTIONS}\ngs_http_detect\n`;

/**
 * A POSIX sh script for a preStop hook or a sidecar, built from steps. It runs unchanged in dash,
 * bash and busybox ash, quotes every value through `Shell.quote`, logs each step as
 * `t=<seconds> <name>: <message>` to PID 1's stdout (stderr when that is not writable), and returns
 * before its deadline.
 */
export class PosixScript {
  /** The script's name. */
  public readonly name: string;
  /** The deadline in whole seconds after the script starts. */
  public readonly deadlineSeconds: number;
  private readonly steps: Step[] = [];
  /** The text, once rendered: the script is then sealed (see `add`). */
  private rendered?: string;

  /**
   * @param props the script's name, deadline and first steps
   */
  public constructor(props: PosixScriptProps) {
    if (!/^[a-z0-9][a-z0-9.-]{0,62}$/.test(props.name)) {
      throw new Error(`script name '${props.name}' is not valid: use lower-case letters, digits, '.' and '-'.`);
    }
    this.name = props.name;
    this.deadlineSeconds = Math.floor(props.deadline.toMilliseconds() / 1000);
    if (!(this.deadlineSeconds >= 1)) {
      throw new Error(`script '${props.name}': deadline ${props.deadline.toMilliseconds()}ms is under 1s; a preStop script needs at least 1s.`);
    }
    this.steps.push(...(props.steps ?? []));
  }

  /**
   * Appends steps. Throws once the script has been rendered (a construct renders the scripts it is
   * given into its manifests): a step added later would silently be missing from them.
   */
  public add(...steps: Step[]): PosixScript {
    if (this.rendered !== undefined) {
      throw new Error(`script '${this.name}' was already rendered into a manifest; a step added now would not reach it. Add every step before passing the script to a construct, or build a new PosixScript.`);
    }
    this.steps.push(...steps);
    return this;
  }

  /** Whether any step makes HTTP calls. */
  public get usesHttp(): boolean {
    return this.steps.some(s => s.usesHttp);
  }

  /** The script text. Rendering seals the script (see `add`). */
  public render(): string {
    if (this.rendered === undefined) this.rendered = this.renderText();
    return this.rendered;
  }

  private renderText(): string {
    let n = 0;
    const ctx: RenderContext = { next: () => ++n, deadlineSeconds: this.deadlineSeconds };
    const body: string[] = [];
    let http = false;
    for (const step of this.steps) {
      body.push(...step._render(ctx));
      http = http || step.usesHttp;
    }
    // Synthesis renders one script per container of every workload: the constant parts are
    // joined once, at module load, and only the few lines that vary are built here.
    return `#!/bin/sh\n# cdk8s-graceful-shutdown: ${this.name}\n${HEADER_COMMENT}\n`
      + `# Returns within ${this.deadlineSeconds}s of starting. Logs go to PID 1's stdout (override: GS_LOG_TARGET).\n`
      + `gs_name=${Shell.quote(this.name)}\ngs_start=$(date +%s)\ngs_deadline=$((gs_start + ${this.deadlineSeconds}))\n`
      + (http ? PRELUDE_WITH_HTTP : PRELUDE)
      + `gs_log ${Shell.quote(`start (deadline t=${this.deadlineSeconds}s)${http ? ', http via ' : ''}`)}${http ? '"$gs_http_tool"' : ''}\n`
      + (body.length > 0 ? `${body.join('\n')}\n` : '')
      + "gs_log 'done'\nexit 0\n";
  }

  /** The exec command that runs the script: `['/bin/sh', '-c', text]`. */
  public toCommand(): string[] {
    return ['/bin/sh', '-c', this.render()];
  }
}
