/**
 * The shell function library a generated script carries. POSIX sh only: it runs unchanged in dash,
 * bash and busybox ash, and passes `shellcheck -s sh`. Needs `date`, `sleep`, `kill` and, for HTTP,
 * `curl`, GNU `wget` or busybox `wget` (chosen at run time).
 */

/** Logging and deadline helpers: always present. */
export const CORE_FUNCTIONS = `gs_log() {
  gs_line="t=$(($(date +%s) - gs_start)) \${gs_name}: $*"
  if ! { printf '%s\\n' "$gs_line" >>"$gs_log_target"; } 2>/dev/null; then
    printf '%s\\n' "$gs_line" >&2
  fi
}

# gs_cap SECONDS: SECONDS, or fewer when the deadline is nearer; 0 once the deadline has passed
# (gs_bounded and gs_http then do not start anything).
gs_cap() {
  gs_c=$((gs_deadline - $(date +%s)))
  if [ "$1" -lt "$gs_c" ]; then gs_c=$1; fi
  if [ "$gs_c" -lt 0 ]; then gs_c=0; fi
  echo "$gs_c"
}

# gs_sleep_until SECONDS: sleep until SECONDS after the script started, never past the deadline.
gs_sleep_until() {
  gs_t=$((gs_start + $1))
  if [ "$gs_t" -gt "$gs_deadline" ]; then gs_t=$gs_deadline; fi
  gs_s=$((gs_t - $(date +%s)))
  if [ "$gs_s" -gt 0 ]; then sleep "$gs_s"; fi
}

# gs_bounded SECONDS CMD...: run CMD, terminating it after SECONDS (exit 143 then); with 0 seconds
# left, CMD does not start (exit 124).
gs_bounded() {
  gs_to=$1
  shift
  if [ "$gs_to" -lt 1 ]; then return 124; fi
  "$@" &
  gs_pid=$!
  (sleep "$gs_to"; kill "$gs_pid" 2>/dev/null) >/dev/null 2>&1 &
  gs_dog=$!
  wait "$gs_pid" 2>/dev/null
  gs_rc=$?
  kill "$gs_dog" 2>/dev/null
  return "$gs_rc"
}`;

/** HTTP helpers: present when a step or probe makes HTTP calls. */
export const HTTP_FUNCTIONS = `# Picks the HTTP client once, in the main shell, so later subshells agree.
gs_http_detect() {
  if command -v curl >/dev/null 2>&1; then
    gs_http_tool=curl
  elif command -v wget >/dev/null 2>&1; then
    case $(wget --help 2>&1) in
      *BusyBox*) gs_http_tool=busybox-wget ;;
      *) gs_http_tool=wget ;;
    esac
  elif command -v busybox >/dev/null 2>&1; then
    gs_http_tool=busybox
  else
    gs_http_tool=none
  fi
}

# gs_http METHOD URL SECONDS BODY [HEADER...]: prints the response body; exit 0 on a 2xx answer.
# Busybox wget's own -T crashes on some builds, so every wget runs under gs_bounded.
gs_http() {
  gs_m=$1
  gs_u=$2
  gs_t=$3
  gs_b=$4
  shift 4
  # No time left: send nothing (curl would take --max-time 0 as no limit at all).
  if [ "$gs_t" -lt 1 ]; then return 124; fi
  gs_n=$#
  while [ "$gs_n" -gt 0 ]; do
    set -- "$@" --header "$1"
    shift
    gs_n=$((gs_n - 1))
  done
  case $gs_http_tool in
    curl)
      if [ "$gs_m" = GET ] || { [ "$gs_m" = DELETE ] && [ -z "$gs_b" ]; }; then
        curl -sS -f --max-time "$gs_t" -X "$gs_m" "$@" "$gs_u"
      else
        curl -sS -f --max-time "$gs_t" -X "$gs_m" --data-binary "$gs_b" "$@" "$gs_u"
      fi
      ;;
    wget)
      if [ "$gs_m" = GET ]; then
        gs_bounded "$gs_t" wget -q -O - -t 1 "$@" "$gs_u"
      else
        gs_bounded "$gs_t" wget -q -O - -t 1 --method="$gs_m" --body-data="$gs_b" "$@" "$gs_u"
      fi
      ;;
    busybox-wget)
      case $gs_m in
        GET) gs_bounded "$gs_t" wget -q -O - "$@" "$gs_u" ;;
        POST) gs_bounded "$gs_t" wget -q -O - --post-data "$gs_b" "$@" "$gs_u" ;;
        *) return 125 ;;
      esac
      ;;
    busybox)
      case $gs_m in
        GET) gs_bounded "$gs_t" busybox wget -q -O - "$@" "$gs_u" ;;
        POST) gs_bounded "$gs_t" busybox wget -q -O - --post-data "$gs_b" "$@" "$gs_u" ;;
        *) return 125 ;;
      esac
      ;;
    *) return 127 ;;
  esac
}

# gs_http_why EXIT_CODE: the reason an HTTP call failed, in words.
gs_http_why() {
  case $gs_http_tool:$1 in
    *:124) echo "the script's deadline has passed, not attempted" ;;
    *:143) echo "no answer within the timeout" ;;
    *:125) echo "busybox wget sends only GET and POST: add curl or GNU wget to the image" ;;
    *:127) echo "neither curl nor wget is in the image" ;;
    curl:6) echo "curl: host not found" ;;
    curl:7) echo "curl: connection refused" ;;
    curl:22) echo "curl: HTTP error status" ;;
    curl:28) echo "curl: timed out" ;;
    curl:52) echo "curl: empty reply" ;;
    curl:56) echo "curl: connection reset" ;;
    wget:4) echo "wget: network failure" ;;
    wget:8) echo "wget: HTTP error status" ;;
    busybox*:1) echo "busybox wget: HTTP error status or no connection" ;;
    *) echo "$gs_http_tool exit $1" ;;
  esac
}`;
