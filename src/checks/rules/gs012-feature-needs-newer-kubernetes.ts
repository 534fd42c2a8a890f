import { CheckLevel, RuleViolation } from '../model';
import { parseKubernetesVersion, versionAtLeast } from '../parse';
import { containersOf, objectRef } from '../workload';
import { hooks } from './helpers';
import { defineRule } from './rule';

/**
 * The newest Kubernetes minor whose features this rule knows (the sleep action with
 * `seconds: 0`). The CLI assumes it when no version is given, so current stock manifests (native
 * sidecars from Istio and Linkerd, the sleep action) are not failed for an old default.
 */
export const DEFAULT_KUBERNETES_VERSION = '1.33';

export const GS012 = defineRule({
  id: 'GS012',
  name: 'feature-needs-newer-kubernetes',
  level: CheckLevel.ERROR,
  summary: 'Lifecycle sleep action below 1.30, `sleep.seconds: 0` below 1.33, native sidecars (`initContainers[].restartPolicy: Always`) below 1.29, for the target `kubernetesVersion` (the CLI assumes 1.33, the newest these rules know, unless told; `GracefulShutdownChecks` and `RulePack` assume 1.28).',
  explanation: 'The lifecycle sleep action is beta (on by default) from Kubernetes 1.30 and GA in 1.34; `sleep.seconds: 0` is allowed from 1.33; native sidecars (init containers with restartPolicy: Always) are beta and on by default from 1.29. On older clusters the API server rejects or drops these fields.',
  fix: 'Raise the target kubernetesVersion if the cluster has the feature, or use an exec `sleep` and an ordinary sidecar.',
  check: t => {
    const v = parseKubernetesVersion(t.kubernetesVersion);
    if (!v) return [];
    const out: RuleViolation[] = [];
    for (const c of containersOf(t)) {
      for (const [which, h] of hooks(c)) {
        if (h.type !== 'sleep') continue;
        if (!versionAtLeast(v, 1, 30)) {
          out.push({ container: c.name, message: `${objectRef(t)}: ${which} of container "${c.name}" uses the lifecycle sleep action, which needs Kubernetes 1.30 or later (beta); the target is ${t.kubernetesVersion}.`, fix: `Use exec ["sleep", "${h.sleepSeconds ?? 5}"] on ${t.kubernetesVersion}, or target 1.30+.` });
        } else if (h.sleepSeconds === 0 && !versionAtLeast(v, 1, 33)) {
          out.push({ container: c.name, message: `${objectRef(t)}: ${which} of container "${c.name}" uses the sleep action with seconds: 0, which needs Kubernetes 1.33 or later; the target is ${t.kubernetesVersion}.` });
        }
      }
      if (c.nativeSidecar && !versionAtLeast(v, 1, 29)) {
        out.push({ container: c.name, message: `${objectRef(t)}: init container "${c.name}" has restartPolicy: Always (a native sidecar), which needs Kubernetes 1.29 or later (alpha behind a gate in 1.28); the target is ${t.kubernetesVersion}.`, fix: 'Run it as an ordinary container on this version, or target 1.29+.' });
      }
    }
    return out;
  },
});
