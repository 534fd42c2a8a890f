/**
 * Validation shared by every layer: one error type and the validators every prop goes through.
 * Module-internal (not exported from the package). Imports nothing from the rest of src/.
 */
import { Duration } from 'cdk8s';
import { ValidationError } from './error';
import { assertKnownPlaceholders, replacePlaceholders } from './placeholders';

/** A TCP port: a whole number from 1 to 65535. */
export function checkPort(port: unknown, property: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ValidationError(property, port, 'is out of range: use a whole number 1-65535.');
  }
  return port;
}

/** Options of {@link checkDuration}. */
export interface DurationRule {
  /** The least allowed, in seconds: 1 where a wait is promised (zero would skip it), 0 where none is. */
  readonly minSeconds: number;
  /** Whether the value must be whole seconds (the shell's `sleep` and `date +%s` count seconds). */
  readonly whole: boolean;
  /** Why the minimum holds, for the message. */
  readonly why?: string;
}

/**
 * A duration prop: present, finite, not negative, at least `minSeconds`, and whole seconds where
 * scripts wait it. Returns it.
 */
export function checkDuration(d: unknown, property: string, rule: DurationRule): Duration {
  if (!(d instanceof Duration) && !(d && typeof (d as Duration).toMilliseconds === 'function')) {
    throw new ValidationError(property, d, 'is not a Duration: use Duration.seconds(n).');
  }
  const ms = (d as Duration).toMilliseconds();
  const ok = Number.isFinite(ms) && ms >= rule.minSeconds * 1000 && (!rule.whole || ms % 1000 === 0);
  if (ok) return d as Duration;
  // Zero where a wait is promised would skip it; say so, as that is the surprising part.
  const zero = ms === 0 && rule.minSeconds > 0 ? '; zero would skip a wait the plan promises' : '';
  if (rule.whole) {
    throw new ValidationError(property, d, `must be a whole number of seconds, at least ${rule.minSeconds}s (${rule.why ?? 'the shell waits in whole seconds'}${zero}). Use Duration.seconds(n).`);
  }
  const least = rule.minSeconds > 0 ? `at least ${rule.minSeconds}s` : 'zero or longer';
  throw new ValidationError(property, d, `must be ${least}${rule.why ? ` (${rule.why}${zero})` : zero ? ` (${zero.slice(2)})` : ''}. Use Duration.seconds(n).`);
}

/** Whole seconds of a duration that must be whole and at least `minSeconds`: `checkDuration`, as a number. */
export function checkWholeSeconds(d: unknown, property: string, minSeconds: number, why?: string): number {
  return checkDuration(d, property, { minSeconds, whole: true, why }).toMilliseconds() / 1000;
}

/** A count Kubernetes takes as a whole number (replicas, thresholds). */
export function checkWholeNumber(n: unknown, property: string, min: number, fix = ''): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new ValidationError(property, n, `must be a whole number >= ${min}${fix ? `, ${fix}` : ''}.`);
  }
  return n;
}

/** RFC 1123 label, as Kubernetes requires of container names: 1-63 of a-z, 0-9 and '-', alphanumeric at both ends. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A container name (a DNS-1123 label). Empty and missing are refused. */
export function checkContainerName(name: unknown, property: string): string {
  if (typeof name !== 'string' || !DNS_LABEL.test(name)) {
    throw new ValidationError(property, name, "is not a container name: Kubernetes needs a DNS-1123 label, 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. 'app').");
  }
  return name;
}

/** A required prop (plain JavaScript callers can leave out what TypeScript would not let them). */
export function checkPresent<T>(value: T | undefined | null, property: string, fix: string): T {
  if (value === undefined || value === null) throw new ValidationError(property, undefined, `is required: ${fix}`);
  return value;
}

/** A required, non-blank string without control characters (an image, a name); `what` says what to give. */
export function checkText(value: unknown, property: string, what: string, example: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(property, value, `is ${value === undefined ? 'required' : 'empty'}: give ${what}, e.g. '${example}'.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) throw new ValidationError(property, value, 'contains a control character. Remove it.');
  return value;
}

/** A required array with at least one item. */
export function checkNonEmptyArray<T>(value: T[] | undefined, property: string, fix: string): T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError(property, value, `is ${value === undefined ? 'required' : 'empty'}: ${fix}`);
  }
  return value;
}

/**
 * A URL a prop sets: http(s), a host, no white space, and only the run-time placeholders the
 * library substitutes (`${POD_IP}`, `${HOST_IP}`, `${POD_NAME}`).
 */
export function checkHttpUrl(url: unknown, property: string): string {
  if (typeof url !== 'string' || /\s/.test(url)) {
    throw new ValidationError(property, url, "is not an http(s) URL without white space. Write it like 'http://127.0.0.1:19000/ready'.");
  }
  assertKnownPlaceholders(url, property);
  let parsed: URL | undefined;
  try {
    parsed = new URL(replacePlaceholders(url, 'x'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw new ValidationError(property, url, "is not an http(s) URL with a host. Write it like 'http://127.0.0.1:19000/ready'.");
  }
  return url;
}
