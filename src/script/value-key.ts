/**
 * Module-internal (not exported from the package): value keys for memoizing rendered text, and
 * interning of rendered text.
 */

/**
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

const INTERNED = new Map<string, string>();

/**
 * The one kept instance of a rendered text equal to `text` (bounded: emptied when full). Synthesis
 * keeps every workload's objects until the end; equal texts rendered per workload (plan
 * annotations, nginx.conf) would otherwise each be kept, and walked by every major GC.
 */
export function intern(text: string): string {
  const kept = INTERNED.get(text);
  if (kept !== undefined) return kept;
  if (INTERNED.size >= 1000) INTERNED.clear();
  INTERNED.set(text, text);
  return text;
}
