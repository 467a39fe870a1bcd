# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What the benchmark scripts share: messages, a scratch directory removed on
# exit, commands run in the background so that a signal stops them at once,
# stopping a process by its PID, and reading figures. Sourced by each script
# after `set -euo pipefail`:
#
#   . "$ROOT/bench/lib.sh"
#   bench_tmp zwname        # TMP, and the traps that clean up
#   bench_cleanup() { ... } # optional: what the script itself started
#
# Messages carry the script's name (BENCH_NAME, from $0 unless set before).

BENCH_NAME=${BENCH_NAME:-$(basename "$0" .sh)}

# The paths the scripts share, from ROOT (the checkout, set by the script
# before it sources this file) and the environment: the meson build
# (ZW_BUILD), the zone compiler, the answer engine's benchmark, the zone
# generator and the cache of zones and images (ZW_BENCH_CACHE).
: "${ROOT:?ROOT must be set before lib.sh is sourced}"
BUILD=${ZW_BUILD:-$ROOT/build}
CACHE=${ZW_BENCH_CACHE:-$BUILD/bench-cache}
# shellcheck disable=SC2034 # read by the scripts
COMPILER=$BUILD/zonecompiler/zonewire-compile
# shellcheck disable=SC2034
BENCH_ANSWER=$BUILD/bench/bench_answer
# shellcheck disable=SC2034
GEN=$ROOT/bench/gen_zone.py

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}
note() { echo "$BENCH_NAME: $*" >&2; }

# usage: the script's leading comment, without its comment marks.
usage() { sed -n '3,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }

# posint NAME VALUE: dies unless VALUE is a positive integer.
posint() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"; }

# stop_pid PID SECONDS: SIGTERM, then SIGKILL if PID is still there after
# SECONDS; the exit status of PID (when it is our child) in STOP_RC. Only
# ever given PIDs the script started itself.
# shellcheck disable=SC2034 # read by the scripts
STOP_RC=0
stop_pid() {
	local pid=$1
	STOP_RC=0
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq $(($2 * 10))); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			note "PID $pid did not stop in $2 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	# shellcheck disable=SC2034
	wait "$pid" 2>/dev/null || STOP_RC=$?
}

# bg_run [-e] [-t LIMIT] OUT CMD...: CMD with its standard output in OUT
# (-e: its errors too), under `timeout -k 5 LIMIT` with -t, in the
# background so that a signal interrupts the wait at once and the clean-up
# stops CMD (CHILD). Returns CMD's status.
CHILD=""
bg_run() {
	local err=0 limit="" out rc=0
	while [ $# -gt 0 ]; do
		case $1 in
		-e) err=1 ;;
		-t)
			limit=$2
			shift
			;;
		*) break ;;
		esac
		shift
	done
	out=$1
	shift
	[ -z "$limit" ] || set -- timeout -k 5 "$limit" "$@"
	if [ "$err" = 1 ]; then
		"$@" >"$out" 2>&1 &
	else
		"$@" >"$out" &
	fi
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=""
	return "$rc"
}

# bench_tmp NAME: a scratch directory in TMP, removed on exit with whatever
# the script still runs (CHILD, then bench_cleanup if the script has one).
TMP=""
bench_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	trap bench_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_exit() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pid "$CHILD" 5
	if declare -F bench_cleanup >/dev/null; then
		bench_cleanup || true
	fi
	[ -z "$TMP" ] || rm -rf "$TMP"
	exit "$rc"
}

# kv FILE KEY: the first word of the value of the first "KEY: value" line
# in FILE (leading blanks before KEY allowed), or nothing.
kv() {
	awk -v k="$2" -F': *' '{ key = $1; sub(/^[ \t]+/, "", key) } key == k { print $2; exit }' "$1" |
		awk '{ print $1 }'
}

# median [-f FORMAT] VALUE...: the median of the values that are not empty
# (printf-style FORMAT, for example %.1f), or nothing when all are.
median() {
	local fmt=""
	if [ "${1:-}" = -f ]; then
		fmt=$2
		shift 2
	fi
	python3 -c '
import statistics, sys
fmt, v = sys.argv[1], [float(x) for x in sys.argv[2:] if x != ""]
if v:
    m = statistics.median(v)
    print(fmt % m if fmt else m)
' "$fmt" "$@"
}

# proc_ticks PID [TID]: user + system clock ticks of a process (or one of
# its threads) so far, 0 when it is gone.
proc_ticks() {
	local f=/proc/$1/stat
	[ -z "${2:-}" ] || f=/proc/$1/task/$2/stat
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "$f" 2>/dev/null || echo 0
}

# cpu_share TICKS0 TICKS1 WALL0 WALL1: CPUs used between two readings of
# proc_ticks taken at wall-clock times WALL0 and WALL1 (date +%s.%N).
cpu_share() {
	python3 -c "import os, sys; t0, t1, w0, w1 = map(float, sys.argv[1:]); print('%.2f' % ((t1 - t0) / os.sysconf('SC_CLK_TCK') / (w1 - w0)))" "$@"
}

# free_port PREFERRED: prints PREFERRED if it is free on 127.0.0.1 for both
# UDP and TCP, else a port the kernel picks.
free_port() {
	python3 - "$1" <<-'EOF'
	import socket, sys
	def free(p):
	    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
	        s = socket.socket(socket.AF_INET, kind)
	        try:
	            s.bind(("127.0.0.1", p))
	        except OSError:
	            return False
	        finally:
	            s.close()
	    return True
	p = int(sys.argv[1])
	while not free(p):
	    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	    s.bind(("127.0.0.1", 0))
	    p = s.getsockname()[1]
	    s.close()
	print(p)
	EOF
}

# report_when START: a report's first two lines: the date and the CPUs, then
# the load average at the start (LOAD_START) and now, and the seconds since
# START (from date +%s).
report_when() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
	echo "load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg); $(($(date +%s) - $1)) s"
}

# source_rev DIR...: the checkout's commit, saying so when any DIR has
# uncommitted changes; "unknown" outside a git checkout.
source_rev() {
	local rev
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) || { echo unknown; return 0; }
	git -C "$ROOT" diff --quiet HEAD -- "$@" 2>/dev/null ||
		rev+=" with uncommitted changes to $(printf '%s/ ' "$@")"
	echo "${rev% }"
}

# zone_serial FILE: the serial of the first SOA record of a zone file laid
# out as gen_zone.py writes it (owner, TTL, class, SOA on one line).
zone_serial() { awk '$0 !~ /^[;$]/ && $4 == "SOA" { print $7; exit }' "$1"; }

# await SECONDS PID LOG WHAT CMD...: runs CMD every half second until it
# succeeds. Dies with the end of LOG when PID (a server being started)
# exits first, or when SECONDS pass ("WHAT: not within SECONDS s").
await() {
	local limit=$1 pid=$2 log=$3 what=$4 t0
	shift 4
	t0=$(date +%s)
	until "$@"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$log" >&2
			die "$what: PID $pid exited"
		fi
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			tail -n 20 "$log" >&2
			die "$what: not within $limit s"
		fi
		sleep 0.5
	done
}

# zone_image KIND N ORIGIN: sets ZONE_PATH and IMAGE_PATH (in CACHE), generating
# the zone with GEN (seed SEED) unless cached and newer than the generator,
# compiling it with COMPILER unless the image is newer than both the zone and
# the compiler; each step bounded by GEN_TIMEOUT and COMPILE_TIMEOUT.
zone_image() {
	ZONE_PATH=$CACHE/$1-$2-s$SEED.zone
	IMAGE_PATH=$CACHE/$1-$2-s$SEED.zwi
	if [ ! -s "$ZONE_PATH" ] || [ "$GEN" -nt "$ZONE_PATH" ]; then
		note "generating $ZONE_PATH"
		bg_run -e -t "$GEN_TIMEOUT" "$TMP/gen.out" python3 "$GEN" --seed "$SEED" \
			"$1" "$2" "$ZONE_PATH" || { cat "$TMP/gen.out" >&2; die "zone generation failed"; }
	else
		note "reusing $ZONE_PATH"
	fi
	image_of "$ZONE_PATH" "$IMAGE_PATH" "$3"
}

# knot_conf DIR PORT ZONE FILE [ZONE FILE ...]: DIR/knot.conf for knotd on
# 127.0.0.1@PORT with one worker of each kind, serving each ZONE from FILE
# (loaded whole, nothing written back, no semantic checks); its run and
# storage directories under DIR.
knot_conf() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir/run" "$dir/storage"
	{
		cat <<-EOF
		server:
		    rundir: "$dir/run"
		    pidfile: "$dir/run/knot.pid"
		    listen: 127.0.0.1@$port
		    udp-workers: 1
		    tcp-workers: 1
		    background-workers: 1
		log:
		  - target: stderr
		    any: notice
		database:
		    storage: "$dir/storage"
		template:
		  - id: default
		    storage: "$dir/storage"
		    zonefile-load: whole
		    zonefile-sync: -1
		    journal-content: none
		    semantic-checks: off
		zone:
		EOF
		while [ $# -ge 2 ]; do
			printf '  - domain: %s\n    file: "%s"\n' "$1" "$2"
			shift 2
		done
	} >"$dir/knot.conf"
}

# knot_serves PORT ZONE SERIAL: true when the server on 127.0.0.1@PORT
# answers ZONE's SOA with SERIAL.
knot_serves() {
	local s
	s=$(kdig +short +timeout=1 +retry=0 @127.0.0.1 -p "$1" "$2" SOA 2>/dev/null |
		awk 'NR == 1 { print $3 }')
	[ "$s" = "$3" ]
}

# image_of ZONE IMAGE ORIGIN: compiles ZONE into IMAGE with COMPILER unless
# IMAGE is newer than both the zone and the compiler (COMPILE_TIMEOUT).
image_of() {
	if [ ! -s "$2" ] || [ "$1" -nt "$2" ] || [ "$COMPILER" -nt "$2" ]; then
		note "compiling $2"
		bg_run -e -t "$COMPILE_TIMEOUT" "$TMP/compile.log" "$COMPILER" -q -z "$3" -o "$2" "$1" ||
			{ cat "$TMP/compile.log" >&2; die "compile of $1 failed"; }
	else
		note "reusing $2"
	fi
}
