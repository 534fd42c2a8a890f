/**
 * Reading pod templates out of Kubernetes objects, and what the rules need from containers and
 * hooks. Module-internal: not part of the jsii API.
 */
import { PodTemplateTarget } from './model';
import { IstioProxyConfig, parseGoDuration, parseIstioProxyConfig } from './parse';
import { analyzeScript, ScriptAnalysis } from './shell';

/** An object to check, with where it comes from. */
export interface LocatedObject {
  readonly object: unknown;
  readonly source?: string;
  readonly line?: number;
}

/** Where the pod template sits in each workload kind. */
const TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  PodTemplate: ['template'],
  Pod: [],
};

/** The kinds whose pod templates are checked. */
export const WORKLOAD_KINDS = Object.keys(TEMPLATE_PATHS);

/** A workload read from an object. */
export interface ExtractedWorkload {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly podTemplate: any;
}

/** The outcome of reading one object: a workload, a Service, or a reason it was skipped. */
export type ExtractResult =
  | { readonly type: 'workload'; readonly workload: ExtractedWorkload }
  | { readonly type: 'service'; readonly namespace?: string; readonly selector?: Record<string, string> }
  | { readonly type: 'skipped'; readonly kind: string; readonly name: string; readonly namespace?: string; readonly reason: string };

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads one Kubernetes object (already expanded out of any `List`). Never throws. */
export function extractObject(obj: unknown): ExtractResult {
  if (!isObject(obj)) {
    return { type: 'skipped', kind: '(none)', name: '(none)', reason: `skipped: the document is ${Array.isArray(obj) ? 'a list' : typeof obj === 'object' ? 'empty' : `a ${typeof obj}`}, not a Kubernetes object` };
  }
  const kind = typeof obj.kind === 'string' ? obj.kind : undefined;
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '(unnamed)';
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
  if (!kind) {
    return { type: 'skipped', kind: '(none)', name, namespace, reason: 'skipped: the object has no kind' };
  }
  if (kind === 'Service') {
    const sel = isObject(obj.spec) && isObject(obj.spec.selector) ? obj.spec.selector as Record<string, string> : undefined;
    return { type: 'service', namespace, selector: sel };
  }
  const path = TEMPLATE_PATHS[kind];
  if (!path) {
    return { type: 'skipped', kind, name, namespace, reason: `skipped: kind ${kind} is not a workload` };
  }
  let t: unknown = obj;
  for (const p of path) t = isObject(t) ? t[p] : undefined;
  if (!isObject(t) || !isObject(t.spec)) {
    return { type: 'skipped', kind, name, namespace, reason: `skipped: ${kind} ${name} has no pod template at ${path.length ? path.join('.') : 'the top level'}.spec` };
  }
  return { type: 'workload', workload: { kind, name, namespace, podTemplate: t } };
}

/** Expands `kind: List` (and `*List`, as `kubectl get -o yaml` prints) into its items. */
export function expandLists(obj: unknown): unknown[] {
  if (isObject(obj) && typeof obj.kind === 'string' && /List$/.test(obj.kind) && Array.isArray(obj.items)) {
    return obj.items.flatMap(expandLists);
  }
  return [obj];
}

/** Whether a Service selector selects these pod labels. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === String(v));
}

/** Builds the rule input for a workload. */
export function toTarget(w: ExtractedWorkload, kubernetesVersion: string, serviceSelected?: boolean): PodTemplateTarget {
  const g = w.podTemplate.spec?.terminationGracePeriodSeconds;
  const explicit = typeof g === 'number' && Number.isFinite(g);
  return {
    kind: w.kind,
    name: w.name,
    namespace: w.namespace,
    podTemplate: w.podTemplate,
    gracePeriodSeconds: explicit ? g : 30,
    gracePeriodExplicit: explicit,
    kubernetesVersion,
    serviceSelected,
  };
}

/** A lifecycle hook, read. */
export interface HookInfo {
  readonly type: 'exec' | 'sleep' | 'httpGet' | 'tcpSocket' | 'none';
  /** exec: the argv. */
  readonly command?: string[];
  /** exec through a shell (`sh -c`): the shell's base name (`sh`, `bash`, `ash`). */
  readonly shell?: string;
  /** exec: the script (the `-c` argument), or the argv joined for a direct command. */
  readonly script?: string;
  /** exec: its sleeps and loops. */
  readonly analysis?: ScriptAnalysis;
  /** sleep action: its seconds. */
  readonly sleepSeconds?: number;
  /** httpGet: `path:port`. */
  readonly httpTarget?: string;
  /** exec: set to the script's size when it is over {@link MAX_SCRIPT_BYTES} and was not read. */
  readonly unreadBytes?: number;
  /** sleep action: `seconds` as written when it is not a whole number >= 0 (the API server rejects it). */
  readonly badSleepSeconds?: string;
}

/**
 * The largest hook script the checks read (1 MiB of shell; real hooks are a few KiB). Larger
 * ones are reported as not checked instead of costing seconds and gigabytes to read.
 */
export const MAX_SCRIPT_BYTES = 1024 * 1024;

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'zsh', 'mksh']);

/**
 * Analyses of scripts already read, by script text and the env values it refers to. Manifests
 * repeat the same hooks across workloads (replicas of one chart, the library's patterns), and a
 * script's analysis depends only on those. Bounded: cleared when full; large scripts not kept.
 */
const ANALYSES = new Map<string, ScriptAnalysis>();
const MAX_ANALYSES = 512;
const MAX_REMEMBERED_SCRIPT = 64 * 1024;

function analyzeOnce(script: string, env: ReadonlyMap<string, string>): ScriptAnalysis {
  if (script.length > MAX_REMEMBERED_SCRIPT) return analyzeScript(script, env);
  let key = script;
  for (const [name, value] of env) if (script.includes(name)) key += `\u0000${name}=${value}`;
  let a = ANALYSES.get(key);
  if (a === undefined) {
    a = analyzeScript(script, env);
    if (ANALYSES.size >= MAX_ANALYSES) ANALYSES.clear();
    ANALYSES.set(key, a);
  }
  return a;
}

/**
 * The literal environment of a container (`env[].value`; `valueFrom` is not in the manifest), for
 * `$VAR` in hook scripts, which run in the container's environment.
 */
export function containerEnv(container: any): Map<string, string> {
  const env = new Map<string, string>();
  if (isObject(container) && Array.isArray(container.env)) {
    for (const e of container.env) {
      if (isObject(e) && typeof e.name === 'string' && e.value !== undefined && e.value !== null) env.set(e.name, String(e.value));
    }
  }
  return env;
}

/** Reads a lifecycle handler (`preStop` or `postStart`); `env` resolves `$VAR` in exec scripts. */
export function hookInfo(handler: any, env: ReadonlyMap<string, string> = new Map()): HookInfo {
  if (!isObject(handler)) return { type: 'none' };
  if (isObject(handler.sleep)) {
    const raw = handler.sleep.seconds;
    const s = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    return Number.isInteger(s) && s >= 0 ? { type: 'sleep', sleepSeconds: s } : { type: 'sleep', badSleepSeconds: JSON.stringify(raw ?? null) };
  }
  if (isObject(handler.httpGet)) {
    return { type: 'httpGet', httpTarget: `${handler.httpGet.path ?? '/'}:${handler.httpGet.port ?? '?'}` };
  }
  if (isObject(handler.tcpSocket)) return { type: 'tcpSocket' };
  if (isObject(handler.exec) && Array.isArray(handler.exec.command)) {
    const argv = (handler.exec.command as unknown[]).map(String);
    const size = argv.reduce((n, a) => n + a.length + 1, 0);
    if (size > MAX_SCRIPT_BYTES) return { type: 'exec', command: [argv[0] ?? ''], script: '', unreadBytes: size };
    const base = (argv[0] ?? '').split('/').pop() ?? '';
    let shellArgs = argv.slice(1);
    let shell = SHELLS.has(base) ? base : undefined;
    if (base === 'busybox' && argv[1] === 'sh') {
      shell = 'ash';
      shellArgs = argv.slice(2);
    }
    if (shell) {
      const c = shellArgs.findIndex(a => /^-[a-z]*c[a-z]*$/.test(a));
      if (c >= 0 && c + 1 < shellArgs.length) {
        const script = shellArgs[c + 1];
        return { type: 'exec', command: argv, shell, script, analysis: analyzeOnce(script, env) };
      }
    }
    const script = argv.map(a => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, '\'\\\'\'')}'`)).join(' ');
    return { type: 'exec', command: argv, script, analysis: analyzeOnce(script, env) };
  }
  return { type: 'none' };
}

/** A container with its preStop read. */
export interface ContainerInfo {
  readonly name: string;
  readonly container: any;
  /** A native sidecar: an init container with `restartPolicy: Always`. */
  readonly nativeSidecar: boolean;
  readonly initContainer: boolean;
  readonly preStop: HookInfo;
  readonly postStart: HookInfo;
}

const CONTAINERS = new WeakMap<object, ContainerInfo[]>();

/**
 * Containers, init containers and native sidecars of a pod template, with their hooks read; read
 * once per pod template, as every rule asks.
 */
export function containersOf(target: PodTemplateTarget): ContainerInfo[] {
  return perTemplate(CONTAINERS, target, t => readContainers(t.podTemplate));
}

function readContainers(template: any): ContainerInfo[] {
  const spec = template?.spec ?? {};
  const out: ContainerInfo[] = [];
  const add = (list: unknown, init: boolean) => {
    if (!Array.isArray(list)) return;
    for (const c of list) {
      if (!isObject(c)) continue;
      out.push({
        name: typeof c.name === 'string' ? c.name : '(unnamed)',
        container: c,
        initContainer: init,
        nativeSidecar: init && c.restartPolicy === 'Always',
        preStop: hookInfo(c.lifecycle?.preStop, containerEnv(c)),
        postStart: hookInfo(c.lifecycle?.postStart, containerEnv(c)),
      });
    }
  };
  add(spec.initContainers, true);
  add(spec.containers, false);
  return out;
}

/** Istio facts about a pod template. */
export interface IstioInfo {
  /** Whether the pod gets (or has) an Istio sidecar. */
  readonly injected: boolean;
  /** The sidecar runs as a native sidecar (init container with restartPolicy Always). */
  readonly native: boolean;
  readonly config: IstioProxyConfig;
  /** terminationDrainDuration in ms (Istio's default 5s when unset). */
  readonly drainMillis: number;
  readonly drainText: string;
  readonly exitOnZero: boolean;
  /** MINIMUM_DRAIN_DURATION in ms (default 5s). */
  readonly minimumDrainMillis: number;
}

const ISTIO = new WeakMap<object, IstioInfo>();

/** Reads Istio's annotation, labels and injected sidecar; once per pod template, as several rules ask. */
export function istioInfo(target: PodTemplateTarget): IstioInfo {
  return perTemplate(ISTIO, target, readIstioInfo);
}

/** `read(target)`, remembered per pod template object (rules are pure, templates are not edited while checked). */
function perTemplate<T>(cache: WeakMap<object, T>, target: PodTemplateTarget, read: (t: PodTemplateTarget) => T): T {
  const template = target.podTemplate;
  if (typeof template !== 'object' || template === null) return read(target);
  let value = cache.get(template);
  if (value === undefined) {
    value = read(target);
    cache.set(template, value);
  }
  return value;
}

function readIstioInfo(target: PodTemplateTarget): IstioInfo {
  const meta = target.podTemplate?.metadata ?? {};
  const ann: Record<string, string> = isObject(meta.annotations) ? meta.annotations : {};
  const labels: Record<string, string> = isObject(meta.labels) ? meta.labels : {};
  const text = ann['proxy.istio.io/config'];
  const config = typeof text === 'string' ? parseIstioProxyConfig(text) : { proxyMetadata: {} };
  const proxy = containersOf(target).find(c => c.name === 'istio-proxy');
  const env: Record<string, string> = {};
  if (proxy && Array.isArray(proxy.container.env)) {
    for (const e of proxy.container.env) if (isObject(e) && typeof e.name === 'string') env[e.name] = String(e.value ?? '');
  }
  const meta2 = { ...env, ...config.proxyMetadata };
  const injectOff = String(ann['sidecar.istio.io/inject'] ?? labels['sidecar.istio.io/inject']) === 'false';
  const injected = !injectOff && (proxy !== undefined || typeof text === 'string' ||
    String(ann['sidecar.istio.io/inject'] ?? labels['sidecar.istio.io/inject']) === 'true');
  const minText = meta2.MINIMUM_DRAIN_DURATION;
  return {
    injected,
    native: proxy?.nativeSidecar ?? false,
    config,
    drainMillis: config.terminationDrainMillis ?? 5000,
    drainText: config.terminationDrainText ?? '5s (Istio default)',
    exitOnZero: String(meta2.EXIT_ON_ZERO_ACTIVE_CONNECTIONS).toLowerCase() === 'true',
    minimumDrainMillis: (minText !== undefined ? parseGoDuration(minText) : undefined) ?? 5000,
  };
}

/** What a preStop hook waits, as far as it can be read. */
export interface PreStopWait {
  /** Fixed waits (sleep action, top-level sleeps), in seconds. */
  readonly fixedSeconds: number;
  /** The longest the hook may run when it can be read (fixed waits plus loop bounds), in seconds. */
  readonly boundSeconds?: number;
  /** Whether the hook waits at all (sleeps, loops, an httpGet or a binary that blocks). */
  readonly waits: boolean;
}

/** How long a preStop waits. */
export function preStopWait(h: HookInfo): PreStopWait {
  switch (h.type) {
    case 'sleep':
      return { fixedSeconds: h.sleepSeconds ?? 0, boundSeconds: h.sleepSeconds, waits: (h.sleepSeconds ?? 0) > 0 };
    case 'httpGet':
      return { fixedSeconds: 0, waits: true };
    case 'exec': {
      const a = h.analysis;
      if (!a) return { fixedSeconds: 0, waits: true };
      const loopsBounded = a.loops.every(l => l.boundSeconds !== undefined);
      const summed = loopsBounded && a.unknownWaits.length === 0
        ? a.fixedWaitSeconds + a.boundedWaitSeconds + a.loops.reduce((s, l) => s + (l.boundSeconds ?? 0), 0)
        : undefined;
      // The library's runtime caps every step by one deadline from the script's start.
      const bound = a.scriptDeadlineSeconds ?? summed;
      const waits = a.fixedWaitSeconds > 0 || a.boundedWaitSeconds > 0 || a.loops.length > 0 || a.unknownWaits.length > 0;
      return { fixedSeconds: a.fixedWaitSeconds, boundSeconds: bound, waits };
    }
    default:
      return { fixedSeconds: 0, boundSeconds: 0, waits: false };
  }
}

/** `objectKind/name` with the namespace when there is one, as messages name objects. */
export function objectRef(t: { kind: string; name: string; namespace?: string }): string {
  return `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
}

/** A container's command and args with `$(VAR)` expanded from its literal env, as the kubelet does (`$$` stays `$`). */
export function expandedArgv(container: any, argv: unknown): string[] {
  if (!Array.isArray(argv)) return [];
  const env = containerEnv(container);
  return argv.map(a => String(a).replace(/\$\$|\$\(([A-Za-z_][\w.-]*)\)/g, (m, name) => (m === '$$' ? '$' : env.get(name) ?? m)));
}

/** A drain length one of Envoy's or Envoy Gateway's flags sets. */
export interface DrainSetting {
  readonly container: string;
  /** `--drain-time-s`, `--parent-shutdown-time-s` (Envoy) or `--drain-timeout` (Envoy Gateway's shutdown manager). */
  readonly flag: string;
  readonly seconds: number;
  /** Where the flag is: the container's command and args, or its preStop. */
  readonly where: 'args' | 'preStop';
}

const DRAIN_FLAGS = ['--drain-time-s', '--parent-shutdown-time-s', '--drain-timeout'];

/** Drain flags in a list of words: `--flag N`, `--flag=N`; Envoy's in seconds, Envoy Gateway's as a Go duration. */
function drainFlagsIn(words: string[]): Array<{ flag: string; seconds: number }> {
  const out: Array<{ flag: string; seconds: number }> = [];
  words.forEach((w, i) => {
    const flag = DRAIN_FLAGS.find(f => w === f || w.startsWith(`${f}=`));
    if (!flag) return;
    const value = w === flag ? words[i + 1] : w.slice(flag.length + 1);
    if (value === undefined) return;
    const seconds = flag === '--drain-timeout' ? (parseGoDuration(value) ?? NaN) / 1000 : /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (Number.isFinite(seconds)) out.push({ flag, seconds });
  });
  return out;
}

const DRAINS = new WeakMap<object, DrainSetting[]>();

/** The drain flags of every running container, from its args and its preStop exec. */
export function envoyDrainSettings(target: PodTemplateTarget): DrainSetting[] {
  return perTemplate(DRAINS, target, readDrainSettings);
}

function readDrainSettings(target: PodTemplateTarget): DrainSetting[] {
  const out: DrainSetting[] = [];
  for (const c of containersOf(target)) {
    if (c.initContainer && !c.nativeSidecar) continue;
    // Split on spaces too: knative's kourier writes `--drain-time-s $(DRAIN_TIME_SECONDS)` as one arg.
    const args = [...expandedArgv(c.container, c.container.command), ...expandedArgv(c.container, c.container.args)].flatMap(a => a.split(/\s+/));
    for (const f of drainFlagsIn(args)) out.push({ container: c.name, ...f, where: 'args' });
    const hook = expandedArgv(c.container, c.container.lifecycle?.preStop?.exec?.command);
    const words = c.preStop.analysis?.commands.flatMap(x => x.words) ?? hook;
    for (const f of drainFlagsIn(words)) out.push({ container: c.name, ...f, where: 'preStop' });
  }
  return out;
}
