import { Shell } from '../script';

/**
 * The container command: `/bin/sh -c "rm -f <stale files> && exec nginx ..."`.
 *
 * The run directory is an emptyDir, which survives container restarts. Without this, a restarted
 * container would find the previous run's readiness file (the probe passes: Ready before nginx
 * listens) and pid file (the postStart and the preStop would read a dead or reused pid). `exec`
 * keeps nginx as PID 1, so the stop signal reaches it. If the files cannot be removed, nginx does
 * not start and the container fails visibly rather than turning Ready early.
 */
export function nginxStartCommand(nginxArgv: string[], staleFiles: string[]): string[] {
  if (nginxArgv.length === 0) throw new Error('nginxStartCommand: the nginx command is empty.');
  const words = (argv: string[]) => argv.map(a => Shell.quote(a)).join(' ');
  const text = staleFiles.length > 0 ? `rm -f ${words(staleFiles)} && exec ${words(nginxArgv)}` : `exec ${words(nginxArgv)}`;
  return ['/bin/sh', '-c', text];
}
