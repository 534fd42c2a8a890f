import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import * as YAML from 'yaml';
import { GracefulWorkload } from '../workload';

/**
 * What the chart says about itself (Chart.yaml).
 */
export interface HelmChartProps {
  /**
   * The chart's name (Chart.yaml `name`): lowercase letters, digits and dashes.
   */
  readonly name: string;

  /**
   * The chart's version (Chart.yaml `version`), a SemVer 2 version such as `1.4.0`.
   */
  readonly version: string;

  /**
   * The version of the application the chart deploys (Chart.yaml `appVersion`).
   *
   * @default - the chart's version
   */
  readonly appVersion?: string;

  /**
   * One line on what the chart deploys (Chart.yaml `description`).
   *
   * @default - "Kubernetes workloads whose termination settings are derived from one shutdown plan"
   */
  readonly description?: string;
}

/**
 * One workload of the chart as values.yaml exposes it.
 */
export interface HelmWorkloadValues {
  /** The key under `workloads:` in values.yaml. */
  readonly key: string;
  /** The workload's kind, e.g. `Deployment`. */
  readonly kind: string;
  /** Its name before the release prefix. */
  readonly name: string;
  /**
   * The replicas value.
   *
   * @default - none: the kind has no replicas (a Job, a DaemonSet)
   */
  readonly replicas?: number;
  /** Container name to image, init containers (native sidecars) included. */
  readonly images: { [container: string]: string };
}

/**
 * A cdk8s app as a Helm chart that a Helm user can install twice in one namespace.
 *
 * - Chart.yaml from the props; `templates/<chart>.k8s.yaml` per cdk8s chart.
 * - Every object name is prefixed with the release name, and every reference to an object of the
 *   app (Service and PodDisruptionBudget selectors, ConfigMap/Secret/PVC volumes, envFrom and env
 *   references, serviceAccountName, imagePullSecrets, Ingress backends, HPA targets, RoleBinding
 *   subjects and roles) follows, so two releases do not collide. Pod templates carry an
 *   `app.kubernetes.io/instance` label, and the selectors that select them match it too.
 * - values.yaml holds each workload's replicas and container images; nothing else. Shutdown
 *   timings are derived from the plan together with the grace period, the hook deadlines and the
 *   proxy settings; a value for one of them would let the numbers disagree again.
 * - values.schema.json refuses unknown keys at every level, so a misspelt `--set` fails.
 * - NOTES.txt prints each workload's shutdown timeline after `helm install`.
 *
 * At the default values, `helm template` renders exactly the objects `app.synth()` writes, except
 * for the release prefix on names and the instance label. Names inside free text (scripts, URLs
 * in env values) are not rewritten; the library's own scripts address only their own pod.
 */
export class HelmChart {
  /**
   * Builds the chart from every chart of a cdk8s app. Runs the app's validations first (as
   * `app.synth()` does), so the consistency checks still fail a bad app.
   */
  public static fromApp(app: App, props: HelmChartProps): HelmChart {
    return new HelmChart(app, props);
  }

  /** The chart's files, by path relative to the chart's folder. */
  public readonly files: { [file: string]: string };

  /** The workloads values.yaml exposes, in the order of the app. */
  public readonly workloads: HelmWorkloadValues[];

  private constructor(app: App, props: HelmChartProps) {
    checkChartProps(props);
    const errors = app.node.findAll().flatMap(c => c.node.validate().map(e => `${c.node.path}: ${e}`));
    if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);

    const charts = app.charts.map(chart => ({ chart, objects: chart.toJson() as any[] }));
    const all = charts.flatMap(c => c.objects);
    const index = new AppIndex(all);
    const paths = apiObjectPaths(app);
    const plans = workloadPlans(app);

    const workloads: HelmWorkloadValues[] = [];
    const templates: { [file: string]: string } = {};
    const notes: string[] = [];
    for (const { chart, objects } of charts) {
      const placeholders = new Placeholders();
      const rendered = objects.map(o => {
        const copy = JSON.parse(JSON.stringify(o));
        scopeObject(copy, index, placeholders);
        const workload = exposeWorkload(copy, o, paths, workloads, placeholders);
        if (workload) {
          workloads.push(workload);
          notes.push(noteFor(workload, o, plans.get(`${o.kind}/${o.metadata.name}`)));
        }
        return copy;
      });
      // cdk8s's own writer (YAML 1.1, as Helm and Kubernetes read it: `on` and `yes` stay strings).
      templates[`templates/${chartFileName(chart)}`] = placeholders.render(Yaml.stringify(...rendered));
    }

    const values = { workloads: Object.fromEntries(workloads.map(w => [w.key, workloadValues(w)])) };
    this.workloads = workloads;
    this.files = {
      'Chart.yaml': yaml11({
        apiVersion: 'v2',
        name: props.name,
        description: props.description ?? 'Kubernetes workloads whose termination settings are derived from one shutdown plan',
        type: 'application',
        version: props.version,
        appVersion: props.appVersion ?? props.version,
      }),
      'values.yaml': VALUES_HEADER + yaml11(values),
      'values.schema.json': JSON.stringify(valuesSchema(workloads), undefined, 2) + '\n',
      'templates/NOTES.txt': NOTES_HEADER + notes.join('\n'),
      ...templates,
    };
  }

  /**
   * Writes the chart's files into a folder (created when missing; files of an earlier chart in
   * templates/ are removed first, so a renamed cdk8s chart leaves no stale template).
   *
   * @returns the paths written
   */
  public writeTo(outdir: string): string[] {
    fs.rmSync(path.join(outdir, 'templates'), { recursive: true, force: true });
    return Object.entries(this.files).map(([file, text]) => {
      const target = path.join(outdir, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      return target;
    });
  }
}

/** Helm reads Chart.yaml and values.yaml as YAML 1.1: `on`, `yes` or `1.10` must stay strings. */
function yaml11(value: object): string {
  return YAML.stringify(value, { lineWidth: 0, version: '1.1' });
}

const VALUES_HEADER = `# Each workload's replicas and container images, by workload.
# Shutdown timings (grace period, hook deadlines, drain and proxy settings) are not values: they are
# derived together from each workload's shutdown plan, and NOTES.txt prints them.
`;

const NOTES_HEADER = `Release {{ .Release.Name }}: every workload's termination settings come from its shutdown plan.
Timeline of each pod's termination (t=0 is the deletion; SIGKILL ends the grace period):
`;

/** Hex digits of the release name's SHA-256 that stand for the cut part of a long release name. */
const RELEASE_HASH_LENGTH = 5;

/**
 * The release name as a prefix of `name` (a Go template pipeline), so that the whole name stays a
 * 63-character DNS label while the object's own name, whose hash suffix keeps it unique, stays
 * whole. A release name that does not fit is cut and ends in a few hex digits of its SHA-256:
 * cut alone, `shop-frontend-blue` and `shop-frontend-green` would both become `shop-frontend-`
 * and their objects would collide in one namespace.
 */
function scopedName(name: string): string {
  const room = 63 - name.length - 1;
  if (room < RELEASE_HASH_LENGTH + 2) {
    throw new Error(`HelmChart: the object name '${name}' (${name.length} characters) leaves too little room for the release name in 63 (at least ${RELEASE_HASH_LENGTH + 2}); shorten the construct ids on its path.`);
  }
  const hashed = `printf "%s-%s" (.Release.Name | trunc ${room - RELEASE_HASH_LENGTH - 1} | trimSuffix "-") (.Release.Name | sha256sum | trunc ${RELEASE_HASH_LENGTH})`;
  return `printf "%s-%s" (ternary .Release.Name (${hashed}) (le (len .Release.Name) ${room})) ${JSON.stringify(name)}`;
}

function scopedNameExpression(name: string): string {
  return `{{ ${scopedName(name)} | quote }}`;
}

const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * Kinds whose name is their meaning, not a label: a CRD is named `<plural>.<group>`, an APIService
 * `<version>.<group>`, and a Namespace is what other objects name in `metadata.namespace`. They keep
 * their names (two releases share them, as Helm charts shipping CRDs do).
 */
const FIXED_NAME_KINDS = new Set(['CustomResourceDefinition', 'APIService', 'Namespace']);
const RELEASE_NAME = '{{ .Release.Name | quote }}';

/** Template text stands in the objects as tokens until they are written as YAML. */
class Placeholders {
  private readonly byToken = new Map<string, string>();

  public add(template: string): string {
    const token = `gs-helm-placeholder-${this.byToken.size}-x`;
    this.byToken.set(token, template);
    return token;
  }

  /** YAML text with the tokens replaced; `{{` of the app's own text is escaped for Go templates. */
  public render(yamlText: string): string {
    const escaped = yamlText.split('{{').join('{{ "{{" }}');
    return escaped.replace(/gs-helm-placeholder-\d+-x/g, token => {
      const template = this.byToken.get(token);
      if (template === undefined) throw new Error(`HelmChart: unknown placeholder ${token}`);
      return template;
    });
  }
}

/**
 * What the app defines: the names by kind (only references to these are scoped) and the labels of
 * its pod templates (only selectors that select one of them get the release's label).
 */
class AppIndex {
  private readonly defined = new Set<string>();
  private readonly podLabels: Record<string, string>[] = [];

  constructor(objects: any[]) {
    for (const o of objects) {
      this.defined.add(`${o.kind}/${o.metadata?.name}`);
      const template = podTemplateOf(o);
      if (template && template !== o) this.podLabels.push(template.metadata?.labels ?? {});
    }
  }

  public has(kind: string, name: unknown): name is string {
    return typeof name === 'string' && !FIXED_NAME_KINDS.has(kind) && this.defined.has(`${kind}/${name}`);
  }

  /** Whether a (non-empty) label selector selects pods of the app. */
  public selectsAppPods(selector: Record<string, string> | undefined): boolean {
    const wanted = Object.entries(selector ?? {});
    return wanted.length > 0 && this.podLabels.some(labels => wanted.every(([k, v]) => labels[k] === v));
  }
}

/** The path of a pod spec inside each kind that has one. */
function podTemplateOf(o: any): { metadata?: any; spec?: any } | undefined {
  switch (o.kind) {
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job':
      return o.spec?.template;
    case 'CronJob':
      return o.spec?.jobTemplate?.spec?.template;
    case 'Pod':
      return o;
    default:
      return undefined;
  }
}

function scopeObject(o: any, app: AppIndex, placeholders: Placeholders): void {
  const scope = (holder: any, key: string, kind: string) => {
    if (holder && app.has(kind, holder[key])) holder[key] = placeholders.add(scopedNameExpression(holder[key]));
  };
  if (!FIXED_NAME_KINDS.has(o.kind)) o.metadata.name = placeholders.add(scopedNameExpression(o.metadata.name));
  o.metadata.labels = { ...o.metadata.labels, [INSTANCE_LABEL]: placeholders.add(RELEASE_NAME) };

  const template = podTemplateOf(o);
  if (template) {
    if (template !== o) {
      template.metadata = template.metadata ?? {};
      template.metadata.labels = { ...template.metadata.labels, [INSTANCE_LABEL]: placeholders.add(RELEASE_NAME) };
      if (o.spec?.selector?.matchLabels) o.spec.selector.matchLabels[INSTANCE_LABEL] = placeholders.add(RELEASE_NAME);
    }
    const pod = template.spec ?? {};
    scope(pod, 'serviceAccountName', 'ServiceAccount');
    for (const s of pod.imagePullSecrets ?? []) scope(s, 'name', 'Secret');
    for (const v of pod.volumes ?? []) {
      scope(v.configMap, 'name', 'ConfigMap');
      scope(v.secret, 'secretName', 'Secret');
      scope(v.persistentVolumeClaim, 'claimName', 'PersistentVolumeClaim');
      for (const source of v.projected?.sources ?? []) {
        scope(source.configMap, 'name', 'ConfigMap');
        scope(source.secret, 'name', 'Secret');
      }
    }
    for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
      for (const e of c.envFrom ?? []) {
        scope(e.configMapRef, 'name', 'ConfigMap');
        scope(e.secretRef, 'name', 'Secret');
      }
      for (const e of c.env ?? []) {
        scope(e.valueFrom?.configMapKeyRef, 'name', 'ConfigMap');
        scope(e.valueFrom?.secretKeyRef, 'name', 'Secret');
      }
    }
  }

  switch (o.kind) {
    case 'Service':
      if (app.selectsAppPods(o.spec?.selector)) o.spec.selector[INSTANCE_LABEL] = placeholders.add(RELEASE_NAME);
      break;
    case 'PodDisruptionBudget':
      if (app.selectsAppPods(o.spec?.selector?.matchLabels)) o.spec.selector.matchLabels[INSTANCE_LABEL] = placeholders.add(RELEASE_NAME);
      break;
    case 'Ingress':
      scope(o.spec?.defaultBackend?.service, 'name', 'Service');
      for (const rule of o.spec?.rules ?? []) for (const p of rule.http?.paths ?? []) scope(p.backend?.service, 'name', 'Service');
      break;
    case 'HorizontalPodAutoscaler':
      if (o.spec?.scaleTargetRef) scope(o.spec.scaleTargetRef, 'name', o.spec.scaleTargetRef.kind);
      break;
    case 'RoleBinding': case 'ClusterRoleBinding':
      if (o.roleRef) scope(o.roleRef, 'name', o.roleRef.kind);
      for (const s of o.subjects ?? []) if (s.kind === 'ServiceAccount') scope(s, 'name', 'ServiceAccount');
      break;
  }
}

/** values.yaml entries for a workload: its replicas and images become template lookups. */
function exposeWorkload(
  copy: any, original: any, paths: Map<string, string>, earlier: HelmWorkloadValues[], placeholders: Placeholders,
): HelmWorkloadValues | undefined {
  const template = podTemplateOf(copy);
  if (!template || template === copy) return undefined;
  const name = original.metadata.name;
  const key = valuesKey(paths.get(`${original.kind}/${name}`) ?? name, original.kind);
  const clash = earlier.find(w => w.key === key);
  if (clash) throw new Error(`HelmChart: ${original.kind} ${name} and ${clash.kind} ${clash.name} would share the values key '${key}'; give one of them another construct id.`);
  const lookup = (...keys: string[]) => `index .Values.workloads ${[key, ...keys].map(k => JSON.stringify(k)).join(' ')}`;

  const images: { [container: string]: string } = {};
  for (const c of [...(template.spec?.containers ?? []), ...(template.spec?.initContainers ?? [])]) {
    if (typeof c.image !== 'string') continue;
    images[c.name] = c.image;
    c.image = placeholders.add(`{{ ${lookup('images', c.name)} | quote }}`);
  }
  let replicas: number | undefined;
  if (typeof copy.spec?.replicas === 'number') {
    replicas = copy.spec.replicas;
    copy.spec.replicas = placeholders.add(`{{ ${lookup('replicas')} }}`);
  }
  return { key, kind: original.kind, name, replicas, images };
}

function workloadValues(w: HelmWorkloadValues): object {
  return w.replicas === undefined ? { images: w.images } : { replicas: w.replicas, images: w.images };
}

/** A key a person can type: the construct path without the chart-internal segments. */
function valuesKey(constructPath: string, kind: string): string {
  const segments = constructPath.split('/').filter(s => s !== 'Resource' && s !== 'Default' && s !== kind);
  return segments.filter((s, i) => s !== segments[i - 1]).join('-');
}

function apiObjectPaths(app: App): Map<string, string> {
  const paths = new Map<string, string>();
  for (const c of app.node.findAll()) {
    if (c instanceof ApiObject) paths.set(`${c.kind}/${c.name}`, c.node.path);
  }
  return paths;
}

/** The shutdown plan of each GracefulWorkload's Deployment. */
function workloadPlans(app: App): Map<string, string> {
  const plans = new Map<string, string>();
  for (const c of app.node.findAll() as IConstruct[]) {
    if (c instanceof GracefulWorkload) plans.set(`Deployment/${ApiObject.of(c.deployment).name}`, c.plan.toString());
  }
  return plans;
}

function noteFor(w: HelmWorkloadValues, original: any, plan: string | undefined): string {
  const header = `\n== ${w.key}: ${w.kind} {{ ${scopedName(w.name)} }}`;
  const grace = podTemplateOf(original)?.spec?.terminationGracePeriodSeconds;
  const body = plan ?? `no shutdown plan (terminationGracePeriodSeconds: ${grace ?? 'the Kubernetes default, 30'})`;
  return `${header}\n${body.split('{{').join('{{ "{{" }}')}\n`;
}

function valuesSchema(workloads: HelmWorkloadValues[]): object {
  const closed = (properties: object, required: string[]) => ({ type: 'object', additionalProperties: false, required, properties });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'values of a chart built by cdk8s-graceful-shutdown (HelmChart.fromApp)',
    ...closed({
      workloads: closed(
        Object.fromEntries(workloads.map(w => {
          const images = closed(Object.fromEntries(Object.keys(w.images).map(c => [c, { type: 'string', minLength: 1 }])), Object.keys(w.images));
          return [w.key, w.replicas === undefined
            ? closed({ images }, ['images'])
            : closed({ replicas: { type: 'integer', minimum: 0 }, images }, ['replicas', 'images'])];
        })),
        workloads.map(w => w.key)),
    }, ['workloads']),
  };
}

function chartFileName(chart: Chart): string {
  return `${chart.node.path.split('/').join('-')}.k8s.yaml`;
}

function checkChartProps(props: HelmChartProps): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.name)) {
    throw new Error(`HelmChart: name '${props.name}' is not a chart name; use lowercase letters, digits and dashes (e.g. 'web-platform').`);
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(props.version)) {
    throw new Error(`HelmChart: version '${props.version}' is not a SemVer 2 version; use e.g. '1.0.0'.`);
  }
}
