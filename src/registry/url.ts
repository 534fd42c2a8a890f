import { checkHttpUrl, checkText, PLACEHOLDER_NAMES, placeholdersIn, replacePlaceholders, RUNTIME_PLACEHOLDERS, splitPlaceholders, ValidationError, assertKnownPlaceholders } from '../core';
import { ShellWord } from '../script';

/**
 * A URL a registry prop sets, checked by the shared validator (http(s), a host, no white space,
 * only the supported placeholders), returned without a trailing slash. `example` fits this
 * property (a Nacos server, a Consul agent), so the error shows it instead of the shared example.
 */
export function checkUrl(url: string, property: string, example: string): string {
  try {
    checkHttpUrl(url, property);
  } catch (e) {
    if (e instanceof ValidationError && /Write it like '[^']*'\.$/.test(e.fix)) {
      throw new ValidationError(e.property, e.value, e.fix.replace(/Write it like '[^']*'\.$/, `Write it like '${example}'.`));
    }
    throw e;
  }
  return url.replace(/\/+$/, '');
}

/**
 * A required user string (non-blank, no control character) that may name `${POD_IP}`,
 * `${HOST_IP}` and `${POD_NAME}`, and no other placeholder.
 */
export function checkUserText(value: string | undefined, property: string, what: string, example: string): string {
  checkText(value, property, what, example);
  assertKnownPlaceholders(value!, property);
  return value!;
}

/** The host (and port) of a checked URL, its `${POD_IP}`-style placeholders aside: for the timeline. */
export function urlHost(url: string): string {
  return new URL(replacePlaceholders(url, 'x')).host;
}

/** `encodeURIComponent` for a path segment or query value written by the library. */
export function enc(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** Builds `k=v&...` from literal parts; values are URL-encoded, `undefined` values left out. */
export function query(params: Array<[string, string | number | boolean | undefined]>): string {
  return params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`).join('&');
}

/** A checked user string URL-encoded except for its `${POD_IP}`/`${HOST_IP}`/`${POD_NAME}` placeholders. */
export function encodedUserWord(text: string): ShellWord {
  return ShellWord.concat(splitPlaceholders(text, PLACEHOLDER_NAMES).map(p => ('env' in p ? ShellWord.env(p.env) : ShellWord.literal(enc(p.literal)))));
}

/**
 * The downward-API variables the given (checked) user strings read, in the order of
 * {@link RUNTIME_PLACEHOLDERS}: what the container's environment must carry.
 */
export function runtimeEnvOf(texts: ReadonlyArray<string | undefined>, always: ReadonlyArray<string> = []): string[] {
  const named = new Set([...always, ...texts.flatMap(t => (t === undefined ? [] : placeholdersIn(t)))]);
  return RUNTIME_PLACEHOLDERS.map(p => p.name).filter(n => named.has(n));
}
