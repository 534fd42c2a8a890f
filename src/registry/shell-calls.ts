/**
 * The shell side of a registry deregistration: one request helper that tells an HTTP status from
 * no answer and keeps credentials out of process arguments, a cap that bounds every request by the
 * end of the phase it belongs to, and the poll probes the deregistration script is made of.
 *
 * Why probes: a `Step.pollUntilZero` runs a probe every interval until it counts zero or its phase
 * ends, which is exactly "retry until the phase end". Each probe here sets `gs_reg_until` (the
 * phase's end, in `date +%s` seconds) first; every request inside it is capped by that end, so no
 * step can eat into the protected wait that follows.
 *
 * Credentials: with curl, the URL, the headers and the body go to `curl -K -` as a config on stdin
 * (https://curl.se/docs/manpage.html, "-K, --config": `url = "..."`, `header = "..."`,
 * `data-raw = "..."`, with `\\`, `\"`, `\n`, `\r`, `\t` escapes inside double quotes), written by the
 * shell's `printf` builtin, so no process's /proc/PID/cmdline holds them. GNU and busybox wget take
 * headers and bodies only as arguments: then a credentialed call either goes out with the
 * credential in wget's arguments (the construct warns at synthesis) or, with
 * `allowCredentialsInArguments: false`, is refused at run time.
 */
import { IPollProbe, Shell, ShellWord } from '../script';

/** A call with the words it is rendered from. @internal */
export interface ShellCall {
  readonly method: string;
  readonly url: ShellWord;
  readonly body?: ShellWord;
  /** Header words (`'Name: value'` or `'Name: '"${ENV}"`). */
  readonly headers: ShellWord[];
  /** Whether a header or the body carries a credential. */
  readonly secret: boolean;
  /** Whether the registry's token must be there first (Nacos with auth). */
  readonly needsAuth: boolean;
  readonly description: string;
}

/** A presence check: the body of `gs_reg_present`, which sets `gs_count` (1 present, 0 gone) or `gs_why`. @internal */
export interface PresenceCheck {
  readonly description: string;
  readonly body: string;
  readonly needsAuth: boolean;
}

/** The registry's token logic: the body of `gs_reg_auth` (0 with a token, else 1 and `gs_reg_err`). @internal */
export interface AuthCheck {
  readonly body: string;
  /** For the log: what the login is. */
  readonly description: string;
}

/** Turns `$gs_reg_b` into one line without white space (JSON field layout then does not matter). */
export const FLATTEN = [
  'gs_reg_ifs=$IFS',
  'set -f',
  'IFS=" $(printf \'\\t\\r\')$gs_reg_nl"',
  '# shellcheck disable=SC2086 # split on white space on purpose',
  'set -- $gs_reg_b',
  'IFS=',
  'gs_reg_b="$*"',
  'IFS=$gs_reg_ifs',
  'set +f',
];

/**
 * `gs_reg_cap SECONDS`: SECONDS, or fewer when the phase end (`gs_reg_until`) or the script's
 * deadline is nearer; 0 when either has passed.
 *
 * `gs_reg_cfgq TEXT`: TEXT as a double-quoted curl config value.
 *
 * `gs_reg_req METHOD URL SECONDS BODY SECRET [HEADER...]`: one request. Sets `gs_reg_code` (the HTTP
 * status) and `gs_reg_b` (the body; with wget also the response headers); returns 1 with the reason
 * in `gs_reg_err` when no HTTP answer came. SECRET=1 marks a credentialed call (refused with wget
 * when `gs_reg_no_argv_secrets=1`).
 */
export const REQUEST_FUNCTIONS = `gs_reg_nl=$(printf '\\nx')
gs_reg_nl=\${gs_reg_nl%x}
gs_reg_cr=$(printf '\\r')
gs_reg_tab=$(printf '\\t')
gs_reg_cap() {
  gs_rc_now=$(date +%s)
  gs_rc_c=$1
  if [ $((gs_reg_until - gs_rc_now)) -lt "$gs_rc_c" ]; then gs_rc_c=$((gs_reg_until - gs_rc_now)); fi
  if [ $((gs_deadline - gs_rc_now)) -lt "$gs_rc_c" ]; then gs_rc_c=$((gs_deadline - gs_rc_now)); fi
  if [ "$gs_rc_c" -lt 0 ]; then gs_rc_c=0; fi
  echo "$gs_rc_c"
}
gs_reg_cfgq() {
  gs_q_in=$1
  gs_q_out=
  while [ -n "$gs_q_in" ]; do
    gs_q_rest=\${gs_q_in#?}
    gs_q_c=\${gs_q_in%"$gs_q_rest"}
    gs_q_in=$gs_q_rest
    case $gs_q_c in
      \\\\) gs_q_out="$gs_q_out\\\\\\\\" ;;
      '"') gs_q_out=$gs_q_out'\\"' ;;
      "$gs_reg_nl") gs_q_out=$gs_q_out'\\n' ;;
      "$gs_reg_cr") gs_q_out=$gs_q_out'\\r' ;;
      "$gs_reg_tab") gs_q_out=$gs_q_out'\\t' ;;
      *) gs_q_out=$gs_q_out$gs_q_c ;;
    esac
  done
  printf '"%s"' "$gs_q_out"
}
gs_reg_req() {
  gs_rq_m=$1
  gs_rq_u=$2
  gs_rq_t=$3
  gs_rq_b=$4
  gs_rq_s=$5
  shift 5
  gs_reg_code=
  gs_reg_err=
  gs_reg_b=
  if [ "$gs_rq_t" -lt 1 ]; then
    gs_reg_err="no time left in this phase, not sent"
    return 1
  fi
  if [ "$gs_http_tool" = curl ]; then
    gs_rq_cfg="url = $(gs_reg_cfgq "$gs_rq_u")"
    for gs_rq_h in "$@"; do
      gs_rq_cfg="$gs_rq_cfg$gs_reg_nl""header = $(gs_reg_cfgq "$gs_rq_h")"
    done
    if [ -n "$gs_rq_b" ] || [ "$gs_rq_m" = POST ]; then
      gs_rq_cfg="$gs_rq_cfg$gs_reg_nl""data-raw = $(gs_reg_cfgq "$gs_rq_b")"
    fi
    if gs_reg_b=$(printf '%s\\n' "$gs_rq_cfg" | curl -sS --max-time "$gs_rq_t" -X "$gs_rq_m" -w "$gs_reg_nl%{http_code}" -K - 2>/dev/null); then :; else
      gs_reg_err=$(gs_http_why "$?")
      return 1
    fi
    gs_reg_code=\${gs_reg_b##*"$gs_reg_nl"}
    gs_reg_b=\${gs_reg_b%"$gs_reg_nl"*}
    return 0
  fi
  if [ "$gs_rq_s" = 1 ] && [ "\${gs_reg_no_argv_secrets:-0}" = 1 ]; then
    gs_reg_err="refused: $gs_http_tool would carry the credential in its arguments (readable in /proc); add curl to the image"
    return 1
  fi
  gs_rq_n=$#
  while [ "$gs_rq_n" -gt 0 ]; do
    set -- "$@" --header "$1"
    shift
    gs_rq_n=$((gs_rq_n - 1))
  done
  case $gs_http_tool:$gs_rq_m in
    wget:GET) gs_reg_b=$(gs_bounded "$gs_rq_t" wget -S -O - -t 1 --content-on-error "$@" "$gs_rq_u" 2>&1) ;;
    wget:*) gs_reg_b=$(gs_bounded "$gs_rq_t" wget -S -O - -t 1 --content-on-error --method="$gs_rq_m" --body-data="$gs_rq_b" "$@" "$gs_rq_u" 2>&1) ;;
    busybox-wget:GET) gs_reg_b=$(gs_bounded "$gs_rq_t" wget -S -O - "$@" "$gs_rq_u" 2>&1) ;;
    busybox-wget:POST) gs_reg_b=$(gs_bounded "$gs_rq_t" wget -S -O - --post-data "$gs_rq_b" "$@" "$gs_rq_u" 2>&1) ;;
    busybox:GET) gs_reg_b=$(gs_bounded "$gs_rq_t" busybox wget -S -O - "$@" "$gs_rq_u" 2>&1) ;;
    busybox:POST) gs_reg_b=$(gs_bounded "$gs_rq_t" busybox wget -S -O - --post-data "$gs_rq_b" "$@" "$gs_rq_u" 2>&1) ;;
    busybox*)
      gs_reg_err='busybox wget sends only GET and POST: add curl or GNU wget to the image'
      return 1
      ;;
    *)
      gs_reg_err='neither curl nor wget is in the image'
      return 1
      ;;
  esac
  gs_rq_rc=$?
  if [ "$gs_rq_rc" = 143 ]; then
    gs_reg_err='no answer within the timeout'
    return 1
  fi
  gs_rq_rest=$gs_reg_b
  while :; do
    case $gs_rq_rest in
      *HTTP/[0-9]*) ;;
      *) break ;;
    esac
    gs_rq_rest=\${gs_rq_rest#*HTTP/}
    gs_rq_l=\${gs_rq_rest#* }
    gs_rq_l=\${gs_rq_l%%[!0-9]*}
    case $gs_rq_l in
      [1-5][0-9][0-9]) gs_reg_code=$gs_rq_l ;;
    esac
  done
  if [ -z "$gs_reg_code" ]; then
    gs_reg_err="$(gs_http_why "$gs_rq_rc"): no HTTP answer"
    return 1
  fi
  return 0
}`;

/** Indents every line of a text block. */
function indent(text: string, by: string): string[] {
  return text.split('\n').map(l => (l === '' ? l : `${by}${l}`));
}

/** Lines that send one call (after logging in when it needs the token); leave `gs_reg_sent` 1 on a 2xx answer, else 0 with `gs_reg_err`. */
export function sendLines(call: ShellCall, timeoutSeconds: number): string[] {
  const args = [
    Shell.quote(call.method),
    call.url.text,
    `"$(gs_reg_cap ${timeoutSeconds})"`,
    (call.body ?? ShellWord.literal('')).text,
    call.secret ? '1' : '0',
    ...call.headers.map(h => h.text),
  ].join(' ');
  const send = [
    `if gs_reg_req ${args}; then`,
    '  case $gs_reg_code in',
    '    2??) gs_reg_sent=1 ;;',
    '    *) gs_reg_err="answered HTTP $gs_reg_code" ;;',
    '  esac',
    'fi',
  ];
  return [
    'gs_reg_sent=0',
    ...(call.needsAuth ? [
      'if gs_reg_auth; then',
      ...send.map(l => `  ${l}`),
      'else',
      '  gs_reg_err="no token, not sent ($gs_reg_err)"',
      'fi',
    ] : send),
  ];
}

/** Lines that log a call's outcome: `ok` every time it succeeds, a failure only when its reason changed. */
function outcomeLines(call: ShellCall, memo: string): string[] {
  return [
    'if [ "$gs_reg_sent" = 1 ]; then',
    `  gs_log ${Shell.quote(`${call.description}: ok`)}`,
    `  ${memo}=`,
    'else',
    `  gs_reg_msg=${Shell.quote(`${call.description}: failed: `)}"$gs_reg_err"`,
    `  if [ "$gs_reg_msg" != "\${${memo}:-}" ]; then gs_log "$gs_reg_msg"; ${memo}=$gs_reg_msg; fi`,
    'fi',
  ];
}

/**
 * What every probe body starts with: the phase end, and, in the script's first registry probe
 * only, the helper functions (shell functions are global once defined, and the first poll always
 * runs its probe), so the script carries them once.
 */
function prelude(endSeconds: number | 'deadline', ctx: ProbeContext, define: boolean): string[] {
  return [
    endSeconds === 'deadline' ? 'gs_reg_until=$gs_deadline' : `gs_reg_until=$((gs_start + ${endSeconds}))`,
    ...(define ? [
      `gs_reg_no_argv_secrets=${ctx.noArgvSecrets ? 1 : 0}`,
      ...REQUEST_FUNCTIONS.split('\n'),
      ...(ctx.auth ? ['gs_reg_auth() {', ...indent(ctx.auth.body, '  '), '}'] : []),
      'gs_reg_present() {',
      ...indent(ctx.presence.body, '  '),
      '}',
    ] : []),
    DEFINITIONS_END,
  ];
}

/** Marks where a probe's definitions end and its logic starts (not rendered). */
const DEFINITIONS_END = '# (end of definitions)';

/**
 * A probe from its body. Once its phase has ended, a probe sends nothing and repeats its last
 * answer (count or reason): the poll then ends with what was last known, not with "no time left".
 */
function probe(description: string, lines: string[], tag: string): IPollProbe {
  const [first, ...rest] = lines;
  const fn = `gs_reg_body_${tag.replace(/[^a-z]/g, '_')}`;
  const count = `gs_reg_lc_${tag.replace(/[^a-z]/g, '_')}`;
  const why = `gs_reg_lw_${tag.replace(/[^a-z]/g, '_')}`;
  const defs = rest.slice(0, rest.findIndex(l => l === DEFINITIONS_END) + 1);
  const logic = rest.slice(defs.length);
  const body = [
    first,
    ...defs.filter(l => l !== DEFINITIONS_END),
    'if [ "$(date +%s)" -ge "$gs_reg_until" ]; then',
    `  if [ -n "\${${count}:-}" ]; then gs_count=$${count}; return 0; fi`,
    `  gs_why=\${${why}:-'no time left in this phase'}`,
    '  return 1',
    'fi',
    `${fn}() {`,
    ...logic.map(l => (l === '' ? l : `  ${l}`)),
    '}',
    `if ${fn}; then ${count}=$gs_count; ${why}=; return 0; fi`,
    `${count}=; ${why}=$gs_why`,
    'return 1',
  ].join('\n');
  return { description, usesHttp: true, renderBody: () => body };
}

/** Options shared by the probes. @internal */
export interface ProbeContext {
  /** Seconds per request. */
  readonly timeoutSeconds: number;
  readonly auth?: AuthCheck;
  /** The presence check, defined as `gs_reg_present`. */
  readonly presence: PresenceCheck;
  /** When credentialed calls must not go through wget. */
  readonly noArgvSecrets: boolean;
}

/** The login as a probe: 0 once a token is there. */
export function loginProbe(ctx: ProbeContext, endSeconds: number, define: boolean): IPollProbe {
  return probe(ctx.auth!.description, [
    ...prelude(endSeconds, ctx, define),
    'if gs_reg_auth; then gs_count=0; return 0; fi',
    'gs_why=$gs_reg_err',
    'return 1',
  ], 'reg.login');
}

/**
 * Calls that must each succeed once (the offline calls, the config clean-up): counts those that
 * have not yet; a failed one is sent again at the next poll, until the phase ends.
 */
export function callsProbe(description: string, calls: ShellCall[], ctx: ProbeContext, endSeconds: number, tag: string, define: boolean): IPollProbe {
  const lines = [...prelude(endSeconds, ctx, define), 'gs_count=0'];
  calls.forEach((call, i) => {
    const done = `gs_reg_${tag}_ok_${i}`;
    lines.push(
      `if [ "\${${done}:-0}" != 1 ]; then`,
      ...sendLines(call, ctx.timeoutSeconds).map(l => `  ${l}`),
      ...outcomeLines(call, `gs_reg_${tag}_last_${i}`).map(l => `  ${l}`),
      `  if [ "$gs_reg_sent" = 1 ]; then ${done}=1; else gs_count=$((gs_count + 1)); fi`,
      'fi',
    );
  });
  lines.push('return 0');
  return probe(description, lines, `reg.calls.${tag}`);
}

/** The confirmation: the presence check, recording `gs_reg_gone`. */
export function confirmProbe(ctx: ProbeContext, endSeconds: number): IPollProbe {
  return probe(ctx.presence.description, [
    ...prelude(endSeconds, ctx, false),
    'if gs_reg_present; then',
    '  if [ "$gs_count" = 0 ]; then gs_reg_gone=yes; else gs_reg_gone=no; fi',
    '  return 0',
    'fi',
    'gs_reg_gone="unknown ($gs_why)"',
    'return 1',
  ], 'reg.confirm');
}

function removeLines(removal: ShellCall[], ctx: ProbeContext, tag: string): string[] {
  return removal.flatMap((call, i) => [
    ...sendLines(call, ctx.timeoutSeconds),
    ...outcomeLines(call, `gs_reg_${tag}_last_${i}`),
  ]);
}

/**
 * The force-remove: sends the removal calls, then asks whether the instance is gone; counts 0 only
 * when the check says so. Retried (calls and check) until the phase ends.
 */
export function forceRemoveProbe(removal: ShellCall[], ctx: ProbeContext, endSeconds: number): IPollProbe {
  return probe(`instance still registered after the force-remove (${ctx.presence.description})`, [
    ...prelude(endSeconds, ctx, false),
    ...removeLines(removal, ctx, 'rm'),
    'if gs_reg_present; then',
    '  if [ "$gs_count" = 0 ]; then gs_reg_gone=yes; else gs_reg_gone=no; fi',
    '  return 0',
    'fi',
    'gs_reg_gone="unknown ($gs_why)"',
    'return 1',
  ], 'reg.forceRemove');
}

/** Options of {@link protectedWaitProbe}. @internal */
export interface ProtectedWaitOptions {
  /** The whole wait (client caches + RPC timeout), in seconds. */
  readonly waitSeconds: number;
  /** How often the registry is asked again during the wait. */
  readonly recheckSeconds: number;
  /** The log line that starts the wait. */
  readonly message: string;
  readonly removal: ShellCall[];
  readonly registry: string;
}

/**
 * The protected wait (client caches + in-flight calls), with re-checks. A background `sleep` of the
 * whole wait is the timer, so the wait lasts at least its planned length whatever the re-checks do;
 * every re-check and re-removal is capped one second before the timer's end (the clock counts whole
 * seconds), so none of them lengthens it either; the last re-check therefore starts about two
 * seconds before the wait ends. An instance that comes back (a client's heartbeat
 * registering it again) is removed again and logged. Ends with the outcome, in words. Counts 0 when
 * the wait is over.
 */
export function protectedWaitProbe(o: ProtectedWaitOptions, ctx: ProbeContext): IPollProbe {
  const w = o.waitSeconds;
  const every = o.recheckSeconds;
  return probe('seconds left of the protected wait', [
    ...prelude('deadline', ctx, false),
    `gs_log ${Shell.quote(o.message)}`,
    `sleep ${w} &`,
    'gs_reg_timer=$!',
    `gs_reg_wend=$(($(date +%s) + ${w}))`,
    'gs_reg_back=0',
    'gs_reg_last_check=',
    'while kill -0 "$gs_reg_timer" 2>/dev/null; do',
    // Room for a nap of at least 1s and a check of at least 1s, both before the timer's last second.
    '  gs_reg_left=$((gs_reg_wend - $(date +%s) - 2))',
    '  if [ "$gs_reg_left" -lt 1 ]; then break; fi',
    `  if [ "$gs_reg_left" -gt ${every} ]; then gs_reg_nap=${every}; else gs_reg_nap=$gs_reg_left; fi`,
    '  sleep "$gs_reg_nap"',
    '  gs_reg_until=$((gs_reg_wend - 1))',
    '  if [ "$(date +%s)" -ge "$gs_reg_until" ]; then break; fi',
    '  gs_count=',
    '  if gs_reg_present; then',
    '    if [ "$gs_count" = 0 ]; then',
    '      gs_reg_gone=yes',
    '      gs_reg_state=gone',
    '    else',
    '      gs_reg_gone=no',
    '      gs_reg_state=present',
    '      gs_reg_back=$((gs_reg_back + 1))',
    `      gs_log ${Shell.quote(`re-check: the instance is in ${o.registry} again (a client heartbeat may have registered it): removing it again`)}`,
    ...removeLines(o.removal, ctx, 'rc').map(l => `      ${l}`),
    '      if gs_reg_present; then',
    '        if [ "$gs_count" = 0 ]; then gs_reg_gone=yes; gs_reg_state=gone; fi',
    "        gs_log \"re-check after removing again: $(if [ \"$gs_count\" = 0 ]; then echo gone; else echo 'still registered'; fi)\"",
    '      fi',
    '    fi',
    '  else',
    '    gs_reg_state="unknown ($gs_why)"',
    '  fi',
    '  if [ "$gs_reg_state" != "$gs_reg_last_check" ]; then',
    '    gs_log "re-check: $gs_reg_state"',
    '    gs_reg_last_check=$gs_reg_state',
    '  fi',
    'done',
    'wait "$gs_reg_timer" 2>/dev/null',
    'case ${gs_reg_gone:-unknown} in',
    `  yes) gs_log ${Shell.quote(`outcome: the instance is out of ${o.registry} (last check: gone)`)}"$(if [ "$gs_reg_back" -gt 0 ]; then echo "; it came back $gs_reg_back time(s) during the wait and was removed again"; fi)" ;;`,
    `  no) gs_log ${Shell.quote(`outcome: NOT removed: the last check still found the instance in ${o.registry}`)} ;;`,
    `  *) gs_log ${Shell.quote(`outcome: NOT confirmed: ${o.registry} could not tell (last: `)}"$gs_reg_gone)" ;;`,
    'esac',
    'gs_count=0',
    'return 0',
  ], 'reg.protectedWait');
}
