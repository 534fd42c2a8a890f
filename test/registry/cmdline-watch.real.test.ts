/**
 * No credential in any process's arguments: a watcher process reads every /proc/PID/cmdline every
 * 5 ms while the synthesized scripts run (Nacos login and token, Eureka Authorization, Consul
 * token, secret headers of an admin API and of the config clean-up) and fails on any secret value.
 * With curl, credentials go to `curl -K -` on stdin. The control run with only busybox wget (which
 * takes headers and bodies only as arguments) shows the watcher does see them there; with
 * `allowCredentialsInArguments: false` that run refuses such calls and leaks nothing.
 */
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { Testing } from 'cdk8s';
import { OfflineEndpoint, Registry, RegistryAwareService, RegistryHeader, RegistrySecret } from '../../src';
import { HttpToolChoice, runScript, ShellName } from '../script/run-script';
import { FakeAdmin } from './fakes/admin';
import { FakeApp } from './fakes/app';
import { FakeConsul } from './fakes/consul';
import { FakeEureka } from './fakes/eureka';
import { Mode } from './fakes/fake-server';
import { FakeNacos } from './fakes/nacos';
import { fakeTracker, nacosAuth, POD_IP, SHORT } from './helpers';

jest.setTimeout(90_000);
const track = fakeTracker();

// The watcher reads every process on the machine, and other suites (running at the same time in other
// jest workers) put their own fixed secrets into busybox wget's arguments on purpose. Secrets unique to
// this run make a sighting mean this file's scripts leaked, never someone else's.
const RUN = randomBytes(6).toString('hex');
const PASSWORD = `Pw-&+ %watch-${RUN}`;
const TOKEN = `tok-watch-${RUN}`;
const EUREKA_BASIC = Buffer.from(`eureka:sekrit-${RUN}`).toString('base64');
const EUREKA_AUTH = `Basic ${EUREKA_BASIC}`;
const ADMIN_TOKEN = `admin-tok-${RUN}`;
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), TOKEN, EUREKA_AUTH, EUREKA_BASIC, ADMIN_TOKEN];

interface WatchResult {
  readonly samples: number;
  readonly hits: Array<{ pid: string; secret: number; cmd: string }>;
  readonly hitCount: number;
  /** Samples in which an HTTP client process was running. */
  readonly clientSightings: number;
}

/** Starts the watcher: secrets through its environment (never its own arguments). */
function startWatcher(): { child: ChildProcess; stop: () => Promise<WatchResult> } {
  const code = `
    const fs = require('fs');
    const secrets = JSON.parse(process.env.WATCH_SECRETS);
    let samples = 0, hitCount = 0, clientSightings = 0;
    const hits = [];
    const scan = () => {
      let client = false;
      for (const p of fs.readdirSync('/proc')) {
        if (p < '0' || p > '9') continue;
        let c;
        try { c = fs.readFileSync('/proc/' + p + '/cmdline', 'latin1'); } catch { continue; }
        if (!c) continue;
        const argv = c.split('\\0');
        if (/(^|\\/)(curl|wget|busybox)$/.test(argv[0]) && (argv[0].endsWith('busybox') ? argv[1] === 'wget' : true)) client = true;
        const line = argv.join(' ');
        secrets.forEach((s, i) => {
          if (line.includes(s)) { hitCount++; if (hits.length < 10) hits.push({ pid: p, secret: i, cmd: line.slice(0, 300) }); }
        });
      }
      if (client) clientSightings++;
      samples++;
    };
    const timer = setInterval(scan, 5);
    process.on('SIGTERM', () => {
      clearInterval(timer);
      process.stdout.write(JSON.stringify({ samples, hits, hitCount, clientSightings }), () => process.exit(0));
    });
    process.stdout.write('ready\\n');
  `;
  const child = spawn(process.execPath, ['-e', code], { env: { PATH: process.env.PATH, WATCH_SECRETS: JSON.stringify(SECRETS) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', d => { out += d; });
  return {
    child,
    stop: () => new Promise<WatchResult>(resolve => {
      child.once('exit', () => resolve(JSON.parse(out.replace(/^ready\n/, ''))));
      child.kill('SIGTERM');
    }),
  };
}

async function ready(child: ChildProcess): Promise<void> {
  await new Promise<void>(resolve => {
    const on = (d: Buffer) => {
      if (d.toString().includes('ready')) { child.stdout!.off('data', on); resolve(); }
    };
    child.stdout!.on('data', on);
  });
}

/** Every flavour with every kind of credential, against slow fakes so each request lives a while. */
async function flavours() {
  const nacos = track(await FakeNacos.start({ username: 'deployer', password: PASSWORD, token: TOKEN }));
  const eureka = track(await FakeEureka.start(EUREKA_AUTH));
  const consul = track(await FakeConsul.start(TOKEN));
  const admin = track(await FakeAdmin.start(ADMIN_TOKEN));
  const app = track(await FakeApp.start());
  for (const f of [nacos.server, eureka.server, consul.server, admin.server, app.server]) f.slowMs = 150;
  for (const route of ['login', 'list', 'deregister']) nacos.server.setMode(route, Mode.SLOW);
  for (const route of ['health', 'deregister']) consul.server.setMode(route, Mode.SLOW);
  for (const route of ['status', 'get']) eureka.server.setMode(route, Mode.SLOW);
  for (const route of ['check', 'offline']) admin.server.setMode(route, Mode.SLOW);
  app.server.setMode('service-registry', Mode.FAIL);
  nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
  eureka.instances.push({ app: 'SOA-TEST', instanceId: `${POD_IP}:soa-test:8080`, ipAddr: POD_IP, port: 8080, status: 'UP' });
  consul.services.set('soa-test-8080', { ID: 'soa-test-8080', Service: 'soa-test', Address: POD_IP, Port: 8080 });
  admin.instances.add(`${POD_IP}:8080`);
  const adminHeader = [RegistryHeader.fromSecret('X-Admin-Token', RegistrySecret.fromSecretName('soa-admin', 'token'))];
  const base = `${admin.server.url}/admin`;
  const env = {
    POD_IP,
    GS_REG_NACOS_USERNAME: 'deployer',
    GS_REG_NACOS_PASSWORD: PASSWORD,
    GS_REG_EUREKA_AUTH: EUREKA_AUTH,
    GS_REG_CONSUL_TOKEN: TOKEN,
    GS_REG_HEADER_1: ADMIN_TOKEN,
    GS_REG_CLEAR_HEADER_1: ADMIN_TOKEN,
  };
  const registries = [
    Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080, auth: nacosAuth, clearConfigUrl: `${base}/config/\${POD_IP}`, clearConfigHeaders: adminHeader }),
    Registry.eureka({ serverUrl: `${eureka.server.url}/eureka`, appName: 'soa-test', instanceId: '${POD_IP}:soa-test:8080', authorization: RegistrySecret.fromSecretName('eureka', 'auth') }),
    Registry.consul({ agentUrl: consul.server.url, serviceId: 'soa-test-8080', token: RegistrySecret.fromSecretName('consul', 'token') }),
    Registry.custom({ name: 'soa-admin', offlineUrl: `${base}/instances/offline?ip=\${POD_IP}&port=8080`, checkUrl: `${base}/instances?ip=\${POD_IP}&port=8080`, forceRemoveUrl: `${base}/instances?ip=\${POD_IP}&port=8080`, headers: adminHeader }),
  ];
  return { registries, env, consul, offline: OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }) };
}

function scriptOf(registry: Registry, offline: OfflineEndpoint, allowCredentialsInArguments?: boolean): string {
  const svc = new RegistryAwareService(Testing.chart(), 'svc', { registry, offlineEndpoint: offline, app: { image: 'x' }, allowCredentialsInArguments, ...SHORT });
  return svc.script.render();
}

async function watchRuns(runs: Array<{ text: string; shell: ShellName; http: HttpToolChoice; env: Record<string, string> }>) {
  const watcher = startWatcher();
  await ready(watcher.child);
  try {
    const results = await Promise.all(runs.map(run => runScript(run.text, { shell: run.shell, withPath: { http: run.http }, env: run.env })));
    return { watch: await watcher.stop(), results };
  } catch (e) {
    watcher.child.kill('SIGKILL');
    throw e;
  }
}

test('with curl, no secret ever appears in any process\'s arguments (every flavour, dash and busybox ash)', async () => {
  const { registries, env, offline } = await flavours();
  const runs = registries.flatMap((registry, i) => [{ text: scriptOf(registry, offline), shell: (i % 2 ? 'busybox' : 'dash') as ShellName, http: 'curl' as HttpToolChoice, env }]);
  const { watch, results } = await watchRuns(runs);
  expect(results.map(r => r.code)).toEqual(runs.map(() => 0));
  expect(watch.hits).toEqual([]);
  expect(watch.hitCount).toBe(0);
  // The watcher really looked while requests ran.
  expect(watch.samples).toBeGreaterThan(200);
  expect(watch.clientSightings).toBeGreaterThan(10);
  // eslint-disable-next-line no-console
  console.log(`cmdline watcher: ${watch.samples} samples, ${watch.clientSightings} with an HTTP client running, ${watch.hitCount} secrets seen`);
});

test('control: with only busybox wget the watcher sees the credential in its arguments; allowCredentialsInArguments: false refuses those calls instead', async () => {
  const { registries, env, offline, consul: consulFake } = await flavours();
  const consul = registries[2];
  // Each health check then runs its whole 1s timeout: plenty of samples see it.
  consulFake.server.setMode('health', Mode.HANG);
  // dash execs wget; busybox ash may run its own wget applet in a forked child without exec, whose
  // cmdline stays the shell's, so the control runs in dash.
  const leaky = await watchRuns([{ text: scriptOf(consul, offline), shell: 'dash', http: 'busybox-wget', env }]);
  expect(leaky.watch.hitCount).toBeGreaterThan(0);
  expect(leaky.watch.hits.some(h => h.cmd.includes('wget'))).toBe(true);

  const refused = await watchRuns([{ text: scriptOf(consul, offline, false), shell: 'dash', http: 'busybox-wget', env }]);
  expect(refused.watch.hitCount).toBe(0);
  expect(refused.results[0].code).toBe(0);
  expect(refused.results[0].messages.some(m => m.includes('refused: busybox-wget would carry the credential in its arguments (readable in /proc); add curl to the image'))).toBe(true);
});
