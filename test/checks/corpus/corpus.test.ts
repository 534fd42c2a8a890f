/**
 * Lints every public manifest of the corpus through the CLI (`main`, as `cdk8s-graceful lint --format json`)
 * and compares the findings and the exit code with expected.yaml, which says what a CORRECT linter reports.
 *
 * An expectation marked knownGap (or exitKnownGap) is one today's linter does not meet yet: it is logged
 * instead of failing, and the test FAILS as soon as the linter meets it, so the marker gets removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { CheckFinding } from '../../../src/checks/model';
import { CliIo, main } from '../../../src/cli/main';

interface ObjectExpectation {
  readonly report?: string[];
  readonly notReport?: string[];
  readonly mayReport?: string[];
  readonly why?: string;
  readonly knownGap?: string;
}
interface RunExpectation {
  readonly args?: string[];
  readonly exit: number;
  readonly exitKnownGap?: string;
  readonly objects?: Record<string, ObjectExpectation>;
}
interface FileExpectation {
  readonly file: string;
  readonly runs: RunExpectation[];
}
interface LintResult {
  readonly code: number;
  readonly stderr: string;
  /** The JSON findings, or undefined when lint wrote none (e.g. it exited 2). */
  readonly findings?: CheckFinding[];
}

const DIR = __dirname;
const EXPECTED: FileExpectation[] = YAML.parse(fs.readFileSync(path.join(DIR, 'expected.yaml'), 'utf8')).files;
const CORPUS = fs.readdirSync(DIR).filter(f => f.endsWith('.yaml') && f !== 'expected.yaml').sort();

const objectKey = (kind: string, name: string, namespace?: string) => `${kind}/${namespace ? `${namespace}/` : ''}${name}`;
const runName = (e: FileExpectation, r: RunExpectation) => `${e.file}${r.args?.length ? ` ${r.args.join(' ')}` : ''}`;

const results = new Map<string, Promise<LintResult>>();
function lint(file: string, args: string[] = []): Promise<LintResult> {
  const key = JSON.stringify([file, args]);
  if (!results.has(key)) {
    results.set(key, (async () => {
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        stdout: t => { stdout += t; },
        stderr: t => { stderr += t; },
        readStdin: async () => '',
        readFile: p => fs.readFileSync(p, 'utf8'),
      };
      const code = await main(['lint', '--format', 'json', ...args, path.join(DIR, file)], io);
      let findings: CheckFinding[] | undefined;
      try {
        const parsed = JSON.parse(stdout);
        findings = Array.isArray(parsed) ? parsed : undefined;
      } catch {
        findings = undefined;
      }
      return { code, stderr: stderr.trim(), findings };
    })());
  }
  return results.get(key)!;
}

/** Warning and error rule ids per object (GS000 info findings are not compared). */
function rulesByObject(findings: CheckFinding[]): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.level === 'info') continue;
    const k = objectKey(f.kind, f.name, f.namespace);
    if (!by.has(k)) by.set(k, new Set());
    by.get(k)!.add(f.ruleId);
  }
  return by;
}

/** What is wrong with the actual rule ids of one object; empty when the expectation is met. */
function problemsOf(exp: ObjectExpectation, actual: Set<string>): string[] {
  const problems: string[] = [];
  const allowed = new Set([...(exp.mayReport ?? [])]);
  for (const r of exp.report ?? []) {
    const alternatives = r.split('|').map(s => s.trim());
    alternatives.forEach(a => allowed.add(a));
    if (!alternatives.some(a => actual.has(a))) problems.push(`missing ${r}`);
  }
  for (const n of exp.notReport ?? []) if (actual.has(n)) problems.push(`false alarm ${n}`);
  for (const a of actual) if (!allowed.has(a) && !(exp.notReport ?? []).includes(a)) problems.push(`unexpected ${a}`);
  return problems;
}

const gaps: string[] = [];
const fixedGaps: string[] = [];

/** Passes, records a known gap, or fails; a known gap that no longer has problems fails. */
function settle(what: string, problems: string[], knownGap?: string): void {
  if (knownGap !== undefined) {
    if (problems.length === 0) {
      fixedGaps.push(what);
      throw new Error(`${what}: the known gap "${knownGap}" is fixed; remove its knownGap line from expected.yaml.`);
    }
    gaps.push(`${what}: ${knownGap} [${problems.join('; ')}]`);
    return;
  }
  expect({ what, problems }).toEqual({ what, problems: [] });
}

/** The objects (documents with a kind) of a corpus file, or undefined when it is not valid YAML. */
function objectsOf(file: string): Array<{ kind: string; name: string; namespace?: string }> | undefined {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'));
  if (!Array.isArray(docs) || docs.some(d => d.errors.length > 0)) return undefined;
  return docs.map(d => d.toJSON()).filter(o => o && typeof o.kind === 'string')
    .map(o => ({ kind: o.kind, name: o.metadata?.name, namespace: o.metadata?.namespace }));
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'PodTemplate', 'Pod'];

describe('corpus of public manifests', () => {
  test('every corpus file has an expectation, and every expectation a file', () => {
    expect(EXPECTED.map(e => e.file).sort()).toEqual(CORPUS);
    expect(CORPUS.length).toBeGreaterThanOrEqual(25);
  });

  test.each(CORPUS)('%s: header names source, path, commit and licence', file => {
    const text = fs.readFileSync(path.join(DIR, file), 'utf8');
    const mutated = file.includes('-mutated-');
    if (text === '') {
      // A zero-byte file cannot carry a header; only a deliberate mutated copy may be one (README says so).
      expect(mutated).toBe(true);
      return;
    }
    const header = text.split('\n').filter(l => l.startsWith('#')).join('\n');
    if (mutated) expect(header).toMatch(/MUTATED COPY/);
    expect(header).toMatch(/^# licence: \S+/m);
    if (/^# source: none/m.test(header)) {
      expect(mutated).toBe(true);
      return;
    }
    expect(header).toMatch(/^# source: https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/m);
    expect(header).toMatch(/^# path: \S+/m);
    expect(header).toMatch(/^# commit: [0-9a-f]{40}$/m);
    expect(header).toMatch(/^# trimmed: \S/m);
  });

  test.each(EXPECTED.filter(e => e.runs.some(r => r.objects)))('$file: every expected object is in the file', e => {
    const objects = objectsOf(e.file);
    expect(objects).toBeDefined();
    const keys = new Set(objects!.map(o => objectKey(o.kind, o.name, o.namespace)));
    for (const r of e.runs) {
      for (const k of Object.keys(r.objects ?? {})) {
        expect({ file: e.file, object: k, present: keys.has(k) }).toEqual({ file: e.file, object: k, present: true });
      }
    }
  });

  for (const e of EXPECTED) {
    for (const r of e.runs) {
      const name = runName(e, r);
      describe(name, () => {
        test(`exit ${r.exit}${r.exitKnownGap ? ' [known gap]' : ''}`, async () => {
          const res = await lint(e.file, r.args);
          const problems = res.code === r.exit ? [] : [`exit ${res.code}${res.stderr ? ` (${res.stderr})` : ''}`];
          settle(`${name}: exit ${r.exit}`, problems, r.exitKnownGap);
        });
        if (r.exit === 2) return;
        for (const [key, exp] of Object.entries(r.objects ?? {})) {
          const wanted = [...(exp.report ?? []), ...(exp.notReport ?? []).map(n => `not ${n}`)].join(', ') || 'nothing';
          test(`${key}: ${wanted}${exp.knownGap ? ' [known gap]' : ''}`, async () => {
            const res = await lint(e.file, r.args);
            const problems = res.findings === undefined
              ? [`no findings written (exit ${res.code}${res.stderr ? `: ${res.stderr}` : ''})`]
              : problemsOf(exp, rulesByObject(res.findings).get(key) ?? new Set());
            settle(`${name}: ${key}`, problems, exp.knownGap);
          });
        }
        test('no finding on an object that expects none', async () => {
          const res = await lint(e.file, r.args);
          if (res.findings === undefined) return; // the exit test reports this run
          const listed = new Set(Object.keys(r.objects ?? {}));
          const stray = [...rulesByObject(res.findings)].filter(([k]) => !listed.has(k)).map(([k, ids]) => `${k}: ${[...ids].join(', ')}`);
          expect({ name, stray }).toEqual({ name, stray: [] });
        });
      });
    }
  }

  afterAll(async () => {
    const byRule = new Map<string, number>();
    let objects = 0;
    let workloads = 0;
    for (const e of EXPECTED) {
      const objs = objectsOf(e.file) ?? [];
      objects += objs.length;
      workloads += objs.filter(o => WORKLOAD_KINDS.includes(o.kind)).length;
      const res = await lint(e.file);
      for (const f of res.findings ?? []) byRule.set(`${f.ruleId} ${f.level}`, (byRule.get(`${f.ruleId} ${f.level}`) ?? 0) + 1);
    }
    const lines = [
      `corpus: ${CORPUS.length} files (${CORPUS.filter(f => f.includes('-mutated-')).length} mutated copies), ${objects} objects, ${workloads} workloads`,
      `findings with default flags: ${[...byRule].sort().map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'}`,
      `known gaps still open (${gaps.length}):`,
      ...gaps.sort().map(g => `  - ${g}`),
      ...(fixedGaps.length ? [`known gaps now fixed (remove their knownGap lines): ${fixedGaps.join('; ')}`] : []),
    ];
    // eslint-disable-next-line no-console
    console.log(lines.join('\n'));
  });
});
