import { Duration } from 'cdk8s';
import { parse, stringify } from 'yaml';
import { parseGoDuration as parseDurationMillis } from '../plan/go-duration';

/**
 * The pod annotation that overrides the mesh's ProxyConfig for one workload. Its value is YAML
 * (or JSON) of ProxyConfig fields, e.g. `terminationDrainDuration`, `holdApplicationUntilProxyStarts`
 * and `proxyMetadata` (istio.io/latest/docs/reference/config/annotations/#ProxyConfig and
 * .../istio.mesh.v1alpha1/#ProxyConfig). istiod reads it with `mesh.MergeProxyConfig`, i.e.
 * `protomarshal.ApplyYAML` (istio/istio `pkg/config/mesh/mesh.go`): YAML to JSON to protobuf,
 * so durations must use the protobuf JSON form, seconds with an `s` suffix (`60s`, `1.5s`):
 * Go's `1m30s` is rejected there.
 */
export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/** pilot-agent environment variable (set through `proxyMetadata`): exit once no connection is active. */
export const EXIT_ON_ZERO_ACTIVE_CONNECTIONS = 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS';
/** pilot-agent environment variable (set through `proxyMetadata`): wait this long before counting. */
export const MINIMUM_DRAIN_DURATION = 'MINIMUM_DRAIN_DURATION';

/** The ProxyConfig fields the construct derives from its plan. @internal */
export interface DerivedProxyConfig {
  /** From the proxy-drain phase's bound. */
  readonly terminationDrainDuration: Duration;
  /** Written only when set. */
  readonly holdApplicationUntilProxyStarts?: boolean;
  /** Whether to write `EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"` and `MINIMUM_DRAIN_DURATION`. */
  readonly exitOnZeroActiveConnections: boolean;
  /** Written when `exitOnZeroActiveConnections` is on. */
  readonly minimumDrainDuration?: Duration;
}

/** `60s`, `1.5s`: protobuf JSON duration form, which Go's `time.ParseDuration` also reads. @internal */
export function protoDuration(d: Duration): string {
  const ms = d.toMilliseconds();
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** Which user property sets each derived field, for error messages. */
const PROPERTY: Record<string, string> = {
  terminationDrainDuration: 'terminationDrainDuration',
  holdApplicationUntilProxyStarts: 'holdApplicationUntilProxyStarts',
  [`proxyMetadata.${EXIT_ON_ZERO_ACTIVE_CONNECTIONS}`]: 'exitOnZeroActiveConnections',
  [`proxyMetadata.${MINIMUM_DRAIN_DURATION}`]: 'minimumDrainDuration',
};

/** The derived fields as the object that becomes the annotation's YAML. @internal */
export function derivedProxyConfigObject(c: DerivedProxyConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { terminationDrainDuration: protoDuration(c.terminationDrainDuration) };
  if (c.holdApplicationUntilProxyStarts !== undefined) out.holdApplicationUntilProxyStarts = c.holdApplicationUntilProxyStarts;
  if (c.exitOnZeroActiveConnections) {
    // proxyMetadata is a map<string, string>: the boolean is the string "true".
    const meta: Record<string, string> = { [EXIT_ON_ZERO_ACTIVE_CONNECTIONS]: 'true' };
    if (c.minimumDrainDuration) meta[MINIMUM_DRAIN_DURATION] = protoDuration(c.minimumDrainDuration);
    out.proxyMetadata = meta;
  }
  return out;
}

/**
 * Renders `proxy.istio.io/config`: the derived fields merged into the YAML the user already set
 * (`existing`). Keys the construct does not derive are kept as they are; a derived key the user
 * set to another value is an error naming both values and the property to use instead.
 * @internal
 */
export function renderProxyConfig(c: DerivedProxyConfig, existing?: string): string {
  const derived = derivedProxyConfigObject(c);
  if (existing === undefined || existing.trim() === '') return derivedYaml(derived);
  let user: unknown;
  try {
    user = parse(existing);
  } catch (e) {
    throw new Error(`podAnnotations['${PROXY_CONFIG_ANNOTATION}'] is not valid YAML (${(e as Error).message.split('\n')[0]}). Fix the annotation or remove it.`);
  }
  if (user === null || user === undefined) return derivedYaml(derived);
  if (!isMapping(user)) {
    throw new Error(`podAnnotations['${PROXY_CONFIG_ANNOTATION}'] must be a YAML mapping of ProxyConfig fields, not ${JSON.stringify(user)}.`);
  }
  const merged: Record<string, unknown> = { ...user };
  for (const [key, value] of Object.entries(derived)) {
    if (key === 'proxyMetadata') {
      const theirs = merged.proxyMetadata;
      if (theirs !== undefined && theirs !== null && !isMapping(theirs)) {
        throw new Error(`podAnnotations['${PROXY_CONFIG_ANNOTATION}']: proxyMetadata must be a mapping of environment variables, not ${JSON.stringify(theirs)}.`);
      }
      const meta: Record<string, unknown> = { ...(theirs as Record<string, unknown> | undefined ?? {}) };
      for (const [k, v] of Object.entries(value as Record<string, string>)) {
        if (k in meta) assertSame(`proxyMetadata.${k}`, meta[k], v);
        meta[k] = v;
      }
      merged.proxyMetadata = meta;
      continue;
    }
    if (key in merged) assertSame(key, merged[key], value);
    merged[key] = value;
  }
  // A user who set exit-on-zero by hand without the construct knowing would make the plan wrong.
  const theirMeta = merged.proxyMetadata as Record<string, unknown> | undefined;
  if (!c.exitOnZeroActiveConnections && theirMeta && isMapping(theirMeta)) {
    for (const k of [EXIT_ON_ZERO_ACTIVE_CONNECTIONS, MINIMUM_DRAIN_DURATION]) {
      if (k in theirMeta) {
        throw new Error(`podAnnotations['${PROXY_CONFIG_ANNOTATION}'] sets proxyMetadata.${k}: ${show(theirMeta[k])}, which the construct derives. Remove it from the annotation and set ${PROPERTY[`proxyMetadata.${k}`]} on the construct instead, so the plan knows the drain can end early.`);
      }
    }
  }
  return stringify(merged);
}

/** YAML of the derived fields alone. */
function derivedYaml(derived: Record<string, unknown>): string {
  return stringify(derived);
}

function assertSame(path: string, theirs: unknown, ours: unknown): void {
  if (sameValue(theirs, ours)) return;
  throw new Error(`podAnnotations['${PROXY_CONFIG_ANNOTATION}'] sets ${path}: ${show(theirs)}, but the construct derives ${path}: ${show(ours)} from its shutdown plan. Remove ${path} from the annotation and set ${PROPERTY[path]} on the construct instead (the grace period is derived from it).`);
}

function sameValue(theirs: unknown, ours: unknown): boolean {
  if (typeof ours === 'boolean') return theirs === ours || String(theirs) === String(ours);
  if (typeof ours === 'string' && ours === 'true') return theirs === true || theirs === 'true';
  if (typeof ours === 'string') {
    const a = parseDurationMillis(String(theirs));
    const b = parseDurationMillis(ours);
    if (a !== undefined && b !== undefined) return a === b;
  }
  return String(theirs) === String(ours);
}

/** Reads Go / protobuf duration text (`60s`, `1m`, `1m30s`, `1.5s`, `500ms`) as milliseconds: the one Go-duration reader. @internal */
export { parseDurationMillis };

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}
