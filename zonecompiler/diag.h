/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diagnostics of the master-file parser and the zone compiler.
 *
 * Every problem found in a zone is reported through one callback with a
 * stable code, a severity, the file and line of the record concerned, and a
 * message. Tests assert on codes and lines, operators read the message.
 */
#ifndef ZW_DIAG_H
#define ZW_DIAG_H

enum zw_severity {
	ZW_SEV_WARNING = 1,
	ZW_SEV_ERROR = 2,
};

enum zw_diag_code {
	/* parser */
	ZW_D_SYNTAX = 1, /* unparsable entry (bad RR, bad directive) */
	ZW_D_INCLUDE,	 /* $INCLUDE disabled, unreadable or too deep */
	ZW_D_GENERATE,	 /* bad $GENERATE */
	ZW_D_NO_TTL,	 /* TTL omitted before any $TTL or explicit TTL */
	/* compiler */
	ZW_D_CLASS,	     /* class other than IN */
	ZW_D_NO_SOA,	     /* no SOA record */
	ZW_D_MULTI_SOA,	     /* more than one SOA record */
	ZW_D_SOA_NOT_APEX,   /* SOA owner is not the origin */
	ZW_D_NO_APEX_NS,     /* no NS RRset at the apex */
	ZW_D_CNAME_OTHER,    /* CNAME beside other data */
	ZW_D_MULTI_CNAME,    /* more than one CNAME at a name */
	ZW_D_OUT_OF_ZONE,    /* owner outside the origin */
	ZW_D_GLUE_MISSING,   /* in-domain name server without A/AAAA glue */
	ZW_D_BAD_HOSTNAME,   /* name-server host name not a valid host name */
	ZW_D_TOO_MANY_NS,    /* delegation with more NS than the limit */
	ZW_D_DNAME_CHILDREN, /* DNAME with names below it */
	ZW_D_OCCLUDED,	     /* data below a delegation that is not glue */
	ZW_D_TTL_MISMATCH,   /* RRset with mixed TTLs (normalised to lowest) */
	ZW_D_DUPLICATE,	     /* duplicate RR (dropped) */
	ZW_D_TOO_BIG,	     /* RRset or zone too large for the image format */
	ZW_D_BAD_RDATA,	     /* rdata malformed for its type */
	ZW_D_SIG_EXPIRY,     /* RRSIG expired or expiring soon */
	ZW_D_NSEC_CHAIN,     /* broken NSEC/NSEC3 chain */
	ZW_D_NO_DNSKEY,	     /* signed data without apex DNSKEY */
	ZW_D_CODE_MAX
};

struct zw_diag {
	enum zw_diag_code code;
	enum zw_severity severity;
	const char *file; /* may be NULL when no single record is concerned */
	unsigned line;	  /* 0 when unknown */
	const char *msg;  /* valid only during the callback */
};

typedef void (*zw_diag_fn)(void *ctx, const struct zw_diag *d);

/* Short stable name of a code ("cname-other", "no-soa", ...). */
const char *zw_diag_name(enum zw_diag_code code);

#endif /* ZW_DIAG_H */
