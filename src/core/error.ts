/** The error every validator throws. Module-internal; imports nothing from the rest of src/. */
import { Duration } from 'cdk8s';
import { formatMillis } from './duration-format';

/**
 * A prop that cannot work, found at synthesis. The message names the construct path (once the
 * error has passed through the construct that was being built), the property, the value and the
 * fix: `chart/web: listeners[0].port 70000 is not a TCP port: use a whole number from 1 to 65535.`
 */
export class ValidationError extends Error {
  /** The construct being built when the error was found, once known. */
  public readonly constructPath?: string;
  /** The property, as the user wrote it (`listeners[0].port`). */
  public readonly property: string;
  /** The value that was given. */
  public readonly value: unknown;
  /** What is wrong and how to fix it, as a sentence that follows the value. */
  public readonly fix: string;

  public constructor(property: string, value: unknown, fix: string, constructPath?: string) {
    super(`${constructPath ? `${constructPath}: ` : ''}${property} ${showValue(value)} ${fix}`);
    this.name = 'ValidationError';
    this.property = property;
    this.value = value;
    this.fix = fix;
    this.constructPath = constructPath;
  }

  /** The same error, naming the construct it is about (kept when it already names one). */
  public inConstruct(path: string): ValidationError {
    return this.constructPath !== undefined ? this : new ValidationError(this.property, this.value, this.fix, path);
  }
}

/** A value as an error message shows it: strings quoted, durations in the timeline's notation. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof Duration || typeof (value as Duration | undefined)?.toMilliseconds === 'function') return formatMillis((value as Duration).toMilliseconds());
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

