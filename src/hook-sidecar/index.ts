/**
 * The pieces every "hook sidecar" shares: a busybox container whose httpd serves one run-once CGI
 * program that the kubelet calls as another container's preStop `httpGet` (the Envoy
 * drain-manager, the registry trigger sidecar). Pure text; module-internal (not exported from the
 * package).
 *
 * - {@link httpdCommand}: busybox httpd run so that it exits on SIGTERM when it is PID 1.
 * - {@link renderRunOnceCgi}: the CGI that runs a script once and answers when it has ended.
 * - {@link fileExistsProbe} and {@link holdScript}: the sidecar's own preStop on clusters without
 *   native sidecars, holding the sidecar until the script its CGI runs has written its marker.
 */
import { Duration } from 'cdk8s';
import { ShutdownPlan } from '../plan';
import { IPollProbe, PosixScript, Shell, Step } from '../script';

/**
 * The container command: busybox httpd in the foreground (as `httpd`, or `busybox httpd` when the
 * image has no `httpd` link), under a shell that stops it on SIGTERM or SIGINT and exits 0.
 *
 * Why a wrapper: a container's command is PID 1 of the container's PID namespace, and the kernel
 * delivers no signal to PID 1 that PID 1 has no handler for. busybox httpd installs no SIGTERM
 * handler, so `httpd -f` as PID 1 ignores the kubelet's SIGTERM and stays until SIGKILL at the
 * end of the grace period. The shell installs a handler (`trap`), waits for httpd in `wait`
 * (which a trapped signal interrupts at once), stops httpd and exits.
 */
export function httpdCommand(port: number, documentRoot: string): string[] {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`httpd port ${port} is out of range: use 1-65535.`);
  const args = `-f -p ${port} -h ${Shell.quote(documentRoot)}`;
  return ['/bin/sh', '-c', [
    // The handler first: a SIGTERM that comes before httpd has started then still ends the container.
    'pid=',
    "trap 'if [ -n \"$pid\" ]; then kill \"$pid\" 2>/dev/null; fi; exit 0' TERM INT",
    `if command -v httpd >/dev/null 2>&1; then httpd ${args} & else busybox httpd ${args} & fi`,
    'pid=$!',
    'wait "$pid"',
  ].join('\n')];
}

/** Options of {@link renderRunOnceCgi}. */
export interface RunOnceCgiOptions {
  /** What the CGI is, for its header comment (e.g. `drain-manager CGI`). */
  readonly title: string;
  /** The script the first call runs. */
  readonly scriptPath: string;
  /** A writable directory (an emptyDir) for the `started` lock and the `done` marker. */
  readonly stateDir: string;
  /** How long a second call waits for the first one's marker, in whole seconds. */
  readonly waitSeconds: number;
  /** The word the CGI answers with (`drained`, `deregistered`). */
  readonly answer: string;
}

/** The marker a run-once CGI writes when its script has ended. */
export function doneMarker(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, '')}/done`;
}

/**
 * The CGI program: the first call runs the script and answers 200 only when it has ended, so the
 * kubelet's preStop `httpGet` blocks exactly as long as the script. A second call (the kubelet may
 * retry a hook) waits for the first one's marker, at most `waitSeconds`.
 */
export function renderRunOnceCgi(o: RunOnceCgiOptions): string {
  if (!Number.isInteger(o.waitSeconds) || o.waitSeconds < 1) {
    throw new Error(`run-once CGI wait ${o.waitSeconds} must be a whole number of seconds, at least 1.`);
  }
  const dir = Shell.quote(o.stateDir);
  return [
    '#!/bin/sh',
    `# cdk8s-graceful-shutdown: ${o.title}. Answers only once its script has ended, so the`,
    "# kubelet's preStop httpGet blocks that long. A second call waits for the first.",
    `if mkdir ${dir}/started 2>/dev/null; then`,
    `  /bin/sh ${Shell.quote(o.scriptPath)} >/dev/null 2>&1`,
    `  : >${dir}/done`,
    'else',
    '  i=0',
    `  while [ ! -e ${dir}/done ] && [ "$i" -lt ${o.waitSeconds} ]; do`,
    '    sleep 1',
    '    i=$((i + 1))',
    '  done',
    'fi',
    `printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' ${Shell.quote(o.answer)}`,
    '',
  ].join('\n');
}

/** 1 while `file` does not exist, 0 once it does: waits for a marker another process writes. */
export function fileExistsProbe(file: string, description: string): IPollProbe {
  const f = Shell.quote(file);
  return {
    description,
    usesHttp: false,
    renderBody: () => `if [ -e ${f} ]; then gs_count=0; else gs_count=1; fi\nreturn 0`,
  };
}

/**
 * The sidecar's own preStop where it is an ordinary container (before native sidecars): the
 * kubelet sends it SIGTERM as soon as this hook returns, which would stop the script its CGI is
 * running. So the hook returns only once the marker exists, and otherwise at the end of the first
 * plan phase that ends after the held script's deadline (the preStop deadline): never before the
 * held script, which the CGI starts a little after t=0 (the kubelet calls the hook, httpd forks the
 * CGI). With no such phase (a plan that ends with its preStops), at the grace period.
 */
export function holdScript(name: string, marker: string, plan: ShutdownPlan): PosixScript {
  const heldMs = plan.preStopDeadline.toMilliseconds();
  const later = plan.phases.map(p => plan.endOf(p.name).toMilliseconds()).find(end => end > heldMs);
  const deadline = Duration.millis(later ?? plan.terminationGracePeriod.toMilliseconds());
  return new PosixScript({ name, deadline }).add(
    Step.log(`holding this container until ${marker} exists (the script it serves has ended)`),
    Step.pollUntilZero({ probe: fileExistsProbe(marker, 'held script still running'), interval: Duration.seconds(1) }),
  );
}
