#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end test of zonewired in network namespaces, with no NIC and no
# hugepages.
#
#   zonewired_netns.sh ZONEWIRED ZONEWIRE_COMPILE
#
# Two namespaces joined by a veth pair: the server end is zonewired's wire
# port, the client end is where dig, kdig, ping, socat, dnsperf and a raw
# frame tool (zwframe.py) run. zonewired creates the exception interface
# (a TAP) in the server namespace itself. The whole set runs twice, once
# with net_af_xdp and once with net_af_packet as the wire, each over IPv4
# and IPv6:
#
#   1. answers: positive A/AAAA, MX with additional, NXDOMAIN with SOA,
#      referral with glue, CHAOS version.bind, NSID (dig and kdig);
#   2. ARP and ND through the exception path (no static neighbours), ping;
#   3. TCP to a kernel listener on the service address (socat echo of
#      1 MiB), and DNS over TCP when zonewired listens on port 53;
#   4. 802.1Q: a served VLAN is answered, tagged; another one is not (the
#      tagged queries are raw frames: the kernel may have no VLAN devices);
#   5. malformed frames are counted by reason and break nothing; a seeded
#      fuzz of mutated queries follows;
#   6. a zone image swapped with SIGHUP while queries run: none lost, each
#      answer the old or the new one, the new one afterwards;
#   7. SIGTERM exits 0 and leaves no TAP and no XDP program; broken
#      configurations exit non-zero with a clear message and clean up.
#
# Needs root, iproute2, ethtool, dig, kdig, socat, ping, python3; dnsperf
# is used when present. Exit status: 0 all passed, 1 a check failed, 77
# skipped (not root or a tool missing). Set ZW_NETNS_WIRES to run one wire
# only ("af_xdp" or "af_packet") and ZW_NETNS_KEEP=1 to keep the temporary
# directory. Everything it creates (namespaces, veth pairs, the temporary
# directory, the processes it started) is removed on exit.
set -uo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 ZONEWIRED ZONEWIRE_COMPILE" >&2
	exit 2
fi
src=${ZW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../../lib/netns.sh
. "$src/tests/lib/netns.sh"
here=$src/tests/integration
frame="python3 -B $here/zwframe.py"

if [ "$(id -u)" != 0 ]; then
	echo "zonewired_netns: needs root (network namespaces), skipping"
	exit 77
fi
for t in ip ethtool dig kdig socat ping python3 timeout ss cmp; do
	if ! command -v "$t" >/dev/null; then
		echo "zonewired_netns: $t not found, skipping"
		exit 77
	fi
done
have_dnsperf=0
command -v dnsperf >/dev/null && have_dnsperf=1
# client load generators stay off the worker's CPU (lcore 1)
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

t_start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-netns.XXXXXX")
# private copies: a rebuild during the run does not pull the binary away
mkdir -p "$tmp/bin" "$tmp/state"
cp "$1" "$tmp/bin/zonewired" && cp "$2" "$tmp/bin/zonewire-compile" || {
	echo "zonewired_netns: cannot copy $1 and $2" >&2
	rm -rf "$tmp"
	exit 1
}
zonewired=$tmp/bin/zonewired
compile=$tmp/bin/zonewire-compile
tag=$(($$ % 100000))
SRV=zwt$tag-srv
CLI=zwt$tag-cli
VC=zwc$tag            # client end of the veth
VS=zws$tag            # server end: zonewired's wire
TAP=zwx$tag           # the exception interface zonewired creates
SMAC=02:00:00:00:53:01
CMAC=02:00:00:00:53:02
V4=192.0.2.1 V6=fd00:53::1
C4=192.0.2.2 C6=fd00:53::2
R4=192.0.2.102 R6=fd00:53::102 # the raw tool's addresses, not on any interface
NSID=zw-test-nsid
VERSION=zonewire-test
srv_pid=
pass=0 failed=0
wire=

cleanup() {
	stop_server KILL
	# background helpers not waited for yet (each is bounded by timeout)
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


# --- topology ------------------------------------------------------------

net_up() {
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	ip netns add "$SRV" && ip netns add "$CLI" &&
		ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV" || return 1
	ip -n "$CLI" link set lo up
	ip -n "$SRV" link set lo up
	ip -n "$SRV" link set "$VS" address $SMAC
	ip -n "$CLI" link set "$VC" address $CMAC
	ip -n "$CLI" addr add $C4/24 dev "$VC"
	ip -n "$CLI" addr add $C6/64 dev "$VC" nodad
	# P1: a veth leaves checksums to a peer that does not compute them
	in_cli ethtool -K "$VC" tx off >/dev/null
	# P4: the wire must not have IPv6 (its link-local would be the TAP's)
	in_srv sysctl -qw "net.ipv6.conf.$VS.disable_ipv6=1"
	# P3: af_packet does not steal frames; keep the server's kernel off them
	[ "$wire" = af_packet ] && in_srv sysctl -qw "net.ipv4.conf.$VS.rp_filter=1"
	ip -n "$CLI" link set "$VC" up && ip -n "$SRV" link set "$VS" up
}

net_down() {
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	return 0
}

# write_config FILE [DEVICE [ZONE_IMAGE_OVERRIDE]]
write_config() {
	local dev=${2:-}
	if [ -z "$dev" ]; then
		if [ "$wire" = af_xdp ]; then
			dev="net_af_xdp0,iface=$VS,start_queue=0,queue_count=1"
		else
			dev="net_af_packet0,iface=$VS"
		fi
	fi
	cat >"$1" <<EOF
# written by zonewired_netns.sh ($wire)
dataplane:
  eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
        "--log-level=3"]
  ports:
    - device: "$dev"
  workers: [1]
  main-lcore: 0
  exception-interface: $TAP
  vlans: [100]
  addresses: ["$V4/24", "$V6/64"]
zones:
  - image: "$tmp/example.com.zwi"
  - image: "$tmp/example.net.zwi"
  - image: "$tmp/2.0.192.in-addr.arpa.zwi"
  - image: "${3:-$tmp/swap.example.zwi}"
server:
  nsid: "$NSID"
  id-server: "zw-test"
  version-bind: "$VERSION"
control:
  socket: "$tmp/control.sock"
  state-dir: "$tmp/state"
  pid-file: "$tmp/zonewired.pid"
EOF
}

# start_server CONFIG LOG: starts zonewired in the server namespace.
start_server() {
	: >"$2"
	ip netns exec "$SRV" "$zonewired" -c "$1" >"$2" 2>&1 &
	srv_pid=$!
}


# --- statistics ----------------------------------------------------------

# Asks for statistics (SIGUSR1) and waits for them; leaves the three
# summary lines in $tmp/stats.
snapshot() {
	local n
	n=$(grep -c '^stats: drops' "$log")
	kill -USR1 "$srv_pid" 2>/dev/null || return 1
	wait_for 50 eval '[ "$(grep -c "^stats: drops" "$log")" -gt "$n" ]' || return 1
	grep '^stats: \(rx\|answers\|drops\)' "$log" | tail -3 >"$tmp/stats"
}

# counter KEY: the number after KEY in the last snapshot (0 if absent).
counter() {
	awk -v k="$1" '{ for (i = 2; i < NF; i++) if ($i == k) v = $(i + 1) }
		END { print v + 0 }' "$tmp/stats"
}

# --- DNS checks ----------------------------------------------------------

# Normalises dig or kdig output to "SECTION|rr" lines with single spaces,
# plus STATUS|, AA|yes/no and NSID| lines.
normalise() {
	awk '
	/->>HEADER<<-/ { if (match($0, /status: [A-Z]+/)) print "STATUS|" substr($0, RSTART + 8, RLENGTH - 8) }
	tolower($0) ~ /^;; flags:/ {
		f = $0; sub(/^;; [Ff]lags: */, "", f); sub(/;.*/, "", f)
		print (" " f " " ~ / aa /) ? "AA|yes" : "AA|no"
	}
	/NSID: / { if (match($0, /"[^"]*"/)) print "NSID|" substr($0, RSTART + 1, RLENGTH - 2) }
	/^;; [A-Z]+ SECTION:/ { sec = $2; next }
	/^;/ || NF == 0 { next }
	sec != "" { $1 = $1; print sec "|" $0 }'
}

# dns TOOL SERVER DESCRIPTION QUERY -- EXPECTATION...
# An expectation is a line of the normalised output, or "!SECTION" for an
# empty section.
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
		out=$(in_cli dig +time=2 +tries=1 @"$server" "${q[@]}" 2>&1)
	else
		out=$(in_cli kdig +timeout=2 +retry=0 @"$server" "${q[@]}" 2>&1)
	fi
	local norm missing=()
	norm=$(printf '%s\n' "$out" | normalise)
	for e in "$@"; do
		if [ "${e:0:1}" = "!" ]; then
			grep -q "^${e:1}|" <<<"$norm" && missing+=("$e")
		else
			grep -Fxq -- "$e" <<<"$norm" || missing+=("$e")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		ok "$tool @$server $desc"
	else
		fail "$tool @$server $desc: expected ${missing[*]}"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

check_answers() {
	local s t
	for s in $V4 $V6; do
		for t in dig kdig; do
			dns $t $s "positive A" www.example.com A -- "STATUS|NOERROR" "AA|yes" \
				"ANSWER|www.example.com. 3600 IN A 192.0.2.80"
			dns $t $s "positive AAAA" www.example.com AAAA -- "STATUS|NOERROR" "AA|yes" \
				"ANSWER|www.example.com. 3600 IN AAAA 2001:db8::80"
			dns $t $s "MX with additional" example.com MX -- "STATUS|NOERROR" \
				"ANSWER|example.com. 3600 IN MX 10 mail.example.com." \
				"ADDITIONAL|mail.example.com. 3600 IN A 192.0.2.25" \
				"ADDITIONAL|mail.example.com. 3600 IN AAAA 2001:db8::25"
			dns $t $s "NXDOMAIN with SOA" nosuch.example.com A -- "STATUS|NXDOMAIN" \
				"AA|yes" "!ANSWER" \
				"AUTHORITY|example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2026112101 7200 3600 1209600 300"
			dns $t $s "referral with glue" www.sub.example.com A -- "STATUS|NOERROR" \
				"AA|no" "!ANSWER" \
				"AUTHORITY|sub.example.com. 3600 IN NS ns1.sub.example.com." \
				"AUTHORITY|sub.example.com. 3600 IN NS ns2.sub.example.com." \
				"ADDITIONAL|ns1.sub.example.com. 3600 IN A 192.0.2.201" \
				"ADDITIONAL|ns2.sub.example.com. 3600 IN A 192.0.2.202" \
				"ADDITIONAL|ns2.sub.example.com. 3600 IN AAAA 2001:db8::202"
			dns $t $s "CHAOS version.bind" version.bind TXT CH -- "STATUS|NOERROR" \
				"ANSWER|version.bind. 0 CH TXT \"$VERSION\""
			dns $t $s "NSID" +nsid www.example.com A -- "STATUS|NOERROR" "NSID|$NSID"
		done
	done
}

# --- exception path ------------------------------------------------------

check_neighbours() {
	check "no static neighbour entries in the client" \
		eval '[ -z "$(ip -n "$CLI" neigh show nud permanent)" ]'
	local out
	out=$(in_cli ping -c 3 -i 0.2 -W 2 $V4 2>&1)
	if grep -q " 0% packet loss" <<<"$out"; then ok "ping $V4"; else fail "ping $V4: $out"; fi
	out=$(in_cli ping -6 -c 3 -i 0.2 -W 2 $V6 2>&1)
	if grep -q " 0% packet loss" <<<"$out"; then ok "ping -6 $V6"; else fail "ping -6 $V6: $out"; fi
	for a in $V4 $V6; do
		out=$(ip -n "$CLI" neigh show "$a" dev "$VC")
		if grep -q "lladdr $SMAC" <<<"$out" && ! grep -q PERMANENT <<<"$out"; then
			ok "neighbour $a learnt ($(awk '{ print $3, $NF }' <<<"$out"))"
		else
			fail "neighbour $a: '$out'"
		fi
	done
}

# TCP to the service address goes to the kernel: a socat echo server in
# the server namespace returns 1 MiB. Port 53 is zonewired's own when it
# serves DNS over TCP: then dig +tcp and kdig +tcp are asked as well.
TCP_PORT=8053

check_tcp() {
	local fam addr laddr
	head -c 1048576 /dev/urandom >"$tmp/blob"
	for fam in 4 6; do
		if [ $fam = 4 ]; then addr=$V4 laddr=$V4; else addr="[$V6]" laddr="[$V6]"; fi
		rm -f "$tmp/tcp.out"
		in_srv timeout 20 socat -T 10 TCP$fam-LISTEN:$TCP_PORT,bind=$laddr,reuseaddr EXEC:cat \
			>"$tmp/socat-srv.log" 2>&1 &
		local sp=$!
		if ! wait_for 50 eval 'in_srv ss -Hltn "sport = :$TCP_PORT" | grep . >/dev/null'; then
			fail "TCP/IPv$fam: the listener did not start"
			kill "$sp" 2>/dev/null
			continue
		fi
		in_cli timeout 20 socat -t 5 -T 10 - TCP$fam:$addr:$TCP_PORT <"$tmp/blob" >"$tmp/tcp.out" 2>"$tmp/socat-cli.log"
		local rc=$?
		wait_for 50 eval '! kill -0 $sp 2>/dev/null' || kill "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
		if [ $rc = 0 ] && cmp -s "$tmp/blob" "$tmp/tcp.out"; then
			ok "TCP/IPv$fam to $addr:$TCP_PORT (kernel listener): 1 MiB echoed"
		else
			fail "TCP/IPv$fam to $addr:$TCP_PORT: socat $rc, $(wc -c <"$tmp/tcp.out" 2>/dev/null) bytes back; $(cat "$tmp/socat-cli.log")"
		fi
	done
	if in_srv ss -Hltnp "sport = :53" | grep '"zonewired"' >/dev/null; then
		dns dig $V4 "over TCP" +tcp www.example.com A -- "STATUS|NOERROR" \
			"ANSWER|www.example.com. 3600 IN A 192.0.2.80"
		dns kdig $V6 "over TCP" +tcp www.example.com AAAA -- "STATUS|NOERROR" \
			"ANSWER|www.example.com. 3600 IN AAAA 2001:db8::80"
	else
		echo "# zonewired does not listen on TCP port 53: no DNS over TCP checks"
	fi
}

# --- VLANs ---------------------------------------------------------------

check_vlans() {
	local out
	out=$(in_cli $frame query "$VC" $SMAC $R4 $V4 www.example.com 2>&1)
	check "untagged raw query answered untagged ($out)" \
		[ "$out" = "reply vlan=none rcode=0 answers=192.0.2.80" ]
	out=$(in_cli $frame query "$VC" $SMAC $R4 $V4 www.example.com --vlan 100 2>&1)
	check "VLAN 100 IPv4 query answered on VLAN 100 ($out)" \
		[ "$out" = "reply vlan=100 rcode=0 answers=192.0.2.80" ]
	out=$(in_cli $frame query "$VC" $SMAC $R6 $V6 www.example.com --vlan 100 --qtype AAAA 2>&1)
	check "VLAN 100 IPv6 query answered on VLAN 100 ($out)" \
		[ "$out" = "reply vlan=100 rcode=0 answers=2001:db8::80" ]
	snapshot || fail "no statistics"
	local tx0 exc0
	tx0=$(counter tx) exc0=$(counter to_kernel)
	out=$(in_cli $frame query "$VC" $SMAC $R4 $V4 www.example.com --vlan 200 --timeout 1 2>&1)
	check "VLAN 200 (not configured) IPv4 query not answered ($out)" [ "$out" = noreply ]
	out=$(in_cli $frame query "$VC" $SMAC $R6 $V6 www.example.com --vlan 200 --timeout 1 2>&1)
	check "VLAN 200 (not configured) IPv6 query not answered ($out)" [ "$out" = noreply ]
	snapshot || fail "no statistics"
	check "VLAN 200 queries went to the kernel, not the fast path (tx +$(($(counter tx) - tx0)), to_kernel +$(($(counter to_kernel) - exc0)))" \
		eval '[ "$(counter tx)" = "$tx0" ] && [ "$(counter to_kernel)" -ge $((exc0 + 2)) ]'
}

# --- malformed frames ----------------------------------------------------

# total CLASS: how many frames of CLASS zwframe.py says it sent ($tot).
total() {
	local v
	v=$(tr ' ' '\n' <<<"$tot" | sed -n "s/^$1=//p")
	echo "${v:-0}"
}

check_malformed() {
	snapshot || { fail "no statistics before the malformed frames"; return; }
	local s0 c0 q0 f0 k0 out
	s0=$(counter drop_short) c0=$(counter drop_checksum) q0=$(counter drop_query) f0=$(counter formerr)
	k0=$(counter to_kernel)
	out=$(in_cli $frame malformed "$VC" $SMAC $R4 $V4 $R6 $V6 --copies 3 2>&1)
	printf '%s\n' "$out" | sed 's/^/#   /'
	tot=$(grep '^totals' <<<"$out")
	sleep 0.3
	snapshot || { fail "no statistics after the malformed frames"; return; }
	check "worker alive after malformed frames" alive
	local ds=$(($(counter drop_short) - s0)) dc=$(($(counter drop_checksum) - c0))
	local dq=$(($(counter drop_query) - q0)) df=$(($(counter formerr) - f0)) dk=$(($(counter to_kernel) - k0))
	local es ex er ec eq ef ek
	es=$(total short) ex=$(total short_xdp) er=$(total runt) ec=$(total checksum)
	eq=$(total query) ef=$(total formerr) ek=$(total kernel)
	# af_packet: the kernel frees a frame with a cut VLAN tag before the
	# PMD's socket sees it; af_xdp sees every frame
	[ "$wire" = af_xdp ] && es=$((es + ex))
	# runts: a veth does not take frames shorter than an Ethernet header
	# (EINVAL); if a kernel ever sends them, they may reach the server
	if [ "$er" = 0 ]; then
		check "drop_short rose by $ds (expected $es; runts refused by the client kernel)" \
			[ "$ds" -eq "$es" ]
	else
		check "drop_short rose by $ds (expected $es to $((es + er)))" \
			eval '[ "$ds" -ge "$es" ] && [ "$ds" -le $((es + er)) ]'
	fi
	check "drop_checksum rose by $dc (expected $ec)" [ "$dc" -eq "$ec" ]
	check "drop_query rose by $dq (expected $eq)" [ "$dq" -eq "$eq" ]
	check "FORMERR answers rose by $df (expected $ef)" [ "$df" -eq "$ef" ]
	check "responses to port 53 went to the kernel (to_kernel +$dk, at least $ek)" [ "$dk" -ge "$ek" ]

	out=$(in_cli timeout 60 $frame fuzz "$VC" $SMAC $R4 $V4 $R6 $V6 --count 3000 --seed 53 2>&1)
	check "fuzz: $out" grep -q '^fuzz sent 3000 ' <<<"$out"
	sleep 0.3
	if snapshot; then
		ok "statistics after the fuzz: $(sed -n 's/^stats: drops //p' "$tmp/stats")"
	else
		fail "no statistics after the fuzz"
	fi
	check "worker alive after the fuzz" alive
	dns dig $V4 "answers after malformed frames" www.example.com A -- \
		"ANSWER|www.example.com. 3600 IN A 192.0.2.80"
	dns kdig $V6 "answers after malformed frames" www.example.com AAAA -- \
		"ANSWER|www.example.com. 3600 IN AAAA 2001:db8::80"
}

# --- zone swap under load ------------------------------------------------

OLD=192.0.2.11 NEW=192.0.2.22
SERVING='zonewired: serving [0-9]+ zone'

# Batches of 200 dig queries in one process each until at least 2000 were
# sent and 3 s have passed (at most 40 batches).
# Queries in batches of 200 until the swap is done and a whole batch has
# gone after it ($tmp/swapped), at least 2,000 and 3 s; at most 150
# batches and 20 s.
dig_loop() {
	local args=() n=0 t0=$SECONDS after=0
	for ((i = 0; i < 200; i++)); do args+=(www.swap.example A); done
	for ((b = 0; b < 150; b++)); do
		in_cli dig +short +time=1 +tries=1 @$V4 "${args[@]}" 2>&1
		n=$((n + 200))
		[ -e "$tmp/swapped" ] && after=$((after + 1))
		[ $((SECONDS - t0)) -ge 20 ] && break
		[ $n -ge 2000 ] && [ $((SECONDS - t0)) -ge 3 ] && [ $after -ge 2 ] && break
	done
}

check_swap() {
	dns dig $V4 "swap zone before the swap" www.swap.example A -- "ANSWER|www.swap.example. 300 IN A $OLD"

	local dp=
	if [ $have_dnsperf = 1 ]; then
		for ((i = 0; i < 50; i++)); do echo "www.swap.example A"; done >"$tmp/swap.queries"
		in_cli timeout 30 "${pin[@]}" dnsperf -s $V6 -d "$tmp/swap.queries" -l 5 -Q 4000 -t 2 \
			>"$tmp/dnsperf.out" 2>&1 &
		dp=$!
	fi
	rm -f "$tmp/swapped"
	dig_loop >"$tmp/swap.dig" &
	local dl=$!
	sleep 1.2
	local hups
	# shellcheck disable=SC2034 # used in eval
	hups=$(grep -cE "$SERVING" "$log")
	"$compile" -q -z swap.example -o "$tmp/swap.example.zwi.tmp" "$here/zones/swap.example.v2.zone" &&
		mv -f "$tmp/swap.example.zwi.tmp" "$tmp/swap.example.zwi"
	kill -HUP "$srv_pid"
	wait_for 50 eval '[ "$(grep -cE "$SERVING" "$log")" -gt $hups ]'
	touch "$tmp/swapped"
	wait "$dl"
	[ -n "$dp" ] && wait "$dp"

	check "SIGHUP reloaded the zones ($(grep -E "$SERVING" "$log" | tail -1 | sed 's/.*zonewired: //'))" \
		eval '[ "$(grep -cE "$SERVING" "$log")" -gt $hups ]'
	local total old new other
	total=$(wc -l <"$tmp/swap.dig")
	old=$(grep -cx "$OLD" "$tmp/swap.dig")
	new=$(grep -cx "$NEW" "$tmp/swap.dig")
	other=$((total - old - new))
	check "dig during the swap: $total answers, $old old, $new new, $other timeouts or others" \
		eval '[ $total -ge 2000 ] && [ $other -eq 0 ] && [ $old -gt 0 ] && [ $new -gt 0 ]'
	[ $other -eq 0 ] || grep -vx -e "$OLD" -e "$NEW" "$tmp/swap.dig" | sort | uniq -c | head -5 | sed 's/^/#   /'
	check "no old answer after the first new one (one worker: swaps are ordered)" \
		awk -v o=$OLD -v n=$NEW '$0 == n { s = 1 } s && $0 == o { exit 1 }' "$tmp/swap.dig"
	if [ -n "$dp" ]; then
		local sent lost
		sent=$(sed -n 's/^ *Queries sent: *\([0-9]*\).*/\1/p' "$tmp/dnsperf.out")
		lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$tmp/dnsperf.out")
		check "dnsperf over IPv6 during the swap: ${sent:-?} sent, ${lost:-?} lost" \
			eval '[ "${sent:-0}" -gt 0 ] && [ "$lost" = 0 ] && grep -q "NOERROR ${sent} (100.00%)" "$tmp/dnsperf.out"'
		[ "$lost" = 0 ] || sed 's/^/#   /' "$tmp/dnsperf.out"
	fi
	dns dig $V4 "new answer after the swap" www.swap.example A -- "ANSWER|www.swap.example. 300 IN A $NEW"
	dns kdig $V6 "new answer after the swap" www.swap.example TXT -- "ANSWER|www.swap.example. 300 IN TXT \"version 2\""

	# a broken image: the reload is refused, the loaded zones keep serving
	local fails
	# shellcheck disable=SC2034 # used in eval
	fails=$(grep -c 'reload failed' "$log")
	head -c 200 "$tmp/swap-v1.zwi" >"$tmp/swap.example.zwi.tmp" &&
		mv -f "$tmp/swap.example.zwi.tmp" "$tmp/swap.example.zwi"
	kill -HUP "$srv_pid"
	wait_for 50 eval '[ "$(grep -c "reload failed" "$log")" -gt $fails ]'
	check "SIGHUP with a truncated image: reload refused ($(grep -m1 -E 'zones not loaded|reload failed' "$log" | sed 's/.*zonewired: //'))" \
		eval '[ "$(grep -c "reload failed" "$log")" -gt $fails ]'
	dns dig $V4 "zones kept after a failed reload" www.swap.example A -- "ANSWER|www.swap.example. 300 IN A $NEW"
	dns kdig $V6 "zones kept after a failed reload" www.example.com A -- "ANSWER|www.example.com. 3600 IN A 192.0.2.80"
}

# --- stop and bad configurations -----------------------------------------

has_xdp() { ip -n "$SRV" link show "$VS" | grep -w xdp >/dev/null; }
has_tap() { ip -n "$SRV" link show "$TAP" >/dev/null 2>&1; }

check_stop() {
	stop_server TERM
	check "SIGTERM: exit status $srv_rc" [ "$srv_rc" = 0 ]
	check "SIGTERM: logged the stop" grep -q "zonewired: stopping" "$log"
	check "SIGTERM: exception interface $TAP removed" eval '! has_tap'
	check "SIGTERM: no XDP program left on $VS" eval '! has_xdp'
}

# bad_config NAME PATTERN: zonewired exits non-zero, says PATTERN, and
# leaves no TAP and no XDP program behind.
bad_config() {
	local name=$1 pattern=$2 blog=$tmp/$wire-$1.log
	start_server "$tmp/bad-$name.yaml" "$blog"
	wait_for 300 eval '! kill -0 $srv_pid 2>/dev/null'
	stop_server KILL
	local msg
	msg=$(grep -m1 -E "$pattern" "$blog")
	check "bad config ($name): exit status $srv_rc, says: ${msg:-nothing matching /$pattern/}" \
		eval '[ "$srv_rc" != 0 ] && [ "$srv_rc" != 137 ] && [ -n "$msg" ]'
	[ -n "$msg" ] || sed 's/^/#   /' "$blog"
	check "bad config ($name): no exception interface left" eval '! has_tap'
	check "bad config ($name): no XDP program left" eval '! has_xdp'
}

check_bad_configs() {
	local dev
	if [ "$wire" = af_xdp ]; then
		dev="net_af_xdp0,iface=zwnone$tag,start_queue=0,queue_count=1"
	else
		dev="net_af_packet0,iface=zwnone$tag"
	fi
	write_config "$tmp/bad-no-interface.yaml" "$dev"
	bad_config no-interface "did not probe"
	write_config "$tmp/bad-no-zone.yaml" "" "$tmp/no-such-image.zwi"
	bad_config no-zone "zones not loaded.*no-such-image"
	write_config "$tmp/bad-unknown-key.yaml"
	sed -i 's/^  main-lcore: 0$/&\n  wrokers: [1]/' "$tmp/bad-unknown-key.yaml"
	bad_config unknown-key "bad-unknown-key.yaml:[0-9]+:[0-9]+: .*wrokers"
}

# --- one wire ------------------------------------------------------------

run_wire() {
	wire=$1
	local t0=$SECONDS
	log=$tmp/zonewired-$wire.log
	echo "# --- wire $wire ---"
	if ! net_up; then
		fail "cannot create the namespaces and the veth pair"
		net_down
		return
	fi
	write_config "$tmp/zonewired-$wire.yaml"
	cp "$tmp/swap-v1.zwi" "$tmp/swap.example.zwi"
	start_server "$tmp/zonewired-$wire.yaml" "$log"
	if ! wait_for 300 eval 'ready || ! alive'; then :; fi
	if ! ready || ! alive; then
		fail "zonewired did not start"
		sed 's/^/#   /' "$log"
		stop_server KILL
		net_down
		return
	fi
	ok "zonewired ready ($(grep -m1 'port ' "$log" | sed 's/.*zonewired: //'))"
	local addrs
	addrs=$(ip -n "$SRV" addr show "$TAP" 2>&1)
	if grep "inet $V4/24 " <<<"$addrs" >/dev/null && grep "inet6 $V6/64 " <<<"$addrs" >/dev/null; then
		ok "exception interface $TAP exists with $V4 and $V6"
	else
		fail "exception interface $TAP with $V4 and $V6:"
		sed 's/^/#   /' <<<"$addrs"
	fi
	if [ "$wire" = af_xdp ]; then
		check "XDP program attached to $VS while running" has_xdp
	fi

	for step in check_neighbours check_answers check_tcp check_vlans check_malformed check_swap; do
		if ! alive; then
			fail "zonewired is not running any more (before $step)"
			break
		fi
		$step
	done
	check "zonewired still running before SIGTERM" alive
	check_stop
	check_bad_configs
	if [ $failed -gt 0 ]; then
		echo "# zonewired log ($wire):"
		grep -v '^libbpf: elf: skipping' "$log" | tail -40 | sed 's/^/#   /'
	fi
	net_down
	echo "# wire $wire: $((SECONDS - t0)) s"
}

# --- main ----------------------------------------------------------------

for z in "$src"/docs/examples/*.zone; do
	n=$(basename "$z" .zone)
	if ! "$compile" -q -z "$n" -o "$tmp/$n.zwi" "$z"; then
		echo "FAIL: cannot compile $z"
		exit 1
	fi
done
"$compile" -q -z swap.example -o "$tmp/swap-v1.zwi" "$here/zones/swap.example.v1.zone" || {
	echo "FAIL: cannot compile swap.example.v1.zone"
	exit 1
}

for w in ${ZW_NETNS_WIRES:-af_xdp af_packet}; do
	run_wire "$w"
done

echo "$pass passed, $failed failed ($(($(date +%s) - t_start)) s)"
[ $failed -eq 0 ] && [ $pass -gt 0 ]
