import { Duration } from 'cdk8s';
import { fileExistsProbe } from '../hook-sidecar';
import { IPollProbe, Shell, ShellWord } from '../script';
import { DrainSelection } from './stats';

/** Options of {@link EnvoyProbe.activeConnections}. */
export interface EnvoyActiveConnectionsProbeOptions {
  /** The listeners whose `downstream_cx_active` gauges are summed. */
  readonly selection: DrainSelection;
  /** The admin base URL the script calls, e.g. `http://127.0.0.1:19000`. */
  readonly adminUrl: string;
  /**
   * How long one `/stats` call may take (capped by the script's deadline).
   * @default Duration.seconds(2)
   */
  readonly timeout?: Duration;
}

/** Poll probes that read Envoy's admin API. */
export class EnvoyProbe {
  /**
   * The sum of the selected listeners' `downstream_cx_active`, read from
   * `GET /stats?usedonly&filter=<anchored regex>` (text format: one `name: value` line per stat).
   *
   * - Not a 2xx answer, no answer, or no HTTP client: unknown (logged, retried), never zero.
   * - A 2xx answer whose non-empty lines are not all `name: <integer>`: unknown (garbled).
   * - A 2xx answer without the sentinel line `server.live: <n>`: unknown. Envoy always has it under
   *   `usedonly` (see {@link DrainSelection.SENTINEL_STAT}), so an empty 2xx body from a proxy or
   *   another server cannot end the drain.
   * - A 2xx answer with the sentinel and none of the selected names: 0. With `usedonly` Envoy leaves
   *   out gauges that were never set, i.e. listeners that never had a connection.
   * - Per-worker copies (`.worker_N.`, `.main_thread.`), the admin listener and excluded ports
   *   are never summed.
   */
  public static activeConnections(options: EnvoyActiveConnectionsProbeOptions): IPollProbe {
    const timeoutMs = (options.timeout ?? Duration.seconds(2)).toMilliseconds();
    if (!Number.isInteger(timeoutMs / 1000) || timeoutMs < 1000) {
      throw new Error(`stats call timeout ${timeoutMs}ms must be a whole number of seconds, at least 1s.`);
    }
    const url = `${options.adminUrl.replace(/\/+$/, '')}${options.selection.statsPath}`;
    const selection = options.selection;
    return new ActiveConnectionsProbe(selection, url, timeoutMs / 1000);
  }

  /** 1 while `file` does not exist, 0 once it does: waits for a marker another process writes. */
  public static fileExists(file: string, description: string): IPollProbe {
    return fileExistsProbe(file, description);
  }

  private constructor() {}
}

class ActiveConnectionsProbe implements IPollProbe {
  public readonly usesHttp = true;
  public readonly description: string;

  public constructor(private readonly selection: DrainSelection, private readonly url: string, private readonly timeoutSeconds: number) {
    this.description = `active connections (${selection.allListeners ? selection.toString() : selection.statNames.join(' + ')})`;
  }

  public renderBody(): string {
    const excluded = this.selection.excludedPatterns;
    const included = this.selection.includedPatterns;
    return [
      `if gs_stats=$(gs_http GET ${ShellWord.literal(this.url).text} "$(gs_cap ${this.timeoutSeconds})" '' 2>/dev/null); then :; else`,
      '  gs_rc=$?',
      `  gs_why=${Shell.quote('GET /stats: ')}"$(gs_http_why "$gs_rc")"`,
      '  return 1',
      'fi',
      // Split on newlines only, with globbing off: names hold [ ] and *.
      'gs_count=0',
      'gs_bad=',
      'gs_sentinel=',
      // A newline of our own (indentation-proof), not relying on runtime variables.
      "gs_enl=$(printf '\\n_')",
      'gs_enl=${gs_enl%_}',
      'gs_ifs=$IFS',
      'IFS=$gs_enl',
      'set -f',
      'for gs_line in $gs_stats; do',
      '  case $gs_line in',
      "    *': '*) ;;",
      '    *) gs_bad=$gs_line; break ;;',
      '  esac',
      '  gs_sname=${gs_line%%: *}',
      '  gs_sval=${gs_line#*: }',
      '  case $gs_sval in',
      // Leading zeros would be octal (or an error) in $((...)); 16+ digits could overflow it.
      "    ''|*[!0-9]*|0?*|????????????????*) gs_bad=$gs_line; break ;;",
      '  esac',
      '  case $gs_sname in',
      `    ${Shell.quote(DrainSelection.SENTINEL_STAT)}) gs_sentinel=1 ;;`,
      ...(excluded.length ? [`    ${excluded.join('|')}) ;;`] : []),
      `    ${included.join('|')}) gs_count=$((gs_count + gs_sval)) ;;`,
      '  esac',
      'done',
      'set +f',
      'IFS=$gs_ifs',
      'if [ -n "$gs_bad" ]; then',
      "  gs_why=\"garbled /stats answer: $(printf '%.60s' \"$gs_bad\")\"",
      '  return 1',
      'fi',
      'if [ -z "$gs_sentinel" ]; then',
      `  gs_why=${Shell.quote(`no ${DrainSelection.SENTINEL_STAT} line in the /stats answer: not Envoy's stats (or a stats_matcher drops it)`)}`,
      '  return 1',
      'fi',
      'return 0',
    ].join('\n');
  }
}
