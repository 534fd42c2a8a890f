/**
 * GracefulEnvoyGateway under generated props and admin faults, run for real:
 * - `envoy-prestop`: the drain script as the Envoy container's preStop (invariants 1, 2, 3);
 * - `envoy-drain-manager`: on 1.28, the drain-manager CGI (started late, as on a loaded node) and
 *   the sidecar's hold preStop at once (invariant 5, and 1 for the hold), and on 1.28 and 1.29
 *   the sidecar's command as PID 1 (invariant 4).
 * The admin is test/envoy/fake-envoy-admin.ts (Envoy's wire format, sources in its header).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { RunReport, runChecked, runHoldWithCgi } from './harness';
import { runContainerAsPid1 } from './pid1';
import { DrainListenersMode, GracefulEnvoyGateway, GracefulEnvoyGatewayProps, KubernetesVersion } from '../../src';
import { DRAIN_MANAGER_WWW } from '../../src/envoy/drain-manager';
import { FakeEnvoyAdmin, Garbage } from '../envoy/fake-envoy-admin';
import { HttpToolChoice, SHELLS, ShellName } from '../script/run-script';
import { freePort } from '../util/free-port';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

const LISTENER = '0.0.0.0_8080';

/** What the admin does during the run. `zeroAtMs` is when a count of 0 can first be read. */
export type EnvoyFault =
  | { kind: 'zero-at'; ms: number }
  | { kind: 'never-zero' }
  | { kind: 'down' }
  | { kind: 'garbage'; garbage: Garbage }
  | { kind: 'every-endpoint'; garbage: 'hang' | 'status-500' | 'reset' }
  | { kind: 'slow'; delayMs: number; zeroAtMs: number }
  | { kind: 'recovering'; from: Garbage | 'down'; afterMs: number };

export interface EnvoyCase {
  readonly failHealthCheck: boolean;
  readonly drainListeners: DrainListenersMode;
  readonly minDrainS: number;
  readonly readinessFailureThreshold: number;
  readonly maxDrainS: number;
  readonly fault: EnvoyFault;
  readonly shell: ShellName;
  readonly http: HttpToolChoice;
}

const GARBAGE: Garbage[] = ['html', 'status-500', 'missing-value', 'hang', 'octal', 'empty', 'no-sentinel', 'reset'];

export const envoyFault: fc.Arbitrary<EnvoyFault> = fc.oneof(
  fc.record({ kind: fc.constant('zero-at' as const), ms: fc.integer({ min: 0, max: 4000 }) }),
  fc.constant({ kind: 'never-zero' as const }),
  fc.constant({ kind: 'down' as const }),
  fc.record({ kind: fc.constant('garbage' as const), garbage: fc.constantFrom(...GARBAGE) }),
  fc.record({ kind: fc.constant('every-endpoint' as const), garbage: fc.constantFrom('hang' as const, 'status-500' as const, 'reset' as const) }),
  fc.record({ kind: fc.constant('slow' as const), delayMs: fc.integer({ min: 100, max: 1500 }), zeroAtMs: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ kind: fc.constant('recovering' as const), from: fc.constantFrom<Garbage | 'down'>('down', 'hang', 'status-500', 'empty', 'html'), afterMs: fc.integer({ min: 500, max: 4000 }) }),
);

export const envoyCase: fc.Arbitrary<EnvoyCase> = fc.record({
  failHealthCheck: fc.boolean(),
  drainListeners: fc.constantFrom(DrainListenersMode.GRACEFUL, DrainListenersMode.NONE),
  minDrainS: fc.integer({ min: 0, max: 2 }),
  readinessFailureThreshold: fc.integer({ min: 1, max: 2 }),
  maxDrainS: fc.integer({ min: 1, max: 3 }),
  fault: envoyFault,
  shell: fc.constantFrom(...SHELLS),
  http: fc.constantFrom<HttpToolChoice>('curl', 'busybox-wget'),
});

export function label(c: EnvoyCase): string {
  return `${c.shell}/${c.http} hc=${c.failHealthCheck} drain=${c.drainListeners} minDrain=${c.minDrainS}s x${c.readinessFailureThreshold} maxDrain=${c.maxDrainS}s fault=${JSON.stringify(c.fault)}`;
}

function gatewayProps(c: EnvoyCase, adminPort: number, extra: Partial<GracefulEnvoyGatewayProps> = {}): GracefulEnvoyGatewayProps {
  return {
    image: 'envoyproxy/envoy:distroless-v1.31.0',
    listeners: [{ name: 'http', port: 8080 }],
    adminPort,
    failHealthCheck: c.failHealthCheck,
    drainListeners: c.drainListeners,
    adminCallTimeout: Duration.seconds(1),
    minDrain: Duration.seconds(c.minDrainS),
    readinessPeriod: Duration.seconds(1),
    readinessFailureThreshold: c.readinessFailureThreshold,
    maxDrain: Duration.seconds(c.maxDrainS),
    stopTimeout: Duration.seconds(1),
    margin: Duration.seconds(1),
    ...extra,
  };
}

/** Sets the fake admin up for the fault; returns when a 0 can first be read (undefined: never). */
async function arrange(admin: FakeEnvoyAdmin, f: EnvoyFault): Promise<number | undefined> {
  admin.setConnections({ [LISTENER]: 2 });
  switch (f.kind) {
    case 'zero-at':
      admin.schedule([{ atMs: f.ms, set: { [LISTENER]: 0 } }]);
      return f.ms;
    case 'never-zero':
      return undefined;
    case 'down':
      await admin.down();
      return undefined;
    case 'garbage':
      admin.setGarbage(f.garbage);
      return undefined;
    case 'every-endpoint':
      admin.allPaths = true;
      admin.setGarbage(f.garbage);
      return undefined;
    case 'slow':
      admin.delayMs = f.delayMs;
      admin.schedule([{ atMs: f.zeroAtMs, set: { [LISTENER]: 0 } }]);
      return f.zeroAtMs;
    case 'recovering':
      admin.setConnections({ [LISTENER]: 0 });
      if (f.from === 'down') {
        await admin.down();
        admin.schedule([{ atMs: f.afterMs, up: true }]);
      } else {
        admin.setGarbage(f.from);
        admin.schedule([{ atMs: f.afterMs, garbage: null }]);
      }
      return f.afterMs;
  }
}

/** The drain script as the Envoy container's preStop: invariants 1, 2 (min-drain) and 3. */
export async function runEnvoyPreStop(c: EnvoyCase): Promise<RunReport> {
  const admin = new FakeEnvoyAdmin();
  await admin.start();
  try {
    const chart = Testing.chart();
    const gw = new GracefulEnvoyGateway(chart, 'gw', gatewayProps(c, admin.port));
    const script = preStopScript(containerOf(only(synthValid(chart), 'Deployment'), 'envoy'));
    admin.resetClock();
    const zeroAtMs = await arrange(admin, c.fault);
    const grace = gw.plan.terminationGracePeriodSeconds;
    const { r, violations, marginMs } = await runChecked(script, { shell: c.shell, http: c.http, graceSeconds: grace });
    const checked: RunReport['checked'] = [1, 3];

    // Invariant 3: a 0 is read only once the admin can give one; otherwise the poll runs to its end.
    const what = `active connections (listener.${LISTENER}.downstream_cx_active)`;
    const sawZero = r.messages.includes(`${what}: 0`);
    if (zeroAtMs === undefined && sawZero) violations.push(`invariant 3: read 0 although the admin never gave a count of 0 (${c.fault.kind})`);
    if (zeroAtMs !== undefined && sawZero && r.elapsedMs < zeroAtMs) violations.push(`invariant 3: read 0 at <${r.elapsedMs}ms, a 0 existed only from ${zeroAtMs}ms`);
    if (!sawZero && !r.messages.some(m => m.startsWith(`${what}: deadline reached at `))) violations.push('invariant 3: the poll ended neither at 0 nor at its deadline');
    const drainEndMs = gw.plan.endOf('drain').toMilliseconds();
    if (!sawZero && r.elapsedMs < drainEndMs - 1300) violations.push(`invariant 3: gave up at ${r.elapsedMs}ms, the drain phase lasts until ${drainEndMs}ms`);

    // Invariant 2: the min-drain wait separates the last admin call's answer from the first /stats read.
    let protectedSlackMs: number | undefined;
    const minDrain = gw.plan.tryPhase('min-drain');
    const posts = admin.calls.filter(x => x.method === 'POST');
    const firstStats = admin.calls.find(x => x.path.startsWith('/stats'));
    if (minDrain && posts.length > 0 && firstStats) {
      const lastPost = posts[posts.length - 1];
      // The call returned when the answer came, or when its timeout (1s) gave up on it, whichever
      // was first; a hung call's answer never came.
      const givenUp = lastPost.arrivedMs + 1000;
      const answered = lastPost.status !== 0 ? Math.min(lastPost.atMs, givenUp) : lastPost.arrivedMs;
      protectedSlackMs = firstStats.arrivedMs - answered - minDrain.bound.toMilliseconds();
      checked.push(2);
      if (protectedSlackMs < 0) violations.push(`invariant 2: min-drain lasted ${protectedSlackMs + minDrain.bound.toMilliseconds()}ms of ${minDrain.bound.toMilliseconds()}ms`);
    }
    return { placement: 'envoy-prestop', label: label(c), checked, violations, deadlineMarginMs: marginMs, protectedSlackMs };
  } finally {
    await admin.close();
  }
}

/**
 * 1.28 drain-manager: the CGI starts the drain `cgiDelayMs` after the hold started (the kubelet
 * runs both preStops at t=0; the drain starts when Envoy's httpGet reaches the sidecar).
 */
export async function runDrainManagerHold(c: EnvoyCase, cgiDelayMs: number): Promise<RunReport> {
  const admin = new FakeEnvoyAdmin();
  await admin.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-inv-dm-'));
  try {
    const chart = Testing.chart();
    // The hold's own deadline is the end of the stop phase: it outlasts a drain that started up to
    // stopTimeout late (docs/guarantees.md). Generated CGI delays stay below it.
    const gw = new GracefulEnvoyGateway(chart, 'gw', gatewayProps(c, admin.port, {
      drainManager: {}, kubernetesVersion: KubernetesVersion.V1_28, stopTimeout: Duration.seconds(2),
    }));
    await arrange(admin, c.fault);
    return await runHoldWithCgi({
      objects: synthValid(chart),
      name: 'drain',
      sidecar: 'drain-manager',
      scriptDir: '/drain-manager',
      stateDir: '/run/drain-manager',
      answer: 'drained',
      work: 'the drain',
    }, {
      placement: 'envoy-drain-manager-hold',
      label: `${label(c)} cgiDelay=${cgiDelayMs}ms`,
      shell: c.shell,
      http: c.http,
      graceSeconds: gw.plan.terminationGracePeriodSeconds,
      cgiDelayMs,
      dir,
    });
  } finally {
    await admin.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The drain-manager sidecar's command as PID 1 of its own PID namespace, after its work: invariant 4. */
export async function runDrainManagerPid1(version: KubernetesVersion): Promise<RunReport> {
  const port = await freePort();
  const chart = Testing.chart();
  new GracefulEnvoyGateway(chart, 'gw', { image: 'envoyproxy/envoy:distroless-v1.31.0', listeners: [{ name: 'http', port: 8080 }], drainManager: { port }, kubernetesVersion: version });
  const c = containerOf(only(synthValid(chart), 'Deployment'), 'drain-manager');
  return runContainerAsPid1('envoy-drain-manager-pid1', String(version), c, { documentRoot: DRAIN_MANAGER_WWW, port });
}
