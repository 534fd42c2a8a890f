/**
 * THE placeholder grammar: `${NAME}` in a string is read from the environment variable NAME at
 * run time. In a user's string only the names below are allowed, because only they are put into
 * the container's environment (from the downward API); any other `${X}` would be empty at run
 * time, so it is refused at synthesis. Module-internal; imports nothing from the rest of src/.
 */
import { ValidationError } from './error';

/** The run-time values a user string may name, and the downward-API field each comes from. */
export const RUNTIME_PLACEHOLDERS: ReadonlyArray<{ readonly name: string; readonly fieldPath: string }> = Object.freeze([
  { name: 'POD_IP', fieldPath: 'status.podIP' },
  { name: 'HOST_IP', fieldPath: 'status.hostIP' },
  { name: 'POD_NAME', fieldPath: 'metadata.name' },
]);

/** The names of {@link RUNTIME_PLACEHOLDERS}. */
export const PLACEHOLDER_NAMES: ReadonlyArray<string> = Object.freeze(RUNTIME_PLACEHOLDERS.map(p => p.name));

/** `${NAME}` with NAME a POSIX environment variable name. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${...}` with anything inside: what a user may have meant as a placeholder. */
const ANY_REFERENCE = /\$\{([^}]*)\}/g;

/** One piece of a template: literal text, or a variable read at run time. */
export type TemplatePart = { readonly literal: string } | { readonly env: string };

/**
 * Splits `text` into literal text and `${NAME}` references, in order. With `only`, a reference
 * to a name outside it stays literal text (for strings that are checked first).
 */
export function splitPlaceholders(text: string, only?: ReadonlyArray<string>): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  let literal = '';
  for (const m of text.matchAll(REFERENCE)) {
    if (only && !only.includes(m[1])) continue;
    literal = text.slice(last, m.index);
    if (literal) parts.push({ literal });
    parts.push({ env: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < text.length || parts.length === 0) parts.push({ literal: text.slice(last) });
  return parts;
}

/** The supported placeholders `text` names, in the order of {@link PLACEHOLDER_NAMES}. */
export function placeholdersIn(text: string): string[] {
  return PLACEHOLDER_NAMES.filter(n => text.includes(`\${${n}}`));
}

/** `text` with every `${NAME}` replaced by `by` (to parse a URL template). */
export function replacePlaceholders(text: string, by: string): string {
  return text.replace(REFERENCE, by);
}

/**
 * Throws a {@link ValidationError} when `text` names a placeholder the library does not
 * substitute, listing the ones it does.
 */
export function assertKnownPlaceholders(text: string, property: string): void {
  // Any `${...}`, not only POSIX names: `${POD-IP}` is a typo of a placeholder, never meant literally.
  for (const m of text.matchAll(ANY_REFERENCE)) {
    if (!PLACEHOLDER_NAMES.includes(m[1])) {
      throw new ValidationError(property, text, `names \${${m[1]}}, which is never set at run time: the supported placeholders are ${PLACEHOLDER_NAMES.map(n => `\${${n}}`).join(', ')}. Write the value itself, or use one of those.`);
    }
  }
}
