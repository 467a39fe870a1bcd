/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet code (dataplane/pkt.c) on frames built here, over the
 * bundled example zones: verdicts for each kind of frame, the reply's
 * headers and checksums (with and without checksum offload), frames handed
 * to the kernel left as they came, and the burst path (zw_pkt_parse,
 * zw_answer_burst, zw_pkt_finish) giving exactly what zw_pkt_handle() gives
 * on generated and mutated frames.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "compile.h"
#include "image.h"
#include "lookup.h"
#include "pkt.h"
#include "unit.h"

#define ROOM  2176
#define BURST 32

static struct zw_zoneset *zs;
static struct zw_image *imgs[3];
static struct zw_pkt_service svc;
static const struct zw_answer_cfg cfg_plain = { .nsid_len = 4, .nsid = "unit" };
static const struct zw_answer_cfg cfg_punt = { .tsig_punt = true };
static uint8_t scratch[ZW_PKT_SCRATCH];

static const uint8_t SRV_MAC[6] = { 2, 0, 0, 0, 0, 1 }, CLI_MAC[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t SRV4[4] = { 192, 0, 2, 1 }, CLI4[4] = { 192, 0, 2, 2 };
static const uint8_t SRV6[16] = { 0xfd, [15] = 1 }, CLI6[16] = { 0xfd, [15] = 2 };

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 over big-endian words: the folded sum, not complemented. */
static uint32_t sum16(const uint8_t *p, unsigned n, uint32_t s)
{
	for (unsigned i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t pseudo_sum(const uint8_t *src, const uint8_t *dst, unsigned alen, unsigned ulen)
{
	return sum16(src, alen, 0) + sum16(dst, alen, 0) + 17 + ulen;
}

/* ---- frames ---- */

struct fspec {
	bool v6;
	unsigned vlan;	 /* 0: untagged */
	unsigned opts;	 /* bytes of IPv4 options (multiple of 4) */
	bool no_csum;	 /* IPv4: UDP checksum 0 */
	unsigned flags2; /* DNS header byte 2 (QR, opcode, RD) */
	const char *name;
	unsigned qtype;
	bool edns;
	bool tsig; /* a TSIG RR (a signature no key checks) */
	uint16_t id, sport;
};

/* Writes the frame of s into f; returns its length. */
static unsigned build(uint8_t *f, const struct fspec *s)
{
	unsigned o = 12;

	memcpy(f, SRV_MAC, 6);
	memcpy(f + 6, CLI_MAC, 6);
	if (s->vlan) {
		wr16(f + o, 0x8100);
		wr16(f + o + 2, s->vlan);
		o += 4;
	}
	wr16(f + o, s->v6 ? 0x86dd : 0x0800);
	o += 2;
	uint8_t *ip = f + o;
	unsigned l3 = s->v6 ? 40 : 20 + s->opts;
	uint8_t *udp = ip + l3, *d = udp + 8;
	unsigned dl = 12, ar = 0;
	wr16(d, s->id);
	d[2] = (uint8_t)s->flags2;
	d[3] = 0;
	wr16(d + 4, 1);
	memset(d + 6, 0, 6);
	for (const char *p = s->name; *p != '\0';) {
		const char *e = strchr(p, '.');
		unsigned l = e ? (unsigned)(e - p) : (unsigned)strlen(p);
		d[dl++] = (uint8_t)l;
		memcpy(d + dl, p, l);
		dl += l;
		p += l + (e != NULL);
	}
	d[dl++] = 0;
	wr16(d + dl, s->qtype);
	wr16(d + dl + 2, 1);
	dl += 4;
	if (s->edns) {
		static const uint8_t opt[11] = { 0, 0, 41, 4, 0xd0 };
		memcpy(d + dl, opt, sizeof(opt));
		dl += sizeof(opt);
		ar++;
	}
	if (s->tsig) {
		/* k. TSIG ANY 0, hmac-sha256., time 0, fudge 300, a 32-byte MAC */
		static const uint8_t head[] = { 1, 'k', 0, 0, 250, 0, 255, 0, 0, 0, 0 };
		static const uint8_t alg[] = "\x0bhmac-sha256";
		uint8_t rd[96];
		unsigned rl = 0;
		memcpy(rd, alg, sizeof(alg)); /* with the root label */
		rl = sizeof(alg);
		memset(rd + rl, 0, 6);
		rl += 6;
		wr16(rd + rl, 300);
		wr16(rd + rl + 2, 32);
		rl += 4;
		for (unsigned i = 0; i < 32; i++)
			rd[rl++] = (uint8_t)(i * 37);
		wr16(rd + rl, s->id);
		memset(rd + rl + 2, 0, 4);
		rl += 6;
		memcpy(d + dl, head, sizeof(head));
		dl += sizeof(head);
		wr16(d + dl, rl);
		memcpy(d + dl + 2, rd, rl);
		dl += 2 + rl;
		ar++;
	}
	wr16(d + 10, ar);
	unsigned ulen = 8 + dl;
	wr16(udp, s->sport);
	wr16(udp + 2, 53);
	wr16(udp + 4, ulen);
	wr16(udp + 6, 0);
	uint32_t ps;
	if (!s->v6) {
		ip[0] = (uint8_t)(0x40 | l3 / 4);
		ip[1] = 0x28;
		wr16(ip + 2, l3 + ulen);
		wr16(ip + 4, 0x1234);
		wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 57;
		ip[9] = 17;
		wr16(ip + 10, 0);
		memcpy(ip + 12, CLI4, 4);
		memcpy(ip + 16, SRV4, 4);
		memset(ip + 20, 1, l3 - 20); /* NOP options */
		wr16(ip + 10, (uint16_t)~sum16(ip, l3, 0));
		ps = pseudo_sum(CLI4, SRV4, 4, ulen);
	} else {
		ip[0] = 0x60;
		ip[1] = 0x12;
		wr16(ip + 2, 0x3456);
		wr16(ip + 4, ulen);
		ip[6] = 17;
		ip[7] = 57;
		memcpy(ip + 8, CLI6, 16);
		memcpy(ip + 24, SRV6, 16);
		ps = pseudo_sum(CLI6, SRV6, 16, ulen);
	}
	if (s->v6 || !s->no_csum) {
		uint16_t c = (uint16_t)~sum16(udp, ulen, ps);
		wr16(udp + 6, c == 0 ? 0xffff : c);
	}
	return (unsigned)(udp - f) + ulen;
}

static struct fspec query(const char *name, unsigned qtype)
{
	return (struct fspec){ .name = name, .qtype = qtype, .id = 0x4242, .sport = 40000 };
}

/* The offsets of a frame's headers. */
static void layout(const uint8_t *f, unsigned *l2, bool *v6)
{
	*l2 = rd16(f + 12) == 0x8100 ? 18 : 14;
	*v6 = rd16(f + *l2 - 2) == 0x86dd;
}

/* Checks a reply against the query frame it was made from. */
static void check_reply(const uint8_t *qf, unsigned qlen, const uint8_t *r, unsigned rlen,
			const struct zw_answer_cfg *cfg, bool offload)
{
	unsigned l2;
	bool v6;
	layout(qf, &l2, &v6);
	const uint8_t *qip = qf + l2, *ip = r + l2;
	unsigned ql3 = v6 ? 40 : (qip[0] & 0x0f) * 4u, l3 = v6 ? 40 : 20;
	const uint8_t *qudp = qip + ql3, *udp = ip + l3;

	CU_ASSERT_EQUAL(memcmp(r, CLI_MAC, 6), 0);
	CU_ASSERT_EQUAL(memcmp(r + 6, SRV_MAC, 6), 0);
	CU_ASSERT_EQUAL(memcmp(r + 12, qf + 12, l2 - 12), 0); /* VLAN tag and type kept */
	unsigned ulen = rd16(udp + 4);
	CU_ASSERT_EQUAL(rlen, l2 + l3 + ulen);
	if (!v6) {
		CU_ASSERT_EQUAL(ip[0], 0x45);
		CU_ASSERT_EQUAL(ip[1], qip[1]);
		CU_ASSERT_EQUAL(rd16(ip + 2), 20 + ulen);
		CU_ASSERT_EQUAL(rd16(ip + 4), rd16(qip + 4));
		CU_ASSERT_EQUAL(rd16(ip + 6), 0);
		CU_ASSERT_EQUAL(ip[8], 64);
		CU_ASSERT_EQUAL(ip[9], 17);
		CU_ASSERT_EQUAL(memcmp(ip + 12, SRV4, 4), 0);
		CU_ASSERT_EQUAL(memcmp(ip + 16, CLI4, 4), 0);
	} else {
		CU_ASSERT_EQUAL(memcmp(ip, qip, 4), 0);
		CU_ASSERT_EQUAL(rd16(ip + 4), ulen);
		CU_ASSERT_EQUAL(ip[6], 17);
		CU_ASSERT_EQUAL(ip[7], 64);
		CU_ASSERT_EQUAL(memcmp(ip + 8, SRV6, 16), 0);
		CU_ASSERT_EQUAL(memcmp(ip + 24, CLI6, 16), 0);
	}
	CU_ASSERT_EQUAL(rd16(udp), 53);
	CU_ASSERT_EQUAL(rd16(udp + 2), rd16(qudp));
	uint32_t ps =
		v6 ? pseudo_sum(ip + 8, ip + 24, 16, ulen) : pseudo_sum(ip + 12, ip + 16, 4, ulen);
	if (offload) {
		/* the NIC finishes: the pseudo-header sum in place, no IPv4 sum */
		uint16_t c;
		memcpy(&c, udp + 6, 2);
		CU_ASSERT_EQUAL(ntohs(c), sum16(NULL, 0, ps));
		if (!v6)
			CU_ASSERT_EQUAL(rd16(ip + 10), 0);
	} else {
		CU_ASSERT_NOT_EQUAL(rd16(udp + 6), 0);
		CU_ASSERT_EQUAL(sum16(udp, ulen, ps), 0xffff);
		if (!v6)
			CU_ASSERT_EQUAL(sum16(ip, 20, 0), 0xffff);
	}
	/* the DNS message is the engine's answer to the query */
	uint8_t want[ROOM];
	unsigned qdl = rd16(qudp + 4) - 8;
	(void)qlen;
	int wl = zw_answer(cfg, zs, qudp + 8, qdl, want, sizeof(want), v6 ? ZW_ANS_IPV6 : 0, NULL);
	CU_ASSERT_EQUAL(wl, (int)ulen - 8);
	if (wl == (int)ulen - 8)
		CU_ASSERT_EQUAL(memcmp(udp + 8, want, (size_t)wl), 0);
}

/* Runs zw_pkt_handle on a copy of the frame. */
static enum zw_pkt_verdict run(const struct zw_answer_cfg *cfg, const uint8_t *f, unsigned len,
			       uint8_t *out, unsigned *olen, struct zw_pkt_info *info)
{
	memset(out, 0xa5, ROOM);
	memcpy(out, f, len);
	*olen = 0;
	return zw_pkt_handle(&svc, cfg, zs, out, len, ROOM, scratch, olen, info);
}

/* ---- cases ---- */

/* The checksum of every length from 0 to 300 octets, from every start in
 * an 8-byte word, with and without a sum carried in, against RFC 1071 one
 * octet pair at a time. */
static void test_cksum_lengths(void)
{
	uint8_t buf[320];
	uint32_t x = 12345;

	for (unsigned i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (unsigned start = 0; start < 8; start++)
		for (unsigned n = 0; n <= 300; n++)
			for (unsigned carry = 0; carry < 2; carry++) {
				uint32_t in = carry ? 0x1234abcdu : 0;
				/* the carried-in sum is of words loaded in host order */
				uint32_t want = sum16(buf + start, n, 0);
				if (carry) {
					uint16_t w[2];
					memcpy(w, &in, 4);
					want = sum16((const uint8_t *)w, 4, want);
				}
				uint16_t got = zw_pkt_cksum(buf + start, n, in);
				CU_ASSERT_EQUAL_FATAL(ntohs(got), (uint16_t)~want);
			}
}

static void test_answers(void)
{
	static const struct {
		bool v6;
		unsigned vlan, opts;
		bool no_csum, edns;
		const char *name;
		unsigned qtype, rcode;
	} cases[] = {
		{ false, 0, 0, false, false, "www.example.com", 1, 0 },
		{ false, 0, 0, true, true, "www.example.com", 28, 0 },
		{ false, 0, 8, false, false, "mail.example.com", 15, 0 },
		{ false, 100, 0, false, true, "nx.example.com", 1, 3 },
		{ true, 0, 0, false, false, "www.example.com", 28, 0 },
		{ true, 100, 0, false, true, "a.sub.example.com", 1, 0 },
		{ false, 0, 0, false, false, "example.org", 1, 5 },
	};
	for (int offload = 0; offload < 2; offload++) {
		svc.csum_offload = offload;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint8_t f[ROOM], r[ROOM];
			struct fspec s = query(cases[i].name, cases[i].qtype);
			s.v6 = cases[i].v6;
			s.vlan = cases[i].vlan;
			s.opts = cases[i].opts;
			s.no_csum = cases[i].no_csum;
			s.edns = cases[i].edns;
			unsigned len = build(f, &s), olen;
			struct zw_pkt_info info;
			enum zw_pkt_verdict v = run(&cfg_plain, f, len, r, &olen, &info);
			CU_ASSERT_EQUAL_FATAL(v, ZW_PKT_REPLY);
			CU_ASSERT_EQUAL(info.ans.rcode, cases[i].rcode);
			CU_ASSERT_EQUAL(info.ipv6, cases[i].v6);
			CU_ASSERT_EQUAL(info.l2_len, cases[i].vlan ? 18 : 14);
			CU_ASSERT_EQUAL(info.l3_len, cases[i].v6 ? 40 : 20);
			check_reply(f, len, r, olen, &cfg_plain, offload);
		}
	}
	svc.csum_offload = false;
}

static void test_verdicts(void)
{
	uint8_t f[ROOM], r[ROOM];
	unsigned len, olen, l2 = 14;
	struct zw_pkt_info info;
	struct fspec s = query("www.example.com", 1);

#define VERDICT(want) CU_ASSERT_EQUAL(run(&cfg_plain, f, len, r, &olen, &info), want)
	/* bad IPv4 header checksum, bad UDP checksum */
	len = build(f, &s);
	f[l2 + 10] ^= 1;
	VERDICT(ZW_PKT_DROP_CSUM);
	len = build(f, &s);
	f[len - 1] ^= 1;
	VERDICT(ZW_PKT_DROP_CSUM);
	/* IPv6 without a UDP checksum */
	s.v6 = true;
	len = build(f, &s);
	wr16(f + l2 + 46, 0);
	VERDICT(ZW_PKT_DROP_CSUM);
	s.v6 = false;
	/* truncated: shorter than the IPv4 total length, than Ethernet */
	len = build(f, &s) - 1;
	VERDICT(ZW_PKT_DROP_SHORT);
	len = 10;
	VERDICT(ZW_PKT_DROP_SHORT);
	/* for the kernel: a response, NOTIFY, a VLAN not served, another
	 * address, a fragment, ARP */
	s.flags2 = 0x80;
	len = build(f, &s);
	VERDICT(ZW_PKT_EXCEPTION);
	s.flags2 = 4 << 3;
	len = build(f, &s);
	VERDICT(ZW_PKT_EXCEPTION);
	s.flags2 = 0;
	s.vlan = 200;
	len = build(f, &s);
	VERDICT(ZW_PKT_EXCEPTION);
	s.vlan = 0;
	len = build(f, &s);
	f[l2 + 19] = 9;
	wr16(f + l2 + 10, 0);
	wr16(f + l2 + 10, (uint16_t)~sum16(f + l2, 20, 0));
	VERDICT(ZW_PKT_EXCEPTION);
	len = build(f, &s);
	wr16(f + l2 + 6, 0x2000); /* more fragments */
	VERDICT(ZW_PKT_EXCEPTION);
	len = build(f, &s);
	wr16(f + 12, 0x0806);
	VERDICT(ZW_PKT_EXCEPTION);
	/* a DNS message shorter than a header: the engine drops it */
	len = build(f, &s);
	unsigned ulen = 8 + 5;
	wr16(f + l2 + 2, 20 + ulen);
	wr16(f + l2 + 10, 0);
	wr16(f + l2 + 10, (uint16_t)~sum16(f + l2, 20, 0));
	wr16(f + l2 + 24, ulen);
	wr16(f + l2 + 26, 0);
	len = l2 + 20 + ulen;
	VERDICT(ZW_PKT_DROP_QUERY);
#undef VERDICT
}

/* A signed query goes to the kernel when the control plane has the keys:
 * the frame must reach it exactly as it came, whatever the engine wrote
 * into it before it decided. */
static void test_punt_leaves_frame(void)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (unsigned opts = 0; opts <= 8; opts += 8) {
			if (v6 && opts)
				continue;
			uint8_t f[ROOM], r[ROOM];
			struct fspec s = query("www.example.com", 1);
			s.v6 = v6;
			s.opts = opts;
			s.tsig = true;
			s.edns = true;
			unsigned len = build(f, &s), olen;
			struct zw_pkt_info info;
			CU_ASSERT_EQUAL(run(&cfg_punt, f, len, r, &olen, &info), ZW_PKT_EXCEPTION);
			CU_ASSERT_EQUAL(memcmp(r, f, len), 0);
			/* without keys the engine answers NOTAUTH itself */
			CU_ASSERT_EQUAL(run(&cfg_plain, f, len, r, &olen, &info), ZW_PKT_REPLY);
			CU_ASSERT_EQUAL(info.ans.rcode, 9);
		}
}

/* ---- the burst path against zw_pkt_handle ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_burst_matches_single(void)
{
	static const char *const names[] = {
		"www.example.com",
		"example.com",
		"nx.example.com",
		"WwW.ExAmPlE.cOm",
		"a.sub.example.com",
		"x.apps.example.com",
		"web.example.com",
		"example.net",
		"version.bind",
		"example.org",
		"",
	};
	static const unsigned types[] = { 1, 28, 15, 2, 6, 16, 255, 252, 43, 0 };
	static uint8_t a[BURST][ROOM], b[BURST][ROOM], slots[BURST][ROOM];
	unsigned long frames = 0, replies = 0, diffs = 0;

	for (unsigned it = 0; it < 400; it++) {
		const struct zw_answer_cfg *cfg = it & 1 ? &cfg_punt : &cfg_plain;
		unsigned len[BURST], room[BURST];
		svc.csum_offload = (it & 2) != 0;
		for (unsigned k = 0; k < BURST; k++) {
			struct fspec s = query(names[rnd() % (sizeof(names) / sizeof(names[0]))],
					       types[rnd() % (sizeof(types) / sizeof(types[0]))]);
			s.v6 = rnd() % 3 == 0;
			s.vlan = rnd() % 5 == 0 ? (rnd() % 2 ? 100 : 200) : 0;
			s.opts = !s.v6 && rnd() % 5 == 0 ? 4 * (1 + rnd() % 10) : 0;
			s.no_csum = rnd() % 4 == 0;
			s.edns = rnd() % 2;
			s.tsig = rnd() % 6 == 0;
			s.flags2 = rnd() % 8 == 0 ? rnd() & 0xff : 0;
			s.id = (uint16_t)rnd();
			memset(a[k], 0x5a, ROOM);
			len[k] = build(a[k], &s);
			for (unsigned m = rnd() % 4; m > 0; m--)
				if (rnd() % 2)
					a[k][rnd() % len[k]] ^= (uint8_t)(1u << (rnd() % 8));
			if (rnd() % 10 == 0)
				len[k] = rnd() % (len[k] + 1);
			room[k] = rnd() % 3 == 0 ? len[k] + rnd() % 64 : ROOM;
			if (room[k] > ROOM)
				room[k] = ROOM;
			memcpy(b[k], a[k], ROOM);
		}
		enum zw_pkt_verdict va[BURST], vb[BURST];
		unsigned oa[BURST] = { 0 }, ob[BURST] = { 0 }, nq = 0, idx[BURST];
		struct zw_pkt_info ia[BURST], ib[BURST];
		struct zw_pkt_job job[BURST];
		struct zw_answer_req rq[BURST];
		for (unsigned k = 0; k < BURST; k++)
			va[k] = zw_pkt_handle(&svc, cfg, zs, a[k], len[k], room[k], scratch, &oa[k],
					      &ia[k]);
		for (unsigned k = 0; k < BURST; k++) {
			memset(&ib[k], 0, sizeof(ib[k]));
			vb[k] = zw_pkt_parse(&svc, b[k], len[k], room[k], slots[nq], &job[nq],
					     &rq[nq]);
			if (vb[k] == ZW_PKT_REPLY)
				idx[nq++] = k;
		}
		zw_answer_burst(cfg, zs, rq, nq);
		for (unsigned j = 0; j < nq; j++)
			vb[idx[j]] = zw_pkt_finish(&svc, &job[j], &rq[j], &ob[idx[j]], &ib[idx[j]]);
		for (unsigned k = 0; k < BURST; k++) {
			frames++;
			replies += va[k] == ZW_PKT_REPLY;
			/* a reply is its frame: the engine may leave its scratch in
			 * the room past it */
			size_t same = va[k] == ZW_PKT_REPLY ? oa[k] : ROOM;
			if (va[k] != vb[k] || oa[k] != ob[k] || memcmp(a[k], b[k], same) != 0 ||
			    memcmp(&ia[k], &ib[k], sizeof(ia[k])) != 0)
				diffs++;
		}
	}
	svc.csum_offload = false;
	printf("\n    %lu frames, %lu replies, %lu differences ", frames, replies, diffs);
	CU_ASSERT_EQUAL(diffs, 0);
	CU_ASSERT(replies > frames / 4);
}

/* ---- set-up ---- */

static int setup(void)
{
	static const char *const zones[] = { "example.com", "example.net", "2.0.192.in-addr.arpa" };
	const char *src = getenv("ZW_SRCDIR");

	for (unsigned i = 0; i < 3; i++) {
		char path[4096];
		void *buf;
		size_t len;
		snprintf(path, sizeof(path), "%s/docs/examples/%s.zone", src ? src : ".", zones[i]);
		struct zw_compile_opts o = { .origin = zones[i] };
		if (zw_compile_file(path, &o, &buf, &len, NULL) != 0)
			return -1;
		if (zw_image_from_buffer(buf, len, &imgs[i], NULL) != 0) {
			fprintf(stderr, "test_pkt: cannot load %s\n", path);
			free(buf);
			return -1;
		}
	}
	zs = zw_zoneset_create(imgs, 3);
	if (zs == NULL)
		return -1;
	svc.n_v4 = 1;
	memcpy(&svc.v4[0], SRV4, 4);
	svc.n_v6 = 1;
	memcpy(&svc.v6[0], SRV6, 16);
	svc.n_vlans = 1;
	svc.vlans[0] = 100;
	return 0;
}

int main(void)
{
	static const struct zw_test_case cases[] = {
		ZW_TEST(test_cksum_lengths),
		ZW_TEST(test_answers),
		ZW_TEST(test_verdicts),
		ZW_TEST(test_punt_leaves_frame),
		ZW_TEST(test_burst_matches_single),
		{ NULL, NULL },
	};
	int rc = setup() != 0 ? 2 : zw_test_main("pkt", cases);
	zw_zoneset_free(zs);
	for (unsigned i = 0; i < 3; i++)
		zw_image_close(imgs[i]);
	return rc;
}
