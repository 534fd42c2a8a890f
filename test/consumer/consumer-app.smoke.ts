import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeNpmRegistry } from './fake-npm-registry';

/**
 * A consumer's empty folder, as README "Install" tells it: the packed library installed with the
 * README's commands and toolchain, the examples copied in as they are (they import the package by
 * name), the README's usage example, then on the machine's Node 20 and on a current Node LTS
 * (scripts/ensure-node-lts.sh): synthesize all four patterns with ts-node and as compiled plain
 * JavaScript, lint the output with the installed `cdk8s-graceful` bin, and render the Helm chart
 * with a real Helm. Then the internal-registry path: publish:registry publishes the tarball under a
 * scope to a registry on 127.0.0.1 (test/consumer/fake-npm-registry.ts), and the README's .npmrc
 * and alias install it into another empty app. Needs the npm registry (installs), nothing else.
 *
 * Runs with `npm run test:consumer` (part of `npm test`), not in the main jest run: it packs the
 * library, which compiles lib/, so it must not run beside the tarball test.
 */
const root = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
let tmp: string;
let app: string;
let tarball: string;
let helm: string;
const nodes: { bin: string; major: number }[] = [];

/** The code block that follows `<!-- consumer-test: NAME -->` in the README. */
function readmeBlock(name: string): string {
  const at = readme.indexOf(`<!-- consumer-test: ${name} -->`);
  expect(at).toBeGreaterThanOrEqual(0);
  return /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at))![1];
}

/** The environment of a shell in the consumer's folder: no npm_* variables of the `npm test` running us. */
function consumerEnv(bin?: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return { ...env, ...(bin ? { PATH: `${bin}:${process.env.PATH}` } : {}), ...extra };
}

function run(cmd: string, args: string[], opts: { bin?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(cmd, args, { cwd: app, encoding: 'utf8', timeout: 300_000, input: opts.input, env: consumerEnv(opts.bin, opts.env) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** As run(), without blocking the event loop: the fake registry answers in this process. */
function runAsync(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: consumerEnv(undefined, opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', d => out += d);
    child.stderr.on('data', d => err += d);
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', code => {
      clearTimeout(timer);
      if (code === 0) resolve(out); else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}\n${err}`));
    });
  });
}

function readDir(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map(f => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-consumer-'));
  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  execFileSync('npm', ['pack', '--pack-destination', tmp, '--silent'], {
    cwd: root, stdio: 'pipe', timeout: 300_000, env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  });
  tarball = path.join(tmp, fs.readdirSync(tmp).find(f => f.endsWith('.tgz'))!);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true }, undefined, 2));

  // README "Install", command for command: the library from the tarball, then the toolchain.
  const install = readmeBlock('install').trim();
  expect(install).toMatch(/^npm install \.\/cdk8s-graceful-shutdown-[\d.]+\.tgz /);
  const toolchain = readmeBlock('toolchain').trim();
  expect(toolchain).toMatch(/^npm install -D typescript@\S+ ts-node@\S+/);
  for (const command of [install.replace(/\.\/cdk8s-graceful-shutdown-[\d.]+\.tgz/, tarball), toolchain]) {
    const [, ...args] = command.split(/\s+/);
    run('npm', [...args, '--no-audit', '--no-fund']);
  }
  fs.writeFileSync(path.join(app, 'tsconfig.json'), readmeBlock('tsconfig'));

  // The examples as they are, and the README's usage example.
  for (const f of fs.readdirSync(path.join(root, 'examples')).filter(n => n.endsWith('.ts'))) {
    fs.copyFileSync(path.join(root, 'examples', f), path.join(app, f));
  }
  fs.writeFileSync(path.join(app, 'readme.ts'), readmeBlock('usage'));
  run(path.join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.']);

  helm = execFileSync('bash', [path.join(root, 'scripts', 'ensure-helm.sh')], { encoding: 'utf8', timeout: 300_000 }).trim();
  const lts = execFileSync('bash', [path.join(root, 'scripts', 'ensure-node-lts.sh')], { encoding: 'utf8', timeout: 300_000 }).trim();
  for (const bin of [path.dirname(process.execPath), lts]) {
    nodes.push({ bin, major: Number(execFileSync(path.join(bin, 'node'), ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })) });
  }
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the README toolchain is what got installed: TypeScript below 7, ts-node 10', () => {
  const version = (pkg: string) => JSON.parse(fs.readFileSync(path.join(app, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  expect(version('typescript')).toMatch(/^[56]\./);
  expect(version('ts-node')).toMatch(/^10\./);
  expect(nodes.map(n => n.major)).toEqual([20, expect.any(Number)]);
  expect(nodes[1].major).toBeGreaterThanOrEqual(22);
});

describe.each([{ index: 0, label: 'the machine\'s Node (20)' }, { index: 1, label: 'a current Node LTS' }])('on $label', ({ index }) => {
  const node = () => nodes[index];

  test('runs the version it should', () => {
    expect(run('node', ['--version'], { bin: node().bin }).trim()).toMatch(new RegExp(`^v${node().major}\\.`));
  });

  test('ts-node synthesizes the examples (all four patterns), compiled JavaScript writes the same bytes, and the bin lints them', () => {
    const ts = path.join(tmp, `ts-${index}`);
    const js = path.join(tmp, `js-${index}`);
    const printed = run(path.join(app, 'node_modules', '.bin', 'ts-node'), ['main.ts'], { bin: node().bin, env: { CDK8S_OUTDIR: ts } });
    for (const w of ['web-api', 'istio-orders', 'web-nginx', 'envoy-gateway', 'soa-test']) expect(printed).toContain(`== ${w}`);
    run('node', ['out/main.js'], { bin: node().bin, env: { CDK8S_OUTDIR: js } });
    const files = readDir(ts);
    expect(Object.keys(files)).toEqual(['envoy-gateway.k8s.yaml', 'istio-orders.k8s.yaml', 'soa-test.k8s.yaml', 'web-api.k8s.yaml', 'web-nginx.k8s.yaml']);
    expect(files['envoy-gateway.k8s.yaml']).toContain('--drain-time-s');
    expect(files['istio-orders.k8s.yaml']).toContain('proxy.istio.io/config');
    expect(files['web-nginx.k8s.yaml']).toContain('keepalive_time');
    expect(files['soa-test.k8s.yaml']).toContain('nacos');
    expect(readDir(js)).toEqual(files);

    const bin = path.join(app, 'node_modules', '.bin', 'cdk8s-graceful');
    const lint = run(bin, ['lint', ...Object.keys(files).map(f => path.join(ts, f))], { bin: node().bin });
    expect(lint).toMatch(/\b0 error\(s\)/);
    expect(run(bin, ['timeline', path.join(ts, 'web-api.k8s.yaml')], { bin: node().bin })).toContain('SIGKILL');
  });

  test('the README usage example prints the timeline the README shows, from TypeScript and from plain JavaScript', () => {
    const shown = /```ts\n[\s\S]*?```[\s\S]*?```\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('<!-- consumer-test: usage -->')))![1];
    const out = path.join(tmp, `readme-${index}`);
    expect(run(path.join(app, 'node_modules', '.bin', 'ts-node'), ['readme.ts'], { bin: node().bin, env: { CDK8S_OUTDIR: out } })).toBe(shown);
    expect(run('node', ['out/readme.js'], { bin: node().bin, env: { CDK8S_OUTDIR: out } })).toBe(shown);
    expect(fs.readdirSync(out)).toEqual(['web.k8s.yaml']);
    // require() of the package, as a JavaScript app does.
    const exported = run('node', ['-e', 'const gs = require("cdk8s-graceful-shutdown"); console.log(Object.keys(gs).sort().join(" "))'], { bin: node().bin });
    for (const name of ['GracefulEnvoyGateway', 'GracefulNginx', 'HelmChart', 'IstioDrainedWorkload', 'RegistryAwareService', 'ShutdownPlan']) {
      expect(exported.split(' ')).toContain(name);
    }
  });

  test('the Helm chart of the app passes helm lint --strict, and its rendering passes the bin\'s lint', () => {
    const chart = path.join(tmp, `chart-${index}`);
    const printed = run(path.join(app, 'node_modules', '.bin', 'ts-node'), ['main.ts', '--helm', chart], { bin: node().bin });
    expect(printed.match(/SIGKILL/g)?.length).toBeGreaterThanOrEqual(6);
    expect(run(helm, ['lint', '--strict', chart])).toContain('0 chart(s) failed');
    const rendered = run(helm, ['template', 'shop', chart]);
    expect(rendered).toContain('name: "shop-web-api-deployment-');
    const lint = run(path.join(app, 'node_modules', '.bin', 'cdk8s-graceful'), ['lint', '-'], { bin: node().bin, input: rendered });
    expect(lint).toMatch(/\b0 error\(s\)/);
  });
});

describe('from an internal registry, as README "Install" and docs/release.md say', () => {
  const token = 'test-token-for-the-fake-registry';
  let registry: FakeNpmRegistry;
  beforeAll(async () => {
    registry = await FakeNpmRegistry.start(token);
  });
  afterAll(async () => registry.stop());

  test('publish:registry publishes under a scope; the README .npmrc and alias install it, and the README example runs', async () => {
    const host = registry.url.replace(/^http:/, '');
    const npmrc = readmeBlock('npmrc').replace(/https:\/\/npm\.acme\.example\//g, registry.url).replace(/\/\/npm\.acme\.example\//g, host);
    expect(npmrc).toContain('_authToken=${NPM_TOKEN}');
    const publisherConfig = path.join(tmp, 'publisher.npmrc');
    fs.writeFileSync(publisherConfig, npmrc);
    await runAsync('bash', [path.join(root, 'scripts', 'publish.sh'), tarball], {
      cwd: root, env: { NPM_PACKAGE_NAME: '@acme/cdk8s-graceful-shutdown', npm_config_userconfig: publisherConfig, NPM_TOKEN: token },
    });
    expect(registry.versions('@acme/cdk8s-graceful-shutdown')).toEqual([JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version]);

    const consumer = path.join(tmp, 'registry-app');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'registry-app', version: '1.0.0', private: true }));
    fs.writeFileSync(path.join(consumer, '.npmrc'), npmrc);
    const [, ...args] = readmeBlock('registry-install').trim().split(/\s+/);
    await runAsync('npm', [...args, '--no-audit', '--no-fund'], { cwd: consumer, env: { NPM_TOKEN: token } });

    const installed = JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules', 'cdk8s-graceful-shutdown', 'package.json'), 'utf8'));
    expect(installed.name).toBe('@acme/cdk8s-graceful-shutdown');
    // The README example, compiled to JavaScript, runs unchanged: it imports 'cdk8s-graceful-shutdown'.
    fs.copyFileSync(path.join(app, 'out', 'readme.js'), path.join(consumer, 'readme.js'));
    const shown = /```ts\n[\s\S]*?```[\s\S]*?```\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('<!-- consumer-test: usage -->')))![1];
    expect(await runAsync('node', ['readme.js'], { cwd: consumer, env: { CDK8S_OUTDIR: path.join(tmp, 'registry-out') } })).toBe(shown);
    expect(registry.requests.filter(r => r.method === 'PUT').length).toBe(1);
    expect(registry.requests.filter(r => !r.authorized)).toEqual([]);
  });
});
