/**
 * The lexer of the small shell reader: splits hook scripts into simple commands and words, with
 * quotes, `$( )` and comments handled. Not a shell parser; it errs on the side of staying quiet.
 * Module-internal.
 */

/** One simple command of a script, split on `;`, newlines, `&&`, `||`, `|` and `&`. */
export interface ShellCommand {
  /** The command text, trimmed, with leading keywords (`do`, `then`, `if`, ...) removed. */
  readonly text: string;
  /** The first word after the keywords (`sleep`, `wget`, `while`, `done`, ...). */
  readonly head: string;
  /** Words, with quotes removed where they are whole-word quotes. */
  readonly words: string[];
  /** How many loops the command is nested in (0 = top level). */
  readonly depth: number;
  /** Position in the script's command list. */
  readonly index: number;
  /** 1-based line in the script. */
  readonly line: number;
  /**
   * Ended by a single `&`: run in the background, so the script does not wait for it.
   * @default false
   */
  readonly background?: boolean;
}

const KEYWORDS = new Set(['do', 'then', 'else', 'if', 'elif', '{', '!', '(', 'time', 'exec']);

/** Splits a script into simple commands; quotes and `$( )` nest, comments are dropped. */
export function splitCommands(script: string): ShellCommand[] {
  const raw: Array<{ text: string; line: number; background?: boolean }> = [];
  let cur = '';
  let curLine = 1;
  let line = 1;
  let quote: '\'' | '"' | '`' | undefined;
  let parens = 0;
  const push = (background = false) => {
    if (cur.trim()) raw.push({ text: cur.trim(), line: curLine, ...(background ? { background } : {}) });
    cur = '';
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (c === '\n') line++;
    if (!cur.trim()) curLine = line;
    if (quote) {
      cur += c;
      if (c === '\\' && quote !== '\'' && i + 1 < script.length) {
        cur += script[++i];
      } else if (c === quote) {
        quote = undefined;
      }
      continue;
    }
    if (c === '\\' && i + 1 < script.length) {
      if (script[i + 1] === '\n') {
        i++;
        line++;
        cur += ' ';
      } else {
        cur += c + script[++i];
      }
      continue;
    }
    if (c === '\'' || c === '"' || c === '`') {
      quote = c;
      cur += c;
      continue;
    }
    if (c === '#' && (i === 0 || /[\s;&|(]/.test(script[i - 1]))) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '(') parens++;
    if (c === ')' && parens > 0) parens--;
    if (parens === 0 && (c === ';' || c === '\n' || c === '|' || (c === '&' && script[i + 1] !== '>' && script[i - 1] !== '>'))) {
      const doubled = (c === '|' || c === '&' || c === ';') && script[i + 1] === c;
      push(c === '&' && !doubled);
      if (doubled) i++;
      continue;
    }
    cur += c;
  }
  push();

  const out: ShellCommand[] = [];
  let depth = 0;
  for (const r of raw) {
    let words = splitWords(r.text);
    while (words.length > 0 && KEYWORDS.has(words[0])) words = words.slice(1);
    if (words.length === 0) continue;
    const head = words[0];
    if (head === 'done') {
      depth = Math.max(0, depth - 1);
      out.push({ text: words.join(' '), head, words, depth, index: out.length, line: r.line });
      continue;
    }
    out.push({ text: words.join(' '), head, words, depth, index: out.length, line: r.line, ...(r.background ? { background: true } : {}) });
    if (head === 'while' || head === 'until' || head === 'for') depth++;
  }
  return out;
}

/** Splits a command into words; whole-word quotes are removed, `$( )` stays one word. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | undefined;
  let parens = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) {
        quote = undefined;
        if (parens > 0) cur += c;
      } else if (c === '\\' && quote === '"' && parens === 0 && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) {
        // Inside double quotes a backslash escapes only these; elsewhere it stays.
        cur += text[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c === '\\' && parens === 0 && i + 1 < text.length) {
      // Outside quotes a backslash makes the next character literal (`'\''` in single-quoted text).
      cur += text[++i];
      has = true;
      continue;
    }
    if ((c === '\'' || c === '"') && parens === 0) {
      quote = c;
      has = true;
      continue;
    }
    if (c === '\'' || c === '"') {
      quote = c;
      cur += c;
      continue;
    }
    if (c === '(') parens++;
    if (c === ')' && parens > 0) parens--;
    if (/\s/.test(c) && parens === 0) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += c;
    has = true;
  }
  if (has || cur) words.push(cur);
  return words;
}


/**
 * The script with quoted text blanked out (each character but newlines replaced by `x`), so that
 * pattern searches see only shell syntax: everything inside single quotes, and inside double
 * quotes everything but `${...}`, `$(...)` and backquoted commands, which the shell still expands
 * there. Lines and columns stay where they were.
 */
export function maskQuotedText(script: string): string {
  // Fast path: nothing quoted.
  if (!/['"]/.test(script)) return script;
  const out: string[] = [];
  const blank = (text: string) => text.replace(/[^\n]/g, 'x');
  let i = 0;
  let plain = 0;
  while (i < script.length) {
    const c = script[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '\'') {
      const end = script.indexOf('\'', i + 1);
      const stop = end < 0 ? script.length : end;
      out.push(script.slice(plain, i + 1), blank(script.slice(i + 1, stop)));
      i = stop;
      plain = i;
      i++;
    } else if (c === '"') {
      out.push(script.slice(plain, i + 1));
      i++;
      let text = i;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\') {
          i += 2;
        } else if (script[i] === '$' && (script[i + 1] === '{' || script[i + 1] === '(')) {
          // The expansion stays, through its balanced closing bracket.
          out.push(blank(script.slice(text, i)));
          const open = script[i + 1];
          const close = open === '{' ? '}' : ')';
          let depth = 0;
          let j = i + 1;
          for (; j < script.length; j++) {
            if (script[j] === open) depth++;
            else if (script[j] === close && --depth === 0) break;
          }
          out.push(script.slice(i, j + 1));
          i = j + 1;
          text = i;
        } else if (script[i] === '`') {
          out.push(blank(script.slice(text, i)));
          const end = script.indexOf('`', i + 1);
          const stop = end < 0 ? script.length : end + 1;
          out.push(script.slice(i, stop));
          i = stop;
          text = i;
        } else {
          i++;
        }
      }
      out.push(blank(script.slice(text, Math.min(i, script.length))));
      plain = i;
      i++;
    } else {
      i++;
    }
  }
  out.push(script.slice(plain));
  return out.join('');
}
