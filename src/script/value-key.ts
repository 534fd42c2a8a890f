/**
 * What the pattern directories used from here before the one cache moved to src/core: the
 * derivation cache and value keys are re-exported from there; the per-probe and per-factory
 * caches are gone. `keyedProbe` and `madeFrom` stay as plain calls until their call sites switch.
 * Module-internal (not exported from the package).
 */
export { DerivationCache, valueKey, withValueKey, withoutDerivationCache } from '../core';
import { withValueKey } from '../core';

/**
 * Returns `probe` as it is. Probes were once stamped with a value key for a render cache; a
 * spread copy carried the stamp to a different probe. Nothing keys probes now. Callers: drop it.
 * @deprecated call the probe factory directly
 */
export function keyedProbe<T>(probe: T, _tag: string, ..._values: Array<string | number | boolean>): T {
  return probe;
}

/** A probe's body, which is all a probe renders. @deprecated render the probe */
export function probeKey(probe: { renderBody(): string }): string {
  return probe.renderBody();
}

/**
 * `make(options)`, recorded as equal in value to every object made by the same factory from equal
 * options (so props holding it can be keyed by the derivation cache). No cache of its own.
 */
export function madeFrom<O, T extends object>(tag: string, options: O, make: (options: O) => T): T {
  return withValueKey(make(options), tag, options);
}

/** Returns `text`: the interning table is gone (the derivation cache shares texts). @deprecated drop the call */
export function intern(text: string): string {
  return text;
}
