/**
 * The `cdk8s-graceful` command: `lint` and `timeline` over Kubernetes YAML from any tool.
 * No CLI framework: argv is parsed by hand. Exit codes: 0 clean, 1 errors found, 2 bad usage or input.
 */
import * as fs from 'fs';
import { ManifestError, readManifests } from '../checks/manifest';
import { CheckFinding, CheckLevel, ICheckRule } from '../checks/model';
import { RulePack } from '../checks/rule-pack';
import { timelinesOf } from '../checks/timeline';
import { expandLists, extractObject, LocatedObject, toTarget } from '../checks/workload';

/** Where the CLI writes and reads; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly readFile: (path: string) => string;
}

const USAGE = `Usage:
  cdk8s-graceful lint [options] FILE...|-      check termination settings of every workload
  cdk8s-graceful timeline [options] FILE...|-  print each workload's termination timeline

Reads multi-document YAML (kubectl get -o yaml, helm template, cdk8s synth); '-' reads stdin.

Options:
  --format table|json|sarif    lint output (default: table); timeline takes text|json
  --kubernetes-version X.Y     the cluster version rules assume (default: 1.28)
  --disable GS005,GS008        leave rules out
  --warnings-as-errors         exit 1 on warnings too
  --quiet                      lint: leave out info findings (skipped objects)
  -h, --help                   this text

Exit codes: 0 no errors, 1 errors found, 2 bad usage or unreadable input.
`;

class UsageError extends Error {}

interface Options {
  command: 'lint' | 'timeline';
  files: string[];
  format?: string;
  kubernetesVersion: string;
  disabled: string[];
  warningsAsErrors: boolean;
  quiet: boolean;
}

function parseArgs(argv: string[]): Options | 'help' {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return 'help';
  const [command, ...rest] = argv;
  if (command !== 'lint' && command !== 'timeline') {
    throw new UsageError(`unknown command '${command}'; use 'lint' or 'timeline' (see --help).`);
  }
  const o: Options = { command, files: [], kubernetesVersion: '1.28', disabled: [], warningsAsErrors: false, quiet: false };
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
      case '--disable': o.disabled.push(...value().split(',').map(s => s.trim()).filter(Boolean)); break;
      case '--warnings-as-errors': o.warningsAsErrors = true; break;
      case '--quiet': o.quiet = true; break;
      default:
        if (a !== '-' && a.startsWith('-')) throw new UsageError(`unknown option '${a}' (see --help).`);
        o.files.push(a);
    }
  }
  if (o.files.length === 0) throw new UsageError(`${command} needs at least one FILE, or '-' for stdin.`);
  const formats = command === 'lint' ? ['table', 'json', 'sarif'] : ['text', 'json'];
  if (o.format !== undefined && !formats.includes(o.format)) {
    throw new UsageError(`--format ${o.format} is not known for ${command}; use ${formats.join(', ')}.`);
  }
  if (!/^v?\d+\.\d+(\.\d+)?$/.test(o.kubernetesVersion)) {
    throw new UsageError(`--kubernetes-version '${o.kubernetesVersion}' is not a version like 1.28.`);
  }
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

async function readAll(files: string[], io: CliIo): Promise<LocatedObject[]> {
  const out: LocatedObject[] = [];
  for (const f of files) {
    let text: string;
    if (f === '-') {
      text = await io.readStdin();
    } else {
      try {
        text = io.readFile(f);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new ManifestError(`${f}: cannot read file${code === 'ENOENT' ? ': no such file' : code === 'EISDIR' ? ': it is a directory' : `: ${(e as Error).message}`}`, f);
      }
    }
    out.push(...readManifests(text, f === '-' ? 'stdin' : f));
  }
  return out;
}

/** Runs the CLI; resolves to the exit code. Never throws for bad input. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let opts: Options | 'help';
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`cdk8s-graceful: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  let objects: LocatedObject[];
  let pack: RulePack;
  try {
    pack = new RulePack({ kubernetesVersion: opts.kubernetesVersion, disabledRules: opts.disabled });
    objects = await readAll(opts.files, io);
  } catch (e) {
    io.stderr(`cdk8s-graceful: ${(e as Error).message}\n`);
    return 2;
  }
  return opts.command === 'lint' ? lint(opts, pack, objects, io) : timeline(opts, objects, io);
}

function lint(opts: Options, pack: RulePack, objects: LocatedObject[], io: CliIo): number {
  let findings = pack._checkLocated(objects);
  if (opts.quiet) findings = findings.filter(f => f.level !== CheckLevel.INFO);
  const format = opts.format ?? 'table';
  if (format === 'json') io.stdout(JSON.stringify(findings, undefined, 2) + '\n');
  else if (format === 'sarif') io.stdout(JSON.stringify(toSarif(findings, pack.rules), undefined, 2) + '\n');
  else io.stdout(toTable(findings));
  const failing = findings.some(f => f.level === CheckLevel.ERROR || (opts.warningsAsErrors && f.level === CheckLevel.WARNING));
  return failing ? 1 : 0;
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

function timeline(opts: Options, objects: LocatedObject[], io: CliIo): number {
  const blocks: string[] = [];
  const json: any[] = [];
  let workloads = 0;
  for (const o of objects) {
    for (const obj of expandLists(o.object)) {
      const r = extractObject(obj);
      if (r.type !== 'workload') continue;
      workloads++;
      for (const t of timelinesOf(toTarget(r.workload, opts.kubernetesVersion))) {
        const at = o.source ? ` (${o.source}${o.line ? `:${o.line}` : ''})` : '';
        blocks.push([`${t.title}${at}`, ...t.notes.map(n => `! ${n}`), t.plan.toString()].join('\n'));
        json.push({
          title: t.title,
          source: o.source,
          line: o.line,
          container: t.container,
          notes: t.notes,
          terminationGracePeriodSeconds: t.plan.terminationGracePeriodSeconds,
          timeline: t.plan.timeline(),
        });
      }
    }
  }
  if (opts.format === 'json') {
    io.stdout(JSON.stringify(json, undefined, 2) + '\n');
  } else {
    io.stdout(workloads === 0 ? 'no workloads found (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod).\n' : blocks.join('\n\n') + '\n');
  }
  return 0;
}
