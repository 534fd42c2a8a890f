/**
 * docs/checks.md's rules table, generated from the rules' own data (id, name, level, summary,
 * explanation, fix), so the docs cannot drift from the code. `npx ts-node test/checks/gen-checks-doc.ts`
 * rewrites the table; test/checks/rules-doc.test.ts fails when the file is out of date.
 * Module-internal.
 */
import { BUILT_IN_RULES } from './rules';
import { BuiltInRule } from './rules/rule';

export const RULES_BEGIN = '<!-- rules table: generated from src/checks/rules/*.ts by test/checks/gen-checks-doc.ts; do not edit -->';
export const RULES_END = '<!-- end of generated rules table -->';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The rules as Markdown: a table, then each rule's explanation and fix. */
export function rulesMarkdown(rules: readonly BuiltInRule[] = BUILT_IN_RULES): string {
  const out = ['| Id | Name | Level | What it finds |', '|---|---|---|---|'];
  for (const r of rules) out.push(`| [${r.id}](#${r.id.toLowerCase()}) | ${r.name} | ${r.level} | ${cell(r.summary)} |`);
  out.push('| GS000 | not-checked | info (error for a script over the size limit) | Objects that are not workloads, objects without a pod template, rules that could not run (warning), hook scripts over 1 MiB (error: not checked). |');
  for (const r of rules) out.push('', `### ${r.id}`, '', `**${r.name}** (${r.level}). ${r.explanation}`, '', `Fix: ${r.fix}`);
  return out.join('\n');
}

/** `doc` with the text between the markers replaced by the generated rules; throws when a marker is missing. */
export function withGeneratedRules(doc: string, rules: readonly BuiltInRule[] = BUILT_IN_RULES): string {
  const begin = doc.indexOf(RULES_BEGIN);
  const end = doc.indexOf(RULES_END);
  if (begin < 0 || end < begin) throw new Error(`docs/checks.md needs the two markers ${RULES_BEGIN} and ${RULES_END} around the rules table.`);
  return `${doc.slice(0, begin + RULES_BEGIN.length)}\n\n${rulesMarkdown(rules)}\n\n${doc.slice(end)}`;
}
