/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of zone transfers out (control/xfr.c), driven through
 * zw_xfr_begin/next/end with queries built here, over a real zone registry
 * (control/zones.c) serving compiled images: the bundled example zones, two
 * signed zones (NSEC, NSEC3) and a large generated one.
 *
 * Every response is parsed with ldns; the transferred records are compared,
 * as a set, with the image's dump (what zonewire-compile --dump prints); the
 * SOA must be first and last; TSIG chains are verified message by message,
 * with ldns where it can (hmac-sha256, hmac-sha512; ldns misspells
 * hmac-sha384) and with an HMAC written here for every algorithm. A new
 * version pushed while a transfer runs must not disturb it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "answer.h"
#include "compile.h"
#include "config.h"
#include "ctl.h"
#include "image.h"
#include "table.h"
#include "unit.h"
#include "xfr.h"
#include "zones.h"

#define CAP_MAX 65535

static char tmpdir[] = "/tmp/zw-xfr-XXXXXX";
static struct zw_config cfg;
static struct zw_answer_cfg acfg;
static struct zw_ctl *ctl;
static struct zw_zones *zones;
static struct zw_xfr *xfr;
static bool ready;

/* ---- keys ---- */

struct tkey {
	const char *name;
	const char *alg; /* with the final dot */
	const char *secret;
	const EVP_MD *(*md)(void);
	bool ldns; /* ldns signs and verifies this algorithm */
};

static const struct tkey keys[] = {
	{ NULL, NULL, NULL, NULL, false }, /* 0: unsigned */
	{ "k256.xfr.", "hmac-sha256.", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", EVP_sha256,
	  true },
	{ "k384.xfr.", "hmac-sha384.",
	  "c2l4dHktZm91ci1ieXRlcy1vZi1rZXktZm9yLXNoYTM4NC1zaWduYXR1cmVzIQ==", EVP_sha384, false },
	{ "k512.xfr.", "hmac-sha512.",
	  "YSBzaXh0eS1mb3VyIGJ5dGUga2V5IGZvciBobWFjLXNoYTUxMiBzaWduYXR1cmVzLCBsb25nIGVub3VnaCE=",
	  EVP_sha512, true },
	/* known, but in no rule */
	{ "other.xfr.", "hmac-sha256.", "b3RoZXIta2V5LXNlY3JldA==", EVP_sha256, true },
};
#define K256   1
#define K384   2
#define K512   3
#define KOTHER 4

static const char *const zone_files[][2] = {
	{ "example.com.", "docs/examples/example.com.zone" },
	{ "example.net.", "docs/examples/example.net.zone" },
	{ "2.0.192.in-addr.arpa.", "docs/examples/2.0.192.in-addr.arpa.zone" },
	{ "signed.example.", "tests/dataplane/zones/signed.example.zone" },
	{ "nsec3.example.", "tests/zonecompiler/data/roundtrip/nsec3.example.zone" },
	{ "big.test.", NULL },	 /* generated */
	{ ".", NULL },		 /* generated: the root */
	{ "reach.test.", NULL }, /* generated; compared with its master file */
};
#define NZONES (sizeof(zone_files) / sizeof(zone_files[0]))

static const char *srcdir(void)
{
	const char *s = getenv("ZW_SRCDIR");
	return s != NULL ? s : ".";
}

/* ---- wire helpers ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Skips a name (pointers must point back); false if malformed. */
static bool skip(const uint8_t *m, size_t len, size_t *off)
{
	size_t p = *off;
	for (unsigned guard = 0; guard < 128; guard++) {
		if (p >= len)
			return false;
		if ((m[p] & 0xc0) == 0xc0) {
			if (p + 2 > len || (size_t)((m[p] & 0x3f) << 8 | m[p + 1]) >= p)
				return false;
			*off = p + 2;
			return true;
		}
		if (m[p] > 63)
			return false;
		if (m[p] == 0) {
			*off = p + 1;
			return true;
		}
		p += 1u + m[p];
	}
	return false;
}

/* Where the last RR of the message starts (the TSIG), or 0. Checks every
 * owner name on the way. */
static size_t last_rr(const uint8_t *m, size_t len)
{
	size_t off = 12, last = 0;
	unsigned qd = rd16(m + 4), n = (unsigned)rd16(m + 6) + rd16(m + 8) + rd16(m + 10);
	for (unsigned i = 0; i < qd; i++)
		if (!skip(m, len, &off) || (off += 4) > len)
			return 0;
	for (unsigned i = 0; i < n; i++) {
		last = off;
		if (!skip(m, len, &off) || off + 10 > len)
			return 0;
		off += 10u + rd16(m + off + 8);
		if (off > len)
			return 0;
	}
	return off == len ? last : 0;
}

/* A name in presentation form to lower-cased wire form. */
static size_t wire_name(const char *s, uint8_t *out)
{
	size_t o = 0;
	while (*s != '\0' && strcmp(s, ".") != 0) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		out[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[o++] = (uint8_t)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] | 0x20 : s[i]);
		s += l + (dot ? 1 : 0);
	}
	out[o++] = 0;
	return o;
}

static size_t b64dec(const char *s, uint8_t *out)
{
	int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)strlen(s));
	size_t l = strlen(s);
	if (n < 0)
		return 0;
	while (l > 0 && s[l - 1] == '=') {
		n--;
		l--;
	}
	return (size_t)n;
}

/* ---- TSIG, written independently of xfr.c ---- */

/*
 * Appends a TSIG to msg (len bytes): the digest is [prior MAC], the
 * message, then the TSIG variables, or only the timers (RFC 8945 4.3).
 */
static size_t tsig_add(uint8_t *msg, size_t len, const struct tkey *k, uint64_t t,
		       const uint8_t *prior, unsigned prior_len, bool timers_only, uint8_t *mac_out,
		       unsigned *mac_len)
{
	static uint8_t dig[CAP_MAX + 1024];
	uint8_t kn[256], an[256], secret[256];
	size_t knl = wire_name(k->name, kn), anl = wire_name(k->alg, an), d = 0;
	size_t sl = b64dec(k->secret, secret);

	if (prior != NULL) {
		wr16(dig, prior_len);
		memcpy(dig + 2, prior, prior_len);
		d = 2 + prior_len;
	}
	memcpy(dig + d, msg, len);
	d += len;
	if (!timers_only) {
		memcpy(dig + d, kn, knl);
		d += knl;
		memcpy(dig + d, "\x00\xff\x00\x00\x00\x00", 6);
		d += 6;
		memcpy(dig + d, an, anl);
		d += anl;
	}
	uint8_t tf[8] = { (uint8_t)(t >> 40),
			  (uint8_t)(t >> 32),
			  (uint8_t)(t >> 24),
			  (uint8_t)(t >> 16),
			  (uint8_t)(t >> 8),
			  (uint8_t)t,
			  1,
			  44 }; /* fudge 300 */
	memcpy(dig + d, tf, 8);
	d += 8;
	if (!timers_only) {
		memcpy(dig + d, "\0\0\0\0", 4); /* error, other len */
		d += 4;
	}
	unsigned ml = 0;
	HMAC(k->md(), secret, (int)sl, dig, d, mac_out, &ml);
	*mac_len = ml;
	uint8_t *p = msg + len;
	memcpy(p, kn, knl);
	p += knl;
	memcpy(p, "\x00\xfa\x00\xff\x00\x00\x00\x00", 8);
	wr16(p + 8, (unsigned)(anl + 16 + ml));
	p += 10;
	memcpy(p, an, anl);
	p += anl;
	memcpy(p, tf, 8);
	wr16(p + 8, ml);
	memcpy(p + 10, mac_out, ml);
	p += 10 + ml;
	memcpy(p, msg, 2);
	memset(p + 2, 0, 4);
	p += 6;
	wr16(msg + 10, rd16(msg + 10) + 1u);
	return (size_t)(p - msg);
}

struct tsig_seen {
	bool present;
	uint16_t error;
	unsigned mac_len;
	uint8_t mac[64];
	uint64_t time_signed;
	unsigned other_len;
	uint8_t other[16];
	bool verified;
};

/* Reads the TSIG of a response and verifies it with key k (if not NULL)
 * against the prior MAC. */
static void tsig_check(const uint8_t *m, size_t len, const struct tkey *k, const uint8_t *prior,
		       unsigned prior_len, bool timers_only, struct tsig_seen *out)
{
	static uint8_t dig[CAP_MAX + 1024];
	memset(out, 0, sizeof(*out));
	size_t t = last_rr(m, len), off = t;
	if (t == 0 || rd16(m + 10) == 0 || !skip(m, len, &off) || rd16(m + off) != 250)
		return;
	out->present = true;
	const uint8_t *rd = m + off + 10;
	size_t rdlen = rd16(m + off + 8), a = 0;
	while (a < rdlen && rd[a] != 0)
		a += 1u + rd[a];
	a++;
	out->time_signed =
		(uint64_t)rd16(rd + a) << 32 | (uint64_t)rd16(rd + a + 2) << 16 | rd16(rd + a + 4);
	out->mac_len = rd16(rd + a + 8);
	memcpy(out->mac, rd + a + 10, out->mac_len > 64 ? 64 : out->mac_len);
	size_t e = a + 10 + out->mac_len;
	out->error = rd16(rd + e + 2);
	out->other_len = rd16(rd + e + 4);
	memcpy(out->other, rd + e + 6, out->other_len > 16 ? 16 : out->other_len);
	if (k == NULL)
		return;
	size_t d = 0;
	if (prior != NULL) {
		wr16(dig, prior_len);
		memcpy(dig + 2, prior, prior_len);
		d = 2 + prior_len;
	}
	memcpy(dig + d, m, t);
	wr16(dig + d + 10, rd16(m + 10) - 1u);
	memcpy(dig + d, rd + e, 2); /* original ID */
	d += t;
	uint8_t kn[256];
	size_t knl = wire_name(k->name, kn);
	if (!timers_only) {
		memcpy(dig + d, kn, knl);
		d += knl;
		memcpy(dig + d, m + off + 2, 6); /* class, TTL */
		d += 6;
		uint8_t an[256];
		size_t anl = wire_name(k->alg, an);
		memcpy(dig + d, an, anl);
		d += anl;
	}
	memcpy(dig + d, rd + a, 8);
	d += 8;
	if (!timers_only) {
		memcpy(dig + d, rd + e + 2, 4 + out->other_len);
		d += 4 + out->other_len;
	}
	uint8_t secret[256], mac[64];
	unsigned ml = 0;
	size_t sl = b64dec(k->secret, secret);
	HMAC(k->md(), secret, (int)sl, dig, d, mac, &ml);
	out->verified = ml == out->mac_len && memcmp(mac, out->mac, ml) == 0;
}

/* ---- queries ---- */

struct qopt {
	uint16_t type;	 /* LDNS_RR_TYPE_AXFR by default */
	uint16_t qclass; /* IN by default */
	uint32_t serial; /* IXFR: the client's SOA serial */
	bool no_soa;	 /* IXFR without the SOA */
	bool edns;
	int key;	/* index in keys[]; 0: unsigned */
	bool ldns_sign; /* sign with ldns rather than here */
	long time_off;	/* seconds added to the time signed */
	const char *bad_secret;
	const char *unknown_name;
};

#define Q(...) (&(struct qopt){ __VA_ARGS__ })

struct query {
	uint8_t wire[4096];
	size_t len;
	uint16_t id;
	uint8_t mac[64];
	unsigned mac_len;
};

static void make_query(const char *zone, const struct qopt *o, struct query *q)
{
	ldns_rdf *qname = ldns_dname_new_frm_str(zone);
	ldns_pkt *pkt = ldns_pkt_query_new(qname, o->type ? o->type : LDNS_RR_TYPE_AXFR,
					   o->qclass ? o->qclass : LDNS_RR_CLASS_IN, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkt);
	q->id = (uint16_t)(rand() & 0xffff);
	ldns_pkt_set_id(pkt, q->id);
	if (o->type == LDNS_RR_TYPE_IXFR && !o->no_soa) {
		char text[512];
		ldns_rr *soa = NULL;
		snprintf(text, sizeof(text), "%s 0 IN SOA ns.%s h.%s %u 1 1 1 1", zone, zone, zone,
			 o->serial);
		CU_ASSERT_EQUAL_FATAL(ldns_rr_new_frm_str(&soa, text, 0, NULL, NULL),
				      LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa);
	}
	if (o->edns) {
		ldns_pkt_set_edns_udp_size(pkt, 1232);
		ldns_pkt_set_edns_do(pkt, true);
	}
	q->mac_len = 0;
	if (o->key > 0 && o->ldns_sign) {
		const struct tkey *k = &keys[o->key];
		CU_ASSERT_EQUAL_FATAL(ldns_pkt_tsig_sign(pkt, k->name,
							 o->bad_secret ? o->bad_secret : k->secret,
							 300, k->alg, NULL),
				      LDNS_STATUS_OK);
		ldns_rdf *mac = ldns_rr_rdf(ldns_pkt_tsig(pkt), 3);
		q->mac_len = (unsigned)ldns_rdf_size(mac) - 2;
		memcpy(q->mac, ldns_rdf_data(mac) + 2, q->mac_len);
	}
	uint8_t *w = NULL;
	size_t wl = 0;
	CU_ASSERT_EQUAL_FATAL(ldns_pkt2wire(&w, pkt, &wl), LDNS_STATUS_OK);
	CU_ASSERT_FATAL(wl < sizeof(q->wire) - 512);
	memcpy(q->wire, w, wl);
	q->len = wl;
	free(w);
	ldns_pkt_free(pkt);
	if (o->key > 0 && !o->ldns_sign) {
		struct tkey k = keys[o->key];
		if (o->bad_secret != NULL)
			k.secret = o->bad_secret;
		if (o->unknown_name != NULL)
			k.name = o->unknown_name;
		q->len = tsig_add(q->wire, q->len, &k, (uint64_t)(time(NULL) + o->time_off), NULL,
				  0, false, q->mac, &q->mac_len);
	}
}

/* ---- transfers ---- */

struct result {
	bool stream; /* zw_xfr_begin returned a stream */
	unsigned n;
	uint8_t **msg;
	size_t *len;
};

static void result_free(struct result *r)
{
	for (unsigned i = 0; i < r->n; i++)
		free(r->msg[i]);
	free(r->msg);
	free(r->len);
	memset(r, 0, sizeof(*r));
}

static void result_add(struct result *r, const uint8_t *m, size_t len)
{
	r->msg = realloc(r->msg, (r->n + 1) * sizeof(*r->msg));
	r->len = realloc(r->len, (r->n + 1) * sizeof(*r->len));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->len);
	r->msg[r->n] = malloc(len ? len : 1);
	memcpy(r->msg[r->n], m, len);
	r->len[r->n++] = len;
}

static struct sockaddr_storage peer_ss;

static const struct sockaddr *peer(const char *addr)
{
	memset(&peer_ss, 0, sizeof(peer_ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&peer_ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&peer_ss;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(40000);
	} else {
		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, addr, &a6->sin6_addr), 1);
		a6->sin6_family = AF_INET6;
	}
	return (const struct sockaddr *)&peer_ss;
}

/* Runs a request to its end with messages of at most cap bytes. */
static void run(const struct query *q, const struct sockaddr *from, size_t cap, struct result *r)
{
	static uint8_t out[CAP_MAX + 16];
	size_t outlen = 1234;

	memset(r, 0, sizeof(*r));
	memset(out, 0xaa, sizeof(out));
	struct zw_xfr_stream *s = zw_xfr_begin(xfr, q->wire, q->len, from, out, cap, &outlen);
	if (s == NULL) {
		CU_ASSERT(outlen <= cap);
		if (outlen > 0)
			result_add(r, out, outlen);
		return;
	}
	CU_ASSERT_EQUAL(outlen, 0);
	r->stream = true;
	for (unsigned guard = 0; guard < 100000; guard++) {
		int n = zw_xfr_next(s, out, cap);
		CU_ASSERT(n >= 0);
		if (n <= 0)
			break;
		CU_ASSERT((size_t)n <= cap);
		CU_ASSERT_EQUAL(out[cap], 0xaa); /* nothing written past cap */
		result_add(r, out, (size_t)n);
	}
	CU_ASSERT_EQUAL(zw_xfr_next(s, out, cap), 0); /* stays complete */
	zw_xfr_end(s);
}

/* ---- record sets ---- */

struct rrset {
	char **rr;
	unsigned n, cap;
};

static void set_add_rr(struct rrset *s, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	ldns_rr2canonical(c);
	uint8_t *w = NULL;
	size_t wl = 0;
	CU_ASSERT_EQUAL(ldns_rr2wire(&w, c, LDNS_SECTION_ANSWER, &wl), LDNS_STATUS_OK);
	ldns_rr_free(c);
	char *hex = malloc(wl * 2 + 1);
	for (size_t i = 0; i < wl; i++)
		sprintf(hex + 2 * i, "%02x", w[i]);
	hex[wl * 2] = '\0';
	free(w);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->rr = realloc(s->rr, s->cap * sizeof(*s->rr));
	}
	s->rr[s->n++] = hex;
}

static void set_free(struct rrset *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->rr[i]);
	free(s->rr);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The image's dump, read back with ldns, as a set. */
static void dump_set(const struct zw_image *img, struct rrset *s)
{
	char *text = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&text, &tl);
	CU_ASSERT_EQUAL_FATAL(zw_image_dump(img, f), 0);
	fclose(f);
	memset(s, 0, sizeof(*s));
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
		CU_ASSERT_EQUAL(st, LDNS_STATUS_OK);
		if (st != LDNS_STATUS_OK) {
			fprintf(stderr, "\ncannot read back: %s\n", line);
			continue;
		}
		set_add_rr(s, rr);
		ldns_rr_free(rr);
	}
	free(text);
	qsort(s->rr, s->n, sizeof(*s->rr), cmp_str);
}

/* The records of a master file, read with ldns, as a set. */
static void file_set(const char *path, struct rrset *s)
{
	FILE *f = fopen(path, "r");
	ldns_zone *z = NULL;
	int line = 0;

	memset(s, 0, sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(ldns_zone_new_frm_fp_l(&z, f, NULL, 0, LDNS_RR_CLASS_IN, &line),
			      LDNS_STATUS_OK);
	fclose(f);
	set_add_rr(s, ldns_zone_soa(z));
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(z)); i++)
		set_add_rr(s, ldns_rr_list_rr(ldns_zone_rrs(z), i));
	ldns_zone_deep_free(z);
	qsort(s->rr, s->n, sizeof(*s->rr), cmp_str);
}

/* What a transfer of zone must hold. */
static void want_set(const char *zone, const struct zw_image *img, struct rrset *s)
{
	char path[PATH_MAX];

	if (strcmp(zone, "reach.test.") == 0) {
		snprintf(path, sizeof(path), "%s/reach.test.zone", tmpdir);
		file_set(path, s);
		/* the image cannot be dumped: pointers beyond reach */
		FILE *f = fopen("/dev/null", "w");
		CU_ASSERT(zw_image_dump(img, f) != 0);
		fclose(f);
		return;
	}
	dump_set(img, s);
}

static bool sets_equal(struct rrset *a, struct rrset *b)
{
	qsort(a->rr, a->n, sizeof(*a->rr), cmp_str);
	qsort(b->rr, b->n, sizeof(*b->rr), cmp_str);
	bool eq = a->n == b->n;
	for (unsigned i = 0; eq && i < a->n; i++)
		eq = strcmp(a->rr[i], b->rr[i]) == 0;
	if (!eq) {
		fprintf(stderr, "\nrecord sets differ: %u transferred, %u in the image\n", a->n,
			b->n);
		unsigned i = 0, j = 0, shown = 0;
		while ((i < a->n || j < b->n) && shown < 10) {
			int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->rr[i], b->rr[j]);
			if (c == 0) {
				i++;
				j++;
				continue;
			}
			fprintf(stderr, "  only %s: %.120s\n", c < 0 ? "transferred" : "in image",
				c < 0 ? a->rr[i] : b->rr[j]);
			if (c < 0)
				i++;
			else
				j++;
			shown++;
		}
	}
	return eq;
}

static const struct zw_image *image_of(const char *zone)
{
	uint8_t w[256];
	size_t l = wire_name(zone, w);
	const struct zw_table *t = zw_zones_table(zones);
	for (unsigned i = 0; i < zw_zoneset_count(t->zs); i++) {
		const struct zw_image *img = zw_zoneset_get(t->zs, i);
		if (img->hdr->origin_len == l && memcmp(img->hdr->origin, w, l) == 0)
			return img;
	}
	return NULL;
}

/* What a transfer is checked for. */
struct expect {
	const char *zone;
	uint16_t qtype;
	const struct query *q;
	int key; /* 0: unsigned */
	size_t cap;
	const struct rrset *want; /* the image's records */
	uint32_t serial;	  /* of the SOA */
	unsigned min_msgs;
};

/*
 * A complete transfer: every message a well-formed, authoritative NOERROR
 * response to the query (question in the first only), signed in a chain
 * when asked, SOA first and last, the rest equal to the image's records.
 */
static bool check_transfer(const struct result *r, const struct expect *e)
{
	struct rrset got = { 0 };
	const struct tkey *k = e->key > 0 ? &keys[e->key] : NULL;
	uint8_t prior[64];
	unsigned prior_len = e->q->mac_len, rrs = 0, soas = 0;
	bool ok = r->stream && r->n >= (e->min_msgs ? e->min_msgs : 1);
	ldns_rr *first = NULL, *last = NULL;

	memcpy(prior, e->q->mac, prior_len);
	for (unsigned i = 0; i < r->n && ok; i++) {
		const uint8_t *m = r->msg[i];
		size_t len = r->len[i];
		ldns_pkt *pkt = NULL;
		ok = len <= e->cap && len <= CAP_MAX &&
		     ldns_wire2pkt(&pkt, m, len) == LDNS_STATUS_OK && last_rr(m, len) != 0;
		if (!ok) {
			fprintf(stderr, "\nmessage %u: unreadable (%zu bytes)\n", i, len);
			break;
		}
		ok = ldns_pkt_id(pkt) == e->q->id && ldns_pkt_qr(pkt) && ldns_pkt_aa(pkt) &&
		     !ldns_pkt_tc(pkt) && ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR &&
		     ldns_pkt_get_opcode(pkt) == LDNS_PACKET_QUERY &&
		     ldns_pkt_qdcount(pkt) == (i == 0 ? 1 : 0) && ldns_pkt_nscount(pkt) == 0;
		if (ok && i == 0) {
			ldns_rr *qq = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
			char *o = ldns_rdf2str(ldns_rr_owner(qq));
			ok = strcasecmp(o, e->zone) == 0 && ldns_rr_get_type(qq) == e->qtype;
			free(o);
		}
		if (!ok)
			fprintf(stderr, "\nmessage %u: bad header or question\n", i);
		/* TSIG: first with the request MAC, then chained, timers only */
		struct tsig_seen ts;
		tsig_check(m, len, k, prior, prior_len, i > 0, &ts);
		if (ok && k != NULL) {
			ok = ts.present && ts.verified && ts.error == 0 && ts.other_len == 0;
			if (ok && k->ldns) {
				ldns_rdf *pm = ldns_native2rdf_int16_data(prior_len, prior);
				ok = ldns_pkt_tsig_verify_next(pkt, m, len, k->name, k->secret, pm,
							       i > 0);
				if (!ok)
					fprintf(stderr, "\nmessage %u: ldns rejects the TSIG\n", i);
				ldns_rdf_deep_free(pm);
			}
			if (!ok)
				fprintf(stderr, "\nmessage %u: TSIG not verified\n", i);
			memcpy(prior, ts.mac, ts.mac_len);
			prior_len = ts.mac_len;
		} else if (ok) {
			ok = !ts.present;
		}
		ldns_rr_list *an = ldns_pkt_answer(pkt);
		for (size_t j = 0; ok && j < ldns_rr_list_rr_count(an); j++) {
			ldns_rr *rr = ldns_rr_list_rr(an, j);
			if (first == NULL)
				first = ldns_rr_clone(rr);
			ldns_rr_free(last);
			last = ldns_rr_clone(rr);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
				soas++;
			rrs++;
			set_add_rr(&got, rr);
		}
		ldns_pkt_free(pkt);
	}
	if (ok) {
		ok = first != NULL && last != NULL && ldns_rr_get_type(first) == LDNS_RR_TYPE_SOA &&
		     ldns_rr_get_type(last) == LDNS_RR_TYPE_SOA &&
		     ldns_rr_compare(first, last) == 0 && soas == 2 &&
		     ldns_rdf2native_int32(ldns_rr_rdf(first, 2)) == e->serial;
		if (!ok)
			fprintf(stderr, "\nnot SOA first and last (%u SOAs)\n", soas);
	}
	if (ok) {
		/* the closing SOA once more in the set: drop one */
		qsort(got.rr, got.n, sizeof(*got.rr), cmp_str);
		for (unsigned i = 0; i + 1 < got.n; i++)
			if (strcmp(got.rr[i], got.rr[i + 1]) == 0) {
				free(got.rr[i]);
				memmove(got.rr + i, got.rr + i + 1,
					(got.n - i - 1) * sizeof(char *));
				got.n--;
				break;
			}
		struct rrset want = *e->want;
		want.rr = malloc(want.n * sizeof(char *));
		memcpy(want.rr, e->want->rr, want.n * sizeof(char *));
		ok = sets_equal(&got, &want);
		free(want.rr);
	}
	ldns_rr_free(first);
	ldns_rr_free(last);
	set_free(&got);
	return ok;
}

/* A one-message answer: rcode, TSIG error (0: no TSIG expected, -1: any),
 * and the answer count. */
static bool check_reply(const struct result *r, const struct query *q, unsigned rcode,
			int tsig_error, unsigned ancount)
{
	ldns_pkt *pkt = NULL;

	if (r->stream || r->n != 1) {
		fprintf(stderr, "\nexpected one message, got %u%s\n", r->n,
			r->stream ? " (a stream)" : "");
		return false;
	}
	if (ldns_wire2pkt(&pkt, r->msg[0], r->len[0]) != LDNS_STATUS_OK)
		return false;
	struct tsig_seen ts;
	tsig_check(r->msg[0], r->len[0], NULL, NULL, 0, false, &ts);
	unsigned rc = ldns_pkt_get_rcode(pkt);
	if (ldns_pkt_edns(pkt))
		rc |= (unsigned)ldns_pkt_edns_extended_rcode(pkt) << 4;
	bool ok = ldns_pkt_id(pkt) == q->id && ldns_pkt_qr(pkt) && rc == rcode &&
		  ldns_pkt_ancount(pkt) == ancount &&
		  (tsig_error < 0 || (tsig_error == 0 && !ts.present) ||
		   (tsig_error > 0 && ts.present && ts.error == tsig_error));
	if (!ok)
		fprintf(stderr, "\nreply: rcode %u (wanted %u), %u answers, TSIG %s error %u\n", rc,
			rcode, ldns_pkt_ancount(pkt), ts.present ? "with" : "without", ts.error);
	ldns_pkt_free(pkt);
	return ok;
}

/* ---- set-up ---- */

/* A zone large enough for many messages, with RRsets larger than 16 KiB
 * (some with names to point at beyond pointer reach), glue, a wildcard,
 * deep names and upper-case owners. */
static void write_big_zone(const char *path, uint32_t serial, int variant)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "$ORIGIN big.test.\n$TTL 300\n");
	fprintf(f, "@ IN SOA ns1 hostmaster %u 3600 600 86400 300\n", serial);
	fprintf(f, "@ NS ns1\n@ NS ns2.example.net.\n@ MX 10 mail\nns1 A 192.0.2.1\n");
	fprintf(f, "mail A 192.0.2.25\nmail AAAA 2001:db8::25\n");
	for (int i = 0; i < 2000; i++) {
		fprintf(f, "h%04d.s%d A 10.%d.%d.%d\n", i, i % 20, i % 20, i / 250, i % 250 + 1);
		if (i % 3 == 0)
			fprintf(f, "h%04d.s%d TXT \"host %d of variant %d\"\n", i, i % 20, i,
				variant);
		if (i % 7 == 0)
			fprintf(f, "h%04d.s%d MX 10 mail.big.test.\n", i, i % 20);
	}
	fprintf(f, "a.b.c.d.e.f.g.h.i.j.k.l.deep TXT \"deep\"\nUPPER.Case TXT \"case\"\n");
	fprintf(f, "sub NS ns1.sub\nsub NS ns.elsewhere.example.\nns1.sub A 192.0.2.9\n");
	fprintf(f, "*.w TXT \"wild\"\n*.w MX 5 mail\n");
	/* a TXT RRset of about 53 KB */
	for (int i = 0; i < 250; i++) {
		fprintf(f, "bigtxt TXT \"%03d", i);
		for (int j = 0; j < 196; j++)
			fputc('a' + (i + j) % 26, f);
		fprintf(f, "\"\n");
	}
	/* a large RRset naming names of the zone (relocations against the
	 * owner's suffixes) */
	for (int i = 0; i < 400; i++)
		fprintf(f, "mxin MX %d h%04d.s%d.big.test.\n", i, i, i % 20);
	/* names that only share the zone with their neighbours */
	for (int i = 0; i < 200; i++)
		fprintf(f, "n%d.x%d.y%d AAAA 2001:db8::%x\n", i, i % 5, i % 3, i + 1);
	fclose(f);
}

/*
 * A zone the image dump cannot print: MX RRsets whose targets change
 * suffix just before 16 KiB into the chunk, so that the targets after it
 * point there, beyond the reach of a pointer once the chunk is behind a
 * header and an owner name. Each RR is 17 + L bytes (a first label of L
 * bytes, then a pointer), the first one L + 35, and the new suffix is
 * 14 + L + 1 bytes into its RR. Compared with the master file itself.
 */
static void write_reach_zone(const char *path)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "$ORIGIN reach.test.\n$TTL 300\n");
	fprintf(f, "@ IN SOA ns1 hostmaster 5 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n");
	for (int l = 24; l <= 60; l++) {
		for (int s = 2; s < 1000; s++) {
			int pos = (l + 35) + (l + 17) * (s - 1) + 14 + l + 1;
			if (pos < 16356 || pos > 16383)
				continue;
			for (int i = 0; i < s + 20; i++)
				fprintf(f, "mx%d MX 10 m%0*d.%s.example.org.\n", l, l - 1, i,
					i < s ? "pool-a" : "pool-b");
			break;
		}
	}
	fclose(f);
}

static void compile_to(const char *src, const char *origin, const char *out)
{
	struct zw_compile_opts opts = { .origin = origin };
	struct zw_compile_stats st;
	void *buf = NULL;
	size_t size = 0;
	int rc = zw_compile_file(src, &opts, &buf, &size, &st);
	if (rc != 0)
		fprintf(stderr, "\n%s: does not compile (%d)\n", src, rc);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(zw_image_write(out, buf, size), 0);
	free(buf);
}

static void test_setup(void)
{
	char path[PATH_MAX], src[PATH_MAX + 256], err[1024];

	srand(20261121);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	FILE *y = NULL;
	char *yaml = NULL;
	size_t yl = 0;
	y = open_memstream(&yaml, &yl);
	fprintf(y, "dataplane: {ports: [{device: net_null0}], workers: [1], "
		   "addresses: [192.0.2.1]}\nzones:\n");
	for (unsigned i = 0; i < NZONES; i++) {
		snprintf(path, sizeof(path), "%s/%szwi", tmpdir,
			 strcmp(zone_files[i][0], ".") == 0 ? "root." : zone_files[i][0]);
		if (zone_files[i][1] != NULL) {
			snprintf(src, sizeof(src), "%s/%s", srcdir(), zone_files[i][1]);
		} else if (strcmp(zone_files[i][0], ".") == 0) {
			snprintf(src, sizeof(src), "%s/root.zone", tmpdir);
			FILE *f = fopen(src, "w");
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 7 1800 "
			      "900 604800 86400\n"
			      ". 518400 IN NS a.root-servers.net.\n"
			      "net. 172800 IN NS a.gtld-servers.net.\n"
			      "com. 172800 IN NS a.gtld-servers.net.\n"
			      "a.gtld-servers.net. 172800 IN A 192.5.6.30\n"
			      "a.root-servers.net. 518400 IN A 198.41.0.4\n"
			      "a.root-servers.net. 518400 IN AAAA 2001:503:ba3e::2:30\n"
			      "example. 86400 IN NS ns.example.\n"
			      "ns.example. 86400 IN A 192.0.2.53\n",
			      f);
			fclose(f);
		} else if (strcmp(zone_files[i][0], "reach.test.") == 0) {
			snprintf(src, sizeof(src), "%s/reach.test.zone", tmpdir);
			write_reach_zone(src);
		} else {
			snprintf(src, sizeof(src), "%s/big.test.zone", tmpdir);
			write_big_zone(src, 1, 1);
		}
		compile_to(src, zone_files[i][0], path);
		fprintf(y, "  - image: %s\n", path);
	}
	fprintf(y, "control: {state-dir: %s/state}\nkeys:\n", tmpdir);
	for (unsigned i = 1; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char alg[32];
		snprintf(alg, sizeof(alg), "%s", keys[i].alg);
		alg[strlen(alg) - 1] = '\0';
		fprintf(y, "  - {name: %s, algorithm: %s, secret: '%s'}\n", keys[i].name, alg,
			keys[i].secret);
	}
	fprintf(y, "transfer:\n"
		   "  - {zone: '*', allow: [127.0.0.0/8, '::1']}\n"
		   "  - {zone: '*', keys: [k256.xfr, k384.xfr, k512.xfr]}\n"
		   "  - {zone: example.net, allow: [192.0.2.0/25, '2001:db8:a000::/35']}\n"
		   "  - {zone: signed.example., allow: [10.0.0.0/8], keys: [k256.xfr]}\n");
	fclose(y);
	int rc = zw_config_parse("xfr-test.yaml", yaml, yl, &cfg, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "\n%s\n", err);
	free(yaml);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	ctl = zw_ctl_create(&cfg, &acfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctl);
	zones = zw_zones_create(ctl, err, sizeof(err));
	if (zones == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zones);
	xfr = zw_xfr_create(zones, err, sizeof(err));
	if (xfr == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xfr);
	ready = true;
}

/* AXFR of zone from 127.0.0.1 (or as given), checked against the image. */
static bool axfr_ok(const char *zone, const struct qopt *o, const char *from, size_t cap,
		    unsigned min_msgs, unsigned *nmsgs)
{
	struct query q;
	struct result r;
	struct rrset want;
	const struct zw_image *img = image_of(zone);

	if (img == NULL)
		return false;
	make_query(zone, o, &q);
	run(&q, peer(from), cap, &r);
	want_set(zone, img, &want);
	struct expect e = { .zone = zone,
			    .qtype = o->type ? o->type : LDNS_RR_TYPE_AXFR,
			    .q = &q,
			    .key = o->key,
			    .cap = cap,
			    .want = &want,
			    .serial = img->hdr->serial,
			    .min_msgs = min_msgs };
	bool ok = check_transfer(&r, &e);
	if (!ok)
		fprintf(stderr, "\n^ AXFR %s (key %d, cap %zu, %u messages)\n", zone, o->key, cap,
			r.n);
	if (nmsgs != NULL)
		*nmsgs = r.n;
	set_free(&want);
	result_free(&r);
	return ok;
}

/* ---- the tests ---- */

static void test_axfr(void)
{
	CU_ASSERT_FATAL(ready);
	for (unsigned i = 0; i < NZONES; i++) {
		const char *z = zone_files[i][0];
		const char *from = strcmp(z, "example.net.") == 0      ? "192.0.2.7"
				   : strcmp(z, "signed.example.") == 0 ? NULL
								       : "127.0.0.1";
		if (from == NULL)
			continue; /* signed only: see test_tsig */
		CU_ASSERT(axfr_ok(z, Q(), from, CAP_MAX, 1, NULL));
		CU_ASSERT(axfr_ok(z, Q(.edns = true), from, CAP_MAX, 1, NULL));
	}
	/* over IPv6, and IPv4 mapped into IPv6 */
	CU_ASSERT(axfr_ok("example.com.", Q(), "::1", CAP_MAX, 1, NULL));
	CU_ASSERT(axfr_ok("example.com.", Q(), "::ffff:127.0.0.9", CAP_MAX, 1, NULL));
	CU_ASSERT(axfr_ok("example.net.", Q(), "::ffff:192.0.2.100", CAP_MAX, 1, NULL));
	CU_ASSERT(axfr_ok("example.net.", Q(), "2001:db8:bfff::1", CAP_MAX, 1, NULL));
	/* the root's suffixes in the question are used, whatever its case */
	CU_ASSERT(axfr_ok("ExAmPlE.CoM.", Q(), "127.0.0.1", CAP_MAX, 1, NULL));
}

/* Many messages, none beyond 16 KiB unless one RRset needs more; smaller
 * buffers split RRsets across messages. */
static void test_axfr_big(void)
{
	unsigned n = 0;
	CU_ASSERT_FATAL(ready);
	CU_ASSERT(axfr_ok("big.test.", Q(), "127.0.0.1", CAP_MAX, 5, &n));
	CU_ASSERT(axfr_ok("big.test.", Q(.edns = true, .key = K512), "198.51.100.1", CAP_MAX, 5,
			  NULL));
	static const size_t caps[] = { 16384, 4096, 2048, 1024 };
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		unsigned m = 0;
		CU_ASSERT(axfr_ok("big.test.", Q(), "127.0.0.1", caps[i], 10, &m));
		CU_ASSERT(m > n);
		CU_ASSERT(axfr_ok("big.test.", Q(.edns = true, .key = K384), "198.51.100.1",
				  caps[i], 10, NULL));
	}
	/* pointers beyond reach: those RRsets are written uncompressed */
	CU_ASSERT(axfr_ok("reach.test.", Q(), "127.0.0.1", CAP_MAX, 5, NULL));
	CU_ASSERT(axfr_ok("reach.test.", Q(.key = K256), "127.0.0.1", 8192, 5, NULL));
	/* sizes: at most 16 KiB, except a message holding one large RRset */
	struct query q;
	struct result r;
	make_query("big.test.", Q(), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	unsigned large = 0;
	for (unsigned i = 0; i < r.n; i++) {
		CU_ASSERT(r.len[i] <= CAP_MAX);
		if (r.len[i] > 16384 + 512) {
			large++;
			CU_ASSERT(rd16(r.msg[i] + 6) >= 250); /* the big TXT or an MX set */
		}
	}
	CU_ASSERT(large >= 1);
	result_free(&r);
	/* a buffer too small for any record */
	make_query("big.test.", Q(), &q);
	uint8_t out[200];
	size_t outlen;
	struct zw_xfr_stream *s =
		zw_xfr_begin(xfr, q.wire, q.len, peer("127.0.0.1"), out, sizeof(out), &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(zw_xfr_next(s, out, 40) < 0);
	zw_xfr_end(s);
}

static void test_ixfr(void)
{
	struct query q;
	struct result r;
	const struct zw_image *img = image_of("example.com.");
	uint32_t serial = img->hdr->serial;

	CU_ASSERT_FATAL(ready);
	/* the same serial, or a newer one: the SOA alone */
	static const int32_t deltas[] = { 0, 1, 1000, 0x7fffffff };
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		for (int signed_q = 0; signed_q < 2; signed_q++) {
			make_query("example.com.",
				   Q(.type = LDNS_RR_TYPE_IXFR,
				     .serial = serial + (uint32_t)deltas[i],
				     .key = signed_q ? K256 : 0, .ldns_sign = true, .edns = true),
				   &q);
			run(&q, peer(signed_q ? "203.0.113.1" : "127.0.0.1"), CAP_MAX, &r);
			CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOERROR, -1, 1));
			ldns_pkt *pkt = NULL;
			CU_ASSERT_FATAL(ldns_wire2pkt(&pkt, r.msg[0], r.len[0]) == LDNS_STATUS_OK);
			ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_answer(pkt), 0);
			CU_ASSERT(ldns_pkt_aa(pkt));
			CU_ASSERT_EQUAL(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
			CU_ASSERT_EQUAL(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), serial);
			CU_ASSERT_EQUAL(ldns_pkt_qdcount(pkt), 1);
			CU_ASSERT_EQUAL(ldns_rr_list_rr_count(ldns_pkt_authority(pkt)), 0);
			if (signed_q) {
				ldns_rdf *pm = ldns_native2rdf_int16_data(q.mac_len, q.mac);
				CU_ASSERT(ldns_pkt_tsig_verify_next(pkt, r.msg[0], r.len[0],
								    keys[K256].name,
								    keys[K256].secret, pm, 0));
				ldns_rdf_deep_free(pm);
			}
			ldns_pkt_free(pkt);
			result_free(&r);
		}
	}
	/* an older serial: the whole zone in AXFR form (RFC 1995 4) */
	static const uint32_t older[] = { 1, 0x80000000u };
	for (size_t i = 0; i < 2; i++) {
		CU_ASSERT(axfr_ok("example.com.",
				  Q(.type = LDNS_RR_TYPE_IXFR, .serial = serial - older[i]),
				  "127.0.0.1", CAP_MAX, 1, NULL));
	}
	CU_ASSERT(axfr_ok("big.test.", Q(.type = LDNS_RR_TYPE_IXFR, .serial = 0, .key = K512),
			  "192.0.2.99", CAP_MAX, 5, NULL));
	/* no SOA in the authority section */
	make_query("example.com.", Q(.type = LDNS_RR_TYPE_IXFR, .no_soa = true), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
}

static void test_tsig(void)
{
	CU_ASSERT_FATAL(ready);
	/* every algorithm, signed here; ldns-signed where ldns can */
	for (int k = K256; k <= K512; k++) {
		for (unsigned i = 0; i < NZONES; i++) {
			const char *z = zone_files[i][0];
			if (strcmp(z, "example.net.") == 0 || strcmp(z, "signed.example.") == 0)
				continue; /* own rules, below */
			CU_ASSERT(axfr_ok(z, Q(.key = k), "203.0.113.5", CAP_MAX, 1, NULL));
			CU_ASSERT(axfr_ok(z, Q(.key = k, .edns = true), "2001:db8::5", CAP_MAX, 1,
					  NULL));
			if (keys[k].ldns)
				CU_ASSERT(axfr_ok(z, Q(.key = k, .ldns_sign = true), "203.0.113.5",
						  CAP_MAX, 1, NULL));
		}
	}
	/* signed.example.: key k256 from 10/8 only */
	CU_ASSERT(axfr_ok("signed.example.", Q(.key = K256), "10.1.2.3", CAP_MAX, 1, NULL));
	CU_ASSERT(axfr_ok("signed.example.", Q(.key = K256, .ldns_sign = true), "10.200.0.1",
			  CAP_MAX, 1, NULL));
	/* a time just inside the fudge */
	CU_ASSERT(axfr_ok("example.com.", Q(.key = K256, .time_off = -290), "203.0.113.5", CAP_MAX,
			  1, NULL));
	CU_ASSERT(axfr_ok("example.com.", Q(.key = K384, .time_off = 290), "203.0.113.5", CAP_MAX,
			  1, NULL));
}

/* Refusals, and what Knot DNS answers in each case. */
static void test_refusals(void)
{
	struct query q;
	struct result r;
	struct zw_xfr_stats before, after;

	CU_ASSERT_FATAL(ready);
	zw_xfr_get_stats(xfr, &before);
	/* no such zone, or a name inside a zone: NOTAUTH, never signed */
	static const char *const notzones[] = { "nosuch.example.", "www.example.com.", "com.",
						"org." };
	for (size_t i = 0; i < sizeof(notzones) / sizeof(notzones[0]); i++) {
		make_query(notzones[i], Q(), &q);
		run(&q, peer("127.0.0.1"), CAP_MAX, &r);
		CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
		result_free(&r);
		make_query(notzones[i], Q(.key = K256), &q);
		run(&q, peer("127.0.0.1"), CAP_MAX, &r);
		CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
		result_free(&r);
	}
	/* an address no rule allows, unsigned: NOTAUTH */
	make_query("example.com.", Q(.edns = true), &q);
	run(&q, peer("198.51.100.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
	result_free(&r);
	make_query("example.com.", Q(), &q);
	run(&q, peer("::2"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
	result_free(&r);
	run(&q, NULL, CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
	result_free(&r);
	/* a zone with its own rule: "*" does not apply; prefixes end mid-byte */
	static const char *const outside[] = { "127.0.0.1", "192.0.2.128", "192.0.3.1",
					       "2001:db8:c000::1", "2001:db8:9fff::1" };
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		make_query("example.net.", Q(), &q);
		run(&q, peer(outside[i]), CAP_MAX, &r);
		CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
		result_free(&r);
	}
	/* a signed request to a rule without keys (Knot: denied, BADKEY) */
	make_query("example.net.", Q(.key = K256), &q);
	run(&q, peer("192.0.2.7"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 17, 0));
	result_free(&r);
	/* the key is required: unsigned from an allowed address */
	make_query("signed.example.", Q(), &q);
	run(&q, peer("10.1.2.3"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 0, 0));
	result_free(&r);
	/* the right key from the wrong address, a known key not in the rule */
	make_query("signed.example.", Q(.key = K256), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 17, 0));
	result_free(&r);
	make_query("signed.example.", Q(.key = K512), &q);
	run(&q, peer("10.1.2.3"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 17, 0));
	result_free(&r);
	make_query("example.com.", Q(.key = KOTHER), &q);
	run(&q, peer("203.0.113.5"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 17, 0));
	result_free(&r);
	/* an unknown key: BADKEY, unsigned (MAC size 0) */
	make_query("example.com.", Q(.key = K256, .unknown_name = "nosuch.key."), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 17, 0));
	struct tsig_seen ts;
	tsig_check(r.msg[0], r.len[0], NULL, NULL, 0, false, &ts);
	CU_ASSERT_EQUAL(ts.mac_len, 0);
	result_free(&r);
	/* a wrong secret: BADSIG, unsigned; with ldns's signature too */
	for (int k = K256; k <= K512; k++) {
		make_query("example.com.", Q(.key = k, .bad_secret = "d3Jvbmctc2VjcmV0"), &q);
		run(&q, peer("203.0.113.5"), CAP_MAX, &r);
		CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 16, 0));
		tsig_check(r.msg[0], r.len[0], NULL, NULL, 0, false, &ts);
		CU_ASSERT_EQUAL(ts.mac_len, 0);
		result_free(&r);
	}
	make_query("example.com.",
		   Q(.key = K256, .ldns_sign = true, .bad_secret = "d3Jvbmctc2VjcmV0"), &q);
	run(&q, peer("203.0.113.5"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 16, 0));
	result_free(&r);
	/* a time outside the fudge: BADTIME, signed, with our time */
	static const long offs[] = { -301, 301, -86400 };
	for (size_t i = 0; i < 3; i++) {
		for (int k = K256; k <= K512; k++) {
			make_query("example.com.", Q(.key = k, .time_off = offs[i], .edns = true),
				   &q);
			run(&q, peer("203.0.113.5"), CAP_MAX, &r);
			CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_NOTAUTH, 18, 0));
			tsig_check(r.msg[0], r.len[0], &keys[k], q.mac, q.mac_len, false, &ts);
			CU_ASSERT(ts.verified);
			CU_ASSERT_EQUAL(ts.other_len, 6);
			uint64_t now = (uint64_t)time(NULL),
				 theirs = (uint64_t)rd16(ts.other) << 32 |
					  (uint64_t)rd16(ts.other + 2) << 16 | rd16(ts.other + 4);
			CU_ASSERT(theirs + 5 >= now && theirs <= now + 5);
			CU_ASSERT_EQUAL(ts.time_signed, (uint64_t)(time(NULL) + offs[i]));
			if (keys[k].ldns) {
				ldns_pkt *pkt = NULL;
				CU_ASSERT_FATAL(ldns_wire2pkt(&pkt, r.msg[0], r.len[0]) ==
						LDNS_STATUS_OK);
				ldns_rdf *pm = ldns_native2rdf_int16_data(q.mac_len, q.mac);
				CU_ASSERT(ldns_pkt_tsig_verify_next(pkt, r.msg[0], r.len[0],
								    keys[k].name, keys[k].secret,
								    pm, 0));
				ldns_rdf_deep_free(pm);
				ldns_pkt_free(pkt);
			}
			result_free(&r);
		}
	}
	/* FORMERR: no question, two questions, class CH or ANY */
	make_query("example.com.", Q(), &q);
	wr16(q.wire + 4, 0);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
	make_query("example.com.", Q(), &q);
	memcpy(q.wire + q.len, q.wire + 12, q.len - 12);
	q.len += q.len - 12;
	wr16(q.wire + 4, 2);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
	make_query("example.com.", Q(.qclass = LDNS_RR_CLASS_CH), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
	make_query("example.com.", Q(.qclass = LDNS_RR_CLASS_ANY), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
	/* an answer section; trailing garbage */
	make_query("example.com.", Q(), &q);
	wr16(q.wire + 6, 1);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
	make_query("example.com.", Q(), &q);
	q.wire[q.len++] = 0;
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, LDNS_RCODE_FORMERR, 0, 0));
	result_free(&r);
	/* EDNS version 1: BADVERS */
	make_query("example.com.", Q(.edns = true), &q);
	for (size_t i = q.len - 11; i > 12; i--)
		if (q.wire[i] == 0 && rd16(q.wire + i + 1) == 41) {
			q.wire[i + 6] = 1;
			break;
		}
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT(check_reply(&r, &q, 16, 0, 0));
	result_free(&r);
	/* not a request: no answer at all */
	make_query("example.com.", Q(), &q);
	q.wire[2] |= 0x80;
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT(!r.stream);
	result_free(&r);
	uint8_t out[512];
	size_t outlen = 99;
	CU_ASSERT_PTR_NULL(
		zw_xfr_begin(xfr, q.wire, 11, peer("127.0.0.1"), out, sizeof(out), &outlen));
	CU_ASSERT_EQUAL(outlen, 0);
	/* a refusal that does not fit the buffer: nothing */
	make_query("nosuch.example.", Q(), &q);
	CU_ASSERT_PTR_NULL(zw_xfr_begin(xfr, q.wire, q.len, peer("127.0.0.1"), out, 20, &outlen));
	CU_ASSERT_EQUAL(outlen, 0);
	zw_xfr_get_stats(xfr, &after);
	CU_ASSERT_EQUAL(after.started, before.started);
	CU_ASSERT_EQUAL(after.completed, before.completed);
	CU_ASSERT(after.refused >= before.refused + 30);
}

/* A new version pushed, twice, while a transfer runs: it goes on from the
 * version it started with, which stays mapped until it ends. */
static void test_pinning(void)
{
	char src[PATH_MAX], img_path[PATH_MAX], err[512];
	static uint8_t out[CAP_MAX];
	struct query q;
	struct result r = { 0 };
	struct rrset old_set, new_set;

	CU_ASSERT_FATAL(ready);
	const struct zw_image *old_img = image_of("big.test.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(old_img);
	uint32_t old_serial = old_img->hdr->serial;
	dump_set(old_img, &old_set);

	make_query("big.test.", Q(.key = K256), &q);
	size_t outlen;
	struct zw_xfr_stream *s =
		zw_xfr_begin(xfr, q.wire, q.len, peer("192.0.2.1"), out, sizeof(out), &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* a second stream on the same image, interleaved */
	struct query q2;
	struct result r2 = { 0 };
	make_query("big.test.", Q(), &q2);
	struct zw_xfr_stream *s2 =
		zw_xfr_begin(xfr, q2.wire, q2.len, peer("127.0.0.1"), out, sizeof(out), &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
	r.stream = r2.stream = true;
	int n = zw_xfr_next(s, out, sizeof(out));
	CU_ASSERT_FATAL(n > 0);
	result_add(&r, out, (size_t)n);
	CU_ASSERT_EQUAL(old_img->pins, 2);

	/* push two new versions */
	for (uint32_t v = 2; v <= 3; v++) {
		snprintf(src, sizeof(src), "%s/big.test.v%u.zone", tmpdir, v);
		snprintf(img_path, sizeof(img_path), "%s/big.test.v%u.zwi", tmpdir, v);
		write_big_zone(src, old_serial + v, (int)v);
		compile_to(src, "big.test.", img_path);
		int rc = zw_zones_push(zones, img_path, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "\npush: %s\n", err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT(image_of("big.test.") != old_img);
		CU_ASSERT_EQUAL(image_of("big.test.")->hdr->serial, old_serial + v);
		/* the stream's image is closed by its owner, not unmapped */
		for (int i = 0; i < 3; i++) {
			if ((n = zw_xfr_next(s, out, sizeof(out))) > 0)
				result_add(&r, out, (size_t)n);
			if ((n = zw_xfr_next(s2, out, sizeof(out))) > 0)
				result_add(&r2, out, (size_t)n);
		}
	}
	while ((n = zw_xfr_next(s, out, sizeof(out))) > 0) {
		result_add(&r, out, (size_t)n);
		if ((n = zw_xfr_next(s2, out, sizeof(out))) > 0)
			result_add(&r2, out, (size_t)n);
	}
	CU_ASSERT_EQUAL(n, 0);
	while ((n = zw_xfr_next(s2, out, sizeof(out))) > 0)
		result_add(&r2, out, (size_t)n);
	zw_xfr_end(s);
	struct expect e = { .zone = "big.test.",
			    .qtype = LDNS_RR_TYPE_AXFR,
			    .q = &q,
			    .key = K256,
			    .cap = CAP_MAX,
			    .want = &old_set,
			    .serial = old_serial,
			    .min_msgs = 5 };
	CU_ASSERT(check_transfer(&r, &e));
	e.q = &q2;
	e.key = 0;
	CU_ASSERT(check_transfer(&r2, &e));
	zw_xfr_end(s2); /* the old image is unmapped here */
	result_free(&r);
	result_free(&r2);

	/* a new transfer sends the new version */
	const struct zw_image *img = image_of("big.test.");
	CU_ASSERT_EQUAL(img->pins, 0);
	dump_set(img, &new_set);
	CU_ASSERT(new_set.n == old_set.n);
	CU_ASSERT(axfr_ok("big.test.", Q(), "127.0.0.1", CAP_MAX, 5, NULL));
	set_free(&old_set);
	set_free(&new_set);
}

static void test_stats(void)
{
	struct zw_xfr_stats a, b;
	struct query q;
	struct result r;

	CU_ASSERT_FATAL(ready);
	zw_xfr_get_stats(xfr, &a);
	make_query("example.com.", Q(), &q);
	run(&q, peer("127.0.0.1"), CAP_MAX, &r);
	unsigned rrs = 0;
	for (unsigned i = 0; i < r.n; i++)
		rrs += rd16(r.msg[i] + 6);
	zw_xfr_get_stats(xfr, &b);
	CU_ASSERT_EQUAL(b.started, a.started + 1);
	CU_ASSERT_EQUAL(b.completed, a.completed + 1);
	CU_ASSERT_EQUAL(b.refused, a.refused);
	CU_ASSERT_EQUAL(b.messages, a.messages + r.n);
	CU_ASSERT_EQUAL(b.records, a.records + rrs);
	CU_ASSERT_EQUAL(rrs, image_of("example.com.")->hdr->rr_count + 1);
	result_free(&r);
	/* a stream ended early: started, not completed */
	static uint8_t out[CAP_MAX];
	size_t outlen;
	make_query("big.test.", Q(), &q);
	struct zw_xfr_stream *s =
		zw_xfr_begin(xfr, q.wire, q.len, peer("127.0.0.1"), out, sizeof(out), &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(zw_xfr_next(s, out, sizeof(out)) > 0);
	zw_xfr_end(s);
	zw_xfr_get_stats(xfr, &a);
	CU_ASSERT_EQUAL(a.started, b.started + 1);
	CU_ASSERT_EQUAL(a.completed, b.completed);
	CU_ASSERT_EQUAL(a.messages, b.messages + 1);
}

/* Mutated requests: whatever comes, an answer that parses or none, and
 * every stream runs to its end. */
static void test_mutations(void)
{
	static uint8_t out[CAP_MAX];
	unsigned n = 3000;
	const char *env = getenv("ZW_XFR_MUTATIONS");

	CU_ASSERT_FATAL(ready);
	if (env != NULL)
		n = (unsigned)strtoul(env, NULL, 10);
	for (unsigned i = 0; i < n; i++) {
		struct query q;
		static const char *const zs[] = { "example.com.", "signed.example.",
						  "example.net." };
		make_query(zs[i % 3],
			   Q(.type = (i & 4) ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_AXFR,
			     .serial = (uint32_t)i, .edns = (i & 8) != 0,
			     .key = (i & 16) ? (int)(i % 3) + 1 : 0),
			   &q);
		for (int m = 1 + rand() % 4; m > 0; m--) {
			size_t at = (size_t)rand() % q.len;
			switch (rand() % 4) {
			case 0: q.wire[at] = (uint8_t)rand(); break;
			case 1: q.wire[at] ^= (uint8_t)(1u << (rand() % 8)); break;
			case 2: q.len = at > 0 ? at : 1; break;
			default:
				if (q.len < sizeof(q.wire) - 1)
					q.wire[q.len++] = (uint8_t)rand();
				break;
			}
		}
		size_t outlen = 0, cap = (i % 5 == 0) ? 600 : sizeof(out);
		struct zw_xfr_stream *s =
			zw_xfr_begin(xfr, q.wire, q.len, peer("10.9.8.7"), out, cap, &outlen);
		if (s == NULL) {
			CU_ASSERT(outlen <= cap);
			if (outlen > 0) {
				ldns_pkt *pkt = NULL;
				CU_ASSERT_EQUAL(ldns_wire2pkt(&pkt, out, outlen), LDNS_STATUS_OK);
				ldns_pkt_free(pkt);
			}
			continue;
		}
		int len;
		while ((len = zw_xfr_next(s, out, cap)) > 0)
			CU_ASSERT((size_t)len <= cap);
		CU_ASSERT_EQUAL(len, 0);
		zw_xfr_end(s);
	}
}

/* The module freed while a stream lives: freed when the stream ends. */
static void test_teardown(void)
{
	static uint8_t out[CAP_MAX];
	struct query q;
	size_t outlen;
	char cmd[PATH_MAX + 16];

	CU_ASSERT_FATAL(ready);
	make_query("example.com.", Q(), &q);
	struct zw_xfr_stream *s =
		zw_xfr_begin(xfr, q.wire, q.len, peer("127.0.0.1"), out, sizeof(out), &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	zw_xfr_free(xfr);
	CU_ASSERT(zw_xfr_next(s, out, sizeof(out)) > 0);
	zw_xfr_end(s);
	xfr = NULL;
	zw_zones_free(zones);
	zw_ctl_free(ctl);
	zw_config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	ready = false;
}

int main(void)
{
	static const struct zw_test_case cases[] = {
		ZW_TEST(test_setup),	ZW_TEST(test_axfr),  ZW_TEST(test_axfr_big),
		ZW_TEST(test_ixfr),	ZW_TEST(test_tsig),  ZW_TEST(test_refusals),
		ZW_TEST(test_pinning),	ZW_TEST(test_stats), ZW_TEST(test_mutations),
		ZW_TEST(test_teardown), { NULL, NULL },
	};
	return zw_test_main("xfr", cases);
}
