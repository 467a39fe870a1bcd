/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the master-file reader: directives, syntax forms, exact RRs and
 * diagnostics, and the fast rdata path checked against ldns.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include "unit.h"
#include "zone_parse.h"
#include "zw_err.h"

/* ------------------------------------------------------------------ */
/* collection of what the parser delivers                              */

struct got_rr {
	uint8_t owner[256];
	size_t owner_len;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint8_t *rdata;
	size_t rdlen;
	char file[256];
	unsigned line;
};

struct got_diag {
	enum zw_diag_code code;
	enum zw_severity sev;
	char file[256];
	unsigned line;
	char msg[512];
};

static struct got_rr *rrs;
static size_t nrr, rrcap;
static struct got_diag *diags;
static size_t ndiag, diagcap;
static int stop_after; /* on_rr returns 42 after this many RRs if > 0 */

static void reset(void)
{
	for (size_t i = 0; i < nrr; i++)
		free(rrs[i].rdata);
	nrr = 0;
	ndiag = 0;
	stop_after = 0;
}

static int on_rr(void *ctx, const struct zw_rr *rr)
{
	struct got_rr *g;

	(void)ctx;
	if (nrr == rrcap) {
		rrcap = rrcap ? rrcap * 2 : 64;
		rrs = realloc(rrs, rrcap * sizeof(*rrs));
		if (rrs == NULL)
			abort();
	}
	g = &rrs[nrr];
	CU_ASSERT(rr->owner_len >= 1 && rr->owner_len <= 255);
	if (rr->owner_len < 1 || rr->owner_len > 255)
		return 0;
	nrr++;
	memcpy(g->owner, rr->owner, rr->owner_len);
	g->owner_len = rr->owner_len;
	g->type = rr->type;
	g->rclass = rr->rclass;
	g->ttl = rr->ttl;
	g->rdlen = rr->rdlen;
	g->rdata = malloc(rr->rdlen + 1);
	if (g->rdata == NULL)
		abort();
	memcpy(g->rdata, rr->rdata, rr->rdlen);
	snprintf(g->file, sizeof(g->file), "%s", rr->file ? rr->file : "");
	g->line = rr->line;
	if (stop_after > 0 && nrr >= (size_t)stop_after)
		return 42;
	return 0;
}

static void on_diag(void *ctx, const struct zw_diag *d)
{
	struct got_diag *g;

	(void)ctx;
	if (ndiag == diagcap) {
		diagcap = diagcap ? diagcap * 2 : 64;
		diags = realloc(diags, diagcap * sizeof(*diags));
		if (diags == NULL)
			abort();
	}
	g = &diags[ndiag++];
	g->code = d->code;
	g->sev = d->severity;
	snprintf(g->file, sizeof(g->file), "%s", d->file ? d->file : "");
	g->line = d->line;
	CU_ASSERT_PTR_NOT_NULL(d->msg);
	snprintf(g->msg, sizeof(g->msg), "%s", d->msg ? d->msg : "");
}

static struct zw_parse_opts base_opts(void)
{
	struct zw_parse_opts o = {
		.origin = "example.com.",
		.default_ttl = 3600,
		.on_rr = on_rr,
		.on_diag = on_diag,
	};
	return o;
}

static int parse_with(const char *text, const struct zw_parse_opts *o)
{
	reset();
	return zw_parse_buffer("test.zone", text, strlen(text), o);
}

static int parse(const char *text)
{
	struct zw_parse_opts o = base_opts();

	return parse_with(text, &o);
}

static size_t count_diag(enum zw_diag_code code)
{
	size_t n = 0;

	for (size_t i = 0; i < ndiag; i++)
		if (diags[i].code == code)
			n++;
	return n;
}

/* "www.example.com." -> wire; no escapes in expectations */
static size_t wire(const char *dotted, uint8_t *out)
{
	size_t w = 0;

	if (strcmp(dotted, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);

		out[w++] = (uint8_t)l;
		memcpy(out + w, dotted, l);
		w += l;
		dotted += l;
		if (*dotted == '.')
			dotted++;
	}
	out[w++] = 0;
	return w;
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	while (hex[0] && hex[1]) {
		unsigned v;

		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		sscanf(hex, "%2x", &v);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static bool owner_is(const struct got_rr *g, const char *dotted)
{
	uint8_t w[300];
	size_t l = wire(dotted, w);

	return g->owner_len == l && memcmp(g->owner, w, l) == 0;
}

static bool rdata_is(const struct got_rr *g, const char *hex)
{
	uint8_t b[70000];
	size_t l = unhex(hex, b);

	return g->rdlen == l && memcmp(g->rdata, b, l) == 0;
}

static bool rdata_is_name(const struct got_rr *g, const char *dotted)
{
	uint8_t w[300];
	size_t l = wire(dotted, w);

	return g->rdlen == l && memcmp(g->rdata, w, l) == 0;
}

#define CHECK_RR(i, own, typ, cls, tl, ln)                                                         \
	do {                                                                                       \
		CU_ASSERT_FATAL(nrr > (size_t)(i));                                                \
		CU_ASSERT(owner_is(&rrs[i], own));                                                 \
		CU_ASSERT_EQUAL(rrs[i].type, typ);                                                 \
		CU_ASSERT_EQUAL(rrs[i].rclass, cls);                                               \
		CU_ASSERT_EQUAL(rrs[i].ttl, tl);                                                   \
		CU_ASSERT_EQUAL(rrs[i].line, ln);                                                  \
	} while (0)

/* ZW_SRCDIR, else the repository root: "." or, when run from
 * tests/zonecompiler, "../.." */
static const char *srcdir(void)
{
	static const char *const guesses[] = { ".", "../.." };
	const char *s = getenv("ZW_SRCDIR");
	char probe[1024];

	if (s && *s)
		return s;
	for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/tests/zonecompiler/data/parse/main.zone",
			 guesses[i]);
		if (access(probe, R_OK) == 0)
			return guesses[i];
	}
	return ".";
}

static void data_path(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/tests/zonecompiler/data/parse/%s", srcdir(), name);
}

/* ------------------------------------------------------------------ */
/* basic records                                                       */

static void test_basic_rr(void)
{
	int rc = parse("www.example.com. 300 IN A 192.0.2.1\n");

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(nrr, 1);
	CU_ASSERT_EQUAL(ndiag, 0);
	CHECK_RR(0, "www.example.com.", 1, 1, 300, 1);
	CU_ASSERT(rdata_is(&rrs[0], "c0000201"));
	CU_ASSERT_STRING_EQUAL(rrs[0].file, "test.zone");
}

static void test_empty_and_comments(void)
{
	CU_ASSERT_EQUAL(parse(""), 0);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(parse("\n\n   \n; only a comment\n\t; indented comment\n"), 0);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	/* last line without newline, comment after the record */
	CU_ASSERT_EQUAL(parse("\n\na 60 A 192.0.2.1 ; hi"), 0);
	CU_ASSERT_EQUAL(nrr, 1);
	CHECK_RR(0, "a.example.com.", 1, 1, 60, 3);
}

static void test_owner_case_kept(void)
{
	CU_ASSERT_EQUAL(parse("WwW.ExAmPlE.CoM. 60 A 192.0.2.1\nMiXed 60 A 192.0.2.2\n"), 0);
	CU_ASSERT_EQUAL(nrr, 2);
	CHECK_RR(0, "WwW.ExAmPlE.CoM.", 1, 1, 60, 1);
	CHECK_RR(1, "MiXed.example.com.", 1, 1, 60, 2);
}

static void test_at_and_origin(void)
{
	const char *z = "@ 60 NS ns1\n"
			"$ORIGIN sub\n" /* relative: sub.example.com. */
			"@ 60 A 192.0.2.1\n"
			"x 60 CNAME @\n"
			"$ORIGIN other.test.\n"
			"y 60 MX 5 mail\n"
			"z.abs. 60 PTR y\n"
			"$ORIGIN .\n"
			"q 60 A 192.0.2.7\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(nrr, 6);
	CHECK_RR(0, "example.com.", 2, 1, 60, 1);
	CU_ASSERT(rdata_is_name(&rrs[0], "ns1.example.com."));
	CHECK_RR(1, "sub.example.com.", 1, 1, 60, 3);
	CHECK_RR(2, "x.sub.example.com.", 5, 1, 60, 4);
	CU_ASSERT(rdata_is_name(&rrs[2], "sub.example.com."));
	CHECK_RR(3, "y.other.test.", 15, 1, 60, 6);
	CU_ASSERT(rdata_is(&rrs[3], "0005 046d61696c 056f74686572 0474657374 00"));
	CHECK_RR(4, "z.abs.", 12, 1, 60, 7);
	CU_ASSERT(rdata_is_name(&rrs[4], "y.other.test."));
	CHECK_RR(5, "q.", 1, 1, 60, 9);
}

static void test_origin_errors(void)
{
	int rc = parse("$ORIGIN\n$ORIGIN a b\n$ORIGIN a..b.\nx 60 A 192.0.2.1\n");

	CU_ASSERT_EQUAL(rc, ZW_ESYNTAX);
	CU_ASSERT_EQUAL(count_diag(ZW_D_SYNTAX), 3);
	CU_ASSERT_EQUAL(diags[0].line, 1);
	CU_ASSERT_EQUAL(diags[1].line, 2);
	CU_ASSERT_EQUAL(diags[2].line, 3);
	/* origin unchanged by the bad directives */
	CU_ASSERT_EQUAL(nrr, 1);
	CHECK_RR(0, "x.example.com.", 1, 1, 60, 4);
}

static void test_null_origin_is_root(void)
{
	struct zw_parse_opts o = base_opts();

	o.origin = NULL;
	CU_ASSERT_EQUAL(parse_with("a 60 A 192.0.2.1\n@ 60 NS a\n", &o), 0);
	CU_ASSERT_EQUAL(nrr, 2);
	CHECK_RR(0, "a.", 1, 1, 60, 1);
	CHECK_RR(1, ".", 2, 1, 60, 2);
	CU_ASSERT(rdata_is_name(&rrs[1], "a."));

	/* origin given without the trailing dot is still absolute */
	o.origin = "example.org";
	CU_ASSERT_EQUAL(parse_with("a 60 A 192.0.2.1\n", &o), 0);
	CHECK_RR(0, "a.example.org.", 1, 1, 60, 1);

	o.origin = "bad..origin.";
	CU_ASSERT_EQUAL(parse_with("a 60 A 192.0.2.1\n", &o), -EINVAL);
	CU_ASSERT_EQUAL(nrr, 0);
}

/* ------------------------------------------------------------------ */
/* TTL and class                                                       */

static void test_ttl_directive(void)
{
	const char *z = "$TTL 1h30m\n"
			"a A 192.0.2.1\n"
			"b 10 A 192.0.2.2\n"
			"c A 192.0.2.3\n" /* $TTL wins over the last explicit TTL */
			"$ttl 2D\n"
			"d A 192.0.2.4\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(nrr, 4);
	CU_ASSERT_EQUAL(ndiag, 0);
	CHECK_RR(0, "a.example.com.", 1, 1, 5400, 2);
	CHECK_RR(1, "b.example.com.", 1, 1, 10, 3);
	CHECK_RR(2, "c.example.com.", 1, 1, 5400, 4);
	CHECK_RR(3, "d.example.com.", 1, 1, 172800, 6);
}

static void test_ttl_no_default(void)
{
	const char *z = "a A 192.0.2.1\n"
			"b A 192.0.2.2\n"
			"c 77 A 192.0.2.3\n"
			"d A 192.0.2.4\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(nrr, 4);
	CHECK_RR(0, "a.example.com.", 1, 1, 3600, 1);
	CHECK_RR(1, "b.example.com.", 1, 1, 3600, 2);
	CHECK_RR(2, "c.example.com.", 1, 1, 77, 3);
	CHECK_RR(3, "d.example.com.", 1, 1, 77, 4); /* last explicit TTL */
	CU_ASSERT_EQUAL(ndiag, 1);		    /* warned once */
	CU_ASSERT_EQUAL(diags[0].code, ZW_D_NO_TTL);
	CU_ASSERT_EQUAL(diags[0].sev, ZW_SEV_WARNING);
	CU_ASSERT_EQUAL(diags[0].line, 1);
}

static void test_ttl_units(void)
{
	const char *z = "a 1W2d3H4m5S A 192.0.2.1\n"
			"b 0 A 192.0.2.1\n"
			"c 4294967295 A 192.0.2.1\n"
			"d 1s A 192.0.2.1\n"
			"e 90m A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(nrr, 5);
	CU_ASSERT_EQUAL(rrs[0].ttl, 604800u + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	CU_ASSERT_EQUAL(rrs[1].ttl, 0);
	CU_ASSERT_EQUAL(rrs[2].ttl, 4294967295u);
	CU_ASSERT_EQUAL(rrs[3].ttl, 1);
	CU_ASSERT_EQUAL(rrs[4].ttl, 5400);
}

static void test_ttl_errors(void)
{
	const char *z = "a 4294967296 A 192.0.2.1\n"
			"b 1h30 A 192.0.2.1\n"
			"c 1x A 192.0.2.1\n"
			"d 7102w A 192.0.2.1\n"
			"$TTL abc\n"
			"$TTL\n"
			"$TTL 1 2\n"
			"ok 5 A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CHECK_RR(0, "ok.example.com.", 1, 1, 5, 8);
	CU_ASSERT_EQUAL(ndiag, 7);
	for (size_t i = 0; i < ndiag && i < 7; i++) {
		CU_ASSERT_EQUAL(diags[i].code, ZW_D_SYNTAX);
		CU_ASSERT_EQUAL(diags[i].sev, ZW_SEV_ERROR);
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
		CU_ASSERT_STRING_EQUAL(diags[i].file, "test.zone");
	}
}

static void test_class_and_ttl_order(void)
{
	const char *z = "a IN 300 A 192.0.2.1\n"
			"b 300 IN A 192.0.2.2\n"
			"c in A 192.0.2.3\n"
			"d 20 A 192.0.2.4\n"
			"e CLASS1 A 192.0.2.5\n"
			"f CH 30 TXT x\n"
			"g A 192.0.2.6\n" /* class carried over: CH */
			"h HS 40 TXT y\n"
			"i CLASS65280 TYPE65280 \\# 0\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(nrr, 9);
	CHECK_RR(0, "a.example.com.", 1, 1, 300, 1);
	CHECK_RR(1, "b.example.com.", 1, 1, 300, 2);
	CHECK_RR(2, "c.example.com.", 1, 1, 300, 3);
	CHECK_RR(3, "d.example.com.", 1, 1, 20, 4);
	CHECK_RR(4, "e.example.com.", 1, 1, 20, 5);
	CHECK_RR(5, "f.example.com.", 16, 3, 30, 6);
	CHECK_RR(6, "g.example.com.", 1, 3, 30, 7);
	CHECK_RR(7, "h.example.com.", 16, 4, 40, 8);
	CHECK_RR(8, "i.example.com.", 65280, 65280, 40, 9);
	CU_ASSERT_EQUAL(rrs[8].rdlen, 0);
}

static void test_type_errors(void)
{
	const char *z = "a 60 IN\n"
			"b 60 IN FOO 1\n"
			"c 60 IN TYPE0 \\# 0\n"
			"d 60 IN TYPE65536 \\# 0\n"
			"e 60 IN IN A 192.0.2.1\n"
			"f 60 60 A 192.0.2.1\n"
			"g 60 \"A\" 192.0.2.1\n"
			"h 60 CLASS0 A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(ndiag, 8);
	for (size_t i = 0; i < ndiag; i++) {
		CU_ASSERT_EQUAL(diags[i].code, ZW_D_SYNTAX);
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
	}
}

/* ------------------------------------------------------------------ */
/* owner omission, parentheses, quoting, escapes                       */

static void test_omitted_owner(void)
{
	const char *z = "a 60 A 192.0.2.1\n"
			"  60 AAAA 2001:db8::1\n"
			"\tTXT \"t\"\n"
			"b 60 A 192.0.2.2\n"
			" \t IN MX 1 b\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(nrr, 5);
	CHECK_RR(0, "a.example.com.", 1, 1, 60, 1);
	CHECK_RR(1, "a.example.com.", 28, 1, 60, 2);
	CU_ASSERT(rdata_is(&rrs[1], "20010db8000000000000000000000001"));
	CHECK_RR(2, "a.example.com.", 16, 1, 60, 3);
	CU_ASSERT(rdata_is(&rrs[2], "0174"));
	CHECK_RR(3, "b.example.com.", 1, 1, 60, 4);
	CHECK_RR(4, "b.example.com.", 15, 1, 60, 5);
}

static void test_omitted_owner_at_start(void)
{
	CU_ASSERT_EQUAL(parse("  60 A 192.0.2.1\na 60 A 192.0.2.2\n"), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(ndiag, 1);
	CU_ASSERT_EQUAL(diags[0].code, ZW_D_SYNTAX);
	CU_ASSERT_EQUAL(diags[0].line, 1);
	CU_ASSERT_EQUAL(nrr, 1);
	CHECK_RR(0, "a.example.com.", 1, 1, 60, 2);
}

static void test_parentheses(void)
{
	const char *z = "@ 3600 IN SOA ns1 hostmaster ( ; comment (with paren\n"
			"    2024010101 ; serial \"quoted\"\n"
			"    1h         ; refresh\n"
			"    15m 1w\n"
			"\n"
			"    ; a comment line inside\n"
			"    300 )      ; minimum\n"
			"next 60 TXT ( \"a\"\n"
			"  \"b\" ) ( \"c\" )\n"
			"last 60 A ( 192.0.2.1 )\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL(nrr, 3);
	CHECK_RR(0, "example.com.", 6, 1, 3600, 1);
	CU_ASSERT(rdata_is(&rrs[0], "036e7331076578616d706c6503636f6d00"
				    "0a686f73746d6173746572076578616d706c6503636f6d00"
				    "78a3f175 00000e10 00000384 00093a80 0000012c"));
	CHECK_RR(1, "next.example.com.", 16, 1, 60, 8);
	CU_ASSERT(rdata_is(&rrs[1], "0161 0162 0163"));
	CHECK_RR(2, "last.example.com.", 1, 1, 60, 10);
}

static void test_quoted_strings(void)
{
	const char *z = "a 60 TXT \"semi; colon\" \"two  spaces\" \"(paren)\"\n"
			"b 60 TXT \"esc \\\"quote\\\" and \\\\ backslash\"\n"
			"c 60 TXT \"\" unquoted\n"
			"d 60 TXT \"tab\there\"\"adjacent\"\n"
			"e 60 TXT a\\ b\\;c\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL(nrr, 5);
	{
		const uint8_t exp[] = "\x0bsemi; colon\x0btwo  spaces\x07(paren)";

		CU_ASSERT_EQUAL(rrs[0].rdlen, sizeof(exp) - 1);
		CU_ASSERT(memcmp(rrs[0].rdata, exp, sizeof(exp) - 1) == 0);
	}
	{
		const uint8_t exp[] = "\x1b"
				      "esc \"quote\" and \\ backslash";

		CU_ASSERT_EQUAL(rrs[1].rdlen, sizeof(exp) - 1);
		CU_ASSERT(memcmp(rrs[1].rdata, exp, sizeof(exp) - 1) == 0);
	}
	CU_ASSERT(rdata_is(&rrs[2], "00 08756e71756f746564"));
	{
		const uint8_t exp[] = "\x08tab\there\x08"
				      "adjacent";

		CU_ASSERT_EQUAL(rrs[3].rdlen, sizeof(exp) - 1);
		CU_ASSERT(memcmp(rrs[3].rdata, exp, sizeof(exp) - 1) == 0);
	}
	{
		const uint8_t exp[] = "\x05"
				      "a b;c";

		CU_ASSERT_EQUAL(rrs[4].rdlen, sizeof(exp) - 1);
		CU_ASSERT(memcmp(rrs[4].rdata, exp, sizeof(exp) - 1) == 0);
	}
}

static void test_escapes(void)
{
	const char *z = "a\\.b\\065\\0669.example.com. 60 A 192.0.2.1\n"
			"\\@\\(x\\) 60 TXT \"\\065\\066\\067\" \\010\\000\n"
			"esc\\032sp 60 CNAME t\\.x\\.y.\n"
			"\\$dollar 60 A 192.0.2.2\n";
	const uint8_t own0[] = "\x06"
			       "a.bAB9"
			       "\x07"
			       "example"
			       "\x03"
			       "com";
	const uint8_t own1[] = "\x04@(x)\x07"
			       "example"
			       "\x03"
			       "com";
	const uint8_t own2[] = "\x06"
			       "esc sp"
			       "\x07"
			       "example"
			       "\x03"
			       "com";
	const uint8_t rd2[] = "\x05t.x.y";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 4);
	CU_ASSERT_EQUAL(rrs[0].owner_len, sizeof(own0));
	CU_ASSERT(memcmp(rrs[0].owner, own0, sizeof(own0)) == 0);
	CU_ASSERT_EQUAL(rrs[1].owner_len, sizeof(own1));
	CU_ASSERT(memcmp(rrs[1].owner, own1, sizeof(own1)) == 0);
	CU_ASSERT(rdata_is(&rrs[1], "03414243 020a00"));
	CU_ASSERT_EQUAL(rrs[2].owner_len, sizeof(own2));
	CU_ASSERT(memcmp(rrs[2].owner, own2, sizeof(own2)) == 0);
	CU_ASSERT_EQUAL(rrs[2].rdlen, sizeof(rd2));
	CU_ASSERT(memcmp(rrs[2].rdata, rd2, sizeof(rd2)) == 0);
	CU_ASSERT(rrs[3].owner[0] == 7 && memcmp(rrs[3].owner + 1, "$dollar", 7) == 0);
}

static void test_escape_errors(void)
{
	const char *z = "a\\256 60 A 192.0.2.1\n"
			"b\\12 60 A 192.0.2.1\n"
			"c\\0 60 A 192.0.2.1\n"
			"d 60 TXT \"\\999\"\n"
			"e 60 TXT \"x\\\n"
			"f 60 A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CHECK_RR(0, "f.example.com.", 1, 1, 60, 6);
	CU_ASSERT_EQUAL(count_diag(ZW_D_SYNTAX), 5);
	for (size_t i = 0; i < ndiag; i++)
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
}

static void test_crlf_file(void)
{
	char path[1024];
	struct zw_parse_opts o = base_opts();

	data_path(path, sizeof(path), "crlf.zone");
	reset();
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL(nrr, 2);
	CHECK_RR(0, "a.example.com.", 1, 1, 60, 2);
	CHECK_RR(1, "b.example.com.", 16, 1, 60, 3);
	CU_ASSERT(rdata_is(&rrs[1], "0178 0179 017a"));
	CU_ASSERT_STRING_EQUAL(rrs[0].file, path);
}

/* ------------------------------------------------------------------ */
/* RFC 3597                                                            */

static void test_rfc3597(void)
{
	const char *z = "a 60 TYPE65534 \\# 3 abcdef\n"
			"b 60 CLASS1 TYPE65534 \\# 0\n"
			"c 60 CLASS3 TYPE1 \\# 4 C0000201\n"
			"d 60 IN A \\# 4 c0 00 ( 02\n 01 )\n"
			"e 60 TYPE1 192.0.2.5\n"
			"f 60 type16 \\# 4 03616263\n"
			"g 60 MX \\# 7 000a 01 61 01 62 00\n"
			"h 60 TYPE260 \\# 2 0102\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 8);
	CHECK_RR(0, "a.example.com.", 65534, 1, 60, 1);
	CU_ASSERT(rdata_is(&rrs[0], "abcdef"));
	CHECK_RR(1, "b.example.com.", 65534, 1, 60, 2);
	CU_ASSERT_EQUAL(rrs[1].rdlen, 0);
	CHECK_RR(2, "c.example.com.", 1, 3, 60, 3);
	CU_ASSERT(rdata_is(&rrs[2], "c0000201"));
	CHECK_RR(3, "d.example.com.", 1, 1, 60, 4);
	CU_ASSERT(rdata_is(&rrs[3], "c0000201"));
	CHECK_RR(4, "e.example.com.", 1, 1, 60, 6);
	CU_ASSERT(rdata_is(&rrs[4], "c0000205"));
	CHECK_RR(5, "f.example.com.", 16, 1, 60, 7);
	CU_ASSERT(rdata_is(&rrs[5], "03616263"));
	CHECK_RR(6, "g.example.com.", 15, 1, 60, 8);
	CU_ASSERT(rdata_is(&rrs[6], "000a0161016200"));
	CHECK_RR(7, "h.example.com.", 260, 1, 60, 9);
}

static void test_rfc3597_errors(void)
{
	const char *z = "a 60 TYPE65534 \\# 3 abcd\n"	 /* short */
			"b 60 TYPE65534 \\# 1 abcd\n"	 /* long */
			"c 60 TYPE65534 \\# 2 abc\n"	 /* odd digits */
			"d 60 TYPE65534 \\# x 00\n"	 /* bad length */
			"e 60 TYPE65534 \\#\n"		 /* no length */
			"f 60 TYPE65534 \\# 1 zz\n"	 /* bad hex */
			"g 60 A \\# 3 010203\n"		 /* wrong size for A */
			"h 60 A \\# 5 0102030405\n"	 /* trailing octet */
			"i 60 MX \\# 4 000ac000\n"	 /* compression pointer */
			"j 60 A \\# 0\n"		 /* empty A */
			"k 60 TYPE65534 \\# 65536 00\n"	 /* length too big */
			"l 60 TYPE65534 \\# 1 \"00\"\n"; /* quoted */

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(ndiag, 12);
	for (size_t i = 0; i < ndiag; i++) {
		CU_ASSERT_EQUAL(diags[i].code, ZW_D_SYNTAX);
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
	}
}

/* ------------------------------------------------------------------ */
/* comparison with ldns                                                */

/* rdata of one RR as ldns converts it; returns -1 if ldns rejects it */
static int ldns_rdata_of(const char *rrtext, const char *origin, uint8_t *out, size_t *len)
{
	ldns_rdf *o = ldns_dname_new_frm_str(origin);
	ldns_rr *rr = NULL;
	ldns_status s;
	size_t w = 0;

	s = ldns_rr_new_frm_str(&rr, rrtext, 0, o, NULL);
	ldns_rdf_deep_free(o);
	if (s != LDNS_STATUS_OK)
		return -1;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);

		if (ldns_rdf_size(f) > 0)
			memcpy(out + w, ldns_rdf_data(f), ldns_rdf_size(f));
		w += ldns_rdf_size(f);
	}
	*len = w;
	ldns_rr_free(rr);
	return 0;
}

/* Parses one RR text with zw_parse_buffer and compares with ldns. */
static bool same_as_ldns(const char *rrtext)
{
	static uint8_t exp[70000];
	size_t elen = 0;
	int rc;

	if (ldns_rdata_of(rrtext, "example.com.", exp, &elen) < 0) {
		fprintf(stderr, "\nldns rejects: %s\n", rrtext);
		return false;
	}
	rc = parse(rrtext);
	if (rc != 0 || nrr != 1) {
		fprintf(stderr, "\nzw rejects (rc %d, %zu diags: %s): %s\n", rc, ndiag,
			ndiag ? diags[0].msg : "", rrtext);
		return false;
	}
	if (rrs[0].rdlen != elen || memcmp(rrs[0].rdata, exp, elen) != 0) {
		fprintf(stderr, "\nrdata differs from ldns: %s\n", rrtext);
		return false;
	}
	return true;
}

static void test_all_ldns_types(void)
{
	static const char *const samples[] = {
		"x 60 IN A 192.0.2.1",
		"x 60 IN NS ns.example.net.",
		"x 60 IN MD md.example.net.",
		"x 60 IN MF mf",
		"x 60 IN CNAME target",
		"x 60 IN SOA a. b. 1 2 3 4 5",
		"x 60 IN MB mb",
		"x 60 IN MG mg",
		"x 60 IN MR mr",
		"x 60 IN NULL \\# 3 010203",
		"x 60 IN WKS 192.0.2.1 TCP 25 80",
		"x 60 IN PTR ptr.example.",
		"x 60 IN HINFO \"x86 64\" linux",
		"x 60 IN MINFO rmail emailbx",
		"x 60 IN MX 10 mx",
		"x 60 IN TXT \"a\" b",
		"x 60 IN RP mbox txt",
		"x 60 IN AFSDB 1 afs",
		"x 60 IN X25 311061700956",
		"x 60 IN ISDN 150862028003217 004",
		"x 60 IN RT 10 rt",
		"x 60 IN NSAP 0x47000580005a0000000001e133ffffff00016100",
		"x 60 IN SIG A 5 3 86400 20250101000000 20240101000000 2642 example.com. dGVzdA==",
		"x 60 IN KEY 256 3 5 AQOyiyhF4BBlfF5jNCDvr+NyRa9AQvS0cwBqBhZq",
		"x 60 IN PX 10 map822 mapx400",
		"x 60 IN GPOS -32.6882 116.8652 10.0",
		"x 60 IN AAAA 2001:db8::1",
		"x 60 IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
		"x 60 IN SRV 10 20 53 srv",
		"x 60 IN ATMA 39246f00e7c9c0312000100100001234567800",
		"x 60 IN NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
		"x 60 IN KX 10 kx",
		"x 60 IN CERT 1 2 3 AQID",
		"x 60 IN DNAME target.example.",
		"x 60 IN APL 1:192.168.32.0/21 !1:192.168.38.0/28",
		"x 60 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
		"x 60 IN SSHFP 2 1 123456789abcdef67890123456789abcdef67890",
		"x 60 IN IPSECKEY 10 1 2 192.0.2.38 "
		"AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
		"x 60 IN RRSIG A 8 2 3600 20250101000000 20240101000000 12345 example.com. "
		"dGVzdA==",
		"x 60 IN NSEC next.example.com. A NS SOA RRSIG NSEC TYPE65000",
		"x 60 IN DNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF",
		"x 60 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
		"x 60 IN NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
		"x 60 IN NSEC3PARAM 1 0 12 aabbccdd",
		"x 60 IN TLSA 3 1 1 "
		"0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6",
		"x 60 IN SMIMEA 3 1 1 0c72ac70b745ac19998811b131d662c9",
		"x 60 IN HIP 2 200100107B1A74DF365639CC39F1D578 "
		"AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+"
		"CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+"
		"bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D",
		"x 60 IN TALINK prev next",
		"x 60 IN CDS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
		"x 60 IN CDNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF",
		"x 60 IN OPENPGPKEY AQIDBAUG",
		"x 60 IN CSYNC 66 3 A NS AAAA",
		"x 60 IN ZONEMD 2018031900 1 1 "
		"FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAF"
		"A4F22C6BD647DE",
		"x 60 IN SVCB 1 svc alpn=\"h2,h3\" port=8443",
		"x 60 IN HTTPS 1 . alpn=h2 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1",
		"x 60 IN SPF \"v=spf1 -all\"",
		"x 60 IN NID 10 0014:4fff:ff20:ee64",
		"x 60 IN L32 10 10.1.2.0",
		"x 60 IN L64 10 2001:0db8:1140:1000",
		"x 60 IN LP 10 l64-subnet1.example.com.",
		"x 60 IN EUI48 00-00-5e-00-53-2a",
		"x 60 IN EUI64 00-00-5e-ef-10-00-00-2a",
		"x 60 IN URI 10 1 \"ftp://ftp1.example.com/public\"",
		"x 60 IN CAA 0 issue \"ca.example.net; account=230123\"",
		"x 60 IN DLV 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
		"x 60 IN TYPE65534 \\# 3 abcdef",
	};
	size_t ok = 0;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		bool same = same_as_ldns(samples[i]);

		CU_ASSERT(same);
		ok += same;
	}
	CU_ASSERT_EQUAL(ok, sizeof(samples) / sizeof(samples[0]));
}

/* deterministic pseudo-random numbers for the sample generators */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)((rng_state >> 33) % n) : 0;
}

static void rnd_label(char *out, size_t *o, bool escapes)
{
	static const char plain[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*";
	size_t n = 1 + rnd(12);

	for (size_t i = 0; i < n; i++) {
		uint32_t k = escapes ? rnd(10) : 9;

		if (k == 0)
			*o += (size_t)sprintf(out + *o, "\\%03u", rnd(256));
		else if (k == 1)
			*o += (size_t)sprintf(out + *o, "\\%c", ".;() \"\\@$"[rnd(9)]);
		else
			out[(*o)++] = plain[rnd(sizeof(plain) - 1)];
	}
}

static void rnd_name(char *out, size_t *o)
{
	uint32_t k = rnd(20);
	size_t labels = 1 + rnd(4);

	if (k == 0) {
		out[(*o)++] = '@';
		return;
	}
	if (k == 1) {
		out[(*o)++] = '.';
		return;
	}
	for (size_t i = 0; i < labels; i++) {
		if (i > 0)
			out[(*o)++] = '.';
		rnd_label(out, o, k < 8);
	}
	if (rnd(2))
		out[(*o)++] = '.';
}

static void rnd_period(char *out, size_t *o)
{
	if (rnd(3) == 0) {
		static const char units[] = "smhdwSMHDW";
		size_t n = 1 + rnd(3);

		for (size_t i = 0; i < n; i++)
			*o += (size_t)sprintf(out + *o, "%u%c", rnd(100), units[rnd(10)]);
	} else {
		*o += (size_t)sprintf(out + *o, "%u", rnd(2) ? rnd(100000) : (uint32_t)rng_state);
	}
}

static void rnd_string(char *out, size_t *o)
{
	size_t n = rnd(40);
	bool quoted = rnd(3) != 0;

	if (!quoted && n == 0)
		n = 1;
	if (quoted)
		out[(*o)++] = '"';
	for (size_t i = 0; i < n; i++) {
		uint32_t k = rnd(12);

		if (k == 0)
			*o += (size_t)sprintf(out + *o, "\\%03u", rnd(256));
		else if (k == 1)
			*o += (size_t)sprintf(out + *o, "\\%c", "\";\\() "[rnd(6)]);
		else if (k == 2 && quoted)
			out[(*o)++] = " ;()\t"[rnd(5)];
		else if (quoted)
			out[(*o)++] = (char)('!' + 2 + rnd(20));
		else
			out[(*o)++] = "#$%&'*+,-./0123456789"[rnd(21)];
	}
	if (quoted)
		out[(*o)++] = '"';
}

/* Many random records of the fast-path types, each checked against ldns. */
static void test_fast_path_matches_ldns(void)
{
	char text[4096];
	size_t fails = 0;
	size_t total = 0;

	for (int round = 0; round < 6000; round++) {
		size_t o = 0;
		uint32_t kind = (uint32_t)round % 9;

		o += (size_t)sprintf(text, "x%d 60 IN ", round);
		switch (kind) {
		case 0:
			o += (size_t)sprintf(text + o, "A %u.%u.%u.%u", rnd(256), rnd(256),
					     rnd(256), rnd(256));
			break;
		case 1: {
			uint8_t a[16];
			char buf[64];

			for (int i = 0; i < 16; i++)
				a[i] = rnd(4) ? (uint8_t)rnd(256) : 0;
			inet_ntop(AF_INET6, a, buf, sizeof(buf));
			o += (size_t)sprintf(text + o, "AAAA %s", buf);
			break;
		}
		case 2:
		case 3:
		case 4:
			o += (size_t)sprintf(text + o, "%s ",
					     kind == 2	 ? "NS"
					     : kind == 3 ? "CNAME"
							 : "PTR");
			rnd_name(text, &o);
			break;
		case 5:
			o += (size_t)sprintf(text + o, "MX %u ", rnd(65536));
			rnd_name(text, &o);
			break;
		case 6: {
			size_t n = 1 + rnd(5);

			o += (size_t)sprintf(text + o, "TXT");
			for (size_t i = 0; i < n; i++) {
				text[o++] = ' ';
				rnd_string(text, &o);
			}
			break;
		}
		case 7:
			o += (size_t)sprintf(text + o, "SOA ");
			rnd_name(text, &o);
			text[o++] = ' ';
			rnd_name(text, &o);
			o += (size_t)sprintf(text + o, " %u", (uint32_t)(rng_state >> 7));
			for (int i = 0; i < 4; i++) {
				text[o++] = ' ';
				rnd_period(text, &o);
			}
			break;
		default: {
			size_t n = 1 + rnd(40);

			o += (size_t)sprintf(text + o, "DS %u %u %u ", rnd(65536), rnd(256),
					     rnd(256));
			for (size_t i = 0; i < n; i++) {
				if (i > 0 && rnd(5) == 0)
					text[o++] = ' ';
				o += (size_t)sprintf(text + o, rnd(2) ? "%02x" : "%02X", rnd(256));
			}
			break;
		}
		}
		text[o] = '\0';
		total++;
		if (!same_as_ldns(text))
			fails++;
	}
	CU_ASSERT_EQUAL(fails, 0);
	CU_ASSERT_EQUAL(total, 6000);
}

/* The fast path must not accept what ldns would reject, and the corner
 * cases where it hands over to ldns must still give ldns's result. */
static void test_fast_path_corner_cases(void)
{
	static const char *const same[] = {
		"x 60 IN MX 010 mx",		/* leading zero */
		"x 60 IN MX 10 @.foo",		/* ldns: '@' label is origin */
		"x 60 IN NS \\@",		/* same */
		"x 60 IN SOA a b 1 1h30 2 3 4", /* ldns period syntax */
		"x 60 IN SOA @ @ 4294967295 1w 1d 1h 1m",
		"x 60 IN DS 1 RSASHA256 2 abcd ef01", /* algorithm mnemonic */
		"x 60 IN TXT a\"b\"c",
		"x 60 IN TXT \"\"",
		"x 60 IN AAAA ::ffff:192.0.2.1",
		"x 60 IN CNAME \\065\\.b",
	};
	static const char *const bad[] = {
		"x 60 IN A 01.2.3.4",	   "x 60 IN A 1.2.3",
		"x 60 IN A 1.2.3.4 5",	   "x 60 IN A \"1.2.3.4\"",
		"x 60 IN AAAA 1::2::3",	   "x 60 IN NS a..b",
		"x 60 IN MX 10",	   "x 60 IN TXT",
		"x 60 IN DS 1 8 2",	   "x 60 IN DS 1 8 2 zz",
		"x 60 IN SOA a b 1 2 3 4", "x 60 IN SOA a b 1 2 3 4 5 6",
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		CU_ASSERT(same_as_ldns(same[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse(bad[i]), ZW_ESYNTAX);
		CU_ASSERT_EQUAL(nrr, 0);
		CU_ASSERT_EQUAL(count_diag(ZW_D_SYNTAX), 1);
	}
}

/*
 * What the reader makes of rrtext agrees with ldns: both refuse it, or both
 * take it with the same rdata.
 */
static bool agrees_with_ldns(const char *rrtext)
{
	static uint8_t exp[70000];
	size_t elen = 0;
	bool ldns_ok = ldns_rdata_of(rrtext, "example.com.", exp, &elen) == 0;
	int rc = parse(rrtext);

	if (!ldns_ok) {
		if (rc == ZW_ESYNTAX && nrr == 0)
			return true;
		fprintf(stderr, "\nldns rejects, zw takes (rc %d): %s\n", rc, rrtext);
		return false;
	}
	if (rc != 0 || nrr != 1) {
		fprintf(stderr, "\nzw rejects (rc %d, %zu diags: %s): %s\n", rc, ndiag,
			ndiag ? diags[0].msg : "", rrtext);
		return false;
	}
	if (rrs[0].rdlen != elen || memcmp(rrs[0].rdata, exp, elen) != 0) {
		fprintf(stderr, "\nrdata differs from ldns: %s\n", rrtext);
		return false;
	}
	return true;
}

/* Every type mnemonic ldns knows, in any letter case, gives ldns's code. */
static void test_type_mnemonics_match_ldns(void)
{
	size_t checked = 0;

	for (unsigned code = 1; code < 65536; code++) {
		const ldns_rr_descriptor *d = ldns_rr_descript((uint16_t)code);
		char name[64], lower[64], mixed[64], text[160], want[96];
		const char *forms[3];

		if (d == NULL || d->_name == NULL || d->_type != code || strlen(d->_name) >= 32)
			continue;
		snprintf(name, sizeof(name), "%s", d->_name);
		for (size_t i = 0; i <= strlen(name); i++) {
			char c = name[i];

			lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			mixed[i] = i % 2 ? lower[i] : c;
		}
		forms[0] = name;
		forms[1] = lower;
		forms[2] = mixed;
		snprintf(want, sizeof(want), "bad %s rdata", d->_name);
		for (size_t f = 0; f < 3; f++) {
			int rc;

			snprintf(text, sizeof(text), "x 60 IN %s \\# 0\n", forms[f]);
			rc = parse(text);
			if (rc == 0) {
				CU_ASSERT_EQUAL(nrr, 1);
				if (nrr == 1)
					CU_ASSERT_EQUAL(rrs[0].type, code);
			} else {
				/* the diagnostic names the type the mnemonic gave */
				CU_ASSERT_EQUAL(ndiag, 1);
				CU_ASSERT(ndiag == 1 && strstr(diags[0].msg, want) != NULL);
				if (ndiag != 1 || strstr(diags[0].msg, want) == NULL)
					fprintf(stderr, "\n%s: %s\n", text,
						ndiag ? diags[0].msg : "");
			}
			checked++;
		}
	}
	CU_ASSERT(checked > 3 * 60);
	/* near misses are no mnemonics */
	static const char *const unknown[] = { "AA",   "AAAAA",	  "NSEC4",    "SRVX",	"TX",
					       "TXTT", "DNSKEYS", "CDNSKEYS", "CNAMES", "A1" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), "x 60 IN %s \\# 0\n", unknown[i]);
		CU_ASSERT_EQUAL(parse(text), ZW_ESYNTAX);
		CU_ASSERT(ndiag == 1 && strstr(diags[0].msg, "unknown RR type") != NULL);
	}
}

static void rnd_hex(char *out, size_t *o, size_t nbytes)
{
	for (size_t i = 0; i < nbytes; i++) {
		if (i > 0 && rnd(8) == 0)
			out[(*o)++] = ' ';
		*o += (size_t)sprintf(out + *o, rnd(2) ? "%02x" : "%02X", rnd(256));
	}
}

static void rnd_b64(char *out, size_t *o, size_t nbytes)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t bin[600];
	size_t i;

	for (i = 0; i < nbytes; i++)
		bin[i] = (uint8_t)rnd(256);
	for (i = 0; i + 3 <= nbytes; i += 3) {
		uint32_t v = (uint32_t)bin[i] << 16 | (uint32_t)bin[i + 1] << 8 | bin[i + 2];

		if (i > 0 && rnd(10) == 0)
			out[(*o)++] = ' ';
		for (int k = 3; k >= 0; k--)
			out[(*o)++] = b64[(v >> (6 * k)) & 63];
	}
	if (nbytes - i == 1) {
		uint32_t v = (uint32_t)bin[i] << 16;

		*o += (size_t)sprintf(out + *o, "%c%c==", b64[v >> 18], b64[(v >> 12) & 63]);
	} else if (nbytes - i == 2) {
		uint32_t v = (uint32_t)bin[i] << 16 | (uint32_t)bin[i + 1] << 8;

		*o += (size_t)sprintf(out + *o, "%c%c%c=", b64[v >> 18], b64[(v >> 12) & 63],
				      b64[(v >> 6) & 63]);
	}
}

static void rnd_type(char *out, size_t *o)
{
	static const char *const types[] = { "A",     "NS",   "SOA",   "MX",   "TXT",
					     "AAAA",  "SRV",  "RRSIG", "NSEC", "DNSKEY",
					     "NSEC3", "TLSA", "CAA",   "ds",   "Cname" };

	if (rnd(6) == 0)
		*o += (size_t)sprintf(out + *o, "TYPE%u", 1 + rnd(65535));
	else
		*o += (size_t)sprintf(out + *o, "%s", types[rnd(sizeof(types) / sizeof(types[0]))]);
}

/* A date for RRSIG: YYYYMMDDHHmmSS, or seconds. */
static void rnd_time(char *out, size_t *o)
{
	if (rnd(4) == 0)
		*o += (size_t)sprintf(out + *o, "%u",
				      rnd(2) ? rnd(2000000000) : (uint32_t)rng_state);
	else
		*o += (size_t)sprintf(out + *o, "%04u%02u%02u%02u%02u%02u", 1970 + rnd(200),
				      1 + rnd(12), 1 + rnd(31), rnd(24), rnd(60), rnd(60));
}

/* A string for NAPTR, HINFO, CAA and URI: quoted unless plain. */
static void rnd_qstring(char *out, size_t *o, bool may_unquote)
{
	if (may_unquote && rnd(4) == 0) {
		size_t n = 1 + rnd(12);

		for (size_t i = 0; i < n; i++)
			out[(*o)++] = "abcdefxyz0123456789+-!^$.:/"[rnd(27)];
		return;
	}
	rnd_string(out, o);
	if (out[*o - 1] != '"') { /* rnd_string() chose no quotes: quote it */
		size_t start = *o;

		while (start > 0 && out[start - 1] != ' ')
			start--;
		memmove(out + start + 1, out + start, *o - start);
		out[start] = '"';
		(*o)++;
		out[(*o)++] = '"';
	}
}

/* Many random records of the types added to the fast path, each checked
 * against ldns byte for byte. */
static void test_fast_path_more_types_match_ldns(void)
{
	static const char *const kinds[] = { "SRV",    "CAA",	     "NAPTR", "SPF",   "HINFO",
					     "DNAME",  "KX",	     "AFSDB", "RT",    "URI",
					     "DNSKEY", "CDNSKEY",    "KEY",   "RRSIG", "NSEC",
					     "NSEC3",  "NSEC3PARAM", "CDS",   "DLV",   "TLSA",
					     "SMIMEA", "SSHFP" };
	const size_t nkinds = sizeof(kinds) / sizeof(kinds[0]);
	static char text[8192];
	size_t fails = 0;
	size_t taken = 0;

	for (int round = 0; round < 11000; round++) {
		const char *kind = kinds[(size_t)round % nkinds];
		size_t o = (size_t)sprintf(text, "x%d 60 IN %s ", round, kind);

		if (!strcmp(kind, "SRV")) {
			o += (size_t)sprintf(text + o, "%u %u %u ", rnd(65536), rnd(65536),
					     rnd(65536));
			rnd_name(text, &o);
		} else if (!strcmp(kind, "CAA")) {
			static const char *const tags[] = { "issue", "issuewild", "iodef",
							    "contactemail", "Tag9" };

			o += (size_t)sprintf(text + o, "%u %s ", rnd(256), tags[rnd(5)]);
			rnd_qstring(text, &o, false);
		} else if (!strcmp(kind, "NAPTR")) {
			o += (size_t)sprintf(text + o, "%u %u ", rnd(65536), rnd(65536));
			for (int i = 0; i < 3; i++) {
				rnd_qstring(text, &o, true);
				text[o++] = ' ';
			}
			rnd_name(text, &o);
		} else if (!strcmp(kind, "SPF")) {
			size_t n = 1 + rnd(4);

			for (size_t i = 0; i < n; i++) {
				if (i > 0)
					text[o++] = ' ';
				rnd_string(text, &o);
			}
		} else if (!strcmp(kind, "HINFO")) {
			rnd_qstring(text, &o, true);
			text[o++] = ' ';
			rnd_qstring(text, &o, true);
		} else if (!strcmp(kind, "DNAME")) {
			rnd_name(text, &o);
		} else if (!strcmp(kind, "KX") || !strcmp(kind, "AFSDB") || !strcmp(kind, "RT")) {
			o += (size_t)sprintf(text + o, "%u ", rnd(65536));
			rnd_name(text, &o);
		} else if (!strcmp(kind, "URI")) {
			o += (size_t)sprintf(text + o, "%u %u ", rnd(65536), rnd(65536));
			rnd_qstring(text, &o, false);
		} else if (!strcmp(kind, "DNSKEY") || !strcmp(kind, "CDNSKEY") ||
			   !strcmp(kind, "KEY")) {
			o += (size_t)sprintf(text + o, "%u %u %u ", rnd(65536), rnd(256), rnd(256));
			rnd_b64(text, &o, 1 + rnd(300));
		} else if (!strcmp(kind, "RRSIG")) {
			rnd_type(text, &o);
			o += (size_t)sprintf(text + o, " %u %u %u ", rnd(256), rnd(256),
					     (uint32_t)(rng_state >> 11));
			rnd_time(text, &o);
			text[o++] = ' ';
			rnd_time(text, &o);
			o += (size_t)sprintf(text + o, " %u ", rnd(65536));
			rnd_name(text, &o);
			text[o++] = ' ';
			rnd_b64(text, &o, 1 + rnd(260));
		} else if (!strcmp(kind, "NSEC")) {
			size_t n = rnd(12);

			rnd_name(text, &o);
			for (size_t i = 0; i < n; i++) {
				text[o++] = ' ';
				rnd_type(text, &o);
			}
		} else if (!strcmp(kind, "NSEC3") || !strcmp(kind, "NSEC3PARAM")) {
			o += (size_t)sprintf(text + o, "%u %u %u ", rnd(256), rnd(256), rnd(65536));
			if (rnd(3) == 0) {
				text[o++] = '-';
			} else { /* the salt is one field */
				size_t n = 1 + rnd(20);

				for (size_t i = 0; i < n; i++)
					o += (size_t)sprintf(text + o, "%02x", rnd(256));
			}
			if (!strcmp(kind, "NSEC3")) {
				size_t n = rnd(8);

				text[o++] = ' ';
				for (int i = 0; i < 32; i++)
					text[o++] = "0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMN"
						    "OPQRSTUV"[rnd(54)];
				for (size_t i = 0; i < n; i++) {
					text[o++] = ' ';
					rnd_type(text, &o);
				}
			}
		} else if (!strcmp(kind, "CDS") || !strcmp(kind, "DLV")) {
			o += (size_t)sprintf(text + o, "%u %u %u ", rnd(65536), rnd(256), rnd(256));
			rnd_hex(text, &o, 1 + rnd(48));
		} else if (!strcmp(kind, "TLSA") || !strcmp(kind, "SMIMEA")) {
			o += (size_t)sprintf(text + o, "%u %u %u ", rnd(256), rnd(256), rnd(256));
			rnd_hex(text, &o, 1 + rnd(64));
		} else { /* SSHFP */
			o += (size_t)sprintf(text + o, "%u %u ", rnd(256), rnd(256));
			rnd_hex(text, &o, 1 + rnd(32));
		}
		text[o] = '\0';
		if (!agrees_with_ldns(text))
			fails++;
		else if (nrr == 1)
			taken++;
	}
	CU_ASSERT_EQUAL(fails, 0);
	/* nearly all of them are valid: the comparison is of rdata */
	CU_ASSERT(taken > 10000);
}

/* Forms the fast path takes and the ones it leaves to ldns, valid or
 * not, for the types added to it and for addresses. */
static void test_fast_path_more_corner_cases(void)
{
	static const char *const cases[] = {
		/* addresses */
		"x 60 IN A 0.0.0.0",
		"x 60 IN A 255.255.255.255",
		"x 60 IN A 1.2.3.04",
		"x 60 IN A 1.2.3.4.5",
		"x 60 IN A 1.2.3.",
		"x 60 IN A .1.2.3",
		"x 60 IN A 1.2.3.256",
		"x 60 IN A 1.2.3.1000",
		"x 60 IN A 1.2.3.a",
		"x 60 IN A 1.2.3.4\\065",
		"x 60 IN AAAA ::",
		"x 60 IN AAAA ::1",
		"x 60 IN AAAA 1::",
		"x 60 IN AAAA 1:2:3:4:5:6:7::",
		"x 60 IN AAAA ::2:3:4:5:6:7:8",
		"x 60 IN AAAA 1:2:3:4:5:6:7:8",
		"x 60 IN AAAA 1:2:3:4:5:6:7:8::",
		"x 60 IN AAAA ::1:2:3:4:5:6:7:8",
		"x 60 IN AAAA 1::2::3",
		"x 60 IN AAAA 1:::2",
		"x 60 IN AAAA :1",
		"x 60 IN AAAA 1:",
		"x 60 IN AAAA 12345::",
		"x 60 IN AAAA 0000:0000:0000:0000:0000:0000:0000:0000",
		"x 60 IN AAAA ABCD:EF01:2345:6789:abcd:ef01:2345:6789",
		"x 60 IN AAAA 1:2:3:4:5:6:7",
		"x 60 IN AAAA 1:2:3:4:5:6:1.2.3.4",
		"x 60 IN AAAA ::ffff:192.0.2.1",
		"x 60 IN AAAA g::1",
		/* SRV and friends */
		"x 60 IN SRV 1 2 3 .",
		"x 60 IN SRV 1 2 3 @",
		"x 60 IN SRV 1 2 3 @.foo",
		"x 60 IN SRV 1 2 65536 t",
		"x 60 IN SRV 01 2 3 t",
		"x 60 IN SRV 1 2 3",
		"x 60 IN SRV 1 2 3 t u",
		"x 60 IN SRV 1 2 3 \"t\"",
		"x 60 IN SRV 1 2 3 \\#",
		"x 60 IN SRV 1 2 3 a\\.b",
		"x 60 IN SRV 1 2 3 a..b",
		"x 60 IN KX 10 kx",
		"x 60 IN AFSDB 1 @",
		"x 60 IN RT 10 \\@",
		"x 60 IN DNAME a.b.c.",
		/* strings */
		"x 60 IN CAA 0 issue \"ca.example.net\"",
		"x 60 IN CAA 128 iodef \"mailto:a@b\"",
		"x 60 IN CAA 0 issue ca.example.net",
		"x 60 IN CAA 0 \"issue\" \"ca\"",
		"x 60 IN CAA 0 is-sue \"ca\"",
		"x 60 IN CAA 0 issue \"\"",
		"x 60 IN CAA 0 issue \"a\\\"b\\059c\"",
		"x 60 IN CAA 256 issue \"ca\"",
		"x 60 IN URI 10 1 \"ftp://ftp1.example.com/public\"",
		"x 60 IN URI 10 1 ftp",
		"x 60 IN NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
		"x 60 IN NAPTR 100 10 u E2U+sip \"\" next",
		"x 60 IN NAPTR 100 10 \"u\" \"E2U+sip\" \"\"",
		"x 60 IN HINFO \"x86 64\" linux",
		"x 60 IN HINFO a",
		"x 60 IN HINFO a b c",
		"x 60 IN HINFO a\\032b \"c\\\\\"",
		"x 60 IN SPF \"v=spf1 -all\" more",
		/* keys and signatures */
		"x 60 IN DNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF",
		"x 60 IN DNSKEY 257 3 8 AwEA agAI KlVZ",
		"x 60 IN DNSKEY 257 3 RSASHA256 AwEAAQ==",
		"x 60 IN DNSKEY 257 3 8 AQ==",
		"x 60 IN DNSKEY 257 3 8 AR==",
		"x 60 IN DNSKEY 257 3 8 AQI=",
		"x 60 IN DNSKEY 257 3 8 AQJ=",
		"x 60 IN DNSKEY 257 3 8 AQIDBA",
		"x 60 IN DNSKEY 257 3 8 -",
		"x 60 IN DNSKEY 257 3 8 0",
		"x 60 IN DNSKEY 257 3 8 AQ==AQ==",
		"x 60 IN DNSKEY 257 3 8",
		"x 60 IN RRSIG A 8 2 3600 20250101000000 20240101000000 12345 example.com. "
		"dGVzdA==",
		"x 60 IN RRSIG a 8 2 3600 1735689600 1704067200 12345 example.com. dGVzdA==",
		"x 60 IN RRSIG TYPE65000 8 2 3600 20240229235959 20240230000000 1 . dGVzdA==",
		"x 60 IN RRSIG A 8 2 3600 19691231235959 20240101000000 1 . dGVzdA==",
		"x 60 IN RRSIG A 8 2 3600 20241301000000 20240101000000 1 . dGVzdA==",
		"x 60 IN RRSIG A 8 2 3600 21060207062816 99991231235959 1 . dGVzdA==",
		"x 60 IN RRSIG A 8 2 4294967295 4294967295 0 1 . dGVzdA==",
		"x 60 IN RRSIG BOGUS 8 2 3600 20250101000000 20240101000000 1 . dGVzdA==",
		"x 60 IN RRSIG A RSASHA256 2 3600 20250101000000 20240101000000 1 . dGVzdA==",
		"x 60 IN NSEC next.example.com. A NS SOA RRSIG NSEC TYPE65000",
		"x 60 IN NSEC next",
		"x 60 IN NSEC next a aaaa Rrsig nsec type1234 CAA",
		"x 60 IN NSEC next A A A",
		"x 60 IN NSEC next TYPE0",
		"x 60 IN NSEC next BOGUS",
		"x 60 IN NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
		"x 60 IN NSEC3 1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S",
		"x 60 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3",
		"x 60 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3w",
		"x 60 IN NSEC3 1 0 0 abc 2vptu5timamqttgl4luu9kg21e0aor3s",
		"x 60 IN NSEC3PARAM 1 0 12 aabbccdd",
		"x 60 IN NSEC3PARAM 1 0 0 -",
		/* digests */
		"x 60 IN CDS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
		"x 60 IN CDS 0 0 0 00",
		"x 60 IN DLV 60485 5 1 2BB183AF 5F22588179A53B0A98631FAD1A292118",
		"x 60 IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9",
		"x 60 IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662c",
		"x 60 IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662cg",
		"x 60 IN TLSA DANE-EE 1 1 0c72ac70b745ac19998811b131d662c9",
		"x 60 IN SMIMEA 3 1 1 0c72ac70",
		"x 60 IN SSHFP 2 1 123456789abcdef67890123456789abcdef67890",
		"x 60 IN SSHFP 2 1",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT(agrees_with_ldns(cases[i]));
}

/*
 * Tokens of every length at every position around the 16- and 32-byte
 * blocks of the lexer, and characters it leaves to the slow path at every
 * position.
 */
static void test_lexer_positions(void)
{
	static char z[1 << 16];
	char owner[80], exp[300];

	for (size_t olen = 1; olen <= 70; olen++) {
		for (size_t pad = 1; pad <= 34; pad += 3) {
			size_t n = 0;

			/* labels of at most 20 characters */
			for (size_t i = 0; i < olen; i++)
				owner[i] = i % 21 == 20 && i + 1 < olen
						   ? '.'
						   : (char)('a' + (i * 7 + pad) % 26);
			owner[olen] = '\0';
			/* blanks of every kind between the fields */
			n += (size_t)sprintf(z + n, "%s%*s60\tIN \tTXT%*s%s w\n", owner, (int)pad,
					     "", (int)(pad % 5 + 1), "", owner);
			n += (size_t)sprintf(z + n, "%*s\tIN TXT %s;c\n", (int)pad, "", owner);
			n += (size_t)sprintf(z + n, "%s TXT \"%s\" %s\r\n", owner, owner, owner);
			n += (size_t)sprintf(z + n, "%s TXT (%s\n %s)\n", owner, owner, owner);
			n += (size_t)sprintf(z + n, "%s TXT %s\\%03u%s", owner, owner,
					     65 + (unsigned)pad, owner);
			CU_ASSERT_EQUAL_FATAL(parse(z), 0);
			CU_ASSERT_EQUAL_FATAL(nrr, 5);
			snprintf(exp, sizeof(exp), "%s.example.com.", owner);
			for (size_t k = 0; k < 5; k++) {
				uint8_t w[300];
				size_t o = 0;

				CU_ASSERT(owner_is(&rrs[k], exp));
				CU_ASSERT_EQUAL(rrs[k].type, 16);
				CU_ASSERT_EQUAL(rrs[k].line, k == 4 ? 6 : k + 1);
				/* expected rdata */
				if (k == 4) {
					w[o++] = (uint8_t)(2 * olen + 1);
					memcpy(w + o, owner, olen);
					o += olen;
					w[o++] = (uint8_t)(65 + pad);
					memcpy(w + o, owner, olen);
					o += olen;
				} else {
					w[o++] = (uint8_t)olen;
					memcpy(w + o, owner, olen);
					o += olen;
					if (k != 1) {
						w[o++] = k == 0 ? 1 : (uint8_t)olen;
						if (k == 0)
							w[o++] = 'w';
						else {
							memcpy(w + o, owner, olen);
							o += olen;
						}
					}
				}
				CU_ASSERT(rrs[k].rdlen == o && memcmp(rrs[k].rdata, w, o) == 0);
			}
		}
	}
}

/* Entries of many fields on one line. */
static void test_lexer_many_fields(void)
{
	static char z[8192];
	size_t n = (size_t)sprintf(z, "x 60 IN TXT");

	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(z + n, " %c", 'a' + i % 26);
	sprintf(z + n, "\ny 60 IN NSEC z A NS SOA MX TXT AAAA SRV RRSIG NSEC DNSKEY\n");
	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 2);
	CU_ASSERT_EQUAL(rrs[0].rdlen, 600);
	for (int i = 0; i < 300; i++)
		CU_ASSERT(rrs[0].rdata[2 * i] == 1 && rrs[0].rdata[2 * i + 1] == 'a' + i % 26);
	CU_ASSERT(same_as_ldns("y 60 IN NSEC z A NS SOA MX TXT AAAA SRV RRSIG NSEC DNSKEY"));
}

/* The same owner text is read again after the origin changes. */
static void test_owner_after_origin_change(void)
{
	char name[1024];
	struct zw_parse_opts o = base_opts();
	const char *z = "deep 60 A 192.0.2.1\n"
			"$INCLUDE sub/inc2.zone sub\n"
			"deep 60 A 192.0.2.1\n"
			"$ORIGIN example.net.\n"
			"deep 60 A 192.0.2.1\n"
			"deep 60 A 192.0.2.2\n"
			"\t60 A 192.0.2.3\n"
			"deep 60 A 192.0.2.4\n";

	data_path(name, sizeof(name), "virtual.zone");
	reset();
	CU_ASSERT_EQUAL(zw_parse_buffer(name, z, strlen(z), &o), 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 7);
	CU_ASSERT(owner_is(&rrs[0], "deep.example.com."));
	CU_ASSERT(owner_is(&rrs[1], "deep.sub.example.com."));
	CU_ASSERT(owner_is(&rrs[2], "deep.example.com."));
	for (size_t i = 3; i < 7; i++)
		CU_ASSERT(owner_is(&rrs[i], "deep.example.net."));
	CU_ASSERT(rdata_is(&rrs[6], "c0000204"));
}

/* IPSECKEY, WKS and CERT type 0 are handled without ldns's parsers. */
static void test_ipseckey_wks_cert(void)
{
	const char *z = "a 60 IPSECKEY 10 0 2 . AQID\n"
			"b 60 IPSECKEY 10 2 2 2001:db8::1 AQID BAU=\n"
			"c 60 IPSECKEY 10 3 2 gw AQI=\n"
			"d 60 IPSECKEY 10 1 0 192.0.2.1\n"
			"e 60 WKS 192.0.2.1 tcp 0 25 smtp\n"
			"f 60 WKS 192.0.2.1 17 53 domain\n"
			"g 60 WKS 192.0.2.1 UDP\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 7);
	CU_ASSERT(rdata_is(&rrs[0], "0a0002 010203"));
	CU_ASSERT(rdata_is(&rrs[1], "0a0202 20010db8000000000000000000000001 010203 0405"));
	CU_ASSERT(rdata_is(&rrs[2], "0a0302 026777076578616d706c6503636f6d00 0102"));
	CU_ASSERT(rdata_is(&rrs[3], "0a0100 c0000201"));
	CU_ASSERT(rdata_is(&rrs[4], "c0000201 06 80000040"));
	CU_ASSERT(rdata_is(&rrs[5], "c0000201 11 00000000000004"));
	CU_ASSERT(rdata_is(&rrs[6], "c0000201 11"));

	z = "a 60 IPSECKEY 10 0 2 gw AQID\n"	    /* type 0 needs '.' */
	    "b 60 IPSECKEY 10 4 2 . AQID\n"	    /* bad gateway type */
	    "c 60 IPSECKEY 10 1 2 192.0.2.1 A?==\n" /* bad base64 */
	    "d 60 IPSECKEY 10 1 2 192.0.2.1 AQI\n"  /* short base64 */
	    "e 60 IPSECKEY 10 1 2\n"		    /* no gateway */
	    "f 60 IPSECKEY 10 2 2 192.0.2.1 AQID\n" /* v4 as v6 */
	    "g 60 WKS 192.0.2.1 nosuchproto 25\n"
	    "h 60 WKS 192.0.2.1 tcp 65536\n"
	    "i 60 WKS 192.0.2.1 tcp nosuchservice\n"
	    "j 60 WKS 1.2.3\n"
	    "k 60 CERT 0 2 3 AQID\n"
	    "l 60 CERT 65536 2 3 AQID\n"
	    "m 60 IPSECKEY 10 1 2 192.0.2.1 AQID===\n";
	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(ndiag, 13);
	for (size_t i = 0; i < ndiag; i++) {
		CU_ASSERT_EQUAL(diags[i].code, ZW_D_SYNTAX);
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
	}
}

/* ------------------------------------------------------------------ */
/* names                                                               */

static void test_name_limits(void)
{
	char z[4096];
	char l63[64];
	size_t o = 0;

	memset(l63, 'a', 63);
	l63[63] = '\0';
	/* 4 * 63 + 3 dots: 253 chars -> 255-octet wire name: the limit */
	o += (size_t)sprintf(z + o, "%s.%s.%s.%.61s. 60 A 192.0.2.1\n", l63, l63, l63, l63);
	/* one more octet */
	o += (size_t)sprintf(z + o, "%s.%s.%s.%.62s. 60 A 192.0.2.1\n", l63, l63, l63, l63);
	/* label of 64 */
	o += (size_t)sprintf(z + o, "%sa 60 A 192.0.2.1\n", l63);
	/* relative name that only overflows with the origin */
	o += (size_t)sprintf(z + o, "%s.%s.%s.%.50s 60 A 192.0.2.1\n", l63, l63, l63, l63);
	/* empty label, leading dot */
	o += (size_t)sprintf(z + o, "a..b 60 A 192.0.2.1\n.a 60 A 192.0.2.1\n");
	/* too long in rdata, fast path and ldns path */
	o += (size_t)sprintf(z + o, "x 60 CNAME %s.%s.%s.%.50s\n", l63, l63, l63, l63);
	o += (size_t)sprintf(z + o, "x 60 SRV 1 2 3 %s.%s.%s.%.50s\n", l63, l63, l63, l63);
	o += (size_t)sprintf(z + o, "x 60 SRV 1 2 3 %sb\n", l63);

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CU_ASSERT_EQUAL(rrs[0].owner_len, 255);
	CU_ASSERT_EQUAL(rrs[0].line, 1);
	CU_ASSERT_EQUAL(count_diag(ZW_D_SYNTAX), 8);
	for (size_t i = 0; i < ndiag; i++)
		CU_ASSERT_EQUAL(diags[i].line, i + 2);
}

/* ------------------------------------------------------------------ */
/* $INCLUDE                                                            */

static void test_include_relative(void)
{
	char path[1024], inc[1024], inc2[1024];
	struct zw_parse_opts o = base_opts();

	data_path(path, sizeof(path), "main.zone");
	data_path(inc, sizeof(inc), "sub/inc.zone");
	data_path(inc2, sizeof(inc2), "sub/inc2.zone");
	reset();
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 7);
	CHECK_RR(0, "www.example.com.", 1, 1, 300, 4);
	CU_ASSERT_STRING_EQUAL(rrs[0].file, path);
	CHECK_RR(1, "inc.example.com.", 1, 1, 60, 3);
	CU_ASSERT_STRING_EQUAL(rrs[1].file, inc);
	CHECK_RR(2, "x.changed.example.", 1, 1, 60, 5);
	CU_ASSERT_STRING_EQUAL(rrs[2].file, inc);
	/* nested, relative to the including file's directory */
	CHECK_RR(3, "deep.changed.example.", 1, 1, 60, 1);
	CU_ASSERT_STRING_EQUAL(rrs[3].file, inc2);
	/* back in main.zone: its origin and $TTL again */
	CHECK_RR(4, "after.example.com.", 1, 1, 300, 6);
	CU_ASSERT_STRING_EQUAL(rrs[4].file, path);
	/* $INCLUDE with an origin argument (and a quoted file name) */
	CHECK_RR(5, "deep.other.test.", 1, 1, 300, 1);
	CU_ASSERT_STRING_EQUAL(rrs[5].file, inc2);
	CHECK_RR(6, "last.example.com.", 1, 1, 300, 8);
	CU_ASSERT(rdata_is(&rrs[6], "c000020a"));
}

static void test_include_from_buffer(void)
{
	char name[1024];
	struct zw_parse_opts o = base_opts();
	const char *z = "$INCLUDE sub/inc2.zone sub\nz 60 A 192.0.2.1\n";

	/* the buffer's name gives the directory for relative paths */
	data_path(name, sizeof(name), "virtual.zone");
	reset();
	CU_ASSERT_EQUAL(zw_parse_buffer(name, z, strlen(z), &o), 0);
	CU_ASSERT_EQUAL(nrr, 2);
	CHECK_RR(0, "deep.sub.example.com.", 1, 1, 3600, 1);
	CHECK_RR(1, "z.example.com.", 1, 1, 60, 2);
}

static void test_include_disabled(void)
{
	char name[1024];
	struct zw_parse_opts o = base_opts();
	const char *z = "a 60 A 192.0.2.1\n$INCLUDE sub/inc2.zone\nb 60 A 192.0.2.2\n";

	data_path(name, sizeof(name), "virtual.zone");
	o.flags = ZW_PARSE_NO_INCLUDE;
	reset();
	CU_ASSERT_EQUAL(zw_parse_buffer(name, z, strlen(z), &o), ZW_EINCLUDE);
	CU_ASSERT_EQUAL(nrr, 2);
	CHECK_RR(0, "a.example.com.", 1, 1, 60, 1);
	CHECK_RR(1, "b.example.com.", 1, 1, 60, 3);
	CU_ASSERT_EQUAL(ndiag, 1);
	CU_ASSERT_EQUAL(diags[0].code, ZW_D_INCLUDE);
	CU_ASSERT_EQUAL(diags[0].sev, ZW_SEV_ERROR);
	CU_ASSERT_EQUAL(diags[0].line, 2);
}

static void test_include_depth(void)
{
	char path[1024];
	struct zw_parse_opts o = base_opts();

	data_path(path, sizeof(path), "chain1.zone");
	/* chain1 -> chain2 -> ... -> chain5: four levels of nesting */
	reset();
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), 0);
	CU_ASSERT_EQUAL(nrr, 5);
	CU_ASSERT_EQUAL(ndiag, 1);
	CU_ASSERT_EQUAL(count_diag(ZW_D_NO_TTL), 1);
	CU_ASSERT(owner_is(&rrs[4], "c5.example.com."));
	CU_ASSERT(strstr(rrs[4].file, "chain5.zone") != NULL);

	o.max_include_depth = 2;
	reset();
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), ZW_EINCLUDE);
	CU_ASSERT_EQUAL(nrr, 3);
	CHECK_RR(2, "c3.example.com.", 1, 1, 3600, 1);
	CU_ASSERT_EQUAL(ndiag, 2); /* no-ttl warning and the refusal */
	CU_ASSERT_EQUAL(count_diag(ZW_D_INCLUDE), 1);
	CU_ASSERT_EQUAL(count_diag(ZW_D_NO_TTL), 1);
	for (size_t i = 0; i < ndiag; i++) {
		if (diags[i].code != ZW_D_INCLUDE)
			continue;
		CU_ASSERT_EQUAL(diags[i].line, 2);
		CU_ASSERT(strstr(diags[i].file, "chain3.zone") != NULL);
	}
}

static void test_include_loop(void)
{
	char path[1024];
	struct zw_parse_opts o = base_opts();

	data_path(path, sizeof(path), "loop.zone");
	reset();
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), ZW_EINCLUDE);
	CU_ASSERT_EQUAL(count_diag(ZW_D_INCLUDE), 1);
	CU_ASSERT_EQUAL(nrr, 2);
	CHECK_RR(0, "a.example.com.", 1, 1, 3600, 1);
	CHECK_RR(1, "b.example.com.", 1, 1, 3600, 3);

	/* from a buffer: the included file is caught when it includes itself */
	{
		char name[1024];
		const char *z = "$INCLUDE loop.zone\n";

		data_path(name, sizeof(name), "virtual.zone");
		o.max_include_depth = 3;
		reset();
		CU_ASSERT_EQUAL(zw_parse_buffer(name, z, strlen(z), &o), ZW_EINCLUDE);
		CU_ASSERT_EQUAL(count_diag(ZW_D_INCLUDE), 1);
		CU_ASSERT_EQUAL(nrr, 2);
	}
}

static void test_include_errors(void)
{
	char path[1024];
	struct zw_parse_opts o = base_opts();

	data_path(path, sizeof(path), "missing.zone");
	reset();
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), -ENOENT);
	CU_ASSERT_EQUAL(nrr, 2);
	CU_ASSERT_EQUAL(count_diag(ZW_D_INCLUDE), 1);
	CU_ASSERT_EQUAL(diags[ndiag - 1].line, 2);

	CU_ASSERT_EQUAL(parse("$INCLUDE\n$INCLUDE a b c\n$INCLUDE x a..b\n"), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(count_diag(ZW_D_SYNTAX), 3);

	reset();
	CU_ASSERT_EQUAL(zw_parse_file("/nonexistent/zone/file", &o), -ENOENT);
	CU_ASSERT_EQUAL(zw_parse_file(NULL, &o), -EINVAL);
	CU_ASSERT_EQUAL(zw_parse_buffer("x", NULL, 3, &o), -EINVAL);
	data_path(path, sizeof(path), "sub");
	CU_ASSERT_EQUAL(zw_parse_file(path, &o), -EISDIR);
}

/* ------------------------------------------------------------------ */
/* $GENERATE                                                           */

static void test_generate_plain(void)
{
	const char *z = "a 60 A 192.0.2.1\n"
			"$GENERATE 1-3 host$ 300 IN A 10.0.0.$\n"
			"  60 TXT after\n"; /* previous owner is still a. */

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 5);
	CHECK_RR(1, "host1.example.com.", 1, 1, 300, 2);
	CU_ASSERT(rdata_is(&rrs[1], "0a000001"));
	CHECK_RR(2, "host2.example.com.", 1, 1, 300, 2);
	CU_ASSERT(rdata_is(&rrs[2], "0a000002"));
	CHECK_RR(3, "host3.example.com.", 1, 1, 300, 2);
	CU_ASSERT(rdata_is(&rrs[3], "0a000003"));
	CHECK_RR(4, "a.example.com.", 16, 1, 60, 3);
}

static void test_generate_step_and_class(void)
{
	const char *z = "$TTL 99\n"
			"$GENERATE 0-10/5 $.rev PTR host-$.example.\n"
			"$GENERATE 7-7 IN$ IN 5 CNAME t$\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 4);
	CHECK_RR(0, "0.rev.example.com.", 12, 1, 99, 2);
	CU_ASSERT(rdata_is_name(&rrs[0], "host-0.example."));
	CHECK_RR(1, "5.rev.example.com.", 12, 1, 99, 2);
	CU_ASSERT(rdata_is_name(&rrs[1], "host-5.example."));
	CHECK_RR(2, "10.rev.example.com.", 12, 1, 99, 2);
	CHECK_RR(3, "IN7.example.com.", 5, 1, 5, 3);
	CU_ASSERT(rdata_is_name(&rrs[3], "t7.example.com."));
}

static void test_generate_modifiers(void)
{
	const char *z = "$GENERATE 10-10 d${0,4,d} 60 A 192.0.2.1\n"
			"$GENERATE 10-10 o${0,4,o} A 192.0.2.1\n"
			"$GENERATE 10-10 x${5,3,x} A 192.0.2.1\n"
			"$GENERATE 10-10 X${5,3,X} A 192.0.2.1\n"
			"$GENERATE 10-10 n.${0,3,n} A 192.0.2.1\n"
			"$GENERATE 300-300 N.${0,0,N} A 192.0.2.1\n"
			"$GENERATE 1-1 n.${0,5,n} A 192.0.2.1\n"
			"$GENERATE 10-10 off${-3} A 192.0.2.1\n"
			"$GENERATE 5-5 w${0,3} A 192.0.2.1\n"
			"$GENERATE 1-1 lit\\$$ A 192.0.2.1\n"
			"$GENERATE 2-2 dd$$$ A 192.0.2.1\n"
			"$GENERATE 3-3 t TXT \"v=$ \\$ cost\"\n"
			"$GENERATE 0-0 m${-1,0,x} A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 13);
	CU_ASSERT(owner_is(&rrs[0], "d0010.example.com."));
	CU_ASSERT(owner_is(&rrs[1], "o0012.example.com."));
	CU_ASSERT(owner_is(&rrs[2], "x00f.example.com."));
	CU_ASSERT(owner_is(&rrs[3], "X00F.example.com."));
	CU_ASSERT(owner_is(&rrs[4], "n.a.0.example.com."));
	CU_ASSERT(owner_is(&rrs[5], "N.C.2.1.example.com."));
	CU_ASSERT(owner_is(&rrs[6], "n.1.0.0.example.com."));
	CU_ASSERT(owner_is(&rrs[7], "off7.example.com."));
	CU_ASSERT(owner_is(&rrs[8], "w005.example.com."));
	CU_ASSERT(owner_is(&rrs[9], "lit$1.example.com."));
	CU_ASSERT(owner_is(&rrs[10], "dd$2.example.com."));
	CU_ASSERT(owner_is(&rrs[11], "t.example.com."));
	{
		/* the rdata is read again after expansion: three strings */
		const uint8_t exp[] = "\x03v=3\x01$\x04"
				      "cost";

		CU_ASSERT_EQUAL(rrs[11].rdlen, sizeof(exp) - 1);
		CU_ASSERT(memcmp(rrs[11].rdata, exp, sizeof(exp) - 1) == 0);
	}
	CU_ASSERT(owner_is(&rrs[12], "mffffffff.example.com."));
	for (size_t i = 0; i < nrr; i++) {
		CU_ASSERT_EQUAL(rrs[i].line, i + 1);
		CU_ASSERT_EQUAL(rrs[i].ttl, 60); /* last explicit TTL */
	}
}

static void test_generate_limits(void)
{
	struct zw_parse_opts o = base_opts();
	const char *z = "$TTL 1\n"
			"$GENERATE 1-11 h$ A 192.0.2.1\n"
			"$GENERATE 1-10 g$ A 192.0.2.1\n";

	o.max_generate = 10;
	CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 10);
	CU_ASSERT_EQUAL(ndiag, 1);
	CU_ASSERT_EQUAL(diags[0].code, ZW_D_GENERATE);
	CU_ASSERT_EQUAL(diags[0].line, 2);
	CU_ASSERT(owner_is(&rrs[9], "g10.example.com."));
	CU_ASSERT_EQUAL(rrs[9].line, 3);

	/* default limit: 65536 */
	CU_ASSERT_EQUAL(parse("$GENERATE 0-65536 h$ A 192.0.2.1\n"), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(count_diag(ZW_D_GENERATE), 1);
	CU_ASSERT_EQUAL(parse("$GENERATE 0-2147483647 h$ A 192.0.2.1\n"), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(count_diag(ZW_D_GENERATE), 1);
}

static void test_generate_malformed(void)
{
	const char *z = "$GENERATE 1-2 h$ A\n"			/* no rhs */
			"$GENERATE 1-2\n"			/* nothing */
			"$GENERATE x-2 h$ A 192.0.2.$\n"	/* bad start */
			"$GENERATE 5-2 h$ A 192.0.2.$\n"	/* stop < start */
			"$GENERATE 1-2/0 h$ A 192.0.2.$\n"	/* step 0 */
			"$GENERATE 1 h$ A 192.0.2.$\n"		/* no stop */
			"$GENERATE 1-2 h${1,2,z} A 192.0.2.$\n" /* bad base */
			"$GENERATE 1-2 h${x} A 192.0.2.$\n"	/* bad offset */
			"$GENERATE 1-2 h${1,2 A 192.0.2.$\n"	/* unterminated */
			"$GENERATE 1-2 h${1,999} A 192.0.2.$\n" /* width */
			"$GENERATE 1-2 h$ A 192.0.2.${300}\n"	/* bad A */
			"$GENERATE 1-2 h$ BOGUS x\n"		/* bad type */
			"$GENERATE 2147483647-2147483647 h${1} A 192.0.2.1\n"
			"ok 60 A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CHECK_RR(0, "ok.example.com.", 1, 1, 60, 14);
	CU_ASSERT_EQUAL(ndiag, 13);
	for (size_t i = 0; i < ndiag; i++) {
		CU_ASSERT_EQUAL(diags[i].code, ZW_D_GENERATE);
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
	}
}

/* Expected rdata, built field by field. */
struct exp_rdata {
	uint8_t b[1024];
	size_t n;
};

static void exp_u8(struct exp_rdata *e, unsigned v)
{
	e->b[e->n++] = (uint8_t)v;
}

static void exp_u16(struct exp_rdata *e, unsigned v)
{
	e->b[e->n++] = (uint8_t)(v >> 8);
	e->b[e->n++] = (uint8_t)v;
}

static void exp_raw(struct exp_rdata *e, const char *s)
{
	memcpy(e->b + e->n, s, strlen(s));
	e->n += strlen(s);
}

static void exp_str(struct exp_rdata *e, const char *s)
{
	exp_u8(e, (unsigned)strlen(s));
	exp_raw(e, s);
}

static void exp_name(struct exp_rdata *e, const char *dotted)
{
	e->n += wire(dotted, e->b + e->n);
}

static bool rdata_is_exp(const struct got_rr *g, const struct exp_rdata *e)
{
	return g->rdlen == e->n && memcmp(g->rdata, e->b, e->n) == 0;
}

/* Quoted rdata is one field, read again after expansion (BIND): the
 * types the reader converts itself. */
static void test_generate_quoted_fast_types(void)
{
	const char *z = "$TTL 60\n"
			"$GENERATE 1-3 mx$ MX \"$0 relay$\"\n"
			"$GENERATE 1-2 t$ TXT \"host number $\"\n"
			"$GENERATE 7-7 a$ A \"192.0.2.$\"\n"
			"$GENERATE 10-10 aaaa$ AAAA \"2001:db8::${0,0,x}\"\n"
			"$GENERATE 1-1 ns$ NS \"ns$.example.net.\"\n"
			"$GENERATE 2-2 c$ CNAME \"c$\"\n"
			"$GENERATE 3-3 $.rev PTR \"host$.example.net.\"\n"
			"$GENERATE 4-4 mx$ IN 30 MX \"1$ @\"\n";
	struct exp_rdata e;
	char name[64];

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 11);
	for (unsigned i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "mx%u.example.com.", i);
		CHECK_RR(i - 1, name, LDNS_RR_TYPE_MX, 1, 60, 2);
		e.n = 0;
		exp_u16(&e, i * 10); /* "$0": the iterator, then "0" */
		snprintf(name, sizeof(name), "relay%u.example.com.", i);
		exp_name(&e, name);
		CU_ASSERT(rdata_is_exp(&rrs[i - 1], &e));
	}
	for (unsigned i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "t%u.example.com.", i);
		CHECK_RR(2 + i, name, LDNS_RR_TYPE_TXT, 1, 60, 3);
		e.n = 0;
		exp_str(&e, "host");
		exp_str(&e, "number");
		snprintf(name, sizeof(name), "%u", i);
		exp_str(&e, name);
		CU_ASSERT(rdata_is_exp(&rrs[2 + i], &e));
	}
	CHECK_RR(5, "a7.example.com.", LDNS_RR_TYPE_A, 1, 60, 4);
	CU_ASSERT(rdata_is(&rrs[5], "c0000207"));
	CHECK_RR(6, "aaaa10.example.com.", LDNS_RR_TYPE_AAAA, 1, 60, 5);
	CU_ASSERT(rdata_is(&rrs[6], "20010db8 00000000 00000000 0000000a"));
	CHECK_RR(7, "ns1.example.com.", LDNS_RR_TYPE_NS, 1, 60, 6);
	CU_ASSERT(rdata_is_name(&rrs[7], "ns1.example.net."));
	CHECK_RR(8, "c2.example.com.", LDNS_RR_TYPE_CNAME, 1, 60, 7);
	CU_ASSERT(rdata_is_name(&rrs[8], "c2.example.com."));
	CHECK_RR(9, "3.rev.example.com.", LDNS_RR_TYPE_PTR, 1, 60, 8);
	CU_ASSERT(rdata_is_name(&rrs[9], "host3.example.net."));
	CHECK_RR(10, "mx4.example.com.", LDNS_RR_TYPE_MX, 1, 30, 9);
	e.n = 0;
	exp_u16(&e, 14);
	exp_name(&e, "example.com.");
	CU_ASSERT(rdata_is_exp(&rrs[10], &e));
}

/* SRV and TXT with quotes, escapes, parentheses and comments inside the
 * quoted rdata. */
static void test_generate_quoted_srv_txt(void)
{
	const char *z = "$GENERATE 1-2 _sip._udp.pool$ 300 SRV \"10 $ 5060 sip$.example.net.\"\n"
			"$GENERATE 1-1 q$ TXT \"\\\"a b\\\" c$\"\n"
			"$GENERATE 2-2 q$ TXT \"v=$ ; the rest is a comment\"\n"
			"$GENERATE 3-3 q$ TXT \"( v=$ ) \\$ \\\\$ end\"\n"
			"$GENERATE 4-4 q$ TXT \"\\\"a\\\\\\\" b$ x\\ y\"\n";
	struct exp_rdata e;
	char name[64];

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 6);
	for (unsigned i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "_sip._udp.pool%u.example.com.", i);
		CHECK_RR(i - 1, name, LDNS_RR_TYPE_SRV, 1, 300, 1);
		e.n = 0;
		exp_u16(&e, 10);
		exp_u16(&e, i);
		exp_u16(&e, 5060);
		snprintf(name, sizeof(name), "sip%u.example.net.", i);
		exp_name(&e, name);
		CU_ASSERT(rdata_is_exp(&rrs[i - 1], &e));
	}
	/* "\"a b\" c1": two strings */
	CHECK_RR(2, "q1.example.com.", LDNS_RR_TYPE_TXT, 1, 300, 2);
	e.n = 0;
	exp_str(&e, "a b");
	exp_str(&e, "c1");
	CU_ASSERT(rdata_is_exp(&rrs[2], &e));
	CHECK_RR(3, "q2.example.com.", LDNS_RR_TYPE_TXT, 1, 300, 3);
	e.n = 0;
	exp_str(&e, "v=2");
	CU_ASSERT(rdata_is_exp(&rrs[3], &e));
	/* \$ is a literal '$' for the expansion and for the rdata; \\ is a
	 * backslash, after which '$' is replaced */
	CHECK_RR(4, "q3.example.com.", LDNS_RR_TYPE_TXT, 1, 300, 4);
	e.n = 0;
	exp_str(&e, "v=3");
	exp_str(&e, "$");
	exp_str(&e, "\\3");
	exp_str(&e, "end");
	CU_ASSERT(rdata_is_exp(&rrs[4], &e));
	/* "\"a\\\" b$ x\ y": \" is a quote, \\ stays an escaped backslash
	 * and \<space> an escaped blank: "a\\" b4 x\ y after the expansion */
	CHECK_RR(5, "q4.example.com.", LDNS_RR_TYPE_TXT, 1, 300, 5);
	e.n = 0;
	exp_str(&e, "a\\");
	exp_str(&e, "b4");
	exp_str(&e, "x y");
	CU_ASSERT(rdata_is_exp(&rrs[5], &e));
}

/* Types converted by ldns, with quoted strings inside the quoted rdata. */
static void test_generate_quoted_ldns_types(void)
{
	const char *z = "$TTL 60\n"
			"$GENERATE 1-2 n$ NAPTR \"100 $ \\\"s\\\" \\\"SIP+D2U\\\" \\\"\\\" "
			"_sip._udp.sip$.example.net.\"\n"
			"$GENERATE 3-3 c$ CAA \"0 issue \\\"ca$.example.net\\\"\"\n";
	struct exp_rdata e;
	char name[64];

	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL(ndiag, 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 3);
	for (unsigned i = 1; i <= 2; i++) {
		snprintf(name, sizeof(name), "n%u.example.com.", i);
		CHECK_RR(i - 1, name, LDNS_RR_TYPE_NAPTR, 1, 60, 2);
		e.n = 0;
		exp_u16(&e, 100);
		exp_u16(&e, i);
		exp_str(&e, "s");
		exp_str(&e, "SIP+D2U");
		exp_str(&e, "");
		snprintf(name, sizeof(name), "_sip._udp.sip%u.example.net.", i);
		exp_name(&e, name);
		CU_ASSERT(rdata_is_exp(&rrs[i - 1], &e));
	}
	CHECK_RR(2, "c3.example.com.", LDNS_RR_TYPE_CAA, 1, 60, 3);
	e.n = 0;
	exp_u8(&e, 0);
	exp_str(&e, "issue");
	exp_raw(&e, "ca3.example.net");
	CU_ASSERT(rdata_is_exp(&rrs[2], &e));
}

/* BIND reads one rdata field: several without quotes are refused. */
static void test_generate_unquoted_fields(void)
{
	const char *z = "$GENERATE 1-2 mx$ MX 10 relay$\n"
			"$GENERATE 1-2 t$ 300 IN TXT a b c ; comment\n"
			"$GENERATE 1-2 h$ 300 A\n"		/* no rdata */
			"$GENERATE 1-2 t$ TXT \"\\\"a b c$\"\n" /* unbalanced \" */
			"$GENERATE 1-2 t$ TXT \"( v=$\"\n"	/* no ')' */
			"$GENERATE 1-2 t$ MX \"10\"\n"		/* bad MX */
			"$GENERATE 1-2 t$ 30$ A 192.0.2.1\n"	/* TTL: no '$' */
			"after 60 A 192.0.2.1\n";

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL_FATAL(nrr, 1);
	CHECK_RR(0, "after.example.com.", LDNS_RR_TYPE_A, 1, 60, 8);
	CU_ASSERT_EQUAL_FATAL(ndiag, 7);
	for (size_t i = 0; i < ndiag; i++) {
		CU_ASSERT_EQUAL(diags[i].code, ZW_D_GENERATE);
		CU_ASSERT_EQUAL(diags[i].sev, ZW_SEV_ERROR);
		CU_ASSERT_EQUAL(diags[i].line, i + 1);
	}
	CU_ASSERT(strstr(diags[0].msg, "not 2 ('10 relay$')") != NULL);
	CU_ASSERT(strstr(diags[0].msg, "in quotes") != NULL);
	CU_ASSERT(strstr(diags[1].msg, "not 3 ('a b c')") != NULL);
	CU_ASSERT(strstr(diags[3].msg, "unterminated quoted string") != NULL);
	CU_ASSERT(strstr(diags[4].msg, "missing ')'") != NULL);
	CU_ASSERT(strstr(diags[4].msg, "end of file") == NULL);
	CU_ASSERT(strstr(diags[6].msg, "30$") != NULL);
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

static void test_errors_continue(void)
{
	const char *z = "a 60 A 192.0.2.1\n"
			"b 60 A 300.0.0.1\n"
			"c 60 MX x y\n"
			"d 60 TXT ( \"x\"\n"
			"   \"y\" ) bogus \"\n" /* unterminated quote on line 5 */
			"e 60 A 192.0.2.5\n"
			"f 60 A ( 192.0.2.6\n"
			"  ) )\n" /* extra ')' */
			"$FOO bar\n"
			"g 60 AAAA 192.0.2.1\n"
			"h 60 A 192.0.2.8\n";

	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 3);
	CHECK_RR(0, "a.example.com.", 1, 1, 60, 1);
	CHECK_RR(1, "e.example.com.", 1, 1, 60, 6);
	CHECK_RR(2, "h.example.com.", 1, 1, 60, 11);
	CU_ASSERT_EQUAL(ndiag, 6);
	{
		static const unsigned lines[] = { 2, 3, 4, 7, 9, 10 };

		for (size_t i = 0; i < ndiag && i < 6; i++) {
			CU_ASSERT_EQUAL(diags[i].code, ZW_D_SYNTAX);
			CU_ASSERT_EQUAL(diags[i].sev, ZW_SEV_ERROR);
			CU_ASSERT_EQUAL(diags[i].line, lines[i]);
		}
	}
	/* the message carries ldns's reason */
	CU_ASSERT(strstr(diags[0].msg, "300.0.0.1") != NULL);
	CU_ASSERT(strstr(diags[0].msg, ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_RDATA_ERR)) !=
		  NULL);
}

static void test_unbalanced_at_eof(void)
{
	CU_ASSERT_EQUAL(parse("a 60 A 192.0.2.1\nb 60 TXT ( x\n y\n"), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CU_ASSERT_EQUAL(ndiag, 1);
	CU_ASSERT_EQUAL(diags[0].line, 2);
	CU_ASSERT_EQUAL(parse("a 60 TXT \"open"), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	CU_ASSERT_EQUAL(diags[0].line, 1);
}

static void test_max_errors(void)
{
	struct zw_parse_opts o = base_opts();
	char z[4096];
	size_t n = 0;

	for (int i = 0; i < 20; i++)
		n += (size_t)sprintf(z + n, "bad%d 60 A x\n", i);
	o.max_errors = 3;
	CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(ndiag, 3);
	CU_ASSERT_EQUAL(diags[2].line, 3);

	/* default is 100 */
	n = 0;
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(z + n, sizeof(z) - n, "b%d A x\n", i);
	CU_ASSERT_EQUAL(parse(z), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(count_diag(ZW_D_SYNTAX), 100);
}

static void test_callback_stops(void)
{
	reset();
	stop_after = 2;
	{
		struct zw_parse_opts o = base_opts();
		const char *z = "a 60 A 192.0.2.1\nb 60 A 192.0.2.2\nc 60 A 192.0.2.3\n";

		CU_ASSERT_EQUAL(zw_parse_buffer("t", z, strlen(z), &o), 42);
		CU_ASSERT_EQUAL(nrr, 2);
	}
	stop_after = 0;
}

static void test_no_diag_callback(void)
{
	struct zw_parse_opts o = base_opts();

	o.on_diag = NULL;
	CU_ASSERT_EQUAL(parse_with("a A 1\nb A 192.0.2.1\n", &o), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	o.on_rr = NULL;
	CU_ASSERT_EQUAL(zw_parse_buffer("t", "", 0, &o), -EINVAL);
	CU_ASSERT_EQUAL(zw_parse_buffer("t", "", 0, NULL), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* robustness                                                          */

static void test_garbage(void)
{
	static char buf[1 << 16];
	struct zw_parse_opts o = base_opts();

	o.flags = ZW_PARSE_NO_INCLUDE;
	o.max_errors = 1000000;
	/* random bytes */
	for (int round = 0; round < 300; round++) {
		size_t n = rnd(sizeof(buf));

		for (size_t i = 0; i < n; i++)
			buf[i] = (char)rnd(256);
		reset();
		(void)zw_parse_buffer("garbage", buf, n, &o);
	}
	/* random bytes from a zone-like alphabet */
	for (int round = 0; round < 300; round++) {
		static const char alpha[] = "aA0 \t\n;()\"\\$@.#-{},/:";
		size_t n = rnd(8192);

		for (size_t i = 0; i < n; i++)
			buf[i] = alpha[rnd(sizeof(alpha) - 1)];
		memcpy(buf, "$GENERATE", n < 9 ? n : 9);
		reset();
		(void)zw_parse_buffer("garbage", buf, n, &o);
	}
	/* embedded NUL */
	{
		static const char z[] = "a 60 TXT \"x\0y\"\nb 60 A 192.0.2.1\n";

		reset();
		CU_ASSERT_EQUAL(zw_parse_buffer("nul", z, sizeof(z) - 1, &o), ZW_ESYNTAX);
		CU_ASSERT_EQUAL(nrr, 1);
		CU_ASSERT_EQUAL(ndiag, 1);
		CU_ASSERT_EQUAL(diags[0].line, 1);
	}
	CU_PASS("no crash");
}

static void test_long_lines(void)
{
	size_t n = 4 << 20;
	char *z = malloc(n + 64);
	struct zw_parse_opts o = base_opts();

	CU_ASSERT_FATAL(z != NULL);
	/* one huge token */
	memset(z, 'a', n);
	strcpy(z + n, " 60 A 192.0.2.1\nok 60 A 192.0.2.1\n");
	CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CU_ASSERT_EQUAL(ndiag, 1);
	CU_ASSERT(strlen(diags[0].msg) < 512);
	/* a TXT with far too many strings */
	memcpy(z, "x 60 TXT", 8);
	for (size_t i = 8; i < n; i += 2)
		memcpy(z + i, " a", 2);
	strcpy(z + n, "\nok 60 A 192.0.2.1\n");
	CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 1);
	CU_ASSERT_EQUAL(ndiag, 1);
	/* a TXT whose rdata is just over the 65535 limit */
	{
		size_t k = 0;

		k += (size_t)sprintf(z, "x 60 TXT");
		for (int i = 0; i < 258; i++) {
			z[k++] = ' ';
			memset(z + k, 'b', 254);
			k += 254;
		}
		strcpy(z + k, "\n");
		CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
		CU_ASSERT_EQUAL(nrr, 0);
		CU_ASSERT(ndiag == 1 && strstr(diags[0].msg, "65535") != NULL);
		/* the same with escapes: text longer than the rdata */
		k = (size_t)sprintf(z, "x 60 TXT");
		for (int i = 0; i < 258; i++) {
			z[k++] = ' ';
			for (int j = 0; j < 254; j++, k += 4)
				memcpy(z + k, "\\066", 4);
		}
		strcpy(z + k, "\n");
		CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
		CU_ASSERT(ndiag == 1 && strstr(diags[0].msg, "65535") != NULL);
		k = (size_t)sprintf(z, "x 60 TXT");
		for (int i = 0; i < 257; i++) {
			z[k++] = ' ';
			for (int j = 0; j < 254; j++, k += 4)
				memcpy(z + k, "\\066", 4);
		}
		strcpy(z + k, "\n");
		CU_ASSERT_EQUAL(parse_with(z, &o), 0);
		CU_ASSERT(nrr == 1 && rrs[0].rdlen == 65535 && rrs[0].rdata[1] == 'B');
		/* and exactly at it */
		k = (size_t)sprintf(z, "x 60 TXT");
		for (int i = 0; i < 257; i++) {
			z[k++] = ' ';
			memset(z + k, 'b', 254);
			k += 254;
		}
		strcpy(z + k, "\n");
		CU_ASSERT_EQUAL(parse_with(z, &o), 0);
		CU_ASSERT_EQUAL(nrr, 1);
		CU_ASSERT_EQUAL(rrs[0].rdlen, 65535);
	}
	/* a string over 255 octets */
	memcpy(z, "x 60 TXT \"", 10);
	memset(z + 10, 'c', 256);
	strcpy(z + 266, "\"\n");
	CU_ASSERT_EQUAL(parse_with(z, &o), ZW_ESYNTAX);
	CU_ASSERT_EQUAL(nrr, 0);
	free(z);
}

static void test_many_records_lines(void)
{
	size_t cap = 20000 * 48;
	char *z = malloc(cap);
	size_t n = 0;

	CU_ASSERT_FATAL(z != NULL);
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(z + n, cap - n, "h%d 60 A 10.0.%d.%d\n", i, (i >> 8) & 255,
				      i & 255);
	CU_ASSERT_EQUAL(parse(z), 0);
	CU_ASSERT_EQUAL_FATAL(nrr, 20000);
	for (size_t i = 0; i < nrr; i += 997)
		CU_ASSERT_EQUAL(rrs[i].line, i + 1);
	CU_ASSERT_EQUAL(rrs[19999].line, 20000);
	free(z);
}

static const struct zw_test_case cases[] = {
	ZW_TEST(test_basic_rr),
	ZW_TEST(test_empty_and_comments),
	ZW_TEST(test_owner_case_kept),
	ZW_TEST(test_at_and_origin),
	ZW_TEST(test_origin_errors),
	ZW_TEST(test_null_origin_is_root),
	ZW_TEST(test_ttl_directive),
	ZW_TEST(test_ttl_no_default),
	ZW_TEST(test_ttl_units),
	ZW_TEST(test_ttl_errors),
	ZW_TEST(test_class_and_ttl_order),
	ZW_TEST(test_type_errors),
	ZW_TEST(test_omitted_owner),
	ZW_TEST(test_omitted_owner_at_start),
	ZW_TEST(test_parentheses),
	ZW_TEST(test_quoted_strings),
	ZW_TEST(test_escapes),
	ZW_TEST(test_escape_errors),
	ZW_TEST(test_crlf_file),
	ZW_TEST(test_rfc3597),
	ZW_TEST(test_rfc3597_errors),
	ZW_TEST(test_all_ldns_types),
	ZW_TEST(test_fast_path_matches_ldns),
	ZW_TEST(test_fast_path_corner_cases),
	ZW_TEST(test_type_mnemonics_match_ldns),
	ZW_TEST(test_fast_path_more_types_match_ldns),
	ZW_TEST(test_fast_path_more_corner_cases),
	ZW_TEST(test_lexer_positions),
	ZW_TEST(test_lexer_many_fields),
	ZW_TEST(test_owner_after_origin_change),
	ZW_TEST(test_ipseckey_wks_cert),
	ZW_TEST(test_name_limits),
	ZW_TEST(test_include_relative),
	ZW_TEST(test_include_from_buffer),
	ZW_TEST(test_include_disabled),
	ZW_TEST(test_include_depth),
	ZW_TEST(test_include_loop),
	ZW_TEST(test_include_errors),
	ZW_TEST(test_generate_plain),
	ZW_TEST(test_generate_step_and_class),
	ZW_TEST(test_generate_modifiers),
	ZW_TEST(test_generate_limits),
	ZW_TEST(test_generate_malformed),
	ZW_TEST(test_generate_quoted_fast_types),
	ZW_TEST(test_generate_quoted_srv_txt),
	ZW_TEST(test_generate_quoted_ldns_types),
	ZW_TEST(test_generate_unquoted_fields),
	ZW_TEST(test_errors_continue),
	ZW_TEST(test_unbalanced_at_eof),
	ZW_TEST(test_max_errors),
	ZW_TEST(test_callback_stops),
	ZW_TEST(test_no_diag_callback),
	ZW_TEST(test_garbage),
	ZW_TEST(test_long_lines),
	ZW_TEST(test_many_records_lines),
	{ NULL, NULL },
};

int main(void)
{
	int rc = zw_test_main("parse", cases);

	reset();
	free(rrs);
	free(diags);
	return rc;
}
