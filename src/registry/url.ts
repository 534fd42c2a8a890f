import { ShellWord } from '../script';
import { assertHttpUrl } from '../script/http';

/** Run-time values a user string may name as `${NAME}`: the pod IP, the node IP, the pod's hostname. */
export const PLACEHOLDERS = ['POD_IP', 'HOST_IP', 'POD_NAME'];

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

/** Validates a user URL (http(s), a host, no line breaks) and returns it without a trailing slash. */
export function checkUrl(url: string, property: string): string {
  if (typeof url !== 'string' || /[\s]/.test(url)) {
    throw new Error(`${property} '${url}' contains white space or a line break. Write it like 'http://nacos.soa:8848'.`);
  }
  assertHttpUrl(url, property);
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

/** Throws unless `value` is a non-empty string without control characters. */
export function requireText(value: string | undefined, property: string, example: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    const name = property.split(' ').pop();
    throw new Error(`${property} ${JSON.stringify(value ?? null)} is missing or empty. Give it, e.g. ${name}: '${example}'.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new Error(`${property} ${JSON.stringify(value)} contains a control character. Remove it.`);
  }
  return value;
}

/** Throws unless `port` is a whole number 1-65535. */
export function requirePort(port: number | undefined, property: string): number {
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${property} ${port} is not a port: use a whole number 1-65535, e.g. 8080.`);
  }
  return port;
}
