import { Duration } from 'cdk8s';

/**
 * Compact human form of a duration for timelines and error messages: `0s`, `0.5s`, `47s`,
 * `1m30s`, `2h`, `1d`. Whole units only above a minute, so `90s` reads `1m30s`.
 */
export function formatMillis(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms}ms`;
  if (ms < 60_000) {
    const s = Math.round(ms) / 1000;
    return `${Number.isInteger(s) ? s : Number(s.toFixed(3))}s`;
  }
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}

export function formatDuration(d: Duration): string {
  return formatMillis(d.toMilliseconds());
}

/** Whole seconds, rounded up: Kubernetes takes integer seconds and rounding down would cut a phase short. */
export function ceilSeconds(d: Duration): number {
  // `+ 0` turns the -0 of Math.ceil(-1e-9) into 0.
  return Math.ceil(d.toMilliseconds() / 1000 - 1e-9) + 0;
}
