/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of zonewired's configuration file reader (dataplane/config.c):
 * every key and default, every validation error with its line, relative
 * paths, the bundled example file, and random mutations of a valid file.
 */
#include "config.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct zw_config cfg;
static const struct zw_config zero;
static char err[1024];

/* The smallest valid file. */
#define MIN_DP                                                                                     \
	"dataplane:\n"                                                                             \
	"  ports:\n"                                                                               \
	"    - device: net_null0\n"                                                                \
	"  workers: [1]\n"                                                                         \
	"  addresses: [192.0.2.1]\n"

/* A file that sets every key (line numbers are used below). */
static const char full[] = "dataplane:\n"				     /* 1 */
			   "  eal: [\"--no-huge\", \"-m\", \"256\"]\n"	     /* 2 */
			   "  ports:\n"					     /* 3 */
			   "    - device: \"net_af_xdp0,iface=eth1\"\n"	     /* 4 */
			   "      mtu: 1500\n"				     /* 5 */
			   "    - device: 0000:03:00.0\n"		     /* 6 */
			   "  workers: [1, 2]\n"			     /* 7 */
			   "  main-lcore: 3\n"				     /* 8 */
			   "  exception-interface: zw-test0\n"		     /* 9 */
			   "  vlans: [100, 200]\n"			     /* 10 */
			   "  addresses: [192.0.2.1, \"2001:db8::53/64\"]\n" /* 11 */
			   "  mbufs: 16383\n"				     /* 12 */
			   "  rx-descriptors: 2048\n"			     /* 13 */
			   "  tx-descriptors: 512\n"			     /* 14 */
			   "  burst: 16\n"				     /* 15 */
			   "zones:\n"					     /* 16 */
			   "  - image: /var/lib/zonewired/example.com.zwi\n" /* 17 */
			   "  - image: other.zwi\n"			     /* 18 */
			   "server:\n"					     /* 19 */
			   "  edns-size: 4096\n"			     /* 20 */
			   "  max-chain: 12\n"				     /* 21 */
			   "  nsid: \"anycast-ams-1\"\n"		     /* 22 */
			   "  id-server: \"ams-1\"\n"			     /* 23 */
			   "  hostname-bind: \"ns1.ams\"\n"		     /* 24 */
			   "  version-bind: \"zonewire\"\n"		     /* 25 */
			   "control:\n"					     /* 26 */
			   "  socket: /run/zw/control.sock\n"		     /* 27 */
			   "  state-dir: state\n"			     /* 28 */
			   "  pid-file: /run/zw/zonewired.pid\n"	     /* 29 */
			   "tcp:\n"					     /* 30 */
			   "  max-connections: 2048\n"			     /* 31 */
			   "  max-connections-per-address: 16\n"	     /* 32 */
			   "  max-queries: 500\n"			     /* 33 */
			   "  idle-timeout: 30000\n"			     /* 34 */
			   "keys:\n"					     /* 35 */
			   "  - name: xfr.Example.\n"			     /* 36 */
			   "    algorithm: hmac-sha256\n"		     /* 37 */
			   "    secret: c2VjcmV0LWZvci10ZXN0cw==\n"	     /* 38 */
			   "transfer:\n"				     /* 39 */
			   "  - zone: example.com\n"			     /* 40 */
			   "    allow: [192.0.2.0/24, \"2001:db8::/32\"]\n"  /* 41 */
			   "    keys: [xfr.example]\n"			     /* 42 */
			   "  - zone: \"*\"\n"				     /* 43 */
			   "    allow: [198.51.100.7]\n";		     /* 44 */

static int parse_as(const char *name, const char *text)
{
	return zw_config_parse(name, text, strlen(text), &cfg, err, sizeof err);
}

static int parse(const char *text)
{
	return parse_as("/etc/zw/t.yaml", text);
}

static bool zeroed(void)
{
	return memcmp(&cfg, &zero, sizeof cfg) == 0;
}

/*
 * text is refused with -EINVAL and a message "/etc/zw/t.yaml:LINE:COL: ..."
 * that contains phrase (col 0: any column), and cfg is left zeroed.
 */
static bool fails_with(const char *text, size_t len, unsigned line, unsigned col,
		       const char *phrase)
{
	int rc = zw_config_parse("/etc/zw/t.yaml", text, len, &cfg, err, sizeof err);
	unsigned l = 0, c = 0;
	int n = 0;
	bool pos = sscanf(err, "/etc/zw/t.yaml:%u:%u: %n", &l, &c, &n) == 2 && n > 0;
	bool ok = rc == -EINVAL && pos && l == line && (col == 0 || c == col) &&
		  strstr(err, phrase) != NULL && zeroed();
	if (!ok)
		fprintf(stderr, "\n--- input:\n%.*s\n--- rc %d, '%s'; wanted %u:%u and '%s'\n",
			(int)len, text, rc, err, line, col, phrase);
	zw_config_free(&cfg);
	return ok;
}

#define FAILS(text, line, phrase) CU_ASSERT(fails_with(text, strlen(text), line, 0, phrase))
#define FAILS_AT(text, line, col, phrase)                                                          \
	CU_ASSERT(fails_with(text, strlen(text), line, col, phrase))
/* A dataplane key added to the smallest valid file (its line is 6). */
#define DP_EXTRA(s) MIN_DP "  " s "\n"
#define ACCEPTS(text)                                                                              \
	do {                                                                                       \
		int rc_ = parse(text);                                                             \
		if (rc_ != 0)                                                                      \
			fprintf(stderr, "\n--- input:\n%s\n--- %s\n", text, err);                  \
		CU_ASSERT_EQUAL(rc_, 0);                                                           \
		zw_config_free(&cfg);                                                              \
	} while (0)

static bool addr_is(const struct zw_cfg_addr *a, int family, const char *text, unsigned prefix)
{
	unsigned char buf[16];
	if (a->family != family || a->prefix != prefix || inet_pton(family, text, buf) != 1)
		return false;
	return memcmp(family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6, buf,
		      family == AF_INET ? 4 : 16) == 0;
}

static bool prefix_is(const struct zw_cfg_prefix *a, int family, const char *text, unsigned len)
{
	unsigned char buf[16];
	if (a->family != family || a->len != len || inet_pton(family, text, buf) != 1)
		return false;
	return memcmp(family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6, buf,
		      family == AF_INET ? 4 : 16) == 0;
}

/* A growing text buffer for the generated files. */
struct text {
	char *s;
	size_t len;
	FILE *f;
};

static void text_open(struct text *t)
{
	t->s = NULL;
	t->len = 0;
	t->f = open_memstream(&t->s, &t->len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->f);
}

static const char *text_close(struct text *t)
{
	fclose(t->f);
	return t->s;
}

static void test_defaults(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP), 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, "/etc/zw/t.yaml");
	CU_ASSERT_EQUAL(cfg.n_eal, 0);
	CU_ASSERT_EQUAL(cfg.n_ports, 1);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].device, "net_null0");
	CU_ASSERT_EQUAL(cfg.ports[0].mtu, 0);
	CU_ASSERT_EQUAL(cfg.n_workers, 1);
	CU_ASSERT_EQUAL(cfg.workers[0], 1);
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	CU_ASSERT_STRING_EQUAL(cfg.tap_name, "zw0");
	CU_ASSERT_EQUAL(cfg.n_vlans, 0);
	CU_ASSERT_EQUAL(cfg.n_addrs, 1);
	CU_ASSERT(addr_is(&cfg.addrs[0], AF_INET, "192.0.2.1", 32));
	CU_ASSERT_EQUAL(cfg.mbufs, 8191);
	CU_ASSERT_EQUAL(cfg.rx_desc, 1024);
	CU_ASSERT_EQUAL(cfg.tx_desc, 1024);
	CU_ASSERT_EQUAL(cfg.burst, 32);
	CU_ASSERT_EQUAL(cfg.n_zones, 0);
	CU_ASSERT_EQUAL(cfg.edns_size, 1232);
	CU_ASSERT_EQUAL(cfg.max_chain, 8);
	CU_ASSERT_PTR_NULL(cfg.nsid);
	CU_ASSERT_PTR_NULL(cfg.id_server);
	CU_ASSERT_PTR_NULL(cfg.hostname_bind);
	CU_ASSERT_PTR_NULL(cfg.version_bind);
	CU_ASSERT_STRING_EQUAL(cfg.control_socket, "/run/zonewired/control.sock");
	CU_ASSERT_STRING_EQUAL(cfg.state_dir, "/var/lib/zonewired");
	CU_ASSERT_PTR_NULL(cfg.pid_file);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns, 1024);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns_per_addr, 32);
	CU_ASSERT_EQUAL(cfg.tcp_max_queries, 10000);
	CU_ASSERT_EQUAL(cfg.tcp_idle_ms, 10000);
	CU_ASSERT_EQUAL(cfg.n_keys, 0);
	CU_ASSERT_EQUAL(cfg.n_transfers, 0);
	zw_config_free(&cfg);
	CU_ASSERT(zeroed());
}

static void test_every_key(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(full), 0);
	CU_ASSERT_EQUAL(cfg.n_eal, 3);
	CU_ASSERT_STRING_EQUAL(cfg.eal[0], "--no-huge");
	CU_ASSERT_STRING_EQUAL(cfg.eal[1], "-m");
	CU_ASSERT_STRING_EQUAL(cfg.eal[2], "256");
	CU_ASSERT_EQUAL(cfg.n_ports, 2);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].device, "net_af_xdp0,iface=eth1");
	CU_ASSERT_EQUAL(cfg.ports[0].mtu, 1500);
	CU_ASSERT_STRING_EQUAL(cfg.ports[1].device, "0000:03:00.0");
	CU_ASSERT_EQUAL(cfg.ports[1].mtu, 0);
	CU_ASSERT_EQUAL(cfg.n_workers, 2);
	CU_ASSERT_EQUAL(cfg.workers[0], 1);
	CU_ASSERT_EQUAL(cfg.workers[1], 2);
	CU_ASSERT_EQUAL(cfg.main_lcore, 3);
	CU_ASSERT_STRING_EQUAL(cfg.tap_name, "zw-test0");
	CU_ASSERT_EQUAL(cfg.n_vlans, 2);
	CU_ASSERT_EQUAL(cfg.vlans[0], 100);
	CU_ASSERT_EQUAL(cfg.vlans[1], 200);
	CU_ASSERT_EQUAL(cfg.n_addrs, 2);
	CU_ASSERT(addr_is(&cfg.addrs[0], AF_INET, "192.0.2.1", 32));
	CU_ASSERT(addr_is(&cfg.addrs[1], AF_INET6, "2001:db8::53", 64));
	CU_ASSERT_EQUAL(cfg.mbufs, 16383);
	CU_ASSERT_EQUAL(cfg.rx_desc, 2048);
	CU_ASSERT_EQUAL(cfg.tx_desc, 512);
	CU_ASSERT_EQUAL(cfg.burst, 16);
	CU_ASSERT_EQUAL(cfg.n_zones, 2);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].image, "/var/lib/zonewired/example.com.zwi");
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].image, "/etc/zw/other.zwi");
	CU_ASSERT_EQUAL(cfg.edns_size, 4096);
	CU_ASSERT_EQUAL(cfg.max_chain, 12);
	CU_ASSERT_STRING_EQUAL(cfg.nsid, "anycast-ams-1");
	CU_ASSERT_STRING_EQUAL(cfg.id_server, "ams-1");
	CU_ASSERT_STRING_EQUAL(cfg.hostname_bind, "ns1.ams");
	CU_ASSERT_STRING_EQUAL(cfg.version_bind, "zonewire");
	CU_ASSERT_STRING_EQUAL(cfg.control_socket, "/run/zw/control.sock");
	CU_ASSERT_STRING_EQUAL(cfg.state_dir, "/etc/zw/state");
	CU_ASSERT_STRING_EQUAL(cfg.pid_file, "/run/zw/zonewired.pid");
	CU_ASSERT_EQUAL(cfg.tcp_max_conns, 2048);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns_per_addr, 16);
	CU_ASSERT_EQUAL(cfg.tcp_max_queries, 500);
	CU_ASSERT_EQUAL(cfg.tcp_idle_ms, 30000);
	CU_ASSERT_EQUAL_FATAL(cfg.n_keys, 1);
	CU_ASSERT_STRING_EQUAL(cfg.keys[0].name, "xfr.example.");
	CU_ASSERT_STRING_EQUAL(cfg.keys[0].algorithm, "hmac-sha256");
	CU_ASSERT_STRING_EQUAL(cfg.keys[0].secret, "c2VjcmV0LWZvci10ZXN0cw==");
	CU_ASSERT_EQUAL_FATAL(cfg.n_transfers, 2);
	CU_ASSERT_STRING_EQUAL(cfg.transfers[0].zone, "example.com.");
	CU_ASSERT_EQUAL(cfg.transfers[0].n_allow, 2);
	CU_ASSERT(prefix_is(&cfg.transfers[0].allow[0], AF_INET, "192.0.2.0", 24));
	CU_ASSERT(prefix_is(&cfg.transfers[0].allow[1], AF_INET6, "2001:db8::", 32));
	CU_ASSERT_EQUAL(cfg.transfers[0].n_keys, 1);
	CU_ASSERT_STRING_EQUAL(cfg.transfers[0].keys[0], "xfr.example.");
	CU_ASSERT_STRING_EQUAL(cfg.transfers[1].zone, "*");
	CU_ASSERT_EQUAL(cfg.transfers[1].n_allow, 1);
	CU_ASSERT(prefix_is(&cfg.transfers[1].allow[0], AF_INET, "198.51.100.7", 32));
	CU_ASSERT_EQUAL(cfg.transfers[1].n_keys, 0);
	zw_config_free(&cfg);
	CU_ASSERT(zeroed());
	/* cfg can be loaded into again */
	CU_ASSERT_EQUAL(parse(full), 0);
	zw_config_free(&cfg);
	zw_config_free(&cfg);
	CU_ASSERT(zeroed());
}

static void test_styles(void)
{
	/* flow style, quoted and signed integers, keys in any order */
	CU_ASSERT_EQUAL_FATAL(parse("{control: {}, dataplane: {addresses: ['fd00::1/48'],"
				    " workers: [\"7\", +8], ports: [{mtu: 9000, device: 'x'}],"
				    " main-lcore: 0}}"),
			      0);
	CU_ASSERT_EQUAL(cfg.workers[0], 7);
	CU_ASSERT_EQUAL(cfg.workers[1], 8);
	CU_ASSERT_EQUAL(cfg.ports[0].mtu, 9000);
	CU_ASSERT(addr_is(&cfg.addrs[0], AF_INET6, "fd00::1", 48));
	zw_config_free(&cfg);
	/* empty values stand for empty lists and sections */
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "  eal:\n  vlans: ~\nzones:\nserver: null\ncontrol: "
					   "{}\n"),
			      0);
	CU_ASSERT_EQUAL(cfg.n_eal, 0);
	CU_ASSERT_EQUAL(cfg.n_vlans, 0);
	CU_ASSERT_EQUAL(cfg.n_zones, 0);
	CU_ASSERT_EQUAL(cfg.edns_size, 1232);
	zw_config_free(&cfg);
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "zones: []\n"), 0);
	zw_config_free(&cfg);
	/* block scalars, comments, an explicit document, CRLF line ends */
	CU_ASSERT_EQUAL_FATAL(parse("%YAML 1.1\n---\n# comment\n" MIN_DP "server:\n"
				    "  version-bind: >-\n    zone\n    wire\n...\n"),
			      0);
	CU_ASSERT_STRING_EQUAL(cfg.version_bind, "zone wire");
	zw_config_free(&cfg);
	CU_ASSERT_EQUAL(parse("dataplane:\r\n  ports: [{device: a}]\r\n  workers: [1]\r\n"
			      "  addresses: [192.0.2.1]\r\n"),
			0);
	zw_config_free(&cfg);
	/* the limits themselves */
	ACCEPTS(DP_EXTRA("burst: 1"));
	ACCEPTS(DP_EXTRA("burst: 64"));
	ACCEPTS(DP_EXTRA("main-lcore: 127"));
	ACCEPTS(MIN_DP "server: {edns-size: 512, max-chain: 1}");
	ACCEPTS(MIN_DP "server: {edns-size: 65535, max-chain: 32}");
	ACCEPTS("dataplane: {ports: [{device: a, mtu: 576}], workers: [1], addresses: [1.2.3.4]}");
}

static void test_addresses(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n"
				    "  addresses:\n    - 10.0.0.1/0\n    - 10.0.0.2/32\n"
				    "    - 198.51.100.7/24\n    - \"::1\"\n    - 2001:db8::/0\n"
				    "    - \"2001:db8::1/128\"\n    - ::ffff:192.0.2.9\n"),
			      0);
	CU_ASSERT_EQUAL(cfg.n_addrs, 7);
	CU_ASSERT(addr_is(&cfg.addrs[0], AF_INET, "10.0.0.1", 0));
	CU_ASSERT(addr_is(&cfg.addrs[1], AF_INET, "10.0.0.2", 32));
	CU_ASSERT(addr_is(&cfg.addrs[2], AF_INET, "198.51.100.7", 24));
	CU_ASSERT(addr_is(&cfg.addrs[3], AF_INET6, "::1", 128));
	CU_ASSERT(addr_is(&cfg.addrs[4], AF_INET6, "2001:db8::", 0));
	CU_ASSERT(addr_is(&cfg.addrs[5], AF_INET6, "2001:db8::1", 128));
	CU_ASSERT(addr_is(&cfg.addrs[6], AF_INET6, "::ffff:192.0.2.9", 128));
	zw_config_free(&cfg);

	static const struct {
		const char *addr, *phrase;
	} bad[] = {
		{ "300.1.1.1", "not an IPv4 or IPv6 address" },
		{ "1.2.3", "not an IPv4 or IPv6 address" },
		{ "'192.0.2.1 '", "not an IPv4 or IPv6 address" },
		{ "'fe80::1%eth0'", "not an IPv4 or IPv6 address" },
		{ "example.com", "not an IPv4 or IPv6 address" },
		{ "'2001:db8::1::2'", "not an IPv4 or IPv6 address" },
		{ "'1.2.3.4/'", "prefix length must be a decimal number" },
		{ "'1.2.3.4/08'", "prefix length must be a decimal number" },
		{ "'1.2.3.4/-1'", "prefix length must be a decimal number" },
		{ "'1.2.3.4/1/2'", "prefix length must be a decimal number" },
		{ "'1.2.3.4/1000'", "prefix length must be a decimal number" },
		{ "'1.2.3.4/33'", "IPv4 prefix length is at most 32" },
		{ "'2001:db8::1/129'", "IPv6 prefix length is at most 128" },
		{ "0.0.0.0", "not a unicast address" },
		{ "255.255.255.255", "not a unicast address" },
		{ "224.0.0.53", "not a unicast address" },
		{ "'::'", "not a unicast address" },
		{ "'ff02::1'", "not a unicast address" },
		{ "''", "not an IPv4 or IPv6 address" },
		{ "'\\0'", "not an IPv4 or IPv6 address" },
		{ "[1.2.3.4]", "expected an address, found a list" },
		{ "{a: b}", "expected an address, found a mapping" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		snprintf(text, sizeof text,
			 "dataplane:\n  ports: [{device: a}]\n  workers: [1]\n"
			 "  addresses:\n    - 192.0.2.1\n    - %s\n",
			 bad[i].addr);
		FAILS_AT(text, 6, 7, bad[i].phrase);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "dataplane.addresses"));
	}
	/* the same address twice, whatever the prefix */
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n"
	      "  addresses: [192.0.2.1,\n    192.0.2.1/24]\n",
	      5, "listed twice");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n"
	      "  addresses: ['2001:db8::1', '2001:db8:0::1/64']\n",
	      4, "listed twice");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n  addresses: {a: 1}\n", 4,
	      "expected a list, found a mapping");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n  addresses: 192.0.2.1\n", 4,
	      "expected a list, found a scalar");
}

static void test_workers(void)
{
	FAILS(DP_EXTRA("main-lcore: 1"), 4, "lcore 1 is also the main lcore");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers:\n    - 1\n    - 0\n"
	      "  addresses: [192.0.2.1]\n",
	      5, "also the main lcore (dataplane.main-lcore, by default)");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1, 2,\n    1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "lcore 1 is listed twice");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [128]\n  addresses: [192.0.2.1]\n", 3,
	      "128 is out of range (0..127)");
	FAILS(DP_EXTRA("main-lcore: 128"), 6, "dataplane.main-lcore: 128 is out of range");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: []\n  addresses: [192.0.2.1]\n", 1,
	      "at least one worker");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers:\n  addresses: [192.0.2.1]\n", 1,
	      "at least one worker");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: 1\n  addresses: [192.0.2.1]\n", 3,
	      "dataplane.workers: expected a list, found a scalar");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [[1]]\n  addresses: [192.0.2.1]\n", 3,
	      "dataplane.workers: expected an integer");
	/* 64 workers are fine, 65 are too many */
	struct text t;
	text_open(&t);
	fputs("dataplane:\n  ports: [{device: a}]\n  addresses: [192.0.2.1]\n  workers:\n", t.f);
	for (int i = 1; i <= ZW_CFG_MAX_WORKERS; i++)
		fprintf(t.f, "    - %d\n", i);
	const char *s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_workers, ZW_CFG_MAX_WORKERS);
	CU_ASSERT_EQUAL(cfg.workers[63], 64);
	zw_config_free(&cfg);
	char *more = NULL;
	CU_ASSERT_FATAL(asprintf(&more, "%s    - 100\n", s) > 0);
	FAILS(more, 4 + ZW_CFG_MAX_WORKERS + 1, "too many workers (at most 64)");
	free(more);
	free(t.s);
}

static void test_required(void)
{
	FAILS("", 1, "missing section 'dataplane'");
	FAILS("# nothing\n", 2, "missing section 'dataplane'");
	FAILS("---\n", 2, "missing section 'dataplane'");
	FAILS("zones: []\nserver: {}\n", 1, "missing section 'dataplane'");
	FAILS("dataplane:\n", 1, "dataplane.ports: at least one port is required");
	FAILS("zones:\ndataplane: {}\n", 2, "at least one port is required");
	FAILS("dataplane:\n  workers: [1]\n  addresses: [192.0.2.1]\n", 1,
	      "at least one port is required");
	FAILS("dataplane:\n  ports: []\n  workers: [1]\n  addresses: [192.0.2.1]\n", 1,
	      "at least one port is required");
	FAILS("dataplane:\n  ports: [{device: a}]\n  addresses: [192.0.2.1]\n", 1,
	      "at least one worker lcore is required");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n", 1,
	      "at least one service address is required");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n  addresses: []\n", 1,
	      "at least one service address is required");
	FAILS("dataplane:\n  ports:\n    - mtu: 1500\n  workers: [1]\n  addresses: [192.0.2.1]\n",
	      3, "a port needs a 'device'");
	FAILS("dataplane:\n  ports:\n    - {}\n  workers: [1]\n  addresses: [192.0.2.1]\n", 3,
	      "a port needs a 'device'");
	FAILS(MIN_DP "zones:\n  - image: a.zwi\n  - {}\n", 8, "a zone needs an 'image'");
}

/* Each numeric key, with values around and outside its range. */
static void test_numbers(void)
{
	static const struct {
		const char *key;
		long min, max;
	} keys[] = {
		{ "main-lcore", 0, 127 },
		{ "mbufs", 1023, 1 << 24 },
		{ "rx-descriptors", 64, 16384 },
		{ "tx-descriptors", 64, 16384 },
		{ "burst", 1, 64 },
	};
	char text[512], range[64];
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(range, sizeof range, "out of range (%ld..%ld)", keys[i].min, keys[i].max);
		snprintf(text, sizeof text, MIN_DP "  %s: %ld\n", keys[i].key, keys[i].max);
		if (strcmp(keys[i].key, "main-lcore") == 0)
			ACCEPTS(MIN_DP "  main-lcore: 0\n"); /* 127 is tested elsewhere */
		else
			ACCEPTS(text);
		snprintf(text, sizeof text, MIN_DP "  %s: %ld\n", keys[i].key, keys[i].max + 1);
		FAILS_AT(text, 6, 5 + (unsigned)strlen(keys[i].key), range);
		if (keys[i].min > 0) {
			snprintf(text, sizeof text, MIN_DP "  %s: %ld\n", keys[i].key,
				 keys[i].min - 1);
			FAILS(text, 6, range);
		}
		static const char *const junk[] = {
			"1.5", "1e3",	"0x10", "abc",	"''", "'1 2'",
			"010", "1_000", "--1",	".inf", "1k",
		};
		for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
			snprintf(text, sizeof text, MIN_DP "  %s: %s\n", keys[i].key, junk[j]);
			FAILS(text, 6, "expected an integer");
		}
		snprintf(text, sizeof text, MIN_DP "  %s: -1\n", keys[i].key);
		FAILS(text, 6, "-1 is out of range");
		snprintf(text, sizeof text, MIN_DP "  %s: 18446744073709551616\n", keys[i].key);
		FAILS(text, 6, "is out of range");
		snprintf(text, sizeof text, MIN_DP "  %s: 99999999999999999999999999999999\n",
			 keys[i].key);
		FAILS(text, 6, "is out of range");
		snprintf(text, sizeof text, MIN_DP "  %s:\n", keys[i].key);
		FAILS(text, 6, "found nothing");
		snprintf(text, sizeof text, MIN_DP "  %s: [1]\n", keys[i].key);
		FAILS(text, 6, "expected an integer, found a list");
		snprintf(text, sizeof text, MIN_DP "  %s: {a: 1}\n", keys[i].key);
		FAILS(text, 6, "found a mapping");
	}
	FAILS(MIN_DP "server:\n  edns-size: 511\n", 7, "server.edns-size: 511 is out of range");
	FAILS(MIN_DP "server:\n  edns-size: 65536\n", 7, "out of range (512..65535)");
	FAILS(MIN_DP "server:\n  edns-size: 1232.0\n", 7, "expected an integer");
	FAILS(MIN_DP "server:\n  max-chain: 0\n", 7, "server.max-chain: 0 is out of range (1..32)");
	FAILS(MIN_DP "server:\n  max-chain: 33\n", 7, "out of range (1..32)");
	FAILS(MIN_DP "server:\n  max-chain: -8\n", 7, "-8 is out of range");
	/* the port MTU */
	FAILS("dataplane:\n  ports:\n    - device: a\n      mtu: 575\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "dataplane.ports.mtu: 575 is out of range (576..65535)");
	FAILS("dataplane:\n  ports:\n    - device: a\n      mtu: 65536\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "out of range");
	FAILS("dataplane:\n  ports:\n    - device: a\n      mtu: jumbo\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "expected an integer");
	FAILS("dataplane:\n  ports:\n    - device: a\n      mtu: 0\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "out of range");
	FAILS("dataplane:\n  ports:\n    - device: a\n    - device: b\n      mtu: 1000\n"
	      "  workers: [1]\n  addresses: [192.0.2.1, '2001:db8::1']\n",
	      5, "IPv6 needs an MTU of at least 1280");
	ACCEPTS("dataplane:\n  ports:\n    - device: a\n      mtu: 1000\n  workers: [1]\n"
		"  addresses: [192.0.2.1]\n");
}

static void test_vlans(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(DP_EXTRA("vlans: [1, 4094]")), 0);
	CU_ASSERT_EQUAL(cfg.n_vlans, 2);
	CU_ASSERT_EQUAL(cfg.vlans[0], 1);
	CU_ASSERT_EQUAL(cfg.vlans[1], 4094);
	zw_config_free(&cfg);
	FAILS(DP_EXTRA("vlans: [0]"), 6, "dataplane.vlans: 0 is out of range (1..4094)");
	FAILS(DP_EXTRA("vlans: [4095]"), 6, "out of range (1..4094)");
	FAILS(DP_EXTRA("vlans: [-5]"), 6, "out of range");
	FAILS(DP_EXTRA("vlans: [ten]"), 6, "expected an integer");
	FAILS(DP_EXTRA("vlans: [100, 100]"), 6, "VLAN 100 is listed twice");
	FAILS(DP_EXTRA("vlans: 100"), 6, "dataplane.vlans: expected a list, found a scalar");
	FAILS(DP_EXTRA("vlans: {100: a}"), 6, "expected a list, found a mapping");
	ACCEPTS(DP_EXTRA("vlans: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]"));
	FAILS(DP_EXTRA("vlans: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]"), 6,
	      "too many VLANs (at most 16)");
}

static void test_strings(void)
{
	static const char *const server_keys[] = { "nsid", "id-server", "hostname-bind",
						   "version-bind" };
	char text[1024], phrase[64];
	for (size_t i = 0; i < sizeof server_keys / sizeof server_keys[0]; i++) {
		const char *k = server_keys[i];
		snprintf(phrase, sizeof phrase, "server.%s: must not be empty", k);
		snprintf(text, sizeof text, MIN_DP "server:\n  %s: \"\"\n", k);
		FAILS(text, 7, phrase);
		snprintf(text, sizeof text, MIN_DP "server:\n  %s:\n", k);
		FAILS(text, 7, phrase);
		snprintf(text, sizeof text, MIN_DP "server:\n  %s: ~\n", k);
		FAILS(text, 7, phrase);
		snprintf(text, sizeof text, MIN_DP "server:\n  %s: \"a\\0b\"\n", k);
		FAILS(text, 7, "must not contain NUL");
		snprintf(text, sizeof text, MIN_DP "server:\n  %s: [a]\n", k);
		FAILS(text, 7, "expected a string, found a list");
		snprintf(text, sizeof text, MIN_DP "server:\n  %s: %.255d\n", k, 7);
		CU_ASSERT_EQUAL(parse(text), 0);
		zw_config_free(&cfg);
		snprintf(text, sizeof text, MIN_DP "server:\n  %s: %.256d\n", k, 7);
		FAILS(text, 7, "too long (256 bytes, at most 255)");
	}
	/* a plain scalar that looks like another type is taken as text */
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "server: {nsid: 12, version-bind: true,"
					   " hostname-bind: 'null'}\n"),
			      0);
	CU_ASSERT_STRING_EQUAL(cfg.nsid, "12");
	CU_ASSERT_STRING_EQUAL(cfg.version_bind, "true");
	CU_ASSERT_STRING_EQUAL(cfg.hostname_bind, "null");
	zw_config_free(&cfg);

	/* the exception interface */
	ACCEPTS(DP_EXTRA("exception-interface: abcdefghijklmno"));
	FAILS(DP_EXTRA("exception-interface: abcdefghijklmnop"), 6,
	      "too long (16 bytes, at most 15)");
	FAILS(DP_EXTRA("exception-interface: 'a b'"), 6, "not a valid interface name");
	FAILS(DP_EXTRA("exception-interface: a/b"), 6, "not a valid interface name");
	FAILS(DP_EXTRA("exception-interface: 'a:b'"), 6, "not a valid interface name");
	FAILS(DP_EXTRA("exception-interface: .."), 6, "not a valid interface name");
	FAILS(DP_EXTRA("exception-interface: \"a\\tb\""), 6, "not a valid interface name");
	FAILS(DP_EXTRA("exception-interface: \"\\u00e9\""), 6, "not a valid interface name");
	FAILS(DP_EXTRA("exception-interface: ''"), 6, "must not be empty");
	FAILS(DP_EXTRA("exception-interface: [zw0]"), 6, "expected a string");

	/* ports */
	FAILS("dataplane:\n  ports:\n    - device: ''\n  workers: [1]\n  addresses: [192.0.2.1]\n",
	      3, "dataplane.ports.device: must not be empty");
	FAILS("dataplane:\n  ports:\n    - device: a\n    - device: a\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "device 'a' is listed twice");
	FAILS("dataplane:\n  ports:\n    - a\n  workers: [1]\n  addresses: [192.0.2.1]\n", 3,
	      "dataplane.ports: expected a mapping (device, mtu), found a scalar");

	/* EAL arguments */
	FAILS(DP_EXTRA("eal: ['--no-huge', '']"), 6, "dataplane.eal: must not be empty");
	FAILS(DP_EXTRA("eal: [[1]]"), 6, "dataplane.eal: expected a string, found a list");
	FAILS(DP_EXTRA("eal: '--no-huge'"), 6, "expected a list, found a scalar");
	static const char *const reserved[] = {
		"-l",		"-l1-3",	  "-c",
		"-c0x3",	"--lcores",	  "--lcores=1@2",
		"--main-lcore", "--main-lcore=0", "--master-lcore"
	};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		snprintf(text, sizeof text, DP_EXTRA("eal: ['--no-pci', '%s']"), reserved[i]);
		FAILS(text, 6, "the lcores are set from dataplane.workers");
	}
	ACCEPTS(DP_EXTRA("eal: ['--log-level=lib.eal:8', '--lcoresx', '--file-prefix=zw']"));
	struct text t;
	text_open(&t);
	fputs(MIN_DP "  eal:\n", t.f);
	for (int i = 0; i < ZW_CFG_MAX_EAL; i++)
		fprintf(t.f, "    - '--vdev=net_null%d'\n", i);
	const char *s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_eal, ZW_CFG_MAX_EAL);
	CU_ASSERT_STRING_EQUAL(cfg.eal[63], "--vdev=net_null63");
	zw_config_free(&cfg);
	char *more = NULL;
	CU_ASSERT_FATAL(asprintf(&more, "%s    - x\n", s) > 0);
	FAILS(more, 7 + ZW_CFG_MAX_EAL, "too many arguments (at most 64)");
	free(more);
	free(t.s);
}

static void test_ports_limit(void)
{
	struct text t;
	text_open(&t);
	fputs("dataplane:\n  workers: [1]\n  addresses: [192.0.2.1]\n  ports:\n", t.f);
	for (int i = 0; i < ZW_CFG_MAX_PORTS; i++)
		fprintf(t.f, "    - device: net_null%d\n", i);
	const char *s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_ports, ZW_CFG_MAX_PORTS);
	CU_ASSERT_STRING_EQUAL(cfg.ports[7].device, "net_null7");
	zw_config_free(&cfg);
	char *more = NULL;
	CU_ASSERT_FATAL(asprintf(&more, "%s    - device: x\n", s) > 0);
	FAILS(more, 5 + ZW_CFG_MAX_PORTS, "too many ports (at most 8)");
	free(more);
	free(t.s);

	text_open(&t);
	fputs("dataplane:\n  ports: [{device: a}]\n  workers: [1]\n  addresses:\n", t.f);
	for (int i = 1; i <= ZW_CFG_MAX_ADDRS; i++)
		fprintf(t.f, "    - 192.0.2.%d\n", i);
	s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_addrs, ZW_CFG_MAX_ADDRS);
	zw_config_free(&cfg);
	CU_ASSERT_FATAL(asprintf(&more, "%s    - 192.0.2.99\n", s) > 0);
	FAILS(more, 5 + ZW_CFG_MAX_ADDRS, "too many addresses (at most 16)");
	free(more);
	free(t.s);
}

static void test_zones(void)
{
	/* duplicates are found after the paths are resolved */
	FAILS(MIN_DP "zones:\n  - image: a.zwi\n  - image: ./a.zwi\n", 8,
	      "image '/etc/zw/a.zwi' is listed twice");
	FAILS(MIN_DP "zones:\n  - image: /etc/zw/a.zwi\n  - image: a.zwi\n", 8, "listed twice");
	FAILS(MIN_DP "zones:\n  - image: //x//y.zwi\n  - image: /x/./y.zwi\n", 8, "listed twice");
	FAILS(MIN_DP "zones:\n  - a.zwi\n", 7, "zones: expected a mapping (image), found a scalar");
	FAILS(MIN_DP "zones:\n  - image: [a.zwi]\n", 7, "zones.image: expected a string");
	FAILS(MIN_DP "zones:\n  - image: ''\n", 7, "zones.image: must not be empty");
	FAILS(MIN_DP "zones:\n  - image: a.zwi\n    origin: a\n", 8, "unknown key 'origin'");
	FAILS(MIN_DP "zones: {image: a.zwi}\n", 6, "zones: expected a list, found a mapping");
	FAILS(MIN_DP "zones: a.zwi\n", 6, "zones: expected a list, found a scalar");

	/* 4096 zones are fine, 4097 are too many */
	struct text t;
	text_open(&t);
	fputs(MIN_DP "zones:\n", t.f);
	for (int i = 0; i < ZW_CFG_MAX_ZONES; i++)
		fprintf(t.f, "  - image: z/%d.zwi\n", i);
	const char *s = text_close(&t);
	CU_ASSERT_EQUAL_FATAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_zones, ZW_CFG_MAX_ZONES);
	CU_ASSERT_STRING_EQUAL(cfg.zones[4095].image, "/etc/zw/z/4095.zwi");
	zw_config_free(&cfg);
	char *more = NULL;
	CU_ASSERT_FATAL(asprintf(&more, "%s  - image: x.zwi\n", s) > 0);
	FAILS(more, 7 + ZW_CFG_MAX_ZONES, "too many zones (at most 4096)");
	free(more);
	free(t.s);
	text_open(&t);
	fputs(MIN_DP "zones:\n", t.f);
	for (int i = 0; i < 100; i++)
		fprintf(t.f, "  - image: z/%d.zwi\n", i);
	fputs("  - image: z/./42.zwi\n", t.f);
	s = text_close(&t);
	FAILS(s, 107, "image '/etc/zw/z/42.zwi' is listed twice");
	free(t.s);
}

static void test_paths(void)
{
	static const char body[] = MIN_DP "zones:\n  - image: a.zwi\n  - image: sub/../b.zwi\n"
					  "  - image: /abs//x/./c.zwi\n"
					  "control:\n  socket: run/c.sock\n  state-dir: ./\n"
					  "  pid-file: ../zw.pid\n";
	CU_ASSERT_EQUAL_FATAL(parse_as("/etc/zw/conf.yaml", body), 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, "/etc/zw/conf.yaml");
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].image, "/etc/zw/a.zwi");
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].image, "/etc/zw/sub/../b.zwi");
	CU_ASSERT_STRING_EQUAL(cfg.zones[2].image, "/abs/x/c.zwi");
	CU_ASSERT_STRING_EQUAL(cfg.control_socket, "/etc/zw/run/c.sock");
	CU_ASSERT_STRING_EQUAL(cfg.state_dir, "/etc/zw");
	CU_ASSERT_STRING_EQUAL(cfg.pid_file, "/etc/zw/../zw.pid");
	zw_config_free(&cfg);
	/* a file in the root directory */
	CU_ASSERT_EQUAL_FATAL(parse_as("/conf.yaml", body), 0);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].image, "/a.zwi");
	CU_ASSERT_STRING_EQUAL(cfg.state_dir, "/");
	zw_config_free(&cfg);
	/* a relative name: against the working directory */
	char *cwd = getcwd(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd);
	CU_ASSERT_EQUAL_FATAL(parse_as("etc/conf.yaml", body), 0);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof want, "%s/etc/a.zwi", strcmp(cwd, "/") == 0 ? "" : cwd);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].image, want);
	CU_ASSERT_STRING_EQUAL(cfg.path, "etc/conf.yaml");
	zw_config_free(&cfg);
	free(cwd);

	/* the socket path must fit a sockaddr_un */
	char text[512];
	snprintf(text, sizeof text, MIN_DP "control:\n  socket: /%0106d\n", 0);
	CU_ASSERT_EQUAL(parse(text), 0);
	zw_config_free(&cfg);
	snprintf(text, sizeof text, MIN_DP "control:\n  socket: /%0107d\n", 0);
	FAILS(text, 7, "control.socket: path too long (108 bytes, at most 107)");
	snprintf(text, sizeof text, MIN_DP "control:\n  socket: %0100d\n", 0);
	FAILS(text, 7, "path too long (108 bytes");
	FAILS(MIN_DP "control:\n  state-dir: ''\n", 7, "control.state-dir: must not be empty");
	FAILS(MIN_DP "control:\n  pid-file:\n", 7, "control.pid-file: must not be empty");
	FAILS(MIN_DP "control:\n  socket: [a]\n", 7, "control.socket: expected a string");
	/* a path longer than PATH_MAX */
	struct text t;
	text_open(&t);
	fputs(MIN_DP "control:\n  state-dir: /", t.f);
	for (int i = 0; i < PATH_MAX; i++)
		fputc('d', t.f);
	fputc('\n', t.f);
	const char *s = text_close(&t);
	FAILS(s, 7, "too long");
	free(t.s);
}

static void test_structure(void)
{
	/* unknown keys, at every level */
	FAILS(MIN_DP "serve:\n  nsid: x\n", 6,
	      "unknown key 'serve' (expected dataplane, zones, server, tcp, keys, transfer, "
	      "control)");
	FAILS(DP_EXTRA("worker: [1]"), 6, "dataplane: unknown key 'worker'");
	FAILS("dataplane:\n  ports:\n    - device: a\n      speed: 10G\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      4, "dataplane.ports: unknown key 'speed' (expected device, mtu)");
	FAILS(MIN_DP "server:\n  edns: 1232\n", 7, "server: unknown key 'edns'");
	FAILS(MIN_DP "control:\n  sock: /x\n", 7, "control: unknown key 'sock'");
	FAILS(MIN_DP "Dataplane: {}\n", 6, "unknown key 'Dataplane'");
	FAILS(MIN_DP "\"\\x01\": 1\n", 6, "unknown key '?'");
	/* duplicate keys */
	FAILS(DP_EXTRA("workers: [2]"), 6, "dataplane: duplicate key 'workers'");
	FAILS(MIN_DP "dataplane: {}\n", 6, "duplicate key 'dataplane'");
	FAILS(MIN_DP "server: {nsid: a, nsid: b}\n", 6, "server: duplicate key 'nsid'");
	FAILS("dataplane:\n  ports:\n    - {device: a, device: b}\n  workers: [1]\n"
	      "  addresses: [192.0.2.1]\n",
	      3, "duplicate key 'device'");
	/* nodes of the wrong kind */
	FAILS("- dataplane\n", 1,
	      "expected a mapping (dataplane, zones, server, tcp, keys, transfer, control), found "
	      "a list");
	FAILS("dataplane\n", 1, "expected a mapping");
	FAILS("dataplane: [ports]\n", 1, "dataplane: expected a mapping, found a list");
	FAILS("dataplane: ports\n", 1, "dataplane: expected a mapping, found a scalar");
	FAILS(MIN_DP "server: [1]\n", 6, "server: expected a mapping, found a list");
	FAILS(MIN_DP "control: x\n", 6, "control: expected a mapping, found a scalar");
	FAILS("dataplane:\n  ports: {device: a}\n", 2,
	      "dataplane.ports: expected a list, found a mapping");
	FAILS("dataplane:\n  ports:\n    - [a]\n", 3,
	      "expected a mapping (device, mtu), found a list");
	FAILS(MIN_DP "? [a, b]\n: c\n", 6, "expected a key, found a list");
	FAILS(MIN_DP "? {a: b}\n: c\n", 6, "expected a key, found a mapping");
	/* anchors, aliases and tags */
	FAILS(MIN_DP "server: &s {nsid: a}\n", 6, "server: anchors are not supported");
	FAILS(MIN_DP "server:\n  nsid: &n a\n  version-bind: *n\n", 7, "anchors are not supported");
	FAILS(MIN_DP "server:\n  nsid: *n\n", 7, "server.nsid: aliases are not supported");
	FAILS("dataplane:\n  ports: [{device: a}]\n  workers: [1, *w]\n", 3,
	      "aliases are not supported");
	FAILS(MIN_DP "*k : 1\n", 6, "aliases are not supported");
	FAILS(MIN_DP "server:\n  nsid: !!str 12\n", 7,
	      "tags are not supported ('tag:yaml.org,2002:str')");
	FAILS(MIN_DP "server: !custom {}\n", 6, "tags are not supported ('!custom')");
	FAILS(DP_EXTRA("vlans: !!seq [1]"), 6, "tags are not supported");
	FAILS("--- !!map\n" MIN_DP, 1, "tags are not supported");
	/* one document only */
	FAILS(MIN_DP "---\n" MIN_DP, 6, "only one YAML document is allowed");
	FAILS(MIN_DP "...\n---\nx: 1\n", 7, "only one YAML document");
}

static void test_syntax(void)
{
	FAILS_AT("dataplane:\n\tports: []\n", 2, 1, "tab characters are not allowed");
	FAILS("dataplane:\n  ports:\n\t  - device: a\n", 3, "tab characters are not allowed");
	FAILS("dataplane:\n  ports: [{device: a}\n  workers: [1]\n", 3, "syntax error");
	FAILS("dataplane:\n  ports:\n  - device: a\n   workers: [1]\n", 4, "syntax error");
	FAILS("dataplane:\n  ports: [{device: a}]\n workers: [1]\n", 3, "syntax error");
	FAILS("dataplane: {}\nzones: [\n", 3, "syntax error"); /* before the missing keys */
	FAILS(MIN_DP "server:\n  nsid: \"unterminated\n", 8,
	      "syntax error: found unexpected end of stream (while scanning a quoted scalar at "
	      "7:9)");
	FAILS(MIN_DP "server:\n  nsid: 'a\n\n", 9, "scanning a quoted scalar at 7:9");
	FAILS(MIN_DP "server:\n  nsid: a: b\n", 7, "syntax error: mapping values are not allowed");
	FAILS(MIN_DP "server: {nsid: a\n", 7, "syntax error");
	FAILS(MIN_DP "%YAML 2.0\n", 6, "syntax error");
	FAILS(MIN_DP "server:\n  nsid: \"\\q\"\n", 7, "syntax error");
	FAILS(MIN_DP "  - x\n", 6, "syntax error");
	FAILS(MIN_DP "@x: 1\n", 6, "syntax error");
	/* bytes that are not text */
	FAILS(MIN_DP "server:\n  nsid: \"a\x01\"\n", 7, "invalid input: control characters");
	FAILS(MIN_DP "server:\n  nsid: a\xff\n", 7, "invalid input");
	FAILS(MIN_DP "server:\n  nsid: a\xc3\n", 7, "invalid input");
	static const char nul[] = MIN_DP "server:\n  nsid: a\0b\n";
	CU_ASSERT(fails_with(nul, sizeof nul - 1, 7, 0, "invalid input"));
	/* UTF-8 in strings is fine */
	CU_ASSERT_EQUAL_FATAL(
		parse(MIN_DP "server:\n  version-bind: \"z\xc3\xb6newire \\u263a\"\n"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.version_bind, "z\xc3\xb6newire \xe2\x98\xba");
	zw_config_free(&cfg);
}

/* Errors with no room, or no buffer, for the message. */
static void test_error_buffer(void)
{
	static const char bad[] = MIN_DP "bad: 1\n";
	char small[8];
	memset(small, 'x', sizeof small);
	CU_ASSERT_EQUAL(zw_config_parse("t.yaml", bad, strlen(bad), &cfg, small, sizeof small),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(small, "t.yaml:");
	CU_ASSERT(zeroed());
	small[0] = 'x';
	CU_ASSERT_EQUAL(zw_config_parse("t.yaml", bad, strlen(bad), &cfg, small, 0), -EINVAL);
	CU_ASSERT_EQUAL(small[0], 'x');
	CU_ASSERT_EQUAL(zw_config_parse("t.yaml", bad, strlen(bad), &cfg, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(zw_config_parse(NULL, bad, strlen(bad), &cfg, err, sizeof err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":6:1: "));
	CU_ASSERT_EQUAL(zw_config_parse("t.yaml", NULL, 5, &cfg, err, sizeof err), -EINVAL);
	CU_ASSERT(zeroed());
	CU_ASSERT_EQUAL(zw_config_load(NULL, &cfg, err, sizeof err), -EINVAL);
	CU_ASSERT_EQUAL(zw_config_load("", &cfg, NULL, 0), -EINVAL);
	CU_ASSERT(zeroed());
	zw_config_free(NULL);
	/* a long name is cut, not overflowed */
	char name[2048];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	CU_ASSERT_EQUAL(zw_config_parse(name, bad, strlen(bad), &cfg, err, sizeof err), -EINVAL);
	CU_ASSERT_EQUAL(strlen(err), sizeof err - 1);
}

/* A temporary directory with one file in it. */
static char tmpdir[] = "/tmp/zw-config-XXXXXX";

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_load(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	char path[PATH_MAX], want[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/zonewired.yaml", tmpdir);
	write_file(path, full, strlen(full));

	/* an absolute name */
	CU_ASSERT_EQUAL_FATAL(zw_config_load(path, &cfg, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, path);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].image, "/var/lib/zonewired/example.com.zwi");
	snprintf(want, sizeof want, "%s/other.zwi", tmpdir);
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].image, want);
	snprintf(want, sizeof want, "%s/state", tmpdir);
	CU_ASSERT_STRING_EQUAL(cfg.state_dir, want);
	CU_ASSERT_EQUAL(cfg.n_workers, 2);
	zw_config_free(&cfg);

	/* a relative name, from the parent directory: everything made absolute */
	char *cwd = getcwd(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd);
	CU_ASSERT_EQUAL_FATAL(chdir("/tmp"), 0);
	char rel[PATH_MAX];
	snprintf(rel, sizeof rel, "./%s//zonewired.yaml", tmpdir + strlen("/tmp/"));
	CU_ASSERT_EQUAL(zw_config_load(rel, &cfg, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, path);
	snprintf(want, sizeof want, "%s/other.zwi", tmpdir);
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].image, want);
	zw_config_free(&cfg);

	/* errors name the file as given */
	static const char bad[] = MIN_DP "server:\n  edns-size: 100\n";
	write_file(path, bad, strlen(bad));
	CU_ASSERT_EQUAL(zw_config_load(rel, &cfg, err, sizeof err), -EINVAL);
	snprintf(want, sizeof want, "%s:7:14: server.edns-size: 100 is out of range", rel);
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
	CU_ASSERT(zeroed());
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	free(cwd);

	/* files that cannot be read */
	char missing[PATH_MAX];
	snprintf(missing, sizeof missing, "%s/missing.yaml", tmpdir);
	CU_ASSERT_EQUAL(zw_config_load(missing, &cfg, err, sizeof err), -ENOENT);
	snprintf(want, sizeof want, "%s: ", missing);
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
	CU_ASSERT(zeroed());
	CU_ASSERT_EQUAL(zw_config_load(tmpdir, &cfg, err, sizeof err), -EISDIR);
	CU_ASSERT(zeroed());

	/* an empty file, and one too large to be a configuration */
	write_file(path, "", 0);
	CU_ASSERT_EQUAL(zw_config_load(path, &cfg, err, sizeof err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1:1: missing section 'dataplane'"));
	size_t big = (4u << 20) + 1;
	char *text = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, '#', big);
	write_file(path, text, big);
	free(text);
	CU_ASSERT_EQUAL(zw_config_load(path, &cfg, err, sizeof err), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too large"));
	CU_ASSERT(zeroed());

	unlink(path);
	rmdir(tmpdir);
}

static const char *example_path(char *buf, size_t size)
{
	const char *src = getenv("ZW_SRCDIR");
	snprintf(buf, size, "%s/docs/examples/zonewired.yaml", src != NULL ? src : ".");
	return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_example(void)
{
	char path[PATH_MAX];
	int rc = zw_config_load(example_path(path, sizeof path), &cfg, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.path[0], '/');
	CU_ASSERT(ends_with(cfg.path, "/docs/examples/zonewired.yaml"));
	CU_ASSERT_EQUAL(cfg.n_eal, 7);
	CU_ASSERT_STRING_EQUAL(cfg.eal[0], "--no-huge");
	CU_ASSERT_STRING_EQUAL(cfg.eal[6], "--log-level=3");
	CU_ASSERT_EQUAL(cfg.n_ports, 1);
	CU_ASSERT_STRING_EQUAL(cfg.ports[0].device, "net_af_packet0,iface=dp-s0");
	CU_ASSERT_EQUAL(cfg.n_workers, 1);
	CU_ASSERT_EQUAL(cfg.workers[0], 1);
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	CU_ASSERT_EQUAL(cfg.n_addrs, 2);
	CU_ASSERT(addr_is(&cfg.addrs[0], AF_INET, "192.0.2.1", 32));
	CU_ASSERT(addr_is(&cfg.addrs[1], AF_INET6, "fd00:53::1", 128));
	CU_ASSERT_EQUAL(cfg.n_zones, 3);
	static const char *const zones[] = { "example.com", "example.net", "2.0.192.in-addr.arpa" };
	for (unsigned i = 0; i < 3 && i < cfg.n_zones; i++) {
		char suffix[128];
		snprintf(suffix, sizeof suffix, "/docs/examples/../../build/demo/%s.zwi", zones[i]);
		CU_ASSERT_EQUAL(cfg.zones[i].image[0], '/');
		CU_ASSERT(ends_with(cfg.zones[i].image, suffix));
		/* the zone files the images are compiled from are beside the example */
		char zone[PATH_MAX + 64];
		snprintf(zone, sizeof zone, "%.*s/%s.zone", (int)(strlen(cfg.path) - 15), cfg.path,
			 zones[i]);
		CU_ASSERT_EQUAL(access(zone, R_OK), 0);
	}
	CU_ASSERT_PTR_NOT_NULL(cfg.nsid);
	CU_ASSERT_PTR_NOT_NULL(cfg.id_server);
	CU_ASSERT_PTR_NOT_NULL(cfg.pid_file);
	zw_config_free(&cfg);
}

/* Checks that a configuration that was accepted is consistent. */
static bool sane(void)
{
	if (cfg.path == NULL || cfg.tap_name == NULL || cfg.control_socket == NULL ||
	    cfg.state_dir == NULL)
		return false;
	if (cfg.n_ports < 1 || cfg.n_ports > ZW_CFG_MAX_PORTS || cfg.n_workers < 1 ||
	    cfg.n_workers > ZW_CFG_MAX_WORKERS || cfg.n_addrs < 1 ||
	    cfg.n_addrs > ZW_CFG_MAX_ADDRS || cfg.n_eal > ZW_CFG_MAX_EAL ||
	    cfg.n_vlans > ZW_CFG_MAX_VLANS || cfg.n_zones > ZW_CFG_MAX_ZONES)
		return false;
	for (unsigned i = 0; i < cfg.n_ports; i++)
		if (cfg.ports[i].device == NULL || cfg.ports[i].device[0] == '\0')
			return false;
	for (unsigned i = 0; i < cfg.n_workers; i++)
		if (cfg.workers[i] == cfg.main_lcore)
			return false;
	for (unsigned i = 0; i < cfg.n_zones; i++)
		if (cfg.zones[i].image == NULL || cfg.zones[i].image[0] != '/')
			return false;
	return cfg.burst >= 1 && cfg.burst <= 64 && cfg.edns_size >= 512 && cfg.max_chain >= 1 &&
	       cfg.max_chain <= 32;
}

/* Random mutations of a valid file: no crash, no leak, a message or a sane result. */
static void test_mutations(void)
{
	static const char *const tokens[] = {
		":",	  " ",	    "-",
		"- ",	  "[",	    "]",
		"{",	  "}",	    ",",
		"\n",	  "\t",	    "#",
		"&a",	  "*a",	    "!!",
		"'",	  "\"",	    "\\",
		"?",	  "---",    "...",
		"\0",	  "~",	    "\xff",
		"0",	  "-1",	    "99999999999999999999",
		"1.5",	  "  ",	    "\n  - ",
		"ports:", "zones:", "image: ",
		"/",	  "::",	    "%",
		"|",	  ">",	    "\xc3\xa9",
		"\r",
	};
	unsigned n = 200, seed = 20261121;
	const char *env = getenv("ZW_CONFIG_MUTATIONS");
	if (env != NULL)
		n = (unsigned)strtoul(env, NULL, 10);
	if ((env = getenv("ZW_CONFIG_SEED")) != NULL)
		seed = (unsigned)strtoul(env, NULL, 10);
	srand(seed);
	size_t base = strlen(full);
	char *buf = malloc(base * 4 + 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	unsigned accepted = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t len = base;
		memcpy(buf, full, base);
		for (int m = 1 + rand() % 4; m > 0; m--) {
			size_t at = len > 0 ? (size_t)rand() % len : 0;
			switch (rand() % 5) {
			case 0: /* flip a byte */
				if (len > 0)
					buf[at] = (char)(rand() % 256);
				break;
			case 1: { /* delete a span */
				size_t k = 1 + (size_t)rand() % 16;
				if (k > len - at)
					k = len - at;
				memmove(buf + at, buf + at + k, len - at - k);
				len -= k;
				break;
			}
			case 2:
			case 3: { /* insert a token */
				const char *tok =
					tokens[rand() % (sizeof tokens / sizeof tokens[0])];
				size_t k = tok[0] == '\0' ? 1 : strlen(tok);
				if (len + k > base * 4)
					break;
				memmove(buf + at + k, buf + at, len - at);
				memcpy(buf + at, tok, k);
				len += k;
				break;
			}
			default: /* copy a span elsewhere */
				if (len > 0 && len + 32 <= base * 4) {
					size_t from = (size_t)rand() % len,
					       k = 1 + (size_t)rand() % 32;
					if (k > len - from)
						k = len - from;
					memmove(buf + at + k, buf + at, len - at);
					memmove(buf + at, buf + (from >= at ? from + k : from), k);
					len += k;
				}
				break;
			}
		}
		err[0] = '\0';
		int rc = zw_config_parse("/etc/zw/m.yaml", buf, len, &cfg, err, sizeof err);
		if (rc == 0) {
			accepted++;
			CU_ASSERT(sane());
		} else {
			CU_ASSERT_EQUAL(rc, -EINVAL);
			CU_ASSERT_NSTRING_EQUAL(err, "/etc/zw/m.yaml:", 15);
			CU_ASSERT(zeroed());
		}
		zw_config_free(&cfg);
	}
	free(buf);
	/* some mutations keep the file valid (a changed value, a comment) */
	if (n >= 200)
		CU_ASSERT(accepted > 0);
}

/* The TCP limits: ranges, and per address no more than in all. */
static void test_tcp(void)
{
	static const struct {
		const char *key;
		long min, max;
	} keys[] = {
		{ "max-connections", 1, 1000000 },
		{ "max-queries", 1, 1000000000 },
		{ "idle-timeout", 100, 3600000 },
	};
	char text[512], phrase[128];
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(text, sizeof text, MIN_DP "tcp:\n  %s: %ld\n", keys[i].key, keys[i].max);
		ACCEPTS(text);
		snprintf(text, sizeof text, MIN_DP "tcp:\n  %s: %ld\n", keys[i].key, keys[i].min);
		ACCEPTS(text);
		snprintf(phrase, sizeof phrase, "tcp.%s: %ld is out of range (%ld..%ld)",
			 keys[i].key, keys[i].max + 1, keys[i].min, keys[i].max);
		snprintf(text, sizeof text, MIN_DP "tcp:\n  %s: %ld\n", keys[i].key,
			 keys[i].max + 1);
		FAILS_AT(text, 7, 5 + (unsigned)strlen(keys[i].key), phrase);
		snprintf(text, sizeof text, MIN_DP "tcp:\n  %s: %ld\n", keys[i].key,
			 keys[i].min - 1);
		FAILS(text, 7, "is out of range");
		snprintf(text, sizeof text, MIN_DP "tcp:\n  %s: 10s\n", keys[i].key);
		FAILS(text, 7, "expected an integer");
	}
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "tcp: {max-connections: 5, max-connections-per-address: "
					   "5, max-queries: 1, idle-timeout: 100}\n"),
			      0);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns, 5);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns_per_addr, 5);
	CU_ASSERT_EQUAL(cfg.tcp_max_queries, 1);
	CU_ASSERT_EQUAL(cfg.tcp_idle_ms, 100);
	zw_config_free(&cfg);
	/* a section with only some keys keeps the other defaults */
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "tcp:\n  max-queries: 7\n"), 0);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns, 1024);
	CU_ASSERT_EQUAL(cfg.tcp_max_queries, 7);
	CU_ASSERT_EQUAL(cfg.tcp_idle_ms, 10000);
	zw_config_free(&cfg);
	ACCEPTS(MIN_DP "tcp:\n");
	/* per address: no more than in all when not given */
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "tcp:\n  max-connections: 10\n"), 0);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns, 10);
	CU_ASSERT_EQUAL(cfg.tcp_max_conns_per_addr, 10);
	zw_config_free(&cfg);
	FAILS(MIN_DP "tcp:\n  max-connections: 10\n  max-connections-per-address: 11\n", 6,
	      "tcp.max-connections-per-address: 11 is more than tcp.max-connections (10)");
	/* against the default of 1024 */
	FAILS(MIN_DP "tcp: {max-connections-per-address: 1025}\n", 6, "is more than");
	FAILS(MIN_DP "tcp:\n  max-connections-per-address: 0\n", 7, "out of range (1..1000000)");
	FAILS(MIN_DP "tcp:\n  idle: 5\n", 7,
	      "tcp: unknown key 'idle' (expected max-connections, max-connections-per-address, "
	      "max-queries, idle-timeout)");
	FAILS(MIN_DP "tcp: [1]\n", 6, "tcp: expected a mapping, found a list");
	FAILS(MIN_DP "tcp: {idle-timeout: 1000, idle-timeout: 2000}\n", 6, "duplicate key");
}

#define KEY(name, alg, secret) "  - {name: " name ", algorithm: " alg ", secret: '" secret "'}\n"
#define SECRET		       "c2VjcmV0LWZvci10ZXN0cw=="

static void test_keys(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "keys:\n" KEY("a.example", "hmac-sha256", SECRET)
					    KEY("B.Example.", "hmac-sha384",
						"YQ==") KEY("c", "hmac-sha512", "YWI=")
						    KEY("tsig_key-1", "hmac-sha256", "YWJj")),
			      0);
	CU_ASSERT_EQUAL(cfg.n_keys, 4);
	CU_ASSERT_STRING_EQUAL(cfg.keys[0].name, "a.example.");
	CU_ASSERT_STRING_EQUAL(cfg.keys[1].name, "b.example.");
	CU_ASSERT_STRING_EQUAL(cfg.keys[1].algorithm, "hmac-sha384");
	CU_ASSERT_STRING_EQUAL(cfg.keys[1].secret, "YQ==");
	CU_ASSERT_STRING_EQUAL(cfg.keys[2].name, "c.");
	CU_ASSERT_STRING_EQUAL(cfg.keys[2].algorithm, "hmac-sha512");
	CU_ASSERT_STRING_EQUAL(cfg.keys[3].name, "tsig_key-1.");
	zw_config_free(&cfg);
	ACCEPTS(MIN_DP "keys: []\n");
	ACCEPTS(MIN_DP "keys:\n");

	/* what a key needs */
	FAILS(MIN_DP "keys:\n  - {algorithm: hmac-sha256, secret: " SECRET "}\n", 7,
	      "keys: a key needs a 'name'");
	FAILS(MIN_DP "keys:\n  - {name: k, secret: " SECRET "}\n", 7,
	      "keys: a key needs an 'algorithm'");
	FAILS(MIN_DP "keys:\n  - name: k\n    algorithm: hmac-sha256\n", 7,
	      "keys: a key needs a 'secret'");
	FAILS(MIN_DP "keys:\n" KEY("k", "hmac-sha256", SECRET) KEY("K.", "hmac-sha512", SECRET), 8,
	      "keys: key 'k.' is listed twice");
	FAILS(MIN_DP "keys:\n  - k\n", 7,
	      "keys: expected a mapping (name, algorithm, secret), found a scalar");
	FAILS(MIN_DP "keys: {name: k}\n", 6, "keys: expected a list, found a mapping");
	FAILS(MIN_DP "keys:\n  - {name: k, algorithm: hmac-sha256, secret: " SECRET ", id: 1}\n", 7,
	      "keys: unknown key 'id' (expected name, algorithm, secret)");

	/* algorithms */
	static const char *const bad_algs[] = { "hmac-md5",	"hmac-sha1", "HMAC-SHA256",
						"hmac-sha256.", "sha256",    "hmac-sha224" };
	char text[1024];
	for (size_t i = 0; i < sizeof bad_algs / sizeof bad_algs[0]; i++) {
		snprintf(text, sizeof text, MIN_DP "keys:\n" KEY("k", "%s", SECRET), bad_algs[i]);
		FAILS(text, 7, "keys.algorithm: '");
		CU_ASSERT_PTR_NOT_NULL(
			strstr(err, "is not supported (expected hmac-sha256, hmac-sha384 or "
				    "hmac-sha512)"));
	}
	FAILS(MIN_DP "keys:\n  - {name: k, algorithm: '', secret: " SECRET "}\n", 7,
	      "keys.algorithm: must not be empty");

	/* secrets */
	static const char *const bad_secrets[] = {
		"abc",	    "abcde", "ab=c",	  "a===", "====",
		"ab==cd==", "ab!c",  "YWJj YWJj", "YQ=",  "Y Q==",
	};
	for (size_t i = 0; i < sizeof bad_secrets / sizeof bad_secrets[0]; i++) {
		snprintf(text, sizeof text, MIN_DP "keys:\n" KEY("k", "hmac-sha256", "%s"),
			 bad_secrets[i]);
		FAILS(text, 7, "keys.secret: not valid base64");
	}
	FAILS(MIN_DP "keys:\n" KEY("k", "hmac-sha256", ""), 7, "keys.secret: must not be empty");
	FAILS(MIN_DP "keys:\n  - {name: k, algorithm: hmac-sha256, secret: [a]}\n", 7,
	      "keys.secret: expected a string, found a list");

	/* names */
	static const char *const bad_names[] = { "'a..b'", "'.a'", "'a b'", "'a\\\\.b'",
						 "'*.a'",  "'..'", "'a@b'" };
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		snprintf(text, sizeof text, MIN_DP "keys:\n" KEY("%s", "hmac-sha256", SECRET),
			 bad_names[i]);
		FAILS(text, 7, "is not a domain name");
	}
	char label[80];
	memset(label, 'x', 64);
	label[64] = '\0';
	snprintf(text, sizeof text, MIN_DP "keys:\n" KEY("%s", "hmac-sha256", SECRET), label);
	FAILS(text, 7, "a label is longer than 63 characters");
	label[63] = '\0';
	snprintf(text, sizeof text, MIN_DP "keys:\n" KEY("%s.%s.%s.%s", "hmac-sha256", SECRET),
		 label, label, label, label);
	FAILS(text, 7, "longer than 255 octets");
	label[61] = '\0';
	snprintf(text, sizeof text, MIN_DP "keys:\n" KEY("%s.%s.%s.%s", "hmac-sha256", SECRET),
		 label, label, label, label);
	ACCEPTS(text);

	/* 64 keys are fine, 65 are too many */
	struct text t;
	text_open(&t);
	fputs(MIN_DP "keys:\n", t.f);
	for (int i = 0; i < ZW_CFG_MAX_KEYS; i++)
		fprintf(t.f, KEY("k%d", "hmac-sha256", SECRET), i);
	const char *s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_keys, ZW_CFG_MAX_KEYS);
	zw_config_free(&cfg);
	char *more = NULL;
	CU_ASSERT_FATAL(asprintf(&more, "%s" KEY("x", "hmac-sha256", SECRET), s) > 0);
	FAILS(more, 7 + ZW_CFG_MAX_KEYS, "too many keys (at most 64)");
	free(more);
	free(t.s);
}

static void test_transfer(void)
{
	/* rules before the keys they name; "*", keys only, several rules per zone */
	CU_ASSERT_EQUAL_FATAL(parse(MIN_DP "transfer:\n"
					   "  - zone: Example.COM.\n"
					   "    keys: [k1, K2.]\n"
					   "  - zone: example.com\n"
					   "    allow: ['0.0.0.0/0', '::/0', 10.1.0.0/16, "
					   "'fd00::1', '2001:db8:1::/48']\n"
					   "  - zone: '*'\n"
					   "    allow: [127.0.0.1]\n"
					   "    keys: [k1]\n"
					   "  - {zone: ., allow: [192.0.2.128/25]}\n"
					   "keys:\n" KEY("k1", "hmac-sha256", SECRET)
						   KEY("k2", "hmac-sha512", SECRET)),
			      0);
	CU_ASSERT_EQUAL_FATAL(cfg.n_transfers, 4);
	CU_ASSERT_STRING_EQUAL(cfg.transfers[0].zone, "example.com.");
	CU_ASSERT_EQUAL(cfg.transfers[0].n_allow, 0);
	CU_ASSERT_EQUAL(cfg.transfers[0].n_keys, 2);
	CU_ASSERT_STRING_EQUAL(cfg.transfers[0].keys[0], "k1.");
	CU_ASSERT_STRING_EQUAL(cfg.transfers[0].keys[1], "k2.");
	CU_ASSERT_EQUAL(cfg.transfers[1].n_allow, 5);
	CU_ASSERT(prefix_is(&cfg.transfers[1].allow[0], AF_INET, "0.0.0.0", 0));
	CU_ASSERT(prefix_is(&cfg.transfers[1].allow[1], AF_INET6, "::", 0));
	CU_ASSERT(prefix_is(&cfg.transfers[1].allow[2], AF_INET, "10.1.0.0", 16));
	CU_ASSERT(prefix_is(&cfg.transfers[1].allow[3], AF_INET6, "fd00::1", 128));
	CU_ASSERT(prefix_is(&cfg.transfers[1].allow[4], AF_INET6, "2001:db8:1::", 48));
	CU_ASSERT_STRING_EQUAL(cfg.transfers[2].zone, "*");
	CU_ASSERT_EQUAL(cfg.transfers[2].n_keys, 1);
	CU_ASSERT_STRING_EQUAL(cfg.transfers[3].zone, ".");
	CU_ASSERT(prefix_is(&cfg.transfers[3].allow[0], AF_INET, "192.0.2.128", 25));
	zw_config_free(&cfg);
	ACCEPTS(MIN_DP "transfer: []\n");
	ACCEPTS(MIN_DP "transfer:\n");

	/* a key must be defined, wherever 'keys' is in the file */
	FAILS_AT(MIN_DP "keys:\n" KEY("k1", "hmac-sha256",
				      SECRET) "transfer:\n"
					      "  - zone: example.com\n    keys: [k1,\n       k3]\n",
		 11, 8, "transfer.keys: no key 'k3.' is defined in 'keys'");
	FAILS(MIN_DP "transfer:\n  - {zone: a, keys: [k]}\n", 7, "no key 'k.' is defined");
	FAILS(MIN_DP "transfer:\n  - {zone: a, keys: [k, K.]}\n"
		     "keys:\n" KEY("k", "hmac-sha256", SECRET),
	      7, "transfer.keys: key 'k.' is listed twice");
	FAILS(MIN_DP "transfer:\n  - {zone: a, keys: ['a b']}\n", 7,
	      "transfer.keys: 'a b' is not a domain name");

	/* what a rule needs */
	FAILS(MIN_DP "transfer:\n  - {allow: [192.0.2.0/24]}\n", 7,
	      "transfer: a rule needs a 'zone' (a zone name or \"*\")");
	FAILS(MIN_DP "transfer:\n  - zone: a\n", 7, "transfer: a rule needs 'allow' or 'keys'");
	FAILS(MIN_DP "transfer:\n  - {zone: a, allow: [], keys: []}\n", 7,
	      "a rule needs 'allow' or 'keys'");
	FAILS(MIN_DP "transfer:\n  - zone: *\n    allow: [192.0.2.1]\n", 7,
	      "(a '*' must be quoted: \"*\")");
	FAILS(MIN_DP "transfer:\n  - {zone: *, allow: [192.0.2.1]}\n", 7,
	      "(a '*' must be quoted: \"*\")");
	FAILS(MIN_DP "transfer:\n  - {zone: 'a..b', allow: [192.0.2.1]}\n", 7,
	      "transfer.zone: 'a..b' is not a domain name (empty label)");
	FAILS(MIN_DP "transfer:\n  - {zone: '*.a', allow: [192.0.2.1]}\n", 7,
	      "is not a domain name");
	FAILS(MIN_DP "transfer:\n  - {zone: [a], allow: [192.0.2.1]}\n", 7,
	      "transfer.zone: expected a string, found a list");
	FAILS(MIN_DP "transfer:\n  - example.com\n", 7,
	      "transfer: expected a mapping (zone, allow, keys), found a scalar");
	FAILS(MIN_DP "transfer:\n  - {zone: a, allow: [192.0.2.1], notify: yes}\n", 7,
	      "transfer: unknown key 'notify' (expected zone, allow, keys)");
	FAILS(MIN_DP "transfer: {zone: a}\n", 6, "transfer: expected a list, found a mapping");

	/* prefixes */
	static const struct {
		const char *prefix, *phrase;
	} bad[] = {
		{ "192.0.2.1/24", "bits are set past the prefix length" },
		{ "'2001:db8::1/32'", "bits are set past the prefix length" },
		{ "'0.0.0.1/0'", "bits are set past the prefix length" },
		{ "'192.0.2.0/33'", "IPv4 prefix length is at most 32" },
		{ "'::/129'", "IPv6 prefix length is at most 128" },
		{ "'192.0.2.0/'", "prefix length must be a decimal number" },
		{ "'192.0.2.0/024'", "prefix length must be a decimal number" },
		{ "192.0.2", "not an address prefix" },
		{ "example.com", "not an address prefix" },
		{ "''", "not an address prefix" },
		{ "[192.0.2.1]", "expected an address prefix, found a list" },
	};
	char text[512];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text,
			 MIN_DP
			 "transfer:\n  - zone: a\n    allow:\n      - 10.0.0.0/8\n      - %s\n",
			 bad[i].prefix);
		FAILS_AT(text, 10, 9, bad[i].phrase);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "transfer.allow"));
	}
	FAILS(MIN_DP "transfer:\n  - {zone: a, allow: [10.0.0.0/8, 10.0.0.0/8]}\n", 7,
	      "transfer.allow: '10.0.0.0/8' is listed twice");
	ACCEPTS(MIN_DP "transfer:\n  - {zone: a, allow: [10.0.0.0/8, 10.0.0.0/16]}\n");

	/* limits: prefixes and keys of a rule, rules */
	struct text t;
	text_open(&t);
	fputs(MIN_DP "transfer:\n  - zone: a\n    allow:\n", t.f);
	for (int i = 0; i < ZW_CFG_MAX_PREFIXES; i++)
		fprintf(t.f, "      - 10.0.%d.0/24\n", i);
	const char *s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.transfers[0].n_allow, ZW_CFG_MAX_PREFIXES);
	zw_config_free(&cfg);
	char *more = NULL;
	CU_ASSERT_FATAL(asprintf(&more, "%s      - 10.1.0.0/16\n", s) > 0);
	FAILS(more, 9 + ZW_CFG_MAX_PREFIXES, "too many prefixes (at most 32)");
	free(more);
	free(t.s);

	text_open(&t);
	fputs(MIN_DP "keys:\n", t.f);
	for (int i = 0; i <= ZW_CFG_MAX_TKEYS; i++)
		fprintf(t.f, KEY("k%d", "hmac-sha256", SECRET), i);
	fputs("transfer:\n  - zone: a\n    keys: [k0", t.f);
	for (int i = 1; i < ZW_CFG_MAX_TKEYS; i++)
		fprintf(t.f, ", k%d", i);
	s = text_close(&t);
	CU_ASSERT_FATAL(asprintf(&more, "%s]\n", s) > 0);
	CU_ASSERT_EQUAL(parse(more), 0);
	CU_ASSERT_EQUAL(cfg.transfers[0].n_keys, ZW_CFG_MAX_TKEYS);
	zw_config_free(&cfg);
	free(more);
	CU_ASSERT_FATAL(asprintf(&more, "%s, k8]\n", s) > 0);
	FAILS(more, 18, "transfer.keys: too many keys (at most 8)");
	free(more);
	free(t.s);

	text_open(&t);
	fputs(MIN_DP "transfer:\n", t.f);
	for (int i = 0; i < ZW_CFG_MAX_TRANSFERS; i++)
		fprintf(t.f, "  - {zone: z%d, allow: [192.0.2.%d]}\n", i, i % 250 + 1);
	s = text_close(&t);
	CU_ASSERT_EQUAL(parse(s), 0);
	CU_ASSERT_EQUAL(cfg.n_transfers, ZW_CFG_MAX_TRANSFERS);
	CU_ASSERT_STRING_EQUAL(cfg.transfers[255].zone, "z255.");
	zw_config_free(&cfg);
	CU_ASSERT_FATAL(asprintf(&more, "%s  - {zone: x, allow: [192.0.2.1]}\n", s) > 0);
	FAILS(more, 7 + ZW_CFG_MAX_TRANSFERS, "too many rules (at most 256)");
	free(more);
	free(t.s);
}

int main(void)
{
	static const struct zw_test_case cases[] = {
		ZW_TEST(test_defaults),	    ZW_TEST(test_every_key),
		ZW_TEST(test_styles),	    ZW_TEST(test_addresses),
		ZW_TEST(test_workers),	    ZW_TEST(test_required),
		ZW_TEST(test_numbers),	    ZW_TEST(test_vlans),
		ZW_TEST(test_strings),	    ZW_TEST(test_ports_limit),
		ZW_TEST(test_zones),	    ZW_TEST(test_paths),
		ZW_TEST(test_structure),    ZW_TEST(test_syntax),
		ZW_TEST(test_error_buffer), ZW_TEST(test_load),
		ZW_TEST(test_example),	    ZW_TEST(test_tcp),
		ZW_TEST(test_keys),	    ZW_TEST(test_transfer),
		ZW_TEST(test_mutations),    { NULL, NULL },
	};
	return zw_test_main("config", cases);
}
