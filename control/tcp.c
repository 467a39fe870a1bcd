/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS over TCP (tcp.h), on the control loop.
 *
 * Design. Each connection has an input buffer (the messages read but not
 * answered yet, the last one possibly incomplete) and an output queue (the
 * length-prefixed responses not yet taken by the kernel). Messages are
 * answered in order into one 64 KiB scratch buffer shared by all
 * connections (the loop runs one callback at a time) and copied into the
 * output queue, which is written once per batch of messages rather than
 * once per response. A connection stops answering while OUT_HIGH bytes
 * wait in its queue, and stops reading then too: a client that does not
 * read its answers only gets as much memory as one batch. Both buffers
 * belong to the connection and grow only when a message needs it, so the
 * steady state allocates nothing.
 *
 * Connections are kept on a list in the order of their last activity
 * (a read, or a write the kernel took), which is also the order in which
 * they reach the idle timeout: one timer looks at the head of the list
 * only, and sleeps until the head expires.
 *
 * A connection ends in one of three ways. The client closes its side
 * (end of file): what is queued is written and the socket closed. We stop
 * (the query limit, garbage, a message the engine drops): nothing more is
 * read as a request, what is queued is written, then our side is shut
 * down and the socket lingers, discarding input, until the client closes
 * or the idle timeout passes; closing at once with unread input would
 * send a reset that can destroy answers the client has not read yet. Or
 * the idle timeout: the socket is closed as it is.
 *
 * The per-address limit uses a small chained hash of client addresses,
 * with entries taken from a pool allocated at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answer.h"
#include "config.h"
#include "ctl.h"
#include "table.h"
#include "tcp.h"
#include "xfr.h"
#include "zones.h"

#define MSG_MAX	     65535u /* a DNS message over TCP */
#define IN_INIT	     4096u  /* first input buffer of a connection */
#define OUT_INIT     4096u  /* first output buffer */
#define OUT_HIGH     16384u /* stop answering with this much queued */
#define OUT_MAX	     (OUT_HIGH + 2u + MSG_MAX)
#define ROUNDS	     16	 /* answer/write rounds per event */
#define ACCEPT_BURST 64	 /* connections accepted per event */
#define PAUSE_MS     100 /* listeners rest after EMFILE */
#define KA_OPT	     11	 /* edns-tcp-keepalive (RFC 7828) */
#define KA_LEN	     6	 /* the option with its TIMEOUT */
#define T_OPT	     41
#define T_TSIG	     250
#define OP_NOTIFY    4
#define RC_REFUSED   5
#define RC_NOTAUTH   9

#define DEF_MAX_CONNS	 1024u
#define DEF_MAX_PER_ADDR 32u
#define DEF_MAX_QUERIES	 10000u
#define DEF_IDLE_MS	 10000u

struct addr_ent {
	struct addr_ent *next;
	uint8_t key[17]; /* family, then the address (16 bytes, v4 zero-padded) */
	unsigned count;
};

struct conn {
	struct zw_tcp *t;
	int fd;
	uint32_t events; /* registered with the loop */
	struct conn *prev, *next;
	uint64_t last; /* ms of the last activity */
	struct addr_ent *addr;
	struct sockaddr_storage peer;
	bool v6;
	bool eof;    /* the client closed its side */
	bool stop;   /* no more requests are taken */
	bool linger; /* our side is shut down; waiting for the client's */
	bool bad;    /* counted in closed_bad */
	bool more;   /* work left when the round limit stopped us */
	unsigned queries;
	struct zw_xfr_stream *xfr;
	uint8_t *in;
	uint32_t in_off, in_len, in_cap; /* unread messages: in[in_off..in_len) */
	uint8_t *out;
	uint32_t out_off, out_len, out_cap; /* queued: out[out_off..out_off+out_len) */
};

struct listener {
	struct zw_tcp *t;
	int fd;
};

struct zw_tcp {
	struct zw_ctl *ctl;
	struct zw_zones *zones;
	struct zw_xfr *xfr;
	const struct zw_answer_cfg *acfg;
	struct zw_tcp_limits lim;
	struct listener ls[ZW_CFG_MAX_ADDRS];
	unsigned nls;
	bool paused;
	uint64_t resume_at;
	uint64_t timer;
	struct conn *head, *tail; /* by last activity, oldest first */
	struct addr_ent **buckets;
	unsigned nbuckets; /* a power of two */
	struct addr_ent *pool, *free_ents;
	uint64_t seed;
	struct zw_tcp_stats st;
	uint8_t scratch[MSG_MAX + 1];
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- client addresses ---- */

static void addr_key(const struct sockaddr_storage *ss, uint8_t key[17])
{
	memset(key, 0, 17);
	key[0] = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET6)
		memcpy(key + 1, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		memcpy(key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

static unsigned addr_hash(const struct zw_tcp *t, const uint8_t key[17])
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;

	for (unsigned i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	return (unsigned)h & (t->nbuckets - 1);
}

/* The entry of a client address, created if needed (NULL: pool empty). */
static struct addr_ent *addr_get(struct zw_tcp *t, const uint8_t key[17])
{
	unsigned b = addr_hash(t, key);

	for (struct addr_ent *e = t->buckets[b]; e != NULL; e = e->next)
		if (memcmp(e->key, key, 17) == 0)
			return e;
	struct addr_ent *e = t->free_ents;
	if (e == NULL)
		return NULL;
	t->free_ents = e->next;
	memcpy(e->key, key, 17);
	e->count = 0;
	e->next = t->buckets[b];
	t->buckets[b] = e;
	return e;
}

static void addr_put(struct zw_tcp *t, struct addr_ent *e)
{
	if (--e->count > 0)
		return;
	for (struct addr_ent **p = &t->buckets[addr_hash(t, e->key)]; *p != NULL; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			break;
		}
	}
	e->next = t->free_ents;
	t->free_ents = e;
}

/* ---- the activity list ---- */

static void list_unlink(struct zw_tcp *t, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct zw_tcp *t, struct conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail != NULL)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

/* Activity: the idle timeout starts again. */
static void touch(struct zw_tcp *t, struct conn *c)
{
	c->last = zw_ctl_now_ms();
	if (t->tail != c) {
		list_unlink(t, c);
		list_append(t, c);
	}
}

/* ---- connections ---- */

static void conn_close(struct zw_tcp *t, struct conn *c)
{
	zw_ctl_del_fd(t->ctl, c->fd);
	close(c->fd);
	if (c->xfr != NULL)
		zw_xfr_end(c->xfr);
	list_unlink(t, c);
	addr_put(t, c->addr);
	free(c->in);
	free(c->out);
	free(c);
	t->st.open--;
}

static void mark_bad(struct zw_tcp *t, struct conn *c)
{
	if (!c->bad) {
		c->bad = true;
		t->st.closed_bad++;
	}
	c->stop = true;
}

/* Queues one message with its length prefix. */
static int out_append(struct conn *c, const uint8_t *msg, size_t len)
{
	uint32_t need = (uint32_t)len + 2;

	if (c->out_off + c->out_len + need > c->out_cap && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	if (c->out_len + need > c->out_cap) {
		uint32_t cap = c->out_cap ? c->out_cap : OUT_INIT;
		while (cap < c->out_len + need)
			cap *= 2;
		if (cap > OUT_MAX)
			cap = OUT_MAX;
		if (c->out_len + need > cap)
			return -ENOBUFS; /* cannot happen: appends stop at OUT_HIGH */
		uint8_t *p = realloc(c->out, cap);
		if (p == NULL)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	uint8_t *w = c->out + c->out_off + c->out_len;
	put16(w, (unsigned)len);
	memcpy(w + 2, msg, len);
	c->out_len += need;
	return 0;
}

/* Writes what is queued: 0 all written, 1 the socket is full, -1 dead. */
static int out_flush(struct zw_tcp *t, struct conn *c)
{
	while (c->out_len > 0) {
		ssize_t w =
			send(c->fd, c->out + c->out_off, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			c->out_off += (uint32_t)w;
			c->out_len -= (uint32_t)w;
			touch(t, c);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return -1;
	}
	c->out_off = 0;
	return 0;
}

/* ---- messages ---- */

/* Skips a name at *off (not following pointers); false if malformed. The
 * largest pointer target met is kept in *ptr_max. */
static bool skip_name(const uint8_t *m, size_t len, size_t *off, size_t *ptr_max)
{
	size_t o = *off;

	for (unsigned labels = 0; labels < 128; labels++) {
		if (o >= len)
			return false;
		uint8_t l = m[o];
		if (l == 0) {
			*off = o + 1;
			return true;
		}
		if ((l & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return false;
			size_t target = (size_t)(l & 0x3f) << 8 | m[o + 1];
			if (ptr_max != NULL && target > *ptr_max)
				*ptr_max = target;
			*off = o + 2;
			return true;
		}
		if ((l & 0xc0) != 0)
			return false;
		o += 1u + l;
	}
	return false;
}

/* Skips the question, answer and authority sections; false if malformed. */
static bool skip_to_additional(const uint8_t *m, size_t len, size_t *off)
{
	size_t o = 12;
	unsigned qd = get16(m + 4), rrs = (unsigned)get16(m + 6) + get16(m + 8);

	for (unsigned i = 0; i < qd; i++) {
		if (!skip_name(m, len, &o, NULL) || len - o < 4)
			return false;
		o += 4;
	}
	for (unsigned i = 0; i < rrs; i++) {
		if (!skip_name(m, len, &o, NULL) || len - o < 10)
			return false;
		size_t rdlen = get16(m + o + 8);
		if (len - o - 10 < rdlen)
			return false;
		o += 10 + rdlen;
	}
	*off = o;
	return true;
}

/* Whether the OPT RR of the query carries edns-tcp-keepalive. */
static bool query_wants_keepalive(const uint8_t *q, size_t len)
{
	size_t o;

	if (len < 12 || !skip_to_additional(q, len, &o))
		return false;
	for (unsigned i = 0, ar = get16(q + 10); i < ar; i++) {
		if (!skip_name(q, len, &o, NULL) || len - o < 10)
			return false;
		unsigned type = get16(q + o), rdlen = get16(q + o + 8);
		o += 10;
		if (len - o < rdlen)
			return false;
		if (type == T_OPT) {
			for (size_t p = o; p + 4 <= o + rdlen;) {
				unsigned code = get16(q + p), olen = get16(q + p + 2);
				if (code == KA_OPT)
					return true;
				p += 4u + olen;
			}
			return false;
		}
		o += rdlen;
	}
	return false;
}

/*
 * Appends our edns-tcp-keepalive option (TIMEOUT in units of 100 ms) to the
 * OPT RR of the response in m (len bytes, cap bytes of room). The option
 * goes at the end of the OPT's rdata; records after the OPT (a TSIG) move
 * down. Returns the new length, or len unchanged when there is no OPT, no
 * room, or a record after the OPT that the move would break.
 */
static size_t add_keepalive(uint8_t *m, size_t len, size_t cap, unsigned timeout)
{
	size_t o, at = 0, rdlen_pos = 0;

	if (len < 12 || len + KA_LEN > cap || !skip_to_additional(m, len, &o))
		return len;
	for (unsigned i = 0, ar = get16(m + 10); i < ar; i++) {
		size_t ptr_max = 0, owner = o;
		if (!skip_name(m, len, &o, &ptr_max) || len - o < 10)
			return len;
		unsigned type = get16(m + o), rdlen = get16(m + o + 8);
		if (len - o - 10 < rdlen)
			return len;
		if (at == 0 && type == T_OPT && m[owner] == 0) {
			for (size_t p = o + 10; p + 4 <= o + 10 + rdlen;) {
				if (get16(m + p) == KA_OPT)
					return len; /* already there */
				p += 4u + get16(m + p + 2);
			}
			if (rdlen + KA_LEN > 0xffff)
				return len;
			rdlen_pos = o + 8;
			at = o + 10 + rdlen;
		} else if (at != 0) {
			/* only a TSIG follows the OPT; a name in it that points
			 * at or after the insertion would be broken by the move */
			size_t rd = o + 10;
			if (type != T_TSIG || ptr_max >= at ||
			    !skip_name(m, o + 10 + rdlen, &rd, &ptr_max) || ptr_max >= at)
				return len;
		}
		o += 10 + rdlen;
	}
	if (at == 0 || o != len)
		return len;
	memmove(m + at + KA_LEN, m + at, len - at);
	put16(m + at, KA_OPT);
	put16(m + at + 2, 2);
	put16(m + at + 4, timeout);
	put16(m + rdlen_pos, get16(m + rdlen_pos) + KA_LEN);
	return len + KA_LEN;
}

/* A response of header and question with rcode, for requests the engine
 * leaves to the control plane that nobody here serves. 0 if unreadable. */
static size_t short_response(const uint8_t *q, size_t qlen, uint8_t *out, unsigned rcode)
{
	size_t o = 12;

	if (qlen < 12)
		return 0;
	memcpy(out, q, 2);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79));  /* QR; opcode and RD kept */
	out[3] = (uint8_t)((q[3] & 0x10) | rcode); /* CD kept */
	memset(out + 4, 0, 8);
	if (get16(q + 4) != 1)
		return 12;
	/* the question, if it is there uncompressed */
	while (o < qlen && q[o] != 0 && (q[o] & 0xc0) == 0 && o - 12 < 255)
		o += 1u + q[o];
	if (o >= qlen || q[o] != 0 || o - 12 >= 255 || qlen - o - 1 < 4)
		return 12;
	o += 5;
	memcpy(out + 12, q + 12, o - 12);
	put16(out + 4, 1);
	return o;
}

static unsigned keepalive_units(const struct zw_tcp *t, const struct conn *c)
{
	/* the last query a connection takes: tell the client to close */
	if (c->queries >= t->lim.max_queries)
		return 0;
	unsigned u = t->lim.idle_ms / 100;
	return u > 0xffff ? 0xffff : u;
}

/* Transfers and NOTIFY: what the engine leaves to the control plane. */
static int punt(struct zw_tcp *t, struct conn *c, const uint8_t *q, size_t qlen)
{
	unsigned opcode = (q[2] >> 3) & 0x0f;
	size_t n;

	if (opcode == OP_NOTIFY || t->xfr == NULL) {
		/* no secondary zones here to be notified about: REFUSED; no
		 * transfer module: NOTAUTH, as it answers whom it refuses */
		n = short_response(q, qlen, t->scratch,
				   opcode == OP_NOTIFY ? RC_REFUSED : RC_NOTAUTH);
		if (n == 0) {
			mark_bad(t, c);
			return 0;
		}
		t->st.answers++;
		return out_append(c, t->scratch, n);
	}
	t->st.transfers++;
	n = 0;
	c->xfr = zw_xfr_begin(t->xfr, q, qlen, (const struct sockaddr *)&c->peer, t->scratch,
			      MSG_MAX, &n);
	if (n > MSG_MAX)
		n = 0;
	if (n > 0 || c->xfr != NULL)
		t->st.answers++; /* a transfer counts once */
	if (n > 0 && out_append(c, t->scratch, n) != 0)
		return -ENOMEM;
	if (n == 0 && c->xfr == NULL)
		mark_bad(t, c); /* not answered: as a dropped message */
	return 0;
}

/* Answers one message. */
static int handle(struct zw_tcp *t, struct conn *c, const uint8_t *q, size_t qlen)
{
	const struct zw_table *tb = zw_zones_table(t->zones);
	bool ka = query_wants_keepalive(q, qlen);
	unsigned flags = ZW_ANS_TCP | (c->v6 ? ZW_ANS_IPV6 : 0);
	/* with the keepalive option, the engine leaves room for it */
	int n = zw_answer(t->acfg, tb != NULL ? tb->zs : NULL, q, qlen, t->scratch,
			  ka ? MSG_MAX - KA_LEN : MSG_MAX, flags, NULL);

	if (n == ZW_ANSWER_PUNT)
		return punt(t, c, q, qlen);
	if (n <= 0) {
		/* not a query (RFC 7766 allows closing) */
		mark_bad(t, c);
		return 0;
	}
	size_t len = (size_t)n;
	if (ka)
		len = add_keepalive(t->scratch, len, MSG_MAX, keepalive_units(t, c));
	t->st.answers++;
	return out_append(c, t->scratch, len);
}

/*
 * Answers what can be answered now: the transfer in progress, then the
 * complete messages read, while the output queue has room. Returns how
 * many messages were queued, or -1 when the connection must close.
 */
static int produce(struct zw_tcp *t, struct conn *c)
{
	int made = 0;

	for (;;) {
		if (c->xfr != NULL) {
			if (c->out_len >= OUT_HIGH)
				break;
			int n = zw_xfr_next(c->xfr, t->scratch, MSG_MAX);
			if (n > 0 && (unsigned)n <= MSG_MAX) {
				if (out_append(c, t->scratch, (size_t)n) != 0)
					return -1;
				made++;
				continue;
			}
			zw_xfr_end(c->xfr);
			c->xfr = NULL;
			if (n != 0)
				return -1; /* the stream failed: the client sees it cut */
			continue;
		}
		if (c->stop || c->out_len >= OUT_HIGH)
			break;
		if (c->queries >= t->lim.max_queries) {
			c->stop = true;
			break;
		}
		uint32_t avail = c->in_len - c->in_off;
		const uint8_t *p = c->in + c->in_off;
		if (avail >= 2 && get16(p) == 0) {
			mark_bad(t, c); /* a zero-length message */
			break;
		}
		if (avail < 2 || avail < 2u + get16(p)) {
			if (c->eof) {
				if (avail > 0)
					mark_bad(t, c); /* cut short */
				c->stop = true;
			}
			break;
		}
		size_t qlen = get16(p);
		c->in_off += 2 + (uint32_t)qlen;
		c->queries++;
		t->st.queries++;
		if (handle(t, c, p + 2, qlen) != 0)
			return -1;
		made++;
	}
	return made;
}

/* Makes room for the rest of the message being read: moves it to the
 * front, and grows the buffer if the message is larger than it. */
static int in_prepare(struct conn *c)
{
	uint32_t avail = c->in_len - c->in_off;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, avail);
		c->in_off = 0;
		c->in_len = avail;
	}
	if (avail >= 2 && 2u + get16(c->in) > c->in_cap) {
		uint32_t cap = 2u + get16(c->in);
		uint8_t *p = realloc(c->in, cap);
		if (p == NULL)
			return -ENOMEM;
		c->in = p;
		c->in_cap = cap;
	}
	return 0;
}

static void set_events(struct zw_tcp *t, struct conn *c)
{
	uint32_t ev = 0;

	if (c->linger) {
		ev = EPOLLIN;
	} else {
		if (!c->eof && !c->stop && c->xfr == NULL && c->out_len < OUT_HIGH &&
		    c->in_len < c->in_cap)
			ev |= EPOLLIN;
		/* writable is also the wake-up for work left over */
		if (c->out_len > 0 || c->xfr != NULL || c->more)
			ev |= EPOLLOUT;
	}
	if (ev != c->events && zw_ctl_mod_fd(t->ctl, c->fd, ev) == 0)
		c->events = ev;
}

/* Answers and writes as far as the socket lets us, then decides what the
 * connection waits for, or closes it. */
static void service(struct zw_tcp *t, struct conn *c)
{
	c->more = false;
	for (int round = 0;; round++) {
		int made = produce(t, c);
		if (made < 0) {
			conn_close(t, c);
			return;
		}
		int f = out_flush(t, c);
		if (f < 0) {
			conn_close(t, c);
			return;
		}
		if (f > 0 || made == 0)
			break;
		if (round == ROUNDS) {
			c->more = true;
			break;
		}
	}
	if (c->out_len == 0 && c->xfr == NULL && c->stop && !c->linger) {
		if (c->eof) {
			conn_close(t, c);
			return;
		}
		/* no more answers: shut our side, wait for the client's */
		shutdown(c->fd, SHUT_WR);
		c->linger = true;
		c->in_off = c->in_len = 0;
	}
	if (!c->linger && in_prepare(c) != 0) {
		conn_close(t, c);
		return;
	}
	set_events(t, c);
}

/* Reads what the client sent; false if the connection was closed. */
static bool conn_read(struct zw_tcp *t, struct conn *c)
{
	if (c->linger) {
		/* discard; the idle clock is not restarted */
		ssize_t n = recv(c->fd, t->scratch, sizeof(t->scratch), MSG_DONTWAIT);
		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(t, c);
			return false;
		}
		return true;
	}
	if (c->eof || c->in_len >= c->in_cap)
		return true;
	ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n > 0) {
		c->in_len += (uint32_t)n;
		touch(t, c);
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		conn_close(t, c);
		return false;
	}
	return true;
}

static void on_conn(struct zw_ctl *ctl, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	struct zw_tcp *t = c->t;

	(void)ctl;
	(void)fd;
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* reset, or both sides shut: nothing can be delivered */
		conn_close(t, c);
		return;
	}
	if ((events & EPOLLIN) && !conn_read(t, c))
		return;
	service(t, c);
}

/* ---- listening ---- */

static void listeners_set(struct zw_tcp *t, uint32_t events)
{
	for (unsigned i = 0; i < t->nls; i++)
		zw_ctl_mod_fd(t->ctl, t->ls[i].fd, events);
}

/* Turns a connection away at once, with a reset (no TIME_WAIT here). */
static void refuse(struct zw_tcp *t, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	t->st.refused++;
}

static void accept_one(struct zw_tcp *t, int fd, const struct sockaddr_storage *ss)
{
	uint8_t key[17];
	struct addr_ent *e;

	if (t->st.open >= t->lim.max_conns) {
		refuse(t, fd);
		return;
	}
	addr_key(ss, key);
	e = addr_get(t, key);
	if (e == NULL || e->count >= t->lim.max_conns_per_addr) {
		refuse(t, fd);
		return;
	}
	struct conn *c = calloc(1, sizeof(*c));
	uint8_t *in = malloc(IN_INIT);
	if (c == NULL || in == NULL) {
		free(c);
		free(in);
		e->count++;
		addr_put(t, e); /* releases a new entry */
		refuse(t, fd);
		return;
	}
	c->t = t;
	c->fd = fd;
	c->peer = *ss;
	c->v6 = ss->ss_family == AF_INET6;
	c->in = in;
	c->in_cap = IN_INIT;
	c->addr = e;
	c->events = EPOLLIN;
	int one = 1;
	/* responses are written in batches already; Nagle would hold back
	 * the answer to a second pipelined query until the first is acked */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (zw_ctl_add_fd(t->ctl, fd, EPOLLIN, on_conn, c) != 0) {
		free(c);
		free(in);
		e->count++;
		addr_put(t, e);
		refuse(t, fd);
		return;
	}
	e->count++;
	c->last = zw_ctl_now_ms();
	list_append(t, c);
	t->st.open++;
	t->st.accepted++;
}

static void on_accept(struct zw_ctl *ctl, int lfd, uint32_t events, void *arg)
{
	struct listener *l = arg;
	struct zw_tcp *t = l->t;

	(void)ctl;
	(void)events;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(t, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM ||
		    errno == ENETDOWN || errno == ENETUNREACH || errno == EHOSTUNREACH ||
		    errno == EHOSTDOWN || errno == ENONET || errno == EOPNOTSUPP ||
		    errno == ETIMEDOUT)
			continue; /* that connection is gone; the next may not be */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* the listener would stay readable: rest a moment */
			listeners_set(t, 0);
			t->paused = true;
			t->resume_at = zw_ctl_now_ms() + PAUSE_MS;
		}
		break;
	}
}

static uint64_t on_timer(struct zw_ctl *ctl, void *arg)
{
	struct zw_tcp *t = arg;
	uint64_t now = zw_ctl_now_ms(), idle = t->lim.idle_ms;

	(void)ctl;
	if (t->paused && now >= t->resume_at) {
		t->paused = false;
		listeners_set(t, EPOLLIN);
	}
	while (t->head != NULL && t->head->last + idle <= now) {
		struct conn *c = t->head;
		if (!c->bad)
			t->st.closed_idle++;
		conn_close(t, c);
	}
	uint64_t next = t->head != NULL ? t->head->last + idle - now : idle;
	if (t->paused && t->resume_at - now < next)
		next = t->resume_at - now;
	return next < 5 ? 5 : next;
}

static int listen_on(struct zw_tcp *t, const struct zw_cfg_addr *a, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char txt[INET6_ADDRSTRLEN];
	int one = 1, fd, rc;
	uint16_t port = t->lim.port ? t->lim.port : 53;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a->v6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
		inet_ntop(AF_INET6, &a->v6, txt, sizeof(txt));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr = a->v4;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
		inet_ntop(AF_INET, &a->v4, txt, sizeof(txt));
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open a socket for %s: %s", txt, strerror(-rc));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		/* IPV6_FREEBIND is Linux 4.15; IP_FREEBIND covers both before */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) != 0)
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	}
	int backlog = t->lim.max_conns > 65535 ? 65535 : (int)t->lim.max_conns;
	if (backlog < 16)
		backlog = 16;
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, backlog) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s%s%s port %u: %s",
			 a->family == AF_INET6 ? "[" : "", txt, a->family == AF_INET6 ? "]" : "",
			 port, strerror(-rc));
		close(fd);
		return rc;
	}
	struct listener *l = &t->ls[t->nls];
	l->t = t;
	l->fd = fd;
	if ((rc = zw_ctl_add_fd(t->ctl, fd, EPOLLIN, on_accept, l)) != 0) {
		snprintf(err, errlen, "cannot watch the listener on %s: %s", txt, strerror(-rc));
		close(fd);
		return rc;
	}
	t->nls++;
	return 0;
}

/* Connections use descriptors: let the soft limit follow max_conns as far
 * as the hard limit allows. */
static void raise_fd_limit(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= want)
		return;
	rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

struct zw_tcp *zw_tcp_start(struct zw_ctl *ctl, struct zw_zones *zones, struct zw_xfr *xfr,
			    const struct zw_tcp_limits *lim, char *err, size_t errlen)
{
	const struct zw_config *cfg = zw_ctl_config(ctl);
	struct zw_tcp *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->ctl = ctl;
	t->zones = zones;
	t->xfr = xfr;
	t->acfg = zw_ctl_answer_cfg(ctl);
	if (lim != NULL)
		t->lim = *lim;
	if (t->lim.max_conns == 0)
		t->lim.max_conns = DEF_MAX_CONNS;
	if (t->lim.max_conns_per_addr == 0)
		t->lim.max_conns_per_addr = DEF_MAX_PER_ADDR;
	if (t->lim.max_queries == 0)
		t->lim.max_queries = DEF_MAX_QUERIES;
	if (t->lim.idle_ms == 0)
		t->lim.idle_ms = DEF_IDLE_MS;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = zw_ctl_now_ms() ^ (uint64_t)(uintptr_t)t;
	t->nbuckets = 64;
	while (t->nbuckets < t->lim.max_conns && t->nbuckets < (1u << 24))
		t->nbuckets *= 2;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->pool = calloc(t->lim.max_conns, sizeof(*t->pool));
	if (t->buckets == NULL || t->pool == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = t->lim.max_conns; i-- > 0;) {
		t->pool[i].next = t->free_ents;
		t->free_ents = &t->pool[i];
	}
	for (unsigned i = 0; cfg != NULL && i < cfg->n_addrs && i < ZW_CFG_MAX_ADDRS; i++)
		if (listen_on(t, &cfg->addrs[i], err, errlen) != 0)
			goto fail;
	t->timer = zw_ctl_timer(ctl, t->lim.idle_ms, on_timer, t);
	if (t->timer == 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	raise_fd_limit(t->lim.max_conns + 256);
	return t;
fail:
	zw_tcp_stop(t);
	return NULL;
}

void zw_tcp_stop(struct zw_tcp *t)
{
	if (t == NULL)
		return;
	while (t->head != NULL)
		conn_close(t, t->head);
	for (unsigned i = 0; i < t->nls; i++) {
		zw_ctl_del_fd(t->ctl, t->ls[i].fd);
		close(t->ls[i].fd);
	}
	if (t->timer != 0)
		zw_ctl_timer_cancel(t->ctl, t->timer);
	free(t->buckets);
	free(t->pool);
	free(t);
}

void zw_tcp_get_stats(const struct zw_tcp *t, struct zw_tcp_stats *st)
{
	*st = t->st;
}
