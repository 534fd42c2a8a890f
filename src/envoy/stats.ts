/**
 * Envoy listener stat names and the `/stats` filter that selects them. Pure: no constructs, no I/O.
 *
 * Sources (envoyproxy/envoy):
 * - docs/root/configuration/listeners/stats.rst: `listener.<address>.downstream_cx_active` is a
 *   gauge per listener; a listener's `stat_prefix` replaces `<address>`; per-handler copies
 *   `listener.<address>.worker_<N>.…` and `….main_thread.…` exist alongside the totals, so summing
 *   every match double-counts. The admin listener is `listener.admin.…`.
 * - The address is the listener's address as Envoy prints it with `:` turned into `_`:
 *   `0.0.0.0:8080` → `0.0.0.0_8080`, `[::]:2222` → `[__]_2222` (Envoy's integration tests use
 *   `listener.[__]_0.…`).
 * - source/server/admin/stats_params.cc: `filter=` is compiled with RE2 (`Invalid re2 regex` → 400)
 *   and matched partially, so the filter is anchored with `^…$`; RE2 has no lookarounds and no
 *   backreferences, so exclusions happen in the script, not in the regex.
 * - The sentinel `server.live`: `usedonly` keeps only stats whose Used flag is set, and a gauge's
 *   `set()` sets it whatever the value (source/common/stats/allocator.cc, `GaugeImpl::set`).
 *   `InstanceImpl::initialize` calls `failHealthcheck(false)`, which does
 *   `server_stats_->live_.set(...)` before the admin listener starts (source/server/server.cc), and
 *   `/healthcheck/fail` sets it to 0. So every `/stats?usedonly` answer from a running Envoy has a
 *   `server.live: 0|1` line, and an answer without it did not come from Envoy's stats (or a
 *   bootstrap `stats_matcher` drops `server.*`).
 */
import { assertPort, assertStatPrefix, listenerStatScope, escapeRe2 } from './stat-names';

/** The gauge every drain target reads. */
export const ACTIVE_CONNECTIONS_GAUGE = 'downstream_cx_active';

/** Envoy Gateway's and Istio's lesson: names that are never the traffic you wait for. */
const ALWAYS_EXCLUDED_GLOBS = [
  'listener.admin.*',
  'listener.*.worker_[0-9]*',
  'listener.*.main_thread.*',
  'listener.envoy_internal_*',
];

/** Options of {@link DrainTarget.listener}. */
export interface ListenerDrainOptions {
  /** The port the listener binds. */
  readonly port: number;
  /**
   * The address the listener binds, as in its Envoy config: an IPv4 or IPv6 address, IPv6 with or
   * without brackets (`::`, `[::]`).
   * @default '0.0.0.0'
   */
  readonly address?: string;
}

/** Options of {@link DrainTarget.allListeners}. */
export interface AllListenersDrainOptions {
  /**
   * Listener ports whose connections are not waited for (a stats or readiness listener that a
   * scraper keeps open, as in gateway #4125).
   * @default none besides the built-in exclusions (admin, per-worker copies, envoy_internal_*)
   */
  readonly excludePorts?: number[];
  /**
   * Listener stat prefixes whose connections are not waited for.
   * @default none besides the built-in exclusions
   */
  readonly excludeStatPrefixes?: string[];
}

/** What a {@link DrainTarget} selects. */
export enum DrainTargetKind {
  /** One listener, by bind address and port. */
  LISTENER = 'listener',
  /** One listener, by its `stat_prefix`. */
  STAT_PREFIX = 'statPrefix',
  /** Every listener except the excluded ones. */
  ALL_LISTENERS = 'allListeners',
}

/**
 * Which listeners a drain waits for: a value type, turned into exact Envoy stat names, an
 * anchored RE2 `/stats` filter, and shell patterns by {@link DrainSelection}.
 */
export class DrainTarget {
  /** A listener by bind address and port: `listener.0.0.0.0_8080.downstream_cx_active`. */
  public static listener(options: ListenerDrainOptions): DrainTarget {
    const scope = listenerStatScope(options.address ?? '0.0.0.0', options.port);
    return new DrainTarget(DrainTargetKind.LISTENER, scope, [], []);
  }

  /**
   * A listener by its `stat_prefix`: `listener.<prefix>.downstream_cx_active`. Letters, digits,
   * `_`, `-` and inner dots only, so the prefix cannot change the meaning of the filter regex.
   */
  public static statPrefix(prefix: string): DrainTarget {
    assertStatPrefix(prefix, 'DrainTarget.statPrefix');
    return new DrainTarget(DrainTargetKind.STAT_PREFIX, prefix, [], []);
  }

  /**
   * Every listener's `downstream_cx_active`, except the admin listener, per-worker copies,
   * `envoy_internal_*` listeners and the ones excluded here (what Envoy Gateway sums).
   */
  public static allListeners(options: AllListenersDrainOptions = {}): DrainTarget {
    const ports = options.excludePorts ?? [];
    ports.forEach(p => assertPort(p, 'DrainTarget.allListeners: excludePorts'));
    const prefixes = options.excludeStatPrefixes ?? [];
    prefixes.forEach(p => assertStatPrefix(p, 'DrainTarget.allListeners: excludeStatPrefixes'));
    return new DrainTarget(DrainTargetKind.ALL_LISTENERS, undefined, ports, prefixes);
  }

  /** What the target selects. */
  public readonly kind: DrainTargetKind;
  /** The part of the stat name between `listener.` and `.downstream_cx_active`; absent for all listeners. */
  public readonly statScope?: string;
  /** Ports excluded from an all-listeners target. */
  public readonly excludePorts: number[];
  /** Stat prefixes excluded from an all-listeners target. */
  public readonly excludeStatPrefixes: string[];

  private constructor(kind: DrainTargetKind, statScope: string | undefined, excludePorts: number[], excludeStatPrefixes: string[]) {
    this.kind = kind;
    this.statScope = statScope;
    this.excludePorts = excludePorts;
    this.excludeStatPrefixes = excludeStatPrefixes;
  }

  /** The exact stat name, for a single listener. */
  public get statName(): string | undefined {
    return this.statScope === undefined ? undefined : `listener.${this.statScope}.${ACTIVE_CONNECTIONS_GAUGE}`;
  }

  /** For people: `listener 0.0.0.0_8080`, `all listeners except ports 19001`. */
  public toString(): string {
    if (this.statScope !== undefined) return `listener ${this.statScope}`;
    const ex = [
      ...this.excludePorts.map(p => `port ${p}`),
      ...this.excludeStatPrefixes.map(p => `prefix ${p}`),
    ];
    return `all listeners${ex.length ? ` except ${ex.join(', ')}` : ''}`;
  }
}

/**
 * The union of drain targets: the exact stat names (or all listeners with exclusions), the
 * anchored RE2 filter for `/stats?usedonly&filter=`, and the matching rules the shell probe uses.
 */
export class DrainSelection {
  /**
   * The stat every `/stats?usedonly` answer from Envoy carries (`server.live`, set at start-up and
   * by `/healthcheck/fail`). The filter asks for it too, and an answer without it is unknown, not
   * zero: a 2xx with an empty body from something that is not Envoy cannot end the drain.
   */
  public static readonly SENTINEL_STAT = 'server.live';

  /** Combines targets; an all-listeners target stands alone. */
  public static of(targets: DrainTarget[]): DrainSelection {
    if (targets.length === 0) throw new Error('a drain selection needs at least one target: list listeners, or use DrainTarget.allListeners().');
    const all = targets.filter(t => t.kind === DrainTargetKind.ALL_LISTENERS);
    if (all.length > 0 && targets.length > 1) {
      throw new Error(`DrainTarget.allListeners() already selects every listener; it cannot be combined with ${targets.filter(t => t.kind !== DrainTargetKind.ALL_LISTENERS).map(t => t.toString()).join(', ') || 'another allListeners()'}. Use allListeners({ excludePorts }) alone, or list the listeners.`);
    }
    return new DrainSelection(targets);
  }

  /** The targets (frozen). */
  public readonly targets: DrainTarget[];
  /** Whether every listener (minus exclusions) is selected. */
  public readonly allListeners: boolean;
  /** The exact stat names summed, in order, without duplicates; empty for all listeners (frozen). */
  public readonly statNames: string[];

  private constructor(targets: DrainTarget[]) {
    // Frozen: a selection is a value, shared by gateways built from equal props.
    this.targets = Object.freeze([...targets]) as DrainTarget[];
    this.allListeners = targets[0].kind === DrainTargetKind.ALL_LISTENERS;
    this.statNames = Object.freeze([...new Set(targets.map(t => t.statName).filter((n): n is string => n !== undefined))]) as string[];
  }

  /**
   * The anchored RE2-safe filter:
   * `^(server\.live|listener\.(0\.0\.0\.0_8080|\[__\]_2222)\.downstream_cx_active)$`, or
   * `^(server\.live|listener\..*\.downstream_cx_active)$` for all listeners (exclusions are applied
   * when summing). `server.live` is the sentinel ({@link DrainSelection.SENTINEL_STAT}).
   */
  public get filterRegex(): string {
    const sentinel = escapeRe2(DrainSelection.SENTINEL_STAT);
    const tail = `\\.${ACTIVE_CONNECTIONS_GAUGE}`;
    if (this.allListeners) return `^(${sentinel}|listener\\..*${tail})$`;
    const scopes = [...new Set(this.targets.map(t => escapeRe2(t.statScope!)))];
    return `^(${sentinel}|listener\\.${scopes.length === 1 ? scopes[0] : `(${scopes.join('|')})`}${tail})$`;
  }

  /** The admin path that returns the selected gauges: `/stats?usedonly&filter=<url-encoded regex>`. */
  public get statsPath(): string {
    return `/stats?usedonly&filter=${encodeURIComponent(this.filterRegex)}`;
  }

  /** Glob patterns (shell `case` syntax, already quoted) of names never summed. */
  public get excludedPatterns(): string[] {
    if (!this.allListeners) return [];
    const t = this.targets[0];
    return [
      ...ALWAYS_EXCLUDED_GLOBS,
      ...t.excludePorts.map(p => `'listener.'*'_${p}.${ACTIVE_CONNECTIONS_GAUGE}'`),
      ...t.excludeStatPrefixes.map(p => `'listener.${p}.${ACTIVE_CONNECTIONS_GAUGE}'`),
    ];
  }

  /** Glob patterns (shell `case` syntax, quoted) of names summed once the exclusions are out. */
  public get includedPatterns(): string[] {
    if (this.allListeners) return [`listener.*.${ACTIVE_CONNECTIONS_GAUGE}`];
    // Single-quoted: `[__]` must not be a bracket expression.
    return this.statNames.map(n => `'${n}'`);
  }

  /** Whether a stat name is summed: the same rule the shell probe applies, for tests and tools. */
  public selects(name: string): boolean {
    if (!this.allListeners) return this.statNames.includes(name);
    const t = this.targets[0];
    const gauge = `.${ACTIVE_CONNECTIONS_GAUGE}`;
    if (!name.startsWith('listener.') || !name.endsWith(gauge)) return false;
    if (name.startsWith('listener.admin.') || name.startsWith('listener.envoy_internal_')) return false;
    if (/^listener\..*\.worker_[0-9]/.test(name) || /^listener\..*\.main_thread\./.test(name)) return false;
    if (t.excludePorts.some(p => name.endsWith(`_${p}${gauge}`))) return false;
    if (t.excludeStatPrefixes.some(p => name === `listener.${p}${gauge}`)) return false;
    return true;
  }

  /** For people: `listener 0.0.0.0_8080, listener [__]_2222`. */
  public toString(): string {
    return this.targets.map(t => t.toString()).join(', ');
  }
}
