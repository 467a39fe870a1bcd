/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookups over compiled zones: every answer shape of zw_lookup_zone() and
 * zw_lookup(), checked against RFC 1034 4.3.2 (the algorithm), RFC 4592
 * (wildcards, with the example zone of its section 2.2.1), RFC 6672 (DNAME),
 * the glue a referral carries (RFC 9471), and the choice of zone in a set.
 *
 * Each test compiles master-file text with zw_compile_file() and loads the
 * result with zw_image_from_buffer(), so it exercises the image the answer
 * path really reads.
 */
#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "image.h"
#include "lookup.h"
#include "name.h"
#include "rdata.h"
#include "unit.h"
#include "zw_err.h"

#define SOA_RDATA "ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300"

/* ---- helpers ---- */

static void print_diag(void *ctx, const struct zw_diag *d)
{
	const char *origin = ctx;

	if (d->severity == ZW_SEV_ERROR)
		fprintf(stderr, "\n  [%s] line %u: %s: %s", origin, d->line, zw_diag_name(d->code),
			d->msg);
}

/* Compiles master-file text for origin; NULL (and a failed assertion) if
 * the zone does not compile or the image does not load. */
static struct zw_image *compile_zone(const char *origin, const char *text)
{
	char path[] = "/tmp/zw-test-lookup-XXXXXX";
	int fd = mkstemp(path);
	void *buf = NULL;
	size_t size = 0, len = strlen(text);
	struct zw_image *img = NULL;
	const char *why = NULL;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
	close(fd);
	struct zw_compile_opts o = {
		.origin = origin,
		.on_diag = print_diag,
		.ctx = (void *)origin,
	};
	int rc = zw_compile_file(path, &o, &buf, &size, NULL);
	unlink(path);
	if (rc != 0) {
		fprintf(stderr, "\n  zone %s does not compile: %s", origin, zw_strerror(rc));
		CU_FAIL("zone does not compile");
		return NULL;
	}
	rc = zw_image_from_buffer(buf, size, &img, &why);
	if (rc != 0) {
		fprintf(stderr, "\n  image of %s rejected: %s", origin, why ? why : "?");
		free(buf);
		CU_FAIL("image rejected");
		return NULL;
	}
	return img;
}

struct qname {
	uint8_t w[ZW_NAME_MAX + 1];
	unsigned len;
};

/* Presentation name (absolute) to lower-cased wire form. */
static struct qname qn(const char *str)
{
	struct qname q = { .len = 0 };
	ldns_rdf *d = ldns_dname_new_frm_str(str);

	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT_FATAL(zw_name_len(ldns_rdf_data(d), ldns_rdf_size(d)) == (int)ldns_rdf_size(d));
	q.len = zw_name_lower(q.w, ldns_rdf_data(d));
	ldns_rdf_deep_free(d);
	return q;
}

static bool node_is(const struct zw_image *img, const struct zw_img_node *n, const char *name)
{
	struct qname want = qn(name);
	uint8_t buf[ZW_NAME_MAX + 1];
	unsigned len = zw_image_node_name(img, n, buf);

	return len == want.len && memcmp(buf, want.w, len) == 0;
}

static const char *node_str(const struct zw_image *img, const struct zw_img_node *n, char *buf,
			    size_t len)
{
	uint8_t name[ZW_NAME_MAX + 1];

	if (img == NULL || n == NULL)
		return "(null)";
	zw_image_node_name(img, n, name);
	zw_name_to_str(name, buf, len);
	return buf;
}

/* What a lookup must return. Names are presentation form; NULL means "not
 * checked" for node and encloser. type 0 means "no RRset". */
struct expect {
	enum zw_shape shape;
	bool wildcard;
	const char *node;
	uint16_t type;
	unsigned count;
	uint32_t ttl; /* 0: not checked */
	const char *encloser;
	const struct zw_image *zone; /* NULL: the zone looked in */
};

static bool check(const char *what, const struct zw_lookup *l, const struct zw_image *zone,
		  const struct expect *e)
{
	char b1[1024], b2[1024];
	bool ok = true;

#define MISMATCH(...)                                                                              \
	do {                                                                                       \
		fprintf(stderr, "\n  %s: ", what);                                                 \
		fprintf(stderr, __VA_ARGS__);                                                      \
		ok = false;                                                                        \
	} while (0)

	if (l->shape != e->shape)
		MISMATCH("shape %s, expected %s", zw_shape_name(l->shape), zw_shape_name(e->shape));
	if (l->wildcard != e->wildcard)
		MISMATCH("wildcard %d, expected %d", l->wildcard, e->wildcard);
	if (e->shape == ZW_SHAPE_NOTAUTH) {
		if (l->zone != NULL || l->node != NULL || l->rrset != NULL || l->encloser != NULL)
			MISMATCH("NOTAUTH with a zone, node, RRset or encloser");
		return ok;
	}
	if (l->zone != zone)
		MISMATCH("answered from zone %p, expected %p", (const void *)l->zone,
			 (const void *)zone);
	if (l->zone == NULL)
		return ok;
	if (e->node != NULL && (l->node == NULL || !node_is(l->zone, l->node, e->node)))
		MISMATCH("node %s, expected %s", node_str(l->zone, l->node, b1, sizeof(b1)),
			 e->node);
	if (e->encloser != NULL &&
	    (l->encloser == NULL || !node_is(l->zone, l->encloser, e->encloser)))
		MISMATCH("encloser %s, expected %s", node_str(l->zone, l->encloser, b2, sizeof(b2)),
			 e->encloser);
	if (e->type == 0) {
		if (l->rrset != NULL)
			MISMATCH("RRset of type %u, expected none", l->rrset->type);
		return ok;
	}
	if (l->rrset == NULL) {
		MISMATCH("no RRset, expected type %u", e->type);
		return false;
	}
	if (l->rrset->type != e->type)
		MISMATCH("RRset type %u, expected %u", l->rrset->type, e->type);
	if (zw_rrset_count(l->zone, l->rrset) != e->count)
		MISMATCH("RRset count %u, expected %u", zw_rrset_count(l->zone, l->rrset),
			 e->count);
	if (e->ttl != 0 && zw_rrset_ttl(l->zone, l->rrset) != e->ttl)
		MISMATCH("RRset TTL %u, expected %u", zw_rrset_ttl(l->zone, l->rrset), e->ttl);
	/* the RRset must be one of the node's own */
	if (l->node != NULL) {
		bool own = false;
		for (unsigned i = 0; i < l->node->rrset_count; i++)
			own |= zw_rrset_same(&l->zone->rrsets[l->node->rrset_first + i], l->rrset);
		if (!own)
			MISMATCH("RRset is not one of the node's");
	}
#undef MISMATCH
	return ok;
}

static bool expect_zone(const struct zw_image *img, const char *name, uint16_t qtype,
			const struct expect *e)
{
	char what[512];
	struct zw_lookup l;
	struct qname q = qn(name);

	snprintf(what, sizeof(what), "%s/%u", name, qtype);
	zw_lookup_zone(img, q.w, q.len, qtype, &l);
	return check(what, &l, e->zone != NULL ? e->zone : img, e);
}

static bool expect_set(const struct zw_zoneset *zs, const char *name, uint16_t qtype,
		       const struct expect *e)
{
	char what[512];
	struct zw_lookup l;
	struct qname q = qn(name);

	snprintf(what, sizeof(what), "%s/%u (zone set)", name, qtype);
	zw_lookup(zs, q.w, q.len, qtype, &l);
	return check(what, &l, e->zone, e);
}

#define EXPECT(img, name, qtype, ...)                                                              \
	CU_ASSERT(expect_zone(img, name, qtype, &(const struct expect){ __VA_ARGS__ }))
#define EXPECT_SET(zs, name, qtype, ...)                                                           \
	CU_ASSERT(expect_set(zs, name, qtype, &(const struct expect){ __VA_ARGS__ }))

/* Shorthands for the common shapes. */
#define ANSWER(node_, type_, count_, ttl_)                                                         \
	.shape = ZW_SHAPE_ANSWER, .node = (node_), .type = (type_), .count = (count_),             \
	.ttl = (ttl_), .encloser = (node_)
#define NODATA(node_)	    .shape = ZW_SHAPE_NODATA, .node = (node_), .encloser = (node_)
#define NXDOMAIN(encloser_) .shape = ZW_SHAPE_NXDOMAIN, .encloser = (encloser_)

/* The RRset of a type at a name; NULL if the name or the type is absent. */
static const struct zw_img_rrset *rrset_find(const struct zw_image *img, const char *name,
					     uint16_t type)
{
	struct qname q = qn(name);
	const struct zw_img_node *n = zw_image_find_name(img, q.w, q.len);

	return n == NULL ? NULL : zw_image_rrset(img, n, type);
}

/* Same, for an RRset that must exist. */
static const struct zw_img_rrset *rrset_at(const struct zw_image *img, const char *name,
					   uint16_t type)
{
	const struct zw_img_rrset *s = rrset_find(img, name, type);

	CU_ASSERT_FATAL(s != NULL);
	return s;
}

static unsigned extra_count(const struct zw_image *img, const struct zw_img_rrset *s)
{
	const struct zw_img_extra *x = zw_rrset_extra(img, s);

	return x == NULL ? 0 : x->count;
}

/*
 * Whether the additional-data list of s names the RRset (name, type):
 * -1 no, 0 yes (optional), 1 yes (required).
 */
static int in_extra(const struct zw_image *img, const struct zw_img_rrset *s, const char *name,
		    uint16_t type)
{
	const struct zw_img_extra *x = zw_rrset_extra(img, s);
	const struct zw_img_rrset *t = rrset_find(img, name, type);

	if (x == NULL || t == NULL)
		return -1;
	const struct zw_img_extra_ent *e = zw_extra_ents(x);
	for (unsigned i = 0; i < x->count; i++)
		if (zw_rrset_same(&img->rrsets[e[i].rrset], t))
			return (e[i].flags & ZW_EXTRA_REQUIRED) ? 1 : 0;
	return -1;
}

/* The list is well formed: address RRsets only, each once, required
 * entries first; returns the number of required entries. */
static unsigned extra_required(const struct zw_image *img, const struct zw_img_rrset *s)
{
	const struct zw_img_extra *x = zw_rrset_extra(img, s);
	unsigned req = 0;
	bool optional = false;

	if (x == NULL)
		return 0;
	const struct zw_img_extra_ent *e = zw_extra_ents(x);
	for (unsigned i = 0; i < x->count; i++) {
		CU_ASSERT_FATAL(e[i].rrset < img->hdr->rrset_count);
		uint16_t type = img->rrsets[e[i].rrset].type;
		CU_ASSERT(type == ZW_T_A || type == ZW_T_AAAA);
		for (unsigned k = 0; k < i; k++)
			CU_ASSERT(e[k].rrset != e[i].rrset);
		if (e[i].flags & ZW_EXTRA_REQUIRED) {
			CU_ASSERT(!optional);
			req++;
		} else {
			optional = true;
		}
	}
	return req;
}

/* ---- zones ---- */

static const char basic_zone[] = "$ORIGIN example.\n"
				 "$TTL 3600\n"
				 "@          SOA   " SOA_RDATA "\n"
				 "@          NS    ns1.example.\n"
				 "@          NS    ns2.example.net.\n"
				 "@          MX    10 mail.example.\n"
				 "@     600  TXT   \"apex text\"\n"
				 "ns1        A     192.0.2.53\n"
				 "www   300  A     192.0.2.1\n"
				 "www   300  A     192.0.2.2\n"
				 "www   7200 AAAA  2001:db8::1\n"
				 "www        TXT   \"hello\"\n"
				 "mail       A     192.0.2.25\n"
				 "mixed 100  A     192.0.2.7\n"
				 "mixed 200  A     192.0.2.8\n"
				 "dup        A     192.0.2.9\n"
				 "dup        A     192.0.2.9\n"
				 "a.b.c      A     192.0.2.3\n"
				 "x.y.z.deep A     192.0.2.4\n"
				 "deep       TXT   \"deep has data\"\n"
				 "alias      CNAME www\n"
				 "alias2 60  CNAME www.example.net.\n"
				 "dn         DNAME example.net.\n"
				 "dn         A     192.0.2.5\n";

/* RFC 4592 section 2.2.1, with concrete SRV data. */
static const char rfc4592_zone[] =
	"$ORIGIN example.\n"
	"example.                 3600 IN SOA " SOA_RDATA "\n"
	"example.                 3600    NS  ns.example.com.\n"
	"example.                 3600    NS  ns.example.net.\n"
	"*.example.               3600    TXT \"this is a wildcard\"\n"
	"*.example.               3600    MX  10 host1.example.\n"
	"sub.*.example.           3600    TXT \"this is not a wildcard\"\n"
	"host1.example.           3600    A   192.0.2.1\n"
	"_ssh._tcp.host1.example. 3600    SRV 0 0 22 host1.example.\n"
	"_ssh._tcp.host2.example. 3600    SRV 0 0 22 host2.example.\n"
	"subdel.example.          3600    NS  ns.example.com.\n"
	"subdel.example.          3600    NS  ns.example.net.\n";

static const char wild_zone[] = "$ORIGIN example.\n"
				"$TTL 3600\n"
				"@          SOA   " SOA_RDATA "\n"
				"@          NS    ns.example.net.\n"
				"target     A     192.0.2.1\n"
				"*.cn   120 CNAME target.example.\n"
				"*.w        A     192.0.2.2\n"
				"*.w        AAAA  2001:db8::2\n"
				"exists.w   TXT   \"not synthesised\"\n"
				"a.*.ent    TXT   \"below an empty wildcard\"\n";

static const char deleg_zone[] =
	"$ORIGIN example.\n"
	"$TTL 3600\n"
	"@            SOA   " SOA_RDATA "\n"
	"@            NS    ns1.example.\n"
	"@            NS    ns2.example.\n"
	"ns1          A     192.0.2.1\n"
	"ns2          A     192.0.2.2\n"
	"ns2          AAAA  2001:db8::2\n"
	"; in-domain glue, glue below an empty non-terminal, sibling glue,\n"
	"; an in-zone server and an out-of-zone one\n"
	"d            NS    ns1.d.example.\n"
	"d            NS    ns.deep.d.example.\n"
	"d            NS    ns.s.example.\n"
	"d            NS    ns1.example.\n"
	"d            NS    ns.example.net.\n"
	"d      86400 DS    12345 13 2 "
	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
	"ns1.d        A     192.0.2.10\n"
	"ns1.d        AAAA  2001:db8::10\n"
	"ns.deep.d    A     192.0.2.11\n"
	"www.d        A     192.0.2.12\n"
	"s            NS    ns.s.example.\n"
	"ns.s         A     192.0.2.20\n"
	"o            NS    ns.example.net.\n"
	"o            NS    ns.example.org.\n";

/* ---- positive answers ---- */

static void test_answer_types(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	EXPECT(z, "example.", ZW_T_SOA, ANSWER("example.", ZW_T_SOA, 1, 3600));
	EXPECT(z, "example.", ZW_T_NS, ANSWER("example.", ZW_T_NS, 2, 3600));
	EXPECT(z, "example.", ZW_T_MX, ANSWER("example.", ZW_T_MX, 1, 3600));
	EXPECT(z, "example.", ZW_T_TXT, ANSWER("example.", ZW_T_TXT, 1, 600));
	EXPECT(z, "ns1.example.", ZW_T_A, ANSWER("ns1.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "mail.example.", ZW_T_A, ANSWER("mail.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "a.b.c.example.", ZW_T_A, ANSWER("a.b.c.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "x.y.z.deep.example.", ZW_T_A, ANSWER("x.y.z.deep.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "deep.example.", ZW_T_TXT, ANSWER("deep.example.", ZW_T_TXT, 1, 3600));
	zw_image_close(z);
}

static void test_answer_several_rrsets(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	EXPECT(z, "www.example.", ZW_T_A, ANSWER("www.example.", ZW_T_A, 2, 300));
	EXPECT(z, "www.example.", ZW_T_AAAA, ANSWER("www.example.", ZW_T_AAAA, 1, 7200));
	EXPECT(z, "www.example.", ZW_T_TXT, ANSWER("www.example.", ZW_T_TXT, 1, 3600));
	EXPECT(z, "www.example.", ZW_T_MX, NODATA("www.example."));

	/* the three answers come from one node, as three RRsets */
	struct zw_lookup a, aaaa, txt;
	struct qname q = qn("www.example.");
	zw_lookup_zone(z, q.w, q.len, ZW_T_A, &a);
	zw_lookup_zone(z, q.w, q.len, ZW_T_AAAA, &aaaa);
	zw_lookup_zone(z, q.w, q.len, ZW_T_TXT, &txt);
	CU_ASSERT(a.node == aaaa.node && a.node == txt.node);
	CU_ASSERT_FATAL(a.node != NULL);
	CU_ASSERT(a.node->rrset_count == 3);
	CU_ASSERT(a.rrset != aaaa.rrset && a.rrset != txt.rrset && aaaa.rrset != txt.rrset);
	zw_image_close(z);
}

static void test_answer_ttls(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* explicit, $TTL default, per-RRset */
	EXPECT(z, "www.example.", ZW_T_A, ANSWER("www.example.", ZW_T_A, 2, 300));
	EXPECT(z, "www.example.", ZW_T_TXT, ANSWER("www.example.", ZW_T_TXT, 1, 3600));
	EXPECT(z, "alias2.example.", ZW_T_CNAME, ANSWER("alias2.example.", ZW_T_CNAME, 1, 60));
	/* RFC 2181 5.2: one TTL per RRset; the compiler keeps the lowest */
	EXPECT(z, "mixed.example.", ZW_T_A, ANSWER("mixed.example.", ZW_T_A, 2, 100));
	/* duplicate RRs are one RR */
	EXPECT(z, "dup.example.", ZW_T_A, ANSWER("dup.example.", ZW_T_A, 1, 3600));
	zw_image_close(z);
}

/* ---- NODATA ---- */

static void test_nodata(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* a name with data, not of this type */
	EXPECT(z, "www.example.", ZW_T_MX, NODATA("www.example."));
	EXPECT(z, "mail.example.", ZW_T_AAAA, NODATA("mail.example."));
	EXPECT(z, "www.example.", ZW_T_CNAME, NODATA("www.example."));
	EXPECT(z, "www.example.", ZW_T_DS, NODATA("www.example."));
	/* the apex */
	EXPECT(z, "example.", ZW_T_A, NODATA("example."));
	EXPECT(z, "example.", ZW_T_DS, NODATA("example."));
	EXPECT(z, "example.", ZW_T_CNAME, NODATA("example."));
	/* empty non-terminals: only a.b.c.example. and x.y.z.deep.example. exist */
	EXPECT(z, "c.example.", ZW_T_A, NODATA("c.example."));
	EXPECT(z, "b.c.example.", ZW_T_A, NODATA("b.c.example."));
	EXPECT(z, "b.c.example.", ZW_T_TXT, NODATA("b.c.example."));
	EXPECT(z, "z.deep.example.", ZW_T_A, NODATA("z.deep.example."));
	EXPECT(z, "y.z.deep.example.", ZW_T_AAAA, NODATA("y.z.deep.example."));
	/* a name with data above an ENT */
	EXPECT(z, "deep.example.", ZW_T_A, NODATA("deep.example."));
	zw_image_close(z);
}

/* ---- NXDOMAIN ---- */

static void test_nxdomain_encloser(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* one label below the apex */
	EXPECT(z, "nope.example.", ZW_T_A, NXDOMAIN("example."));
	EXPECT(z, "a.nope.example.", ZW_T_A, NXDOMAIN("example."));
	EXPECT(z, "1.2.3.4.5.6.example.", ZW_T_TXT, NXDOMAIN("example."));
	/* below a name with data */
	EXPECT(z, "nope.www.example.", ZW_T_A, NXDOMAIN("www.example."));
	EXPECT(z, "x.nope.www.example.", ZW_T_AAAA, NXDOMAIN("www.example."));
	/* below empty non-terminals, at several depths */
	EXPECT(z, "nope.c.example.", ZW_T_A, NXDOMAIN("c.example."));
	EXPECT(z, "nope.b.c.example.", ZW_T_A, NXDOMAIN("b.c.example."));
	EXPECT(z, "q.nope.b.c.example.", ZW_T_MX, NXDOMAIN("b.c.example."));
	EXPECT(z, "nope.a.b.c.example.", ZW_T_A, NXDOMAIN("a.b.c.example."));
	EXPECT(z, "w.x.y.z.deep.example.", ZW_T_A, NXDOMAIN("x.y.z.deep.example."));
	EXPECT(z, "nope.z.deep.example.", ZW_T_A, NXDOMAIN("z.deep.example."));
	EXPECT(z, "nope.deep.example.", ZW_T_A, NXDOMAIN("deep.example."));
	/* names sharing a suffix of bytes, not of labels */
	EXPECT(z, "xwww.example.", ZW_T_A, NXDOMAIN("example."));
	EXPECT(z, "ww.example.", ZW_T_A, NXDOMAIN("example."));
	/* below a CNAME owner (RFC 1034 4.3.2: no match, no wildcard) */
	EXPECT(z, "x.alias.example.", ZW_T_A, NXDOMAIN("alias.example."));
	zw_image_close(z);
}

/* ---- CNAME ---- */

static void test_cname(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 1034 4.3.2 step 3a: a CNAME at the name, type not CNAME */
	EXPECT(z, "alias.example.", ZW_T_A, .shape = ZW_SHAPE_CNAME, .node = "alias.example.",
	       .type = ZW_T_CNAME, .count = 1, .ttl = 3600, .encloser = "alias.example.");
	EXPECT(z, "alias.example.", ZW_T_TXT, .shape = ZW_SHAPE_CNAME, .node = "alias.example.",
	       .type = ZW_T_CNAME, .count = 1, .ttl = 3600, .encloser = "alias.example.");
	EXPECT(z, "alias.example.", ZW_T_DS, .shape = ZW_SHAPE_CNAME, .node = "alias.example.",
	       .type = ZW_T_CNAME, .count = 1, .ttl = 3600, .encloser = "alias.example.");
	EXPECT(z, "alias2.example.", ZW_T_AAAA, .shape = ZW_SHAPE_CNAME, .node = "alias2.example.",
	       .type = ZW_T_CNAME, .count = 1, .ttl = 60, .encloser = "alias2.example.");
	/* the CNAME itself asked for: a plain answer */
	EXPECT(z, "alias.example.", ZW_T_CNAME, ANSWER("alias.example.", ZW_T_CNAME, 1, 3600));
	EXPECT(z, "alias2.example.", ZW_T_CNAME, ANSWER("alias2.example.", ZW_T_CNAME, 1, 60));
	zw_image_close(z);
}

/* ---- DNAME ---- */

static void test_dname(void)
{
	struct zw_image *z = compile_zone("example.", basic_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 6672 2.3: the owner itself is not redirected */
	EXPECT(z, "dn.example.", ZW_T_A, ANSWER("dn.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "dn.example.", ZW_T_DNAME, ANSWER("dn.example.", ZW_T_DNAME, 1, 3600));
	EXPECT(z, "dn.example.", ZW_T_TXT, NODATA("dn.example."));
	/* names below it are, whatever the type (DNAME included) */
	EXPECT(z, "foo.dn.example.", ZW_T_A, .shape = ZW_SHAPE_DNAME, .node = "dn.example.",
	       .type = ZW_T_DNAME, .count = 1, .ttl = 3600, .encloser = "dn.example.");
	EXPECT(z, "a.b.c.dn.example.", ZW_T_MX, .shape = ZW_SHAPE_DNAME, .node = "dn.example.",
	       .type = ZW_T_DNAME, .count = 1, .ttl = 3600, .encloser = "dn.example.");
	EXPECT(z, "foo.dn.example.", ZW_T_DNAME, .shape = ZW_SHAPE_DNAME, .node = "dn.example.",
	       .type = ZW_T_DNAME, .count = 1, .ttl = 3600, .encloser = "dn.example.");
	EXPECT(z, "foo.dn.example.", ZW_T_CNAME, .shape = ZW_SHAPE_DNAME, .node = "dn.example.",
	       .type = ZW_T_DNAME, .count = 1, .ttl = 3600, .encloser = "dn.example.");
	/* a sibling sharing a byte suffix is not below it */
	EXPECT(z, "xdn.example.", ZW_T_A, NXDOMAIN("example."));
	zw_image_close(z);
}

static void test_dname_at_apex(void)
{
	struct zw_image *z = compile_zone("dn.test.", "$ORIGIN dn.test.\n"
						      "$TTL 3600\n"
						      "@ SOA " SOA_RDATA "\n"
						      "@ NS  ns.example.net.\n"
						      "@ DNAME example.net.\n");
	CU_ASSERT_FATAL(z != NULL);

	EXPECT(z, "dn.test.", ZW_T_SOA, ANSWER("dn.test.", ZW_T_SOA, 1, 3600));
	EXPECT(z, "dn.test.", ZW_T_DNAME, ANSWER("dn.test.", ZW_T_DNAME, 1, 3600));
	EXPECT(z, "dn.test.", ZW_T_A, NODATA("dn.test."));
	EXPECT(z, "www.dn.test.", ZW_T_A, .shape = ZW_SHAPE_DNAME, .node = "dn.test.",
	       .type = ZW_T_DNAME, .count = 1, .encloser = "dn.test.");
	EXPECT(z, "a.b.dn.test.", ZW_T_SOA, .shape = ZW_SHAPE_DNAME, .node = "dn.test.",
	       .type = ZW_T_DNAME, .count = 1, .encloser = "dn.test.");
	zw_image_close(z);
}

/* ---- wildcards (RFC 4592) ---- */

#define WILD(node_, type_, count_, encloser_)                                                      \
	.shape = ZW_SHAPE_ANSWER, .wildcard = true, .node = (node_), .type = (type_),              \
	.count = (count_), .ttl = 3600, .encloser = (encloser_)

static void test_wildcard_rfc4592_synthesised(void)
{
	struct zw_image *z = compile_zone("example.", rfc4592_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 4592 2.2.1, "the following responses would be synthesized" */
	EXPECT(z, "host3.example.", ZW_T_MX, WILD("*.example.", ZW_T_MX, 1, "example."));
	EXPECT(z, "host3.example.", ZW_T_A, .shape = ZW_SHAPE_NODATA, .wildcard = true,
	       .node = "*.example.", .encloser = "example.");
	EXPECT(z, "foo.bar.example.", ZW_T_TXT, WILD("*.example.", ZW_T_TXT, 1, "example."));
	/* more of the same */
	EXPECT(z, "host3.example.", ZW_T_TXT, WILD("*.example.", ZW_T_TXT, 1, "example."));
	EXPECT(z, "foo.bar.example.", ZW_T_MX, WILD("*.example.", ZW_T_MX, 1, "example."));
	EXPECT(z, "a.b.c.d.e.example.", ZW_T_TXT, WILD("*.example.", ZW_T_TXT, 1, "example."));
	EXPECT(z, "host3.example.", ZW_T_CNAME, .shape = ZW_SHAPE_NODATA, .wildcard = true,
	       .node = "*.example.", .encloser = "example.");
	EXPECT(z, "host3.example.", ZW_T_DS, .shape = ZW_SHAPE_NODATA, .wildcard = true,
	       .node = "*.example.", .encloser = "example.");
	zw_image_close(z);
}

static void test_wildcard_rfc4592_not_synthesised(void)
{
	struct zw_image *z = compile_zone("example.", rfc4592_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 4592 2.2.1, "the following responses would not be synthesized" */
	/* host1.example. exists */
	EXPECT(z, "host1.example.", ZW_T_MX, NODATA("host1.example."));
	/* sub.*.example. exists */
	EXPECT(z, "sub.*.example.", ZW_T_MX, NODATA("sub.*.example."));
	/* _tcp.host1.example. exists (without data): no *._tcp.host1.example. */
	EXPECT(z, "_telnet._tcp.host1.example.", ZW_T_SRV, NXDOMAIN("_tcp.host1.example."));
	/* subdel.example. exists and is a zone cut */
	EXPECT(z, "host.subdel.example.", ZW_T_A, .shape = ZW_SHAPE_REFERRAL,
	       .node = "subdel.example.", .type = ZW_T_NS, .count = 2, .ttl = 3600,
	       .encloser = "subdel.example.");
	/* *.example. exists: the closest encloser, and it has no '*' child */
	EXPECT(z, "ghost.*.example.", ZW_T_MX, NXDOMAIN("*.example."));

	/* the names that do exist answer as themselves */
	EXPECT(z, "host1.example.", ZW_T_A, ANSWER("host1.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "sub.*.example.", ZW_T_TXT, ANSWER("sub.*.example.", ZW_T_TXT, 1, 3600));
	EXPECT(z, "_ssh._tcp.host1.example.", ZW_T_SRV,
	       ANSWER("_ssh._tcp.host1.example.", ZW_T_SRV, 1, 3600));
	EXPECT(z, "_ssh._tcp.host2.example.", ZW_T_SRV,
	       ANSWER("_ssh._tcp.host2.example.", ZW_T_SRV, 1, 3600));
	/* the wildcard owner asked for by name: RFC 4592 2.1.1, no synthesis */
	EXPECT(z, "*.example.", ZW_T_TXT, ANSWER("*.example.", ZW_T_TXT, 1, 3600));
	EXPECT(z, "*.example.", ZW_T_A, NODATA("*.example."));
	/* the empty non-terminals block the wildcard (RFC 4592 2.2.2, 3.3.1) */
	EXPECT(z, "_tcp.host1.example.", ZW_T_A, NODATA("_tcp.host1.example."));
	EXPECT(z, "host2.example.", ZW_T_MX, NODATA("host2.example."));
	EXPECT(z, "_tcp.host2.example.", ZW_T_TXT, NODATA("_tcp.host2.example."));
	EXPECT(z, "foo.host2.example.", ZW_T_MX, NXDOMAIN("host2.example."));
	EXPECT(z, "_udp._tcp.host2.example.", ZW_T_TXT, NXDOMAIN("_tcp.host2.example."));
	EXPECT(z, "foo.host1.example.", ZW_T_MX, NXDOMAIN("host1.example."));
	/* names below a non-wildcard below the wildcard */
	EXPECT(z, "a.sub.*.example.", ZW_T_TXT, NXDOMAIN("sub.*.example."));
	/* the cut itself, and a type the parent holds (no DS here) */
	EXPECT(z, "subdel.example.", ZW_T_MX, .shape = ZW_SHAPE_REFERRAL, .node = "subdel.example.",
	       .type = ZW_T_NS, .count = 2, .encloser = "subdel.example.");
	EXPECT(z, "subdel.example.", ZW_T_DS, NODATA("subdel.example."));
	zw_image_close(z);
}

static void test_wildcard_mx_extra(void)
{
	struct zw_image *z = compile_zone("example.", rfc4592_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* the synthesised MX keeps the additional A of its in-zone exchange */
	const struct zw_img_rrset *mx = rrset_at(z, "*.example.", ZW_T_MX);
	CU_ASSERT(extra_count(z, mx) == 1);
	CU_ASSERT(extra_required(z, mx) == 0);
	CU_ASSERT(in_extra(z, mx, "host1.example.", ZW_T_A) == 0);
	/* so does the SRV; a target without addresses adds nothing */
	const struct zw_img_rrset *srv = rrset_at(z, "_ssh._tcp.host1.example.", ZW_T_SRV);
	CU_ASSERT(extra_count(z, srv) == 1);
	CU_ASSERT(in_extra(z, srv, "host1.example.", ZW_T_A) == 0);
	CU_ASSERT(zw_rrset_extra(z, rrset_at(z, "_ssh._tcp.host2.example.", ZW_T_SRV)) == NULL);
	/* NS RRsets naming out-of-zone servers carry no additional data */
	CU_ASSERT(zw_rrset_extra(z, rrset_at(z, "subdel.example.", ZW_T_NS)) == NULL);
	CU_ASSERT(zw_rrset_extra(z, rrset_at(z, "example.", ZW_T_NS)) == NULL);
	zw_image_close(z);
}

static void test_wildcard_cname_and_nodata(void)
{
	struct zw_image *z = compile_zone("example.", wild_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 4592 4.3: a wildcard CNAME is synthesised like any other type */
	EXPECT(z, "foo.cn.example.", ZW_T_A, .shape = ZW_SHAPE_CNAME, .wildcard = true,
	       .node = "*.cn.example.", .type = ZW_T_CNAME, .count = 1, .ttl = 120,
	       .encloser = "cn.example.");
	EXPECT(z, "a.b.cn.example.", ZW_T_MX, .shape = ZW_SHAPE_CNAME, .wildcard = true,
	       .node = "*.cn.example.", .type = ZW_T_CNAME, .count = 1, .ttl = 120,
	       .encloser = "cn.example.");
	EXPECT(z, "foo.cn.example.", ZW_T_CNAME, .shape = ZW_SHAPE_ANSWER, .wildcard = true,
	       .node = "*.cn.example.", .type = ZW_T_CNAME, .count = 1, .ttl = 120,
	       .encloser = "cn.example.");
	/* the wildcard's parent is an empty non-terminal */
	EXPECT(z, "cn.example.", ZW_T_A, NODATA("cn.example."));
	EXPECT(z, "w.example.", ZW_T_A, NODATA("w.example."));

	/* wildcard with several RRsets: answer and wildcard NODATA */
	EXPECT(z, "x.w.example.", ZW_T_A, WILD("*.w.example.", ZW_T_A, 1, "w.example."));
	EXPECT(z, "x.w.example.", ZW_T_AAAA, WILD("*.w.example.", ZW_T_AAAA, 1, "w.example."));
	EXPECT(z, "x.w.example.", ZW_T_TXT, .shape = ZW_SHAPE_NODATA, .wildcard = true,
	       .node = "*.w.example.", .encloser = "w.example.");
	EXPECT(z, "x.y.w.example.", ZW_T_A, WILD("*.w.example.", ZW_T_A, 1, "w.example."));
	/* an existing sibling of the wildcard is not synthesised */
	EXPECT(z, "exists.w.example.", ZW_T_A, NODATA("exists.w.example."));
	EXPECT(z, "exists.w.example.", ZW_T_TXT, ANSWER("exists.w.example.", ZW_T_TXT, 1, 3600));
	EXPECT(z, "x.exists.w.example.", ZW_T_A, NXDOMAIN("exists.w.example."));
	/* a wildcard one level below does not cover the apex's children */
	EXPECT(z, "x.example.", ZW_T_A, NXDOMAIN("example."));

	/* RFC 4592 4.9: an empty non-terminal wildcard matches, with no data */
	EXPECT(z, "foo.ent.example.", ZW_T_TXT, .shape = ZW_SHAPE_NODATA, .wildcard = true,
	       .node = "*.ent.example.", .encloser = "ent.example.");
	EXPECT(z, "*.ent.example.", ZW_T_TXT, NODATA("*.ent.example."));
	EXPECT(z, "a.*.ent.example.", ZW_T_TXT, ANSWER("a.*.ent.example.", ZW_T_TXT, 1, 3600));
	EXPECT(z, "b.*.ent.example.", ZW_T_TXT, NXDOMAIN("*.ent.example."));
	zw_image_close(z);
}

/* ---- delegations ---- */

#define REFERRAL(cut_, count_)                                                                     \
	.shape = ZW_SHAPE_REFERRAL, .node = (cut_), .type = ZW_T_NS, .count = (count_),            \
	.ttl = 3600, .encloser = (cut_)

static void test_referral(void)
{
	struct zw_image *z = compile_zone("example.", deleg_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 1034 4.3.2 step 3b: at the cut, for any type but DS */
	EXPECT(z, "d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "d.example.", ZW_T_NS, REFERRAL("d.example.", 5));
	EXPECT(z, "d.example.", ZW_T_SOA, REFERRAL("d.example.", 5));
	EXPECT(z, "d.example.", ZW_T_CNAME, REFERRAL("d.example.", 5));
	/* below the cut: missing names, occluded data, glue owners, ENTs */
	EXPECT(z, "nope.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "a.b.c.d.example.", ZW_T_MX, REFERRAL("d.example.", 5));
	EXPECT(z, "www.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "ns1.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "ns1.d.example.", ZW_T_AAAA, REFERRAL("d.example.", 5));
	EXPECT(z, "ns1.d.example.", ZW_T_MX, REFERRAL("d.example.", 5));
	EXPECT(z, "ns1.d.example.", ZW_T_DS, REFERRAL("d.example.", 5));
	EXPECT(z, "x.ns1.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "deep.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "deep.d.example.", ZW_T_DS, REFERRAL("d.example.", 5));
	EXPECT(z, "ns.deep.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "x.ns.deep.d.example.", ZW_T_A, REFERRAL("d.example.", 5));
	EXPECT(z, "s.example.", ZW_T_A, REFERRAL("s.example.", 1));
	EXPECT(z, "ns.s.example.", ZW_T_A, REFERRAL("s.example.", 1));
	EXPECT(z, "o.example.", ZW_T_TXT, REFERRAL("o.example.", 2));
	EXPECT(z, "www.o.example.", ZW_T_A, REFERRAL("o.example.", 2));
	/* the parent's own data next to the cuts */
	EXPECT(z, "ns1.example.", ZW_T_A, ANSWER("ns1.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "example.", ZW_T_NS, ANSWER("example.", ZW_T_NS, 2, 3600));
	EXPECT(z, "xd.example.", ZW_T_A, NXDOMAIN("example."));
	zw_image_close(z);
}

static void test_referral_ds(void)
{
	struct zw_image *z = compile_zone("example.", deleg_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* RFC 4035 3.1.4.1: DS is answered from the parent side of the cut */
	EXPECT(z, "d.example.", ZW_T_DS, ANSWER("d.example.", ZW_T_DS, 1, 86400));
	EXPECT(z, "s.example.", ZW_T_DS, NODATA("s.example."));
	EXPECT(z, "o.example.", ZW_T_DS, NODATA("o.example."));
	zw_image_close(z);
}

static void test_referral_glue(void)
{
	struct zw_image *z = compile_zone("example.", deleg_zone);
	CU_ASSERT_FATAL(z != NULL);

	/* d.: in-domain glue required; an in-zone server's address optional;
	 * sibling glue (ns.s.example., below another cut) left out */
	const struct zw_img_rrset *ns = rrset_at(z, "d.example.", ZW_T_NS);
	CU_ASSERT(extra_count(z, ns) == 4);
	CU_ASSERT(extra_required(z, ns) == 3);
	CU_ASSERT(in_extra(z, ns, "ns1.d.example.", ZW_T_A) == 1);
	CU_ASSERT(in_extra(z, ns, "ns1.d.example.", ZW_T_AAAA) == 1);
	CU_ASSERT(in_extra(z, ns, "ns.deep.d.example.", ZW_T_A) == 1);
	CU_ASSERT(in_extra(z, ns, "ns1.example.", ZW_T_A) == 0);
	/* sibling glue: kept in the image for s., not listed for d. */
	CU_ASSERT(rrset_find(z, "ns.s.example.", ZW_T_A) != NULL);
	CU_ASSERT(in_extra(z, ns, "ns.s.example.", ZW_T_A) == -1);
	/* occluded data below the cut is not glue and not in the image */
	CU_ASSERT(rrset_find(z, "www.d.example.", ZW_T_A) == NULL);
	/* not a server of d. */
	CU_ASSERT(in_extra(z, ns, "ns2.example.", ZW_T_A) == -1);

	/* the referral returns that very RRset */
	struct zw_lookup l;
	struct qname q = qn("www.d.example.");
	zw_lookup_zone(z, q.w, q.len, ZW_T_A, &l);
	CU_ASSERT(l.rrset == ns);

	/* s.: its own in-domain glue, required */
	const struct zw_img_rrset *sns = rrset_at(z, "s.example.", ZW_T_NS);
	CU_ASSERT(extra_count(z, sns) == 1);
	CU_ASSERT(extra_required(z, sns) == 1);
	CU_ASSERT(in_extra(z, sns, "ns.s.example.", ZW_T_A) == 1);

	/* o.: out-of-zone servers only, nothing to add */
	CU_ASSERT(zw_rrset_extra(z, rrset_at(z, "o.example.", ZW_T_NS)) == NULL);

	/* the apex NS is not a cut: its addresses are never required */
	const struct zw_img_rrset *ans = rrset_at(z, "example.", ZW_T_NS);
	CU_ASSERT(extra_count(z, ans) == 3);
	CU_ASSERT(extra_required(z, ans) == 0);
	CU_ASSERT(in_extra(z, ans, "ns1.example.", ZW_T_A) == 0);
	CU_ASSERT(in_extra(z, ans, "ns2.example.", ZW_T_A) == 0);
	CU_ASSERT(in_extra(z, ans, "ns2.example.", ZW_T_AAAA) == 0);
	zw_image_close(z);
}

/* Data below a cut that is not glue is occluded, wildcards included, even
 * next to glue the cut needs. */
static void test_referral_occluded_wildcard(void)
{
	struct zw_image *z = compile_zone("example.", "$ORIGIN example.\n"
						      "$TTL 3600\n"
						      "@          SOA   " SOA_RDATA "\n"
						      "@          NS    ns.example.net.\n"
						      "d          NS    ns.x.d.example.\n"
						      "ns.x.d     A     192.0.2.10\n"
						      "*.x.d      A     192.0.2.11\n"
						      "*.d        TXT   \"occluded\"\n");
	CU_ASSERT_FATAL(z != NULL);

	EXPECT(z, "d.example.", ZW_T_A, REFERRAL("d.example.", 1));
	EXPECT(z, "foo.d.example.", ZW_T_TXT, REFERRAL("d.example.", 1));
	EXPECT(z, "x.d.example.", ZW_T_A, REFERRAL("d.example.", 1));
	EXPECT(z, "foo.x.d.example.", ZW_T_A, REFERRAL("d.example.", 1));
	EXPECT(z, "ns.x.d.example.", ZW_T_A, REFERRAL("d.example.", 1));
	const struct zw_img_rrset *ns = rrset_at(z, "d.example.", ZW_T_NS);
	CU_ASSERT(extra_count(z, ns) == 1);
	CU_ASSERT(in_extra(z, ns, "ns.x.d.example.", ZW_T_A) == 1);
	CU_ASSERT(rrset_find(z, "*.x.d.example.", ZW_T_A) == NULL);
	CU_ASSERT(rrset_find(z, "*.d.example.", ZW_T_TXT) == NULL);
	zw_image_close(z);
}

/* ---- zone sets ---- */

static const char set_example[] =
	"$ORIGIN example.\n"
	"$TTL 3600\n"
	"@        SOA  " SOA_RDATA "\n"
	"@        NS   ns1.example.\n"
	"ns1      A    192.0.2.1\n"
	"www      A    192.0.2.2\n"
	"sub      NS   ns1.sub.example.\n"
	"sub 7200 DS   12345 13 2 "
	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
	"ns1.sub  A    192.0.2.10\n";

static const char set_sub[] = "$ORIGIN sub.example.\n"
			      "$TTL 3600\n"
			      "@        SOA  " SOA_RDATA "\n"
			      "@        NS   ns1.sub.example.\n"
			      "ns1      A    192.0.2.10\n"
			      "www      A    192.0.2.11\n"
			      "a.b      NS   ns.example.net.\n";

static const char set_ab[] = "$ORIGIN a.b.sub.example.\n"
			     "$TTL 3600\n"
			     "@        SOA  " SOA_RDATA "\n"
			     "@        NS   ns.example.net.\n"
			     "www      A    192.0.2.30\n";

static const char set_other[] = "$ORIGIN other.\n"
				"$TTL 3600\n"
				"@        SOA  " SOA_RDATA "\n"
				"@        NS   ns.example.net.\n"
				"www      A    192.0.2.40\n";

struct four {
	struct zw_image *ex, *sub, *ab, *other;
	struct zw_zoneset *zs;
};

static void four_load(struct four *f)
{
	f->ex = compile_zone("example.", set_example);
	f->sub = compile_zone("sub.example.", set_sub);
	f->ab = compile_zone("a.b.sub.example.", set_ab);
	f->other = compile_zone("other.", set_other);
	CU_ASSERT_FATAL(f->ex != NULL && f->sub != NULL && f->ab != NULL && f->other != NULL);
	/* deliberately not in origin order */
	struct zw_image *imgs[4] = { f->sub, f->other, f->ex, f->ab };
	f->zs = zw_zoneset_create(imgs, 4);
	CU_ASSERT_FATAL(f->zs != NULL);
}

static void four_free(struct four *f)
{
	zw_zoneset_free(f->zs);
	zw_image_close(f->ex);
	zw_image_close(f->sub);
	zw_image_close(f->ab);
	zw_image_close(f->other);
}

static const struct zw_image *find(const struct zw_zoneset *zs, const char *name, bool parent)
{
	struct qname q = qn(name);

	return zw_zoneset_find(zs, q.w, q.len, parent);
}

static void test_zoneset_basics(void)
{
	struct four f;

	four_load(&f);
	CU_ASSERT(zw_zoneset_count(f.zs) == 4);
	CU_ASSERT(zw_zoneset_get(f.zs, 0) == f.sub);
	CU_ASSERT(zw_zoneset_get(f.zs, 1) == f.other);
	CU_ASSERT(zw_zoneset_get(f.zs, 2) == f.ex);
	CU_ASSERT(zw_zoneset_get(f.zs, 3) == f.ab);
	CU_ASSERT(zw_zoneset_get(f.zs, 4) == NULL);
	four_free(&f);

	/* an empty set knows nothing */
	struct zw_zoneset *zs = zw_zoneset_create(NULL, 0);
	CU_ASSERT_FATAL(zs != NULL);
	CU_ASSERT(zw_zoneset_count(zs) == 0);
	CU_ASSERT(zw_zoneset_get(zs, 0) == NULL);
	CU_ASSERT(find(zs, "www.example.", false) == NULL);
	EXPECT_SET(zs, "www.example.", ZW_T_A, .shape = ZW_SHAPE_NOTAUTH);
	zw_zoneset_free(zs);
	zw_zoneset_free(NULL);
}

static void test_zoneset_longest_origin(void)
{
	struct four f;

	four_load(&f);
	CU_ASSERT(find(f.zs, "example.", false) == f.ex);
	CU_ASSERT(find(f.zs, "www.example.", false) == f.ex);
	CU_ASSERT(find(f.zs, "xsub.example.", false) == f.ex);
	CU_ASSERT(find(f.zs, "ub.example.", false) == f.ex);
	CU_ASSERT(find(f.zs, "sub.example.", false) == f.sub);
	CU_ASSERT(find(f.zs, "www.sub.example.", false) == f.sub);
	CU_ASSERT(find(f.zs, "b.sub.example.", false) == f.sub);
	CU_ASSERT(find(f.zs, "x.b.sub.example.", false) == f.sub);
	CU_ASSERT(find(f.zs, "a.b.sub.example.", false) == f.ab);
	CU_ASSERT(find(f.zs, "x.y.a.b.sub.example.", false) == f.ab);
	CU_ASSERT(find(f.zs, "other.", false) == f.other);
	CU_ASSERT(find(f.zs, "www.other.", false) == f.other);
	CU_ASSERT(find(f.zs, "com.", false) == NULL);
	CU_ASSERT(find(f.zs, ".", false) == NULL);
	CU_ASSERT(find(f.zs, "example.com.", false) == NULL);
	CU_ASSERT(find(f.zs, "sub.example.com.", false) == NULL);
	CU_ASSERT(find(f.zs, "xexample.", false) == NULL);
	/* parent side: a zone whose origin is the name gives way to its parent */
	CU_ASSERT(find(f.zs, "sub.example.", true) == f.ex);
	CU_ASSERT(find(f.zs, "a.b.sub.example.", true) == f.sub);
	CU_ASSERT(find(f.zs, "www.sub.example.", true) == f.sub);
	/* ... unless there is no parent */
	CU_ASSERT(find(f.zs, "example.", true) == f.ex);
	CU_ASSERT(find(f.zs, "other.", true) == f.other);
	CU_ASSERT(find(f.zs, "com.", true) == NULL);
	four_free(&f);
}

static void test_zoneset_lookup(void)
{
	struct four f;

	four_load(&f);
	EXPECT_SET(f.zs, "www.example.", ZW_T_A, ANSWER("www.example.", ZW_T_A, 1, 3600),
		   .zone = f.ex);
	EXPECT_SET(f.zs, "www.sub.example.", ZW_T_A, ANSWER("www.sub.example.", ZW_T_A, 1, 3600),
		   .zone = f.sub);
	/* the child's apex is answered by the child, NS included */
	EXPECT_SET(f.zs, "sub.example.", ZW_T_SOA, ANSWER("sub.example.", ZW_T_SOA, 1, 3600),
		   .zone = f.sub);
	EXPECT_SET(f.zs, "sub.example.", ZW_T_NS, ANSWER("sub.example.", ZW_T_NS, 1, 3600),
		   .zone = f.sub);
	EXPECT_SET(f.zs, "sub.example.", ZW_T_A, NODATA("sub.example."), .zone = f.sub);
	EXPECT_SET(f.zs, "ns1.sub.example.", ZW_T_A, ANSWER("ns1.sub.example.", ZW_T_A, 1, 3600),
		   .zone = f.sub);
	EXPECT_SET(f.zs, "nope.sub.example.", ZW_T_A, NXDOMAIN("sub.example."), .zone = f.sub);
	EXPECT_SET(f.zs, "b.sub.example.", ZW_T_A, NODATA("b.sub.example."), .zone = f.sub);
	EXPECT_SET(f.zs, "www.a.b.sub.example.", ZW_T_A,
		   ANSWER("www.a.b.sub.example.", ZW_T_A, 1, 3600), .zone = f.ab);
	EXPECT_SET(f.zs, "x.a.b.sub.example.", ZW_T_A, NXDOMAIN("a.b.sub.example."), .zone = f.ab);
	EXPECT_SET(f.zs, "www.other.", ZW_T_A, ANSWER("www.other.", ZW_T_A, 1, 3600),
		   .zone = f.other);
	EXPECT_SET(f.zs, "xsub.example.", ZW_T_A, NXDOMAIN("example."), .zone = f.ex);
	/* outside every zone: REFUSED */
	EXPECT_SET(f.zs, "www.example.com.", ZW_T_A, .shape = ZW_SHAPE_NOTAUTH);
	EXPECT_SET(f.zs, "com.", ZW_T_NS, .shape = ZW_SHAPE_NOTAUTH);
	EXPECT_SET(f.zs, ".", ZW_T_NS, .shape = ZW_SHAPE_NOTAUTH);
	EXPECT_SET(f.zs, "xexample.", ZW_T_DS, .shape = ZW_SHAPE_NOTAUTH);
	four_free(&f);
}

static void test_zoneset_ds_parent_side(void)
{
	struct four f;

	four_load(&f);
	/* RFC 4035 3.1.4.1: DS at a child's apex comes from the parent */
	EXPECT_SET(f.zs, "sub.example.", ZW_T_DS, ANSWER("sub.example.", ZW_T_DS, 1, 7200),
		   .zone = f.ex);
	EXPECT_SET(f.zs, "a.b.sub.example.", ZW_T_DS, NODATA("a.b.sub.example."), .zone = f.sub);
	/* other types at that name still come from the child */
	EXPECT_SET(f.zs, "a.b.sub.example.", ZW_T_SOA,
		   ANSWER("a.b.sub.example.", ZW_T_SOA, 1, 3600), .zone = f.ab);
	/* below the child's apex, DS is the child's business */
	EXPECT_SET(f.zs, "www.sub.example.", ZW_T_DS, NODATA("www.sub.example."), .zone = f.sub);
	EXPECT_SET(f.zs, "nope.sub.example.", ZW_T_DS, NXDOMAIN("sub.example."), .zone = f.sub);
	/* no parent loaded: the zone itself answers */
	EXPECT_SET(f.zs, "example.", ZW_T_DS, NODATA("example."), .zone = f.ex);
	EXPECT_SET(f.zs, "other.", ZW_T_DS, NODATA("other."), .zone = f.other);

	/* without the parent, the child answers DS at its own apex */
	struct zw_image *only[1] = { f.sub };
	struct zw_zoneset *zs = zw_zoneset_create(only, 1);
	CU_ASSERT_FATAL(zs != NULL);
	EXPECT_SET(zs, "sub.example.", ZW_T_DS, NODATA("sub.example."), .zone = f.sub);
	EXPECT_SET(zs, "www.example.", ZW_T_A, .shape = ZW_SHAPE_NOTAUTH);
	zw_zoneset_free(zs);
	four_free(&f);
}

static void test_zoneset_duplicate_origin(void)
{
	struct zw_image *ex = compile_zone("example.", set_example);
	struct zw_image *ex2 = compile_zone("example.", basic_zone);
	struct zw_image *other = compile_zone("other.", set_other);
	struct zw_image *upper = compile_zone("OTHER.", "$ORIGIN OTHER.\n"
							"$TTL 3600\n"
							"@ SOA " SOA_RDATA "\n"
							"@ NS  ns.example.net.\n");
	CU_ASSERT_FATAL(ex != NULL && ex2 != NULL && other != NULL && upper != NULL);

	struct zw_image *a[3] = { ex, other, ex2 };
	CU_ASSERT(zw_zoneset_create(a, 3) == NULL);
	struct zw_image *b[2] = { other, other };
	CU_ASSERT(zw_zoneset_create(b, 2) == NULL);
	/* origins compare without regard to letter case */
	struct zw_image *c[2] = { other, upper };
	CU_ASSERT(zw_zoneset_create(c, 2) == NULL);
	/* distinct origins are fine */
	struct zw_image *d[2] = { ex, other };
	struct zw_zoneset *zs = zw_zoneset_create(d, 2);
	CU_ASSERT(zs != NULL);
	zw_zoneset_free(zs);
	zw_image_close(ex);
	zw_image_close(ex2);
	zw_image_close(other);
	zw_image_close(upper);
}

#define MANY 40

static void test_zoneset_many(void)
{
	struct zw_image *imgs[MANY + 1];
	char origin[64], text[1024], name[128];

	for (unsigned i = 0; i < MANY; i++) {
		snprintf(origin, sizeof(origin), "z%u.test.", i);
		snprintf(text, sizeof(text),
			 "$ORIGIN %s\n$TTL 3600\n@ SOA " SOA_RDATA "\n"
			 "@ NS ns.example.net.\nwww A 192.0.2.%u\n",
			 origin, i + 1);
		imgs[i] = compile_zone(origin, text);
		CU_ASSERT_FATAL(imgs[i] != NULL);
	}
	imgs[MANY] = compile_zone("test.", "$ORIGIN test.\n$TTL 3600\n@ SOA " SOA_RDATA "\n"
					   "@ NS ns.example.net.\n");
	CU_ASSERT_FATAL(imgs[MANY] != NULL);
	struct zw_zoneset *zs = zw_zoneset_create(imgs, MANY + 1);
	CU_ASSERT_FATAL(zs != NULL);
	CU_ASSERT(zw_zoneset_count(zs) == MANY + 1);
	for (unsigned i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "www.z%u.test.", i);
		snprintf(origin, sizeof(origin), "z%u.test.", i);
		EXPECT_SET(zs, name, ZW_T_A, ANSWER(name, ZW_T_A, 1, 3600), .zone = imgs[i]);
		CU_ASSERT(find(zs, origin, false) == imgs[i]);
		CU_ASSERT(find(zs, origin, true) == imgs[MANY]);
	}
	CU_ASSERT(find(zs, "z40.test.", false) == imgs[MANY]);
	EXPECT_SET(zs, "www.z40.test.", ZW_T_A, NXDOMAIN("test."), .zone = imgs[MANY]);
	EXPECT_SET(zs, "z1.example.", ZW_T_A, .shape = ZW_SHAPE_NOTAUTH);
	zw_zoneset_free(zs);
	for (unsigned i = 0; i <= MANY; i++)
		zw_image_close(imgs[i]);
}

/* ---- letter case ---- */

static const char case_zone[] = "$ORIGIN Example.\n"
				"$TTL 3600\n"
				"@            SOA   NS1.Example. HostMaster.EXAMPLE. 1 7200 3600 "
				"1209600 300\n"
				"@            NS    NS1.Example.\n"
				"NS1          A     192.0.2.1\n"
				"WWW          A     192.0.2.2\n"
				"wWw          AAAA  2001:db8::2\n"
				"Mixed.CASE   A     192.0.2.3\n"
				"*.WildCard   TXT   \"wild\"\n"
				"Alias        CNAME WWW\n"
				"SUB          NS    NS.Sub.EXAMPLE.\n"
				"ns.SUB       A     192.0.2.4\n"
				"DN           DNAME Example.NET.\n";

static void test_letter_case(void)
{
	struct zw_image *z = compile_zone("EXAMPLE.", case_zone);
	CU_ASSERT_FATAL(z != NULL);

	struct qname o = qn("example.");
	CU_ASSERT(z->hdr->origin_len == o.len && memcmp(z->hdr->origin, o.w, o.len) == 0);
	EXPECT(z, "example.", ZW_T_SOA, ANSWER("example.", ZW_T_SOA, 1, 3600));
	EXPECT(z, "ns1.example.", ZW_T_A, ANSWER("ns1.example.", ZW_T_A, 1, 3600));
	/* WWW and wWw are one name with two RRsets */
	EXPECT(z, "www.example.", ZW_T_A, ANSWER("www.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "www.example.", ZW_T_AAAA, ANSWER("www.example.", ZW_T_AAAA, 1, 3600));
	EXPECT(z, "mixed.case.example.", ZW_T_A, ANSWER("mixed.case.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "case.example.", ZW_T_A, NODATA("case.example."));
	EXPECT(z, "x.wildcard.example.", ZW_T_TXT,
	       WILD("*.wildcard.example.", ZW_T_TXT, 1, "wildcard.example."));
	EXPECT(z, "alias.example.", ZW_T_A, .shape = ZW_SHAPE_CNAME, .node = "alias.example.",
	       .type = ZW_T_CNAME, .count = 1, .encloser = "alias.example.");
	EXPECT(z, "sub.example.", ZW_T_A, REFERRAL("sub.example.", 1));
	EXPECT(z, "ns.sub.example.", ZW_T_A, REFERRAL("sub.example.", 1));
	EXPECT(z, "a.dn.example.", ZW_T_A, .shape = ZW_SHAPE_DNAME, .node = "dn.example.",
	       .type = ZW_T_DNAME, .count = 1, .encloser = "dn.example.");
	EXPECT(z, "nope.mixed.case.example.", ZW_T_A, NXDOMAIN("mixed.case.example."));

	/* every node name in the image is lower case */
	for (uint32_t i = 0; i < z->hdr->node_count; i++) {
		uint8_t n[ZW_NAME_MAX + 1];
		unsigned len = zw_image_node_name(z, &z->nodes[i], n);
		for (unsigned k = 0; k < len; k++)
			CU_ASSERT(!(n[k] >= 'A' && n[k] <= 'Z'));
	}
	/* in-domain glue is recognised whatever the case of the NS target */
	const struct zw_img_rrset *ns = rrset_at(z, "sub.example.", ZW_T_NS);
	CU_ASSERT(extra_count(z, ns) == 1);
	CU_ASSERT(in_extra(z, ns, "ns.sub.example.", ZW_T_A) == 1);

	/* the query helper lower-cases, so mixed-case questions find the data */
	EXPECT(z, "WWW.EXAMPLE.", ZW_T_A, ANSWER("www.example.", ZW_T_A, 1, 3600));
	EXPECT(z, "Mixed.Case.Example.", ZW_T_A, ANSWER("MIXED.case.example.", ZW_T_A, 1, 3600));
	zw_image_close(z);
}

static void test_shape_names(void)
{
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_ANSWER), "answer");
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_CNAME), "cname");
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_DNAME), "dname");
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_REFERRAL), "referral");
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_NODATA), "nodata");
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_NXDOMAIN), "nxdomain");
	CU_ASSERT_STRING_EQUAL(zw_shape_name(ZW_SHAPE_NOTAUTH), "notauth");
	CU_ASSERT_STRING_EQUAL(zw_shape_name((enum zw_shape)99), "?");
}

static const struct zw_test_case cases[] = {
	ZW_TEST(test_answer_types),
	ZW_TEST(test_answer_several_rrsets),
	ZW_TEST(test_answer_ttls),
	ZW_TEST(test_nodata),
	ZW_TEST(test_nxdomain_encloser),
	ZW_TEST(test_cname),
	ZW_TEST(test_dname),
	ZW_TEST(test_dname_at_apex),
	ZW_TEST(test_wildcard_rfc4592_synthesised),
	ZW_TEST(test_wildcard_rfc4592_not_synthesised),
	ZW_TEST(test_wildcard_mx_extra),
	ZW_TEST(test_wildcard_cname_and_nodata),
	ZW_TEST(test_referral),
	ZW_TEST(test_referral_ds),
	ZW_TEST(test_referral_glue),
	ZW_TEST(test_referral_occluded_wildcard),
	ZW_TEST(test_zoneset_basics),
	ZW_TEST(test_zoneset_longest_origin),
	ZW_TEST(test_zoneset_lookup),
	ZW_TEST(test_zoneset_ds_parent_side),
	ZW_TEST(test_zoneset_duplicate_origin),
	ZW_TEST(test_zoneset_many),
	ZW_TEST(test_letter_case),
	ZW_TEST(test_shape_names),
	{ NULL, NULL },
};

int main(void)
{
	return zw_test_main("lookup", cases);
}
