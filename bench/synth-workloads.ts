/**
 * The workloads the synthesis benchmark builds: each pattern twice, once through this library and
 * once as plain cdk8s-plus-28 objects configured by hand with the same fields (the same grace period,
 * strategy, annotation, resources, preStop text, budget and Service), so the ratio is what the
 * library itself costs.
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GracefulWorkload, PosixScript, PreStopHook, ShutdownPlan, Step } from '../src';

export interface BenchPattern {
  readonly name: string;
  /** Builds workload number `i` through the library. */
  graceful(scope: Construct, i: number): void;
  /** Builds workload number `i` by hand, with the same fields. */
  plain(scope: Construct, i: number): void;
}

function webPlan(i: number): ShutdownPlan {
  return ShutdownPlan.standard({
    propagation: Duration.seconds(10),
    maxDrain: Duration.seconds(20 + (i % 5)),
    stopTimeout: Duration.seconds(5),
  });
}

function webScript(plan: ShutdownPlan): PosixScript {
  return new PosixScript({ name: 'web-prestop', deadline: plan.preStopDeadline })
    .add(Step.sleepUntil(plan.endOf('propagate'), 'endpoint removal reaches every proxy'));
}

/** What a hand-written manifest would carry: computed once, outside the timed loop. */
const handWritten = new Map<number, { grace: number; script: string; annotation: string }>();
function handWrittenFields(i: number) {
  const key = i % 5;
  let f = handWritten.get(key);
  if (!f) {
    const plan = webPlan(i);
    f = {
      grace: plan.terminationGracePeriodSeconds,
      script: webScript(plan).render(),
      annotation: GracefulWorkload.planAnnotation(plan),
    };
    handWritten.set(key, f);
  }
  return f;
}

export const GRACEFUL_WORKLOAD: BenchPattern = {
  name: 'workload',
  graceful(scope, i) {
    const plan = webPlan(i);
    const w = new GracefulWorkload(scope, `web-${i}`, { plan });
    w.addContainer({ name: 'app', image: 'ghcr.io/example/web:1', portNumber: 8080, preStop: PreStopHook.script(webScript(plan)) });
    w.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  },
  plain(scope, i) {
    const f = handWrittenFields(i);
    const group = new Construct(scope, `web-${i}`);
    const d = new kplus.Deployment(group, 'Deployment', {
      replicas: 2,
      terminationGracePeriod: Duration.seconds(f.grace),
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      podMetadata: { annotations: { 'graceful-shutdown.cdk8s.io/plan': f.annotation } },
    });
    d.addContainer({
      name: 'app',
      image: 'ghcr.io/example/web:1',
      portNumber: 8080,
      resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) } },
      lifecycle: { preStop: kplus.Handler.fromCommand(['/bin/sh', '-c', f.script]) },
    });
    new kplus.k8s.KubePodDisruptionBudget(group, 'Budget', {
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: d.matchLabels } },
    });
    d.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  },
};

/** The patterns the benchmark mixes, round robin. */
export const PATTERNS: BenchPattern[] = [GRACEFUL_WORKLOAD];
