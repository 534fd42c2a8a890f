import * as fs from 'fs';
import * as path from 'path';

// The tests are two jest projects: `unit` (pure and synth: `npm run test:unit`, seconds) and
// `real` (shells, nginx, fake servers: `npm run test:real`). Which file goes where is decided by
// path patterns in .projenrc.ts; this test keeps them honest: every test file is in exactly one
// project, and a file that starts processes or servers is never in the unit project.

const ROOT = path.join(__dirname, '..', '..');

interface Project { displayName: string; testMatch?: string[]; testRegex?: string[]; testPathIgnorePatterns?: string[] }

const projects: Project[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).jest.projects;

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Whether `project` runs `file` (the two ways our projects select: testMatch under test/, or testRegex). */
function runs(project: Project, file: string): boolean {
  if (project.testPathIgnorePatterns?.some(p => new RegExp(p).test(file))) return false;
  if (project.testRegex) return project.testRegex.some(p => new RegExp(p).test(file));
  return file.startsWith(path.join(ROOT, 'test') + path.sep);
}

/** What a test that starts processes or servers imports or calls. */
const STARTS_PROCESSES = /from '(child_process|net|http)'|require\('(child_process|net|http)'\)|run-script|http-fixture|\/fakes\/|harness\/|free-port|execFileSync|spawnSync/;

const files = testFiles(path.join(ROOT, 'test'));

test('there are two projects, unit and real', () => {
  expect(projects.map(p => p.displayName)).toEqual(['unit', 'real']);
  expect(files.length).toBeGreaterThan(20);
});

test('every test file is in exactly one project', () => {
  const wrong = files.filter(f => projects.filter(p => runs(p, f)).length !== 1).map(f => path.relative(ROOT, f));
  expect(wrong).toEqual([]);
});

test('no file that starts processes or servers is in the unit project', () => {
  const unit = projects.find(p => p.displayName === 'unit')!;
  const offenders = files.filter(f => runs(unit, f) && STARTS_PROCESSES.test(fs.readFileSync(f, 'utf8'))).map(f => path.relative(ROOT, f));
  // This file reads package.json only; it names the markers above, so it is left out.
  expect(offenders.filter(f => f !== path.join('test', 'core', 'suites.test.ts'))).toEqual([]);
});
