import { CheckLevel } from '../model';
import { findBashisms } from '../shell';
import { objectRef } from '../workload';
import { hooks, running } from './helpers';
import { defineRule } from './rule';

export const GS011 = defineRule({
  id: 'GS011',
  name: 'bashism-in-sh-hook',
  level: CheckLevel.ERROR,
  summary: '`[[ ]]`, `source`, arrays, `function`, `==` in `[ ]`, `<<<`, `&>`, `{a..b}`, `(( ))`, `${v//x/y}` in a hook run by `sh -c`/`/bin/sh -c`.',
  explanation: 'Hooks run with `sh -c` get /bin/sh, which is dash on Debian- and Ubuntu-based images. dash does not know `[[ ]]`, `source`, arrays or `function`: `[[` is "not found", the test is false, and a drain loop such as `if [[ $(wget ...) -ne 0 ]]` returns at once and drains nothing. The same script works under bash and busybox, so it passes a quick test.',
  fix: 'Use POSIX sh: `[ ]` instead of `[[ ]]`, `.` instead of `source`, no arrays, `name() { ... }` instead of `function name`; or run the hook with `bash -c` if the image has bash. Check with `shellcheck -s sh`.',
  check: t => running(t).flatMap(c => hooks(c).flatMap(([which, h]) => {
    if (h.type !== 'exec' || !h.shell || !['sh', 'dash', 'ash'].includes(h.shell) || !h.script) return [];
    const found = findBashisms(h.script);
    if (found.length === 0) return [];
    const constructs = [...new Set(found.map(f => f.construct))].join(', ');
    return [{
      container: c.name,
      message: `${objectRef(t)}: ${which} of container "${c.name}" runs under ${h.command?.[0]} but uses bash-only syntax (${constructs}; line ${found[0].line}: \`${found[0].snippet}\`): under dash, the /bin/sh of Debian and Ubuntu images, it misbehaves silently.`,
    }];
  })),
});
