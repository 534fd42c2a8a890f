/**
 * Reading multi-document YAML (kubectl, Helm and cdk8s output) into objects with their lines.
 * Module-internal: used by the CLI.
 */
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { LocatedObject } from './workload';

/** Bad input: names the file and line; the CLI prints it without a stack trace. */
export class ManifestError extends Error {
  public constructor(message: string, public readonly source: string, public readonly line?: number) {
    super(message);
    this.name = 'ManifestError';
  }
}

/**
 * Parses every YAML document in `text`. Empty documents are dropped; `List` objects are expanded
 * into their items, each with its own line. Throws {@link ManifestError} on malformed YAML.
 */
export function readManifests(text: string, source: string): LocatedObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: LocatedObject[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = lineCounter.linePos(e.pos[0]);
      const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new ManifestError(`${source}:${pos.line}:${pos.col}: malformed YAML: ${first}`, source, pos.line);
    }
    const contents = doc.contents;
    if (contents === null || contents === undefined) continue;
    const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) =>
      node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new ManifestError(`${source}:${lineOf(contents as any) ?? 1}: cannot read YAML document: ${(e as Error).message.split('\n')[0]}`, source);
    }
    if (js === null || js === undefined) continue;
    const obj = js as Record<string, unknown>;
    if (isMap(contents) && typeof obj.kind === 'string' && /List$/.test(obj.kind) && Array.isArray(obj.items)) {
      const itemsNode = contents.get('items', true);
      const nodes = isSeq(itemsNode) ? itemsNode.items : [];
      obj.items.forEach((item, i) => out.push({ object: item, source, line: lineOf(nodes[i] as any) ?? lineOf(contents as any) }));
      continue;
    }
    out.push({ object: js, source, line: lineOf(contents as any) });
  }
  return out;
}
