#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_answer_smoke.sh BENCH_ANSWER ZONEWIRE_COMPILE
#
# The answer benchmark still runs and still measures what the docs say:
# over a zone unsigned and the same zone signed with NSEC and with NSEC3
# (the DNSSEC test zones), one run compares the three sets pass by pass
# ("vs"); the three mixes must be the same queries (mix_hash), every query
# answered as planned, and each set's figures and ratios printed. A short,
# bounded run: it checks that the program works, not how fast it is.
set -euo pipefail

BENCH=$1
COMPILE=$2
SRC=${ZW_SRCDIR:?}/tests/dataplane
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -s "$tmp/out" ] && sed 's/^/  | /' "$tmp/out" >&2
	exit 1
}

"$COMPILE" -q -z nsec.test. -o "$tmp/u.zwi" "$SRC/dnssec/src/nsec.test.zone" ||
	fail "compiling the unsigned nsec.test. zone"
"$COMPILE" -q -z nsec.test. -o "$tmp/s.zwi" "$SRC/zones/nsec.test.zone" ||
	fail "compiling the NSEC zone"
"$COMPILE" -q -z nsec3.test. -o "$tmp/u3.zwi" "$SRC/dnssec/src/nsec3.test.zone" ||
	fail "compiling the unsigned nsec3.test. zone"
"$COMPILE" -q -z nsec3.test. -o "$tmp/s3.zwi" "$SRC/zones/nsec3.test.zone" ||
	fail "compiling the NSEC3 zone"

# one set
timeout 60 "$BENCH" -n 2000 -s 0.2 -c -1 --edns-all --do "$tmp/s.zwi" >"$tmp/out" 2>&1 ||
	fail "bench_answer over one set"
grep -q '^cpu_ns_per_answer: [0-9]' "$tmp/out" || fail "no cpu_ns_per_answer"

# three sets: the zone unsigned, with NSEC (nsec.test) and the same names
# with NSEC3 cannot be one origin, so the NSEC3 pair is a run of its own
for pair in "u s" "u3 s3"; do
	read -r a b <<<"$pair"
	timeout 60 "$BENCH" -n 2000 -s 0.3 -c -1 --edns-all --do "$tmp/$a.zwi" vs "$tmp/$b.zwi" \
		vs "$tmp/$a.zwi" >"$tmp/out" 2>&1 || fail "bench_answer $a vs $b vs $a"
	grep -q '^sets: 3$' "$tmp/out" || fail "sets: 3 missing"
	hashes=$(awk '/^set[0-9]+\.mix_hash:/ { print $2 }' "$tmp/out" | sort -u | wc -l)
	[ "$hashes" = 1 ] || fail "$a and $b did not get the same queries"
	for k in 1 2 3; do
		grep -q "^set$k.cpu_ns_per_answer: [0-9]" "$tmp/out" || fail "no set$k figure"
		# every query answered as its kind intended, signed or not
		awk -v p="set$k.planned." 'index($0, p) == 1 && $2 != $NF { bad = 1 } END { exit bad }' \
			"$tmp/out" || fail "set$k: queries not answered as planned"
	done
	for k in 2 3; do
		grep -q "^set$k.ratio: [0-9]" "$tmp/out" || fail "no set$k.ratio"
		grep -q "^set$k.ratio_median_round: [0-9]" "$tmp/out" || fail "no set$k median ratio"
	done
	# a set against itself: the same work, so a ratio near 1 (loose: a
	# shared machine and a tiny run)
	awk '/^set3.ratio: / { exit !($2 > 0.5 && $2 < 2.0) }' "$tmp/out" ||
		fail "a set against itself is far from 1"
done

# misuse: clear errors, no crash
if "$BENCH" -n 10 -s 0.1 -c -1 "$tmp/u.zwi" vs >"$tmp/out" 2>&1; then
	fail "a trailing vs was accepted"
fi
grep -q 'empty set' "$tmp/out" || fail "no message for a trailing vs"
if "$BENCH" -n 10 --count 5 -c -1 "$tmp/u.zwi" vs "$tmp/s.zwi" >"$tmp/out" 2>&1; then
	fail "--count with two sets was accepted"
fi
echo "bench_answer smoke: ok"
