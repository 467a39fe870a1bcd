#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for api_netns.sh (Python standard library only).

  apitool.py load SERVER NAME --version TAG:TTL:ADDR,ADDR... [--version ...]
             --stop-file FILE [--max-seconds S] [--window N] [--timeout S]
      Sends A queries for NAME to SERVER (UDP port 53), at most N in flight,
      until FILE exists (or S seconds have passed), then waits for the last
      answers. Each answer's A RRset, as a set of (TTL, address), must be
      exactly one of the versions given. Prints one JSON line:
      {"sent": N, "answered": N, "timeouts": N, "versions": {TAG: N, ...},
       "other": N, "examples": [...]} and exits 0.

  apitool.py ctl SOCKET NOT_AN_IMAGE
      Sends malformed and wrong requests to the control socket, on one
      connection, then a line longer than the limit on another; prints one
      "ok ..." or "FAIL ..." line per check and exits 1 if any failed.

  apitool.py json FILE EXPR
      Evaluates EXPR with r bound to the JSON object in FILE; exits 0 if it
      is true, 1 otherwise (printing the value).
"""

import json
import os
import select
import socket
import struct
import sys
import time


def build_query(qid, name):
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.strip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack("!HH", 1, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def answer_set(msg):
    """(id, rcode, frozenset of (ttl, addr) of the A records), or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    if not flags & 0x8000:
        return None
    off = 12
    try:
        for _ in range(qd):
            off = skip_name(msg, off) + 4
        recs = set()
        for _ in range(an):
            off = skip_name(msg, off)
            rtype, _rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            rdata = msg[off:off + rdlen]
            off += rdlen
            if rtype == 1 and rdlen == 4:
                recs.add((ttl, socket.inet_ntoa(rdata)))
            else:
                recs.add((ttl, "type%d" % rtype))
    except (IndexError, struct.error):
        return None
    return qid, flags & 0xF, frozenset(recs)


def cmd_load(args):
    server, name = args[0], args[1]
    versions = {}
    stop_file, max_seconds, window, timeout = None, 600.0, 8, 2.0
    i = 2
    while i < len(args):
        if args[i] == "--version":
            tag, ttl, addrs = args[i + 1].split(":", 2)
            versions[frozenset((int(ttl), a) for a in addrs.split(","))] = tag
        elif args[i] == "--stop-file":
            stop_file = args[i + 1]
        elif args[i] == "--max-seconds":
            max_seconds = float(args[i + 1])
        elif args[i] == "--window":
            window = int(args[i + 1])
        elif args[i] == "--timeout":
            timeout = float(args[i + 1])
        else:
            sys.exit("unknown argument " + args[i])
        i += 2
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((server, 53))
    s.setblocking(False)
    counts = {tag: 0 for tag in versions.values()}
    sent = answered = timeouts = other = 0
    examples = []
    flight = {}
    next_id = 1
    t0 = time.monotonic()
    stopping = False
    while True:
        now = time.monotonic()
        if not stopping and ((stop_file and os.path.exists(stop_file)) or now - t0 > max_seconds):
            stopping = True
        if stopping and not flight:
            break
        while not stopping and len(flight) < window:
            while next_id in flight:
                next_id = (next_id + 1) & 0xFFFF or 1
            try:
                s.send(build_query(next_id, name))
            except BlockingIOError:
                break
            flight[next_id] = now
            sent += 1
            next_id = (next_id + 1) & 0xFFFF or 1
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            while True:
                try:
                    msg = s.recv(4096)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                parsed = answer_set(msg)
                if parsed is None or parsed[0] not in flight:
                    continue
                qid, rcode, recs = parsed
                del flight[qid]
                answered += 1
                tag = versions.get(recs) if rcode == 0 else None
                if tag is None:
                    other += 1
                    if len(examples) < 5:
                        examples.append({"rcode": rcode, "records": sorted(recs)})
                else:
                    counts[tag] += 1
        now = time.monotonic()
        for qid in [q for q, t in flight.items() if now - t > timeout]:
            del flight[qid]
            timeouts += 1
    print(json.dumps({"sent": sent, "answered": answered, "timeouts": timeouts,
                      "versions": counts, "other": other, "examples": examples,
                      "seconds": round(time.monotonic() - t0, 1)}))
    return 0


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln

    def eof(self):
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def cmd_ctl(args):
    path, not_image = args[0], args[1]
    failed = 0

    def check(ok, what):
        nonlocal failed
        print(("ok " if ok else "FAIL ") + what)
        failed += 0 if ok else 1

    cases = [
        (b'{"cmd": "status"', "malformed JSON"),
        (b"status", "malformed JSON"),
        (b"\xff\xfe\x00\x01garbage", "malformed JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", 'missing "cmd"'),
        (b'{"cmd": 7}', '"cmd" must be a string'),
        (b'{"cmd": "frobnicate"}', 'unknown command "frobnicate"'),
        (b'{"cmd": "zone-load"}', 'zone-load needs "image"'),
        (b'{"cmd": "zone-load", "image": 1}', '"image" must be a string'),
        (b'{"cmd": "zone-load", "image": "relative.zwi"}', "absolute path"),
        (b'{"cmd": "zone-load", "image": "/nonexistent/x.zwi"}', "No such file"),
        (b'{"cmd": "zone-load", "image": "%s"}' % not_image.encode(), not_image),
        (b'{"cmd": "zone-remove"}', 'zone-remove needs "zone"'),
        (b'{"cmd": "zone-remove", "zone": ["x"]}', '"zone" must be a string'),
        (b'{"cmd": "zone-remove", "zone": "no-such-zone.example."}', "no zone"),
        (b'{"cmd": "status", "extra": 1}', 'unknown argument "extra"'),
    ]
    c = Conn(path)
    c.s.sendall(b"".join(req + b"\n" for req, _ in cases))
    for req, want in cases:
        ln = c.line()
        try:
            r = json.loads(ln) if ln is not None else None
        except ValueError:
            r = None
        good = isinstance(r, dict) and r.get("ok") is False and want in r.get("error", "")
        check(good, "%r -> %s" % (req[:60], ln.decode(errors="replace") if ln else "(nothing)"))
    c.s.sendall(b'{"cmd": "status", "id": 42}\n')
    ln = c.line()
    r = json.loads(ln) if ln else {}
    check(r.get("ok") is True and r.get("id") == 42, "the connection is still usable: %s" % (ln or b"").decode()[:80])

    c2 = Conn(path)
    c2.s.sendall(b"x" * 70000)
    ln = c2.line()
    r = json.loads(ln) if ln else {}
    check(r.get("ok") is False and "longer than" in r.get("error", ""),
          "a 70000-byte line: %s" % (ln or b"").decode()[:100])
    check(c2.eof(), "the connection with the long line is closed")
    c.s.sendall(b'{"cmd": "zone-list"}\n')
    ln = c.line()
    r = json.loads(ln) if ln else {}
    check(r.get("ok") is True, "the other connection still works")
    return 1 if failed else 0


def cmd_json(args):
    with open(args[0]) as f:
        r = json.loads(f.read().strip().splitlines()[-1])
    v = eval(args[1], {"r": r})  # the test's own expressions
    if v:
        return 0
    print("expression %s is %r in %s" % (args[1], v, json.dumps(r)[:300]))
    return 1


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "load":
        return cmd_load(args)
    if cmd == "ctl":
        return cmd_ctl(args)
    if cmd == "json":
        return cmd_json(args)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
