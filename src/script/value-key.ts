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

/** Where a library probe keeps its value key (a symbol: never serialized, never in the API). */
const PROBE_KEY: unique symbol = Symbol('cdk8s-graceful-shutdown.probe-key');

/** Anything with a body to render, as `IPollProbe` (kept structural so this module imports nothing). */
interface ProbeLike {
  renderBody(): string;
}

/**
 * Marks a probe whose body is a function of `values` alone, so a poll step can key it without
 * rendering it: a 1-3 KB body in every script key was hashed once per workload. Every input of the
 * body must be among `values` (test/script/probe-key.test.ts renders probes with equal and
 * different keys and compares their bodies).
 */
export function keyedProbe<T extends ProbeLike>(probe: T, tag: string, ...values: Array<string | number | boolean>): T {
  (probe as T & { [PROBE_KEY]?: string })[PROBE_KEY] = keyOf(tag, ...values);
  return probe;
}

/** The value key of a probe: the one `keyedProbe` gave it, or else (a user's probe) its body. */
export function probeKey(probe: ProbeLike): string {
  return (probe as ProbeLike & { [PROBE_KEY]?: string })[PROBE_KEY] ?? keyOf('B', probe.renderBody());
}
