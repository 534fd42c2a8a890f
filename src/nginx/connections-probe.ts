import { IPollProbe, Shell } from '../script';
import { assertPort } from './nginx-conf';

/**
 * The number of established TCP connections whose local port is `port` (clients connected to the
 * server), read from `/proc/net/tcp` and `/proc/net/tcp6`. Inside a pod these show only the pod's
 * network namespace, so the count is exactly the connections the Service routed to this pod.
 * An unreadable /proc is "cannot tell", never zero.
 */
export function establishedConnectionsProbe(port: number): IPollProbe {
  assertPort(port, 'port');
  // /proc/net/tcp writes local_address as HEXIP:HEXPORT (upper-case, 4 digits) and st 01 for ESTABLISHED.
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return {
    description: `connections to port ${port}`,
    usesHttp: false,
    renderBody: () => [
      'gs_count=0',
      'gs_seen=0',
      'for gs_f in /proc/net/tcp /proc/net/tcp6; do',
      '  [ -r "$gs_f" ] || continue',
      '  gs_seen=1',
      '  while read -r _ gs_local _ gs_st _; do',
      '    [ "$gs_st" = 01 ] || continue',
      '    case $gs_local in',
      `      *:${hex}) gs_count=$((gs_count + 1)) ;;`,
      '    esac',
      '  done <"$gs_f"',
      'done',
      'if [ "$gs_seen" = 0 ]; then gs_why=\'/proc/net/tcp is not readable\'; return 1; fi',
      'return 0',
    ].join('\n'),
  };
}

/**
 * For the postStart: 1 while nothing listens on `port`; once something does (nginx binds its
 * listeners before it serves), creates `readyFile` and counts 0. Creating the file inside the probe
 * is what makes it conditional: a postStart that gives up at its deadline never creates it, so a
 * pod whose nginx never listens stays unready. An unreadable /proc or a file that cannot be created
 * is "cannot tell", retried, never zero.
 */
export function readyFileOnceListeningProbe(port: number, readyFile: string): IPollProbe {
  assertPort(port, 'port');
  // /proc/net/tcp: st 0A is LISTEN.
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const file = Shell.quote(readyFile);
  return {
    description: `nginx not listening on port ${port}`,
    usesHttp: false,
    renderBody: () => [
      'gs_count=1',
      'gs_seen=0',
      'for gs_f in /proc/net/tcp /proc/net/tcp6; do',
      '  [ -r "$gs_f" ] || continue',
      '  gs_seen=1',
      '  while read -r _ gs_local _ gs_st _; do',
      '    [ "$gs_st" = 0A ] || continue',
      '    case $gs_local in',
      `      *:${hex}) gs_count=0 ;;`,
      '    esac',
      '  done <"$gs_f"',
      'done',
      'if [ "$gs_seen" = 0 ]; then gs_why=\'/proc/net/tcp is not readable\'; return 1; fi',
      `if [ "$gs_count" = 0 ] && ! touch ${file} 2>/dev/null; then gs_why=${Shell.quote(`cannot create ${readyFile}`)}; return 1; fi`,
      'return 0',
    ].join('\n'),
  };
}
