import { cdk8s, javascript } from 'projen';

const tsNode = 'ts-node -P test/tsconfig.json';

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
  release: false,
  depsUpgrade: false,
  peerDeps: ['cdk8s-plus-28@^2.5.6'],
  // yaml is used at run time (Istio proxy config, the CLI's manifest reader): jsii needs it bundled.
  bundledDeps: ['yaml@^2.9.1'],
  devDeps: ['cdk8s-cli@^2.207.60', 'kubernetes-models@~4.5.1', 'fast-check@^3'],
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

// The registry here lacks the non-linux unrs-resolver 1.13 bindings, which breaks `npm ci` (facts/toolchain.md).
project.package.addPackageResolutions('unrs-resolver@1.12.2');
// Seen here: after every test passed, node sometimes spun at 100% CPU in its exit-time handle
// cleanup (FreeEnvironment -> CleanupHandles) instead of exiting. Jest's forceExit ends with
// process.exit(), which skips that path, so CI cannot hang after a green run.
project.tryFindObjectFile('package.json')?.addOverride('jest.forceExit', true);
project.package.addBin({ 'cdk8s-graceful': 'bin/cdk8s-graceful' });
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('bench');

// Two jest projects: `unit` (pure and synth, no process started; `npm run test:unit`) and `real`
// (runs generated scripts in real shells, nginx, fake servers; `npm run test:real`). `npm test` runs
// both. A test file that starts processes is named *.real.test.ts or sits in a file listed here;
// test/core/suites.test.ts fails when a file that starts processes is in the unit project.
const REAL_PROCESS_TESTS = [
  '\\.real\\.test\\.ts$', '/test/e2e/', '/test/invariants/', '/test/cli/', '/test/checks/fixtures\\.test\\.ts$',
  '/test/examples/helm\\.test\\.ts$', '/test/consumer/',
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
});
project.tryFindObjectFile('package.json')?.addOverride('jest.projects', [
  jestProject('unit', { testPathIgnorePatterns: REAL_PROCESS_TESTS }),
  jestProject('real', { testRegex: REAL_PROCESS_TESTS }),
]);
project.addTask('test:unit', { description: 'Fast tests: pure and synth, no process started', exec: 'jest --selectProjects unit' });
project.addTask('test:real', { description: 'Tests that run scripts, nginx and fake servers for real', exec: 'jest --selectProjects real' });

// Real-process tests need dash, busybox, shellcheck, nginx, wrk and curl: install what is missing first.
project.testTask.prependExec('bash scripts/ensure-test-deps.sh');

project.addTask('synth', {
  description: 'Synthesize the example app into dist-k8s/ and print every workload\'s shutdown timeline',
  exec: `${tsNode} examples/main.ts`,
});
project.addTask('synth:helm', {
  description: 'Synthesize the example app as a Helm chart into dist-helm/',
  exec: `cdk8s synth --app "${tsNode} examples/main.ts" --format helm --chart-version 1.0.0 -o dist-helm --check-upgrade=false`,
});
for (const bench of ['synth', 'envoy', 'nginx']) {
  project.addTask(`bench:${bench}`, {
    description: `Benchmark: ${bench} (prints figures)`,
    exec: `${tsNode} bench/${bench}.ts`,
  });
}

project.synth();
