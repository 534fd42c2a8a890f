/**
 * The one reader of Go duration text (`30s`, `1m30s`, `1.5h`, `500ms`, `0`), as Istio's
 * `terminationDrainDuration`, `MINIMUM_DRAIN_DURATION` and Envoy Gateway's `--drain-timeout` are
 * written (Go's time.ParseDuration). Module-internal: not part of the jsii API.
 */

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const WHOLE = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Milliseconds of a Go duration, rounded to the microsecond (so `1.1s` is 1100, not
 * 1100.0000000000002). Undefined when the text is not one: Go rejects `30` without a unit, and so
 * does this.
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = WHOLE.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const p of m[2].matchAll(PART)) total += parseFloat(p[1]) * GO_UNITS[p[2]];
  total = Math.round(total * 1000) / 1000;
  return m[1] === '-' ? -total : total;
}
