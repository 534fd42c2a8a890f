import { PLACEHOLDER_NAMES } from '../core/placeholders';
import { ShellWord } from '../script';

/** Run-time values a user string may name as `${NAME}`: the pod IP, the node IP, the pod's name (one list, src/core). */
export const PLACEHOLDERS: ReadonlyArray<string> = PLACEHOLDER_NAMES;

const PLACEHOLDER = /\$\{(POD_IP|HOST_IP|POD_NAME)\}/g;

/**
 * A user string with `${POD_IP}`, `${HOST_IP}` or `${POD_NAME}` read at run time and every other
 * character quoted as it is (`$`, quotes and backticks included: they stay literal).
 */
export function userWord(text: string): ShellWord {
  const parts: ShellWord[] = [];
  let last = 0;
  for (let m = PLACEHOLDER.exec(text); m; m = PLACEHOLDER.exec(text)) {
    if (m.index > last) parts.push(ShellWord.literal(text.slice(last, m.index)));
    parts.push(ShellWord.env(m[1]));
    last = m.index + m[0].length;
  }
  PLACEHOLDER.lastIndex = 0;
  if (last < text.length || parts.length === 0) parts.push(ShellWord.literal(text.slice(last)));
  return ShellWord.concat(parts);
}

/** The placeholders a user string names. */
export function placeholdersIn(text: string): string[] {
  return PLACEHOLDERS.filter(p => text.includes(`\${${p}}`));
}

/**
 * Throws unless every `${NAME}` in a user string is one the script reads at run time (`${POD_IP}`,
 * `${HOST_IP}`, `${POD_NAME}`): any other would reach the registry as literal text and fail only in
 * the pod.
 */
export function checkPlaceholders(text: string, property: string, example: string): void {
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    if (!PLACEHOLDERS.includes(m[1])) {
      throw new Error(`${property} '${text}' names \${${m[1]}}, which nothing substitutes: the script reads only ${PLACEHOLDERS.map(p => `\${${p}}`).join(', ')} at run time. `
        + `Write the value itself, or use one of those, e.g. ${property.split(' ').pop()}: '${example}'.`);
    }
  }
}

/**
 * Validates a user URL (http(s), a host, no white space, only supported placeholders) and returns it
 * without a trailing slash. `example` is a URL that fits this property, for the error.
 */
export function checkUrl(url: string, property: string, example: string): string {
  const name = property.split(' ').pop();
  const fix = `Write it like ${name}: '${example}'.`;
  if (typeof url !== 'string' || url.trim() === '') {
    throw new Error(`${property} ${JSON.stringify(url ?? null)} is missing or empty. ${fix}`);
  }
  if (/\s/.test(url)) {
    throw new Error(`${property} '${url}' contains white space or a line break. ${fix}`);
  }
  checkPlaceholders(url, property, example);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.replace(/\$\{[A-Z_]+\}/g, 'x'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw new Error(`${property} '${url}' is not an http(s) URL with a host. ${fix}`);
  }
  return url.replace(/\/+$/, '');
}

/** The host (and port) of a checked URL, its `${POD_IP}`-style placeholders aside: for the timeline. */
export function urlHost(url: string): string {
  return new URL(url.replace(/\$\{[A-Z_]+\}/g, 'x')).host;
}

/** `encodeURIComponent` for a path segment or query value written by the library. */
export function enc(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** Builds `base?k=v&...` from literal parts; values are URL-encoded, `undefined` values left out. */
export function query(params: Array<[string, string | number | boolean | undefined]>): string {
  return params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`).join('&');
}

/**
 * Throws unless `value` is a non-empty string without control characters; with `placeholders`,
 * also unless its `${NAME}`s are supported ones.
 */
export function requireText(value: string | undefined, property: string, example: string, placeholders = false): string {
  if (typeof value !== 'string' || value.trim() === '') {
    const name = property.split(' ').pop();
    throw new Error(`${property} ${JSON.stringify(value ?? null)} is missing or empty. Give it, e.g. ${name}: '${example}'.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new Error(`${property} ${JSON.stringify(value)} contains a control character. Remove it.`);
  }
  if (placeholders) checkPlaceholders(value, property, example);
  return value;
}

/** Throws unless `port` is a whole number 1-65535. */
export function requirePort(port: number | undefined, property: string): number {
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${property} ${port} is not a port: use a whole number 1-65535, e.g. 8080.`);
  }
  return port;
}
