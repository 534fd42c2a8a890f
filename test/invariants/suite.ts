/**
 * The harness's run list: generated cases for every placement, sized by the caller (the CI test
 * runs a small sample, bench/invariants.ts a larger sweep). Cases come from fast-check with a seed,
 * so a failing run can be replayed with the same seed.
 */
import * as fc from 'fast-check';
import { envoyCase, runDrainManagerHold, runDrainManagerPid1, runEnvoyPreStop } from './envoy-cases';
import { Ledger, RunReport, runLimited } from './harness';
import { istioCase, runIstioAppPreStop, runIstioProxyHold } from './istio-cases';
import { nginxCase, runNginxDelete } from './nginx-cases';
import { canUnsharePid } from './pid1';
import { registryCase, runRegistryPreStop, runRegistrySidecarPid1, runRegistryTriggerHold } from './registry-cases';
import { AppWait, KubernetesVersion } from '../../src';

/** How many generated cases each placement gets. */
export interface SuiteSize {
  readonly envoyPreStop: number;
  readonly drainManagerHold: number;
  readonly istioAppPreStop: number;
  readonly istioProxyHold: number;
  readonly registryPreStop: number;
  readonly registryTriggerHold: number;
  readonly nginxDelete: number;
}

export const CI_SIZE: SuiteSize = {
  envoyPreStop: 30,
  drainManagerHold: 6,
  istioAppPreStop: 12,
  istioProxyHold: 4,
  registryPreStop: 16,
  registryTriggerHold: 4,
  nginxDelete: 4,
};

/** The registry sidecars the library adds, by app wait and Kubernetes version. */
const REGISTRY_SIDECARS: Array<[AppWait, KubernetesVersion]> = [
  [AppWait.HTTP_GET, KubernetesVersion.V1_28],
  [AppWait.HTTP_GET, KubernetesVersion.V1_29],
  [AppWait.DONE_FILE, KubernetesVersion.V1_28],
];

/** How late a hook sidecar's CGI starts after the hold (the kubelet's httpGet, then httpd's fork). */
const cgiDelay = fc.integer({ min: 0, max: 1500 });

export async function runSuite(size: SuiteSize, seed: number, concurrency: number, onReport?: (r: RunReport) => void): Promise<Ledger> {
  const ledger = new Ledger();
  const sample = <T>(arb: fc.Arbitrary<T>, n: number, salt: number) => (n > 0 ? fc.sample(arb, { seed: seed + salt, numRuns: n }) : []);
  const tasks: Array<() => Promise<RunReport>> = [
    ...sample(envoyCase, size.envoyPreStop, 1).map(c => () => runEnvoyPreStop(c)),
    ...sample(fc.tuple(envoyCase, cgiDelay), size.drainManagerHold, 2).map(([c, d]) => () => runDrainManagerHold(c, d)),
    ...sample(istioCase, size.istioAppPreStop, 3).map(c => () => runIstioAppPreStop(c)),
    ...sample(istioCase, size.istioProxyHold, 4).map(c => () => runIstioProxyHold(c)),
    ...sample(registryCase, size.registryPreStop, 5).map(c => () => runRegistryPreStop(c)),
    ...sample(fc.tuple(registryCase, cgiDelay), size.registryTriggerHold, 6).map(([c, d]) => () => runRegistryTriggerHold(c, d)),
    ...sample(nginxCase, size.nginxDelete, 7).map(c => () => runNginxDelete(c)),
    ...(canUnsharePid() ? [
      ...[KubernetesVersion.V1_28, KubernetesVersion.V1_29].map(v => () => runDrainManagerPid1(v)),
      ...REGISTRY_SIDECARS.map(([w, v]) => () => runRegistrySidecarPid1(w, v)),
    ] : []),
  ];
  await runLimited(concurrency, tasks.map(t => async () => {
    const r = await t();
    ledger.add(r);
    onReport?.(r);
    return r;
  }));
  return ledger;
}
