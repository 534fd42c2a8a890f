/**
 * The `cdk8s-graceful` command: `lint`, `timeline` and `diff` over Kubernetes YAML from any tool.
 * No CLI framework: argv is parsed by hand. Exit codes (docs/checks.md, tested row by row): 0 clean,
 * 1 findings at or above the failing level (or `diff --exit-code` found changes), 2 bad usage or
 * unreadable input, each with one line on stderr.
 */
import * as fs from 'fs';
import * as path from 'path';
import { behavioursOf, diffBehaviours, diffMarkdown, diffText } from './diff';
import { ManifestError, readManifests } from '../checks/manifest';
import { CheckFinding, CheckLevel, ICheckRule } from '../checks/model';
import { parseKubernetesVersion } from '../checks/parse';
import { RulePack } from '../checks/rule-pack';
import { DEFAULT_KUBERNETES_VERSION } from '../checks/rules/gs012-feature-needs-newer-kubernetes';
import { timelinesOf, timelineText } from '../checks/timeline';
import { expandLists, extractObject, LocatedObject, toTarget } from '../checks/workload';

/** Where the CLI writes and reads; tests pass their own. */
export interface CliIo {
  /** Writes report text. */
  readonly stdout: (text: string) => void;
  /** Writes the one-line errors. */
  readonly stderr: (text: string) => void;
  /** Reads all of stdin (for `-`). */
  readonly readStdin: () => Promise<string>;
  /** Reads a file as UTF-8; throws when it cannot. */
  readonly readFile: (path: string) => string;
}

const USAGE = `Usage:
  cdk8s-graceful lint [options] FILE|DIR...|-        check termination settings of every workload
  cdk8s-graceful timeline [options] FILE|DIR...|-    print each workload's termination timeline
  cdk8s-graceful diff [options] OLD NEW              what changed in each workload's shutdown behaviour

Reads multi-document YAML (kubectl get -o yaml, helm template, cdk8s synth); '-' reads stdin
(once); a directory means every *.yaml, *.yml and *.json file under it.

Options:
  --format FORMAT              lint: table (default), json, sarif; timeline: text (default), json,
                               mermaid; diff: text (default), markdown, json
  --kubernetes-version X.Y     the cluster version rules assume; provider forms such as 1.30.0-gke.1
                               and v1.29.3-eks-1234 are read as 1.30 and 1.29
                               (default: ${DEFAULT_KUBERNETES_VERSION}, the newest the rules know)
  --disable GS005,GS008        leave rules out
  --fail-on error|warning|info lint: the lowest level that fails (default: error)
  --warnings-as-errors         same as --fail-on warning
  --allow-empty                an input with no Kubernetes object is not an error
  --quiet                      lint: leave out info findings (skipped objects)
  --exit-code                  diff: exit 1 when the shutdown behaviour changed
  -h, --help                   this text

Exit codes:
  0  lint: no finding at or above the failing level; timeline, diff: done
  1  lint: findings at or above the failing level; diff --exit-code: behaviour changed
  2  bad usage or unreadable input: unknown command or option, no FILE, '-' twice, a file that
     cannot be read, empty input or no documents (unless --allow-empty), malformed YAML,
     a key given twice in one mapping, an unrendered template (lint helm template's output)
`;

class UsageError extends Error {}

type Command = 'lint' | 'timeline' | 'diff';

interface Options {
  command: Command;
  files: string[];
  format?: string;
  kubernetesVersion: string;
  disabled: string[];
  failOn: CheckLevel;
  quiet: boolean;
  allowEmpty: boolean;
  exitCode: boolean;
}

const FORMATS: Record<Command, string[]> = { lint: ['table', 'json', 'sarif'], timeline: ['text', 'json', 'mermaid'], diff: ['text', 'markdown', 'json'] };
const LEVELS: Record<string, CheckLevel> = { error: CheckLevel.ERROR, warning: CheckLevel.WARNING, info: CheckLevel.INFO };
const RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

function parseArgs(argv: string[]): Options | 'help' {
  if (argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return 'help';
  if (argv.length === 0) throw new UsageError('no command given; use lint, timeline or diff (see --help).');
  const [command, ...rest] = argv;
  if (command !== 'lint' && command !== 'timeline' && command !== 'diff') {
    throw new UsageError(`unknown command '${command}'; use lint, timeline or diff (see --help).`);
  }
  const o: Options = {
    command,
    files: [],
    kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
    disabled: [],
    failOn: CheckLevel.ERROR,
    quiet: false,
    allowEmpty: false,
    exitCode: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value (see --help).`);
      return v;
    };
    switch (flag) {
      case '--format': o.format = value(); break;
      case '--kubernetes-version': o.kubernetesVersion = value(); break;
      case '--disable': o.disabled.push(...value().split(',').map(x => x.trim()).filter(Boolean)); break;
      case '--warnings-as-errors': o.failOn = CheckLevel.WARNING; break;
      case '--fail-on': {
        const v = value();
        if (!LEVELS[v]) throw new UsageError(`--fail-on ${v} is not a level; use error, warning or info.`);
        o.failOn = LEVELS[v];
        break;
      }
      case '--quiet': o.quiet = true; break;
      case '--allow-empty': o.allowEmpty = true; break;
      case '--exit-code': o.exitCode = true; break;
      case '--': o.files.push(...rest.slice(i + 1)); i = rest.length; break;
      default:
        if (a !== '-' && a.startsWith('-')) throw new UsageError(`unknown option '${a}' (see --help).`);
        o.files.push(a);
    }
  }
  if (command === 'diff' && o.files.length !== 2) {
    throw new UsageError(`diff needs exactly two inputs, OLD and NEW (files, directories or '-'); got ${o.files.length}.`);
  }
  if (o.files.length === 0) throw new UsageError(`${command} needs at least one FILE, or '-' for stdin.`);
  if (o.files.filter(f => f === '-').length > 1) throw new UsageError('\'-\' (stdin) is given more than once; stdin can be read only once.');
  const formats = FORMATS[command];
  if (o.format !== undefined && !formats.includes(o.format)) {
    throw new UsageError(`--format ${o.format} is not known for ${command}; use ${formats.join(', ')}.`);
  }
  const v = parseKubernetesVersion(o.kubernetesVersion);
  if (!v) throw new UsageError(`--kubernetes-version '${o.kubernetesVersion}' is not a version like 1.30, v1.29.3 or 1.30.0-gke.1.`);
  o.kubernetesVersion = `${v[0]}.${v[1]}`;
  return o;
}

const defaultIo: CliIo = {
  stdout: t => process.stdout.write(t),
  stderr: t => process.stderr.write(t),
  readStdin: () => new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', c => chunks.push(Buffer.from(c)));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  }),
  readFile: p => fs.readFileSync(p, 'utf8'),
};

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** The files an argument names: itself, or every manifest file under a directory, sorted. */
function filesOf(arg: string): string[] {
  if (arg === '-') return [arg];
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(arg);
  } catch {
    return [arg]; // reading it reports what is wrong
  }
  if (!stat.isDirectory()) return [arg];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (MANIFEST_FILE.test(e.name)) out.push(p);
    }
  };
  walk(arg);
  if (out.length === 0) throw new ManifestError(`${arg}: the directory holds no *.yaml, *.yml or *.json file`, arg);
  return out;
}

async function readText(f: string, io: CliIo): Promise<string> {
  if (f === '-') return io.readStdin();
  try {
    return io.readFile(f);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ManifestError(`${f}: cannot read file${code === 'ENOENT' ? ': no such file' : code === 'EISDIR' ? ': it is a directory' : `: ${(e as Error).message}`}`, f);
  }
}

/** One argument's texts: a file, stdin, or every manifest file under a directory. */
interface Input {
  readonly arg: string;
  readonly files: Array<{ readonly source: string; readonly text: string }>;
}

/** Every input's text, with the name findings give it. */
async function inputsOf(args: string[], io: CliIo): Promise<Input[]> {
  const out: Input[] = [];
  for (const arg of args) {
    const files = [];
    for (const f of filesOf(arg)) files.push({ source: f === '-' ? 'stdin' : f, text: await readText(f, io) });
    out.push({ arg: arg === '-' ? 'stdin' : arg, files });
  }
  return out;
}

/**
 * The objects of the inputs, one document at a time: each document is parsed and handed on
 * before the next is read. An argument without any object (a file, stdin, or a directory whose
 * files hold none) is an error (a failed `helm template` upstream writes nothing) unless empty
 * input is allowed. An empty file in a directory that holds objects elsewhere is not.
 */
function* objectsOf(inputs: Input[], allowEmpty: boolean): Generator<LocatedObject> {
  for (const { arg, files } of inputs) {
    let count = 0;
    for (const { source, text } of files) {
      for (const o of readManifests(text, source)) {
        count++;
        yield o;
      }
    }
    if (count === 0 && !allowEmpty) {
      const texts = files.map(f => f.text);
      const what = texts.every(t => t.trim() === '') ? 'empty input'
        : texts.some(t => /^(?!\s*(?:#|---|\.\.\.|$))/m.test(t)) ? 'no Kubernetes objects (an empty List?)' : 'no YAML documents (only comments or document markers)';
      throw new ManifestError(`${arg}: ${what}: nothing to check. If the command that produced it failed, fix that; if empty is expected, pass --allow-empty.`, arg);
    }
  }
}

/** Runs the CLI; resolves to the exit code. Never throws for bad input. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let opts: Options | 'help';
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`cdk8s-graceful: ${e.message}\n`);
      if (argv.length === 0) io.stderr(USAGE);
      return 2;
    }
    throw e;
  }
  if (opts === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  try {
    switch (opts.command) {
      case 'lint': return await lint(opts, io);
      case 'timeline': return await timeline(opts, io);
      default: return await diff(opts, io);
    }
  } catch (e) {
    if (e instanceof ManifestError || (e instanceof Error && /disabledRules|rule id/.test(e.message))) {
      // The rule pack names its own option; the user typed --disable.
      io.stderr(`cdk8s-graceful: ${e.message.replace(/^disabledRules names/, '--disable names')}\n`);
      return 2;
    }
    throw e;
  }
}

async function lint(opts: Options, io: CliIo): Promise<number> {
  const pack = new RulePack({ kubernetesVersion: opts.kubernetesVersion, disabledRules: opts.disabled });
  const findings: CheckFinding[] = [];
  // The rules see one object at a time; only the findings (small) are kept for the report.
  pack._checkStream(objectsOf(await inputsOf(opts.files, io), opts.allowEmpty), f => {
    if (!(opts.quiet && f.level === CheckLevel.INFO)) findings.push(f);
  });
  report(opts, pack, findings, io);
  return findings.some(f => RANK[f.level] <= RANK[opts.failOn]) ? 1 : 0;
}

function report(opts: Options, pack: RulePack, findings: CheckFinding[], io: CliIo): void {
  const format = opts.format ?? 'table';
  if (format === 'json') io.stdout(JSON.stringify(findings, undefined, 2) + '\n');
  else if (format === 'sarif') io.stdout(JSON.stringify(toSarif(findings, pack.rules), undefined, 2) + '\n');
  else io.stdout(toTable(findings));
}

function where(f: CheckFinding): string {
  return f.source ? `${f.source}${f.line ? `:${f.line}` : ''}` : '';
}

/** Findings as a readable table: one row per finding, then its message and fix, then a summary. */
export function toTable(findings: CheckFinding[]): string {
  const order = { error: 0, warning: 1, info: 2 } as Record<string, number>;
  const sorted = [...findings].sort((a, b) =>
    order[a.level] - order[b.level] || where(a).localeCompare(where(b)) || a.ruleId.localeCompare(b.ruleId));
  const rows = sorted.map(f => [f.level.toUpperCase(), f.ruleId, `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`, f.container ?? '-', where(f)]);
  const header = ['LEVEL', 'RULE', 'OBJECT', 'CONTAINER', 'LOCATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out: string[] = [];
  if (rows.length > 0) {
    out.push(line(header));
    sorted.forEach((f, i) => {
      out.push(line(rows[i]));
      out.push(`    ${f.message}`);
      if (f.level !== CheckLevel.INFO) out.push(`    fix: ${f.fix}`);
    });
    out.push('');
  }
  const count = (l: CheckLevel) => findings.filter(f => f.level === l).length;
  out.push(`${count(CheckLevel.ERROR)} error(s), ${count(CheckLevel.WARNING)} warning(s), ${count(CheckLevel.INFO)} info.`);
  return out.join('\n') + '\n';
}

const SARIF_LEVEL: Record<string, string> = { error: 'error', warning: 'warning', info: 'note' };

/** Findings as SARIF 2.1.0, for code scanning in CI. */
export function toSarif(findings: CheckFinding[], rules: ICheckRule[]): any {
  const ruleList = [
    { id: RulePack.READER_RULE_ID, name: 'not-checked', explanation: 'Objects that are not workloads, or that the checks could not read.', fix: 'Nothing to do.', level: CheckLevel.INFO },
    ...rules,
  ];
  const index = new Map(ruleList.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'cdk8s-graceful',
          informationUri: 'https://github.com/example/cdk8s-graceful-shutdown/blob/main/docs/checks.md',
          rules: ruleList.map(r => ({
            id: r.id,
            name: r.name,
            shortDescription: { text: r.name.replace(/-/g, ' ') },
            fullDescription: { text: r.explanation },
            help: { text: r.fix },
            defaultConfiguration: { level: SARIF_LEVEL[r.level] },
          })),
        },
      },
      results: findings.map(f => ({
        ruleId: f.ruleId,
        ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
        level: SARIF_LEVEL[f.level],
        message: { text: `${f.message} Fix: ${f.fix}` },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: encodeURI((f.source ?? 'unknown').replace(/\\/g, '/')) },
            ...(f.line ? { region: { startLine: f.line } } : {}),
          },
          logicalLocations: [{ name: f.container ?? f.name, fullyQualifiedName: `${f.kind}/${f.namespace ? `${f.namespace}/` : ''}${f.name}${f.container ? `/${f.container}` : ''}`, kind: 'object' }],
        }],
      })),
    }],
  };
}

async function timeline(opts: Options, io: CliIo): Promise<number> {
  const blocks: string[] = [];
  const json: any[] = [];
  let workloads = 0;
  for (const o of objectsOf(await inputsOf(opts.files, io), opts.allowEmpty)) {
    for (const obj of expandLists(o.object)) {
      const r = extractObject(obj);
      if (r.type !== 'workload') continue;
      workloads++;
      for (const t of timelinesOf(toTarget(r.workload, opts.kubernetesVersion))) {
        const at = o.source ? ` (${o.source}${o.line ? `:${o.line}` : ''})` : '';
        if (opts.format === 'json') {
          json.push({
            title: t.title,
            source: o.source,
            line: o.line,
            container: t.container,
            notes: t.notes,
            terminationGracePeriodSeconds: t.plan.terminationGracePeriodSeconds,
            gracePeriod: t.header,
            timeline: t.plan.timeline(),
          });
        } else if (opts.format === 'mermaid') {
          blocks.push(['```mermaid', t.plan.toMermaid(`${t.title}${at}`), '```', ...t.notes.map(n => `> ${n}`)].join('\n'));
        } else {
          blocks.push([`${t.title}${at}`, ...t.notes.map(n => `! ${n}`), timelineText(t)].join('\n'));
        }
      }
    }
  }
  if (opts.format === 'json') {
    io.stdout(JSON.stringify(json, undefined, 2) + '\n');
  } else {
    io.stdout(workloads === 0 ? 'no workloads found (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate, Pod).\n' : blocks.join('\n\n') + '\n');
  }
  return 0;
}

async function diff(opts: Options, io: CliIo): Promise<number> {
  const [oldInputs, newInputs] = [await inputsOf([opts.files[0]], io), await inputsOf([opts.files[1]], io)];
  const before = behavioursOf(objectsOf(oldInputs, opts.allowEmpty), opts.kubernetesVersion);
  const after = behavioursOf(objectsOf(newInputs, opts.allowEmpty), opts.kubernetesVersion);
  const changes = diffBehaviours(before, after);
  const format = opts.format ?? 'text';
  if (format === 'json') io.stdout(JSON.stringify(changes, undefined, 2) + '\n');
  else if (format === 'markdown') io.stdout(diffMarkdown(changes, opts.files[0], opts.files[1]));
  else io.stdout(diffText(changes));
  return opts.exitCode && changes.length > 0 ? 1 : 0;
}
