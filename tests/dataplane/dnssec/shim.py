#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small authoritative server for tests: UDP and TCP on given addresses,
every query answered by the answer engine through zonewire-query --wire.

    shim.py --query ZONEWIRE-QUERY [--log FILE] --ready FILE
            --serve ADDR:PORT=IMAGE[,IMAGE...] [--serve ...]

Each --serve address gets its own zone set: one zonewire-query --wire process
for UDP and one with --tcp for TCP, fed one hex query per line, answering one
hex response per line (an empty line: nothing is sent). TCP connections may
carry several queries (RFC 7766). Once every socket is bound the shim writes
the --ready file. It stops on SIGTERM or SIGINT, and its zonewire-query
processes with it. Used by tests/dataplane/dnssec_validate.sh.
"""

import argparse
import binascii
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
         28: "AAAA", 33: "SRV", 39: "DNAME", 43: "DS", 46: "RRSIG", 47: "NSEC",
         48: "DNSKEY", 50: "NSEC3", 51: "NSEC3PARAM", 255: "ANY"}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]


class Engine:
    """One zonewire-query --wire process; one query at a time."""

    def __init__(self, query, images, tcp):
        args = [query]
        for img in images:
            args += ["-z", img]
        args.append("--wire")
        if tcp:
            args.append("--tcp")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lock = threading.Lock()

    def answer(self, msg):
        with self.lock:
            self.proc.stdin.write(binascii.hexlify(msg).decode() + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if line == "":
            raise RuntimeError("zonewire-query exited")
        line = line.strip()
        return binascii.unhexlify(line) if line else None

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else None
        self.lock = threading.Lock()

    def query(self, where, transport, q, r):
        if self.f is None:
            return
        with self.lock:
            self.f.write("%.3f %s %s %s -> %s\n" % (time.time(), where, transport,
                                                     describe_query(q), describe_response(r)))


def read_name(m, off):
    labels = []
    while off < len(m):
        n = m[off]
        if n == 0:
            return ".".join(labels) + ".", off + 1
        if n & 0xC0:
            return ".".join(labels) + ".(ptr)", off + 2
        labels.append(m[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return "?", off


def describe_query(q):
    if len(q) < 12:
        return "short query"
    name, off = read_name(q, 12)
    if off + 4 > len(q):
        return name
    qtype = struct.unpack("!H", q[off:off + 2])[0]
    do = ""
    # the DO bit of an OPT RR right after the question, if there is one
    opt = off + 4
    if struct.unpack("!H", q[10:12])[0] > 0 and opt + 11 <= len(q) and q[opt] == 0 and \
            struct.unpack("!H", q[opt + 1:opt + 3])[0] == 41:
        do = " do" if q[opt + 7] & 0x80 else " edns"
    return "%s %s%s" % (name, TYPES.get(qtype, "TYPE%d" % qtype), do)


def describe_response(r):
    if r is None:
        return "(nothing sent)"
    if len(r) < 12:
        return "(short)"
    rc = r[3] & 15
    flags = " tc" if r[2] & 2 else ""
    flags += " aa" if r[2] & 4 else ""
    an, ns, ar = struct.unpack("!HHH", r[6:12])
    return "%s%s an=%d ns=%d ar=%d %dB" % (RCODES[rc] if rc < len(RCODES) else rc, flags,
                                          an, ns, ar, len(r))


def serve_udp(sock, engine, log, where):
    while True:
        try:
            q, peer = sock.recvfrom(65535)
        except OSError:
            return
        try:
            r = engine.answer(q)
        except (RuntimeError, OSError, ValueError) as e:
            print("shim: %s: %s" % (where, e), file=sys.stderr)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        log.query(where, "udp", q, r)
        if r is not None:
            sock.sendto(r, peer)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve_conn(conn, engine, log, where):
    conn.settimeout(30)
    try:
        while True:
            hdr = recv_exact(conn, 2)
            if hdr is None:
                return
            q = recv_exact(conn, struct.unpack("!H", hdr)[0])
            if q is None:
                return
            r = engine.answer(q)
            log.query(where, "tcp", q, r)
            if r is None:
                return  # nothing to send: close, as a server that drops does
            conn.sendall(struct.pack("!H", len(r)) + r)
    except (OSError, RuntimeError, ValueError):
        return
    finally:
        conn.close()


def serve_tcp(sock, engine, log, where):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=serve_conn, args=(conn, engine, log, where), daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--query", required=True, help="zonewire-query")
    ap.add_argument("--serve", action="append", required=True, metavar="ADDR:PORT=IMAGES")
    ap.add_argument("--ready", required=True, help="file written once listening")
    ap.add_argument("--log", help="one line per query")
    args = ap.parse_args()

    engines, threads = [], []
    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log = Log(args.log)
    try:
        for spec in args.serve:
            where, _, images = spec.partition("=")
            host, _, port = where.rpartition(":")
            images = [i for i in images.split(",") if i]
            if not host or not port.isdigit() or not images:
                ap.error("bad --serve %s" % spec)
            udp_engine = Engine(args.query, images, False)
            tcp_engine = Engine(args.query, images, True)
            engines += [udp_engine, tcp_engine]
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((host, int(port)))
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((host, int(port)))
            t.listen(64)
            threads.append(threading.Thread(target=serve_udp, args=(u, udp_engine, log, where),
                                            daemon=True))
            threads.append(threading.Thread(target=serve_tcp, args=(t, tcp_engine, log, where),
                                            daemon=True))
        for th in threads:
            th.start()
        with open(args.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.ready + ".tmp", args.ready)
        while not stop.wait(0.5):
            if any(e.proc.poll() is not None for e in engines):
                print("shim: a zonewire-query process exited", file=sys.stderr)
                return 1
        return 0
    finally:
        for e in engines:
            e.stop()


if __name__ == "__main__":
    sys.exit(main())
