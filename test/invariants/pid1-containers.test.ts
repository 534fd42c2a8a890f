/**
 * Invariant 4: every container the library adds exits promptly on SIGTERM once its work is done,
 * when it runs as PID 1 (as in a pod). Each synthesized command runs for real as PID 1 of its own
 * PID namespace, with busybox as its only tools (a busybox image: sh, httpd, sleep), and gets
 * SIGTERM from outside the namespace, as the kubelet's runtime sends it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { canUnsharePid, exitAfterSigterm, startAsPid1, until } from './pid1';
import { AppWait, DeregistrationPlacement, GracefulEnvoyGateway, KubernetesVersion, Registry, RegistryAwareService } from '../../src';
import { DRAIN_MANAGER_WWW } from '../../src/envoy/drain-manager';
import { TRIGGER_WWW } from '../../src/registry/trigger';
import { makeBinDir, requireTool } from '../script/run-script';
import { freePort } from '../util/free-port';
import { containerOf, only, synthValid } from '../util/synth';

jest.setTimeout(60_000);

/** A generous bound for a loaded 2-core machine; the defect was "still running at SIGKILL". */
const PROMPT_MS = 5_000;

interface AddedContainer {
  readonly what: string;
  readonly command: string[];
  /** The document root the command names, replaced by a temp dir on this machine. */
  readonly documentRoot?: string;
  /** The port it listens on, if any. */
  readonly port?: number;
}

function envoyDrainManager(version: KubernetesVersion, port: number): AddedContainer {
  const chart = Testing.chart();
  new GracefulEnvoyGateway(chart, 'gw', {
    image: 'envoyproxy/envoy:distroless-v1.31.0',
    listeners: [{ name: 'http', port: 8080 }],
    maxDrain: Duration.seconds(5),
    drainManager: { port },
    kubernetesVersion: version,
  });
  const c = containerOf(only(synthValid(chart), 'Deployment'), 'drain-manager');
  return { what: `envoy drain-manager (${version})`, command: [...(c.command ?? []), ...(c.args ?? [])], documentRoot: DRAIN_MANAGER_WWW, port };
}

function registrySidecar(wait: AppWait, version: KubernetesVersion, port: number): AddedContainer {
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
  const dep = only(synthValid(chart), 'Deployment');
  const spec = dep.spec.template.spec;
  const c = [...(spec.initContainers ?? []), ...spec.containers].find((x: any) => x.name !== 'svc' && x.image === 'busybox:1.36');
  return {
    what: `registry sidecar ${wait} (${version})`,
    command: [...(c.command ?? []), ...(c.args ?? [])],
    documentRoot: wait === AppWait.HTTP_GET ? TRIGGER_WWW : undefined,
    port: wait === AppWait.HTTP_GET ? port : undefined,
  };
}

/** Whether something answers HTTP on 127.0.0.1:port (any status). */
async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

async function runAndStop(c: AddedContainer): Promise<{ exitMs?: number; caught: number[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-pid1-'));
  try {
    const busybox = requireTool('busybox');
    // A busybox image: sh, httpd, sleep, kill and busybox itself, nothing else.
    const bin = makeBinDir({ tools: [], links: { sh: busybox, httpd: busybox, sleep: busybox, kill: busybox, busybox } }, dir);
    const www = path.join(dir, 'www');
    fs.mkdirSync(www);
    const command = c.command.map(a => (c.documentRoot ? a.split(c.documentRoot).join(www) : a)).map(a => (a === '/bin/sh' ? path.join(bin, 'sh') : a));
    const p = await startAsPid1(command, { env: { PATH: bin } });
    try {
      if (c.port !== undefined) expect(await until(() => answers(c.port!), 10_000)).toBe(true);
      else await new Promise(r => setTimeout(r, 300));
      const caught = p.caughtSignals();
      return { exitMs: await exitAfterSigterm(p, PROMPT_MS), caught };
    } finally {
      p.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SIGTERM = 15;

// Skipped only on a developer machine that cannot make PID namespaces; in CI a missing unshare fails.
(canUnsharePid() || process.env.CI ? describe : describe.skip)('invariant 4: added containers exit on SIGTERM as PID 1', () => {
  test.each([KubernetesVersion.V1_28, KubernetesVersion.V1_29])('envoy drain-manager on %s', async version => {
    const c = envoyDrainManager(version, await freePort());
    const r = await runAndStop(c);
    expect(r.caught).toContain(SIGTERM);
    expect(r.exitMs).toBeDefined();
    expect(r.exitMs!).toBeLessThan(PROMPT_MS);
  });

  test.each([
    [AppWait.HTTP_GET, KubernetesVersion.V1_28],
    [AppWait.HTTP_GET, KubernetesVersion.V1_29],
    [AppWait.DONE_FILE, KubernetesVersion.V1_28],
    [AppWait.SLEEP, KubernetesVersion.V1_30],
  ])('registry sidecar %s on %s', async (wait, version) => {
    const c = registrySidecar(wait, version, await freePort());
    const r = await runAndStop(c);
    expect(r.caught).toContain(SIGTERM);
    expect(r.exitMs).toBeDefined();
    expect(r.exitMs!).toBeLessThan(PROMPT_MS);
  });
});
