/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the answer path: query messages through zw_answer() and
 * zw_answer_burst(), which must agree (UDP and TCP semantics), and whole
 * Ethernet frames through zw_pkt_handle(), over the bundled example zones
 * and signed test zones. The engine promises to read nothing outside the
 * query and write nothing outside the buffer; the sanitizers check it, and
 * the harness checks that responses never exceed the buffer or the UDP limit.
 *
 * The first input byte chooses the mode; the rest is the message or frame.
 * Zones: the .zone files of docs/examples and three signed test zones, compiled once
 * (ZW_SRCDIR, else the current directory is the source tree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "compile.h"
#include "lookup.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct zw_zoneset *zs;
#define FUZZ_ZONES 6 /* the zones LLVMFuzzerInitialize() loads */
static struct zw_image *imgs[FUZZ_ZONES];
static struct zw_answer_cfg cfg = { .nsid_len = 4, .nsid = "fuzz", .version_bind = "fuzz" };
static struct zw_pkt_service svc;
static uint8_t out[65536], out2[65536], frame[65536], scratch[ZW_PKT_SCRATCH];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* the examples, and signed test zones: NSEC, NSEC3 with opt-out,
	 * NSEC3 without, whose denials the burst's express lane writes */
	static const char *const zones[FUZZ_ZONES][2] = {
		{ "example.com", "docs/examples" },
		{ "example.net", "docs/examples" },
		{ "2.0.192.in-addr.arpa", "docs/examples" },
		{ "nsec.test", "tests/dataplane/zones" },
		{ "nsec3.test", "tests/dataplane/zones" },
		{ "nsec3-noopt.test", "tests/dataplane/zones" },
	};
	const char *src = getenv("ZW_SRCDIR");
	unsigned n = 0;

	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		char path[4096];
		void *buf;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s/%s.zone", src ? src : ".", zones[i][1],
			 zones[i][0]);
		struct zw_compile_opts o = { .origin = zones[i][0] };
		if (zw_compile_file(path, &o, &buf, &len, NULL) != 0 ||
		    zw_image_from_buffer(buf, len, &imgs[n], NULL) != 0) {
			fprintf(stderr, "fuzz_answer: cannot load %s\n", path);
			abort();
		}
		n++;
	}
	zs = zw_zoneset_create(imgs, n);
	if (zs == NULL)
		abort();
	svc.n_v4 = 1;
	svc.v4[0].s_addr = htonl(0xc0000201); /* 192.0.2.1 */
	svc.n_v6 = 1;
	svc.v6[0].s6_addr[0] = 0xfd;
	svc.v6[0].s6_addr[15] = 1;
	svc.n_vlans = 1;
	svc.vlans[0] = 100;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zw_answer_info info;

	if (size < 1)
		return 0;
	unsigned mode = data[0] % 3;
	data++;
	size--;
	if (mode < 2) {
		/* a response buffer of a random-ish size, to test its limits */
		size_t cap = size > 0 ? 12 + (data[size - 1] * 7u) % sizeof(out) : sizeof(out);
		int len = zw_answer(&cfg, zs, data, size, out, cap, mode ? ZW_ANS_TCP : 0, &info);
		if (len > (int)cap || (mode == 0 && len > 1232 && len > 512))
			abort();
		/* the burst path must answer the same, byte for byte */
		struct zw_answer_req rq = { .q = data,
					    .qlen = size,
					    .out = out2,
					    .outcap = cap,
					    .flags = mode ? ZW_ANS_TCP : 0 };
		zw_answer_burst(&cfg, zs, &rq, 1);
		if (rq.ret != len || (len > 0 && memcmp(out, out2, (size_t)len) != 0) ||
		    memcmp(&rq.info, &info, sizeof(info)) != 0)
			abort();
		return 0;
	}
	if (size > sizeof(frame))
		return 0;
	memcpy(frame, data, size);
	unsigned olen = 0;
	struct zw_pkt_info pinfo;
	size_t room = size + (size > 0 ? data[0] * 8u : 0);
	if (room > sizeof(frame))
		room = sizeof(frame);
	if (zw_pkt_handle(&svc, &cfg, zs, frame, (unsigned)size, (unsigned)room, scratch, &olen,
			  &pinfo) == ZW_PKT_REPLY &&
	    olen > room)
		abort();
	return 0;
}
