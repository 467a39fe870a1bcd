#!/usr/bin/env bash
# Runs every libFuzzer harness for a bounded time.
#
#   .ci/fuzz.sh SECONDS
#
# Builds build-fuzz with clang (ASan + UBSan + libFuzzer), then runs each
# harness for SECONDS/2 on a copy of its seed corpus in a temporary
# directory. The image harness is seeded with images compiled from
# docs/examples/*.zone and tests/fuzz/corpus/zone/*.zone, so its seeds
# always have the current format. Prints one line per harness; exits non-zero
# if any harness crashes, hangs, runs out of memory or does not build.
# Inputs that crash are kept under build-fuzz/crashes/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)

secs=${1:-}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 2 ]; then
  echo "usage: $0 SECONDS (at least 2)" >&2
  exit 2
fi
harnesses=(fuzz_image fuzz_zone_parse fuzz_answer)
per=$((secs / ${#harnesses[@]}))
export ZW_SRCDIR=$(pwd)
build="build-fuzz"

command -v clang >/dev/null || { echo "fuzz: clang not found" >&2; exit 1; }

# configure and build, bounded too
opts=(-Dfuzz=true "-Db_sanitize=address,undefined" -Db_lundef=false
  -Dbuildtype=debugoptimized -Dtests=disabled -Djemalloc=disabled -Dwerror=false)
# the daemon (DPDK) is not needed to fuzz the zone code
grep -q "option('dataplane'" meson_options.txt && opts+=(-Ddataplane=disabled)
if [ -f "$build/build.ninja" ] &&
  grep -q 'command = clang ' "$build/build.ninja"; then
  timeout 300 meson configure "$build" "${opts[@]}" >/dev/null
elif [ -d "$build" ]; then
  CC=clang timeout 300 meson setup --wipe "$build" "${opts[@]}" >/dev/null
else
  CC=clang timeout 300 meson setup "$build" "${opts[@]}" >/dev/null
fi || { echo "fuzz: meson setup failed" >&2; exit 1; }
if ! grep -q "fuzz_image" "$build/build.ninja"; then
  echo "fuzz: the harnesses are not in the build; the top-level meson.build needs:" >&2
  echo "  if get_option('fuzz')" >&2
  echo "    subdir('tests/fuzz')" >&2
  echo "  endif" >&2
  exit 1
fi
targets=(zonecompiler/zonewire-compile)
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/$h"); done
if ! timeout 900 ninja -C "$build" "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  tail -30 "$build/fuzz-build.log" >&2
  echo "fuzz: build failed" >&2
  exit 1
fi

work=$(mktemp -d /tmp/zw-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
crashes="$top/$build/crashes"
mkdir -p "$crashes"

# seeds
mkdir -p "$work/zone" "$work/image"
cp tests/fuzz/corpus/zone/* "$work/zone/" 2>/dev/null
cp docs/examples/*.zone "$work/zone/" 2>/dev/null
[ -d tests/fuzz/corpus/image ] && cp tests/fuzz/corpus/image/* "$work/image/" 2>/dev/null
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
compile() { # zone file, origin, output
  timeout 60 "$build/zonecompiler/zonewire-compile" -q --no-include -z "$2" -o "$3" "$1" \
    >/dev/null 2>&1
}
for z in docs/examples/*.zone; do
  n=$(basename "$z" .zone)
  compile "$z" "$n." "$work/image/$n.zwi"
done
for z in tests/fuzz/corpus/zone/*.zone; do
  compile "$z" fuzz.test. "$work/image/$(basename "$z" .zone).zwi"
done
# signed zones: their images have the denial sections (canonical keys,
# wildcard denials, NSEC3 owners and keys)
for z in nsec.test nsec3.test; do
  compile "tests/dataplane/zones/$z.zone" "$z." "$work/image/$z.zwi"
done
# answer seeds: a few queries (mode byte 0 = UDP) made by zonewire-query's
# own query builder would need a tool; dig-like queries written by hand
mkdir -p "$work/answer"
printf '\x00\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03www\x07example\x03com\x00\x00\x01\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x04\x00\x03\x00\x00' >"$work/answer/q1"
printf '\x01\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x03sub\x07example\x03com\x00\x00\x02\x00\x01' >"$work/answer/q2"
# with DO in the signed test zones (the harness loads them): an NXDOMAIN,
# a NODATA and a referral to an unsigned child, which carry denials
printf '\x00\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x02nx\x04nse\x63\x04test\x00\x00\x01\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00' >"$work/answer/q3"
printf '\x00\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03www\x0bnse\x63\x33\x2dnoopt\x04test\x00\x00\x0f\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00' >"$work/answer/q4"
printf '\x00\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x04host\x08inse\x63ure\x0bnse\x63\x33\x2dnoopt\x04test\x00\x00\x01\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00' >"$work/answer/q5"
seeds_image=$(find "$work/image" -type f | wc -l)
if [ "$seeds_image" -eq 0 ]; then
  echo "fuzz: no image could be compiled for the seed corpus" >&2
  exit 1
fi

status=0
for h in "${harnesses[@]}"; do
  case $h in
    fuzz_image) corpus=$work/image; extra=() ;;
    fuzz_zone_parse) corpus=$work/zone; extra=(-dict=tests/fuzz/zone.dict) ;;
    fuzz_answer) corpus=$work/answer; extra=() ;;
  esac
  seeds=$(find "$corpus" -type f | wc -l)
  log=$work/$h.log
  # libFuzzer stops itself after -max_total_time; the outer timeout only
  # catches a harness that stops responding altogether
  timeout -k 10 $((per + 60)) "$build/tests/fuzz/$h" "${extra[@]}" \
    -max_total_time="$per" -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/$h-" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  now=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    echo "$h: ok: ${runs:-?} runs in ${per}s, coverage ${cov:-?}, corpus $seeds -> $now"
  else
    status=1
    what="crashed"
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && what="hung (killed after $((per + 60))s)"
    grep -q 'ERROR: libFuzzer: timeout' "$log" && what="timed out on an input"
    grep -q 'ERROR: libFuzzer: out-of-memory' "$log" && what="ran out of memory"
    art=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | cut -d' ' -f5)
    echo "$h: FAILED: $what (exit $rc) after ${runs:-?} runs; input: ${art:-none}"
    cp "$log" "$crashes/$h.log"
    grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error|ERROR: libFuzzer' "$log" | sed 's/^/    /'
    echo "    full log: $crashes/$h.log"
  fi
done
exit $status
