import { ApiObject, Duration, JsonPatch, Testing } from 'cdk8s';
import { GracefulWorkload, KubernetesVersion, PhaseKind, PosixScript, PreStopHook, ShutdownPlan, Step } from '../../src';
import { addJsonRewrite } from '../../src/workload/schema-escape';
import { containerOf, only, preStopScript, synthValid } from '../util/synth';

function build(version?: KubernetesVersion) {
  const chart = Testing.chart();
  const plan = ShutdownPlan.standard({ propagation: Duration.seconds(12), maxDrain: Duration.seconds(30), stopTimeout: Duration.seconds(3) });
  const w = new GracefulWorkload(chart, 'web', { plan, kubernetesVersion: version });
  return { chart, plan, w };
}

describe('GracefulWorkload', () => {
  test('grace period, rolling update, PDB and plan annotation come from the plan', () => {
    const { chart, w, plan } = build();
    w.addContainer({
      name: 'app',
      image: 'example/app:1',
      portNumber: 8080,
      preStop: PreStopHook.script(new PosixScript({ name: 'app', deadline: plan.preStopDeadline }).add(Step.sleepUntil(plan.endOf('propagate'), 'propagation'))),
    });
    w.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
    const objects = synthValid(chart);
    const dep = only(objects, 'Deployment');
    expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(47);
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(dep.spec.replicas).toBe(2);
    const annotation = JSON.parse(dep.spec.template.metadata.annotations['graceful-shutdown.cdk8s.io/plan']);
    expect(annotation.gracePeriodSeconds).toBe(47);
    expect(annotation.phases.map((p: any) => [p.name, p.start, p.end])).toEqual([['propagate', 0, 12], ['drain', 12, 42], ['stop', 42, 45], ['margin', 45, 47]]);
    const app = containerOf(dep, 'app');
    expect(preStopScript(app)).toContain('gs_deadline=$((gs_start + 42))');
    expect(app.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    expect(app.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(app.securityContext.runAsNonRoot).toBe(true);
    const pdb = only(objects, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
    expect(only(objects, 'Service').spec.ports).toEqual([{ port: 80, targetPort: 8080 }]);
  });

  test('the plan annotation is the timeline: every phase with its window and flags, in order', () => {
    const plan = new ShutdownPlan({
      phases: [
        { kind: PhaseKind.DEREGISTER, name: 'offline', description: 'leave the registry', bound: Duration.millis(1500) },
        { kind: PhaseKind.DRAIN, description: 'drain "quoted"', bound: Duration.seconds(30), endsEarly: true },
        { kind: PhaseKind.STOP, description: 'stop', bound: Duration.seconds(3), inPreStop: true },
        { kind: PhaseKind.MARGIN, description: 'margin', bound: Duration.seconds(0) },
      ],
      terminationGracePeriod: Duration.seconds(40),
    });
    const expected = {
      gracePeriodSeconds: 40,
      phases: plan.timeline().filter(r => r.kind).map(r => ({
        name: r.name,
        kind: r.kind,
        start: r.startMillis / 1000,
        end: r.endMillis / 1000,
        ...(r.inPreStop ? { preStop: true } : {}),
        ...(r.endsEarly ? { endsEarly: true } : {}),
        description: r.description,
      })),
    };
    const text = GracefulWorkload.planAnnotation(plan);
    expect(JSON.parse(text)).toEqual(expected);
    expect(text).toBe(JSON.stringify(expected)); // key order too: the CLI's reader and diffs see one form
    expect(expected.phases.map(p => [p.name, p.start, p.end])).toEqual([['offline', 0, 1.5], ['drain', 1.5, 31.5], ['stop', 31.5, 34.5], ['margin', 34.5, 34.5]]);
  });

  test('sleep hook: exec sleep on 1.28, the sleep action on 1.30 survives synthesis', () => {
    for (const [version, expected] of [
      [KubernetesVersion.V1_28, { exec: { command: ['sleep', '12'] } }],
      [KubernetesVersion.V1_30, { sleep: { seconds: 12 } }],
    ] as const) {
      const { chart, w } = build(version);
      w.addContainer({ name: 'app', image: 'example/app:1', preStop: PreStopHook.sleep(Duration.seconds(12)) });
      const dep = only(synthValid(chart), 'Deployment');
      expect(containerOf(dep, 'app').lifecycle.preStop).toEqual(expected);
    }
  });

  test('why the schema escape exists: cdk8s-plus-28 drops a JSON patch that adds a field its schema lacks', () => {
    const { chart, w } = build(KubernetesVersion.V1_28);
    w.addContainer({ name: 'app', image: 'example/app:1' });
    const api = ApiObject.of(w.deployment);
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { sleep: { seconds: 5 } } }));
    api.addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 7)); // in the schema: kept
    const dep = only(Testing.synth(chart), 'Deployment');
    expect(dep.spec.minReadySeconds).toBe(7);
    expect(containerOf(dep, 'app').lifecycle?.preStop?.sleep).toBeUndefined();
  });

  test('sidecars are native (restartPolicy Always init containers) from 1.29, ordinary before', () => {
    for (const [version, native] of [[KubernetesVersion.V1_28, false], [KubernetesVersion.V1_29, true]] as const) {
      const { chart, w } = build(version);
      w.addContainer({ name: 'app', image: 'example/app:1' });
      w.addSidecar({ name: 'helper', image: 'busybox:1.36' });
      const spec = only(synthValid(chart), 'Deployment').spec.template.spec;
      expect(w.usesNativeSidecars).toBe(native);
      if (native) {
        expect(spec.initContainers).toHaveLength(1);
        expect(spec.initContainers[0]).toMatchObject({ name: 'helper', restartPolicy: 'Always' });
        expect(spec.containers.map((c: any) => c.name)).toEqual(['app']);
      } else {
        expect(spec.initContainers ?? []).toHaveLength(0);
        expect(spec.containers.map((c: any) => c.name)).toEqual(['app', 'helper']);
      }
    }
  });

  test('a pinned grace period that is too short fails with the construct path', () => {
    const chart = Testing.chart();
    expect(() => new GracefulWorkload(chart, 'web', {
      plan: ShutdownPlan.standard({ maxDrain: Duration.seconds(30), terminationGracePeriod: Duration.seconds(30) }),
    })).toThrow(/terminationGracePeriod 30s is shorter than the plan's 42s/);
    expect(() => new GracefulWorkload(chart, 'bad', { plan: ShutdownPlan.standard(), replicas: -1 })).toThrow(/^test\/bad: replicas -1/);
  });

  test('KubernetesVersion parses and refuses', () => {
    expect(KubernetesVersion.of('v1.30.2').supportsSleepAction).toBe(true);
    expect(KubernetesVersion.of('1.29').supportsSleepAction).toBe(false);
    expect(KubernetesVersion.of('1.29').supportsNativeSidecars).toBe(true);
    expect(() => KubernetesVersion.of('1.27')).toThrow(/older than 1.28/);
    expect(() => KubernetesVersion.of('latest')).toThrow(/not a Kubernetes version/);
  });

  test('shareProcessNamespace reaches the pod spec', () => {
    const chart = Testing.chart();
    const w = new GracefulWorkload(chart, 'web', { plan: ShutdownPlan.standard(), shareProcessNamespace: true });
    w.addContainer({ name: 'app', image: 'example/app:1' });
    expect(only(synthValid(chart), 'Deployment').spec.template.spec.shareProcessNamespace).toBe(true);
  });
});

describe('addJsonRewrite', () => {
  test('one toJson wrapper; rewrites run in the order added, each name once', () => {
    const chart = Testing.chart();
    const obj = new ApiObject(chart, 'o', { apiVersion: 'v1', kind: 'ConfigMap', data: { trail: '' } });
    addJsonRewrite(obj, 'a', j => ({ ...j, data: { trail: `${j.data.trail}a` } }));
    addJsonRewrite(obj, 'b', j => ({ ...j, data: { trail: `${j.data.trail}b` } }));
    addJsonRewrite(obj, 'a', j => ({ ...j, data: { trail: `${j.data.trail}A` } }));
    expect(obj.toJson().data.trail).toBe('ab');
    expect(Testing.synth(chart)[0].data.trail).toBe('ab');
  });
});
