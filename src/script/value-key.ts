/**
 * Module-internal (not exported from the package): value keys for memoizing rendered text.
 * An unambiguous key of a tag and values, each value length-prefixed, so no two different value
 * lists give the same key whatever characters the values hold.
 */
export function keyOf(tag: string, ...values: Array<string | number | boolean>): string {
  let out = tag;
  for (const v of values) {
    const s = String(v);
    out += `${s.length}:${s}`;
  }
  return out;
}
