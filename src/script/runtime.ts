/**
 * The shell function library a generated script carries. POSIX sh only: it runs unchanged in dash,
 * bash and busybox ash, and passes `shellcheck -s sh`. Needs `date`, `sleep`, `kill`, reads
 * /proc/uptime where it can (see CORE_FUNCTIONS) and, for HTTP,
 * `curl`, GNU `wget` or busybox `wget` (chosen at run time).
 */

/**
 * Centiseconds kept back from the deadline for what follows the last wait: the script's own exit,
 * and the moment between the shell starting and its first clock reading. Waits end by
 * `deadline - RESERVE`, so the script has returned by its deadline even on a loaded node.
 */
export const DEADLINE_RESERVE_CENTISECONDS = 30;

/**
 * The first line a script runs: the clock reading every offset counts from (see `gs_clock`).
 * Taken before anything else so that "t=0" is as close as the shell can get to its start.
 */
export const CLOCK_START_LINE = '{ read -r gs_up0 _ </proc/uptime; } 2>/dev/null || gs_up0=';

/**
 * Logging and deadline helpers: always present.
 *
 * Time is counted in centiseconds from /proc/uptime (a monotonic clock with 1/100 s steps): a
 * whole-second clock (`date +%s`) read at an unknown fraction of a second makes every bound up
 * to one second wrong in either direction, which overran deadlines and could shorten waits that
 * must never be shortened. Where /proc/uptime cannot be read (not Linux), the clock falls back to
 * `date +%s` and the bounds are moved inward by whole seconds so that they still hold: targets
 * count from the next second (a wait is never shortened), and waits end one second early (a
 * sleep from a rounded-down "now" overshoots by less than one second).
 *
 * Sleeps take fractions (`sleep 0.37`: GNU coreutils and busybox both accept them); where `sleep`
 * takes whole seconds only (strict POSIX), the fraction is waited out by polling the clock.
 * Should /proc/uptime become unreadable mid-script, the epoch fallback reads as far in the future
 * and every remaining wait ends at once: early, never late.
 */
export const CORE_FUNCTIONS = `# gs_clock: sets gs_now to the current time in centiseconds.
gs_clock() {
  if [ "$gs_cs" = 1 ] && { read -r gs_up _ </proc/uptime; } 2>/dev/null; then
    gs_now=\${gs_up%.*}\${gs_up#*.}
    gs_now=\${gs_now#"\${gs_now%%[!0]*}"}
    gs_now=\${gs_now:-0}
  else
    gs_now=$(($(date +%s) * 100))
  fi
}

# gs_clock_init: gs_t0, the script's t=0, and gs_end, when every wait ends (both centiseconds).
gs_clock_init() {
  case $gs_up0 in
    *[0-9].[0-9][0-9])
      gs_cs=1
      gs_up=$gs_up0
      gs_now=\${gs_up%.*}\${gs_up#*.}
      gs_t0=\${gs_now#"\${gs_now%%[!0]*}"}
      gs_t0=\${gs_t0:-0}
      gs_end=$((gs_t0 + (gs_deadline - gs_start) * 100 - ${DEADLINE_RESERVE_CENTISECONDS}))
      ;;
    *)
      gs_cs=0
      gs_t0=$(((gs_start + 1) * 100))
      gs_end=$(((gs_deadline - 1) * 100))
      ;;
  esac
}

gs_log() {
  gs_clock
  gs_e=$(((gs_now - gs_t0) / 100))
  if [ "$gs_e" -lt 0 ]; then gs_e=0; fi
  gs_line="t=$gs_e \${gs_name}: $*"
  if ! { printf '%s\\n' "$gs_line" >>"$gs_log_target"; } 2>/dev/null; then
    printf '%s\\n' "$gs_line" >&2
  fi
}

# gs_cap SECONDS: SECONDS, or fewer when the deadline is nearer (whole seconds, rounded down); 0
# once less than a second is left (gs_bounded and gs_http then do not start anything).
gs_cap() {
  gs_clock
  gs_c=$(((gs_end - gs_now) / 100))
  if [ "$1" -lt "$gs_c" ]; then gs_c=$1; fi
  if [ "$gs_c" -lt 0 ]; then gs_c=0; fi
  echo "$gs_c"
}

# gs_nap CENTISECONDS: sleeps about that long (less when sleep takes whole seconds only).
gs_nap() {
  if [ "$gs_frac_sleep" != 0 ]; then
    if sleep "$(($1 / 100)).$(($1 / 10 % 10))$(($1 % 10))" 2>/dev/null; then return 0; fi
    gs_frac_sleep=0
  fi
  if [ "$1" -ge 100 ]; then sleep "$(($1 / 100))"; fi
}

# gs_nap_until CENTISECONDS: sleeps until the clock reads that, never past the end of the waits.
gs_nap_until() {
  gs_target=$1
  if [ "$gs_target" -gt "$gs_end" ]; then gs_target=$gs_end; fi
  gs_clock
  while [ "$gs_now" -lt "$gs_target" ]; do
    gs_nap "$((gs_target - gs_now))"
    gs_clock
  done
}

# gs_sleep_until SECONDS: sleep until SECONDS after the script started, never past the deadline.
# One centisecond more: the clock reads whole centiseconds, rounded down, so a target counted from a
# reading could otherwise come up to 10ms early.
gs_sleep_until() {
  gs_nap_until "$((gs_t0 + $1 * 100 + 1))"
}

# gs_sleep_for SECONDS: sleep SECONDS from now (never less; see gs_sleep_until), never past the deadline.
gs_sleep_for() {
  gs_clock
  gs_nap_until "$((gs_now + $1 * 100 + 1))"
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
