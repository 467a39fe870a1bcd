/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone transfers out (xfr.h).
 *
 * Design note. A transfer is a walk over the pinned zone image: the apex
 * SOA (and its signatures), then every node in canonical order with every
 * RRset and signature chunk it has (the SOA skipped), then the NSEC3
 * section when its RRsets belong to no node, then the SOA again. The
 * stream keeps only a cursor (phase, node, RRset, chunk part, and the
 * offset of the next RR when a chunk had to be split), so a transfer costs
 * the same memory whatever the size of the zone, and nothing of the zone is
 * copied except into the messages themselves.
 *
 * Each chunk goes into a message as the answer engine puts one after a
 * CNAME step: the node's owner name is written (compressed against the
 * owner written before it, whose suffixes are remembered with their
 * positions, and, in the first message, against the zone name in the
 * question), the first RR's owner pointer is replaced by that name, the
 * other RRs' owners point at it, and the relocations are resolved against
 * it (QEND: a suffix of the owner; SELF: the chunk's own position). A
 * compression pointer reaches only the first 16 KiB of a message, so a
 * message is closed once the next chunk would end beyond about 16 KiB; a
 * chunk that still needs a pointer beyond reach, or does not fit in a
 * message by itself, is written RR by RR with the names in its data
 * expanded (uncompressed), and split across messages when it must be.
 *
 * Who may transfer what follows Knot DNS (process_query.c, acl.c): no zone
 * of that name is NOTAUTH; then the ACL (address and key name) is checked,
 * and a refusal is NOTAUTH with, for a signed request, an unsigned TSIG
 * with error BADKEY; then the request's MAC (BADSIG, unsigned) and time
 * (BADTIME, signed). See docs/transfers.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "answer.h"
#include "config.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"
#include "table.h"
#include "xfr.h"
#include "zones.h"
#include "zw_err.h"

/* The configuration the registry was made with (zones.c). */

#define HDR	12
#define PTR_MAX 0x3fff
#define MSG_MAX 65535u
/* A message is closed once the next chunk would end beyond this: every
 * name written before it can still be pointed at. */
#define MSG_SOFT 16384u
#define OPT_SIZE 11u

#define T_TSIG	   250
#define CLASS_IN   1
#define CLASS_ANY  255
#define TSIG_FUDGE 300
#define MAC_MAX	   64 /* hmac-sha512 */
#define LABELS_MAX 128

enum {
	RC_NOERROR = 0,
	RC_FORMERR = 1,
	RC_SERVFAIL = 2,
	RC_NOTIMP = 4,
	RC_REFUSED = 5,
	RC_NOTAUTH = 9,
	RC_BADVERS = 16,
};

enum {
	TSIG_NOERROR = 0,
	TSIG_BADSIG = 16,
	TSIG_BADKEY = 17,
	TSIG_BADTIME = 18,
};

/* ---- configuration, as the transfers use it ---- */

struct xkey {
	uint8_t name[ZW_NAME_MAX + 1]; /* lower-cased wire form */
	unsigned name_len;
	uint8_t alg[32]; /* "hmac-sha256." in wire form */
	unsigned alg_len;
	const char *digest; /* OpenSSL's name of the hash */
	unsigned mac_len;
	uint8_t *secret;
	size_t secret_len;
};

struct xrule {
	bool any_zone; /* "*" */
	uint8_t zone[ZW_NAME_MAX + 1];
	unsigned zone_len;
	struct zw_cfg_prefix allow[ZW_CFG_MAX_PREFIXES];
	unsigned n_allow;
	unsigned keys[ZW_CFG_MAX_TKEYS]; /* indices in zw_xfr.keys */
	unsigned n_keys;
};

struct zw_xfr {
	struct zw_zones *zones;
	struct xkey *keys;
	unsigned n_keys;
	struct xrule *rules;
	unsigned n_rules;
	uint16_t edns_size;
	EVP_MAC *hmac;
	struct zw_xfr_stats st;
	unsigned live; /* streams not ended yet */
	bool freed;    /* zw_xfr_free() was called while streams lived */
};

/* ---- small helpers ---- */

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put48(uint8_t *p, uint64_t v)
{
	put16(p, (unsigned)(v >> 32) & 0xffff);
	put32(p + 2, (uint32_t)v);
}

static inline uint64_t get48(const uint8_t *p)
{
	return (uint64_t)get16(p) << 32 | get32(p + 2);
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 (RFC 4648 4, padded); the byte count or -1. */
static long b64_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s), o = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=') {
				if (i + 4 != n || j < 2)
					return -1;
				pad++;
				v[j] = 0;
				continue;
			}
			if (pad > 0 || (v[j] = b64_value((unsigned char)s[i + j])) < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		uint8_t b[3] = { (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w };
		if (o + 3u - (unsigned)pad > cap)
			return -1;
		memcpy(out + o, b, 3u - (unsigned)pad);
		o += 3u - (unsigned)pad;
	}
	return (long)o;
}

/* "example.com." (or without the final dot; "." is the root) in
 * lower-cased wire form; its length or 0. No escapes: the configuration
 * reader admits none. */
static unsigned str_to_wire(const char *s, uint8_t *out)
{
	unsigned o = 0;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*s != '\0') {
		const char *dot = strchr(s, '.');
		size_t l = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > ZW_LABEL_MAX || o + 1 + l + 1 > ZW_NAME_MAX)
			return 0;
		out[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[o++] = zw_lower((uint8_t)s[i]);
		s += l;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	return o;
}

/* ---- creation ---- */

static int add_key(struct zw_xfr *x, const struct zw_cfg_key *ck, char *err, size_t errlen)
{
	static const struct {
		const char *name, *digest;
		unsigned len;
	} algs[] = {
		{ "hmac-sha256", "SHA256", 32 },
		{ "hmac-sha384", "SHA384", 48 },
		{ "hmac-sha512", "SHA512", 64 },
	};
	struct xkey *k = &x->keys[x->n_keys];
	unsigned a;

	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++)
		if (strcasecmp(ck->algorithm, algs[a].name) == 0)
			break;
	if (a == sizeof(algs) / sizeof(algs[0])) {
		snprintf(err, errlen, "key %s: algorithm %s is not supported", ck->name,
			 ck->algorithm);
		return -EINVAL;
	}
	char alg[32];
	snprintf(alg, sizeof(alg), "%s.", algs[a].name);
	k->alg_len = str_to_wire(alg, k->alg);
	k->digest = algs[a].digest;
	k->mac_len = algs[a].len;
	k->name_len = str_to_wire(ck->name, k->name);
	size_t cap = strlen(ck->secret) / 4 * 3 + 3;
	k->secret = malloc(cap);
	if (k->secret == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	long n = b64_decode(ck->secret, k->secret, cap);
	if (k->name_len == 0 || n <= 0) {
		free(k->secret);
		snprintf(err, errlen, "key %s: %s", ck->name,
			 k->name_len == 0 ? "not a domain name" : "the secret is not base64");
		return -EINVAL;
	}
	k->secret_len = (size_t)n;
	for (unsigned i = 0; i < x->n_keys; i++)
		if (x->keys[i].name_len == k->name_len &&
		    memcmp(x->keys[i].name, k->name, k->name_len) == 0) {
			free(k->secret);
			snprintf(err, errlen, "key %s is defined twice", ck->name);
			return -EINVAL;
		}
	x->n_keys++;
	return 0;
}

static int add_rule(struct zw_xfr *x, const struct zw_cfg_transfer *ct, char *err, size_t errlen)
{
	struct xrule *r = &x->rules[x->n_rules];

	memset(r, 0, sizeof(*r));
	if (strcmp(ct->zone, "*") == 0) {
		r->any_zone = true;
	} else if ((r->zone_len = str_to_wire(ct->zone, r->zone)) == 0) {
		snprintf(err, errlen, "transfer rule for %s: not a domain name", ct->zone);
		return -EINVAL;
	}
	if (ct->n_allow > ZW_CFG_MAX_PREFIXES || ct->n_keys > ZW_CFG_MAX_TKEYS)
		return -EINVAL;
	memcpy(r->allow, ct->allow, sizeof(ct->allow[0]) * ct->n_allow);
	r->n_allow = ct->n_allow;
	for (unsigned i = 0; i < ct->n_keys; i++) {
		uint8_t w[ZW_NAME_MAX + 1];
		unsigned wl = str_to_wire(ct->keys[i], w), k;
		for (k = 0; k < x->n_keys; k++)
			if (x->keys[k].name_len == wl && memcmp(x->keys[k].name, w, wl) == 0)
				break;
		if (wl == 0 || k == x->n_keys) {
			snprintf(err, errlen, "transfer rule for %s: no key %s is defined",
				 ct->zone, ct->keys[i]);
			return -EINVAL;
		}
		r->keys[r->n_keys++] = k;
	}
	x->n_rules++;
	return 0;
}

struct zw_xfr *zw_xfr_create(struct zw_zones *zones, char *err, size_t errlen)
{
	const struct zw_config *cfg = zw_zones_config(zones);
	struct zw_xfr *x = calloc(1, sizeof(*x));

	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->zones = zones;
	x->edns_size = cfg != NULL && cfg->edns_size != 0 ? cfg->edns_size : 1232;
	x->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (x->hmac == NULL) {
		snprintf(err, errlen, "HMAC is not available from OpenSSL");
		zw_xfr_free(x);
		return NULL;
	}
	unsigned nk = cfg != NULL ? cfg->n_keys : 0, nr = cfg != NULL ? cfg->n_transfers : 0;
	x->keys = calloc(nk ? nk : 1, sizeof(*x->keys));
	x->rules = calloc(nr ? nr : 1, sizeof(*x->rules));
	if (x->keys == NULL || x->rules == NULL) {
		snprintf(err, errlen, "out of memory");
		zw_xfr_free(x);
		return NULL;
	}
	for (unsigned i = 0; i < nk; i++)
		if (add_key(x, &cfg->keys[i], err, errlen) != 0) {
			zw_xfr_free(x);
			return NULL;
		}
	for (unsigned i = 0; i < nr; i++)
		if (add_rule(x, &cfg->transfers[i], err, errlen) != 0) {
			zw_xfr_free(x);
			return NULL;
		}
	return x;
}

static void xfr_destroy(struct zw_xfr *x)
{
	for (unsigned i = 0; i < x->n_keys; i++) {
		OPENSSL_cleanse(x->keys[i].secret, x->keys[i].secret_len);
		free(x->keys[i].secret);
	}
	free(x->keys);
	free(x->rules);
	EVP_MAC_free(x->hmac);
	free(x);
}

void zw_xfr_free(struct zw_xfr *x)
{
	if (x == NULL)
		return;
	if (x->live > 0) {
		x->freed = true; /* the last zw_xfr_end() frees it */
		return;
	}
	xfr_destroy(x);
}

void zw_xfr_get_stats(const struct zw_xfr *x, struct zw_xfr_stats *st)
{
	*st = x->st;
}

/* ---- the request ---- */

struct req {
	const uint8_t *q;
	size_t qlen;
	bool question; /* the question is readable (qsize bytes at 12) */
	unsigned qname_len, qsize;
	uint16_t qtype, qclass;
	bool edns;
	uint8_t edns_version;
	bool do_bit;
	bool have_soa; /* IXFR: the client's SOA (authority section) */
	uint32_t serial;
	/* TSIG */
	bool tsig;
	unsigned tsig_off;		   /* where the TSIG RR starts */
	uint8_t key_name[ZW_NAME_MAX + 1]; /* lower-cased */
	unsigned key_name_len;
	const uint8_t *alg; /* in the query, uncompressed */
	unsigned alg_len;
	const uint8_t *fixed; /* the TSIG RR's class and TTL (6 bytes) */
	uint64_t time_signed;
	uint16_t fudge;
	const uint8_t *mac;
	unsigned mac_len;
	uint16_t orig_id;
	uint16_t error;
	const uint8_t *other;
	unsigned other_len;
};

/* Skips a possibly compressed name at *off; pointers must point back. */
static bool skip_name(const uint8_t *q, size_t qlen, size_t *off)
{
	size_t pos = *off, total = 0;

	for (;;) {
		if (pos >= qlen)
			return false;
		uint8_t l = q[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 2 > qlen)
				return false;
			size_t target = (size_t)((l & 0x3f) << 8 | q[pos + 1]);
			if (target >= *off || target < HDR)
				return false;
			*off = pos + 2;
			return true;
		}
		if (l > ZW_LABEL_MAX)
			return false;
		if (l == 0) {
			*off = pos + 1;
			return true;
		}
		total += 1u + l;
		if (total >= ZW_NAME_MAX)
			return false;
		pos += 1u + l;
	}
}

/* Reads a name (pointers followed, each pointing before itself) at off,
 * lower-cased; its length or 0. */
static unsigned read_name(const uint8_t *q, size_t qlen, size_t off, uint8_t *out)
{
	unsigned len = 0, guard = 0;

	while (off < qlen && guard++ < 128) {
		uint8_t l = q[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= qlen)
				return 0;
			size_t t = (size_t)((l & 0x3f) << 8 | q[off + 1]);
			if (t >= off)
				return 0;
			off = t;
			continue;
		}
		if (l > ZW_LABEL_MAX || off + 1u + l > qlen || len + 1u + l > ZW_NAME_MAX)
			return 0;
		out[len++] = l;
		for (unsigned i = 1; i <= l; i++)
			out[len++] = zw_lower(q[off + i]);
		if (l == 0)
			return len;
		off += 1u + l;
	}
	return 0;
}

static bool parse_tsig(struct req *r, size_t owner, size_t rd, unsigned rdlen)
{
	const uint8_t *p = r->q + rd;
	int alen = zw_name_len(p, rdlen);

	if ((r->key_name_len = read_name(r->q, r->qlen, owner, r->key_name)) == 0 || alen <= 0)
		return false;
	unsigned o = (unsigned)alen;
	if (rdlen < o + 10)
		return false;
	r->alg = p;
	r->alg_len = o;
	r->time_signed = get48(p + o);
	r->fudge = get16(p + o + 6);
	r->mac_len = get16(p + o + 8);
	o += 10;
	if (rdlen - o < r->mac_len + 6u)
		return false;
	r->mac = p + o;
	o += r->mac_len;
	r->orig_id = get16(p + o);
	r->error = get16(p + o + 2);
	r->other_len = get16(p + o + 4);
	o += 6;
	if (rdlen - o != r->other_len)
		return false;
	r->other = p + o;
	return true;
}

/* Serial of an SOA RR's rdata (names possibly compressed). */
static bool soa_serial(const uint8_t *q, size_t end, size_t rd, uint32_t *serial)
{
	size_t off = rd;

	if (!skip_name(q, end, &off) || !skip_name(q, end, &off) || end - off < 20)
		return false;
	*serial = get32(q + off);
	return true;
}

/* Reads the header, the question and every RR after it; an rcode. */
static int parse_request(struct req *r)
{
	const uint8_t *q = r->q;
	size_t qlen = r->qlen, off;

	if (get16(q + 4) != 1)
		return RC_FORMERR;
	unsigned nlen = 0;
	for (off = HDR;;) {
		if (off >= qlen || q[off] > ZW_LABEL_MAX)
			return RC_FORMERR;
		if (q[off] == 0)
			break;
		off += 1u + q[off];
		if (off - HDR >= ZW_NAME_MAX)
			return RC_FORMERR;
	}
	nlen = (unsigned)(off + 1 - HDR);
	if (qlen - HDR - nlen < 4)
		return RC_FORMERR;
	r->question = true;
	r->qname_len = nlen;
	r->qsize = nlen + 4;
	r->qtype = get16(q + HDR + nlen);
	r->qclass = get16(q + HDR + nlen + 2);
	off = HDR + r->qsize;

	unsigned an = get16(q + 6), ns = get16(q + 8), ar = get16(q + 10);
	unsigned total = an + ns + ar;
	for (unsigned i = 0; i < total; i++) {
		size_t owner = off;
		if (!skip_name(q, qlen, &off) || qlen - off < 10)
			return RC_FORMERR;
		uint16_t type = get16(q + off), rdlen = get16(q + off + 8);
		const uint8_t *fixed = q + off;
		off += 10;
		if (rdlen > qlen - off)
			return RC_FORMERR;
		if (i < an) {
			/* a transfer request has no answer section */
			return RC_FORMERR;
		} else if (i < an + ns) {
			if (i == an && type == ZW_T_SOA) {
				if (!soa_serial(q, off + rdlen, off, &r->serial))
					return RC_FORMERR;
				r->have_soa = true;
			}
		} else if (type == ZW_T_OPT) {
			if (r->edns || q[owner] != 0)
				return RC_FORMERR; /* RFC 6891 6.1.1 */
			r->edns = true;
			r->edns_version = fixed[5];
			r->do_bit = (fixed[6] & 0x80) != 0;
		} else if (type == T_TSIG) {
			if (i != total - 1)
				return RC_FORMERR; /* TSIG is last (RFC 8945 5.1) */
			r->tsig = true;
			r->tsig_off = (unsigned)owner;
			r->fixed = fixed + 2;
			if (!parse_tsig(r, owner, off, rdlen))
				return RC_FORMERR;
		}
		off += rdlen;
	}
	if (off != qlen)
		return RC_FORMERR;
	return RC_NOERROR;
}

/* ---- TSIG ---- */

struct part {
	const void *p;
	size_t n;
};

static bool hmac(const struct zw_xfr *x, const struct xkey *k, const struct part *parts, unsigned n,
		 uint8_t *out)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(x->hmac);
	OSSL_PARAM params[2];
	size_t outl = 0;
	bool ok;

	if (c == NULL)
		return false;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)k->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(c, k->secret, k->secret_len, params) == 1;
	for (unsigned i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(c, parts[i].p, parts[i].n) == 1;
	ok = ok && EVP_MAC_final(c, out, &outl, MAC_MAX) == 1 && outl == k->mac_len;
	EVP_MAC_CTX_free(c);
	return ok;
}

static const struct xkey *find_key(const struct zw_xfr *x, const struct req *r)
{
	for (unsigned i = 0; i < x->n_keys; i++) {
		const struct xkey *k = &x->keys[i];
		if (k->name_len == r->key_name_len &&
		    memcmp(k->name, r->key_name, k->name_len) == 0)
			return k;
	}
	return NULL;
}

static bool same_alg(const struct xkey *k, const struct req *r)
{
	uint8_t a[ZW_NAME_MAX + 1];

	if (r->alg_len != k->alg_len)
		return false;
	zw_name_lower(a, r->alg);
	return memcmp(a, k->alg, k->alg_len) == 0;
}

/* Verifies the request's MAC and time (the key is known): a TSIG error. */
static unsigned verify_request(const struct zw_xfr *x, const struct xkey *k, const struct req *r)
{
	uint8_t hdr[HDR], vars[ZW_NAME_MAX + 1 + 6 + ZW_NAME_MAX + 1 + 16], mac[MAC_MAX];
	unsigned v = 0;

	if (!same_alg(k, r))
		return TSIG_BADKEY;
	if (r->mac_len != k->mac_len)
		return TSIG_BADSIG; /* truncated MACs are not accepted */
	/* the request as it was signed: no TSIG, its original ID */
	memcpy(hdr, r->q, HDR);
	put16(hdr, r->orig_id);
	put16(hdr + 10, get16(r->q + 10) - 1u);
	/* the TSIG variables (RFC 8945 4.3.3) */
	memcpy(vars, r->key_name, r->key_name_len);
	v = r->key_name_len;
	memcpy(vars + v, r->fixed, 6); /* class, TTL */
	v += 6;
	memcpy(vars + v, k->alg, k->alg_len);
	v += k->alg_len;
	put48(vars + v, r->time_signed);
	put16(vars + v + 6, r->fudge);
	put16(vars + v + 8, r->error);
	put16(vars + v + 10, r->other_len);
	v += 12;
	struct part parts[] = {
		{ hdr, HDR },
		{ r->q + HDR, r->tsig_off - HDR },
		{ vars, v },
		{ r->other, r->other_len },
	};
	if (!hmac(x, k, parts, 4, mac) || CRYPTO_memcmp(mac, r->mac, k->mac_len) != 0)
		return TSIG_BADSIG;
	uint64_t now = (uint64_t)time(NULL);
	uint64_t d = now > r->time_signed ? now - r->time_signed : r->time_signed - now;
	if (d > r->fudge)
		return TSIG_BADTIME;
	return TSIG_NOERROR;
}

static unsigned tsig_size(const struct xkey *k, unsigned other_len)
{
	return k->name_len + 10 + k->alg_len + 16 + k->mac_len + other_len;
}

/*
 * Signs the message in buf (len bytes; room up to cap): the digest is the
 * prior MAC (the request's for the first message, the previous message's
 * after it), the message, and the TSIG variables, or only the timers for a
 * message after the first (RFC 8945 5.3.1). The new MAC goes to mac.
 */
static bool sign(const struct zw_xfr *x, const struct xkey *k, uint8_t *buf, unsigned *len,
		 unsigned cap, const uint8_t *prior, unsigned prior_len, bool timers_only,
		 uint64_t time_signed, unsigned error, const uint8_t *other, unsigned other_len,
		 uint8_t *mac)
{
	uint8_t plen[2], vars[ZW_NAME_MAX + 1 + 6 + 32 + 16];
	unsigned v = 0;

	if (tsig_size(k, other_len) > cap - *len)
		return false;
	put16(plen, prior_len);
	if (!timers_only) {
		memcpy(vars, k->name, k->name_len);
		v = k->name_len;
		put16(vars + v, CLASS_ANY);
		put32(vars + v + 2, 0);
		v += 6;
		memcpy(vars + v, k->alg, k->alg_len);
		v += k->alg_len;
	}
	put48(vars + v, time_signed);
	put16(vars + v + 6, TSIG_FUDGE);
	v += 8;
	if (!timers_only) {
		put16(vars + v, error);
		put16(vars + v + 2, other_len);
		v += 4;
	}
	struct part parts[] = {
		{ plen, 2 },
		{ prior, prior_len },
		{ buf, *len },
		{ vars, v },
		{ other, timers_only ? 0 : other_len },
	};
	if (!hmac(x, k, parts, 5, mac))
		return false;
	uint8_t *p = buf + *len;
	memcpy(p, k->name, k->name_len);
	p += k->name_len;
	put16(p, T_TSIG);
	put16(p + 2, CLASS_ANY);
	put32(p + 4, 0);
	put16(p + 8, k->alg_len + 16 + k->mac_len + other_len);
	p += 10;
	memcpy(p, k->alg, k->alg_len);
	p += k->alg_len;
	put48(p, time_signed);
	put16(p + 6, TSIG_FUDGE);
	put16(p + 8, k->mac_len);
	memcpy(p + 10, mac, k->mac_len);
	p += 10 + k->mac_len;
	memcpy(p, buf, 2); /* original ID */
	put16(p + 2, error);
	put16(p + 4, other_len);
	if (other_len > 0)
		memcpy(p + 6, other, other_len);
	*len += tsig_size(k, other_len);
	put16(buf + 10, get16(buf + 10) + 1u);
	return true;
}

/* RFC 8945 5.3.2: an unsigned TSIG carrying an error: the request's key
 * name, algorithm, time and fudge, no MAC. */
static void put_tsig_error(uint8_t *buf, unsigned *len, unsigned cap, const struct req *r,
			   unsigned error)
{
	unsigned rdlen = r->alg_len + 16;

	if (r->key_name_len + 10 + rdlen > cap - *len)
		return;
	uint8_t *p = buf + *len;
	memcpy(p, r->key_name, r->key_name_len);
	p += r->key_name_len;
	put16(p, T_TSIG);
	put16(p + 2, CLASS_ANY);
	put32(p + 4, 0);
	put16(p + 8, rdlen);
	p += 10;
	memcpy(p, r->alg, r->alg_len);
	p += r->alg_len;
	put48(p, r->time_signed);
	put16(p + 6, r->fudge);
	put16(p + 8, 0);	 /* MAC size */
	memcpy(p + 10, r->q, 2); /* original ID */
	put16(p + 12, error);
	put16(p + 14, 0);
	*len += r->key_name_len + 10 + rdlen;
	put16(buf + 10, get16(buf + 10) + 1u);
}

/* ---- the ACL ---- */

static bool prefix_match(const struct zw_cfg_prefix *p, const struct sockaddr *sa)
{
	const uint8_t *a;
	int family;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			a = a6->s6_addr + 12;
		} else {
			family = AF_INET6;
			a = a6->s6_addr;
		}
	} else {
		return false;
	}
	if (family != p->family)
		return false;
	const uint8_t *b = family == AF_INET ? (const uint8_t *)&p->v4 : p->v6.s6_addr;
	unsigned bits = p->len, full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* As Knot DNS's acl_allowed(): a rule matches when the address is in one
 * of its prefixes (or it lists none), and either it lists keys and the
 * request is signed with one of them (name and algorithm), or it lists no
 * key and the request is not signed. */
static bool rule_matches(const struct zw_xfr *x, const struct xrule *rule, const struct req *r,
			 const struct sockaddr *peer)
{
	bool addr = rule->n_allow == 0;

	for (unsigned i = 0; i < rule->n_allow && !addr; i++)
		addr = prefix_match(&rule->allow[i], peer);
	if (!addr)
		return false;
	if (rule->n_keys == 0)
		return !r->tsig;
	if (!r->tsig)
		return false;
	for (unsigned i = 0; i < rule->n_keys; i++) {
		const struct xkey *k = &x->keys[rule->keys[i]];
		if (k->name_len == r->key_name_len &&
		    memcmp(k->name, r->key_name, k->name_len) == 0 && same_alg(k, r))
			return true;
	}
	return false;
}

/* The zone's own rules if it has any, else the "*" rules. */
static bool allowed(const struct zw_xfr *x, const struct zw_image *img, const struct req *r,
		    const struct sockaddr *peer)
{
	bool own = false;

	for (unsigned i = 0; i < x->n_rules; i++) {
		const struct xrule *rule = &x->rules[i];
		if (rule->any_zone || rule->zone_len != img->hdr->origin_len ||
		    memcmp(rule->zone, img->hdr->origin, rule->zone_len) != 0)
			continue;
		own = true;
		if (rule_matches(x, rule, r, peer))
			return true;
	}
	if (own)
		return false;
	for (unsigned i = 0; i < x->n_rules; i++)
		if (x->rules[i].any_zone && rule_matches(x, &x->rules[i], r, peer))
			return true;
	return false;
}

/* ---- messages ---- */

#define TAG_NONE     UINT32_MAX
#define TAG_QUESTION (UINT32_MAX - 1)

/* The owner name written last in the message: the suffixes of its labels
 * and where each one can be pointed at (0: beyond reach or not written). */
struct owner {
	uint32_t tag; /* node index, node_count + NSEC3 index, or TAG_* */
	uint8_t name[ZW_NAME_MAX + 1];
	unsigned len;
	unsigned nlab;
	uint8_t off[LABELS_MAX];
	uint16_t pos[LABELS_MAX];
	unsigned target; /* where the whole name is (0: nowhere in reach) */
};

struct msg {
	uint8_t *buf;
	unsigned len;
	unsigned limit; /* the records end here: room for OPT and TSIG is kept */
	unsigned an;
	unsigned rrs; /* records of the zone in this message */
	struct owner ow;
};

enum put_rc {
	PUT_OK = 0,
	PUT_FULL = 1, /* does not fit: in the next message */
	PUT_SLOW = 2, /* a pointer is beyond reach: write it RR by RR */
	PUT_BAD = -1, /* the chunk cannot be read */
};

static unsigned split_labels(const uint8_t *name, uint8_t *off)
{
	unsigned n = 0;

	for (unsigned p = 0; name[p] != 0 && n < LABELS_MAX; p += 1u + name[p])
		off[n++] = (uint8_t)p;
	return n;
}

static bool append(struct msg *m, const void *p, size_t n)
{
	if (n > m->limit - m->len)
		return false;
	memcpy(m->buf + m->len, p, n);
	m->len += (unsigned)n;
	return true;
}

/* Seeds the owner state with the question's name at offset 12. */
static void seed_question(struct msg *m, const uint8_t *qname)
{
	struct owner *o = &m->ow;

	o->tag = TAG_QUESTION;
	o->len = zw_name_lower(o->name, qname);
	o->nlab = split_labels(o->name, o->off);
	for (unsigned i = 0; i < o->nlab; i++)
		o->pos[i] = (uint16_t)(HDR + o->off[i]);
	o->target = HDR;
}

/*
 * Writes a lower-cased owner name at the end of the message, compressed
 * against the longest suffix it shares with the previous owner that can be
 * pointed at, and makes it the current owner. false when it does not fit.
 */
static bool put_name(struct msg *m, uint32_t tag, const uint8_t *name, unsigned len)
{
	struct owner *o = &m->ow, n;
	unsigned c = 0;

	n.tag = tag;
	memcpy(n.name, name, len);
	n.len = len;
	n.nlab = split_labels(name, n.off);
	/* labels in common, from the right */
	if (o->tag != TAG_NONE) {
		while (c < n.nlab && c < o->nlab) {
			const uint8_t *a = n.name + n.off[n.nlab - 1 - c];
			const uint8_t *b = o->name + o->off[o->nlab - 1 - c];
			if (a[0] != b[0] || memcmp(a + 1, b + 1, a[0]) != 0)
				break;
			c++;
		}
	}
	/* the longest common suffix that is in reach */
	unsigned lit = n.nlab, ptr = 0;
	for (unsigned k = 0; k < c; k++) {
		unsigned oi = o->nlab - c + k;
		if (o->pos[oi] != 0) {
			lit = n.nlab - (c - k);
			ptr = o->pos[oi];
			break;
		}
	}
	unsigned start = m->len, litlen = lit < n.nlab ? n.off[lit] : len - 1;
	if (litlen + (ptr ? 2u : 1u) > m->limit - m->len)
		return false;
	memcpy(m->buf + start, name, litlen);
	if (ptr != 0)
		put16(m->buf + start + litlen, 0xc000 | ptr);
	else
		m->buf[start + litlen] = 0;
	m->len += litlen + (ptr ? 2u : 1u);
	for (unsigned i = 0; i < n.nlab; i++) {
		if (i < lit)
			n.pos[i] = start + n.off[i] <= PTR_MAX ? (uint16_t)(start + n.off[i]) : 0;
		else
			n.pos[i] = o->pos[o->nlab - (n.nlab - i)];
	}
	if (n.nlab > 0)
		n.target = n.pos[0];
	else
		n.target = start <= PTR_MAX ? start : 0; /* the root: its 0 byte */
	*o = n;
	return true;
}

/* Where the suffix of length v of the current owner is, or 0. */
static unsigned suffix_pos(const struct msg *m, unsigned v)
{
	const struct owner *o = &m->ow;

	for (unsigned i = 0; i < o->nlab; i++)
		if (o->len - o->off[i] == v)
			return o->pos[i];
	return 0;
}

/* The whole chunk at once, its pointers patched. */
static enum put_rc put_chunk_fast(struct msg *m, const struct zw_img_chunk *c, uint32_t tag,
				  const uint8_t *name, unsigned len)
{
	const uint8_t *d = zw_chunk_data(c);
	const uint32_t *rel = zw_chunk_relocs(c);
	unsigned start = m->len, base;
	bool inline_owner = m->ow.tag != tag || m->ow.target == 0;
	struct owner saved;

	if (c->len < 12 || c->rrs == 0)
		return PUT_BAD;
	if (inline_owner) {
		/* the first RR's owner is the name itself */
		saved = m->ow;
		if (!put_name(m, tag, name, len))
			return PUT_FULL;
		base = m->len - 2;
		if (!append(m, d + 2, c->len - 2u)) {
			m->len = start;
			m->ow = saved;
			return PUT_FULL;
		}
	} else {
		base = start;
		if (!append(m, d, c->len))
			return PUT_FULL;
	}
	enum put_rc rc = PUT_OK;
	unsigned owner = m->ow.target;
	if (owner == 0 || owner > PTR_MAX)
		rc = PUT_SLOW;
	for (unsigned i = 0; i < c->nreloc && rc == PUT_OK; i++) {
		unsigned p = ZW_RELOC_POS(rel[i]), v = ZW_RELOC_VAL(rel[i]), ptr = 0;
		if (p + 2u > c->len || (inline_owner && p < 2)) {
			rc = PUT_BAD;
			break;
		}
		switch (ZW_RELOC_KIND(rel[i])) {
		case ZW_RELOC_QEND: ptr = suffix_pos(m, v); break;
		case ZW_RELOC_SELF: ptr = v >= 2 || !inline_owner ? base + v : 0; break;
		default: rc = PUT_BAD; break;
		}
		if (rc == PUT_OK && (ptr == 0 || ptr > PTR_MAX))
			rc = PUT_SLOW;
		else if (rc == PUT_OK)
			put16(m->buf + base + p, 0xc000 | ptr);
	}
	unsigned o = 0, rrs = 0;
	while (rc == PUT_OK && o + 12 <= c->len) {
		if (o > 0 || !inline_owner)
			put16(m->buf + base + o, 0xc000 | owner);
		o += 12u + get16(d + o + 10);
		rrs++;
	}
	if (rc == PUT_OK && (o != c->len || rrs != c->rrs))
		rc = PUT_BAD;
	if (rc != PUT_OK) {
		m->len = start;
		if (inline_owner)
			m->ow = saved;
		return rc;
	}
	m->an += c->rrs;
	m->rrs += c->rrs;
	return PUT_OK;
}

static enum put_rc expand_at(struct msg *m, const struct zw_img_chunk *c, unsigned off,
			     unsigned depth, unsigned *total);

/* The index of the relocation at chunk position p, or -1. Relocations are
 * recorded in the order they were written. */
static long reloc_at(const struct zw_img_chunk *c, unsigned p)
{
	const uint32_t *rel = zw_chunk_relocs(c);
	long lo = 0, hi = (long)c->nreloc - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		unsigned mp = ZW_RELOC_POS(rel[mid]);
		if (mp == p)
			return mid;
		if (mp < p)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	for (unsigned i = 0; i < c->nreloc; i++)
		if (ZW_RELOC_POS(rel[i]) == p)
			return i;
	return -1;
}

/* Appends, uncompressed, the name that the pointer at chunk position p
 * stands for. */
static enum put_rc expand_ptr(struct msg *m, const struct zw_img_chunk *c, unsigned p,
			      unsigned depth, unsigned *total)
{
	long i = reloc_at(c, p);

	if (i < 0 || depth > LABELS_MAX)
		return PUT_BAD;
	uint32_t r = zw_chunk_relocs(c)[i];
	unsigned v = ZW_RELOC_VAL(r);
	switch (ZW_RELOC_KIND(r)) {
	case ZW_RELOC_QEND:
		if (v < 1 || v > m->ow.len || *total + v > ZW_NAME_MAX)
			return PUT_BAD;
		*total += v;
		return append(m, m->ow.name + m->ow.len - v, v) ? PUT_OK : PUT_FULL;
	case ZW_RELOC_SELF: return expand_at(m, c, v, depth + 1, total);
	default: return PUT_BAD;
	}
}

/* Appends, uncompressed, the name written at chunk position off. */
static enum put_rc expand_at(struct msg *m, const struct zw_img_chunk *c, unsigned off,
			     unsigned depth, unsigned *total)
{
	const uint8_t *d = zw_chunk_data(c);

	for (;;) {
		if (off >= c->len)
			return PUT_BAD;
		uint8_t l = d[off];
		if ((l & 0xc0) == 0xc0)
			return off + 2u <= c->len ? expand_ptr(m, c, off, depth, total) : PUT_BAD;
		if (l > ZW_LABEL_MAX || off + 1u + l > c->len || *total + 1u + l > ZW_NAME_MAX)
			return PUT_BAD;
		if (!append(m, d + off, 1u + l))
			return PUT_FULL;
		*total += 1u + l;
		if (l == 0)
			return PUT_OK;
		off += 1u + l;
	}
}

/*
 * One RR of a chunk (at position off), its owner a pointer to the current
 * owner or written out, and the names in its data expanded. PUT_FULL
 * (nothing written) when it does not fit.
 */
static enum put_rc put_rr_slow(struct msg *m, const struct zw_img_chunk *c, unsigned off,
			       uint32_t tag, const uint8_t *name, unsigned len)
{
	const uint8_t *d = zw_chunk_data(c);
	const uint32_t *rel = zw_chunk_relocs(c);
	unsigned start = m->len;
	struct owner saved = m->ow;
	enum put_rc rc = PUT_OK;

	if (off + 12u > c->len)
		return PUT_BAD;
	unsigned rdlen = get16(d + off + 10), end = off + 12 + rdlen;
	if (end > c->len)
		return PUT_BAD;
	if (m->ow.tag == tag && m->ow.target != 0) {
		uint8_t p[2];
		put16(p, 0xc000 | m->ow.target);
		if (!append(m, p, 2))
			rc = PUT_FULL;
	} else if (!put_name(m, tag, name, len)) {
		rc = PUT_FULL;
	}
	if (rc == PUT_OK && !append(m, d + off + 2, 10))
		rc = PUT_FULL;
	unsigned rd_at = m->len;
	/* the first relocation in the data */
	unsigned lo = 0, hi = c->nreloc;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (ZW_RELOC_POS(rel[mid]) < off + 12)
			lo = mid + 1;
		else
			hi = mid;
	}
	unsigned p = off + 12;
	for (unsigned i = lo; rc == PUT_OK && i < c->nreloc && ZW_RELOC_POS(rel[i]) < end; i++) {
		unsigned rp = ZW_RELOC_POS(rel[i]), total = 0;
		if (rp < p || rp + 2 > end) {
			rc = PUT_BAD;
			break;
		}
		if (!append(m, d + p, rp - p))
			rc = PUT_FULL;
		else
			rc = expand_ptr(m, c, rp, 0, &total);
		p = rp + 2;
	}
	if (rc == PUT_OK && !append(m, d + p, end - p))
		rc = PUT_FULL;
	if (rc == PUT_OK && m->len - rd_at > 0xffff)
		rc = PUT_BAD;
	if (rc != PUT_OK) {
		m->len = start;
		m->ow = saved;
		return rc;
	}
	put16(m->buf + rd_at - 2, m->len - rd_at);
	m->an++;
	m->rrs++;
	return PUT_OK;
}

/* ---- the stream ---- */

enum phase {
	PH_SOA = 0, /* the SOA first */
	PH_SOA_SIGS,
	PH_NODES, /* every node, every RRset but the SOA, with signatures */
	PH_NSEC3, /* NSEC3 RRsets kept outside the nodes */
	PH_SOA_END,
	PH_DONE,
};

struct zw_xfr_stream {
	struct zw_xfr *x;
	struct zw_image *img;
	/* the request */
	uint8_t id[2];
	uint8_t flags2; /* RD, copied */
	uint8_t flags3; /* CD, copied */
	uint8_t question[ZW_NAME_MAX + 1 + 4];
	unsigned qsize, qname_len;
	bool edns;
	bool do_bit;
	const struct xkey *key;
	uint8_t mac[MAC_MAX]; /* the request's MAC, then the last message's */
	unsigned mac_len;
	/* the cursor */
	enum phase phase;
	uint32_t node;
	uint32_t k;	   /* RRset of the node; NSEC3 entry */
	unsigned part;	   /* 0: the RRset, 1: its signatures */
	unsigned rr_off;   /* a chunk split across messages: its next RR */
	bool nsec3_apart;  /* NSEC3 RRsets are not in nodes */
	uint32_t name_tag; /* whose name is in name[] */
	uint8_t name[ZW_NAME_MAX + 1];
	unsigned name_len;
	unsigned msgs;
};

static void base32hex(const uint8_t *in, unsigned len, uint8_t *out)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned o = 0, bits = 0;
	uint32_t acc = 0;

	for (unsigned i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = (uint8_t)digits[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = (uint8_t)digits[(acc << (5 - bits)) & 31];
}

/* The owner name of the chunk at the cursor into s->name. */
static bool cursor_name(struct zw_xfr_stream *s, uint32_t tag)
{
	const struct zw_image *img = s->img;

	if (s->name_tag == tag)
		return true;
	if (tag < img->hdr->node_count) {
		s->name_len = zw_image_node_name(img, &img->nodes[tag], s->name);
	} else {
		/* an NSEC3 owner: the base32hex of its hash, then the zone */
		const uint8_t *h = img->names + img->nsec3[tag - img->hdr->node_count].hash_off;
		unsigned hl = h[0], ll = (hl * 8 + 4) / 5, olen = img->hdr->origin_len;
		if (ll == 0 || ll > ZW_LABEL_MAX || 1 + ll + olen > ZW_NAME_MAX)
			return false;
		s->name[0] = (uint8_t)ll;
		base32hex(h + 1, hl, s->name + 1);
		memcpy(s->name + 1 + ll, img->hdr->origin, olen);
		s->name_len = 1 + ll + olen;
	}
	s->name_tag = tag;
	return true;
}

/*
 * The chunk at the cursor, skipping what has none; NULL at the end. *tag
 * says whose name owns it.
 */
static const struct zw_img_chunk *cursor_chunk(struct zw_xfr_stream *s, uint32_t *tag)
{
	const struct zw_image *img = s->img;
	const struct zw_img_header *h = img->hdr;
	const struct zw_img_rrset *soa = &img->rrsets[h->soa_rrset];

	for (;;) {
		switch (s->phase) {
		case PH_SOA: *tag = h->apex_node; return zw_rrset_chunk(img, soa);
		case PH_SOA_SIGS:
			*tag = h->apex_node;
			if (zw_rrset_sigs(img, soa) != NULL)
				return zw_rrset_sigs(img, soa);
			s->phase = PH_NODES;
			s->node = s->k = s->part = 0;
			break;
		case PH_NODES: {
			if (s->node >= h->node_count) {
				s->phase = PH_NSEC3;
				s->k = s->part = 0;
				break;
			}
			const struct zw_img_node *n = &img->nodes[s->node];
			if (s->k >= n->rrset_count) {
				s->node++;
				s->k = s->part = 0;
				break;
			}
			uint32_t si = n->rrset_first + s->k;
			const struct zw_img_chunk *c = NULL;
			if (si != h->soa_rrset)
				c = s->part == 0 ? zw_rrset_chunk(img, &img->rrsets[si])
						 : zw_rrset_sigs(img, &img->rrsets[si]);
			if (c != NULL) {
				*tag = s->node;
				return c;
			}
			if (s->part++ == 1) {
				s->part = 0;
				s->k++;
			}
			break;
		}
		case PH_NSEC3: {
			if (!s->nsec3_apart || s->k >= h->nsec3_count) {
				s->phase = PH_SOA_END;
				break;
			}
			const struct zw_img_rrset *ns = &img->rrsets[img->nsec3[s->k].rrset];
			const struct zw_img_chunk *c =
				s->part == 0 ? zw_rrset_chunk(img, ns) : zw_rrset_sigs(img, ns);
			if (c != NULL) {
				*tag = h->node_count + s->k;
				return c;
			}
			if (s->part++ == 1) {
				s->part = 0;
				s->k++;
			}
			break;
		}
		case PH_SOA_END: *tag = h->apex_node; return zw_rrset_chunk(img, soa);
		default: return NULL;
		}
	}
}

static void cursor_advance(struct zw_xfr_stream *s)
{
	s->rr_off = 0;
	switch (s->phase) {
	case PH_SOA: s->phase = PH_SOA_SIGS; break;
	case PH_SOA_SIGS:
		s->phase = PH_NODES;
		s->node = s->k = s->part = 0;
		break;
	case PH_NODES:
	case PH_NSEC3:
		if (s->part++ == 1) {
			s->part = 0;
			s->k++;
		}
		break;
	case PH_SOA_END: s->phase = PH_DONE; break;
	default: break;
	}
}

/* Puts the chunk at the cursor, whole or the rest of it RR by RR. */
static enum put_rc put_cursor(struct zw_xfr_stream *s, struct msg *m, const struct zw_img_chunk *c,
			      uint32_t tag, unsigned soft)
{
	if (!cursor_name(s, tag))
		return PUT_BAD;
	if (s->rr_off == 0) {
		unsigned need = (m->ow.tag == tag ? 0 : s->name_len) + c->len;
		if (m->an > 0 && m->len + need > soft)
			return PUT_FULL;
		enum put_rc rc = put_chunk_fast(m, c, tag, s->name, s->name_len);
		if (rc == PUT_OK || rc == PUT_BAD)
			return rc;
		if (m->an > 0)
			return PUT_FULL; /* again at the start of the next message */
	}
	/* RR by RR, uncompressed, split across messages if need be */
	const uint8_t *d = zw_chunk_data(c);
	while (s->rr_off + 12u <= c->len) {
		enum put_rc rc = put_rr_slow(m, c, s->rr_off, tag, s->name, s->name_len);
		if (rc != PUT_OK)
			return rc;
		s->rr_off += 12u + get16(d + s->rr_off + 10);
	}
	if (s->rr_off != c->len)
		return PUT_BAD;
	return PUT_OK;
}

static unsigned opt_rr(uint8_t *p, uint16_t size, unsigned ext_rcode, bool do_bit)
{
	p[0] = 0;
	put16(p + 1, ZW_T_OPT);
	put16(p + 3, size);
	p[5] = (uint8_t)ext_rcode;
	p[6] = 0;
	p[7] = do_bit ? 0x80 : 0;
	p[8] = 0;
	put16(p + 9, 0);
	return OPT_SIZE;
}

/* The header and, in the first message, the question. */
static void msg_start(const struct zw_xfr_stream *s, struct msg *m, uint8_t *out)
{
	memset(m, 0, sizeof(*m));
	m->buf = out;
	m->ow.tag = TAG_NONE;
	out[0] = s->id[0];
	out[1] = s->id[1];
	out[2] = (uint8_t)(0x80 | 0x04 | s->flags2); /* QR, AA, RD as asked */
	out[3] = s->flags3;
	memset(out + 4, 0, 8);
	m->len = HDR;
	if (s->msgs == 0) {
		put16(out + 4, 1);
		memcpy(out + HDR, s->question, s->qsize);
		m->len += s->qsize;
		seed_question(m, s->question);
	}
}

/* Counts, OPT, TSIG. */
static int msg_finish(struct zw_xfr_stream *s, struct msg *m, unsigned cap)
{
	put16(m->buf + 6, m->an);
	put16(m->buf + 8, 0);
	put16(m->buf + 10, 0);
	if (s->edns) {
		m->len += opt_rr(m->buf + m->len, s->x->edns_size, 0, s->do_bit);
		put16(m->buf + 10, 1);
	}
	if (s->key != NULL) {
		uint8_t mac[MAC_MAX];
		if (!sign(s->x, s->key, m->buf, &m->len, cap, s->mac, s->mac_len, s->msgs > 0,
			  (uint64_t)time(NULL), TSIG_NOERROR, NULL, 0, mac))
			return -EIO;
		memcpy(s->mac, mac, s->key->mac_len);
		s->mac_len = s->key->mac_len;
	}
	s->msgs++;
	s->x->st.messages++;
	s->x->st.records += m->rrs;
	return (int)m->len;
}

int zw_xfr_next(struct zw_xfr_stream *s, uint8_t *out, size_t outcap)
{
	unsigned cap = outcap < MSG_MAX ? (unsigned)outcap : MSG_MAX;
	unsigned reserve = (s->edns ? OPT_SIZE : 0) + (s->key ? tsig_size(s->key, 0) : 0);
	struct msg m;

	if (s->phase == PH_DONE)
		return 0;
	if (cap < HDR + s->qsize + reserve + 64)
		return -EMSGSIZE;
	msg_start(s, &m, out);
	m.limit = cap - reserve;
	unsigned soft = MSG_SOFT < m.limit ? MSG_SOFT : m.limit;
	for (;;) {
		uint32_t tag = 0;
		const struct zw_img_chunk *c = cursor_chunk(s, &tag);
		if (c == NULL)
			break;
		enum put_rc rc = put_cursor(s, &m, c, tag, soft);
		if (rc == PUT_BAD)
			return -EINVAL;
		if (rc == PUT_FULL || rc == PUT_SLOW) {
			if (m.an == 0)
				return -EMSGSIZE; /* not even one record fits in outcap */
			break;
		}
		cursor_advance(s);
	}
	int len = msg_finish(s, &m, cap);
	if (len > 0 && s->phase == PH_DONE)
		s->x->st.completed++;
	return len;
}

void zw_xfr_end(struct zw_xfr_stream *s)
{
	if (s == NULL)
		return;
	struct zw_xfr *x = s->x;
	zw_image_unpin(s->img);
	if (s->key != NULL)
		OPENSSL_cleanse(s->mac, sizeof(s->mac));
	free(s);
	if (--x->live == 0 && x->freed)
		xfr_destroy(x);
}

/* ---- answers of one message ---- */

/* Header and question of a one-message answer to r. */
static unsigned reply_start(const struct req *r, uint8_t *out, unsigned rcode, bool aa)
{
	out[0] = r->q[0];
	out[1] = r->q[1];
	out[2] = (uint8_t)(0x80 | (r->q[2] & 0x79) | (aa ? 0x04 : 0));
	out[3] = (uint8_t)((r->q[3] & 0x10) | (rcode & 0x0f));
	memset(out + 4, 0, 8);
	if (!r->question)
		return HDR;
	put16(out + 4, 1);
	memcpy(out + HDR, r->q + HDR, r->qsize);
	return HDR + r->qsize;
}

/* A refusal: header, question, OPT when the request had a usable one, and
 * the TSIG the case calls for (none, an unsigned error, or BADTIME
 * signed). */
static struct zw_xfr_stream *refuse(struct zw_xfr *x, const struct req *r, unsigned rcode,
				    unsigned tsig_error, const struct xkey *key, uint8_t *out,
				    size_t outcap, size_t *outlen)
{
	unsigned cap = outcap < MSG_MAX ? (unsigned)outcap : MSG_MAX;

	x->st.refused++;
	*outlen = 0;
	if (cap < HDR + (r->question ? r->qsize : 0) + OPT_SIZE)
		return NULL;
	unsigned len = reply_start(r, out, rcode, false);
	if (r->edns) {
		len += opt_rr(out + len, x->edns_size, rcode >> 4, r->do_bit);
		put16(out + 10, 1);
	}
	if (tsig_error == TSIG_BADTIME && key != NULL) {
		/* signed, with the request's time and ours in other data
		 * (RFC 8945 5.2.3) */
		uint8_t other[6], mac[MAC_MAX];
		put48(other, (uint64_t)time(NULL));
		if (!sign(x, key, out, &len, cap, r->mac, r->mac_len, false, r->time_signed,
			  TSIG_BADTIME, other, 6, mac))
			return NULL;
	} else if (tsig_error != TSIG_NOERROR && r->tsig) {
		put_tsig_error(out, &len, cap, r, tsig_error);
	}
	*outlen = len;
	return NULL;
}

/* IXFR, client up to date: the SOA alone (RFC 1995 2). */
static struct zw_xfr_stream *answer_soa(struct zw_xfr *x, const struct req *r,
					const struct zw_image *img, const struct xkey *key,
					uint8_t *out, size_t outcap, size_t *outlen)
{
	unsigned cap = outcap < MSG_MAX ? (unsigned)outcap : MSG_MAX;
	unsigned reserve = (r->edns ? OPT_SIZE : 0) + (key ? tsig_size(key, 0) : 0);
	struct msg m;

	*outlen = 0;
	if (cap < HDR + r->qsize + reserve)
		return NULL;
	memset(&m, 0, sizeof(m));
	m.buf = out;
	m.len = reply_start(r, out, RC_NOERROR, true);
	m.limit = cap - reserve;
	seed_question(&m, r->q + HDR);
	const struct zw_img_chunk *c = zw_rrset_chunk(img, &img->rrsets[img->hdr->soa_rrset]);
	if (put_chunk_fast(&m, c, TAG_QUESTION, m.ow.name, m.ow.len) != PUT_OK)
		return NULL;
	put16(out + 6, m.an);
	if (r->edns) {
		m.len += opt_rr(out + m.len, x->edns_size, 0, r->do_bit);
		put16(out + 10, 1);
	}
	if (key != NULL) {
		uint8_t mac[MAC_MAX];
		if (!sign(x, key, out, &m.len, cap, r->mac, r->mac_len, false, (uint64_t)time(NULL),
			  TSIG_NOERROR, NULL, 0, mac))
			return NULL;
	}
	x->st.started++;
	x->st.completed++;
	x->st.messages++;
	x->st.records += m.rrs;
	*outlen = m.len;
	return NULL;
}

/* RFC 1982: a is b, or after it. */
static bool serial_not_older(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/*
 * A TSIG-signed query that is not a transfer (RFC 8945): the signature is
 * checked with our keys, the query without its TSIG is answered by the
 * answer engine, and the answer is signed with the same key. Workers and
 * the engine have no keys: they hand such queries to the control plane.
 * Returns the response length, or 0 to send nothing.
 */
static size_t signed_query(struct zw_xfr *x, const struct req *r, unsigned flags, uint8_t *out,
			   size_t outcap)
{
	size_t len = 0;
	const struct xkey *key = find_key(x, r);
	unsigned e = key != NULL ? verify_request(x, key, r) : TSIG_BADKEY;

	if (e != TSIG_NOERROR) {
		refuse(x, r, RC_NOTAUTH, e, key, out, outcap, &len);
		return len;
	}
	uint8_t q2[MSG_MAX];
	if (r->tsig_off > sizeof(q2))
		return 0;
	memcpy(q2, r->q, r->tsig_off);
	put16(q2 + 10, get16(q2 + 10) - 1u);
	const struct zw_table *t = zw_zones_table(x->zones);
	unsigned cap = outcap < MSG_MAX ? (unsigned)outcap : MSG_MAX;
	unsigned room = tsig_size(key, 0);
	if (cap <= room + HDR)
		return 0;
	int n = zw_answer(zw_zones_answer_cfg(x->zones), t ? t->zs : NULL, q2, r->tsig_off, out,
			  cap - room, flags, NULL);
	if (n <= 0)
		return 0;
	unsigned l = (unsigned)n;
	uint8_t mac[MAC_MAX];
	if (!sign(x, key, out, &l, cap, r->mac, r->mac_len, false, (uint64_t)time(NULL),
		  TSIG_NOERROR, NULL, 0, mac))
		return 0;
	return l;
}

size_t zw_xfr_query(struct zw_xfr *x, const uint8_t *q, size_t qlen, unsigned flags, uint8_t *out,
		    size_t outcap)
{
	struct req r = { .q = q, .qlen = qlen };

	if (qlen < HDR || (q[2] & 0x80) != 0 || ((q[2] >> 3) & 0x0f) != 0)
		return 0;
	if (parse_request(&r) != RC_NOERROR || !r.tsig)
		return 0;
	return signed_query(x, &r, flags, out, outcap);
}

struct zw_xfr_stream *zw_xfr_begin(struct zw_xfr *x, const uint8_t *q, size_t qlen,
				   const struct sockaddr *peer, uint8_t *out, size_t outcap,
				   size_t *outlen)
{
	struct req r = { .q = q, .qlen = qlen };

	*outlen = 0;
	if (qlen < HDR || (q[2] & 0x80) != 0)
		return NULL; /* not a request: nothing to answer */
	unsigned opcode = (q[2] >> 3) & 0x0f;
	if (opcode != 0) {
		parse_request(&r);
		r.edns = false;
		return refuse(x, &r, RC_NOTIMP, 0, NULL, out, outcap, outlen);
	}
	int rc = parse_request(&r);
	if (rc == RC_NOERROR && r.tsig && r.qtype != ZW_T_AXFR && r.qtype != ZW_T_IXFR) {
		/* a signed query, e.g. a secondary's SOA check before a transfer */
		*outlen = signed_query(x, &r, ZW_ANS_TCP, out, outcap);
		return NULL;
	}
	if (rc == RC_NOERROR &&
	    (r.qclass != CLASS_IN || (r.qtype != ZW_T_AXFR && r.qtype != ZW_T_IXFR)))
		rc = RC_FORMERR;
	if (rc != RC_NOERROR) {
		r.edns = false;
		return refuse(x, &r, (unsigned)rc, 0, NULL, out, outcap, outlen);
	}
	if (r.edns && r.edns_version > 0)
		return refuse(x, &r, RC_BADVERS, 0, NULL, out, outcap, outlen);

	/* the zone: exactly the name asked */
	uint8_t lname[ZW_NAME_MAX + 1];
	unsigned len = zw_name_lower(lname, q + HDR);
	const struct zw_table *t = zw_zones_table(x->zones);
	const struct zw_image *img =
		t != NULL && t->zs != NULL ? zw_zoneset_find(t->zs, lname, len, false) : NULL;
	if (img == NULL || img->hdr->origin_len != len || memcmp(img->hdr->origin, lname, len))
		return refuse(x, &r, RC_NOTAUTH, 0, NULL, out, outcap, outlen);
	if (!allowed(x, img, &r, peer))
		return refuse(x, &r, RC_NOTAUTH, TSIG_BADKEY, NULL, out, outcap, outlen);
	const struct xkey *key = NULL;
	if (r.tsig) {
		/* the ACL admitted the key by name, so it is one of ours */
		key = find_key(x, &r);
		unsigned e = key != NULL ? verify_request(x, key, &r) : TSIG_BADKEY;
		if (e != TSIG_NOERROR)
			return refuse(x, &r, RC_NOTAUTH, e, key, out, outcap, outlen);
	}
	if (r.qtype == ZW_T_IXFR) {
		if (!r.have_soa)
			return refuse(x, &r, RC_FORMERR, 0, NULL, out, outcap, outlen);
		if (serial_not_older(r.serial, img->hdr->serial))
			return answer_soa(x, &r, img, key, out, outcap, outlen);
		/* no journal: the whole zone, in AXFR form (RFC 1995 4) */
	}

	struct zw_xfr_stream *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return refuse(x, &r, RC_SERVFAIL, 0, NULL, out, outcap, outlen);
	s->x = x;
	s->img = (struct zw_image *)img; /* pinned: the registry may close it */
	zw_image_pin(s->img);
	memcpy(s->id, q, 2);
	s->flags2 = q[2] & 0x01;
	s->flags3 = q[3] & 0x10;
	memcpy(s->question, q + HDR, r.qsize);
	s->qsize = r.qsize;
	s->qname_len = r.qname_len;
	s->edns = r.edns;
	s->do_bit = r.do_bit;
	s->key = key;
	if (key != NULL) {
		memcpy(s->mac, r.mac, r.mac_len);
		s->mac_len = r.mac_len;
	}
	s->name_tag = TAG_NONE;
	/* NSEC3 RRsets outside the nodes are sent after them */
	if (img->hdr->nsec3_count > 0) {
		uint64_t in_nodes = 0;
		for (uint32_t i = 0; i < img->hdr->node_count; i++)
			in_nodes += img->nodes[i].rrset_count;
		s->nsec3_apart = in_nodes < img->hdr->rrset_count;
	}
	x->live++;
	x->st.started++;
	return s;
}
