/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop. Per iteration: for each wire port, receive a burst,
 * answer what is for the fast path in place, pass the rest to the kernel
 * through the exception port, and forward what the kernel sent back out of
 * the wire; then announce a QSBR quiescent state, holding no table pointer.
 * An idle worker goes RCU-offline while it naps, so it never holds up a
 * table swap.
 *
 * No allocation, lock or system call happens per packet: mbufs are
 * answered in place, the table pointer is read once per burst, counters are
 * the worker's own.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <urcu-qsbr.h>

#include "table.h"
#include "worker.h"

#define IDLE_LOOPS  256
#define IDLE_NAP_US 20

/*
 * Receiving from the exception port (a TAP) is a system call, readv(), even
 * when the kernel has sent nothing. While the wire fills every burst, the
 * worker polls it only every TAP_POLL_BUSY-th iteration (a few tens of
 * microseconds apart); as soon as it brings frames, or the wire burst is
 * not full, it is polled every iteration again.
 */
#define TAP_POLL_BUSY 4

static void tx_or_free(struct zw_stats *st, uint16_t port, uint16_t q, struct rte_mbuf **m,
		       uint16_t n)
{
	if (n == 0)
		return;
	uint16_t sent = rte_eth_tx_burst(port, q, m, n);
	if (sent < n) {
		st->tx_full += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

/* What the first pass found out about a frame: a verdict of zw_pkt_parse()
 * (ZW_PKT_REPLY: its query waits for the engine), or one of these. */
enum { FRAME_MULTISEG = ZW_PKT_VERDICTS, FRAME_ALONE };

/*
 * A burst in three passes: every frame is classified and its query moved to
 * its slot of the scratch; the queries are answered together
 * (zw_answer_burst: their cache misses overlap); then, in the order the
 * frames came, replies get their headers and everything is counted and
 * sent on its way.
 */
static uint16_t handle_burst(struct zw_worker *w, const struct zw_worker_port *p,
			     const struct zw_zoneset *zs, struct rte_mbuf **rx, uint16_t n)
{
	struct rte_mbuf *rep[ZW_BURST_MAX], *exc[ZW_BURST_MAX], *drop[ZW_BURST_MAX];
	struct zw_answer_req rq[ZW_BURST_MAX];
	struct zw_pkt_job job[ZW_BURST_MAX];
	uint8_t what[ZW_BURST_MAX];
	uint16_t nr = 0, ne = 0, nd = 0, nq = 0;
	struct zw_stats *st = &w->stats;
	const struct zw_pkt_service *svc = w->svc;
	struct zw_pkt_info info;

	st->rx += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = rx[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
		if (m->nb_segs != 1) {
			what[i] = FRAME_MULTISEG;
			continue;
		}
		unsigned len = m->data_len;
		if (len > ZW_WORKER_SLOT) {
			what[i] = FRAME_ALONE;
			continue;
		}
		what[i] = (uint8_t)zw_pkt_parse(
			svc, rte_pktmbuf_mtod(m, uint8_t *), len, len + rte_pktmbuf_tailroom(m),
			w->scratch + (size_t)nq * ZW_WORKER_SLOT, &job[nq], &rq[nq]);
		if (what[i] == ZW_PKT_REPLY)
			nq++;
	}
	if (nq > 0)
		zw_answer_burst(w->acfg, zs, rq, nq);
	nq = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = rx[i];
		enum zw_pkt_verdict v;
		unsigned olen = 0;
		switch (what[i]) {
		case FRAME_MULTISEG:
			st->multiseg++;
			exc[ne++] = m;
			continue;
		case ZW_PKT_REPLY:
			v = zw_pkt_finish(svc, &job[nq], &rq[nq], &olen, &info);
			nq++;
			break;
		case FRAME_ALONE: {
			unsigned len = m->data_len;
			v = zw_pkt_handle(svc, w->acfg, zs, rte_pktmbuf_mtod(m, uint8_t *), len,
					  len + rte_pktmbuf_tailroom(m), w->scratch, &olen, &info);
			break;
		}
		default: v = (enum zw_pkt_verdict)what[i]; break;
		}
		switch (v) {
		case ZW_PKT_REPLY:
			m->data_len = (uint16_t)olen;
			m->pkt_len = olen;
			m->ol_flags = 0;
			if (svc->csum_offload) {
				m->l2_len = info.l2_len;
				m->l3_len = info.l3_len;
				m->ol_flags =
					RTE_MBUF_F_TX_UDP_CKSUM |
					(info.ipv6 ? RTE_MBUF_F_TX_IPV6
						   : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
			}
			st->answers[info.ans.rcode < ZW_STAT_RCODES ? info.ans.rcode : 0]++;
			st->truncated += info.ans.tc;
			rep[nr++] = m;
			break;
		case ZW_PKT_EXCEPTION: exc[ne++] = m; break;
		default:
			st->verdict[v]++;
			drop[nd++] = m;
			break;
		}
	}
	st->tx += nr;
	st->exc_to_kernel += ne;
	if (nd > 0)
		rte_pktmbuf_free_bulk(drop, nd);
	tx_or_free(st, p->wire, p->wire_q, rep, nr);
	tx_or_free(st, p->tap, p->tap_q, exc, ne);
	return n;
}

int zw_worker_main(void *arg)
{
	struct zw_worker *w = arg;
	struct rte_mbuf *rx[ZW_BURST_MAX];
	unsigned idle = 0;

	rcu_register_thread();
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		unsigned got = 0;
		/* one table per iteration; not used after the quiescent state */
		const struct zw_table *t = zw_table_get();
		const struct zw_zoneset *zs = t != NULL ? t->zs : NULL;

		for (unsigned i = 0; i < w->nports; i++) {
			struct zw_worker_port *p = &w->ports[i];
			uint16_t n = rte_eth_rx_burst(p->wire, p->wire_q, rx, (uint16_t)w->burst);
			if (n > 0)
				got += handle_burst(w, p, zs, rx, n);
			if (n == w->burst && ++p->tap_wait < TAP_POLL_BUSY)
				continue;
			p->tap_wait = 0;
			/* the kernel's frames (ARP, ND, ICMP, TCP, ...) go out unchanged */
			n = rte_eth_rx_burst(p->tap, p->tap_q, rx, (uint16_t)w->burst);
			if (n > 0) {
				got += n;
				/* more may follow: poll it again next time */
				p->tap_wait = TAP_POLL_BUSY;
				w->stats.exc_from_kernel += n;
				tx_or_free(&w->stats, p->wire, p->wire_q, rx, n);
			}
		}
		rcu_quiescent_state();
		if (got > 0) {
			idle = 0;
		} else if (++idle >= IDLE_LOOPS) {
			rcu_thread_offline();
			rte_delay_us_sleep(IDLE_NAP_US);
			rcu_thread_online();
		}
	}
	rcu_unregister_thread();
	return 0;
}

void zw_stats_add(struct zw_stats *sum, const struct zw_stats *w)
{
	const uint64_t *src = (const uint64_t *)(const void *)w;
	uint64_t *dst = (uint64_t *)(void *)sum;

	for (size_t i = 0; i < offsetof(struct zw_stats, multiseg) / 8 + 1; i++)
		dst[i] += src[i];
}
