import { CheckLevel } from '../model';
import { objectRef } from '../workload';
import { running } from './helpers';
import { defineRule } from './rule';

export const GS007 = defineRule({
  id: 'GS007',
  name: 'nginx-quit-without-wait',
  level: CheckLevel.WARNING,
  summary: '`nginx -s quit` in a preStop with nothing waiting after it.',
  explanation: '`nginx -s quit` only sends SIGQUIT to the master and returns at once. The preStop then ends, the kubelet sends the stop signal (SIGTERM unless the image sets STOPSIGNAL SIGQUIT), and SIGTERM turns the graceful shutdown into a fast one that drops in-flight requests.',
  fix: 'After `nginx -s quit`, wait for nginx to exit with a bounded loop (e.g. `while pgrep -x nginx >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done`), and set worker_shutdown_timeout below the grace period.',
  check: t => running(t).flatMap(c => {
    const a = c.preStop.analysis;
    if (!a) return [];
    const quit = a.commands.find(x => /(^|\/)nginx$/.test(x.head) && /(^|\s)-s\s*quit\b/.test(x.text));
    if (!quit) return [];
    const waitsAfter = a.commands.some(x => x.index > quit.index && (/(^|\/)sleep$/.test(x.head) || ['while', 'until', 'for', 'wait'].includes(x.head) || (x.head === 'tail' && /--pid/.test(x.text))));
    if (waitsAfter) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" runs \`${quit.text}\`, which returns at once, and nothing waits after it: the stop signal follows immediately and nginx does not finish in-flight requests unless the image's STOPSIGNAL is SIGQUIT.`,
    }];
  }),
});
