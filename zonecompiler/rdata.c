/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "name.h"
#include "rdata.h"
#include "zw_err.h"

static int take_name(const uint8_t *rdata, unsigned rdlen, unsigned off, struct zw_rdata_names *nm)
{
	if (off >= rdlen)
		return -EINVAL;
	int l = zw_name_len(rdata + off, rdlen - off);
	if (l < 0)
		return l;
	nm->off[nm->n] = (uint16_t)off;
	nm->len[nm->n] = (uint16_t)l;
	nm->n++;
	return l;
}

int zw_rdata_names(uint16_t type, const uint8_t *rdata, unsigned rdlen, struct zw_rdata_names *nm)
{
	int l;

	memset(nm, 0, sizeof(*nm));
	switch (type) {
	case ZW_T_NS:
	case ZW_T_MD:
	case ZW_T_MF:
	case ZW_T_CNAME:
	case ZW_T_MB:
	case ZW_T_MG:
	case ZW_T_MR:
	case ZW_T_PTR:
		nm->compress = true;
		/* fall through */
	case ZW_T_DNAME:
		l = take_name(rdata, rdlen, 0, nm);
		if (l < 0)
			return l;
		return (unsigned)l == rdlen ? 0 : -EINVAL;
	case ZW_T_SOA:
		nm->compress = true;
		if ((l = take_name(rdata, rdlen, 0, nm)) < 0)
			return l;
		{
			int l2 = take_name(rdata, rdlen, (unsigned)l, nm);
			if (l2 < 0)
				return l2;
			return (unsigned)(l + l2 + 20) == rdlen ? 0 : -EINVAL;
		}
	case ZW_T_MINFO:
		nm->compress = true;
		/* fall through */
	case ZW_T_RP:
		if ((l = take_name(rdata, rdlen, 0, nm)) < 0)
			return l;
		{
			int l2 = take_name(rdata, rdlen, (unsigned)l, nm);
			if (l2 < 0)
				return l2;
			return (unsigned)(l + l2) == rdlen ? 0 : -EINVAL;
		}
	case ZW_T_MX:
		nm->compress = true;
		/* fall through */
	case ZW_T_AFSDB:
	case ZW_T_RT:
	case ZW_T_KX:
		if ((l = take_name(rdata, rdlen, 2, nm)) < 0)
			return l;
		return (unsigned)l + 2 == rdlen ? 0 : -EINVAL;
	case ZW_T_SRV:
		if ((l = take_name(rdata, rdlen, 6, nm)) < 0)
			return l;
		return (unsigned)l + 6 == rdlen ? 0 : -EINVAL;
	case ZW_T_A: return rdlen == 4 ? 0 : -EINVAL;
	case ZW_T_AAAA: return rdlen == 16 ? 0 : -EINVAL;
	default: return 0;
	}
}

void zw_rdata_canon(uint16_t type, const uint8_t *rdata, unsigned rdlen,
		    const struct zw_rdata_names *nm, uint8_t *dst)
{
	memcpy(dst, rdata, rdlen);
	(void)type;
	for (unsigned i = 0; i < nm->n; i++)
		zw_name_lower(dst + nm->off[i], rdata + nm->off[i]);
}
