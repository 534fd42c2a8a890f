/**
 * The library's one cache: a pattern's derivation from its props (validation, plan, scripts,
 * rendered texts), kept per distinct props VALUE, so a platform that synthesizes thousands of
 * workloads from a few props values derives each once. Module-internal; imports nothing from the
 * rest of src/.
 *
 * The key is structural, of the whole props value: no field is listed by hand, so a field added
 * later is in the key without anyone remembering it. Nothing is written onto the objects keyed or
 * returned (a spread copy of a library object is a different value, and is keyed as one).
 *
 * One switch turns the cache off: the environment variable `CDK8S_GRACEFUL_SHUTDOWN_CACHE=off`
 * (read once, at load) or {@link setDerivationCacheEnabled} / {@link withoutDerivationCache}.
 */
import { Duration } from 'cdk8s';

/**
 * Objects that hold functions (a `Registry` builds its probes on demand), which a structural key
 * cannot read: the key of the inputs each was made from, kept beside the object, not on it.
 */
const MADE_FROM = new WeakMap<object, string>();

/**
 * Records that `obj` is equal in value to every object recorded with the same tag and inputs. For
 * library factories whose objects hold functions; `inputs` must be everything the object was made
 * from. Returns `obj`. Inputs that cannot be keyed leave it unkeyed (it is then derived every time).
 */
export function withValueKey<T extends object>(obj: T, tag: string, inputs: unknown): T {
  const key = valueKey(inputs);
  if (key !== undefined) MADE_FROM.set(obj, `${tag}(${key})`);
  return obj;
}

/** Class ids by prototype, found once per class (constructs and opaque built-ins get {@link OPAQUE}). */
const CLASSES = new WeakMap<object, number>();
let nextClassId = 0;
/** The class id of instances that are never keyed. */
const OPAQUE = -1;
/** The class id of cdk8s `Duration`: keyed by amount and unit, without walking the unit object. */
const DURATION = -2;
/** How `constructs` marks a construct (its `Construct.isConstruct` reads this symbol). */
const CONSTRUCT_SYMBOL = Symbol.for('constructs.Construct');

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

/** A construct (it has a tree node): identity matters, not value. */
function isConstruct(v: object): boolean {
  return CONSTRUCT_SYMBOL in v || typeof (v as { node?: { path?: unknown } }).node?.path === 'string';
}

/**
 * A structural key of a whole value: equal keys mean values equal field by field, classes
 * included (by class, not by name), so a pure function of the value gives equal results for equal
 * keys. `undefined` when the value cannot be keyed: functions, symbols, constructs (identity
 * matters), Maps, Dates and other built-ins whose state is not in their fields, deep or cyclic
 * graphs. Objects recorded by {@link withValueKey} are keyed by the inputs they were made from.
 */
export function valueKey(value: unknown): string | undefined {
  return keyText(value, 0);
}

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
  const made = MADE_FROM.get(v);
  if (made !== undefined) return `K${made.length}:${made}`;
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

/** The switch: whether derivations are cached. `CDK8S_GRACEFUL_SHUTDOWN_CACHE=off` starts it off. */
let cacheOn = process.env.CDK8S_GRACEFUL_SHUTDOWN_CACHE !== 'off';

/** Turns the derivation cache on or off (off: every construct derives its own results). */
export function setDerivationCacheEnabled(on: boolean): void {
  cacheOn = on;
}

/** Whether the derivation cache is on. */
export function derivationCacheEnabled(): boolean {
  return cacheOn;
}

/** Runs `fn` with the derivation cache off (tests: the fresh result to compare with). */
export function withoutDerivationCache<T>(fn: () => T): T {
  const before = cacheOn;
  cacheOn = false;
  try {
    return fn();
  } finally {
    cacheOn = before;
  }
}

/**
 * A bounded cache of a pure derivation from props. Equal props (by {@link valueKey}) share one
 * result, so results must be immutable (plans frozen, scripts rendered and sealed, arrays
 * frozen). Props that cannot be keyed are derived every time. Errors are never cached, so
 * `errorScope` (the construct being built) may appear in error messages; it must not reach the
 * results, which other constructs share. When full, the cache is emptied (a platform has few
 * distinct props; an unusual one costs a recompute, no more).
 */
export class DerivationCache<P, T, S = undefined> {
  private readonly entries = new Map<string, T>();

  public constructor(private readonly derive: (props: P, errorScope: S) => T, private readonly max = 200) {}

  /** The derivation of `props`, from the cache when equal props were derived before. */
  public get(props: P, errorScope: S): T {
    if (!cacheOn) return this.derive(props, errorScope);
    const key = valueKey(props);
    if (key === undefined) return this.derive(props, errorScope);
    let value = this.entries.get(key);
    if (value === undefined) {
      value = this.derive(props, errorScope);
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}
