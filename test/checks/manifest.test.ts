import * as fc from 'fast-check';
import * as YAML from 'yaml';
import { ManifestError, readManifests } from '../../src/checks/manifest';

// The reader cuts input into documents (and kubectl's Lists into their items) before parsing, so
// memory follows one document. Cut or whole, the objects and their lines must be the same as a
// YAML library reading the whole text.

const read = (text: string) => [...readManifests(text, 'f')];

/** What the yaml library reads from the whole text: every document, Lists expanded. */
function whole(text: string): unknown[] {
  return YAML.parseAllDocuments(text).flatMap(d => {
    const js = d.toJS();
    if (js === null || js === undefined) return [];
    return js.kind?.endsWith?.('List') && Array.isArray(js.items) ? js.items : [js];
  });
}

const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('a b', 'x: y', '- z', '#not a comment', 'multi\nline\n', '', '---', "it's", '"q"'));
const object = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constantFrom('ConfigMap', 'Pod', 'Service'),
  metadata: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), labels: fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.string({ maxLength: 8 })) }),
  data: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), scalar, { maxKeys: 4 }),
  spec: fc.record({ containers: fc.array(fc.record({ name: fc.constant('c'), args: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }) }), { maxLength: 2 }) }),
});

test('documents and kubectl Lists read one by one equal the whole text read at once', () => {
  fc.assert(fc.property(fc.array(object, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (objects, asList, blockScalars) => {
    const opts = { blockQuote: blockScalars ? true : 'folded' as const, lineWidth: 0 };
    const text = asList
      ? YAML.stringify({ apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }, { ...opts, indentSeq: false })
      : objects.map(o => YAML.stringify(o, opts)).join('---\n');
    expect(read(text).map(o => o.object)).toEqual(whole(text));
  }), { numRuns: 200, seed: 7 });
});

test('a kubectl List is cut into items with their own lines; a key twice in an item is still an error', () => {
  const list = 'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\nkind: List\nmetadata:\n  resourceVersion: ""\n';
  expect(read(list).map(o => [(o.object as any).metadata.name, o.line])).toEqual([['a', 3], ['b', 7]]);
  const dup = list.replace('  kind: Pod\n', '  kind: Pod\n  kind: Service\n');
  expect(() => read(dup)).toThrow(ManifestError);
  expect(() => read(dup)).toThrow(/^f:9:3: duplicate key 'kind'/);
  expect(() => read(list.replace('kind: List\n', 'kind: List\nkind: List\n'))).toThrow(/duplicate key 'kind'/);
});

test('anchors across items: the List is read whole', () => {
  const list = 'apiVersion: v1\nitems:\n- &x {kind: ConfigMap, metadata: {name: a}}\n- *x\nkind: List\n';
  expect(read(list).map(o => (o.object as any).metadata.name)).toEqual(['a', 'a']);
});
