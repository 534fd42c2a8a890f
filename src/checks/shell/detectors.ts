/**
 * Pattern detectors over hook scripts: bash-only syntax under /bin/sh, and Envoy stats reads
 * that take an unreachable admin endpoint for zero connections. Module-internal.
 */
import { STATS } from './analysis';
import { maskQuotedText } from './lexer';

/** A piece of bash-only syntax found in a script. */
export interface Bashism {
  /** What it is, e.g. `[[ ]]`. */
  readonly construct: string;
  /** 1-based line in the script. */
  readonly line: number;
  /** The line, trimmed. */
  readonly snippet: string;
}

const BASHISMS: Array<[string, RegExp]> = [
  ['[[ ]]', /(^|[\s;&|(!])\[\[\s/],
  ['source', /(^|[\s;&|])source\s+\S/],
  ['function keyword', /(^|[\s;&|])function\s+[A-Za-z_][\w-]*\s*(\(\s*\))?\s*\{?/],
  ['array', /(^|[\s;&|])(?:declare\s+-a\s+|local\s+-a\s+)?[A-Za-z_]\w*=\(|\$\{[A-Za-z_]\w*\[|(^|[\s;&|])(declare|typeset)\s+-[aA]\b/],
  ['== in [ ]', /(^|[\s;&|])(\[|test)\s[^\]\n]*\s==\s/],
  ['here-string <<<', /<<</],
  ['&> redirection', /[^<>&\d]&>/],
  ['{a..b} brace range', /\{-?\d+\.\.-?\d+\}/],
  ['(( )) arithmetic command', /(^|[\s;&|])\(\(/],
  ['${var//x/y} or ${var:n:m}', /\$\{[A-Za-z_]\w*(\/\/?[^}]*\/|:-?\d+:)/],
];

/** Bash-only constructs in a script meant for `/bin/sh` (dash on Debian and Ubuntu images). */
export function findBashisms(script: string): Bashism[] {
  // Quoted text (awk programs, literal URLs, messages such as "[[ draining ]]") is not shell syntax.
  const masked = maskQuotedText(script);
  // Most hooks have none: one pass over the whole text before the line-by-line search.
  if (!BASHISMS.some(([, re]) => re.test(masked.replace(/(^|\s)#.*$/gm, '$1')))) return [];
  const lines = masked.split('\n');
  const original = script.split('\n');
  const found: Bashism[] = [];
  lines.forEach((l, i) => {
    const code = l.replace(/(^|\s)#.*$/, '$1');
    for (const [construct, re] of BASHISMS) {
      if (re.test(code)) {
        found.push({ construct, line: i + 1, snippet: original[i].trim() });
      }
    }
  });
  return found;
}

/**
 * Places where an Envoy `/stats` read is compared with a number without first checking that the
 * read worked, so an unreachable admin endpoint (empty output) reads as zero connections and the
 * drain ends at once. Returns the offending lines.
 */
export function findStatsReadAsZero(script: string): string[] {
  if (!STATS.test(script)) return [];
  const out: string[] = [];
  const lines = script.split('\n');
  const isFetch = (s: string) => STATS.test(s) && /\b(wget|curl|nc|pilot-agent)\b/.test(s);
  const subst = /\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g;
  // 1. `[ $(wget .../stats...) -ne 0 ]`: the read feeds a test directly.
  lines.forEach(l => {
    if (!/(\[|test\s|\(\()/.test(l)) return;
    for (let m = subst.exec(l); m; m = subst.exec(l)) {
      if (isFetch(m[1]) && /-(eq|ne|gt|ge|lt|le)\b|[!=]=?\s*"?0\b/.test(l.slice(m.index + m[0].length, m.index + m[0].length + 20))) {
        out.push(l.trim());
        break;
      }
    }
    subst.lastIndex = 0;
  });
  // 2. `while ... wget .../stats | grep -q "downstream_cx_active: [1-9]"; do`: the loop goes on only
  //    while a read shows connections, so a failed read (nothing to grep) ends the drain at once.
  const code = maskQuotedText(script);
  for (const m of code.matchAll(/\bwhile\b([^\n]*?)(?:;|\n)\s*do\b/g)) {
    const header = script.slice(m.index!, m.index! + m[0].length);
    const segments = header.split(/&&|\|\|/);
    if (segments.some(seg => isFetch(seg) && /\|\s*grep\s+(-\w*q\w*|--quiet)\b/.test(seg) && !/!\s*(wget|curl)/.test(seg))) {
      const lineNo = script.slice(0, m.index!).split('\n').length;
      out.push(lines[lineNo - 1].trim());
    }
  }
  // 3. `n=$(wget .../stats...)` then `[ "$n" -eq 0 ]` with no emptiness or status check of n.
  const assign = /(?:^|[\s;])(?:local\s+)?([A-Za-z_]\w*)=\$\(/g;
  for (let m = assign.exec(script); m; m = assign.exec(script)) {
    const name = m[1];
    const start = m.index + m[0].length - 2;
    const sub = matchSubstitution(script, start);
    if (!sub || !isFetch(sub)) continue;
    const after = script.slice(start + sub.length + 3, start + sub.length + 40);
    const v = `\\$\\{?${name}(?::-[^}]*)?\\}?`;
    const compared = new RegExp(`"?${v}"?\\s*(-(eq|ne|gt|ge|lt|le)|[!=]=?)\\s`).test(script) || new RegExp(`\\$\\(\\([^)]*\\b${name}\\b`).test(script);
    if (!compared) continue;
    const zeroDefault = new RegExp(`\\$\\{${name}:-0\\}`).test(script);
    const checked = new RegExp(`-[zn]\\s+"?${v}"?|case\\s+"?${v}"?\\s+in|if\\s+!?\\s*${name}=\\$\\(`).test(script) || /^\s*(\|\||&&)/.test(after) ||
      new RegExp(`${name}=\\$\\([^\\n]*\\)\\s*(\\|\\||;\\s*then)`).test(script);
    if (zeroDefault || !checked) {
      const lineNo = script.slice(0, m.index + 1).split('\n').length;
      out.push(lines[lineNo - 1].trim());
    }
  }
  return [...new Set(out)];
}

/** The text inside `$(` ... `)` starting at `open` (the `$`), parentheses balanced. */
function matchSubstitution(script: string, open: number): string | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open + 1; i < script.length; i++) {
    const c = script[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '\'' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return script.slice(open + 2, i);
  }
  return undefined;
}
