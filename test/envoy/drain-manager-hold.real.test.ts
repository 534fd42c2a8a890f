/**
 * Invariant 5 for the drain-manager before native sidecars (Kubernetes 1.28): the sidecar's own
 * preStop (the hold) must end only after the drain it holds, since the kubelet sends the sidecar
 * SIGTERM as soon as the hold returns, and the sidecar now exits on it (it runs the drain's CGI).
 * The kubelet starts both preStops at t=0; the drain starts a little later (the Envoy container's
 * httpGet, then httpd forking the CGI; here 1.5s, as on a loaded node), which is the order this test
 * reproduces, against an admin
 * that answers garbage so that the drain runs to its deadline.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import { FakeEnvoyAdmin } from './fake-envoy-admin';
import { GracefulEnvoyGateway, KubernetesVersion } from '../../src';
import { runScript, SHELLS } from '../script/run-script';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

jest.setTimeout(60_000);

test.each(SHELLS)('1.28: the hold returns after the drain it holds has ended (%s)', async shell => {
  const admin = new FakeEnvoyAdmin();
  await admin.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-hold-'));
  try {
    admin.setConnections({ '0.0.0.0_8080': 3 });
    admin.setGarbage('html');
    const chart = Testing.chart();
    const gw = new GracefulEnvoyGateway(chart, 'gw', {
      image: 'envoyproxy/envoy:distroless-v1.31.0',
      listeners: [{ name: 'http', port: 8080 }],
      adminPort: admin.port,
      adminCallTimeout: Duration.seconds(1),
      minDrain: Duration.seconds(0),
      readinessPeriod: Duration.seconds(1),
      readinessFailureThreshold: 1,
      maxDrain: Duration.seconds(3),
      drainManager: {},
      kubernetesVersion: KubernetesVersion.V1_28,
    });
    const objects = synthValid(chart);
    const dep = only(objects, 'Deployment');
    const cm = objects.find(o => o.kind === 'ConfigMap' && o.data['drain.sh']);
    const relocate = (s: string) => s.split('/run/drain-manager').join(`${dir}/state`).split('/drain-manager/').join(`${dir}/dm/`);
    fs.mkdirSync(`${dir}/dm`, { recursive: true });
    fs.mkdirSync(`${dir}/state`);
    fs.writeFileSync(`${dir}/dm/drain.sh`, cm.data['drain.sh'], { mode: 0o555 });
    const hold = relocate(preStopScript(containerOf(dep, 'drain-manager')));
    const cgi = relocate(cm.data['drain.cgi']);

    const t0 = Date.now();
    const holdRun = runScript(hold, { shell });
    // A late drain (a loaded node): it ends up to its own deadline after it started, past the
    // hold's deadline unless the hold waits for it.
    await new Promise(r => setTimeout(r, 1500));
    const drainRun = runScript(cgi, { shell, env: { GS_LOG_TARGET: path.join(dir, 'drain-log') } });
    const [h, d] = await Promise.all([holdRun, drainRun]);
    const holdEnd = h.startedAt + h.elapsedMs;
    const marker = fs.statSync(`${dir}/state/done`).mtimeMs;

    expect(h.code).toBe(0);
    expect(d.stdout).toContain('drained');
    // The drain ran to its deadline (the admin never gave a count).
    expect(marker - t0).toBeGreaterThanOrEqual(gw.drainScript.deadlineSeconds * 1000 - 1000);
    // The hold ended after the drain ended, and by its own header's deadline.
    expect(holdEnd).toBeGreaterThanOrEqual(marker);
    expect(h.elapsedMs).toBeLessThanOrEqual(Number(/# Returns within (\d+)s/.exec(hold)![1]) * 1000);
    expect(h.elapsedMs).toBeLessThan(gw.plan.terminationGracePeriodSeconds * 1000);
  } finally {
    await admin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
