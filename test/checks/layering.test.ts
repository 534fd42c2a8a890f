import * as fs from 'fs';
import * as path from 'path';

// The checks read manifests as data: they import the plan layer (ShutdownPlan, the plan annotation
// codec, Go durations) and nothing above it: no construct, no pattern, no workload code. Only the
// cdk8s-app adapter (validation.ts, GracefulShutdownChecks) touches constructs.

const root = path.join(__dirname, '..', '..', 'src');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map(m => m[1]);
}

test('src/checks and src/cli import only the plan layer, their own files and parsers', () => {
  const files = [...filesUnder(path.join(root, 'checks')), ...filesUnder(path.join(root, 'cli'))];
  expect(files.length).toBeGreaterThan(20);
  const bad: string[] = [];
  for (const f of files) {
    for (const spec of importsOf(f)) {
      if (spec.startsWith('.')) {
        const target = path.relative(root, path.resolve(path.dirname(f), spec));
        if (!/^(checks|cli|plan)(\/|$)/.test(target)) bad.push(`${path.relative(root, f)} imports ${spec}`);
      } else if (spec === 'constructs' || spec.startsWith('cdk8s-plus')) {
        if (path.relative(root, f) !== path.join('checks', 'validation.ts')) bad.push(`${path.relative(root, f)} imports ${spec}`);
      }
    }
  }
  expect(bad).toEqual([]);
});
