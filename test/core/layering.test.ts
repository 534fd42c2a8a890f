import * as fs from 'fs';
import * as path from 'path';

// The layers of src/, bottom to top. A file may import from its own directory and from the layers
// below its own; never from above or across (a pattern does not import another pattern). The
// rules are read from every import of every file, so a new file or import is checked as written.
//
//   core  <-  plan  <-  script  <-  workload  <-  hook-sidecar  <-  envoy, istio, nginx, registry  <-  cli, helm, checks-construct
//
// The checks read manifests (the CLI, other tools' YAML) and the plan annotation, not constructs:
// they may import core, plan and script, nothing from workload or the patterns, and no construct
// library (constructs, cdk8s-plus).

const SRC = path.join(__dirname, '..', '..', 'src');

const RANK: Record<string, number> = {
  'core': 0,
  'plan': 1,
  'script': 2,
  'workload': 3,
  'hook-sidecar': 4,
  'envoy': 5,
  'istio': 5,
  'nginx': 5,
  'registry': 5,
  'checks': 3, // beside workload: below the patterns, and see CHECKS_MAY_IMPORT
  'checks-construct': 6, // the checks as a cdk8s validation: the only part of them that knows constructs
  'cli': 6,
  'helm': 6,
};
const CHECKS_MAY_IMPORT = new Set(['core', 'plan', 'script']);
/** Packages that build constructs: below the workload layer, none of them. */
const CONSTRUCT_PACKAGES = ['constructs', 'cdk8s-plus-28'];

/** A source file: its path under src/ and its text. */
interface Source { readonly file: string; readonly text: string }

function sourceFiles(dir: string): Source[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [{ file: path.relative(SRC, p).split(path.sep).join('/'), text: fs.readFileSync(p, 'utf8') }] : [];
  });
}

/** Every module a file names: `import ... from`, `export ... from`, `import(...)`, `require(...)`. */
function importsOf(text: string): string[] {
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm;
  return [...text.matchAll(re)].map(m => m[1]);
}

/** The directory under src/ of a path relative to src/ ('' for a file directly in src/). */
function layerOf(relative: string): string {
  const parts = relative.split('/');
  return parts.length > 1 || RANK[parts[0]] !== undefined ? parts[0] : '';
}

/** Every import of `sources` that breaks a rule, as `file -> what`. */
function violations(sources: Source[]): string[] {
  const out: string[] = [];
  for (const { file, text } of sources) {
    const own = layerOf(file);
    if (own === '') continue; // src/index.ts exports everything
    for (const from of importsOf(text)) {
      if (!from.startsWith('.')) {
        const pkg = from.split('/')[0];
        const below = RANK[own] < RANK.workload || own === 'checks';
        if (below && CONSTRUCT_PACKAGES.includes(pkg)) out.push(`${file} -> ${from}`);
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), from));
      const to = layerOf(target);
      if (to === own) continue;
      const ok = own === 'checks'
        ? CHECKS_MAY_IMPORT.has(to)
        : RANK[own] !== undefined && RANK[to] !== undefined && RANK[to] < RANK[own] && to !== 'checks' || (to === 'checks' && RANK[own] === 6);
      if (!ok) out.push(`${file} -> src/${target}`);
    }
  }
  return out.sort();
}

/** Known violations whose fix is under way elsewhere; none today. No line may be added. */
const PENDING = new Set<string>([]);

test('every directory under src/ has a layer', () => {
  const dirs = fs.readdirSync(SRC, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name);
  expect(dirs.filter(d => RANK[d] === undefined)).toEqual([]);
});

test('no import goes up or across the layers', () => {
  const found = violations(sourceFiles(SRC));
  expect(found.filter(v => !PENDING.has(v))).toEqual([]);
  const stale = [...PENDING].filter(v => !found.includes(v));
  if (stale.length > 0) console.warn(`layering: fixed, remove from PENDING: ${stale.join(', ')}`);
});

test('the rules find what they must', () => {
  // The checker must be able to fail: files that break each rule, through the same parsing.
  const bad: Source[] = [
    { file: 'plan/bad.ts', text: "import { Step } from '../script';\n" },
    { file: 'script/bad.ts', text: "import { Construct } from 'constructs';\n" },
    { file: 'core/bad.ts', text: "export { ShutdownPlan } from '../plan/shutdown-plan';\n" },
    { file: 'nginx/bad.ts', text: "const x = require('../envoy');\n" },
    { file: 'checks/bad.ts', text: "import('../registry/registry');\nimport * as kplus from 'cdk8s-plus-28';\n" },
    { file: 'workload/ok.ts', text: "import { Construct } from 'constructs';\nimport { ShutdownPlan } from '../plan';\nimport { x } from './y';\n" },
  ];
  expect(violations(bad)).toEqual([
    'checks/bad.ts -> cdk8s-plus-28',
    'checks/bad.ts -> src/registry/registry',
    'core/bad.ts -> src/plan/shutdown-plan',
    'nginx/bad.ts -> src/envoy',
    'plan/bad.ts -> src/script',
    'script/bad.ts -> constructs',
  ]);
});
