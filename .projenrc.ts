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
