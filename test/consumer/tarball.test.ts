import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * What `npm pack` of this checkout gives a consumer (the same `files` list `npx projen package`
 * packs): the compiled library, its jsii assembly, the CLI, API.md, README, LICENSE, CHANGELOG and
 * the bundled yaml, nothing of the working folders. prepack compiles, so a fresh clone packs lib/.
 */
const root = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkTarball, listTarball } = require('../../scripts/check-tarball.js');
// A release build (`npx projen release`) runs this with the bumped version in package.json.
const version: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
let tmp: string;
let tarball: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-pack-'));
  execFileSync('npm', ['pack', '--pack-destination', tmp, '--silent'], {
    cwd: root, stdio: 'pipe', timeout: 300_000, env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  });
  const found = fs.readdirSync(tmp).filter(f => f.endsWith('.tgz'));
  expect(found).toEqual([`cdk8s-graceful-shutdown-${version}.tgz`]);
  tarball = path.join(tmp, found[0]);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the tarball holds the library, its assembly, the CLI and the docs, and nothing else', () => {
  const { files, unexpected, missing } = checkTarball(tarball);
  expect({ unexpected, missing }).toEqual({ unexpected: [], missing: [] });
  for (const dir of ['src/', 'test/', 'bench/', 'examples/', 'docs/', 'scripts/', '.ci/', 'dist-k8s/', 'dist-helm/', 'projenrc/', '.projen/']) {
    expect({ dir, files: files.filter((f: string) => f.startsWith(dir)) }).toEqual({ dir, files: [] });
  }
});

test('every module of src/ is in the tarball compiled, with its declarations', () => {
  const files = new Set<string>(listTarball(tarball));
  const modules = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? modules(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name).replace(/^src\//, 'lib/').replace(/\.ts$/, '')] : []);
  const expected = modules('src');
  expect(expected.length).toBeGreaterThan(30);
  expect(expected.filter(m => !files.has(`${m}.js`) || !files.has(`${m}.d.ts`))).toEqual([]);
});

test('the check refuses a tarball that carries a working file', () => {
  const work = fs.mkdtempSync(path.join(tmp, 'bad-'));
  execFileSync('tar', ['-xzf', tarball, '-C', work]);
  fs.mkdirSync(path.join(work, 'package', 'dist-k8s'));
  fs.writeFileSync(path.join(work, 'package', 'dist-k8s', 'web.k8s.yaml'), 'kind: Deployment\n');
  fs.rmSync(path.join(work, 'package', '.jsii'));
  const bad = path.join(work, 'bad.tgz');
  execFileSync('tar', ['-czf', bad, '-C', work, 'package']);
  expect(checkTarball(bad)).toMatchObject({ unexpected: ['dist-k8s/web.k8s.yaml'], missing: ['.jsii'] });
  const cli = spawnSync('node', [path.join(root, 'scripts', 'check-tarball.js'), bad], { encoding: 'utf8' });
  expect(cli.status).toBe(1);
  expect(cli.stderr).toContain('holds dist-k8s/web.k8s.yaml, which is not part of the package');
});

test('package.json says which Node it needs, its entry points and its peers', () => {
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  expect(pkg).toMatchObject({
    name: 'cdk8s-graceful-shutdown',
    main: 'lib/index.js',
    types: 'lib/index.d.ts',
    bin: { 'cdk8s-graceful': 'bin/cdk8s-graceful' },
    engines: { node: '>= 20.0.0' },
    peerDependencies: { 'cdk8s': expect.any(String), 'cdk8s-plus-28': expect.any(String), 'constructs': expect.any(String) },
    bundledDependencies: ['yaml'],
  });
});

test('the publish command publishes it (dry run, no registry contacted), also under a scoped name', () => {
  const publish = (env: NodeJS.ProcessEnv) => spawnSync('bash', [path.join(root, 'scripts', 'publish.sh'), '--dry-run', '--offline', tarball], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', ...env },
  });
  const plain = publish({});
  expect({ status: plain.status, out: plain.stdout }).toEqual({ status: 0, out: expect.stringContaining(`+ cdk8s-graceful-shutdown@${version}`) });
  const scoped = publish({ NPM_PACKAGE_NAME: '@acme/cdk8s-graceful-shutdown' });
  expect({ status: scoped.status, out: scoped.stdout }).toEqual({ status: 0, out: expect.stringContaining(`+ @acme/cdk8s-graceful-shutdown@${version}`) });
  // Renaming changes package.json only: the scoped tarball holds exactly the files of the packed one.
  expect(scoped.stderr).toContain(`npm notice total files: ${listTarball(tarball).length}\n`);
});

test('options with values go to npm publish (`--tag next`, docs/release.md), the tarball is the *.tgz argument', () => {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'publish.sh'), '--tag', 'next', '--dry-run', '--offline', tarball], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/' },
  });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringMatching(/with tag next/) });
});

test('a real publish to the public registry is refused unless asked for: an internal package stays internal', () => {
  // --offline: even if the guard were missing, nothing could be sent.
  const publish = (env: NodeJS.ProcessEnv) => spawnSync('bash', [path.join(root, 'scripts', 'publish.sh'), '--offline', tarball], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_registry: 'https://registry.npmjs.org/', ...env },
  });
  const refused = publish({});
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('publish: cdk8s-graceful-shutdown would go to the public registry https://registry.npmjs.org/');
  expect(refused.stderr).not.toContain('npm notice');
  // A scope mapped to an internal registry is not refused (it fails here only because --offline sends nothing).
  const scoped = publish({ 'NPM_PACKAGE_NAME': '@acme/cdk8s-graceful-shutdown', 'npm_config_@acme:registry': 'http://127.0.0.1:9/' });
  expect(scoped.stderr).toContain('publish: @acme/cdk8s-graceful-shutdown to http://127.0.0.1:9/');
});
