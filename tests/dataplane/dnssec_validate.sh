#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The signed answers of the engine through a validating resolver.
#
#   dnssec_validate.sh ZONEWIRE-QUERY ZONEWIRE-COMPILE [-v]
#
# In a network namespace of its own, with no route out (only loopback, so
# neither the machine's resolver nor anything else is ever reached):
#
#   - the DNSSEC test zones (tests/dataplane/zones/, signed by
#     tests/dataplane/dnssec/sign.sh, and the unsigned children of
#     tests/dataplane/dnssec/src/) are compiled and served by
#     tests/dataplane/dnssec/shim.py, which answers each query over UDP and
#     TCP with the engine (zonewire-query --wire), at the addresses the
#     zones' NS and glue records name: 192.0.2.1 and .2 the parent zones
#     nsec.test, nsec3.test (opt-out) and nsec3-noopt.test; 192.0.2.53 their
#     secure children; 192.0.2.54 and .55 the insecure ones;
#   - Unbound validates, with the parents' KSKs as trust anchors
#     (tests/dataplane/dnssec/keys/trust-anchors), stub zones pointing at
#     192.0.2.1, no domain-insecure, no remote control, val-log-level 2;
#   - dig +dnssec @127.0.0.1 asks Unbound, and the security status of each
#     answer is checked: AD (secure) for positive answers, NXDOMAIN, NODATA
#     (empty non-terminals included), wildcard answers and NODATA, CNAME and
#     DNAME chains, through a secure delegation; no AD but no SERVFAIL
#     (insecure) below insecure delegations, opt-out ones included.
#
# Three rounds, each with a fresh Unbound: (1) as above; (2) the same with
# Unbound's EDNS buffer at 512 octets, so that larger answers come back
# truncated and are asked again over TCP; (3) images with a tampered record
# (an A record, an NSEC3 type bitmap, a DS digest), for which Unbound must
# answer SERVFAIL (bogus), and the data itself with +cd.
#
# Needs root (ip netns), unbound, dig and python3; exit status 77 (skipped)
# without them. -v prints every dig answer. Logs are kept in the temporary
# directory when a check fails (its path is printed).
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 ZONEWIRE-QUERY ZONEWIRE-COMPILE [-v]" >&2
	exit 2
fi
query=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
compile=$2
verbose=0
[ "${3:-}" = -v ] && verbose=1
src=${ZW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
zones=$src/tests/dataplane/zones
dnssec=$src/tests/dataplane/dnssec

skip() {
	echo "dnssec_validate.sh: $*, skipping"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces)"
command -v ip >/dev/null || skip "ip (iproute2) not found"
unbound=$(command -v unbound || true)
[ -n "$unbound" ] || unbound=/usr/sbin/unbound
[ -x "$unbound" ] || skip "unbound not found"
command -v dig >/dev/null || skip "dig not found"
command -v python3 >/dev/null || skip "python3 not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-dnssec.XXXXXX")
ns=zwdnssec-$$
ns_made=
shim_pid=
unbound_pid=
keep=
# shellcheck disable=SC2317 # called by the trap
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop_pid "$unbound_pid"
	stop_pid "$shim_pid"
	[ -z "$ns_made" ] || ip netns del "$ns" 2>/dev/null || true
	if [ -n "$keep" ]; then
		echo "dnssec_validate.sh: logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
ns_made=1
ip -n "$ns" link set lo up
for a in 192.0.2.1 192.0.2.2 192.0.2.53 192.0.2.54 192.0.2.55; do
	ip -n "$ns" addr add "$a/32" dev lo
done
inns() { ip netns exec "$ns" "$@"; }

# --- images -----------------------------------------------------------------------

mkdir -p "$tmp/good" "$tmp/bad"
# compile DIR ORIGIN FILE
compile_zone() {
	if ! "$compile" -q -z "$2." -o "$1/$2.zwi" "$3" 2>"$tmp/compile.log"; then
		cat "$tmp/compile.log" >&2
		echo "dnssec_validate.sh: $3 does not compile" >&2
		exit 2
	fi
}
signed="nsec.test nsec3.test nsec3-noopt.test secure.nsec.test secure.nsec3.test secure.nsec3-noopt.test"
unsigned="insecure.nsec.test insecure.nsec3.test insecure.nsec3-noopt.test a.optent.nsec3.test
	a.optent.nsec3-noopt.test"
for z in $signed; do
	compile_zone "$tmp/good" "$z" "$zones/$z.zone"
	cp "$zones/$z.zone" "$tmp/bad/$z.zone"
done
for z in $unsigned; do
	compile_zone "$tmp/good" "$z" "$dnssec/src/$z.zone"
done

# The tampered zones: their signatures no longer match (the compiler checks
# the NSEC3 chain, not signatures).
python3 - "$tmp/bad" <<'EOF'
import re, sys
d = sys.argv[1]
def tamper(zone, pattern, repl):
    path = "%s/%s.zone" % (d, zone)
    text = open(path).read()
    new, n = re.subn(pattern, repl, text, count=1, flags=re.M | re.I)
    if n != 1:
        sys.exit("tamper: %s: no match for %s" % (zone, pattern))
    open(path, "w").write(new)
# a positive answer: www.nsec.test A
tamper("nsec.test", r"^(www\.nsec\.test\.\s+\d+\s+IN\s+A\s+)192\.0\.2\.80$", r"\g<1>192.0.2.66")
# a denial: the NSEC3 of www.nsec3.test (hash qeukojpe...) claims SRV too
tamper("nsec3.test", r"^(qeukojpe7ptvkockr0pqq1na5m7nugfu\.nsec3\.test\.\s.*\sNSEC3\s.*AAAA RRSIG)\s*$",
       r"\g<1> SRV")
# the chain of trust: the DS of secure.nsec.test, one digest digit changed
tamper("nsec.test", r"^(secure\.nsec\.test\.\s+\d+\s+IN\s+DS\s+\d+ 13 2 )(.)",
       lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"))
EOF
for z in nsec.test nsec3.test; do
	compile_zone "$tmp/bad" "$z" "$tmp/bad/$z.zone"
done
for z in $signed $unsigned; do
	[ -f "$tmp/bad/$z.zwi" ] || cp "$tmp/good/$z.zwi" "$tmp/bad/"
done

# --- servers ----------------------------------------------------------------------

# start_shim DIR: the engine at the addresses of the zones' name servers
start_shim() {
	d=$1
	parents="$d/nsec.test.zwi,$d/nsec3.test.zwi,$d/nsec3-noopt.test.zwi"
	rm -f "$tmp/shim.ready"
	# not through inns: $! must be the process itself (ip netns exec execs it)
	ip netns exec "$ns" python3 "$dnssec/shim.py" --query "$query" --ready "$tmp/shim.ready" --log "$tmp/queries.log" \
		--serve "192.0.2.1:53=$parents" --serve "192.0.2.2:53=$parents" \
		--serve "192.0.2.53:53=$d/secure.nsec.test.zwi,$d/secure.nsec3.test.zwi,$d/secure.nsec3-noopt.test.zwi" \
		--serve "192.0.2.54:53=$d/insecure.nsec.test.zwi,$d/insecure.nsec3.test.zwi,$d/insecure.nsec3-noopt.test.zwi" \
		--serve "192.0.2.55:53=$d/a.optent.nsec3.test.zwi,$d/a.optent.nsec3-noopt.test.zwi" \
		>>"$tmp/shim.log" 2>&1 &
	shim_pid=$!
	i=0
	while [ ! -f "$tmp/shim.ready" ]; do
		if ! kill -0 "$shim_pid" 2>/dev/null || [ "$i" -ge 100 ]; then
			cat "$tmp/shim.log" >&2
			echo "dnssec_validate.sh: the shim did not start" >&2
			exit 2
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# start_unbound EDNS-BUFFER-SIZE
start_unbound() {
	cat >"$tmp/unbound.conf" <<EOF
server:
    username: ""
    chroot: ""
    directory: "$tmp"
    pidfile: "$tmp/unbound.pid"
    logfile: "$tmp/unbound.log"
    use-syslog: no
    use-systemd: no
    do-daemonize: no
    verbosity: 1
    val-log-level: 2
    log-servfail: yes
    interface: 127.0.0.1
    port: 53
    access-control: 127.0.0.0/8 allow
    do-ip6: no
    num-threads: 1
    edns-buffer-size: $1
    aggressive-nsec: no
    prefetch: no
    serve-expired: no
    local-zone: "test." nodefault
    trust-anchor-file: "$dnssec/keys/trust-anchors"
remote-control:
    control-enable: no
stub-zone:
    name: "nsec.test."
    stub-addr: 192.0.2.1
stub-zone:
    name: "nsec3.test."
    stub-addr: 192.0.2.1
stub-zone:
    name: "nsec3-noopt.test."
    stub-addr: 192.0.2.1
EOF
	"$unbound-checkconf" "$tmp/unbound.conf" >/dev/null 2>&1 ||
		{ "$unbound-checkconf" "$tmp/unbound.conf" >&2 || true; echo "dnssec_validate.sh: bad unbound.conf" >&2; exit 2; }
	ip netns exec "$ns" "$unbound" -d -c "$tmp/unbound.conf" >>"$tmp/unbound.stderr" 2>&1 &
	unbound_pid=$!
	i=0
	until inns dig +time=1 +tries=1 +norec @127.0.0.1 version.bind CH TXT >/dev/null 2>&1; do
		if ! kill -0 "$unbound_pid" 2>/dev/null || [ "$i" -ge 50 ]; then
			cat "$tmp/unbound.stderr" "$tmp/unbound.log" >&2 2>/dev/null || true
			echo "dnssec_validate.sh: unbound did not start" >&2
			exit 2
		fi
		sleep 0.2
		i=$((i + 1))
	done
}

stop_servers() {
	stop_pid "$unbound_pid"
	unbound_pid=
	stop_pid "$shim_pid"
	shim_pid=
}

# --- checks -----------------------------------------------------------------------

passed=0
failed=0
round=

# check NAME TYPE RCODE SECURITY [MIN-ANSWERS] [dig options]
# SECURITY: secure (AD set), insecure (AD clear), any
check() {
	name=$1 type=$2 want_rc=$3 want_sec=$4 min_an=${5:-0}
	shift 4
	[ $# -gt 0 ] && shift
	out=$(inns dig +dnssec +time=5 +tries=2 "$@" @127.0.0.1 "$name" "$type" 2>&1) || true
	rc=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -n 1)
	flags=$(printf '%s\n' "$out" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' | head -n 1)
	an=$(printf '%s\n' "$out" | sed -n 's/.* ANSWER: \([0-9]*\),.*/\1/p' | head -n 1)
	ad=insecure
	case " $flags " in *" ad "*) ad=secure ;; esac
	ok=1
	[ "$rc" = "$want_rc" ] || ok=0
	[ "$want_sec" = any ] || [ "$ad" = "$want_sec" ] || ok=0
	[ "${an:-0}" -ge "$min_an" ] || ok=0
	what="$round: $name $type${*:+ $*}: $rc, $ad, $an answers"
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
		echo "ok   $what"
		[ "$verbose" = 0 ] || printf '%s\n' "$out" | sed 's/^/     | /'
	else
		failed=$((failed + 1))
		keep=1
		echo "FAIL $what; expected $want_rc, $want_sec, at least $min_an answers"
		printf '%s\n' "$out" | sed 's/^/     | /'
		grep -i -- "$(echo "$name" | sed 's/\.$//')" "$tmp/unbound.log" 2>/dev/null | tail -n 5 |
			sed 's/^/     unbound: /' || true
	fi
}

# The checks of the good zones: what resolving each shape of answer
# through a validator gives. nsec.test (NSEC) and nsec3-noopt.test (NSEC3)
# prove every denial; in nsec3.test every NSEC3 has the opt-out flag, so a
# denial that rests on an NSEC3 covering a name (NXDOMAIN, wildcard answers
# and NODATA, no DS below an opt-out span) only proves that the name could
# at most be an insecure delegation: the answer is insecure (RFC 5155 6,
# 9.2), not bogus. Denials that rest on an NSEC3 matching the name (NODATA,
# empty non-terminals) stay secure.
good_checks() {
	for z in nsec.test nsec3-noopt.test nsec3.test; do
		cover=secure
		[ "$z" = nsec3.test ] && cover=insecure
		check "$z" DNSKEY NOERROR secure 3
		check "$z" SOA NOERROR secure 2
		check "www.$z" A NOERROR secure 2
		check "www.$z" AAAA NOERROR secure 2
		check "www.$z" MX NOERROR secure                 # NODATA
		check "nothere.$z" A NXDOMAIN "$cover"
		check "a.b.c.nothere.$z" TXT NXDOMAIN "$cover"
		check "nothere.host.sub.$z" A NXDOMAIN "$cover"
		check "ent.$z" A NOERROR secure                  # an empty non-terminal
		check "sub.$z" TXT NOERROR secure
		check "foo.wild.$z" A NOERROR "$cover" 2         # wildcard answer
		check "a.b.foo.wild.$z" TXT NOERROR "$cover" 2
		check "foo.wild.$z" MX NOERROR "$cover"          # wildcard NODATA
		check "exists.wild.$z" TXT NOERROR secure
		check "alias.$z" A NOERROR secure 4              # CNAME
		check "chain1.$z" AAAA NOERROR secure 6          # CNAME chain
		check "dangling.$z" A NXDOMAIN "$cover" 2        # CNAME to nothing
		check "towild.$z" A NOERROR "$cover" 4           # CNAME to a wildcard
		check "host.dname.$z" A NOERROR secure 5         # DNAME
		check "nothere.dname.$z" A NXDOMAIN "$cover" 3
		check "big.$z" TXT NOERROR secure 5
		check "secure.$z" DS NOERROR secure 2
		check "www.secure.$z" A NOERROR secure 2         # through a secure delegation
		check "nothere.secure.$z" A NXDOMAIN secure
		check "insecure.$z" DS NOERROR "$cover"          # no DS at the cut
		check "www.insecure.$z" A NOERROR insecure 1     # below an insecure delegation
		check "nothere.insecure.$z" A NXDOMAIN insecure
	done
	for z in nsec3-noopt.test nsec3.test; do
		cover=secure
		[ "$z" = nsec3.test ] && cover=insecure
		# optent is an empty non-terminal above an insecure delegation:
		# under opt-out it has no NSEC3 of its own
		check "optent.$z" A NOERROR "$cover"
		check "www.a.optent.$z" A NOERROR insecure 1
		check "a.optent.$z" DS NOERROR "$cover"
	done
}

round="round 1 (EDNS 1232)"
start_shim "$tmp/good"
start_unbound 1232
good_checks
stop_servers

round="round 2 (EDNS 512, TCP after TC)"
: >"$tmp/queries.log"
start_shim "$tmp/good"
start_unbound 512
good_checks
tcp_queries=$(grep -c ' tcp ' "$tmp/queries.log" || true)
if [ "${tcp_queries:-0}" -gt 0 ]; then
	passed=$((passed + 1))
	echo "ok   $round: $tcp_queries queries came again over TCP"
else
	failed=$((failed + 1))
	keep=1
	echo "FAIL $round: no query came over TCP: nothing was truncated?"
fi
stop_servers

round="round 3 (tampered)"
start_shim "$tmp/bad"
start_unbound 1232
check www.nsec.test A SERVFAIL any                       # a changed A record
check www.nsec.test A NOERROR insecure 1 +cd             # the data itself, unchecked
check www.nsec3.test MX SERVFAIL any                     # a changed NSEC3 bitmap
check www.nsec3.test MX NOERROR insecure 0 +cd
check www.secure.nsec.test A SERVFAIL any                # a DS that matches no key
check www.nsec3.test A NOERROR secure 2                  # the rest still validates
check nothere.nsec.test A NXDOMAIN secure
stop_servers

echo "dnssec_validate.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
