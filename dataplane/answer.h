/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The answer engine: one DNS query message in, one response message out,
 * from the loaded zone images.
 *
 * It is the same code for every transport: the DPDK workers call it per
 * packet, the TCP server per message, tests, fuzzers and benchmarks
 * directly. It allocates nothing, takes no lock and makes no system call;
 * it reads the zone set through the one pointer the caller passes (obtained
 * under RCU), and writes only into the caller's buffer. It never reads
 * outside the query or writes outside the buffer, whatever the query holds.
 *
 * Threading: any number of threads may answer at once with the same
 * configuration and zone set.
 */
#ifndef ZW_ANSWER_H
#define ZW_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zw_zoneset;

#define ZW_ANSWER_DROP	 0    /* no response: not a query, or unreadable */
#define ZW_ANSWER_PUNT	 (-1) /* for the control plane: NOTIFY, transfers over TCP, signed queries */
#define ZW_EDNS_DEFAULT	 1232 /* our UDP payload size (DNS flag day 2020) */
#define ZW_CHAOS_TXT_MAX 255

enum zw_answer_flags {
	ZW_ANS_TCP = 1 << 0, /* TCP semantics: 64 KiB limit, transfers punted */
	ZW_ANS_IPV6 = 1 << 1,
};

/* Configuration shared by every answer; immutable while in use. */
struct zw_answer_cfg {
	uint16_t edns_size; /* advertised and used as the UDP limit; 0: 1232 */
	uint8_t nsid_len;   /* 0: no NSID (RFC 5001) */
	uint8_t nsid[255];
	/* CHAOS TXT answers; NULL hides the name (REFUSED) */
	const char *id_server;
	const char *hostname_bind;
	const char *version_bind;
	unsigned max_chain; /* CNAME/DNAME steps followed; 0: 8 */
	bool tsig_punt;	    /* hand TSIG-signed queries to the control plane,
			     * which has the keys (else: NOTAUTH, BADKEY) */
};

/* What an answer was, for statistics and tests. */
struct zw_answer_info {
	uint8_t rcode;	/* the full rcode (BADVERS is 16) */
	uint8_t shape;	/* enum zw_shape of the first lookup, or 0xff */
	bool tc;	/* truncated */
	bool edns;	/* the query had an OPT RR */
	bool dnssec_ok; /* DO bit */
	bool chaos;
};

/*
 * Answers the query in q (qlen bytes) into out (outcap bytes; a 64 KiB
 * buffer holds any response; UDP responses never exceed the client's limit).
 *
 * Returns the response length, ZW_ANSWER_DROP when nothing must be sent
 * (responses, messages too short to carry a header), or ZW_ANSWER_PUNT when
 * the message is for the control plane (NOTIFY; AXFR/IXFR over TCP). info may
 * be NULL. zs may be NULL (no zones: every query is REFUSED).
 */
int zw_answer(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, const uint8_t *q,
	      size_t qlen, uint8_t *out, size_t outcap, unsigned flags,
	      struct zw_answer_info *info);

/* One query of a burst: the arguments and results of zw_answer(). */
struct zw_answer_req {
	const uint8_t *q;
	size_t qlen;
	uint8_t *out;
	size_t outcap;
	unsigned flags;
	int ret;		    /* out: as zw_answer() returns */
	struct zw_answer_info info; /* out */
};

/*
 * Answers n queries, each exactly as zw_answer() would, but faster over a
 * large zone set: the queries are parsed first, then the zone data they
 * need is fetched into the caches for all of them together, a step at a
 * time (hash slots, nodes, RRsets, chunks), so that their cache misses
 * overlap instead of following one another, and only then are the
 * responses written (dataplane/answer_prefetch.c). Any n; the queries are
 * taken ZW_BURST_STEP at a time. Same rules as zw_answer(), but the
 * bytes of an out buffer past the response's length may be overwritten
 * (dataplane/answer_express.c).
 */
#define ZW_BURST_STEP 32
void zw_answer_burst(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs,
		     struct zw_answer_req *rq, unsigned n);

#endif /* ZW_ANSWER_H */
