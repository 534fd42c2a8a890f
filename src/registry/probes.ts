import { HttpHeader, IPollProbe, Shell, ShellWord } from '../script';
import { userWord } from './url';
import { keyedProbe } from '../script/value-key';

/**
 * Presence checks for the registry flavours, as poll probes: each counts 1 while the instance
 * (this pod's IP and port) is still registered, 0 once it is gone, and returns 1 ("cannot tell")
 * when the registry does not answer or answers something it cannot read. An unreachable registry
 * is never taken as "gone". Pure sh: no jq, no grep.
 */

/** Turns `$gs_reg_b` into one line without white space (JSON field layout then does not matter). */
const FLATTEN = [
  "gs_reg_nl=$(printf '\\nx')",
  'gs_reg_nl=${gs_reg_nl%x}',
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
 * `gs_reg_get URL SECONDS [HEADER...]`: a GET that tells an HTTP status apart from no answer, which
 * `gs_http` does not (a 404 and a refused connection are both failures there). Sets `gs_reg_code`
 * (`200`, `404`, ...) and `gs_reg_b` (the body; with wget, also the response headers). Returns 1 when
 * no HTTP answer came, with the reason in `gs_reg_err`. curl, GNU wget and busybox wget.
 */
const STATUS_GET = `gs_reg_get() {
  gs_u=$1
  gs_t=$2
  shift 2
  gs_n=$#
  while [ "$gs_n" -gt 0 ]; do
    set -- "$@" --header "$1"
    shift
    gs_n=$((gs_n - 1))
  done
  gs_reg_code=
  gs_reg_err=
  gs_reg_nl=$(printf '\\nx')
  gs_reg_nl=\${gs_reg_nl%x}
  if [ "$gs_t" -lt 1 ]; then
    gs_reg_err="the script's deadline has passed, not attempted"
    return 1
  fi
  case $gs_http_tool in
    curl)
      if gs_reg_b=$(curl -sS --max-time "$gs_t" -w "\${gs_reg_nl}%{http_code}" "$@" "$gs_u" 2>/dev/null); then :; else
        gs_reg_err="curl exit $?"
        return 1
      fi
      gs_reg_code=\${gs_reg_b##*"$gs_reg_nl"}
      gs_reg_b=\${gs_reg_b%"$gs_reg_nl"*}
      return 0
      ;;
    wget) gs_reg_b=$(gs_bounded "$gs_t" wget -S -O - -t 1 -T "$gs_t" --content-on-error "$@" "$gs_u" 2>&1) ;;
    busybox-wget) gs_reg_b=$(gs_bounded "$gs_t" wget -S -O - "$@" "$gs_u" 2>&1) ;;
    busybox) gs_reg_b=$(gs_bounded "$gs_t" busybox wget -S -O - "$@" "$gs_u" 2>&1) ;;
    *)
      gs_reg_err='neither curl nor wget is in the image'
      return 1
      ;;
  esac
  gs_rc=$?
  if [ "$gs_rc" = 143 ]; then
    gs_reg_err='no answer within the timeout'
    return 1
  fi
  gs_reg_rest=$gs_reg_b
  while :; do
    case $gs_reg_rest in
      *HTTP/[0-9]*) ;;
      *) break ;;
    esac
    gs_reg_rest=\${gs_reg_rest#*HTTP/}
    gs_reg_l=\${gs_reg_rest#* }
    gs_reg_l=\${gs_reg_l%%[!0-9]*}
    case $gs_reg_l in
      [1-5][0-9][0-9]) gs_reg_code=$gs_reg_l ;;
    esac
  done
  if [ -z "$gs_reg_code" ]; then
    gs_reg_err="$gs_http_tool exit $gs_rc"
    return 1
  fi
  return 0
}`;

const POD_IP_SET = [
  'if [ -z "${POD_IP:-}" ]; then',
  "  gs_why='POD_IP is empty (set it from the downward API, status.podIP)'",
  '  return 1',
  'fi',
];

/** Shell words of a GET's arguments after the URL and timeout. */
function headerArgs(headers: HttpHeader[]): string {
  return headers.map(h => ` ${h.word.text}`).join('');
}

/** Options of {@link nacosPresenceProbe}. @internal */
export interface NacosPresenceOptions {
  /** `GET /nacos/v1/ns/instance/list?serviceName=...` */
  readonly listUrl: ShellWord;
  /** The registered port. */
  readonly port: number;
  /** Seconds per request. */
  readonly timeoutSeconds: number;
}

/**
 * Nacos: counts the entries of `hosts[]` in the instance list whose `"ip"` is `$POD_IP` and whose
 * `"port"` is the registered port, in any field order. The body is flattened (white space removed)
 * and cut into host objects at `},{`. Limits: a metadata value that itself contains `},{` or
 * `"ip":"<this pod's IP>"` could be miscounted; an answer without `"hosts":[` is "cannot tell".
 * @internal
 */
export function nacosPresenceProbe(o: NacosPresenceOptions): IPollProbe {
  const port = String(o.port);
  return keyedProbe({
    description: `this pod's instance (port ${o.port}) in the Nacos instance list`,
    usesHttp: true,
    renderBody: () => [
      ...POD_IP_SET,
      `if gs_reg_b=$(gs_http GET ${o.listUrl.text} "$(gs_cap ${o.timeoutSeconds})" '' 2>/dev/null); then :; else`,
      '  gs_why="instance list: $(gs_http_why "$?")"',
      '  return 1',
      'fi',
      ...FLATTEN,
      'case $gs_reg_b in',
      '  *\'"hosts":[\'*) ;;',
      "  *) gs_why='the instance list answer has no hosts list'; return 1 ;;",
      'esac',
      'gs_reg_rest=${gs_reg_b#*\'"hosts":[\'}',
      'gs_count=0',
      'while :; do',
      '  gs_reg_host=${gs_reg_rest%%\'},{\'*}',
      '  case $gs_reg_host in',
      '    *\'"ip":"\'"$POD_IP"\'"\'*)',
      '      case $gs_reg_host in',
      `        *${Shell.quote(`"port":${port},`)}*|*${Shell.quote(`"port":${port}}`)}*) gs_count=$((gs_count + 1)) ;;`,
      '      esac',
      '      ;;',
      '  esac',
      '  if [ "$gs_reg_host" = "$gs_reg_rest" ]; then break; fi',
      '  gs_reg_rest=${gs_reg_rest#*\'},{\'}',
      'done',
      'return 0',
    ].join('\n'),
  }, 'nacosPresence', o.listUrl.text, port, o.timeoutSeconds);
}

/** How a status-based presence check reads a 2xx answer. @internal */
export enum PresentWhen {
  /** Any 2xx answer means present. */
  ANSWERED = 'answered',
  /** 2xx with `"status":"UP"` (JSON) or `<status>UP</status>` (XML) means present: Eureka. */
  STATUS_UP = 'status-up',
  /** 2xx whose body contains a text means present. */
  BODY_CONTAINS = 'body-contains',
}

/** Options of {@link statusPresenceProbe}. @internal */
export interface StatusPresenceOptions {
  readonly description: string;
  readonly url: ShellWord;
  readonly headers: HttpHeader[];
  readonly timeoutSeconds: number;
  /** How a 2xx answer is read; without it, BODY_CONTAINS when `text` is given, else ANSWERED. */
  readonly presentWhen?: PresentWhen;
  /** For BODY_CONTAINS: the text (may read `${POD_IP}`). */
  readonly text?: ShellWord;
}

/**
 * Presence by HTTP status: 404 means gone, 2xx means present (or, with `presentWhen`, present only
 * when the body says so), anything else or no answer means "cannot tell". Eureka
 * (`GET /eureka/apps/{app}/{id}`), Consul (`GET /v1/agent/service/{id}`) and custom check URLs.
 * @internal
 */
export function statusPresenceProbe(o: StatusPresenceOptions): IPollProbe {
  const presentWhen = o.presentWhen ?? (o.text === undefined ? PresentWhen.ANSWERED : PresentWhen.BODY_CONTAINS);
  let present: string[];
  switch (presentWhen) {
    case PresentWhen.ANSWERED:
      present = ['    gs_count=1'];
      break;
    case PresentWhen.STATUS_UP:
      present = [
        ...FLATTEN.map(l => `    ${l}`),
        '    case $gs_reg_b in',
        '      *\'"status":"UP"\'*|*\'<status>UP</status>\'*) gs_count=1 ;;',
        '      *) gs_count=0 ;;',
        '    esac',
      ];
      break;
    case PresentWhen.BODY_CONTAINS:
      present = [
        '    case $gs_reg_b in',
        `      *${o.text!.text}*) gs_count=1 ;;`,
        '      *) gs_count=0 ;;',
        '    esac',
      ];
      break;
  }
  const needsPodIp = o.url.envNames.includes('POD_IP') || (o.text?.envNames.includes('POD_IP') ?? false);
  return keyedProbe({
    description: o.description,
    usesHttp: true,
    renderBody: () => [
      STATUS_GET,
      ...(needsPodIp ? POD_IP_SET : []),
      `if ! gs_reg_get ${o.url.text} "$(gs_cap ${o.timeoutSeconds})"${headerArgs(o.headers)}; then`,
      '  gs_why="no answer ($gs_reg_err)"',
      '  return 1',
      'fi',
      'case $gs_reg_code in',
      '  404) gs_count=0 ;;',
      '  2??)',
      ...present,
      '    ;;',
      '  *)',
      '    gs_why="the check answered HTTP $gs_reg_code"',
      '    return 1',
      '    ;;',
      'esac',
      'return 0',
    ].join('\n'),
  }, 'statusPresence', o.url.text, o.timeoutSeconds, presentWhen, o.text?.text ?? '', needsPodIp, o.headers.length, ...o.headers.map(h => h.word.text));
}

/**
 * Presence at an admin API's check URL, for `Registry.custom` and `Confirmation.adminController`:
 * 404 gone, 2xx present (with `text`, present only when the body holds it; `${POD_IP}` and the
 * other placeholders in the URL and the text are read at run time).
 * @internal
 */
export function adminCheckPresence(name: string, checkUrl: string, headers: HttpHeader[], text?: string): (timeoutSeconds: number) => IPollProbe {
  return t => statusPresenceProbe({
    description: `this instance at the ${name}`,
    url: userWord(checkUrl),
    headers,
    timeoutSeconds: t,
    text: text === undefined ? undefined : userWord(text),
  });
}

/**
 * Nacos login as a poll that ends at 0 once logged in: `POST /nacos/v1/auth/login` with the
 * form-encoded username and password from the environment; the `accessToken` of the JSON answer
 * goes into `$tokenEnv` for later calls. Neither the password nor the token is ever logged.
 * Retried every interval until its bound (a registry that is starting up answers late).
 * @internal
 */
export function nacosLoginProbe(loginUrl: ShellWord, userEnv: string, passwordEnv: string, tokenEnv: string, timeoutSeconds: number): IPollProbe {
  for (const e of [userEnv, passwordEnv, tokenEnv]) Shell.assertEnvName(e, 'nacos login env var');
  return keyedProbe({
    description: 'Nacos login pending',
    usesHttp: true,
    renderBody: () => [
      'gs_reg_urlencode() {',
      '  gs_e=$1',
      '  gs_o=',
      '  while [ -n "$gs_e" ]; do',
      '    gs_r=${gs_e#?}',
      '    gs_c=${gs_e%"$gs_r"}',
      '    gs_e=$gs_r',
      '    case $gs_c in',
      '      [A-Za-z0-9._~-]) gs_o=$gs_o$gs_c ;;',
      '      *) gs_o=$gs_o$(printf \'%%%02X\' "\'$gs_c") ;;',
      '    esac',
      '  done',
      '  printf \'%s\' "$gs_o"',
      '}',
      `if [ -z "\${${userEnv}:-}" ] || [ -z "\${${passwordEnv}:-}" ]; then`,
      `  gs_why=${Shell.quote(`${userEnv} or ${passwordEnv} is empty (check the Secret and its keys)`)}`,
      '  return 1',
      'fi',
      `gs_reg_form="username=$(gs_reg_urlencode "$${userEnv}")&password=$(gs_reg_urlencode "$${passwordEnv}")"`,
      `if gs_reg_b=$(gs_http POST ${loginUrl.text} "$(gs_cap ${timeoutSeconds})" "$gs_reg_form" 'Content-Type: application/x-www-form-urlencoded' 2>/dev/null); then :; else`,
      '  gs_why="login: $(gs_http_why "$?")"',
      '  return 1',
      'fi',
      ...FLATTEN,
      'case $gs_reg_b in',
      '  *\'"accessToken":"\'?*) ;;',
      "  *) gs_why='the login answer has no accessToken'; return 1 ;;",
      'esac',
      'gs_reg_b=${gs_reg_b#*\'"accessToken":"\'}',
      `${tokenEnv}=\${gs_reg_b%%'"'*}`,
      'gs_reg_b=',
      'gs_count=0',
      'return 0',
    ].join('\n'),
  }, 'nacosLogin', loginUrl.text, userEnv, passwordEnv, tokenEnv, timeoutSeconds);
}

/** 1 until `file` exists, then 0: the app container waits for the sidecar's signal. @internal */
export function fileExistsProbe(file: string, what: string): IPollProbe {
  return keyedProbe({
    description: what,
    usesHttp: false,
    renderBody: () => [
      `if [ -f ${Shell.quote(file)} ]; then gs_count=0; else gs_count=1; fi`,
      'return 0',
    ].join('\n'),
  }, 'registry.fileExists', file);
}
