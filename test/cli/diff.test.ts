import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliIo, main } from '../../src/cli/main';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-graceful-diff-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const deployment = (name: string, preStop: string, grace?: number, annotations = '') => [
  'apiVersion: apps/v1', 'kind: Deployment', `metadata: {name: ${name}, namespace: shop}`, 'spec:', '  template:',
  `    metadata: {annotations: {${annotations}}}`, '    spec:',
  ...(grace === undefined ? [] : [`      terminationGracePeriodSeconds: ${grace}`]),
  '      containers:', '      - name: app', '        image: app:1',
  `        lifecycle: {preStop: {exec: {command: ["/bin/sh", "-c", "${preStop}"]}}}`, '',
].join('\n');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: t => { out += t; }, stderr: t => { err += t; }, readStdin: async () => '', readFile: p => fs.readFileSync(p, 'utf8') };
  return { code: await main(argv, io), out, err };
}

describe('cdk8s-graceful diff', () => {
  const oldDir = path.dirname(write('old/a.yaml', deployment('web', 'sleep 5')));
  write('old/b.yaml', `${deployment('api', 'sleep 5', 60)}---\n${deployment('gone', 'sleep 1')}`);
  const newDir = path.dirname(write('new/a.yaml', deployment('web', 'sleep 40', 30, '"proxy.istio.io/config": "terminationDrainDuration: 20s"')));
  write('new/b.yaml', `${deployment('api', 'sleep 5', 60)}---\n${deployment('added', 'sleep 2')}`);

  test('text: grace, phases, preStop steps, Istio drain and new findings, per workload; unchanged ones left out', async () => {
    const r = await run(['diff', oldDir, newDir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('~ Deployment shop/web (changed)');
    expect(r.out).toContain('+ Deployment shop/added (added)');
    expect(r.out).toContain('- Deployment shop/gone (removed)');
    expect(r.out).not.toContain('shop/api');
    expect(r.out).toMatch(/terminationGracePeriodSeconds:\n\s+- 30 \(Kubernetes default\)\n\s+\+ 30\n/);
    expect(r.out).toMatch(/app: sleep:\n\s+- `sleep 5` \(fixed\)\n\s+\+ `sleep 40` \(fixed\)/);
    expect(r.out).toMatch(/Istio drain:\n\s+- \(none\)\n\s+\+ terminationDrainDuration 20s/);
    expect(r.out).toMatch(/findings:\n\s+- none\n\s+\+ GS001 error \(app\)/);
    expect(r.out).toContain('3 workload(s) with changed shutdown behaviour.');
  });

  test('markdown for a pull-request comment: one table per changed workload', async () => {
    const r = await run(['diff', '--format', 'markdown', oldDir, newDir]);
    expect(r.out).toMatch(/^### Shutdown behaviour: `.*old` → `.*new`/);
    expect(r.out).toContain('#### Deployment shop/web (changed)');
    expect(r.out).toContain('| terminationGracePeriodSeconds | 30 (Kubernetes default) | 30 |');
    expect(r.out).toMatch(/\| app: sleep \| `sleep 5` \(fixed\) \| `sleep 40` \(fixed\) \|/);
  });

  test('no change: says so; --exit-code exits 0 then and 1 on a change; json is data', async () => {
    const same = await run(['diff', '--exit-code', oldDir, oldDir]);
    expect(same).toMatchObject({ code: 0, out: 'no change in shutdown behaviour.\n' });
    expect((await run(['diff', '--exit-code', oldDir, newDir])).code).toBe(1);
    const json = JSON.parse((await run(['diff', '--format', 'json', oldDir, newDir])).out);
    expect(json.map((c: any) => `${c.change} ${c.workload}`)).toEqual(['added Deployment shop/added', 'removed Deployment shop/gone', 'changed Deployment shop/web']);
  });

  test('diff needs two inputs', async () => {
    expect(await run(['diff', oldDir])).toMatchObject({ code: 2, err: expect.stringContaining('diff needs exactly two inputs') });
  });
});

describe('cdk8s-graceful timeline formats', () => {
  const f = write('t.yaml', deployment('web', 'sleep 5', 20));
  test('mermaid: a gantt chart per timeline with SIGKILL at the grace period', async () => {
    const r = await run(['timeline', '--format', 'mermaid', f]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^```mermaid\ngantt\n {2}title Deployment shop\/web, container app/);
    expect(r.out).toContain('SIGKILL :milestone, sigkill, 20, 0s');
    expect(r.out.trim().endsWith('```')).toBe(true);
  });
  test('json: phases as data with where the grace period comes from', async () => {
    const j = JSON.parse((await run(['timeline', '--format', 'json', f])).out);
    expect(j[0].gracePeriod).toBe('terminationGracePeriodSeconds: 20 (set in the manifest)');
    expect(j[0].timeline.map((e: any) => [e.name, e.startMillis, e.endMillis])).toEqual([['sleep', 0, 5000], ['stop', 5000, 20000], ['SIGKILL', 20000, 20000]]);
  });
});
