import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliIo, main } from '../../src/cli/main';

// docs/checks.md's exit-code table, row by row: each documented case runs here and must exit with
// the documented code and (where given) print the documented first words on stderr, in one line.

const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'checks.md'), 'utf8');
const table = docs.slice(docs.indexOf('### Exit codes'));
const rows = [...table.matchAll(/^\| ([a-z-]+) \| (\d) \| [^|]+\|\s*(.*?)\s*\|$/gm)].map(m => ({ name: m[1], code: Number(m[2]), stderr: m[3].trim() }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-graceful-exit-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const deployment = (name: string, preStop: string, grace = 30) => [
  'apiVersion: apps/v1', 'kind: Deployment', `metadata: {name: ${name}}`, 'spec:', '  template:', '    spec:',
  `      terminationGracePeriodSeconds: ${grace}`, '      containers:', '      - name: app', '        image: app:1',
  `        lifecycle: {preStop: {exec: {command: ["/bin/sh", "-c", "${preStop}"]}}}`, '',
].join('\n');
const clean = file('clean.yaml', deployment('web', 'sleep 5'));
const gs001 = file('gs001.yaml', deployment('web', 'sleep 40'));
const warningOnly = file('warning.yaml', `${deployment('web', 'nginx -s quit')}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n`);
const commentsOnly = file('comments.yaml', '# nothing here\n---\n# still nothing\n---\n');
const concatenated = file('concat.yaml', `${deployment('web', 'sleep 5')}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n`);
const emptyList = file('empty-list.yaml', 'apiVersion: v1\nkind: List\nitems: []\n');
const template = file('template.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n');
const twice = file('twice.yaml', `${deployment('web', 'sleep 5')}---\n${deployment('web', 'sleep 8', 40)}`);
const malformed = file('malformed.yaml', 'kind: Deployment\nmetadata:\n  name: [web\n  x: 1\n');
const longer = file('longer.yaml', deployment('web', 'sleep 10', 60));

/** One argv and stdin per documented case. */
const CASES: Record<string, { argv: string[]; stdin?: string }> = {
  'clean': { argv: ['lint', clean] },
  'warnings-only': { argv: ['lint', warningOnly] },
  'error-findings': { argv: ['lint', gs001] },
  'fail-on-warning': { argv: ['lint', '--fail-on', 'warning', warningOnly] },
  'allow-empty': { argv: ['lint', '--allow-empty', '-'], stdin: '' },
  'empty-input': { argv: ['lint', '-'], stdin: '' },
  'no-documents': { argv: ['lint', commentsOnly] },
  'empty-list': { argv: ['lint', emptyList] },
  'duplicate-key': { argv: ['lint', concatenated] },
  'unrendered-template': { argv: ['lint', template] },
  'malformed-yaml': { argv: ['lint', malformed] },
  'unknown-option': { argv: ['lint', '--frobnicate', clean] },
  'no-arguments': { argv: [] },
  'no-files': { argv: ['lint'] },
  'stdin-twice': { argv: ['lint', '-', '-'], stdin: '' },
  'missing-file': { argv: ['lint', path.join(dir, 'nope.yaml')] },
  'bad-version': { argv: ['lint', '--kubernetes-version', 'latest', clean] },
  'unknown-rule': { argv: ['lint', '--disable', 'GS999', clean] },
  'diff-duplicate-workload': { argv: ['diff', clean, twice] },
  'diff-changed': { argv: ['diff', clean, longer] },
  'diff-exit-code': { argv: ['diff', '--exit-code', clean, longer] },
  'help': { argv: ['--help'] },
};

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: t => { out += t; }, stderr: t => { err += t; }, readStdin: async () => stdin, readFile: p => fs.readFileSync(p, 'utf8') };
  return { code: await main(argv, io), out, err };
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the table documents every case and every case is documented', () => {
  expect(rows.length).toBeGreaterThanOrEqual(15);
  expect(rows.map(r => r.name).sort()).toEqual(Object.keys(CASES).sort());
});

test.each(rows)('$name exits $code', async ({ name, code, stderr }) => {
  const c = CASES[name];
  const r = await run(c.argv, c.stdin);
  expect(r.code).toBe(code);
  if (code === 2) {
    const first = r.err.split('\n')[0];
    expect(first).toMatch(/^cdk8s-graceful: /);
    expect(r.err).not.toMatch(/\n\s+at /);
    const words = stderr.replace(/^`|`$/g, '').split('...')[0].replace(/^(FILE|stdin)(:LINE(:COL)?)?:\s*/, '').trim();
    expect(first).toContain(words);
    if (name !== 'no-arguments') expect(r.err.trim().split('\n')).toHaveLength(1);
  } else {
    expect(r.err).toBe('');
  }
});

test('the concatenated file names the line of the second object\'s first key', async () => {
  const r = await run(['lint', concatenated]);
  expect(r.err).toMatch(/concat\.yaml:12:1: duplicate key 'apiVersion'/);
});

test('an unrendered template is refused at its first template, without YAML warnings on stderr', async () => {
  const r = await run(['lint', template]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/template\.yaml:4:9: a mapping key that is itself a mapping or list/);
  // A rendered value that merely contains braces in a string is fine.
  const rendered = file('rendered.yaml', `${deployment('web', 'sleep 5')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: alerts}\ndata: {tpl: "{{ .Labels.instance }} is down"}\n`);
  expect((await run(['lint', rendered])).code).toBe(0);
  // A template that does not even parse says so too.
  const broken = await run(['lint', file('broken.yaml', 'kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n')]);
  expect(broken.code).toBe(2);
  expect(broken.err).toMatch(/malformed YAML: .*; an unrendered template \(\{\{ \.\.\. \}\}\)\? Lint the rendered output/);
});

test('a directory is one input: an empty file beside manifests is fine, a directory of empty files is not', async () => {
  const mixed = path.join(dir, 'mixed');
  fs.mkdirSync(mixed);
  fs.writeFileSync(path.join(mixed, 'a.yaml'), fs.readFileSync(clean, 'utf8'));
  fs.writeFileSync(path.join(mixed, 'empty.k8s.yaml'), '');
  expect((await run(['lint', mixed])).code).toBe(0);
  const empties = path.join(dir, 'empties');
  fs.mkdirSync(empties);
  fs.writeFileSync(path.join(empties, 'empty.yaml'), '');
  const r = await run(['lint', empties]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(`${empties}: empty input`);
});
