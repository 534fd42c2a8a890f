import { Duration } from 'cdk8s';
import { HttpCallOptions, renderHttpArgs } from './http';
import { IPollProbe } from './probe';
import { Shell } from './shell';
import { checkWholeSeconds } from '../core';
import { formatDuration } from '../plan/duration-format';

/** Options of {@link Step.pollUntilZero}. */
export interface PollOptions {
  /** What to count. */
  readonly probe: IPollProbe;
  /**
   * How long to wait between polls.
   * @default Duration.seconds(1)
   */
  readonly interval?: Duration;
  /**
   * When to give up, in time since the script started; capped by the script's deadline.
   * @default the script's deadline
   */
  readonly until?: Duration;
  /**
   * What the loop waits for, for the log.
   * @default the probe's description
   */
  readonly description?: string;
}

/** Options of {@link Step.run}. */
export interface RunOptions {
  /**
   * Terminate the command after this long; capped by the script's deadline.
   * @default the script's deadline (no bound of its own: every wait a script makes comes from its
   * plan, and the deadline is the plan's)
   */
  readonly timeout?: Duration;
}

/** What a step needs from the script it is rendered into. @internal */
export interface RenderContext {
  /** The script's deadline in whole seconds. */
  readonly deadlineSeconds: number;
  /** A fresh number, for function names. */
  next(): number;
}

/** One step of a {@link PosixScript}. Every step logs what it does and never exits the script. */
export class Step {
  /** Writes `t=<s> <name>: <message>` to the log. */
  public static log(message: string): Step {
    return Step.fixed(false, () => [`gs_log ${Shell.quote(message)}`]);
  }

  /** Sleeps for `duration` (whole seconds), cut short by the deadline. */
  public static sleep(duration: Duration, reason: string): Step {
    const s = checkWholeSeconds(duration, 'sleep', 0);
    return Step.fixed(false, () => [
      `gs_log ${Shell.quote(`sleep ${formatDuration(duration)}: ${reason}`)}`,
      `gs_sleep_until $(($(date +%s) - gs_start + ${s}))`,
    ]);
  }

  /** Sleeps until `at` (whole seconds) after the script started: plan phases end at fixed offsets. */
  public static sleepUntil(at: Duration, reason: string): Step {
    const s = checkWholeSeconds(at, 'sleepUntil', 0);
    return Step.fixed(false, () => [
      `gs_log ${Shell.quote(`wait until t=${s}s: ${reason}`)}`,
      `gs_sleep_until ${s}`,
    ]);
  }

  /** Makes an HTTP call; sets `gs_ok` to 1 on a 2xx answer, else 0, and keeps the body in `gs_body`. */
  public static http(call: HttpCallOptions): Step {
    const timeout = checkWholeSeconds(call.timeout ?? Duration.seconds(2), 'http timeout', 1);
    const what = call.description ?? `${call.method} ${call.url.display}`;
    return Step.fixed(true, () => [
      `if gs_body=$(gs_http ${renderHttpArgs(call, `"$(gs_cap ${timeout})"`)} 2>/dev/null); then`,
      '  gs_ok=1',
      `  gs_log ${Shell.quote(`${what}: ok`)}`,
      'else',
      '  gs_rc=$?',
      '  gs_ok=0',
      `  gs_log ${Shell.quote(`${what}: failed: `)}"$(gs_http_why "$gs_rc")"`,
      'fi',
    ]);
  }

  /**
   * Runs a command (every argument quoted), terminated after `timeout`; sets `gs_ok`. The command's
   * output goes straight to the script's log (PID 1's stdout), so `kubectl logs` shows what
   * `nginx -s quit` said. Not captured in a pipe: a background child the command leaves behind
   * cannot hold the script past its deadline.
   */
  public static run(command: string[], description: string, options: RunOptions = {}): Step {
    if (command.length === 0) throw new Error(`step '${description}': command is empty.`);
    const own = options.timeout === undefined ? undefined : checkWholeSeconds(options.timeout, 'run timeout', 1);
    const argv = command.map(a => Shell.quote(a)).join(' ');
    return new Step(false, ctx => {
      const timeout = own ?? ctx.deadlineSeconds;
      return [
        `if gs_bounded "$(gs_cap ${timeout})" ${argv} >>"$gs_cmd_out" 2>&1; then`,
        '  gs_ok=1',
        `  gs_log ${Shell.quote(`${description}: ok`)}`,
        'else',
        '  gs_rc=$?',
        '  gs_ok=0',
        '  case $gs_rc in',
        '    124) gs_why="the script\'s deadline has passed, not started" ;;',
        `    143) gs_why='no exit within ${timeout}s, terminated' ;;`,
        '    127) gs_why=\'command not found\' ;;',
        '    *) gs_why=\'its output is in the log above\' ;;',
        '  esac',
        `  gs_log ${Shell.quote(`${description}: failed with exit `)}"$gs_rc: $gs_why"`,
        'fi',
      ];
    });
  }

  /**
   * Polls `probe` every interval until it counts zero or `until` has passed. Sets `gs_poll` to
   * `zero` or `deadline`. A probe that cannot tell is logged and retried, never taken as zero.
   */
  public static pollUntilZero(options: PollOptions): Step {
    const interval = checkWholeSeconds(options.interval ?? Duration.seconds(1), 'poll interval', 1);
    const until = options.until ? checkWholeSeconds(options.until, 'poll until', 0) : undefined;
    const what = options.description ?? options.probe.description;
    const usesHttp = options.probe.usesHttp;
    return new Step(usesHttp, ctx => {
      const fn = `gs_probe_${ctx.next()}`;
      const untilS = Math.min(until ?? ctx.deadlineSeconds, ctx.deadlineSeconds);
      const q = (s: string) => Shell.quote(s);
      return [
        `${fn}() {`,
        ...options.probe.renderBody().split('\n').map(l => `  ${l}`),
        '}',
        `gs_log ${q(`waiting until ${what} is 0 (every ${interval}s, until t=${untilS}s)`)}`,
        `gs_until=$((gs_start + ${untilS}))`,
        'if [ "$gs_until" -gt "$gs_deadline" ]; then gs_until=$gs_deadline; fi',
        'gs_poll=deadline',
        'gs_last=',
        'gs_last_log=0',
        'while :; do',
        '  gs_count=',
        "  gs_why='the probe gave no reason'",
        `  if ${fn}; then`,
        '    case $gs_count in',
        "      ''|*[!0-9]*) gs_state=\"unknown (the probe counted '$gs_count', not a number), retrying\" ;;",
        '      *)',
        '        if [ "$gs_count" -eq 0 ]; then',
        `          gs_log ${q(`${what}: 0`)}`,
        '          gs_poll=zero',
        '          break',
        '        fi',
        '        gs_state=$gs_count',
        '        ;;',
        '    esac',
        '  else',
        '    gs_state="unknown ($gs_why), retrying"',
        '  fi',
        '  gs_now=$(date +%s)',
        // Log a new state at once, except a count that keeps changing (a busy drain): that at most
        // every 5s. Any state is repeated every 30s so a long wait shows it is alive.
        '  gs_quiet=$((gs_now - gs_last_log))',
        '  case $gs_last:$gs_state in',
        '    [0-9]*:[0-9]*) gs_every=5 ;;',
        '    *) gs_every=0 ;;',
        '  esac',
        '  if { [ "$gs_state" != "$gs_last" ] && [ "$gs_quiet" -ge "$gs_every" ]; } || [ "$gs_quiet" -ge 30 ]; then',
        `    gs_log ${q(`${what}: `)}"$gs_state"`,
        '    gs_last=$gs_state',
        '    gs_last_log=$gs_now',
        '  fi',
        '  if [ "$gs_now" -ge "$gs_until" ]; then',
        `    gs_log ${q(`${what}: deadline reached at `)}"$gs_state"`,
        '    break',
        '  fi',
        '  gs_s=$((gs_until - gs_now))',
        `  if [ "$gs_s" -gt ${interval} ]; then gs_s=${interval}; fi`,
        '  sleep "$gs_s"',
        // An HTTP probe cannot ask anything at the script's own deadline (no time left): report its
        // last answer rather than "not attempted". Probes that read files ask once more.
        ...(usesHttp ? [
          '  if [ "$(date +%s)" -ge "$gs_deadline" ]; then',
          `    gs_log ${q(`${what}: deadline reached at `)}"$gs_state"`,
          '    break',
          '  fi',
        ] : []),
        'done',
      ];
    });
  }

  /** Runs `steps` only when the last HTTP call or command failed (`gs_ok` is not 1). */
  public static whenLastFailed(steps: Step[]): Step {
    return Step.guarded('[ "$gs_ok" != 1 ]', steps);
  }

  /** Runs `steps` only when the last poll did not reach zero before its deadline. */
  public static whenPollDidNotReachZero(steps: Step[]): Step {
    return Step.guarded('[ "$gs_poll" != zero ]', steps);
  }

  private static guarded(test: string, steps: Step[]): Step {
    const inner = [...steps];
    return new Step(inner.some(s => s.usesHttp), ctx => [
      `if ${test}; then`,
      ...inner.flatMap(s => s._render(ctx)).map(l => `  ${l}`),
      '  :',
      'fi',
    ]);
  }

  /** A step whose text does not depend on the script it is in. */
  private static fixed(usesHttp: boolean, render: () => string[]): Step {
    return new Step(usesHttp, render);
  }

  /** Whether the step makes HTTP calls (the script then carries the HTTP helper). */
  public readonly usesHttp: boolean;
  private readonly renderer: (ctx: RenderContext) => string[];

  private constructor(usesHttp: boolean, renderer: (ctx: RenderContext) => string[]) {
    this.usesHttp = usesHttp;
    this.renderer = renderer;
  }

  /** @internal */
  public _render(ctx: RenderContext): string[] {
    return this.renderer(ctx);
  }

}

