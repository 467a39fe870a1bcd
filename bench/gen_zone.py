#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic zone files for the zone-compiler benchmark.

    gen_zone.py [--seed S] hosting N OUT
        Zone "bench.example." with exactly N resource records: the SOA, the
        apex NS RRset and its glue, then one block of records per hosted
        customer: A, AAAA, MX, TXT (SPF, DMARC, DKIM, site verification),
        CNAME, SRV, a few wildcards, and empty non-terminals (the _tcp,
        _domainkey and environment labels such as "prod" that own nothing).

    gen_zone.py [--seed S] tld N OUT
        Zone "tld." with N delegations of 2 to 4 NS each. Every third
        delegation has its name servers inside the delegated zone, with A
        glue (and AAAA glue for some); the others use out-of-zone name
        servers of a few thousand hosting companies (ns1.hoster17.net.).
        About one delegation in seven has DS records.

The output depends only on the arguments and the seed (default 1). Owner
names of address records and the targets of NS, MX, SRV and CNAME records
are valid host names (letters, digits, inner hyphens); the conventional
underscore labels appear only as owners of SRV and TXT records.
"""

import argparse
import os
import random
import sys

SYLLABLES = (
    "ka ri to na mo lu be si da fe gor lin mar ven tal ros kel bri dan "
    "sol vik tor pen ash cor lum nor bel fin gal hal jor mer nix pax "
    "quin rad sev tam ul vor wes yar zen al bo ci du el fa gi ho ir ju"
).split()

WORDS = (
    "blue green river lake stone cloud pixel data web shop cafe studio "
    "media tech net soft labs works design photo travel garden home art "
    "north south east west bright swift smart prime alpha nova solar urban"
).split()

OUT_OF_ZONE_SUFFIXES = ("net", "com", "org", "eu", "io")

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def word_label(rng, serial):
    """A host-name label that is unique thanks to its numeric suffix."""
    if rng.random() < 0.5:
        base = rng.choice(WORDS) + rng.choice(WORDS)
    else:
        base = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.15:
        base = base + "-" + rng.choice(WORDS)
    return "%s%d" % (base, serial)


def ipv4(rng, net):
    """An address in net, a prefix of 2 or 3 octets ("10.4", "192.0.2")."""
    if net.count(".") == 1:
        return "%s.%d.%d" % (net, rng.randint(0, 255), rng.randint(1, 254))
    return "%s.%d" % (net, rng.randint(1, 254))


def ipv6(rng):
    return "2001:db8:%x:%x::%x" % (rng.randint(0, 0xFFFF), rng.randint(0, 0xFFFF),
                                    rng.randint(1, 0xFFFF))


def b64(rng, n):
    return "".join(rng.choice(B64) for _ in range(n))


def hexstr(rng, nbytes):
    return "%0*x" % (2 * nbytes, rng.getrandbits(8 * nbytes))


def soa(origin_rel, mname, rname, serial):
    return "%s 3600 IN SOA %s %s %d 7200 900 1209600 3600" % (origin_rel, mname, rname, serial)


# ---------------------------------------------------------------------------
# hosting zone

def hosting_customer(rng, serial, hosters):
    """Records of one hosted customer, as (owner, ttl, type, rdata)."""
    name = word_label(rng, serial)
    recs = []
    nets = ("192.0.2", "198.51.100", "203.0.113", "10.%d" % (serial % 250))

    # Apex of the customer: addresses, mail, policies.
    addrs, naddr = set(), 1 if rng.random() < 0.8 else 2
    while len(addrs) < naddr:
        addrs.add(ipv4(rng, rng.choice(nets)))
    for a in sorted(addrs):
        recs.append((name, None, "A", a))
    if rng.random() < 0.5:
        recs.append((name, None, "AAAA", ipv6(rng)))
    own_mail = False
    r = rng.random()
    if r < 0.35:
        own_mail = True
        recs.append((name, None, "MX", "10 mail.%s" % name))
    elif r < 0.75:
        h = rng.choice(hosters)
        recs.append((name, None, "MX", "10 mx1.%s." % h))
        recs.append((name, None, "MX", "20 mx2.%s." % h))
    txt_ttl = 300 if rng.random() < 0.2 else None
    if rng.random() < 0.6:
        recs.append((name, txt_ttl, "TXT",
                     '"v=spf1 ip4:%s mx include:_spf.%s. ~all"'
                     % (ipv4(rng, "192.0.2"), rng.choice(hosters))))
    if rng.random() < 0.2:
        recs.append((name, txt_ttl, "TXT", '"site-verification=%s"' % b64(rng, 43)))

    # Hosts below the customer.
    if rng.random() < 0.8:
        recs.append(("www." + name, None, "CNAME", name))
    if own_mail:
        recs.append(("mail." + name, None, "A", ipv4(rng, rng.choice(nets))))
        if rng.random() < 0.4:
            recs.append(("mail." + name, None, "AAAA", ipv6(rng)))
    if rng.random() < 0.1:
        recs.append(("ftp." + name, 86400, "CNAME", "www.%s" % name))
    if rng.random() < 0.3:
        recs.append(("_dmarc." + name, None, "TXT",
                     '"v=DMARC1; p=none; rua=mailto:dmarc@%s.bench.example"' % name))
    if rng.random() < 0.1:
        # DKIM key (RSA-2048 sized), split in two strings as usual.
        key = b64(rng, 392)
        recs.append(("s1._domainkey." + name, None, "TXT",
                     '"v=DKIM1; k=rsa; p=%s" "%s"' % (key[:200], key[200:])))
    if rng.random() < 0.05:
        recs.append(("_sip._tcp." + name, None, "SRV", "10 60 5060 sip.%s" % name))
        recs.append(("_sip._udp." + name, None, "SRV", "10 60 5060 sip.%s" % name))
        recs.append(("sip." + name, None, "A", ipv4(rng, rng.choice(nets))))
    if rng.random() < 0.05:
        recs.append(("_imaps._tcp." + name, None, "SRV", "0 1 993 mail.%s.bench.example." % name
                     if own_mail else "0 1 993 imap.%s." % rng.choice(hosters)))
    if rng.random() < 0.15:
        # An environment label that owns nothing (empty non-terminal).
        env = rng.choice(("prod", "staging", "dev", "int"))
        for k in range(1, rng.randint(2, 10)):
            owner = "web%02d.%s.%s" % (k, env, name)
            recs.append((owner, 300, "A", ipv4(rng, "10.%d" % rng.randint(0, 255))))
            if rng.random() < 0.3:
                recs.append((owner, 300, "AAAA", ipv6(rng)))
    if rng.random() < 0.001:
        recs.append(("*." + name, None, "A", ipv4(rng, rng.choice(nets))))
    if rng.random() < 0.0005:
        # A wildcard under an empty non-terminal.
        recs.append(("*.apps." + name, None, "CNAME", "www.%s" % name))
    return recs


def gen_hosting(n, out, seed):
    rng = random.Random(seed)
    hosters = ["hoster%d.%s" % (i, OUT_OF_ZONE_SUFFIXES[i % len(OUT_OF_ZONE_SUFFIXES)])
               for i in range(200)]
    out.write("; synthetic hosting zone, %d RRs, seed %d\n" % (n, seed))
    out.write("$ORIGIN bench.example.\n$TTL 3600\n")
    head = [
        soa("@", "ns1.bench.example.", "hostmaster.bench.example.", 2024010101),
        "@ 86400 IN NS ns1",
        "@ 86400 IN NS ns2",
        "@ 86400 IN NS ns3.ext-dns.net.",
        "@ IN MX 10 mail",
        '@ IN TXT "v=spf1 mx -all"',
        "ns1 86400 IN A 192.0.2.1",
        "ns1 86400 IN AAAA 2001:db8::1",
        "ns2 86400 IN A 198.51.100.1",
        "ns2 86400 IN AAAA 2001:db8:1::1",
        "mail IN A 192.0.2.25",
        "* 300 IN TXT \"no such host\"",
    ]
    count = 0
    for line in head:
        if count >= n:
            break
        out.write(line + "\n")
        count += 1
    serial = 0
    write = out.write
    while count < n:
        serial += 1
        for owner, ttl, rtype, rdata in hosting_customer(rng, serial, hosters):
            if count >= n:
                break
            if ttl is None:
                write("%s IN %s %s\n" % (owner, rtype, rdata))
            else:
                write("%s %d IN %s %s\n" % (owner, ttl, rtype, rdata))
            count += 1
    return count


# ---------------------------------------------------------------------------
# TLD zone

def tld_label(rng, used):
    while True:
        r = rng.random()
        if r < 0.4:
            lab = rng.choice(WORDS) + rng.choice(WORDS)
        elif r < 0.8:
            lab = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5)))
        else:
            lab = rng.choice(WORDS) + "-" + "".join(
                rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            lab += str(rng.randint(0, 999))
        if lab not in used:
            used.add(lab)
            return lab


def gen_tld(n, out, seed):
    rng = random.Random(seed)
    # A few big hosting companies carry most delegations, as in real TLDs.
    hosters = ["hoster%d.%s" % (i, OUT_OF_ZONE_SUFFIXES[i % len(OUT_OF_ZONE_SUFFIXES)])
               for i in range(3000)]
    weights = [1.0 / (i + 1) for i in range(len(hosters))]
    out.write("; synthetic TLD zone, %d delegations, seed %d\n" % (n, seed))
    out.write("$ORIGIN tld.\n$TTL 86400\n")
    count = 0
    for line in (
        soa("@", "a.nic.tld.", "hostmaster.nic.tld.", 2024010101),
        "@ 172800 IN NS a.nic",
        "@ 172800 IN NS b.nic",
        "@ 172800 IN NS c.nic",
        "a.nic 172800 IN A 192.0.2.53",
        "a.nic 172800 IN AAAA 2001:db8:53::1",
        "b.nic 172800 IN A 198.51.100.53",
        "b.nic 172800 IN AAAA 2001:db8:53::2",
        "c.nic 172800 IN A 203.0.113.53",
        "nic IN A 192.0.2.80",
        "www.nic IN CNAME nic",
    ):
        out.write(line + "\n")
        count += 1
    used = {"nic"}
    write = out.write
    hoster_pick = rng.choices(hosters, weights=weights, k=n)
    for i in range(n):
        lab = tld_label(rng, used)
        nns = rng.choice((2, 2, 2, 3, 3, 4))
        if i % 3 == 0:
            for k in range(1, nns + 1):
                write("%s IN NS ns%d.%s\n" % (lab, k, lab))
            for k in range(1, nns + 1):
                write("ns%d.%s IN A %s\n" % (k, lab, ipv4(rng, rng.choice(
                    ("192.0.2", "198.51.100", "203.0.113")))))
                count += 1
                if rng.random() < 0.4:
                    write("ns%d.%s IN AAAA %s\n" % (k, lab, ipv6(rng)))
                    count += 1
        else:
            h = hoster_pick[i]
            prefix = rng.choice(("ns", "ns", "dns", "a"))
            for k in range(1, nns + 1):
                write("%s IN NS %s%d.%s.\n" % (lab, prefix, k, h))
        count += nns
        if rng.random() < 0.15:
            nds = 2 if rng.random() < 0.1 else 1
            for _ in range(nds):
                write("%s 3600 IN DS %d 13 2 %s\n" % (lab, rng.randint(1, 65535),
                                                     hexstr(rng, 32)))
            count += nds
    return count


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("kind", choices=("hosting", "tld"))
    ap.add_argument("n", type=int, help="RRs (hosting) or delegations (tld)")
    ap.add_argument("out", help="output file, '-' for stdout")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be positive")
    gen = gen_hosting if args.kind == "hosting" else gen_tld
    if args.out == "-":
        rrs = gen(args.n, sys.stdout, args.seed)
    else:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="ascii", buffering=1 << 20) as f:
            rrs = gen(args.n, f, args.seed)
        os.replace(tmp, args.out)
    print("%s: %d RRs" % (args.out, rrs), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
