import { HttpHeader, Shell, ShellWord } from '../script';
import { AuthCheck, FLATTEN, PresenceCheck } from './shell-calls';

/**
 * Presence checks for the registry flavours, as bodies of the shell function `gs_reg_present`: each
 * sets `gs_count` to 1 while the instance (this pod's IP and port) is still in rotation, 0 once it
 * is gone, and returns 1 ("cannot tell", reason in `gs_why`) when the registry does not answer or
 * answers something it cannot read. An unreachable registry is never taken as "gone". Pure sh: no
 * jq, no grep. Requests go through `gs_reg_req` (src/registry/shell-calls.ts), capped by the phase.
 */

const POD_IP_SET = [
  'if [ -z "${POD_IP:-}" ]; then',
  "  gs_why='POD_IP is empty (set it from the downward API, status.podIP)'",
  '  return 1',
  'fi',
];

/** `gs_reg_req GET URL "$(gs_reg_cap T)" '' SECRET HEADER...` with its failure turned into `gs_why`. */
function getLines(url: ShellWord, headers: HttpHeader[], timeoutSeconds: number, what: string): string[] {
  const secret = headers.some(isSecretHeader) ? '1' : '0';
  return [
    `if ! gs_reg_req GET ${url.text} "$(gs_reg_cap ${timeoutSeconds})" '' ${secret}${headers.map(h => ` ${h.word.text}`).join('')}; then`,
    `  gs_why=${Shell.quote(`${what}: `)}"$gs_reg_err"`,
    '  return 1',
    'fi',
  ];
}

/** Whether a header's value comes from the environment (a Secret). @internal */
export function isSecretHeader(h: HttpHeader): boolean {
  return h.word.envNames.length > 0;
}

/** The token check first, when the registry needs one. */
function authLines(needsAuth: boolean): string[] {
  return needsAuth ? [
    'if ! gs_reg_auth; then',
    '  gs_why="no token ($gs_reg_err)"',
    '  return 1',
    'fi',
  ] : [];
}

/** Options of {@link nacosListPresence}. @internal */
export interface NacosListOptions {
  /** `GET .../v1/ns/instance/list?...` or `.../v2/ns/instance/list?...` */
  readonly listUrl: ShellWord;
  readonly port: number;
  readonly headers: HttpHeader[];
  readonly needsAuth: boolean;
  readonly timeoutSeconds: number;
  readonly description: string;
}

/**
 * Nacos v1 and v2 instance lists: counts the entries of `hosts[]` whose `"ip"` is `$POD_IP` and
 * whose `"port"` is the registered port, in any field order. Nacos leaves disabled instances out of
 * these lists (InstanceOperatorClientImpl#listInstance selects with enableOnly), as it does in what
 * it pushes to clients, so "not listed" means out of rotation: deregistered or disabled. The body is
 * flattened and cut into host objects at `},{`. Limits: a metadata value that itself holds `},{` or
 * `"ip":"<this pod's IP>"` could be miscounted; an answer without `"hosts":[` is "cannot tell".
 * @internal
 */
export function nacosListPresence(o: NacosListOptions): PresenceCheck {
  const port = String(o.port);
  return {
    description: o.description,
    needsAuth: o.needsAuth,
    body: [
      ...POD_IP_SET,
      ...authLines(o.needsAuth),
      ...getLines(o.listUrl, o.headers, o.timeoutSeconds, 'instance list'),
      'case $gs_reg_code in',
      '  2??) ;;',
      '  *) gs_why="the instance list answered HTTP $gs_reg_code"; return 1 ;;',
      'esac',
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
  };
}

/** Options of {@link nacosV3Presence}. @internal */
export interface NacosDetailOptions {
  readonly url: ShellWord;
  readonly headers: HttpHeader[];
  readonly needsAuth: boolean;
  readonly timeoutSeconds: number;
  readonly description: string;
}

/**
 * Nacos 3.x admin API, `GET .../v3/admin/ns/instance?serviceName&ip&port...` (InstanceControllerV3
 * #detail): 200 with `{"code":0,...,"data":{...,"enabled":...}}` while the instance exists, 404
 * (`"code":20004`, "no matched ip found!") once it does not. The admin API shows disabled
 * instances too, so 200 with `"enabled":false` counts as gone (out of rotation: clients are not sent
 * disabled instances). Anything else is "cannot tell".
 * @internal
 */
export function nacosV3Presence(o: NacosDetailOptions): PresenceCheck {
  return {
    description: o.description,
    needsAuth: o.needsAuth,
    body: [
      ...POD_IP_SET,
      ...authLines(o.needsAuth),
      ...getLines(o.url, o.headers, o.timeoutSeconds, 'instance detail'),
      'case $gs_reg_code in',
      '  404) gs_count=0; return 0 ;;',
      '  2??) ;;',
      '  *) gs_why="the instance detail answered HTTP $gs_reg_code"; return 1 ;;',
      'esac',
      ...FLATTEN,
      'case $gs_reg_b in',
      '  *\'"enabled":false\'*) gs_count=0 ;;',
      '  *\'"enabled":true\'*) gs_count=1 ;;',
      "  *) gs_why='the instance detail answer has no enabled field'; return 1 ;;",
      'esac',
      'return 0',
    ].join('\n'),
  };
}

/** How a status-based presence check reads an answer. @internal */
export enum PresentWhen {
  /** Any 2xx answer means present; 404 gone. */
  ANSWERED = 'answered',
  /** 2xx with `"status":"UP"` (JSON) or `<status>UP</status>` (XML) means present; 404 gone: Eureka. */
  STATUS_UP = 'status-up',
  /** 2xx whose body contains a text means present; 404 gone. */
  BODY_CONTAINS = 'body-contains',
  /**
   * Consul's agent health (`GET /v1/agent/health/service/id/{id}`): 200 passing and 429 warning
   * mean in rotation; 503 critical (maintenance mode registers a critical check) and 404 (no such
   * service on this agent) mean out of rotation.
   */
  CONSUL_HEALTH = 'consul-health',
}

/** Options of {@link statusPresence}. @internal */
export interface StatusPresenceOptions {
  readonly description: string;
  readonly url: ShellWord;
  readonly headers: HttpHeader[];
  readonly timeoutSeconds: number;
  /** How an answer is read; without it, BODY_CONTAINS when `text` is given, else ANSWERED. */
  readonly presentWhen?: PresentWhen;
  /** For BODY_CONTAINS: the text (may read `${POD_IP}`). */
  readonly text?: ShellWord;
}

/**
 * Presence by HTTP status: Eureka (`GET /eureka/apps/{app}/{id}`), Consul's agent health and custom
 * check URLs. See {@link PresentWhen}; anything else, or no answer, is "cannot tell".
 * @internal
 */
export function statusPresence(o: StatusPresenceOptions): PresenceCheck {
  const presentWhen = o.presentWhen ?? (o.text === undefined ? PresentWhen.ANSWERED : PresentWhen.BODY_CONTAINS);
  let cases: string[];
  switch (presentWhen) {
    case PresentWhen.ANSWERED:
      cases = ['  404) gs_count=0 ;;', '  2??) gs_count=1 ;;'];
      break;
    case PresentWhen.STATUS_UP:
      cases = [
        '  404) gs_count=0 ;;',
        '  2??)',
        ...FLATTEN.map(l => `    ${l}`),
        '    case $gs_reg_b in',
        '      *\'"status":"UP"\'*|*\'<status>UP</status>\'*) gs_count=1 ;;',
        '      *) gs_count=0 ;;',
        '    esac',
        '    ;;',
      ];
      break;
    case PresentWhen.BODY_CONTAINS:
      cases = [
        '  404) gs_count=0 ;;',
        '  2??)',
        '    case $gs_reg_b in',
        `      *${o.text!.text}*) gs_count=1 ;;`,
        '      *) gs_count=0 ;;',
        '    esac',
        '    ;;',
      ];
      break;
    case PresentWhen.CONSUL_HEALTH:
      cases = ['  200|429) gs_count=1 ;;', '  503|404) gs_count=0 ;;'];
      break;
  }
  const needsPodIp = o.url.envNames.includes('POD_IP') || (o.text?.envNames.includes('POD_IP') ?? false);
  return {
    description: o.description,
    needsAuth: false,
    body: [
      ...(needsPodIp ? POD_IP_SET : []),
      ...getLines(o.url, o.headers, o.timeoutSeconds, 'no answer'),
      'case $gs_reg_code in',
      ...cases,
      '  *)',
      '    gs_why="the check answered HTTP $gs_reg_code"',
      '    return 1',
      '    ;;',
      'esac',
      'return 0',
    ].join('\n'),
  };
}

/**
 * Presence at an admin API's check URL, for `Registry.custom` and `Confirmation.adminController`:
 * 404 gone, 2xx present (with `text`, present only when the body holds it; `${POD_IP}` and the
 * other placeholders in the URL and the text are read at run time).
 * @internal
 */
export function adminCheckPresence(
  name: string, checkUrl: ShellWord, headers: HttpHeader[], text?: ShellWord,
): (timeoutSeconds: number) => PresenceCheck {
  return t => statusPresence({
    description: `this instance at the ${name}`,
    url: checkUrl,
    headers,
    timeoutSeconds: t,
    text,
  });
}

/** Options of {@link nacosAuthCheck}: a login URL with the credential env vars, or only the token's. @internal */
export interface NacosAuthOptions {
  readonly loginUrl?: ShellWord;
  readonly userEnv?: string;
  readonly passwordEnv?: string;
  readonly tokenEnv: string;
  readonly timeoutSeconds: number;
}

/**
 * The Nacos token, as the body of `gs_reg_auth`: a token from a Secret, or a login
 * (`POST {login path}` with the form-encoded username and password from the environment) whose
 * `accessToken` is kept in `$tokenEnv` for later calls. Either way `GS_REG_NACOS_BEARER` becomes
 * `Bearer <token>`, sent as the `Authorization` header, which Nacos reads before the `accessToken`
 * parameter (1.x NacosAuthManager#resolveToken; 2.x and 3.x NacosAuthPluginService#resolveToken):
 * the token stays out of URLs. Neither the password nor the token is ever logged.
 * @internal
 */
export function nacosAuthCheck(o: NacosAuthOptions): AuthCheck {
  for (const e of [o.userEnv, o.passwordEnv, o.tokenEnv]) if (e) Shell.assertEnvName(e, 'nacos auth env var');
  const have = [
    `if [ -n "\${${o.tokenEnv}:-}" ]; then`,
    `  GS_REG_NACOS_BEARER="Bearer $${o.tokenEnv}"`,
    '  return 0',
    'fi',
  ];
  if (!o.loginUrl) {
    return {
      description: 'Nacos token',
      body: [...have, `gs_reg_err=${Shell.quote(`${o.tokenEnv} is empty (check the Secret and its key)`)}`, 'return 1'].join('\n'),
    };
  }
  return {
    description: 'Nacos login pending',
    body: [
      ...have,
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
      `if [ -z "\${${o.userEnv}:-}" ] || [ -z "\${${o.passwordEnv}:-}" ]; then`,
      `  gs_reg_err=${Shell.quote(`${o.userEnv} or ${o.passwordEnv} is empty (check the Secret and its keys)`)}`,
      '  return 1',
      'fi',
      `gs_reg_form="username=$(gs_reg_urlencode "$${o.userEnv}")&password=$(gs_reg_urlencode "$${o.passwordEnv}")"`,
      `if ! gs_reg_req POST ${o.loginUrl.text} "$(gs_reg_cap ${o.timeoutSeconds})" "$gs_reg_form" 1 \\`,
      "  'Content-Type: application/x-www-form-urlencoded'; then",
      '  gs_reg_form=',
      '  gs_reg_err="login: $gs_reg_err"',
      '  return 1',
      'fi',
      'gs_reg_form=',
      'case $gs_reg_code in',
      '  2??) ;;',
      '  *) gs_reg_err="login answered HTTP $gs_reg_code"; return 1 ;;',
      'esac',
      ...FLATTEN,
      'case $gs_reg_b in',
      '  *\'"accessToken":"\'?*) ;;',
      "  *) gs_reg_b=; gs_reg_err='the login answer has no accessToken'; return 1 ;;",
      'esac',
      'gs_reg_b=${gs_reg_b#*\'"accessToken":"\'}',
      `${o.tokenEnv}=\${gs_reg_b%%'"'*}`,
      'gs_reg_b=',
      `GS_REG_NACOS_BEARER="Bearer $${o.tokenEnv}"`,
      'return 0',
    ].join('\n'),
  };
}
