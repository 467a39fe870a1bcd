/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewired's configuration file (YAML, read with libyaml).
 *
 * The file is read once at start and again on reload, by the control
 * thread; the result is a plain struct owned by the caller. Every error is
 * reported with the file, line and column and a message that says what was
 * expected. See docs/zonewired.md for the format.
 */
#ifndef ZW_CONFIG_H
#define ZW_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define ZW_CFG_MAX_EAL	   64
#define ZW_CFG_MAX_PORTS   8
#define ZW_CFG_MAX_WORKERS 64
#define ZW_CFG_MAX_ADDRS   16
#define ZW_CFG_MAX_ZONES   4096
#define ZW_CFG_MAX_VLANS   16

struct zw_cfg_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
	uint8_t prefix; /* for the exception interface; default /32, /128 */
};

struct zw_cfg_port {
	char *device; /* a vdev spec ("net_af_xdp0,iface=eth1") or a PCI address */
	uint16_t mtu; /* 0: leave as is */
};

struct zw_cfg_zone {
	char *image; /* path of a zone image (.zwi) */
};

#define ZW_CFG_MAX_KEYS	     64
#define ZW_CFG_MAX_TRANSFERS 256
#define ZW_CFG_MAX_PREFIXES  32
#define ZW_CFG_MAX_TKEYS     8

/* A TSIG key (RFC 8945). */
struct zw_cfg_key {
	char *name;	 /* key name, absolute ("xfr.example.") */
	char *algorithm; /* "hmac-sha256", "hmac-sha384" or "hmac-sha512" */
	char *secret;	 /* base64 */
};

struct zw_cfg_prefix {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
	uint8_t len;
};

/* Who may transfer a zone out: any address in allow, and, when keys are
 * listed, only with a TSIG signature by one of them. zone "*" applies to
 * every zone without a rule of its own. No rule: no transfer. */
struct zw_cfg_transfer {
	char *zone; /* "example.com." or "*" */
	struct zw_cfg_prefix allow[ZW_CFG_MAX_PREFIXES];
	unsigned n_allow;
	char *keys[ZW_CFG_MAX_TKEYS]; /* key names */
	unsigned n_keys;
};

struct zw_config {
	char *path; /* the file this was read from */
	/* dataplane */
	char *eal[ZW_CFG_MAX_EAL]; /* extra EAL arguments, in order */
	unsigned n_eal;
	struct zw_cfg_port ports[ZW_CFG_MAX_PORTS];
	unsigned n_ports;
	unsigned workers[ZW_CFG_MAX_WORKERS]; /* lcore ids of the workers */
	unsigned n_workers;
	unsigned main_lcore;		  /* the control thread's lcore */
	char *tap_name;			  /* exception interface; default "zw0" */
	uint16_t vlans[ZW_CFG_MAX_VLANS]; /* 802.1Q VLAN ids served, besides untagged */
	unsigned n_vlans;
	struct zw_cfg_addr addrs[ZW_CFG_MAX_ADDRS]; /* service addresses */
	unsigned n_addrs;
	unsigned mbufs;	  /* mbuf pool size; default 8191 */
	unsigned rx_desc; /* default 1024 */
	unsigned tx_desc; /* default 1024 */
	unsigned burst;	  /* default 32, at most 64 */
	/* zones */
	struct zw_cfg_zone zones[ZW_CFG_MAX_ZONES];
	unsigned n_zones;
	/* answers */
	uint16_t edns_size;  /* default 1232 */
	unsigned max_chain;  /* default 8 */
	char *nsid;	     /* NULL: none */
	char *id_server;     /* NULL: hidden */
	char *hostname_bind; /* NULL: hidden */
	char *version_bind;  /* NULL: hidden */
	/* TCP (RFC 7766) */
	unsigned tcp_max_conns;		 /* default 1024 */
	unsigned tcp_max_conns_per_addr; /* default 32 */
	unsigned tcp_max_queries;	 /* per connection, default 10000 */
	unsigned tcp_idle_ms;		 /* default 10000 */
	/* zone transfers out */
	struct zw_cfg_key keys[ZW_CFG_MAX_KEYS];
	unsigned n_keys;
	struct zw_cfg_transfer transfers[ZW_CFG_MAX_TRANSFERS];
	unsigned n_transfers;
	/* control */
	char *control_socket; /* default "/run/zonewired/control.sock" */
	char *state_dir;      /* default "/var/lib/zonewired" */
	char *pid_file;	      /* NULL: none */
};

/*
 * Reads and validates the file at path into *cfg (zeroed first, defaults
 * applied). Returns 0, or a negative error with a message of the form
 * "FILE:LINE:COL: what is wrong" in err (errlen bytes).
 */
int zw_config_load(const char *path, struct zw_config *cfg, char *err, size_t errlen);

/* Same over text in memory (name is used in messages). */
int zw_config_parse(const char *name, const char *text, size_t len, struct zw_config *cfg,
		    char *err, size_t errlen);

/* Frees what zw_config_load allocated; cfg can be loaded into again. */
void zw_config_free(struct zw_config *cfg);

#endif /* ZW_CONFIG_H */
