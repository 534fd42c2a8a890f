/**
 * Small pure parsers used by the rules. Module-internal: not part of the jsii API.
 */
import { parse as parseYaml } from 'yaml';
import { parseGoDuration } from '../plan/go-duration';

export { parseGoDuration };

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
