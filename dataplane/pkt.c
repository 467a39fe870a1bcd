/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet work of a worker on plain buffers (see pkt.h).
 *
 * Every length is checked against the frame before it is used: a frame
 * shorter than its headers say is dropped, never read past. Checksums use
 * the RFC 1071 property that a one's complement sum can be taken over words
 * loaded in host order and stored back in host order, so no byte swapping
 * happens per word.
 */
#include <arpa/inet.h>
#include <string.h>

#include "pkt.h"

#define ETH_HLEN     14
#define ETH_P_IPV4   0x0800
#define ETH_P_IPV6   0x86dd
#define ETH_P_VLAN   0x8100
#define IPPROTO_UDP_ 17
#define DNS_PORT     53
#define REPLY_TTL    64

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Partial one's complement sum of len bytes, in host order. */
static uint64_t sum_add(const void *data, unsigned len, uint64_t sum)
{
	const uint8_t *p = data;
	uint64_t sum2 = 0;

	/* two sums, so that the additions of one block do not wait for the
	 * other's (a 64-bit sum of 33-bit terms cannot overflow here) */
	while (len >= 16) {
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		sum += (a & 0xffffffffu) + (a >> 32);
		sum2 += (b & 0xffffffffu) + (b >> 32);
		p += 16;
		len -= 16;
	}
	sum += sum2;
	if (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint16_t w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t zw_pkt_cksum(const void *data, unsigned len, uint32_t sum)
{
	return (uint16_t)~fold(sum_add(data, len, sum));
}

/* Sums of fixed-size fields, without sum_add's loop: the pseudo-headers
 * (the addresses, contiguous in the IP header, as they are in memory; the
 * protocol and length as big-endian words loaded in host order) and an
 * IPv4 header without options. */
static inline uint64_t pseudo4(const uint8_t *ip, unsigned ulen)
{
	uint32_t a[2];

	memcpy(a, ip + 12, 8);
	return (uint64_t)a[0] + a[1] + htonl(IPPROTO_UDP_ << 16 | ulen);
}

static inline uint64_t pseudo6(const uint8_t *ip, unsigned ulen)
{
	uint64_t a[4];

	memcpy(a, ip + 8, 32);
	uint64_t s = htonl(ulen) + (uint64_t)htonl(IPPROTO_UDP_);
	for (unsigned i = 0; i < 4; i++)
		s += (a[i] & 0xffffffffu) + (a[i] >> 32);
	return s;
}

static inline uint64_t sum_ip20(const uint8_t *ip)
{
	uint32_t w[5];

	memcpy(w, ip, 20);
	return (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
}

static bool v4_served(const struct zw_pkt_service *svc, const uint8_t *a)
{
	for (unsigned i = 0; i < svc->n_v4; i++)
		if (memcmp(&svc->v4[i], a, 4) == 0)
			return true;
	return false;
}

static bool v6_served(const struct zw_pkt_service *svc, const uint8_t *a)
{
	for (unsigned i = 0; i < svc->n_v6; i++)
		if (memcmp(&svc->v6[i], a, 16) == 0)
			return true;
	return false;
}

static bool vlan_served(const struct zw_pkt_service *svc, unsigned vid)
{
	for (unsigned i = 0; i < svc->n_vlans; i++)
		if (svc->vlans[i] == vid)
			return true;
	return false;
}

/* Is the DNS message one the engine answers on the fast path? Responses
 * (answers to the control plane's own queries) and other opcodes (NOTIFY,
 * UPDATE) are the kernel's. */
static bool dns_fast(const uint8_t *dns, unsigned dlen)
{
	return dlen >= 3 && (dns[2] & 0x80) == 0 && ((dns[2] >> 3) & 0x0f) == 0;
}

enum zw_pkt_verdict zw_pkt_parse(const struct zw_pkt_service *svc, uint8_t *buf, unsigned len,
				 unsigned room, uint8_t *scratch, struct zw_pkt_job *job,
				 struct zw_answer_req *rq)
{
	unsigned off = ETH_HLEN, ihl, ulen, qlen;
	const uint8_t *udp;
	bool v6;

	if (len < ETH_HLEN || room < len)
		return ZW_PKT_DROP_SHORT;
	unsigned type = rd16(buf + 12);
	if (type == ETH_P_VLAN) {
		if (len < ETH_HLEN + 4)
			return ZW_PKT_DROP_SHORT;
		if (!vlan_served(svc, rd16(buf + 14) & 0x0fff))
			return ZW_PKT_EXCEPTION;
		type = rd16(buf + 16);
		off += 4;
	}
	uint8_t *ip = buf + off;
	unsigned avail = len - off;
	if (type == ETH_P_IPV4) {
		v6 = false;
		if (avail < 20 || (ip[0] >> 4) != 4)
			return ZW_PKT_DROP_SHORT;
		ihl = (ip[0] & 0x0f) * 4u;
		unsigned tot = rd16(ip + 2);
		if (ihl < 20 || tot < ihl || tot > avail)
			return ZW_PKT_DROP_SHORT;
		if (ip[9] != IPPROTO_UDP_ || (rd16(ip + 6) & 0x3fff) != 0 ||
		    !v4_served(svc, ip + 16))
			return ZW_PKT_EXCEPTION; /* not UDP, a fragment, or not ours */
		if (fold(ihl == 20 ? sum_ip20(ip) : sum_add(ip, ihl, 0)) != 0xffff)
			return ZW_PKT_DROP_CSUM;
		if (tot - ihl < 8)
			return ZW_PKT_DROP_SHORT;
		udp = ip + ihl;
		ulen = rd16(udp + 4);
		if (ulen < 8 || ulen > tot - ihl)
			return ZW_PKT_DROP_SHORT;
		if (rd16(udp + 2) != DNS_PORT || !dns_fast(udp + 8, ulen - 8))
			return ZW_PKT_EXCEPTION;
		if (rd16(udp + 6) != 0 && fold(sum_add(udp, ulen, pseudo4(ip, ulen))) != 0xffff)
			return ZW_PKT_DROP_CSUM;
	} else if (type == ETH_P_IPV6) {
		v6 = true;
		if (avail < 40 || (ip[0] >> 4) != 6)
			return ZW_PKT_DROP_SHORT;
		ihl = 40;
		unsigned plen = rd16(ip + 4);
		if (plen > avail - 40)
			return ZW_PKT_DROP_SHORT;
		if (ip[6] != IPPROTO_UDP_ || !v6_served(svc, ip + 24))
			return ZW_PKT_EXCEPTION; /* extension headers, ICMPv6, not ours */
		if (plen < 8)
			return ZW_PKT_DROP_SHORT;
		udp = ip + 40;
		ulen = rd16(udp + 4);
		if (ulen < 8 || ulen > plen)
			return ZW_PKT_DROP_SHORT;
		if (rd16(udp + 2) != DNS_PORT || !dns_fast(udp + 8, ulen - 8))
			return ZW_PKT_EXCEPTION;
		/* the UDP checksum is mandatory over IPv6 (RFC 8200 8.1) */
		if (rd16(udp + 6) == 0 || fold(sum_add(udp, ulen, pseudo6(ip, ulen))) != 0xffff)
			return ZW_PKT_DROP_CSUM;
	} else {
		return ZW_PKT_EXCEPTION; /* ARP and everything else */
	}

	/* The query moves to scratch; the reply is written in its place, its
	 * DNS message from hdrs on. Scratch keeps the frame from hdrs to its
	 * end (the query, after IPv4 options if any; Ethernet padding), to be
	 * put back if the frame goes to the kernel after all. hdrs <= udp + 8
	 * <= the end of the frame, and the query ends within 65535 bytes of
	 * hdrs (IP lengths are 16-bit), so a frame of more than
	 * ZW_PKT_SCRATCH bytes from hdrs is only restored that far. */
	qlen = ulen - 8;
	unsigned l3 = v6 ? 40u : 20u, hdrs = off + l3 + 8;
	unsigned keep = len - hdrs < ZW_PKT_SCRATCH ? len - hdrs : ZW_PKT_SCRATCH;
	memcpy(scratch, buf + hdrs, keep);
	if (room <= hdrs)
		return ZW_PKT_DROP_ROOM;
	/* the reply's headers are written over the query's: what the last
	 * step needs of them and the engine could overwrite (the source port,
	 * when IPv4 options put the UDP header further) is kept aside; the
	 * addresses, the TOS and the IPv6 flow stay where they are, before
	 * the reply's DNS message */
	job->buf = buf;
	job->saved = scratch;
	job->saved_len = keep;
	job->l2_len = (uint16_t)off;
	job->l3_len = (uint8_t)l3;
	job->ipv6 = v6;
	memcpy(job->sport, udp, 2);
	rq->q = scratch + (udp + 8 - (buf + hdrs));
	rq->qlen = qlen;
	rq->out = buf + hdrs;
	rq->outcap = room - hdrs;
	rq->flags = v6 ? ZW_ANS_IPV6 : 0;
	return ZW_PKT_REPLY;
}

enum zw_pkt_verdict zw_pkt_finish(const struct zw_pkt_service *svc, const struct zw_pkt_job *job,
				  const struct zw_answer_req *rq, unsigned *out_len,
				  struct zw_pkt_info *info)
{
	unsigned l2 = job->l2_len, l3 = job->l3_len;
	uint8_t *buf = job->buf, *ip = buf + l2;
	bool v6 = job->ipv6;
	int rlen = rq->ret;

	memset(info, 0, sizeof(*info));
	info->ans = rq->info;
	if (rlen == ZW_ANSWER_DROP)
		return ZW_PKT_DROP_QUERY;
	if (rlen < 0) {
		/* for the control plane: the frame as it came */
		memcpy(buf + l2 + l3 + 8, job->saved, job->saved_len);
		return ZW_PKT_EXCEPTION;
	}

	/* Ethernet: swap addresses; a VLAN tag stays as it was */
	uint8_t mac[6], a[16];
	memcpy(mac, buf, 6);
	memcpy(buf, buf + 6, 6);
	memcpy(buf + 6, mac, 6);
	unsigned u = (unsigned)rlen + 8;
	uint8_t *udp = ip + l3;
	if (!v6) {
		ip[0] = 0x45;
		/* TOS and identification kept; no fragmentation flags */
		wr16(ip + 2, 20 + u);
		wr16(ip + 6, 0);
		ip[8] = REPLY_TTL;
		ip[9] = IPPROTO_UDP_;
		wr16(ip + 10, 0);
		memcpy(a, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, a, 4);
	} else {
		/* version, traffic class and flow label kept */
		wr16(ip + 4, u);
		ip[6] = IPPROTO_UDP_;
		ip[7] = REPLY_TTL;
		memcpy(a, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, a, 16);
	}
	wr16(udp, DNS_PORT);
	memcpy(udp + 2, job->sport, 2);
	wr16(udp + 4, u);
	wr16(udp + 6, 0);
	uint64_t ps = v6 ? pseudo6(ip, u) : pseudo4(ip, u);
	if (svc->csum_offload) {
		uint16_t p = fold(ps);
		memcpy(udp + 6, &p, 2);
	} else {
		uint16_t c = (uint16_t)~fold(sum_add(udp, u, ps));
		if (c == 0)
			c = 0xffff; /* 0 means "no checksum" (RFC 768) */
		memcpy(udp + 6, &c, 2);
		if (!v6) {
			uint16_t h = (uint16_t)~fold(sum_ip20(ip));
			memcpy(ip + 10, &h, 2);
		}
	}
	info->l2_len = (uint16_t)l2;
	info->l3_len = (uint16_t)l3;
	info->ipv6 = v6;
	*out_len = l2 + l3 + u;
	return ZW_PKT_REPLY;
}

enum zw_pkt_verdict zw_pkt_handle(const struct zw_pkt_service *svc,
				  const struct zw_answer_cfg *acfg, const struct zw_zoneset *zs,
				  uint8_t *buf, unsigned len, unsigned room, uint8_t *scratch,
				  unsigned *out_len, struct zw_pkt_info *info)
{
	struct zw_pkt_job job;
	struct zw_answer_req rq;

	memset(info, 0, sizeof(*info));
	enum zw_pkt_verdict v = zw_pkt_parse(svc, buf, len, room, scratch, &job, &rq);
	if (v != ZW_PKT_REPLY)
		return v;
	rq.ret = zw_answer(acfg, zs, rq.q, rq.qlen, rq.out, rq.outcap, rq.flags, &rq.info);
	return zw_pkt_finish(svc, &job, &rq, out_len, info);
}
