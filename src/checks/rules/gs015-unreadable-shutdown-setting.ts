import { CheckLevel, RuleViolation } from '../model';
import { istioInfo, objectRef } from '../workload';
import { hooks, running } from './helpers';
import { defineRule } from './rule';

const ISTIO_FIX = 'Write `proxy.istio.io/config` as a YAML mapping with Go durations, e.g. `terminationDrainDuration: 30s`.';

/** Built-in rule GS015; docs/checks.md's rules table is generated from this definition. */
export const GS015 = defineRule({
  id: 'GS015',
  name: 'unreadable-shutdown-setting',
  level: CheckLevel.ERROR,
  summary: 'A lifecycle sleep action whose `seconds` is not a whole number >= 0 (error), a `proxy.istio.io/config` annotation (or its `terminationDrainDuration`) that cannot be read (warning), or a `$VAR`/`$(VAR)` in an exec hook run without a shell, which nothing expands (warning).',
  explanation: 'A shutdown setting that cannot be read is not a neutral default. The API server rejects a sleep action whose seconds is not an integer, so the workload never rolls out. An Istio proxy config that is not a YAML mapping, or a terminationDrainDuration that is not a Go duration, is refused by the injector or leaves the sidecar on defaults the author did not mean, and the checks cannot say how long the proxy drains.',
  fix: 'Write `sleep.seconds` as a whole number, and `proxy.istio.io/config` as a YAML mapping with durations such as `terminationDrainDuration: 30s`.',
  check: t => {
    const out: RuleViolation[] = [];
    for (const c of running(t)) {
      for (const [which, h] of hooks(c)) {
        const literal = h.type === 'exec' && !h.shell ? (h.command ?? []).slice(1).find(a => /\$(?:\(|\{)?[A-Za-z_]/.test(a)) : undefined;
        if (literal !== undefined) {
          out.push({
            container: c.name,
            level: CheckLevel.WARNING,
            message: `${objectRef(t)}: ${which} of container "${c.name}" runs \`${h.command!.join(' ')}\` without a shell, and the kubelet expands no variables in lifecycle hooks: ${h.command![0]} gets "${literal}" as written${/(^|\/)sleep$/.test(h.command![0]) ? ', so sleep fails at once and the hook does not wait' : ''}.`,
            fix: `Run it through a shell, which reads the container's env: \`command: ["/bin/sh", "-c", "${h.command!.join(' ').replace(/\$\(([A-Za-z_]\w*)\)/g, '$$$1').replace(/"/g, '\\"')}"]\`.`,
          });
        }
        if (h.type === 'sleep' && h.badSleepSeconds !== undefined) {
          out.push({ container: c.name, message: `${objectRef(t)}: ${which} of container "${c.name}" is a sleep action with seconds: ${h.badSleepSeconds}, which is not a whole number of seconds: the API server rejects the pod.`, fix: 'Write seconds as a whole number, e.g. `sleep: {seconds: 5}`.' });
        }
      }
    }
    const i = istioInfo(t);
    if (i.config.error !== undefined) {
      out.push({ container: 'istio-proxy', level: CheckLevel.WARNING, message: `${objectRef(t)}: ${i.config.error}: the sidecar's drain settings cannot be read (the checks assume Istio's 5s default).`, fix: ISTIO_FIX });
    } else if (i.config.terminationDrainText !== undefined && i.config.terminationDrainMillis === undefined) {
      out.push({ container: 'istio-proxy', level: CheckLevel.WARNING, message: `${objectRef(t)}: terminationDrainDuration "${i.config.terminationDrainText}" in proxy.istio.io/config is not a Go duration (e.g. 30s, 1m30s): the checks assume Istio's 5s default.`, fix: ISTIO_FIX });
    }
    return out;
  },
});
