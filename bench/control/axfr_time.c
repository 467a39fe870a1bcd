/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * axfr_time: times one AXFR over TCP with as little client work as
 * possible, for bench/control_vs_knot.sh.
 *
 *   axfr_time [-p PORT] [-t SECONDS] ADDRESS ZONE
 *
 * Connects to ADDRESS (IPv4 or IPv6) port 53, sends one AXFR query for ZONE
 * (no EDNS, no TSIG) and reads the answer until the second SOA record. Each
 * message is checked (the query's ID, QR set, RCODE NOERROR) and its answer
 * records are walked (owner skipped, type read, data skipped) to count the
 * records and find the closing SOA; nothing is printed per record. The
 * first record must be an SOA.
 *
 * Prints, one "key value" per line: records (the closing SOA included),
 * messages, bytes (DNS message octets, without the 2-octet lengths),
 * connect_ms, first_ms (from sending the query to the first message),
 * seconds (from connect() to the closing SOA), records_per_s, mbit_per_s.
 * Exits 0 when the transfer was complete and well-formed, 1 otherwise
 * (with a message on stderr), 2 on a usage error. -t bounds the whole
 * transfer (default 120 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T_SOA  6
#define T_AXFR 252

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "axfr_time: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* Writes ZONE in wire form to out (at least 256 bytes); returns its length. */
static size_t name_wire(const char *zone, uint8_t *out)
{
	size_t o = 0;
	const char *p = zone;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63 || o + len + 2 > 255)
			fail("bad zone name '%s'", zone);
		out[o++] = (uint8_t)len;
		memcpy(out + o, p, len);
		o += len;
		p += len;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

/* Skips a (possibly compressed) name at m[o]; returns the offset after it
 * or 0 if it runs past len. */
static size_t skip_name(const uint8_t *m, size_t len, size_t o)
{
	while (o < len) {
		uint8_t l = m[o];
		if (l == 0)
			return o + 1;
		if ((l & 0xC0) == 0xC0)
			return o + 2 <= len ? o + 2 : 0;
		if ((l & 0xC0) != 0)
			return 0;
		o += 1u + l;
	}
	return 0;
}

/* Reads exactly n bytes before the deadline. */
static void read_full(int fd, uint8_t *buf, size_t n, double deadline)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			fail("%s", "the server closed the connection before the closing SOA");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			fail("recv: %s", strerror(errno));
		int left = (int)((deadline - now()) * 1000.0);
		if (left <= 0)
			fail("%s", "time limit reached before the closing SOA");
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		poll(&pfd, 1, left);
	}
}

int main(int argc, char **argv)
{
	int port = 53, opt;
	double limit = 120.0;

	while ((opt = getopt(argc, argv, "p:t:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 't': limit = atof(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || port <= 0 || port > 65535 || limit <= 0)
		goto usage;
	const char *addr = argv[optind], *zone = argv[optind + 1];

	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		fail("not an IP address: '%s'", addr);
	}

	/* the query: 2-octet length, header, question */
	uint8_t q[2 + 12 + 256 + 4];
	uint16_t id = (uint16_t)((unsigned)getpid() ^ (unsigned)time(NULL));
	size_t nl = name_wire(zone, q + 14);
	size_t qlen = 12 + nl + 4;
	q[0] = (uint8_t)(qlen >> 8);
	q[1] = (uint8_t)qlen;
	memset(q + 2, 0, 12);
	q[2] = (uint8_t)(id >> 8);
	q[3] = (uint8_t)id;
	q[7] = 1; /* QDCOUNT */
	q[14 + nl] = 0;
	q[15 + nl] = T_AXFR;
	q[16 + nl] = 0;
	q[17 + nl] = 1; /* IN */

	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	struct timeval tv = { .tv_sec = (time_t)limit, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	double t0 = now(), deadline = t0 + limit;
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0)
		fail("connect: %s", strerror(errno));
	double t_conn = now();
	if (send(fd, q, 2 + qlen, MSG_NOSIGNAL) != (ssize_t)(2 + qlen))
		fail("send: %s", strerror(errno));
	/* reads wait in poll() with the time left, never past the deadline */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		fail("fcntl: %s", strerror(errno));

	static uint8_t m[65536];
	uint64_t records = 0, messages = 0, bytes = 0;
	unsigned soas = 0;
	double t_first = 0;
	while (soas < 2) {
		uint8_t pfx[2];
		read_full(fd, pfx, 2, deadline);
		size_t len = (size_t)pfx[0] << 8 | pfx[1];
		if (len < 12)
			fail("%s", "a message shorter than a DNS header");
		read_full(fd, m, len, deadline);
		if (messages == 0)
			t_first = now();
		messages++;
		bytes += len;
		if ((m[0] << 8 | m[1]) != id || (m[2] & 0x80) == 0)
			fail("%s", "a message that is not a response to the query");
		if ((m[3] & 0x0F) != 0) {
			char rc[8];
			snprintf(rc, sizeof(rc), "%u", m[3] & 0x0F);
			fail("the server answered RCODE %s", rc);
		}
		unsigned qd = (unsigned)(m[4] << 8 | m[5]), an = (unsigned)(m[6] << 8 | m[7]);
		size_t o = 12;
		for (unsigned i = 0; i < qd; i++) {
			o = skip_name(m, len, o);
			if (o == 0 || o + 4 > len)
				fail("%s", "a malformed question");
			o += 4;
		}
		for (unsigned i = 0; i < an; i++) {
			o = skip_name(m, len, o);
			if (o == 0 || o + 10 > len)
				fail("%s", "a malformed record");
			unsigned type = (unsigned)(m[o] << 8 | m[o + 1]);
			size_t rdlen = (size_t)(m[o + 8] << 8 | m[o + 9]);
			o += 10 + rdlen;
			if (o > len)
				fail("%s", "a record longer than its message");
			if (records == 0 && type != T_SOA)
				fail("%s", "the first record is not an SOA");
			records++;
			if (type == T_SOA && ++soas == 2 && i + 1 != an)
				fail("%s", "records after the closing SOA");
		}
		if (an == 0)
			fail("%s", "a message without answer records");
	}
	double t1 = now();
	close(fd);

	double secs = t1 - t0;
	printf("records %llu\n", (unsigned long long)records);
	printf("messages %llu\n", (unsigned long long)messages);
	printf("bytes %llu\n", (unsigned long long)bytes);
	printf("connect_ms %.3f\n", (t_conn - t0) * 1000.0);
	printf("first_ms %.3f\n", (t_first - t_conn) * 1000.0);
	printf("seconds %.6f\n", secs);
	printf("records_per_s %.0f\n", (double)records / secs);
	printf("mbit_per_s %.1f\n", (double)(bytes + 2 * messages) * 8.0 / secs / 1e6);
	return 0;

usage:
	fprintf(stderr, "usage: axfr_time [-p PORT] [-t SECONDS] ADDRESS ZONE\n");
	return 2;
}
