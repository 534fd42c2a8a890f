import { CheckFinding, CheckLevel, ICheckRule, PodTemplateTarget } from './model';
import { BUILT_IN_RULES } from './rules';
import { containersOf, expandLists, extractObject, ExtractedWorkload, LocatedObject, MAX_SCRIPT_BYTES, selectorMatches, toTarget } from './workload';

/** Props of a {@link RulePack}. */
export interface RulePackProps {
  /**
   * The rules to apply.
   * @default the built-in rules, GS001 to GS013
   */
  readonly rules?: ICheckRule[];
  /**
   * Ids of rules to leave out, e.g. `['GS005']`.
   * @default none
   */
  readonly disabledRules?: string[];
  /**
   * The Kubernetes version the manifests are for; rules about newer fields read it.
   * @default '1.28'
   */
  readonly kubernetesVersion?: string;
}

/** Options of {@link RulePack.checkObjects}. */
export interface CheckObjectsOptions {
  /**
   * Where the objects come from (a file name), copied into each finding.
   * @default none
   */
  readonly source?: string;
}

const SUPPRESS_ANNOTATION = 'graceful-shutdown.cdk8s.io/suppress';
const READER_RULE_ID = 'GS000';

/**
 * A set of consistency rules and the code that applies them to Kubernetes objects: pod templates
 * of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Pods. Services among
 * the objects tell which pods are Service-backed. Works on any manifest, not only this library's.
 */
export class RulePack {
  /** An annotation on a workload or its pod template that turns rules off for it, e.g. `GS005,GS008`. */
  public static readonly SUPPRESS_ANNOTATION = SUPPRESS_ANNOTATION;
  /** The id of findings about the input itself (skipped objects, rules that could not run). */
  public static readonly READER_RULE_ID = READER_RULE_ID;

  /** The built-in rules, GS001 to GS013. */
  public static builtIn(props: RulePackProps = {}): RulePack {
    return new RulePack(props);
  }

  /** The rules that run, in order. */
  public readonly rules: ICheckRule[];
  /** The Kubernetes version rules assume. */
  public readonly kubernetesVersion: string;

  /**
   * @param props the rules, the ones to disable, and the Kubernetes version to check against
   */
  public constructor(props: RulePackProps = {}) {
    const disabled = new Set(props.disabledRules ?? []);
    const all = props.rules ?? BUILT_IN_RULES;
    const ids = new Set<string>();
    for (const r of all) {
      if (ids.has(r.id)) throw new Error(`rule id ${r.id} appears twice in the rule pack. Give each rule a unique id.`);
      ids.add(r.id);
    }
    const unknown = [...disabled].filter(id => !ids.has(id));
    if (unknown.length > 0) {
      throw new Error(`disabledRules names ${unknown.join(', ')}, which the pack does not have; it has ${[...ids].join(', ')}.`);
    }
    this.rules = all.filter(r => !disabled.has(r.id));
    this.kubernetesVersion = props.kubernetesVersion ?? '1.28';
  }

  /** The rule with this id, if the pack has it. */
  public tryRule(id: string): ICheckRule | undefined {
    return this.rules.find(r => r.id === id);
  }

  /** Applies every rule to one pod template. */
  public checkTarget(target: PodTemplateTarget): CheckFinding[] {
    return this.applyRules(target, {});
  }

  /**
   * Checks Kubernetes objects (plain JSON, e.g. `ApiObject.toJson()` or parsed YAML). `List`
   * objects are expanded; non-workload kinds come back as INFO findings ("skipped: kind X is not a
   * workload"), never as exceptions.
   */
  public checkObjects(objects: any[], options: CheckObjectsOptions = {}): CheckFinding[] {
    return this._checkLocated(objects.map(object => ({ object, source: options.source })));
  }

  /** @internal */
  public _checkLocated(items: LocatedObject[]): CheckFinding[] {
    const expanded = items.flatMap(i => expandLists(i.object).map(object => ({ ...i, object })));
    const services: Array<{ namespace?: string; selector?: Record<string, string> }> = [];
    const workloads: Array<{ w: ExtractedWorkload; source?: string; line?: number; suppress: Set<string> }> = [];
    const findings: CheckFinding[] = [];
    for (const i of expanded) {
      const r = extractObject(i.object);
      if (r.type === 'service') {
        services.push(r);
      } else if (r.type === 'workload') {
        workloads.push({ w: r.workload, source: i.source, line: i.line, suppress: suppressed(i.object, r.workload.podTemplate) });
      } else {
        findings.push(this.skipped(r, i));
      }
    }
    for (const { w, source, line, suppress } of workloads) {
      const labels = w.podTemplate.metadata?.labels;
      const selected = services.length === 0 ? undefined :
        services.some(s => (s.namespace ?? '') === (w.namespace ?? '') && selectorMatches(s.selector, labels));
      findings.push(...this.applyRules(toTarget(w, this.kubernetesVersion, selected), { source, line, suppress }));
    }
    return findings;
  }

  /**
   * Checks objects as they come, one at a time, and hands each finding to `emit`; nothing of an
   * object is kept after it was checked except, for rules that depend on whether a Service selects
   * the pod (`readsServices`), the pod labels and those rules' findings, which are emitted at the
   * end once every Service was seen. Returns how many objects were read.
   * @internal
   */
  public _checkStream(items: Iterable<LocatedObject>, emit: (f: CheckFinding) => void): number {
    const services: Array<{ namespace?: string; selector?: Record<string, string> }> = [];
    const held: Array<{ namespace?: string; labels?: Record<string, string>; findings: CheckFinding[] }> = [];
    const serviceRules = new Set(this.rules.filter(r => (r as { readsServices?: boolean }).readsServices === true).map(r => r.id));
    let count = 0;
    for (const item of items) {
      for (const object of expandLists(item.object)) {
        count++;
        const r = extractObject(object);
        if (r.type === 'service') {
          services.push({ namespace: r.namespace, selector: r.selector });
        } else if (r.type === 'skipped') {
          emit(this.skipped(r, item));
        } else {
          const where = { source: item.source, line: item.line, suppress: suppressed(object, r.workload.podTemplate) };
          // Rules that read serviceSelected see "selected"; their findings wait for the Services.
          const found = this.applyRules(toTarget(r.workload, this.kubernetesVersion, serviceRules.size > 0 ? true : undefined), where);
          const later = found.filter(f => serviceRules.has(f.ruleId));
          found.filter(f => !serviceRules.has(f.ruleId)).forEach(emit);
          if (later.length > 0) held.push({ namespace: r.workload.namespace, labels: r.workload.podTemplate.metadata?.labels, findings: later });
        }
      }
    }
    for (const h of held) {
      if (services.some(s => (s.namespace ?? '') === (h.namespace ?? '') && selectorMatches(s.selector, h.labels))) h.findings.forEach(emit);
    }
    return count;
  }

  private skipped(r: { kind: string; name: string; namespace?: string; reason: string }, where: { source?: string; line?: number }): CheckFinding {
    return {
      ruleId: READER_RULE_ID,
      ruleName: 'not-checked',
      level: CheckLevel.INFO,
      message: r.reason,
      fix: 'Nothing to do, unless the object holds a pod template the checks do not know.',
      kind: r.kind,
      name: r.name,
      namespace: r.namespace,
      source: where.source,
      line: where.line,
    };
  }

  private applyRules(target: PodTemplateTarget, where: { source?: string; line?: number; suppress?: Set<string> }): CheckFinding[] {
    const out: CheckFinding[] = [];
    const base = { kind: target.kind, name: target.name, namespace: target.namespace, source: where.source, line: where.line };
    for (const c of containersOf(target)) {
      for (const [which, h] of [['preStop', c.preStop], ['postStart', c.postStart]] as const) {
        if (h.unreadBytes === undefined) continue;
        out.push({
          ...base,
          ruleId: READER_RULE_ID,
          ruleName: 'script-too-large',
          level: CheckLevel.ERROR,
          container: c.name,
          message: `${which} of container "${c.name}" is ${h.unreadBytes} bytes of shell, over the ${MAX_SCRIPT_BYTES} bytes the checks read: it was not checked.`,
          fix: `Keep lifecycle hook scripts under ${MAX_SCRIPT_BYTES} bytes (ship long scripts in the image or a ConfigMap and run them by path).`,
        });
      }
    }
    for (const rule of this.rules) {
      if (where.suppress?.has(rule.id)) continue;
      let violations;
      try {
        violations = rule.check(target);
      } catch (e) {
        out.push({
          ...base,
          ruleId: READER_RULE_ID,
          ruleName: 'rule-failed',
          level: CheckLevel.WARNING,
          message: `rule ${rule.id} (${rule.name}) could not check ${target.kind} ${target.name}: ${(e as Error).message}`,
          fix: 'Check that the pod template is well-formed Kubernetes JSON; report the message if it is.',
        });
        continue;
      }
      for (const v of violations) {
        out.push({
          ...base,
          ruleId: rule.id,
          ruleName: rule.name,
          level: v.level ?? rule.level,
          message: v.message,
          fix: v.fix ?? rule.fix,
          container: v.container,
        });
      }
    }
    return out;
  }
}

function suppressed(obj: any, template: any): Set<string> {
  const texts = [obj?.metadata?.annotations?.[SUPPRESS_ANNOTATION], template?.metadata?.annotations?.[SUPPRESS_ANNOTATION]];
  return new Set(texts.filter((x): x is string => typeof x === 'string').flatMap(x => x.split(/[\s,]+/)).filter(Boolean));
}
