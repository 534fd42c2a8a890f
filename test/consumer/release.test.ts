import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The release flow of docs/release.md, in a throw-away clone of this repository: `bump` derives the
 * version from the conventional commits since the last tag (fix -> patch, feat -> minor, `!` ->
 * major) and writes the notes; `unbump` puts package.json back to 0.0.0 (the repository never
 * holds a version, the tags do); `publish:git` prepends the notes to CHANGELOG.md, commits and
 * tags. `npx projen release` runs these around the full build; the build itself is CI's other steps.
 */
const root = path.join(__dirname, '..', '..');
let clone: string;
const gitEnv = {
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release@example.com',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release@example.com',
};

function sh(cmd: string, args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const r = spawnSync(cmd, args, { cwd: clone, encoding: 'utf8', timeout: 120_000, env: { ...env, ...gitEnv } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const projen = (task: string) => sh(path.join(clone, 'node_modules', '.bin', 'projen'), [task]);
const commit = (message: string) => sh('git', ['commit', '--allow-empty', '-q', '-m', message]);
const read = (file: string) => fs.readFileSync(path.join(clone, file), 'utf8');

beforeAll(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-release-'));
  clone = path.join(tmp, 'repo');
  execFileSync('git', ['clone', '-q', root, clone], { timeout: 120_000 });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'));
  sh('git', ['tag', '-a', 'v1.2.0', '-m', 'v1.2.0']);
});
afterAll(() => fs.rmSync(path.dirname(clone), { recursive: true, force: true }));

test('fix and feat commits since v1.2.0 make 1.3.0, with their notes; unbump leaves no version behind', () => {
  commit('fix(nginx): quit waits for the master');
  commit('feat(helm): values schema');
  commit('docs: a typo');
  projen('bump');
  expect(read('dist/version.txt')).toBe('1.3.0');
  expect(read('dist/releasetag.txt')).toBe('v1.3.0');
  expect(JSON.parse(read('package.json')).version).toBe('1.3.0');
  const notes = read('dist/changelog.md');
  expect(notes).toMatch(/### Features\n\n\* \*\*helm:\*\* values schema/);
  expect(notes).toMatch(/### Bug Fixes\n\n\* \*\*nginx:\*\* quit waits for the master/);
  expect(notes).not.toContain('a typo');
  projen('unbump');
  expect(JSON.parse(read('package.json')).version).toBe('0.0.0');
  expect(sh('git', ['status', '--porcelain', '--untracked-files=no'])).toBe('');
});

test('publish:git prepends the notes to CHANGELOG.md, commits them and tags the version', () => {
  const before = read('CHANGELOG.md');
  projen('publish:git');
  const changelog = read('CHANGELOG.md');
  expect(changelog.startsWith('\n## [1.3.0]') || changelog.startsWith('## [1.3.0]')).toBe(true);
  expect(changelog.endsWith(before)).toBe(true);
  expect(sh('git', ['log', '-1', '--format=%s'])).toBe('chore(release): 1.3.0\n');
  expect(sh('git', ['tag', '--points-at', 'HEAD'])).toBe('v1.3.0\n');
});

test('a breaking change makes the next major version', () => {
  commit('feat(plan)!: phases are named by kind');
  projen('bump');
  expect(read('dist/version.txt')).toBe('2.0.0');
  projen('unbump');
});
