/**
 * A deliberately small reader of the shell text in lifecycle hooks: enough to find fixed sleeps,
 * poll loops and their bounds, Envoy stats polls and bash-only syntax. It is not a shell parser;
 * it errs on the side of staying quiet. Module-internal: not part of the jsii API.
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
}

/** A `while`, `until` or `for` loop. */
export interface ShellLoop {
  readonly keyword: 'while' | 'until' | 'for';
  /** The loop header (`while [ ... ]`). */
  readonly header: string;
  /** Header and body as text, for pattern searches. */
  readonly text: string;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly line: number;
  /** Iterations when a counter, `seq` or word list bounds the loop. */
  readonly iterations?: number;
  /** When a `deadline=$(( $(date +%s) + N ))` style variable bounds the loop: N. */
  readonly deadlineSeconds?: number;
  /** Seconds one iteration may take: its sleeps plus request timeouts (`wget -T`, `curl -m`). */
  readonly perIterationSeconds: number;
  /** The longest the loop may run, in seconds, when it can be read. */
  readonly boundSeconds?: number;
  /** A `while`/`until` loop with no counter and no deadline: only SIGKILL ends it. */
  readonly unbounded: boolean;
  /** Whether the loop reads Envoy's connection counts (`/stats`, `downstream_cx_active`). */
  readonly pollsEnvoyStats: boolean;
}

/** A `sleep` command. */
export interface ShellSleep {
  /** Seconds, when the argument is a literal (`30`, `1.5`, `30s`, `1m`). */
  readonly seconds?: number;
  readonly depth: number;
  readonly index: number;
  readonly line: number;
}

/** What a script does, as far as the rules need to know. */
export interface ScriptAnalysis {
  readonly script: string;
  readonly commands: ShellCommand[];
  readonly sleeps: ShellSleep[];
  readonly loops: ShellLoop[];
  /** Sum of the top-level (outside loops) literal sleeps, in seconds. */
  readonly fixedWaitSeconds: number;
}

const KEYWORDS = new Set(['do', 'then', 'else', 'if', 'elif', '{', '!', '(', 'time', 'exec']);

/** Splits a script into simple commands; quotes and `$( )` nest, comments are dropped. */
export function splitCommands(script: string): ShellCommand[] {
  const raw: Array<{ text: string; line: number }> = [];
  let cur = '';
  let curLine = 1;
  let line = 1;
  let quote: '\'' | '"' | '`' | undefined;
  let parens = 0;
  const push = () => {
    if (cur.trim()) raw.push({ text: cur.trim(), line: curLine });
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
      push();
      if ((c === '|' || c === '&' || c === ';') && script[i + 1] === c) i++;
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
    out.push({ text: words.join(' '), head, words, depth, index: out.length, line: r.line });
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
      } else {
        cur += c;
      }
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

/** Parses a `sleep` argument (`30`, `1.5`, `30s`, `2m`, `1h`, `1d`) into seconds. */
export function parseSleepArgument(arg: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400 };
  return parseFloat(m[1]) * mult[m[2]];
}

function isSleep(c: ShellCommand): boolean {
  return /(^|\/)sleep$/.test(c.head) || (c.head.endsWith('busybox') && c.words[1] === 'sleep');
}

/** The seconds of a `sleep` command (literal arguments only; GNU sleep sums several). */
function sleepSeconds(c: ShellCommand): number | undefined {
  const args = c.words.slice(c.head.endsWith('busybox') ? 2 : 1);
  if (args.length === 0) return undefined;
  let total = 0;
  for (const a of args) {
    const s = parseSleepArgument(a);
    if (s === undefined) return undefined;
    total += s;
  }
  return total;
}

/** Request timeouts in a command: `wget -T 2`, `wget --timeout=2`, `curl -m 2`, `curl --max-time 2`. */
function requestTimeoutSeconds(text: string): number {
  let total = 0;
  const re = /(?:^|\s)(?:-T\s*|--timeout[= ]|-m\s*|--max-time[= ])(\d+(?:\.\d+)?)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) total += parseFloat(m[1]);
  return total;
}

const STATS = /\/stats\b|downstream_cx_active|total_connections/;

/** Numeric variables (`N=30`) and deadline variables (`deadline=$(( $(date +%s) + 30 ))`) of a script. */
function deadlineVariables(script: string): Map<string, number> {
  const nums = new Map<string, number>();
  const numRe = /(?:^|[\s;])(?:readonly\s+|local\s+)?([A-Za-z_]\w*)=["']?(\d+)["']?(?=$|[\s;])/gm;
  for (let m = numRe.exec(script); m; m = numRe.exec(script)) nums.set(m[1], Number(m[2]));
  const deadlines = new Map<string, number>();
  const re = /([A-Za-z_]\w*)=\$\(\(\s*(\$\(\s*date \+%s\s*\)|\$?\{?[A-Za-z_]\w*\}?)\s*\+\s*(\d+|\$?\{?[A-Za-z_]\w*\}?)\s*\)\)/g;
  for (let m = re.exec(script); m; m = re.exec(script)) {
    const addend = m[3].replace(/[${}]/g, '');
    const n = /^\d+$/.test(addend) ? Number(addend) : nums.get(addend);
    if (n !== undefined) deadlines.set(m[1], n);
  }
  return deadlines;
}

function counterIterations(text: string, commands: ShellCommand[], before: number, untilLike: boolean): number | undefined {
  const re = /\$?\{?([A-Za-z_]\w*)\}?"?\s+-(lt|le|gt|ge|ne)\s+"?(\d+)"?/;
  const m = re.exec(text);
  if (!m) return undefined;
  const name = m[1];
  const limit = Number(m[3]);
  let init: number | undefined;
  for (let i = before - 1; i >= 0; i--) {
    const a = new RegExp(`^(?:local\\s+)?${name}=(\\d+)$`).exec(commands[i].text);
    if (a) {
      init = Number(a[1]);
      break;
    }
  }
  if (init === undefined) return undefined;
  let op = m[2];
  if (untilLike) op = { lt: 'ge', le: 'gt', gt: 'le', ge: 'lt', ne: 'ne' }[op]!;
  switch (op) {
    case 'lt': return Math.max(0, limit - init);
    case 'le': return Math.max(0, limit - init + 1);
    case 'gt': return Math.max(0, init - limit);
    case 'ge': return Math.max(0, init - limit + 1);
    default: return Math.abs(limit - init);
  }
}

function forIterations(header: string): number | undefined {
  const words = splitWords(header);
  const inAt = words.indexOf('in');
  if (inAt < 0) return undefined;
  const list = words.slice(inAt + 1);
  if (list.length === 1) {
    const seq = /^\$\(\s*seq\s+(-?\d+)(?:\s+(-?\d+))?(?:\s+(-?\d+))?\s*\)$/.exec(list[0]);
    if (seq) {
      const nums = [seq[1], seq[2], seq[3]].filter(x => x !== undefined).map(Number);
      if (nums.length === 1) return Math.max(0, nums[0]);
      if (nums.length === 2) return Math.max(0, nums[1] - nums[0] + 1);
      return nums[1] === 0 ? undefined : Math.max(0, Math.floor((nums[2] - nums[0]) / nums[1]) + 1);
    }
    const brace = /^\{(-?\d+)\.\.(-?\d+)\}$/.exec(list[0]);
    if (brace) return Math.abs(Number(brace[2]) - Number(brace[1])) + 1;
  }
  if (list.every(w => !/[$*?`[]/.test(w))) return list.length;
  return undefined;
}

/** Reads the sleeps and loops of a script. */
export function analyzeScript(script: string): ScriptAnalysis {
  const commands = splitCommands(script);
  const sleeps: ShellSleep[] = commands.filter(isSleep).map(c => ({ seconds: sleepSeconds(c), depth: c.depth, index: c.index, line: c.line }));
  const deadlines = deadlineVariables(script);
  const loops: ShellLoop[] = [];
  for (const c of commands) {
    if (c.depth !== 0 || !(c.head === 'while' || c.head === 'until' || c.head === 'for')) continue;
    let end = commands.length - 1;
    for (let j = c.index + 1; j < commands.length; j++) {
      if (commands[j].head === 'done' && commands[j].depth === 0) {
        end = j;
        break;
      }
    }
    const body = commands.slice(c.index + 1, end);
    const text = [c.text, ...body.map(b => b.text)].join('; ');
    const keyword = c.head;
    let iterations = keyword === 'for' ? forIterations(c.text) : counterIterations(c.text, commands, c.index, keyword === 'until');
    if (iterations === undefined && keyword !== 'for') {
      const breaker = body.find(b => /break/.test(b.text) || b.head === 'if');
      if (breaker) iterations = counterIterations(body.map(b => b.text).join('; '), commands, c.index, true);
    }
    let deadlineSeconds: number | undefined;
    for (const [name, n] of deadlines) {
      if (new RegExp(`\\$\\{?${name}\\b|\\b${name}\\b`).test(text)) deadlineSeconds = deadlineSeconds === undefined ? n : Math.min(deadlineSeconds, n);
    }
    const perIterationSeconds = body.filter(isSleep).reduce((s, b) => s + (sleepSeconds(b) ?? 0), 0) +
      [c, ...body].reduce((s, b) => s + requestTimeoutSeconds(b.text), 0);
    // A loop that neither sleeps nor makes requests (argument shuffling, line reading) takes no time worth counting.
    const takesTime = body.some(isSleep) || perIterationSeconds > 0 || /\b(wget|curl|nc|gs_http|pgrep|kill)\b/.test(text);
    const byCount = !takesTime ? 0 : iterations === undefined ? undefined : iterations * perIterationSeconds;
    const boundSeconds = deadlineSeconds !== undefined && byCount !== undefined ? Math.min(deadlineSeconds, byCount) : deadlineSeconds ?? byCount;
    loops.push({
      keyword,
      header: c.text,
      text,
      startIndex: c.index,
      endIndex: end,
      line: c.line,
      iterations,
      deadlineSeconds,
      perIterationSeconds,
      boundSeconds,
      unbounded: keyword !== 'for' && boundSeconds === undefined,
      pollsEnvoyStats: STATS.test(text),
    });
  }
  const fixedWaitSeconds = sleeps.filter(s => s.depth === 0).reduce((t, s) => t + (s.seconds ?? 0), 0);
  return { script, commands, sleeps, loops, fixedWaitSeconds };
}

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
  // Single-quoted text (awk programs, literal URLs) is not shell syntax: blank it out first.
  const masked = script.replace(/'[^']*'/g, m => '\'' + m.slice(1, -1).replace(/[^\n]/g, 'x') + '\'');
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
  // 2. `n=$(wget .../stats...)` then `[ "$n" -eq 0 ]` with no emptiness or status check of n.
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
