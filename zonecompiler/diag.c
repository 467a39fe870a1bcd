/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include "diag.h"

static const char *const diag_names[ZW_D_CODE_MAX] = {
	[ZW_D_SYNTAX] = "syntax",
	[ZW_D_INCLUDE] = "include",
	[ZW_D_GENERATE] = "generate",
	[ZW_D_NO_TTL] = "no-ttl",
	[ZW_D_CLASS] = "class",
	[ZW_D_NO_SOA] = "no-soa",
	[ZW_D_MULTI_SOA] = "multi-soa",
	[ZW_D_SOA_NOT_APEX] = "soa-not-apex",
	[ZW_D_NO_APEX_NS] = "no-apex-ns",
	[ZW_D_CNAME_OTHER] = "cname-other",
	[ZW_D_MULTI_CNAME] = "multi-cname",
	[ZW_D_OUT_OF_ZONE] = "out-of-zone",
	[ZW_D_GLUE_MISSING] = "glue-missing",
	[ZW_D_BAD_HOSTNAME] = "bad-hostname",
	[ZW_D_TOO_MANY_NS] = "too-many-ns",
	[ZW_D_DNAME_CHILDREN] = "dname-children",
	[ZW_D_OCCLUDED] = "occluded",
	[ZW_D_TTL_MISMATCH] = "ttl-mismatch",
	[ZW_D_DUPLICATE] = "duplicate",
	[ZW_D_TOO_BIG] = "too-big",
	[ZW_D_BAD_RDATA] = "bad-rdata",
	[ZW_D_SIG_EXPIRY] = "sig-expiry",
	[ZW_D_NSEC_CHAIN] = "nsec-chain",
	[ZW_D_NO_DNSKEY] = "no-dnskey",
};

const char *zw_diag_name(enum zw_diag_code code)
{
	if ((unsigned)code < ZW_D_CODE_MAX && diag_names[code] != NULL)
		return diag_names[code];
	return "unknown";
}
