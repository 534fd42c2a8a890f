import { CheckLevel } from '../model';
import { findStatsReadAsZero } from '../shell';
import { objectRef } from '../workload';
import { running } from './helpers';
import { defineRule } from './rule';

export const GS009 = defineRule({
  id: 'GS009',
  name: 'stats-unreachable-read-as-zero',
  level: CheckLevel.ERROR,
  summary: 'An Envoy `/stats` read (wget/curl) compared with a number without checking the read worked (directly in `[ ]`/`[[ ]]`, via an unchecked variable, or `${n:-0}`), or a `while` loop that goes on only while `wget .../stats | grep -q "...: [1-9]"` matches (a failed read ends it).',
  explanation: 'A drain loop that compares Envoy\'s connection count with a number without checking that the read worked treats an unreachable admin endpoint (hostNetwork, a crashed Envoy, a wrong port) as zero connections and ends the drain at once (gateway #9853).',
  fix: 'Read the count into a variable, check the read succeeded and is a number (`case $n in \'\'|*[!0-9]*) ... retry ;; esac`), and retry until the deadline when it is not.',
  check: t => running(t).flatMap(c => {
    const a = c.preStop.analysis;
    if (!a) return [];
    const bad = findStatsReadAsZero(a.script);
    if (bad.length === 0) return [];
    return [{
      container: c.name,
      message: `${objectRef(t)}: preStop of container "${c.name}" compares Envoy's connection count without checking the read worked (\`${bad[0]}\`): when the admin endpoint is unreachable the read is empty, counts as zero, and the drain ends at once.`,
    }];
  }),
});
