/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk_qgen [EAL options] -- [options]
 *
 * A DNS-over-UDP/IPv4 load generator on one DPDK port (the first one the
 * EAL probed: in the benchmarks, a net_memif client), and the two trivial
 * peers used to calibrate it:
 *
 *   -m gen      (default) reads a query list, turns every query into a
 *               complete Ethernet/IPv4/UDP frame with valid checksums once,
 *               then sends the frames round-robin as fast as the port takes
 *               them (or at -Q queries/s) and checks every frame that comes
 *               back. Stops after -T seconds or -n queries, whichever comes
 *               first, then waits up to --drain-ms for the last answers.
 *   -m sink     receives and frees everything: the generator's own maximum
 *               when the far end answers nothing.
 *   -m reflect  swaps MAC and IP addresses and UDP ports, sets QR (mending
 *               the UDP checksum) and sends the frame back: the generator's
 *               maximum, checks included, with a far end that does no DNS
 *               work.
 *
 * Query list: one query per line, "name TYPE [FLAG]", the format of
 * kxdpgun(1) and dnsperf(1): FLAG E adds an OPT RR (payload size 1232), D an
 * OPT RR with the DO bit. Names are sent with the letter case they have in
 * the file. Lines that are empty or start with ';' or '#' are skipped.
 *
 * Query i of the list is sent with DNS ID (i & 0xffff) from UDP source port
 * (--sport + (i >> 16)), so every answer names the query it answers. An
 * answer is counted as good when it is IPv4/UDP from port 53 to one of those
 * ports, its IPv4 header and UDP checksums are right, QR is set, and its
 * question section is byte for byte the question that was sent (the same
 * letter case included). Anything else from port 53 is counted as bad and
 * the first few are dumped to stderr; frames that are not UDP from port 53
 * (ARP, IPv6 router solicitations of an exception interface, ...) are
 * counted as other.
 *
 * Who saturates: a burst the port does not take whole (its TX ring is
 * full) is kept and offered again, so nothing is lost on the way out;
 * "tx_blocked_pct" is the share of the run's time that followed a send the
 * ring turned away, i.e. spent waiting for room.
 * On memif the ring fills when the far end receives more slowly than the
 * generator sends: near 100 % the far end is the limit, near 0 the
 * generator is (compare its rates against -m sink and -m reflect).
 * "tx_refused" counts the frames turned away, once per attempt.
 *
 * Output: a line per second on stdout, then "key: value" lines.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#define BURST_MAX   64
#define NB_MBUFS    16383
#define MBUF_CACHE  256
#define RING_DESC   1024
#define ETH_HLEN    14
#define IP_HLEN	    20
#define UDP_HLEN    8
#define DNS_HLEN    12
#define HDRS	    (ETH_HLEN + IP_HLEN + UDP_HLEN)
#define NAME_MAX_W  255
#define FRAME_MAX   (HDRS + DNS_HLEN + NAME_MAX_W + 4 + 11)
#define EDNS_SIZE   1232
#define MAX_QUERIES (1u << 24)
#define MAX_DUMPS   5

enum mode { MODE_GEN, MODE_SINK, MODE_REFLECT };

struct opts {
	enum mode mode;
	const char *queries;
	double seconds;
	uint64_t count;
	uint64_t rate;
	unsigned burst;
	unsigned drain_ms;
	unsigned wait_link;
	uint16_t sport;
	uint8_t src_mac[6], dst_mac[6];
	uint8_t src_ip[4], dst_ip[4];
};

/* The query frames, built once: frame i is buf[off[i] .. off[i] + len[i]). */
struct tpl {
	uint8_t *buf;
	uint32_t *off;
	uint16_t *len;
	uint16_t *qlen; /* bytes of the question (name, type, class) */
	uint32_t n;
	uint32_t edns;
	uint16_t nports; /* source ports used */
};

struct counters {
	uint64_t sent, refused, blocked_tsc, alloc_fail;
	uint64_t rx, answers, reflected, other, bad, bad_csum;
	uint64_t rcode[16], tc, aa, rx_bytes;
};

static atomic_bool stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dpdk_qgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 sum of len bytes, big-endian words, not complemented. */
static uint32_t csum_add(const uint8_t *p, unsigned len, uint32_t sum)
{
	while (len >= 2) {
		sum += rd16(p);
		p += 2;
		len -= 2;
	}
	if (len != 0)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t udp_pseudo(const uint8_t *ip, unsigned ulen)
{
	return csum_add(ip + 12, 8, 0) + 17 + ulen;
}

/*
 * The same sum for checking answers at full rate: words are loaded in host
 * order, 8 bytes at a time (RFC 1071: the folded sum of host-order words is
 * the byte swap of the network-order one, and 0xffff is its own swap, so a
 * check needs no swapping at all).
 */
static uint64_t hsum(const uint8_t *p, unsigned len, uint64_t sum)
{
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		uint8_t last[2] = { p[0], 0 };
		uint16_t w;
		memcpy(&w, last, 2);
		sum += w;
	}
	return sum;
}

static bool hsum_ok(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static uint64_t hsum_pseudo(const uint8_t *ip, unsigned ulen)
{
	return hsum(ip + 12, 8, 0) + rte_cpu_to_be_16(17) + rte_cpu_to_be_16((uint16_t)ulen);
}

/* ---- the query list ---- */

static int parse_type(const char *s)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{ "A", 1 },	  { "NS", 2 },	   { "CNAME", 5 },  { "SOA", 6 },
		{ "PTR", 12 },	  { "HINFO", 13 }, { "MX", 15 },    { "TXT", 16 },
		{ "AAAA", 28 },	  { "SRV", 33 },   { "NAPTR", 35 }, { "DNAME", 39 },
		{ "DS", 43 },	  { "SSHFP", 44 }, { "RRSIG", 46 }, { "NSEC", 47 },
		{ "DNSKEY", 48 }, { "NSEC3", 50 }, { "TLSA", 52 },  { "SVCB", 64 },
		{ "HTTPS", 65 },  { "CAA", 257 },  { "ANY", 255 },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4])) {
		char *end;
		unsigned long v = strtoul(s + 4, &end, 10);
		if (*end == '\0' && v <= 65535)
			return (int)v;
	}
	return -1;
}

/* Presentation name (with \X and \DDD escapes) to wire format; the case is
 * kept. Returns the wire length, or -1. */
static int name_to_wire(const char *s, uint8_t *out)
{
	unsigned o = 0, lab = 0, ll = 0;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	out[0] = 0;
	o = 1;
	for (const char *p = s; *p != '\0'; p++) {
		int c = (unsigned char)*p;
		if (c == '.') {
			if (ll == 0)
				return -1;
			out[lab] = (uint8_t)ll;
			lab = o++;
			ll = 0;
			if (o > NAME_MAX_W)
				return -1;
			out[lab] = 0;
			continue;
		}
		if (c == '\\') {
			if (isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
			    isdigit((unsigned char)p[3])) {
				c = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
				if (c > 255)
					return -1;
				p += 3;
			} else if (p[1] != '\0') {
				c = (unsigned char)*++p;
			} else {
				return -1;
			}
		}
		if (++ll > 63 || o + 1 > NAME_MAX_W)
			return -1;
		out[o++] = (uint8_t)c;
	}
	if (ll != 0) {
		/* no final dot: the name is taken as absolute all the same */
		out[lab] = (uint8_t)ll;
		out[o++] = 0;
	}
	return (int)o;
}

/* Writes the frame of query idx; returns its length. */
static unsigned build_frame(const struct opts *o, uint32_t idx, const uint8_t *qname, unsigned nlen,
			    unsigned type, char flag, uint8_t *f, uint16_t *qlen)
{
	uint8_t *ip = f + ETH_HLEN, *udp = ip + IP_HLEN, *dns = udp + UDP_HLEN;
	uint8_t *q = dns + DNS_HLEN;
	bool opt = flag == 'E' || flag == 'D';

	memcpy(f, o->dst_mac, 6);
	memcpy(f + 6, o->src_mac, 6);
	wr16(f + 12, 0x0800);
	/* DNS: no RD, as an authoritative server's clients send it */
	wr16(dns, idx & 0xffff);
	wr16(dns + 2, 0);
	wr16(dns + 4, 1);
	wr16(dns + 6, 0);
	wr16(dns + 8, 0);
	wr16(dns + 10, opt ? 1 : 0);
	memcpy(q, qname, nlen);
	wr16(q + nlen, type);
	wr16(q + nlen + 2, 1);
	*qlen = (uint16_t)(nlen + 4);
	unsigned dlen = DNS_HLEN + nlen + 4;
	if (opt) {
		uint8_t *r = q + nlen + 4;
		r[0] = 0;		/* root */
		wr16(r + 1, 41);	/* OPT */
		wr16(r + 3, EDNS_SIZE); /* payload size */
		wr16(r + 5, 0);		/* extended rcode, version */
		wr16(r + 7, flag == 'D' ? 0x8000 : 0);
		wr16(r + 9, 0); /* no options */
		dlen += 11;
	}
	unsigned ulen = UDP_HLEN + dlen;
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, IP_HLEN + ulen);
	wr16(ip + 4, idx & 0xffff);
	wr16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 17;
	wr16(ip + 10, 0);
	memcpy(ip + 12, o->src_ip, 4);
	memcpy(ip + 16, o->dst_ip, 4);
	wr16(ip + 10, (uint16_t)~csum_fold(csum_add(ip, IP_HLEN, 0)));
	wr16(udp, o->sport + (idx >> 16));
	wr16(udp + 2, 53);
	wr16(udp + 4, ulen);
	wr16(udp + 6, 0);
	uint16_t c = (uint16_t)~csum_fold(csum_add(udp, ulen, udp_pseudo(ip, ulen)));
	wr16(udp + 6, c == 0 ? 0xffff : c);
	return HDRS + dlen;
}

static void load_queries(const struct opts *o, struct tpl *t)
{
	FILE *f = fopen(o->queries, "r");
	char line[2048];
	size_t cap = 1 << 16, used = 0;
	uint32_t lineno = 0;

	if (f == NULL)
		die("%s: %s", o->queries, strerror(errno));
	memset(t, 0, sizeof(*t));
	size_t bcap = cap * 96;
	t->buf = malloc(bcap);
	t->off = malloc(cap * sizeof(*t->off));
	t->len = malloc(cap * sizeof(*t->len));
	t->qlen = malloc(cap * sizeof(*t->qlen));
	if (t->buf == NULL || t->off == NULL || t->len == NULL || t->qlen == NULL)
		die("out of memory");
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[1024], type[32], flag[8] = "";
		uint8_t wire[NAME_MAX_W + 1];
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			die("%s:%u: line too long", o->queries, lineno);
		int k = sscanf(line, "%1023s %31s %7s", name, type, flag);
		if (k <= 0 || name[0] == ';' || name[0] == '#')
			continue;
		if (k < 2)
			die("%s:%u: expected \"name TYPE [E|D]\"", o->queries, lineno);
		int ty = parse_type(type);
		int nlen = name_to_wire(name, wire);
		if (ty < 0 || nlen < 0 ||
		    (k == 3 && strcmp(flag, "E") != 0 && strcmp(flag, "D") != 0))
			die("%s:%u: cannot read \"%s %s %s\"", o->queries, lineno, name, type,
			    flag);
		if (t->n == MAX_QUERIES)
			die("%s: more than %u queries", o->queries, MAX_QUERIES);
		if (t->n == cap) {
			cap *= 2;
			t->off = realloc(t->off, cap * sizeof(*t->off));
			t->len = realloc(t->len, cap * sizeof(*t->len));
			t->qlen = realloc(t->qlen, cap * sizeof(*t->qlen));
			if (t->off == NULL || t->len == NULL || t->qlen == NULL)
				die("out of memory");
		}
		if (used + FRAME_MAX > bcap) {
			bcap *= 2;
			t->buf = realloc(t->buf, bcap);
			if (t->buf == NULL)
				die("out of memory");
		}
		t->off[t->n] = (uint32_t)used;
		t->len[t->n] = (uint16_t)build_frame(o, t->n, wire, (unsigned)nlen, (unsigned)ty,
						     flag[0], t->buf + used, &t->qlen[t->n]);
		used += t->len[t->n];
		t->edns += flag[0] != '\0';
		t->n++;
	}
	fclose(f);
	if (t->n == 0)
		die("%s: no queries", o->queries);
	t->nports = (uint16_t)(((t->n - 1) >> 16) + 1);
	if ((unsigned)o->sport + t->nports > 65536)
		die("--sport %u leaves too few ports for %u queries", o->sport, t->n);
}

/* ---- answers ---- */

static void dump(const char *why, const uint8_t *p, unsigned len)
{
	fprintf(stderr, "dpdk_qgen: bad answer (%s), %u bytes:", why, len);
	for (unsigned i = 0; i < len && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 16 == 0 ? "\n  " : " ", p[i]);
	fputc('\n', stderr);
}

static void bad(struct counters *c, const char *why, const uint8_t *p, unsigned len)
{
	if (c->bad++ < MAX_DUMPS)
		dump(why, p, len);
}

static void on_frame(const struct opts *o, const struct tpl *t, struct counters *c,
		     const uint8_t *p, unsigned len)
{
	c->rx++;
	c->rx_bytes += len;
	if (len < HDRS || rd16(p + 12) != 0x0800 || (p[14] >> 4) != 4 || p[23] != 17) {
		c->other++;
		return;
	}
	const uint8_t *ip = p + ETH_HLEN;
	unsigned ihl = (ip[0] & 0x0f) * 4u, tot = rd16(ip + 2);
	const uint8_t *udp = ip + ihl;
	if (ihl < IP_HLEN || tot > len - ETH_HLEN || tot < ihl + UDP_HLEN || rd16(udp) != 53) {
		c->other++;
		return;
	}
	unsigned ulen = rd16(udp + 4), dport = rd16(udp + 2);
	if (ulen < UDP_HLEN + DNS_HLEN || ulen > tot - ihl) {
		bad(c, "lengths", p, len);
		return;
	}
	if (dport < o->sport || dport - o->sport >= t->nports) {
		bad(c, "destination port", p, len);
		return;
	}
	const uint8_t *dns = udp + UDP_HLEN;
	uint32_t idx = (uint32_t)(dport - o->sport) << 16 | rd16(dns);
	if (idx >= t->n) {
		bad(c, "ID", p, len);
		return;
	}
	if ((dns[2] & 0x80) == 0) {
		c->reflected++;
		return;
	}
	if (!hsum_ok(hsum(ip, ihl, 0)) ||
	    (rd16(udp + 6) != 0 && !hsum_ok(hsum(udp, ulen, hsum_pseudo(ip, ulen))))) {
		c->bad_csum++;
		bad(c, "checksum", p, len);
		return;
	}
	unsigned ql = t->qlen[idx];
	const uint8_t *sent_q = t->buf + t->off[idx] + HDRS + DNS_HLEN;
	if (rd16(dns + 4) != 1 || ulen < UDP_HLEN + DNS_HLEN + ql ||
	    memcmp(dns + DNS_HLEN, sent_q, ql) != 0) {
		bad(c, "question", p, len);
		return;
	}
	c->answers++;
	c->rcode[dns[3] & 0x0f]++;
	c->tc += (dns[2] >> 1) & 1;
	c->aa += (dns[2] >> 2) & 1;
}

/* ---- the port ---- */

static uint16_t port_setup(struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nrx = RING_DESC, ntx = RING_DESC, port;
	int rc;

	if (rte_eth_dev_count_avail() == 0)
		die("no port: did the --vdev probe? (EAL does not fail when it does not)");
	port = (uint16_t)rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
	if ((rc = rte_eth_dev_configure(port, 1, 1, &conf)) != 0 ||
	    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx)) != 0 ||
	    (rc = rte_eth_rx_queue_setup(port, 0, nrx, rte_eth_dev_socket_id(port), NULL, mp)) !=
		    0 ||
	    (rc = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL)) != 0 ||
	    (rc = rte_eth_dev_start(port)) != 0)
		die("port %u: %s", port, rte_strerror(-rc));
	return port;
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link l;

	return rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP;
}

/* ---- the loops ---- */

static double secs(uint64_t tsc)
{
	return (double)tsc / (double)rte_get_tsc_hz();
}

/* CPU time of the calling thread, in seconds: over the wall time of a run,
 * the share of its CPU the loop actually got on a shared machine. */
static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_gen(const struct opts *o, const struct tpl *t, uint16_t port,
		    struct rte_mempool *mp)
{
	struct rte_mbuf *pend[BURST_MAX], *rx[BURST_MAX];
	struct counters c = { 0 }, last = { 0 };
	unsigned npend = 0;
	uint32_t cur = 0;
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t t0 = rte_rdtsc(), tick = t0 + hz, tlast = t0;
	uint64_t t_end = t0 + (uint64_t)(o->seconds * (double)hz);
	uint64_t offered = 0, per_sec_best = 0, now = t0;
	uint64_t ivals[4096];
	unsigned nivals = 0;
	double cpu0 = thread_cpu();
	uint64_t prev = t0;
	bool blocked = false;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		now = rte_rdtsc();
		/* the time since the last send that the ring refused */
		if (blocked)
			c.blocked_tsc += now - prev;
		prev = now;
		blocked = false;
		if (now >= t_end || (o->count != 0 && c.sent >= o->count))
			break;
		if (npend == 0) {
			uint64_t want = o->burst;
			if (o->count != 0 && o->count - offered < want)
				want = o->count - offered;
			if (o->rate != 0) {
				uint64_t allowed = (uint64_t)((double)(now - t0) / (double)hz *
							      (double)o->rate);
				want = allowed > offered ? RTE_MIN(want, allowed - offered) : 0;
			}
			if (want > 0 && rte_pktmbuf_alloc_bulk(mp, pend, (unsigned)want) == 0) {
				for (unsigned i = 0; i < want; i++) {
					struct rte_mbuf *m = pend[i];
					uint16_t l = t->len[cur];
					memcpy(rte_pktmbuf_mtod(m, uint8_t *), t->buf + t->off[cur],
					       l);
					m->data_len = l;
					m->pkt_len = l;
					if (++cur == t->n)
						cur = 0;
				}
				rte_prefetch0(t->buf + t->off[cur]);
				npend = (unsigned)want;
				offered += want;
			} else if (want > 0) {
				c.alloc_fail++;
			}
		}
		if (npend > 0) {
			uint16_t s = rte_eth_tx_burst(port, 0, pend, (uint16_t)npend);
			c.sent += s;
			if (s < npend) {
				blocked = true;
				c.refused += npend - s;
				memmove(pend, pend + s, (npend - s) * sizeof(pend[0]));
			}
			npend -= s;
		}
		uint16_t n = rte_eth_rx_burst(port, 0, rx, BURST_MAX);
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
			on_frame(o, t, &c, rte_pktmbuf_mtod(rx[i], uint8_t *), rx[i]->data_len);
		}
		if (n > 0)
			rte_pktmbuf_free_bulk(rx, n);
		if (now >= tick) {
			double dt = secs(now - tlast);
			uint64_t a = (uint64_t)((double)(c.answers - last.answers) / dt);
			printf("t=%5.1f sent/s %9.0f received/s %9.0f answers/s %9" PRIu64
			       " tx_blocked %5.1f%% bad %" PRIu64 "\n",
			       secs(now - t0), (double)(c.sent - last.sent) / dt,
			       (double)(c.rx - last.rx) / dt, a,
			       100.0 * (double)(c.blocked_tsc - last.blocked_tsc) /
				       (double)(now - tlast),
			       c.bad);
			fflush(stdout);
			if (a > per_sec_best)
				per_sec_best = a;
			if (nivals < sizeof(ivals) / sizeof(ivals[0]))
				ivals[nivals++] = a;
			last = c;
			tlast = now;
			tick += hz;
		}
	}
	double elapsed = secs(now - t0);
	double cpu = thread_cpu() - cpu0;
	struct counters at_end = c;
	/* the last answers: until all are in or --drain-ms */
	if (npend > 0)
		rte_pktmbuf_free_bulk(pend, npend);
	uint64_t d_end = rte_rdtsc() + hz * o->drain_ms / 1000;
	while (c.answers + c.reflected < c.sent && rte_rdtsc() < d_end) {
		uint16_t n = rte_eth_rx_burst(port, 0, rx, BURST_MAX);
		for (uint16_t i = 0; i < n; i++)
			on_frame(o, t, &c, rte_pktmbuf_mtod(rx[i], uint8_t *), rx[i]->data_len);
		if (n > 0)
			rte_pktmbuf_free_bulk(rx, n);
	}

	/* the median of the whole seconds, the first one (warm-up) left out */
	uint64_t med = 0;
	if (nivals > 1) {
		uint64_t *v = ivals + 1;
		unsigned nv = nivals - 1;
		for (unsigned i = 1; i < nv; i++)
			for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
				uint64_t x = v[j];
				v[j] = v[j - 1];
				v[j - 1] = x;
			}
		med = nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2;
	} else if (nivals == 1) {
		med = ivals[0];
	}
	uint64_t replies = c.answers + c.reflected;
	printf("mode: gen\n");
	printf("queries_in_list: %u\n", t->n);
	printf("queries_with_edns: %u\n", t->edns);
	printf("seconds: %.3f\n", elapsed);
	printf("sent: %" PRIu64 "\n", c.sent);
	printf("received: %" PRIu64 "\n", c.rx);
	printf("answers: %" PRIu64 "\n", c.answers);
	printf("reflected: %" PRIu64 "\n", c.reflected);
	printf("other: %" PRIu64 "\n", c.other);
	printf("bad: %" PRIu64 "\n", c.bad);
	printf("bad_checksum: %" PRIu64 "\n", c.bad_csum);
	printf("tx_refused: %" PRIu64 "\n", c.refused);
	printf("alloc_fail: %" PRIu64 "\n", c.alloc_fail);
	printf("sent_per_s: %.0f\n", (double)at_end.sent / elapsed);
	printf("received_per_s: %.0f\n", (double)at_end.rx / elapsed);
	printf("answers_per_s: %.0f\n", (double)at_end.answers / elapsed);
	printf("replies_per_s: %.0f\n", (double)(at_end.answers + at_end.reflected) / elapsed);
	printf("answers_per_s_median_second: %" PRIu64 "\n", med);
	printf("answers_per_s_best_second: %" PRIu64 "\n", per_sec_best);
	printf("loss_pct: %.3f\n",
	       c.sent > 0 ? 100.0 * (double)(c.sent - RTE_MIN(replies, c.sent)) / (double)c.sent
			  : 0.0);
	printf("tx_blocked_pct: %.1f\n",
	       now > t0 ? 100.0 * (double)c.blocked_tsc / (double)(now - t0) : 0.0);
	printf("avg_answer_bytes: %.1f\n", c.rx > 0 ? (double)c.rx_bytes / (double)c.rx : 0.0);
	static const char *const rc[16] = { "noerror", "formerr", "servfail", "nxdomain",
					    "notimp",  "refused", "yxdomain", "yxrrset",
					    "nxrrset", "notauth", "notzone" };
	printf("rcodes:");
	for (unsigned i = 0; i < 16; i++)
		if (c.rcode[i] != 0) {
			if (rc[i] != NULL)
				printf(" %s %.1f%%", rc[i],
				       100.0 * (double)c.rcode[i] / (double)c.answers);
			else
				printf(" rcode%u %.1f%%", i,
				       100.0 * (double)c.rcode[i] / (double)c.answers);
		}
	printf("\n");
	printf("aa_pct: %.1f\n", c.answers ? 100.0 * (double)c.aa / (double)c.answers : 0.0);
	printf("cpu_share: %.2f\n", elapsed > 0 ? cpu / elapsed : 0.0);
	printf("tc: %" PRIu64 "\n", c.tc);
}

/* Sets QR in the DNS header after the UDP header udp, and mends the UDP
 * checksum (RFC 1624), so that the generator checks a reflected query as it
 * checks an answer. */
static void set_qr(uint8_t *udp)
{
	uint8_t *dns = udp + UDP_HLEN;
	unsigned old = rd16(dns + 2), new = old | 0x8000;

	if (old == new)
		return;
	wr16(dns + 2, new);
	if (rd16(udp + 6) == 0)
		return;
	uint32_t sum = (uint16_t)~rd16(udp + 6) + (uint16_t)~old + new;
	uint16_t c = (uint16_t)~csum_fold(sum);
	wr16(udp + 6, c == 0 ? 0xffff : c);
}

static void run_peer(const struct opts *o, uint16_t port)
{
	struct rte_mbuf *rx[BURST_MAX];
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t t0 = rte_rdtsc(), tick = t0 + hz, tlast = t0, now = t0;
	uint64_t t_end = t0 + (uint64_t)(o->seconds * (double)hz);
	uint64_t rxn = 0, txn = 0, dropped = 0, last_rx = 0, last_tx = 0;
	double cpu0 = thread_cpu();

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		now = rte_rdtsc();
		if (now >= t_end)
			break;
		uint16_t n = rte_eth_rx_burst(port, 0, rx, BURST_MAX);
		if (n == 0)
			goto tick;
		rxn += n;
		if (o->mode == MODE_SINK) {
			rte_pktmbuf_free_bulk(rx, n);
			goto tick;
		}
		for (uint16_t i = 0; i < n; i++) {
			uint8_t *p = rte_pktmbuf_mtod(rx[i], uint8_t *), tmp[6];
			memcpy(tmp, p, 6);
			memcpy(p, p + 6, 6);
			memcpy(p + 6, tmp, 6);
			if (rx[i]->data_len >= HDRS && rd16(p + 12) == 0x0800 && p[14] == 0x45) {
				uint8_t a[4], *ip = p + ETH_HLEN, *udp = ip + IP_HLEN;
				memcpy(a, ip + 12, 4);
				memcpy(ip + 12, ip + 16, 4);
				memcpy(ip + 16, a, 4);
				uint8_t sp[2] = { udp[0], udp[1] };
				udp[0] = udp[2];
				udp[1] = udp[3];
				udp[2] = sp[0];
				udp[3] = sp[1];
				if (rx[i]->data_len >= HDRS + DNS_HLEN)
					set_qr(udp);
			}
		}
		uint16_t s = rte_eth_tx_burst(port, 0, rx, n);
		txn += s;
		if (s < n) {
			dropped += n - s;
			rte_pktmbuf_free_bulk(rx + s, n - s);
		}
	tick:
		if (now >= tick) {
			double dt = secs(now - tlast);
			printf("t=%5.1f received/s %9.0f sent/s %9.0f\n", secs(now - t0),
			       (double)(rxn - last_rx) / dt, (double)(txn - last_tx) / dt);
			fflush(stdout);
			last_rx = rxn;
			last_tx = txn;
			tlast = now;
			tick += hz;
		}
	}
	printf("mode: %s\n", o->mode == MODE_SINK ? "sink" : "reflect");
	printf("seconds: %.3f\n", secs(now - t0));
	printf("received: %" PRIu64 "\n", rxn);
	printf("sent: %" PRIu64 "\n", txn);
	printf("tx_full_dropped: %" PRIu64 "\n", dropped);
	printf("cpu_share: %.2f\n", (thread_cpu() - cpu0) / secs(now - t0));
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dpdk_qgen [EAL options] -- [options]\n"
		"  -m, --mode gen|sink|reflect  (default gen)\n"
		"  -q, --queries FILE   query list, \"name TYPE [E|D]\" per line (gen)\n"
		"  -T, --seconds S      run time (default 10)\n"
		"  -n, --count N        stop after N queries sent (default 0: no limit)\n"
		"  -Q, --rate QPS       offered queries per second (default 0: as fast as "
		"possible)\n"
		"  -b, --burst N        frames per burst, 1..%d (default 32)\n"
		"      --drain-ms MS    wait for answers after the last query (default 200)\n"
		"      --wait-link S    wait for the port's link (default 10)\n"
		"      --src-mac, --dst-mac MAC (default 02:00:00:00:00:02, 02:00:00:00:00:01)\n"
		"      --src-ip, --dst-ip IPV4  (default 192.0.2.2, 192.0.2.1)\n"
		"      --sport PORT     first UDP source port (default 10000)\n",
		BURST_MAX);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
		die("bad MAC address '%s'", s);
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			die("bad MAC address '%s'", s);
		mac[i] = (uint8_t)v[i];
	}
}

static void parse_ip(const char *s, uint8_t *ip)
{
	if (inet_pton(AF_INET, s, ip) != 1)
		die("bad IPv4 address '%s'", s);
}

static uint64_t parse_u64(const char *what, const char *s, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
		die("%s: bad value '%s'", what, s);
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_DRAIN = 256, O_WAIT, O_SMAC, O_DMAC, O_SIP, O_DIP, O_SPORT };
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "queries", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'Q' },
		{ "burst", required_argument, NULL, 'b' },
		{ "drain-ms", required_argument, NULL, O_DRAIN },
		{ "wait-link", required_argument, NULL, O_WAIT },
		{ "src-mac", required_argument, NULL, O_SMAC },
		{ "dst-mac", required_argument, NULL, O_DMAC },
		{ "src-ip", required_argument, NULL, O_SIP },
		{ "dst-ip", required_argument, NULL, O_DIP },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .mode = MODE_GEN,
			    .seconds = 10,
			    .burst = 32,
			    .drain_ms = 200,
			    .wait_link = 10,
			    .sport = 10000 };
	parse_mac("02:00:00:00:00:02", o->src_mac);
	parse_mac("02:00:00:00:00:01", o->dst_mac);
	parse_ip("192.0.2.2", o->src_ip);
	parse_ip("192.0.2.1", o->dst_ip);
	while ((c = getopt_long(argc, argv, "m:q:T:n:Q:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "gen") == 0)
				o->mode = MODE_GEN;
			else if (strcmp(optarg, "sink") == 0)
				o->mode = MODE_SINK;
			else if (strcmp(optarg, "reflect") == 0)
				o->mode = MODE_REFLECT;
			else
				die("--mode: gen, sink or reflect");
			break;
		case 'q': o->queries = optarg; break;
		case 'T': {
			char *end;
			o->seconds = strtod(optarg, &end);
			if (*end != '\0' || !(o->seconds > 0 && o->seconds <= 86400))
				die("-T: bad value '%s'", optarg);
			break;
		}
		case 'n': o->count = parse_u64("-n", optarg, UINT64_MAX); break;
		case 'Q': o->rate = parse_u64("-Q", optarg, 1000000000); break;
		case 'b': o->burst = (unsigned)parse_u64("-b", optarg, BURST_MAX); break;
		case O_DRAIN: o->drain_ms = (unsigned)parse_u64("--drain-ms", optarg, 60000); break;
		case O_WAIT: o->wait_link = (unsigned)parse_u64("--wait-link", optarg, 3600); break;
		case O_SMAC: parse_mac(optarg, o->src_mac); break;
		case O_DMAC: parse_mac(optarg, o->dst_mac); break;
		case O_SIP: parse_ip(optarg, o->src_ip); break;
		case O_DIP: parse_ip(optarg, o->dst_ip); break;
		case O_SPORT:
			o->sport = (uint16_t)parse_u64("--sport", optarg, 65535);
			if (o->sport < 1024)
				die("--sport: at least 1024");
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (o->burst == 0)
		die("-b: 1..%d", BURST_MAX);
	if (o->mode == MODE_GEN && o->queries == NULL)
		die("-q FILE is needed in gen mode");
}

int main(int argc, char **argv)
{
	struct opts o;
	struct tpl t = { 0 };

	int n = rte_eal_init(argc, argv);
	if (n < 0)
		die("EAL initialisation failed: %s", rte_strerror(rte_errno));
	argv[n] = argv[0];
	parse_opts(argc - n, argv + n, &o);
	if (o.mode == MODE_GEN)
		load_queries(&o, &t);

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct rte_mempool *mp = rte_pktmbuf_pool_create(
		"qgen", NB_MBUFS, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL)
		die("cannot create the mbuf pool: %s", rte_strerror(rte_errno));
	uint16_t port = port_setup(mp);
	if (o.mode == MODE_GEN) {
		/* the far end (a memif server) must be there before we count */
		uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() * o.wait_link;
		while (!link_up(port) && rte_rdtsc() < deadline &&
		       !atomic_load_explicit(&stop, memory_order_relaxed))
			rte_delay_us_sleep(10000);
		if (!link_up(port))
			die("port %u: link down after %u s", port, o.wait_link);
		fprintf(stderr, "dpdk_qgen: %u queries (%u with EDNS), link up, sending\n", t.n,
			t.edns);
		run_gen(&o, &t, port, mp);
	} else {
		run_peer(&o, port);
	}
	fflush(stdout);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	free(t.buf);
	free(t.off);
	free(t.len);
	free(t.qlen);
	return 0;
}
