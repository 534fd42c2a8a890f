import { IPollProbe } from '../script';
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
