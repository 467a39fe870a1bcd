/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewire-query: answers queries from zone images in-process, with the
 * server's own answer engine, so a compiled zone can be checked before it is
 * pushed to the sites.
 *
 *   zonewire-query -z A.zwi [-z B.zwi ...] [options] NAME [TYPE] [CLASS] [+dnssec]
 *                  [+bufsize=N] [+tcp] [+nsid] [+norec]
 *   zonewire-query -z A.zwi [...] --wire [--tcp]
 *
 * The first form prints the response the way dig does. The second reads one
 * hex-encoded query per line on standard input and writes one hex-encoded
 * response per line (an empty line when the engine sends nothing), flushing
 * after each line.
 *
 * Exit status: 0 success, 1 an image could not be loaded, 2 usage error.
 */
#include <ctype.h>
#include <getopt.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "image.h"
#include "lookup.h"
#include "zw_err.h"

#define MAX_ZONES 256
#define BUF_MAX	  65536

static void usage(FILE *f)
{
	fprintf(f, "Usage: zonewire-query -z ZONE.zwi [-z ...] [options] NAME [TYPE] [CLASS] "
		   "[+dnssec]\n"
		   "                      [+bufsize=N] [+tcp] [+nsid] [+norec]\n"
		   "       zonewire-query -z ZONE.zwi [-z ...] [options] --wire [--tcp]\n"
		   "\n"
		   "Options:\n"
		   "  -z, --zone FILE        load a zone image (repeatable)\n"
		   "      --nsid ID          answer NSID requests with ID (RFC 5001)\n"
		   "      --id-server S      CHAOS id.server answer (default: hidden)\n"
		   "      --hostname-bind S  CHAOS hostname.bind answer (default: hidden)\n"
		   "      --version-bind S   CHAOS version.bind answer (default: hidden)\n"
		   "      --edns-size N      our EDNS buffer size (default 1232)\n"
		   "  -w, --wire             hex queries on stdin, hex responses on stdout\n"
		   "      --tcp              TCP semantics for --wire\n"
		   "  -h, --help             this text\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int run_wire(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, unsigned flags)
{
	static uint8_t q[BUF_MAX], out[BUF_MAX];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		size_t qlen = 0;
		int hi = -1;
		bool bad = false;
		for (ssize_t i = 0; i < n; i++) {
			if (isspace((unsigned char)line[i]))
				continue;
			int v = hexval((unsigned char)line[i]);
			if (v < 0 || qlen >= sizeof(q)) {
				bad = true;
				break;
			}
			if (hi < 0) {
				hi = v;
			} else {
				q[qlen++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
		}
		int len = (bad || hi >= 0)
				  ? ZW_ANSWER_DROP
				  : zw_answer(cfg, zs, q, qlen, out, sizeof(out), flags, NULL);
		for (int i = 0; i < len; i++)
			printf("%02x", out[i]);
		putchar('\n');
		fflush(stdout);
	}
	free(line);
	return 0;
}

/* Builds a query the way dig does: RD set, EDNS when asked for. */
static int build_query(uint8_t *q, const char *name, uint16_t type, uint16_t cls, bool edns,
		       bool dnssec, uint16_t bufsize, bool nsid, bool rd)
{
	ldns_rdf *dn = NULL;

	if (ldns_str2rdf_dname(&dn, name) != LDNS_STATUS_OK)
		return -1;
	size_t nl = ldns_rdf_size(dn);
	uint16_t id = (uint16_t)(rand() & 0xffff);
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = rd ? 0x01 : 0;
	q[5] = 1;
	memcpy(q + 12, ldns_rdf_data(dn), nl);
	ldns_rdf_deep_free(dn);
	size_t o = 12 + nl;
	q[o++] = (uint8_t)(type >> 8);
	q[o++] = (uint8_t)type;
	q[o++] = (uint8_t)(cls >> 8);
	q[o++] = (uint8_t)cls;
	if (edns) {
		q[11] = 1;
		q[o++] = 0;
		q[o++] = 0;
		q[o++] = 41;
		q[o++] = (uint8_t)(bufsize >> 8);
		q[o++] = (uint8_t)bufsize;
		q[o++] = 0;
		q[o++] = 0;
		q[o++] = dnssec ? 0x80 : 0;
		q[o++] = 0;
		q[o++] = 0;
		q[o++] = nsid ? 4 : 0;
		if (nsid) {
			q[o++] = 0;
			q[o++] = 3;
			q[o++] = 0;
			q[o++] = 0;
		}
	}
	return (int)o;
}

static int run_one(const struct zw_answer_cfg *cfg, const struct zw_zoneset *zs, int argc,
		   char **argv, bool tcp)
{
	static uint8_t q[512], out[BUF_MAX];
	const char *name = NULL;
	uint16_t type = LDNS_RR_TYPE_A, cls = LDNS_RR_CLASS_IN;
	bool dnssec = false, edns = false, nsid = false, rd = true;
	unsigned long bufsize = 1232;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '+') {
			if (strcmp(a, "+dnssec") == 0) {
				dnssec = edns = true;
			} else if (strncmp(a, "+bufsize=", 9) == 0) {
				char *end;
				bufsize = strtoul(a + 9, &end, 10);
				if (*end != '\0' || bufsize > 65535) {
					fprintf(stderr, "zonewire-query: bad %s\n", a);
					return 2;
				}
				edns = true;
			} else if (strcmp(a, "+tcp") == 0) {
				tcp = true;
			} else if (strcmp(a, "+nsid") == 0) {
				nsid = edns = true;
			} else if (strcmp(a, "+norec") == 0) {
				rd = false;
			} else {
				fprintf(stderr, "zonewire-query: unknown option %s\n", a);
				return 2;
			}
			continue;
		}
		if (name == NULL) {
			name = a;
			continue;
		}
		ldns_rr_type t = ldns_get_rr_type_by_name(a);
		ldns_rr_class c = ldns_get_rr_class_by_name(a);
		if (t != 0)
			type = (uint16_t)t;
		else if (c != 0)
			cls = (uint16_t)c;
		else {
			fprintf(stderr, "zonewire-query: unknown type or class %s\n", a);
			return 2;
		}
	}
	if (name == NULL) {
		usage(stderr);
		return 2;
	}
	int qlen = build_query(q, name, type, cls, edns, dnssec, (uint16_t)bufsize, nsid, rd);
	if (qlen < 0) {
		fprintf(stderr, "zonewire-query: bad name %s\n", name);
		return 2;
	}
	int len = zw_answer(cfg, zs, q, (size_t)qlen, out, sizeof(out), tcp ? ZW_ANS_TCP : 0, NULL);
	if (len == ZW_ANSWER_DROP) {
		printf(";; no response (the query is dropped)\n");
		return 0;
	}
	if (len == ZW_ANSWER_PUNT) {
		printf(";; handled by the control plane (zone transfer or NOTIFY)\n");
		return 0;
	}
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, out, (size_t)len) != LDNS_STATUS_OK) {
		fprintf(stderr, "zonewire-query: the response does not parse\n");
		return 1;
	}
	ldns_pkt_print(stdout, pkt);
	ldns_pkt_free(pkt);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_NSID = 256, OPT_IDS, OPT_HOST, OPT_VER, OPT_TCP, OPT_EDNS };
	static const struct option longopts[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "wire", no_argument, NULL, 'w' },
		{ "tcp", no_argument, NULL, OPT_TCP },
		{ "nsid", required_argument, NULL, OPT_NSID },
		{ "id-server", required_argument, NULL, OPT_IDS },
		{ "hostname-bind", required_argument, NULL, OPT_HOST },
		{ "version-bind", required_argument, NULL, OPT_VER },
		{ "edns-size", required_argument, NULL, OPT_EDNS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct zw_image *imgs[MAX_ZONES];
	struct zw_answer_cfg cfg = { 0 };
	unsigned nimg = 0;
	bool wire = false, tcp = false;
	int c, rc = 0;

	srand((unsigned)time(NULL));
	/* stop at the first non-option so that names and +options stay */
	while ((c = getopt_long(argc, argv, "+z:wh", longopts, NULL)) != -1) {
		switch (c) {
		case 'z': {
			const char *why = NULL;
			if (nimg == MAX_ZONES) {
				fprintf(stderr, "zonewire-query: at most %d zones\n", MAX_ZONES);
				return 2;
			}
			int err = zw_image_open(optarg, &imgs[nimg], &why);
			if (err != 0) {
				fprintf(stderr, "zonewire-query: %s: %s (%s)\n", optarg,
					zw_strerror(err), why ? why : "");
				rc = 1;
				goto out;
			}
			nimg++;
			break;
		}
		case 'w': wire = true; break;
		case OPT_TCP: tcp = true; break;
		case OPT_NSID:
			if (strlen(optarg) > sizeof(cfg.nsid)) {
				fprintf(stderr, "zonewire-query: NSID too long\n");
				return 2;
			}
			cfg.nsid_len = (uint8_t)strlen(optarg);
			memcpy(cfg.nsid, optarg, cfg.nsid_len);
			break;
		case OPT_IDS: cfg.id_server = optarg; break;
		case OPT_HOST: cfg.hostname_bind = optarg; break;
		case OPT_VER: cfg.version_bind = optarg; break;
		case OPT_EDNS: {
			unsigned long v = strtoul(optarg, NULL, 10);
			if (v < 512 || v > 65535) {
				fprintf(stderr, "zonewire-query: --edns-size takes 512 to 65535\n");
				return 2;
			}
			cfg.edns_size = (uint16_t)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (nimg == 0) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	struct zw_zoneset *zs = zw_zoneset_create(imgs, nimg);
	if (zs == NULL) {
		fprintf(stderr,
			"zonewire-query: two images have the same zone, or out of memory\n");
		rc = 1;
		goto out;
	}
	if (wire)
		rc = optind == argc ? run_wire(&cfg, zs, tcp ? ZW_ANS_TCP : 0) : 2;
	else
		rc = run_one(&cfg, zs, argc - optind, argv + optind, tcp);
	zw_zoneset_free(zs);
out:
	for (unsigned i = 0; i < nimg; i++)
		zw_image_close(imgs[i]);
	return rc;
}
