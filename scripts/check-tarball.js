#!/usr/bin/env node
// Lists a package tarball (npm pack or `npx projen package`) and fails when it holds a path a
// consumer should not get, or lacks one a consumer needs. Usage: node scripts/check-tarball.js X.tgz
'use strict';
const { execFileSync } = require('child_process');

/** Everything a consumer gets: the compiled library, its jsii assembly, the CLI, docs, bundled yaml. */
const ALLOWED = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^API\.md$/, /^CHANGELOG\.md$/, /^\.jsii$/,
  /^bin\/cdk8s-graceful$/,
  /^lib\/.+\.(js|d\.ts)$/,
  /^node_modules\/yaml\/.+/, // bundledDependencies: used at run time (Istio proxy config, the CLI)
];
const REQUIRED = [
  'package.json', 'README.md', 'LICENSE', 'API.md', '.jsii', 'bin/cdk8s-graceful',
  'lib/index.js', 'lib/index.d.ts', 'lib/cli/main.js', 'lib/helm/helm-chart.js', 'node_modules/yaml/package.json',
];

function listTarball(tarball) {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n').filter(Boolean).filter(p => !p.endsWith('/'))
    .map(p => p.replace(/^package\//, ''));
}

function checkTarball(tarball) {
  const files = listTarball(tarball);
  const unexpected = files.filter(f => !ALLOWED.some(re => re.test(f)));
  const missing = REQUIRED.filter(f => !files.includes(f));
  return { files, unexpected, missing };
}

module.exports = { checkTarball, listTarball };

if (require.main === module) {
  const tarball = process.argv[2];
  if (!tarball) {
    console.error('usage: node scripts/check-tarball.js <package.tgz>');
    process.exit(2);
  }
  const { files, unexpected, missing } = checkTarball(tarball);
  for (const f of unexpected) console.error(`check-tarball: ${tarball} holds ${f}, which is not part of the package`);
  for (const f of missing) console.error(`check-tarball: ${tarball} lacks ${f}`);
  if (unexpected.length || missing.length) process.exit(1);
  const own = files.filter(f => !f.startsWith('node_modules/')).length;
  console.log(`check-tarball: ${tarball}: ${files.length} files (${own} of the package, ${files.length - own} of bundled yaml), nothing else`);
}
