/**
 * RegistryAwareService under generated timings and registry faults, run for real against the fake
 * Nacos (test/registry/fakes/nacos.ts, its sources in its header):
 * - `registry-prestop`: the deregistration script (in the app container, or the sidecar's
 *   preStop): invariant 1; 2 (the client-cache + RPC wait lasts its full length, measured from the
 *   start of its `sleep` to the script's last line); 3 (the log never says the instance is out
 *   while the fake still has it, whatever the registry did);
 * - `registry-trigger-hold`: the HTTP_GET sidecar on 1.28: its CGI (started late, as on a loaded
 *   node) and its hold preStop at once: invariant 5, and 1 for the hold.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { mtimeMs, RunReport, runChecked } from './harness';
import { runContainerAsPid1 } from './pid1';
import { AppWait, DeregistrationPlacement, KubernetesVersion, Registry, RegistryAwareService } from '../../src';
import { SIGNAL_DIR } from '../../src/registry/service-props';
import { TRIGGER_DIR, TRIGGER_WWW } from '../../src/registry/trigger';
import { Mode } from '../registry/fakes/fake-server';
import { FakeNacos } from '../registry/fakes/nacos';
import { POD_IP, scriptFor, SHORT, sleepRecorder } from '../registry/helpers';
import { HttpToolChoice, runScript, SHELLS, ShellName } from '../script/run-script';
import { freePort } from '../util/free-port';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

type RouteFault = Mode | 'recovering';

export interface RegistryCase {
  readonly cacheRefreshS: number;
  readonly rpcTimeoutS: number;
  readonly confirmTimeoutS: number;
  /** What the list (confirmation) and the DELETE (force-remove) routes do. */
  readonly list: RouteFault;
  readonly deregister: RouteFault;
  /** The whole registry is down (connection refused), from the start. */
  readonly down: boolean;
  readonly recoverAfterMs: number;
  readonly shell: ShellName;
  readonly http: HttpToolChoice;
}

const routeFault: fc.Arbitrary<RouteFault> = fc.constantFrom<RouteFault>(Mode.OK, Mode.FAIL, Mode.SLOW, Mode.HANG, 'recovering');

export const registryCase: fc.Arbitrary<RegistryCase> = fc.record({
  cacheRefreshS: fc.integer({ min: 1, max: 2 }),
  rpcTimeoutS: fc.integer({ min: 1, max: 2 }),
  confirmTimeoutS: fc.integer({ min: 1, max: 2 }),
  list: routeFault,
  deregister: routeFault,
  down: fc.integer({ min: 0, max: 3 }).map(n => n === 0),
  recoverAfterMs: fc.integer({ min: 300, max: 4000 }),
  shell: fc.constantFrom(...SHELLS),
  // Nacos v1 deregisters with DELETE: busybox wget cannot send it, and the log must say so.
  http: fc.constantFrom<HttpToolChoice>('curl', 'curl', 'busybox-wget'),
});

function label(c: RegistryCase): string {
  return `${c.shell}/${c.http} cache=${c.cacheRefreshS}s rpc=${c.rpcTimeoutS}s confirm=${c.confirmTimeoutS}s list=${c.list} delete=${c.deregister}${c.down ? ' DOWN' : ''} recover=${c.recoverAfterMs}ms`;
}

function setRoute(nacos: FakeNacos, route: string, f: RouteFault, recoverAfterMs: number): NodeJS.Timeout | undefined {
  if (f !== 'recovering') {
    nacos.server.setMode(route, f);
    return undefined;
  }
  nacos.server.setMode(route, Mode.FAIL);
  return setTimeout(() => nacos.server.setMode(route, Mode.OK), recoverAfterMs);
}

/** The script with a line that writes the epoch time in ns to `file` right before it returns. */
function withExitStamp(text: string, file: string): string {
  const end = "gs_log 'done'\nexit 0\n";
  if (!text.endsWith(end)) throw new Error('the deregistration script no longer ends with its done line');
  return `${text.slice(0, -end.length)}gs_log 'done'\ndate +%s%N >'${file}'\nexit 0\n`;
}

export async function runRegistryPreStop(c: RegistryCase): Promise<RunReport> {
  const nacos = await FakeNacos.start();
  nacos.register({ serviceName: 'svc', ip: POD_IP, port: 8080 });
  const timers = [setRoute(nacos, 'list', c.list, c.recoverAfterMs), setRoute(nacos, 'deregister', c.deregister, c.recoverAfterMs)];
  if (c.down) await nacos.down();
  const sleeps = sleepRecorder();
  try {
    const registry = Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'svc', port: 8080 });
    const options = {
      ...SHORT,
      cacheRefresh: Duration.seconds(c.cacheRefreshS),
      rpcTimeout: Duration.seconds(c.rpcTimeoutS),
      confirmTimeout: Duration.seconds(c.confirmTimeoutS),
    };
    const { text, plan } = scriptFor(registry, undefined, options);
    const waitMs = plan.phase('client-caches').bound.toMilliseconds() + plan.phase('in-flight').bound.toMilliseconds();
    const { r, violations, marginMs } = await runChecked(withExitStamp(text, sleeps.stampFile), {
      shell: c.shell, http: c.http, graceSeconds: plan.terminationGracePeriodSeconds, env: { POD_IP }, links: sleeps.link,
    });
    const checked: RunReport['checked'] = [1, 3];
    // Invariant 3: never "out" while the registry still has the instance.
    const claimsOut = r.messages.some(m => /^outcome: the instance is out/.test(m));
    if (claimsOut && nacos.has(POD_IP, 8080)) violations.push('invariant 3: the log says the instance is out, the registry still has it');
    // Invariant 2: the protected wait's timer ran to the end of the script.
    let protectedSlackMs: number | undefined;
    const timer = sleeps.read().filter(s => s.seconds === waitMs / 1000);
    if (timer.length === 1) {
      checked.push(2);
      protectedSlackMs = sleeps.exitStamp() - timer[0].atMs - waitMs;
      if (protectedSlackMs < 0) violations.push(`invariant 2: the client-cache + RPC wait lasted ${waitMs + protectedSlackMs}ms of ${waitMs}ms`);
    } else {
      violations.push(`invariant 2: expected one ${waitMs / 1000}s sleep for the protected wait, saw ${JSON.stringify(sleeps.read())}`);
    }
    return { placement: 'registry-prestop', label: label(c), checked, violations, deadlineMarginMs: marginMs, protectedSlackMs };
  } finally {
    timers.forEach(t => t && clearTimeout(t));
    sleeps.remove();
    await nacos.down();
  }
}

/** 1.28 HTTP_GET sidecar: the CGI starts `cgiDelayMs` after the hold (the app's httpGet reaches it late). */
export async function runRegistryTriggerHold(c: RegistryCase, cgiDelayMs: number): Promise<RunReport> {
  const nacos = await FakeNacos.start();
  nacos.register({ serviceName: 'svc', ip: POD_IP, port: 8080 });
  const timers = [setRoute(nacos, 'list', c.list, c.recoverAfterMs), setRoute(nacos, 'deregister', c.deregister, c.recoverAfterMs)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-inv-reg-'));
  try {
    const chart = Testing.chart();
    const svc = new RegistryAwareService(chart, 'svc', {
      registry: Registry.nacos({ serverUrl: nacos.server.url, serviceName: 'svc', port: 8080 }),
      app: { image: 'svc:1', portNumber: 8080 },
      placement: DeregistrationPlacement.SIDECAR,
      appWait: AppWait.HTTP_GET,
      sidecarImage: 'busybox:1.36',
      kubernetesVersion: KubernetesVersion.V1_28,
      ...SHORT,
      cacheRefresh: Duration.seconds(c.cacheRefreshS),
      rpcTimeout: Duration.seconds(c.rpcTimeoutS),
      confirmTimeout: Duration.seconds(c.confirmTimeoutS),
    });
    const objects = synthValid(chart);
    const cm = objects.find(o => o.kind === 'ConfigMap' && o.data['deregister.cgi']);
    const relocate = (s: string) => s.split(SIGNAL_DIR).join(`${dir}/state`).split(`${TRIGGER_DIR}/`).join(`${dir}/trigger/`);
    fs.mkdirSync(`${dir}/trigger`, { recursive: true });
    fs.mkdirSync(`${dir}/state`);
    fs.writeFileSync(`${dir}/trigger/deregister.sh`, cm.data['deregister.sh'], { mode: 0o555 });
    const sidecar = containerOf(only(objects, 'Deployment'), 'registry-deregister');
    const hold = relocate(preStopScript(sidecar));
    const grace = svc.plan.terminationGracePeriodSeconds;
    const holdRun = runChecked(hold, { shell: c.shell, graceSeconds: grace });
    await new Promise(r => setTimeout(r, cgiDelayMs));
    const cgiRun = runScript(relocate(cm.data['deregister.cgi']), { shell: c.shell, withPath: { http: c.http }, timeoutMs: grace * 1000 + 5000, env: { POD_IP } });
    const [h, cgi] = await Promise.all([holdRun, cgiRun]);
    const violations = [...h.violations];
    const holdEnd = h.spawnedAt + h.r.elapsedMs;
    const marker = mtimeMs(`${dir}/state/done`);
    if (!cgi.stdout.includes('deregistered')) violations.push(`the CGI did not answer: ${cgi.stdout.slice(0, 100)}`);
    if (marker === undefined) violations.push('invariant 5: the deregistration wrote no done marker');
    else if (holdEnd < marker) violations.push(`invariant 5: the hold returned ${Math.round(marker - holdEnd)}ms before the deregistration ended`);
    return {
      placement: 'registry-trigger-hold',
      label: `${label(c)} cgiDelay=${cgiDelayMs}ms`,
      checked: [1, 5],
      violations,
      deadlineMarginMs: h.marginMs,
      holdAfterMs: marker === undefined ? undefined : holdEnd - marker,
    };
  } finally {
    timers.forEach(t => t && clearTimeout(t));
    await nacos.down();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The registry sidecar's command as PID 1 (HTTP_GET: httpd; DONE_FILE: a sleeping shell): invariant 4. */
export async function runRegistrySidecarPid1(wait: AppWait, version: KubernetesVersion): Promise<RunReport> {
  const port = await freePort();
  const chart = Testing.chart();
  new RegistryAwareService(chart, 'svc', {
    registry: Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'svc', port: 8080 }),
    app: { image: 'svc:1', portNumber: 8080 },
    placement: DeregistrationPlacement.SIDECAR,
    appWait: wait,
    sidecarImage: 'busybox:1.36',
    kubernetesVersion: version,
    ...(wait === AppWait.HTTP_GET ? { triggerPort: port } : {}),
  });
  const c = containerOf(only(synthValid(chart), 'Deployment'), 'registry-deregister');
  const http = wait === AppWait.HTTP_GET;
  return runContainerAsPid1('registry-sidecar-pid1', `${wait} ${version}`, c, { documentRoot: http ? TRIGGER_WWW : undefined, port: http ? port : undefined });
}
