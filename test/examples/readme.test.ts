import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import * as ts from 'typescript';
import * as lib from '../../src';

/**
 * The README's usage example runs as written (with the package name mapped to the source), and
 * prints exactly the timeline the README shows after it.
 */
test("the README's usage example runs and prints the timeline the README shows", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use\n'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  const shown = /```ts\n[\s\S]*?```[\s\S]*?```\n([\s\S]*?)```/.exec(section)![1].trimEnd();
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
  const printed: string[] = [];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-readme-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    const modules: Record<string, unknown> = { 'cdk8s': cdk8s, 'cdk8s-graceful-shutdown': lib };
    const fakeRequire = (name: string) => {
      if (!(name in modules)) throw new Error(`the README example imports ${name}`);
      return modules[name];
    };
    const fakeConsole = { log: (...args: unknown[]) => printed.push(args.join(' ')) };
    new Function('require', 'exports', 'console', js)(fakeRequire, {}, fakeConsole);
    expect(printed.join('\n')).toBe(shown);
    expect(fs.readdirSync(outdir)).toEqual(['web.k8s.yaml']);
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
