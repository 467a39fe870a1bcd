#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per answer: zonewire's answer engine and Knot DNS's knotd,
# counted by callgrind over the very same queries and zones in one run.
#
#   bench/instructions_vs_knot.sh [-h]
#
# A TLD zone and a hosting zone (bench/gen_zone.py), the benchmark's mix of
# queries over them (bench_answer --write-queries: 70 % positive, 15 %
# NXDOMAIN, 10 % referrals, 5 % NODATA, random letter case, a third with
# EDNS), then:
#
#   zonewire  bench_answer under callgrind, answering the mix once
#             (--count Q) and not at all (--count 0); the difference over Q
#   knotd     knotd under callgrind, one UDP worker, sent the mix once by
#             dnsperf (-B, the exact messages) and sent nothing; the
#             difference over the answers dnsperf got
#
# callgrind counts user-space instructions only: knotd's figure includes
# its own code to receive and send each datagram, not the kernel's; the
# engine's has no I/O at all. So the figure compares the work of the two
# programs per answer above the kernel, not their speed. Instruction counts
# do not depend on the rest of the machine (the same binary and input give
# the same count).
#
# Environment (all optional):
#   ZW_BUILD           meson build directory (default: <repo>/build)
#   ZW_BENCH_CACHE     where zones and images are kept (default <build>/bench-cache)
#   ZW_IK_TLD          delegations in the TLD zone (default 5000)
#   ZW_IK_HOSTING      RRs in the hosting zone (default 20000)
#   ZW_IK_QUERIES      queries in the mix, Q (default 20000)
#   ZW_BENCH_PORT      knotd's port on 127.0.0.1 (default 53541)
#
# Every step is bounded: generation and compiles 600 s each, each callgrind
# run 1800 s; knotd is started here and stopped by its PID, also on errors
# and signals.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
TLD_N=${ZW_IK_TLD:-5000}
HOSTING_N=${ZW_IK_HOSTING:-20000}
QUERIES=${ZW_IK_QUERIES:-20000}
PORT=${ZW_BENCH_PORT:-53541}
SEED=1
GEN_TIMEOUT=600
COMPILE_TIMEOUT=600
STEP_TIMEOUT=600
CG_TIMEOUT=1800
KNOT_TIMEOUT=600

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"") ;;
*) die "unknown argument '$1' (-h for help)" ;;
esac
posint ZW_IK_TLD "$TLD_N"
posint ZW_IK_HOSTING "$HOSTING_N"
posint ZW_IK_QUERIES "$QUERIES"
posint ZW_BENCH_PORT "$PORT"
for tool in python3 valgrind callgrind_annotate knotd kdig dnsperf; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x "$COMPILER" ] || die "$COMPILER not built (meson setup build && ninja -C build)"
[ -x "$BENCH_ANSWER" ] || die "$BENCH_ANSWER not built (ninja -C build)"

bench_tmp zwinstr
KNOT_PID=""
bench_cleanup() { stop_pid "$KNOT_PID" 30; }
mkdir -p "$CACHE"

zone_image tld "$TLD_N" tld.
TLD_ZONE=$ZONE_PATH TLD_IMG=$IMAGE_PATH
zone_image hosting "$HOSTING_N" bench.example.
HOSTING_ZONE=$ZONE_PATH HOSTING_IMG=$IMAGE_PATH

bg_run -e -t "$STEP_TIMEOUT" "$TMP/write.out" "$BENCH_ANSWER" -n "$QUERIES" \
	--write-queries "$TMP/queries" "$TLD_IMG" "$HOSTING_IMG" ||
	{ cat "$TMP/write.out" >&2; die "bench_answer --write-queries failed"; }

# total Ir of a callgrind output file
cg_total() { awk '$1 == "summary:" { print $2; exit }' "$1"; }

# --- zonewire ---------------------------------------------------------------------

zw_ir() { # zw_ir COUNT: the program's total Ir
	bg_run -t "$CG_TIMEOUT" "$TMP/zw.$1.out" valgrind --tool=callgrind \
		--callgrind-out-file="$TMP/zw.$1.cg" "$BENCH_ANSWER" -n "$QUERIES" --count "$1" -c -1 \
		"$TLD_IMG" "$HOSTING_IMG" 2>>"$TMP/zw.log" || { tail -n 20 "$TMP/zw.log" >&2; die "callgrind of bench_answer failed"; }
	cg_total "$TMP/zw.$1.cg"
}
note "zonewire: callgrind, --count 0 and --count $QUERIES"
ZW0=$(zw_ir 0)
ZW1=$(zw_ir "$QUERIES")

# --- knotd ------------------------------------------------------------------------

KDIR=$TMP/knot
TLD_SERIAL=$(zone_serial "$TLD_ZONE")
HOSTING_SERIAL=$(zone_serial "$HOSTING_ZONE")

both_served() { knot_serves "$PORT" tld. "$TLD_SERIAL" && knot_serves "$PORT" bench.example. "$HOSTING_SERIAL"; }

knot_ir() { # knot_ir SEND: knotd's total Ir, sent the mix (1) or nothing (0)
	local run=$KDIR.$1 lost
	knot_conf "$run" "$PORT" tld. "$TLD_ZONE" bench.example. "$HOSTING_ZONE"
	timeout -k 5 "$CG_TIMEOUT" valgrind --tool=callgrind --callgrind-out-file="$run/cg" \
		knotd -c "$run/knot.conf" >"$run/knotd.log" 2>&1 &
	KNOT_PID=$!
	await "$KNOT_TIMEOUT" "$KNOT_PID" "$run/knotd.log" "knotd (under callgrind) loading the zones" both_served
	if [ "$1" = 1 ]; then
		# at most 20 in flight: knotd under callgrind answers a few
		# thousand a second, and a query dropped would count nothing
		bg_run -e -t "$CG_TIMEOUT" "$run/dnsperf.out" dnsperf -s 127.0.0.1 -p "$PORT" -B \
			-d "$TMP/queries.raw" -n 1 -c 1 -q 20 -t 30 ||
			{ cat "$run/dnsperf.out" >&2; die "dnsperf failed"; }
		KNOT_ANSWERS=$(awk '/Queries completed:/ { print $3; exit }' "$run/dnsperf.out")
		lost=$(awk '/Queries lost:/ { print $3; exit }' "$run/dnsperf.out")
		if [ -z "$KNOT_ANSWERS" ] || [ "$KNOT_ANSWERS" -eq 0 ]; then
			cat "$run/dnsperf.out" >&2
			die "dnsperf got no answers"
		fi
		[ "$lost" = 0 ] || note "dnsperf lost $lost queries: the figure is per answer received"
	fi
	stop_pid "$KNOT_PID" 60
	KNOT_PID=""
	[ -s "$run/cg" ] || { tail -n 20 "$run/knotd.log" >&2; die "knotd left no callgrind output"; }
	cg_total "$run/cg"
}
note "knotd: callgrind, sent nothing, then sent the mix once (dnsperf -B)"
KNOT_ANSWERS=0
# (not in $(...): knotd must be stopped by this shell's clean-up if interrupted)
knot_ir 0 >"$TMP/k0"
knot_ir 1 >"$TMP/k1"
K0=$(cat "$TMP/k0") K1=$(cat "$TMP/k1")

python3 - "$ZW0" "$ZW1" "$QUERIES" "$K0" "$K1" "$KNOT_ANSWERS" "$TLD_N" "$HOSTING_N" \
	"$(knotd --version 2>&1 | head -n 1)" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" <<'EOF'
import sys
zw0, zw1, q, k0, k1, ka = (int(x) for x in sys.argv[1:7])
tld, hosting, kver, commit = sys.argv[7:11]
zw = (zw1 - zw0) / q
kn = (k1 - k0) / ka
print()
print("Instructions per answer, callgrind (commit %s; %s)" % (commit, kver))
print("zones: tld. (%s delegations) + bench.example. (%s RRs); %d queries of the"
      " benchmark's mix, the same messages to both" % (tld, hosting, q))
print()
print("| program | instructions per answer |")
print("|---|---:|")
print("| zonewire answer engine (zw_answer_burst, in process) | {:,.0f} |".format(zw))
print("| knotd, user space (its UDP receive and send included), %d answers | {:,.0f} |".format(kn) % ka)
print()
print("knotd executes %.1f times the instructions of the engine per answer." % (kn / zw))
EOF
