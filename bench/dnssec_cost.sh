#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What DNSSEC costs the answer engine: bench_answer over the same zone set
# unsigned, signed with NSEC and signed with NSEC3, every query with an OPT
# RR and the DO bit (--edns-all --do), one core, in process.
#
#   bench/dnssec_cost.sh [-k] [-h]
#
#   -h  this text
#   -k  also each kind of the mix alone (positive, nxdomain, referral,
#       nodata), one run of each per round
#
# Zones (cached in ZW_BENCH_CACHE): a TLD zone (`gen_zone.py tld N`, tld.)
# and a hosting zone (`gen_zone.py hosting N`, bench.example.), signed with
# ldns-signzone and ECDSA P-256 keys (a KSK and a ZSK per zone, made once
# by ldns-keygen and kept in the cache), once with NSEC and once with
# NSEC3 (no salt, 0 iterations, no opt-out: RFC 9276), signatures valid
# from 2026-01-01 to 2036-01-01. Signing the default sizes takes a few
# minutes the first time; the signed zones and their images are reused
# while they are newer than what they are made from.
#
# The three variants are answered in one bench_answer run per round
# (bench_answer A vs B vs C): a pass over the mix of each in turn, the
# first of each turn rotating, so that the three meet the same speed of a
# shared host, which drifts by more than the differences measured; the
# three mixes are the same queries (checked: mix_hash). Each figure is the
# CPU time the benchmark thread got per answer (cpu_ns_per_answer), the
# median over the runs. Two ratios of signed to unsigned: of the medians,
# and the median over the runs of each run's median over its turns of a
# signed pass's time to the unsigned pass's. The target (at most 1.5 times
# the unsigned cost per answer) is reported as met only when both are.
#
# Environment (all optional):
#   ZW_BUILD            meson build directory (default: <repo>/build)
#   ZW_BENCH_CACHE      zones, keys, images (default <build>/bench-cache)
#   ZW_DS_TLD           delegations in the TLD zone (default 100000)
#   ZW_DS_HOSTING       RRs in the hosting zone (default 300000)
#   ZW_DS_ROUNDS        rounds: bench_answer runs (default 5)
#   ZW_DS_SECONDS       seconds per variant of a run (default 3)
#   ZW_BENCH_CPU        CPU the benchmark is pinned to (default 1)
#
# Every step is bounded: generation and signing 1200 s each, compiles
# 600 s, each bench_answer run 600 s.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
TLD_N=${ZW_DS_TLD:-100000}
HOSTING_N=${ZW_DS_HOSTING:-300000}
ROUNDS=${ZW_DS_ROUNDS:-5}
SECONDS_PER_RUN=${ZW_DS_SECONDS:-3}
CPU=${ZW_BENCH_CPU:-1}
KINDS=0
SEED=1
SLOW_TIMEOUT=1200
COMPILE_TIMEOUT=600
RUN_TIMEOUT=600
INCEPTION=20260101000000
EXPIRATION=20360101000000

while getopts kh opt; do
	case $opt in
	k) KINDS=1 ;;
	h)
		usage
		exit 0
		;;
	*) die "usage: $0 [-k] [-h]" ;;
	esac
done
posint ZW_DS_TLD "$TLD_N"
posint ZW_DS_HOSTING "$HOSTING_N"
posint ZW_DS_ROUNDS "$ROUNDS"
posint ZW_DS_SECONDS "$SECONDS_PER_RUN"
[[ "$CPU" =~ ^[0-9]+$ ]] || die "ZW_BENCH_CPU must be a CPU number"
[ "$CPU" -lt "$(nproc)" ] || die "CPU $CPU is not online (set ZW_BENCH_CPU)"
for tool in python3 timeout ldns-keygen ldns-signzone; do
	command -v "$tool" >/dev/null || die "$tool not found (ldnsutils)"
done
[ -x "$COMPILER" ] || die "$COMPILER not built (meson setup build && ninja -C build)"
[ -x "$BENCH_ANSWER" ] || die "$BENCH_ANSWER not built (ninja -C build)"

bench_tmp zwdnssec

mkdir -p "$CACHE/dnssec"
D=$CACHE/dnssec

# find_key ORIGIN FLAGS: the base path of a cached key of the zone with
# those DNSKEY flags (256 ZSK, 257 KSK), or nothing
find_key() {
	local k
	for k in "$D"/K"$1"+013+*.key; do
		[ -f "$k" ] || continue
		if awk -v f="$2" '!/^;/ { for (i = 1; i < NF; i++) if ($i == "DNSKEY") { found = $(i + 1) == f; exit } }
			END { exit !found }' "$k"; then
			echo "${k%.key}"
			return
		fi
	done
}

# key ORIGIN FLAGS: prints the base path of a key, made if not cached
key() {
	local k flag=()
	k=$(find_key "$1" "$2")
	if [ -z "$k" ]; then
		[ "$2" = 257 ] && flag=(-k)
		(cd "$D" && timeout 60 ldns-keygen -a ECDSAP256SHA256 "${flag[@]}" "$1" >/dev/null) ||
			die "ldns-keygen failed for $1"
		k=$(find_key "$1" "$2")
		[ -n "$k" ] || die "no key with flags $2 for $1 in $D after ldns-keygen"
	fi
	echo "$k"
}

# zone KIND N ORIGIN: the unsigned zone, the signed ones and the three
# images, in $D/KIND-N{,.nsec,.nsec3}.{zone,zwi}; a signed zone is written
# to a temporary file first, so that an interrupted signing leaves nothing
# the next run would take for done
zone() {
	local kind=$1 n=$2 origin=$3 base=$D/$1-$2
	if [ ! -s "$base.zone" ] || [ "$GEN" -nt "$base.zone" ]; then
		note "generating $base.zone"
		bg_run -e -t "$SLOW_TIMEOUT" "$TMP/gen.out" python3 "$GEN" --seed "$SEED" "$kind" "$n" \
			"$base.zone" || die "zone generation failed"
	fi
	local zsk ksk
	zsk=$(key "$origin" 256)
	ksk=$(key "$origin" 257)
	for v in nsec nsec3; do
		local args=()
		[ $v = nsec3 ] && args=(-n -t 0)
		if [ ! -s "$base.$v.zone" ] || [ "$base.zone" -nt "$base.$v.zone" ]; then
			note "signing $base.$v.zone (ldns-signzone ${args[*]})"
			bg_run -e -t "$SLOW_TIMEOUT" "$TMP/sign.out" ldns-signzone "${args[@]}" -o "$origin" \
				-i "$INCEPTION" -e "$EXPIRATION" -f "$base.$v.zone.tmp" "$base.zone" "$zsk" "$ksk" ||
				{ cat "$TMP/sign.out" >&2; rm -f "$base.$v.zone.tmp"; die "ldns-signzone failed for $base.zone"; }
			mv "$base.$v.zone.tmp" "$base.$v.zone"
		fi
	done
	for v in "" .nsec .nsec3; do
		image_of "$base$v.zone" "$base$v.zwi" "$origin"
	done
}

zone tld "$TLD_N" tld.
zone hosting "$HOSTING_N" bench.example.
TLD=$D/tld-$TLD_N
HOST=$D/hosting-$HOSTING_N

VARIANTS="unsigned nsec nsec3"
NVARIANTS=3 # the words of VARIANTS: a run gives each SECONDS_PER_RUN
sfx() { [ "$1" = unsigned ] && echo "" || echo ".$1"; }

# line_cost: what a random cache line costs the guest now (bench_lines,
# prefetched groups of 32), ns; signed answers read more lines than
# unsigned ones, so their ratio moves with it
line_cost() {
	[ -x "$BUILD/bench/bench_lines" ] || return 0
	timeout 120 "$BUILD/bench/bench_lines" -n 5000000 -c "$CPU" 2>/dev/null |
		awk -F': ' '$1 == "ns_per_line_group_32" { print $2 }'
}

# run ROW ARGS...: one bench_answer run over the three variants' images, a
# pass of each in turn (bench_answer's "vs"), so that all three meet the
# same speed of the host. Adds to NS[ROW.variant] (CPU ns per answer),
# SHARE (of its CPU the thread got), RR (the median over the run's rounds
# of the variant's pass time to the unsigned one's) and sets BYTES (the
# average response). In this shell, not a subshell, so that a signal stops
# the run (CHILD) and a failure stops the script.
declare -A NS SHARE BYTES RR
run() {
	local row=$1 out=$TMP/run.out k=1 v
	local -a sets=()
	shift
	for v in $VARIANTS; do
		[ ${#sets[@]} -gt 0 ] && sets+=(vs)
		sets+=("$TLD$(sfx "$v").zwi" "$HOST$(sfx "$v").zwi")
	done
	bg_run -t "$RUN_TIMEOUT" "$out" "$BENCH_ANSWER" -s "$((SECONDS_PER_RUN * NVARIANTS))" -c "$CPU" \
		--edns-all --do "$@" "${sets[@]}" || die "bench_answer failed"
	[ "$(awk '/^set[0-9]+\.mix_hash:/ { print $2 }' "$out" | sort -u | wc -l)" = 1 ] ||
		die "the three variants did not get the same queries (mix_hash)"
	for v in $VARIANTS; do
		[ -n "$(kv "$out" "set$k.cpu_ns_per_answer")" ] ||
			die "no set$k.cpu_ns_per_answer in bench_answer's output"
		NS[$row.$v]+=" $(kv "$out" "set$k.cpu_ns_per_answer")"
		SHARE[$row.$v]+=" $(kv "$out" "set$k.thread_cpu_share")"
		BYTES[$row.$v]=$(kv "$out" "set$k.avg_response_bytes")
		# the first set is what the others are compared with
		[ "$k" = 1 ] || RR[$row.$v]+=" $(kv "$out" "set$k.ratio_median_round")"
		k=$((k + 1))
	done
}

LINE_START=$(line_cost)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s)
for r in $(seq "$ROUNDS"); do
	run mix
	note "round $r: unsigned ${NS[mix.unsigned]##* } nsec ${NS[mix.nsec]##* } nsec3 ${NS[mix.nsec3]##* } (ns of CPU per answer)"
	if [ "$KINDS" = 1 ]; then
		for k in positive nxdomain referral nodata; do
			run "$k" --kind "$k"
		done
	fi
done

echo
report_when "$START"
echo "a random cache line (bench_lines, groups of 32): ${LINE_START:-?} ns at start, $(line_cost) ns at end"
echo "source: commit $(source_rev dataplane zonecompiler)"
echo "zones: tld. ($TLD_N delegations), bench.example. ($HOSTING_N RRs); ECDSA P-256; NSEC3 without salt or iterations"
echo "bench_answer -s $((SECONDS_PER_RUN * NVARIANTS)) -c $CPU --edns-all --do UNSIGNED vs NSEC vs NSEC3 (every query with EDNS and DO, the three a pass each in turn); $ROUNDS runs, medians"
echo
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) / float(sys.argv[1])))' "$1" "$2"; }
echo "| | unsigned ns | NSEC ns | NSEC / unsigned | NSEC3 ns | NSEC3 / unsigned |"
echo "|---|---:|---:|---:|---:|---:|"
rows="mix"
[ "$KINDS" = 1 ] && rows+=" positive nxdomain referral nodata"
declare -A MED
for row in $rows; do
	for V in $VARIANTS; do
		# shellcheck disable=SC2086
		MED[$row.$V]=$(median -f %.1f ${NS[$row.$V]})
	done
	u=${MED[$row.unsigned]}
	printf '| %s | %s | %s | %s | %s | %s |\n' "$row" "$u" "${MED[$row.nsec]}" \
		"$(ratio "$u" "${MED[$row.nsec]}")" "${MED[$row.nsec3]}" "$(ratio "$u" "${MED[$row.nsec3]}")"
done
echo
echo "(medians over the runs; the ratios are of the medians)"
echo "run by run (mix, ns): unsigned${NS[mix.unsigned]}; NSEC${NS[mix.nsec]}; NSEC3${NS[mix.nsec3]}"
echo "run by run (mix, median over a run's rounds of a pass's time to the unsigned pass's): NSEC${RR[mix.nsec]}; NSEC3${RR[mix.nsec3]}"
echo "thread's share of its CPU: unsigned${SHARE[mix.unsigned]}; NSEC${SHARE[mix.nsec]}; NSEC3${SHARE[mix.nsec3]}"
echo "average response: unsigned ${BYTES[mix.unsigned]} bytes, NSEC ${BYTES[mix.nsec]}, NSEC3 ${BYTES[mix.nsec3]}"
for V in nsec nsec3; do
	a=$(ratio "${MED[mix.unsigned]}" "${MED[mix.$V]}")
	# shellcheck disable=SC2086
	b=$(median -f %.2f ${RR[mix.$V]})
	verdict=$(python3 -c 'import sys; print("met" if max(map(float, sys.argv[1:])) <= 1.5 else "MISSED")' "$a" "$b")
	echo "$V / unsigned, mix: $a (ratio of the medians), $b (median of the runs' round by round ratios); target at most 1.5 by both: $verdict"
done
