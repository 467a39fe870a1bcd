/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Master-file reader behind a push interface.
 *
 * The reader turns RFC 1035 master files into resource records in wire form
 * and pushes them, one call per RR, to the caller. Nothing above this
 * interface knows how the text is parsed, so the ldns-based implementation
 * can be replaced by a faster parser without touching the compiler.
 *
 * Supported: $ORIGIN, $TTL, $INCLUDE (relative to the including file's
 * directory; can be disabled), $GENERATE (BIND syntax, including
 * ${offset,width,base} modifiers), RFC 3597 generic types and rdata,
 * TTL units (1h30m), parentheses across lines, comments, quoted strings,
 * \DDD and \X escapes, '@', and omitted owner, TTL and class.
 *
 * Threading: the functions are reentrant; callbacks run on the caller's
 * thread. Pointers passed to callbacks are valid only during the call.
 */
#ifndef ZW_ZONE_PARSE_H
#define ZW_ZONE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* One resource record, as pushed to zw_rr_fn. */
struct zw_rr {
	const uint8_t *owner; /* uncompressed wire name, letter case as written */
	uint16_t owner_len;
	uint16_t type;
	uint16_t rclass;
	uint16_t rdlen;
	uint32_t ttl;
	const uint8_t *rdata; /* wire form, embedded names uncompressed */
	const char *file;     /* file the RR was read from */
	unsigned line;	      /* line on which the RR's entry starts */
};

/* Returns 0 to continue; any other value stops parsing and is returned by
 * zw_parse_file()/zw_parse_buffer(). */
typedef int (*zw_rr_fn)(void *ctx, const struct zw_rr *rr);

enum zw_parse_flags {
	ZW_PARSE_NO_INCLUDE = 1 << 0, /* refuse $INCLUDE (untrusted input) */
};

struct zw_parse_opts {
	const char *origin;	    /* initial $ORIGIN, absolute, e.g. "example.com." */
	uint32_t default_ttl;	    /* TTL used when none is given and no $TTL seen */
	unsigned flags;		    /* enum zw_parse_flags */
	unsigned max_include_depth; /* 0 means the default (8); at most 64.
				     * An included file starts with the
				     * includer's origin and TTL; both are
				     * restored after it. */
	unsigned max_generate;	    /* max RRs per $GENERATE; 0 means 65536 */
	unsigned max_errors;	    /* stop after this many; 0 means 100 */
	zw_rr_fn on_rr;
	zw_diag_fn on_diag; /* may be NULL */
	void *ctx;	    /* passed to both callbacks */
};

/*
 * Reads a master file and pushes every RR to opts->on_rr.
 *
 * Syntax errors are reported through opts->on_diag with file:line and parsing
 * goes on with the next entry (up to max_errors), so one run shows every
 * error; records made by a bad $GENERATE are reported as ZW_D_GENERATE.
 * Returns 0 if the whole file was read without error; otherwise, the first
 * that applies of: the callback's non-zero return value, -ENOMEM, the first
 * failed $INCLUDE (ZW_EINCLUDE when refused, -errno when unreadable),
 * ZW_ESYNTAX if any entry was rejected, or -errno when the file itself
 * cannot be read.
 */
int zw_parse_file(const char *path, const struct zw_parse_opts *opts);

/*
 * Same as zw_parse_file() over text in memory. name is used in diagnostics
 * and as the base directory for relative $INCLUDE paths (its dirname).
 */
int zw_parse_buffer(const char *name, const char *text, size_t len,
		    const struct zw_parse_opts *opts);

#endif /* ZW_ZONE_PARSE_H */
