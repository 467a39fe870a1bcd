/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Master-file reader (RFC 1035 section 5, RFC 3597, BIND's $GENERATE).
 *
 * The file-level work is done here: an entry lexer that handles
 * parentheses, comments, quoted strings and escapes and tracks line
 * numbers; the directives; owner, TTL, class and type. The rdata of the
 * most common types (A, AAAA, NS, CNAME, PTR, MX, TXT, SOA, DS) is
 * converted by a fast path that produces the same wire form as ldns and
 * declines (falls back to ldns) on anything unusual; every other type is
 * converted by ldns_rr_new_frm_str(). RFC 3597 generic rdata (\# len hex)
 * is decoded here and, for types ldns knows, checked against the type.
 *
 * IPSECKEY and WKS are parsed here too (see own_ipseckey()), and CERT
 * records of type 0 are refused before ldns sees them.
 *
 * State that follows the text (origin, $TTL, last explicit TTL and class,
 * previous owner) lives in struct pstate. An included file starts with a
 * copy of the includer's state (its origin replaced by the $INCLUDE's
 * origin argument, if any), so the includer's state is unchanged when the
 * $INCLUDE returns.
 *
 * Behaviour the interface leaves open:
 *  - opts->origin NULL means the root; an origin without a trailing dot is
 *    taken as absolute; an unparsable one makes the call return -EINVAL.
 *  - A TTL is a number of seconds or number+unit groups (1h30m); as in
 *    BIND, a bare number after a unit ("1h30") is an error.
 *  - An omitted TTL is the $TTL, else the last explicit TTL, else
 *    opts->default_ttl with one ZW_D_NO_TTL warning per call.
 *  - The return value, when several things went wrong: the callback's
 *    value, else -ENOMEM, else the first failed $INCLUDE (ZW_EINCLUDE when
 *    refused, disabled, too deep or a loop; the negative errno when the
 *    file cannot be read), else ZW_ESYNTAX.
 *  - $INCLUDE nesting is capped at MAX_INCLUDE_DEPTH whatever
 *    max_include_depth says; a file that is already being read is refused
 *    (loop) whatever the depth.
 *  - Every problem on a $GENERATE line, including a bad generated record,
 *    is reported as ZW_D_GENERATE, once, and ends that $GENERATE.
 *  - As in BIND, $GENERATE replaces '$' in the owner and the rdata only,
 *    and its rdata is one field (quoted when it has blanks) that is read
 *    as rdata text after the expansion; rdata of several fields without
 *    quotes is refused, as BIND refuses it.
 *  - Rdata text handed to ldns is limited to MAX_LDNS_TEXT characters, as
 *    ldns truncates longer text silently; \# rdata and the TXT records the
 *    fast path takes are not affected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "zone_parse.h"
#include "zw_err.h"

#define DEFAULT_INCLUDE_DEPTH 8
#define MAX_INCLUDE_DEPTH     64 /* hard cap: inclusion is recursive */
#define DEFAULT_MAX_GENERATE  65536
#define DEFAULT_MAX_ERRORS    100
#define MAX_ENTRY_TOKENS      70000 /* more than any valid rdata can need */
#define MAX_NAME	      255
#define MAX_RDATA	      65535
#define MAX_LDNS_TEXT	      65000 /* ldns truncates rdata text at 64 KiB */
#define MAX_GEN_TEXT	      (256 * 1024)
#define MAX_GEN_WIDTH	      255
#define MSG_MAX		      512

/* Fast path result: handled, or leave the rdata to ldns. */
#define FAST_OK	     0
#define FAST_DECLINE 1
#define FAST_ERROR   (-1)

struct tok {
	const char *s; /* raw text; for a quoted token, the text inside */
	size_t len;
	bool quoted; /* the whole token was one quoted string */
};

struct pstate {
	uint8_t origin[MAX_NAME];
	uint8_t prev[MAX_NAME];
	size_t origin_len;
	size_t prev_len; /* 0: no previous owner */
	uint32_t dollar_ttl;
	uint32_t last_ttl;
	bool has_dollar_ttl;
	bool has_last_ttl;
	uint16_t last_class;
};

struct src {
	const char *name;
	const char *cur;
	const char *end;
	unsigned line;
};

struct fileid {
	dev_t dev;
	ino_t ino;
};

struct parser {
	const struct zw_parse_opts *opts;
	unsigned max_depth;
	unsigned max_gen;
	unsigned max_errors;
	unsigned nerrors;
	bool stop;
	bool had_syntax;
	bool warned_ttl;
	int cb_rc;    /* non-zero value returned by on_rr */
	int fatal_rc; /* out of memory */
	int inc_rc;   /* first failed $INCLUDE */

	/* current entry */
	struct tok *toks;
	size_t ntok;
	size_t tokcap;
	unsigned line;
	bool leading_ws;
	const char *lex_err;

	/* text handed to ldns */
	char *sbuf;
	size_t scap;

	/* $GENERATE expansion */
	char *gbuf;
	size_t gcap;
	size_t glen;
	struct tok *gtoks;
	size_t gtokcap;

	/* origin as an ldns rdf, rebuilt when the origin changes */
	ldns_rdf *lorigin;
	uint8_t lorigin_wire[MAX_NAME];
	size_t lorigin_len;

	/* files being read, for $INCLUDE loop detection */
	struct fileid ids[MAX_INCLUDE_DEPTH + 1];
	unsigned nids;

	uint8_t owner[MAX_NAME + 1];
	size_t owner_len;
	size_t rdlen;
	uint8_t rdata[MAX_RDATA + 1];
	char msg[MSG_MAX];
};

static int parse_text(struct parser *p, struct pstate *st, const char *name, const char *text,
		      size_t len, unsigned depth);

/* ------------------------------------------------------------------ */
/* diagnostics                                                         */

__attribute__((format(printf, 6, 7))) static void report(struct parser *p, enum zw_diag_code code,
							 enum zw_severity sev, const char *file,
							 unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (sev == ZW_SEV_ERROR) {
		p->nerrors++;
		if (code == ZW_D_SYNTAX || code == ZW_D_GENERATE)
			p->had_syntax = true;
		if (p->nerrors >= p->max_errors)
			p->stop = true;
	}
	if (p->opts->on_diag == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	struct zw_diag d = {
		.code = code,
		.severity = sev,
		.file = file,
		.line = line,
		.msg = p->msg,
	};
	p->opts->on_diag(p->opts->ctx, &d);
}

static void set_fatal(struct parser *p, int rc)
{
	if (p->fatal_rc == 0)
		p->fatal_rc = rc;
	p->stop = true;
}

static void set_inc_fail(struct parser *p, int rc)
{
	if (p->inc_rc == 0)
		p->inc_rc = rc;
}

/* Printable, bounded copy of a token for messages. */
static const char *excerpt(char *buf, size_t sz, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 5 >= sz) {
			if (sz >= 4) {
				o = o > sz - 4 ? sz - 4 : o;
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(buf + o, sz - o, "\\%03u", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* Printable excerpt of rdata tokens, quoted ones re-quoted. */
static const char *rdata_excerpt(char *buf, size_t sz, const struct tok *r, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n && o + 8 < sz; k++) {
		if (k > 0)
			buf[o++] = ' ';
		if (r[k].quoted)
			buf[o++] = '"';
		excerpt(buf + o, sz - o - 1, r[k].s, r[k].len);
		o += strlen(buf + o);
		if (r[k].quoted && o + 1 < sz)
			buf[o++] = '"';
		buf[o] = '\0';
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* small scanners                                                      */

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unsigned decimal, digits only, no overflow, value <= max. */
static bool parse_uint(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static inline char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Compares n characters of s with an upper-case literal, ignoring case. */
static inline bool ieq(const char *s, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_upper(s[i]) != lit[i])
			return false;
	return true;
}

static bool tok_ieq(const struct tok *t, const char *lit)
{
	size_t n = strlen(lit);

	return !t->quoted && t->len == n && ieq(t->s, lit, n);
}

/*
 * A TTL: a plain number of seconds, or number+unit groups (s, m, h, d, w,
 * any case) such as 1h30m. Returns NULL or a description of the problem.
 */
static const char *parse_ttl(const char *s, size_t len, uint32_t *out)
{
	uint64_t total = 0;
	bool units = false;
	size_t i = 0;

	if (len == 0)
		return "empty TTL";
	if (len > 64)
		return "TTL too long";
	while (i < len) {
		uint64_t v = 0;
		size_t nd = 0;
		uint64_t mult;

		while (i < len && is_digit(s[i])) {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (v > UINT32_MAX)
				return "TTL out of range";
			i++;
			nd++;
		}
		if (nd == 0)
			return "TTL must start with a digit";
		if (i == len) {
			if (units)
				return "number without unit after a unit";
			total = v;
			break;
		}
		switch (s[i]) {
		case 's':
		case 'S': mult = 1; break;
		case 'm':
		case 'M': mult = 60; break;
		case 'h':
		case 'H': mult = 3600; break;
		case 'd':
		case 'D': mult = 86400; break;
		case 'w':
		case 'W': mult = 604800; break;
		default: return "bad TTL unit (use s, m, h, d or w)";
		}
		i++;
		total += v * mult;
		if (total > UINT32_MAX)
			return "TTL out of range";
		units = true;
	}
	*out = (uint32_t)total;
	return NULL;
}

static bool parse_class(const struct tok *t, uint16_t *out)
{
	uint32_t v;

	if (t->quoted)
		return false;
	if (t->len == 2) {
		if (ieq(t->s, "IN", 2))
			*out = LDNS_RR_CLASS_IN;
		else if (ieq(t->s, "CH", 2))
			*out = LDNS_RR_CLASS_CH;
		else if (ieq(t->s, "HS", 2))
			*out = LDNS_RR_CLASS_HS;
		else if (ieq(t->s, "CS", 2))
			*out = 2;
		else
			return false;
		return true;
	}
	if (t->len > 5 && ieq(t->s, "CLASS", 5) && parse_uint(t->s + 5, t->len - 5, 65535, &v) &&
	    v != 0) {
		*out = (uint16_t)v;
		return true;
	}
	return false;
}

/* Returns true and the type code, or false for an unknown mnemonic. */
static bool parse_type(const struct tok *t, uint16_t *out)
{
	char buf[32];
	const char *s = t->s;
	uint32_t v;
	ldns_rr_type lt;

	if (t->quoted || t->len == 0 || t->len >= sizeof(buf))
		return false;
	switch (t->len) {
	case 1:
		if (s[0] == 'A' || s[0] == 'a') {
			*out = LDNS_RR_TYPE_A;
			return true;
		}
		break;
	case 2:
		if (ieq(s, "NS", 2)) {
			*out = LDNS_RR_TYPE_NS;
			return true;
		}
		if (ieq(s, "MX", 2)) {
			*out = LDNS_RR_TYPE_MX;
			return true;
		}
		if (ieq(s, "DS", 2)) {
			*out = LDNS_RR_TYPE_DS;
			return true;
		}
		break;
	case 3:
		if (ieq(s, "TXT", 3)) {
			*out = LDNS_RR_TYPE_TXT;
			return true;
		}
		if (ieq(s, "PTR", 3)) {
			*out = LDNS_RR_TYPE_PTR;
			return true;
		}
		if (ieq(s, "SOA", 3)) {
			*out = LDNS_RR_TYPE_SOA;
			return true;
		}
		break;
	case 4:
		if (ieq(s, "AAAA", 4)) {
			*out = LDNS_RR_TYPE_AAAA;
			return true;
		}
		break;
	case 5:
		if (ieq(s, "CNAME", 5)) {
			*out = LDNS_RR_TYPE_CNAME;
			return true;
		}
		break;
	default: break;
	}
	if (t->len > 4 && ieq(s, "TYPE", 4)) {
		if (!parse_uint(s + 4, t->len - 4, 65535, &v))
			return false;
		*out = (uint16_t)v;
		return true;
	}
	for (size_t i = 0; i < t->len; i++)
		if (s[i] == '\0')
			return false;
	memcpy(buf, s, t->len);
	buf[t->len] = '\0';
	lt = ldns_get_rr_type_by_name(buf);
	if (lt == 0)
		return false;
	*out = (uint16_t)lt;
	return true;
}

/*
 * Decodes one character at s[*i] (which may start a \DDD or \X escape)
 * and advances *i. Returns false on a malformed escape.
 */
static inline bool text_char(const char *s, size_t len, size_t *i, uint8_t *ch)
{
	size_t k = *i;

	if (s[k] != '\\') {
		*ch = (uint8_t)s[k];
		*i = k + 1;
		return true;
	}
	k++;
	if (k >= len)
		return false;
	if (is_digit(s[k])) {
		unsigned v;

		if (k + 2 >= len || !is_digit(s[k + 1]) || !is_digit(s[k + 2]))
			return false;
		v = (unsigned)(s[k] - '0') * 100 + (unsigned)(s[k + 1] - '0') * 10 +
		    (unsigned)(s[k + 2] - '0');
		if (v > 255)
			return false;
		*ch = (uint8_t)v;
		*i = k + 3;
		return true;
	}
	*ch = (uint8_t)s[k];
	*i = k + 1;
	return true;
}

/*
 * Text to uncompressed wire name, letter case kept. "@" is the origin, a
 * name without a trailing unescaped dot is relative to the origin.
 * Returns NULL or a description of the problem.
 */
static const char *name_from_text(const char *s, size_t len, const uint8_t *origin, size_t olen,
				  uint8_t *out, size_t *outlen)
{
	size_t lpos = 0; /* where the current label's length goes */
	size_t w = 1;
	size_t label = 0;
	size_t i = 0;
	bool absolute = false;

	if (len == 0)
		return "empty name";
	if (len == 1 && s[0] == '@') {
		memcpy(out, origin, olen);
		*outlen = olen;
		return NULL;
	}
	if (len == 1 && s[0] == '.') {
		out[0] = 0;
		*outlen = 1;
		return NULL;
	}
	while (i < len) {
		uint8_t ch;

		if (s[i] == '.') {
			if (label == 0)
				return "empty label";
			out[lpos] = (uint8_t)label;
			lpos = w++;
			label = 0;
			i++;
			if (i == len) {
				absolute = true;
				break;
			}
			if (w > MAX_NAME)
				return "name longer than 255 octets";
			continue;
		}
		if (!text_char(s, len, &i, &ch))
			return "bad escape sequence";
		if (label == 63)
			return "label longer than 63 octets";
		if (w >= MAX_NAME)
			return "name longer than 255 octets";
		out[w++] = ch;
		label++;
	}
	if (absolute) {
		if (lpos >= MAX_NAME)
			return "name longer than 255 octets";
		out[lpos] = 0;
		*outlen = lpos + 1;
		return NULL;
	}
	out[lpos] = (uint8_t)label;
	if (w + olen > MAX_NAME)
		return "name longer than 255 octets";
	memcpy(out + w, origin, olen);
	*outlen = w + olen;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* lexer                                                               */

enum {
	CC_TOK = 0,
	CC_WS,
	CC_NL,
	CC_SEMI,
	CC_LP,
	CC_RP,
	CC_QUOTE,
	CC_BSL,
	CC_NUL,
};

/* clang-format off */
static const uint8_t cclass[256] = {
	['\0'] = CC_NUL,
	[' '] = CC_WS,
	['\t'] = CC_WS,
	['\r'] = CC_WS,
	['\n'] = CC_NL,
	[';'] = CC_SEMI,
	['('] = CC_LP,
	[')'] = CC_RP,
	['"'] = CC_QUOTE,
	['\\'] = CC_BSL,
};
/* clang-format on */

static const char lex_no_close_paren[] = "missing ')' at end of file";

static void lex_error(struct parser *p, const char *msg)
{
	if (p->lex_err == NULL)
		p->lex_err = msg;
}

static void add_tok(struct parser *p, const char *s, size_t len, bool quoted)
{
	if (p->ntok == p->tokcap) {
		size_t ncap = p->tokcap ? p->tokcap * 2 : 64;
		struct tok *n;

		if (p->ntok >= MAX_ENTRY_TOKENS) {
			lex_error(p, "entry has too many fields");
			return;
		}
		n = realloc(p->toks, ncap * sizeof(*n));
		if (n == NULL) {
			set_fatal(p, -ENOMEM);
			return;
		}
		p->toks = n;
		p->tokcap = ncap;
	}
	p->toks[p->ntok].s = s;
	p->toks[p->ntok].len = len;
	p->toks[p->ntok].quoted = quoted;
	p->ntok++;
}

/* From just after an opening quote to the closing quote, or to the end of
 * the line / input when there is none. */
static const unsigned char *scan_quoted(struct parser *p, const unsigned char *c,
					const unsigned char *end)
{
	while (c < end) {
		switch (*c) {
		case '"':
		case '\n': return c;
		case '\\':
			c++;
			if (c < end && *c != '\n') {
				if (*c == '\0')
					lex_error(p, "NUL character in entry");
				c++;
			}
			break;
		case '\0':
			lex_error(p, "NUL character in entry");
			c++;
			break;
		default: c++; break;
		}
	}
	return c;
}

/*
 * Reads the next entry (one logical line) into p->toks. Returns true when
 * an entry was read, false at the end of the input.
 */
static bool lex_entry(struct parser *p, struct src *s)
{
	const unsigned char *c = (const unsigned char *)s->cur;
	const unsigned char *end = (const unsigned char *)s->end;
	size_t depth = 0;

	p->ntok = 0;
	p->lex_err = NULL;
	for (;;) {
		const unsigned char *ls = c;

		while (c < end && cclass[*c] == CC_WS)
			c++;
		if (c == end) {
			s->cur = (const char *)c;
			return false;
		}
		if (*c == ';') {
			c = memchr(c, '\n', (size_t)(end - c));
			if (c == NULL) {
				s->cur = s->end;
				return false;
			}
		}
		if (*c == '\n') {
			c++;
			s->line++;
			continue;
		}
		p->leading_ws = c != ls;
		break;
	}
	p->line = s->line;
	for (;;) {
		while (c < end && cclass[*c] == CC_WS)
			c++;
		if (c == end) {
			if (depth > 0)
				lex_error(p, lex_no_close_paren);
			break;
		}
		switch (cclass[*c]) {
		case CC_NL:
			c++;
			s->line++;
			if (depth == 0)
				goto done;
			continue;
		case CC_SEMI:
			c = memchr(c, '\n', (size_t)(end - c));
			if (c == NULL)
				c = end;
			continue;
		case CC_LP:
			depth++;
			c++;
			continue;
		case CC_RP:
			if (depth == 0)
				lex_error(p, "')' without '('");
			else
				depth--;
			c++;
			continue;
		case CC_QUOTE: {
			const unsigned char *start = ++c;

			c = scan_quoted(p, c, end);
			if (c == end || *c != '"') {
				lex_error(p, "unterminated quoted string");
				depth = 0;
				continue;
			}
			add_tok(p, (const char *)start, (size_t)(c - start), true);
			c++;
			continue;
		}
		default: {
			const unsigned char *start = c;

			for (;;) {
				while (c < end && cclass[*c] == CC_TOK)
					c++;
				if (c == end)
					break;
				if (*c == '\\') {
					c++;
					if (c < end && *c != '\n') {
						if (*c == '\0')
							lex_error(p, "NUL character in entry");
						c++;
					}
					continue;
				}
				if (*c == '"') {
					c = scan_quoted(p, c + 1, end);
					if (c == end || *c != '"') {
						lex_error(p, "unterminated quoted string");
						depth = 0;
						break;
					}
					c++;
					continue;
				}
				if (*c == '\0') {
					lex_error(p, "NUL character in entry");
					c++;
					continue;
				}
				break;
			}
			add_tok(p, (const char *)start, (size_t)(c - start), false);
			break;
		}
		}
		if (p->stop)
			break;
	}
done:
	s->cur = (const char *)c;
	return true;
}

/* ------------------------------------------------------------------ */
/* rdata                                                               */

/* An rdata name for the fast path. FAST_DECLINE where ldns would do
 * something of its own (quoted token, a leading "@" label). */
static int fast_name(struct parser *p, const struct pstate *st, const struct tok *t, size_t *w,
		     const char **err)
{
	size_t len;
	uint8_t *out = p->rdata + *w;

	if (t->quoted)
		return FAST_DECLINE;
	if (*w + MAX_NAME > MAX_RDATA)
		return FAST_DECLINE;
	if (t->len == 1 && t->s[0] == '@') {
		memcpy(out, st->origin, st->origin_len);
		*w += st->origin_len;
		return FAST_OK;
	}
	*err = name_from_text(t->s, t->len, st->origin, st->origin_len, out, &len);
	if (*err != NULL)
		return FAST_ERROR;
	if (len > 1 && out[0] == 1 && out[1] == '@')
		return FAST_DECLINE;
	*w += len;
	return FAST_OK;
}

static bool fast_ip(const struct tok *t, int af, uint8_t *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (t->quoted || t->len >= sizeof(buf))
		return false;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return inet_pton(af, buf, out) == 1;
}

static void put16(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static void put32(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 24);
	d[1] = (uint8_t)(v >> 16);
	d[2] = (uint8_t)(v >> 8);
	d[3] = (uint8_t)v;
}

static int fast_txt(struct parser *p, const struct tok *r, size_t n, const char **err)
{
	size_t w = 0;

	for (size_t k = 0; k < n; k++) {
		const struct tok *t = &r[k];
		size_t lpos;
		size_t cnt = 0;
		size_t i = 0;

		if (!t->quoted && memchr(t->s, '"', t->len) != NULL)
			return FAST_DECLINE;
		if (w >= MAX_RDATA) {
			*err = "rdata longer than 65535 octets";
			return FAST_ERROR;
		}
		lpos = w++;
		while (i < t->len) {
			uint8_t ch;

			if (!text_char(t->s, t->len, &i, &ch) || cnt == 255)
				return FAST_DECLINE;
			if (w >= MAX_RDATA) {
				*err = "rdata longer than 65535 octets";
				return FAST_ERROR;
			}
			p->rdata[w++] = ch;
			cnt++;
		}
		p->rdata[lpos] = (uint8_t)cnt;
	}
	p->rdlen = w;
	return FAST_OK;
}

/* ------------------------------------------------------------------ */
/* types parsed here instead of by ldns                                */

/*
 * IPSECKEY and WKS are converted here: ldns 1.8.3 leaks memory on some
 * malformed IPSECKEY rdata, and its WKS parser uses getservbyname() and
 * getprotobyname(), which are not reentrant.
 */

static int b64_val(char c)
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

/* Base64 over the concatenation of tokens, appended at p->rdata + *w. */
static const char *b64_rdata(struct parser *p, const struct tok *r, size_t n, size_t *w)
{
	uint32_t acc = 0;
	size_t nchars = 0;
	size_t pad = 0;

	for (size_t k = 0; k < n; k++) {
		if (r[k].quoted)
			return "quoted text in base64 data";
		for (size_t i = 0; i < r[k].len; i++) {
			char c = r[k].s[i];
			int v;

			if (c == '=') {
				pad++;
				nchars++;
				if (pad > 2)
					return "bad base64 padding";
				continue;
			}
			v = b64_val(c);
			if (v < 0 || pad > 0)
				return "bad base64 data";
			acc = acc << 6 | (uint32_t)v;
			nchars++;
			if (nchars % 4 == 0) {
				if (*w + 3 > MAX_RDATA)
					return "rdata longer than 65535 octets";
				p->rdata[(*w)++] = (uint8_t)(acc >> 16);
				p->rdata[(*w)++] = (uint8_t)(acc >> 8);
				p->rdata[(*w)++] = (uint8_t)acc;
				acc = 0;
			}
		}
	}
	if (nchars % 4 != 0)
		return "base64 data is not a multiple of 4 characters";
	if (pad > 0) {
		/* the last quantum: 2 or 3 significant characters */
		size_t keep = 3 - pad;

		acc <<= 6 * pad;
		if (*w + keep > MAX_RDATA)
			return "rdata longer than 65535 octets";
		p->rdata[(*w)++] = (uint8_t)(acc >> 16);
		if (keep == 2)
			p->rdata[(*w)++] = (uint8_t)(acc >> 8);
	}
	return NULL;
}

/* RFC 4025: precedence gateway-type algorithm gateway [public-key] */
static int own_ipseckey(struct parser *p, const struct pstate *st, const struct tok *r, size_t n,
			const char **err)
{
	uint32_t prec, gwtype, alg;
	size_t w = 3;
	size_t len;

	if (n < 4) {
		*err = "IPSECKEY needs precedence, gateway type, algorithm and gateway";
		return FAST_ERROR;
	}
	for (size_t k = 0; k < 4; k++) {
		if (r[k].quoted) {
			*err = "quoted IPSECKEY field";
			return FAST_ERROR;
		}
	}
	if (!parse_uint(r[0].s, r[0].len, 255, &prec) ||
	    !parse_uint(r[1].s, r[1].len, 3, &gwtype) || !parse_uint(r[2].s, r[2].len, 255, &alg)) {
		*err = "bad IPSECKEY precedence, gateway type (0-3) or algorithm";
		return FAST_ERROR;
	}
	p->rdata[0] = (uint8_t)prec;
	p->rdata[1] = (uint8_t)gwtype;
	p->rdata[2] = (uint8_t)alg;
	switch (gwtype) {
	case 0:
		if (r[3].len != 1 || r[3].s[0] != '.') {
			*err = "gateway type 0 needs '.' as gateway";
			return FAST_ERROR;
		}
		break;
	case 1:
		if (!fast_ip(&r[3], AF_INET, p->rdata + w)) {
			*err = "bad IPv4 gateway";
			return FAST_ERROR;
		}
		w += 4;
		break;
	case 2:
		if (!fast_ip(&r[3], AF_INET6, p->rdata + w)) {
			*err = "bad IPv6 gateway";
			return FAST_ERROR;
		}
		w += 16;
		break;
	default:
		*err = name_from_text(r[3].s, r[3].len, st->origin, st->origin_len, p->rdata + w,
				      &len);
		if (*err != NULL)
			return FAST_ERROR;
		w += len;
		break;
	}
	*err = b64_rdata(p, r + 4, n - 4, &w);
	if (*err != NULL)
		return FAST_ERROR;
	p->rdlen = w;
	return FAST_OK;
}

static void lower_copy(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] + 32) : src[i];
	dst[len] = '\0';
}

/* RFC 1035 3.4.2: address protocol service... */
static int own_wks(struct parser *p, const struct tok *r, size_t n, const char **err)
{
	char proto[32];
	char name[64];
	char hbuf[1024];
	uint32_t v;
	size_t w = 5;

	if (n < 2) {
		*err = "WKS needs an address and a protocol";
		return FAST_ERROR;
	}
	for (size_t k = 0; k < n; k++) {
		if (r[k].quoted) {
			*err = "quoted WKS field";
			return FAST_ERROR;
		}
	}
	if (!fast_ip(&r[0], AF_INET, p->rdata)) {
		*err = "bad IPv4 address";
		return FAST_ERROR;
	}
	proto[0] = '\0';
	if (parse_uint(r[1].s, r[1].len, 255, &v)) {
		struct protoent pe, *res = NULL;

		if (getprotobynumber_r((int)v, &pe, hbuf, sizeof(hbuf), &res) == 0 && res != NULL &&
		    strlen(res->p_name) < sizeof(proto))
			lower_copy(proto, res->p_name, strlen(res->p_name));
	} else {
		struct protoent pe, *res = NULL;

		if (r[1].len >= sizeof(proto)) {
			*err = "unknown WKS protocol";
			return FAST_ERROR;
		}
		lower_copy(proto, r[1].s, r[1].len);
		if (strcmp(proto, "tcp") == 0) {
			v = 6;
		} else if (strcmp(proto, "udp") == 0) {
			v = 17;
		} else if (getprotobyname_r(proto, &pe, hbuf, sizeof(hbuf), &res) == 0 &&
			   res != NULL && res->p_proto >= 0 && res->p_proto <= 255) {
			v = (uint32_t)res->p_proto;
		} else {
			*err = "unknown WKS protocol";
			return FAST_ERROR;
		}
	}
	p->rdata[4] = (uint8_t)v;
	memset(p->rdata + w, 0, 8192);
	for (size_t k = 2; k < n; k++) {
		uint32_t port;

		if (!parse_uint(r[k].s, r[k].len, 65535, &port)) {
			struct servent se, *res = NULL;

			if (r[k].len >= sizeof(name) || proto[0] == '\0') {
				*err = "unknown WKS service";
				return FAST_ERROR;
			}
			lower_copy(name, r[k].s, r[k].len);
			if (getservbyname_r(name, proto, &se, hbuf, sizeof(hbuf), &res) != 0 ||
			    res == NULL) {
				*err = "unknown WKS service";
				return FAST_ERROR;
			}
			port = ntohs((uint16_t)res->s_port);
		}
		p->rdata[5 + port / 8] |= (uint8_t)(0x80 >> (port % 8));
		if (5 + port / 8 + 1 > w)
			w = 5 + port / 8 + 1;
	}
	p->rdlen = w;
	return FAST_OK;
}

/*
 * ldns 1.8.3 leaks the rdf it parsed when a CERT type is numerically 0
 * (mod 65536, as it converts with strtol); such records are refused here.
 */
static bool cert_type_zero(const struct tok *t)
{
	char buf[64];
	char *end;
	long v;

	if (t->quoted || t->len >= sizeof(buf))
		return false;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	v = strtol(buf, &end, 10);
	return *end == '\0' && (uint16_t)v == 0;
}

/*
 * Converts the rdata of a common type without ldns. The output is what
 * ldns produces for the same text; anything this code does not recognise
 * as plain is left to ldns.
 */
static int fast_rdata(struct parser *p, const struct pstate *st, uint16_t type, const struct tok *r,
		      size_t n, const char **err)
{
	size_t w = 0;
	uint32_t v;
	int rc;

	if (type == LDNS_RR_TYPE_TXT)
		return n > 0 ? fast_txt(p, r, n, err) : FAST_DECLINE;
	if (type == LDNS_RR_TYPE_IPSECKEY)
		return own_ipseckey(p, st, r, n, err);
	if (type == LDNS_RR_TYPE_WKS)
		return own_wks(p, r, n, err);
	if (type == LDNS_RR_TYPE_CERT && n > 0 && cert_type_zero(&r[0])) {
		*err = "CERT type 0 is reserved";
		return FAST_ERROR;
	}
	for (size_t k = 0; k < n; k++)
		if (r[k].quoted)
			return FAST_DECLINE;
	switch (type) {
	case LDNS_RR_TYPE_A:
		if (n != 1 || !fast_ip(&r[0], AF_INET, p->rdata))
			return FAST_DECLINE;
		p->rdlen = 4;
		return FAST_OK;
	case LDNS_RR_TYPE_AAAA:
		if (n != 1 || !fast_ip(&r[0], AF_INET6, p->rdata))
			return FAST_DECLINE;
		p->rdlen = 16;
		return FAST_OK;
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
		if (n != 1)
			return FAST_DECLINE;
		rc = fast_name(p, st, &r[0], &w, err);
		break;
	case LDNS_RR_TYPE_MX:
		if (n != 2 || !parse_uint(r[0].s, r[0].len, 65535, &v))
			return FAST_DECLINE;
		put16(p->rdata, v);
		w = 2;
		rc = fast_name(p, st, &r[1], &w, err);
		break;
	case LDNS_RR_TYPE_SOA:
		if (n != 7)
			return FAST_DECLINE;
		rc = fast_name(p, st, &r[0], &w, err);
		if (rc != FAST_OK)
			return rc;
		rc = fast_name(p, st, &r[1], &w, err);
		if (rc != FAST_OK)
			return rc;
		if (!parse_uint(r[2].s, r[2].len, UINT32_MAX, &v))
			return FAST_DECLINE;
		put32(p->rdata + w, v);
		w += 4;
		for (size_t k = 3; k < 7; k++) {
			if (parse_ttl(r[k].s, r[k].len, &v) != NULL)
				return FAST_DECLINE;
			put32(p->rdata + w, v);
			w += 4;
		}
		rc = FAST_OK;
		break;
	case LDNS_RR_TYPE_DS: {
		int hi = -1;

		if (n < 4 || !parse_uint(r[0].s, r[0].len, 65535, &v))
			return FAST_DECLINE;
		put16(p->rdata, v);
		if (!parse_uint(r[1].s, r[1].len, 255, &v))
			return FAST_DECLINE;
		p->rdata[2] = (uint8_t)v;
		if (!parse_uint(r[2].s, r[2].len, 255, &v))
			return FAST_DECLINE;
		p->rdata[3] = (uint8_t)v;
		w = 4;
		for (size_t k = 3; k < n; k++) {
			for (size_t i = 0; i < r[k].len; i++) {
				int x = hex_val(r[k].s[i]);

				if (x < 0)
					return FAST_DECLINE;
				if (hi < 0) {
					hi = x;
					continue;
				}
				if (w >= MAX_RDATA)
					return FAST_DECLINE;
				p->rdata[w++] = (uint8_t)(hi << 4 | x);
				hi = -1;
			}
		}
		if (hi >= 0 || w == 4)
			return FAST_DECLINE;
		rc = FAST_OK;
		break;
	}
	default: return FAST_DECLINE;
	}
	if (rc == FAST_OK)
		p->rdlen = w;
	return rc;
}

static int sync_ldns_origin(struct parser *p, const struct pstate *st)
{
	if (p->lorigin != NULL && p->lorigin_len == st->origin_len &&
	    memcmp(p->lorigin_wire, st->origin, st->origin_len) == 0)
		return 0;
	if (p->lorigin != NULL)
		ldns_rdf_deep_free(p->lorigin);
	p->lorigin = ldns_dname_new_frm_data((uint16_t)st->origin_len, st->origin);
	if (p->lorigin == NULL) {
		p->lorigin_len = 0;
		return -ENOMEM;
	}
	memcpy(p->lorigin_wire, st->origin, st->origin_len);
	p->lorigin_len = st->origin_len;
	return 0;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
	char *n;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 256;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*buf, ncap);
	if (n == NULL)
		return -ENOMEM;
	*buf = n;
	*cap = ncap;
	return 0;
}

/* Concatenates the rdata fields of an ldns RR into p->rdata. */
static int collect_rdfs(struct parser *p, const ldns_rr *rr, const char **err)
{
	size_t w = 0;

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t sz = ldns_rdf_size(f);

		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && sz > MAX_NAME) {
			*err = "domain name in rdata longer than 255 octets";
			return -1;
		}
		if (w + sz > MAX_RDATA) {
			*err = "rdata longer than 65535 octets";
			return -1;
		}
		if (sz > 0)
			memcpy(p->rdata + w, ldns_rdf_data(f), sz);
		w += sz;
	}
	p->rdlen = w;
	return 0;
}

/* Converts rdata text with ldns. Returns 0 or -1 with *err set. */
static int ldns_rdata(struct parser *p, const struct pstate *st, uint16_t type, const struct tok *r,
		      size_t n, const char **err)
{
	size_t need = 32;
	size_t o;
	ldns_rr *rr = NULL;
	ldns_status s;
	int rc;

	for (size_t k = 0; k < n; k++)
		need += r[k].len + 3;
	if (need > MAX_LDNS_TEXT + 32) {
		*err = "rdata text longer than 65000 characters, more than ldns can take";
		return -1;
	}
	if (reserve(&p->sbuf, &p->scap, need) < 0 || sync_ldns_origin(p, st) < 0) {
		set_fatal(p, -ENOMEM);
		*err = "out of memory";
		return -1;
	}
	o = (size_t)snprintf(p->sbuf, p->scap, ". 0 IN TYPE%u", type);
	for (size_t k = 0; k < n; k++) {
		p->sbuf[o++] = ' ';
		if (r[k].quoted)
			p->sbuf[o++] = '"';
		memcpy(p->sbuf + o, r[k].s, r[k].len);
		o += r[k].len;
		if (r[k].quoted)
			p->sbuf[o++] = '"';
	}
	p->sbuf[o] = '\0';
	s = ldns_rr_new_frm_str(&rr, p->sbuf, 0, p->lorigin, NULL);
	if (s != LDNS_STATUS_OK) {
		*err = ldns_get_errorstr_by_id(s);
		if (*err == NULL)
			*err = "ldns could not parse the record";
		return -1;
	}
	if (ldns_rr_get_type(rr) != type) {
		ldns_rr_free(rr);
		*err = "ldns changed the type";
		return -1;
	}
	rc = collect_rdfs(p, rr, err);
	ldns_rr_free(rr);
	return rc;
}

static bool ldns_knows(uint16_t type)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	return d != NULL && d->_name != NULL && d->_type == type;
}

/* Checks RFC 3597 rdata of a type ldns knows against the type. */
static int check_generic(struct parser *p, uint16_t type, const char **err)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	size_t len = p->rdlen;
	uint8_t *wire;
	ldns_rr *rr;
	size_t pos = 0;
	ldns_status s;
	int rc = 0;

	if (len == 0) {
		if (ldns_rr_descriptor_minimum(d) > 0 &&
		    ldns_rr_descriptor_field_type(d, 0) != LDNS_RDF_TYPE_UNKNOWN) {
			*err = "empty rdata is not valid for this type";
			return -1;
		}
		return 0;
	}
	wire = malloc(len + 2);
	rr = ldns_rr_new();
	if (wire == NULL || rr == NULL) {
		free(wire);
		ldns_rr_free(rr);
		set_fatal(p, -ENOMEM);
		*err = "out of memory";
		return -1;
	}
	put16(wire, (uint32_t)len);
	memcpy(wire + 2, p->rdata, len);
	ldns_rr_set_type(rr, type);
	s = ldns_wire2rdf(rr, wire, len + 2, &pos);
	if (s != LDNS_STATUS_OK) {
		*err = ldns_get_errorstr_by_id(s);
		rc = -1;
	} else if (pos != len + 2 || ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(d)) {
		*err = "rdata does not match the type";
		rc = -1;
	} else {
		size_t o = 0;

		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, i);
			size_t sz = ldns_rdf_size(f);

			if (o + sz > len ||
			    (sz > 0 && memcmp(wire + 2 + o, ldns_rdf_data(f), sz))) {
				rc = -1;
				break;
			}
			o += sz;
		}
		if (rc == 0 && o != len)
			rc = -1;
		if (rc < 0)
			*err = "rdata does not match the type";
	}
	if (rc < 0 && *err == NULL)
		*err = "rdata does not match the type";
	ldns_rr_free(rr);
	free(wire);
	return rc;
}

/* RFC 3597: \# <length> <hex>... */
static int generic_rdata(struct parser *p, uint16_t type, const struct tok *r, size_t n,
			 const char **err)
{
	uint32_t len;
	size_t w = 0;
	int hi = -1;

	if (n < 2 || r[1].quoted || !parse_uint(r[1].s, r[1].len, MAX_RDATA, &len)) {
		*err = "\\# needs a decimal rdata length (0-65535)";
		return -1;
	}
	for (size_t k = 2; k < n; k++) {
		if (r[k].quoted) {
			*err = "quoted text in \\# rdata";
			return -1;
		}
		for (size_t i = 0; i < r[k].len; i++) {
			int x = hex_val(r[k].s[i]);

			if (x < 0) {
				*err = "bad hex digit in \\# rdata";
				return -1;
			}
			if (hi < 0) {
				hi = x;
				continue;
			}
			if (w >= len) {
				*err = "\\# rdata longer than its length";
				return -1;
			}
			p->rdata[w++] = (uint8_t)(hi << 4 | x);
			hi = -1;
		}
	}
	if (hi >= 0) {
		*err = "odd number of hex digits in \\# rdata";
		return -1;
	}
	if (w != len) {
		*err = "\\# rdata shorter than its length";
		return -1;
	}
	p->rdlen = w;
	if (ldns_knows(type))
		return check_generic(p, type, err);
	return 0;
}

/* ------------------------------------------------------------------ */
/* resource records                                                    */

/*
 * One RR entry: [owner] [ttl] [class] type rdata, with TTL and class in
 * either order. Returns 0 or -1 after reporting the error with code.
 */
static int process_rr(struct parser *p, struct pstate *st, const char *file, unsigned line,
		      const struct tok *t, size_t n, bool omitted_owner, enum zw_diag_code code,
		      bool keep_prev)
{
	char ex[80];
	const char *err = NULL;
	size_t i = 0;
	bool have_ttl = false;
	bool have_class = false;
	uint32_t ttl = 0;
	uint16_t rclass = 0;
	uint16_t type;
	int rc;

	if (!omitted_owner) {
		if (t[0].quoted) {
			report(p, code, ZW_SEV_ERROR, file, line, "owner name must not be quoted");
			return -1;
		}
		err = name_from_text(t[0].s, t[0].len, st->origin, st->origin_len, p->owner,
				     &p->owner_len);
		if (err != NULL) {
			report(p, code, ZW_SEV_ERROR, file, line, "bad owner name '%s': %s",
			       excerpt(ex, sizeof(ex), t[0].s, t[0].len), err);
			return -1;
		}
		if (!keep_prev) {
			memcpy(st->prev, p->owner, p->owner_len);
			st->prev_len = p->owner_len;
		}
		i = 1;
	} else {
		if (st->prev_len == 0) {
			report(p, code, ZW_SEV_ERROR, file, line,
			       "owner name omitted but there is no previous owner");
			return -1;
		}
		memcpy(p->owner, st->prev, st->prev_len);
		p->owner_len = st->prev_len;
	}

	for (; i < n && !t[i].quoted; i++) {
		if (!have_ttl && t[i].len > 0 && is_digit(t[i].s[0])) {
			err = parse_ttl(t[i].s, t[i].len, &ttl);
			if (err != NULL) {
				report(p, code, ZW_SEV_ERROR, file, line, "bad TTL '%s': %s",
				       excerpt(ex, sizeof(ex), t[i].s, t[i].len), err);
				return -1;
			}
			have_ttl = true;
			continue;
		}
		if (!have_class && parse_class(&t[i], &rclass)) {
			have_class = true;
			continue;
		}
		break;
	}
	if (i >= n) {
		report(p, code, ZW_SEV_ERROR, file, line, "missing RR type");
		return -1;
	}
	if (!parse_type(&t[i], &type)) {
		report(p, code, ZW_SEV_ERROR, file, line, "unknown RR type '%s'",
		       excerpt(ex, sizeof(ex), t[i].s, t[i].len));
		return -1;
	}
	if (type == 0) {
		report(p, code, ZW_SEV_ERROR, file, line, "RR type 0 is reserved");
		return -1;
	}
	i++;

	const struct tok *r = t + i;
	size_t nr = n - i;

	if (nr > 0 && !r[0].quoted && r[0].len == 2 && r[0].s[0] == '\\' && r[0].s[1] == '#') {
		rc = generic_rdata(p, type, r, nr, &err);
	} else {
		rc = fast_rdata(p, st, type, r, nr, &err);
		if (rc == FAST_DECLINE)
			rc = ldns_rdata(p, st, type, r, nr, &err);
	}
	if (rc != 0) {
		char tname[32];
		char rex[96];

		if (ldns_knows(type))
			snprintf(tname, sizeof(tname), "%s", ldns_rr_descript(type)->_name);
		else
			snprintf(tname, sizeof(tname), "TYPE%u", type);
		report(p, code, ZW_SEV_ERROR, file, line, "bad %s rdata '%s': %s", tname,
		       rdata_excerpt(rex, sizeof(rex), r, nr), err ? err : "syntax error");
		return -1;
	}

	if (have_ttl) {
		st->last_ttl = ttl;
		st->has_last_ttl = true;
	} else if (st->has_dollar_ttl) {
		ttl = st->dollar_ttl;
	} else if (st->has_last_ttl) {
		ttl = st->last_ttl;
	} else {
		ttl = p->opts->default_ttl;
		if (!p->warned_ttl) {
			p->warned_ttl = true;
			report(p, ZW_D_NO_TTL, ZW_SEV_WARNING, file, line,
			       "no TTL given and no $TTL set; using %u", (unsigned)ttl);
		}
	}
	if (have_class)
		st->last_class = rclass;
	else
		rclass = st->last_class;

	struct zw_rr rr = {
		.owner = p->owner,
		.owner_len = (uint16_t)p->owner_len,
		.type = type,
		.rclass = rclass,
		.rdlen = (uint16_t)p->rdlen,
		.ttl = ttl,
		.rdata = p->rdata,
		.file = file,
		.line = line,
	};
	rc = p->opts->on_rr(p->opts->ctx, &rr);
	if (rc != 0) {
		p->cb_rc = rc;
		p->stop = true;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* $GENERATE                                                           */

/* BIND's nibble format: reversed hex digits separated by dots; width
 * counts characters, dots included. */
static size_t nibbles(char *out, size_t cap, unsigned width, char mode, uint32_t value)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	size_t n = 0;

	do {
		char c = hex[(value & 0xf) + (mode == 'n' ? 0 : 16)];

		value >>= 4;
		if (n < cap)
			out[n] = c;
		n++;
		if (width > 0)
			width--;
		if (width > 0 || value != 0) {
			if (n < cap)
				out[n] = '.';
			n++;
			if (width > 0)
				width--;
		}
	} while (value != 0 || width > 0);
	return n;
}

static int gen_put(struct parser *p, const char *s, size_t len)
{
	if (p->glen + len > MAX_GEN_TEXT)
		return -1;
	if (reserve(&p->gbuf, &p->gcap, p->glen + len) < 0) {
		set_fatal(p, -ENOMEM);
		return -1;
	}
	memcpy(p->gbuf + p->glen, s, len);
	p->glen += len;
	return 0;
}

/*
 * Appends tok with '$' replaced by the iterator (BIND syntax). Returns
 * NULL or a description of the problem.
 */
static const char *gen_expand(struct parser *p, const struct tok *t, int64_t it)
{
	const char *s = t->s;
	size_t len = t->len;
	size_t i = 0;
	char num[2 * MAX_GEN_WIDTH + 40];

	while (i < len) {
		size_t run = i;

		while (run < len && s[run] != '$' && s[run] != '\\')
			run++;
		if (run > i && gen_put(p, s + i, run - i) < 0)
			return "expansion too long";
		i = run;
		if (i >= len)
			break;
		if (s[i] == '\\') {
			size_t k = i + 2 <= len ? 2 : 1;

			if (gen_put(p, s + i, k) < 0)
				return "expansion too long";
			i += k;
			continue;
		}
		/* '$' */
		i++;
		if (i < len && s[i] == '$') {
			if (gen_put(p, "$", 1) < 0)
				return "expansion too long";
			i++;
			continue;
		}
		int64_t offset = 0;
		uint32_t width = 0;
		char base = 'd';

		if (i < len && s[i] == '{') {
			bool neg = false;
			size_t d0;
			uint64_t v = 0;

			i++;
			if (i < len && (s[i] == '-' || s[i] == '+')) {
				neg = s[i] == '-';
				i++;
			}
			d0 = i;
			while (i < len && is_digit(s[i]) && i - d0 < 11) {
				v = v * 10 + (uint64_t)(s[i] - '0');
				i++;
			}
			if (i == d0 || v > INT32_MAX)
				return "bad offset in ${offset,width,base}";
			offset = neg ? -(int64_t)v : (int64_t)v;
			if (i < len && s[i] == ',') {
				i++;
				d0 = i;
				while (i < len && is_digit(s[i]) && i - d0 < 4)
					i++;
				if (!parse_uint(s + d0, i - d0, MAX_GEN_WIDTH, &width))
					return "bad width in ${offset,width,base}";
				if (i < len && s[i] == ',') {
					i++;
					if (i >= len || strchr("doxXnN", s[i]) == NULL ||
					    s[i] == '\0')
						return "bad base in ${offset,width,base} (use d, "
						       "o, x, X, n or N)";
					base = s[i++];
				}
			}
			if (i >= len || s[i] != '}')
				return "bad ${offset,width,base} modifier";
			i++;
		}
		int64_t v = it + offset;
		size_t nl;

		if (v < INT32_MIN || v > INT32_MAX)
			return "iterator plus offset out of range";
		switch (base) {
		case 'd':
			nl = (size_t)snprintf(num, sizeof(num), "%0*d", (int)width, (int)v);
			break;
		case 'o':
			nl = (size_t)snprintf(num, sizeof(num), "%0*o", (int)width,
					      (unsigned)(int)v);
			break;
		case 'x':
			nl = (size_t)snprintf(num, sizeof(num), "%0*x", (int)width,
					      (unsigned)(int)v);
			break;
		case 'X':
			nl = (size_t)snprintf(num, sizeof(num), "%0*X", (int)width,
					      (unsigned)(int)v);
			break;
		default: nl = nibbles(num, sizeof(num), width, base, (uint32_t)(int)v); break;
		}
		if (nl >= sizeof(num))
			return "expansion too long";
		if (gen_put(p, num, nl) < 0)
			return "expansion too long";
	}
	return NULL;
}

static bool parse_range(const struct tok *t, uint32_t *start, uint32_t *stop, uint32_t *step)
{
	const char *s = t->s;
	size_t len = t->len;
	const char *dash;
	const char *slash;

	if (t->quoted)
		return false;
	dash = memchr(s, '-', len);
	if (dash == NULL)
		return false;
	slash = memchr(dash, '/', len - (size_t)(dash - s));
	*step = 1;
	if (!parse_uint(s, (size_t)(dash - s), INT32_MAX, start))
		return false;
	if (slash == NULL)
		return parse_uint(dash + 1, len - (size_t)(dash + 1 - s), INT32_MAX, stop);
	if (!parse_uint(dash + 1, (size_t)(slash - dash - 1), INT32_MAX, stop))
		return false;
	return parse_uint(slash + 1, len - (size_t)(slash + 1 - s), INT32_MAX, step) && *step > 0;
}

/*
 * Where the type of a $GENERATE line is: after the owner (t[2]), at most
 * one TTL and one class, in either order, read as process_rr() reads them.
 */
static size_t gen_type_index(const struct tok *t, size_t n)
{
	bool have_ttl = false;
	bool have_class = false;
	uint16_t rclass;
	size_t i;

	for (i = 3; i < n && !t[i].quoted; i++) {
		if (!have_ttl && t[i].len > 0 && is_digit(t[i].s[0])) {
			have_ttl = true;
			continue;
		}
		if (!have_class && parse_class(&t[i], &rclass)) {
			have_class = true;
			continue;
		}
		break;
	}
	return i;
}

/*
 * The rdata field of a $GENERATE line as BIND's lexer hands it over:
 * inside quotes, \" is a quote character and loses its backslash; every
 * other escape is kept for the expansion and the rdata reader. Returns a
 * malloc'd copy, or NULL when out of memory.
 */
static char *gen_template(const struct tok *t, size_t *len)
{
	char *out = malloc(t->len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] == '\\' && i + 1 < t->len) {
			if (!t->quoted || t->s[i + 1] != '"')
				out[o++] = '\\';
			out[o++] = t->s[++i];
			continue;
		}
		out[o++] = t->s[i];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static int gtok_reserve(struct parser *p, size_t need)
{
	struct tok *g;
	size_t ncap;

	if (need <= p->gtokcap)
		return 0;
	ncap = p->gtokcap ? p->gtokcap : 16;
	while (ncap < need)
		ncap *= 2;
	g = realloc(p->gtoks, ncap * sizeof(*g));
	if (g == NULL) {
		set_fatal(p, -ENOMEM);
		return -1;
	}
	p->gtoks = g;
	p->gtokcap = ncap;
	return 0;
}

/*
 * $GENERATE start-stop[/step] lhs [ttl] [class] type rhs
 *
 * As in BIND, '$' is replaced in the owner (lhs) and the rdata (rhs)
 * only, and the rdata is a single field: rdata that has blanks is written
 * in quotes, which only group it. After the expansion the field is read
 * again as the rdata of an ordinary entry, so quoted strings (written \"
 * inside the quotes), escapes, parentheses and comments in it mean what
 * they mean there: "10 relay$" is an MX preference and a name, and
 * "a b $" is three TXT strings.
 */
static void do_generate(struct parser *p, struct pstate *st, const char *file, unsigned line,
			const struct tok *t, size_t n)
{
	uint32_t start, stop, step;
	uint64_t count;
	size_t ti, nhead, tlen;
	struct tok lhs, rhs;
	char ex[96];
	char *tmpl;

	if (n < 5) {
		report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
		       "$GENERATE needs a range, an owner, a type and rdata");
		return;
	}
	if (!parse_range(&t[1], &start, &stop, &step)) {
		report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
		       "bad $GENERATE range (expected start-stop[/step])");
		return;
	}
	if (stop < start) {
		report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
		       "$GENERATE range ends before it starts");
		return;
	}
	count = (stop - start) / step + 1;
	if (count > p->max_gen) {
		report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
		       "$GENERATE would create %llu records, more than the limit of %u",
		       (unsigned long long)count, p->max_gen);
		return;
	}
	ti = gen_type_index(t, n);
	if (ti + 1 >= n) {
		report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
		       "$GENERATE needs a range, an owner, a type and rdata");
		return;
	}
	if (ti + 2 < n) {
		report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
		       "$GENERATE takes the rdata as one field, not %zu ('%s'): put rdata "
		       "that has blanks in quotes",
		       n - ti - 1, rdata_excerpt(ex, sizeof(ex), t + ti + 1, n - ti - 1));
		return;
	}

	/* owner, [ttl], [class], type: only the owner changes */
	nhead = ti - 1;
	if (gtok_reserve(p, nhead) < 0)
		return;
	memcpy(p->gtoks, t + 2, nhead * sizeof(*t));
	lhs = t[2];
	tmpl = gen_template(&t[ti + 1], &tlen);
	if (tmpl == NULL) {
		set_fatal(p, -ENOMEM);
		return;
	}
	rhs = (struct tok){ .s = tmpl, .len = tlen, .quoted = false };

	/* From here on p->toks, which t points into, holds the rdata tokens
	 * of each record: t is not used again. */

	for (uint64_t it = start; it <= stop; it += step) {
		const char *err;
		size_t rpos;
		struct src rs;

		p->glen = 0;
		err = gen_expand(p, &lhs, (int64_t)it);
		rpos = p->glen;
		if (err == NULL)
			err = gen_expand(p, &rhs, (int64_t)it);
		if (p->stop)
			break;
		if (err != NULL) {
			report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line, "$GENERATE: %s", err);
			break;
		}
		if (rpos == 0) {
			report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
			       "$GENERATE: empty owner name");
			break;
		}
		rs = (struct src){
			.name = file,
			.cur = p->gbuf + rpos,
			.end = p->gbuf + p->glen,
			.line = line,
		};
		lex_entry(p, &rs); /* no tokens (p->ntok 0) when it returns false */
		if (p->stop)
			break;
		if (p->lex_err != NULL) {
			report(p, ZW_D_GENERATE, ZW_SEV_ERROR, file, line,
			       "$GENERATE: cannot read rdata '%s': %s",
			       excerpt(ex, sizeof(ex), p->gbuf + rpos, p->glen - rpos),
			       p->lex_err == lex_no_close_paren ? "missing ')'" : p->lex_err);
			break;
		}
		if (gtok_reserve(p, nhead + p->ntok) < 0)
			break;
		p->gtoks[0].s = p->gbuf;
		p->gtoks[0].len = rpos;
		p->gtoks[0].quoted = lhs.quoted;
		memcpy(p->gtoks + nhead, p->toks, p->ntok * sizeof(*p->toks));
		if (process_rr(p, st, file, line, p->gtoks, nhead + p->ntok, false, ZW_D_GENERATE,
			       true) < 0)
			break;
		if (p->stop)
			break;
	}
	free(tmpl);
}

/* ------------------------------------------------------------------ */
/* $INCLUDE                                                            */

static int read_fd(int fd, const struct stat *sb, char **out, size_t *outlen)
{
	size_t cap = 65536;
	size_t len = 0;
	char *buf;

	if (S_ISREG(sb->st_mode) && sb->st_size > 0) {
		if ((uint64_t)sb->st_size >= SIZE_MAX - 1)
			return -EFBIG;
		cap = (size_t)sb->st_size + 1;
	}
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (len == cap) {
			char *n;

			if (cap > SIZE_MAX / 2) {
				free(buf);
				return -EFBIG;
			}
			n = realloc(buf, cap * 2);
			if (n == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = n;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int open_zone(const char *path, int *fdp, struct stat *sb)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, sb) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (S_ISDIR(sb->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	*fdp = fd;
	return 0;
}

/* Copies a file-name token, resolving \X and \DDD. */
static char *token_string(const struct tok *t)
{
	char *out = malloc(t->len + 1);
	size_t o = 0;
	size_t i = 0;

	if (out == NULL)
		return NULL;
	while (i < t->len) {
		uint8_t ch;

		if (!text_char(t->s, t->len, &i, &ch) || ch == '\0') {
			free(out);
			return NULL;
		}
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

static char *include_path(const char *includer, const char *fname)
{
	const char *slash = includer ? strrchr(includer, '/') : NULL;
	size_t dlen = slash ? (size_t)(slash - includer) + 1 : 0;
	size_t flen = strlen(fname);
	char *path;

	if (fname[0] == '/')
		dlen = 0;
	path = malloc(dlen + flen + 1);
	if (path == NULL)
		return NULL;
	memcpy(path, includer, dlen);
	memcpy(path + dlen, fname, flen + 1);
	return path;
}

/* $INCLUDE file [origin] */
static void do_include(struct parser *p, const struct pstate *st, const char *file, unsigned line,
		       const struct tok *t, size_t n, unsigned depth)
{
	struct pstate sub;
	char ex[80];
	char *fname = NULL;
	char *path = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct stat sb;
	int fd = -1;
	int rc;

	if (n < 2 || n > 3) {
		report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line,
		       "$INCLUDE needs a file name and an optional origin");
		return;
	}
	if (p->opts->flags & ZW_PARSE_NO_INCLUDE) {
		report(p, ZW_D_INCLUDE, ZW_SEV_ERROR, file, line, "$INCLUDE is disabled");
		set_inc_fail(p, ZW_EINCLUDE);
		return;
	}
	sub = *st;
	if (n == 3) {
		const char *err =
			t[2].quoted ? "quoted name"
				    : name_from_text(t[2].s, t[2].len, st->origin, st->origin_len,
						     sub.origin, &sub.origin_len);

		if (err != NULL) {
			report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line,
			       "bad $INCLUDE origin '%s': %s",
			       excerpt(ex, sizeof(ex), t[2].s, t[2].len), err);
			return;
		}
	}
	if (depth + 1 > p->max_depth) {
		report(p, ZW_D_INCLUDE, ZW_SEV_ERROR, file, line,
		       "$INCLUDE nested deeper than %u levels", p->max_depth);
		set_inc_fail(p, ZW_EINCLUDE);
		return;
	}
	fname = token_string(&t[1]);
	if (fname == NULL || fname[0] == '\0') {
		report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line, "bad $INCLUDE file name");
		free(fname);
		return;
	}
	path = include_path(file, fname);
	free(fname);
	if (path == NULL) {
		set_fatal(p, -ENOMEM);
		return;
	}
	rc = open_zone(path, &fd, &sb);
	if (rc == 0) {
		for (unsigned k = 0; k < p->nids; k++) {
			if (p->ids[k].dev == sb.st_dev && p->ids[k].ino == sb.st_ino) {
				report(p, ZW_D_INCLUDE, ZW_SEV_ERROR, file, line,
				       "$INCLUDE loop: %s is already being read",
				       excerpt(ex, sizeof(ex), path, strlen(path)));
				set_inc_fail(p, ZW_EINCLUDE);
				close(fd);
				free(path);
				return;
			}
		}
		rc = read_fd(fd, &sb, &buf, &len);
		close(fd);
	}
	if (rc < 0) {
		char ebuf[128];

		report(p, ZW_D_INCLUDE, ZW_SEV_ERROR, file, line,
		       "cannot read $INCLUDE file %s: %s",
		       excerpt(ex, sizeof(ex), path, strlen(path)),
		       strerror_r(-rc, ebuf, sizeof(ebuf)));
		if (rc == -ENOMEM)
			set_fatal(p, rc);
		else
			set_inc_fail(p, rc);
		free(path);
		return;
	}
	p->ids[p->nids].dev = sb.st_dev;
	p->ids[p->nids].ino = sb.st_ino;
	p->nids++;
	parse_text(p, &sub, path, buf, len, depth + 1);
	p->nids--;
	free(buf);
	free(path);
}

/* ------------------------------------------------------------------ */
/* entries                                                             */

static void process_entry(struct parser *p, struct pstate *st, const struct src *s, unsigned depth)
{
	const struct tok *t = p->toks;
	size_t n = p->ntok;
	const char *file = s->name;
	unsigned line = p->line;
	const char *err;
	char ex[80];

	if (n == 0)
		return;
	if (p->leading_ws || t[0].quoted || t[0].s[0] != '$') {
		process_rr(p, st, file, line, t, n, p->leading_ws, ZW_D_SYNTAX, false);
		return;
	}
	if (tok_ieq(&t[0], "$ORIGIN")) {
		uint8_t o[MAX_NAME + 1];
		size_t olen;

		if (n != 2 || t[1].quoted) {
			report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line,
			       "$ORIGIN needs exactly one domain name");
			return;
		}
		err = name_from_text(t[1].s, t[1].len, st->origin, st->origin_len, o, &olen);
		if (err != NULL) {
			report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line, "bad $ORIGIN '%s': %s",
			       excerpt(ex, sizeof(ex), t[1].s, t[1].len), err);
			return;
		}
		memcpy(st->origin, o, olen);
		st->origin_len = olen;
	} else if (tok_ieq(&t[0], "$TTL")) {
		uint32_t ttl;

		if (n != 2 || t[1].quoted) {
			report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line,
			       "$TTL needs exactly one TTL");
			return;
		}
		err = parse_ttl(t[1].s, t[1].len, &ttl);
		if (err != NULL) {
			report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line, "bad $TTL '%s': %s",
			       excerpt(ex, sizeof(ex), t[1].s, t[1].len), err);
			return;
		}
		st->dollar_ttl = ttl;
		st->has_dollar_ttl = true;
	} else if (tok_ieq(&t[0], "$INCLUDE")) {
		do_include(p, st, file, line, t, n, depth);
	} else if (tok_ieq(&t[0], "$GENERATE")) {
		do_generate(p, st, file, line, t, n);
	} else {
		report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, file, line, "unknown directive '%s'",
		       excerpt(ex, sizeof(ex), t[0].s, t[0].len));
	}
}

static int parse_text(struct parser *p, struct pstate *st, const char *name, const char *text,
		      size_t len, unsigned depth)
{
	struct src s = {
		.name = name,
		.cur = text,
		.end = text + len,
		.line = 1,
	};

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		s.cur += 3;
	while (!p->stop && lex_entry(p, &s)) {
		if (p->stop)
			break;
		if (p->lex_err != NULL) {
			report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, name, p->line, "%s", p->lex_err);
			continue;
		}
		process_entry(p, st, &s, depth);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */

static struct parser *parser_new(const struct zw_parse_opts *opts)
{
	struct parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->opts = opts;
	p->max_depth = opts->max_include_depth ? opts->max_include_depth : DEFAULT_INCLUDE_DEPTH;
	if (p->max_depth > MAX_INCLUDE_DEPTH)
		p->max_depth = MAX_INCLUDE_DEPTH;
	p->max_gen = opts->max_generate ? opts->max_generate : DEFAULT_MAX_GENERATE;
	p->max_errors = opts->max_errors ? opts->max_errors : DEFAULT_MAX_ERRORS;
	return p;
}

static void parser_free(struct parser *p)
{
	if (p->lorigin != NULL)
		ldns_rdf_deep_free(p->lorigin);
	free(p->toks);
	free(p->sbuf);
	free(p->gbuf);
	free(p->gtoks);
	free(p);
}

static int init_state(struct parser *p, struct pstate *st, const char *name)
{
	static const uint8_t root[1] = { 0 };
	const char *o = p->opts->origin;
	const char *err;

	memset(st, 0, sizeof(*st));
	st->last_class = LDNS_RR_CLASS_IN;
	st->origin_len = 1;
	if (o == NULL || strcmp(o, ".") == 0)
		return 0;
	err = name_from_text(o, strlen(o), root, 1, st->origin, &st->origin_len);
	if (err != NULL) {
		report(p, ZW_D_SYNTAX, ZW_SEV_ERROR, name, 0, "bad initial origin: %s", err);
		return -EINVAL;
	}
	return 0;
}

static int finish(struct parser *p)
{
	int rc;

	if (p->cb_rc != 0)
		rc = p->cb_rc;
	else if (p->fatal_rc != 0)
		rc = p->fatal_rc;
	else if (p->inc_rc != 0)
		rc = p->inc_rc;
	else if (p->had_syntax)
		rc = ZW_ESYNTAX;
	else
		rc = 0;
	parser_free(p);
	return rc;
}

static int parse_top(const char *name, const char *text, size_t len,
		     const struct zw_parse_opts *opts, const struct stat *sb)
{
	struct parser *p;
	struct pstate st;

	p = parser_new(opts);
	if (p == NULL)
		return -ENOMEM;
	if (init_state(p, &st, name) < 0) {
		parser_free(p);
		return -EINVAL;
	}
	if (sb != NULL) {
		p->ids[0].dev = sb->st_dev;
		p->ids[0].ino = sb->st_ino;
		p->nids = 1;
	}
	parse_text(p, &st, name, text, len, 0);
	return finish(p);
}

int zw_parse_buffer(const char *name, const char *text, size_t len,
		    const struct zw_parse_opts *opts)
{
	if (opts == NULL || opts->on_rr == NULL || (text == NULL && len > 0))
		return -EINVAL;
	if (name == NULL)
		name = "<buffer>";
	return parse_top(name, text ? text : "", len, opts, NULL);
}

int zw_parse_file(const char *path, const struct zw_parse_opts *opts)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;
	int rc;

	if (path == NULL || opts == NULL || opts->on_rr == NULL)
		return -EINVAL;
	rc = open_zone(path, &fd, &sb);
	if (rc < 0)
		return rc;
	rc = read_fd(fd, &sb, &buf, &len);
	close(fd);
	if (rc < 0)
		return rc;
	rc = parse_top(path, buf, len, opts, &sb);
	free(buf);
	return rc;
}
