import { CheckLevel } from '../model';
import { objectRef } from '../workload';
import { fmt, running } from './helpers';
import { defineRule } from './rule';

const FILE_TEST = /(?:\bcat|\btest\s+-[efsr]|\[\s+-[efsr]|\bls|\bstat)\s+["']?(\/[^\s"';\]]+)/;

export const GS006 = defineRule({
  id: 'GS006',
  name: 'readiness-file-wait-too-short',
  level: CheckLevel.WARNING,
  summary: 'A preStop that removes the file an exec readiness probe checks (`cat`/`test -f` PATH) and then waits less than `periodSeconds × failureThreshold` (defaults 10 × 3).',
  explanation: 'A preStop that removes the file a readiness probe checks only takes the pod out of rotation once the probe has failed failureThreshold times, one periodSeconds apart. If the hook stops waiting earlier, the application stops while it is still marked ready.',
  fix: 'Wait at least periodSeconds × failureThreshold (plus endpoint propagation) after removing the readiness file, or make the probe period shorter.',
  check: t => running(t).flatMap(c => {
    const probe = c.container.readinessProbe;
    const cmd = probe?.exec?.command;
    const a = c.preStop.analysis;
    if (!Array.isArray(cmd) || !a) return [];
    const m = FILE_TEST.exec(cmd.map(String).join(' '));
    if (!m) return [];
    const file = m[1];
    const rm = a.commands.find(x => x.head === 'rm' && x.words.includes(file));
    if (!rm) return [];
    const period = Number(probe.periodSeconds ?? 10);
    const failures = Number(probe.failureThreshold ?? 3);
    const needed = period * failures;
    const after = a.sleeps.filter(s => s.depth === 0 && s.index > rm.index).reduce((s, x) => s + (x.seconds ?? 0), 0) +
      a.loops.filter(l => l.startIndex > rm.index).reduce((s, l) => s + (l.boundSeconds ?? 0), 0);
    if (after >= needed) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" removes the readiness file ${file} and then waits ${fmt(after)}, but the readiness probe needs up to periodSeconds ${period} × failureThreshold ${failures} = ${fmt(needed)} to mark the pod unready.`,
      fix: `Wait at least ${needed + 5}s after removing ${file} (and keep terminationGracePeriodSeconds above the whole preStop), or lower the probe's periodSeconds.`,
    }];
  }),
});
