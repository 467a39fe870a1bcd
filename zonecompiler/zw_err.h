/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewire error codes.
 *
 * Every function that can fail returns an int: 0 on success, a negative
 * errno (-ENOMEM, -EINVAL, -EIO, ...) or one of the project-specific codes
 * below (all below -1000). zw_strerror() describes any of them.
 */
#ifndef ZW_ERR_H
#define ZW_ERR_H

enum zw_err {
	ZW_EOK = 0,
	ZW_ESYNTAX = -1001,	/* master-file syntax error */
	ZW_EZONE = -1002,	/* zone failed validation */
	ZW_EIMGMAGIC = -1010,	/* not a zone image */
	ZW_EIMGVER = -1011,	/* unsupported image format version */
	ZW_EIMGTRUNC = -1012,	/* image shorter than its header says */
	ZW_EIMGSUM = -1013,	/* image checksum mismatch */
	ZW_EIMGBOUNDS = -1014,	/* an offset or count points outside the image */
	ZW_EIMGCORRUPT = -1015, /* image structure inconsistent */
	ZW_ETOOBIG = -1020,	/* a limit of the image format was exceeded */
	ZW_EINCLUDE = -1021,	/* $INCLUDE refused or nested too deeply */
	ZW_ENAME = -1022,	/* malformed domain name */
	ZW_ENOTFOUND = -1030,	/* no such zone / node */
};

/* Returns a static, human-readable description of an error code. */
const char *zw_strerror(int code);

#endif /* ZW_ERR_H */
