/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answer.h"
#include "config.h"
#include "ctl.h"
#include "table.h"
#include "udp.h"
#include "xfr.h"
#include "zones.h"

#define UDP_MAX	   65535
#define OP_NOTIFY  4
#define RC_NOTAUTH 9

struct zw_udp {
	struct zw_ctl *ctl;
	struct zw_zones *zones;
	struct zw_xfr *xfr;
	int fds[ZW_CFG_MAX_ADDRS];
	bool v6[ZW_CFG_MAX_ADDRS];
	unsigned nfds;
	struct zw_udp_stats st;
	uint8_t in[UDP_MAX], out[UDP_MAX];
};

/* A NOTIFY (RFC 1996) to a server that is the primary of its zones, or has
 * none by that name: NOTAUTH, as Knot DNS answers a NOTIFY it does not
 * expect. The question is echoed when it is readable. */
static size_t answer_notify(const uint8_t *q, size_t qlen, uint8_t *out)
{
	size_t off = 12;

	out[0] = q[0];
	out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x78));
	out[3] = RC_NOTAUTH;
	memset(out + 4, 0, 8);
	if (qlen > 12 && q[4] == 0 && q[5] == 1) {
		while (off < qlen && q[off] != 0 && q[off] <= 63)
			off += 1u + q[off];
		if (off < qlen && q[off] == 0 && off + 5 <= qlen) {
			memcpy(out + 12, q + 12, off + 5 - 12);
			out[5] = 1;
			return off + 5;
		}
	}
	return 12;
}

static void on_readable(struct zw_ctl *ctl, int fd, uint32_t events, void *arg)
{
	struct zw_udp *u = arg;
	struct sockaddr_storage peer;

	(void)ctl;
	(void)events;
	for (int budget = 0; budget < 64; budget++) {
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, u->in, sizeof(u->in), MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		u->st.received++;
		size_t len = 0;
		unsigned flags = peer.ss_family == AF_INET6 ? ZW_ANS_IPV6 : 0;
		if (n >= 12 && (u->in[2] & 0x80) == 0 && ((u->in[2] >> 3) & 0x0f) == OP_NOTIFY) {
			len = answer_notify(u->in, (size_t)n, u->out);
			u->st.notify++;
		} else if (u->xfr != NULL && (len = zw_xfr_query(u->xfr, u->in, (size_t)n, flags,
								 u->out, sizeof(u->out))) > 0) {
			u->st.signed_answered++;
		} else {
			const struct zw_table *t = zw_zones_table(u->zones);
			int r = zw_answer(zw_zones_answer_cfg(u->zones), t ? t->zs : NULL, u->in,
					  (size_t)n, u->out, sizeof(u->out), flags, NULL);
			if (r > 0) {
				len = (size_t)r;
				u->st.answered++;
			}
		}
		if (len == 0) {
			u->st.dropped++;
			continue;
		}
		sendto(fd, u->out, len, MSG_DONTWAIT, (struct sockaddr *)&peer, plen);
	}
}

struct zw_udp *zw_udp_start(struct zw_ctl *ctl, struct zw_zones *zones, struct zw_xfr *xfr,
			    uint16_t port, char *err, size_t errlen)
{
	const struct zw_config *cfg = zw_ctl_config(ctl);
	struct zw_udp *u = calloc(1, sizeof(*u));
	int one = 1;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->ctl = ctl;
	u->zones = zones;
	u->xfr = xfr;
	for (unsigned i = 0; i < cfg->n_addrs; i++) {
		const struct zw_cfg_addr *a = &cfg->addrs[i];
		struct sockaddr_storage ss;
		socklen_t sl;
		memset(&ss, 0, sizeof(ss));
		if (a->family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(port ? port : 53);
			s6->sin6_addr = a->v6;
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(port ? port : 53);
			s4->sin_addr = a->v4;
			sl = sizeof(*s4);
		}
		int fd = socket(a->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->family == AF_INET6) {
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
#ifdef IPV6_FREEBIND
			setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
#endif
		}
		/* the exception interface may not have the address yet */
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
		    zw_ctl_add_fd(ctl, fd, EPOLLIN, on_readable, u) != 0) {
			close(fd);
			goto fail;
		}
		u->fds[u->nfds] = fd;
		u->v6[u->nfds++] = a->family == AF_INET6;
	}
	return u;
fail:
	snprintf(err, errlen, "cannot listen on UDP port %u of a service address: %s",
		 port ? port : 53, strerror(errno));
	zw_udp_stop(u);
	return NULL;
}

void zw_udp_stop(struct zw_udp *u)
{
	if (u == NULL)
		return;
	for (unsigned i = 0; i < u->nfds; i++) {
		zw_ctl_del_fd(u->ctl, u->fds[i]);
		close(u->fds[i]);
	}
	free(u);
}

void zw_udp_get_stats(const struct zw_udp *u, struct zw_udp_stats *st)
{
	*st = u->st;
}
