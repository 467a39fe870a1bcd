/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zone compiler: every diagnostic, with its line, and what the compiler
 * makes of the data it accepts (normalised TTLs, dropped duplicates,
 * occluded data left out, glue kept and linked).
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "nsec3.h"
#include "rdata.h"
#include "unit.h"
#include "zw_err.h"

#define MAX_DIAGS 64

struct result {
	int rc;
	unsigned ndiag;
	struct {
		enum zw_diag_code code;
		enum zw_severity sev;
		unsigned line;
		char msg[256];
	} d[MAX_DIAGS];
	struct zw_compile_stats st;
	struct zw_image *img;
};

static void collect(void *ctx, const struct zw_diag *d)
{
	struct result *r = ctx;

	if (r->ndiag >= MAX_DIAGS)
		return;
	r->d[r->ndiag].code = d->code;
	r->d[r->ndiag].sev = d->severity;
	r->d[r->ndiag].line = d->line;
	snprintf(r->d[r->ndiag].msg, sizeof(r->d[0].msg), "%s", d->msg);
	r->ndiag++;
}

static void compile_text(struct result *r, const char *origin, unsigned max_ns, const char *text)
{
	char path[] = "/tmp/zw-test-compile-XXXXXX";
	int fd = mkstemp(path);
	void *image = NULL;
	size_t size = 0;

	memset(r, 0, sizeof(*r));
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	struct zw_compile_opts o = {
		.origin = origin,
		.max_ns = max_ns,
		.on_diag = collect,
		.ctx = r,
	};
	r->rc = zw_compile_file(path, &o, &image, &size, &r->st);
	unlink(path);
	if (r->rc == 0) {
		const char *why = NULL;
		int rc = zw_image_from_buffer(image, size, &r->img, &why);
		if (rc != 0)
			fprintf(stderr, "image rejected: %s\n", why);
		CU_ASSERT_FATAL(rc == 0);
	} else {
		CU_ASSERT(image == NULL);
	}
}

static void done(struct result *r)
{
	zw_image_close(r->img);
	r->img = NULL;
}

/* True if a diagnostic with this code (and line, unless 0) was reported. */
static bool has(const struct result *r, enum zw_diag_code code, unsigned line)
{
	for (unsigned i = 0; i < r->ndiag; i++)
		if (r->d[i].code == code && (line == 0 || r->d[i].line == line))
			return true;
	return false;
}

static void show(const struct result *r)
{
	for (unsigned i = 0; i < r->ndiag; i++)
		fprintf(stderr, "  diag %s line %u: %s\n", zw_diag_name(r->d[i].code), r->d[i].line,
			r->d[i].msg);
}

#define SOA "@ 3600 IN SOA ns1.example. host.example. 1 7200 3600 1209600 300\n"
#define NS  "@ 3600 IN NS ns1.example.\nns1 3600 IN A 192.0.2.1\n"

static void expect_error(const char *text, enum zw_diag_code code, unsigned line)
{
	struct result r;

	compile_text(&r, "example.", 0, text);
	if (!has(&r, code, line) || r.rc != ZW_EZONE) {
		fprintf(stderr, "expected %s at line %u, rc %d\n", zw_diag_name(code), line, r.rc);
		show(&r);
	}
	CU_ASSERT_EQUAL(r.rc, ZW_EZONE);
	CU_ASSERT(has(&r, code, line));
	CU_ASSERT(r.st.errors > 0);
	done(&r);
}

static void expect_warning(const char *text, enum zw_diag_code code, unsigned line,
			   struct result *r)
{
	compile_text(r, "example.", 0, text);
	if (!has(r, code, line) || r->rc != 0) {
		fprintf(stderr, "expected warning %s at line %u, rc %d\n", zw_diag_name(code), line,
			r->rc);
		show(r);
	}
	CU_ASSERT_EQUAL_FATAL(r->rc, 0);
	CU_ASSERT(has(r, code, line));
}

static const struct zw_img_node *find(const struct zw_image *img, const char *name)
{
	uint8_t wire[256], lname[256];
	unsigned len = 0;
	const char *p = name;

	/* tiny presentation-to-wire for plain names in these tests */
	while (*p != '\0' && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		wire[len++] = (uint8_t)l;
		memcpy(wire + len, p, l);
		len += (unsigned)l;
		p += l + (dot ? 1 : 0);
	}
	wire[len++] = 0;
	zw_name_lower(lname, wire);
	return zw_image_find_name(img, lname, len);
}

/* ---- accepted zones ---- */

static void test_minimal_zone(void)
{
	struct result r;

	compile_text(&r, "example.", 0, SOA NS "www 300 IN A 192.0.2.80\n");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.st.errors, 0);
	CU_ASSERT_EQUAL(r.img->hdr->serial, 1);
	CU_ASSERT_EQUAL(r.img->hdr->neg_ttl, 300);
	CU_ASSERT_EQUAL(r.img->hdr->rr_count, 4);
	CU_ASSERT_EQUAL(r.img->hdr->node_count, 3);
	const struct zw_img_node *www = find(r.img, "www.example.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(www);
	const struct zw_img_rrset *a = zw_image_rrset(r.img, www, ZW_T_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(zw_rrset_ttl(r.img, a), 300);
	CU_ASSERT_EQUAL(zw_rrset_count(r.img, a), 1);
	done(&r);
}

static void test_origin_from_soa(void)
{
	struct result r;

	compile_text(&r, NULL, 0,
		     "example.org. 3600 IN SOA ns.example.org. h.example.org. 5 1 1 1 60\n"
		     "example.org. 3600 IN NS ns.example.net.\n");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.img->hdr->origin_len, 13);
	CU_ASSERT_EQUAL(r.img->hdr->serial, 5);
	done(&r);
}

static void test_negative_ttl_is_min(void)
{
	struct result r;

	compile_text(&r, "example.", 0,
		     "@ 60 IN SOA ns1.example. host.example. 1 7200 3600 1209600 300\n" NS);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.img->hdr->neg_ttl, 60);
	done(&r);
}

static void test_examples_compile(void)
{
	static const char *const zones[] = { "example.com.zone", "example.net.zone",
					     "2.0.192.in-addr.arpa.zone" };
	const char *src = getenv("ZW_SRCDIR");
	char path[4096];

	for (unsigned i = 0; i < 3; i++) {
		void *image = NULL;
		size_t size = 0;
		struct result r;
		memset(&r, 0, sizeof(r));
		snprintf(path, sizeof(path), "%s/docs/examples/%s", src ? src : ".", zones[i]);
		struct zw_compile_opts o = { .on_diag = collect, .ctx = &r };
		int rc = zw_compile_file(path, &o, &image, &size, NULL);
		if (rc != 0)
			show(&r);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(zw_image_verify(image, size, NULL), 0);
		free(image);
	}
}

/* ---- errors ---- */

static void test_no_soa(void)
{
	expect_error("@ 3600 IN NS ns1.example.\nns1 3600 IN A 192.0.2.1\n", ZW_D_NO_SOA, 0);
}

static void test_multi_soa(void)
{
	expect_error(SOA NS "@ 3600 IN SOA ns2.example. host.example. 2 7200 3600 1209600 300\n",
		     ZW_D_MULTI_SOA, 0);
}

static void test_soa_not_apex(void)
{
	expect_error(SOA NS "sub 3600 IN SOA ns1.example. host.example. 1 1 1 1 1\n",
		     ZW_D_SOA_NOT_APEX, 4);
}

static void test_no_apex_ns(void)
{
	expect_error(SOA "www 3600 IN A 192.0.2.1\n", ZW_D_NO_APEX_NS, 0);
}

static void test_cname_and_other(void)
{
	expect_error(SOA NS
		     "www 3600 IN CNAME web\nwww 3600 IN A 192.0.2.1\nweb 60 IN A 192.0.2.2\n",
		     ZW_D_CNAME_OTHER, 5);
}

static void test_two_cnames(void)
{
	expect_error(SOA NS "www 3600 IN CNAME a\nwww 3600 IN CNAME b\n", ZW_D_MULTI_CNAME, 0);
}

static void test_out_of_zone(void)
{
	expect_error(SOA NS "www.example.org. 3600 IN A 192.0.2.1\n", ZW_D_OUT_OF_ZONE, 4);
}

static void test_glue_missing(void)
{
	expect_error(SOA NS "sub 3600 IN NS ns.sub\nsub 3600 IN NS ns.example.net.\n",
		     ZW_D_GLUE_MISSING, 4);
}

static void test_glue_missing_apex(void)
{
	expect_error(SOA "@ 3600 IN NS ns9\n", ZW_D_GLUE_MISSING, 2);
}

static void test_bad_hostname(void)
{
	expect_error(SOA NS "sub 3600 IN NS ns_1.example.net.\n", ZW_D_BAD_HOSTNAME, 4);
	expect_error(SOA NS "sub 3600 IN NS -ns.example.net.\n", ZW_D_BAD_HOSTNAME, 4);
	expect_error(SOA NS "sub 3600 IN NS *.example.net.\n", ZW_D_BAD_HOSTNAME, 4);
}

static void test_too_many_ns(void)
{
	char text[4096];
	int o = snprintf(text, sizeof(text), "%s", SOA NS);

	for (int i = 0; i < 11; i++)
		o += snprintf(text + o, sizeof(text) - (size_t)o,
			      "sub 3600 IN NS ns%d.example.net.\n", i);
	/* the default limit is 10: the 11th name server is on line 14 */
	expect_error(text, ZW_D_TOO_MANY_NS, 14);

	/* a configured limit */
	struct result r;
	compile_text(&r, "example.", 11, text);
	CU_ASSERT_EQUAL(r.rc, 0);
	done(&r);
	compile_text(&r, "example.", 3, text);
	CU_ASSERT_EQUAL(r.rc, ZW_EZONE);
	CU_ASSERT(has(&r, ZW_D_TOO_MANY_NS, 7));
	done(&r);
}

static void test_dname_children(void)
{
	expect_error(SOA NS "old 3600 IN DNAME example.net.\nx.old 3600 IN A 192.0.2.1\n",
		     ZW_D_DNAME_CHILDREN, 5);
}

static void test_class_not_in(void)
{
	expect_error(SOA NS "www 3600 CH TXT \"x\"\n", ZW_D_CLASS, 4);
}

static void test_bad_rdata_stream(void)
{
	/* records from a transfer are not checked by the parser: the builder
	 * must refuse a malformed name in an NS rdata */
	struct zw_compile_opts o = { .origin = "example." };
	struct zw_builder *b = zw_builder_create(&o);
	static const uint8_t apex[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static const uint8_t soa[] = { 1, 'a', 0, 1, 'b', 0, 0, 0, 0, 1, 0, 0, 0,
				       1, 0,   0, 0, 1,	  0, 0, 0, 1, 0, 0, 0, 1 };
	static const uint8_t badns[] = { 9, 'a', 0 };
	struct zw_rr rr = { .owner = apex,
			    .owner_len = sizeof(apex),
			    .type = ZW_T_SOA,
			    .rclass = 1,
			    .ttl = 60,
			    .rdata = soa,
			    .rdlen = sizeof(soa) };
	void *image;
	size_t size;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(zw_builder_add(b, &rr), 0);
	rr.type = ZW_T_NS;
	rr.rdata = badns;
	rr.rdlen = sizeof(badns);
	CU_ASSERT_EQUAL(zw_builder_add(b, &rr), 0);
	CU_ASSERT_NOT_EQUAL(zw_builder_finish(b, &image, &size), 0);
	CU_ASSERT_PTR_NULL(image);
	zw_builder_free(b);
}

/* ---- warnings, normalisation ---- */

static void test_ttl_mismatch(void)
{
	struct result r;

	expect_warning(SOA NS "www 600 IN A 192.0.2.1\nwww 300 IN A 192.0.2.2\n", ZW_D_TTL_MISMATCH,
		       5, &r);
	CU_ASSERT_EQUAL(r.st.ttl_fixed, 1);
	const struct zw_img_rrset *a = zw_image_rrset(r.img, find(r.img, "www.example."), ZW_T_A);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(zw_rrset_ttl(r.img, a), 300);
	CU_ASSERT_EQUAL(zw_rrset_count(r.img, a), 2);
	done(&r);
}

static void test_duplicate(void)
{
	struct result r;

	expect_warning(SOA NS "www 300 IN A 192.0.2.1\nwww 300 IN A 192.0.2.1\n", ZW_D_DUPLICATE, 5,
		       &r);
	CU_ASSERT_EQUAL(r.st.duplicates, 1);
	const struct zw_img_rrset *a = zw_image_rrset(r.img, find(r.img, "www.example."), ZW_T_A);
	CU_ASSERT_EQUAL(zw_rrset_count(r.img, a), 1);
	done(&r);
	/* names in rdata compare without regard to case */
	expect_warning(SOA NS "www 300 IN CNAME Web.Example.\nwww 300 IN CNAME web.example.\n",
		       ZW_D_DUPLICATE, 0, &r);
	done(&r);
}

static void test_occluded(void)
{
	struct result r;

	expect_warning(SOA NS "sub 3600 IN NS ns.sub\n"
			      "ns.sub 3600 IN A 192.0.2.7\n"
			      "www.sub 3600 IN A 192.0.2.8\n"
			      "txt.sub 3600 IN TXT \"hidden\"\n"
			      "sub 3600 IN MX 10 mail\n",
		       ZW_D_OCCLUDED, 6, &r);
	CU_ASSERT(has(&r, ZW_D_OCCLUDED, 7));
	CU_ASSERT(has(&r, ZW_D_OCCLUDED, 8));
	CU_ASSERT_EQUAL(r.st.occluded, 3);
	/* glue stays, flagged, linked to its cut; occluded names are gone */
	const struct zw_img_node *glue = find(r.img, "ns.sub.example.");
	const struct zw_img_node *cut = find(r.img, "sub.example.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(glue);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
	CU_ASSERT(glue->flags & ZW_NODE_GLUE);
	CU_ASSERT(cut->flags & ZW_NODE_DELEG);
	CU_ASSERT_EQUAL(&r.img->nodes[glue->aux], cut);
	CU_ASSERT_PTR_NULL(find(r.img, "www.sub.example."));
	CU_ASSERT_PTR_NULL(find(r.img, "txt.sub.example."));
	CU_ASSERT_PTR_NULL(zw_image_rrset(r.img, cut, ZW_T_MX));
	done(&r);
}

static void test_glue_in_referral_only_in_domain(void)
{
	struct result r;

	compile_text(&r, "example.", 0,
		     SOA NS "a 3600 IN NS ns.a\n"
			    "a 3600 IN NS ns.b\n"
			    "a 3600 IN NS ns1\n"
			    "ns.a 3600 IN A 192.0.2.10\n"
			    "b 3600 IN NS ns.b\n"
			    "ns.b 3600 IN A 192.0.2.11\n");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	const struct zw_img_node *a = find(r.img, "a.example.");
	const struct zw_img_rrset *ns = zw_image_rrset(r.img, a, ZW_T_NS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	const struct zw_img_extra *x = zw_rrset_extra(r.img, ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	/* ns.a (required glue) then ns1 (authoritative, optional); the
	 * sibling glue ns.b is left out */
	CU_ASSERT_EQUAL_FATAL(x->count, 2);
	const struct zw_img_extra_ent *e = zw_extra_ents(x);
	CU_ASSERT(e[0].flags & ZW_EXTRA_REQUIRED);
	CU_ASSERT(!(e[1].flags & ZW_EXTRA_REQUIRED));
	CU_ASSERT(zw_rrset_same(&r.img->rrsets[e[0].rrset],
				zw_image_rrset(r.img, find(r.img, "ns.a.example."), ZW_T_A)));
	CU_ASSERT(zw_rrset_same(&r.img->rrsets[e[1].rrset],
				zw_image_rrset(r.img, find(r.img, "ns1.example."), ZW_T_A)));
	/* owners point at the target names inside the NS RRset's chunk */
	CU_ASSERT_EQUAL(ZW_EXTRA_PTR_KIND(e[0].ptr), ZW_RELOC_ANCHOR);
	done(&r);
}

static void test_empty_non_terminals_and_wildcards(void)
{
	struct result r;

	compile_text(&r, "example.", 0,
		     SOA NS "a.b.c 3600 IN TXT \"x\"\n*.w 3600 IN A 192.0.2.9\n");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	const struct zw_img_node *c = find(r.img, "c.example.");
	const struct zw_img_node *bc = find(r.img, "b.c.example.");
	const struct zw_img_node *w = find(r.img, "w.example.");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT(c->flags & ZW_NODE_ENT);
	CU_ASSERT(bc->flags & ZW_NODE_ENT);
	CU_ASSERT(w->flags & ZW_NODE_HAS_WILD);
	CU_ASSERT(r.img->nodes[w->aux].flags & ZW_NODE_WILDCARD);
	CU_ASSERT_EQUAL(r.img->hdr->ent_count, 3);
	CU_ASSERT_EQUAL(r.img->hdr->wildcard_count, 1);
	done(&r);
}

static void test_canonical_order(void)
{
	struct result r;

	compile_text(&r, "example.", 0,
		     SOA NS
		     "z 60 IN A 192.0.2.1\nA 60 IN A 192.0.2.2\nyljkjljk.a 60 IN A 192.0.2.3\n"
		     "Z.a 60 IN A 192.0.2.4\nzABC.a 60 IN A 192.0.2.5\n*.z 60 IN A 192.0.2.6\n"
		     "\\001.z 60 IN A 192.0.2.7\nz.\\200.z 60 IN A 192.0.2.8\n"
		     "\\200.z 60 IN A 192.0.2.9\n");
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	/* RFC 4034 section 6.1 order */
	static const char *const order[] = {
		"example.",	   "a.example.",       "yljkjljk.a.example.", "z.a.example.",
		"zabc.a.example.", "ns1.example.",     "z.example.",	      "\\001.z.example.",
		"*.z.example.",	   "\\200.z.example.", "z.\\200.z.example."
	};
	CU_ASSERT_EQUAL_FATAL(r.img->hdr->node_count, 11);
	for (unsigned i = 0; i < 11; i++) {
		char got[1024];
		uint8_t wire[256];
		zw_image_node_name(r.img, &r.img->nodes[i], wire);
		zw_name_to_str(wire, got, sizeof(got));
		if (strcmp(got, order[i]) != 0)
			fprintf(stderr, "node %u: %s, expected %s\n", i, got, order[i]);
		CU_ASSERT_STRING_EQUAL(got, order[i]);
	}
	done(&r);
}

static void test_syntax_error_reported(void)
{
	struct result r;

	compile_text(&r, "example.", 0, SOA NS "www 3600 IN A not-an-address\n");
	CU_ASSERT_NOT_EQUAL(r.rc, 0);
	CU_ASSERT(has(&r, ZW_D_SYNTAX, 4));
	done(&r);
}

/* ---- SHA-1 and NSEC3 hashes ---- */

static void hex_of(const uint8_t *h, char out[41])
{
	for (int i = 0; i < ZW_SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* FIPS 180-2 appendix A and the lengths around the padding boundaries:
 * the portable code, the SHA extensions (when the CPU has them) and
 * ldns's SHA-1 (OpenSSL's) agree. */
static void test_sha1(void)
{
	static const struct {
		const char *msg;
		const char *hex;
	} vec[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t a[ZW_SHA1_LEN], b[ZW_SHA1_LEN], c[ZW_SHA1_LEN];
	char hex[41];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t len = strlen(vec[i].msg);
		zw_sha1(vec[i].msg, len, a);
		hex_of(a, hex);
		CU_ASSERT_STRING_EQUAL(hex, vec[i].hex);
		zw_sha1_portable(vec[i].msg, len, a);
		hex_of(a, hex);
		CU_ASSERT_STRING_EQUAL(hex, vec[i].hex);
		if (zw_sha1_ni(vec[i].msg, len, a)) {
			hex_of(a, hex);
			CU_ASSERT_STRING_EQUAL(hex, vec[i].hex);
		}
	}
	/* a million 'a' (FIPS 180-2 A.3): many blocks */
	size_t mlen = 1000000;
	uint8_t *m = malloc(mlen);
	CU_ASSERT_FATAL(m != NULL);
	memset(m, 'a', mlen);
	zw_sha1(m, mlen, a);
	hex_of(a, hex);
	CU_ASSERT_STRING_EQUAL(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	zw_sha1_portable(m, mlen, b);
	CU_ASSERT(memcmp(a, b, ZW_SHA1_LEN) == 0);
	/* every length up to 600, bytes from a fixed generator */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned ni = 0, bad = 0;
	for (size_t round = 0; round < 8; round++) {
		for (size_t len = 0; len <= 600; len++) {
			for (size_t k = 0; k < len; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				m[k] = (uint8_t)x;
			}
			zw_sha1_portable(m, len, a);
			ldns_sha1(m, (unsigned)len, c);
			bad += memcmp(a, c, ZW_SHA1_LEN) != 0;
			if (zw_sha1_ni(m, len, b)) {
				ni++;
				bad += memcmp(a, b, ZW_SHA1_LEN) != 0;
			}
			zw_sha1(m, len, b);
			bad += memcmp(a, b, ZW_SHA1_LEN) != 0;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(ni, zw_sha1_ni_available() ? 8u * 601 : 0u);
	if (!zw_sha1_ni_available())
		fprintf(stderr, "\n  (no SHA extensions on this CPU: the portable SHA-1 only)\n");
	free(m);
}

/* RFC 5155 appendix A: salt aabbccdd, 12 iterations. */
static void test_nsec3_hash(void)
{
	static const struct {
		const char *name, *b32;
	} vec[] = {
		{ "example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
		{ "a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
		{ "ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi" },
		{ "ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
		{ "*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
		{ "X.w.EXAMPLE.", "b4um86eghhds6nea196smvmlo4ors995" },
	};
	static const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	uint8_t wire[ZW_NAME_MAX + 1], h[ZW_SHA1_LEN];
	char b32[40];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		ldns_rdf *rdf = NULL;
		CU_ASSERT_FATAL(ldns_str2rdf_dname(&rdf, vec[i].name) == LDNS_STATUS_OK);
		size_t len = ldns_rdf_size(rdf);
		memcpy(wire, ldns_rdf_data(rdf), len);
		ldns_rdf_deep_free(rdf);
		CU_ASSERT_EQUAL(zw_nsec3_hash(wire, (unsigned)len, salt, 4, 12, h), 0);
		zw_base32hex(h, ZW_SHA1_LEN, b32);
		CU_ASSERT_STRING_EQUAL(b32, vec[i].b32);
		/* the answer path's variant takes the name lower-cased */
		uint8_t lw[ZW_NAME_MAX + 1];
		zw_name_lower(lw, wire);
		memset(h, 0, sizeof(h));
		CU_ASSERT_EQUAL(zw_nsec3_hash_lower(lw, (unsigned)len, salt, 4, 12, h), 0);
		zw_base32hex(h, ZW_SHA1_LEN, b32);
		CU_ASSERT_STRING_EQUAL(b32, vec[i].b32);
	}
}

/* No salt, no iterations (RFC 9276), as most signed zones are now: the
 * lower-case variant hashes the name where it lies, and both variants
 * give what ldns gives. */
static void test_nsec3_hash_no_salt(void)
{
	static const char *const names[] = { "example.", "A.Example.", "*.w.example.",
					     "a-fairly-long-label-of-forty-octets-xx.b.example." };
	uint8_t wire[ZW_NAME_MAX + 1], lw[ZW_NAME_MAX + 1], h[ZW_SHA1_LEN], hl[ZW_SHA1_LEN];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_rdf *rdf = NULL, *want = NULL;
		CU_ASSERT_FATAL(ldns_str2rdf_dname(&rdf, names[i]) == LDNS_STATUS_OK);
		size_t len = ldns_rdf_size(rdf);
		memcpy(wire, ldns_rdf_data(rdf), len);
		want = ldns_nsec3_hash_name(rdf, 1, 0, 0, NULL);
		CU_ASSERT_FATAL(want != NULL);
		/* ldns gives the base32hex label followed by the root */
		uint8_t got[ZW_SHA1_LEN];
		CU_ASSERT_EQUAL(zw_base32hex_decode(ldns_rdf_data(want) + 1, ldns_rdf_data(want)[0],
						    got, sizeof(got)),
				ZW_SHA1_LEN);
		ldns_rdf_deep_free(rdf);
		ldns_rdf_deep_free(want);
		zw_name_lower(lw, wire);
		CU_ASSERT_EQUAL(zw_nsec3_hash(wire, (unsigned)len, NULL, 0, 0, h), 0);
		CU_ASSERT_EQUAL(zw_nsec3_hash_lower(lw, (unsigned)len, NULL, 0, 0, hl), 0);
		CU_ASSERT(memcmp(h, got, ZW_SHA1_LEN) == 0);
		CU_ASSERT(memcmp(hl, got, ZW_SHA1_LEN) == 0);
	}
}

static const struct zw_test_case cases[] = {
	ZW_TEST(test_minimal_zone),
	ZW_TEST(test_origin_from_soa),
	ZW_TEST(test_negative_ttl_is_min),
	ZW_TEST(test_examples_compile),
	ZW_TEST(test_no_soa),
	ZW_TEST(test_multi_soa),
	ZW_TEST(test_soa_not_apex),
	ZW_TEST(test_no_apex_ns),
	ZW_TEST(test_cname_and_other),
	ZW_TEST(test_two_cnames),
	ZW_TEST(test_out_of_zone),
	ZW_TEST(test_glue_missing),
	ZW_TEST(test_glue_missing_apex),
	ZW_TEST(test_bad_hostname),
	ZW_TEST(test_too_many_ns),
	ZW_TEST(test_dname_children),
	ZW_TEST(test_class_not_in),
	ZW_TEST(test_bad_rdata_stream),
	ZW_TEST(test_ttl_mismatch),
	ZW_TEST(test_duplicate),
	ZW_TEST(test_occluded),
	ZW_TEST(test_glue_in_referral_only_in_domain),
	ZW_TEST(test_empty_non_terminals_and_wildcards),
	ZW_TEST(test_canonical_order),
	ZW_TEST(test_syntax_error_reported),
	ZW_TEST(test_sha1),
	ZW_TEST(test_nsec3_hash),
	ZW_TEST(test_nsec3_hash_no_salt),
	{ NULL, NULL },
};

int main(void)
{
	return zw_test_main("compile", cases);
}
