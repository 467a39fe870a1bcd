#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Zone compiler benchmark: zonewire-compile against Knot DNS loading the same
# zone file.
#
#   sudo bench/compile_vs_knot.sh
#
# For two synthetic zones (bench/gen_zone.py: a hosting zone of 1,000,000
# RRs and a TLD zone of 200,000 delegations) it measures
#   - zonewire-compile: wall time and peak RSS of the compiler process,
#     the image size and its ratio to the zone's uncompressed wire size
#     (rr_wire_bytes in the image header);
#   - bench_image_open: time to open + verify + close the image;
#   - knotd (the distribution's package): time from exec until
#     `kdig @127.0.0.1 -p PORT ZONE SOA` returns the zone's serial, and
#     knotd's peak RSS (VmHWM) at that moment;
# and prints one row per zone, then the targets.
#
# Environment (all optional):
#   ZW_BUILD        meson build directory (default: <repo>/build)
#   ZW_BENCH_CACHE  directory where the generated zones are kept and reused
#                   (default: generated into the temporary directory)
#   ZW_BENCH_RUNS   runs per measurement, median reported (default 3)
#   ZW_BENCH_OPEN_ITER  opens per bench_image_open run (default 20)
#   ZW_BENCH_HOSTING_RRS  (default 1000000)
#   ZW_BENCH_TLD_DELEGATIONS  (default 200000)
#   ZW_BENCH_PORT   port for knotd (default 53535, or a free one if taken)
#
# Every step is bounded: zone generation 600 s, each compile 600 s, each
# image-open run 300 s, each knotd load 120 s. The temporary directory and
# any knotd started here are removed on exit, including on errors and
# signals.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
OPENBENCH=$BUILD/bench/bench_image_open
RUNS=${ZW_BENCH_RUNS:-3}
OPEN_ITER=${ZW_BENCH_OPEN_ITER:-20}
HOSTING_RRS=${ZW_BENCH_HOSTING_RRS:-1000000}
TLD_DELEGATIONS=${ZW_BENCH_TLD_DELEGATIONS:-200000}
SEED=1
GEN_TIMEOUT=600
COMPILE_TIMEOUT=600
OPEN_TIMEOUT=300
KNOT_TIMEOUT=120

for tool in python3 knotd kdig timeout; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x "$COMPILER" ] || die "$COMPILER not built (meson setup build && ninja -C build)"
[ -x "$OPENBENCH" ] || die "$OPENBENCH not built (ninja -C build)"
posint ZW_BENCH_RUNS "$RUNS"
[ "$(id -u)" -eq 0 ] || note "not root; continuing (knotd uses a high port)"

bench_tmp zwbench
KNOT_PIDFILE=$TMP/knotd.pid

# knotd runs as a daemon: its PID from its PID file
bench_cleanup() {
	local pid
	[ -s "$KNOT_PIDFILE" ] || return 0
	pid=$(cat "$KNOT_PIDFILE")
	[[ "$pid" =~ ^[0-9]+$ ]] && stop_pid "$pid" 5
}

# --- helpers (python3, standard library only) --------------------------------

# run_child.py TIMEOUT LOG CMD...: runs CMD, prints "rc wall_s maxrss_kib cpu_s".
cat >"$TMP/run_child.py" <<'EOF'
import resource, signal, subprocess, sys, time
# On SIGTERM, subprocess.run() kills the child before the exception unwinds.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
timeout, log, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(log, "ab") as out:
    t0 = time.monotonic()
    try:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                            timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        rc = 124
    wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%d %.3f %d %.3f" % (rc, wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime))
EOF

# knot_load.py CONF PIDFILE LOG PORT ZONE SERIAL TIMEOUT:
# starts knotd, polls the SOA every 20 ms, prints "load_s vmhwm_kib cpu_s" (cpu_s:
# knotd's user+system time at that moment), stops knotd.
# kdig's smallest timeout is 1 s and a query sent before knotd has bound its
# UDP socket is lost, so kdig is only run once knotd owns a socket bound to
# the port (/proc/net/udp and /proc/PID/fd, checked every 5 ms); otherwise the
# first lost query would add a second to Knot's time.
cat >"$TMP/knot_load.py" <<'EOF'
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs the finally: below
conf, pidfile, log, port, zone, serial, timeout = sys.argv[1:8]
timeout = float(timeout)

def udp_bound(p, pid):
    """Whether knotd (pid) has a UDP socket bound to 127.0.0.1:p."""
    want = "0100007F:%04X" % int(p)
    with open("/proc/net/udp") as f:
        next(f)
        inodes = {"socket:[%s]" % l.split()[9] for l in f if l.split()[1] == want}
    if not inodes:
        return False
    fds = "/proc/%d/fd" % pid
    try:
        return any(os.readlink(os.path.join(fds, fd)) in inodes for fd in os.listdir(fds))
    except OSError:
        return False

with open(log, "ab") as out:
    t0 = time.monotonic()
    knot = subprocess.Popen(["knotd", "-c", conf], stdout=out, stderr=subprocess.STDOUT)
with open(pidfile, "w") as f:
    f.write("%d\n" % knot.pid)
loaded = None
hwm = None
cpu = None
bound = None
queries = 0
slowest = 0.0
try:
    while time.monotonic() - t0 < timeout:
        if knot.poll() is not None:
            sys.exit("knotd exited with status %d (see %s)" % (knot.returncode, log))
        if bound is None:
            if not udp_bound(port, knot.pid):
                time.sleep(0.005)
                continue
            bound = time.monotonic() - t0
        try:
            q0 = time.monotonic()
            queries += 1
            r = subprocess.run(["kdig", "+short", "+timeout=1", "+retry=0",
                                "@127.0.0.1", "-p", port, zone, "SOA"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               timeout=5)
            slowest = max(slowest, time.monotonic() - q0)
            fields = r.stdout.split()
            if len(fields) >= 3 and fields[2].decode() == serial:
                loaded = time.monotonic() - t0
                with open("/proc/%d/status" % knot.pid) as st:
                    for line in st:
                        if line.startswith("VmHWM:"):
                            hwm = int(line.split()[1])
                with open("/proc/%d/stat" % knot.pid) as st:
                    f = st.read().rsplit(")", 1)[1].split()
                    cpu = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
                break
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.02)
finally:
    with open(log, "a") as out:
        out.write("bench: port %s bound after %s s, served after %s s, %d kdig queries, "
                  "slowest %.3f s\n" % (port, "%.3f" % bound if bound else "-",
                                        "%.3f" % loaded if loaded else "-", queries, slowest))
    if knot.poll() is None:
        knot.send_signal(signal.SIGTERM)
        try:
            knot.wait(timeout=10)
        except subprocess.TimeoutExpired:
            knot.kill()
            knot.wait()
    os.unlink(pidfile)
if loaded is None:
    sys.exit("knotd did not serve %s serial %s within %.0f s (see %s)"
             % (zone, serial, timeout, log))
print("%.3f %d %.2f" % (loaded, hwm, cpu))
EOF

# stats.py: "median" or "max" of the numbers on stdin.
cat >"$TMP/stats.py" <<'EOF'
import statistics, sys
v = [float(x) for x in sys.stdin.read().split()]
print("%.3f" % (statistics.median(v) if sys.argv[1] == "median" else max(v)))
EOF

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if python3 -c 'import os, sys; sys.exit(os.getloadavg()[0] < 0.5 * os.cpu_count())'; then
	echo "compile_vs_knot: load average $LOAD_START on $(nproc) CPUs: other work is running," \
		"expect noisy figures" >&2
fi

# --- zones ------------------------------------------------------------------

ZONEDIR=${ZW_BENCH_CACHE:-$TMP/zones}
mkdir -p "$ZONEDIR"

# zone_file KIND N: sets ZONE_PATH to the zone, generated unless cached and
# newer than the generator.
zone_file() {
	ZONE_PATH=$ZONEDIR/$1-$2-s$SEED.zone
	if [ ! -s "$ZONE_PATH" ] || [ "$GEN" -nt "$ZONE_PATH" ]; then
		echo "generating $ZONE_PATH" >&2
		bg_run -t "$GEN_TIMEOUT" /dev/stderr python3 "$GEN" --seed "$SEED" \
			"$1" "$2" "$ZONE_PATH" || die "zone generation failed"
	else
		echo "reusing $ZONE_PATH" >&2
	fi
}

zone_file hosting "$HOSTING_RRS"
HOSTING_ZONE=$ZONE_PATH
zone_file tld "$TLD_DELEGATIONS"
TLD_ZONE=$ZONE_PATH

# --- measurements -----------------------------------------------------------

RESULTS=$TMP/results
: >"$RESULTS"

bench_zone() {
	local label=$1 origin=$2 zone=$3
	local dir=$TMP/$label img log info serial
	mkdir -p "$dir"
	img=$dir/$label.zwi
	log=$dir/compile.log
	serial=$(zone_serial "$zone")
	[ -n "$serial" ] || die "no SOA serial in $zone"
	echo "== $label: $zone ($(grep -vc '^[;$]' "$zone") RRs, serial $serial)" >&2

	# zonewire-compile
	local i rc wall rss cpu walls="" rsss="" cpus=""
	for i in $(seq "$RUNS"); do
		rm -f "$img"
		bg_run "$dir/rusage" python3 "$TMP/run_child.py" "$COMPILE_TIMEOUT" "$log" \
			"$COMPILER" -z "$origin" -o "$img" "$zone"
		read -r rc wall rss cpu <"$dir/rusage"
		if [ "$rc" -ne 0 ]; then
			echo "zonewire-compile failed (status $rc) on $zone:" >&2
			tail -n 20 "$log" >&2
			return 1
		fi
		echo "   compile run $i: ${wall} s, peak RSS $((rss / 1024)) MiB, CPU ${cpu} s" >&2
		walls+=" $wall"; rsss+=" $rss"; cpus+=" $cpu"
	done
	if [ -s "$log" ]; then
		echo "   compiler output ($(wc -l <"$log") lines, last run):" >&2
		tail -n 5 "$log" | sed 's/^/     | /' >&2
	fi

	info=$dir/info.txt
	"$COMPILER" --info "$img" >"$info" 2>&1 || { cat "$info" >&2; die "--info failed on $img"; }

	# image open
	local open=$dir/open.txt
	bg_run -t "$OPEN_TIMEOUT" "$open" "$OPENBENCH" "$img" "$OPEN_ITER" \
		|| die "bench_image_open failed on $img"
	local opens_min="" opens_med="" opens_cpu="" r
	for r in $(seq "$RUNS"); do
		[ "$r" -eq 1 ] || bg_run -t "$OPEN_TIMEOUT" "$open" "$OPENBENCH" "$img" "$OPEN_ITER" \
			|| die "bench_image_open failed on $img"
		opens_min+=" $(kv "$open" open_ms_min)"
		opens_med+=" $(kv "$open" open_ms_median)"
		opens_cpu+=" $(kv "$open" open_cpu_ms_median)"
	done

	local img_bytes wire
	img_bytes=$(stat -c %s "$img")
	wire=$(kv "$info" rr_wire_bytes)
	[ -n "$wire" ] || wire=$(kv "$open" rr_wire_bytes)

	# knotd
	local kdir=$dir/knot kwalls="" khwms="" kcpus="" kcpu
	for i in $(seq "$RUNS"); do
		rm -rf "$kdir"
		mkdir -p "$kdir/run" "$kdir/storage"
		# Other servers may come and go on this machine: check the port each run.
		PORT=$(free_port "${ZW_BENCH_PORT:-53535}")
		cat >"$kdir/knot.conf" <<-EOF
		server:
		    rundir: "$kdir/run"
		    pidfile: "$kdir/run/knot.pid"
		    listen: 127.0.0.1@$PORT
		log:
		  - target: stderr
		    any: info
		database:
		    storage: "$kdir/storage"
		template:
		  - id: default
		    storage: "$kdir/storage"
		    zonefile-load: whole
		    zonefile-sync: -1
		    journal-content: none
		    semantic-checks: off
		zone:
		  - domain: $origin
		    file: "$zone"
		EOF
		bg_run "$dir/knot.out" python3 "$TMP/knot_load.py" "$kdir/knot.conf" "$KNOT_PIDFILE" \
			"$dir/knot.log" "$PORT" "$origin" "$serial" "$KNOT_TIMEOUT" \
			|| { tail -n 20 "$dir/knot.log" >&2; return 1; }
		read -r wall rss kcpu <"$dir/knot.out"
		echo "   knotd run $i: ${wall} s, VmHWM $((rss / 1024)) MiB, CPU ${kcpu} s" \
			"($(grep '^bench:' "$dir/knot.log" | tail -n 1 | cut -d' ' -f2-))" >&2
		kwalls+=" $wall"; khwms+=" $rss"; kcpus+=" $kcpu"
	done

	med() { echo "$1" | python3 "$TMP/stats.py" median; }
	mx() { echo "$1" | python3 "$TMP/stats.py" max; }
	{
		echo "label=$label"
		echo "origin=$origin"
		echo "rrs=$(kv "$open" rr_count)"
		echo "zone_bytes=$(stat -c %s "$zone")"
		echo "compile_s=$(med "$walls")"
		echo "compile_cpu_s=$(med "$cpus")"
		echo "compile_kib=$(mx "$rsss")"
		echo "image_bytes=$img_bytes"
		echo "wire_bytes=$wire"
		echo "open_min_ms=$(med "$opens_min")"
		echo "open_med_ms=$(med "$opens_med")"
		echo "open_cpu_ms=$(med "$opens_cpu")"
		echo "knot_s=$(med "$kwalls")"
		echo "knot_kib=$(mx "$khwms")"
		echo "knot_cpu_s=$(med "$kcpus")"
		echo "end"
	} >>"$RESULTS"
	echo "   --info:" >&2
	sed 's/^/     | /' "$info" >&2
}

bench_zone hosting bench.example. "$HOSTING_ZONE"
bench_zone tld tld. "$TLD_ZONE"

# --- report -----------------------------------------------------------------

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($CPU_MODEL); $(knotd --version | head -n 1)"
echo "load average at start: $LOAD_START; at end: $LOAD_END"
python3 - "$RESULTS" "$RUNS" "$OPEN_ITER" <<'EOF'
import sys
rows, cur = [], {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line == "end":
        rows.append(cur)
        cur = {}
    elif "=" in line:
        k, v = line.split("=", 1)
        cur[k] = v
runs, iters = sys.argv[2], sys.argv[3]
MiB = 1024.0 * 1024.0

def f(r, k):
    return float(r[k]) if r.get(k) not in (None, "") else None

print()
print("Zone compiler vs Knot DNS (median of %s runs; open: %s opens per run)" % (runs, iters))
print()
hdr = ("zone", "RRs", "zw compile s (CPU s)", "zw peak MiB", "image MiB", "image/wire",
       "open ms min/med (CPU)", "knot load s (CPU s)", "knot MiB")
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join("---" for _ in hdr) + "|")
for r in rows:
    wire = f(r, "wire_bytes")
    ratio = "%.2f" % (f(r, "image_bytes") / wire) if wire else "n/a"
    print("| %s | %s | %.2f (%.2f) | %.0f | %.1f | %s | %.1f / %.1f (%.1f) | %.2f (%.2f) | %.0f |" % (
        r["origin"], "{:,}".format(int(r["rrs"])) if r.get("rrs") else "?",
        f(r, "compile_s"), f(r, "compile_cpu_s"), f(r, "compile_kib") / 1024,
        f(r, "image_bytes") / MiB, ratio, f(r, "open_min_ms"), f(r, "open_med_ms"),
        f(r, "open_cpu_ms"),
        f(r, "knot_s"), f(r, "knot_cpu_s"), f(r, "knot_kib") / 1024))
print()
print("Details:")
for r in rows:
    wire = f(r, "wire_bytes")
    print("  %s: zone file %.1f MiB, uncompressed wire size %s MiB" % (
        r["origin"], f(r, "zone_bytes") / MiB, "%.1f" % (wire / MiB) if wire else "n/a"))
print("  CPU s: user+system time of zonewire-compile (whole run) and of knotd")
print("  (all threads, when the serial was first served); median of the runs.")
print("  open: elapsed ms per zw_image_open()+close, min and median; (CPU): median")
print("  CPU ms per open (user+system); medians over the runs.")
print()
print("Targets:")
for r in rows:
    c, k = f(r, "compile_s"), f(r, "knot_s")
    print("  %-14s compile faster than Knot loads: %.2f s vs %.2f s  %s (CPU: %.2f s vs %.2f s)" % (
        r["origin"], c, k, "met" if c < k else "MISSED", f(r, "compile_cpu_s"), f(r, "knot_cpu_s")))
for r in rows:
    wire = f(r, "wire_bytes")
    if wire:
        ratio = f(r, "image_bytes") / wire
        print("  %-14s image <= 1.5 x wire size: %.2f x  %s" % (
            r["origin"], ratio, "met" if ratio <= 1.5 else "MISSED"))
    else:
        print("  %-14s image <= 1.5 x wire size: rr_wire_bytes not found" % r["origin"])
for r in rows:
    if r["label"] == "hosting":
        m = f(r, "open_med_ms")
        print("  %-14s open+verify of the %s-RR image < 50 ms (target set for 1M RRs): "
              "median %.1f ms  %s (CPU: %.1f ms)" % (
                  r["origin"], "{:,}".format(int(r["rrs"])), m,
                  "met" if m < 50 else "MISSED", f(r, "open_cpu_ms")))
EOF
