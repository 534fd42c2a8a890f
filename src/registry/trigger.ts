/**
 * The HTTP trigger of the SIDECAR placement (`AppWait.HTTP_GET`): the sidecar runs busybox
 * `httpd -f` (PID-1-safe: see `httpdCommand`) with one CGI program, and the app container's preStop is an `httpGet` the kubelet makes
 * to it, so the app image needs no tools. Pure text; paths are constants of this module.
 */
import { httpdCommand, renderRunOnceCgi } from '../hook-sidecar';

/** Where the ConfigMap with the scripts is mounted in the sidecar. */
export const TRIGGER_DIR = '/registry-deregister';
/** busybox httpd's document root (holds cgi-bin/). */
export const TRIGGER_WWW = `${TRIGGER_DIR}/www`;
/** The deregistration script in the sidecar. */
export const TRIGGER_SCRIPT = `${TRIGGER_DIR}/deregister.sh`;
/** The HTTP path the app container's preStop calls. */
export const TRIGGER_PATH = '/cgi-bin/deregister';

/**
 * The `/cgi-bin/deregister` program: the first call runs the deregistration script and answers
 * only when it has ended (so the kubelet's preStop `httpGet` on the app blocks exactly as long);
 * a second call (the kubelet may retry a hook) waits for the first, bounded by `waitSeconds`.
 * `stateDir` must be writable (an emptyDir): it holds the `started` lock and the `done` marker.
 * @internal
 */
export function renderTriggerCgi(scriptPath: string, stateDir: string, waitSeconds: number): string {
  return renderRunOnceCgi({ title: 'registry-deregister CGI', scriptPath, stateDir, waitSeconds, answer: 'deregistered' });
}

/**
 * The sidecar's command: busybox httpd in the foreground, stopped on SIGTERM although it is PID 1
 * (see `httpdCommand`). @internal
 */
export function triggerCommand(port: number): string[] {
  return httpdCommand(port, TRIGGER_WWW);
}
