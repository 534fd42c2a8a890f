import { IPollProbe, PollProbe, Shell } from '../script';
import { assertPort } from './nginx-conf';

/**
 * The number of established TCP connections whose local port is `port` (clients connected to the
 * server). Inside a pod /proc/net/tcp shows only the pod's network namespace, so the count is
 * exactly the connections the Service routed to this pod. An unreadable /proc is "cannot tell",
 * never zero.
 */
export function establishedConnectionsProbe(port: number): IPollProbe {
  assertPort(port, 'port');
  return PollProbe.establishedTcpConnections([port]);
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
  const listening = PollProbe.listeningTcpPorts([port]);
  const file = Shell.quote(readyFile);
  return {
    description: `nginx not listening on port ${port}`,
    usesHttp: false,
    // The shared /proc/net/tcp reader counts the listeners; this turns "listening" into the file.
    renderBody: () => [
      'gs_listeners() {',
      ...listening.renderBody().split('\n').map(l => `  ${l}`),
      '}',
      'if ! gs_listeners; then return 1; fi',
      'if [ "$gs_count" -eq 0 ]; then gs_count=1; return 0; fi',
      `if ! touch ${file} 2>/dev/null; then gs_why=${Shell.quote(`cannot create ${readyFile}`)}; return 1; fi`,
      'gs_count=0',
      'return 0',
    ].join('\n'),
  };
}
