#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Answer engine benchmark: the engine in-process on one core, and Knot DNS
# answering the same queries over UDP on one core, side by side.
#
#   bench/answer_vs_knot.sh
#
# Zones (bench/gen_zone.py, cached): a TLD-like zone of 200,000 delegations
# and a hosting zone sized so that the two together have about 1,000,000
# owner names (nodes, as `zonewire-compile --info` counts them). Both are
# compiled with zonewire-compile and measured as follows:
#   - bench_answer (bench/bench_answer.c), pinned to CPU 1: answers per
#     second and ns per answer over a mix of 1,000,000 queries, answered in
#     bursts of 32 with zw_answer_burst() as the workers do, median of
#     ZW_BENCH_RUNS runs (and, as a diagnostic, one query at a time with
#     zw_answer());
#   - callgrind: instructions per answer, (Ir of a run answering N queries -
#     Ir of the same run answering 0) / N, N = 200,000; cross-checked with
#     the inclusive Ir of zw_answer_burst() in the run answering N;
#   - knotd (the distribution's package) loaded with the same zone files,
#     restricted to CPU 1 with one UDP worker, queried with dnsperf on CPU 0
#     over loopback with the same queries (written by bench_answer
#     --write-queries: same seed, same mix), median of ZW_BENCH_RUNS runs;
#     knotd's CPU time during each run is read from /proc so that a
#     client-bound run shows as such.
# and prints a table with the targets (>= 10 million answers/s per core,
# < 100 ns per answer).
#
# The engine is measured in-process: no packet I/O at all. Knot is measured
# through the kernel's UDP path (sockets on loopback). Both use one core;
# the figures are not the same quantity, and the output says so.
#
# Two diagnostic engine measurements follow the main one (ZW_BENCH_DIAG):
# the images read into memory advised for transparent huge pages instead of
# mapped with 4 KiB pages, and a small mix that stays in the caches.
#
# Environment (all optional):
#   ZW_BUILD            meson build directory (default: <repo>/build)
#   ZW_BENCH_CACHE      where zones and images are kept and reused
#                       (default: <build>/bench-cache)
#   ZW_BENCH_RUNS       runs of bench_answer and of dnsperf, median (default 3)
#   ZW_BENCH_SECONDS    minimum seconds per bench_answer run (default 5)
#   ZW_BENCH_QUERIES    queries in the mix (default 1000000)
#   ZW_BENCH_IR_COUNT   answers counted under callgrind (default 200000)
#   ZW_BENCH_TLD_DELEGATIONS  (default 200000)
#   ZW_BENCH_HOSTING_RRS      (default 1030000: ~622,000 nodes, which with
#                              the TLD's ~378,000 makes ~1,000,000)
#   ZW_BENCH_CPU        CPU of the engine and of knotd (default 1)
#   ZW_BENCH_CLIENT_CPU CPU of dnsperf (default 0)
#   ZW_BENCH_DNSPERF_SECONDS  length of each dnsperf run (default 10)
#   ZW_BENCH_DNSPERF_FORMAT   raw (default): dnsperf -B with the exact query
#                       messages, one in three with EDNS; text: "name TYPE"
#                       lines, which dnsperf sends without EDNS (with
#                       ZW_BENCH_DO=1, dnsperf -D: EDNS and DO on all)
#   ZW_BENCH_DO         1: DO bit on the EDNS queries (default 0)
#   ZW_BENCH_SKIP_KNOT  1: engine only
#   ZW_BENCH_DIAG       0: skip the two diagnostic engine measurements (the
#                       images in huge pages; a cache-hot mix of
#                       ZW_BENCH_HOT_QUERIES queries, default 1000)
#   ZW_BENCH_PORT       port for knotd (default 53540, or a free one)
#
# Every step is bounded (zone generation 600 s, compiles 600 s, engine runs
# 600 s, callgrind 1800 s, knotd load 600 s, dnsperf runs their length + 60
# s). knotd is started here, in its own temporary directory, and stopped by
# its PID on exit, including on errors and signals.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
RUNS=${ZW_BENCH_RUNS:-3}
RUN_SECONDS=${ZW_BENCH_SECONDS:-5}
QUERIES=${ZW_BENCH_QUERIES:-1000000}
IR_COUNT=${ZW_BENCH_IR_COUNT:-200000}
TLD_DELEGATIONS=${ZW_BENCH_TLD_DELEGATIONS:-200000}
HOSTING_RRS=${ZW_BENCH_HOSTING_RRS:-1030000}
ENGINE_CPU=${ZW_BENCH_CPU:-1}
CLIENT_CPU=${ZW_BENCH_CLIENT_CPU:-0}
DNSPERF_SECONDS=${ZW_BENCH_DNSPERF_SECONDS:-10}
DNSPERF_FORMAT=${ZW_BENCH_DNSPERF_FORMAT:-raw}
DO_BIT=${ZW_BENCH_DO:-0}
SKIP_KNOT=${ZW_BENCH_SKIP_KNOT:-0}
DIAG=${ZW_BENCH_DIAG:-1}
HOT_QUERIES=${ZW_BENCH_HOT_QUERIES:-1000}
SEED=1
GEN_TIMEOUT=600
COMPILE_TIMEOUT=600
ENGINE_TIMEOUT=600
CALLGRIND_TIMEOUT=1800
KNOT_TIMEOUT=600

posint ZW_BENCH_RUNS "$RUNS"
posint ZW_BENCH_SECONDS "$RUN_SECONDS"
posint ZW_BENCH_QUERIES "$QUERIES"
posint ZW_BENCH_IR_COUNT "$IR_COUNT"
posint ZW_BENCH_TLD_DELEGATIONS "$TLD_DELEGATIONS"
posint ZW_BENCH_HOSTING_RRS "$HOSTING_RRS"
posint ZW_BENCH_DNSPERF_SECONDS "$DNSPERF_SECONDS"
posint ZW_BENCH_HOT_QUERIES "$HOT_QUERIES"
[[ "$ENGINE_CPU" =~ ^[0-9]+$ ]] || die "ZW_BENCH_CPU must be a CPU number"
[[ "$CLIENT_CPU" =~ ^[0-9]+$ ]] || die "ZW_BENCH_CLIENT_CPU must be a CPU number"
case "$DNSPERF_FORMAT" in raw | text) ;; *) die "ZW_BENCH_DNSPERF_FORMAT must be raw or text" ;; esac

TOOLS="python3 timeout valgrind"
[ "$SKIP_KNOT" = 1 ] || TOOLS+=" knotd kdig dnsperf taskset"
for tool in $TOOLS; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x "$COMPILER" ] || die "$COMPILER not built (meson setup build && ninja -C build)"
[ -x "$BENCH_ANSWER" ] || die "$BENCH_ANSWER not built (ninja -C build)"
NCPU=$(nproc)
if [ "$ENGINE_CPU" -ge "$NCPU" ] || [ "$CLIENT_CPU" -ge "$NCPU" ]; then
	die "CPUs $ENGINE_CPU and $CLIENT_CPU needed, $NCPU online (set ZW_BENCH_CPU, ZW_BENCH_CLIENT_CPU)"
fi
[ "$ENGINE_CPU" -ne "$CLIENT_CPU" ] || note "engine and client on the same CPU: Knot's figure will be low"

DO_ARG=()
[ "$DO_BIT" = 1 ] && DO_ARG=(--do)

bench_tmp zwanswer
KNOT_PID=""
bench_cleanup() { stop_pid "$KNOT_PID" 10; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if python3 -c 'import os, sys; sys.exit(os.getloadavg()[0] < 0.5 * os.cpu_count())'; then
	note "load average $LOAD_START on $NCPU CPUs: other work is running, expect noisy figures"
fi

# --- zones and images ---------------------------------------------------------

mkdir -p "$CACHE"

zone_image tld "$TLD_DELEGATIONS" tld.
TLD_ZONE=$ZONE_PATH TLD_IMG=$IMAGE_PATH
zone_image hosting "$HOSTING_RRS" bench.example.
HOSTING_ZONE=$ZONE_PATH HOSTING_IMG=$IMAGE_PATH
IMAGES=("$TLD_IMG" "$HOSTING_IMG")

NODES=0
for img in "${IMAGES[@]}"; do
	"$COMPILER" --info "$img" >"$TMP/info" || die "--info failed on $img"
	n=$(kv "$TMP/info" nodes)
	note "$(basename "$img"): $n nodes, $(kv "$TMP/info" records) RRs, $(kv "$TMP/info" delegations) delegations"
	NODES=$((NODES + n))
done
note "zone set: $NODES owner names (nodes)"
if [ "$NODES" -lt 900000 ] || [ "$NODES" -gt 1100000 ]; then
	note "the zone set is not about 1,000,000 names: adjust ZW_BENCH_HOSTING_RRS"
fi

# --- the engine -----------------------------------------------------------------

# engine_runs TAG ARGS...: RUNS runs of bench_answer with ARGS; sets
# RES_QPS, RES_NS and RES_CPU_NS to the medians. Output of run i in
# $TMP/TAG.i.
engine_runs() {
	local tag=$1 i out v_qps=() v_ns=() v_cns=() v_best=()
	shift
	for i in $(seq "$RUNS"); do
		out=$TMP/$tag.$i
		bg_run -t "$ENGINE_TIMEOUT" "$out" "$BENCH_ANSWER" -s "$RUN_SECONDS" -c "$ENGINE_CPU" \
			"${DO_ARG[@]}" "$@" "${IMAGES[@]}" || die "bench_answer failed"
		v_qps+=("$(kv "$out" answers_per_s)")
		v_ns+=("$(kv "$out" ns_per_answer)")
		v_cns+=("$(kv "$out" cpu_ns_per_answer)")
		v_best+=("$(kv "$out" ns_per_answer_best_pass)")
		note "$tag run $i: $(kv "$out" answers_per_s) answers/s, $(kv "$out" ns_per_answer)" \
			"ns/answer (best pass $(kv "$out" ns_per_answer_best_pass) ns); the thread had" \
			"$(kv "$out" thread_cpu_share) of its CPU: $(kv "$out" cpu_ns_per_answer) ns of CPU/answer"
	done
	RES_QPS=$(median "${v_qps[@]}")
	RES_NS=$(median "${v_ns[@]}")
	RES_CPU_NS=$(median "${v_cns[@]}")
	RES_BEST=$(median "${v_best[@]}")
}

engine_runs engine -n "$QUERIES"
ENGINE_QPS_MED=$RES_QPS ENGINE_NS_MED=$RES_NS ENGINE_CPU_NS_MED=$RES_CPU_NS
ENGINE_BEST_MED=$RES_BEST
DIAG_ROWS=""
if [ "$DIAG" = 1 ]; then
	# the same mix answered one query at a time (zw_answer(), no burst)
	engine_runs single -n "$QUERIES" -b 1
	DIAG_ROWS="one query at a time (zw_answer(), -b 1), $QUERIES queries;$RES_QPS;$RES_NS;$RES_BEST;$RES_CPU_NS|"
	# the same mix from images in memory advised for huge pages
	engine_runs huge -n "$QUERIES" --hugepages
	DIAG_ROWS+="huge pages (--hugepages), $QUERIES queries;$RES_QPS;$RES_NS;$RES_BEST;$RES_CPU_NS"
	grep -q '^anon_huge_kib: [1-9]' "$TMP/huge.1" ||
		note "no huge pages were obtained (transparent_hugepage off?): the huge-page row means nothing"
	# a mix of HOT_QUERIES queries over the same zone set: it stays in the
	# caches, so this is the compute cost alone
	engine_runs hot -n "$HOT_QUERIES"
	DIAG_ROWS+="|cache-hot: $HOT_QUERIES-query mix, same zones;$RES_QPS;$RES_NS;$RES_BEST;$RES_CPU_NS"
fi

# --- instructions per answer (callgrind) ------------------------------------------

callgrind_ir() { # callgrind_ir COUNT OUTFILE: prints the program's total Ir
	bg_run -t "$CALLGRIND_TIMEOUT" "$TMP/cg.stdout" valgrind --tool=callgrind \
		--callgrind-out-file="$2" "$BENCH_ANSWER" -n "$IR_COUNT" --count "$1" -c "$ENGINE_CPU" \
		"${DO_ARG[@]}" "${IMAGES[@]}" 2>>"$TMP/cg.log" || { tail -n 20 "$TMP/cg.log" >&2; die "callgrind run failed"; }
	awk '$1 == "summary:" { print $2; exit }' "$2"
}
note "callgrind: baseline (--count 0) and --count $IR_COUNT, -n $IR_COUNT"
IR_BASE=$(callgrind_ir 0 "$TMP/cg.base")
IR_FULL=$(callgrind_ir "$IR_COUNT" "$TMP/cg.full")
IR_PER=$(python3 -c "import sys; print('%.0f' % ((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3])))" \
	"$IR_BASE" "$IR_FULL" "$IR_COUNT")
IR_INCL=$(callgrind_annotate --inclusive=yes --threshold=100 "$TMP/cg.full" 2>/dev/null |
	awk '/:zw_answer_burst \[/ && !done { gsub(",", "", $1); print $1; done = 1 }')
IR_INCL_PER=n/a
[ -n "$IR_INCL" ] && IR_INCL_PER=$((IR_INCL / IR_COUNT))
note "callgrind: $IR_FULL - $IR_BASE Ir over $IR_COUNT answers = $IR_PER per answer" \
	"(inclusive Ir of zw_answer_burst: $IR_INCL_PER per query)"

# --- Knot DNS ---------------------------------------------------------------------

KNOT_QPS_MED="" KNOT_CPU_MED="" KNOT_NORM_MED="" KNOT_VERSION=""
if [ "$SKIP_KNOT" != 1 ]; then
	KNOT_VERSION=$(knotd --version | head -n 1)
	# port: the preferred one if free for UDP and TCP on 127.0.0.1, else the kernel's
	PORT=$(free_port "${ZW_BENCH_PORT:-53540}")

	# the same queries: same images, seed and count as the engine runs
	"$BENCH_ANSWER" -n "$QUERIES" "${DO_ARG[@]}" --write-queries "$TMP/queries" "${IMAGES[@]}" ||
		die "writing the queries failed"
	if [ "$DNSPERF_FORMAT" = raw ]; then
		DNSPERF_INPUT=(-B -d "$TMP/queries.raw")
	else
		DNSPERF_INPUT=(-d "$TMP/queries.txt")
		[ "$DO_BIT" = 1 ] && DNSPERF_INPUT+=(-D)
	fi

	KDIR=$TMP/knot
	knot_conf "$KDIR" "$PORT" tld. "$TLD_ZONE" bench.example. "$HOSTING_ZONE"

	note "starting knotd on CPU $ENGINE_CPU, 127.0.0.1@$PORT"
	taskset -c "$ENGINE_CPU" knotd -c "$KDIR/knot.conf" >"$KDIR/knotd.log" 2>&1 &
	KNOT_PID=$!

	TLD_SERIAL=$(zone_serial "$TLD_ZONE")
	HOSTING_SERIAL=$(zone_serial "$HOSTING_ZONE")
	both_served() { knot_serves "$PORT" tld. "$TLD_SERIAL" && knot_serves "$PORT" bench.example. "$HOSTING_SERIAL"; }
	t0=$(date +%s)
	await "$KNOT_TIMEOUT" "$KNOT_PID" "$KDIR/knotd.log" "knotd loading the zones" both_served
	note "knotd serves both zones after $(($(date +%s) - t0)) s; VmRSS" \
		"$(awk '/^VmRSS/ { print int($2 / 1024) " MiB" }' "/proc/$KNOT_PID/status")"

	TCK=$(getconf CLK_TCK)
	KNOT_QPS=() KNOT_CPU=() KNOT_NORM=()
	for i in $(seq "$RUNS"); do
		out=$TMP/dnsperf.$i
		k0=$(proc_ticks "$KNOT_PID") w0=$(date +%s.%N)
		bg_run -t $((DNSPERF_SECONDS + 60)) "$out" taskset -c "$CLIENT_CPU" dnsperf \
			-s 127.0.0.1 -p "$PORT" "${DNSPERF_INPUT[@]}" -l "$DNSPERF_SECONDS" -c 1 -T 1 ||
			{ cat "$out" >&2; die "dnsperf failed"; }
		k1=$(proc_ticks "$KNOT_PID") w1=$(date +%s.%N)
		qps=$(awk '/Queries per second:/ { print $4; exit }' "$out")
		[ -n "$qps" ] || { cat "$out" >&2; die "no 'Queries per second' in dnsperf's output"; }
		cpu=$(python3 -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]) / (float(sys.argv[5]) - float(sys.argv[4]))))" \
			"$k0" "$k1" "$TCK" "$w0" "$w1")
		KNOT_QPS+=("$qps") KNOT_CPU+=("$cpu")
		KNOT_NORM+=("$(python3 -c "import sys; c = float(sys.argv[2]); print(float(sys.argv[1]) / c if c > 0 else 0)" "$qps" "$cpu")")
		note "knot run $i: $qps qps, knotd used $cpu of a CPU;" \
			"$(awk '/Queries lost:/ { print "lost " $3 " " $4; exit }' "$out");" \
			"$(grep -m1 'Response codes:' "$out" | sed 's/^ *//')"
	done
	KNOT_QPS_MED=$(median "${KNOT_QPS[@]}")
	KNOT_CPU_MED=$(median "${KNOT_CPU[@]}")
	KNOT_NORM_MED=$(median "${KNOT_NORM[@]}")
	sed 's/^/     | /' "$TMP/dnsperf.$RUNS" >&2
fi

# --- report -----------------------------------------------------------------------

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $NCPU CPUs ($CPU_MODEL)${KNOT_VERSION:+; $KNOT_VERSION}"
echo "load average at start: $LOAD_START; at end: $LOAD_END"
if REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
	git -C "$ROOT" diff --quiet HEAD -- dataplane/answer.c zonecompiler 2>/dev/null ||
		REV+=" with uncommitted changes to the engine or the zone library"
	echo "source: commit $REV"
fi
echo "zone set: tld. ($TLD_DELEGATIONS delegations) + bench.example. ($HOSTING_RRS RRs): $NODES names"
echo "query mix ($QUERIES queries, bench_answer run 1, as answered by the engine):"
grep -E '^(rcode|shape|planned|edns_queries|do_queries|truncated|avg_)' "$TMP/engine.1" | sed 's/^/  /'
echo
python3 - "$RUNS" "$ENGINE_QPS_MED" "$ENGINE_NS_MED" "$IR_PER" "$IR_INCL_PER" "$IR_COUNT" \
	"${KNOT_QPS_MED:-}" "${KNOT_CPU_MED:-}" "$DNSPERF_FORMAT" "$ENGINE_CPU" "$CLIENT_CPU" \
	"$ENGINE_CPU_NS_MED" "${KNOT_NORM_MED:-}" "$DIAG_ROWS" "$ENGINE_BEST_MED" "$DO_BIT" <<'EOF'
import sys
(runs, qps, ns, ir, ir_incl, ir_n, kqps, kcpu, fmt, ecpu, ccpu, cpu_ns, knorm, diag,
 best, do_bit) = sys.argv[1:17]
qps, ns, cpu_ns = float(qps), float(ns), float(cpu_ns)
print("Answer engine vs Knot DNS, one core each (median of %s runs)" % runs)
print()
print("| measure | figure | target |")
print("|---|---|---|")
print("| zonewire engine, answers/s/core (in-process) | {:,.0f} | >= 10,000,000: {} |".format(
    qps, "met" if qps >= 10e6 else "MISSED"))
print("| zonewire engine, ns/answer | %.0f | < 100: %s |" % (ns, "met" if ns < 100 else "MISSED"))
print("| zonewire engine, instructions/answer (callgrind, N=%s) | %s | |" % (
    "{:,}".format(int(ir_n)), ir))
if kqps:
    print("| Knot DNS, queries/s/core (UDP, loopback) | {:,.0f} | |".format(float(kqps)))
print()
print("Per second of CPU time actually received (the machine's other work")
print("excluded; its effect on the caches is not):")
print("  zonewire engine: %.0f ns of CPU per answer = {:,.0f} answers per CPU-second".format(
    1e9 / cpu_ns) % cpu_ns)
if knorm and float(knorm) > 0:
    print("  Knot DNS: {:,.0f} queries per CPU-second of knotd (all its threads)".format(
        float(knorm)))
print()
print("NOTE: the engine is measured in-process (zw_answer_burst() called in a loop: no")
if not kqps:
    print("sockets, no packet I/O), on CPU %s. Knot DNS was not measured." % ecpu)
else:
    print("sockets, no packet I/O); Knot is measured through the kernel UDP path on")
    print("loopback with dnsperf as the client. Both use one core (CPU %s); the" % ecpu)
    print("client, dnsperf, runs on CPU %s. The two figures are not the same quantity." % ccpu)
if kqps:
    print("knotd used %s of its CPU during the dnsperf runs (median); below ~0.95" % kcpu)
    print("knotd was not the bottleneck: the client, or other work on the machine,")
    print("set the pace. dnsperf input: %s%s." % (fmt,
          " (the exact query messages, dnsperf -B)" if fmt == "raw"
          else " (name TYPE lines: %s)" % ("EDNS with DO on every query, dnsperf -D"
                                           if do_bit == "1" else "no EDNS on any query")))
print("Cross-check: inclusive Ir of zw_answer_burst() per query: %s." % ir_incl)
if diag:
    print()
    print("Diagnostics (the engine, same zone set; medians):")
    print()
    print("| variant | answers/s | ns/answer | ns/answer, best pass | ns of CPU/answer |")
    print("|---|---|---|---|---|")
    print("| as above: bursts of 32 (zw_answer_burst()), file mapping, 4 KiB pages | {:,.0f} | {:.0f} | {:.0f} | {:.0f} |".format(
        qps, ns, float(best), cpu_ns))
    for row in diag.split("|"):
        label, q, n, b, c = row.split(";")
        print("| {} | {:,.0f} | {:.0f} | {:.0f} | {:.0f} |".format(
            label, float(q), float(n), float(b), float(c)))
EOF
