/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * diff_knot: differential test of the answer engine against Knot DNS.
 *
 * The same zones are loaded into the engine (zone images, in-process) and
 * into a running knotd (started by diff_knot.sh); every query of a corpus
 * is sent to Knot, over UDP or TCP, and the same bytes are given to
 * zw_answer(). The two responses are compared as data: rcode (extended
 * included), header flags, the question, each section as a set of RRsets
 * (owners lower-cased, names in data in canonical form, TTLs, classes), the
 * RR counts, and the OPT RR (presence, UDP size, flags, version, extended
 * rcode, options). Order within a section and name compression are not
 * compared.
 *
 * The corpus is generated from the zone images (every owner name, or a
 * sample of the bigger zones, times several types; names that do not exist
 * at several depths, below cuts and below wildcards; random letter case;
 * EDNS variants, some over TCP; for signed zones each query once more with
 * the DO bit, so that signatures and NSEC/NSEC3 proofs are compared as data)
 * plus hand-written queries from a file.
 *
 * A difference fails the query unless the allow list covers it: lines of
 *
 *   PATTERN | CLASSES | REASON
 *
 * where PATTERN is a shell glob over the query's label (case-insensitive;
 * --list prints the labels), or several joined by " & ", where !GLOB means
 * "does not match", and CLASSES a comma-separated list of difference
 * classes (or '*'). Every class of a query's differences must be covered by
 * a line whose pattern matches the query.
 *
 *   diff_knot --knot-conf                  the server settings Knot must use
 *   diff_knot -p PORT --wait SECS -z ...   wait until Knot serves the zones
 *   diff_knot -p PORT [-q QUERIES] [-a ALLOWED] [-v] -z A.zwi ...
 *   diff_knot --list [-q QUERIES] -z ...   print the corpus
 *
 * Exit status: 0 no failures, 1 failures, 2 setup or usage error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "image.h"
#include "lookup.h"
#include "rdata.h"

/* What both servers say about themselves: Knot gets these through
 * --knot-conf, the engine through its configuration. */
#define SRV_IDENTITY "ns.diff.zonewire.test"
#define SRV_VERSION  "zonewire-diff"
#define SRV_NSID     "zw-diff-nsid"
#define SRV_EDNS     1232

#define MAX_ZONES      64
#define MSG_MAX	       65535
#define BIG_ZONE       128 /* nodes above which a zone is sampled */
#define NODES_PER_ZONE 24
#define COL	       64 /* width of one column of the side-by-side output */

/* ---- small helpers ---- */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("diff_knot: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n);

	if (r == NULL && n != 0)
		die("out of memory");
	return r;
}

static char *xstrdup(const char *s)
{
	char *r = strdup(s);

	if (r == NULL)
		die("out of memory");
	return r;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64*: the corpus is the same on every run for a seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_add(struct strv *s, const char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(str);
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strv_has(const struct strv *s, const char *str)
{
	return s->n > 0 && bsearch(&str, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

/* Sorted and without duplicates: sections are compared as sets. */
static void strv_sort_uniq(struct strv *s)
{
	size_t w = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 0; i < s->n; i++) {
		if (w > 0 && strcmp(s->v[w - 1], s->v[i]) == 0) {
			free(s->v[i]);
			continue;
		}
		s->v[w++] = s->v[i];
	}
	s->n = w;
}

static bool strv_eq(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
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

/* Presentation form of a wire name (letter case kept). */
static void name_str(const uint8_t *wire, size_t len, char *out, size_t cap)
{
	ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, wire);
	char *s = r ? ldns_rdf2str(r) : NULL;

	snprintf(out, cap, "%s", s ? s : "?");
	free(s);
	ldns_rdf_deep_free(r);
}

static void type_str(uint16_t t, char *out, size_t cap)
{
	char *s = ldns_rr_type2str(t);

	snprintf(out, cap, "%s", s ? s : "?");
	free(s);
}

static void class_str(uint16_t c, char *out, size_t cap)
{
	char *s = ldns_rr_class2str(c);

	snprintf(out, cap, "%s", s ? s : "?");
	free(s);
}

/* ---- the corpus ---- */

struct qspec {
	uint8_t name[256];
	unsigned name_len;
	uint16_t type, qclass;
	uint16_t id;
	uint8_t opcode;
	bool rd, cd, ad, zbit;
	bool edns, do_bit, nsid, tcp;
	uint16_t bufsize;
	uint8_t version;
	uint16_t eflags;   /* other EDNS flag bits */
	uint8_t opts[512]; /* further EDNS options, wire form */
	unsigned opts_len;
	char optdesc[128];
};

struct query {
	char *label;
	uint8_t *wire;
	size_t len;
	bool tcp;
};

static struct query *corpus;
static size_t ncorpus, capcorpus;
static uint16_t next_id = 0x1000;

static void add_query(const char *label, const uint8_t *wire, size_t len, bool tcp)
{
	if (ncorpus == capcorpus) {
		capcorpus = capcorpus ? 2 * capcorpus : 256;
		corpus = xrealloc(corpus, capcorpus * sizeof(*corpus));
	}
	struct query *q = &corpus[ncorpus++];
	q->label = xstrdup(label);
	q->wire = xrealloc(NULL, len ? len : 1);
	memcpy(q->wire, wire, len);
	q->len = len;
	q->tcp = tcp;
}

static void spec_init(struct qspec *s)
{
	memset(s, 0, sizeof(*s));
	s->qclass = LDNS_RR_CLASS_IN;
	s->edns = true;
	s->bufsize = 1232;
}

static void add_spec(const struct qspec *s)
{
	uint8_t w[1024];
	size_t o = 12;
	char label[1600], nm[1100], ty[32], cl[32], ed[256], fl[64];

	memset(w, 0, 12);
	put16(w, s->id ? s->id : next_id++);
	w[2] = (uint8_t)((s->opcode & 0x0f) << 3 | (s->rd ? 1 : 0));
	w[3] = (uint8_t)((s->zbit ? 0x40 : 0) | (s->ad ? 0x20 : 0) | (s->cd ? 0x10 : 0));
	put16(w + 4, 1);
	memcpy(w + o, s->name, s->name_len);
	o += s->name_len;
	put16(w + o, s->type);
	put16(w + o + 2, s->qclass);
	o += 4;
	if (s->edns) {
		put16(w + 10, 1);
		w[o++] = 0;
		put16(w + o, LDNS_RR_TYPE_OPT);
		put16(w + o + 2, s->bufsize);
		w[o + 4] = 0;
		w[o + 5] = s->version;
		put16(w + o + 6, (s->do_bit ? 0x8000u : 0u) | s->eflags);
		unsigned rdlen = (s->nsid ? 4u : 0u) + s->opts_len;
		put16(w + o + 8, rdlen);
		o += 10;
		if (s->nsid) {
			put16(w + o, LDNS_EDNS_NSID);
			put16(w + o + 2, 0);
			o += 4;
		}
		memcpy(w + o, s->opts, s->opts_len);
		o += s->opts_len;
	}
	name_str(s->name, s->name_len, nm, sizeof(nm));
	type_str(s->type, ty, sizeof(ty));
	class_str(s->qclass, cl, sizeof(cl));
	if (s->edns)
		snprintf(ed, sizeof(ed), "edns=%u%s%s%s", s->bufsize, s->do_bit ? " do" : "",
			 s->nsid ? " nsid" : "", s->optdesc);
	else
		snprintf(ed, sizeof(ed), "noedns");
	if (s->edns && s->version)
		snprintf(ed + strlen(ed), sizeof(ed) - strlen(ed), " ver=%u", s->version);
	if (s->edns && s->eflags)
		snprintf(ed + strlen(ed), sizeof(ed) - strlen(ed), " eflags=%04x", s->eflags);
	snprintf(fl, sizeof(fl), "%s%s%s%s", s->rd ? " rd" : "", s->cd ? " cd" : "",
		 s->ad ? " ad" : "", s->zbit ? " z" : "");
	if (s->opcode)
		snprintf(fl + strlen(fl), sizeof(fl) - strlen(fl), " opcode=%u", s->opcode);
	snprintf(label, sizeof(label), "%s %s %s %s %s%s", s->tcp ? "tcp" : "udp", nm, ty, cl, ed,
		 fl);
	add_query(label, w, o, s->tcp);
}

/* Letter case at random: both servers must treat names case-insensitively
 * and echo the question as it came (RFC 4343). */
static void random_case(uint8_t *name, unsigned len)
{
	for (unsigned i = 0; i < len && name[i] != 0; i += 1u + name[i])
		for (unsigned j = 1; j <= name[i]; j++)
			if (isalpha(name[i + j]) && (rnd() & 1))
				name[i + j] = (uint8_t)toupper(name[i + j]);
}

/* Transport and EDNS at random, most queries as a resolver sends them. */
static void random_variant(struct qspec *s)
{
	unsigned r = rnd() % 100;

	s->edns = true;
	s->bufsize = 1232;
	if (r < 10) {
		s->edns = false;
	} else if (r < 18) {
		s->bufsize = 512;
	} else if (r < 26) {
		s->bufsize = 4096;
	} else if (r < 34) {
		s->do_bit = true;
	} else if (r < 40) {
		s->nsid = true;
	} else if (r < 46) {
		s->tcp = true;
	} else if (r < 50) {
		s->tcp = true;
		s->edns = false;
	}
	s->rd = (rnd() & 1) != 0;
	if (rnd() % 100 < 30)
		random_case(s->name, s->name_len);
}

static bool prepend_label(uint8_t *out, unsigned *out_len, const char *label, const uint8_t *name,
			  unsigned len)
{
	size_t l = strlen(label);

	if (l > 63 || 1 + l + len > 255)
		return false;
	out[0] = (uint8_t)l;
	memcpy(out + 1, label, l);
	memcpy(out + 1 + l, name, len);
	*out_len = (unsigned)(1 + l + len);
	return true;
}

/* A query as a validating resolver sends it: EDNS with DO, most with a
 * 1232-byte buffer, some with 512 (truncation) or over TCP. */
static void dnssec_variant(struct qspec *s)
{
	unsigned r = rnd() % 100;

	s->edns = true;
	s->do_bit = true;
	s->bufsize = 1232;
	if (r < 10)
		s->bufsize = 512;
	else if (r < 20)
		s->tcp = true;
	s->rd = (rnd() & 1) != 0;
	if (rnd() % 100 < 30)
		random_case(s->name, s->name_len);
}

/* Queries for the name, one per type: as any client sends them; for a
 * signed zone also with DO set, so that signatures and denial proofs
 * are compared. */
static void gen_name(const uint8_t *name, unsigned len, const uint16_t *types, unsigned ntypes,
		     bool dnssec)
{
	for (unsigned t = 0; t < ntypes; t++) {
		struct qspec s;
		spec_init(&s);
		memcpy(s.name, name, len);
		s.name_len = len;
		s.type = types[t];
		random_variant(&s);
		add_spec(&s);
		if (!dnssec)
			continue;
		spec_init(&s);
		memcpy(s.name, name, len);
		s.name_len = len;
		s.type = types[t];
		dnssec_variant(&s);
		add_spec(&s);
	}
}

static int cmp_img(const void *a, const void *b)
{
	const struct zw_image *x = *(struct zw_image *const *)a, *y = *(struct zw_image *const *)b;
	unsigned l =
		x->hdr->origin_len < y->hdr->origin_len ? x->hdr->origin_len : y->hdr->origin_len;
	int c = memcmp(x->hdr->origin, y->hdr->origin, l);

	return c != 0 ? c : (int)x->hdr->origin_len - (int)y->hdr->origin_len;
}

static void gen_corpus(struct zw_image **imgs, unsigned nimg)
{
	static const uint16_t base[] = {
		ZW_T_A,	    ZW_T_AAAA, ZW_T_TXT, ZW_T_MX,  ZW_T_NS,
		ZW_T_CNAME, ZW_T_DS,   ZW_T_ANY, ZW_T_SOA, LDNS_RR_TYPE_SRV,
	};
	static const uint16_t nx_types[] = { ZW_T_A,	 ZW_T_TXT, ZW_T_MX,
					     ZW_T_CNAME, ZW_T_DS,  ZW_T_ANY };
	struct zw_image *sorted[MAX_ZONES];

	memcpy(sorted, imgs, nimg * sizeof(*imgs));
	qsort(sorted, nimg, sizeof(*sorted), cmp_img);
	/* the signed zones draw from a random stream of their own, so that
	 * the queries for the other zones stay what they were */
	uint64_t dnssec_rng = 0x5ec0de5ec0de5ec0ull, main_rng = 0;
	for (unsigned z = 0; z < nimg; z++) {
		const struct zw_image *img = sorted[z];
		unsigned n = img->hdr->node_count;
		bool dnssec = (img->hdr->flags & ZW_IMGF_SIGNED) != 0;
		if (dnssec) {
			main_rng = rng_state;
			rng_state = dnssec_rng;
		}
		/* every name of the small zones, a sample of the big ones */
		unsigned step = n > BIG_ZONE ? (n + NODES_PER_ZONE - 1) / NODES_PER_ZONE : 1;
		for (unsigned i = 0; i < n; i += step) {
			const struct zw_img_node *node = &img->nodes[i];
			uint8_t name[256], sub[256], sub2[256];
			unsigned len = zw_image_node_name(img, node, name), sl, sl2;
			uint16_t types[64];
			unsigned nt = 0;
			for (unsigned b = 0; b < sizeof(base) / sizeof(base[0]); b++)
				types[nt++] = base[b];
			for (unsigned r = 0; r < node->rrset_count && nt < 63; r++) {
				uint16_t t = img->rrsets[node->rrset_first + r].type;
				bool have = false;
				for (unsigned k = 0; k < nt; k++)
					have |= types[k] == t;
				if (!have && t != ZW_T_RRSIG)
					types[nt++] = t;
			}
			/* a type no name has */
			types[nt++] = 65281;
			gen_name(name, len, types, nt, dnssec);
			/* below the name: one and two labels that do not exist
			 * (wildcard synthesis, below cuts, below DNAMEs) */
			if (prepend_label(sub, &sl, "nx", name, len)) {
				uint16_t t3[3];
				for (unsigned k = 0; k < 3; k++)
					t3[k] = nx_types[rnd() %
							 (sizeof(nx_types) / sizeof(nx_types[0]))];
				gen_name(sub, sl, t3, 3, dnssec);
				if (prepend_label(sub2, &sl2, "deeper", sub, sl))
					gen_name(sub2, sl2, nx_types, 2, dnssec);
			}
		}
		/* a sibling of the zone: in its parent zone if that is
		 * loaded, else in no zone (REFUSED) */
		uint8_t sib[256];
		unsigned sibl;
		const uint8_t *o = img->hdr->origin;
		if (o[0] != 0 && prepend_label(sib, &sibl, "zz-not-loaded", o + 1 + o[0],
					       img->hdr->origin_len - 1u - o[0])) {
			static const uint16_t a[] = { ZW_T_A, ZW_T_SOA };
			gen_name(sib, sibl, a, 2, dnssec);
		}
		if (dnssec) {
			dnssec_rng = rng_state;
			rng_state = main_rng;
		}
	}
}

/* ---- the query file ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s != '\0') {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		int hi = hexval((unsigned char)s[0]), lo = s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0 || n == cap)
			return SIZE_MAX;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

static void file_error(const char *path, unsigned line, const char *what, const char *tok)
{
	die("%s:%u: %s%s%s", path, line, what, tok ? ": " : "", tok ? tok : "");
}

/* NAME TYPE [CLASS] [+option ...]    or    raw TAG HEX [+tcp] */
static void parse_query_line(const char *path, unsigned ln, char *line)
{
	char *tok[32];
	unsigned nt = 0;

	for (char *t = strtok(line, " \t\r\n"); t && nt < 32; t = strtok(NULL, " \t\r\n"))
		tok[nt++] = t;
	if (nt == 0)
		return;
	if (strcmp(tok[0], "raw") == 0) {
		uint8_t w[1024];
		bool tcp = false;
		char label[256];
		if (nt < 3)
			file_error(path, ln, "raw needs a tag and hex bytes", NULL);
		size_t n = parse_hex(tok[2], w, sizeof(w));
		if (n == SIZE_MAX)
			file_error(path, ln, "bad hex", tok[2]);
		for (unsigned i = 3; i < nt; i++) {
			if (strcmp(tok[i], "+tcp") == 0)
				tcp = true;
			else
				file_error(path, ln, "unknown option", tok[i]);
		}
		/* a fresh ID: a late answer to an earlier query is not taken
		 * for this one's */
		if (n >= 2)
			put16(w, next_id++);
		snprintf(label, sizeof(label), "%s raw %s", tcp ? "tcp" : "udp", tok[1]);
		add_query(label, w, n, tcp);
		return;
	}
	struct qspec s;
	ldns_rdf *dn = NULL;
	spec_init(&s);
	if (ldns_str2rdf_dname(&dn, tok[0]) != LDNS_STATUS_OK)
		file_error(path, ln, "bad name", tok[0]);
	s.name_len = (unsigned)ldns_rdf_size(dn);
	memcpy(s.name, ldns_rdf_data(dn), s.name_len);
	ldns_rdf_deep_free(dn);
	if (nt < 2)
		file_error(path, ln, "missing type", NULL);
	s.type = (uint16_t)ldns_get_rr_type_by_name(tok[1]);
	if (s.type == 0 && strcmp(tok[1], "TYPE0") != 0)
		file_error(path, ln, "unknown type", tok[1]);
	unsigned i = 2;
	if (i < nt && tok[i][0] != '+') {
		s.qclass = (uint16_t)ldns_get_rr_class_by_name(tok[i]);
		if (s.qclass == 0)
			file_error(path, ln, "unknown class", tok[i]);
		i++;
	}
	for (; i < nt; i++) {
		const char *o = tok[i];
		char *end;
		if (strcmp(o, "+tcp") == 0)
			s.tcp = true;
		else if (strcmp(o, "+noedns") == 0)
			s.edns = false;
		else if (strncmp(o, "+bufsize=", 9) == 0)
			s.bufsize = (uint16_t)strtoul(o + 9, NULL, 10);
		else if (strcmp(o, "+do") == 0)
			s.do_bit = true;
		else if (strcmp(o, "+nsid") == 0)
			s.nsid = true;
		else if (strncmp(o, "+ednsver=", 9) == 0)
			s.version = (uint8_t)strtoul(o + 9, NULL, 10);
		else if (strncmp(o, "+ednsflags=", 11) == 0)
			s.eflags = (uint16_t)strtoul(o + 11, NULL, 16);
		else if (strncmp(o, "+opt=", 5) == 0) {
			/* +opt=CODE or +opt=CODE:HEX */
			unsigned long code = strtoul(o + 5, &end, 10);
			uint8_t data[256];
			size_t dl = 0;
			if (*end == ':')
				dl = parse_hex(end + 1, data, sizeof(data));
			else if (*end != '\0')
				file_error(path, ln, "bad option", o);
			if (dl == SIZE_MAX || code > 65535 || s.opts_len + 4 + dl > sizeof(s.opts))
				file_error(path, ln, "bad option", o);
			put16(s.opts + s.opts_len, (unsigned)code);
			put16(s.opts + s.opts_len + 2, (unsigned)dl);
			memcpy(s.opts + s.opts_len + 4, data, dl);
			s.opts_len += 4 + (unsigned)dl;
			snprintf(s.optdesc + strlen(s.optdesc),
				 sizeof(s.optdesc) - strlen(s.optdesc), " opt%lu", code);
		} else if (strcmp(o, "+rd") == 0)
			s.rd = true;
		else if (strcmp(o, "+cd") == 0)
			s.cd = true;
		else if (strcmp(o, "+ad") == 0)
			s.ad = true;
		else if (strcmp(o, "+z") == 0)
			s.zbit = true;
		else if (strncmp(o, "+opcode=", 8) == 0)
			s.opcode = (uint8_t)strtoul(o + 8, NULL, 10);
		else
			file_error(path, ln, "unknown option", o);
	}
	add_spec(&s);
}

static void read_queries(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned ln = 0;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *h = strchr(line, '#');
		if (h != NULL)
			*h = '\0';
		parse_query_line(path, ln, line);
	}
	fclose(f);
}

/* ---- the allow list ---- */

struct allow {
	char *pattern;
	char *classes; /* comma-separated, or "*" */
	char *reason;
	unsigned line;
	unsigned used;
};

static struct allow *allows;
static size_t nallows;

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l > 0 && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	return s;
}

static void read_allowed(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned ln = 0;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *s = trim(line);
		if (*s == '#' || *s == '\0')
			continue;
		char *bar1 = strstr(s, " | "), *bar2 = bar1 ? strstr(bar1 + 3, " | ") : NULL;
		if (bar2 == NULL)
			die("%s:%u: expected PATTERN | CLASSES | REASON", path, ln);
		*bar1 = *bar2 = '\0';
		allows = xrealloc(allows, (nallows + 1) * sizeof(*allows));
		struct allow *a = &allows[nallows++];
		a->pattern = xstrdup(trim(s));
		a->classes = xstrdup(trim(bar1 + 3));
		a->reason = xstrdup(trim(bar2 + 3));
		a->line = ln;
		a->used = 0;
	}
	fclose(f);
}

/* PATTERN is one or more globs joined by " & "; a glob written !GLOB
 * must not match. */
static bool pattern_matches(const char *pattern, const char *label)
{
	char buf[1024];
	bool ok = true;

	snprintf(buf, sizeof(buf), "%s", pattern);
	for (char *p = buf; p != NULL && ok;) {
		char *amp = strstr(p, " & ");
		if (amp != NULL)
			*amp = '\0';
		char *g = trim(p);
		bool neg = g[0] == '!';
		bool m = fnmatch(neg ? g + 1 : g, label, FNM_CASEFOLD) == 0;
		ok = neg ? !m : m;
		p = amp ? amp + 3 : NULL;
	}
	return ok;
}

static bool class_in_list(const char *list, const char *cls)
{
	size_t l = strlen(cls);

	if (strcmp(list, "*") == 0)
		return true;
	for (const char *p = list; *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ')
			e++;
		if ((size_t)(e - p) == l && strncmp(p, cls, l) == 0)
			return true;
		p = e;
	}
	return false;
}

/* ---- talking to Knot ---- */

static struct sockaddr_in knot_addr;
static int udp_fd = -1;

static void knot_setup(const char *host, unsigned port)
{
	memset(&knot_addr, 0, sizeof(knot_addr));
	knot_addr.sin_family = AF_INET;
	knot_addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &knot_addr.sin_addr) != 1)
		die("bad address %s", host);
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (udp_fd < 0 || connect(udp_fd, (struct sockaddr *)&knot_addr, sizeof(knot_addr)) != 0)
		die("UDP socket: %s", strerror(errno));
}

/* Sends a query over UDP; returns the response length, or -1 if nothing
 * came (Knot drops some queries: that is a response of its own kind). */
static int knot_udp(const uint8_t *q, size_t len, uint8_t *out, int timeout_ms, int tries)
{
	for (int t = 0; t < tries; t++) {
		if (send(udp_fd, q, len, 0) < 0 && errno != ECONNREFUSED)
			die("send: %s", strerror(errno));
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long el = (now.tv_sec - start.tv_sec) * 1000 +
				  (now.tv_nsec - start.tv_nsec) / 1000000;
			if (el >= timeout_ms)
				break;
			struct pollfd p = { .fd = udp_fd, .events = POLLIN };
			if (poll(&p, 1, (int)(timeout_ms - el)) <= 0)
				break;
			ssize_t n = recv(udp_fd, out, MSG_MAX, 0);
			if (n < 0)
				continue; /* ECONNREFUSED of an earlier send */
			/* a late answer to an earlier query has another ID */
			if (n >= 2 && len >= 2 && out[0] == q[0] && out[1] == q[1])
				return (int)n;
		}
	}
	return -1;
}

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static int knot_tcp(const uint8_t *q, size_t len, uint8_t *out)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { .tv_sec = 3 };
	uint8_t hdr[2];
	int rc = -1;

	if (fd < 0)
		die("TCP socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&knot_addr, sizeof(knot_addr)) != 0)
		die("TCP connect: %s", strerror(errno));
	uint8_t *m = xrealloc(NULL, len + 2);
	put16(m, (unsigned)len);
	memcpy(m + 2, q, len);
	if (write(fd, m, len + 2) == (ssize_t)(len + 2) && read_full(fd, hdr, 2) &&
	    read_full(fd, out, get16(hdr)))
		rc = get16(hdr);
	free(m);
	close(fd);
	return rc;
}

/* ---- responses as data ---- */

enum { S_AN, S_NS, S_AR, S_COUNT };
static const char *const sec_name[S_COUNT] = { "answer", "authority", "additional" };
static const char *const tc_sec_name[S_COUNT] = { "tc-answer", "tc-authority", "tc-additional" };
/* sections that differ only in the TTLs of RRSIG RRs, or only in RRSIG RRs
 * that one side has and the other has not */
static const char *const rrsig_ttl_sec_name[S_COUNT] = { "answer-rrsig-ttl", "authority-rrsig-ttl",
							 "additional-rrsig-ttl" };
static const char *const rrsig_sec_name[S_COUNT] = { "answer-rrsig", "authority-rrsig",
						     "additional-rrsig" };

struct view {
	bool present; /* a response was sent */
	bool punt;    /* the engine passed it to the control plane */
	bool ok;      /* it parses */
	char err[96];
	uint16_t id;
	uint8_t opcode;
	bool qr, aa, tc, rd, ra, z, ad, cd;
	unsigned rcode; /* with the OPT's extended bits */
	unsigned qd, count[S_COUNT];
	uint8_t qname[256];
	unsigned qname_len;
	uint16_t qtype, qclass;
	struct strv sec[S_COUNT];
	bool opt;
	uint16_t udp;
	uint8_t ext_rcode, version;
	uint16_t eflags;
	struct strv options;
	size_t len;
};

static void view_free(struct view *v)
{
	for (int s = 0; s < S_COUNT; s++)
		strv_free(&v->sec[s]);
	strv_free(&v->options);
}

static bool skip_wire_name(const uint8_t *m, size_t len, size_t *pos)
{
	for (unsigned guard = 0; guard < 128; guard++) {
		if (*pos >= len)
			return false;
		uint8_t l = m[*pos];
		if ((l & 0xc0) == 0xc0) {
			*pos += 2;
			return *pos <= len;
		}
		if (l & 0xc0)
			return false;
		*pos += 1u + l;
		if (l == 0)
			return true;
	}
	return false;
}

static void rr_string(ldns_rr *rr, char *out, size_t cap)
{
	ldns_rr2canonical(rr); /* owner and names in data lower-cased (RFC 4034 6.2) */
	char *s = ldns_rr2str(rr);
	size_t l = s ? strlen(s) : 0;

	while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == ' '))
		s[--l] = '\0';
	/* ldns separates the fields with tabs; spaces read better side by side */
	for (size_t i = 0; i < l; i++)
		if (s[i] == '\t')
			s[i] = ' ';
	snprintf(out, cap, "%s", s ? s : "?");
	free(s);
}

static void parse_view(struct view *v, const uint8_t *m, size_t len)
{
	size_t pos = 12;

	v->present = true;
	v->len = len;
	if (len < 12) {
		snprintf(v->err, sizeof(v->err), "only %zu bytes", len);
		return;
	}
	v->id = get16(m);
	v->qr = m[2] & 0x80;
	v->opcode = (m[2] >> 3) & 0x0f;
	v->aa = m[2] & 0x04;
	v->tc = m[2] & 0x02;
	v->rd = m[2] & 0x01;
	v->ra = m[3] & 0x80;
	v->z = m[3] & 0x40;
	v->ad = m[3] & 0x20;
	v->cd = m[3] & 0x10;
	v->rcode = m[3] & 0x0f;
	v->qd = get16(m + 4);
	v->count[S_AN] = get16(m + 6);
	v->count[S_NS] = get16(m + 8);
	v->count[S_AR] = get16(m + 10);
	for (unsigned i = 0; i < v->qd; i++) {
		size_t start = pos;
		if (!skip_wire_name(m, len, &pos) || pos + 4 > len) {
			snprintf(v->err, sizeof(v->err), "bad question");
			return;
		}
		if (i == 0) {
			ldns_rdf *dn = NULL;
			size_t p2 = start;
			if (ldns_wire2dname(&dn, m, len, &p2) != LDNS_STATUS_OK) {
				snprintf(v->err, sizeof(v->err), "bad question name");
				return;
			}
			v->qname_len = (unsigned)ldns_rdf_size(dn);
			memcpy(v->qname, ldns_rdf_data(dn), v->qname_len);
			ldns_rdf_deep_free(dn);
			v->qtype = get16(m + pos);
			v->qclass = get16(m + pos + 2);
		}
		pos += 4;
	}
	for (int s = 0; s < S_COUNT; s++) {
		for (unsigned i = 0; i < v->count[s]; i++) {
			size_t rstart = pos, p = pos;
			if (!skip_wire_name(m, len, &p) || p + 10 > len ||
			    p + 10 + get16(m + p + 8) > len) {
				snprintf(v->err, sizeof(v->err), "bad RR %u in the %s section", i,
					 sec_name[s]);
				return;
			}
			uint16_t type = get16(m + p), rdlen = get16(m + p + 8);
			if (type == LDNS_RR_TYPE_OPT) {
				if (v->opt || s != S_AR || m[rstart] != 0) {
					snprintf(v->err, sizeof(v->err), "misplaced or second OPT");
					return;
				}
				v->opt = true;
				v->udp = get16(m + p + 2);
				v->ext_rcode = m[p + 4];
				v->version = m[p + 5];
				v->eflags = get16(m + p + 6);
				v->rcode |= (unsigned)v->ext_rcode << 4;
				size_t o = p + 10, end = o + rdlen;
				while (o < end) {
					char buf[700];
					if (end - o < 4 || get16(m + o + 2) > end - o - 4) {
						snprintf(v->err, sizeof(v->err), "bad OPT options");
						return;
					}
					unsigned code = get16(m + o), ol = get16(m + o + 2);
					int w = snprintf(buf, sizeof(buf), "option %u:", code);
					for (unsigned k = 0; k < ol && w < (int)sizeof(buf) - 3;
					     k++)
						w += snprintf(buf + w, sizeof(buf) - (size_t)w,
							      "%02x", m[o + 4 + k]);
					strv_add(&v->options, buf);
					o += 4 + ol;
				}
				v->count[s]--;
				i--;
				pos = p + 10 + rdlen;
				/* the OPT does not count as additional data */
				continue;
			}
			ldns_rr *rr = NULL;
			size_t lp = rstart;
			if (ldns_wire2rr(&rr, m, len, &lp,
					 s == S_AN   ? LDNS_SECTION_ANSWER
					 : s == S_NS ? LDNS_SECTION_AUTHORITY
						     : LDNS_SECTION_ADDITIONAL) != LDNS_STATUS_OK) {
				snprintf(v->err, sizeof(v->err),
					 "RR %u of the %s section: ldns refuses it", i,
					 sec_name[s]);
				return;
			}
			char str[70000];
			rr_string(rr, str, sizeof(str));
			ldns_rr_free(rr);
			strv_add(&v->sec[s], str);
			pos = p + 10 + rdlen;
		}
	}
	if (pos != len) {
		snprintf(v->err, sizeof(v->err), "%zu bytes after the last RR", len - pos);
		return;
	}
	for (int s = 0; s < S_COUNT; s++)
		strv_sort_uniq(&v->sec[s]);
	v->ok = true;
}

/* ---- comparison ---- */

struct diffs {
	const char *cls[32];
	unsigned n;
};

static void diff_add(struct diffs *d, const char *cls)
{
	if (d->n < 32)
		d->cls[d->n++] = cls;
}

#define EDE_PREFIX "option 15:"

static void split_ede(const struct strv *all, struct strv *other, struct strv *ede)
{
	for (size_t i = 0; i < all->n; i++)
		strv_add(strncmp(all->v[i], EDE_PREFIX, strlen(EDE_PREFIX)) == 0 ? ede : other,
			 all->v[i]);
}

/* The type field of an RR as rr_string() writes it: "OWNER TTL CLASS
 * TYPE ...". Points at the TTL field in *ttl, its length in *ttl_len. */
static bool rr_is_rrsig(const char *rr, const char **ttl, size_t *ttl_len)
{
	const char *f[4];
	size_t len[4];
	const char *p = rr;

	for (int i = 0; i < 4; i++) {
		while (*p == ' ')
			p++;
		f[i] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		len[i] = (size_t)(p - f[i]);
	}
	*ttl = f[1];
	*ttl_len = len[1];
	return len[3] == 5 && strncmp(f[3], "RRSIG", 5) == 0;
}

/* A section as a set again, with the TTLs of RRSIG RRs blanked out
 * (drop false) or without RRSIG RRs at all (drop true). */
static void strip_rrsig(const struct strv *in, bool drop, struct strv *out)
{
	char buf[70000];

	for (size_t i = 0; i < in->n; i++) {
		const char *ttl;
		size_t tl;
		if (!rr_is_rrsig(in->v[i], &ttl, &tl)) {
			strv_add(out, in->v[i]);
		} else if (!drop) {
			size_t head = (size_t)(ttl - in->v[i]);
			snprintf(buf, sizeof(buf), "%.*s*%s", (int)head, in->v[i], ttl + tl);
			strv_add(out, buf);
		}
	}
	strv_sort_uniq(out);
}

/* The class of a difference in section s: sections that are the same but
 * for RRSIG TTLs, or but for RRSIG RRs, get classes of their own, so that
 * the allow list can name exactly those. */
static const char *section_diff(const struct view *k, const struct view *z, int s)
{
	struct strv a = { 0 }, b = { 0 };
	const char *cls = sec_name[s];

	strip_rrsig(&k->sec[s], false, &a);
	strip_rrsig(&z->sec[s], false, &b);
	if (strv_eq(&a, &b)) {
		cls = rrsig_ttl_sec_name[s];
	} else {
		strv_free(&a);
		strv_free(&b);
		strip_rrsig(&k->sec[s], true, &a);
		strip_rrsig(&z->sec[s], true, &b);
		if (strv_eq(&a, &b))
			cls = rrsig_sec_name[s];
	}
	strv_free(&a);
	strv_free(&b);
	return cls;
}

static void compare(const struct view *k, const struct view *z, struct diffs *d)
{
	if (k->present != z->present) {
		diff_add(d, z->punt ? "punt" : "response");
		return;
	}
	if (!k->present)
		return;
	if (k->ok != z->ok) {
		diff_add(d, "malformed");
		return;
	}
	if (!k->ok)
		return;
	if (k->id != z->id)
		diff_add(d, "id");
	if (k->opcode != z->opcode)
		diff_add(d, "opcode");
	if (k->rcode != z->rcode)
		diff_add(d, "rcode");
	if (k->qr != z->qr)
		diff_add(d, "qr");
	if (k->aa != z->aa)
		diff_add(d, "aa");
	if (k->tc != z->tc)
		diff_add(d, "tc");
	if (k->rd != z->rd)
		diff_add(d, "rd");
	if (k->ra != z->ra)
		diff_add(d, "ra");
	if (k->z != z->z)
		diff_add(d, "z");
	if (k->ad != z->ad)
		diff_add(d, "ad");
	if (k->cd != z->cd)
		diff_add(d, "cd");
	if (k->qd != z->qd || k->qname_len != z->qname_len ||
	    memcmp(k->qname, z->qname, k->qname_len) != 0 || k->qtype != z->qtype ||
	    k->qclass != z->qclass)
		diff_add(d, "question");
	/* what a truncated response holds besides TC is the server's
	 * business (RFC 2181 9): such differences have classes of their own */
	bool both_tc = k->tc && z->tc;
	for (int s = 0; s < S_COUNT; s++) {
		if (!strv_eq(&k->sec[s], &z->sec[s]))
			diff_add(d, both_tc ? tc_sec_name[s] : section_diff(k, z, s));
		else if (k->count[s] != z->count[s])
			diff_add(d, both_tc ? "tc-count" : "count");
	}
	if (k->opt != z->opt) {
		diff_add(d, "opt");
		return;
	}
	if (!k->opt)
		return;
	if (k->udp != z->udp)
		diff_add(d, "opt-udp");
	if (k->version != z->version)
		diff_add(d, "opt-version");
	if ((k->eflags & 0x8000) != (z->eflags & 0x8000))
		diff_add(d, "opt-do");
	if ((k->eflags & 0x7fff) != (z->eflags & 0x7fff))
		diff_add(d, "opt-flags");
	/* Extended DNS Errors (RFC 8914) apart from the other options */
	struct strv ko = { 0 }, zo = { 0 }, ke = { 0 }, ze = { 0 };
	split_ede(&k->options, &ko, &ke);
	split_ede(&z->options, &zo, &ze);
	if (!strv_eq(&ko, &zo))
		diff_add(d, "opt-options");
	if (!strv_eq(&ke, &ze))
		diff_add(d, "opt-ede");
	strv_free(&ko);
	strv_free(&zo);
	strv_free(&ke);
	strv_free(&ze);
}

/* ---- output ---- */

static const char *rcode_name(unsigned rc, char *buf, size_t cap)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP",	"REFUSED", "YXDOMAIN", "YXRRSET",
					     "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	if (rc == 16)
		return "BADVERS";
	snprintf(buf, cap, "RCODE%u", rc);
	return buf;
}

static void view_lines(const struct view *v, const struct view *other, struct strv *out)
{
	char line[70100], b[32];

	if (!v->present) {
		strv_add(out, v->punt ? ";; passed to the control plane" : ";; no response");
		return;
	}
	if (!v->ok) {
		snprintf(line, sizeof(line), ";; malformed (%zu bytes): %s", v->len, v->err);
		strv_add(out, line);
		return;
	}
	snprintf(line, sizeof(line), ";; %s id %u%s, %zu bytes", rcode_name(v->rcode, b, sizeof(b)),
		 v->id, v->opcode ? " opcode!=QUERY" : "", v->len);
	strv_add(out, line);
	snprintf(line, sizeof(line), ";; flags:%s%s%s%s%s%s%s%s", v->qr ? " qr" : "",
		 v->aa ? " aa" : "", v->tc ? " tc" : "", v->rd ? " rd" : "", v->ra ? " ra" : "",
		 v->z ? " z" : "", v->ad ? " ad" : "", v->cd ? " cd" : "");
	strv_add(out, line);
	if (v->qd > 0) {
		char nm[1100], ty[32], cl[32];
		name_str(v->qname, v->qname_len, nm, sizeof(nm));
		type_str(v->qtype, ty, sizeof(ty));
		class_str(v->qclass, cl, sizeof(cl));
		snprintf(line, sizeof(line), ";; question %s %s %s%s", nm, cl, ty,
			 v->qd > 1 ? " (and more)" : "");
	} else {
		snprintf(line, sizeof(line), ";; no question");
	}
	strv_add(out, line);
	for (int s = 0; s < S_COUNT; s++) {
		snprintf(line, sizeof(line), ";; %s: %u", sec_name[s], v->count[s]);
		strv_add(out, line);
		for (size_t i = 0; i < v->sec[s].n; i++) {
			bool mark = other->ok && !strv_has(&other->sec[s], v->sec[s].v[i]);
			snprintf(line, sizeof(line), "%s%s", mark ? "* " : "", v->sec[s].v[i]);
			strv_add(out, line);
		}
	}
	if (v->opt) {
		snprintf(line, sizeof(line), ";; OPT udp %u, version %u, flags %04x, ext-rcode %u",
			 v->udp, v->version, v->eflags, v->ext_rcode);
		strv_add(out, line);
		for (size_t i = 0; i < v->options.n; i++) {
			snprintf(line, sizeof(line), ";;   %s", v->options.v[i]);
			strv_add(out, line);
		}
	} else {
		strv_add(out, ";; no OPT");
	}
}

/* Cuts a line into pieces of at most COL characters. */
static void wrap(const struct strv *in, struct strv *out)
{
	char piece[COL + 1];

	for (size_t i = 0; i < in->n; i++) {
		const char *s = in->v[i];
		size_t l = strlen(s);
		if (l == 0)
			strv_add(out, "");
		for (size_t o = 0; o < l; o += COL - 2) {
			size_t n = l - o < COL - 2 ? l - o : COL - 2;
			snprintf(piece, sizeof(piece), "%s%.*s", o ? "  " : "", (int)n, s + o);
			strv_add(out, piece);
		}
	}
}

static void side_by_side(const struct view *k, const struct view *z)
{
	struct strv kl = { 0 }, zl = { 0 }, kw = { 0 }, zw = { 0 };

	view_lines(k, z, &kl);
	view_lines(z, k, &zl);
	wrap(&kl, &kw);
	wrap(&zl, &zw);
	printf("    %-*s | %s\n", COL, "Knot DNS", "zonewire");
	for (size_t i = 0; i < kw.n || i < zw.n; i++)
		printf("    %-*s | %s\n", COL, i < kw.n ? kw.v[i] : "", i < zw.n ? zw.v[i] : "");
	strv_free(&kl);
	strv_free(&zl);
	strv_free(&kw);
	strv_free(&zw);
}

/* ---- main ---- */

static void engine_cfg(struct zw_answer_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->edns_size = SRV_EDNS;
	cfg->nsid_len = (uint8_t)strlen(SRV_NSID);
	memcpy(cfg->nsid, SRV_NSID, cfg->nsid_len);
	/* Knot answers id.server and hostname.bind with its identity, and
	 * version.bind (and version.server) with its version */
	cfg->id_server = SRV_IDENTITY;
	cfg->hostname_bind = SRV_IDENTITY;
	cfg->version_bind = SRV_VERSION;
}

/* Polls Knot until it answers the SOA of every zone with the serial of the
 * image, or the time is up. */
static int wait_knot(struct zw_image **imgs, unsigned nimg, unsigned secs)
{
	static uint8_t out[MSG_MAX];
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned z = 0; z < nimg;) {
		struct qspec s;
		spec_init(&s);
		s.name_len = imgs[z]->hdr->origin_len;
		memcpy(s.name, imgs[z]->hdr->origin, s.name_len);
		s.type = ZW_T_SOA;
		s.id = (uint16_t)(0xf000 + z);
		size_t before = ncorpus;
		add_spec(&s);
		struct query *q = &corpus[before];
		int n = knot_udp(q->wire, q->len, out, 200, 1);
		struct view v = { 0 };
		bool good = false;
		if (n > 0) {
			parse_view(&v, out, (size_t)n);
			/* the serial shows that Knot has this version of the zone */
			char serial[16];
			snprintf(serial, sizeof(serial), " %u ", imgs[z]->hdr->serial);
			good = v.ok && v.rcode == 0 && v.aa && v.sec[S_AN].n == 1 &&
			       strstr(v.sec[S_AN].v[0], serial) != NULL;
		}
		view_free(&v);
		free(q->label);
		free(q->wire);
		ncorpus = before;
		if (good) {
			z++;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((unsigned)(now.tv_sec - start.tv_sec) >= secs) {
			char nm[1100];
			name_str(imgs[z]->hdr->origin, imgs[z]->hdr->origin_len, nm, sizeof(nm));
			fprintf(stderr,
				"diff_knot: Knot does not serve %s (serial %u) after %u s\n", nm,
				imgs[z]->hdr->serial, secs);
			return 2;
		}
		usleep(100000);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: diff_knot --knot-conf\n"
		"       diff_knot [-s ADDR] -p PORT --wait SECS -z ZONE.zwi ...\n"
		"       diff_knot [-s ADDR] -p PORT [-q QUERIES] [-a ALLOWED] [-v] [--only GLOB]\n"
		"                 [--seed N] -z ZONE.zwi ...\n"
		"       diff_knot --list [-q QUERIES] -z ZONE.zwi ...\n");
}

int main(int argc, char **argv)
{
	enum { O_KNOTCONF = 256, O_WAIT, O_LIST, O_ONLY, O_SEED };
	static const struct option longopts[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "server", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "queries", required_argument, NULL, 'q' },
		{ "allowed", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "knot-conf", no_argument, NULL, O_KNOTCONF },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "list", no_argument, NULL, O_LIST },
		{ "only", required_argument, NULL, O_ONLY },
		{ "seed", required_argument, NULL, O_SEED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct zw_image *imgs[MAX_ZONES];
	static uint8_t kbuf[MSG_MAX + 1], zbuf[MSG_MAX + 1];
	const char *host = "127.0.0.1", *qfile = NULL, *afile = NULL, *only = NULL;
	unsigned port = 0, nimg = 0, wait_secs = 0;
	bool verbose = false, list = false;
	int c;

	while ((c = getopt_long(argc, argv, "z:s:p:q:a:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'z': {
			const char *why = NULL;
			if (nimg == MAX_ZONES)
				die("too many zones");
			if (zw_image_open(optarg, &imgs[nimg], &why) != 0)
				die("%s: cannot load (%s)", optarg, why ? why : "?");
			nimg++;
			break;
		}
		case 's': host = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'q': qfile = optarg; break;
		case 'a': afile = optarg; break;
		case 'v': verbose = true; break;
		case O_KNOTCONF:
			/* the server section items Knot needs to answer as the engine */
			printf("    identity: \"%s\"\n    version: \"%s\"\n    nsid: \"%s\"\n"
			       "    udp-max-payload: %u\n",
			       SRV_IDENTITY, SRV_VERSION, SRV_NSID, SRV_EDNS);
			return 0;
		case O_WAIT: wait_secs = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_LIST: list = true; break;
		case O_ONLY: only = optarg; break;
		case O_SEED: rng_state ^= strtoull(optarg, NULL, 0) * 0x9e3779b97f4a7c15ull; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (nimg == 0 || optind != argc || (!list && port == 0)) {
		usage(stderr);
		return 2;
	}
	struct zw_zoneset *zs = zw_zoneset_create(imgs, nimg);
	if (zs == NULL)
		die("cannot build the zone set (the same zone twice?)");
	if (!list)
		knot_setup(host, port);
	if (wait_secs > 0)
		return wait_knot(imgs, nimg, wait_secs);

	gen_corpus(imgs, nimg);
	if (qfile != NULL)
		read_queries(qfile);
	if (afile != NULL)
		read_allowed(afile);
	if (list) {
		for (size_t i = 0; i < ncorpus; i++) {
			printf("%s\t", corpus[i].label);
			for (size_t k = 0; k < corpus[i].len; k++)
				printf("%02x", corpus[i].wire[k]);
			putchar('\n');
		}
		return 0;
	}

	struct zw_answer_cfg cfg;
	engine_cfg(&cfg);
	unsigned passed = 0, failed = 0, allowed = 0, tcp_n = 0, run = 0;
	struct {
		const char *cls;
		unsigned fail, allow;
		const char *example;
	} classes[64];
	unsigned nclasses = 0;

	for (size_t i = 0; i < ncorpus; i++) {
		const struct query *q = &corpus[i];
		if (only != NULL && fnmatch(only, q->label, FNM_CASEFOLD) != 0)
			continue;
		run++;
		tcp_n += q->tcp;
		/* queries Knot is expected to drop are answered quickly by
		 * the engine; a timeout is then a response of its own kind */
		int kn = q->tcp ? knot_tcp(q->wire, q->len, kbuf)
				: knot_udp(q->wire, q->len, kbuf, 400, 2);
		int zn = zw_answer(&cfg, zs, q->wire, q->len, zbuf, MSG_MAX,
				   q->tcp ? ZW_ANS_TCP : 0, NULL);
		/* before calling it a drop, give a busy machine more time */
		if (kn < 0 && zn > 0 && !q->tcp)
			kn = knot_udp(q->wire, q->len, kbuf, 1000, 1);
		struct view kv = { 0 }, zv = { 0 };
		if (kn >= 0)
			parse_view(&kv, kbuf, (size_t)kn);
		if (zn > 0)
			parse_view(&zv, zbuf, (size_t)zn);
		zv.punt = zn == ZW_ANSWER_PUNT;
		struct diffs d = { 0 };
		compare(&kv, &zv, &d);

		/* which differences the allow list covers */
		const char *uncovered[32];
		unsigned nunc = 0;
		for (unsigned k = 0; k < d.n; k++) {
			bool cov = false;
			for (size_t a = 0; a < nallows; a++) {
				if (pattern_matches(allows[a].pattern, q->label) &&
				    class_in_list(allows[a].classes, d.cls[k])) {
					cov = true;
					allows[a].used++;
				}
			}
			if (!cov)
				uncovered[nunc++] = d.cls[k];
			unsigned ci;
			for (ci = 0; ci < nclasses; ci++)
				if (strcmp(classes[ci].cls, d.cls[k]) == 0)
					break;
			if (ci == nclasses && nclasses < 64) {
				classes[ci].cls = d.cls[k];
				classes[ci].fail = classes[ci].allow = 0;
				classes[ci].example = NULL;
				nclasses++;
			}
			if (ci < nclasses) {
				if (cov) {
					classes[ci].allow++;
				} else {
					classes[ci].fail++;
					if (classes[ci].example == NULL)
						classes[ci].example = q->label;
				}
			}
		}
		if (nunc > 0) {
			failed++;
			printf("FAIL %s [", q->label);
			for (unsigned k = 0; k < nunc; k++)
				printf("%s%s", k ? "," : "", uncovered[k]);
			printf("]\n");
			side_by_side(&kv, &zv);
		} else {
			passed++;
			if (d.n > 0)
				allowed++;
			if (verbose) {
				printf("%s %s", d.n ? "ALLOWED" : "ok", q->label);
				if (d.n > 0) {
					printf(" [");
					for (unsigned k = 0; k < d.n; k++)
						printf("%s%s", k ? "," : "", d.cls[k]);
					printf("]\n");
					side_by_side(&kv, &zv);
				} else {
					putchar('\n');
				}
			}
		}
		view_free(&kv);
		view_free(&zv);
	}

	printf("\n%u queries (%u over TCP, %zu zones", run, tcp_n, (size_t)nimg);
	printf("); %u of the passes are allowed differences\n", allowed);
	for (unsigned ci = 0; ci < nclasses; ci++)
		printf("  class %-12s failed %4u, allowed %4u%s%s\n", classes[ci].cls,
		       classes[ci].fail, classes[ci].allow, classes[ci].example ? "  e.g. " : "",
		       classes[ci].example ? classes[ci].example : "");
	for (size_t a = 0; a < nallows; a++)
		if (allows[a].used == 0 && only == NULL)
			printf("note: allow-list line %u matched nothing: %s\n", allows[a].line,
			       allows[a].pattern);
	printf("%u passed, %u failed\n", passed, failed);

	for (size_t i = 0; i < ncorpus; i++) {
		free(corpus[i].label);
		free(corpus[i].wire);
	}
	free(corpus);
	zw_zoneset_free(zs);
	for (unsigned i = 0; i < nimg; i++)
		zw_image_close(imgs[i]);
	close(udp_fd);
	return failed > 0 ? 1 : 0;
}
