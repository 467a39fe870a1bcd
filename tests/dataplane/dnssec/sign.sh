#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Signs the DNSSEC test zones: tests/dataplane/dnssec/src/*.zone (unsigned)
# into tests/dataplane/zones/ (signed), with ECDSA P-256 keys (a KSK and a
# ZSK per zone, made by ldns-keygen), signatures valid from 2026-01-01 to
# 2036-01-01. ldns-signzone signs, except the opt-out zone: ldns-signzone -p
# sets the opt-out flag but still gives every insecure delegation an NSEC3
# record, so nsec3.test is signed by BIND's dnssec-signzone -A, which leaves
# them out (and the empty non-terminals that only lead to them).
#
#   tests/dataplane/dnssec/sign.sh [KEYDIR]
#
# KEYDIR holds the key pairs (K<zone>+013+<id>.{key,private,ds}); keys that
# are not there are generated. Without KEYDIR a temporary directory is used
# and thrown away. The private keys are not kept in the tree: signing again
# means new keys, and so new DNSKEY, DS and RRSIG records in the golden
# cases (golden/dnssec-*.golden) and new trust anchors. The public keys, the
# DS records and the trust anchors are written to tests/dataplane/dnssec/keys/.
#
# The child zones of the secure delegations are signed first; their DS
# records go into the parents at the cut.
#
#   zone                     denial                            parent
#   secure.nsec.test         NSEC                              nsec.test
#   secure.nsec3.test        NSEC3, salt 5ec3, 2 iterations    nsec3.test
#   secure.nsec3-noopt.test  NSEC3, no salt, 0 iterations      nsec3-noopt.test
#   nsec.test                NSEC                              (trust anchor)
#   nsec3.test               NSEC3, opt-out, salt 7a776972,    (trust anchor)
#                            5 iterations (dnssec-signzone)
#   nsec3-noopt.test         NSEC3, no salt, 0 iterations      (trust anchor)
#
# The other zones of src/ (insecure children) are served unsigned.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$here/src
out=$here/../zones
keys=$here/keys
INCEPTION=20260101000000
EXPIRATION=20360101000000

for tool in ldns-keygen ldns-signzone ldns-key2ds dnssec-signzone; do
	command -v "$tool" >/dev/null || { echo "sign.sh: $tool not found (ldnsutils, bind9-utils)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-sign.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 1 ]; then
	keydir=$(cd "$1" && pwd)
else
	keydir=$tmp/keys
	mkdir "$keydir"
fi

# find_key ZONE FLAGS: prints the base name of a key of the zone in KEYDIR
# with those DNSKEY flags (257 KSK, 256 ZSK), if there is one
find_key() {
	for k in "$keydir"/K"$1".+013+*.key; do
		[ -f "$k" ] || continue
		if awk -v f="$2" '$0 !~ /^;/ { for (i = 1; i < NF; i++) if ($i == "DNSKEY" && $(i + 1) == f) found = 1 }
			END { exit !found }' "$k"; then
			echo "${k%.key}"
			return
		fi
	done
}

# key ZONE KSK|ZSK: the base name of the zone's key of that kind,
# generated if there is none
key() {
	flags=256
	[ "$2" = KSK ] && flags=257
	k=$(find_key "$1" "$flags")
	if [ -z "$k" ]; then
		if [ "$2" = KSK ]; then
			(cd "$keydir" && ldns-keygen -a ECDSAP256SHA256 -k "$1" >/dev/null)
		else
			(cd "$keydir" && ldns-keygen -a ECDSAP256SHA256 "$1" >/dev/null)
		fi
		k=$(find_key "$1" "$flags")
	fi
	[ -n "$k" ] || { echo "sign.sh: no $2 for $1 in $keydir" >&2; exit 1; }
	echo "$k"
}

keyid() { basename "$1" | sed 's/.*+0*\([0-9][0-9]*\)$/\1/'; }

# sign ZONE SRCFILE SIGNER [options]: writes $out/ZONE.zone, signed by
# SIGNER (ldns: ldns-signzone, bind: dnssec-signzone) with the options
sign() {
	zone=$1
	file=$2
	signer=$3
	shift 3
	ksk=$(key "$zone" KSK)
	zsk=$(key "$zone" ZSK)
	if [ "$signer" = ldns ]; then
		ldns-signzone -i "$INCEPTION" -e "$EXPIRATION" -o "$zone." -f "$tmp/$zone.signed" \
			"$@" "$file" "$zsk" "$ksk"
		how="ldns-signzone $*"
	else
		# dnssec-signzone wants the DNSKEYs in the zone; -x: the DNSKEY
		# RRset signed by the KSK only, as ldns-signzone does
		cat "$file" "$zsk.key" "$ksk.key" >"$tmp/$zone.withkeys"
		dnssec-signzone -q -d "$tmp" -s "$INCEPTION" -e "$EXPIRATION" -o "$zone." -f "$tmp/$zone.signed" \
			-O full -N keep -x "$@" "$tmp/$zone.withkeys" "$zsk" "$ksk" >/dev/null
		how="dnssec-signzone -x $*"
	fi
	{
		echo "; Signed by tests/dataplane/dnssec/sign.sh from dnssec/src/$zone.zone:"
		echo "; ECDSA P-256, KSK $(keyid "$ksk"), ZSK $(keyid "$zsk"), valid from"
		echo "; $INCEPTION to $EXPIRATION; $how"
		echo "; Do not edit: sign again (the golden cases quote these records)."
		grep -v '^; File written on' "$tmp/$zone.signed"
	} >"$out/$zone.zone"
	cp "$ksk.key" "$zsk.key" "$keys/"
	ldns-key2ds -n -2 "$ksk.key" >"$keys/$zone.ds"
}

rm -f "$keys"/K*.key "$keys"/*.ds

sign secure.nsec.test "$src/secure.nsec.test.zone" ldns
sign secure.nsec3.test "$src/secure.nsec3.test.zone" ldns -n -s 5ec3 -t 2
sign secure.nsec3-noopt.test "$src/secure.nsec3-noopt.test.zone" ldns -n -t 0

# the parents, with the DS of their secure child at the cut
cat "$src/nsec.test.zone" "$keys/secure.nsec.test.ds" >"$tmp/nsec.test.zone"
cat "$src/nsec3.test.zone" "$keys/secure.nsec3.test.ds" >"$tmp/nsec3.test.zone"
cat "$src/nsec3-noopt.test.zone" "$keys/secure.nsec3-noopt.test.ds" >"$tmp/nsec3-noopt.test.zone"
sign nsec.test "$tmp/nsec.test.zone" ldns
sign nsec3.test "$tmp/nsec3.test.zone" bind -3 7a776972 -H 5 -A
sign nsec3-noopt.test "$tmp/nsec3-noopt.test.zone" ldns -n -t 0

# trust anchors: the DS records of the three top zones' KSKs
{
	echo "; Trust anchors of the DNSSEC test zones (tests/dataplane/dnssec/sign.sh),"
	echo "; for unbound's trust-anchor-file."
	cat "$keys/nsec.test.ds" "$keys/nsec3.test.ds" "$keys/nsec3-noopt.test.ds"
} >"$keys/trust-anchors"
echo "sign.sh: signed zones in $(cd "$out" && pwd), keys in $keydir"
