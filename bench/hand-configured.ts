/**
 * The benchmark's baseline: what a platform team writes without this library. Given the objects a
 * pattern synthesizes, it builds the same objects by hand with plain cdk8s-plus-28 (L2 Deployment,
 * containers, probes, volumes, ConfigMaps, Services; the L1 PodDisruptionBudget, as cdk8s-plus-28
 * has no L2 one) from literal values, the way a hand-written app spells out each field.
 * Values are read once, outside the timed loop.
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/** Fields cdk8s-plus sets on every container. */
const CONTAINER_DEFAULTS = ['resources', 'securityContext', 'imagePullPolicy'];

const seconds = (n: number | undefined) => (n === undefined ? undefined : Duration.seconds(n));

function cpu(v: string | undefined): kplus.Cpu | undefined {
  if (v === undefined) return undefined;
  return v.endsWith('m') ? kplus.Cpu.millis(Number(v.slice(0, -1))) : kplus.Cpu.units(Number(v));
}

function memory(v: string | undefined): Size | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(Mi|Gi)$/.exec(v);
  if (!m) throw new Error(`memory ${v}`);
  return m[2] === 'Mi' ? Size.mebibytes(Number(m[1])) : Size.gibibytes(Number(m[1]));
}

function handler(h: any): kplus.Handler | undefined {
  if (!h) return undefined;
  if (h.exec) return kplus.Handler.fromCommand(h.exec.command);
  if (h.httpGet) return kplus.Handler.fromHttpGet(h.httpGet.path, { port: h.httpGet.port });
  // The sleep action (1.30+) has no cdk8s-plus-28 handler: by hand it is an exec sleep.
  if (h.sleep) return kplus.Handler.fromCommand(['sleep', String(h.sleep.seconds)]);
  throw new Error(`handler ${JSON.stringify(h)}`);
}

function probe(p: any): kplus.Probe | undefined {
  if (!p) return undefined;
  const opts = {
    periodSeconds: seconds(p.periodSeconds),
    failureThreshold: p.failureThreshold,
    timeoutSeconds: seconds(p.timeoutSeconds),
    initialDelaySeconds: seconds(p.initialDelaySeconds),
    successThreshold: p.successThreshold,
  };
  if (p.exec) return kplus.Probe.fromCommand(p.exec.command, opts);
  if (p.httpGet) return kplus.Probe.fromHttpGet(p.httpGet.path, { ...opts, port: p.httpGet.port });
  if (p.tcpSocket) return kplus.Probe.fromTcpSocket({ ...opts, port: p.tcpSocket.port });
  throw new Error(`probe ${JSON.stringify(p)}`);
}

function env(scope: Construct, list: any[] | undefined): Record<string, kplus.EnvValue> | undefined {
  if (!list) return undefined;
  const out: Record<string, kplus.EnvValue> = {};
  for (const e of list) {
    if (e.value !== undefined) {
      out[e.name] = kplus.EnvValue.fromValue(e.value);
    } else if (e.valueFrom?.fieldRef) {
      out[e.name] = kplus.EnvValue.fromFieldRef(e.valueFrom.fieldRef.fieldPath);
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const id = `secret-${e.name}`;
      const secret = (scope.node.tryFindChild(id) as kplus.ISecret | undefined) ?? kplus.Secret.fromSecretName(scope, id, ref.name);
      out[e.name] = kplus.EnvValue.fromSecretValue({ secret, key: ref.key });
    } else {throw new Error(`env ${JSON.stringify(e)}`);}
  }
  return out;
}

function containerProps(scope: Construct, c: any): kplus.ContainerProps {
  const sc = c.securityContext ?? {};
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    imagePullPolicy: c.imagePullPolicy,
    ports: c.ports?.map((p: any) => ({ number: p.containerPort, name: p.name, protocol: p.protocol })),
    envVariables: env(scope, c.env),
    resources: c.resources ? {
      cpu: c.resources.requests?.cpu || c.resources.limits?.cpu
        ? { request: cpu(c.resources.requests?.cpu), limit: cpu(c.resources.limits?.cpu) }
        : undefined,
      memory: { request: memory(c.resources.requests?.memory), limit: memory(c.resources.limits?.memory) },
    } : undefined,
    lifecycle: c.lifecycle ? { preStop: handler(c.lifecycle.preStop), postStart: handler(c.lifecycle.postStart) } : undefined,
    readiness: probe(c.readinessProbe),
    liveness: probe(c.livenessProbe),
    startup: probe(c.startupProbe),
    restartPolicy: c.restartPolicy === 'Always' ? kplus.ContainerRestartPolicy.ALWAYS : undefined,
    securityContext: {
      ensureNonRoot: sc.runAsNonRoot,
      readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
      allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
      privileged: sc.privileged,
      user: sc.runAsUser,
      group: sc.runAsGroup,
    },
  };
}

/** Builds `objects` (one synthesized pattern instance) by hand under `scope`. */
export function buildByHand(scope: Construct, id: string, objects: any[]): void {
  const group = new Construct(scope, id);
  const configMaps = new Map<string, kplus.ConfigMap>();
  for (const o of objects.filter(x => x.kind === 'ConfigMap')) {
    configMaps.set(o.metadata.name, new kplus.ConfigMap(group, `cm${configMaps.size}`, { data: o.data }));
  }
  let deployment: kplus.Deployment | undefined;
  for (const o of objects) {
    switch (o.kind) {
      case 'ConfigMap':
        break;
      case 'Deployment': {
        const tpl = o.spec.template;
        const spec = tpl.spec;
        const ru = o.spec.strategy?.rollingUpdate;
        const annotations = { ...tpl.metadata?.annotations };
        const labels = { ...tpl.metadata?.labels };
        delete labels['cdk8s.io/metadata.addr'];
        const d = deployment = new kplus.Deployment(group, 'Deployment', {
          replicas: o.spec.replicas,
          terminationGracePeriod: seconds(spec.terminationGracePeriodSeconds),
          strategy: ru ? kplus.DeploymentStrategy.rollingUpdate({
            maxSurge: kplus.PercentOrAbsolute.absolute(ru.maxSurge),
            maxUnavailable: kplus.PercentOrAbsolute.absolute(ru.maxUnavailable),
          }) : undefined,
          podMetadata: { annotations, labels },
          securityContext: spec.securityContext ? {
            ensureNonRoot: spec.securityContext.runAsNonRoot,
            user: spec.securityContext.runAsUser,
            group: spec.securityContext.runAsGroup,
            fsGroup: spec.securityContext.fsGroup,
          } : undefined,
        });
        const volumes = new Map<string, kplus.Volume>();
        for (const v of spec.volumes ?? []) {
          if (v.emptyDir) volumes.set(v.name, kplus.Volume.fromEmptyDir(group, `vol-${v.name}`, v.name, { medium: v.emptyDir.medium }));
          else if (v.configMap) volumes.set(v.name, kplus.Volume.fromConfigMap(group, `vol-${v.name}`, configMaps.get(v.configMap.name) ?? kplus.ConfigMap.fromConfigMapName(group, `ref-${v.name}`, v.configMap.name), { name: v.name }));
          else throw new Error(`volume ${JSON.stringify(v)}`);
        }
        const add = (c: any, init: boolean, index: number) => {
          const container = init ? d.addInitContainer(containerProps(group, c)) : d.addContainer(containerProps(group, c));
          for (const m of c.volumeMounts ?? []) container.mount(m.mountPath, volumes.get(m.name)!, { readOnly: m.readOnly, subPath: m.subPath });
          // cdk8s-plus gives every container these defaults; a container that must not carry them
          // (Istio's declared istio-proxy, which Istio merges into the injected one) gets them
          // removed by patch, as a hand-written app would have to.
          for (const field of CONTAINER_DEFAULTS) {
            if (c[field] === undefined) ApiObject.of(d).addJsonPatch(JsonPatch.remove(`/spec/template/spec/${init ? 'initContainers' : 'containers'}/${index}/${field}`));
          }
        };
        (spec.containers ?? []).forEach((c: any, i: number) => add(c, false, i));
        (spec.initContainers ?? []).forEach((c: any, i: number) => add(c, true, i));
        break;
      }
      case 'Service': {
        const service = new kplus.Service(group, 'Service', {
          selector: deployment,
          type: o.spec.type as kplus.ServiceType,
          ports: o.spec.ports.map((p: any) => ({ port: p.port, targetPort: p.targetPort, name: p.name, nodePort: p.nodePort, protocol: p.protocol })),
        });
        // appProtocol is in the 1.28 schema but not in cdk8s-plus-28's ServicePort: by patch.
        o.spec.ports.forEach((p: any, i: number) => {
          if (p.appProtocol !== undefined) ApiObject.of(service).addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, p.appProtocol));
        });
        break;
      }
      case 'PodDisruptionBudget':
        new kplus.k8s.KubePodDisruptionBudget(group, 'Budget', {
          spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(o.spec.maxUnavailable), selector: o.spec.selector },
        });
        break;
      default:
        throw new Error(`the hand-configured baseline has no mapping for ${o.kind}: add one to bench/hand-configured.ts`);
    }
  }
}
