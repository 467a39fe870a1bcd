/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames in, replies out: the per-packet work of a worker, on plain buffers.
 *
 * zw_pkt_handle() looks at one Ethernet frame and either rewrites it in
 * place into the DNS response (swapped addresses and ports, new lengths and
 * checksums), or says it belongs to the kernel (the exception path), or
 * that it is to be dropped and why. It knows nothing of DPDK: the worker
 * wraps it around mbufs, and tests and fuzzers call it on byte arrays.
 *
 * Fast path: [802.1Q VLAN] IPv4 (no fragment; options accepted, not echoed)
 * or IPv6 (no extension header), UDP to port 53 of a service address, a DNS
 * message with QR clear and opcode QUERY. Everything else is for the kernel,
 * except frames that are broken (drop) or UDP with a bad checksum (drop).
 */
#ifndef ZW_PKT_H
#define ZW_PKT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "answer.h"

#define ZW_PKT_MAX_ADDRS 16
#define ZW_PKT_MAX_VLANS 16
#define ZW_PKT_SCRATCH	 65536

enum zw_pkt_verdict {
	ZW_PKT_REPLY = 0,  /* frame rewritten into the response */
	ZW_PKT_EXCEPTION,  /* for the kernel: send to the exception port */
	ZW_PKT_DROP_SHORT, /* truncated or inconsistent headers */
	ZW_PKT_DROP_CSUM,  /* bad IPv4 header or UDP checksum */
	ZW_PKT_DROP_QUERY, /* the engine drops it (response, no header) */
	ZW_PKT_DROP_ROOM,  /* the response would not fit the buffer */
	ZW_PKT_VERDICTS
};

/* Addresses and VLANs served; filled at start, read-only afterwards. */
struct zw_pkt_service {
	struct in_addr v4[ZW_PKT_MAX_ADDRS];
	unsigned n_v4;
	struct in6_addr v6[ZW_PKT_MAX_ADDRS];
	unsigned n_v6;
	uint16_t vlans[ZW_PKT_MAX_VLANS]; /* tagged VLANs answered */
	unsigned n_vlans;
	bool csum_offload; /* the port computes IPv4/UDP checksums */
};

struct zw_pkt_info {
	uint16_t l2_len, l3_len; /* of the reply, for checksum offload */
	bool ipv6;
	struct zw_answer_info ans;
};

/*
 * Handles one frame of len bytes in buf, whose capacity is room bytes.
 * On ZW_PKT_REPLY the frame has been rewritten and *out_len is its length;
 * with csum_offload the IPv4 header checksum is zero and the UDP checksum
 * holds the pseudo-header sum, for the NIC to finish (info says where the
 * headers are). scratch must hold ZW_PKT_SCRATCH bytes (per worker).
 *
 * It is zw_pkt_parse(), zw_answer() and zw_pkt_finish() in a row.
 */
enum zw_pkt_verdict zw_pkt_handle(const struct zw_pkt_service *svc,
				  const struct zw_answer_cfg *acfg, const struct zw_zoneset *zs,
				  uint8_t *buf, unsigned len, unsigned room, uint8_t *scratch,
				  unsigned *out_len, struct zw_pkt_info *info);

/*
 * The same work in three steps, so that a worker can answer a whole burst
 * with one zw_answer_burst():
 *
 *   zw_pkt_parse()     per frame: checks the headers and classifies the
 *                      frame; for a query of the fast path it moves the
 *                      DNS message to scratch and fills *rq (the query and
 *                      where its response goes: the same frame, in place)
 *                      and *job (what the last step needs);
 *   zw_answer_burst()  over the rq of every frame parse said ZW_PKT_REPLY
 *                      of (or zw_answer() on one of them);
 *   zw_pkt_finish()    per such frame: the headers and checksums of the
 *                      reply, or the verdict for a query the engine drops
 *                      or hands to the kernel.
 *
 * zw_pkt_parse() returns ZW_PKT_REPLY when the frame's query waits for the
 * engine; any other verdict is final, and then neither rq nor job is used.
 * scratch must hold len bytes (ZW_PKT_SCRATCH are always enough), stay
 * untouched until zw_pkt_finish() and be the frame's own (one per frame of
 * a burst). Together the three give exactly what zw_pkt_handle() gives,
 * verdicts, frames and info alike.
 *
 * The engine writes its response over the query before it knows it will
 * hand the query to the control plane (a signed query, with keys): so
 * scratch keeps the frame from there to its end, and a frame for the
 * kernel leaves zw_pkt_finish() as it came.
 */
struct zw_pkt_job {
	uint8_t *buf;
	const uint8_t *saved; /* the frame from the reply's DNS message on, in scratch */
	unsigned saved_len;
	uint16_t l2_len;
	uint8_t l3_len;
	bool ipv6;
	uint8_t sport[2]; /* the query's UDP source port */
};

enum zw_pkt_verdict zw_pkt_parse(const struct zw_pkt_service *svc, uint8_t *buf, unsigned len,
				 unsigned room, uint8_t *scratch, struct zw_pkt_job *job,
				 struct zw_answer_req *rq);

/* rq as the engine left it; *out_len and info as zw_pkt_handle() sets them. */
enum zw_pkt_verdict zw_pkt_finish(const struct zw_pkt_service *svc, const struct zw_pkt_job *job,
				  const struct zw_answer_req *rq, unsigned *out_len,
				  struct zw_pkt_info *info);

/* RFC 1071 sum helpers, exposed for tests. */
uint16_t zw_pkt_cksum(const void *data, unsigned len, uint32_t sum);

#endif /* ZW_PKT_H */
