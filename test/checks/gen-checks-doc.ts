// Rewrites the rules table in docs/checks.md from the rules' data: npx ts-node test/checks/gen-checks-doc.ts
import * as fs from 'fs';
import * as path from 'path';
import { withGeneratedRules } from '../../src/checks/rules-doc';

const file = path.join(__dirname, '..', '..', 'docs', 'checks.md');
fs.writeFileSync(file, withGeneratedRules(fs.readFileSync(file, 'utf8')));
console.log(`wrote ${file}`);
