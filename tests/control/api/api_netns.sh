#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end test of the control API and zonewirectl with the real
# zonewired, in network namespaces, with no NIC and no hugepages.
#
#   api_netns.sh ZONEWIRED ZONEWIRE_COMPILE ZONEWIRECTL
#
# Two namespaces joined by a veth pair: zonewired owns the server end
# (AF_XDP, or AF_PACKET with ZW_API_WIRE=af_packet), the client end is
# where queries come from. The control socket and the state directory are
# in a temporary directory.
#
#   1. zonewirectl status, zone-list and stats, for people and --json; the
#      socket's mode is 0660;
#   2. a zone pushed 1000 times (zonewirectl zone-load), alternating two
#      compiled versions A and B whose answer for www differs (three A
#      records and the TTL), while a bounded query load runs against www
#      from the client namespace: every answer must be exactly A's RRset
#      or B's, none missing (timeouts are counted and must be 0), none
#      mixed;
#   3. zonewired stopped with SIGTERM and started again on the same state
#      directory serves the version pushed last (B), not the configured one;
#   4. malformed control requests get errors and the server keeps running
#      and answering;
#   5. zonewirectl stop: the server exits 0 and removes its socket.
#
# Needs root, iproute2, ethtool, python3, timeout. Exit status: 0 all
# passed, 1 a check failed, 77 skipped. ZW_API_PUSHES sets the number of
# pushes (default 1000); ZW_NETNS_KEEP=1 keeps the temporary directory.
# Everything it creates (namespaces, veth pair, temporary directory, the
# processes it started) is removed on exit; servers are stopped by PID.
set -uo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 ZONEWIRED ZONEWIRE_COMPILE ZONEWIRECTL" >&2
	exit 2
fi
zonewired=$(realpath "$1")
compile=$(realpath "$2")
ctl=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
src=${ZW_SRCDIR:-$(cd "$here/../../.." && pwd)}
# shellcheck source=../../lib/netns.sh
. "$src/tests/lib/netns.sh"
tool="python3 $here/apitool.py"

if [ "$(id -u)" != 0 ]; then
	echo "api_netns: needs root (network namespaces), skipping"
	exit 77
fi
for t in ip ethtool python3 timeout stat; do
	if ! command -v "$t" >/dev/null; then
		echo "api_netns: $t not found, skipping"
		exit 77
	fi
done

wire=${ZW_API_WIRE:-af_xdp}
pushes=${ZW_API_PUSHES:-1000}
t_start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-api.XXXXXX")
tag=$(($$ % 100000))
SRV=zwa$tag-srv
CLI=zwa$tag-cli
VC=zwac$tag
VS=zwas$tag
TAP=zwax$tag
SMAC=02:00:00:00:54:01
CMAC=02:00:00:00:54:02
V4=192.0.2.1 V6=fd00:53::1
C4=192.0.2.2 C6=fd00:53::2
sock=$tmp/run/control.sock
state=$tmp/state
conf=$tmp/zonewired.yaml
srv_pid=
log=
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

zctl() { timeout 60 "$ctl" -s "$sock" "$@"; }

# --- zones ---------------------------------------------------------------

# The zone pushed back and forth: versions A and B differ in www's A RRset
# (three addresses each) and its TTL, and in the serial.
A_SET="300:192.0.2.11,192.0.2.12,192.0.2.13"
B_SET="600:192.0.2.21,192.0.2.22,192.0.2.23"

write_zone() { # FILE SERIAL TTL A1 A2 A3
	cat >"$1" <<EOF
\$ORIGIN api.example.
\$TTL 300
@    SOA ns1.api.example. hostmaster.api.example. $2 3600 900 604800 300
     NS  ns1.api.example.
ns1  A   192.0.2.53
www  $3 A $4
www  $3 A $5
www  $3 A $6
EOF
}

make_zones() {
	write_zone "$tmp/api-a.zone" 1001 300 192.0.2.11 192.0.2.12 192.0.2.13
	write_zone "$tmp/api-b.zone" 1002 600 192.0.2.21 192.0.2.22 192.0.2.23
	"$compile" -q -z api.example -o "$tmp/api-a.zwi" "$tmp/api-a.zone" &&
		"$compile" -q -z api.example -o "$tmp/api-b.zwi" "$tmp/api-b.zone" &&
		"$compile" -q -z example.com -o "$tmp/example.com.zwi" \
			"$src/docs/examples/example.com.zone"
}

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
	in_srv sysctl -qw "net.ipv6.conf.$VS.disable_ipv6=1"
	# af_packet does not steal frames: keep the server's kernel off them
	[ "$wire" = af_packet ] && in_srv sysctl -qw "net.ipv4.conf.$VS.rp_filter=1"
	ip -n "$CLI" link set "$VC" up && ip -n "$SRV" link set "$VS" up
}

write_config() {
	local dev
	if [ "$wire" = af_xdp ]; then
		dev="net_af_xdp0,iface=$VS,start_queue=0,queue_count=1"
	else
		dev="net_af_packet0,iface=$VS"
	fi
	cat >"$conf" <<EOF
# written by api_netns.sh
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
  - image: "$tmp/api-a.zwi"
control:
  socket: "$sock"
  state-dir: "$state"
EOF
}


# start_server LOG: starts zonewired in the server namespace, waits (30 s
# at most) until it is ready.
start_server() {
	log=$1
	ip netns exec "$SRV" "$zonewired" -c "$conf" >"$log" 2>&1 &
	srv_pid=$!
	wait_for 300 eval 'ready || ! alive'
	if ready && alive; then
		return 0
	fi
	sed 's/^/#   /' "$log"
	return 1
}

# --- checks --------------------------------------------------------------

# json_check DESCRIPTION FILE EXPR
json_check() {
	check "$1" $tool json "$2" "$3"
}

check_commands() {
	local out
	check "control socket has mode 0660" [ "$(stat -c %a "$sock")" = 660 ]
	out=$(zctl status 2>&1)
	check "zonewirectl status" eval 'grep -q "^zones  *2$" <<<"$out" && grep -q "^table version  *[0-9]" <<<"$out"'
	printf '%s\n' "$out" | sed 's/^/#   /'
	zctl --json status >"$tmp/status.json" 2>&1
	json_check "zonewirectl --json status: 2 zones, 1 worker, version, pid" "$tmp/status.json" \
		"r['ok'] and r['zones'] == 2 and r['workers'] == 1 and r['pid'] == $srv_pid and r['table_version'] >= 1 and r['version']"
	out=$(zctl zone-list 2>&1)
	check "zonewirectl zone-list: a header and two configured zones" \
		eval 'grep -q "^ZONE  *SERIAL  *SOURCE  *RECORDS  *LOADED  *CHECKSUM  *IMAGE$" <<<"$out" &&
			grep -q "^api.example.  *1001  *config  *[0-9]" <<<"$out" &&
			grep -q "^example.com.  *2026112101  *config " <<<"$out"'
	printf '%s\n' "$out" | sed 's/^/#   /'
	zctl --json zone-list >"$tmp/list.json" 2>&1
	json_check "zonewirectl --json zone-list" "$tmp/list.json" \
		"r['ok'] and sorted(z['name'] for z in r['zones']) == ['api.example.', 'example.com.'] and all(len(z['checksum']) == 16 and z['loaded_at'].endswith('Z') for z in r['zones'])"
	# a TCP query, so that the TCP counters move
	if command -v kdig >/dev/null; then
		in_cli timeout 10 kdig +tcp +timeout=2 +retry=0 @$V4 www.example.com A >/dev/null 2>&1
	fi
	out=$(zctl stats 2>&1)
	check "zonewirectl stats: UDP, TCP, transfer and control sections" \
		eval 'grep -q "^UDP (workers)$" <<<"$out" && grep -q "^TCP$" <<<"$out" &&
			grep -q "^zone transfers$" <<<"$out" && grep -q "^control API$" <<<"$out"'
	printf '%s\n' "$out" | sed 's/^/#   /'
	zctl --json stats >"$tmp/stats.json" 2>&1
	json_check "zonewirectl --json stats: counters of every module" "$tmp/stats.json" \
		"r['ok'] and r['udp']['workers'] == 1 and r['udp']['rx'] >= 0 and 'accepted' in r['tcp'] and 'started' in r['xfr'] and r['control']['requests'] >= 1"
	if command -v kdig >/dev/null; then
		json_check "TCP counters: the TCP query was counted" "$tmp/stats.json" \
			"r['tcp']['queries'] >= 1"
	fi
}

check_push_under_load() {
	local stop=$tmp/load.stop
	rm -f "$stop"
	# A is served now (configured)
	in_cli timeout 20 $tool load $V4 www.api.example --version "A:$A_SET" --version "B:$B_SET" \
		--max-seconds 1 >"$tmp/before.json"
	json_check "before the pushes: www answers version A" "$tmp/before.json" \
		"r['answered'] > 0 and r['versions']['A'] == r['answered'] and r['timeouts'] == 0"

	in_cli timeout 900 $tool load $V4 www.api.example --version "A:$A_SET" --version "B:$B_SET" \
		--stop-file "$stop" --max-seconds 600 --window 8 >"$tmp/load.json" 2>"$tmp/load.err" &
	local lp=$!
	sleep 1
	local i bad=0 t0=$SECONDS img
	for ((i = 1; i <= pushes; i++)); do
		# odd pushes A, even ones B: the last one (1000) is B
		if ((i % 2)); then img=$tmp/api-a.zwi; else img=$tmp/api-b.zwi; fi
		if ! zctl zone-load "$img" >"$tmp/push.out" 2>&1; then
			bad=$((bad + 1))
			[ $bad -le 3 ] && sed "s/^/#   push $i: /" "$tmp/push.out"
		fi
		alive || break
	done
	local took=$((SECONDS - t0))
	sleep 1
	touch "$stop"
	wait_for 600 eval '! kill -0 $lp 2>/dev/null'
	wait "$lp"
	check "$pushes pushes with zonewirectl zone-load in ${took}s: $bad failed" \
		eval '[ $i -gt $pushes ] && [ $bad = 0 ]'
	echo "# query load: $(cat "$tmp/load.json")"
	json_check "during the pushes: every answer is A's or B's whole RRset, both seen, none mixed" \
		"$tmp/load.json" "r['answered'] > 0 and r['other'] == 0 and r['versions']['A'] > 0 and r['versions']['B'] > 0"
	json_check "during the pushes: no query lost (timeouts 0)" "$tmp/load.json" \
		"r['timeouts'] == 0 and r['answered'] == r['sent']"
	in_cli timeout 20 $tool load $V4 www.api.example --version "A:$A_SET" --version "B:$B_SET" \
		--max-seconds 1 >"$tmp/after.json"
	json_check "after the pushes: www answers version B" "$tmp/after.json" \
		"r['answered'] > 0 and r['versions']['B'] == r['answered']"
	zctl --json zone-list >"$tmp/list2.json" 2>&1
	json_check "zone-list: api.example. pushed, serial 1002, stored in the state directory" \
		"$tmp/list2.json" \
		"[(z['source'], z['serial'], z['image']) for z in r['zones'] if z['name'] == 'api.example.'] == [('pushed', 1002, '$state/zones/api.example.zwi')]"
	check "the state directory holds the last version" cmp -s "$tmp/api-b.zwi" "$state/zones/api.example.zwi"
	check "no temporary files left in the state directory" \
		eval '[ "$(ls -A "$state/zones")" = api.example.zwi ]'
	zctl --json status >"$tmp/status2.json" 2>&1
	json_check "status: the table version counts the pushes" "$tmp/status2.json" \
		"r['table_version'] >= $pushes"
	# a corrupted image is refused and B keeps serving
	head -c 300 "$tmp/api-a.zwi" >"$tmp/api-bad.zwi"
	local out
	out=$(zctl zone-load "$tmp/api-bad.zwi" 2>&1)
	local rc=$?
	check "zone-load of a truncated image: exit $rc, says: $out" \
		eval '[ $rc = 1 ] && grep -q "api-bad.zwi" <<<"$out"'
	in_cli timeout 20 $tool load $V4 www.api.example --version "A:$A_SET" --version "B:$B_SET" \
		--max-seconds 1 >"$tmp/after-bad.json"
	json_check "after the refused image: www still answers version B" "$tmp/after-bad.json" \
		"r['answered'] > 0 and r['versions']['B'] == r['answered']"
}

check_restart() {
	stop_server TERM
	check "SIGTERM: exit status $srv_rc" [ "$srv_rc" = 0 ]
	check "SIGTERM: the control socket is removed" [ ! -e "$sock" ]
	if ! start_server "$tmp/zonewired-2.log"; then
		fail "zonewired did not start again"
		return 1
	fi
	ok "zonewired started again on the same state directory"
	in_cli timeout 20 $tool load $V4 www.api.example --version "A:$A_SET" --version "B:$B_SET" \
		--max-seconds 1 >"$tmp/restart.json"
	json_check "after the restart: www answers the version pushed last (B)" "$tmp/restart.json" \
		"r['answered'] > 0 and r['versions']['B'] == r['answered']"
	zctl --json zone-list >"$tmp/list3.json" 2>&1
	json_check "after the restart: zone-list says api.example. is pushed, serial 1002" \
		"$tmp/list3.json" \
		"[(z['source'], z['serial']) for z in r['zones'] if z['name'] == 'api.example.'] == [('pushed', 1002)]"
}

check_malformed() {
	local out
	out=$($tool ctl "$sock" "$tmp/api-a.zone" 2>&1)
	local rc=$?
	printf '%s\n' "$out" | sed 's/^/#   /'
	check "malformed control requests: each gets an error ($(grep -c '^ok' <<<"$out") checks)" \
		[ $rc = 0 ]
	if command -v socat >/dev/null; then
		out=$(printf '{"cmd":"status"\n{"cmd":"status"}\n' | timeout 10 socat -t 5 - "UNIX-CONNECT:$sock" 2>&1)
		check "socat: a bad line then a good one on one connection" \
			eval '[ "$(sed -n 1p <<<"$out" | grep -c "\"ok\":false")" = 1 ] &&
				[ "$(sed -n 2p <<<"$out" | grep -c "\"ok\":true")" = 1 ]'
	fi
	check "zonewired still running after the malformed requests" alive
	out=$(zctl status 2>&1)
	check "zonewirectl status after the malformed requests" eval 'grep -q "^zones  *2$" <<<"$out"'
	in_cli timeout 20 $tool load $V4 www.api.example --version "A:$A_SET" --version "B:$B_SET" \
		--max-seconds 1 >"$tmp/after-malformed.json"
	json_check "queries still answered after the malformed requests" "$tmp/after-malformed.json" \
		"r['answered'] > 0 and r['versions']['B'] == r['answered']"
}

check_stop() {
	local out rc
	out=$(zctl stop 2>&1)
	rc=$?
	check "zonewirectl stop: exit $rc ($out)" [ $rc = 0 ]
	check "zonewired exits after stop" wait_for 150 eval '! kill -0 "$srv_pid" 2>/dev/null'
	wait "$srv_pid" 2>/dev/null
	rc=$?
	srv_pid=
	check "zonewired exit status after stop: $rc" [ $rc = 0 ]
	check "the control socket is removed after stop" [ ! -e "$sock" ]
	out=$(zctl status 2>&1)
	rc=$?
	check "zonewirectl with no server: exit $rc, says: $out" \
		eval '[ $rc = 3 ] && grep -q "cannot connect" <<<"$out"'
}

# --- main ----------------------------------------------------------------

if ! make_zones; then
	echo "FAIL: cannot compile the zones"
	exit 1
fi
if ! net_up; then
	echo "FAIL: cannot create the namespaces and the veth pair"
	exit 1
fi
write_config
if ! start_server "$tmp/zonewired-1.log"; then
	fail "zonewired did not start"
else
	ok "zonewired ready ($wire)"
	for step in check_commands check_push_under_load check_restart check_malformed check_stop; do
		if ! alive; then
			fail "zonewired is not running any more (before $step)"
			break
		fi
		$step
	done
fi
if [ $failed -gt 0 ]; then
	for l in "$tmp"/zonewired-*.log; do
		echo "# $l:"
		grep -v '^libbpf: elf: skipping' "$l" | grep -v 'control: zone api.example. serial' |
			tail -30 | sed 's/^/#   /'
	done
fi
echo "$pass passed, $failed failed ($(($(date +%s) - t_start)) s)"
[ $failed -eq 0 ] && [ $pass -gt 0 ]
