import { assertKnownPlaceholders, PLACEHOLDER_NAMES, splitPlaceholders, ValidationError } from '../core';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Shell quoting: the one place where a value from props becomes shell text. */
export class Shell {
  /**
   * Quotes a value as one POSIX sh word that the shell reads back byte for byte: single quotes
   * around it, each `'` written as `'\''`. NUL cannot be passed through a shell word and is refused.
   */
  public static quote(value: string): string {
    if (value.includes('\0')) {
      throw new Error(`cannot quote a value containing a NUL byte for a shell script: ${JSON.stringify(value)}. Remove the NUL byte.`);
    }
    return `'${value.replace(/'/g, '\'\\\'\'')}'`;
  }

  /** Whether a name is a valid environment variable name for POSIX sh (`[A-Za-z_][A-Za-z0-9_]*`). */
  public static isEnvName(name: string): boolean {
    return ENV_NAME.test(name);
  }

  /** Throws a clear error unless `name` is a valid environment variable name. */
  public static assertEnvName(name: string, property: string): void {
    if (!ENV_NAME.test(name)) {
      throw new ValidationError(property, name, "is not a valid environment variable name: use letters, digits and '_', not starting with a digit (e.g. POD_IP).");
    }
  }

  private constructor() {}
}

/**
 * One shell word built from literal text (quoted) and environment variables read at run time
 * (double-quoted `${NAME}`), e.g. a URL that carries the pod IP from the downward API.
 */
export class ShellWord {
  /** A literal value, quoted. */
  public static literal(text: string): ShellWord {
    return new ShellWord(Shell.quote(text), text, []);
  }

  /** The value of an environment variable at run time (empty when unset). */
  public static env(name: string): ShellWord {
    Shell.assertEnvName(name, 'environment variable');
    return new ShellWord(`"\${${name}}"`, `\${${name}}`, [name]);
  }

  /** Several words glued into one, e.g. `concat([literal('http://x/?ip='), env('POD_IP')])`. */
  public static concat(parts: ShellWord[]): ShellWord {
    if (parts.length === 0) return ShellWord.literal('');
    if (parts.length === 1) return parts[0];
    // One pass: registry and Envoy URLs are built from several words per workload.
    let text = '';
    let display = '';
    const envNames: string[] = [];
    for (const p of parts) {
      text += p.text;
      display += p.display;
      for (const name of p.envNames) envNames.push(name);
    }
    return new ShellWord(text, display, envNames);
  }

  /**
   * Parses `${NAME}` references out of a template written by this library (never a user value:
   * encode those with `encodeURIComponent`, which escapes `$`, `{` and `}`), e.g.
   * `http://nacos:8848/nacos/v1/ns/instance?ip=${POD_IP}&port=8080`.
   */
  public static template(template: string): ShellWord {
    return ShellWord.concat(splitPlaceholders(template).map(p => ('env' in p ? ShellWord.env(p.env) : ShellWord.literal(p.literal))));
  }

  /**
   * A user's string in which `${POD_IP}`, `${HOST_IP}` and `${POD_NAME}` are read at run time
   * (the construct puts them in the container's environment) and every other character stays
   * literal. Any other `${NAME}` would be empty at run time, so it is refused here.
   * @param text the user's string, e.g. `http://admin/instances?ip=${POD_IP}`
   * @param property the prop it came from, for the error message
   */
  public static userTemplate(text: string, property: string): ShellWord {
    assertKnownPlaceholders(text, property);
    return ShellWord.concat(splitPlaceholders(text, PLACEHOLDER_NAMES).map(p => ('env' in p ? ShellWord.env(p.env) : ShellWord.literal(p.literal))));
  }

  /** The shell text: safe to paste as one word. */
  public readonly text: string;
  /** How the word reads for people and logs, with `${NAME}` for variables. */
  public readonly display: string;
  /** The environment variables the word reads. */
  public readonly envNames: string[];

  private constructor(text: string, display: string, envNames: string[]) {
    this.text = text;
    this.display = display;
    this.envNames = envNames;
  }
}
