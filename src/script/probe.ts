import { Shell } from './shell';
import { checkPort } from '../core';

/**
 * Something a poll loop counts: the body of a shell function that sets `gs_count` to a
 * non-negative integer and returns 0, or sets `gs_why` to a reason and returns 1 when it cannot
 * tell. "Cannot tell" is never zero: an unreachable admin endpoint must not end a drain.
 * The body may call `gs_http METHOD URL "$(gs_cap SECONDS)" BODY [HEADER...]` when `usesHttp`.
 */
export interface IPollProbe {
  /** What is counted, for the log ("active listener connections"). */
  readonly description: string;
  /** Whether the body calls `gs_http`. */
  readonly usesHttp: boolean;
  /** The function body. */
  renderBody(): string;
}

/** The `st` column of /proc/net/tcp (include/net/tcp_states.h): 01 ESTABLISHED, 0A LISTEN. */
const TCP_ESTABLISHED = '01';
const TCP_LISTEN = '0A';

/** Probes every pattern can use. */
export class PollProbe {
  /**
   * 1 while the process whose PID is in `pidFile` is alive, 0 once it has exited (or the file is
   * gone, as nginx removes its pid file on exit). A file that holds no process id (empty while
   * being written, or garbage) cannot tell, and is retried.
   */
  public static processAlive(pidFile: string): IPollProbe {
    const file = Shell.quote(pidFile);
    return {
      description: `process in ${pidFile}`,
      usesHttp: false,
      renderBody: () => [
        `if [ ! -f ${file} ]; then gs_count=0; return 0; fi`,
        `if [ ! -r ${file} ]; then gs_why=${Shell.quote(`cannot read ${pidFile}`)}; return 1; fi`,
        // read fails at a last line with no newline but still sets gs_pid: its status does not matter.
        'gs_pid=',
        `{ read -r gs_pid <${file}; } 2>/dev/null || :`,
        // Empty (being written) or not a number: cannot tell, which is never zero.
        `case $gs_pid in ''|*[!0-9]*) gs_why=${Shell.quote(`no process id in ${pidFile}`)}; return 1 ;; esac`,
        'if kill -0 "$gs_pid" 2>/dev/null; then gs_count=1; else gs_count=0; fi',
        'return 0',
      ].join('\n'),
    };
  }

  /**
   * The number of sockets listening on any of `ports` (TCP, IPv4 and IPv6), read from
   * `/proc/net/tcp` and `/proc/net/tcp6`, which show every socket of the pod's network namespace.
   */
  public static listeningTcpPorts(ports: number[]): IPollProbe {
    return PollProbe.tcpSockets('listeningTcpPorts', ports, TCP_LISTEN, `sockets listening on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`);
  }

  /**
   * The number of established TCP connections whose local port is one of `ports` (the
   * connections a server on those ports has accepted), IPv4 and IPv6, from `/proc/net/tcp{,6}`.
   */
  public static establishedTcpConnections(ports: number[]): IPollProbe {
    return PollProbe.tcpSockets('establishedTcpConnections', ports, TCP_ESTABLISHED, `connections to port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`);
  }

  /** Sockets in state `state` (the hex code /proc/net/tcp uses) on any of the local `ports`. */
  private static tcpSockets(factory: string, ports: number[], state: string, description: string): IPollProbe {
    if (ports.length === 0) throw new Error(`${factory} needs at least one port.`);
    for (const p of ports) checkPort(p, 'port');
    // /proc/net/tcp writes local_address as HEXIP:HEXPORT (upper-case, 4 digits) and st as a hex state.
    const pattern = ports.map(p => `*:${p.toString(16).toUpperCase().padStart(4, '0')}`).join('|');
    return {
      description,
      usesHttp: false,
      renderBody: () => [
        'gs_count=0',
        'gs_seen=0',
        'for gs_f in /proc/net/tcp /proc/net/tcp6; do',
        '  [ -r "$gs_f" ] || continue',
        '  gs_seen=1',
        // One read of the whole file when cat is there: bash's `read` seeks back after every line,
        // and a seek in a /proc seq_file costs time proportional to the offset, so reading a busy
        // pod's /proc/net/tcp line by line takes seconds in bash (quadratic). Same count either way.
        '  if gs_tcp=$(cat "$gs_f" 2>/dev/null); then',
        '    gs_ifs=$IFS',
        "    gs_lf=$(printf '\\n_')",
        '    gs_lf=${gs_lf%_}',
        '    IFS=$gs_lf',
        '    set -f',
        '    # shellcheck disable=SC2086 # split on purpose: the file into lines, each line into fields',
        '    for gs_line in $gs_tcp; do',
        "      IFS=' '",
        '      set -- $gs_line',
        '      IFS=$gs_lf',
        `      [ "$4" = ${state} ] || continue`,
        '      case $2 in',
        `        ${pattern}) gs_count=$((gs_count + 1)) ;;`,
        '      esac',
        '    done',
        '    set +f',
        '    IFS=$gs_ifs',
        '  else',
        '    while read -r _ gs_local _ gs_st _; do',
        `      [ "$gs_st" = ${state} ] || continue`,
        '      case $gs_local in',
        `        ${pattern}) gs_count=$((gs_count + 1)) ;;`,
        '      esac',
        '    done <"$gs_f"',
        '  fi',
        'done',
        'if [ "$gs_seen" = 0 ]; then gs_why=\'/proc/net/tcp is not readable\'; return 1; fi',
        'return 0',
      ].join('\n'),
    };
  }

  private constructor() {}
}
