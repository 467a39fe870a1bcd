#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Dataplane benchmarks: zonewired answering over DPDK ports, alone and side
# by side with Knot DNS, one core per side.
#
#   sudo bench/dataplane_vs_knot.sh [-a] [-b] [-c] [-r RUNS]
#
#   -a  memif: bench/dpdk_qgen (lcore 0, a net_memif client) sends a query
#       mix as Ethernet/IPv4/UDP frames to zonewired (worker on lcore 1, a
#       net_memif server port) and checks every answer. The same generator
#       against its own sink mode (the far end answers nothing) and reflect
#       mode (the far end sends each query back as its own answer) gives the
#       generator's own limits; one more run with only the first
#       ZW_DP_HOT_QUERIES queries (they stay in the caches) shows the packet
#       path without the zone set's cache misses. Without and with
#       hugepages. Who saturates: the share of the run the generator spent
#       waiting for room in its ring to zonewired, zonewired's rx/tx counters
#       (SIGUSR1) and the CPU time each side actually got.
#   -b  kxdpgun (CPU 0) over a veth pair between two network namespaces,
#       against zonewired (net_af_xdp on the server end of the veth, worker
#       on lcore 1) and against knotd in XDP mode (pinned to CPU 1).
#   -c  dnsperf (CPU 0, kernel sockets, -v so that every answer's latency
#       gives the 99th percentile) over the same veth against zonewired,
#       knotd with ordinary sockets and knotd in XDP mode.
#   -r  runs per measurement, the median is reported (default 3)
#   Without -a, -b or -c all three run. A summary table comes last.
#
# Zones (cached, shared with bench/answer_vs_knot.sh): tld. from
# `gen_zone.py tld 200000` and bench.example. from `gen_zone.py hosting
# 1030000`, compiled with zonewire-compile for zonewired and loaded from the
# zone files by knotd. Queries: ZW_DP_QUERIES queries written by
# `bench_answer --write-queries` from the two images (70 % positive, 15 %
# NXDOMAIN, 10 % referrals from tld., 5 % NODATA; random letter case), one
# "name TYPE" per line, with the flag E (EDNS) on every third line. The same
# file feeds dpdk_qgen, kxdpgun (which honours E) and dnsperf (which
# ignores it, so its queries carry no EDNS).
#
# Environment (all optional):
#   ZW_BUILD            meson build directory (default: <repo>/build)
#   ZW_BENCH_CACHE      zones, images and the query list (default <build>/bench-cache)
#   ZW_BENCH_TLD_DELEGATIONS (default 200000), ZW_BENCH_HOSTING_RRS (default 1030000)
#   ZW_DP_QUERIES       queries in the list (default 1000000)
#   ZW_DP_SECONDS       length of each dpdk_qgen and kxdpgun run (default 8)
#   ZW_DP_DNSPERF_SECONDS  dnsperf -l (default 10)
#   ZW_DP_KXDPGUN_QPS   kxdpgun -Q, the offered rate (default 3000000: overload)
#   ZW_DP_KXDPGUN_STEPS offered rates of one extra kxdpgun run each, to find the
#                       highest rate answered in full (default "100000 200000
#                       300000 400000 600000"; empty: none)
#   ZW_DP_STEP_SECONDS  length of those runs (default 4)
#   ZW_DP_HUGEPAGES     2 MiB pages added for -a (default 320)
#   ZW_DP_HOT_QUERIES   length of the cache-hot list of -a's extra run: the
#                       first N queries of the list (default 1000)
#   ZW_DP_QGEN          the generator binary (default <build>/bench/dpdk_qgen)
#
# Everything runs in network namespaces created here and deleted on exit;
# servers and generators are stopped by their PIDs on exit, including on
# errors and signals; the hugepage reservation is set back to what it was.
# Every wait is bounded. With the defaults the whole run takes 5 to 7
# minutes on 2 vCPUs (plus the zone generation the first time, ~1 minute).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
DPDIR=$ROOT/bench/dataplane
ZONEWIRED=$BUILD/zonewired
[ -x "$ZONEWIRED" ] || ZONEWIRED=$BUILD/dataplane/zonewired
QGEN=${ZW_DP_QGEN:-$BUILD/bench/dpdk_qgen}
TLD_DELEGATIONS=${ZW_BENCH_TLD_DELEGATIONS:-200000}
HOSTING_RRS=${ZW_BENCH_HOSTING_RRS:-1030000}
QUERIES=${ZW_DP_QUERIES:-1000000}
SECS=${ZW_DP_SECONDS:-8}
DNSPERF_SECS=${ZW_DP_DNSPERF_SECONDS:-10}
KXDPGUN_QPS=${ZW_DP_KXDPGUN_QPS:-3000000}
KXDPGUN_STEPS=${ZW_DP_KXDPGUN_STEPS-100000 200000 300000 400000 600000}
STEP_SECS=${ZW_DP_STEP_SECONDS:-4}
HUGE_ADD=${ZW_DP_HUGEPAGES:-320}
HOT_QUERIES=${ZW_DP_HOT_QUERIES:-1000}
RUNS=3
SEED=1

SRV_MAC=02:00:00:00:00:01
CLI_MAC=02:00:00:00:00:02
SRV_IP=192.0.2.1
CLI_IP=192.0.2.2
EAL_NOHUGE='["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=3"]'
EAL_HUGE='["--in-memory", "-m", "256", "--no-pci", "--no-telemetry", "--log-level=3"]'

DO_A=0 DO_B=0 DO_C=0
while getopts "abcr:h" opt; do
	case $opt in
	a) DO_A=1 ;;
	b) DO_B=1 ;;
	c) DO_C=1 ;;
	r) RUNS=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }
[ $((DO_A + DO_B + DO_C)) -gt 0 ] || DO_A=1 DO_B=1 DO_C=1

posint -r "$RUNS"
posint ZW_DP_QUERIES "$QUERIES"
posint ZW_DP_SECONDS "$SECS"
posint ZW_DP_DNSPERF_SECONDS "$DNSPERF_SECS"
posint ZW_DP_KXDPGUN_QPS "$KXDPGUN_QPS"
posint ZW_DP_STEP_SECONDS "$STEP_SECS"
for q in $KXDPGUN_STEPS; do posint ZW_DP_KXDPGUN_STEPS "$q"; done
posint ZW_DP_HUGEPAGES "$HUGE_ADD"
posint ZW_DP_HOT_QUERIES "$HOT_QUERIES"
posint ZW_BENCH_TLD_DELEGATIONS "$TLD_DELEGATIONS"
posint ZW_BENCH_HOSTING_RRS "$HOSTING_RRS"

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP, hugepages)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
TOOLS="python3 timeout ip ethtool sysctl kdig taskset"
[ $DO_B = 1 ] && TOOLS+=" kxdpgun"
[ $DO_C = 1 ] && TOOLS+=" dnsperf"
[ $DO_B = 1 ] || [ $DO_C = 1 ] && TOOLS+=" knotd"
for tool in $TOOLS; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
for bin in "$COMPILER" "$BENCH_ANSWER" "$ZONEWIRED"; do
	[ -x "$bin" ] || die "$bin not built (meson setup build && ninja -C build)"
done
[ $DO_A = 0 ] || [ -x "$QGEN" ] || die "$QGEN not built (ninja -C build; needs DPDK)"

# Names of this run's namespaces and interfaces (at most 15 characters).
TAG=zwdp$(($$ % 100000))
NS_MEM=$TAG-mem NS_CLI=$TAG-cli NS_SRV=$TAG-srv
VETH_C=$TAG-c0 VETH_S=$TAG-s0 TAP=${TAG}x

bench_tmp zwdp
RESULTS=$TMP/results
: >"$RESULTS"
HUGE_BEFORE=$(cat /proc/sys/vm/nr_hugepages)
HUGE_SET=0
ZW_PID="" KNOT_PID="" PEER_PID=""

# what the script started, and the namespaces it made
bench_cleanup() {
	stop_pid "$PEER_PID" 5
	stop_pid "$ZW_PID" 20
	stop_pid "$KNOT_PID" 60
	for ns in "$NS_MEM" "$NS_CLI" "$NS_SRV"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ "$HUGE_SET" = 1 ]; then
		echo "$HUGE_BEFORE" >/proc/sys/vm/nr_hugepages ||
			note "could not set vm.nr_hugepages back to $HUGE_BEFORE"
		note "vm.nr_hugepages set back to $(cat /proc/sys/vm/nr_hugepages) (was $HUGE_BEFORE)"
	fi
}

result() { echo "$1|$2|$3" >>"$RESULTS"; } # result SECTION KEY VALUE

# fill TEMPLATE OUT NAME=VALUE...: replaces each @NAME@ by VALUE.
fill() {
	local text kv_
	text=$(<"$1")
	for kv_ in "${@:3}"; do
		text=${text//@${kv_%%=*}@/${kv_#*=}}
	done
	printf '%s\n' "$text" >"$2"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if python3 -c 'import os, sys; sys.exit(os.getloadavg()[0] < 0.5)'; then
	note "load average $LOAD_START before starting: other work is running, expect noisy figures"
fi

# --- zones, images, queries ---------------------------------------------------

mkdir -p "$CACHE"
GEN_TIMEOUT=600 COMPILE_TIMEOUT=600 # zone_image (bench/lib.sh)
zone_image tld "$TLD_DELEGATIONS" tld.
TLD_ZONE=$ZONE_PATH TLD_IMG=$IMAGE_PATH
zone_image hosting "$HOSTING_RRS" bench.example.
HOSTING_ZONE=$ZONE_PATH HOSTING_IMG=$IMAGE_PATH

QFILE=$CACHE/dp-queries-$TLD_DELEGATIONS-$HOSTING_RRS-$QUERIES-s$SEED.txt
if [ ! -s "$QFILE" ] || [ "$TLD_IMG" -nt "$QFILE" ] || [ "$HOSTING_IMG" -nt "$QFILE" ] ||
	[ "$BENCH_ANSWER" -nt "$QFILE" ]; then
	note "writing $QUERIES queries to $QFILE"
	bg_run -e -t 600 "$TMP/wq.log" "$BENCH_ANSWER" -n "$QUERIES" --seed "$SEED" \
		--write-queries "$TMP/mix" "$TLD_IMG" "$HOSTING_IMG" ||
		{ cat "$TMP/wq.log" >&2; die "bench_answer --write-queries failed"; }
	awk '{ print (NR % 3 == 0) ? $0 " E" : $0 }' "$TMP/mix.txt" >"$QFILE.tmp"
	mv "$QFILE.tmp" "$QFILE"
	rm -f "$TMP/mix.txt" "$TMP/mix.raw"
fi
HOT_QFILE=$TMP/hot-queries.txt
head -n "$HOT_QUERIES" "$QFILE" >"$HOT_QFILE"
note "zones: $(basename "$TLD_ZONE"), $(basename "$HOSTING_ZONE"); queries: $QFILE"

# --- zonewired ----------------------------------------------------------------

# zw_start NS DEVICE EAL: starts zonewired in NS; sets ZW_PID, ZW_LOG.
zw_start() {
	local i
	ZW_LOG=$TMP/zonewired.$1.$(date +%s%N).log
	fill "$DPDIR/zonewired.yaml.in" "$TMP/zonewired.yaml" "EAL=$3" "DEVICE=$2" \
		"TAP=$TAP" "TLD=$TLD_IMG" "HOSTING=$HOSTING_IMG" "DIR=$TMP"
	ip netns exec "$1" "$ZONEWIRED" -c "$TMP/zonewired.yaml" >"$ZW_LOG" 2>&1 &
	ZW_PID=$!
	for i in $(seq 600); do
		grep -qs "zonewired: ready:" "$ZW_LOG" && return 0
		kill -0 "$ZW_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$ZW_LOG" >&2
	die "zonewired did not become ready"
}

# zw_stop WHAT: stops zonewired; notes a crash or an unclean exit.
zw_stop() {
	local rc=0
	[ -n "$ZW_PID" ] || return 0
	if ! kill -0 "$ZW_PID" 2>/dev/null; then
		wait "$ZW_PID" || rc=$?
		note "zonewired had exited (status $rc) before it was stopped; log $ZW_LOG:"
		tail -n 20 "$ZW_LOG" >&2
		result health "zonewired.$1" "exited by itself, status $rc"
		ZW_PID=""
		return 0
	fi
	stop_pid "$ZW_PID" 20
	ZW_PID=""
	if [ "$STOP_RC" != 0 ]; then
		note "zonewired exited with status $STOP_RC when stopped; log $ZW_LOG:"
		tail -n 5 "$ZW_LOG" >&2
		result health "zonewired.stop.$1" "exit status $STOP_RC on SIGTERM"
	fi
}

# zw_stats: asks zonewired for its counters (SIGUSR1) and sets ZS_RX, ZS_TX,
# ZS_TXFULL, ZS_CSUM (drop_checksum), ZS_EXC (to_kernel).
zw_stats() {
	local n0 i line
	n0=$(grep -c "^stats: worker" "$ZW_LOG" || true)
	kill -USR1 "$ZW_PID" 2>/dev/null || die "zonewired (PID $ZW_PID) is gone; log $ZW_LOG"
	for i in $(seq 50); do
		[ "$(grep -c "^stats: worker" "$ZW_LOG" || true)" -gt "$n0" ] && break
		sleep 0.1
	done
	line=$(grep "^stats: rx" "$ZW_LOG" | tail -n 1)
	ZS_RX=$(awk '{ print $3 }' <<<"$line")
	ZS_TX=$(awk '{ print $5 }' <<<"$line")
	ZS_EXC=$(awk '{ print $9 }' <<<"$line")
	ZS_TXFULL=$(awk '{ print $13 }' <<<"$line")
	ZS_CSUM=$(grep "^stats: drops" "$ZW_LOG" | tail -n 1 | awk '{ print $6 }')
}

# --- (a) dpdk_qgen over memif ------------------------------------------------------

# memif_zw_runs MEM TAG N QUERIES: N dpdk_qgen runs against the running
# zonewired with the query list QUERIES; medians into the results as
# MEM.TAG.*. Uses qeal and vdev from bench_a.
memif_zw_runs() {
	local mem=$1 tag=$2 i out ans=() sent=() loss=() blk=() srv_cpu=() gcpu=()
	for i in $(seq "$3"); do
		out=$TMP/a.$mem.$tag.$i
		zw_stats
		local rx0=$ZS_RX tx0=$ZS_TX full0=$ZS_TXFULL t0 w0 rc=0 cpu
		timeout -k 5 $((SECS + 60)) ip netns exec "$NS_MEM" "$QGEN" "${qeal[@]}" -l 0 \
			--vdev="$vdev,role=client" -- -q "$4" -T "$SECS" >"$out" 2>&1 &
		CHILD=$!
		# zonewired's CPU time from the first query on (the generator's
		# start-up, reading a million queries, is not counted) ...
		for _ in $(seq 600); do
			grep -qs "link up, sending" "$out" && break
			kill -0 "$CHILD" 2>/dev/null || break
			sleep 0.05
		done
		t0=$(proc_ticks "$ZW_PID") w0=$(date +%s.%N)
		# ... to the generator's summary, printed once its last answer is in
		for _ in $(seq $(((SECS + 30) * 20))); do
			grep -qs "^mode: gen" "$out" && break
			kill -0 "$CHILD" 2>/dev/null || break
			sleep 0.05
		done
		cpu=$(cpu_share "$t0" "$(proc_ticks "$ZW_PID")" "$w0" "$(date +%s.%N)")
		wait "$CHILD" || rc=$?
		CHILD=""
		[ "$rc" = 0 ] ||
			{ cat "$out" >&2; tail -n 20 "$ZW_LOG" >&2; die "dpdk_qgen against zonewired failed"; }
		zw_stats
		note "(a) $mem, zonewired ($tag) run $i: sent $(kv "$out" sent_per_s)/s," \
			"answers $(kv "$out" answers_per_s)/s (median second" \
			"$(kv "$out" answers_per_s_median_second)), loss $(kv "$out" loss_pct) %," \
			"bad $(kv "$out" bad), tx_blocked $(kv "$out" tx_blocked_pct) %;" \
			"zonewired: rx $((ZS_RX - rx0)) tx $((ZS_TX - tx0)) tx_full" \
			"$((ZS_TXFULL - full0)), $cpu of a CPU while queried;" \
			"generator $(kv "$out" cpu_share)"
		ans+=("$(kv "$out" answers_per_s)") sent+=("$(kv "$out" sent_per_s)")
		loss+=("$(kv "$out" loss_pct)") blk+=("$(kv "$out" tx_blocked_pct)")
		srv_cpu+=("$cpu") gcpu+=("$(kv "$out" cpu_share)")
		[ "$(kv "$out" bad)" = 0 ] || result health "a.$mem.$tag.run$i" "$(kv "$out" bad) bad answers"
		result a "$mem.$tag.rcodes" "$(grep '^rcodes:' "$out" | cut -d' ' -f2-)"
	done
	result a "$mem.$tag.answers" "$(median "${ans[@]}")"
	result a "$mem.$tag.sent" "$(median "${sent[@]}")"
	result a "$mem.$tag.loss" "$(median "${loss[@]}")"
	result a "$mem.$tag.blocked" "$(median "${blk[@]}")"
	result a "$mem.$tag.srvcpu" "$(median "${srv_cpu[@]}")"
	result a "$mem.$tag.gcpu" "$(median "${gcpu[@]}")"
}

bench_a() {
	local mem eal qeal sock peer i out vdev
	ip netns add "$NS_MEM"
	ip -n "$NS_MEM" link set lo up
	# no IPv6 on the exception interface: nothing but answers on the wire
	ip netns exec "$NS_MEM" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	for mem in nohuge huge; do
		if [ $mem = huge ]; then
			echo $((HUGE_BEFORE + HUGE_ADD)) >/proc/sys/vm/nr_hugepages
			HUGE_SET=1
			local got
			got=$(cat /proc/sys/vm/nr_hugepages)
			if [ "$got" -lt $((HUGE_BEFORE + 256)) ]; then
				note "only $got hugepages could be reserved: skipping the hugepage runs"
				result a "huge.skipped" "only $got pages"
				continue
			fi
			eal=$EAL_HUGE
			qeal=(--in-memory -m 256 --no-pci --no-telemetry --log-level=3)
		else
			eal=$EAL_NOHUGE
			qeal=(--no-huge -m 256 --no-pci --no-shconf --no-telemetry --log-level=3)
		fi
		# the generator's own limits: against a sink and a reflector on lcore 1
		for peer in sink reflect; do
			sock=$TMP/memif-$peer-$mem.sock
			vdev="net_memif0,id=0,socket=$sock,socket-abstract=no"
			ip netns exec "$NS_MEM" timeout -k 5 $((SECS + 60)) "$QGEN" "${qeal[@]}" -l 1 \
				--vdev="$vdev,role=server" -- -m $peer -T $((SECS + 30)) \
				>"$TMP/a.$mem.$peer.peer" 2>&1 &
			PEER_PID=$!
			for i in $(seq 100); do
				[ -S "$sock" ] && break
				sleep 0.1
			done
			out=$TMP/a.$mem.$peer.gen
			bg_run -e -t $((SECS + 60)) "$out" ip netns exec "$NS_MEM" "$QGEN" "${qeal[@]}" -l 0 \
				--vdev="$vdev,role=client" -- -q "$QFILE" -T "$SECS" ||
				{ cat "$out" "$TMP/a.$mem.$peer.peer" >&2; die "dpdk_qgen against $peer failed"; }
			stop_pid "$PEER_PID" 10
			PEER_PID=""
			note "(a) $mem, generator vs $peer: sent $(kv "$out" sent_per_s)/s," \
				"back $(kv "$out" replies_per_s)/s, tx_blocked $(kv "$out" tx_blocked_pct) %," \
				"generator had $(kv "$out" cpu_share) of its CPU, $peer" \
				"$(kv "$TMP/a.$mem.$peer.peer" cpu_share)"
			result a "$mem.$peer.sent" "$(kv "$out" sent_per_s)"
			result a "$mem.$peer.back" "$(kv "$out" replies_per_s)"
			result a "$mem.$peer.blocked" "$(kv "$out" tx_blocked_pct)"
			result a "$mem.$peer.gcpu" "$(kv "$out" cpu_share)"
			result a "$mem.$peer.pcpu" "$(kv "$TMP/a.$mem.$peer.peer" cpu_share)"
		done
		# zonewired
		sock=$TMP/memif-zw-$mem.sock
		vdev="net_memif0,id=0,socket=$sock,socket-abstract=no"
		zw_start "$NS_MEM" "$vdev,role=server,mac=$SRV_MAC" "$eal"
		result a "$mem.zw.hugepages" "$(awk '/^HugePages_Total/ { t = $2 } /^HugePages_Free/ { f = $2 } END { print t - f }' /proc/meminfo)"
		memif_zw_runs "$mem" zw "$RUNS" "$QFILE"
		# the same with a list that fits in the caches: the packet path alone
		memif_zw_runs "$mem" hot 1 "$HOT_QFILE"
		zw_stop "memif-$mem"
	done
	ip netns del "$NS_MEM"
}

# --- (b), (c): veth between two namespaces ---------------------------------------

veth_up() {
	ip netns add "$NS_CLI"
	ip netns add "$NS_SRV"
	ip link add "$VETH_C" netns "$NS_CLI" type veth peer name "$VETH_S" netns "$NS_SRV"
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set "$VETH_C" address $CLI_MAC
	ip -n "$NS_SRV" link set "$VETH_S" address $SRV_MAC
	ip -n "$NS_CLI" addr add $CLI_IP/24 dev "$VETH_C"
	# a veth offloads checksums to a peer that does not compute them
	ip netns exec "$NS_CLI" ethtool -K "$VETH_C" tx off >/dev/null
	ip netns exec "$NS_SRV" sysctl -qw "net.ipv6.conf.$VETH_S.disable_ipv6=1"
	ip netns exec "$NS_CLI" sysctl -qw "net.ipv6.conf.$VETH_C.disable_ipv6=1"
	ip -n "$NS_CLI" link set "$VETH_C" up
	ip -n "$NS_SRV" link set "$VETH_S" up
	ip -n "$NS_CLI" neigh replace $SRV_IP lladdr $SRV_MAC dev "$VETH_C" nud permanent
}

veth_down() {
	ip netns del "$NS_CLI" 2>/dev/null || true
	ip netns del "$NS_SRV" 2>/dev/null || true
}

# probe NAME TYPE: the status kdig gets from the server, or "timeout"
probe() {
	ip netns exec "$NS_CLI" kdig +timeout=1 +retry=0 +norec @$SRV_IP "$1" "$2" 2>/dev/null |
		awk '/status:/ { sub(/;.*/, "", $6); print $6; found = 1; exit } END { if (!found) print "timeout" }'
}

# knot_start MODE (xdp|udp): knotd in NS_SRV pinned to CPU 1; waits (at
# most 300 s) until it serves both zones' SOA over the veth.
knot_start() {
	local kdir=$TMP/knot-$1 t0 listen xdp s1 s2
	rm -rf "$kdir"
	mkdir -p "$kdir/run" "$kdir/storage"
	if [ "$1" = xdp ]; then
		listen="# no socket listener"
		xdp=$(printf 'xdp:\n    listen: %s@53\n    udp: on' "$VETH_S")
	else
		listen="listen: $SRV_IP@53"
		xdp=""
	fi
	fill "$DPDIR/knot.conf.in" "$kdir/knot.conf" "LISTEN=$listen" "XDP=$xdp" "DIR=$kdir" \
		"TLD_ZONE=$TLD_ZONE" "HOSTING_ZONE=$HOSTING_ZONE"
	ip -n "$NS_SRV" addr add $SRV_IP/24 dev "$VETH_S"
	KNOT_LOG=$kdir/knotd.log
	t0=$(date +%s.%N)
	ip netns exec "$NS_SRV" taskset -c 1 knotd -c "$kdir/knot.conf" >"$KNOT_LOG" 2>&1 &
	KNOT_PID=$!
	s1=$(zone_serial "$TLD_ZONE") s2=$(zone_serial "$HOSTING_ZONE")
	await 300 "$KNOT_PID" "$KNOT_LOG" "knotd ($1) loading the zones" knot_serves "$s1" "$s2"
	note "knotd ($1) serves both zones after $(python3 -c "import sys, time; print('%.1f' % (time.time() - float(sys.argv[1])))" "$t0") s"
}

# knot_serves TLD_SERIAL HOSTING_SERIAL: whether knotd answers both zones'
# SOA with those serials
knot_serves() {
	local z s want=("$1" "$2") i=0
	for z in tld. bench.example.; do
		s=$(ip netns exec "$NS_CLI" kdig +short +timeout=1 +retry=0 @$SRV_IP "$z" SOA 2>/dev/null |
			awk '{ print $3; exit }')
		[ "$s" = "${want[$i]}" ] || return 1
		i=$((i + 1))
	done
}

knot_stop() {
	stop_pid "$KNOT_PID" 60
	KNOT_PID=""
}

# kxdpgun_once OUT QPS SECONDS: one kxdpgun run from CPU 0; sets K_SENT,
# K_REPL (per second) and K_PCT (answered share) from its output in OUT.
kxdpgun_once() {
	bg_run -e -t $(($3 + 60)) "$1" ip netns exec "$NS_CLI" kxdpgun -t "$3" -Q "$2" -F 0 \
		-i "$QFILE" -I "$VETH_C" -R $SRV_MAC -l $CLI_IP $SRV_IP ||
		{ cat "$1" >&2; die "kxdpgun failed"; }
	# kxdpgun leaves its XDP program attached
	ip -n "$NS_CLI" link set dev "$VETH_C" xdp off 2>/dev/null || true
	K_SENT=$(awk '/^total queries:/ { gsub(/\(/, "", $4); print $4; exit }' "$1")
	K_REPL=$(awk '/^total replies:/ { gsub(/\(/, "", $4); print $4; exit }' "$1")
	K_PCT=$(awk '/^total replies:/ { gsub(/[()%]/, "", $6); print $6; exit }' "$1")
	[ -n "$K_REPL" ] || { cat "$1" >&2; die "no 'total replies' in kxdpgun's output"; }
}

# run_kxdpgun LABEL: RUNS kxdpgun runs at KXDPGUN_QPS, medians into the
# results; then one run at each rate of KXDPGUN_STEPS, for the highest rate
# the server answers in full.
run_kxdpgun() {
	local i out sent=() repl=() pct=() srv_cpu=() t0 w0 cpu q
	for i in $(seq "$RUNS"); do
		out=$TMP/b.$1.$i
		t0=$(proc_ticks "${ZW_PID:-$KNOT_PID}") w0=$(date +%s.%N)
		kxdpgun_once "$out" "$KXDPGUN_QPS" "$SECS"
		cpu=$(cpu_share "$t0" "$(proc_ticks "${ZW_PID:-$KNOT_PID}")" "$w0" "$(date +%s.%N)")
		note "(b) $1 run $i: sent $K_SENT/s, answered $K_REPL/s ($K_PCT %); server used $cpu of" \
			"a CPU; $(grep '^responded' "$out" | tr -s ' ' | paste -sd, -)"
		sent+=("$K_SENT") repl+=("$K_REPL") pct+=("$K_PCT") srv_cpu+=("$cpu")
	done
	result b "$1.sent" "$(median "${sent[@]}")"
	result b "$1.answered" "$(median "${repl[@]}")"
	result b "$1.pct" "$(median "${pct[@]}")"
	result b "$1.srvcpu" "$(median "${srv_cpu[@]}")"
	for q in $KXDPGUN_STEPS; do
		kxdpgun_once "$TMP/b.$1.q$q" "$q" "$STEP_SECS"
		note "(b) $1 at -Q $q: sent $K_SENT/s, answered $K_REPL/s ($K_PCT %)"
		result b "$1.step.$q" "$K_REPL $K_PCT"
	done
}

# run_dnsperf LABEL: RUNS dnsperf runs from CPU 0 (-v: every answer's latency,
# for the 99th percentile); medians into the results.
run_dnsperf() {
	local i out qps=() avg=() p99=() lost=() srv_cpu=() t0 w0
	for i in $(seq "$RUNS"); do
		out=$TMP/c.$1.$i
		t0=$(proc_ticks "${ZW_PID:-$KNOT_PID}") w0=$(date +%s.%N)
		bg_run -e -t $((DNSPERF_SECS + 60)) "$out" ip netns exec "$NS_CLI" taskset -c 0 dnsperf \
			-s $SRV_IP -d "$QFILE" -l "$DNSPERF_SECS" -c 1 -T 1 -v ||
			{ tail -n 30 "$out" >&2; die "dnsperf failed"; }
		local cpu q a p l
		cpu=$(cpu_share "$t0" "$(proc_ticks "${ZW_PID:-$KNOT_PID}")" "$w0" "$(date +%s.%N)")
		q=$(awk '/Queries per second:/ { print $4; exit }' "$out")
		a=$(awk '/Average Latency/ { print $4 * 1000; exit }' "$out")
		l=$(awk '/Queries lost:/ { gsub(/[()%]/, "", $4); print $4; exit }' "$out")
		[ -n "$q" ] || { tail -n 30 "$out" >&2; die "no 'Queries per second' in dnsperf's output"; }
		p=$(awk '$1 == ">" { print $NF * 1000 }' "$out" | sort -g |
			awk '{ v[NR] = $1 } END { if (NR) { i = int(NR * 0.99); if (i < 1) i = 1; print v[i] } }')
		note "(c) $1 run $i: $q qps, average latency $a ms, p99 $p ms, lost $l %;" \
			"server used $cpu of a CPU; $(grep -m1 'Response codes:' "$out" | sed 's/^ *//')"
		qps+=("$q") avg+=("$a") p99+=("$p") lost+=("$l") srv_cpu+=("$cpu")
		grep -v '^>' "$out" >"$out.summary"
		rm -f "$out"
	done
	result c "$1.qps" "$(median "${qps[@]}")"
	result c "$1.avg" "$(median "${avg[@]}")"
	result c "$1.p99" "$(median "${p99[@]}")"
	result c "$1.lost" "$(median "${lost[@]}")"
	result c "$1.srvcpu" "$(median "${srv_cpu[@]}")"
}

bench_veth() {
	local st
	# zonewired: af_xdp on the server end, its exception interface owns the address
	veth_up
	zw_start "$NS_SRV" "net_af_xdp0,iface=$VETH_S,start_queue=0,queue_count=1" "$EAL_NOHUGE"
	for i in $(seq 50); do
		st=$(probe tld. SOA)
		[ "$st" = NOERROR ] && break
		sleep 0.2
	done
	[ "$st" = NOERROR ] || { tail -n 20 "$ZW_LOG" >&2; die "zonewired does not answer over the veth"; }
	zw_stats
	local rx0=$ZS_RX csum0=$ZS_CSUM exc0=$ZS_EXC full0=$ZS_TXFULL
	[ $DO_B = 1 ] && run_kxdpgun zonewired
	[ $DO_C = 1 ] && run_dnsperf zonewired
	zw_stats
	note "zonewired over the veth: rx $((ZS_RX - rx0)), drop_checksum $((ZS_CSUM - csum0))," \
		"to_kernel $((ZS_EXC - exc0)), tx_full $((ZS_TXFULL - full0))"
	[ "$((ZS_CSUM - csum0))" = 0 ] ||
		result health zonewired.veth "$((ZS_CSUM - csum0)) queries dropped for their checksum"
	zw_stop af_xdp
	veth_down

	veth_up
	knot_start xdp
	[ $DO_B = 1 ] && run_kxdpgun knot-xdp
	[ $DO_C = 1 ] && run_dnsperf knot-xdp
	knot_stop
	veth_down

	if [ $DO_C = 1 ]; then
		veth_up
		knot_start udp
		run_dnsperf knot-udp
		knot_stop
		veth_down
	fi
}

T_START=$(date +%s)
[ $DO_A = 1 ] && bench_a
if [ $DO_B = 1 ] || [ $DO_C = 1 ]; then
	bench_veth
fi

# --- report -----------------------------------------------------------------------

echo
report_when "$T_START"
echo "source: commit $(source_rev dataplane zonecompiler); $(knotd --version 2>/dev/null | head -n 1); $(kxdpgun --version 2>/dev/null | head -n 1); $(dnsperf -h 2>&1 | awk '/^Version/ { print "dnsperf " $2; exit }')"
echo "binaries: $ZONEWIRED${QGEN:+, $QGEN}"
echo "zones: tld. ($TLD_DELEGATIONS delegations), bench.example. ($HOSTING_RRS RRs); $QUERIES queries, 1 in 3 with EDNS (not for dnsperf)"
python3 - "$RESULTS" "$RUNS" "$SECS" "$DNSPERF_SECS" "$KXDPGUN_QPS" "$HOT_QUERIES" "$STEP_SECS" <<'EOF'
import sys
res = {}
health = []
for line in open(sys.argv[1]):
    sec, key, val = line.rstrip("\n").split("|", 2)
    if sec == "health":
        health.append("%s: %s" % (key, val))
    res[(sec, key)] = val
runs, secs, dsecs, kqps, hot, ssecs = sys.argv[2:8]
steps = sorted({int(k.split(".")[2]) for s_, k in res if s_ == "b" and ".step." in k})

def g(sec, key):
    return res.get((sec, key), "")

def n(v, fmt="{:,.0f}"):
    try:
        return fmt.format(float(v))
    except ValueError:
        return "-"

def f(v):
    try:
        return float(v)
    except ValueError:
        return None

if any(s == "a" for s, _ in res):
    print()
    print("(a) dpdk_qgen -> memif -> zonewired, one core each (lcore 0: generator, "
          "lcore 1: far end); medians of %s runs of %s s" % (runs, secs))
    print()
    print("| memory | far end | sent/s | back/s | loss % | generator waiting % | "
          "far end CPU | answers per far-end CPU-second | generator CPU |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for mem, label in (("nohuge", "no hugepages"), ("huge", "hugepages")):
        if g("a", mem + ".skipped"):
            print("| %s | skipped: %s | | | | | | | |" % (label, g("a", mem + ".skipped")))
            continue
        for peer in ("sink", "reflect"):
            k = "%s.%s." % (mem, peer)
            if g("a", k + "sent"):
                print("| %s | dpdk_qgen -m %s (1 run) | %s | %s | | %s | %s | | %s |" % (
                    label, peer, n(g("a", k + "sent")),
                    n(g("a", k + "back")) if peer == "reflect" else "-",
                    n(g("a", k + "blocked"), "{:.1f}"), n(g("a", k + "pcpu"), "{:.2f}"),
                    n(g("a", k + "gcpu"), "{:.2f}")))
        for tag, what in (("zw", "**zonewired**"),
                          ("hot", "zonewired, first %s queries only (1 run)" % hot)):
            k = "%s.%s." % (mem, tag)
            if not g("a", k + "answers"):
                continue
            a, c = f(g("a", k + "answers")), f(g("a", k + "srvcpu"))
            print("| %s | %s | %s | %s answers | %s | %s | %s | %s | %s |" % (
                label, what, n(g("a", k + "sent")),
                ("**%s**" if tag == "zw" else "%s") % n(a),
                n(g("a", k + "loss"), "{:.2f}"), n(g("a", k + "blocked"), "{:.1f}"),
                n(c, "{:.2f}"), n(a / c) if a and c else "-", n(g("a", k + "gcpu"), "{:.2f}")))
    print()
    for mem, label in (("nohuge", "no hugepages"), ("huge", "hugepages")):
        zw = f(g("a", mem + ".zw.answers"))
        if zw is None:
            continue
        blk = f(g("a", mem + ".zw.blocked")) or 0.0
        refl = f(g("a", mem + ".reflect.back"))
        gcpu = f(g("a", mem + ".zw.gcpu")) or 0.0
        if blk >= 50:
            who = ("zonewired saturates: the generator spent %.0f %% of the run waiting "
                   "for room in its ring to zonewired" % blk)
        elif refl and zw >= 0.85 * refl:
            who = ("the generator saturates: zonewired answered %.0f %% of what a "
                   "do-nothing reflector sent back" % (100 * zw / refl))
        else:
            who = ("no side clearly saturated (the generator waited %.0f %% of the run; "
                   "zonewired at %.0f %% of the reflector): look at the CPU shares" % (
                       blk, 100 * zw / refl if refl else 0))
        print("%s: %s; 5,000,000 answers/s target %s" % (
            label, who, "met" if zw >= 5e6 else "MISSED (%s)" % n(zw)))
        if gcpu < 0.9:
            print("  WARNING: the generator got only %.2f of its CPU (other processes ran "
                  "on it): every figure of this row is low" % gcpu)
        scpu = f(g("a", mem + ".zw.srvcpu"))
        if scpu is not None and scpu < 0.9:
            print("  WARNING: zonewired got only %.2f of a CPU while queried (other processes "
                  "ran on its core): its answers/s are low; compare answers per far-end "
                  "CPU-second (%s) instead" % (scpu, n(zw / scpu) if scpu else "-"))
        if g("a", mem + ".zw.hugepages"):
            print("  hugepages in use while zonewired ran: %s" % g("a", mem + ".zw.hugepages"))
    rc = g("a", "huge.zw.rcodes") or g("a", "nohuge.zw.rcodes")
    if rc:
        print("  zonewired's answers by rcode: %s" % rc)

servers = (("zonewired", "zonewired (af_xdp, lcore 1)"),
           ("knot-xdp", "Knot DNS, XDP mode (CPU 1)"),
           ("knot-udp", "Knot DNS, sockets (CPU 1)"))
if any(s == "b" for s, _ in res):
    print()
    print("(b) kxdpgun -Q %s -F 0 over the veth, %s s per run; medians of %s runs" % (
        "{:,}".format(int(kqps)), secs, runs))
    print()
    print("| server | sent/s | answered/s | answered % | server CPU |")
    print("|---|---:|---:|---:|---:|")
    for key, label in servers:
        if g("b", key + ".answered"):
            print("| %s | %s | **%s** | %s | %s |" % (
                label, n(g("b", key + ".sent")), n(g("b", key + ".answered")),
                n(g("b", key + ".pct"), "{:.0f}"), n(g("b", key + ".srvcpu"), "{:.2f}")))
    zw, kn = f(g("b", "zonewired.answered")), f(g("b", "knot-xdp.answered"))
    if zw and kn:
        print()
        print("zonewired / Knot XDP: %.2f" % (zw / kn))
    if steps:
        print()
        print("Answered share by offered rate (kxdpgun -Q, one run of %s s each):" % ssecs)
        print()
        print("| server | " + " | ".join("{:,}".format(q) for q in steps) +
              " | highest rate answered >= 99 % |")
        print("|---|" + "---:|" * (len(steps) + 1))
        for key, label in servers[:2]:
            cells, best = [], "-"
            for q in steps:
                v = g("b", "%s.step.%d" % (key, q))
                if not v:
                    cells.append("")
                    continue
                r, p = v.split()
                cells.append("%s %%" % n(p, "{:.0f}"))
                if f(p) is not None and f(p) >= 99:
                    best = "{:,}".format(q)
            print("| %s | %s | %s |" % (label, " | ".join(cells), best))
if any(s == "c" for s, _ in res):
    print()
    print("(c) dnsperf -l %s -c 1 -T 1 over the veth (CPU 0); medians of %s runs" % (dsecs, runs))
    print()
    print("| server | queries/s | avg latency ms | p99 latency ms | lost % | server CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in servers:
        if g("c", key + ".qps"):
            print("| %s | **%s** | %s | %s | %s | %s |" % (
                label, n(g("c", key + ".qps")), n(g("c", key + ".avg"), "{:.3f}"),
                n(g("c", key + ".p99"), "{:.3f}"), n(g("c", key + ".lost"), "{:.2f}"),
                n(g("c", key + ".srvcpu"), "{:.2f}")))

print()
print("Side by side (one core per server; figures above)")
print()
print("| server | memif, dpdk_qgen answers/s (hugepages / none) | kxdpgun answered/s "
      "(overload) | kxdpgun, highest -Q answered >= 99 % | dnsperf qps | dnsperf p99 ms |")
print("|---|---:|---:|---:|---:|---:|")

def best_step(key):
    """The highest offered rate of the kxdpgun steps answered >= 99 %."""
    best = "-"
    for q in steps:
        v = g("b", "%s.step.%d" % (key, q))
        if v and (f(v.split()[1]) or 0) >= 99:
            best = "{:,}".format(q)
    return best

memif = " / ".join(n(g("a", m + ".zw.answers")) for m in ("huge", "nohuge")
                   if g("a", m + ".zw.answers"))
for key, label in servers:
    row = [label, memif if key == "zonewired" and memif else "-",
           n(g("b", key + ".answered")), best_step(key) if key != "knot-udp" else "-",
           n(g("c", key + ".qps")),
           n(g("c", key + ".p99"), "{:.3f}")]
    print("| " + " | ".join(row) + " |")
print()
if health:
    print("PROBLEMS SEEN:")
    for h in health:
        print("  " + h)
else:
    print("no crash, no bad answer, no checksum drop seen")
EOF
