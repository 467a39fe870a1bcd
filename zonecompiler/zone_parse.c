/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Master-file reader (RFC 1035 section 5, RFC 3597, BIND's $GENERATE).
 *
 * The file-level work is done here: an entry lexer that handles
 * parentheses, comments, quoted strings and escapes and tracks line
 * numbers; the directives; owner, TTL, class and type. The rdata of the
 * common types is converted by a fast path that produces the same wire
 * form as ldns and declines (falls back to ldns) on anything unusual:
 * A, AAAA, NS, CNAME, PTR, MX, TXT, SOA and DS, then SRV, CAA, NAPTR, SPF,
 * HINFO, DNAME, KX, AFSDB, RT, URI, DNSKEY, CDNSKEY, KEY, RRSIG, NSEC,
 * NSEC3, NSEC3PARAM, CDS, DLV, TLSA, SMIMEA and SSHFP, which leave every
 * error to ldns (see fast_more()). Every other type is converted by
 * ldns_rr_new_frm_str(). RFC 3597 generic rdata (\# len hex) is decoded
 * here and, for types ldns knows, checked against the type.
 *
 * The common case is kept short: a line of blank-separated fields is cut
 * into tokens 32 bytes at a time (SSE2, lex_line_fast()); owner names go
 * from text to wire without escapes in one pass (name_fast()), and the
 * last owner's text is remembered, as owners repeat; class and type
 * mnemonics are found by a switch on the packed characters (a perfect
 * hash for the types); numbers and addresses are read in place. Anything
 * else takes the general code, which gives the same result. Texts are
 * followed by READ_PAD readable bytes so that tokens can be read 16 bytes
 * at a time.
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/*
 * Every text that is lexed (a file read here, the copy of the text given to
 * zw_parse_buffer(), the $GENERATE expansion) is followed by READ_PAD
 * readable bytes, so that the fast paths can load 16 bytes from any
 * position inside a token; only the token's own bytes are used.
 */
#define READ_PAD 16

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
	uint8_t origin[MAX_NAME + READ_PAD]; /* READ_PAD: see name_fast() */
	uint8_t prev[MAX_NAME + READ_PAD];   /* READ_PAD: see copy_padded() */
	size_t origin_len;
	size_t prev_len; /* 0: no previous owner */
	uint32_t dollar_ttl;
	uint32_t last_ttl;
	bool has_dollar_ttl;
	bool has_last_ttl;
	uint16_t last_class;
	unsigned origin_gen; /* changes with the origin; see struct parser */
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

	uint8_t owner[MAX_NAME + 1 + READ_PAD]; /* READ_PAD: see name_fast() */
	size_t owner_len;

	/* The text of the last owner name converted into owner, and the
	 * origin it was relative to: owners repeat from entry to entry. Every
	 * origin a pstate takes gets a new origin_gen from origin_gens.
	 * owner_text_len 0: owner holds something else. */
	char owner_text[MAX_NAME + READ_PAD]; /* READ_PAD: see copy_padded() */
	size_t owner_text_len;
	unsigned owner_text_gen;
	unsigned origin_gens;
	size_t rdlen;
	uint8_t rdata[MAX_RDATA + 1 + READ_PAD]; /* READ_PAD: see name_fast() */
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

static inline void put16(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static inline void put32(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 24);
	d[1] = (uint8_t)(v >> 16);
	d[2] = (uint8_t)(v >> 8);
	d[3] = (uint8_t)v;
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

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ZW_SWAR 1
#endif

#define BYTES_01 0x0101010101010101ull
#define BYTES_7F 0x7f7f7f7f7f7f7f7full
#define BYTES_80 0x8080808080808080ull

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* memcpy() 16 bytes at a time: src must have READ_PAD readable bytes after
 * the n, dst room for them. */
static inline void copy_padded(void *dst, const void *src, size_t n)
{
#if defined(__SSE2__)
	for (size_t i = 0; i < n; i += 16)
		_mm_storeu_si128(
			(__m128i *)(void *)((uint8_t *)dst + i),
			_mm_loadu_si128((const __m128i *)(const void *)((const uint8_t *)src + i)));
#else
	memcpy(dst, src, n);
#endif
}

/* memcmp(a, b, n) == 0, 16 bytes at a time: both must have READ_PAD
 * readable bytes after the n. */
static inline bool equal_padded(const void *a, const void *b, size_t n)
{
#if defined(__SSE2__)
	for (size_t i = 0; i < n; i += 16) {
		__m128i x =
			_mm_loadu_si128((const __m128i *)(const void *)((const uint8_t *)a + i));
		__m128i y =
			_mm_loadu_si128((const __m128i *)(const void *)((const uint8_t *)b + i));
		unsigned live = n - i >= 16 ? 0xffffu : (1u << (n - i)) - 1;

		if (((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) & live) != live)
			return false;
	}
	return true;
#else
	return memcmp(a, b, n) == 0;
#endif
}

/* A label ends at the dot at input position j: its length octet, which
 * sits where the previous dot was copied, is set. */
static inline bool end_label(uint8_t *out, size_t *lpos, size_t j)
{
	size_t l = j - *lpos;

	if (l == 0 || l > 63)
		return false;
	out[*lpos] = (uint8_t)l;
	*lpos = j + 1;
	return true;
}

/*
 * name_from_text() for the common case: no escapes, every label 1 to 63
 * octets, the result at most 255 octets. Returns false, having perhaps
 * written to out, when the name is anything else; name_from_text() then
 * gives the result or the error.
 *
 * Without escapes, the character at position i of the text goes to
 * out[i + 1] and each dot becomes the length octet of the label after it,
 * so the text is copied as it is and only the dots are visited. The copies
 * are made 16 bytes at a time: s is a token (READ_PAD), origin must have
 * READ_PAD bytes after its MAX_NAME and out room for MAX_NAME + 1 +
 * READ_PAD octets.
 */
static inline bool name_fast(const char *s, size_t len, const uint8_t *origin, size_t olen,
			     uint8_t *out, size_t *outlen)
{
	size_t lpos = 0; /* where the length of the current label goes */

	if (len - 1 >= MAX_NAME - 1) /* empty, or too long for this */
		return false;
	if (len == 1 && s[0] == '@') {
		memcpy(out, origin, olen);
		*outlen = olen;
		return true;
	}
#if defined(__SSE2__)
	for (size_t i = 0; i < len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned live = len - i >= 16 ? 0xffffu : (1u << (len - i)) - 1;
		unsigned dots =
			(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))) & live;

		if (((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))) & live) !=
		    0)
			return false;
		_mm_storeu_si128((__m128i *)(void *)(out + 1 + i), v);
		while (dots != 0) {
			if (!end_label(out, &lpos, i + (size_t)__builtin_ctz(dots)))
				return false;
			dots &= dots - 1;
		}
	}
#else
	memcpy(out + 1, s, len);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (!end_label(out, &lpos, i))
				return false;
		} else if (s[i] == '\\') {
			return false;
		}
	}
#endif
	if (lpos == len) { /* trailing dot: absolute */
		out[len] = 0;
		*outlen = len + 1;
		return true;
	}
	if (len - lpos > 63 || len + 1 + olen > MAX_NAME)
		return false;
	out[lpos] = (uint8_t)(len - lpos);
#if defined(__SSE2__)
	for (size_t i = 0; i < olen; i += 16)
		_mm_storeu_si128((__m128i *)(void *)(out + len + 1 + i),
				 _mm_loadu_si128((const __m128i *)(const void *)(origin + i)));
#else
	memcpy(out + len + 1, origin, olen);
#endif
	*outlen = len + 1 + olen;
	return true;
}

/*
 * A token of 1 to 7 characters packed in an integer as it is written,
 * first character in the low byte, with its length in the top byte, for
 * the switches on mnemonics below; 0 for any other token.
 */
static inline uint64_t word_key(const struct tok *t)
{
	uint64_t k = 0;

	if (t->quoted || t->len - 1 >= 7)
		return 0;
#ifdef ZW_SWAR
	k = load64(t->s) & ((1ull << (8 * t->len)) - 1); /* READ_PAD */
#else
	for (size_t i = t->len; i-- > 0;)
		k = k << 8 | (uint8_t)t->s[i];
#endif
	return k | (uint64_t)t->len << 56;
}

/* The key with a-z turned into A-Z (the length byte and bytes 0x80 and
 * up are left alone). Mnemonics are matched written in upper case first,
 * as they usually are, then like this. */
static inline uint64_t upper_key(uint64_t k)
{
	uint64_t lo = k & BYTES_7F;
	uint64_t m = (lo + BYTES_01 * (0x80 - 'a')) & ~(lo + BYTES_01 * (0x80 - 'z' - 1)) & ~k &
		     BYTES_80;

	return k ^ m >> 2;
}

#define WK1(a)	     ((uint64_t)1 << 56 | (uint64_t)(a))
#define WK2(a, b)    ((uint64_t)2 << 56 | (uint64_t)(b) << 8 | (a))
#define WK3(a, b, c) ((uint64_t)3 << 56 | (uint64_t)(c) << 16 | (uint64_t)(b) << 8 | (a))
#define WK4(a, b, c, d)                                                                            \
	((uint64_t)4 << 56 | (uint64_t)(d) << 24 | (uint64_t)(c) << 16 | (uint64_t)(b) << 8 | (a))
#define WK5(a, b, c, d, e)                                                                         \
	((uint64_t)5 << 56 | (uint64_t)(e) << 32 | (uint64_t)(d) << 24 | (uint64_t)(c) << 16 |     \
	 (uint64_t)(b) << 8 | (a))
#define WK6(a, b, c, d, e, f)                                                                      \
	((uint64_t)6 << 56 | (uint64_t)(f) << 40 | (uint64_t)(e) << 32 | (uint64_t)(d) << 24 |     \
	 (uint64_t)(c) << 16 | (uint64_t)(b) << 8 | (a))
#define WK7(a, b, c, d, e, f, g)                                                                   \
	((uint64_t)7 << 56 | (uint64_t)(g) << 48 | (uint64_t)(f) << 40 | (uint64_t)(e) << 32 |     \
	 (uint64_t)(d) << 24 | (uint64_t)(c) << 16 | (uint64_t)(b) << 8 | (a))

/*
 * Perfect hash of the mnemonics of type_by_key(): a multiplicative hash to
 * 7 bits, collision-free for these keys. The case labels are the hashes,
 * so a new mnemonic that collides fails to compile ("duplicate case
 * value"); then another multiplier is needed.
 */
#define TYPE_HASH_MUL 0xd17f6494e8c2d219ull
#define TYPE_HASH(k)  ((unsigned)(((uint64_t)(k)*TYPE_HASH_MUL) >> 57))
#define TYPE_CASE(key, code)                                                                       \
	case TYPE_HASH(key): return k == (key) ? (code) : 0

/*
 * Type mnemonics resolved without ldns: the common ones, with the codes
 * ldns gives them (checked by the tests against every type ldns knows).
 * 0 for any other word.
 */
static inline uint16_t type_by_key(uint64_t k)
{
	switch (TYPE_HASH(k)) {
		TYPE_CASE(WK1('A'), LDNS_RR_TYPE_A);
		TYPE_CASE(WK2('N', 'S'), LDNS_RR_TYPE_NS);
		TYPE_CASE(WK5('C', 'N', 'A', 'M', 'E'), LDNS_RR_TYPE_CNAME);
		TYPE_CASE(WK3('S', 'O', 'A'), LDNS_RR_TYPE_SOA);
		TYPE_CASE(WK3('P', 'T', 'R'), LDNS_RR_TYPE_PTR);
		TYPE_CASE(WK5('H', 'I', 'N', 'F', 'O'), LDNS_RR_TYPE_HINFO);
		TYPE_CASE(WK2('M', 'X'), LDNS_RR_TYPE_MX);
		TYPE_CASE(WK3('T', 'X', 'T'), LDNS_RR_TYPE_TXT);
		TYPE_CASE(WK2('R', 'P'), LDNS_RR_TYPE_RP);
		TYPE_CASE(WK5('A', 'F', 'S', 'D', 'B'), LDNS_RR_TYPE_AFSDB);
		TYPE_CASE(WK2('R', 'T'), LDNS_RR_TYPE_RT);
		TYPE_CASE(WK3('S', 'I', 'G'), LDNS_RR_TYPE_SIG);
		TYPE_CASE(WK3('K', 'E', 'Y'), LDNS_RR_TYPE_KEY);
		TYPE_CASE(WK4('A', 'A', 'A', 'A'), LDNS_RR_TYPE_AAAA);
		TYPE_CASE(WK3('L', 'O', 'C'), LDNS_RR_TYPE_LOC);
		TYPE_CASE(WK3('S', 'R', 'V'), LDNS_RR_TYPE_SRV);
		TYPE_CASE(WK5('N', 'A', 'P', 'T', 'R'), LDNS_RR_TYPE_NAPTR);
		TYPE_CASE(WK2('K', 'X'), LDNS_RR_TYPE_KX);
		TYPE_CASE(WK4('C', 'E', 'R', 'T'), LDNS_RR_TYPE_CERT);
		TYPE_CASE(WK5('D', 'N', 'A', 'M', 'E'), LDNS_RR_TYPE_DNAME);
		TYPE_CASE(WK2('D', 'S'), LDNS_RR_TYPE_DS);
		TYPE_CASE(WK5('S', 'S', 'H', 'F', 'P'), LDNS_RR_TYPE_SSHFP);
		TYPE_CASE(WK5('R', 'R', 'S', 'I', 'G'), LDNS_RR_TYPE_RRSIG);
		TYPE_CASE(WK4('N', 'S', 'E', 'C'), LDNS_RR_TYPE_NSEC);
		TYPE_CASE(WK6('D', 'N', 'S', 'K', 'E', 'Y'), LDNS_RR_TYPE_DNSKEY);
		TYPE_CASE(WK5('D', 'H', 'C', 'I', 'D'), LDNS_RR_TYPE_DHCID);
		TYPE_CASE(WK5('N', 'S', 'E', 'C', '3'), LDNS_RR_TYPE_NSEC3);
		TYPE_CASE(WK4('T', 'L', 'S', 'A'), LDNS_RR_TYPE_TLSA);
		TYPE_CASE(WK6('S', 'M', 'I', 'M', 'E', 'A'), LDNS_RR_TYPE_SMIMEA);
		TYPE_CASE(WK3('C', 'D', 'S'), LDNS_RR_TYPE_CDS);
		TYPE_CASE(WK7('C', 'D', 'N', 'S', 'K', 'E', 'Y'), LDNS_RR_TYPE_CDNSKEY);
		TYPE_CASE(WK5('C', 'S', 'Y', 'N', 'C'), LDNS_RR_TYPE_CSYNC);
		TYPE_CASE(WK6('Z', 'O', 'N', 'E', 'M', 'D'), LDNS_RR_TYPE_ZONEMD);
		TYPE_CASE(WK4('S', 'V', 'C', 'B'), LDNS_RR_TYPE_SVCB);
		TYPE_CASE(WK5('H', 'T', 'T', 'P', 'S'), LDNS_RR_TYPE_HTTPS);
		TYPE_CASE(WK3('S', 'P', 'F'), LDNS_RR_TYPE_SPF);
		TYPE_CASE(WK3('U', 'R', 'I'), LDNS_RR_TYPE_URI);
		TYPE_CASE(WK3('C', 'A', 'A'), LDNS_RR_TYPE_CAA);
		TYPE_CASE(WK3('D', 'L', 'V'), LDNS_RR_TYPE_DLV);
	default: return 0;
	}
}

/* type_by_key() of a word_key(), in any letter case. */
static inline uint16_t type_by_word(uint64_t k)
{
	uint16_t code = type_by_key(k);
	uint64_t up;

	if (code == 0 && (up = upper_key(k)) != k)
		code = type_by_key(up);
	return code;
}

/* Unsigned decimal of digits only, value <= max: parse_uint() inlined for
 * the fields of the fast path. */
static inline bool fast_uint(const struct tok *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (t->quoted || t->len - 1 >= 10)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		unsigned d = (unsigned)(uint8_t)t->s[i] - '0';

		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static inline unsigned digit_at(const uint8_t *u, size_t i)
{
	return (unsigned)u[i] - '0';
}

/*
 * inet_pton(AF_INET) on a token for the usual form: four decimal octets
 * of 1 to 3 digits without leading zeros, which glibc reads the same way.
 * False for anything else, which the caller then gives to inet_pton().
 */
static inline bool ip4_from_text(const char *s, size_t len, uint8_t *out)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t a = 0; /* start of the octet */

	if (len < 7 || len > 15)
		return false;
#if defined(__SSE2__)
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s); /* READ_PAD */
	__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	unsigned live = (1u << len) - 1;
	unsigned digits =
		(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
	unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))) & live;

	if (((digits | dots) & live) != live)
		return false;
#else
	unsigned dots = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.')
			dots |= 1u << i;
		else if (!is_digit(s[i]))
			return false;
	}
#endif
	for (unsigned k = 0; k < 4; k++) {
		size_t e;
		unsigned val;

		if (k < 3) {
			if (dots == 0)
				return false;
			e = (size_t)__builtin_ctz(dots);
			dots &= dots - 1;
		} else {
			if (dots != 0)
				return false;
			e = len;
		}
		switch (e - a) {
		case 1: val = digit_at(u, a); break;
		case 2:
			if (u[a] == '0')
				return false;
			val = digit_at(u, a) * 10 + digit_at(u, a + 1);
			break;
		case 3:
			if (u[a] == '0')
				return false;
			val = digit_at(u, a) * 100 + digit_at(u, a + 1) * 10 + digit_at(u, a + 2);
			if (val > 255)
				return false;
			break;
		default: return false;
		}
		out[k] = (uint8_t)val;
		a = e + 1;
	}
	return true;
}

/* Value + 1 of a hex digit, 0 for other characters. */
/* clang-format off */
static const uint8_t hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
/* clang-format on */

/*
 * inet_pton(AF_INET6) on a token for the usual form: groups of 1 to 4 hex
 * digits separated by single colons, at most one "::" standing for at
 * least one zero group. False for anything else (an embedded IPv4
 * address, for one), which the caller then gives to inet_pton().
 */
#define NO_GAP 9

static inline bool ip6_from_text(const char *s, size_t len, uint8_t *out)
{
	uint16_t g[8];
	unsigned ng = 0;
	unsigned gap = NO_GAP; /* groups before the "::" */
	uint64_t colons = 0;
	size_t pos = 0;

	if (len < 2 || len > 39)
		return false;
#if defined(__SSE2__)
	uint64_t hex = 0;

	for (size_t i = 0; i < len; i += 16) { /* READ_PAD */
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
		__m128i a = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
		__m128i x = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
					 _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(5)), a));

		hex |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << i;
		colons |=
			(uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')))
			<< i;
	}
	hex &= (1ull << len) - 1;
	colons &= (1ull << len) - 1;
	if ((hex | colons) != (1ull << len) - 1)
		return false;
#else
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colons |= 1ull << i;
		else if (hex1[(uint8_t)s[i]] == 0)
			return false;
	}
#endif
	if (colons & 1) {
		if (!(colons & 2))
			return false;
		gap = 0;
		pos = 2;
	}
	while (pos < len) {
		uint64_t rest = colons >> pos;
		size_t e = rest != 0 ? pos + (size_t)__builtin_ctzll(rest) : len;
		unsigned v = 0;

		if (e == pos || e - pos > 4 || ng == 8)
			return false;
#ifdef ZW_SWAR
		{
			/* the 1 to 4 digits as nibbles, first digit in the top byte,
			 * then the last digit moved to the low byte (READ_PAD) */
			uint32_t x;

			memcpy(&x, s + pos, sizeof(x));
			x = __builtin_bswap32(x);
			x = (x & 0x0f0f0f0fu) + ((x >> 6) & 0x01010101u) * 9;
			x >>= 8 * (4 - (e - pos));
			v = (x & 0xfu) | (x >> 4 & 0xf0u) | (x >> 8 & 0xf00u) | (x >> 12 & 0xf000u);
		}
#else
		for (size_t j = pos; j < e; j++)
			v = v << 4 | (hex1[(uint8_t)s[j]] - 1u);
#endif
		g[ng++] = (uint16_t)v;
		if (e == len)
			break;
		pos = e + 1;
		if (pos == len) /* a single colon at the end */
			return false;
		if (colons >> pos & 1) {
			if (gap != NO_GAP)
				return false;
			gap = ng;
			pos++;
		}
	}
	if (gap == NO_GAP ? ng != 8 : ng >= 8)
		return false;
	memset(out, 0, 16);
	for (unsigned k = 0; k < ng; k++) {
		unsigned at = k < gap ? k : 8 - ng + k;

		out[2 * at] = (uint8_t)(g[k] >> 8);
		out[2 * at + 1] = (uint8_t)g[k];
	}
	return true;
}

/* A class: IN, CH, HS, CS or CLASSnnn (nnn 1-65535), any case. key is
 * word_key(t). */
static inline bool class_of(const struct tok *t, uint64_t key, uint16_t *out)
{
	uint32_t v;

	for (;;) {
		uint64_t up;

		switch (key) {
		case WK2('I', 'N'): *out = LDNS_RR_CLASS_IN; return true;
		case WK2('C', 'H'): *out = LDNS_RR_CLASS_CH; return true;
		case WK2('H', 'S'): *out = LDNS_RR_CLASS_HS; return true;
		case WK2('C', 'S'): *out = 2; return true;
		default: break;
		}
		up = upper_key(key);
		if (up == key)
			break;
		key = up;
	}
	if (t->quoted)
		return false;
	if (t->len > 5 && ieq(t->s, "CLASS", 5) && parse_uint(t->s + 5, t->len - 5, 65535, &v) &&
	    v != 0) {
		*out = (uint16_t)v;
		return true;
	}
	return false;
}

static bool parse_class(const struct tok *t, uint16_t *out)
{
	return class_of(t, word_key(t), out);
}

/* Returns true and the type code, or false for an unknown mnemonic. key is
 * word_key(t). */
static bool type_of(const struct tok *t, uint64_t key, uint16_t *out)
{
	char buf[32];
	const char *s = t->s;
	uint32_t v;
	ldns_rr_type lt;

	*out = type_by_word(key);
	if (*out != 0)
		return true;
	if (t->quoted || t->len == 0 || t->len >= sizeof(buf))
		return false;
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

/* Makes room for one more token; false when that is not possible. */
static __attribute__((noinline)) bool grow_toks(struct parser *p)
{
	size_t ncap = p->tokcap ? p->tokcap * 2 : 64;
	struct tok *n;

	if (p->ntok >= MAX_ENTRY_TOKENS) {
		lex_error(p, "entry has too many fields");
		return false;
	}
	n = realloc(p->toks, ncap * sizeof(*n));
	if (n == NULL) {
		set_fatal(p, -ENOMEM);
		return false;
	}
	p->toks = n;
	p->tokcap = ncap;
	return true;
}

static inline void add_tok(struct parser *p, const char *s, size_t len, bool quoted)
{
	struct tok *t;

	if (__builtin_expect(p->ntok == p->tokcap, 0) && !grow_toks(p))
		return;
	t = &p->toks[p->ntok++];
	t->s = s;
	t->len = len;
	t->quoted = quoted;
}

/*
 * The first byte at or after c that is not a token character (CC_TOK), or
 * end. With SSE2, 16 bytes are classified at a time: a byte is a candidate
 * when it is at most 0x20 or one of ; ( ) " and backslash; candidates that
 * are token characters after all (other control characters) are passed.
 */
static inline const unsigned char *skip_tok_chars(const unsigned char *c, const unsigned char *end)
{
#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(0x20);
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i paren = _mm_set1_epi8(')');
	const __m128i semi = _mm_set1_epi8(';');
	const __m128i bsl = _mm_set1_epi8('\\');
	const __m128i one = _mm_set1_epi8(1);

	while (end - c >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)c);
		__m128i m = _mm_cmpeq_epi8(_mm_min_epu8(v, sp), v);
		unsigned mask;

		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, quote));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_or_si128(v, one), paren));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, semi));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, bsl));
		mask = (unsigned)_mm_movemask_epi8(m);
		if (mask == 0) {
			c += 16;
			continue;
		}
		c += __builtin_ctz(mask);
		if (cclass[*c] != CC_TOK)
			return c;
		c++;
	}
#endif
	while (c < end && cclass[*c] == CC_TOK)
		c++;
	return c;
}

/* The first quote, newline, backslash or NUL at or after c, or end. */
static inline const unsigned char *skip_quoted_chars(const unsigned char *c,
						     const unsigned char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i nl = _mm_set1_epi8('\n');
	const __m128i bsl = _mm_set1_epi8('\\');
	const __m128i zero = _mm_setzero_si128();

	while (end - c >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)c);
		__m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, nl));
		unsigned mask;

		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, bsl));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, zero));
		mask = (unsigned)_mm_movemask_epi8(m);
		if (mask != 0)
			return c + __builtin_ctz(mask);
		c += 16;
	}
#endif
	while (c < end && *c != '"' && *c != '\n' && *c != '\\' && *c != '\0')
		c++;
	return c;
}

/* From just after an opening quote to the closing quote, or to the end of
 * the line / input when there is none. */
static const unsigned char *scan_quoted(struct parser *p, const unsigned char *c,
					const unsigned char *end)
{
	for (;;) {
		c = skip_quoted_chars(c, end);
		if (c == end)
			return c;
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
		default: /* NUL */
			lex_error(p, "NUL character in entry");
			c++;
			break;
		}
	}
}

#if defined(__SSE2__)
/* Masks of the blanks (space, tab, CR) and of the characters that
 * lex_line_fast() leaves to lex_entry() in 16 bytes at c. */
static inline void classify16(const unsigned char *c, unsigned *blank, unsigned *stop)
{
	const __m128i sp = _mm_set1_epi8(' ');
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)c);
	unsigned b = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))),
		_mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
	unsigned ctl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, sp), v));
	unsigned other = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			     _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(1)), _mm_set1_epi8(')'))),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(';')),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));

	*blank = b;
	*stop = other | (ctl & ~b);
}

/*
 * The common entry, one line of blank-separated tokens without quotes,
 * parentheses, comments or escapes, lexed 32 bytes at a time: from masks
 * of the blanks and of the characters this loop leaves to lex_entry()
 * (newline, quote, parentheses, semicolon, backslash and the control
 * characters other than tab and CR), the tokens are where the masks say
 * they start and end, without a look at each byte. Returns the position
 * after the newline with *line_done set, or where lex_entry() must go on:
 * the first character left to it, or the start of the token that
 * character is in or next to (that token is not added), or the last
 * bytes of the input.
 */
static const unsigned char *lex_line_fast(struct parser *p, struct src *s, const unsigned char *c,
					  const unsigned char *end, bool *line_done)
{
	const unsigned char *tstart = NULL; /* token that goes on from the last 32 bytes */
	const unsigned char *ret;
	struct tok *toks = p->toks;
	size_t ntok = p->ntok;

	*line_done = false;
	/* a token needs a blank after it: at most 16 end in 32 bytes */
	while (end - c >= 32 && p->tokcap - ntok >= 16) {
		unsigned b0, s0, b1, s1;

		classify16(c, &b0, &s0);
		classify16(c + 16, &b1, &s1);

		uint64_t blank = b0 | (uint64_t)b1 << 16;
		uint64_t stop = s0 | (uint64_t)s1 << 16;
		unsigned limit = stop ? (unsigned)__builtin_ctzll(stop) : 32;
		uint64_t before = (1ull << limit) - 1;
		uint64_t tok = ~blank & before; /* token bytes before the stop */
		uint64_t prev = tok << 1 | (tstart != NULL);
		uint64_t starts = tok & ~prev;
		uint64_t ends = ~tok & prev & before; /* blanks that end a token */

		if (tstart != NULL && ends != 0) {
			toks[ntok++] =
				(struct tok){ (const char *)tstart,
					      (size_t)(c + __builtin_ctzll(ends) - tstart), false };
			ends &= ends - 1;
			tstart = NULL;
		}
		while (ends != 0) {
			unsigned b = (unsigned)__builtin_ctzll(starts);
			unsigned e = (unsigned)__builtin_ctzll(ends);

			toks[ntok++] = (struct tok){ (const char *)c + b, e - b, false };
			starts &= starts - 1;
			ends &= ends - 1;
		}
		if (starts != 0) /* the last token goes on to the stop or further */
			tstart = c + __builtin_ctzll(starts);
		if (stop != 0) {
			if (c[limit] != '\n') {
				/* a character left to lex_entry, perhaps inside a token */
				ret = tstart != NULL ? tstart : c + limit;
				goto out;
			}
			if (tstart != NULL)
				toks[ntok++] = (struct tok){ (const char *)tstart,
							     (size_t)(c + limit - tstart), false };
			s->line++;
			*line_done = true;
			ret = c + limit + 1;
			goto out;
		}
		c += 32;
	}
	ret = tstart != NULL ? tstart : c;
out:
	p->ntok = ntok;
	return ret;
}
#endif

/*
 * The rest of an entry from c on, wherever lex_line_fast() left it: any
 * syntax. Returns where the entry ends.
 */
static __attribute__((noinline)) const unsigned char *
lex_rest(struct parser *p, struct src *s, const unsigned char *c, const unsigned char *end)
{
	size_t depth = 0;

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
				return c;
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
				c = skip_tok_chars(c, end);
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
#if defined(__SSE2__)
	{
		bool line_done;

		c = lex_line_fast(p, s, c, end, &line_done);
		if (line_done || p->stop) {
			s->cur = (const char *)c;
			return true;
		}
	}
#endif
	s->cur = (const char *)lex_rest(p, s, c, end);
	return true;
}

/* ------------------------------------------------------------------ */
/* rdata                                                               */

/* An rdata name for the fast path. FAST_DECLINE where ldns would do
 * something of its own (quoted token, a leading "@" label, and with
 * cr_to_ldns an escaped carriage return, which ldns reads as a blank). */
static inline int fast_name(struct parser *p, const struct pstate *st, const struct tok *t,
			    size_t *w, const char **err, bool cr_to_ldns)
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
	if (!name_fast(t->s, t->len, st->origin, st->origin_len, out, &len)) {
		if (cr_to_ldns && memchr(t->s, '\r', t->len) != NULL)
			return FAST_DECLINE;
		*err = name_from_text(t->s, t->len, st->origin, st->origin_len, out, &len);
		if (*err != NULL)
			return FAST_ERROR;
	}
	if (len > 1 && out[0] == 1 && out[1] == '@')
		return FAST_DECLINE;
	*w += len;
	return FAST_OK;
}

/* fast_name() for the types added to the fast path later, which leave
 * every problem to ldns so that its diagnostics stay as they were. */
static inline bool fast_name_ok(struct parser *p, const struct pstate *st, const struct tok *t,
				size_t *w)
{
	const char *err = NULL;

	return fast_name(p, st, t, w, &err, true) == FAST_OK;
}

static inline bool fast_ip(const struct tok *t, int af, uint8_t *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (t->quoted || t->len >= sizeof(buf))
		return false;
	if (af == AF_INET ? ip4_from_text(t->s, t->len, out) : ip6_from_text(t->s, t->len, out))
		return true;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return inet_pton(af, buf, out) == 1;
}

/*
 * One <character-string> of TXT rdata at p->rdata + *w: its length octet
 * and its text with escapes resolved. FAST_DECLINE for what ldns reads
 * differently (an unquoted token with a quote in it) or refuses (more
 * than 255 octets, a bad escape).
 */
static inline int put_charstr(struct parser *p, const struct tok *t, size_t *w, const char **err)
{
	size_t lpos;
	size_t cnt = 0;
	size_t i = 0;

	if (!t->quoted && memchr(t->s, '"', t->len) != NULL)
		return FAST_DECLINE;
	if (*w >= MAX_RDATA) {
		*err = "rdata longer than 65535 octets";
		return FAST_ERROR;
	}
	/* no escape, fits: a plain copy */
	if (t->len <= 255 && *w + 1 + t->len <= MAX_RDATA && memchr(t->s, '\\', t->len) == NULL) {
		p->rdata[*w] = (uint8_t)t->len;
		memcpy(p->rdata + *w + 1, t->s, t->len);
		*w += 1 + t->len;
		return FAST_OK;
	}
	lpos = (*w)++;
	while (i < t->len) {
		uint8_t ch;

		if (!text_char(t->s, t->len, &i, &ch) || cnt == 255)
			return FAST_DECLINE;
		if (*w >= MAX_RDATA) {
			*err = "rdata longer than 65535 octets";
			return FAST_ERROR;
		}
		p->rdata[(*w)++] = ch;
		cnt++;
	}
	p->rdata[lpos] = (uint8_t)cnt;
	return FAST_OK;
}

static int fast_txt(struct parser *p, const struct tok *r, size_t n, const char **err)
{
	size_t w = 0;

	for (size_t k = 0; k < n; k++) {
		int rc = put_charstr(p, &r[k], &w, err);

		if (rc != FAST_OK)
			return rc;
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

/* ------------------------------------------------------------------ */
/* fields of the other types of the fast path                          */

/*
 * The types below were added to the fast path after the first ones. They
 * take only rdata that ldns reads in one obvious way and give every other
 * case to ldns (false: decline), errors included, so that what is accepted,
 * refused and reported for them is what it was when ldns read them all.
 */

/* ldns_rdata() would take the text: not longer than MAX_LDNS_TEXT, and no
 * "\#" field, which ldns reads as the start of RFC 3597 rdata anywhere. */
static bool plain_for_ldns(const struct tok *r, size_t n)
{
	size_t need = 32;

	for (size_t k = 0; k < n; k++) {
		if (!r[k].quoted && r[k].len == 2 && r[k].s[0] == '\\' && r[k].s[1] == '#')
			return false;
		need += r[k].len + 3;
	}
	return need <= MAX_LDNS_TEXT + 32;
}

/* A <character-string> field (HINFO, NAPTR, SPF). ldns reads a carriage
 * return, quoted or escaped, as a blank: left to it. */
static inline bool put_str_field(struct parser *p, const struct tok *t, size_t *w)
{
	const char *err = NULL;

	if (memchr(t->s, '\r', t->len) != NULL)
		return false;
	return put_charstr(p, t, w, &err) == FAST_OK;
}

/* The value of CAA and URI: quoted text, escapes resolved, no length
 * octet; ldns refuses it unquoted. */
static bool put_long_str(struct parser *p, const struct tok *t, size_t *w)
{
	size_t i = 0;

	if (!t->quoted || t->len == 0 || *w + t->len > MAX_RDATA ||
	    memchr(t->s, '\r', t->len) != NULL)
		return false;
	while (i < t->len) {
		uint8_t ch;

		if (!text_char(t->s, t->len, &i, &ch))
			return false;
		p->rdata[(*w)++] = ch;
	}
	return true;
}

/* The tag of CAA: 1 to 255 letters and digits, after a length octet. */
static bool put_tag(struct parser *p, const struct tok *t, size_t *w)
{
	if (t->quoted || t->len == 0 || t->len > 255)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];

		if (!is_digit(c) && !(ascii_upper(c) >= 'A' && ascii_upper(c) <= 'Z'))
			return false;
	}
	p->rdata[(*w)++] = (uint8_t)t->len;
	memcpy(p->rdata + *w, t->s, t->len);
	*w += t->len;
	return true;
}

static inline bool put_u8(struct parser *p, const struct tok *t, size_t *w)
{
	uint32_t v;

	if (!fast_uint(t, 255, &v))
		return false;
	p->rdata[(*w)++] = (uint8_t)v;
	return true;
}

static inline bool put_u16(struct parser *p, const struct tok *t, size_t *w)
{
	uint32_t v;

	if (!fast_uint(t, 65535, &v))
		return false;
	put16(p->rdata + *w, v);
	*w += 2;
	return true;
}

static inline bool put_u32(struct parser *p, const struct tok *t, size_t *w)
{
	uint32_t v;

	if (!fast_uint(t, UINT32_MAX, &v))
		return false;
	put32(p->rdata + *w, v);
	*w += 4;
	return true;
}

/* Hex digits over the tokens (DS digest, TLSA data...): an even number of
 * them, at least two. */
static bool put_hex(struct parser *p, const struct tok *r, size_t n, size_t *w)
{
	size_t start = *w;
	int hi = -1;

	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < r[k].len; i++) {
			int x = (int)hex1[(uint8_t)r[k].s[i]] - 1;

			if (x < 0)
				return false;
			if (hi < 0) {
				hi = x;
				continue;
			}
			if (*w >= MAX_RDATA)
				return false;
			p->rdata[(*w)++] = (uint8_t)(hi << 4 | x);
			hi = -1;
		}
	}
	return hi < 0 && *w > start;
}

/*
 * Base64 over the tokens (keys, signatures) in its canonical form only:
 * whole quanta, padding only at the end, unused bits zero. Anything else,
 * including "-" and "0" for empty data, is ldns's to read.
 */
static bool put_b64(struct parser *p, const struct tok *r, size_t n, size_t *w)
{
	uint32_t acc = 0;
	size_t nchars = 0;
	size_t pad = 0;

	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < r[k].len; i++) {
			char c = r[k].s[i];
			int v;

			if (c == '=') {
				if (++pad > 2)
					return false;
				nchars++;
				continue;
			}
			v = b64_val(c);
			if (v < 0 || pad > 0)
				return false;
			acc = acc << 6 | (uint32_t)v;
			if (++nchars % 4 == 0) {
				if (*w + 3 > MAX_RDATA)
					return false;
				p->rdata[(*w)++] = (uint8_t)(acc >> 16);
				p->rdata[(*w)++] = (uint8_t)(acc >> 8);
				p->rdata[(*w)++] = (uint8_t)acc;
				acc = 0;
			}
		}
	}
	if (nchars == 0 || nchars % 4 != 0)
		return false;
	if (pad == 1) { /* 18 bits: two octets and 2 unused bits */
		if ((acc & 3) != 0 || *w + 2 > MAX_RDATA)
			return false;
		p->rdata[(*w)++] = (uint8_t)(acc >> 10);
		p->rdata[(*w)++] = (uint8_t)(acc >> 2);
	} else if (pad == 2) { /* 12 bits: one octet and 4 unused bits */
		if ((acc & 15) != 0 || *w + 1 > MAX_RDATA)
			return false;
		p->rdata[(*w)++] = (uint8_t)(acc >> 4);
	}
	return true;
}

/* A type in the RRSIG "type covered" field or a type bitmap: a mnemonic
 * of type_by_key() or TYPEnnn, nnn 1-65535. */
static bool type_field(const struct tok *t, uint16_t *out)
{
	uint32_t v;

	*out = type_by_word(word_key(t));
	if (*out != 0)
		return true;
	if (t->quoted || t->len <= 4 || !ieq(t->s, "TYPE", 4) ||
	    !parse_uint(t->s + 4, t->len - 4, 65535, &v) || v == 0)
		return false;
	*out = (uint16_t)v;
	return true;
}

#define MAX_FAST_BITMAP_TYPES 64

/* Type bitmap (RFC 4034 section 4.1.2) of the types r[0..n): windows in
 * ascending order, each as long as its highest type needs. */
static bool put_bitmap(struct parser *p, const struct tok *r, size_t n, size_t *w)
{
	uint16_t types[MAX_FAST_BITMAP_TYPES];
	size_t o = *w;

	if (n == 0 || n > MAX_FAST_BITMAP_TYPES)
		return false;
	for (size_t k = 0; k < n; k++) {
		uint16_t t;
		size_t j = k;

		if (!type_field(&r[k], &t))
			return false;
		while (j > 0 && types[j - 1] > t) {
			types[j] = types[j - 1];
			j--;
		}
		types[j] = t;
	}
	for (size_t k = 0; k < n;) {
		unsigned win = types[k] >> 8;
		size_t e = k;
		size_t len;

		while (e < n && (unsigned)(types[e] >> 8) == win)
			e++;
		len = (types[e - 1] & 0xffu) / 8 + 1;
		if (o + 2 + len > MAX_RDATA)
			return false;
		p->rdata[o] = (uint8_t)win;
		p->rdata[o + 1] = (uint8_t)len;
		memset(p->rdata + o + 2, 0, len);
		for (size_t j = k; j < e; j++)
			p->rdata[o + 2 + (types[j] & 0xffu) / 8] |=
				(uint8_t)(0x80u >> (types[j] & 7));
		o += 2 + len;
		k = e;
	}
	*w = o;
	return true;
}

/* NSEC3 salt: "-" for none, else 1 to 255 octets in hex, after a length
 * octet. */
static bool put_salt(struct parser *p, const struct tok *t, size_t *w)
{
	if (t->quoted)
		return false;
	if (t->len == 1 && t->s[0] == '-') {
		p->rdata[(*w)++] = 0;
		return true;
	}
	if (t->len == 0 || t->len % 2 != 0 || t->len > 510)
		return false;
	p->rdata[(*w)++] = (uint8_t)(t->len / 2);
	return put_hex(p, t, 1, w);
}

/* NSEC3 next hashed owner: base32hex without padding, in whole groups of
 * eight characters, after a length octet. */
static bool put_b32hex(struct parser *p, const struct tok *t, size_t *w)
{
	if (t->quoted || t->len == 0 || t->len % 8 != 0 || t->len * 5 / 8 > 255)
		return false;
	p->rdata[(*w)++] = (uint8_t)(t->len * 5 / 8);
	for (size_t i = 0; i < t->len; i += 8) {
		uint64_t acc = 0;

		for (size_t j = 0; j < 8; j++) {
			char c = t->s[i + j];
			unsigned v;

			if (is_digit(c))
				v = (unsigned)(c - '0');
			else if (ascii_upper(c) >= 'A' && ascii_upper(c) <= 'V')
				v = (unsigned)(ascii_upper(c) - 'A' + 10);
			else
				return false;
			acc = acc << 5 | v;
		}
		for (int j = 4; j >= 0; j--)
			p->rdata[(*w)++] = (uint8_t)(acc >> (8 * j));
	}
	return true;
}

/*
 * RRSIG inception and expiration: YYYYMMDDHHmmSS (UTC), or seconds since
 * the epoch, as ldns converts them: days from the fields (a day of month
 * up to 31 whatever the month), the result taken modulo 2^32.
 */
static bool time_field(const struct tok *t, uint32_t *out)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned f[14];
	unsigned year, mon, mday, hour, min, sec;
	int64_t days, y1, y2;

	if (t->quoted)
		return false;
	if (t->len != 14)
		return fast_uint(t, UINT32_MAX, out);
	for (size_t i = 0; i < 14; i++) {
		f[i] = (unsigned)(uint8_t)t->s[i] - '0';
		if (f[i] > 9)
			return false;
	}
	year = f[0] * 1000 + f[1] * 100 + f[2] * 10 + f[3];
	mon = f[4] * 10 + f[5];
	mday = f[6] * 10 + f[7];
	hour = f[8] * 10 + f[9];
	min = f[10] * 10 + f[11];
	sec = f[12] * 10 + f[13];
	if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 || min > 59 ||
	    sec > 59)
		return false;
	y1 = 1969;
	y2 = (int64_t)year - 1;
	days = 365 * ((int64_t)year - 1970) + (y2 / 4 - y1 / 4) - (y2 / 100 - y1 / 100) +
	       (y2 / 400 - y1 / 400);
	for (unsigned i = 0; i + 1 < mon; i++)
		days += mdays[i];
	if (mon > 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		days++;
	days += mday - 1;
	*out = (uint32_t)(((days * 24 + hour) * 60 + min) * 60 + sec);
	return true;
}

/* The rdata of the later fast-path types; false: left to ldns. */
static bool fast_more(struct parser *p, const struct pstate *st, uint16_t type, const struct tok *r,
		      size_t n)
{
	size_t w = 0;
	uint16_t covered;
	uint32_t v;

	if (!plain_for_ldns(r, n))
		return false;
	switch (type) {
	case LDNS_RR_TYPE_SPF:
		if (n == 0)
			return false;
		for (size_t k = 0; k < n; k++)
			if (!put_str_field(p, &r[k], &w))
				return false;
		break;
	case LDNS_RR_TYPE_HINFO:
		if (n != 2 || !put_str_field(p, &r[0], &w) || !put_str_field(p, &r[1], &w))
			return false;
		break;
	case LDNS_RR_TYPE_NAPTR:
		if (n != 6 || !put_u16(p, &r[0], &w) || !put_u16(p, &r[1], &w) ||
		    !put_str_field(p, &r[2], &w) || !put_str_field(p, &r[3], &w) ||
		    !put_str_field(p, &r[4], &w) || !fast_name_ok(p, st, &r[5], &w))
			return false;
		break;
	case LDNS_RR_TYPE_CAA:
		if (n != 3 || !put_u8(p, &r[0], &w) || !put_tag(p, &r[1], &w) ||
		    !put_long_str(p, &r[2], &w))
			return false;
		break;
	case LDNS_RR_TYPE_URI:
		if (n != 3 || !put_u16(p, &r[0], &w) || !put_u16(p, &r[1], &w) ||
		    !put_long_str(p, &r[2], &w))
			return false;
		break;
	case LDNS_RR_TYPE_SRV:
		if (n != 4 || !put_u16(p, &r[0], &w) || !put_u16(p, &r[1], &w) ||
		    !put_u16(p, &r[2], &w) || !fast_name_ok(p, st, &r[3], &w))
			return false;
		break;
	case LDNS_RR_TYPE_KX:
	case LDNS_RR_TYPE_AFSDB:
	case LDNS_RR_TYPE_RT:
		if (n != 2 || !put_u16(p, &r[0], &w) || !fast_name_ok(p, st, &r[1], &w))
			return false;
		break;
	case LDNS_RR_TYPE_DNAME:
		if (n != 1 || !fast_name_ok(p, st, &r[0], &w))
			return false;
		break;
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_CDNSKEY:
	case LDNS_RR_TYPE_KEY:
		if (n < 4 || !put_u16(p, &r[0], &w) || !put_u8(p, &r[1], &w) ||
		    !put_u8(p, &r[2], &w) || !put_b64(p, r + 3, n - 3, &w))
			return false;
		break;
	case LDNS_RR_TYPE_RRSIG:
		if (n < 9 || !type_field(&r[0], &covered))
			return false;
		put16(p->rdata, covered);
		w = 2;
		if (!put_u8(p, &r[1], &w) || !put_u8(p, &r[2], &w) || !put_u32(p, &r[3], &w) ||
		    !time_field(&r[4], &v))
			return false;
		put32(p->rdata + w, v);
		w += 4;
		if (!time_field(&r[5], &v))
			return false;
		put32(p->rdata + w, v);
		w += 4;
		if (!put_u16(p, &r[6], &w) || !fast_name_ok(p, st, &r[7], &w) ||
		    !put_b64(p, r + 8, n - 8, &w))
			return false;
		break;
	case LDNS_RR_TYPE_NSEC:
		if (n < 1 || !fast_name_ok(p, st, &r[0], &w))
			return false;
		if (n > 1 && !put_bitmap(p, r + 1, n - 1, &w))
			return false;
		break;
	case LDNS_RR_TYPE_NSEC3:
		if (n < 5 || !put_u8(p, &r[0], &w) || !put_u8(p, &r[1], &w) ||
		    !put_u16(p, &r[2], &w) || !put_salt(p, &r[3], &w) || !put_b32hex(p, &r[4], &w))
			return false;
		if (n > 5 && !put_bitmap(p, r + 5, n - 5, &w))
			return false;
		break;
	case LDNS_RR_TYPE_NSEC3PARAM:
		if (n != 4 || !put_u8(p, &r[0], &w) || !put_u8(p, &r[1], &w) ||
		    !put_u16(p, &r[2], &w) || !put_salt(p, &r[3], &w))
			return false;
		break;
	case LDNS_RR_TYPE_CDS:
	case LDNS_RR_TYPE_DLV:
	case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_SMIMEA:
		if (n < 4 ||
		    !(type == LDNS_RR_TYPE_CDS || type == LDNS_RR_TYPE_DLV
			      ? put_u16(p, &r[0], &w)
			      : put_u8(p, &r[0], &w)) ||
		    !put_u8(p, &r[1], &w) || !put_u8(p, &r[2], &w) || !put_hex(p, r + 3, n - 3, &w))
			return false;
		break;
	case LDNS_RR_TYPE_SSHFP:
		if (n < 3 || !put_u8(p, &r[0], &w) || !put_u8(p, &r[1], &w) ||
		    !put_hex(p, r + 2, n - 2, &w))
			return false;
		break;
	default: return false;
	}
	p->rdlen = w;
	return true;
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

	switch (type) {
	case LDNS_RR_TYPE_TXT: return n > 0 ? fast_txt(p, r, n, err) : FAST_DECLINE;
	case LDNS_RR_TYPE_IPSECKEY: return own_ipseckey(p, st, r, n, err);
	case LDNS_RR_TYPE_WKS: return own_wks(p, r, n, err);
	case LDNS_RR_TYPE_CERT:
		if (n > 0 && cert_type_zero(&r[0])) {
			*err = "CERT type 0 is reserved";
			return FAST_ERROR;
		}
		return FAST_DECLINE;
	case LDNS_RR_TYPE_SPF:
	case LDNS_RR_TYPE_HINFO:
	case LDNS_RR_TYPE_NAPTR:
	case LDNS_RR_TYPE_CAA:
	case LDNS_RR_TYPE_URI: /* fields that may be quoted */
		return fast_more(p, st, type, r, n) ? FAST_OK : FAST_DECLINE;
	default: break;
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
		rc = fast_name(p, st, &r[0], &w, err, false);
		break;
	case LDNS_RR_TYPE_MX:
		if (n != 2 || !fast_uint(&r[0], 65535, &v))
			return FAST_DECLINE;
		put16(p->rdata, v);
		w = 2;
		rc = fast_name(p, st, &r[1], &w, err, false);
		break;
	case LDNS_RR_TYPE_SOA:
		if (n != 7)
			return FAST_DECLINE;
		rc = fast_name(p, st, &r[0], &w, err, false);
		if (rc != FAST_OK)
			return rc;
		rc = fast_name(p, st, &r[1], &w, err, false);
		if (rc != FAST_OK)
			return rc;
		if (!fast_uint(&r[2], UINT32_MAX, &v))
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
	case LDNS_RR_TYPE_DS:
		if (n < 4 || !fast_uint(&r[0], 65535, &v))
			return FAST_DECLINE;
		put16(p->rdata, v);
		w = 2;
		if (!put_u8(p, &r[1], &w) || !put_u8(p, &r[2], &w) || !put_hex(p, r + 3, n - 3, &w))
			return FAST_DECLINE;
		rc = FAST_OK;
		break;
	default: return fast_more(p, st, type, r, n) ? FAST_OK : FAST_DECLINE;
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
	uint64_t key = 0;
	size_t key_at = SIZE_MAX;
	int rc;

	if (!omitted_owner) {
		if (t[0].quoted) {
			report(p, code, ZW_SEV_ERROR, file, line, "owner name must not be quoted");
			return -1;
		}
		if (t[0].len != p->owner_text_len || st->origin_gen != p->owner_text_gen ||
		    !equal_padded(t[0].s, p->owner_text, t[0].len)) {
			p->owner_text_len = 0;
			if (!name_fast(t[0].s, t[0].len, st->origin, st->origin_len, p->owner,
				       &p->owner_len)) {
				err = name_from_text(t[0].s, t[0].len, st->origin, st->origin_len,
						     p->owner, &p->owner_len);
				if (err != NULL) {
					report(p, code, ZW_SEV_ERROR, file, line,
					       "bad owner name '%s': %s",
					       excerpt(ex, sizeof(ex), t[0].s, t[0].len), err);
					return -1;
				}
			}
			if (t[0].len <= MAX_NAME) {
				copy_padded(p->owner_text, t[0].s, t[0].len);
				p->owner_text_len = t[0].len;
				p->owner_text_gen = st->origin_gen;
			}
		}
		if (!keep_prev) {
			copy_padded(st->prev, p->owner, p->owner_len);
			st->prev_len = p->owner_len;
		}
		i = 1;
	} else {
		if (st->prev_len == 0) {
			report(p, code, ZW_SEV_ERROR, file, line,
			       "owner name omitted but there is no previous owner");
			return -1;
		}
		copy_padded(p->owner, st->prev, st->prev_len);
		p->owner_len = st->prev_len;
		p->owner_text_len = 0;
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
		key = word_key(&t[i]);
		key_at = i;
		if (!have_class && class_of(&t[i], key, &rclass)) {
			have_class = true;
			continue;
		}
		break;
	}
	if (i >= n) {
		report(p, code, ZW_SEV_ERROR, file, line, "missing RR type");
		return -1;
	}
	if (key_at != i)
		key = word_key(&t[i]);
	if (!type_of(&t[i], key, &type)) {
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
	if (reserve(&p->gbuf, &p->gcap, p->glen + len + READ_PAD) < 0) {
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

/* Reads a whole file into a malloc'd buffer followed by READ_PAD zero
 * bytes. */
static int read_fd(int fd, const struct stat *sb, char **out, size_t *outlen)
{
	size_t cap = 65536;
	size_t len = 0;
	char *buf;

	if (S_ISREG(sb->st_mode) && sb->st_size > 0) {
		if ((uint64_t)sb->st_size >= SIZE_MAX - READ_PAD)
			return -EFBIG;
		cap = (size_t)sb->st_size + READ_PAD;
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
	if (cap - len < READ_PAD) {
		char *n = realloc(buf, len + READ_PAD);

		if (n == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = n;
	}
	memset(buf + len, 0, READ_PAD);
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
		sub.origin_gen = ++p->origin_gens;
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

/* An entry that starts with '$' in the first column. */
static __attribute__((noinline)) void process_directive(struct parser *p, struct pstate *st,
							const struct src *s, unsigned depth)
{
	const struct tok *t = p->toks;
	size_t n = p->ntok;
	const char *file = s->name;
	unsigned line = p->line;
	const char *err;
	char ex[80];

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
		st->origin_gen = ++p->origin_gens;
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

static inline void process_entry(struct parser *p, struct pstate *st, const struct src *s,
				 unsigned depth)
{
	const struct tok *t = p->toks;

	if (p->ntok == 0)
		return;
	if (p->leading_ws || t[0].quoted || t[0].s[0] != '$') {
		process_rr(p, st, s->name, p->line, t, p->ntok, p->leading_ws, ZW_D_SYNTAX, false);
		return;
	}
	process_directive(p, st, s, depth);
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
	if (!grow_toks(p)) {
		free(p);
		return NULL;
	}
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
	st->origin_gen = ++p->origin_gens;
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
	char *copy;
	int rc;

	if (opts == NULL || opts->on_rr == NULL || (text == NULL && len > 0))
		return -EINVAL;
	if (name == NULL)
		name = "<buffer>";
	/* a copy followed by READ_PAD bytes */
	if (len > SIZE_MAX - READ_PAD)
		return -ENOMEM;
	copy = malloc(len + READ_PAD);
	if (copy == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, text, len);
	memset(copy + len, 0, READ_PAD);
	rc = parse_top(name, copy, len, opts, NULL);
	free(copy);
	return rc;
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
