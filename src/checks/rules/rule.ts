/**
 * The shape of a built-in rule, as data (cdk-nag style): id, name, level, summary, explanation
 * and fix, plus one small pure check. docs/checks.md's rules table is generated from this data
 * (src/checks/rules-doc.ts). Module-internal: the public way in is `RulePack.builtIn()`.
 */
import { CheckLevel, ICheckRule, PodTemplateTarget, RuleViolation } from '../model';

/** A rule's data and its check. */
export interface RuleDefinition {
  /** Stable id, e.g. `GS001`. */
  readonly id: string;
  /** Short kebab-case name. */
  readonly name: string;
  readonly level: CheckLevel;
  /** One sentence: what the rule finds (the docs table's "What it finds"). */
  readonly summary: string;
  /** Why the rule exists. */
  readonly explanation: string;
  /** What to do about a finding. */
  readonly fix: string;
  /**
   * The rule reports only pods a Service selects (it reads `serviceSelected`): a streaming reader
   * holds its findings until every Service was seen.
   * @default false
   */
  readonly readsServices?: boolean;
  /** Pure: what is wrong with this pod template; empty when compliant. */
  readonly check: (target: PodTemplateTarget) => RuleViolation[];
}

/** A built-in rule: the data, readable by the docs generator, and the check. */
export interface BuiltInRule extends ICheckRule {
  readonly summary: string;
  readonly readsServices: boolean;
}

/** Makes a rule out of its data. */
export function defineRule(d: RuleDefinition): BuiltInRule {
  return {
    id: d.id,
    name: d.name,
    level: d.level,
    summary: d.summary,
    readsServices: d.readsServices ?? false,
    explanation: d.explanation,
    fix: d.fix,
    check: d.check,
  };
}
