/**
 * Module-internal (not exported from the package): value keys, the bounded caches built on them
 * (rendered scripts and texts, each pattern's derivation from its props, factory objects), and
 * interning of rendered text.
 */
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';

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

/**
 * `compute()` once per key, kept in `cache`, which is emptied when it holds `max` entries so memory
 * stays bounded (a platform has few distinct values; an unusual one costs a recompute, no more).
 */
export function memo<T>(cache: Map<string, T>, max: number, key: string, compute: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    if (cache.size >= max) cache.clear();
    cache.set(key, value);
  }
  return value;
}

const INTERNED = new Map<string, string>();

/**
 * The one kept instance of a rendered text equal to `text` (bounded: emptied when full). Synthesis
 * keeps every workload's objects until the end; equal texts rendered per workload (the plan
 * annotations of user-built plans) would otherwise each be kept, and walked by every major GC.
 */
export function intern(text: string): string {
  return memo(INTERNED, 1000, text, () => text);
}

/** Where a library probe keeps its value key (a symbol: never serialized, never in the API). */
const PROBE_KEY: unique symbol = Symbol('cdk8s-graceful-shutdown.probe-key');

/** Anything with a body to render, as `IPollProbe` (structural: probe.ts imports this module). */
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

/** Where a library object that holds functions keeps the value key of the inputs it was made from. */
const VALUE_KEY: unique symbol = Symbol('cdk8s-graceful-shutdown.value-key');

/**
 * Marks `obj` as equal in value to every object marked with the same key: for library objects
 * that hold functions (a `Registry` builds its probes on demand), which {@link valueKey} cannot
 * read. The key must name every input the object was made from.
 */
export function withValueKey<T extends object>(obj: T, tag: string, inputs: unknown): T {
  const key = valueKey(inputs);
  if (key !== undefined) (obj as T & { [VALUE_KEY]?: string })[VALUE_KEY] = `${tag}(${key})`;
  return obj;
}

/**
 * What valueKey makes of the instances of a class, found once per prototype (it runs per
 * workload, often before the JIT has warmed up): a number naming the class, or undefined when
 * its instances are never keyed (constructs, Maps, Dates and other built-ins whose state is not
 * in their own enumerable fields).
 */
const MADE = new Map<string, object>();

/**
 * A factory's object for `options`: the one made before from equal options (it is immutable),
 * else `make(options)` marked with the options' value key. Options that cannot be keyed (a
 * construct in them) make a new, unmarked object every time. A platform builds its registries and
 * endpoints per workload from equal literals, and validating and composing them each time was
 * a large part of a workload's cost.
 */
export function madeFrom<O, T extends object>(tag: string, options: O, make: (options: O) => T): T {
  if (!derivationCacheOn) return withValueKey(make(options), tag, options);
  const key = valueKey(options);
  if (key === undefined) return make(options);
  const id = `${tag}(${key})`;
  return memo(MADE, 500, id, () => {
    const made = make(options);
    (made as T & { [VALUE_KEY]?: string })[VALUE_KEY] = id;
    return made;
  }) as T;
}

const CLASSES = new WeakMap<object, number>();
let nextClassId = 0;
/** The class id of instances that are never keyed. */
const OPAQUE = -1;
/** The class id of cdk8s `Duration`: keyed by amount and unit, without walking the unit object. */
const DURATION = -2;

function classIdOf(proto: object, sample: object): number {
  let id = CLASSES.get(proto);
  if (id === undefined) {
    id = sample instanceof Duration ? DURATION : isOpaqueBuiltIn(sample) || isConstruct(sample) ? OPAQUE : nextClassId++;
    CLASSES.set(proto, id);
  }
  return id;
}

/** Built-in objects whose state is not in their own enumerable properties: never keyed. */
function isOpaqueBuiltIn(v: object): boolean {
  return v instanceof Map || v instanceof Set || v instanceof WeakMap || v instanceof WeakSet || v instanceof Date
    || v instanceof RegExp || v instanceof Promise || v instanceof Error || ArrayBuffer.isView(v) || v instanceof ArrayBuffer
    || v instanceof String || v instanceof Number || v instanceof Boolean;
}

/** Anything that is a construct (it has a tree node): identity, not value. */
function isConstruct(v: object): boolean {
  return Construct.isConstruct(v) || typeof (v as { node?: { path?: unknown } }).node?.path === 'string';
}

/**
 * A structural key of props: equal keys mean values that are equal field by field, classes
 * included (by class, not by name), so a pure function of the props gives equal results for
 * equal keys. `undefined` when the value cannot be keyed: functions, constructs (identity
 * matters), Maps, Dates and other built-ins whose state is not in their fields, deep or cyclic
 * graphs. Library objects that hold functions carry a key of their inputs ({@link withValueKey}).
 */
export function valueKey(value: unknown): string | undefined {
  return keyText(value, 0);
}

/** The key text of `v`, or undefined when it cannot be keyed. One string, built as it goes. */
function keyText(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
      return `n${Object.is(v, -0) ? '-0' : v};`;
    case 'string':
      return `s${v.length}:${v}`;
    case 'object':
      break;
    default: // function, symbol, bigint
      return undefined;
  }
  if (v === null) return 'N';
  if (depth > 16) return undefined;
  const marked = (v as { [VALUE_KEY]?: string })[VALUE_KEY];
  if (marked !== undefined) return `K${marked.length}:${marked}`;
  let out: string;
  if (Array.isArray(v)) {
    out = '[';
    for (const item of v) {
      const k = keyText(item, depth + 1);
      if (k === undefined) return undefined;
      out += k;
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    out = '{';
  } else {
    const id = classIdOf(proto, v);
    if (id === OPAQUE) return undefined;
    if (id === DURATION) {
      const d = v as { amount?: unknown; unit?: { label?: unknown } };
      if (typeof d.amount === 'number' && typeof d.unit?.label === 'string' && Object.keys(v).length === 2) return `D${d.amount}${d.unit.label};`;
      // Not the two fields a Duration has (a test double, a subclass): walked as any object.
    }
    out = `{${id}|`;
  }
  const record = v as Record<string, unknown>;
  for (const name in record) {
    if (!Object.prototype.hasOwnProperty.call(record, name)) continue;
    const k = keyText(record[name], depth + 1);
    if (k === undefined) return undefined;
    out += `${name.length}:${name}${k}`;
  }
  return `${out}}`;
}

/** Whether derivations are cached; tests turn it off to compare cached and fresh results. */
let derivationCacheOn = true;

/** Runs `fn` with derivation caching off (tests: the fresh result to compare with). @internal */
export function withoutDerivationCache<T>(fn: () => T): T {
  const before = derivationCacheOn;
  derivationCacheOn = false;
  try {
    return fn();
  } finally {
    derivationCacheOn = before;
  }
}

/**
 * A bounded cache of a pure derivation from props: a pattern validates its props and derives its
 * plan, scripts and rendered texts once per distinct props value, and workloads built from equal
 * props share the (immutable, sealed) results. Props that cannot be keyed are derived every time.
 * Errors are never cached, so `errorScope` (the construct being built) may name the construct in
 * error messages; it must not reach the results, which other constructs share
 * (test/workload/derivation-cache.test.ts builds under other ids and compares).
 */
export class DerivationCache<P, T, S = undefined> {
  private readonly entries = new Map<string, T>();

  public constructor(private readonly derive: (props: P, errorScope: S) => T, private readonly max = 200) {}

  /** The derivation of `props`, from the cache when equal props were derived before. */
  public get(props: P, errorScope: S): T {
    if (!derivationCacheOn) return this.derive(props, errorScope);
    const key = valueKey(props);
    if (key === undefined) return this.derive(props, errorScope);
    return memo(this.entries, this.max, key, () => this.derive(props, errorScope));
  }
}
