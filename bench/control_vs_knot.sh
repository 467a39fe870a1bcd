#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Control-plane benchmark: DNS over TCP and AXFR out, zonewired side by side
# with Knot DNS, each server in its own network namespace.
#
#   sudo bench/control_vs_knot.sh [-r RUNS]
#
#   -r  rounds (default 3); every figure reported is the median over them
#
# One client namespace holds two veth pairs: one to zonewired's namespace
# (the server end taken over with net_af_xdp, as in .ci/demo; TCP reaches
# zonewired's control plane through its exception interface and the
# kernel), one to Knot DNS's namespace (ordinary kernel sockets). Both
# serve bench.example., the 1,000,000-RR zone of `gen_zone.py hosting`:
# zonewired from its compiled image, knotd from the zone file.
#
#   zonewired  worker on lcore 1, main lcore 0 (the control plane: TCP and
#              transfers run there); tcp.max-queries and
#              tcp.max-connections-per-address raised so that neither
#              closes nor refuses the benchmark's connections (Knot DNS
#              3.2 limits neither queries per connection nor connections
#              per address); a transfer rule for the client's address.
#   knotd      udp-workers, tcp-workers and background-workers 1, the whole
#              process pinned to CPU 1 with taskset; an acl with action
#              transfer for the client's address.
#
# Each round measures Knot DNS, then starts zonewired, measures it and stops
# it (an idle zonewired worker still naps and polls on CPU 1, so it is not
# left running while knotd is measured; knotd idle costs nothing):
#
#   1. dnsperf -m tcp -c C -q C*DEPTH -l SECONDS for each C in ZW_CP_CONNS:
#      C pipelined connections, DEPTH queries outstanding per connection.
#      Against knotd the client runs on CPU 0; against zonewired on each CPU
#      of ZW_CP_ZW_CLIENT_CPUS (default "1 0": the worker's CPU, then the
#      control plane's). Queries/s, average latency and its deviation as
#      dnsperf reports them, and the server's CPU time during the run.
#   2. AXFR of bench.example.: bench/control/axfr_time (compiled here; it
#      walks the records without printing them, so the client costs little)
#      and `kdig +tcp AXFR` with its output in a file, records counted in
#      the file. Client on CPU 0 against knotd, on each CPU of
#      ZW_CP_ZW_CLIENT_CPUS against zonewired. Both servers must send the
#      same number of records; the first round's kdig outputs are also
#      compared as sorted sets of records.
#
# Environment (all optional):
#   ZW_BUILD              meson build directory (default <repo>/build)
#   ZW_BENCH_CACHE        zone, image and query list (default <build>/bench-cache)
#   ZW_BENCH_HOSTING_RRS  records in the zone (default 1000000)
#   ZW_CP_SECONDS         dnsperf -l (default 10)
#   ZW_CP_CONNS           connection counts (default "1 10 50")
#   ZW_CP_DEPTH           queries outstanding per connection (default 20)
#   ZW_CP_QUERIES         queries in the list (default 200000)
#   ZW_CP_ZW_CLIENT_CPUS  client CPUs against zonewired (default "1 0")
#
# Queries: `bench_answer --write-queries` over the image (names of the zone
# in random letter case; about 85 % NOERROR, NODATA included, and 15 %
# NXDOMAIN), one "name TYPE" per line; dnsperf sends them without EDNS.
#
# Everything runs in network namespaces created here and deleted on exit;
# servers and clients are stopped by their PIDs on exit, errors and signals
# included, and the temporary directory is removed. Every wait is bounded.
# With the defaults a run takes about 7 minutes on 2 vCPUs (plus about 20 s
# to generate and compile the zone the first time). Progress goes to
# stderr, the report (markdown) to stdout.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
AXFR_SRC=$ROOT/bench/control/axfr_time.c
ZONEWIRED=$BUILD/zonewired
[ -x "$ZONEWIRED" ] || ZONEWIRED=$BUILD/dataplane/zonewired
ZWCTL=$BUILD/control/zonewirectl
HOSTING_RRS=${ZW_BENCH_HOSTING_RRS:-1000000}
SECS=${ZW_CP_SECONDS:-10}
CONNS=${ZW_CP_CONNS:-1 10 50}
DEPTH=${ZW_CP_DEPTH:-20}
NQUERIES=${ZW_CP_QUERIES:-200000}
ZW_CPUS=${ZW_CP_ZW_CLIENT_CPUS:-1 0}
RUNS=3
SEED=1
ZONE=bench.example.

ZW_IP=192.0.2.1 ZW_CLI_IP=192.0.2.2
KN_IP=198.51.100.1 KN_CLI_IP=198.51.100.2
ZW_MAC=02:00:00:00:53:01
EAL='["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=3"]'

while getopts "r:h" opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

posint -r "$RUNS"
posint ZW_BENCH_HOSTING_RRS "$HOSTING_RRS"
posint ZW_CP_SECONDS "$SECS"
posint ZW_CP_DEPTH "$DEPTH"
posint ZW_CP_QUERIES "$NQUERIES"
for c in $CONNS; do posint ZW_CP_CONNS "$c"; done
for c in $ZW_CPUS; do [[ "$c" =~ ^[01]$ ]] || die "ZW_CP_ZW_CLIENT_CPUS: CPUs 0 and 1 only (got '$c')"; done
{ [ -n "$CONNS" ] && [ -n "$ZW_CPUS" ]; } || die "ZW_CP_CONNS and ZW_CP_ZW_CLIENT_CPUS must not be empty"

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, AF_XDP)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
for tool in python3 timeout ip ethtool sysctl taskset dnsperf kdig knotd cc sort; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"
for bin in "$COMPILER" "$BENCH_ANSWER" "$ZONEWIRED" "$ZWCTL"; do
	[ -x "$bin" ] || die "$bin not built (meson setup build && ninja -C build)"
done

# Names of this run's namespaces and interfaces (at most 15 characters).
TAG=zwcp$(($$ % 100000))
NS_CLI=$TAG-cli NS_ZW=$TAG-zw NS_KN=$TAG-kn
V_ZC=$TAG-zc V_ZS=$TAG-zs V_KC=$TAG-kc V_KS=$TAG-ks TAP=${TAG}x

bench_tmp zwcp
RESULTS=$TMP/results
: >"$RESULTS"
ZW_PID="" KNOT_PID=""

# what the script started, and the namespaces it made
bench_cleanup() {
	stop_pid "$ZW_PID" 20
	stop_pid "$KNOT_PID" 60
	for ns in "$NS_CLI" "$NS_ZW" "$NS_KN"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

# cli CPU: sets CLI to the command prefix that runs a client in the client
# namespace, pinned to CPU, under /usr/bin/time (wall, user and system
# seconds into $TMP/time).
cli() { CLI=(ip netns exec "$NS_CLI" taskset -c "$1" /usr/bin/time -o "$TMP/time" -f "%e %U %S"); }
# client_cpu: CPUs the client used, from $TMP/time; "-" for a run too short
# for /usr/bin/time to time (a field of the results all the same)
client_cpu() { awk '{ if ($1 > 0) printf "%.2f", ($2 + $3) / $1; else printf "-" }' "$TMP/time"; }

now() { date +%s.%N; }
record() { echo "$*" >>"$RESULTS"; }
# busy_ticks: clock ticks both CPUs spent busy (everything but idle and iowait)
busy_ticks() { awk '$1 ~ /^cpu[0-9]+$/ { b += $2 + $3 + $4 + $7 + $8 + $9 } END { print b }' /proc/stat; }
# tcp_counter NS FILE PREFIX NAME: a TCP counter of namespace NS, from
# /proc/net/FILE (snmp or netstat), in the PREFIX line pair (Tcp: or TcpExt:)
tcp_counter() {
	ip netns exec "$1" cat "/proc/net/$2" |
		awk -v p="$3" -v n="$4" '$1 == p { if (!h) { for (i = 2; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 2; i <= NF; i++) if (k[i] == n) print $i }'
}
# retrans NS: segments retransmitted, and D-SACKs received (the peer had
# the segment already: the retransmission was spurious), so far in NS
retrans() {
	echo "$(tcp_counter "$1" snmp Tcp: RetransSegs) $(tcp_counter "$1" netstat TcpExt: TCPDSACKRecv)"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if python3 -c 'import os, sys; sys.exit(os.getloadavg()[0] < 0.5)'; then
	note "load average $LOAD_START before starting: other work is running, expect noisy figures"
fi

# --- zone, image, queries, client -----------------------------------------------

mkdir -p "$CACHE"
ZONE_FILE=$CACHE/hosting-$HOSTING_RRS-s$SEED.zone
IMAGE=$CACHE/hosting-$HOSTING_RRS-s$SEED.zwi
QFILE=$CACHE/cp-queries-$HOSTING_RRS-$NQUERIES-s$SEED.txt
if [ ! -s "$ZONE_FILE" ] || [ "$GEN" -nt "$ZONE_FILE" ]; then
	note "generating $ZONE_FILE"
	bg_run -e -t 600 "$TMP/gen.log" python3 "$GEN" --seed "$SEED" hosting "$HOSTING_RRS" "$ZONE_FILE.tmp" ||
		{ cat "$TMP/gen.log" >&2; die "zone generation failed"; }
	mv "$ZONE_FILE.tmp" "$ZONE_FILE"
fi
if [ ! -s "$IMAGE" ] || [ "$ZONE_FILE" -nt "$IMAGE" ] || [ "$COMPILER" -nt "$IMAGE" ]; then
	note "compiling $IMAGE"
	bg_run -e -t 600 "$TMP/compile.log" "$COMPILER" -q -z "$ZONE" -o "$IMAGE" "$ZONE_FILE" ||
		{ cat "$TMP/compile.log" >&2; die "compile failed"; }
fi
if [ ! -s "$QFILE" ] || [ "$IMAGE" -nt "$QFILE" ] || [ "$BENCH_ANSWER" -nt "$QFILE" ]; then
	note "writing $NQUERIES queries to $QFILE"
	bg_run -e -t 600 "$TMP/wq.log" "$BENCH_ANSWER" -n "$NQUERIES" --seed "$SEED" \
		--write-queries "$TMP/mix" "$IMAGE" ||
		{ cat "$TMP/wq.log" >&2; die "bench_answer --write-queries failed"; }
	mv "$TMP/mix.txt" "$QFILE"
	rm -f "$TMP/mix.raw"
fi
AXFR_TIME=$TMP/axfr_time
cc -O2 -Wall -Wextra -std=gnu11 -o "$AXFR_TIME" "$AXFR_SRC" || die "cannot compile $AXFR_SRC"
SERIAL=$(zone_serial "$ZONE_FILE")
note "zone $ZONE_FILE (serial $SERIAL), image $IMAGE, queries $QFILE"

# --- namespaces ---------------------------------------------------------------------

ip netns add "$NS_CLI"
ip netns add "$NS_ZW"
ip netns add "$NS_KN"
for ns in "$NS_CLI" "$NS_ZW" "$NS_KN"; do ip -n "$ns" link set lo up; done
# zonewired: the server end is its wire port (AF_XDP), as in .ci/demo
ip link add "$V_ZC" netns "$NS_CLI" type veth peer name "$V_ZS" netns "$NS_ZW"
ip -n "$NS_ZW" link set "$V_ZS" address $ZW_MAC
ip -n "$NS_CLI" addr add $ZW_CLI_IP/24 dev "$V_ZC"
# a veth leaves checksums to a peer that does not compute them
ip netns exec "$NS_CLI" ethtool -K "$V_ZC" tx off >/dev/null
ip netns exec "$NS_ZW" sysctl -qw "net.ipv6.conf.$V_ZS.disable_ipv6=1"
ip -n "$NS_CLI" link set "$V_ZC" up
ip -n "$NS_ZW" link set "$V_ZS" up
# knotd: an address on the server end, kernel sockets
ip link add "$V_KC" netns "$NS_CLI" type veth peer name "$V_KS" netns "$NS_KN"
ip -n "$NS_CLI" addr add $KN_CLI_IP/24 dev "$V_KC"
ip -n "$NS_KN" addr add $KN_IP/24 dev "$V_KS"
ip -n "$NS_CLI" link set "$V_KC" up
ip -n "$NS_KN" link set "$V_KS" up

soa_serial() { # soa_serial SERVER: the zone's serial over TCP, or nothing
	ip netns exec "$NS_CLI" timeout 5 kdig +tcp +short +timeout=1 +retry=0 @"$1" "$ZONE" SOA 2>/dev/null |
		awk '{ print $3; exit }'
}
# serves SERVER: whether SERVER answers with the zone's SERIAL
serves() { [ "$(soa_serial "$1")" = "$SERIAL" ]; }

# --- servers ----------------------------------------------------------------------------

knot_start() {
	local kdir=$TMP/knot t0
	mkdir -p "$kdir/run" "$kdir/storage"
	cat >"$kdir/knot.conf" <<EOF
# written by control_vs_knot.sh
server:
    rundir: "$kdir/run"
    pidfile: "$kdir/run/knot.pid"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    listen: $KN_IP@53
control:
    listen: "$kdir/run/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "$kdir/storage"
acl:
  - id: bench-xfr
    address: $KN_CLI_IP
    action: transfer
template:
  - id: default
    storage: "$kdir/storage"
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: $ZONE
    file: "$ZONE_FILE"
    acl: bench-xfr
EOF
	KNOT_LOG=$kdir/knotd.log
	t0=$(now)
	ip netns exec "$NS_KN" taskset -c 1 knotd -c "$kdir/knot.conf" >"$KNOT_LOG" 2>&1 &
	KNOT_PID=$!
	await 300 "$KNOT_PID" "$KNOT_LOG" "knotd loading $ZONE" serves "$KN_IP"
	note "knotd (PID $KNOT_PID, CPU 1) serves $ZONE after $(python3 -c "import sys, time; print('%.1f' % (time.time() - float(sys.argv[1])))" "$t0") s"
}

# zw_start ROUND: starts zonewired; sets ZW_PID, ZW_LOG, ZW_WORKER (the
# worker thread's id).
zw_start() {
	ZW_LOG=$TMP/zonewired.$1.log
	mkdir -p "$TMP/zw-state"
	cat >"$TMP/zonewired.yaml" <<EOF
# written by control_vs_knot.sh
dataplane:
  eal: $EAL
  ports:
    - device: "net_af_xdp0,iface=$V_ZS,start_queue=0,queue_count=1"
  workers: [1]
  main-lcore: 0
  exception-interface: $TAP
  addresses: ["$ZW_IP/24"]
zones:
  - image: "$IMAGE"
tcp:
  max-connections-per-address: 1024
  max-queries: 1000000000
transfer:
  - zone: $ZONE
    allow: [$ZW_CLI_IP/32]
control:
  socket: "$TMP/zonewired.sock"
  state-dir: "$TMP/zw-state"
EOF
	ip netns exec "$NS_ZW" "$ZONEWIRED" -c "$TMP/zonewired.yaml" >"$ZW_LOG" 2>&1 &
	ZW_PID=$!
	await 30 "$ZW_PID" "$ZW_LOG" "zonewired starting" grep -qs "zonewired: ready:" "$ZW_LOG"
	# the exception interface gets its address a moment after "ready"
	await 10 "$ZW_PID" "$ZW_LOG" "zonewired answering $ZONE SOA over TCP" serves "$ZW_IP"
	ZW_WORKER=$(grep -l '^rte-worker' /proc/"$ZW_PID"/task/*/comm 2>/dev/null | head -n 1 | cut -d/ -f5)
	[ -n "$ZW_WORKER" ] || note "the worker thread of zonewired was not found: its CPU time is not reported"
	note "zonewired (PID $ZW_PID, main lcore 0, worker lcore 1) ready"
}

# zw_stop ROUND: saves the counters, stops zonewired, notes anything odd.
zw_stop() {
	local rc=0
	if ! kill -0 "$ZW_PID" 2>/dev/null; then
		wait "$ZW_PID" || rc=$?
		tail -n 20 "$ZW_LOG" >&2
		record "health zonewired exited by itself in round $1 (status $rc)"
		ZW_PID=""
		return 0
	fi
	timeout 10 ip netns exec "$NS_ZW" "$ZWCTL" -s "$TMP/zonewired.sock" -t 5 stats \
		>"$TMP/zw-stats.$1" 2>&1 || note "zonewirectl stats failed"
	local refused bad idle
	refused=$(awk '$1 == "TCP" { t = 1 } t && $1 == "refused" { print $2; exit }' "$TMP/zw-stats.$1")
	bad=$(awk '$1 == "closed_bad" { print $2; exit }' "$TMP/zw-stats.$1")
	idle=$(awk '$1 == "closed_idle" { print $2; exit }' "$TMP/zw-stats.$1")
	note "zonewired round $1 TCP counters: $(awk '$1 == "TCP" { t = 1; next } t && NF == 2 { printf "%s %s, ", $1, $2 } $1 == "zone" { exit }' "$TMP/zw-stats.$1")"
	local txfull tapst
	txfull=$(awk '$1 == "tx_full" { print $2; exit }' "$TMP/zw-stats.$1")
	# the TAP's counters: RX is what zonewired's worker wrote to the kernel,
	# TX what the kernel queued for the worker (dropped: the queue was full)
	tapst=$(ip -n "$NS_ZW" -s link show "$TAP" 2>/dev/null |
		awk '/RX:/ { getline; rx = $4 } /TX:/ { getline; tx = $4 } END { printf "rx dropped %s, tx dropped %s", rx, tx }')
	note "zonewired round $1 exception path: worker tx_full ${txfull:-?}; $TAP $tapst"
	record "zonewired round $1 exception path: worker tx_full ${txfull:-?}; exception interface $tapst"
	[ "${refused:-0}" = 0 ] || record "health zonewired refused $refused TCP connections in round $1"
	[ "${bad:-0}" = 0 ] || record "health zonewired closed $bad TCP connections as bad in round $1"
	[ "${idle:-0}" = 0 ] || record "health zonewired closed $idle TCP connections at the idle timeout in round $1"
	stop_pid "$ZW_PID" 20
	ZW_PID=""
	if [ "$STOP_RC" != 0 ]; then
		tail -n 5 "$ZW_LOG" >&2
		record "health zonewired exited with status $STOP_RC on SIGTERM in round $1"
	fi
}

# --- measurements -------------------------------------------------------------------------

# srv_ticks SERVER: CPU clock ticks of knotd (all threads), or of zonewired's
# main thread and worker together
srv_ticks() {
	if [ "$1" = knot ]; then
		proc_ticks "$KNOT_PID"
	else
		echo $(($(proc_ticks "$ZW_PID" "$ZW_PID") + $(proc_ticks "$ZW_PID" "$ZW_WORKER")))
	fi
}

# tcp_run SERVER CLIENT_CPU CONNS ROUND: one dnsperf run.
tcp_run() {
	local who=$1 cpu=$2 c=$3 r=$4 ip out q=$(($3 * DEPTH)) rc=0
	local t0 tm0 tw0 w0 w1 srv main wrk qps lat sd lost recon ns b0 rc0 rs0 rc1 rs1 others rtx dsack
	if [ "$who" = knot ]; then ip=$KN_IP ns=$NS_KN; else ip=$ZW_IP ns=$NS_ZW; fi
	rc0=$(retrans "$NS_CLI") rs0=$(retrans "$ns")
	out=$TMP/tcp.$who.$cpu.$c.$r
	if [ "$who" = knot ]; then
		t0=$(proc_ticks "$KNOT_PID")
	else
		tm0=$(proc_ticks "$ZW_PID" "$ZW_PID") tw0=$(proc_ticks "$ZW_PID" "$ZW_WORKER")
	fi
	w0=$(now) b0=$(busy_ticks)
	cli "$cpu"
	bg_run -e -t $((SECS + 40)) "$out" "${CLI[@]}" dnsperf -m tcp -s "$ip" -d "$QFILE" \
		-c "$c" -q "$q" -l "$SECS" -t 5 || rc=$?
	w1=$(now)
	if [ "$who" = knot ]; then
		srv=$(cpu_share "$t0" "$(proc_ticks "$KNOT_PID")" "$w0" "$w1") main=$srv wrk=0
	else
		main=$(cpu_share "$tm0" "$(proc_ticks "$ZW_PID" "$ZW_PID")" "$w0" "$w1")
		wrk=$(cpu_share "$tw0" "$(proc_ticks "$ZW_PID" "$ZW_WORKER")" "$w0" "$w1")
		srv=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) + float(sys.argv[2])))" "$main" "$wrk")
	fi
	# CPU time of everything else on the machine (other work, kernel threads)
	others=$(python3 -c "import sys; b = float(sys.argv[1]); print('%.2f' % max(0.0, b - float(sys.argv[2]) - float(sys.argv[3])))" \
		"$(cpu_share "$b0" "$(busy_ticks)" "$w0" "$w1")" "$srv" "$(client_cpu)")
	rc1=$(retrans "$NS_CLI") rs1=$(retrans "$ns")
	rtx=$((${rc1% *} - ${rc0% *} + ${rs1% *} - ${rs0% *}))
	dsack=$((${rc1#* } - ${rc0#* } + ${rs1#* } - ${rs0#* }))
	qps=$(awk '/Queries per second:/ { print $4; exit }' "$out")
	lat=$(awk '/Average Latency \(s\):/ { print $4 * 1000; exit }' "$out")
	sd=$(awk '/Latency StdDev \(s\):/ { print $4 * 1000; exit }' "$out")
	lost=$(awk '/Queries lost:/ { print $3; exit }' "$out")
	recon=$(awk '/Reconnections:/ { print $2; exit }' "$out")
	if [ "$rc" != 0 ] || [ -z "$qps" ]; then
		tail -n 20 "$out" >&2
		record "health dnsperf against $who (client CPU $cpu, $c connections, round $r) failed (status $rc)"
		return 0
	fi
	note "round $r $who, client CPU $cpu, $c conn x $DEPTH: $qps qps, latency $lat ms (sd $sd)," \
		"lost $lost, reconnections $recon, $rtx segments retransmitted ($dsack D-SACKs);" \
		"server CPU $srv ($main + $wrk)," \
		"client CPU $(client_cpu), others $others;" \
		"$(grep -m1 'Response codes:' "$out" | sed 's/^ *//')"
	record "tcp $who $cpu $c $r $qps $lat $sd $lost $recon $srv $main $wrk $(client_cpu) $others $rtx $dsack"
	[ "${lost:-0}" = 0 ] || record "health $lost queries lost by dnsperf against $who ($c connections, client CPU $cpu, round $r)"
	[ "${recon:-0}" = 0 ] || record "health $recon dnsperf reconnections against $who ($c connections, client CPU $cpu, round $r)"
}

# axfr_run SERVER CLIENT_CPU ROUND: one axfr_time and one kdig transfer.
axfr_run() {
	local who=$1 cpu=$2 r=$3 ip out rc=0 recs secs kout kwall n t0 t1 srv
	if [ "$who" = knot ]; then ip=$KN_IP; else ip=$ZW_IP; fi
	out=$TMP/axfr.$who.$r
	cli "$cpu"
	t0=$(srv_ticks "$who")
	bg_run -e -t 200 "$out" "${CLI[@]}" "$AXFR_TIME" -t 180 "$ip" "$ZONE" || rc=$?
	t1=$(srv_ticks "$who")
	srv=$(python3 -c "import os, sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf('SC_CLK_TCK')))" "$t0" "$t1")
	if [ "$rc" != 0 ]; then
		cat "$out" >&2
		record "health axfr_time against $who failed in round $r (status $rc): $(head -n 1 "$out")"
	else
		recs=$(awk '$1 == "records" { print $2 }' "$out")
		secs=$(awk '$1 == "seconds" { print $2 }' "$out")
		record "axfr $who raw $cpu $r $secs $recs $(awk '$1 == "messages" { print $2 }' "$out")" \
			"$(awk '$1 == "bytes" { print $2 }' "$out") $(awk '$1 == "first_ms" { print $2 }' "$out")" \
			"$(client_cpu) $srv"
		note "round $r $who AXFR (axfr_time, CPU $cpu): $recs records in $secs s," \
			"$(awk '$1 == "records_per_s" { print $2 }' "$out") records/s," \
			"first message after $(awk '$1 == "first_ms" { print $2 }' "$out") ms; server CPU $srv s"
	fi
	kout=$TMP/kdig.$who.$r
	rc=0
	t0=$(srv_ticks "$who")
	bg_run -e -t 200 "$kout" "${CLI[@]}" kdig +tcp +timeout=30 +retry=0 @"$ip" "$ZONE" AXFR || rc=$?
	t1=$(srv_ticks "$who")
	srv=$(python3 -c "import os, sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf('SC_CLK_TCK')))" "$t0" "$t1")
	kwall=$(awk '{ print $1 }' "$TMP/time")
	n=$(grep -cv '^;\|^$' "$kout" || true)
	if [ "$rc" != 0 ] || ! grep -q '^;; Received' "$kout"; then
		tail -n 5 "$kout" >&2
		record "health kdig AXFR against $who failed in round $r (status $rc)"
	else
		record "axfr $who kdig $cpu $r $kwall $n - - - $(client_cpu) $srv"
		note "round $r $who AXFR (kdig, CPU $cpu): $n records in $kwall s ($(grep '^;; Received' "$kout" | sed 's/^;; //'))"
	fi
	if [ "$r" = 1 ] && [ ! -e "$TMP/axfr-sorted.$who" ]; then
		grep -v '^;\|^$' "$kout" | LC_ALL=C sort >"$TMP/axfr-sorted.$who" || true
	fi
	rm -f "$kout"
}

T_START=$(date +%s)
knot_start
for r in $(seq "$RUNS"); do
	for c in $CONNS; do tcp_run knot 0 "$c" "$r"; done
	axfr_run knot 0 "$r"
	zw_start "$r"
	for cpu in $ZW_CPUS; do
		for c in $CONNS; do tcp_run zonewired "$cpu" "$c" "$r"; done
	done
	for cpu in $ZW_CPUS; do axfr_run zonewired "$cpu" "$r"; done
	zw_stop "$r"
done
stop_pid "$KNOT_PID" 60
KNOT_PID=""
[ "$STOP_RC" = 0 ] || record "health knotd exited with status $STOP_RC on SIGTERM"
if grep -qE "warning|error" "$KNOT_LOG"; then
	note "knotd's warnings and errors:"
	grep -E "warning|error" "$KNOT_LOG" | head -n 20 >&2
	record "knotd logged $(grep -cE "warning|error" "$KNOT_LOG") warnings or errors, the first: $(grep -m1 -E "warning|error" "$KNOT_LOG")"
fi

if [ -s "$TMP/axfr-sorted.knot" ] && [ -s "$TMP/axfr-sorted.zonewired" ]; then
	if cmp -s "$TMP/axfr-sorted.knot" "$TMP/axfr-sorted.zonewired"; then
		record "same kdig AXFR output of both servers, as sorted sets of records: identical ($(wc -l <"$TMP/axfr-sorted.knot") records)"
	else
		record "health kdig AXFR outputs differ as sets: $(LC_ALL=C comm -23 "$TMP/axfr-sorted.knot" "$TMP/axfr-sorted.zonewired" | wc -l) records only from Knot, $(LC_ALL=C comm -13 "$TMP/axfr-sorted.knot" "$TMP/axfr-sorted.zonewired" | wc -l) only from zonewired"
		LC_ALL=C diff "$TMP/axfr-sorted.knot" "$TMP/axfr-sorted.zonewired" | head -n 10 >&2 || true
	fi
fi

# --- report -----------------------------------------------------------------------------

echo
report_when "$T_START"
echo "source: commit $(source_rev control dataplane); $(knotd --version 2>/dev/null | head -n 1); $(dnsperf -h 2>&1 | awk '/^Version/ { print "dnsperf " $2; exit }'); $(kdig --version 2>/dev/null | head -n 1)"
echo "zone: $ZONE, $HOSTING_RRS RRs (gen_zone.py hosting, seed $SEED); $NQUERIES queries; $RUNS rounds, medians"
python3 - "$RESULTS" "$SECS" "$DEPTH" "$CONNS" "$ZW_CPUS" <<'EOF'
import statistics, sys
secs, depth = sys.argv[2], int(sys.argv[3])
conns = [int(c) for c in sys.argv[4].split()]
zw_cpus = sys.argv[5].split()
tcp, axfr, health, notes = {}, {}, [], []
for line in open(sys.argv[1]):
    w = line.split()
    if w[0] == "tcp":
        tcp.setdefault((w[1], w[2], int(w[3])), []).append([float(x) for x in w[5:]])
    elif w[0] == "axfr":
        axfr.setdefault((w[1], w[2], w[3]), []).append(w[5:])
    elif w[0] == "health":
        health.append(line[7:].strip())
    else:
        notes.append(line.strip())

def med(rows, i):
    v = [r[i] for r in rows]
    return statistics.median(v)

def num(x, fmt="{:,.0f}"):
    try:
        return fmt.format(float(x))
    except (TypeError, ValueError):
        return "-"

print()
print("DNS over TCP: dnsperf -m tcp -c C -q C*%d -l %s (pipelined, %d outstanding per "
      "connection); medians over rounds, the range of queries/s in brackets" % (depth, secs, depth))
print()
print("| server | client CPU | connections | queries/s | avg latency ms | latency sd ms "
      "| server CPU | queries per server CPU-second | client CPU used | others' CPU "
      "| retransmits (D-SACKed) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
sides = [("knot", "0", "Knot DNS (knotd on CPU 1)")]
sides += [("zonewired", c, "zonewired (lcore 0 + lcore 1)") for c in zw_cpus]
for who, cpu, label in sides:
    for c in conns:
        rows = tcp.get((who, cpu, c))
        if not rows:
            print("| %s | %s | %d | failed | | | | | | | |" % (label, cpu, c))
            continue
        qps = med(rows, 0)
        srv = med(rows, 5)
        if who == "zonewired":
            srv_s = "%.2f (%.2f + %.2f)" % (srv, med(rows, 6), med(rows, 7))
        else:
            srv_s = "%.2f" % srv
        eff = statistics.median(r[0] / r[5] for r in rows if r[5] > 0) if any(r[5] > 0 for r in rows) else None
        print("| %s | %s | %d | **%s** (%s-%s) | %s | %s | %s | %s | %s | %s | %s |" % (
            label, cpu, c, num(qps), num(min(r[0] for r in rows)), num(max(r[0] for r in rows)),
            num(med(rows, 1), "{:.2f}"), num(med(rows, 2), "{:.2f}"), srv_s, num(eff),
            num(med(rows, 8), "{:.2f}"), num(med(rows, 9), "{:.2f}"),
            "%d (%d)" % (sum(r[10] for r in rows), sum(r[11] for r in rows))))
print()
print("server CPU: CPU-seconds per second of run, knotd's whole process, or zonewired's "
      "main thread (lcore 0) + worker (lcore 1); others' CPU: the rest of both CPUs' busy "
      "time during the run (other processes, kernel threads, interrupts); retransmits: TCP "
      "segments retransmitted by client and server, all rounds together, and in brackets "
      "the D-SACKs received (the receiver already had the segment: a spurious retransmission)")
print()
for c in conns:
    kn = tcp.get(("knot", "0", c))
    for cpu in zw_cpus:
        zw = tcp.get(("zonewired", cpu, c))
        if kn and zw:
            print("zonewired (client CPU %s) / Knot DNS, %d connection(s): %.1f x" % (
                cpu, c, med(zw, 0) / med(kn, 0)))

print()
print("AXFR of the zone; medians over rounds (range in brackets)")
print()
print("| server | client | client CPU | seconds | records/s | records | messages | octets | first message ms | client CPU used | server CPU s |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for how, cl in (("raw", "axfr_time"), ("kdig", "kdig +tcp, output to a file")):
    for who, label, cpu in [("knot", "Knot DNS", "0")] + [("zonewired", "zonewired", c) for c in zw_cpus]:
        rows = axfr.get((who, how, cpu))
        if not rows:
            print("| %s | %s | %s | failed | | | | | | | |" % (label, cl, cpu))
            continue
        s = [float(r[0]) for r in rows]
        recs = sorted(set(r[1] for r in rows))
        ms = statistics.median(s)
        rps = statistics.median(float(r[1]) / float(r[0]) for r in rows)
        def col(i, fmt="{:,.0f}"):
            v = [r[i] for r in rows if r[i] != "-"]
            return num(statistics.median(float(x) for x in v), fmt) if v else "-"
        print("| %s | %s | %s | **%.2f** (%.2f-%.2f) | %s | %s | %s | %s | %s | %s | %s |" % (
            label, cl, cpu, ms, min(s), max(s), num(rps), "/".join(num(x) for x in recs),
            col(2), col(3), col(4, "{:.1f}"), col(5, "{:.2f}"), col(6, "{:.2f}")))
print()
counts = {}
for (who, how, cpu), rows in axfr.items():
    for r in rows:
        counts.setdefault(r[1], []).append("%s/%s" % (who, how))
if len(counts) == 1:
    print("record counts: every transfer (both servers, both clients, every round) had %s records" % (
        num(list(counts)[0])))
elif counts:
    health.append("record counts differ between transfers: %s" % "; ".join(
        "%s: %s" % (k, ", ".join(sorted(set(v)))) for k, v in counts.items()))
for n in notes:
    print(n)
print()
if health:
    print("PROBLEMS SEEN:")
    for h in health:
        print("  " + h)
else:
    print("no crash, no failed run, no lost query, no refused or dropped connection seen")
EOF
