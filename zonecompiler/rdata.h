/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Knowledge of rdata layouts that the compiler needs: where the domain names
 * are, which of them may be compressed in responses (RFC 3597 section 4),
 * and which are lower-cased in canonical form (RFC 4034 6.2).
 */
#ifndef ZW_RDATA_H
#define ZW_RDATA_H

#include <stdbool.h>
#include <stdint.h>

enum {
	ZW_T_A = 1,
	ZW_T_NS = 2,
	ZW_T_MD = 3,
	ZW_T_MF = 4,
	ZW_T_CNAME = 5,
	ZW_T_SOA = 6,
	ZW_T_MB = 7,
	ZW_T_MG = 8,
	ZW_T_MR = 9,
	ZW_T_PTR = 12,
	ZW_T_HINFO = 13,
	ZW_T_MINFO = 14,
	ZW_T_MX = 15,
	ZW_T_TXT = 16,
	ZW_T_RP = 17,
	ZW_T_AFSDB = 18,
	ZW_T_RT = 21,
	ZW_T_PX = 26,
	ZW_T_AAAA = 28,
	ZW_T_SRV = 33,
	ZW_T_NAPTR = 35,
	ZW_T_KX = 36,
	ZW_T_DNAME = 39,
	ZW_T_OPT = 41,
	ZW_T_DS = 43,
	ZW_T_RRSIG = 46,
	ZW_T_NSEC = 47,
	ZW_T_DNSKEY = 48,
	ZW_T_NSEC3 = 50,
	ZW_T_NSEC3PARAM = 51,
	ZW_T_CDS = 59,
	ZW_T_CDNSKEY = 60,
	ZW_T_SVCB = 64,
	ZW_T_HTTPS = 65,
	ZW_T_IXFR = 251,
	ZW_T_AXFR = 252,
	ZW_T_ANY = 255,
};

#define ZW_RDATA_MAX_NAMES 2

struct zw_rdata_names {
	unsigned n;
	bool compress;			  /* RFC 3597: may be compressed */
	uint16_t off[ZW_RDATA_MAX_NAMES]; /* offsets of the names */
	uint16_t len[ZW_RDATA_MAX_NAMES];
};

/*
 * Finds the domain names in an rdata of a type whose layout we know.
 * Returns 0 (with names->n == 0 for types without names or unknown
 * types), or ZW_ENAME / -EINVAL when the rdata is malformed for its type.
 */
int zw_rdata_names(uint16_t type, const uint8_t *rdata, unsigned rdlen,
		   struct zw_rdata_names *names);

/* Copies rdata into dst with its names lower-cased where RFC 4034 6.2
 * lowers them, for comparing and ordering RRs. rdata must have passed
 * zw_rdata_names(). */
void zw_rdata_canon(uint16_t type, const uint8_t *rdata, unsigned rdlen,
		    const struct zw_rdata_names *names, uint8_t *dst);

#endif /* ZW_RDATA_H */
