/**
 * Small pure parsers used by the rules. Module-internal: not part of the jsii API.
 */
import { parse as parseYaml } from 'yaml';

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

/**
 * Parses a Go duration (`30s`, `1m30s`, `1.5h`, `500ms`, `0`) into milliseconds, as Istio's
 * `terminationDrainDuration` and `MINIMUM_DRAIN_DURATION` are written. Returns undefined when the
 * text is not a Go duration (Go rejects `30` without a unit, and so do we).
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) {
    total += parseFloat(p[1]) * GO_UNITS[p[2]];
  }
  return m[1] === '-' ? -total : total;
}

/** What the rules need from Istio's `proxy.istio.io/config` annotation. */
export interface IstioProxyConfig {
  /** `terminationDrainDuration` in ms; undefined when absent or unparsable. */
  readonly terminationDrainMillis?: number;
  /** The raw `terminationDrainDuration` text, as written. */
  readonly terminationDrainText?: string;
  /** `proxyMetadata`, values as strings. */
  readonly proxyMetadata: Record<string, string>;
  /** Set when the annotation is not valid YAML or not a mapping. */
  readonly error?: string;
}

/**
 * Parses the `proxy.istio.io/config` annotation (a YAML or JSON mapping, e.g.
 * `terminationDrainDuration: 30s` and `proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"}`).
 * Never throws: bad text comes back with `error` set.
 */
export function parseIstioProxyConfig(text: string): IstioProxyConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { proxyMetadata: {}, error: `proxy.istio.io/config is not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (doc === null || doc === undefined) return { proxyMetadata: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { proxyMetadata: {}, error: 'proxy.istio.io/config is not a YAML mapping' };
  }
  const obj = doc as Record<string, unknown>;
  const meta: Record<string, string> = {};
  const pm = obj.proxyMetadata;
  if (pm && typeof pm === 'object' && !Array.isArray(pm)) {
    for (const [k, v] of Object.entries(pm as Record<string, unknown>)) meta[k] = String(v);
  }
  const tdd = obj.terminationDrainDuration;
  const tddText = tdd === undefined || tdd === null ? undefined : String(tdd);
  return {
    terminationDrainText: tddText,
    terminationDrainMillis: tddText === undefined ? undefined : parseGoDuration(tddText),
    proxyMetadata: meta,
  };
}

/** Parses `1.28`, `v1.29.3`, `1.30.0-gke.1` into `[major, minor]`; undefined when it is not a version. */
export function parseKubernetesVersion(text: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Whether `version` is at least `major.minor`. */
export function versionAtLeast(version: [number, number], major: number, minor: number): boolean {
  return version[0] > major || (version[0] === major && version[1] >= minor);
}
