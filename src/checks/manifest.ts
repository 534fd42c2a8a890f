/**
 * Reading multi-document YAML (kubectl, Helm and cdk8s output) into objects with their lines,
 * one document at a time: the text is cut at document markers (`---` or `...` at the start of a
 * line, which YAML 1.2 reserves for them, even inside block scalars), and each document is parsed,
 * handed on and dropped before the next, so memory grows with the largest document, not the file.
 * Module-internal: used by the CLI.
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { LocatedObject } from './workload';

/** Bad input: names the file and line; the CLI prints it without a stack trace and exits 2. */
export class ManifestError extends Error {
  public constructor(message: string, public readonly source: string, public readonly line?: number) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** One YAML document's text and the line it starts on. */
interface DocumentText {
  readonly text: string;
  /** 0-based line of the document's first line in the whole input. */
  readonly firstLine: number;
}

const MARKER = /^(?:---|\.\.\.)(?=[ \t\r]|$)/;

/** Cuts the input at document markers; the `---` line stays with the document it starts. */
function* documentTexts(text: string): Generator<DocumentText> {
  let start = 0;
  let startLine = 0;
  let line = 0;
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const marker = text.startsWith('---', pos) || text.startsWith('...', pos) ? MARKER.exec(text.slice(pos, Math.min(end, pos + 4))) : null;
    if (marker) {
      // A marker line ends the document before it; `---` also opens the next one, `...` only ends.
      if (pos > start) yield { text: text.slice(start, pos), firstLine: startLine };
      const ends = text.startsWith('...', pos);
      start = ends ? (nl < 0 ? text.length : nl + 1) : pos;
      startLine = ends ? line + 1 : line;
    }
    if (nl < 0) break;
    pos = nl + 1;
    line++;
  }
  if (start < text.length) yield { text: text.slice(start), firstLine: startLine };
}

/** What counts as "nothing" in a document: comments, blank lines, markers. */
const BLANK = /^(?:\s*(?:#.*)?(?:\r?\n|$)|(?:---|\.\.\.)(?:[ \t].*)?(?:\r?\n|$))*$/;

/**
 * Parses every YAML document in `text`, one at a time. Empty documents are skipped; `List`
 * objects are expanded into their items, each with its own line. Throws {@link ManifestError} on
 * malformed YAML and on a key given twice in one mapping (often two objects concatenated without
 * `---`, where YAML would silently keep only the later values).
 */
export function* readManifests(text: string, source: string): Generator<LocatedObject> {
  for (const d of documentTexts(text)) {
    if (BLANK.test(d.text)) continue;
    const lineCounter = new LineCounter();
    const doc = parseDocument(d.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const at = (offset: number) => {
      const p = lineCounter.linePos(offset);
      return { line: p.line + d.firstLine, col: p.col };
    };
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = at(e.pos[0]);
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^["']?([^\s:"']+)/.exec(d.text.slice(e.pos[0], e.pos[0] + 200))?.[1];
        throw new ManifestError(`${source}:${pos.line}:${pos.col}: duplicate key${key ? ` '${key}'` : ''} in one YAML mapping (two objects concatenated without '---' between them?)`, source, pos.line);
      }
      const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new ManifestError(`${source}:${pos.line}:${pos.col}: malformed YAML: ${first}`, source, pos.line);
    }
    const contents = doc.contents;
    if (contents === null || contents === undefined) continue;
    const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) =>
      node?.range ? at(node.range[0]).line : undefined;
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new ManifestError(`${source}:${lineOf(contents as any) ?? d.firstLine + 1}: cannot read YAML document: ${(e as Error).message.split('\n')[0]}`, source);
    }
    if (js === null || js === undefined) continue;
    const obj = js as Record<string, unknown>;
    if (isMap(contents) && typeof obj.kind === 'string' && /List$/.test(obj.kind) && Array.isArray(obj.items)) {
      const itemsNode = contents.get('items', true);
      const nodes = isSeq(itemsNode) ? itemsNode.items : [];
      for (let i = 0; i < obj.items.length; i++) {
        yield { object: obj.items[i], source, line: lineOf(nodes[i] as any) ?? lineOf(contents as any) };
      }
      continue;
    }
    yield { object: js, source, line: lineOf(contents as any) };
  }
}
