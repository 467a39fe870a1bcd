#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw Ethernet frames for the zonewired integration test.

Runs in the client namespace and talks to the server's wire through an
AF_PACKET socket on the client end of the veth pair, so that it can send
what no socket would: 802.1Q-tagged queries (the kernel here may have no
VLAN devices) and broken frames.

  zwframe.py query IFACE DST_MAC SRC_IP DST_IP NAME [--vlan VID] [--qtype A|AAAA]
             [--timeout SECONDS]
      Sends one DNS query (optionally tagged) and waits for the response
      from DST_MAC. Prints "reply vlan=VID|none rcode=N answers=ADDR,..."
      and exits 0, or prints "noreply" and exits 1. The VLAN of the reply
      is taken from the frame or, when the kernel has already stripped it,
      from PACKET_AUXDATA.

  zwframe.py malformed IFACE DST_MAC SRC4 DST4 SRC6 DST6 [--copies N]
      Sends each kind of broken frame N times; prints one line per kind:
      "sent KIND BYTES" or "refused KIND: why" (a veth takes no frame
      shorter than an Ethernet header), then "totals CLASS=N ..." over the
      frames sent, by what the server is expected to do with them: short,
      short_xdp (seen by af_xdp only), runt, checksum, query (drop_*
      counters), formerr (answered FORMERR), kernel (exception path).

  zwframe.py fuzz IFACE DST_MAC SRC4 DST4 SRC6 DST6 [--count N] [--seed S]
      Sends N mutations of valid queries (random bytes flipped, lengths
      cut or stretched, header fields rewritten), with a fixed seed.

Python standard library only.
"""

import argparse
import errno
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
PACKET_OUTGOING = 4
QTYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def dns_query(name, qtype, qid, flags=0x0100):
    q = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", QTYPES[qtype], 1)


def udp(src, dst, sport, dport, payload, v6, ulen=None, cks=None):
    """A UDP header and payload with a correct checksum unless cks is given."""
    n = 8 + len(payload)
    ulen = n if ulen is None else ulen
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    if cks is None:
        if v6:
            ph = src + dst + struct.pack("!I3xB", n, 17)
        else:
            ph = src + dst + struct.pack("!xBH", 17, n)
        cks = csum(ph + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, ulen, cks) + payload


def ipv4(src, dst, payload, proto=17, tot=None, ihl=5, bad_csum=False):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 0x1234, 0, 64, proto, 0, src, dst)
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6(src, dst, payload, nh=17, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB", 0x60000000, plen, nh, 64) + src + dst + payload


def eth(dst, src, etype, payload, vlan=None):
    if vlan is None:
        return dst + src + struct.pack("!H", etype) + payload
    return dst + src + struct.pack("!HHH", ETH_P_8021Q, vlan, etype) + payload


def open_sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    return s


def skip_name(m, off):
    while off < len(m):
        n = m[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n
    raise ValueError("name runs past the message")


def parse_reply(m):
    qid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", m[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(m, off) + 4
    addrs = []
    for _ in range(an):
        off = skip_name(m, off)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", m[off:off + 10])
        off += 10
        rd = m[off:off + rdlen]
        off += rdlen
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntop(socket.AF_INET, rd))
        elif rtype == 28 and rdlen == 16:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rd))
        else:
            addrs.append("type%d" % rtype)
    return qid, flags & 0x0F, addrs


def cmd_query(a):
    s = open_sock(a.iface)
    src_mac = s.getsockname()[4]
    dst_mac = mac_bytes(a.dst_mac)
    v6 = ":" in a.dst
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    src, dst = socket.inet_pton(fam, a.src), socket.inet_pton(fam, a.dst)
    qid = random.randrange(1, 65535)
    sport = random.randrange(20000, 60000)
    payload = udp(src, dst, sport, 53, dns_query(a.name, a.qtype, qid), v6)
    if v6:
        frame = eth(dst_mac, src_mac, ETH_P_IPV6, ipv6(src, dst, payload), a.vlan)
    else:
        frame = eth(dst_mac, src_mac, ETH_P_IP, ipv4(src, dst, payload), a.vlan)
    s.send(frame)
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            print("noreply")
            return 1
        data, anc, _flags, addr = s.recvmsg(65535, socket.CMSG_SPACE(32))
        if addr[2] == PACKET_OUTGOING or data[6:12] != dst_mac:
            continue
        vlan = None
        etype = struct.unpack("!H", data[12:14])[0]
        off = 14
        if etype == ETH_P_8021Q:
            vlan = struct.unpack("!H", data[14:16])[0] & 0x0FFF
            etype = struct.unpack("!H", data[16:18])[0]
            off = 18
        for level, typ, cdata in anc:
            if level == SOL_PACKET and typ == PACKET_AUXDATA and len(cdata) >= 20:
                status, _l, _sl, _mac, _net, tci, _tpid = struct.unpack("=IIIHHHH",
                                                                        cdata[:20])
                if status & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0x0FFF
        if v6 and etype == ETH_P_IPV6 and data[off + 6] == 17:
            u = off + 40
        elif not v6 and etype == ETH_P_IP and data[off + 9] == 17:
            u = off + (data[off] & 0x0F) * 4
        else:
            continue
        usport, udport = struct.unpack("!HH", data[u:u + 4])
        if usport != 53 or udport != sport:
            continue
        try:
            rid, rcode, addrs = parse_reply(data[u + 8:])
        except (ValueError, struct.error):
            print("badreply")
            return 1
        if rid != qid:
            continue
        print("reply vlan=%s rcode=%d answers=%s" % ("none" if vlan is None else vlan, rcode,
                                                    ",".join(addrs)))
        return 0


def malformed_frames(dmac, smac, s4, d4, s6, d6):
    """(kind, class, frame): class is what the server is expected to count."""
    q = dns_query("www.example.com", "A", 0x4242)
    u4 = udp(s4, d4, 40000, 53, q, False)
    u6 = udp(s6, d6, 40000, 53, q, True)
    good4 = ipv4(s4, d4, u4)
    good6 = ipv6(s6, d6, u6)
    E4 = lambda p: eth(dmac, smac, ETH_P_IP, p)  # noqa: E731
    E6 = lambda p: eth(dmac, smac, ETH_P_IPV6, p)  # noqa: E731
    short_dns = b"\x12\x34\x01\x00\x00"  # 5 bytes, QR clear
    response = struct.pack("!HHHHHH", 0x77, 0x8180, 1, 0, 0, 0) + q[12:]
    garbage = struct.pack("!HHHHHH", 0x78, 0x0100, 1, 0, 0, 0) + bytes([63]) + b"\xff" * 20
    bad_u4 = bytearray(u4)
    bad_u4[6] ^= 0x11
    bad_u6 = bytearray(u6)
    bad_u6[6] ^= 0x11
    return [
        ("runt_1", "runt", dmac[:1]),
        ("runt_13", "runt", (dmac + smac + b"\x08")[:13]),
        ("eth_header_only", "short", dmac + smac + b"\x08\x00"),
        ("vlan_tag_cut", "short_xdp", dmac + smac + b"\x81\x00\x00\x64"),
        ("ipv4_header_cut", "short", E4(good4[:12])),
        ("ipv6_header_cut", "short", E6(good6[:30])),
        ("ipv4_ihl_4", "short", E4(ipv4(s4, d4, u4, ihl=4))),
        ("ipv4_total_length_past_frame", "short", E4(ipv4(s4, d4, u4, tot=len(good4) + 100))),
        ("ipv6_payload_length_past_frame", "short", E6(ipv6(s6, d6, u6, plen=len(u6) + 100))),
        ("ipv4_bad_header_checksum", "checksum", E4(ipv4(s4, d4, u4, bad_csum=True))),
        ("udp4_bad_checksum", "checksum", E4(ipv4(s4, d4, bytes(bad_u4)))),
        ("udp6_bad_checksum", "checksum", E6(ipv6(s6, d6, bytes(bad_u6)))),
        ("udp6_zero_checksum", "checksum", E6(ipv6(s6, d6, udp(s6, d6, 40000, 53, q, True,
                                                                  cks=0)))),
        ("udp4_length_past_ip", "short", E4(ipv4(s4, d4, udp(s4, d4, 40000, 53, q, False,
                                                              ulen=len(u4) + 40, cks=0)))),
        ("udp6_length_past_ip", "short", E6(ipv6(s6, d6, udp(s6, d6, 40000, 53, q, True,
                                                              ulen=len(u6) + 40)))),
        ("udp4_length_under_8", "short", E4(ipv4(s4, d4, udp(s4, d4, 40000, 53, q, False,
                                                              ulen=4, cks=0)))),
        ("ipv4_udp_header_cut", "short", E4(ipv4(s4, d4, u4[:5]))),
        ("dns4_shorter_than_header", "query", E4(ipv4(s4, d4, udp(s4, d4, 40000, 53,
                                                                   short_dns, False)))),
        ("dns6_shorter_than_header", "query", E6(ipv6(s6, d6, udp(s6, d6, 40000, 53,
                                                                   short_dns, True)))),
        ("dns4_response_to_53", "kernel", E4(ipv4(s4, d4, udp(s4, d4, 40000, 53, response,
                                                               False)))),
        ("dns4_garbage_after_header", "formerr", E4(ipv4(s4, d4, udp(s4, d4, 40000, 53, garbage,
                                                                      False)))),
        ("dns6_garbage_after_header", "formerr", E6(ipv6(s6, d6, udp(s6, d6, 40000, 53, garbage,
                                                                      True)))),
    ]


def addrs(a):
    return (socket.inet_pton(socket.AF_INET, a.src4), socket.inet_pton(socket.AF_INET, a.dst4),
            socket.inet_pton(socket.AF_INET6, a.src6), socket.inet_pton(socket.AF_INET6, a.dst6))


def send(s, frame):
    try:
        s.send(frame)
        return None
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def cmd_malformed(a):
    s = open_sock(a.iface)
    smac = s.getsockname()[4]
    frames = malformed_frames(mac_bytes(a.dst_mac), smac, *addrs(a))
    totals = {}
    for kind, cls, frame in frames:
        err = None
        for _ in range(a.copies):
            err = send(s, frame) or err
            time.sleep(0.001)
        if err is None:
            print("sent %s %d" % (kind, len(frame)))
            totals[cls] = totals.get(cls, 0) + a.copies
        else:
            print("refused %s: %s" % (kind, err))
    print("totals " + " ".join("%s=%d" % kv for kv in sorted(totals.items())))
    return 0


def cmd_fuzz(a):
    rnd = random.Random(a.seed)
    s = open_sock(a.iface)
    smac = s.getsockname()[4]
    dmac = mac_bytes(a.dst_mac)
    s4, d4, s6, d6 = addrs(a)
    names = ["www.example.com", "example.com", "nosuch.example.com", "www.sub.example.com",
             "x.apps.example.com", "version.bind"]
    sent = refused = 0
    for i in range(a.count):
        v6 = rnd.random() < 0.5
        q = bytearray(dns_query(rnd.choice(names), rnd.choice(list(QTYPES)), i & 0xFFFF))
        if rnd.random() < 0.3:  # an OPT RR, possibly broken later
            q[11] = 1
            q += struct.pack("!BHHIH", 0, 41, rnd.choice([512, 1232, 4096, 0]), 0, 0)
        for _ in range(rnd.randrange(0, 6)):
            q[rnd.randrange(len(q))] = rnd.randrange(256)
        if rnd.random() < 0.2:
            q = q[:rnd.randrange(len(q) + 1)]
        if rnd.random() < 0.1:
            q += bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64)))
        q = bytes(q)
        if v6:
            frame = bytearray(eth(dmac, smac, ETH_P_IPV6, ipv6(s6, d6, udp(s6, d6, 40000 + (i & 1023),
                                                                      53, q, True))))
        else:
            frame = bytearray(eth(dmac, smac, ETH_P_IP, ipv4(s4, d4, udp(s4, d4, 40000 + (i & 1023),
                                                                    53, q, False))))
        r = rnd.random()
        if r < 0.15:  # damage the IP or UDP headers (checksums then fail, mostly)
            for _ in range(rnd.randrange(1, 4)):
                frame[rnd.randrange(14, min(len(frame), 62))] = rnd.randrange(256)
        elif r < 0.25:  # cut anywhere
            frame = frame[:rnd.randrange(14, len(frame) + 1)]
        elif r < 0.30:  # a VLAN tag, served or not
            frame[12:12] = struct.pack("!HH", ETH_P_8021Q, rnd.choice([100, 200, 0, 4095]))
        if send(s, bytes(frame)) is None:
            sent += 1
        else:
            refused += 1
        if i % 64 == 63:
            time.sleep(0.002)  # stay below what a veth queue holds
    print("fuzz sent %d refused %d" % (sent, refused))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("query")
    q.add_argument("iface")
    q.add_argument("dst_mac")
    q.add_argument("src")
    q.add_argument("dst")
    q.add_argument("name")
    q.add_argument("--vlan", type=int)
    q.add_argument("--qtype", default="A", choices=sorted(QTYPES))
    q.add_argument("--timeout", type=float, default=2.0)
    for name in ("malformed", "fuzz"):
        m = sub.add_parser(name)
        for arg in ("iface", "dst_mac", "src4", "dst4", "src6", "dst6"):
            m.add_argument(arg)
        if name == "malformed":
            m.add_argument("--copies", type=int, default=3)
        else:
            m.add_argument("--count", type=int, default=2000)
            m.add_argument("--seed", type=int, default=53)
    a = p.parse_args()
    return {"query": cmd_query, "malformed": cmd_malformed, "fuzz": cmd_fuzz}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
