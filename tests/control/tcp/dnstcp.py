#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Small DNS-over-TCP client for tcp_netns.sh: what dig and kdig cannot do.

  dnstcp.py pipeline ADDR N        N queries in one write on one connection;
                                   the answers must come back in order
  dnstcp.py keepalive ADDR         the edns-tcp-keepalive TIMEOUT answered
  dnstcp.py garbage ADDR KIND      KIND (short, zero, response, partial):
                                   the server must close that connection
                                   while another one keeps being answered
  dnstcp.py stall ADDR SECONDS     half a message, then nothing: prints how
                                   long the server took to close

Prints one line, exits 0 on success and 1 otherwise. Port 53 unless
ZW_TCP_PORT is set.
"""
import os
import socket
import struct
import sys
import time

PORT = int(os.environ.get("ZW_TCP_PORT", "53"))
WWW_A = bytes([192, 0, 2, 80])


def connect(addr, timeout=5.0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, PORT))
    return s


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(qid, name, qtype, keepalive=False, qr=False):
    flags = 0x0100 | (0x8000 if qr else 0)
    ar = 1 if keepalive else 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, ar)
    msg += name_wire(name) + struct.pack("!HH", qtype, 1)
    if keepalive:
        opts = struct.pack("!HH", 11, 0)
        msg += b"\x00" + struct.pack("!HHIH", 41, 1232, 0, len(opts)) + opts
    return msg


def framed(msg):
    return struct.pack("!H", len(msg)) + msg


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_msg(s):
    pfx = read_exact(s, 2)
    if pfx is None:
        return None
    return read_exact(s, struct.unpack("!H", pfx)[0])


def skip_name(m, o):
    while True:
        length = m[o]
        if length == 0:
            return o + 1
        if length & 0xC0 == 0xC0:
            return o + 2
        o += 1 + length


def parse(m):
    """(id, rcode, [(type, rdata)] of every record, options of the OPT)."""
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", m[:12])
    o = 12
    for _ in range(qd):
        o = skip_name(m, o) + 4
    rrs, opts = [], {}
    for _ in range(an + ns + ar):
        o = skip_name(m, o)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", m[o:o + 10])
        o += 10
        rdata = m[o:o + rdlen]
        o += rdlen
        rrs.append((rtype, rdata))
        if rtype == 41:
            p = 0
            while p + 4 <= len(rdata):
                code, olen = struct.unpack("!HH", rdata[p:p + 4])
                opts[code] = rdata[p + 4:p + 4 + olen]
                p += 4 + olen
    if o != len(m):
        raise ValueError("trailing or missing bytes")
    return qid, flags & 0x0F, rrs, opts


def closed_by_server(s, seconds):
    """True when the server ends the connection (EOF or reset) in time."""
    s.settimeout(0.1)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if not s.recv(4096):
                return True
        except socket.timeout:
            continue
        except ConnectionError:
            return True
    return False


def www_ok(s, qid):
    s.sendall(framed(query(qid, "www.example.com", 1)))
    m = read_msg(s)
    if m is None:
        return False
    rid, rcode, rrs, _ = parse(m)
    return rid == qid and rcode == 0 and (1, WWW_A) in rrs


def cmd_pipeline(addr, n):
    names = [("www.example.com", 1, 0), ("mail.example.com", 28, 0),
             ("nosuch.example.com", 1, 3), ("example.net", 15, 0)]
    s = connect(addr)
    data = b"".join(framed(query(i, *names[i % len(names)][:2])) for i in range(n))
    t0 = time.monotonic()
    s.sendall(data)
    for i in range(n):
        m = read_msg(s)
        if m is None:
            print(f"pipeline: connection closed after {i} of {n} answers")
            return 1
        rid, rcode, _, _ = parse(m)
        if rid != i or rcode != names[i % len(names)][2]:
            print(f"pipeline: answer {i} has id {rid} rcode {rcode}")
            return 1
    ms = (time.monotonic() - t0) * 1000
    ok = www_ok(s, 60000)
    s.close()
    print(f"pipeline: {n} answers in order on one connection in {ms:.1f} ms"
          + ("" if ok else ", but the connection did not answer afterwards"))
    return 0 if ok else 1


def cmd_keepalive(addr):
    s = connect(addr)
    s.sendall(framed(query(7, "www.example.com", 1, keepalive=True)))
    m = read_msg(s)
    s.close()
    if m is None:
        print("keepalive: no answer")
        return 1
    _, _, _, opts = parse(m)
    if 11 not in opts or len(opts[11]) != 2:
        print(f"keepalive: no TIMEOUT in the answer (options {sorted(opts)})")
        return 1
    print(f"keepalive: TIMEOUT {struct.unpack('!H', opts[11])[0]}")
    return 0


def cmd_garbage(addr, kind):
    other = connect(addr)
    if not www_ok(other, 1):
        print("garbage: the other connection does not answer at first")
        return 1
    bad = connect(addr)
    if kind == "short":
        bad.sendall(b"\x00\x05hello")
    elif kind == "zero":
        bad.sendall(b"\x00\x00")
    elif kind == "response":
        bad.sendall(framed(query(9, "www.example.com", 1, qr=True)))
    elif kind == "partial":
        bad.sendall(b"\x00")
        bad.shutdown(socket.SHUT_WR)
    else:
        print(f"garbage: unknown kind {kind}")
        return 1
    closed = closed_by_server(bad, 3.0)
    bad.close()
    ok = all(www_ok(other, 2 + i) for i in range(10))
    other.close()
    print(f"garbage ({kind}): that connection {'closed' if closed else 'NOT closed'}, "
          f"the other one {'answered' if ok else 'NOT answered'}")
    return 0 if closed and ok else 1


def cmd_stall(addr, seconds):
    s = connect(addr)
    msg = framed(query(3, "www.example.com", 1))
    s.sendall(msg[:len(msg) // 2])
    t0 = time.monotonic()
    closed = closed_by_server(s, seconds)
    ms = (time.monotonic() - t0) * 1000
    s.close()
    if not closed:
        print(f"stall: not closed within {seconds} s")
        return 1
    print(f"stall: closed after {ms:.0f} ms")
    return 0


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "pipeline":
            return cmd_pipeline(argv[2], int(argv[3]))
        if len(argv) == 3 and argv[1] == "keepalive":
            return cmd_keepalive(argv[2])
        if len(argv) == 4 and argv[1] == "garbage":
            return cmd_garbage(argv[2], argv[3])
        if len(argv) == 4 and argv[1] == "stall":
            return cmd_stall(argv[2], float(argv[3]))
    except (OSError, ValueError, struct.error, IndexError) as e:
        print(f"{argv[1]}: {type(e).__name__}: {e}")
        return 1
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
