/**
 * The drain-manager sidecar's files, for Envoy images without a shell. Pure text; paths are
 * constants of this module and every number comes from the caller's plan.
 *
 * The sidecar runs busybox `httpd -f` (under a shell that stops it on SIGTERM: see
 * `httpdCommand`) with two CGI programs:
 * - `/cgi-bin/drain`: runs the drain script and answers only when it has ended, so the kubelet's
 *   preStop `httpGet` on the Envoy container blocks exactly as long as the drain (Envoy Gateway's
 *   and Contour's shutdown managers work the same way). A second call waits for the first.
 * - `/cgi-bin/ready`: proxies Envoy's `/ready` from the loopback admin, so the kubelet's readiness
 *   `httpGet` works although the admin listens on 127.0.0.1 only.
 */
import { doneMarker, renderRunOnceCgi } from '../hook-sidecar';
import { Shell } from '../script';

/** Where the ConfigMap with the scripts is mounted in the sidecar. */
export const DRAIN_MANAGER_DIR = '/drain-manager';
/** busybox httpd's document root (holds cgi-bin/). */
export const DRAIN_MANAGER_WWW = `${DRAIN_MANAGER_DIR}/www`;
/** The writable emptyDir for the lock and the "done" marker. */
export const DRAIN_MANAGER_STATE = '/run/drain-manager';
/** The marker written when the drain has ended. */
export const DRAIN_DONE_FILE = doneMarker(DRAIN_MANAGER_STATE);
/** The HTTP path the Envoy container's preStop calls. */
export const DRAIN_PATH = '/cgi-bin/drain';
/** The HTTP path of the readiness proxy. */
export const READY_PATH = '/cgi-bin/ready';

/** The `/cgi-bin/drain` program: drain once, then answer 200 `drained` (see `renderRunOnceCgi`). */
export function renderDrainCgi(scriptPath: string, waitSeconds: number): string {
  return renderRunOnceCgi({ title: 'drain-manager CGI', scriptPath, stateDir: DRAIN_MANAGER_STATE, waitSeconds, answer: 'drained' });
}

/**
 * The `/cgi-bin/ready` program: 200 with Envoy's answer when `/ready` is 2xx, else 503. The wget is
 * bounded by a pure-sh watchdog (busybox `wget -T` crashes on some builds): the kubelet gives up
 * after the probe's timeout, but busybox httpd keeps the CGI running, so an unbounded wget on a
 * hung admin would pile up one process per probe until the sidecar hits its memory limit.
 */
export function renderReadyCgi(readyUrl: string, timeoutSeconds: number): string {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
    throw new Error(`ready CGI timeout ${timeoutSeconds} must be a whole number of seconds, at least 1.`);
  }
  return [
    '#!/bin/sh',
    "# cdk8s-graceful-shutdown: drain-manager CGI. Proxies Envoy's /ready from the loopback admin,",
    `# giving up after ${timeoutSeconds}s (the readiness probe's timeout).`,
    '# The watchdog writes to /dev/null, so it does not hold the $(...) open until it ends.',
    'if body=$(',
    `  wget -q -O - ${Shell.quote(readyUrl)} 2>/dev/null &`,
    '  pid=$!',
    `  (sleep ${timeoutSeconds}; kill "$pid" 2>/dev/null) >/dev/null 2>&1 &`,
    '  dog=$!',
    '  wait "$pid"',
    '  rc=$?',
    '  kill "$dog" 2>/dev/null',
    '  exit "$rc"',
    '); then',
    "  printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$body\"",
    'else',
    "  printf 'Status: 503 Service Unavailable\\r\\nContent-Type: text/plain\\r\\n\\r\\nenvoy not ready\\n'",
    'fi',
    '',
  ].join('\n');
}
