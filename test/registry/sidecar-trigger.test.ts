/**
 * AppWait.HTTP_GET: the app's preStop is a kubelet httpGet to the sidecar, which runs the
 * deregistration in a busybox httpd CGI. The rendered spec on 1.28 / 1.29 / 1.30, and the
 * synthesized sidecar command, CGI, script and hold preStop run for real against a fake Nacos.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { AppWait, DeregistrationPlacement, KubernetesVersion, OfflineEndpoint, Registry, RegistryAwareService, RegistryAwareServiceProps } from '../../src';
import { makeBinDir, runScript, shellcheck } from '../script/run-script';
import { freePort } from '../util/free-port';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';
import { FakeApp } from './fakes/app';
import { Mode } from './fakes/fake-server';
import { FakeNacos } from './fakes/nacos';
import { SHORT } from './helpers';

jest.setTimeout(60_000);

const IMAGE = 'registry.example.com/tools/alpine-curl-httpd:3.20';
const POD_IP = '10.1.2.3';

function build(version: KubernetesVersion, extra: Partial<RegistryAwareServiceProps> = {}) {
  const chart = Testing.chart();
  const svc = new RegistryAwareService(chart, 'soa-test', {
    registry: Registry.nacos({ serverUrl: 'http://nacos.soa:8848', serviceName: 'soa-test', port: 8080 }),
    app: { image: 'soa-test:1', portNumber: 8080 },
    placement: DeregistrationPlacement.SIDECAR,
    appWait: AppWait.HTTP_GET,
    sidecarImage: IMAGE,
    kubernetesVersion: version,
    ...extra,
  });
  const objects = synthValid(chart);
  return { svc, objects, dep: only(objects, 'Deployment'), cm: objects.find(o => o.kind === 'ConfigMap') };
}

describe('rendered spec', () => {
  test('1.28: two ordinary containers; the app preStop is an httpGet to the sidecar; the sidecar holds until done', () => {
    const { svc, dep, cm } = build(KubernetesVersion.V1_28);
    const spec = dep.spec.template.spec;
    expect(spec.initContainers ?? []).toEqual([]);
    expect(spec.containers.map((c: any) => c.name)).toEqual(['app', 'registry-deregister']);
    const app = containerOf(dep, 'app');
    expect(app.lifecycle.preStop).toEqual({ httpGet: { path: '/cgi-bin/deregister', port: 19010, scheme: 'HTTP' } });
    expect(app.env ?? []).toEqual([]);
    const side = containerOf(dep, 'registry-deregister');
    expect(side.image).toBe(IMAGE);
    expect(side.ports).toEqual([expect.objectContaining({ containerPort: 19010, name: 'deregister' })]);
    expect(side.command[2]).toContain("busybox httpd -f -p 19010 -h '/registry-deregister/www'");
    expect(side.env.find((e: any) => e.name === 'POD_IP').valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    const hold = preStopScript(side);
    expect(hold).toContain("if [ -e '/var/run/graceful-shutdown/done' ]");
    // After the deregistration's own deadline (the end of the stop phase), so the hold never ends first.
    expect(hold).toContain(`gs_deadline=$((gs_start + ${svc.plan.endOf('stop').toSeconds()}))`);
    expect(cm.data['deregister.sh']).toBe(svc.script.render());
    expect(cm.data['deregister.sh']).not.toContain('touch');
    expect(svc.appWait).toBe(AppWait.HTTP_GET);
    expect(spec.terminationGracePeriodSeconds).toBe(svc.plan.terminationGracePeriodSeconds);
  });

  test.each([KubernetesVersion.V1_29, KubernetesVersion.V1_30])('%s: a native sidecar (init container, restartPolicy Always) without a preStop', version => {
    const { dep } = build(version);
    const spec = dep.spec.template.spec;
    expect(spec.containers.map((c: any) => c.name)).toEqual(['app']);
    expect(spec.initContainers.map((c: any) => [c.name, c.restartPolicy])).toEqual([['registry-deregister', 'Always']]);
    expect(spec.initContainers[0].lifecycle?.preStop).toBeUndefined();
    expect(containerOf(dep, 'app').lifecycle.preStop.httpGet.port).toBe(19010);
  });

  test('DONE_FILE and SLEEP keep an ordinary sidecar on 1.29+ (its preStop must start at t=0)', () => {
    for (const appWait of [AppWait.DONE_FILE, AppWait.SLEEP]) {
      const { dep } = build(KubernetesVersion.V1_30, { appWait, sidecarImage: undefined });
      expect(dep.spec.template.spec.initContainers ?? []).toEqual([]);
      expect(preStopScript(containerOf(dep, 'registry-deregister'))).toContain('nacos-deregister');
    }
  });

  test('errors name the construct path, the property, the value and the fix', () => {
    expect(() => build(KubernetesVersion.V1_29, { sidecarImage: undefined }))
      .toThrow(/^test\/soa-test: sidecarImage \(missing\) is required: appWait HTTP_GET needs an image with sh, busybox httpd and curl .* Set sidecarImage, or use AppWait.DONE_FILE or AppWait.SLEEP\.$/);
    expect(() => build(KubernetesVersion.V1_29, { appWait: AppWait.DONE_FILE, sidecarImage: undefined, triggerPort: 19011 }))
      .toThrow('test/soa-test: triggerPort 19011 is set but appWait is done-file. Set appWait: AppWait.HTTP_GET or drop triggerPort.');
    expect(() => build(KubernetesVersion.V1_29, { triggerPort: 0 }))
      .toThrow('test/soa-test: triggerPort 0 is out of range: use a whole number 1-65535.');
    const inApp = { placement: DeregistrationPlacement.APP_CONTAINER, appWait: undefined, sidecarImage: undefined };
    expect(() => build(KubernetesVersion.V1_29, { ...inApp, triggerPort: 19011 }))
      .toThrow('test/soa-test: triggerPort 19011 is set but placement is not SIDECAR. Set placement: DeregistrationPlacement.SIDECAR or drop triggerPort.');
  });

  test('the CGI and the hold script are shellcheck clean', () => {
    const { dep, cm } = build(KubernetesVersion.V1_28);
    expect(shellcheck(cm.data['deregister.cgi']).output).toBe('');
    expect(shellcheck(preStopScript(containerOf(dep, 'registry-deregister'))).output).toBe('');
  });
});


test('for real: the synthesized command serves the CGI; GET answers only once deregistered and drained; a second GET waits; the 1.28 hold ends at the done marker', async () => {
  const nacos = await FakeNacos.start();
  const app = await FakeApp.start();
  app.server.setMode('service-registry', Mode.FAIL);
  nacos.register({ serviceName: 'soa-test', ip: POD_IP, port: 8080 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-reg-trig-'));
  let httpd: ReturnType<typeof spawn> | undefined;
  try {
    const { svc, dep, cm } = build(KubernetesVersion.V1_28, {
      registry: Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'soa-test', port: 8080 }),
      offlineEndpoint: OfflineEndpoint.springBootServiceRegistry({ port: app.server.port }),
      ...SHORT,
    });
    const relocate = (s: string) => s.split('/var/run/graceful-shutdown').join(`${dir}/state`).split('/registry-deregister/').join(`${dir}/rd/`);
    fs.mkdirSync(`${dir}/rd/www/cgi-bin`, { recursive: true });
    fs.mkdirSync(`${dir}/state`);
    fs.writeFileSync(`${dir}/rd/deregister.sh`, cm.data['deregister.sh'], { mode: 0o555 });
    fs.writeFileSync(`${dir}/rd/www/cgi-bin/deregister`, relocate(cm.data['deregister.cgi']), { mode: 0o555 });
    const log = path.join(dir, 'log');
    fs.writeFileSync(log, '');
    const bin = makeBinDir({ http: 'curl', tools: ['date', 'sleep', 'kill', 'mkdir', 'printf', 'sh', 'busybox'] }, dir);
    const side = containerOf(dep, 'registry-deregister');

    // The sidecar's own command (no `httpd` on PATH: it falls back to `busybox httpd`), bound to loopback.
    let port = 0;
    for (let attempt = 0; attempt < 5 && port === 0; attempt++) {
      const p = await freePort();
      // Both branches of the command, moved to loopback (tests never listen on other addresses).
      const cmd = relocate(side.command[2]).split('-p 19010 ').join(`-p 127.0.0.1:${p} `);
      expect(cmd).not.toContain('19010');
      const h = spawn(side.command[0], [side.command[1], cmd], { env: { PATH: bin, GS_LOG_TARGET: log, POD_IP }, detached: true, stdio: 'ignore' });
      httpd = h;
      for (let i = 0; i < 40 && port === 0 && h.exitCode === null; i++) {
        await new Promise(r => setTimeout(r, 50));
        try {
          const res = await fetch(`http://127.0.0.1:${p}/nothing-here`);
          await res.text();
          port = p;
        } catch { /* not listening yet */ }
      }
      if (port === 0 && h.pid) process.kill(-h.pid, 'SIGKILL');
    }
    expect(port).toBeGreaterThan(0);

    // The 1.28 hold preStop starts at t=0 with the app's httpGet and ends when the marker appears.
    const holdRun = runScript(relocate(preStopScript(side)), { shell: 'busybox' });
    const started = Date.now();
    const [first, second] = await Promise.all([
      fetch(`http://127.0.0.1:${port}/cgi-bin/deregister`).then(async r => [r.status, await r.text(), Date.now() - started]),
      new Promise(r => setTimeout(r, 300)).then(() => fetch(`http://127.0.0.1:${port}/cgi-bin/deregister`)).then(async r => [r.status, await r.text(), Date.now() - started]),
    ]);
    const hold = await holdRun;
    expect(first.slice(0, 2)).toEqual([200, 'deregistered\n']);
    expect(second.slice(0, 2)).toEqual([200, 'deregistered\n']);
    // offline fails at once, the confirm polls 2s, force-remove, then the 2s wait: >= 4s; by the deadline.
    expect(first[2]).toBeGreaterThanOrEqual(4000);
    expect(first[2]).toBeLessThanOrEqual(svc.plan.preStopDeadline.toMilliseconds() + 1500);
    expect(second[2]).toBeGreaterThanOrEqual(4000);
    expect(fs.existsSync(`${dir}/state/done`)).toBe(true);
    // The script ran once, with the pod IP from the sidecar's environment.
    expect(nacos.server.callsTo('deregister').map(c => c.query.ip)).toEqual([POD_IP]);
    expect(app.server.callsTo('service-registry')).toHaveLength(1);
    expect(nacos.has(POD_IP, 8080)).toBe(false);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.some(l => /nacos-deregister: Nacos: deregister this pod \(soa-test, port 8080\): ok$/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/nacos-deregister: done$/);
    expect(hold.code).toBe(0);
    expect(hold.messages).toContain('held script still running: 0');
    expect(hold.elapsedMs).toBeGreaterThanOrEqual(3000);
  } finally {
    if (httpd?.pid) {
      try { process.kill(-httpd.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await Promise.all([nacos.server.down(), app.server.down()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

