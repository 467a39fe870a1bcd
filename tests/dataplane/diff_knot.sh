#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Differential test of the answer engine against Knot DNS.
#
#   diff_knot.sh DIFF_KNOT ZONEWIRE_COMPILE [diff_knot options...]
#
# Compiles the zones (docs/examples/*.zone, tests/dataplane/diff/zones/ and
# the signed zones of the DNSSEC tests, tests/dataplane/zones/nsec*.test.zone,
# each file named ORIGIN.zone), starts knotd on 127.0.0.1 at a free high
# port with its own configuration, run directory and storage in a temporary
# directory, waits until it serves every zone, and runs diff_knot, which
# sends the corpus to Knot and the same bytes to the engine and compares the
# responses. knotd is stopped by its PID on exit. Extra arguments go to
# diff_knot (-v, --only GLOB).
#
# Exit status: that of diff_knot; 77 (skipped) without knotd.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 DIFF_KNOT ZONEWIRE_COMPILE [options]" >&2
	exit 2
fi
diff_knot=$1
compile=$2
shift 2
src=${ZW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
data=$src/tests/dataplane/diff

knotd=$(command -v knotd || true)
[ -n "$knotd" ] || knotd=/usr/sbin/knotd
if [ ! -x "$knotd" ]; then
	echo "diff_knot.sh: knotd not found, skipping"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zw-diff-knot.XXXXXX")
knot_pid=
diff_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$diff_pid" ]; then
		kill "$diff_pid" 2>/dev/null || true
		wait "$diff_pid" 2>/dev/null || true
	fi
	if [ -n "$knot_pid" ] && kill -0 "$knot_pid" 2>/dev/null; then
		kill "$knot_pid" 2>/dev/null || true
		# bounded wait for it to go
		i=0
		while kill -0 "$knot_pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$knot_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$tmp/zones" "$tmp/run" "$tmp/db" "$tmp/img"

# Compile every zone; Knot gets the same file, except for zones using
# $GENERATE, which Knot's parser does not know: those it gets as the
# compiler prints them back from the image.
zone_args=
zone_conf=
# the signed zones: Knot serves them as they are (no signing of its own)
signed="$src/tests/dataplane/zones/nsec.test.zone $src/tests/dataplane/zones/nsec3.test.zone"
signed="$signed $src/tests/dataplane/zones/nsec3-noopt.test.zone"
# shellcheck disable=SC2086 # the list of signed zones is split on purpose
for f in "$src"/docs/examples/*.zone "$data"/zones/*.zone $signed; do
	origin=$(basename "$f" .zone)
	img=$tmp/img/$origin.zwi
	if ! "$compile" -q -z "$origin." -o "$img" "$f"; then
		echo "diff_knot.sh: $f does not compile" >&2
		exit 2
	fi
	# shellcheck disable=SC2016 # a literal $GENERATE
	if grep -q '^[[:space:]]*\$GENERATE' "$f"; then
		"$compile" --dump "$img" >"$tmp/zones/$origin.zone"
	else
		cp "$f" "$tmp/zones/$origin.zone"
	fi
	zone_args="$zone_args -z $img"
	zone_conf="$zone_conf  - domain: $origin.
    file: $origin.zone
"
done

# A free port: a random high one that nothing listens on, UDP or TCP (as
# far as ss tells); the start is retried if knotd cannot bind it after all.
free_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
		if ! (ss -Hlnu "sport = :$p"; ss -Hlnt "sport = :$p") 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

start_knot() {
	port=$1
	cat >"$tmp/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$port
    rundir: "$tmp/run"
    pidfile: "$tmp/run/knot.pid"
    udp-workers: 2
    tcp-workers: 2
    background-workers: 2
$("$diff_knot" --knot-conf)
control:
    listen: "$tmp/run/knot.sock"
database:
    storage: "$tmp/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$tmp/zones"
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
$zone_conf
EOF
	"$knotd" -c "$tmp/knot.conf" >"$tmp/knot.log" 2>&1 &
	knot_pid=$!
}

# Waits (at most 30 s) until knotd serves every zone with the serial of its
# image; gives up at once if knotd exits (the port was taken, say).
wait_knot() {
	i=0
	while [ "$i" -lt 30 ]; do
		kill -0 "$knot_pid" 2>/dev/null || return 1
		# shellcheck disable=SC2086
		"$diff_knot" -p "$port" --wait 1 $zone_args 2>/dev/null && return 0
		i=$((i + 1))
	done
	return 1
}

started=
for attempt in 1 2 3; do
	port=$(free_port) || { echo "diff_knot.sh: no free port" >&2; exit 2; }
	start_knot "$port"
	if wait_knot; then
		started=1
		break
	fi
	echo "diff_knot.sh: knotd did not come up on port $port (attempt $attempt):" >&2
	cat "$tmp/knot.log" >&2
	kill "$knot_pid" 2>/dev/null || true
	wait "$knot_pid" 2>/dev/null || true
	knot_pid=
done
[ -n "$started" ] || exit 2
if grep -q ' error: ' "$tmp/knot.log"; then
	echo "diff_knot.sh: knotd reported errors:" >&2
	cat "$tmp/knot.log" >&2
	exit 2
fi

# In the background: a trap runs only when the foreground command ends,
# but wait returns as soon as a signal comes, so a signal stops the run.
rc=0
# shellcheck disable=SC2086
"$diff_knot" -p "$port" -q "$data/queries.txt" -a "$data/allowed.txt" "$@" $zone_args &
diff_pid=$!
wait "$diff_pid" || rc=$?
diff_pid=
exit $rc
