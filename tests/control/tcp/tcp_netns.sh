#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end test of DNS over TCP in zonewired (docs/tcp.md), in network
# namespaces, with no NIC and no hugepages.
#
#   tcp_netns.sh ZONEWIRED ZONEWIRE_COMPILE
#
# Two namespaces joined by a veth pair: the server end is zonewired's wire
# port (net_af_xdp by default; ZW_TCP_WIRE=af_packet for the other), whose
# TCP goes through the exception interface to zonewired's own listeners;
# the client end is where dig, kdig and dnstcp.py (next to this script)
# run. Over IPv4 and IPv6:
#
#   1. dig +tcp and kdig +tcp: positive, MX with additional, NXDOMAIN,
#      referral, NSID; several queries on one kdig connection (+keepopen);
#   2. 100 and 1000 queries pipelined on one connection, answered in order;
#   3. the RFC 7828 keepalive option (dig +keepalive, dnstcp.py);
#   4. AXFR with dig and kdig;
#   5. garbage, a zero length, a response, a cut length: that connection
#      is closed, another one keeps being answered; a stalled client is
#      closed at the idle timeout while dig keeps being answered;
#   6. zonewired is still running and stops with status 0 on SIGTERM.
#
# Needs root, iproute2, ethtool, dig, kdig, python3, timeout. Exit status:
# 0 all passed, 1 a check failed, 77 skipped (not root or a tool missing).
# ZW_NETNS_KEEP=1 keeps the temporary directory. Everything it creates (the
# namespaces and their veth pair, the temporary directory, the processes it
# started) is removed on exit.
set -uo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 ZONEWIRED ZONEWIRE_COMPILE" >&2
	exit 2
fi
zonewired=$(realpath "$1")
compile=$(realpath "$2")
src=${ZW_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
# shellcheck source=../../lib/netns.sh
. "$src/tests/lib/netns.sh"
here=$src/tests/control/tcp
dnstcp=(python3 "$here/dnstcp.py")

if [ "$(id -u)" != 0 ]; then
	echo "tcp_netns: needs root (network namespaces), skipping"
	exit 77
fi
for t in ip ethtool dig kdig python3 timeout; do
	if ! command -v "$t" >/dev/null; then
		echo "tcp_netns: $t not found, skipping"
		exit 77
	fi
done

t_start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-tcp.XXXXXX")
tag=$(($$ % 100000))
SRV=zwtcp$tag-srv
CLI=zwtcp$tag-cli
VC=zwtc$tag # client end of the veth
VS=zwts$tag # server end: zonewired's wire
TAP=zwtx$tag
SMAC=02:00:00:00:53:11
CMAC=02:00:00:00:53:12
V4=192.0.2.1 V6=fd00:53::1
C4=192.0.2.2 C6=fd00:53::2
IDLE_MS=2000
NSID=zw-tcp-nsid
wire=${ZW_TCP_WIRE:-af_xdp}
srv_pid=
pass=0 failed=0

cleanup() {
	stop_server KILL
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	if [ "${ZW_NETNS_KEEP:-0}" = 1 ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP


# --- topology and server -------------------------------------------------

net_up() {
	ip netns add "$SRV" && ip netns add "$CLI" &&
		ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || return 1
	ip -n "$CLI" link set lo up
	ip -n "$SRV" link set lo up
	ip -n "$SRV" link set "$VS" address $SMAC
	ip -n "$CLI" link set "$VC" address $CMAC
	ip -n "$CLI" addr add $C4/24 dev "$VC"
	ip -n "$CLI" addr add $C6/64 dev "$VC" nodad
	# a veth leaves checksums to a peer that does not compute them
	in_cli ethtool -K "$VC" tx off >/dev/null
	# the wire must not have IPv6 (its link-local would be the TAP's)
	ip netns exec "$SRV" sysctl -qw "net.ipv6.conf.$VS.disable_ipv6=1"
	# af_packet does not steal frames: keep the server's kernel off them
	[ "$wire" = af_packet ] && ip netns exec "$SRV" sysctl -qw "net.ipv4.conf.$VS.rp_filter=1"
	ip -n "$CLI" link set "$VC" up && ip -n "$SRV" link set "$VS" up
}

write_config() {
	local dev
	if [ "$wire" = af_xdp ]; then
		dev="net_af_xdp0,iface=$VS,start_queue=0,queue_count=1"
	else
		dev="net_af_packet0,iface=$VS"
	fi
	cat >"$1" <<EOF
# written by tcp_netns.sh ($wire)
dataplane:
  eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
        "--log-level=3"]
  ports:
    - device: "$dev"
  workers: [1]
  main-lcore: 0
  exception-interface: $TAP
  addresses: ["$V4/24", "$V6/64"]
zones:
  - image: "$tmp/example.com.zwi"
  - image: "$tmp/example.net.zwi"
  - image: "$tmp/2.0.192.in-addr.arpa.zwi"
server:
  nsid: "$NSID"
tcp:
  idle-timeout: $IDLE_MS
transfer:
  - zone: "*"
    allow: ["$C4/32", "$C6/128"]
control:
  socket: "$tmp/control.sock"
  state-dir: "$tmp/state"
EOF
}

# --- checks ----------------------------------------------------------------

# dns TOOL SERVER DESCRIPTION QUERY... -- PATTERN...: the output of
# "TOOL +tcp @SERVER QUERY..." has a line matching each (grep -E) PATTERN,
# and says the answer came over TCP.
dns() {
	local tool=$1 server=$2 desc=$3 out
	shift 3
	local q=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		q+=("$1")
		shift
	done
	shift
	if [ "$tool" = dig ]; then
		out=$(in_cli timeout 10 dig +tcp +time=3 +tries=1 @"$server" "${q[@]}" 2>&1)
	else
		out=$(in_cli timeout 10 kdig +tcp +timeout=3 +retry=0 @"$server" "${q[@]}" 2>&1)
	fi
	local missing=()
	for e in "$@" '\(TCP\)'; do
		grep -Eq -- "$e" <<<"$out" || missing+=("$e")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		ok "$tool +tcp @$server $desc"
	else
		fail "$tool +tcp @$server $desc: no line matching ${missing[*]}"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

check_queries() {
	local s t
	for s in $V4 $V6; do
		for t in dig kdig; do
			dns $t "$s" "positive A" www.example.com A -- "status: NOERROR" \
				"^www\.example\.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.80"
			dns $t "$s" "MX with additional" example.com MX -- \
				"IN[[:space:]]+MX[[:space:]]+10 mail\.example\.com\." \
				"^mail\.example\.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+2001:db8::25"
			dns $t "$s" "NXDOMAIN" nosuch.example.com A -- "status: NXDOMAIN" \
				"IN[[:space:]]+SOA[[:space:]]+ns1\.example\.com\."
			dns $t "$s" "referral" www.sub.example.com A -- \
				"^sub\.example\.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns1\.sub\.example\.com\." \
				"^ns2\.sub\.example\.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+2001:db8::202"
			dns $t "$s" "NSID" +nsid www.example.com A -- "NSID: .*$NSID"
		done
		# one connection, three queries in turn
		local out n
		out=$(in_cli timeout 10 kdig +tcp +keepopen +timeout=3 +retry=0 @"$s" \
			www.example.com A mail.example.com AAAA nosuch.example.com A 2>&1)
		n=$(grep -c "@53(TCP)" <<<"$out")
		if [ "$n" = 3 ] && grep -q "192.0.2.80" <<<"$out" && grep -q "2001:db8::25" <<<"$out" &&
			grep -q "NXDOMAIN" <<<"$out"; then
			ok "kdig +tcp +keepopen @$s: three queries on one connection"
		else
			fail "kdig +tcp +keepopen @$s: $n answers over TCP"
			printf '%s\n' "$out" | sed 's/^/#   /'
		fi
	done
}

# client DESCRIPTION ARGS...: dnstcp.py ARGS succeeds.
client() {
	local desc=$1 out
	shift
	if out=$(in_cli timeout 30 "${dnstcp[@]}" "$@" 2>&1); then
		ok "$desc: $out"
	else
		fail "$desc: $out"
	fi
}

check_pipelining() {
	local s
	for s in $V4 $V6; do
		client "pipelined @$s" pipeline "$s" 100
		client "pipelined @$s" pipeline "$s" 1000
	done
}

check_keepalive() {
	local s out want=$((IDLE_MS / 100))
	for s in $V4 $V6; do
		out=$(in_cli timeout 10 "${dnstcp[@]}" keepalive "$s" 2>&1)
		if [ "$out" = "keepalive: TIMEOUT $want" ]; then
			ok "keepalive @$s: $out"
		else
			fail "keepalive @$s: expected TIMEOUT $want: $out"
		fi
		dns dig "$s" "+keepalive" +keepalive www.example.com A -- \
			"TCP KEEPALIVE: $((IDLE_MS / 1000))\.$(((IDLE_MS / 100) % 10)) secs"
	done
}

check_axfr() {
	local out
	out=$(in_cli timeout 20 dig +time=3 +tries=1 @$V4 example.com AXFR 2>&1)
	if grep -Eq "XFR size: [0-9]+ records" <<<"$out" &&
		[ "$(grep -Ec '^example\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA' <<<"$out")" = 2 ]; then
		ok "dig AXFR @$V4: $(grep -o 'XFR size: .*' <<<"$out")"
	else
		fail "dig AXFR @$V4"
		printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
	fi
	out=$(in_cli timeout 20 kdig +timeout=3 +retry=0 @$V6 example.net AXFR 2>&1)
	if grep -Eq "Received .* records" <<<"$out" &&
		[ "$(grep -Ec '^example\.net\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA' <<<"$out")" = 2 ]; then
		ok "kdig AXFR @$V6: $(grep -o 'Received .*records)' <<<"$out")"
	else
		fail "kdig AXFR @$V6"
		printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
	fi
}

# dig over TCP every 200 ms for $1 seconds; one line per answer.
dig_loop() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		in_cli dig +tcp +short +time=2 +tries=1 @$V4 www.example.com A 2>&1
		sleep 0.2
	done
}

check_bad_clients() {
	local s k
	for s in $V4 $V6; do
		for k in short zero response partial; do
			client "garbage @$s" garbage "$s" "$k"
		done
	done
	# stalled clients, while dig keeps asking
	dig_loop 4 >"$tmp/dig-loop.out" &
	local dl=$! t out
	for s in $V4 $V6; do
		out=$(in_cli timeout 10 "${dnstcp[@]}" stall "$s" 5 2>&1)
		t=$(sed -n 's/^stall: closed after \([0-9]*\) ms$/\1/p' <<<"$out")
		if [ -n "$t" ] && [ "$t" -ge $((IDLE_MS - 100)) ] && [ "$t" -le $((IDLE_MS + 1000)) ]; then
			ok "stalled client @$s closed at the idle timeout ($t ms, timeout $IDLE_MS ms)"
		else
			fail "stalled client @$s: $out"
		fi
	done
	wait "$dl"
	local total good
	total=$(wc -l <"$tmp/dig-loop.out")
	good=$(grep -cx "192.0.2.80" "$tmp/dig-loop.out")
	if [ "$total" -ge 5 ] && [ "$good" = "$total" ]; then
		ok "dig +tcp answered while clients stalled ($good of $total)"
	else
		fail "dig +tcp while clients stalled: $good of $total answered"
		sed 's/^/#   /' "$tmp/dig-loop.out" | head -10
	fi
}

# --- main ----------------------------------------------------------------

for z in "$src"/docs/examples/*.zone; do
	n=$(basename "$z" .zone)
	if ! "$compile" -q -z "$n" -o "$tmp/$n.zwi" "$z"; then
		echo "FAIL: cannot compile $z"
		exit 1
	fi
done
if ! net_up; then
	echo "FAIL: cannot create the namespaces and the veth pair"
	exit 1
fi
log=$tmp/zonewired.log
write_config "$tmp/zonewired.yaml"
ip netns exec "$SRV" "$zonewired" -c "$tmp/zonewired.yaml" >"$log" 2>&1 &
srv_pid=$!
wait_for 300 eval 'ready || ! alive'
if ! ready || ! alive; then
	fail "zonewired did not start"
	sed 's/^/#   /' "$log"
	echo "$pass passed, $failed failed"
	exit 1
fi
ok "zonewired ready ($wire)"
# the exception interface gets its addresses and neighbours a moment after
# shellcheck disable=SC2016 # expanded by eval
wait_for 50 eval 'in_cli dig +tcp +short +time=1 +tries=1 @$V4 www.example.com A | grep -q 192.0.2.80'

for step in check_queries check_pipelining check_keepalive check_axfr check_bad_clients; do
	if ! alive; then
		fail "zonewired is not running any more (before $step)"
		break
	fi
	$step
done
if alive; then ok "zonewired still running"; else fail "zonewired died"; fi
stop_server TERM
if [ "$srv_rc" = 0 ]; then ok "SIGTERM: exit status 0"; else fail "SIGTERM: exit status $srv_rc"; fi
if [ $failed -gt 0 ]; then
	echo "# zonewired log:"
	grep -v '^libbpf: elf: skipping' "$log" | tail -40 | sed 's/^/#   /'
fi
echo "$pass passed, $failed failed ($(($(date +%s) - t_start)) s)"
[ $failed -eq 0 ] && [ $pass -gt 0 ]
