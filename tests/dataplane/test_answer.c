/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Golden cases of the answer engine (dataplane/answer.c), and a property
 * test over random and mutated queries.
 *
 * The cases are text files in tests/dataplane/golden/, one per topic; the
 * format is described in tests/dataplane/golden/README.md. Each file is one
 * CUnit test: its zones are compiled in-process, each case's query is built
 * (or taken as raw hex), answered with zw_answer(), parsed back with ldns and
 * compared with the expectation: rcode, header flags, the question byte for
 * byte, each section as a multiset of RRs (answer owners compared with their
 * letter case), the OPT RR and the size limits.
 *
 * A case with a "bug" line documents a known engine bug: when it fails the
 * runner prints "KNOWN BUG: ..." and goes on; when it passes it says so, so
 * the case can be moved to its topic file.
 *
 * With ZW_GOLDEN_REMOTE=ADDR:PORT in the environment the same queries are
 * also sent to a reference server (Knot DNS on loopback) and its answers are
 * compared with the same expectations; differences are printed, never
 * counted as failures (cases whose "knot" line says Knot answers otherwise
 * are marked as expected differences).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answer.h"
#include "answer_internal.h"
#include "compile.h"
#include "image.h"
#include "lookup.h"
#include "nsec3.h"
#include "rdata.h"
#include "unit.h"

#define MSG_MAX	  65536
#define MAX_ZONES 16
#define HDR	  12

/* ---- small helpers ---- */

static const char *srcdir(void)
{
	const char *d = getenv("ZW_SRCDIR");

	return d != NULL && *d != '\0' ? d : ".";
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A growing text buffer for the report of one case. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		while (ncap - b->len <= (size_t)n)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (np == NULL)
			return;
		b->p = np;
		b->cap = ncap;
	}
}

static void sb_rr(struct sbuf *b, const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);

	sb_printf(b, "    %s", s ? s : "(unprintable)\n");
	free(s);
}

static void sb_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Splits a line into tokens; double quotes group (backslash escapes the
 * next character inside them). Returns the number of tokens. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		char *start = p, *w = p;
		bool q = false;
		while (*p != '\0' && (q || (*p != ' ' && *p != '\t'))) {
			if (*p == '"') {
				q = !q;
				p++;
				continue;
			}
			if (q && *p == '\\' && p[1] != '\0')
				p++;
			*w++ = *p++;
		}
		if (*p != '\0')
			p++;
		*w = '\0';
		tok[n++] = start;
	}
	return n;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s == '\0')
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends hex digits (spaces allowed) to buf; returns false on odd or bad
 * digits. */
static bool append_hex(const char *s, uint8_t *buf, size_t *len, size_t cap)
{
	int hi = -1;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			continue;
		int v = hexval((unsigned char)*s);
		if (v < 0 || *len >= cap)
			return false;
		if (hi < 0) {
			hi = v;
		} else {
			buf[(*len)++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0;
}

static bool append_name(const char *s, uint8_t *buf, size_t *len, size_t cap)
{
	ldns_rdf *d = NULL;

	if (ldns_str2rdf_dname(&d, s) != LDNS_STATUS_OK)
		return false;
	size_t n = ldns_rdf_size(d);
	bool ok = *len + n <= cap;
	if (ok) {
		memcpy(buf + *len, ldns_rdf_data(d), n);
		*len += n;
	}
	ldns_rdf_deep_free(d);
	return ok;
}

/* ---- names of codes ---- */

static const char *const rcode_names[] = {
	"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "11",
	"12",	    "13",      "14",	   "15",       "BADVERS",
};
#define N_RCODES (int)(sizeof(rcode_names) / sizeof(rcode_names[0]))

static int rcode_by_name(const char *s)
{
	unsigned long v = 0;

	for (int i = 0; i < N_RCODES; i++)
		if (strcasecmp(s, rcode_names[i]) == 0)
			return i;
	return parse_uint(s, 4095, &v) ? (int)v : -1;
}

static const char *rcode_str(int rc, char *buf, size_t len)
{
	if (rc >= 0 && rc < N_RCODES)
		return rcode_names[rc];
	snprintf(buf, len, "%d", rc);
	return buf;
}

static const char *const opcode_names[] = { "QUERY",  "IQUERY", "STATUS", "3",
					    "NOTIFY", "UPDATE", "DSO" };

static int opcode_by_name(const char *s)
{
	unsigned long v = 0;

	for (int i = 0; i < (int)(sizeof(opcode_names) / sizeof(opcode_names[0])); i++)
		if (strcasecmp(s, opcode_names[i]) == 0)
			return i;
	return parse_uint(s, 15, &v) ? (int)v : -1;
}

/* Header flags as a bit set, in the order they are printed. */
enum { F_QR = 1, F_AA = 2, F_TC = 4, F_RD = 8, F_RA = 16, F_AD = 32, F_CD = 64 };
static const char *const flag_names[] = { "qr", "aa", "tc", "rd", "ra", "ad", "cd" };

static int flags_of(const uint8_t *h)
{
	return ((h[2] & 0x80) ? F_QR : 0) | ((h[2] & 0x04) ? F_AA : 0) |
	       ((h[2] & 0x02) ? F_TC : 0) | ((h[2] & 0x01) ? F_RD : 0) |
	       ((h[3] & 0x80) ? F_RA : 0) | ((h[3] & 0x20) ? F_AD : 0) | ((h[3] & 0x10) ? F_CD : 0);
}

static void flags_str(int f, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < 7; i++)
		if (f & (1 << i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
					      flag_names[i]);
	if (o == 0)
		snprintf(buf, len, "-");
}

static int flags_by_names(char *s)
{
	int f = 0;

	if (strcmp(s, "-") == 0 || *s == '\0')
		return 0;
	for (char *t = strtok(s, ","); t != NULL; t = strtok(NULL, ",")) {
		int i;
		for (i = 0; i < 7; i++)
			if (strcasecmp(t, flag_names[i]) == 0)
				break;
		if (i == 7)
			return -1;
		f |= 1 << i;
	}
	return f;
}

/* ---- the case model ---- */

enum sec_id { S_AN, S_NS, S_AR, S_COUNT };
static const char *const sec_names[S_COUNT] = { "answer", "authority", "additional" };

struct section {
	ldns_rr_list *rrs;
	bool partial; /* listed RRs must be there, others may be */
	int count;    /* with partial: the exact number of RRs, or -1 */
};

enum expect_kind { X_UNSET, X_RESPONSE, X_DROP, X_PUNT };

struct opt_expect {
	bool any; /* not checked */
	bool present;
	int size;      /* -1: not checked */
	int do_bit;    /* -1: not checked */
	int version;   /* -1: not checked */
	int ext_rcode; /* the OPT's upper rcode bits; -1: not checked */
	int nsid_len;  /* -1: no NSID option expected */
	uint8_t nsid[256];
	int options; /* number of options; -1: only NSID as above */
};

struct tsig_expect {
	bool any; /* not checked */
	bool present;
	int error;    /* -1: not checked */
	int mac_size; /* -1: not checked */
};

struct expect {
	enum expect_kind kind;
	struct tsig_expect tsig;
	int rcode; /* full rcode (with the OPT's bits); -1: not checked */
	int flags; /* exact set; -1: not checked */
	int question;
	long size_max, size_eq;
	bool opt_given;
	struct opt_expect opt;
	struct section sec[S_COUNT];
};

/* Configuration in force for the cases that follow a "config" line. */
struct gconfig {
	struct zw_answer_cfg cfg;
	char str[3][1024];
};

struct gcase {
	char name[256];
	unsigned line;
	uint8_t q[MSG_MAX];
	size_t qlen;
	bool have_query;
	unsigned flags; /* ZW_ANS_* */
	size_t outcap;
	char bug[512];
	char knot[512];
	struct expect x;
};

struct gfile {
	const char *path;
	char dir[1024];
	struct zw_image *imgs[MAX_ZONES];
	unsigned nimg;
	struct zw_zoneset *zs;
	bool zones_ready;
	struct gconfig conf;
	unsigned passed, failed, known_bugs, fixed, errors;
	unsigned remote_same, remote_diff, remote_expected;
};

static void config_reset(struct gconfig *c)
{
	memset(c, 0, sizeof(*c));
}

static void case_free(struct gcase *c)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (c->x.sec[i].rrs != NULL)
			ldns_rr_list_deep_free(c->x.sec[i].rrs);
		c->x.sec[i].rrs = NULL;
	}
}

static void case_init(struct gcase *c, const char *name, unsigned line)
{
	memset(c, 0, offsetof(struct gcase, q));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->line = line;
	c->qlen = 0;
	c->have_query = false;
	c->flags = 0;
	c->outcap = MSG_MAX;
	c->bug[0] = c->knot[0] = '\0';
	memset(&c->x, 0, sizeof(c->x));
	c->x.kind = X_UNSET;
	c->x.rcode = -1;
	c->x.flags = -1;
	c->x.question = 1;
	c->x.size_max = c->x.size_eq = -1;
	for (int i = 0; i < S_COUNT; i++) {
		c->x.sec[i].rrs = ldns_rr_list_new();
		c->x.sec[i].count = -1;
	}
}

/* ---- zones ---- */

static void zones_free(struct gfile *g)
{
	zw_zoneset_free(g->zs);
	g->zs = NULL;
	for (unsigned i = 0; i < g->nimg; i++)
		zw_image_close(g->imgs[i]);
	g->nimg = 0;
}

static bool zone_load(struct gfile *g, const char *origin, const char *rel, char *err, size_t elen)
{
	char path[2048];
	struct zw_compile_opts opts = { .origin = origin };
	struct zw_compile_stats st;
	void *buf = NULL;
	size_t size = 0;
	const char *why = NULL;

	if (g->nimg == MAX_ZONES) {
		snprintf(err, elen, "too many zones");
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", g->dir, rel);
	int rc = zw_compile_file(path, &opts, &buf, &size, &st);
	if (rc != 0) {
		snprintf(err, elen, "%.400s: does not compile (%d, %u errors)", path, rc,
			 st.errors);
		return false;
	}
	rc = zw_image_from_buffer(buf, size, &g->imgs[g->nimg], &why);
	if (rc != 0) {
		free(buf);
		snprintf(err, elen, "%.300s: image rejected (%d: %.100s)", path, rc,
			 why ? why : "");
		return false;
	}
	g->nimg++;
	return true;
}

/* ---- building queries ---- */

/* query NAME TYPE [options]: see golden/README.md. */
struct qopts {
	unsigned long id, opcode, qdcount, edns_size, ednsver, ednsflags, qclass;
	unsigned long qr, aa, tc, rd, ra, z, ad, cd, do_bit;
	bool edns, nsid;
	uint8_t opts[4096];
	size_t optlen;
};

static bool query_option(struct gcase *c, struct qopts *o, char *k, char *val)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned long max;
		bool edns;
	} nums[] = {
		{ "id", offsetof(struct qopts, id), 65535, false },
		{ "qdcount", offsetof(struct qopts, qdcount), 65535, false },
		{ "qr", offsetof(struct qopts, qr), 1, false },
		{ "aa", offsetof(struct qopts, aa), 1, false },
		{ "tc", offsetof(struct qopts, tc), 1, false },
		{ "rd", offsetof(struct qopts, rd), 1, false },
		{ "ra", offsetof(struct qopts, ra), 1, false },
		{ "z", offsetof(struct qopts, z), 1, false },
		{ "ad", offsetof(struct qopts, ad), 1, false },
		{ "cd", offsetof(struct qopts, cd), 1, false },
		{ "do", offsetof(struct qopts, do_bit), 1, true },
		{ "edns", offsetof(struct qopts, edns_size), 65535, true },
		{ "ednsver", offsetof(struct qopts, ednsver), 255, true },
		{ "ednsflags", offsetof(struct qopts, ednsflags), 0x7fff, true },
	};
	unsigned long v = 0;

	if (val == NULL) {
		if (strcmp(k, "nsid") == 0)
			return o->nsid = o->edns = true;
		if (strcmp(k, "tcp") == 0) {
			c->flags |= ZW_ANS_TCP;
			return true;
		}
		return false;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(k, nums[i].name) != 0)
			continue;
		if (!parse_uint(val, nums[i].max, &v))
			return false;
		*(unsigned long *)(void *)((char *)o + nums[i].off) = v;
		o->edns |= nums[i].edns;
		return true;
	}
	if (strcmp(k, "opcode") == 0) {
		int op = opcode_by_name(val);
		o->opcode = (unsigned long)op;
		return op >= 0;
	}
	if (strcmp(k, "class") == 0) {
		ldns_rr_class cl = ldns_get_rr_class_by_name(val);
		if (cl != 0) {
			o->qclass = (unsigned long)cl;
			return true;
		}
		return parse_uint(val, 65535, &o->qclass);
	}
	if (strcmp(k, "outcap") == 0) {
		if (!parse_uint(val, MSG_MAX, &v))
			return false;
		c->outcap = v;
		return true;
	}
	if (strcmp(k, "opt") == 0) {
		/* opt=CODE:HEX, an EDNS option */
		char *colon = strchr(val, ':');
		size_t start = o->optlen + 4, l = start;
		if (colon == NULL || start > sizeof(o->opts))
			return false;
		*colon = '\0';
		if (!parse_uint(val, 65535, &v) ||
		    !append_hex(colon + 1, o->opts, &l, sizeof(o->opts)))
			return false;
		put16(o->opts + o->optlen, (unsigned)v);
		put16(o->opts + o->optlen + 2, (unsigned)(l - start));
		o->optlen = l;
		o->edns = true;
		return true;
	}
	return false;
}

static bool build_query(struct gcase *c, char **tok, int ntok, char *err, size_t elen)
{
	struct qopts o = { .id = 0x1234, .qdcount = 1, .qclass = LDNS_RR_CLASS_IN };

	if (ntok < 3) {
		snprintf(err, elen, "query needs a name and a type");
		return false;
	}
	ldns_rr_type qtype = ldns_get_rr_type_by_name(tok[2]);
	if (qtype == 0 && strcasecmp(tok[2], "TYPE0") != 0) {
		snprintf(err, elen, "unknown type %s", tok[2]);
		return false;
	}
	for (int i = 3; i < ntok; i++) {
		char *k = tok[i], *val = strchr(k, '=');
		if (val != NULL)
			*val++ = '\0';
		if (!query_option(c, &o, k, val)) {
			snprintf(err, elen, "bad query option %s%s%s", k, val ? "=" : "",
				 val ? val : "");
			return false;
		}
	}
	if (o.edns && o.edns_size == 0)
		o.edns_size = ZW_EDNS_DEFAULT;

	uint8_t *q = c->q;
	size_t len = HDR;
	memset(q, 0, HDR);
	put16(q, (unsigned)o.id);
	q[2] = (uint8_t)(o.qr << 7 | o.opcode << 3 | o.aa << 2 | o.tc << 1 | o.rd);
	q[3] = (uint8_t)(o.ra << 7 | o.z << 6 | o.ad << 5 | o.cd << 4);
	put16(q + 4, (unsigned)o.qdcount);
	if (!append_name(tok[1], q, &len, sizeof(c->q) - 4)) {
		snprintf(err, elen, "bad name %s", tok[1]);
		return false;
	}
	put16(q + len, qtype);
	put16(q + len + 2, (unsigned)o.qclass);
	len += 4;
	if (o.edns) {
		put16(q + 10, 1);
		q[len] = 0;
		put16(q + len + 1, LDNS_RR_TYPE_OPT);
		put16(q + len + 3, (unsigned)o.edns_size);
		q[len + 5] = 0;
		q[len + 6] = (uint8_t)o.ednsver;
		put16(q + len + 7, (unsigned)(o.do_bit << 15 | o.ednsflags));
		size_t rdlen = o.optlen + (o.nsid ? 4 : 0);
		put16(q + len + 9, (unsigned)rdlen);
		len += 11;
		if (o.nsid) {
			put16(q + len, LDNS_EDNS_NSID);
			put16(q + len + 2, 0);
			len += 4;
		}
		memcpy(q + len, o.opts, o.optlen);
		len += o.optlen;
	}
	c->qlen = len;
	c->have_query = true;
	return true;
}

/* raw TOKENS: hex digits, name:NAME for an uncompressed wire name, either
 * followed by *N to repeat it N times; a ';' starts a comment. */
static bool build_raw(struct gcase *c, char *rest, char *err, size_t elen)
{
	char *semi = strchr(rest, ';');
	char *tok[512];

	if (semi != NULL)
		*semi = '\0';
	int n = tokenize(rest, tok, 512);
	for (int i = 0; i < n; i++) {
		char *star = strchr(tok[i], '*');
		unsigned long rep = 1;
		bool ok = true;
		if (star != NULL) {
			/* HEX*N: the bytes N times */
			*star = '\0';
			ok = parse_uint(star + 1, 65535, &rep);
		}
		for (unsigned long k = 0; ok && k < rep; k++)
			ok = strncmp(tok[i], "name:", 5) == 0
				     ? append_name(tok[i] + 5, c->q, &c->qlen, sizeof(c->q))
				     : append_hex(tok[i], c->q, &c->qlen, sizeof(c->q));
		if (!ok) {
			snprintf(err, elen, "bad raw token %s", tok[i]);
			return false;
		}
	}
	c->have_query = true;
	return true;
}

/* ---- expectations ---- */

static bool parse_expect(struct gcase *c, char **tok, int ntok, char *err, size_t elen)
{
	struct expect *x = &c->x;
	unsigned long v = 0;

	if (ntok >= 2 && strcmp(tok[1], "drop") == 0) {
		x->kind = X_DROP;
		return ntok == 2;
	}
	if (ntok >= 2 && strcmp(tok[1], "punt") == 0) {
		x->kind = X_PUNT;
		return ntok == 2;
	}
	x->kind = X_RESPONSE;
	for (int i = 1; i < ntok; i++) {
		char *k = tok[i], *val = strchr(k, '=');
		bool ok = true;
		if (strncmp(k, "size<=", 6) == 0) {
			ok = parse_uint(k + 6, MSG_MAX, &v);
			x->size_max = (long)v;
			continue;
		}
		if (val != NULL)
			*val++ = '\0';
		if (val == NULL)
			ok = false;
		else if (strcmp(k, "rcode") == 0)
			ok = (x->rcode = rcode_by_name(val)) >= 0;
		else if (strcmp(k, "flags") == 0)
			ok = (x->flags = flags_by_names(val)) >= 0;
		else if (strcmp(k, "question") == 0)
			ok = parse_uint(val, 1, &v) && ((x->question = (int)v), true);
		else if (strcmp(k, "size") == 0)
			ok = parse_uint(val, MSG_MAX, &v) && ((x->size_eq = (long)v), true);
		else if (strcmp(k, "tc") == 0 || strcmp(k, "aa") == 0) {
			/* shorthand checks of one flag, with flags= or alone */
			int bit = k[0] == 't' ? F_TC : F_AA;
			ok = parse_uint(val, 1, &v);
			if (ok && x->flags >= 0 && ((x->flags & bit) != 0) != (v != 0)) {
				snprintf(err, elen, "%s=%lu contradicts flags=", k, v);
				return false;
			}
		} else
			ok = false;
		if (!ok) {
			snprintf(err, elen, "bad expect item %s", tok[i]);
			return false;
		}
	}
	return true;
}

static bool parse_opt(struct gcase *c, char **tok, int ntok, char *err, size_t elen)
{
	struct opt_expect *o = &c->x.opt;
	unsigned long v = 0;

	c->x.opt_given = true;
	memset(o, 0, sizeof(*o));
	o->size = o->do_bit = o->version = o->ext_rcode = -1;
	o->nsid_len = -1;
	o->options = -1;
	if (ntok == 2 && strcmp(tok[1], "none") == 0)
		return true;
	if (ntok == 2 && strcmp(tok[1], "any") == 0) {
		o->any = true;
		return true;
	}
	o->present = true;
	for (int i = 1; i < ntok; i++) {
		char *k = tok[i], *val = strchr(k, '=');
		bool ok = val != NULL;
		if (val != NULL)
			*val++ = '\0';
		if (!ok)
			;
		else if (strcmp(k, "size") == 0)
			ok = parse_uint(val, 65535, &v) && ((o->size = (int)v), true);
		else if (strcmp(k, "do") == 0)
			ok = parse_uint(val, 1, &v) && ((o->do_bit = (int)v), true);
		else if (strcmp(k, "version") == 0)
			ok = parse_uint(val, 255, &v) && ((o->version = (int)v), true);
		else if (strcmp(k, "ext-rcode") == 0)
			ok = parse_uint(val, 255, &v) && ((o->ext_rcode = (int)v), true);
		else if (strcmp(k, "options") == 0)
			ok = parse_uint(val, 255, &v) && ((o->options = (int)v), true);
		else if (strcmp(k, "nsid") == 0) {
			size_t l = strlen(val);
			ok = l < sizeof(o->nsid);
			if (ok) {
				memcpy(o->nsid, val, l);
				o->nsid_len = (int)l;
			}
		} else if (strcmp(k, "nsid-hex") == 0) {
			size_t l = 0;
			ok = append_hex(val, o->nsid, &l, sizeof(o->nsid));
			o->nsid_len = (int)l;
		} else
			ok = false;
		if (!ok) {
			snprintf(err, elen, "bad opt item %s", tok[i]);
			return false;
		}
	}
	return true;
}

static bool parse_tsig(struct gcase *c, char **tok, int ntok, char *err, size_t elen)
{
	struct tsig_expect *t = &c->x.tsig;
	unsigned long v = 0;

	t->error = t->mac_size = -1;
	t->any = ntok == 2 && strcmp(tok[1], "any") == 0;
	t->present = !t->any && !(ntok == 2 && strcmp(tok[1], "none") == 0);
	for (int i = 1; t->present && i < ntok; i++) {
		char *k = tok[i], *val = strchr(k, '=');
		bool ok = val != NULL;
		if (val != NULL)
			*val++ = '\0';
		if (ok && strcmp(k, "error") == 0)
			ok = parse_uint(val, 65535, &v) && ((t->error = (int)v), true);
		else if (ok && strcmp(k, "mac-size") == 0)
			ok = parse_uint(val, 65535, &v) && ((t->mac_size = (int)v), true);
		else
			ok = false;
		if (!ok) {
			snprintf(err, elen, "bad tsig item %s", tok[i]);
			return false;
		}
	}
	return true;
}

/* ---- checking a response ---- */

/* The OPT and TSIG RRs of a message as seen on the wire. */
struct wire_opt {
	int count;
	int section;
	bool root;
	uint16_t size;
	uint8_t ext_rcode, version;
	uint16_t flags;
	const uint8_t *rdata;
	uint16_t rdlen;
	/* TSIG */
	int tsig_count;
	bool tsig_last; /* the last RR of the additional section */
	int tsig_error, tsig_mac_size;
};

/* The MAC size and error of a TSIG rdata (RFC 8945 4.2), or -1. */
static void wire_tsig(const uint8_t *rd, unsigned len, int *mac_size, int *error)
{
	unsigned p = 0;

	*mac_size = *error = -1;
	while (p < len && rd[p] != 0 && rd[p] < 64)
		p += 1u + rd[p];
	p++; /* the algorithm name's root label */
	if (p + 10 > len)
		return;
	unsigned mac = get16(rd + p + 8);
	if (p + 10 + mac + 6 > len)
		return;
	*mac_size = (int)mac;
	*error = get16(rd + p + 10 + mac + 2);
}

/* Skips a possibly compressed name; false if it runs out. */
static bool wire_skip_name(const uint8_t *m, size_t len, size_t *off, bool *root)
{
	size_t p = *off;

	*root = p < len && m[p] == 0;
	while (p < len) {
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			*off = p + 2;
			return p + 2 <= len;
		}
		if (l == 0) {
			*off = p + 1;
			return true;
		}
		p += 1u + l;
	}
	return false;
}

/* Finds the OPT RRs of a message; false if it cannot be walked. */
static bool wire_find_opt(const uint8_t *m, size_t len, struct wire_opt *o)
{
	size_t off = HDR;
	bool root;

	memset(o, 0, sizeof(*o));
	o->section = -1;
	if (len < HDR)
		return false;
	for (unsigned i = 0; i < get16(m + 4); i++) {
		if (!wire_skip_name(m, len, &off, &root) || len - off < 4)
			return false;
		off += 4;
	}
	unsigned counts[3] = { get16(m + 6), get16(m + 8), get16(m + 10) };
	for (int s = 0; s < 3; s++) {
		for (unsigned i = 0; i < counts[s]; i++) {
			if (!wire_skip_name(m, len, &off, &root) || len - off < 10)
				return false;
			const uint8_t *f = m + off;
			uint16_t rdlen = get16(f + 8);
			off += 10;
			if (len - off < rdlen)
				return false;
			if (get16(f) == LDNS_RR_TYPE_TSIG) {
				o->tsig_count++;
				o->tsig_last = s == 2 && i + 1 == counts[s];
				wire_tsig(m + off, rdlen, &o->tsig_mac_size, &o->tsig_error);
			}
			if (get16(f) == LDNS_RR_TYPE_OPT) {
				o->count++;
				o->section = s;
				o->root = root;
				o->size = get16(f + 2);
				o->ext_rcode = f[4];
				o->version = f[5];
				o->flags = get16(f + 6);
				o->rdata = m + off;
				o->rdlen = rdlen;
			}
			off += rdlen;
		}
	}
	return off == len;
}

static bool rr_equal(const ldns_rr *a, const ldns_rr *b, bool owner_case)
{
	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_get_class(a) != ldns_rr_get_class(b) || ldns_rr_ttl(a) != ldns_rr_ttl(b))
		return false;
	const ldns_rdf *oa = ldns_rr_owner(a), *ob = ldns_rr_owner(b);
	if (owner_case) {
		if (ldns_rdf_size(oa) != ldns_rdf_size(ob) ||
		    memcmp(ldns_rdf_data(oa), ldns_rdf_data(ob), ldns_rdf_size(oa)) != 0)
			return false;
	} else if (ldns_dname_compare(oa, ob) != 0) {
		return false;
	}
	if (ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	/* names in rdata compare without regard to case */
	ldns_rr *ca = ldns_rr_clone(a), *cb = ldns_rr_clone(b);
	bool eq = ca != NULL && cb != NULL;
	if (eq) {
		ldns_rr2canonical(ca);
		ldns_rr2canonical(cb);
		for (size_t i = 0; eq && i < ldns_rr_rd_count(ca); i++)
			eq = ldns_rdf_compare(ldns_rr_rdf(ca, i), ldns_rr_rdf(cb, i)) == 0;
	}
	ldns_rr_free(ca);
	ldns_rr_free(cb);
	return eq;
}

/* Multiset comparison of one section. Owners equal to qname (without
 * regard to case) must echo it with its case: the owners of the answer
 * section that are the query name (exact, wildcard or DNAME matches). */
static bool check_section(const struct section *want, const ldns_rr_list *got,
			  const ldns_rdf *qname, const char *name, struct sbuf *msg)
{
	size_t ng = got ? ldns_rr_list_rr_count(got) : 0, nw = ldns_rr_list_rr_count(want->rrs);
	bool used[ng + 1], ok = true;

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < nw; i++) {
		const ldns_rr *w = ldns_rr_list_rr(want->rrs, i);
		bool owner_case = qname != NULL && ldns_dname_compare(ldns_rr_owner(w), qname) == 0;
		size_t j;
		for (j = 0; j < ng; j++)
			if (!used[j] && rr_equal(w, ldns_rr_list_rr(got, j), owner_case))
				break;
		if (j == ng) {
			if (ok)
				sb_printf(msg, "  %s section differs:\n", name);
			sb_printf(msg, "   missing:");
			sb_rr(msg, w);
			ok = false;
		} else {
			used[j] = true;
		}
	}
	if (!want->partial) {
		for (size_t j = 0; j < ng; j++) {
			if (used[j])
				continue;
			if (ok)
				sb_printf(msg, "  %s section differs:\n", name);
			sb_printf(msg, "   unexpected:");
			sb_rr(msg, ldns_rr_list_rr(got, j));
			ok = false;
		}
	} else if (want->count >= 0 && (size_t)want->count != ng) {
		sb_printf(msg, "  %s section has %zu RRs, expected %d\n", name, ng, want->count);
		ok = false;
	}
	return ok;
}

/* The UDP size limit a response to this query must respect. */
static size_t udp_limit(const struct zw_answer_cfg *cfg, const uint8_t *q, size_t qlen)
{
	struct wire_opt o;
	size_t ours = cfg->edns_size ? cfg->edns_size : ZW_EDNS_DEFAULT;

	if (!wire_find_opt(q, qlen, &o) || o.count != 1 || o.section != 2)
		return 512;
	size_t lim = o.size < 512 ? 512 : o.size;
	return lim < ours ? lim : ours;
}

static void print_sections(struct sbuf *msg, const struct gcase *c, const ldns_pkt *p)
{
	sb_printf(msg, "  expected:\n");
	for (int s = 0; s < S_COUNT; s++) {
		sb_printf(msg, "   %s%s\n", sec_names[s], c->x.sec[s].partial ? " (partial)" : "");
		for (size_t i = 0; i < ldns_rr_list_rr_count(c->x.sec[s].rrs); i++)
			sb_rr(msg, ldns_rr_list_rr(c->x.sec[s].rrs, i));
	}
	if (p == NULL)
		return;
	const ldns_rr_list *got[S_COUNT] = { ldns_pkt_answer(p), ldns_pkt_authority(p),
					     ldns_pkt_additional(p) };
	sb_printf(msg, "  actual:\n");
	for (int s = 0; s < S_COUNT; s++) {
		sb_printf(msg, "   %s\n", sec_names[s]);
		for (size_t i = 0; got[s] && i < ldns_rr_list_rr_count(got[s]); i++)
			sb_rr(msg, ldns_rr_list_rr(got[s], i));
	}
}

/*
 * Compares a response (len < 0: ZW_ANSWER_DROP / ZW_ANSWER_PUNT, as
 * zw_answer returns them) with the case's expectation. Appends the
 * differences to msg; returns true when there are none.
 */
static bool check_response(const struct gcase *c, const struct zw_answer_cfg *cfg, const uint8_t *r,
			   int len, const struct zw_answer_info *info, struct sbuf *msg)
{
	const struct expect *x = &c->x;
	char b1[64], b2[64];
	bool ok = true;

	if (len == ZW_ANSWER_DROP || len == ZW_ANSWER_PUNT) {
		const char *got = len == ZW_ANSWER_DROP ? "drop" : "punt";
		if ((x->kind == X_DROP && len == ZW_ANSWER_DROP) ||
		    (x->kind == X_PUNT && len == ZW_ANSWER_PUNT))
			return true;
		sb_printf(msg, "  got %s, expected %s\n", got,
			  x->kind == X_DROP   ? "drop"
			  : x->kind == X_PUNT ? "punt"
					      : "a response");
		return false;
	}
	if (len < HDR) {
		sb_printf(msg, "  response of %d octets\n", len);
		return false;
	}
	if (x->kind != X_RESPONSE) {
		sb_printf(msg, "  got a response (rcode %s), expected %s\n",
			  rcode_str(r[3] & 15, b1, sizeof(b1)),
			  x->kind == X_DROP ? "drop" : "punt");
		ok = false;
	}

	/* sizes: the caller's buffer, the UDP limit, the expectation */
	size_t ulen = (size_t)len;
	if (ulen > c->outcap) {
		sb_printf(msg, "  response of %zu octets is larger than the buffer (%zu)\n", ulen,
			  c->outcap);
		ok = false;
	}
	if (!(c->flags & ZW_ANS_TCP)) {
		size_t lim = udp_limit(cfg, c->q, c->qlen);
		if (ulen > lim) {
			sb_printf(msg, "  UDP response of %zu octets exceeds the limit %zu\n", ulen,
				  lim);
			ok = false;
		}
	}
	if (x->size_max >= 0 && ulen > (size_t)x->size_max) {
		sb_printf(msg, "  response of %zu octets, expected at most %ld\n", ulen,
			  x->size_max);
		ok = false;
	}
	if (x->size_eq >= 0 && ulen != (size_t)x->size_eq) {
		sb_printf(msg, "  response of %zu octets, expected %ld\n", ulen, x->size_eq);
		ok = false;
	}

	/* header: ID, opcode, RD, CD copied; QR set; RA, Z clear */
	if (c->qlen >= HDR) {
		if (get16(r) != get16(c->q)) {
			sb_printf(msg, "  ID %u, query had %u\n", get16(r), get16(c->q));
			ok = false;
		}
		if ((r[2] & 0x78) != (c->q[2] & 0x78)) {
			sb_printf(msg, "  opcode %d, query had %d\n", (r[2] >> 3) & 15,
				  (c->q[2] >> 3) & 15);
			ok = false;
		}
		if ((r[2] & 1) != (c->q[2] & 1) || (r[3] & 0x10) != (c->q[3] & 0x10)) {
			sb_printf(msg, "  RD or CD not copied from the query\n");
			ok = false;
		}
	}
	if (!(r[2] & 0x80) || (r[3] & 0x40)) {
		sb_printf(msg, "  QR clear or Z set in the response\n");
		ok = false;
	}
	int f = flags_of(r);
	if (x->flags >= 0 && f != x->flags) {
		flags_str(f, b1, sizeof(b1));
		flags_str(x->flags, b2, sizeof(b2));
		sb_printf(msg, "  flags %s, expected %s\n", b1, b2);
		ok = false;
	}

	/* the OPT RR */
	struct wire_opt o;
	if (!wire_find_opt(r, ulen, &o)) {
		sb_printf(msg, "  the response cannot be walked (bad counts or lengths)\n");
		ok = false;
	}
	int rcode = r[3] & 15;
	if (o.count == 1)
		rcode |= o.ext_rcode << 4;
	if (x->rcode >= 0 && rcode != x->rcode) {
		sb_printf(msg, "  rcode %s, expected %s\n", rcode_str(rcode, b1, sizeof(b1)),
			  rcode_str(x->rcode, b2, sizeof(b2)));
		ok = false;
	}
	if (info != NULL && (info->rcode != rcode || info->tc != ((f & F_TC) != 0))) {
		sb_printf(msg, "  zw_answer_info says rcode %d tc %d, the message %d %d\n",
			  info->rcode, info->tc, rcode, (f & F_TC) != 0);
		ok = false;
	}
	const struct opt_expect *oe = &x->opt;
	if (x->opt_given && oe->any) {
		/* not checked */
	} else if (!x->opt_given || !oe->present) {
		if (o.count != 0) {
			sb_printf(msg, "  unexpected OPT RR\n");
			ok = false;
		}
	} else if (o.count != 1 || o.section != 2 || !o.root) {
		sb_printf(msg, "  %d OPT RRs (expected one, at the root, in additional)\n",
			  o.count);
		ok = false;
	} else {
		if (oe->size >= 0 && o.size != oe->size) {
			sb_printf(msg, "  OPT size %u, expected %d\n", o.size, oe->size);
			ok = false;
		}
		if (oe->do_bit >= 0 && ((o.flags & 0x8000) != 0) != (oe->do_bit != 0)) {
			sb_printf(msg, "  OPT DO %d, expected %d\n", (o.flags & 0x8000) != 0,
				  oe->do_bit);
			ok = false;
		}
		if ((o.flags & 0x7fff) != 0) {
			sb_printf(msg, "  OPT Z bits set: %04x\n", o.flags & 0x7fff);
			ok = false;
		}
		if (oe->version >= 0 && o.version != oe->version) {
			sb_printf(msg, "  OPT version %u, expected %d\n", o.version, oe->version);
			ok = false;
		}
		if (oe->ext_rcode >= 0 && o.ext_rcode != oe->ext_rcode) {
			sb_printf(msg, "  OPT extended rcode %u, expected %d\n", o.ext_rcode,
				  oe->ext_rcode);
			ok = false;
		}
		/* options: NSID as expected, nothing else unless counted */
		int nopt = 0, nsid_seen = -1;
		const uint8_t *nsid = NULL;
		for (unsigned p = 0; p + 4 <= o.rdlen;) {
			unsigned code = get16(o.rdata + p), olen = get16(o.rdata + p + 2);
			if (p + 4 + olen > o.rdlen) {
				sb_printf(msg, "  OPT option overruns the rdata\n");
				ok = false;
				break;
			}
			if (code == LDNS_EDNS_NSID) {
				nsid_seen = (int)olen;
				nsid = o.rdata + p + 4;
			}
			nopt++;
			p += 4 + olen;
		}
		if (oe->nsid_len != nsid_seen ||
		    (nsid_seen > 0 && memcmp(nsid, oe->nsid, (size_t)nsid_seen) != 0)) {
			if (nsid_seen < 0)
				sb_printf(msg, "  no NSID option\n");
			else
				sb_printf(msg, "  NSID option \"%.*s\" (%d octets), expected %s\n",
					  nsid_seen, nsid ? (const char *)nsid : "", nsid_seen,
					  oe->nsid_len < 0 ? "none" : "another value");
			ok = false;
		}
		int want_opts = oe->options >= 0 ? oe->options : (oe->nsid_len >= 0 ? 1 : 0);
		if (nopt != want_opts) {
			sb_printf(msg, "  %d EDNS options, expected %d\n", nopt, want_opts);
			ok = false;
		}
	}

	/* the TSIG RR */
	const struct tsig_expect *te = &x->tsig;
	if (te->any) {
		/* not checked */
	} else if (!te->present && o.tsig_count != 0) {
		sb_printf(msg, "  unexpected TSIG RR\n");
		ok = false;
	} else if (te->present) {
		if (o.tsig_count != 1 || !o.tsig_last) {
			sb_printf(msg, "  %d TSIG RRs (expected one, last in additional)\n",
				  o.tsig_count);
			ok = false;
		} else if ((te->error >= 0 && o.tsig_error != te->error) ||
			   (te->mac_size >= 0 && o.tsig_mac_size != te->mac_size)) {
			sb_printf(msg, "  TSIG error %d MAC size %d, expected %d and %d\n",
				  o.tsig_error, o.tsig_mac_size, te->error, te->mac_size);
			ok = false;
		}
	}

	/* the question, byte for byte */
	size_t qsize = 0;
	if (c->qlen > HDR) {
		size_t p = HDR;
		while (p < c->qlen && c->q[p] != 0 && c->q[p] < 64)
			p += 1u + c->q[p];
		if (p < c->qlen && c->q[p] == 0 && p + 5 <= c->qlen)
			qsize = p + 5 - HDR;
	}
	unsigned qd = get16(r + 4);
	if (x->question) {
		if (qd != 1 || qsize == 0 || ulen < HDR + qsize ||
		    memcmp(r + HDR, c->q + HDR, qsize) != 0) {
			sb_printf(msg, "  the question is not echoed byte for byte (QDCOUNT %u)\n",
				  qd);
			ok = false;
		}
	} else if (qd != 0) {
		sb_printf(msg, "  QDCOUNT %u, expected no question\n", qd);
		ok = false;
	}

	/* the sections; the query name, for the owners that must echo it */
	ldns_rdf *qname = NULL;
	if (qsize > 0)
		qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qsize - 4, c->q + HDR);
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, r, ulen) != LDNS_STATUS_OK) {
		sb_printf(msg, "  the response does not parse with ldns\n");
		ldns_rdf_deep_free(qname);
		return false;
	}
	const ldns_rr_list *got[S_COUNT] = { ldns_pkt_answer(p), ldns_pkt_authority(p),
					     ldns_pkt_additional(p) };
	bool secs_ok = true;
	for (int s = 0; s < S_COUNT; s++)
		secs_ok &= check_section(&x->sec[s], got[s], s == S_AN ? qname : NULL, sec_names[s],
					 msg);
	if (!secs_ok)
		print_sections(msg, c, p);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(qname);
	return ok && secs_ok;
}

/* ---- the reference server (ZW_GOLDEN_REMOTE) ---- */

static int remote_ask(const char *spec, const uint8_t *q, size_t qlen, bool tcp, uint8_t *r,
		      size_t rcap)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		return -2;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -2;
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		return -2;
	int n = -1;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	if (tcp) {
		uint8_t l[2];
		put16(l, (unsigned)qlen);
		if (write(fd, l, 2) != 2 || write(fd, q, qlen) != (ssize_t)qlen)
			goto out;
		size_t got = 0, want = 2;
		uint8_t hdr[2];
		while (got < want) {
			if (poll(&pfd, 1, 500) <= 0)
				break;
			ssize_t k = want == 2 && got < 2 ? read(fd, hdr + got, 2 - got)
							 : read(fd, r + got - 2, want - got);
			if (k <= 0)
				break;
			got += (size_t)k;
			if (got == 2 && want == 2) {
				want = 2u + get16(hdr);
				if (want - 2 > rcap)
					break;
			}
		}
		n = got == want && want > 2 ? (int)(want - 2) : -1;
	} else {
		if (send(fd, q, qlen, 0) != (ssize_t)qlen)
			goto out;
		if (poll(&pfd, 1, 300) > 0)
			n = (int)recv(fd, r, rcap, 0);
	}
out:
	close(fd);
	return n < 0 ? ZW_ANSWER_DROP : n;
}

static void remote_check(struct gfile *g, const struct gcase *c, const struct zw_answer_cfg *cfg)
{
	static uint8_t r[MSG_MAX];
	const char *spec = getenv("ZW_GOLDEN_REMOTE");
	struct sbuf msg = { 0 };

	if (spec == NULL || *spec == '\0' || c->x.kind == X_PUNT || c->outcap != MSG_MAX)
		return;
	int n = remote_ask(spec, c->q, c->qlen, (c->flags & ZW_ANS_TCP) != 0, r, sizeof(r));
	if (n == -2) {
		printf("REMOTE: bad ZW_GOLDEN_REMOTE %s\n", spec);
		return;
	}
	if (check_response(c, cfg, r, n, NULL, &msg)) {
		g->remote_same++;
		if (c->knot[0] != '\0')
			printf("REMOTE SAME despite knot note: %s: %s\n", c->name, c->knot);
	} else if (c->knot[0] != '\0') {
		g->remote_expected++;
		printf("REMOTE DIFFERS (expected: %s): %s:%u: %s\n", c->knot, g->path, c->line,
		       c->name);
	} else {
		g->remote_diff++;
		printf("REMOTE DIFFERS: %s:%u: %s\n%s", g->path, c->line, c->name,
		       msg.p ? msg.p : "");
	}
	sb_free(&msg);
}

/* ---- running a file ---- */

enum hide { HIDE_NSECPROOF, HIDE_NREC };

/* Case c answers out (n, info) with part `what` of every image hidden, by
 * zw_answer() and by zw_answer_burst(); where no image has that part,
 * true without asking. */
static bool same_without(struct gfile *g, const struct gcase *c, const struct zw_answer_cfg *cfg,
			 const uint8_t *out, int n, const struct zw_answer_info *info,
			 enum hide what, struct sbuf *msg)
{
	static const char *const names[] = { "NSECPROOF", "the nodes' records" };
	static uint8_t bout[MSG_MAX + 64];
	const uint8_t *laid[MAX_ZONES];
	struct zw_img_nrec *rec[MAX_ZONES];
	struct zw_answer_req rq = {
		.q = c->q, .qlen = c->qlen, .out = bout, .outcap = c->outcap, .flags = c->flags
	};
	bool hidden = false, ok = true;

	for (unsigned i = 0; i < g->nimg; i++) {
		laid[i] = g->imgs[i]->nsec_proof;
		rec[i] = g->imgs[i]->nrec;
		if (what == HIDE_NSECPROOF) {
			hidden |= laid[i] != NULL;
			g->imgs[i]->nsec_proof = NULL;
		} else {
			hidden |= rec[i] != NULL;
			g->imgs[i]->nrec = NULL;
		}
	}
	if (hidden) {
		int n2 = zw_answer(cfg, g->zs, c->q, c->qlen, bout, c->outcap, c->flags, &rq.info);
		if (n2 != n || (n > 0 && memcmp(bout, out, (size_t)n) != 0) ||
		    memcmp(&rq.info, info, sizeof(*info)) != 0) {
			sb_printf(msg, "  without %s, zw_answer() differs (%d against %d)\n",
				  names[what], n2, n);
			ok = false;
		}
		zw_answer_burst(cfg, g->zs, &rq, 1);
		if (rq.ret != n || (n > 0 && memcmp(bout, out, (size_t)n) != 0) ||
		    memcmp(&rq.info, info, sizeof(*info)) != 0) {
			sb_printf(msg, "  without %s, zw_answer_burst() differs (%d against %d)\n",
				  names[what], rq.ret, n);
			ok = false;
		}
	}
	for (unsigned i = 0; i < g->nimg; i++) {
		g->imgs[i]->nsec_proof = laid[i];
		g->imgs[i]->nrec = rec[i];
	}
	return ok;
}

static void run_case(struct gfile *g, struct gcase *c)
{
	static uint8_t out[MSG_MAX + 64];
	struct zw_answer_info info;
	struct sbuf msg = { 0 };
	const struct zw_answer_cfg *cfg = &g->conf.cfg;

	if (!c->have_query || c->x.kind == X_UNSET) {
		printf("%s:%u: case '%s' lacks a query or an expect line\n", g->path, c->line,
		       c->name);
		g->errors++;
		return;
	}
	/* bytes past the caller's buffer must stay untouched */
	memset(out, 0xa5, sizeof(out));
	int n = zw_answer(cfg, g->zs, c->q, c->qlen, out, c->outcap, c->flags, &info);
	bool ok = check_response(c, cfg, out, n, &info, &msg);
	/* the burst path gives the same response */
	static uint8_t bout[MSG_MAX + 64];
	struct zw_answer_req rq = {
		.q = c->q, .qlen = c->qlen, .out = bout, .outcap = c->outcap, .flags = c->flags
	};
	zw_answer_burst(cfg, g->zs, &rq, 1);
	if (rq.ret != n || (n > 0 && memcmp(bout, out, (size_t)n) != 0) ||
	    memcmp(&rq.info, &info, sizeof(info)) != 0) {
		sb_printf(&msg, "  zw_answer_burst() differs from zw_answer() (%d against %d)\n",
			  rq.ret, n);
		ok = false;
	}
	/* the same response without what the images have to be fast: NSEC
	 * zones, from the nodes' RRsets instead of the records laid out to
	 * write (images without NSECPROOF); any zone, from the nodes, names
	 * and RRset lists instead of the nodes' records; both ways */
	if (!same_without(g, c, cfg, out, n, &info, HIDE_NSECPROOF, &msg))
		ok = false;
	if (!same_without(g, c, cfg, out, n, &info, HIDE_NREC, &msg))
		ok = false;
	for (size_t i = c->outcap; i < sizeof(out); i++) {
		if (out[i] != 0xa5) {
			sb_printf(&msg, "  wrote past the caller's buffer at %zu\n", i);
			ok = false;
			break;
		}
	}
	if (c->bug[0] != '\0') {
		if (ok) {
			g->fixed++;
			printf("KNOWN BUG NOW PASSES (move the case to its topic): %s:%u: %s\n",
			       g->path, c->line, c->name);
		} else {
			g->known_bugs++;
			printf("KNOWN BUG: %s:%u: %s\n  %s\n%s", g->path, c->line, c->name, c->bug,
			       msg.p ? msg.p : "");
		}
	} else if (ok) {
		g->passed++;
	} else {
		g->failed++;
		printf("FAIL: %s:%u: %s\n%s", g->path, c->line, c->name, msg.p ? msg.p : "");
	}
	sb_free(&msg);
	remote_check(g, c, cfg);
}

static bool parse_config(struct gconfig *conf, char **tok, int ntok, char *err, size_t elen)
{
	unsigned long v = 0;

	for (int i = 1; i < ntok; i++) {
		char *k = tok[i], *val = strchr(k, '=');
		if (strcmp(k, "reset") == 0) {
			config_reset(conf);
			continue;
		}
		bool ok = val != NULL;
		if (val != NULL)
			*val++ = '\0';
		int si = -1;
		if (!ok)
			;
		else if (strcmp(k, "edns-size") == 0)
			ok = parse_uint(val, 65535, &v) && ((conf->cfg.edns_size = (uint16_t)v), 1);
		else if (strcmp(k, "max-chain") == 0)
			ok = parse_uint(val, 1000, &v) && ((conf->cfg.max_chain = (unsigned)v), 1);
		else if (strcmp(k, "nsid") == 0) {
			/* "#N": N letters 'n' */
			unsigned long rep;
			if (val[0] == '#' && parse_uint(val + 1, sizeof(conf->cfg.nsid), &rep)) {
				memset(conf->cfg.nsid, 'n', rep);
				conf->cfg.nsid_len = (uint8_t)rep;
			} else {
				size_t l = strlen(val);
				ok = l <= sizeof(conf->cfg.nsid);
				if (ok) {
					memcpy(conf->cfg.nsid, val, l);
					conf->cfg.nsid_len = (uint8_t)l;
				}
			}
		} else if (strcmp(k, "id-server") == 0)
			si = 0;
		else if (strcmp(k, "hostname-bind") == 0)
			si = 1;
		else if (strcmp(k, "version-bind") == 0)
			si = 2;
		else
			ok = false;
		if (ok && si >= 0) {
			/* "-" hides the name; a string of '#' and a count repeats 'v' */
			const char **slot = si == 0   ? &conf->cfg.id_server
					    : si == 1 ? &conf->cfg.hostname_bind
						      : &conf->cfg.version_bind;
			unsigned long rep;
			if (strcmp(val, "-") == 0) {
				*slot = NULL;
			} else if (val[0] == '#' && parse_uint(val + 1, 1000, &rep)) {
				memset(conf->str[si], 'v', rep);
				conf->str[si][rep] = '\0';
				*slot = conf->str[si];
			} else {
				snprintf(conf->str[si], sizeof(conf->str[si]), "%s", val);
				*slot = conf->str[si];
			}
		}
		if (!ok) {
			snprintf(err, elen, "bad config item %s", tok[i]);
			return false;
		}
	}
	return true;
}

/* True if the line starts with the keyword kw as a whole word. */
static bool is_kw(const char *s, const char *kw)
{
	size_t l = strlen(kw);

	return strncmp(s, kw, l) == 0 && (s[l] == '\0' || s[l] == ' ' || s[l] == '\t');
}

static void file_error(struct gfile *g, unsigned line, const char *err)
{
	printf("%s:%u: %s\n", g->path, line, err);
	g->errors++;
}

static void run_file(const char *name)
{
	static struct gcase c;
	struct gfile g;
	char path[2048], err[512], *line = NULL, *tok[256];
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	bool in_case = false;
	int sec = -1;

	memset(&g, 0, sizeof(g));
	snprintf(g.dir, sizeof(g.dir), "%s/tests/dataplane", srcdir());
	snprintf(path, sizeof(path), "%s/golden/%s", g.dir, name);
	g.path = name;
	config_reset(&g.conf);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		printf("%s: %s\n", path, strerror(errno));
		CU_FAIL("golden file missing");
		return;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\0')
			continue;
		/* RR lines of a section go to ldns as they are */
		if (in_case && sec >= 0 && !is_kw(s, "end") && !is_kw(s, "answer") &&
		    !is_kw(s, "authority") && !is_kw(s, "additional")) {
			ldns_rr *rr = NULL;
			ldns_status st = ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL);
			if (st != LDNS_STATUS_OK) {
				snprintf(err, sizeof(err), "bad RR (%s): %s",
					 ldns_get_errorstr_by_id(st), s);
				file_error(&g, lineno, err);
				continue;
			}
			ldns_rr_list_push_rr(c.x.sec[sec].rrs, rr);
			continue;
		}
		char *rest = is_kw(s, "raw") ? s + 3 : NULL;
		if (is_kw(s, "case")) {
			if (in_case) {
				file_error(&g, lineno, "case inside a case (missing end)");
				case_free(&c);
			}
			if (!g.zones_ready) {
				g.zones_ready = true;
				if (g.nimg > 0 &&
				    (g.zs = zw_zoneset_create(g.imgs, g.nimg)) == NULL)
					file_error(&g, lineno, "zw_zoneset_create failed");
			}
			char *nm = s + 5;
			while (*nm == ' ' || *nm == '\t')
				nm++;
			case_init(&c, nm, lineno);
			in_case = true;
			sec = -1;
			continue;
		}
		if (rest != NULL) {
			if (!in_case || !build_raw(&c, rest, err, sizeof(err)))
				file_error(&g, lineno, in_case ? err : "raw outside a case");
			continue;
		}
		int nt = tokenize(s, tok, 256);
		const char *kw = tok[0];
		bool ok = true;
		err[0] = '\0';
		if (!in_case) {
			if (strcmp(kw, "zone") == 0 && nt == 3 && !g.zones_ready)
				ok = zone_load(&g, tok[1], tok[2], err, sizeof(err));
			else if (strcmp(kw, "config") == 0)
				ok = parse_config(&g.conf, tok, nt, err, sizeof(err));
			else
				ok = false;
			if (!ok)
				file_error(&g, lineno,
					   err[0] ? err : "unexpected line outside a case");
			continue;
		}
		if (strcmp(kw, "end") == 0) {
			run_case(&g, &c);
			case_free(&c);
			in_case = false;
		} else if (strcmp(kw, "query") == 0) {
			ok = build_query(&c, tok, nt, err, sizeof(err));
		} else if (strcmp(kw, "tcp") == 0 && nt == 1) {
			c.flags |= ZW_ANS_TCP;
		} else if (strcmp(kw, "outcap") == 0 && nt == 2) {
			unsigned long v = 0;
			ok = parse_uint(tok[1], MSG_MAX, &v);
			c.outcap = v;
		} else if (strcmp(kw, "expect") == 0) {
			ok = parse_expect(&c, tok, nt, err, sizeof(err));
		} else if (strcmp(kw, "opt") == 0) {
			ok = parse_opt(&c, tok, nt, err, sizeof(err));
		} else if (strcmp(kw, "tsig") == 0) {
			ok = parse_tsig(&c, tok, nt, err, sizeof(err));
		} else if (strcmp(kw, "bug") == 0 || strcmp(kw, "knot") == 0) {
			/* tokenize() has cut the line: join the tokens again */
			char *dst = kw[0] == 'b' ? c.bug : c.knot;
			size_t o = 0;
			dst[0] = '\0';
			for (int i = 1; i < nt && o < sizeof(c.bug); i++)
				o += (size_t)snprintf(dst + o, sizeof(c.bug) - o, "%s%s",
						      i > 1 ? " " : "", tok[i]);
			if (o == 0)
				snprintf(dst, sizeof(c.bug), "(no description)");
		} else {
			int i;
			for (i = 0; i < S_COUNT; i++)
				if (strcmp(kw, sec_names[i]) == 0)
					break;
			if (i == S_COUNT) {
				ok = false;
				snprintf(err, sizeof(err), "unknown keyword %s", kw);
			} else {
				sec = i;
				for (int k = 1; k < nt && ok; k++) {
					unsigned long v = 0;
					if (strcmp(tok[k], "partial") == 0)
						c.x.sec[i].partial = true;
					else if (strncmp(tok[k], "count=", 6) == 0 &&
						 parse_uint(tok[k] + 6, 65535, &v))
						c.x.sec[i].count = (int)v;
					else
						ok = false;
				}
			}
		}
		if (!ok)
			file_error(&g, lineno, err[0] ? err : "bad line");
	}
	if (in_case) {
		file_error(&g, lineno, "missing end");
		case_free(&c);
	}
	free(line);
	fclose(f);
	printf("%s: %u passed, %u failed, %u known bugs, %u known bugs now passing, %u format "
	       "errors\n",
	       name, g.passed, g.failed, g.known_bugs, g.fixed, g.errors);
	if (getenv("ZW_GOLDEN_REMOTE") != NULL)
		printf("%s: against %s: %u same, %u different, %u expected differences\n", name,
		       getenv("ZW_GOLDEN_REMOTE"), g.remote_same, g.remote_diff, g.remote_expected);
	zones_free(&g);
	CU_ASSERT_EQUAL(g.errors, 0);
	CU_ASSERT_EQUAL(g.failed, 0);
	CU_ASSERT(g.passed + g.known_bugs + g.fixed > 0);
}

/* ---- the golden files: one CUnit test each ---- */

#define GOLDEN(fn, file)                                                                           \
	static void fn(void)                                                                       \
	{                                                                                          \
		run_file(file);                                                                    \
	}

GOLDEN(golden_header, "header.golden")
GOLDEN(golden_question, "question.golden")
GOLDEN(golden_zones, "zones.golden")
GOLDEN(golden_nozones, "nozones.golden")
GOLDEN(golden_positive, "positive.golden")
GOLDEN(golden_negative, "negative.golden")
GOLDEN(golden_cname, "cname.golden")
GOLDEN(golden_dname, "dname.golden")
GOLDEN(golden_wildcard, "wildcard.golden")
GOLDEN(golden_delegation, "delegation.golden")
GOLDEN(golden_additional, "additional.golden")
GOLDEN(golden_any, "any.golden")
GOLDEN(golden_edns, "edns.golden")
GOLDEN(golden_truncation, "truncation.golden")
GOLDEN(golden_chaos, "chaos.golden")
GOLDEN(golden_opcode, "opcode.golden")
GOLDEN(golden_malformed, "malformed.golden")
GOLDEN(golden_known_bugs, "known-bugs.golden")
GOLDEN(golden_dnssec_nsec, "dnssec-nsec.golden")
GOLDEN(golden_dnssec_nsec3, "dnssec-nsec3.golden")
GOLDEN(golden_hash, "hash.golden")

static const char *const golden_files[] = {
	"header.golden",      "question.golden",
	"zones.golden",	      "nozones.golden",
	"positive.golden",    "negative.golden",
	"cname.golden",	      "dname.golden",
	"wildcard.golden",    "delegation.golden",
	"additional.golden",  "any.golden",
	"edns.golden",	      "truncation.golden",
	"chaos.golden",	      "opcode.golden",
	"malformed.golden",   "known-bugs.golden",
	"dnssec-nsec.golden", "dnssec-nsec3.golden",
	"hash.golden",	      NULL,
};

/* Every file in golden/ is run: a new one must be listed above. */
static void golden_all_listed(void)
{
	char path[2048];
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/tests/dataplane/golden", srcdir());
	DIR *d = opendir(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 7 || strcmp(e->d_name + l - 7, ".golden") != 0)
			continue;
		bool listed = false;
		for (int i = 0; golden_files[i] != NULL; i++)
			listed |= strcmp(golden_files[i], e->d_name) == 0;
		if (!listed)
			printf("golden/%s is not listed in test_answer.c\n", e->d_name);
		CU_ASSERT(listed);
	}
	closedir(d);
}

/* The pairs of zones/collide.test.zone hash alike, or hash.golden no
 * longer tests what it says. */
static void golden_names_collide(void)
{
	static const char *const pairs[][2] = { { "c147923", "c324032" },
						{ "c348203", "c392277" } };

	for (unsigned i = 0; i < 2; i++) {
		uint8_t a[16], b[16];
		a[0] = (uint8_t)strlen(pairs[i][0]);
		memcpy(a + 1, pairs[i][0], a[0]);
		b[0] = (uint8_t)strlen(pairs[i][1]);
		memcpy(b + 1, pairs[i][1], b[0]);
		CU_ASSERT_EQUAL(zw_name_hash(a, a[0] + 1u), zw_name_hash(b, b[0] + 1u));
	}
}

/* ---- property test: random and mutated queries ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned rndn(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static const char *const prop_names[] = {
	"example.com.",
	"www.example.com.",
	"WwW.eXaMpLe.CoM.",
	"nope.example.com.",
	"a.b.c.example.com.",
	"web.example.com.",
	"c1.example.com.",
	"loop1.example.com.",
	"self.example.com.",
	"ch1.example.com.",
	"x.old.example.com.",
	"x.dloop.example.com.",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.long.example.com.",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
	"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
	"ddddddddddddddddddddddddddddddddddddddddddddddddd.example.com.",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
	"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
	"ddddddddddddddddddddddddddddddddddddddddddddd.old.example.com.",
	"vErSiOn.BiNd.",
	"hostname.bind.",
	"x.legacy.example.com.",
	"foo.apps.example.com.",
	"a.b.apps.example.com.",
	"x.sub.example.com.",
	"x.big.example.com.",
	"x.sibling.example.com.",
	"secure.example.com.",
	"child.example.com.",
	"www.child.example.com.",
	"bigtxt.example.com.",
	"midtxt.example.com.",
	"mxmany.example.com.",
	"_sip._udp.example.com.",
	"host3.wild.test.",
	"x.alias.wild.test.",
	"a.many.wild.test.",
	"z.y.wild.test.",
	"present.neg.test.",
	"www.example.net.",
	"example.org.",
	".",
	"id.server.",
	"version.bind.",
	/* signed zones (loaded by the burst test only; REFUSED elsewhere) */
	"nsec.test.",
	"www.nsec.test.",
	"nx.nsec.test.",
	"a.b.nsec.test.",
	"nsec3.test.",
	"www.nsec3.test.",
	"nx.nsec3.test.",
	"x.y.nsec3.test.",
	"a.wild.nsec3.test.",
	"x.insecure.nsec3.test.",
	"insecure.nsec3.test.",
	"b.a.optent.nsec3.test.",
	"far.test.",
	"nx.far.test.",
	"x.a-cut-whose-name-fits-in-its-record-but-not-with-the-ns.far.test.",
	"ent.nsec.test.",
	"x.insecure.nsec.test.",
	"nx.www.nsec.test.",
	"nsec3-noopt.test.",
	"nx.nsec3-noopt.test.",
	"www.nsec3-noopt.test.",
	"ent.nsec3-noopt.test.",
	"x.insecure.nsec3-noopt.test.",
	"nx.www.nsec3-noopt.test.",
};

static const uint16_t prop_types[] = { 1, 2, 5, 6, 15, 16, 28, 33, 39, 43, 255, 251, 252, 65280 };

/* A well-formed query, sometimes with EDNS options, into q. */
static size_t prop_query(uint8_t *q, size_t cap)
{
	size_t len = HDR;
	const char *name = prop_names[rndn(sizeof(prop_names) / sizeof(prop_names[0]))];

	memset(q, 0, HDR);
	put16(q, (unsigned)rnd());
	q[2] = (uint8_t)(rndn(8) == 0 ? rnd() & 0x7f : rnd() & 0x01);
	q[3] = (uint8_t)(rndn(4) == 0 ? rnd() & 0x70 : 0);
	put16(q + 4, 1);
	if (!append_name(name, q, &len, cap - 32))
		return 0;
	put16(q + len, prop_types[rndn(sizeof(prop_types) / sizeof(prop_types[0]))]);
	put16(q + len + 2, rndn(10) == 0 ? 3 : 1);
	len += 4;
	if (rndn(3) != 0) {
		static const uint16_t sizes[] = { 0, 100, 512, 600, 1232, 1400, 4096, 65535 };
		put16(q + 10, 1);
		q[len] = 0;
		put16(q + len + 1, 41);
		put16(q + len + 3, sizes[rndn(8)]);
		q[len + 5] = 0;
		q[len + 6] = (uint8_t)(rndn(10) == 0 ? 1 : 0);
		q[len + 7] = (uint8_t)(rndn(2) ? 0x80 : 0);
		q[len + 8] = 0;
		unsigned rdlen = 0;
		if (rndn(3) == 0) {
			put16(q + len + 11, 3); /* NSID */
			put16(q + len + 13, 0);
			rdlen = 4;
		}
		put16(q + len + 9, rdlen);
		len += 11 + rdlen;
	}
	return len;
}

static void prop_mutate(uint8_t *q, size_t *len, size_t cap)
{
	unsigned k = 1 + rndn(4);

	while (k-- > 0) {
		switch (rndn(8)) {
		case 0: /* flip a bit */
			if (*len)
				q[rndn((unsigned)*len)] ^= (uint8_t)(1u << rndn(8));
			break;
		case 1: /* a random byte */
			if (*len)
				q[rndn((unsigned)*len)] = (uint8_t)rnd();
			break;
		case 2: /* cut */ *len = rndn((unsigned)*len + 1); break;
		case 3: /* append garbage */
			for (unsigned i = rndn(40); i > 0 && *len < cap; i--)
				q[(*len)++] = (uint8_t)rnd();
			break;
		case 4: /* a section count */
			if (*len >= HDR)
				put16(q + 4 + 2 * rndn(4), rndn(4));
			break;
		case 5: /* a compression pointer somewhere */
			if (*len >= 2) {
				unsigned at = rndn((unsigned)*len - 1);
				put16(q + at, 0xc000 | rndn((unsigned)*len + 4));
			}
			break;
		case 6: /* an extra RR in additional, compressed owner */
			if (*len >= HDR && *len + 16 <= cap) {
				uint8_t rr[] = { 0xc0, 0x0c, 0, (uint8_t)rndn(256),
						 0,    1,    0, 0,
						 0,    0,    0, 4,
						 1,    2,    3, 4 };
				memcpy(q + *len, rr, sizeof(rr));
				*len += sizeof(rr);
				put16(q + 10, get16(q + 10) + 1u);
			}
			break;
		default: /* a label length */
			if (*len > HDR)
				q[HDR + rndn((unsigned)(*len - HDR))] = (uint8_t)rndn(256);
			break;
		}
	}
}

/* The zones of the property tests into g, with the two signed ones (NSEC,
 * NSEC3 with opt-out) if asked. */
static void prop_zones(struct gfile *g, bool with_signed)
{
	static const char *const zones[][2] = {
		{ "example.com.", "zones/example.com.zone" },
		{ "child.example.com.", "zones/child.example.com.zone" },
		{ "example.net.", "zones/example.net.zone" },
		{ "wild.test.", "zones/wild.test.zone" },
		{ "neg.test.", "zones/neg.test.zone" },
		{ "far.test.", "zones/far.test.zone" },
		{ "nsec.test.", "zones/nsec.test.zone" },
		{ "nsec3.test.", "zones/nsec3.test.zone" },
		{ "nsec3-noopt.test.", "zones/nsec3-noopt.test.zone" },
	};
	size_t n = sizeof(zones) / sizeof(zones[0]) - (with_signed ? 0 : 3);
	char err[512];

	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "%s/tests/dataplane", srcdir());
	for (size_t i = 0; i < n; i++) {
		if (!zone_load(g, zones[i][0], zones[i][1], err, sizeof(err))) {
			printf("%s\n", err);
			CU_FAIL_FATAL("zone load");
		}
	}
	g->zs = zw_zoneset_create(g->imgs, g->nimg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->zs);
}

/* The wire form of a query for name and type into q (cap bytes), with
 * an OPT RR (4096 octets) when edns, with DO when do_bit; its length. */
static size_t wire_query(uint8_t *q, size_t cap, const char *name, uint16_t type, bool edns,
			 bool do_bit)
{
	ldns_pkt *qp = NULL;
	uint8_t *qw = NULL;
	size_t qlen = 0;

	CU_ASSERT_FATAL(ldns_pkt_query_new_frm_str(&qp, name, (ldns_rr_type)type, LDNS_RR_CLASS_IN,
						   LDNS_RD) == LDNS_STATUS_OK);
	if (edns) {
		ldns_pkt_set_edns_udp_size(qp, 4096);
		ldns_pkt_set_edns_do(qp, do_bit);
	}
	CU_ASSERT_FATAL(ldns_pkt2wire(&qw, qp, &qlen) == LDNS_STATUS_OK && qlen <= cap);
	memcpy(q, qw, qlen);
	free(qw);
	ldns_pkt_free(qp);
	return qlen;
}

/* ---- the NSEC3 record search ---- */

#define N3_HOSTS 600

/* The record matching h or covering it, by reading every hash. */
static uint32_t n3_brute(const struct zw_image *img, const uint8_t *h, bool *match)
{
	uint32_t n = img->hdr->nsec3_count, best = n - 1;

	*match = false;
	for (uint32_t i = 0; i < n; i++) {
		int c = memcmp(img->names + img->nsec3[i].hash_off + 1, h, ZW_SHA1_LEN);
		if (c == 0) {
			*match = true;
			return i;
		}
		if (c < 0)
			best = i;
	}
	return best;
}

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, ZW_SHA1_LEN);
}

/* A temporary file (its name into path, a mkstemp template), open for
 * writing. */
static FILE *tmp_file(char *path)
{
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	return f;
}

/* The image of the zone file at path (removed once read) for origin. */
static struct zw_image *compile_tmp_zone(const char *path, const char *origin)
{
	struct zw_compile_opts opts = { .origin = origin };
	struct zw_compile_stats st;
	void *buf = NULL;
	size_t size = 0;
	struct zw_image *img = NULL;
	int rc = zw_compile_file(path, &opts, &buf, &size, &st);

	unlink(path);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(zw_image_from_buffer(buf, size, &img, NULL), 0);
	return img;
}

/* A temporary zone file (its name into path, a mkstemp template) open for
 * writing, with the apex of an unsalted NSEC3 zone of origin written. */
static FILE *n3_zone_file(char *path, const char *origin)
{
	FILE *f = tmp_file(path);
	fprintf(f,
		"$ORIGIN %s\n$TTL 300\n"
		"@ SOA ns1 h 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n"
		"@ DNSKEY 257 3 13 sJNUsBKY3dvVdTOcp4E2/TWv6npIJ8Poa2nEd3f4zK7tfJXfiMhvjmpb"
		"hRxrCw0bMxOpQetltxhb2MF5bDGwMQ==\n@ NSEC3PARAM 1 0 0 -\n",
		origin);
	return f;
}

/* A zone of N3_HOSTS names with an NSEC3 chain (no salt, no iterations;
 * the records unsigned, which the search does not read): the record that
 * matches or covers a hash is found the same through the index built when
 * the image is opened, without it, and by reading every hash. Hashes
 * tried: every record's own, one above and one below it in the last byte
 * (same first 8 bytes: the full comparison decides), random ones, and
 * those below the first and above the last (the chain wraps). */
static void n3_search_index(void)
{
	static uint8_t hashes[N3_HOSTS + 1][ZW_SHA1_LEN];
	char path[] = "/tmp/zw-n3idx-XXXXXX", b32[40], nb32[40];
	uint8_t wire[ZW_NAME_MAX + 1];
	FILE *f = n3_zone_file(path, "n3idx.test.");
	unsigned nh = 0;
	for (unsigned i = 0; i <= N3_HOSTS; i++) {
		char name[64];
		if (i == 0)
			snprintf(name, sizeof(name), "n3idx.test.");
		else if (i == 1)
			snprintf(name, sizeof(name), "ns1.n3idx.test.");
		else
			snprintf(name, sizeof(name), "h%u.n3idx.test.", i);
		if (i > 1)
			fprintf(f, "h%u A 192.0.2.%u\n", i, i % 250 + 1);
		size_t wlen = 0;
		CU_ASSERT_FATAL(append_name(name, wire, &wlen, sizeof(wire)));
		CU_ASSERT_FATAL(zw_nsec3_hash(wire, (unsigned)wlen, NULL, 0, 0, hashes[nh]) == 0);
		nh++;
	}
	qsort(hashes, nh, ZW_SHA1_LEN, cmp_hash);
	for (unsigned i = 0; i < nh; i++) {
		zw_base32hex(hashes[i], ZW_SHA1_LEN, b32);
		zw_base32hex(hashes[(i + 1) % nh], ZW_SHA1_LEN, nb32);
		fprintf(f, "%.32s NSEC3 1 0 0 - %.32s A\n", b32, nb32);
	}
	CU_ASSERT_FATAL(fclose(f) == 0);

	struct zw_image *img = compile_tmp_zone(path, "n3idx.test.");
	CU_ASSERT_EQUAL_FATAL(img->hdr->nsec3_count, nh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img->nsec3_idx);
	struct zw_image plain = *img;
	plain.nsec3_idx = NULL;

	unsigned tried = 0, matched = 0;
	uint64_t seed = 0x6e33696478ULL;
	for (unsigned t = 0; t < 4 * nh + 4000; t++) {
		uint8_t h[ZW_SHA1_LEN];
		if (t < 3 * nh) {
			memcpy(h, hashes[t / 3], ZW_SHA1_LEN);
			h[ZW_SHA1_LEN - 1] = (uint8_t)(h[ZW_SHA1_LEN - 1] + (t % 3 == 1 ? 1
									     : t % 3	? 255
											: 0));
		} else if (t == 3 * nh) {
			memset(h, 0, sizeof(h));
		} else if (t == 3 * nh + 1) {
			memset(h, 0xff, sizeof(h));
		} else {
			for (unsigned b = 0; b < ZW_SHA1_LEN; b++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				h[b] = (uint8_t)(seed >> 56);
			}
		}
		bool m1, m2, m3;
		uint32_t want = n3_brute(img, h, &m1);
		uint32_t got = zw_ans_n3_find(img, h, &m2), got2 = zw_ans_n3_find(&plain, h, &m3);
		if (got != want || got2 != want || m2 != m1 || m3 != m1)
			printf("\n  hash %u: record %u/%u (index/none), expected %u\n", t, got,
			       got2, want);
		CU_ASSERT_EQUAL(got, want);
		CU_ASSERT_EQUAL(got2, want);
		CU_ASSERT_EQUAL(m2, m1);
		CU_ASSERT_EQUAL(m3, m1);
		tried++;
		matched += m1;
	}
	CU_ASSERT_EQUAL(matched, nh);
	printf(" (%u hashes, %u records) ", tried, nh);
	zw_image_close(img);
}

/* The authority section of response rp holds the record want_text once
 * (a denial's NSEC or NSEC3), and one RRSIG over its type owned by it. */
static void expect_signed_denial(ldns_pkt *rp, const char *want_text)
{
	ldns_rr *want = NULL;
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&want, want_text, 0, NULL, NULL) == LDNS_STATUS_OK);
	ldns_rr_type type = ldns_rr_get_type(want);
	ldns_rr_list *auth = ldns_pkt_authority(rp);
	unsigned found = 0, signed_by_owner = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == type)
			found += ldns_rr_compare(rr, want) == 0;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type)
			signed_by_owner +=
				ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(want)) == 0;
	}
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(signed_by_owner, 1);
	ldns_rr_free(want);
}

/*
 * An NSEC3 record too long for its place in the image: a name with types
 * in three windows of the type bitmap, in a chain of N3_FAR records that
 * fit (signatures that are well formed but not checked, which is all the
 * answer path reads). The compiler lays that record's data after the
 * table, and a NODATA answer for the name writes it as the zone has it,
 * its signature pointing at its owner.
 */
#define N3_FAR 200

static void n3_far_record(void)
{
	static uint8_t hashes[N3_FAR + 3][ZW_SHA1_LEN];
	static const char *const fixed[] = { "n3far.test.", "ns1.n3far.test.", "big.n3far.test." };
	static uint8_t q[512], out[4096];
	char path[] = "/tmp/zw-n3far-XXXXXX", b32[40], nb32[40], sig[100];
	uint8_t wire[ZW_NAME_MAX + 1], big[ZW_SHA1_LEN];
	FILE *f = n3_zone_file(path, "n3far.test.");
	fprintf(f, "big A 192.0.2.9\nbig CAA 0 issue \"ca.test\"\nbig TYPE127 \\# 0\n"
		   "big TYPE65280 \\# 0\n");
	memset(sig, 'A', 86);
	memcpy(sig + 86, "==", 3);
	unsigned nh = 0;
	for (unsigned i = 0; i < N3_FAR + 3; i++) {
		char name[64];
		if (i < 3) {
			snprintf(name, sizeof(name), "%s", fixed[i]);
		} else {
			snprintf(name, sizeof(name), "h%u.n3far.test.", i);
			fprintf(f, "h%u A 192.0.2.%u\n", i, i % 250 + 1);
		}
		size_t wlen = 0;
		CU_ASSERT_FATAL(append_name(name, wire, &wlen, sizeof(wire)));
		CU_ASSERT_FATAL(zw_nsec3_hash(wire, (unsigned)wlen, NULL, 0, 0, hashes[nh]) == 0);
		if (i == 2)
			memcpy(big, hashes[nh], ZW_SHA1_LEN);
		nh++;
	}
	qsort(hashes, nh, ZW_SHA1_LEN, cmp_hash);
	uint32_t bi = ZW_NONE;
	char want_text[512] = "";
	for (unsigned i = 0; i < nh; i++) {
		bool is_big = memcmp(hashes[i], big, ZW_SHA1_LEN) == 0;
		zw_base32hex(hashes[i], ZW_SHA1_LEN, b32);
		zw_base32hex(hashes[(i + 1) % nh], ZW_SHA1_LEN, nb32);
		fprintf(f, "%.32s NSEC3 1 0 0 - %.32s %s\n", b32, nb32,
			is_big ? "A CAA TYPE127 TYPE65280" : "A");
		fprintf(f,
			"%.32s RRSIG NSEC3 13 3 300 20360101000000 20260101000000 1 n3far.test. "
			"%s\n",
			b32, sig);
		if (is_big) {
			bi = i;
			snprintf(want_text, sizeof(want_text),
				 "%.32s.n3far.test. 300 IN NSEC3 1 0 0 - %.32s A CAA TYPE127 "
				 "TYPE65280",
				 b32, nb32);
		}
	}
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_FATAL(bi != ZW_NONE);

	struct zw_image *img = compile_tmp_zone(path, "n3far.test.");
	CU_ASSERT_FATAL(img->hdr->flags & ZW_IMGF_SIGNED);
	CU_ASSERT_EQUAL_FATAL(img->hdr->nsec3_count, nh);
	/* the big record alone is far: the others set the stride */
	CU_ASSERT_EQUAL(img->hdr->nsec3_stride, 192);
	for (uint32_t i = 0; i < nh; i++)
		CU_ASSERT_EQUAL(zw_image_n3proof(img, i)->far, i == bi);

	/* big MX with DO: NODATA, proven by the big record */
	size_t qlen = wire_query(q, sizeof(q), "big.n3far.test.", ZW_T_MX, true, true);
	struct zw_zoneset *zs = zw_zoneset_create(&img, 1);
	struct zw_answer_cfg cfg = { 0 };
	CU_ASSERT_PTR_NOT_NULL_FATAL(zs);
	int n = zw_answer(&cfg, zs, q, qlen, out, sizeof(out), 0, NULL);
	CU_ASSERT_FATAL(n > 0);
	ldns_pkt *rp = NULL;
	CU_ASSERT_FATAL(ldns_wire2pkt(&rp, out, (size_t)n) == LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(rp), LDNS_RCODE_NOERROR);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(rp), 0);
	expect_signed_denial(rp, want_text);
	ldns_pkt_free(rp);
	zw_zoneset_free(zs);
	zw_image_close(img);
}

/*
 * An NSEC zone whose one long NSEC (a wide type bitmap) does not fit the
 * stride of the places laid out to write, so its data lies after the
 * table (far): a NODATA at that name and an NXDOMAIN it covers are
 * answered, one at a time and in a burst, with the same bytes as without
 * NSECPROOF, and carry that NSEC, signed by its owner.
 */
#define NSEC_FAR 200

static void nsec_far_record(void)
{
	static uint8_t q[2][512], out[4][4096];
	char path[] = "/tmp/zw-nfar-XXXXXX", sig[100], next[32];
	FILE *f = tmp_file(path);
	memset(sig, 'A', 86);
	memcpy(sig + 86, "==", 3);
	/* single labels under the apex: canonical order is byte order */
	fprintf(f,
		"$ORIGIN nfar.test.\n$TTL 300\n"
		"@ SOA ns1 h 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n"
		"@ DNSKEY 257 3 13 sJNUsBKY3dvVdTOcp4E2/TWv6npIJ8Poa2nEd3f4zK7tfJXfiMhvjmpb"
		"hRxrCw0bMxOpQetltxhb2MF5bDGwMQ==\n"
		"@ NSEC big SOA NS DNSKEY RRSIG NSEC\n"
		"@ RRSIG NSEC 13 2 300 20360101000000 20260101000000 1 nfar.test. %s\n"
		"big A 192.0.2.9\nbig CAA 0 issue \"ca.test\"\nbig TYPE127 \\# 0\n"
		"big TYPE65279 \\# 0\nbig TYPE65534 \\# 0\n"
		"big NSEC h000 A CAA TYPE127 TYPE65279 TYPE65534 RRSIG NSEC\n"
		"big RRSIG NSEC 13 3 300 20360101000000 20260101000000 1 nfar.test. %s\n"
		"ns1 NSEC @ A RRSIG NSEC\n"
		"ns1 RRSIG NSEC 13 3 300 20360101000000 20260101000000 1 nfar.test. %s\n",
		sig, sig, sig);
	for (unsigned i = 0; i < NSEC_FAR; i++) {
		if (i + 1 < NSEC_FAR)
			snprintf(next, sizeof(next), "h%03u", i + 1);
		else
			snprintf(next, sizeof(next), "ns1");
		fprintf(f,
			"h%03u A 192.0.2.%u\nh%03u NSEC %s A RRSIG NSEC\n"
			"h%03u RRSIG NSEC 13 3 300 20360101000000 20260101000000 1 nfar.test. "
			"%s\n",
			i, i % 250 + 1, i, next, i, sig);
	}
	CU_ASSERT_FATAL(fclose(f) == 0);

	struct zw_image *img = compile_tmp_zone(path, "nfar.test.");
	CU_ASSERT_FATAL((img->hdr->flags & ZW_IMGF_SIGNED) && img->nsec_proof != NULL);
	uint8_t wire[ZW_NAME_MAX + 1];
	size_t wlen = 0;
	CU_ASSERT_FATAL(append_name("big.nfar.test.", wire, &wlen, sizeof(wire)));
	struct zw_lookup lk;
	struct zw_zoneset *zs = zw_zoneset_create(&img, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zs);
	zw_lookup(zs, wire, (unsigned)wlen, ZW_T_A, &lk);
	CU_ASSERT_FATAL(lk.shape == ZW_SHAPE_ANSWER);
	/* the long NSEC alone is far: the others set the stride */
	uint32_t big = (uint32_t)(lk.node - img->nodes), nfar = 0;
	for (uint32_t i = 0; i < img->hdr->node_count; i++)
		nfar += zw_image_nsecproof(img, i)->far;
	CU_ASSERT_EQUAL(nfar, 1);
	CU_ASSERT_EQUAL(zw_image_nsecproof(img, big)->far, 1);

	/* big MX: NODATA, proven by big's NSEC; bigz: NXDOMAIN, covered by it */
	size_t qlen[2] = {
		wire_query(q[0], sizeof(q[0]), "big.nfar.test.", ZW_T_MX, true, true),
		wire_query(q[1], sizeof(q[1]), "bigz.nfar.test.", ZW_T_A, true, true),
	};
	struct zw_answer_cfg cfg = { 0 };
	const uint8_t *laid = img->nsec_proof;
	for (unsigned k = 0; k < 2; k++) {
		struct zw_answer_req rq[2];
		int n[2];
		for (unsigned hide = 0; hide < 2; hide++) {
			img->nsec_proof = hide ? NULL : laid;
			n[hide] = zw_answer(&cfg, zs, q[k], qlen[k], out[hide], sizeof(out[0]), 0,
					    NULL);
			rq[hide] = (struct zw_answer_req){ .q = q[k],
							   .qlen = qlen[k],
							   .out = out[2 + hide],
							   .outcap = sizeof(out[0]) };
			zw_answer_burst(&cfg, zs, &rq[hide], 1);
		}
		img->nsec_proof = laid;
		CU_ASSERT_FATAL(n[0] > 0);
		CU_ASSERT(n[1] == n[0] && memcmp(out[1], out[0], (size_t)n[0]) == 0);
		for (unsigned hide = 0; hide < 2; hide++)
			CU_ASSERT(rq[hide].ret == n[0] &&
				  memcmp(out[2 + hide], out[0], (size_t)n[0]) == 0);
		ldns_pkt *rp = NULL;
		CU_ASSERT_FATAL(ldns_wire2pkt(&rp, out[0], (size_t)n[0]) == LDNS_STATUS_OK);
		CU_ASSERT_EQUAL(ldns_pkt_get_rcode(rp),
				k == 0 ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN);
		expect_signed_denial(rp, "big.nfar.test. 300 IN NSEC h000.nfar.test. A CAA "
					 "TYPE127 TYPE65279 TYPE65534 RRSIG NSEC");
		ldns_pkt_free(rp);
		/* cut at every size: the same bytes whether the NSEC records
		 * are laid out to write or copied from their chunks, and with
		 * the nodes' records or without (where the NSEC no longer fits,
		 * a denial stops at an RRset and sets TC) */
		struct zw_img_nrec *rec = img->nrec;
		unsigned bad = 0, cut = 0;
		for (size_t cap = 12; cap < (size_t)n[0]; cap++) {
			int m[3];
			for (unsigned v = 0; v < 3; v++) {
				img->nsec_proof = v == 1 ? NULL : laid;
				img->nrec = v == 2 ? NULL : rec;
				m[v] = zw_answer(&cfg, zs, q[k], qlen[k], out[v], cap, 0, NULL);
			}
			img->nsec_proof = laid;
			img->nrec = rec;
			cut += m[0] > 0 && (out[0][2] & 0x02) != 0;
			for (unsigned v = 1; v < 3; v++)
				bad += m[v] != m[0] ||
				       (m[0] > 0 && memcmp(out[v], out[0], (size_t)m[0]) != 0);
		}
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT(cut > 0);
	}
	zw_zoneset_free(zs);
	zw_image_close(img);
}

/* ---- the burst's prefetch settles lookups ---- */

/* The prefetch of one query for the lower-cased wire name lname: its
 * probe, after zw_ans_prefetch(), and the lookup the answer would do
 * without it (*ref). False when no zone has the name. */
static bool probe_name(const struct zw_zoneset *zs, const uint8_t *lname, unsigned len,
		       uint16_t qtype, struct zw_qname *qn, uint32_t *h, struct zw_probe *p,
		       struct zw_lookup *ref)
{
	unsigned rel;

	zw_qname_set(qn, lname, len);
	const struct zw_image *img = zw_zoneset_pick(zs, qn, qtype == ZW_T_DS, &rel);
	if (img == NULL)
		return false;
	zw_qname_hashes(qn, rel, h);
	memset(p, 0, sizeof(*p));
	zw_ans_probe_init(p, img, qn, h, rel, qtype, false);
	struct zw_probe *pp = p;
	zw_ans_prefetch(&pp, 1);
	zw_lookup_q(img, qn, rel, h, qtype, ref);
	return true;
}

/* Another node of img has the hash of n: the prefetch's probe may stop at
 * that one, and then leaves the lookup to the answer. */
static bool hash_shared(const struct zw_image *img, const struct zw_img_node *n)
{
	for (uint32_t i = 0; i < img->hdr->node_count; i++)
		if (&img->nodes[i] != n && img->nodes[i].hash == n->hash)
			return true;
	return false;
}

static bool same_lookup(const struct zw_lookup *a, const struct zw_lookup *b)
{
	return a->shape == b->shape && a->wildcard == b->wildcard && a->zone == b->zone &&
	       a->node == b->node && a->rrset == b->rrset && a->encloser == b->encloser;
}

/* The name of node n of img with `below` (a wire name without its root,
 * or "") in front; its length. */
static unsigned name_below(const struct zw_image *img, const struct zw_img_node *n,
			   const char *below, uint8_t *out)
{
	unsigned bl = (unsigned)strlen(below);

	memcpy(out, below, bl);
	return bl + zw_image_node_name(img, n, out + bl);
}

/*
 * The prefetch does the lookup where its probes settle the closest
 * encloser, and then exactly the lookup the answer would do; the tests
 * that compare answers cannot see that it settles anything (an answer
 * whose prefetch gave up is the same, only slower). Over every node of
 * the test zones, for the node's own name (which must be settled unless
 * it is glue or shares its hash: its probe finds its node), a missing name right below it
 * and a missing name two labels below it, with several types: wherever
 * the prefetch says it settled the lookup, its lookup is the answer's;
 * and it settles the cases it is meant to.
 */
static void prefetch_settles_lookups(void)
{
	static const uint16_t types[] = { ZW_T_A, ZW_T_NS, ZW_T_DS, ZW_T_MX, ZW_T_TXT };
	static const char *const below[] = { "", "\004zz-q", "\001a\004zz-q" };
	struct gfile g;
	char err[512];
	unsigned tried[3] = { 0 }, settled[3] = { 0 }, wrong = 0, own = 0, own_settled = 0;
	struct zw_qname qn;
	uint32_t h[ZW_LABELS_MAX];
	struct zw_probe p;
	struct zw_lookup ref;
	uint8_t name[ZW_NAME_MAX + 16];

	prop_zones(&g, true);
	zw_zoneset_free(g.zs);
	CU_ASSERT_FATAL(
		zone_load(&g, "collide.test.", "zones/collide.test.zone", err, sizeof(err)));
	g.zs = zw_zoneset_create(g.imgs, g.nimg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g.zs);
	for (unsigned z = 0; z < g.nimg; z++) {
		const struct zw_image *img = g.imgs[z];
		for (uint32_t i = 0; i < img->hdr->node_count; i++) {
			const struct zw_img_node *n = &img->nodes[i];
			for (unsigned b = 0; b < 3; b++) {
				unsigned len = name_below(img, n, below[b], name);
				if (len > ZW_NAME_MAX)
					continue;
				for (unsigned t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
					if (!probe_name(g.zs, name, len, types[t], &qn, h, &p,
							&ref) ||
					    p.img != img)
						continue; /* a child zone's own apex, say */
					tried[b]++;
					settled[b] += p.lk_ok;
					if (p.lk_ok && !same_lookup(&p.lk, &ref) && ++wrong <= 5)
						printf("prefetch: node %u of zone %u, name %u, "
						       "type "
						       "%u: its lookup differs\n",
						       i, z, b, types[t]);
					if (b == 0 && i > 0 && !(n->flags & ZW_NODE_GLUE) &&
					    !hash_shared(img, n)) {
						own++;
						own_settled += p.lk_ok;
					}
				}
			}
		}
	}
	printf("prefetch: settled %u of %u own names, %u of %u one label below, %u of %u two "
	       "below; %u differ\n",
	       settled[0], tried[0], settled[1], tried[1], settled[2], tried[2], wrong);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(own > 50);
	CU_ASSERT_EQUAL(own_settled, own);
	/* missing names right below a node: the probe ends on an empty slot
	 * in these small tables nearly always; two labels below, the parent
	 * is missing too, and only the apex's children are settled */
	CU_ASSERT(settled[1] * 10 > tried[1] * 8);
	CU_ASSERT(settled[2] < settled[1]);
	zones_free(&g);
}

/* Swaps the hash slots of the two nodes named a and b (relative names as
 * C strings) of img, in a run of the same hash: which one the compiler
 * placed first does not matter. */
static void swap_slots(const struct zw_image *img, const char *a, const char *b)
{
	const struct zw_img_node *na = NULL, *nb = NULL;
	uint8_t wa[64], wb[64];
	struct zw_img_slot *sa = NULL, *sb = NULL;

	wa[0] = (uint8_t)strlen(a);
	memcpy(wa + 1, a, wa[0]);
	wb[0] = (uint8_t)strlen(b);
	memcpy(wb + 1, b, wb[0]);
	for (uint32_t i = 0; i < img->hdr->node_count; i++) {
		const struct zw_img_node *n = &img->nodes[i];
		if (zw_image_node_is(img, n, wa, wa[0] + 1u))
			na = n;
		if (zw_image_node_is(img, n, wb, wb[0] + 1u))
			nb = n;
	}
	CU_ASSERT_FATAL(na != NULL && nb != NULL && na->hash == nb->hash);
	for (uint32_t s = 0; s < img->hdr->hash_size; s++) {
		struct zw_img_slot *sl = (struct zw_img_slot *)(uintptr_t)&img->hash[s];
		if (sl->node == (uint32_t)(na - img->nodes) + 1)
			sa = sl;
		if (sl->node == (uint32_t)(nb - img->nodes) + 1)
			sb = sl;
	}
	CU_ASSERT_FATAL(sa != NULL && sb != NULL);
	uint32_t t = sa->node;
	sa->node = sb->node;
	sb->node = t;
}

/* Answers names in a burst and one at a time (every third query with an
 * OPT RR); the responses of the burst into outs (n of them, MSG_MAX
 * each). Fails where the two differ. */
static void burst_and_single(const struct zw_zoneset *zs, const char *const *names,
			     const uint16_t *types, unsigned n, uint8_t (*outs)[MSG_MAX], int *lens)
{
	static uint8_t qs[16][512], one[MSG_MAX];
	struct zw_answer_req rq[16];
	struct zw_answer_cfg cfg = { 0 };

	CU_ASSERT_FATAL(n <= 16);
	for (unsigned i = 0; i < n; i++) {
		size_t qlen =
			wire_query(qs[i], sizeof(qs[i]), names[i], types[i], i % 3 == 2, false);
		rq[i] = (struct zw_answer_req){
			.q = qs[i], .qlen = qlen, .out = outs[i], .outcap = MSG_MAX
		};
	}
	zw_answer_burst(&cfg, zs, rq, n);
	for (unsigned i = 0; i < n; i++) {
		int r = zw_answer(&cfg, zs, rq[i].q, rq[i].qlen, one, MSG_MAX, 0, NULL);
		lens[i] = rq[i].ret;
		CU_ASSERT(r > 0 && r == rq[i].ret && memcmp(one, outs[i], (size_t)r) == 0);
	}
}

/*
 * The names of zones/collide.test.zone whose hashes are equal, answered in
 * a burst and one at a time, with their slots in the order the compiler
 * chose and then swapped: the same responses both ways (hash.golden tests
 * the responses themselves, in the compiler's order only).
 */
static void collide_both_orders(void)
{
	static const char *const names[] = {
		"c147923.collide.test.",      "c324032.collide.test.",
		"x.c147923.collide.test.",    "x.c324032.collide.test.",
		"host.c348203.collide.test.", "host.c392277.collide.test.",
		"c348203.collide.test.",      "c392277.collide.test.",
	};
	static const uint16_t types[] = { ZW_T_A, ZW_T_A, ZW_T_A,  ZW_T_A,
					  ZW_T_A, ZW_T_A, ZW_T_NS, ZW_T_NS };
	static uint8_t before[8][MSG_MAX], after[8][MSG_MAX];
	int lb[8], la[8];
	struct gfile g;
	char err[512];

	memset(&g, 0, sizeof(g));
	snprintf(g.dir, sizeof(g.dir), "%s/tests/dataplane", srcdir());
	CU_ASSERT_FATAL(
		zone_load(&g, "collide.test.", "zones/collide.test.zone", err, sizeof(err)));
	g.zs = zw_zoneset_create(g.imgs, g.nimg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g.zs);
	burst_and_single(g.zs, names, types, 8, before, lb);
	swap_slots(g.imgs[0], "c147923", "c324032");
	swap_slots(g.imgs[0], "c348203", "c392277");
	burst_and_single(g.zs, names, types, 8, after, la);
	for (unsigned i = 0; i < 8; i++) {
		CU_ASSERT(lb[i] > 12 && lb[i] == la[i] &&
			  memcmp(before[i], after[i], (size_t)lb[i]) == 0);
		/* the data and the delegations are found: NOERROR, an answer
		 * or a referral; below a data name, NXDOMAIN */
		unsigned rcode = before[i][3] & 0x0f;
		CU_ASSERT_EQUAL(rcode, i == 2 || i == 3 ? 3 : 0);
	}
	CU_ASSERT(before[0][7] == 1 && before[1][7] == 1);
	CU_ASSERT(memcmp(before[0] + lb[0] - 4, "\xc0\x00\x02\x01", 4) == 0);
	CU_ASSERT(memcmp(before[1] + lb[1] - 4, "\xc0\x00\x02\x02", 4) == 0);
	zones_free(&g);
}

/*
 * A run of hash slots longer than the prefetch's probe (SLOT_RUN, 8): a
 * zone whose names all start their probe in the same slot. The prefetch
 * gives up partway (the name is neither found nor known missing, so it
 * must not settle the lookup), and the answer's own lookup finds the names
 * at the end of the run and proves a name of the same slot missing.
 */
#define RUN_NAMES 12
static void long_slot_run(void)
{
	char path[] = "/tmp/zw-slotrun-XXXXXX", names[RUN_NAMES + 1][32];
	unsigned found = 0, home = 0;
	/* apex, ns, the names: 14 nodes, so 32 slots */
	const uint32_t mask = 31;

	for (unsigned c = 0; found < RUN_NAMES + 1 && c < 100000; c++) {
		char l[16];
		uint8_t w[20];
		snprintf(l, sizeof(l), "r%u", c);
		w[0] = (uint8_t)strlen(l);
		memcpy(w + 1, l, w[0]);
		uint32_t s = zw_name_hash(w, w[0] + 1u) & mask;
		if (found == 0)
			home = s;
		if (s == home)
			snprintf(names[found++], sizeof(names[0]), "%s", l);
	}
	CU_ASSERT_EQUAL_FATAL(found, RUN_NAMES + 1);
	FILE *f = tmp_file(path);
	fprintf(f, "$ORIGIN run.test.\n$TTL 300\n@ SOA ns h 1 7200 3600 1209600 300\n@ NS ns\n"
		   "ns A 192.0.2.53\n");
	for (unsigned i = 0; i < RUN_NAMES; i++) /* the last name stays missing */
		fprintf(f, "%s A 192.0.2.%u\n", names[i], i + 1);
	fclose(f);
	struct zw_image *img = compile_tmp_zone(path, "run.test.");
	CU_ASSERT_EQUAL_FATAL(img->hdr->hash_size, mask + 1);
	/* the run from the home slot is longer than the prefetch probes */
	unsigned run = 0;
	while (run <= mask && img->hash[(home + run) & mask].node != 0)
		run++;
	CU_ASSERT_FATAL(run > 8);

	struct zw_zoneset *zs = zw_zoneset_create(&img, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zs);
	static uint8_t outs[RUN_NAMES + 1][MSG_MAX];
	int lens[RUN_NAMES + 1];
	char full[RUN_NAMES + 1][48];
	const char *qn[RUN_NAMES + 1];
	uint16_t qt[RUN_NAMES + 1];
	for (unsigned i = 0; i <= RUN_NAMES; i++) {
		snprintf(full[i], sizeof(full[i]), "%s.run.test.", names[i]);
		qn[i] = full[i];
		qt[i] = ZW_T_A;
	}
	burst_and_single(zs, qn, qt, RUN_NAMES + 1, outs, lens);
	unsigned unsettled = 0;
	for (unsigned i = 0; i <= RUN_NAMES; i++) {
		unsigned rcode = outs[i][3] & 0x0f;
		CU_ASSERT_EQUAL(rcode, i < RUN_NAMES ? 0 : 3);
		CU_ASSERT_EQUAL(outs[i][7], i < RUN_NAMES ? 1 : 0);
		if (i < RUN_NAMES && i % 3 != 2) /* without an OPT, the address ends it */
			CU_ASSERT(outs[i][lens[i] - 1] == i + 1);
		/* and the prefetch alone: settled only when its probe found
		 * the name within its run */
		struct zw_qname q;
		uint32_t h[ZW_LABELS_MAX];
		struct zw_probe p;
		struct zw_lookup ref;
		uint8_t w[64];
		w[0] = (uint8_t)strlen(names[i]);
		memcpy(w + 1, names[i], w[0]);
		memcpy(w + 1 + w[0], "\003run\004test", 10);
		CU_ASSERT_FATAL(probe_name(zs, w, w[0] + 11u, ZW_T_A, &q, h, &p, &ref));
		if (p.lk_ok) {
			CU_ASSERT(same_lookup(&p.lk, &ref));
		} else {
			unsettled++;
		}
		if (i == RUN_NAMES)
			CU_ASSERT(!p.lk_ok && !p.absent);
	}
	CU_ASSERT(unsettled >= 2);
	zw_zoneset_free(zs);
	zw_image_close(img);
}

static void property_random_queries(void)
{
	static uint8_t q[4096], out[MSG_MAX + 64], again[MSG_MAX];
	struct gfile g;
	struct zw_answer_cfg cfgs[3] = { { 0 },
					 { .edns_size = 4096, .max_chain = 3 },
					 { .edns_size = 512, .max_chain = 1 } };
	unsigned answered = 0, dropped = 0, punted = 0, failures = 0;
	const char *seed_env = getenv("ZW_PROP_SEED");
	const char *iter_env = getenv("ZW_PROP_ITERATIONS");

	prop_zones(&g, false);
	cfgs[1].nsid_len = 4;
	memcpy(cfgs[1].nsid, "prop", 4);
	cfgs[1].version_bind = "property";
	cfgs[1].id_server = "id";
	/* the largest OPT there is: a 255-octet NSID */
	cfgs[2].nsid_len = 255;
	memset(cfgs[2].nsid, 'n', 255);
	static char longtxt[ZW_CHAOS_TXT_MAX + 50];
	memset(longtxt, 't', sizeof(longtxt) - 1);
	cfgs[2].version_bind = longtxt;
	cfgs[2].hostname_bind = longtxt;

	rng_state = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed2026ULL;
	if (rng_state == 0)
		rng_state = 1;
	unsigned long iters = iter_env ? strtoul(iter_env, NULL, 0) : 20000;
	for (unsigned long it = 0; it < iters; it++) {
		size_t qlen;
		unsigned kind = rndn(10);
		if (kind == 0) {
			/* random bytes */
			qlen = rndn(300);
			for (size_t i = 0; i < qlen; i++)
				q[i] = (uint8_t)rnd();
			if (qlen >= 3 && rndn(2))
				q[2] &= 0x7f; /* mostly queries */
		} else {
			qlen = prop_query(q, sizeof(q));
			if (kind >= 4)
				prop_mutate(q, &qlen, sizeof(q));
		}
		const struct zw_answer_cfg *cfg = &cfgs[rndn(3)];
		unsigned flags = rndn(4) == 0 ? ZW_ANS_TCP : 0;
		size_t outcap = rndn(6) == 0 ? 12 + rndn(600) : MSG_MAX;
		struct zw_answer_info info;
		memset(out, 0xa5, sizeof(out));
		const struct zw_zoneset *zs = rndn(20) == 0 ? NULL : g.zs;
		int n = zw_answer(cfg, zs, q, qlen, out, outcap, flags, &info);
		bool bad = false;
		const char *why = "";
		if (n == ZW_ANSWER_DROP) {
			dropped++;
		} else if (n == ZW_ANSWER_PUNT) {
			punted++;
		} else if (n < HDR) {
			bad = true;
			why = "negative or short length";
		} else {
			answered++;
			size_t lim = (flags & ZW_ANS_TCP) ? 65535 : udp_limit(cfg, q, qlen);
			ldns_pkt *p = NULL;
			if ((size_t)n > outcap) {
				bad = true;
				why = "longer than the buffer";
			} else if ((size_t)n > lim) {
				bad = true;
				why = "longer than the UDP limit";
			} else if (ldns_wire2pkt(&p, out, (size_t)n) != LDNS_STATUS_OK) {
				bad = true;
				why = "does not parse with ldns";
			} else if (get16(out) != get16(q) || !(out[2] & 0x80)) {
				bad = true;
				why = "ID not copied or QR clear";
			} else if ((info.rcode & 15) != (out[3] & 15) ||
				   info.tc != ((out[2] & 0x02) != 0)) {
				bad = true;
				why = "zw_answer_info disagrees with the header";
			}
			ldns_pkt_free(p);
			/* the same query gives the same bytes */
			int n2 = zw_answer(cfg, zs, q, qlen, again, outcap, flags, NULL);
			if (!bad && (n2 != n || memcmp(again, out, (size_t)n) != 0)) {
				bad = true;
				why = "a second answer differs";
			}
		}
		for (size_t i = outcap; i < sizeof(out) && !bad; i++)
			if (out[i] != 0xa5) {
				bad = true;
				why = "wrote past the buffer";
			}
		if (bad) {
			failures++;
			if (failures <= 10) {
				printf("property: iteration %lu: %s (len %d, outcap %zu, %s)\n  "
				       "query:",
				       it, why, n, outcap, (flags & ZW_ANS_TCP) ? "tcp" : "udp");
				for (size_t i = 0; i < qlen; i++)
					printf("%02x", q[i]);
				printf("\n");
			}
		}
	}
	printf("property: %lu queries: %u answered, %u dropped, %u punted, %u failures\n", iters,
	       answered, dropped, punted, failures);
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT(answered > iters / 4);
	zones_free(&g);
}

/*
 * zw_answer_burst() against zw_answer(): bursts of random size (past
 * ZW_BURST_STEP too) of random and mutated queries, each with its own
 * flags and buffer size, must give exactly the responses and information
 * that answering them one at a time gives.
 */
#define PB_MAX 80
static void property_burst_matches_single(void)
{
	static uint8_t qs[PB_MAX][512], outs[PB_MAX][MSG_MAX], one[MSG_MAX];
	struct zw_answer_req rq[PB_MAX];
	struct gfile g;
	struct zw_answer_cfg cfg = { .edns_size = 1232 };
	unsigned compared = 0, failures = 0;

	prop_zones(&g, true);
	rng_state = 0xb0257ULL;
	for (unsigned round = 0; round < 300; round++) {
		unsigned n = 1 + rndn(PB_MAX);
		for (unsigned i = 0; i < n; i++) {
			size_t qlen = prop_query(qs[i], sizeof(qs[i]));
			if (rndn(3) == 0)
				prop_mutate(qs[i], &qlen, sizeof(qs[i]));
			rq[i] = (struct zw_answer_req){ .q = qs[i],
							.qlen = qlen,
							.out = outs[i],
							.outcap = rndn(8) == 0 ? 12 + rndn(600)
									       : MSG_MAX,
							.flags = rndn(4) == 0 ? ZW_ANS_TCP : 0 };
		}
		for (unsigned i = 0; i < n; i++)
			memset(outs[i], 0xa5, sizeof(outs[i]));
		zw_answer_burst(&cfg, g.zs, rq, n);
		for (unsigned i = 0; i < n; i++) {
			struct zw_answer_info info;
			/* nothing written past the caller's buffer (the burst may
			 * write past the response inside it) */
			for (size_t b = rq[i].outcap; b < sizeof(outs[i]); b++)
				if (outs[i][b] != 0xa5) {
					if (++failures <= 5)
						printf("burst: round %u, query %u: octet %zu "
						       "written "
						       "past a buffer of %zu\n",
						       round, i, b, rq[i].outcap);
					break;
				}
			int r = zw_answer(&cfg, g.zs, rq[i].q, rq[i].qlen, one, rq[i].outcap,
					  rq[i].flags, &info);
			compared++;
			if (r != rq[i].ret || (r > 0 && memcmp(one, outs[i], (size_t)r) != 0) ||
			    memcmp(&info, &rq[i].info, sizeof(info)) != 0) {
				if (++failures <= 5)
					printf("burst: round %u, query %u of %u: %d against %d\n",
					       round, i, n, rq[i].ret, r);
			}
		}
	}
	printf("burst: %u queries compared, %u differ\n", compared, failures);
	CU_ASSERT_EQUAL(failures, 0);
	zones_free(&g);
}

/* A query for name and type into q (cap octets): RD set, with an OPT of
 * payload udp where edns is 1, and the DO bit too where it is 2; its
 * length. */
static size_t x_query(uint8_t *q, size_t cap, uint16_t id, const char *name, uint16_t type,
		      int edns, unsigned udp)
{
	size_t len = HDR;

	memset(q, 0, HDR);
	put16(q, id);
	q[2] = 0x01; /* RD */
	put16(q + 4, 1);
	CU_ASSERT_FATAL(append_name(name, q, &len, cap - 15));
	put16(q + len, type);
	put16(q + len + 2, 1);
	len += 4;
	if (edns) {
		put16(q + 10, 1);
		memset(q + len, 0, 11);
		put16(q + len + 1, ZW_T_OPT);
		put16(q + len + 3, udp);
		q[len + 7] = edns == 2 ? 0x80 : 0;
		len += 11;
	}
	return len;
}

/* rq through the express lane alone: 0 where its parse refuses it, 1
 * where it writes the response (rq->ret), 2 where it hands it back. */
static int x_lane(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs,
		  struct zw_answer_req *rq)
{
	static struct zw_xq x;
	static struct zw_qname xqn;
	static uint32_t xh[ZW_LABELS_MAX];

	x.qn = &xqn;
	x.h = xh;
	if (!zw_ax_parse(cfg, zs, &x, rq))
		return 0;
	zw_ax_prefetch(&x, 1);
	rq->ret = zw_ax_write(cfg, &x);
	return rq->ret == ZW_AX_FULL ? 2 : 1;
}

/*
 * The express lane (dataplane/answer_express.c) takes the common queries
 * and leaves the rest to the full way: each case says which, and where it
 * takes one, its response must be zw_answer()'s. The comparisons of
 * bursts with single answers pass whether or not the lane takes anything;
 * this test fails if it stops taking what it is there for.
 */
static void express_takes_common_queries(void)
{
	static const struct {
		const char *name;
		uint16_t type;
		int edns; /* 0 none, 1 OPT, 2 OPT with DO */
		unsigned flags;
		int taken; /* 0 refused by the parse, 1 written, 2 handed back */
	} cases[] = {
		{ "www.example.com.", ZW_T_A, 0, 0, 1 },
		{ "WwW.ExAmPlE.cOm.", ZW_T_AAAA, 1, 0, 1 },
		{ "_sip._udp.example.com.", ZW_T_SRV, 1, 0, 1 }, /* additional data */
		{ "example.com.", ZW_T_MX, 0, 0, 1 },	      /* the apex: its targets' addresses */
		{ "www.example.com.", ZW_T_MX, 1, 0, 1 },     /* NODATA */
		{ "nothere.example.com.", ZW_T_A, 0, 0, 1 },  /* NXDOMAIN */
		{ "host.sub.example.com.", ZW_T_A, 1, 0, 1 }, /* referral, glue */
		{ "www.nsec.test.", ZW_T_A, 2, 0, 1 },	      /* signed */
		{ "host.secure.nsec.test.", ZW_T_A, 2, 0, 1 }, /* referral, signed DS */
		/* with DO in signed zones: denials, worked out ahead */
		{ "nx.nsec.test.", ZW_T_A, 2, 0, 1 },		 /* NXDOMAIN: NSEC search */
		{ "nx.www.nsec.test.", ZW_T_A, 2, 0, 1 },	 /* below a leaf: its NSEC */
		{ "www.nsec.test.", ZW_T_MX, 2, 0, 1 },		 /* NODATA: the node's */
		{ "ent.nsec.test.", ZW_T_A, 2, 0, 1 },		 /* an ENT: the NSEC before */
		{ "host.insecure.nsec.test.", ZW_T_A, 2, 0, 1 }, /* unsigned child */
		{ "nx.nsec3.test.", ZW_T_A, 2, 0, 1 },		 /* NXDOMAIN: hashed */
		{ "www.nsec3.test.", ZW_T_MX, 2, 0, 1 },
		{ "ent.nsec3.test.", ZW_T_A, 2, 0, 1 },
		{ "host.insecure.nsec3-noopt.test.", ZW_T_A, 2, 0, 1 },
		{ "nx.mail.nsec3-noopt.test.", ZW_T_A, 2, 0, 1 },
		{ "host.insecure.nsec3.test.", ZW_T_A, 2, 0, 2 }, /* opt-out: no NSEC3 */
		{ "optent.nsec3.test.", ZW_T_A, 2, 0, 2 },	  /* the same */
		{ "nx.wild.nsec.test.", ZW_T_A, 2, 0, 2 },	  /* a wildcard */
		/* a missing name's parent whose entries do not fit its record:
		 * its flags and name do */
		{ "nx.far.test.", ZW_T_A, 1, 0, 1 },
		{ "nx.a-name-that-is-long-enough-not-to-fit.in-the-record-of-its-node.far.test.",
		  ZW_T_A, 1, 0, 2 }, /* nor does its name */
		{ "x.a-cut-whose-name-fits-in-its-record-but-not-with-the-ns.far.test.", ZW_T_A, 1,
		  0, 2 },				 /* a cut: its NS are needed */
		{ "nx.nsec.test.", ZW_T_A, 1, 0, 1 },	 /* no DO: no proofs */
		{ "web.example.com.", ZW_T_A, 0, 0, 2 }, /* a CNAME to follow */
		{ "www.example.com.", ZW_T_ANY, 0, 0, 0 },
		{ "www.example.com.", ZW_T_DS, 0, 0, 0 },
		{ "www.example.com.", ZW_T_A, 0, ZW_ANS_TCP, 0 },
		{ "www.example.org.", ZW_T_A, 0, 0, 0 }, /* no zone */
	};
	struct zw_answer_cfg cfg = { .edns_size = 1232 };
	struct gfile g;
	unsigned wrong = 0;

	prop_zones(&g, true);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static uint8_t q[512], out[MSG_MAX], one[MSG_MAX];
		size_t len = x_query(q, sizeof(q), (uint16_t)(0x1234 + i), cases[i].name,
				     cases[i].type, cases[i].edns, 1232);
		struct zw_answer_req rq = { .q = q,
					    .qlen = len,
					    .out = out,
					    .outcap = sizeof(out),
					    .flags = cases[i].flags };
		int taken = x_lane(&cfg, g.zs, &rq), r = rq.ret;
		struct zw_answer_info info;
		int r1 = zw_answer(&cfg, g.zs, q, len, one, sizeof(one), cases[i].flags, &info);
		bool same = taken != 1 || (r == r1 && memcmp(out, one, (size_t)r1) == 0 &&
					   memcmp(&info, &rq.info, sizeof(info)) == 0);
		if (taken != cases[i].taken || !same) {
			printf("\n    %s type %u: taken %d (expected %d)%s", cases[i].name,
			       cases[i].type, taken, cases[i].taken, same ? "" : ", bytes differ");
			wrong++;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	zones_free(&g);
}

/*
 * The lane writes past the response inside the caller's buffer (the
 * question's window, an OPT that is not sent). An MX RRset whose targets'
 * addresses (16-octet chunks) fill the additional section up to the limit,
 * with limits swept octet by octet and buffers from the smallest the lane
 * takes (the limit plus 11 octets) up: the lane must take every one,
 * nothing may be written past the buffer, and the responses must be
 * zw_answer()'s.
 */
static void express_stays_in_buffer(void)
{
	char path[] = "/tmp/zw-room-XXXXXX";
	FILE *f = tmp_file(path);
	fprintf(f, "$ORIGIN room.test.\n$TTL 300\n@ SOA ns h 1 7200 3600 1209600 300\n@ NS ns\n"
		   "ns A 192.0.2.53\n");
	for (unsigned k = 1; k <= 40; k++)
		fprintf(f, "mx MX %u h%u\nh%u A 192.0.2.%u\n", k, k, k, k);
	fclose(f);
	struct zw_image *img = compile_tmp_zone(path, "room.test.");
	struct zw_zoneset *zs = zw_zoneset_create(&img, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(zs);
	static uint8_t q[512], out[MSG_MAX], one[MSG_MAX];
	struct zw_answer_cfg cfg = { .edns_size = 4096 };
	unsigned bad = 0, near = 0;

	for (unsigned udp = 512; udp <= 1400; udp++) {
		size_t len = x_query(q, sizeof(q), 0, "mx.room.test.", ZW_T_MX, 1, udp);
		for (size_t cap = udp + 11; cap < udp + 11 + 70; cap += 3) {
			memset(out, 0xa5, sizeof(out));
			struct zw_answer_req rq = {
				.q = q, .qlen = len, .out = out, .outcap = cap
			};
			int lane = x_lane(&cfg, zs, &rq);
			struct zw_answer_info info;
			int r = zw_answer(&cfg, zs, q, len, one, cap, 0, &info);
			bool past = false;
			for (size_t b = cap; b < sizeof(out); b++)
				past |= out[b] != 0xa5;
			if (lane != 1 || past || r != rq.ret ||
			    (r > 0 && memcmp(out, one, (size_t)r) != 0))
				bad++;
			near += r > 0 && (size_t)r + 64 > cap;
		}
	}
	printf("\n    %u differ or write past the buffer; %u end within 64 octets of it ", bad,
	       near);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(near > 0); /* the sweep reaches the ends of the buffers */
	zw_zoneset_free(zs);
	zw_image_close(img);
}

/*
 * Denials with DNSSEC, which the lane works out ahead, at every client
 * limit from 512 to 1232: its responses must be zw_answer()'s, the lane
 * must take every one, and some of them must be cut short by their
 * proofs (TC), so that its truncation of the denials is what is checked.
 */
static void express_denials_at_every_limit(void)
{
	static const struct {
		const char *name;
		uint16_t type;
	} cases[] = {
		{ "nx.nsec.test.", ZW_T_A },		       /* NXDOMAIN, two NSECs */
		{ "www.nsec.test.", ZW_T_MX },		       /* NODATA */
		{ "host.insecure.nsec.test.", ZW_T_A },	       /* an unsigned child */
		{ "nx.nsec3-noopt.test.", ZW_T_A },	       /* NXDOMAIN, three NSEC3s */
		{ "www.nsec3-noopt.test.", ZW_T_MX },	       /* NODATA */
		{ "host.insecure.nsec3-noopt.test.", ZW_T_A }, /* an unsigned child */
	};
	struct zw_answer_cfg cfg = { .edns_size = 1232 };
	struct gfile g;
	unsigned bad = 0, tc = 0, whole = 0;

	prop_zones(&g, true);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (unsigned udp = 512; udp <= 1232; udp++) {
			static uint8_t q[512], out[MSG_MAX], one[MSG_MAX];
			size_t len = x_query(q, sizeof(q), (uint16_t)udp, cases[i].name,
					     cases[i].type, 2, udp);
			struct zw_answer_req rq = {
				.q = q, .qlen = len, .out = out, .outcap = sizeof(out)
			};
			struct zw_answer_info info;
			int taken = x_lane(&cfg, g.zs, &rq);
			int r = zw_answer(&cfg, g.zs, q, len, one, sizeof(one), 0, &info);
			if (taken != 1 || r != rq.ret ||
			    (r > 0 && memcmp(out, one, (size_t)r) != 0) ||
			    memcmp(&info, &rq.info, sizeof(info)) != 0) {
				if (++bad <= 5)
					printf("\n    %s at %u: taken %d, %d against %d",
					       cases[i].name, udp, taken, rq.ret, r);
				continue;
			}
			tc += info.tc;
			whole += !info.tc;
		}
	}
	printf("\n    %u differ; %u truncated, %u whole ", bad, tc, whole);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(tc > 0 && whole > 0);
	zones_free(&g);
}

int main(void)
{
	static const struct zw_test_case cases[] = {
		ZW_TEST(golden_all_listed),
		ZW_TEST(golden_names_collide),
		ZW_TEST(prefetch_settles_lookups),
		ZW_TEST(collide_both_orders),
		ZW_TEST(long_slot_run),
		ZW_TEST(golden_header),
		ZW_TEST(golden_question),
		ZW_TEST(golden_zones),
		ZW_TEST(golden_nozones),
		ZW_TEST(golden_positive),
		ZW_TEST(golden_negative),
		ZW_TEST(golden_cname),
		ZW_TEST(golden_dname),
		ZW_TEST(golden_wildcard),
		ZW_TEST(golden_delegation),
		ZW_TEST(golden_additional),
		ZW_TEST(golden_any),
		ZW_TEST(golden_edns),
		ZW_TEST(golden_truncation),
		ZW_TEST(golden_chaos),
		ZW_TEST(golden_opcode),
		ZW_TEST(golden_malformed),
		ZW_TEST(golden_known_bugs),
		ZW_TEST(golden_dnssec_nsec),
		ZW_TEST(golden_dnssec_nsec3),
		ZW_TEST(golden_hash),
		ZW_TEST(n3_search_index),
		ZW_TEST(n3_far_record),
		ZW_TEST(nsec_far_record),
		ZW_TEST(property_random_queries),
		ZW_TEST(property_burst_matches_single),
		ZW_TEST(express_takes_common_queries),
		ZW_TEST(express_stays_in_buffer),
		ZW_TEST(express_denials_at_every_limit),
		{ NULL, NULL },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return zw_test_main("dp_answer", cases);
}
