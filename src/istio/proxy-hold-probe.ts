import { IPollProbe, PollProbe } from '../script';

/**
 * Envoy's outbound capture port in an Istio sidecar: `istio-iptables` REDIRECTs the app's outbound
 * TCP to 15001 (`virtualOutbound` listener; istio.io "Application Requirements", ports used by
 * Istio: "15001 | TCP | Envoy outbound"). With REDIRECT (the default interception mode) the
 * socket Envoy accepts has local port 15001 in `/proc/net/tcp`, whatever the original destination.
 * @internal
 */
export const ENVOY_OUTBOUND_PORT = 15001;

/**
 * What keeps the declared `istio-proxy` preStop waiting: the sum of
 * - sockets in LISTEN on the app's ports (the field pattern: "non-Envoy processes still listen"),
 * - and, when `outboundPort` is given, ESTABLISHED connections whose local port is Envoy's
 *   outbound port: connections the app opened to the outside, which Envoy accepted on 15001.
 *   An app that has closed its listeners but still flushes, deregisters or commits through the
 *   proxy keeps the count above zero; its exit closes them.
 *
 * Both are read from `/proc/net/tcp{,6}` of the pod's network namespace by the foundation's
 * probes, composed here as two shell functions defined inside the probe body (POSIX allows a
 * function definition anywhere a command may appear). Either part that cannot read the files
 * makes the whole count unknown, never zero.
 * @internal
 */
export function appActivityProbe(listenPorts: number[], outboundPort?: number): IPollProbe {
  const listening = PollProbe.listeningTcpPorts(listenPorts);
  const portsText = listenPorts.join(', ');
  if (outboundPort === undefined) {
    // The spread keeps the listening probe's value key: the body is the same.
    return { ...listening, description: `app sockets listening on ${portsText}`, renderBody: () => listening.renderBody() };
  }
  const outbound = PollProbe.establishedTcpConnections([outboundPort]);
  const fn = (name: string, body: string) => [`${name}() {`, ...body.split('\n').map(l => `  ${l}`), '}'];
  return {
    description: `app sockets (listening on ${portsText}, or connected out through :${outboundPort})`,
    usesHttp: false,
    renderBody: () => [
      ...fn('gs_ih_listening', listening.renderBody()),
      ...fn('gs_ih_outbound', outbound.renderBody()),
      'gs_ih_listening || return 1',
      'gs_ih_total=$gs_count',
      'gs_ih_outbound || return 1',
      'gs_count=$((gs_ih_total + gs_count))',
      'return 0',
    ].join('\n'),
  };
}
