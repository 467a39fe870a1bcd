/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "zw_err.h"

const char *zw_strerror(int code)
{
	switch (code) {
	case ZW_EOK: return "success";
	case ZW_ESYNTAX: return "master file syntax error";
	case ZW_EZONE: return "zone failed validation";
	case ZW_EIMGMAGIC: return "not a zonewire zone image (bad magic)";
	case ZW_EIMGVER: return "unsupported zone image format version";
	case ZW_EIMGTRUNC: return "zone image is truncated";
	case ZW_EIMGSUM: return "zone image checksum mismatch";
	case ZW_EIMGBOUNDS: return "zone image offset out of bounds";
	case ZW_EIMGCORRUPT: return "zone image structure is inconsistent";
	case ZW_ETOOBIG: return "zone exceeds a limit of the image format";
	case ZW_EINCLUDE: return "$INCLUDE refused or nested too deeply";
	case ZW_ENAME: return "malformed domain name";
	case ZW_ENOTFOUND: return "not found";
	default:
		if (code < 0 && code > -1000)
			return strerror(-code);
		return "unknown error";
	}
}
