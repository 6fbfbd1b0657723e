# shellcheck shell=bash
# Shared helpers for Coffer's scripts (sourced, never executed).
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here is plain bash and safe under `set -euo pipefail`.

# Repository root: the directory that contains scripts/.
COFFER_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export COFFER_REPO

# Name used as the prefix of every message; callers may override it.
: "${COFFER_PROG:=$(basename "$0")}"

# Python used for tiny helpers: the system one, never a pyenv/venv shim.
if [[ -x /usr/bin/python3 ]]; then
    COFFER_PY=/usr/bin/python3
else
    COFFER_PY=python3
fi

msg() { printf '%s: %s\n' "$COFFER_PROG" "$*" >&2; }
die() { msg "$*"; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if is_root; then
        "$@"
    else
        sudo "$@"
    fi
}

# Print N distinct free TCP ports on 127.0.0.1, space separated. All sockets
# are held open together so the ports differ; there is still the usual small
# race between closing them here and the daemon binding them.
free_ports() {
    "$COFFER_PY" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# Escape a string for use as the replacement part of a sed s|||g command.
sed_repl_escape() {
    printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'
}

# pid_alive PID: true when PID is a running (non-zombie) process.
pid_alive() {
    local pid="$1" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z* ]]
}

# pid_cmdline_has PID STRING: true when PID's command line contains STRING.
# Guards against acting on a recycled pid.
pid_cmdline_has() {
    local pid="$1" needle="$2" cmd
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmd" == *"$needle"* ]]
}

# pid_starttime PID: the process's start time (clock ticks since boot, field
# 22 of /proc/PID/stat); with the pid it identifies a process for good.
pid_starttime() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }" # drop "pid (comm) ", comm may hold spaces
    # shellcheck disable=SC2086 # split on purpose
    set -- $stat
    printf '%s\n' "${20}"
}

# write_pidfile FILE PID: record PID in FILE and its start time in FILE.start.
write_pidfile() {
    printf '%s\n' "$2" >"$1"
    pid_starttime "$2" >"$1.start" 2>/dev/null || rm -f "$1.start"
}

# pid_is_ours PID PIDFILE MATCH: PID is the process recorded in PIDFILE: its
# start time equals the one in PIDFILE.start when that exists (a daemon may
# rewrite its command line), else its command line contains MATCH.
pid_is_ours() {
    local pid="$1" pidfile="$2" match="$3" want=""
    pid_alive "$pid" || return 1
    if [[ -f "$pidfile.start" ]]; then
        read -r want <"$pidfile.start" || true
        [[ -n "$want" && "$(pid_starttime "$pid" 2>/dev/null)" == "$want" ]]
    else
        pid_cmdline_has "$pid" "$match"
    fi
}

# read_pidfile FILE: print the pid stored in FILE (first line), or nothing.
read_pidfile() {
    local f="$1" pid=""
    [[ -f "$f" ]] || return 0
    read -r pid <"$f" || true
    [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
    return 0
}

# wait_gone PID SECONDS: wait until PID has exited; false on timeout.
wait_gone() {
    local pid="$1" secs="$2" i
    for ((i = 0; i < secs * 10; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    ! pid_alive "$pid"
}

# stop_pidfile NAME PIDFILE MATCH TIMEOUT [SIGNAL] [group]
# Stop the process recorded in PIDFILE if it is still ours (see pid_is_ours):
# send SIGNAL (default TERM), wait up to TIMEOUT seconds, then SIGKILL. With
# "group" as 6th argument the process leads its own process group (we started
# it with setsid) and leftover members of that group whose command line names
# NAME are killed too. Removes the pid file. Never fails.
stop_pidfile() {
    local name="$1" pidfile="$2" match="$3" timeout="$4" sig="${5:-TERM}" group="${6:-}"
    local pid
    pid="$(read_pidfile "$pidfile")"
    if [[ -n "$pid" ]] && pid_is_ours "$pid" "$pidfile" "$match"; then
        kill "-$sig" "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" "$timeout"; then
            msg "$name (pid $pid) did not stop within ${timeout}s, killing it"
            if [[ -n "$group" ]]; then
                kill -KILL -- "-$pid" 2>/dev/null || true
            fi
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || msg "$name (pid $pid) survived SIGKILL"
        fi
    fi
    # Leftover members of the process group (e.g. workers orphaned by a
    # crashed master) go too. The group id is the pid we started; only
    # members whose command line names NAME are touched.
    if [[ -n "$pid" && -n "$group" ]]; then
        local p left=()
        for p in $(pgrep -g "$pid" 2>/dev/null || true); do
            if pid_cmdline_has "$p" "$name"; then left+=("$p"); fi
        done
        if ((${#left[@]})); then
            kill -TERM "${left[@]}" 2>/dev/null || true
            sleep 1
            for p in "${left[@]}"; do
                if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
            done
        fi
    fi
    rm -f "$pidfile" "$pidfile.start"
    return 0
}

# now_s: seconds since the epoch with fractions, for timing phases.
now_s() { date +%s.%N; }
# elapsed START: seconds since START (from now_s), one decimal.
elapsed() { awk -v s="$1" -v e="$(now_s)" 'BEGIN { printf "%.1f", e - s }'; }

# build_source DEST: print the source directory to configure VPATH builds
# from. Autotools refuse a VPATH build next to an in-tree configuration
# (config.status in the tree), and cleaning that (make distclean) would take
# away the developer's src/cofferd and src/cofferctl. So when the tree is
# configured in place, copy its files (tracked, and untracked ones that git
# does not ignore: what the developer is working on, never build products)
# to DEST, run autoreconf there, and print DEST; otherwise print the tree.
build_source() {
    local dest="$1"
    if [[ ! -f "$COFFER_REPO/config.status" ]]; then
        printf '%s\n' "$COFFER_REPO"
        return 0
    fi
    git -C "$COFFER_REPO" rev-parse --git-dir >/dev/null 2>&1 ||
        die "$COFFER_REPO is configured in place and is no git checkout: cannot snapshot it"
    msg "the tree is configured in place: building from a snapshot in $dest"
    rm -rf -- "$dest"
    mkdir -p "$dest"
    (cd "$COFFER_REPO" && git ls-files --cached --others --exclude-standard -z |
        while IFS= read -r -d '' f; do
            if [[ -e "$f" ]]; then printf '%s\0' "$f"; fi
        done | xargs -0 cp --parents -t "$dest")
    (cd "$dest" && autoreconf -fi >/dev/null 2>&1) || die "autoreconf failed in $dest"
    printf '%s\n' "$dest"
}
