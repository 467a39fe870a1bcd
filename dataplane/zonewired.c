/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewired: the server. The main lcore runs the control thread (set-up,
 * signals, zone table swaps, statistics); worker lcores run zw_worker_main.
 *
 *   zonewired -c FILE [--check]
 *
 * Signals: SIGHUP re-reads the configured zone images and swaps them in (the
 * old ones keep serving if any fails to load); SIGUSR1 prints statistics;
 * SIGTERM and SIGINT stop cleanly (ports stopped, XDP programs detached,
 * the exception interface removed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "api.h"
#include "config.h"
#include "ctl.h"
#include "table.h"
#include "tcp.h"
#include "udp.h"
#include "worker.h"
#include "xfr.h"
#include "zones.h"

extern char **environ;

#define MBUF_CACHE 256

static atomic_bool stop_flag;

static struct zw_config cfg;
static struct zw_pkt_service svc;
static struct zw_answer_cfg acfg;
static struct zw_worker *workers;
static unsigned n_workers;
static uint16_t wire_ports[ZW_MAX_PORTS], tap_ports[ZW_MAX_PORTS];
static unsigned n_wire;
static char tap_names[ZW_MAX_PORTS][IF_NAMESIZE];

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_msg(const char *fmt, ...)
{
	va_list ap;
	char when[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s zonewired: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Runs a set-up command (iproute2, sysctl) and waits for it. */
static int run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -errno;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : -EIO;
}

static int build_eal_args(char **argv, int max)
{
	static char lcores[256], mainl[16], vdevs[ZW_MAX_PORTS * 2][4200];
	int argc = 0, nv = 0;
	size_t o;

	argv[argc++] = "zonewired";
	for (unsigned i = 0; i < cfg.n_eal && argc < max - 8; i++)
		argv[argc++] = cfg.eal[i];
	o = (size_t)snprintf(lcores, sizeof(lcores), "%u", cfg.main_lcore);
	for (unsigned i = 0; i < cfg.n_workers && o < sizeof(lcores); i++)
		o += (size_t)snprintf(lcores + o, sizeof(lcores) - o, ",%u", cfg.workers[i]);
	snprintf(mainl, sizeof(mainl), "%u", cfg.main_lcore);
	argv[argc++] = "-l";
	argv[argc++] = lcores;
	argv[argc++] = "--main-lcore";
	argv[argc++] = mainl;
	for (unsigned i = 0; i < cfg.n_ports && argc < max - 4; i++) {
		const char *dev = cfg.ports[i].device;
		if (strncmp(dev, "net_", 4) == 0) {
			snprintf(vdevs[nv], sizeof(vdevs[nv]), "--vdev=%s", dev);
			argv[argc++] = vdevs[nv++];
		} else {
			argv[argc++] = "-a";
			argv[argc++] = (char *)dev;
		}
		/* one exception interface per wire port */
		if (cfg.n_ports == 1)
			snprintf(tap_names[i], IF_NAMESIZE, "%s", cfg.tap_name);
		else
			snprintf(tap_names[i], IF_NAMESIZE, "%.12s%u", cfg.tap_name,
				 (unsigned char)i);
		snprintf(vdevs[nv], sizeof(vdevs[nv]), "--vdev=net_tap%u,iface=%s", i,
			 tap_names[i]);
		argv[argc++] = vdevs[nv++];
	}
	argv[argc] = NULL;
	return argc;
}

/* The ethdev name of a configured device: a vdev's driver instance name
 * (up to the first comma) or the PCI address. */
static void dev_name(const char *dev, char *name, size_t len)
{
	size_t n = strcspn(dev, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, dev, n);
	name[n] = '\0';
}

static int setup_port(uint16_t port, uint16_t nq, struct rte_mempool *mp, bool is_tap,
		      uint64_t *tx_offloads)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = { 0 };
	uint16_t nrx = (uint16_t)cfg.rx_desc, ntx = (uint16_t)cfg.tx_desc;
	int rc;

	if ((rc = rte_eth_dev_info_get(port, &info)) != 0)
		return rc;
	if (!is_tap && nq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	uint64_t want = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (!is_tap && (info.tx_offload_capa & want) == want) {
		conf.txmode.offloads = want;
		*tx_offloads = want;
	}
	if ((rc = rte_eth_dev_configure(port, nq, nq, &conf)) != 0)
		return rc;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx)) != 0)
		return rc;
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nrx, rte_eth_dev_socket_id(port), NULL, mp);
		if (rc != 0)
			return rc;
		rc = rte_eth_tx_queue_setup(port, q, ntx, rte_eth_dev_socket_id(port), NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The kernel side of the exception interface: up, the service addresses,
 * no router solicitations. */
static int setup_tap_kernel(const char *ifname)
{
	char path[192];
	int rc;

	char *up[] = { "ip", "link", "set", "dev", (char *)ifname, "up", NULL };
	if ((rc = run(up)) != 0)
		return rc;
	snprintf(path, sizeof(path), "net.ipv6.conf.%s.accept_ra=0", ifname);
	char *ra[] = { "sysctl", "-qw", path, NULL };
	run(ra); /* harmless if IPv6 is off */
	for (unsigned i = 0; i < cfg.n_addrs; i++) {
		char a[INET6_ADDRSTRLEN + 8], txt[INET6_ADDRSTRLEN];
		const struct zw_cfg_addr *ad = &cfg.addrs[i];
		inet_ntop(ad->family, &ad->v4, txt, sizeof(txt));
		if (ad->family == AF_INET6)
			inet_ntop(AF_INET6, &ad->v6, txt, sizeof(txt));
		snprintf(a, sizeof(a), "%s/%u", txt, ad->prefix);
		char *v4[] = { "ip", "addr", "replace", a, "dev", (char *)ifname, NULL };
		char *v6[] = { "ip",  "-6",	      "addr",  "replace", a,
			       "dev", (char *)ifname, "nodad", NULL };
		if ((rc = run(ad->family == AF_INET6 ? v6 : v4)) != 0) {
			log_msg("cannot add address %s to %s", a, ifname);
			return rc;
		}
	}
	return 0;
}

static int setup_ports(void)
{
	struct rte_mempool *mp;
	uint64_t all_offloads = ~0ull;

	unsigned nmbufs = cfg.mbufs;
	mp = rte_pktmbuf_pool_create("zw_mbufs", nmbufs, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL) {
		log_msg("cannot create the mbuf pool (%u mbufs): %s", nmbufs,
			rte_strerror(rte_errno));
		return -1;
	}
	n_wire = 0;
	for (unsigned i = 0; i < cfg.n_ports; i++) {
		char name[RTE_ETH_NAME_MAX_LEN], tname[RTE_ETH_NAME_MAX_LEN];
		uint16_t wp, tp;
		dev_name(cfg.ports[i].device, name, sizeof(name));
		snprintf(tname, sizeof(tname), "net_tap%u", i);
		/* EAL does not fail on a vdev that does not probe: look it up */
		if (rte_eth_dev_get_port_by_name(name, &wp) != 0) {
			log_msg("port %s did not probe (check the device and its interface)",
				cfg.ports[i].device);
			return -1;
		}
		if (rte_eth_dev_get_port_by_name(tname, &tp) != 0) {
			log_msg("the exception interface %s did not probe", tap_names[i]);
			return -1;
		}
		struct rte_eth_dev_info info;
		rte_eth_dev_info_get(wp, &info);
		uint16_t nq = (uint16_t)cfg.n_workers;
		if (nq > info.max_rx_queues)
			nq = info.max_rx_queues;
		if (nq > info.max_tx_queues)
			nq = info.max_tx_queues;
		uint64_t offl = 0;
		int rc = setup_port(wp, nq, mp, false, &offl);
		if (rc == 0)
			rc = setup_port(tp, nq, mp, true, &(uint64_t){ 0 });
		if (rc != 0) {
			log_msg("cannot configure port %s: %s", cfg.ports[i].device,
				rte_strerror(-rc));
			return -1;
		}
		all_offloads &= offl;
		/* the kernel's interface answers for the wire's MAC */
		struct rte_ether_addr mac;
		rte_eth_macaddr_get(wp, &mac);
		if (rte_eth_dev_default_mac_addr_set(tp, &mac) != 0)
			log_msg("cannot set the MAC of %s", tap_names[i]);
		uint16_t mtu = cfg.ports[i].mtu;
		if (mtu != 0 && rte_eth_dev_set_mtu(wp, mtu) != 0)
			log_msg("cannot set MTU %u on %s", mtu, cfg.ports[i].device);
		if (rte_eth_dev_get_mtu(wp, &mtu) == 0)
			rte_eth_dev_set_mtu(tp, mtu);
		if ((rc = rte_eth_dev_start(wp)) != 0 || (rc = rte_eth_dev_start(tp)) != 0) {
			log_msg("cannot start port %s: %s", cfg.ports[i].device, rte_strerror(-rc));
			return -1;
		}
		rte_eth_promiscuous_enable(wp);
		wire_ports[i] = wp;
		tap_ports[i] = tp;
		n_wire = i + 1; /* started: stop_ports() stops it */
		for (unsigned w = 0; w < n_workers && w < nq; w++) {
			struct zw_worker *wk = &workers[w];
			wk->ports[wk->nports++] = (struct zw_worker_port){
				.wire = wp, .wire_q = (uint16_t)w, .tap = tp, .tap_q = (uint16_t)w
			};
		}
		if (setup_tap_kernel(tap_names[i]) != 0) {
			log_msg("cannot configure the exception interface %s", tap_names[i]);
			return -1;
		}
		log_msg("port %s: %u queue(s), checksum offload %s, exception interface %s",
			cfg.ports[i].device, nq, offl ? "on" : "off", tap_names[i]);
	}
	svc.csum_offload = all_offloads != 0 && all_offloads != ~0ull;
	return 0;
}

static void stop_ports(void)
{
	for (unsigned i = 0; i < n_wire; i++) {
		rte_eth_dev_stop(wire_ports[i]);
		rte_eth_dev_close(wire_ports[i]);
		rte_eth_dev_stop(tap_ports[i]);
		rte_eth_dev_close(tap_ports[i]);
	}
}

static void fill_service(void)
{
	for (unsigned i = 0; i < cfg.n_addrs; i++) {
		if (cfg.addrs[i].family == AF_INET && svc.n_v4 < ZW_PKT_MAX_ADDRS)
			svc.v4[svc.n_v4++] = cfg.addrs[i].v4;
		else if (cfg.addrs[i].family == AF_INET6 && svc.n_v6 < ZW_PKT_MAX_ADDRS)
			svc.v6[svc.n_v6++] = cfg.addrs[i].v6;
	}
	for (unsigned i = 0; i < cfg.n_vlans && i < ZW_PKT_MAX_VLANS; i++)
		svc.vlans[svc.n_vlans++] = cfg.vlans[i];
	acfg.edns_size = cfg.edns_size;
	acfg.max_chain = cfg.max_chain;
	acfg.id_server = cfg.id_server;
	acfg.hostname_bind = cfg.hostname_bind;
	acfg.version_bind = cfg.version_bind;
	/* signed queries need the keys, which only the control plane has */
	acfg.tsig_punt = cfg.n_keys > 0;
	if (cfg.nsid != NULL) {
		size_t l = strlen(cfg.nsid);
		acfg.nsid_len = (uint8_t)(l > sizeof(acfg.nsid) ? sizeof(acfg.nsid) : l);
		memcpy(acfg.nsid, cfg.nsid, acfg.nsid_len);
	}
}

static struct zw_zones *zones;

static int reload_zones(void *arg, char *err, size_t errlen)
{
	(void)arg;
	log_msg("reloading zone images");
	int rc = zw_zones_reload(zones, err, errlen);
	if (rc != 0)
		log_msg("reload failed, the previous zones keep serving: %s", err);
	else
		log_msg("serving %u zone(s)", zw_zones_list(zones, NULL, 0));
	return rc;
}

static void sum_counters(void *arg, struct zw_api_counters *out)
{
	struct zw_stats sum = { 0 };

	(void)arg;
	for (unsigned i = 0; i < n_workers; i++)
		zw_stats_add(&sum, &workers[i].stats);
	memset(out, 0, sizeof(*out));
	out->rx = sum.rx;
	out->tx = sum.tx;
	out->truncated = sum.truncated;
	memcpy(out->answers, sum.answers, sizeof(out->answers));
	out->drop_short = sum.verdict[ZW_PKT_DROP_SHORT];
	out->drop_checksum = sum.verdict[ZW_PKT_DROP_CSUM];
	out->drop_query = sum.verdict[ZW_PKT_DROP_QUERY];
	out->drop_room = sum.verdict[ZW_PKT_DROP_ROOM];
	out->to_kernel = sum.exc_to_kernel;
	out->from_kernel = sum.exc_from_kernel;
	out->tx_full = sum.tx_full;
	out->workers = n_workers;
}

static void print_stats(FILE *f);

static void print_stats_hook(void *arg)
{
	(void)arg;
	print_stats(stderr);
}

static void print_stats(FILE *f)
{
	static const char *const rc_names[ZW_STAT_RCODES] = {
		"noerror",  "formerr", "servfail", "nxdomain", "notimp",  "refused",
		"yxdomain", "yxrrset", "nxrrset",  "notauth",  "notzone", "rcode11",
		"rcode12",  "rcode13", "rcode14",  "rcode15",  "badvers"
	};
	static const char *const drop_names[ZW_PKT_VERDICTS] = { "reply",      "exception",
								 "drop_short", "drop_checksum",
								 "drop_query", "drop_room" };
	struct zw_stats sum = { 0 };

	for (unsigned i = 0; i < n_workers; i++)
		zw_stats_add(&sum, &workers[i].stats);
	fprintf(f,
		"stats: rx %llu tx %llu truncated %llu to_kernel %llu from_kernel %llu tx_full "
		"%llu multiseg %llu\n",
		(unsigned long long)sum.rx, (unsigned long long)sum.tx,
		(unsigned long long)sum.truncated, (unsigned long long)sum.exc_to_kernel,
		(unsigned long long)sum.exc_from_kernel, (unsigned long long)sum.tx_full,
		(unsigned long long)sum.multiseg);
	fprintf(f, "stats: answers");
	for (unsigned i = 0; i < ZW_STAT_RCODES; i++)
		if (sum.answers[i] != 0)
			fprintf(f, " %s %llu", rc_names[i], (unsigned long long)sum.answers[i]);
	fprintf(f, "\nstats: drops");
	for (unsigned i = ZW_PKT_DROP_SHORT; i < ZW_PKT_VERDICTS; i++)
		fprintf(f, " %s %llu", drop_names[i], (unsigned long long)sum.verdict[i]);
	fprintf(f, "\n");
	for (unsigned i = 0; i < n_workers; i++)
		fprintf(f, "stats: worker %u lcore %u rx %llu tx %llu\n", i, workers[i].lcore,
			(unsigned long long)workers[i].stats.rx,
			(unsigned long long)workers[i].stats.tx);
	fflush(f);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: zonewired -c FILE [--check]\n"
		   "  -c, --config FILE  configuration file (see docs/zonewired.md)\n"
		   "      --check        read and check the configuration and zones, then exit\n"
		   "  -h, --help         this text\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false;
	char err[1024];
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (zw_config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "zonewired: %s\n", err);
		return 1;
	}
	fill_service();
	if (check) {
		char *paths[ZW_CFG_MAX_ZONES];
		for (unsigned i = 0; i < cfg.n_zones; i++)
			paths[i] = cfg.zones[i].image;
		struct zw_table *t = zw_table_load(paths, cfg.n_zones, err, sizeof(err));
		if (t == NULL) {
			fprintf(stderr, "zonewired: %s\n", err);
			zw_config_free(&cfg);
			return 1;
		}
		zw_table_free(t);
		printf("zonewired: %s: configuration and %u zone(s) OK\n", path, cfg.n_zones);
		zw_config_free(&cfg);
		return 0;
	}

	/* the control loop takes the signals through a signalfd: block them
	 * before EAL starts threads, which inherit the mask */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	char *eal_argv[ZW_CFG_MAX_EAL + 64];
	int eal_argc = build_eal_args(eal_argv, (int)(sizeof(eal_argv) / sizeof(eal_argv[0])));
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "zonewired: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		zw_config_free(&cfg);
		return 1;
	}
	n_workers = cfg.n_workers;
	workers = rte_zmalloc("zw_workers", sizeof(*workers) * n_workers, RTE_CACHE_LINE_SIZE);
	if (workers == NULL) {
		log_msg("out of memory");
		goto out_eal;
	}
	for (unsigned i = 0; i < n_workers; i++) {
		workers[i].id = i;
		workers[i].lcore = cfg.workers[i];
		workers[i].burst = cfg.burst;
		workers[i].svc = &svc;
		workers[i].acfg = &acfg;
		workers[i].stop = &stop_flag;
		/* a slot per frame of a burst; hugepage memory when the EAL has it */
		workers[i].scratch = rte_malloc_socket(
			"zw_scratch", zw_worker_scratch_size(cfg.burst), RTE_CACHE_LINE_SIZE,
			(int)rte_lcore_to_socket_id(cfg.workers[i]));
		if (workers[i].scratch == NULL) {
			log_msg("out of memory");
			goto out_eal;
		}
		if (!rte_lcore_is_enabled(cfg.workers[i])) {
			log_msg("worker lcore %u is not enabled", cfg.workers[i]);
			goto out_eal;
		}
	}
	struct zw_ctl *ctl = NULL;
	struct zw_xfr *xfr = NULL;
	struct zw_tcp *tcp = NULL;
	struct zw_udp *udp = NULL;
	struct zw_api *api = NULL;
	if (setup_ports() != 0)
		goto out_ports;
	ctl = zw_ctl_create(&cfg, &acfg);
	if (ctl == NULL) {
		log_msg("cannot create the control loop");
		goto out_ports;
	}
	zones = zw_zones_create(ctl, err, sizeof(err));
	if (zones == NULL) {
		log_msg("zones not loaded: %s", err);
		goto out_ports;
	}
	log_msg("serving %u zone(s)", zw_zones_list(zones, NULL, 0));
	struct zw_ctl_hooks hooks = { .reload = reload_zones, .stats_print = print_stats_hook };
	zw_ctl_set_hooks(ctl, &hooks);
	if ((xfr = zw_xfr_create(zones, err, sizeof(err))) == NULL) {
		log_msg("zone transfers: %s", err);
		goto out_ports;
	}
	struct zw_tcp_limits lim = {
		.max_conns = cfg.tcp_max_conns,
		.max_conns_per_addr = cfg.tcp_max_conns_per_addr,
		.max_queries = cfg.tcp_max_queries,
		.idle_ms = cfg.tcp_idle_ms,
	};
	if ((tcp = zw_tcp_start(ctl, zones, xfr, &lim, err, sizeof(err))) == NULL) {
		log_msg("DNS over TCP: %s", err);
		goto out_ports;
	}
	if ((udp = zw_udp_start(ctl, zones, xfr, 0, err, sizeof(err))) == NULL) {
		log_msg("DNS over UDP on the control plane: %s", err);
		goto out_ports;
	}
	struct zw_api_sources src = {
		.zones = zones, .tcp = tcp, .xfr = xfr, .counters = sum_counters
	};
	if ((api = zw_api_start(ctl, cfg.control_socket, &src, err, sizeof(err))) == NULL) {
		log_msg("control API: %s", err);
		goto out_ports;
	}

	for (unsigned i = 0; i < n_workers; i++) {
		if (rte_eal_remote_launch(zw_worker_main, &workers[i], workers[i].lcore) != 0) {
			log_msg("cannot start the worker on lcore %u", workers[i].lcore);
			zw_ctl_stop(ctl);
			break;
		}
	}
	if (cfg.pid_file != NULL) {
		FILE *pf = fopen(cfg.pid_file, "w");
		if (pf != NULL) {
			fprintf(pf, "%ld\n", (long)getpid());
			fclose(pf);
		}
	}
	log_msg("ready: %u worker(s), %u port(s), control socket %s", n_workers, n_wire,
		cfg.control_socket);
	zw_ctl_run(ctl);
	atomic_store(&stop_flag, true);
	log_msg("stopping");
	rte_eal_mp_wait_lcore();
	print_stats(stderr);
	rc = 0;
out_ports:
	atomic_store(&stop_flag, true);
	rte_eal_mp_wait_lcore();
	zw_api_stop(api);
	zw_tcp_stop(tcp);
	zw_udp_stop(udp);
	zw_xfr_free(xfr);
	zw_zones_free(zones);
	zw_ctl_free(ctl);
	stop_ports();
out_eal:
	if (workers != NULL)
		for (unsigned i = 0; i < n_workers; i++)
			rte_free(workers[i].scratch);
	rte_free(workers);
	if (cfg.pid_file != NULL)
		unlink(cfg.pid_file);
	zw_config_free(&cfg);
	rte_eal_cleanup();
	return rc;
}
