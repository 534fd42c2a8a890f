import * as fs from 'fs';
import * as path from 'path';
import { BUILT_IN_RULES } from '../../src/checks/rules';
import { rulesMarkdown, withGeneratedRules } from '../../src/checks/rules-doc';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'checks.md'), 'utf8');

test('docs/checks.md has the rules table generated from the rules\' data (run: npx ts-node test/checks/gen-checks-doc.ts)', () => {
  expect(withGeneratedRules(doc)).toBe(doc);
});

test('the generated table names every rule with its level and summary, and changes when a rule does', () => {
  const md = rulesMarkdown();
  for (const r of BUILT_IN_RULES) expect(md).toContain(`| [${r.id}](#${r.id.toLowerCase()}) | ${r.name} | ${r.level} |`);
  const edited = BUILT_IN_RULES.map(r => (r.id === 'GS001' ? { ...r, summary: 'something else' } : r));
  expect(withGeneratedRules(doc, edited)).not.toBe(doc);
});
