import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { AppWait, DeregistrationPlacement, KubernetesVersion, OfflineEndpoint, Registry } from '../../src';
import { SIGNAL_APP_PHASE } from '../../src/registry/deregistration';
import { deriveRegistryService } from '../../src/registry/derive-service';

// The derivation of a RegistryAwareService from its props, without a chart: the plan's phases
// are built from the timings, and the script waits only what the plan says.

const s = Duration.seconds;
const nacos = Registry.nacos({ serverUrl: 'http://nacos:8848', serviceName: 'soa-test', port: 8080 });
const app = { image: 'svc:1' };

/** The per-call timeouts the script passes to its registry calls. */
const callTimeouts = (text: string) => [...text.matchAll(/"\$\(gs_reg_cap (\d+)\)"/g)].map(m => Number(m[1]));
/** The timeout of the done-file touch, when there is one. */
const touchTimeout = (text: string) => /gs_bounded "\$\(gs_cap (\d+)\)" 'touch'/.exec(text)?.[1];

test('only the DONE_FILE wait writes the done-file, in a signal-app phase of its own that bounds the touch', () => {
  const sidecar = { registry: nacos, app, placement: DeregistrationPlacement.SIDECAR };
  const done = deriveRegistryService({ ...sidecar, appWait: AppWait.DONE_FILE });
  expect(done.plan.phases.map(p => p.name)).toEqual(['offline', 'confirm', 'force-remove', 'clock-slack', 'client-caches', 'in-flight', SIGNAL_APP_PHASE, 'stop', 'margin']);
  expect(Number(touchTimeout(done.script.render()))).toBe(done.plan.phase(SIGNAL_APP_PHASE).bound.toSeconds());
  // The app waits for the file until the preStop deadline, which includes the signal phase.
  expect(done.plan.preStopDeadline.toSeconds()).toBe(done.plan.endOf(SIGNAL_APP_PHASE).toSeconds());
  expect(done.waitForSidecar!.deadlineSeconds).toBe(done.script.deadlineSeconds);
  for (const appWait of [AppWait.SLEEP, AppWait.HTTP_GET]) {
    const other = deriveRegistryService({ ...sidecar, appWait, sidecarImage: 'alpine-curl:1' });
    expect(other.plan.tryPhase(SIGNAL_APP_PHASE)).toBeUndefined();
    expect(touchTimeout(other.script.render())).toBeUndefined();
  }
  expect(deriveRegistryService({ registry: nacos, app }).plan.tryPhase(SIGNAL_APP_PHASE)).toBeUndefined();
});

test('every registry call waits the request timeout, and the call phases are whole multiples of it', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.boolean(),
    (request, deleteInstance, offline) => {
      const registry = Registry.eureka({ serverUrl: 'http://eureka:8761/eureka', appName: 'a', port: 8080, deleteInstance, clearConfigUrl: 'http://admin/c/${POD_IP}' });
      const d = deriveRegistryService({
        registry,
        app,
        requestTimeout: s(request),
        offlineEndpoint: offline ? OfflineEndpoint.springBootServiceRegistry({ port: 8080 }) : undefined,
      });
      const removals = deleteInstance ? 2 : 1;
      expect(d.plan.phase('offline').bound.toSeconds()).toBe(request * (offline ? 1 : removals));
      expect(d.plan.phase('force-remove').bound.toSeconds()).toBe(request * (removals + 1));
      expect(d.plan.phase('clear-config').bound.toSeconds()).toBe(request);
      const timeouts = callTimeouts(d.script.render());
      expect(timeouts.length).toBeGreaterThan(0);
      expect(new Set(timeouts)).toEqual(new Set([request]));
    },
  ), { numRuns: 40 });
});

test('pure: equal props derive equal plans and scripts, with no construct involved', () => {
  const props = { registry: nacos, app, placement: DeregistrationPlacement.SIDECAR, kubernetesVersion: KubernetesVersion.V1_28 };
  const a = deriveRegistryService(props);
  const b = deriveRegistryService({ ...props });
  expect(b.plan.toString()).toBe(a.plan.toString());
  expect(b.script.render()).toBe(a.script.render());
  expect(a.wait).toBe(AppWait.DONE_FILE);
});
