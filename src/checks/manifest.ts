/**
 * Reading multi-document YAML (kubectl, Helm and cdk8s output) into objects with their lines,
 * one document at a time: the text is cut at document markers (`---` or `...` at the start of a
 * line, which YAML 1.2 reserves for them, even inside block scalars), and each document is parsed,
 * handed on and dropped before the next, so memory grows with the largest document, not the file.
 * Module-internal: used by the CLI.
 */
import { isMap, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { LocatedObject } from './workload';

/** Bad input: names the file and line; the CLI prints it without a stack trace and exits 2. */
export class ManifestError extends Error {
  /**
   * @param message the whole one-line message, source and line included
   * @param source the file, or `stdin`
   * @param line 1-based line of the problem, when known
   */
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
  /** When the text's lines are not consecutive in the input: the input line (0-based) of each. */
  readonly lines?: number[];
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

const RENDER_FIRST = 'Lint the rendered output, e.g. helm template RELEASE CHART | cdk8s-graceful lint -';

/** What counts as "nothing" in a document: comments, blank lines, markers. */
const BLANK = /^(?:\s*(?:#.*)?(?:\r?\n|$)|(?:---|\.\.\.)(?:[ \t].*)?(?:\r?\n|$))*$/;

/** A parsed YAML document: its value and the line of a node in the whole input. */
interface ParsedDocument {
  readonly js: unknown;
  readonly contents: unknown;
  readonly lineOf: (node: unknown) => number | undefined;
}

/**
 * Parses one document. `colOffset` is added to error columns (list items are parsed with their
 * indentation removed). Throws {@link ManifestError} on malformed YAML and duplicate keys.
 */
function parseOne(d: DocumentText, source: string, colOffset = 0): ParsedDocument | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(d.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: d.lines ? (d.lines[p.line - 1] ?? d.firstLine) + 1 : p.line + d.firstLine, col: p.col + colOffset };
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = at(e.pos[0]);
    if (e.code === 'DUPLICATE_KEY') {
      const key = /^["']?([^\s:"']+)/.exec(d.text.slice(e.pos[0], e.pos[0] + 200))?.[1];
      throw new ManifestError(`${source}:${pos.line}:${pos.col}: duplicate key${key ? ` '${key}'` : ''} in one YAML mapping (two objects concatenated without '---' between them?)`, source, pos.line);
    }
    const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const hint = d.text.includes('{{') ? `; an unrendered template ({{ ... }})? ${RENDER_FIRST}` : '';
    throw new ManifestError(`${source}:${pos.line}:${pos.col}: malformed YAML: ${first}${hint}`, source, pos.line);
  }
  const contents = doc.contents;
  if (contents === null || contents === undefined) return undefined;
  // Kubernetes objects have only string keys. A key that is a mapping is what YAML makes of an
  // unrendered Go template (`name: {{ .Release.Name }}` reads as `{ {.Release.Name: null}: null }`),
  // i.e. a Helm chart's templates/ linted instead of `helm template`'s output: nothing in it can be
  // checked, and a gate that passed would pass blind.
  let templateAt: number | undefined;
  visit(doc, {
    Pair: (_, pair, path) => {
      if (!isMap(pair.key) && !isSeq(pair.key)) return undefined;
      // The mapping that holds the odd key starts where the template's `{{` does.
      templateAt = (path[path.length - 1] as any)?.range?.[0] ?? (pair.key as any).range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  if (templateAt !== undefined) {
    const pos = at(templateAt);
    throw new ManifestError(`${source}:${pos.line}:${pos.col}: a mapping key that is itself a mapping or list: an unrendered template ({{ ... }})? ${RENDER_FIRST}`, source, pos.line);
  }
  const lineOf = (node: unknown) => {
    const range = (node as { range?: [number, number, number] | null } | null | undefined)?.range;
    return range ? at(range[0]).line : undefined;
  };
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new ManifestError(`${source}:${lineOf(contents) ?? d.firstLine + 1}: cannot read YAML document: ${(e as Error).message.split('\n')[0]}`, source);
  }
  return js === null || js === undefined ? undefined : { js, contents, lineOf };
}

/**
 * The items of a `kind: List` document as kubectl writes it (`items:` at column 0, each item a
 * `- ` at column 0 with its lines indented by two), cut apart so that each is parsed on its own:
 * `kubectl get -A -o yaml` prints one such document for a whole cluster. The document's own keys
 * are parsed too (duplicate keys stay an error). Undefined when the document has another shape;
 * it is then parsed whole.
 */
function kubectlListItems(d: DocumentText, source: string): DocumentText[] | undefined {
  if (!/^items:[ \t]*\r?$/m.test(d.text) || !/^kind:[ \t]*\w*List[ \t]*\r?$/m.test(d.text)) return undefined;
  // Anchors and aliases may reach across items (kubectl writes none): parse such a document whole.
  if (/(^|[\s[{,])[&*][\w.-]+(?=[\s\]},]|$)/m.test(d.text)) return undefined;
  const lines = d.text.split('\n');
  // The document's own keys (apiVersion, kind, metadata, `items:`), with the input line of each.
  const outer: string[] = [];
  const outerLines: number[] = [];
  const items: DocumentText[] = [];
  let current: string[] | undefined;
  let currentLine = 0;
  let inItems = false;
  const close = () => {
    if (current) items.push({ text: current.join('\n'), firstLine: currentLine });
    current = undefined;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const blank = /^\s*(#.*)?\r?$/.test(line);
    if (inItems && /^-( |\r?$)/.test(line)) {
      close();
      current = [line.slice(2)];
      currentLine = d.firstLine + n;
    } else if (inItems && (blank || line.startsWith('  '))) {
      if (current) current.push(blank ? '' : line.slice(2));
      else if (!blank) return undefined;
    } else {
      close();
      inItems = /^items:[ \t]*\r?$/.test(line);
      if (!blank && !inItems && !/^[A-Za-z_"'-]/.test(line) && !line.startsWith('  ')) return undefined;
      outer.push(line);
      outerLines.push(d.firstLine + n);
    }
  }
  close();
  parseOne({ text: outer.join('\n'), firstLine: d.firstLine, lines: outerLines }, source);
  return items;
}

/**
 * Parses every YAML document in `text`, one at a time. Empty documents are skipped; `List`
 * objects are expanded into their items, each with its own line (kubectl's Lists are cut into
 * their items before parsing, so a whole cluster's `kubectl get -o yaml` costs the memory of one
 * item). Throws {@link ManifestError} on malformed YAML and on a key given twice in one mapping
 * (often two objects concatenated without `---`, where YAML would silently keep only the later
 * values).
 */
export function* readManifests(text: string, source: string): Generator<LocatedObject> {
  for (const d of documentTexts(text)) {
    if (BLANK.test(d.text)) continue;
    const items = kubectlListItems(d, source);
    if (items) {
      for (const item of items) {
        const parsed = parseOne(item, source, 2);
        yield { object: parsed?.js ?? null, source, line: parsed?.lineOf(parsed.contents) ?? item.firstLine + 1 };
      }
      continue;
    }
    const parsed = parseOne(d, source);
    if (!parsed) continue;
    const { js, contents, lineOf } = parsed;
    const obj = js as Record<string, unknown>;
    if (isMap(contents) && typeof obj.kind === 'string' && /List$/.test(obj.kind) && Array.isArray(obj.items)) {
      const itemsNode = contents.get('items', true);
      const nodes = isSeq(itemsNode) ? itemsNode.items : [];
      for (let i = 0; i < obj.items.length; i++) {
        yield { object: obj.items[i], source, line: lineOf(nodes[i]) ?? lineOf(contents) };
      }
      continue;
    }
    yield { object: js, source, line: lineOf(contents) };
  }
}
