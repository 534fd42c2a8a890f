/**
 * `cdk8s-graceful diff OLD NEW`: what changed in each workload's shutdown behaviour between two
 * manifest sets. Each workload is reduced to a few named facts (grace period, each timeline's
 * phases, Istio's drain settings, Envoy drain flags, the findings at warning or above), and the
 * facts are compared by name. Module-internal: used by the CLI.
 */
import { CheckLevel } from '../checks/model';
import { RulePack } from '../checks/rule-pack';
import { timelinesOf } from '../checks/timeline';
import { envoyDrainSettings, expandLists, extractObject, istioInfo, LocatedObject, objectRef, toTarget } from '../checks/workload';
import { formatMillis } from '../plan/duration-format';

/** One workload's shutdown behaviour, as named facts in a stable order. */
export interface Behaviour {
  /** `Deployment shop/web`. */
  readonly workload: string;
  readonly facts: Map<string, string>;
}

/** One workload's change. */
export interface BehaviourChange {
  readonly workload: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** What differs: the fact, its value before and after (absent when the fact is new or gone). */
  readonly facts: Array<{ readonly fact: string; readonly before?: string; readonly after?: string }>;
}

/** The behaviours of the workloads among `objects`, by workload name. */
export function behavioursOf(objects: Iterable<LocatedObject>, kubernetesVersion: string): Map<string, Behaviour> {
  const out = new Map<string, Behaviour>();
  const pack = RulePack.builtIn({ kubernetesVersion });
  for (const o of objects) {
    for (const obj of expandLists(o.object)) {
      const r = extractObject(obj);
      if (r.type !== 'workload') continue;
      const target = toTarget(r.workload, kubernetesVersion);
      const facts = new Map<string, string>();
      facts.set('terminationGracePeriodSeconds', `${target.gracePeriodSeconds}${target.gracePeriodExplicit ? '' : ' (Kubernetes default)'}`);
      for (const t of timelinesOf(target)) {
        // SIGKILL at the manifest's grace period, even where the steps run past it.
        const phases = t.plan.timeline().map(e => (e.kind === undefined ? `SIGKILL at ${target.gracePeriodSeconds}s` : `${e.name} ${formatMillis(e.startMillis)}..${formatMillis(e.endMillis)}${e.inPreStop ? ' [preStop]' : ''}`));
        facts.set(`timeline of ${t.container === '*' ? 'the plan' : t.container}`, phases.join(', '));
        for (const e of t.plan.timeline()) {
          if (e.kind !== undefined && e.inPreStop) facts.set(`${t.container === '*' ? 'plan' : t.container}: ${e.name}`, e.description);
        }
      }
      const istio = istioInfo(target);
      if (istio.injected) {
        facts.set('Istio drain', [
          `terminationDrainDuration ${istio.drainText}`,
          istio.exitOnZero ? `EXIT_ON_ZERO_ACTIVE_CONNECTIONS after ${formatMillis(istio.minimumDrainMillis)}` : undefined,
          istio.native ? 'native sidecar' : undefined,
        ].filter(Boolean).join(', '));
      }
      for (const d of envoyDrainSettings(target)) facts.set(`${d.container}: ${d.flag}`, `${d.seconds}s`);
      const findings = pack.checkTarget(target).filter(f => f.level !== CheckLevel.INFO).map(f => `${f.ruleId} ${f.level}${f.container ? ` (${f.container})` : ''}`);
      facts.set('findings', findings.length > 0 ? [...new Set(findings)].sort().join(', ') : 'none');
      const workload = objectRef(r.workload);
      out.set(workload, { workload, facts });
    }
  }
  return out;
}

/** What changed from `before` to `after`, workload by workload. */
export function diffBehaviours(before: Map<string, Behaviour>, after: Map<string, Behaviour>): BehaviourChange[] {
  const out: BehaviourChange[] = [];
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (!a) {
      out.push({ workload: name, change: 'added', facts: [...b!.facts].map(([fact, v]) => ({ fact, after: v })) });
    } else if (!b) {
      out.push({ workload: name, change: 'removed', facts: [...a.facts].map(([fact, v]) => ({ fact, before: v })) });
    } else {
      const facts = [...new Set([...a.facts.keys(), ...b.facts.keys()])]
        .filter(f => a.facts.get(f) !== b.facts.get(f))
        .map(fact => ({ fact, before: a.facts.get(fact), after: b.facts.get(fact) }));
      if (facts.length > 0) out.push({ workload: name, change: 'changed', facts });
    }
  }
  return out;
}

/** The changes as text for a terminal. */
export function diffText(changes: BehaviourChange[]): string {
  if (changes.length === 0) return 'no change in shutdown behaviour.\n';
  const lines: string[] = [];
  for (const c of changes) {
    lines.push(`${c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~'} ${c.workload} (${c.change})`);
    for (const f of c.facts) {
      if (c.change === 'changed') {
        lines.push(`    ${f.fact}:`);
        lines.push(`      - ${f.before ?? '(none)'}`);
        lines.push(`      + ${f.after ?? '(none)'}`);
      } else {
        lines.push(`    ${f.fact}: ${f.after ?? f.before}`);
      }
    }
  }
  lines.push('', `${changes.length} workload(s) with changed shutdown behaviour.`);
  return lines.join('\n') + '\n';
}

const cell = (s: string | undefined) => (s === undefined ? '—' : s.replace(/\|/g, '\\|').replace(/\n/g, ' '));

/** The changes as Markdown, for a pull-request comment. */
export function diffMarkdown(changes: BehaviourChange[], oldName: string, newName: string): string {
  const out = [`### Shutdown behaviour: \`${oldName}\` → \`${newName}\``, ''];
  if (changes.length === 0) {
    out.push('No change in any workload\'s shutdown behaviour.');
    return out.join('\n') + '\n';
  }
  for (const c of changes) {
    out.push(`#### ${c.workload} (${c.change})`, '', '| | Before | After |', '|---|---|---|');
    for (const f of c.facts) out.push(`| ${cell(f.fact)} | ${cell(f.before)} | ${cell(f.after)} |`);
    out.push('');
  }
  out.push(`${changes.length} workload(s) with changed shutdown behaviour.`);
  return out.join('\n') + '\n';
}
