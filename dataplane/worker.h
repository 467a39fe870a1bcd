/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK workers: one per worker lcore, each polling its own RX queue of every
 * wire port and its own queue of that port's exception (TAP) port.
 */
#ifndef ZW_WORKER_H
#define ZW_WORKER_H

#include <rte_common.h>
#include <rte_mbuf.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "pkt.h"

#define ZW_MAX_PORTS 8
#define ZW_BURST_MAX 64

/*
 * A worker's scratch: while a burst is answered, the query of each frame
 * waits in a slot of its own. A frame is never longer than its mbuf's
 * buffer, RTE_MBUF_DEFAULT_BUF_SIZE bytes in zonewired's pool (not a power
 * of two: the slots do not all fall into the same cache sets). A longer
 * frame, from a PMD with buffers of its own, would be answered alone after
 * its burst, with the whole scratch: hence at least ZW_PKT_SCRATCH bytes.
 */
#define ZW_WORKER_SLOT RTE_MBUF_DEFAULT_BUF_SIZE

static inline size_t zw_worker_scratch_size(unsigned burst)
{
	size_t n = (size_t)burst * ZW_WORKER_SLOT;

	return n > ZW_PKT_SCRATCH ? n : ZW_PKT_SCRATCH;
}

enum zw_rcode_slot { ZW_STAT_RCODES = 17 }; /* 0..15, and 16 for BADVERS */

/* Per-worker counters: written by their worker only, summed on demand by
 * the control thread (plain loads of aligned 64-bit words are atomic on
 * the platforms we run on; a sum may be a few packets old). */
struct zw_stats {
	uint64_t rx;			   /* frames received from wire ports */
	uint64_t tx;			   /* replies sent */
	uint64_t answers[ZW_STAT_RCODES];  /* replies by rcode */
	uint64_t truncated;		   /* replies with TC */
	uint64_t verdict[ZW_PKT_VERDICTS]; /* drops by reason (index = verdict) */
	uint64_t exc_to_kernel;		   /* frames sent to the exception port */
	uint64_t exc_from_kernel;	   /* frames from the kernel to the wire */
	uint64_t tx_full;		   /* frames freed because a TX queue was full */
	uint64_t multiseg;		   /* multi-segment frames sent to the kernel */
} __rte_cache_aligned;

struct zw_worker_port {
	uint16_t wire;	 /* wire port id */
	uint16_t wire_q; /* this worker's queue on it */
	uint16_t tap;	 /* exception port id */
	uint16_t tap_q;
	unsigned tap_wait; /* busy iterations since the exception port was polled */
};

struct zw_worker {
	unsigned id;
	unsigned lcore;
	unsigned nports;
	unsigned burst;
	struct zw_worker_port ports[ZW_MAX_PORTS];
	const struct zw_pkt_service *svc;
	const struct zw_answer_cfg *acfg;
	atomic_bool *stop;
	uint8_t *scratch; /* zw_worker_scratch_size(burst) bytes */
	struct zw_stats stats;
} __rte_cache_aligned;

/* The lcore entry point (rte_eal_remote_launch); arg is a struct zw_worker. */
int zw_worker_main(void *arg);

/* Adds w's counters into sum. */
void zw_stats_add(struct zw_stats *sum, const struct zw_stats *w);

#endif /* ZW_WORKER_H */
