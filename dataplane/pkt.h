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
 */
enum zw_pkt_verdict zw_pkt_handle(const struct zw_pkt_service *svc,
				  const struct zw_answer_cfg *acfg, const struct zw_zoneset *zs,
				  uint8_t *buf, unsigned len, unsigned room, uint8_t *scratch,
				  unsigned *out_len, struct zw_pkt_info *info);

/* RFC 1071 sum helpers, exposed for tests. */
uint16_t zw_pkt_cksum(const void *data, unsigned len, uint32_t sum);

#endif /* ZW_PKT_H */
