import { CheckLevel, RuleViolation } from '../model';
import { istioInfo, objectRef } from '../workload';
import { hooks, running } from './helpers';
import { defineRule } from './rule';

export const GS015 = defineRule({
  id: 'GS015',
  name: 'unreadable-shutdown-setting',
  level: CheckLevel.ERROR,
  summary: 'A lifecycle sleep action whose `seconds` is not a whole number >= 0 (error), or a `proxy.istio.io/config` annotation (or its `terminationDrainDuration`) that cannot be read (warning).',
  explanation: 'A shutdown setting that cannot be read is not a neutral default. The API server rejects a sleep action whose seconds is not an integer, so the workload never rolls out. An Istio proxy config that is not a YAML mapping, or a terminationDrainDuration that is not a Go duration, is refused by the injector or leaves the sidecar on defaults the author did not mean, and the checks cannot say how long the proxy drains.',
  fix: 'Write `sleep.seconds` as a whole number, and `proxy.istio.io/config` as a YAML mapping with durations such as `terminationDrainDuration: 30s`.',
  check: t => {
    const out: RuleViolation[] = [];
    for (const c of running(t)) {
      for (const [which, h] of hooks(c)) {
        if (h.type === 'sleep' && h.badSleepSeconds !== undefined) {
          out.push({ container: c.name, message: `${objectRef(t)}: ${which} of container "${c.name}" is a sleep action with seconds: ${h.badSleepSeconds}, which is not a whole number of seconds: the API server rejects the pod.`, fix: 'Write seconds as a whole number, e.g. `sleep: {seconds: 5}`.' });
        }
      }
    }
    const i = istioInfo(t);
    if (i.config.error !== undefined) {
      out.push({ container: 'istio-proxy', level: CheckLevel.WARNING, message: `${objectRef(t)}: ${i.config.error}: the sidecar's drain settings cannot be read (the checks assume Istio's 5s default).` });
    } else if (i.config.terminationDrainText !== undefined && i.config.terminationDrainMillis === undefined) {
      out.push({ container: 'istio-proxy', level: CheckLevel.WARNING, message: `${objectRef(t)}: terminationDrainDuration "${i.config.terminationDrainText}" in proxy.istio.io/config is not a Go duration (e.g. 30s, 1m30s): the checks assume Istio's 5s default.` });
    }
    return out;
  },
});
