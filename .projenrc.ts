import { cdk8s, javascript, release } from 'projen';

// ts-node with the dev tsconfig; tsconfig-paths maps the package name (`'cdk8s-graceful-shutdown'`)
// to src/, so examples/ import the library exactly as a consumer's app does.
const tsNode = 'TS_NODE_PROJECT=test/tsconfig.json ts-node -r tsconfig-paths/register';

const project = new cdk8s.ConstructLibraryCdk8s({
  author: 'cdk8s-graceful-shutdown maintainers',
  authorAddress: 'maintainers@example.com',
  cdk8sVersion: '2.70.106',
  constructsVersion: '10.4.2',
  jsiiVersion: '~6.0.0',
  name: 'cdk8s-graceful-shutdown',
  description:
    'cdk8s constructs whose termination settings (grace period, preStop hooks, probes, proxy drains, registry deregistration) are derived from one shutdown plan, so they cannot disagree.',
  keywords: ['cdk8s', 'kubernetes', 'graceful-shutdown', 'envoy', 'istio', 'nginx', 'nacos', 'eureka', 'consul'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  repositoryUrl: 'https://github.com/example/cdk8s-graceful-shutdown.git',
  defaultReleaseBranch: 'main',
  github: false,
  depsUpgrade: false,
  // Node 20 is the oldest this builds and runs on (CI runs 20, the consumer test also 22 or 24).
  minNodeVersion: '20.0.0',
  // Releases for an internal registry (docs/release.md): `npx projen release` derives the version
  // from the conventional commits since the last tag, builds and tests, writes the tarball to
  // dist/js/, prepends the notes to CHANGELOG.md, commits and tags; it pushes nothing.
  // `npm run publish:internal` publishes the tarball. commit-and-tag-version 12 (a devDep, so no
  // download at release time) because 13 needs Node 22.
  release: true,
  releaseTrigger: release.ReleaseTrigger.manual({ gitPushCommand: '' }),
  bumpPackage: 'commit-and-tag-version@^12',
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  // yaml is used at run time (Istio proxy config, the CLI's manifest reader): jsii needs it bundled.
  bundledDeps: ['yaml@^2.9.1'],
  devDeps: ['kubernetes-models@~4.5.1', 'fast-check@^3', 'tsconfig-paths@^4', 'commit-and-tag-version@^12'],
  tsconfigDev: {
    compilerOptions: {
      // examples/ and the tests may import the library by its package name, as a consumer does.
      paths: { 'cdk8s-graceful-shutdown': ['../src/index.ts'] },
    },
  },
  jestOptions: {
    // CI must never rewrite snapshots; `npm run test:update` does it on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 120_000,
      // Coverage on demand (`npx jest --coverage`): instrumenting every run slows the fast suite.
      collectCoverage: false,
    },
  },
  gitignore: ['dist-k8s/', 'dist-helm/', '.bench/', '*.cpuprofile'],
});

// Pinned: the npm registry mirror CI uses lacks the non-linux @unrs/resolver-binding-* 1.13 builds
// (eslint-import-resolver-typescript -> unrs-resolver). `npm install` then leaves those optional
// packages out of the lockfile and `npm ci` rejects it ("Missing: ... from lock file"); with 1.12.2
// every binding is in the lock and `npm ci` works from a clean clone.
project.package.addPackageResolutions('unrs-resolver@1.12.2');
// Seen here: after every test passed, node sometimes spun at 100% CPU in its exit-time handle
// cleanup (FreeEnvironment -> CleanupHandles) instead of exiting. Jest's forceExit ends with
// process.exit(), which skips that path, so CI cannot hang after a green run.
project.tryFindObjectFile('package.json')?.addOverride('jest.forceExit', true);
project.package.addBin({ 'cdk8s-graceful': 'bin/cdk8s-graceful' });
// jsii 6 prints a Node 20 end-of-life banner at every compile; Node 20 is what CI runs (the consumer
// test also runs the package on a current LTS), so every projen task silences it, as .ci/run does.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
// What a consumer gets: the compiled library, its jsii assembly, the CLI and the docs; nothing of
// the working folders (src, test, bench, examples, docs, scripts, dist-k8s, ...). Checked by
// test/consumer/tarball.test.ts.
project.package.addField('files', ['lib/**/*.js', 'lib/**/*.d.ts', '.jsii', 'bin/', 'API.md', 'README.md', 'LICENSE', 'CHANGELOG.md']);
// `npm pack` / `npm publish` from a fresh clone compile first, so lib/ and .jsii are never missing.
project.package.setScript('prepack', 'npx projen compile');
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('bench');
// examples/ import the package by name: the import resolver learns the mapping from their tsconfig.
project.tryFindObjectFile('.eslintrc.json')?.addOverride('settings.import/resolver.typescript.project', ['./tsconfig.json', './examples/tsconfig.json']);
project.tryFindObjectFile('.eslintrc.json')?.addOverride('settings.import/resolver.typescript.noWarnOnMultipleProjects', true);

// Two jest projects: `unit` (pure and synth, no process started; `npm run test:unit`) and `real`
// (runs generated scripts in real shells, nginx, fake servers; `npm run test:real`). `npm test` runs
// both. A test file that starts processes is named *.real.test.ts or sits in a file listed here;
// test/core/suites.test.ts fails when a file that starts processes is in the unit project.
const REAL_PROCESS_TESTS = [
  '\\.real\\.test\\.ts$', '/test/e2e/.*\\.test\\.ts$', '/test/invariants/.*\\.test\\.ts$', '/test/cli/.*\\.test\\.ts$', '/test/checks/fixtures\\.test\\.ts$',
  '/test/examples/helm(-chart)?\\.test\\.ts$', '/test/consumer/.*\\.test\\.ts$',
  '/test/script/(run-script|script-http|script-poll|script-steps|shell-quote)\\.test\\.ts$',
  '/test/envoy/(gateway|probe)\\.test\\.ts$',
  '/test/istio/(app-prestop-script|example|istio-drained-workload|proxy-hold-script)\\.test\\.ts$',
  '/test/nginx/(graceful-nginx|nginx-conf)\\.test\\.ts$',
  '/test/registry/(example-run|registry-aware-service|scripts-nacos|scripts-others|sidecar-trigger)\\.test\\.ts$',
];
const jestProject = (displayName: string, select: { testPathIgnorePatterns?: string[]; testRegex?: string[] }) => ({
  displayName,
  testMatch: select.testRegex ? undefined : ['<rootDir>/test/**/*.test.ts'],
  testRegex: select.testRegex,
  testPathIgnorePatterns: ['/node_modules/', ...(select.testPathIgnorePatterns ?? [])],
  transform: { '^.+\\.[t]sx?$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
  clearMocks: true,
  // The package name resolves to src/, as tsconfig-paths does for ts-node (examples/).
  moduleNameMapper: { '^cdk8s-graceful-shutdown$': '<rootDir>/src/index.ts' },
});
project.tryFindObjectFile('package.json')?.addOverride('jest.projects', [
  jestProject('unit', { testPathIgnorePatterns: REAL_PROCESS_TESTS }),
  jestProject('real', { testRegex: REAL_PROCESS_TESTS }),
]);
project.addTask('test:unit', { description: 'Fast tests: pure and synth, no process started', exec: 'jest --selectProjects unit' });
project.addTask('test:real', { description: 'Tests that run scripts, nginx and fake servers for real', exec: 'jest --selectProjects real' });

// Real-process tests need dash, busybox, shellcheck, nginx, wrk and curl: install what is missing first.
project.testTask.prependExec('bash scripts/ensure-test-deps.sh');

// The last step of a release (docs/release.md): the tarball in dist/js/ to the registry npm is
// configured for; `-- --dry-run` to try it, NPM_PACKAGE_NAME=@scope/name to publish under a scope.
project.addTask('publish:registry', {
  description: 'Publish the release tarball (dist/js/*.tgz) to the npm registry of .npmrc (args: --dry-run; env NPM_PACKAGE_NAME to rename)',
  exec: 'bash scripts/publish.sh',
  receiveArgs: true,
});

// The consumer smoke test packs the library (compiling lib/), so it runs after the main jest run,
// never beside the tarball test; `npm test` runs it.
const consumerTest = project.addTask('test:consumer', {
  description: 'Pack the library, install it into an empty app as README "Install" says, synthesize, lint and render the Helm chart on Node 20 and a Node LTS',
  exec: 'jest --ci --config test/consumer/jest.config.json',
});
project.testTask.spawn(consumerTest);

project.addTask('synth', {
  description: 'Synthesize the example app into dist-k8s/ and print every workload\'s shutdown timeline',
  exec: `${tsNode} examples/main.ts`,
});
project.addTask('synth:helm', {
  description: 'Synthesize the example app as a Helm chart into dist-helm/ (HelmChart) and print every workload\'s shutdown timeline',
  exec: `${tsNode} examples/main.ts --helm dist-helm`,
  receiveArgs: true,
});
for (const bench of ['synth', 'envoy', 'nginx', 'lint', 'invariants']) {
  project.addTask(`bench:${bench}`, {
    description: `Benchmark: ${bench} (prints figures)`,
    exec: `${tsNode} bench/${bench}.ts`,
  });
}

project.synth();
