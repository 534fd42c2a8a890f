/**
 * The HTTP trigger of the SIDECAR placement (`AppWait.HTTP_GET`): the sidecar runs busybox
 * `httpd -f` with one CGI program, and the app container's preStop is an `httpGet` the kubelet makes
 * to it, so the app image needs no tools. Pure text; paths are constants of this module.
 */
import { Shell } from '../script';

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
  const dir = Shell.quote(stateDir);
  return [
    '#!/bin/sh',
    '# cdk8s-graceful-shutdown: registry-deregister CGI. Answers only once deregistered and',
    "# drained, so the app's preStop httpGet blocks that long. A second call waits for the first.",
    `if mkdir ${dir}/started 2>/dev/null; then`,
    `  /bin/sh ${Shell.quote(scriptPath)} >/dev/null 2>&1`,
    `  : >${dir}/done`,
    'else',
    '  i=0',
    `  while [ ! -e ${dir}/done ] && [ "$i" -lt ${waitSeconds} ]; do`,
    '    sleep 1',
    '    i=$((i + 1))',
    '  done',
    'fi',
    "printf 'Content-Type: text/plain\\r\\n\\r\\nderegistered\\n'",
    '',
  ].join('\n');
}

/** The sidecar's command: busybox httpd in the foreground, as `httpd` or `busybox httpd`. @internal */
export function triggerCommand(port: number): string[] {
  const args = `-f -p ${port} -h ${Shell.quote(TRIGGER_WWW)}`;
  return ['/bin/sh', '-c', `if command -v httpd >/dev/null 2>&1; then exec httpd ${args}; fi; exec busybox httpd ${args}`];
}
