#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Round-trip test for zonewire-compile.
#
# Every zone of the corpus is compiled into an image, the image is printed
# back with --dump, and the result is compared with the same zone file as
# read by two independent readers:
#
#   named-compilezone (BIND 9)   always, when installed
#   ldns-read-zone (ldnsutils)   unless the zone uses $GENERATE or $INCLUDE,
#                                which ldns-read-zone does not implement
#
# The dump must itself be a master file: it is read back by BIND (or by
# ldns without BIND). All sides are then printed by one printer,
# ldns-read-zone -z (or BIND's when ldns is missing), so that only the data
# can differ, not its presentation. Every line is split into owner, TTL,
# class, type and rdata, owners are lower-cased (the dump lower-cases them,
# the readers keep the file's spelling) and the lines are sorted. Letter
# case inside rdata is compared as printed: the printer lower-cases the
# domain names of the types RFC 4034 6.2 lists, and all other rdata (TXT,
# base64, names in other types, ...) must come back unchanged.
#
# The compiler drops records on purpose in two cases: occluded data below a
# delegation and duplicate records. The readers keep both, so the corpus
# holds neither; the compiler's warnings are shown next to any difference.
#
# Corpus: tests/zonecompiler/data/roundtrip/ORIGIN.zone (their $INCLUDE
# files end in .inc), the bundled docs/examples/ORIGIN.zone, and a zone of
# about 20,000 records generated here. A zone file's name without .zone is
# the zone's origin.
#
# No network access: named-compilezone runs with -i none (see below).
#
# Usage: roundtrip.sh PATH/TO/zonewire-compile
# Exit status: 0 all zones passed, 1 a zone failed, 77 no reference reader
# installed (meson counts the test as skipped), 2 usage.
set -euo pipefail
export LC_ALL=C

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH/TO/zonewire-compile" >&2
	exit 2
fi
zwc=$(readlink -f -- "$1")
if [ ! -x "$zwc" ]; then
	echo "roundtrip: $1 is not an executable" >&2
	exit 2
fi

here=$(cd -- "$(dirname -- "$(readlink -f -- "$0")")" && pwd)
srcdir=$(cd -- "$here/../.." && pwd)
corpus=$here/data/roundtrip
examples=$srcdir/docs/examples

have_named=false
have_ldns=false
if command -v named-compilezone >/dev/null 2>&1; then
	have_named=true
else
	echo "# named-compilezone not found (bind9-utils): skipping that reference"
fi
if command -v ldns-read-zone >/dev/null 2>&1; then
	have_ldns=true
else
	echo "# ldns-read-zone not found (ldnsutils): skipping that reference"
fi
if ! $have_named && ! $have_ldns; then
	echo "# no reference reader installed: nothing to compare with"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zc_roundtrip.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# named-compilezone must never resolve names: -i none turns off the
# integrity checks that look up out-of-zone name servers and MX/SRV
# targets. -k ignore: host-name syntax is the compiler's business, not the
# reference's.
named_read() { # ORIGIN FILE -> canonical master file on stdout
	local dir
	dir=$(dirname -- "$2")
	# -w: BIND reads $INCLUDE paths relative to its working directory;
	# the zone file's directory is what zonewire-compile uses for the
	# zone file's own $INCLUDEs
	named-compilezone -i none -k ignore -D -w "$dir" -o - "$1" "$2"
}

# The common printer: master-file text on stdin, re-printed by
# ldns-read-zone -z (sorted, domain names in rdata lower-cased where RFC 4034
# allows it), or passed through when only named-compilezone is installed.
# Its input is text printed by named-compilezone, never by ldns itself:
# ldns 1.8.3 does not escape '"', '$' and '@' in names, so its output does
# not always read back as what it printed.
reprint() {
	if $have_ldns; then
		ldns-read-zone -z
	else
		cat
	fi
}

# Reads the dump back: with BIND's reader, or with ldns when BIND is
# missing. ldns takes an owner that starts with '@' (such as "@at.example.",
# a label "@at") for the origin, while RFC 1035 5.1 gives '@' that meaning
# only when it stands alone, as BIND does; for ldns such an owner is
# escaped first.
read_dump() { # ORIGIN < dump
	if $have_named; then
		named_read "$1" /dev/stdin | reprint
	else
		sed 's/^@\([^[:space:]]\)/\\@\1/' | ldns-read-zone -z
	fi
}

# One RR per line: owner TAB ttl TAB class TAB type TAB rdata, owner
# lower-cased, rdata with the printer's spacing between fields and no
# trailing blanks (ldns ends APL and CSYNC rdata with a space), sorted.
# Without ldns-read-zone nothing lower-cases the names in rdata, so the
# rdata of the types whose names the image compresses (RFC 1035 types,
# RFC 3597 section 4) is lower-cased here instead.
normalise() {
	awk -v fold="$($have_ldns && echo 0 || echo 1)" 'BEGIN {
		OFS = "\t"
		split("NS MD MF CNAME SOA MB MG MR PTR MINFO MX", t, " ")
		for (i in t)
			compressed[t[i]] = 1
	}
	/^[ \t]*(;|$)/ { next }
	{
		if (NF < 4) { print "unparsable line: " $0; next }
		rdata = $0
		for (i = 0; i < 4; i++)
			sub(/^[ \t]*[^ \t]+/, "", rdata)
		sub(/^[ \t]+/, "", rdata)
		sub(/[ \t]+$/, "", rdata)
		type = toupper($4)
		if (fold && (type in compressed))
			rdata = tolower(rdata)
		print tolower($1), $2, toupper($3), type, rdata
	}' | sort
}

passed=0
failed=0
failures=()

# Shows a file indented, at most $2 lines.
show() { # FILE [MAX]
	local max=${2:-60}
	sed -n "1,${max}p" -- "$1" | sed 's/^/    /'
	local n
	n=$(wc -l <"$1")
	if [ "$n" -gt "$max" ]; then
		echo "    ... ($((n - max)) more lines)"
	fi
}

# Compares the compiler's view of a zone with one reference.
# compare LABEL REF_NORMALISED GOT_NORMALISED DETAILS_FILE
compare() {
	if diff -u --label "$1" --label "zonewire-compile --dump" "$2" "$3" >"$4.diff"; then
		return 0
	fi
	{
		echo "  differences (-: $1, +: zonewire-compile --dump), after normalisation:"
		show "$4.diff" 80
	} >>"$4"
	return 1
}

check_zone() { # LABEL ORIGIN FILE
	local label=$1 origin=$2 file=$3
	local w=$tmp/work
	local details=$w/details
	local ok=true refs=()
	rm -rf -- "$w"
	mkdir -p -- "$w"
	: >"$details"

	if ! "$zwc" -z "$origin" -o "$w/zone.zwi" "$file" 2>"$w/compile.err"; then
		echo "FAIL $label"
		echo "  zonewire-compile refused the zone:"
		show "$w/compile.err"
		failed=$((failed + 1))
		failures+=("$label")
		return 0
	fi
	if ! "$zwc" --dump "$w/zone.zwi" >"$w/dump.txt" 2>"$w/dump.err"; then
		echo "FAIL $label"
		echo "  zonewire-compile --dump failed:"
		show "$w/dump.err"
		failed=$((failed + 1))
		failures+=("$label")
		return 0
	fi
	if ! read_dump "$origin" <"$w/dump.txt" >"$w/dump.canon" 2>"$w/reprint.err"; then
		echo "FAIL $label"
		echo "  the dump cannot be read back as a master file:"
		show "$w/reprint.err"
		# the dump lines the reader complained about
		local n
		for n in $(grep -oE '(/dev/stdin|line)[: ]+[0-9]+' "$w/reprint.err" |
			grep -oE '[0-9]+$' | sort -nu | head -n 10); do
			printf '  dump line %s: %s\n' "$n" "$(sed -n "${n}p" "$w/dump.txt")"
		done
		failed=$((failed + 1))
		failures+=("$label")
		return 0
	fi
	normalise <"$w/dump.canon" >"$w/got"

	if $have_named; then
		if ! named_read "$origin" "$file" >"$w/named.txt" 2>"$w/named.err"; then
			echo "  named-compilezone refused the zone (fix the corpus):" >>"$details"
			show "$w/named.err" >>"$details"
			ok=false
		elif ! reprint <"$w/named.txt" >"$w/named.canon" 2>"$w/reprint.err"; then
			echo "  cannot re-print named-compilezone's output:" >>"$details"
			show "$w/reprint.err" >>"$details"
			ok=false
		else
			normalise <"$w/named.canon" >"$w/want.named"
			compare named-compilezone "$w/want.named" "$w/got" "$details" || ok=false
		fi
		refs+=(named-compilezone)
	fi

	if $have_ldns; then
		# ldns-read-zone stops at $GENERATE and $INCLUDE ("not
		# implemented"): such zones are compared with BIND only.
		# shellcheck disable=SC2016 # a literal '$'
		if grep -qiE '^[[:space:]]*\$(GENERATE|INCLUDE)[[:space:]]' -- "$file"; then
			refs+=("ldns-read-zone n/a: \$GENERATE/\$INCLUDE")
		elif ! ldns-read-zone -z "$file" >"$w/ldns.txt" 2>"$w/ldns.err"; then
			echo "  ldns-read-zone refused the zone (fix the corpus):" >>"$details"
			show "$w/ldns.err" >>"$details"
			ok=false
			refs+=(ldns-read-zone)
		else
			normalise <"$w/ldns.txt" >"$w/want.ldns"
			compare ldns-read-zone "$w/want.ldns" "$w/got" "$details" || ok=false
			refs+=(ldns-read-zone)
		fi
	fi

	local joined
	joined=$(printf '%s, ' "${refs[@]}")
	if $ok; then
		echo "ok $label ($(wc -l <"$w/got") RRs; ${joined%, })"
		passed=$((passed + 1))
	else
		echo "FAIL $label (${joined%, })"
		cat -- "$details"
		if [ -s "$w/compile.err" ]; then
			echo "  zonewire-compile said:"
			show "$w/compile.err" 20
		fi
		failed=$((failed + 1))
		failures+=("$label")
	fi
}

# A zone of about 20,000 records: hosts with A/AAAA/TXT/MX, SRV and CNAME
# records, delegations with glue and DS, wildcards and PTRs, with letter
# case and relative and absolute names mixed, and two RRsets of more than
# 16 KiB.
generate_large() { # FILE
	awk 'BEGIN {
		print "$ORIGIN large.example."
		print "$TTL 1h"
		print "@ IN SOA ns1 hostmaster 2024010101 1h 15m 1w 5m"
		print "  IN NS ns1"
		print "  IN NS ns2.large.example."
		print "ns1 IN A 192.0.2.1"
		print "ns2 IN AAAA 2001:db8::2"
		for (i = 0; i < 4000; i++) {
			h = sprintf("host%d", i)
			if (i % 7 == 0)
				h = sprintf("Host%d.Dept%d", i, i % 13)
			printf "%s %d IN A 10.%d.%d.%d\n", h, 300 + i % 5 * 60,
			    int(i / 65536) % 256, int(i / 256) % 256, i % 256
			printf "%s IN AAAA 2001:db8:%x::%x\n", h, i % 65536, i + 1
			printf "%s IN TXT \"id=%d\" \"owner=team-%d\"\n", h, i, i % 17
			if (i % 3 == 0)
				printf "%s IN MX %d mx%d.large.example.\n", h, i % 50, i % 4
			if (i % 5 == 0)
				printf "_http._tcp.%s IN SRV 0 %d 80 %s\n", h, i % 100, h
			if (i % 11 == 0)
				printf "alias%d IN CNAME %s\n", i, h
			if (i % 97 == 0)
				printf "*.wild%d IN A 10.200.%d.1\n", i, i % 256
		}
		for (i = 0; i < 4; i++)
			printf "mx%d IN A 192.0.2.%d\n", i, 10 + i
		for (i = 0; i < 800; i++) {
			printf "cust%d IN NS ns1.cust%d\n", i, i
			printf "cust%d IN NS ns.provider%d.example.net.\n", i, i % 9
			printf "cust%d IN DS %d 13 2 %08x%08x%08x%08x%08x%08x%08x%08x\n", i, 1000 + i,
			    i, i * 3, i * 5, i * 7, i * 11, i * 13, i * 17, i * 19
			printf "ns1.cust%d IN A 198.51.%d.%d\n", i, int(i / 250), i % 250 + 1
		}
		for (i = 0; i < 2000; i++)
			printf "%d.%d.rev IN PTR host%d.large.example.\n", i % 256, int(i / 256), i
		# RRsets past the 16 KiB that compression pointers can reach
		for (i = 0; i < 1000; i++)
			printf "farm IN MX %d mx%d.farm.example.net.\n", i, i
		for (i = 0; i < 200; i++) {
			s = sprintf("record %d ", i)
			while (length(s) < 240)
				s = s "abcdefghij"
			printf "bulk IN TXT \"%s\" \"%d\"\n", substr(s, 1, 240), i
		}
	}' >"$1"
}

zones=()
for f in "$corpus"/*.zone "$examples"/*.zone; do
	[ -e "$f" ] || continue
	zones+=("$f")
done
if [ ${#zones[@]} -eq 0 ]; then
	echo "roundtrip: no zones found under $corpus" >&2
	exit 1
fi

for f in "${zones[@]}"; do
	base=$(basename -- "$f" .zone)
	check_zone "${f#"$srcdir"/}" "$base" "$f"
done

generate_large "$tmp/large.example.zone"
check_zone "(generated) large.example.zone" large.example "$tmp/large.example.zone"

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
	exit 1
fi
exit 0
