/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewired's configuration file, read with libyaml's event API.
 *
 * The reader is a small recursive descent over the event stream, driven by
 * one table of keys per mapping: the shape of the file is fixed, so the
 * recursion is as deep as the schema and anything deeper is refused at its
 * first unexpected node. Anchors, aliases and tags are refused, keys are
 * unique, and the first error stops the reader with its line and column.
 * See docs/zonewired.md for the format.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml.h>

/* A configuration file larger than this is refused unread. */
#define CFG_MAX_FILE (4u << 20)
/* Lcore ids: RTE_MAX_LCORE of Debian 12's DPDK is 128. */
#define CFG_MAX_LCORE_ID 127
/* Longest string accepted for a device or an EAL argument. */
#define CFG_MAX_ARG 4095
/* Longest CHAOS TXT answer or NSID: one character-string, one option. */
#define CFG_MAX_TXT 255
/* Longest path of the control socket (sun_path, with its NUL). */
#define CFG_MAX_SOCKET (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* TCP limits (RFC 7766): connections, queries per connection, idle ms. */
#define CFG_MAX_TCP_CONNS   1000000
#define CFG_MAX_TCP_QUERIES 1000000000
#define CFG_MAX_TCP_IDLE    3600000
/* Longest TSIG secret, in base64 characters. */
#define CFG_MAX_SECRET 4096
/* Slots of the hash set used to find duplicate zone images. */
#define CFG_ZONE_SLOTS (2 * ZW_CFG_MAX_ZONES)

#define DEFAULT_TAP	  "zw0"
#define DEFAULT_SOCKET	  "/run/zonewired/control.sock"
#define DEFAULT_STATE_DIR "/var/lib/zonewired"

struct parser {
	yaml_parser_t yp;
	bool yp_ready;
	yaml_event_t ev; /* the current event */
	bool have_ev;
	const char *name; /* for messages */
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	struct zw_config *cfg;
	char *dir;	      /* absolute directory of the file, made on first use */
	yaml_mark_t key_mark; /* of the key whose value is being read */
	/* Kept for the checks made once the file has been read. */
	bool have_dataplane;
	yaml_mark_t dataplane_mark;
	bool have_main_lcore;
	yaml_mark_t worker_marks[ZW_CFG_MAX_WORKERS];
	yaml_mark_t mtu_marks[ZW_CFG_MAX_PORTS];
	int zone_slots[CFG_ZONE_SLOTS]; /* zone index + 1; 0: free */
	/* transfer rules' key names, checked against 'keys' at the end */
	yaml_mark_t tkey_marks[ZW_CFG_MAX_TRANSFERS][ZW_CFG_MAX_TKEYS];
};

struct key_def;
typedef int (*key_fn)(struct parser *p, const struct key_def *k, void *obj);

struct key_def {
	const char *name;
	const char *path; /* the key's full name, for messages */
	key_fn fn;
	size_t off;  /* the field in *obj, for the generic handlers */
	size_t size; /* its size, for integers */
	unsigned long min, max;
	const struct key_def *keys; /* a section's keys, for key_section */
	size_t nkeys;
};

static int fail(struct parser *p, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, yaml_mark_t m, const char *fmt, ...)
{
	if (p->err != NULL && p->errlen > 0) {
		int n = snprintf(p->err, p->errlen, "%s:%zu:%zu: ", p->name, m.line + 1,
				 m.column + 1);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* A message without a position: I/O and memory. */
static int fail_plain(char *err, size_t errlen, const char *name, int rc, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", name, what);
	return rc;
}

static int fail_nomem(struct parser *p)
{
	return fail_plain(p->err, p->errlen, p->name, -ENOMEM, "out of memory");
}

/* Copies at most 40 bytes of s into buf for a message, non-printables as '?'. */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
	size_t max = size - 4, o = 0;
	for (size_t i = 0; i < len && o < max; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > max)
		memcpy(buf + o, "...", 3), o += 3;
	buf[o] = '\0';
	return buf;
}

#define SHOW_SIZE 44

/* The byte of the input at a mark (line and column counted by libyaml). */
static int byte_at(const struct parser *p, yaml_mark_t m)
{
	size_t i = 0, line = 0, col = 0;
	while (line < m.line && i < p->len)
		if (p->text[i++] == '\n')
			line++;
	while (col < m.column && i < p->len && p->text[i] != '\n') {
		i++;
		while (i < p->len && ((unsigned char)p->text[i] & 0xc0) == 0x80)
			i++;
		col++;
	}
	return i < p->len ? (unsigned char)p->text[i] : -1;
}

/* The mark of a byte offset (for libyaml's reader errors). */
static yaml_mark_t mark_of_offset(const struct parser *p, size_t off)
{
	yaml_mark_t m = { 0 };
	for (size_t i = 0; i < off && i < p->len; i++) {
		if (p->text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)p->text[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	m.index = off;
	return m;
}

static int yaml_error(struct parser *p)
{
	const yaml_parser_t *yp = &p->yp;
	const char *problem = yp->problem != NULL ? yp->problem : "unknown error";

	switch (yp->error) {
	case YAML_MEMORY_ERROR: return fail_nomem(p);
	case YAML_READER_ERROR:
		return fail(p, mark_of_offset(p, yp->problem_offset), "invalid input: %s", problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (byte_at(p, yp->problem_mark) == '\t')
			return fail(p, yp->problem_mark,
				    "syntax error: tab characters are not allowed for indentation");
		if (yp->context != NULL)
			return fail(p, yp->problem_mark, "syntax error: %s (%s at %zu:%zu)%s",
				    problem, yp->context, yp->context_mark.line + 1,
				    yp->context_mark.column + 1,
				    strstr(yp->context, "alias") != NULL
					    ? " (a '*' must be quoted: \"*\")"
					    : "");
		return fail(p, yp->problem_mark, "syntax error: %s", problem);
	default: return fail(p, yp->problem_mark, "syntax error: %s", problem);
	}
}

static int next(struct parser *p)
{
	if (p->have_ev) {
		yaml_event_delete(&p->ev);
		p->have_ev = false;
	}
	if (!yaml_parser_parse(&p->yp, &p->ev))
		return yaml_error(p);
	p->have_ev = true;
	return 0;
}

static const char *kind(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT: return e->data.scalar.length == 0 ? "nothing" : "a scalar";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_ALIAS_EVENT: return "an alias";
	default: return "something else";
	}
}

/* Refuses aliases, anchors and tags on the current node. */
static int check_node(struct parser *p, const char *path)
{
	const yaml_event_t *e = &p->ev;
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (e->type) {
	case YAML_ALIAS_EVENT: return fail(p, e->start_mark, "%s: aliases are not supported", path);
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
		break;
	default: break;
	}
	if (anchor != NULL)
		return fail(p, e->start_mark, "%s: anchors are not supported", path);
	if (tag != NULL) {
		char b[SHOW_SIZE];
		const char *t = (const char *)tag;
		return fail(p, e->start_mark, "%s: tags are not supported ('%s')", path,
			    show(b, sizeof b, t, strlen(t)));
	}
	return 0;
}

/* A plain scalar that YAML reads as null: nothing, "~" or "null". */
static bool is_null(const yaml_event_t *e)
{
	if (e->type != YAML_SCALAR_EVENT || e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	return n == 0 || (n == 1 && v[0] == '~') ||
	       (n == 4 &&
		(!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/*
 * The current node must start a collection of the given type; a null value
 * stands for an empty one. Returns 1 (started), 0 (empty) or an error.
 */
static int begin(struct parser *p, const char *path, yaml_event_type_t type)
{
	if (p->ev.type == type)
		return 1;
	if (is_null(&p->ev))
		return 0;
	return fail(p, p->ev.start_mark, "%s: expected %s, found %s", path,
		    type == YAML_SEQUENCE_START_EVENT ? "a list" : "a mapping", kind(&p->ev));
}

static int want_scalar(struct parser *p, const char *path, const char *what)
{
	if (p->ev.type != YAML_SCALAR_EVENT)
		return fail(p, p->ev.start_mark, "%s: expected %s, found %s", path, what,
			    kind(&p->ev));
	return 0;
}

/* The current node as a string of 1..max bytes, copied into *out. */
static int get_string(struct parser *p, const char *path, size_t max, char **out)
{
	int rc = want_scalar(p, path, "a string");
	if (rc != 0)
		return rc;
	const char *v = (const char *)p->ev.data.scalar.value;
	size_t n = p->ev.data.scalar.length;
	if (n == 0 || is_null(&p->ev))
		return fail(p, p->ev.start_mark, "%s: must not be empty", path);
	if (memchr(v, '\0', n) != NULL)
		return fail(p, p->ev.start_mark, "%s: must not contain NUL characters", path);
	if (n > max)
		return fail(p, p->ev.start_mark, "%s: too long (%zu bytes, at most %zu)", path, n,
			    max);
	char *s = strndup(v, n);
	if (s == NULL)
		return fail_nomem(p);
	free(*out);
	*out = s;
	return 0;
}

/* The current node as a decimal integer in min..max. */
static int get_uint(struct parser *p, const char *path, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	int rc = want_scalar(p, path, "an integer");
	if (rc != 0)
		return rc;
	const char *v = (const char *)p->ev.data.scalar.value;
	size_t n = p->ev.data.scalar.length;
	char b[SHOW_SIZE];

	if (n == 0 || is_null(&p->ev))
		return fail(p, p->ev.start_mark,
			    "%s: expected an integer (%lu..%lu), found nothing", path, min, max);
	size_t i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
	bool digits = i < n;
	for (size_t j = i; j < n; j++)
		if (v[j] < '0' || v[j] > '9')
			digits = false;
	if (!digits || (n - i > 1 && v[i] == '0'))
		return fail(p, p->ev.start_mark, "%s: expected an integer (%lu..%lu), found '%s'",
			    path, min, max, show(b, sizeof b, v, n));
	unsigned long x = 0;
	bool over = false;
	for (size_t j = i; j < n; j++) {
		unsigned d = (unsigned)(v[j] - '0');
		if (x > (ULONG_MAX - d) / 10)
			over = true;
		else
			x = x * 10 + d;
	}
	bool negative = v[0] == '-';
	if (negative || over || x < min || x > max)
		return fail(p, p->ev.start_mark, "%s: %s is out of range (%lu..%lu)", path,
			    show(b, sizeof b, v, n), min, max);
	*out = x;
	return 0;
}

/* Lexically removes empty and "." components of an absolute path. */
static void normalize(char *s)
{
	char *r = s, *w = s + 1;
	while (*r != '\0') {
		while (*r == '/')
			r++;
		if (*r == '\0')
			break;
		char *c = r;
		while (*r != '\0' && *r != '/')
			r++;
		size_t n = (size_t)(r - c);
		if (n == 1 && c[0] == '.')
			continue;
		if (w[-1] != '/')
			*w++ = '/';
		memmove(w, c, n);
		w += n;
	}
	*w = '\0';
}

/* The first alen bytes of a, a slash and b, freshly allocated. */
static char *join(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	char *s = malloc(alen + 1 + blen + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, a, alen);
	s[alen] = '/';
	memcpy(s + alen + 1, b, blen + 1);
	return s;
}

/* name made absolute (against the working directory) and normalized. */
static int absolute(const char *name, char **out)
{
	char *s;
	if (name[0] == '/') {
		s = strdup(name);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return errno != 0 ? -errno : -ENOENT;
		s = join(cwd, strlen(cwd), name);
		free(cwd);
	}
	if (s == NULL)
		return -ENOMEM;
	normalize(s);
	*out = s;
	return 0;
}

/* The current node as a path; relative ones are taken from the file's directory. */
static int get_path(struct parser *p, const char *path, size_t max, char **out)
{
	char *v = NULL;
	int rc = get_string(p, path, PATH_MAX - 1, &v);
	if (rc != 0)
		return rc;
	char *s;
	if (v[0] == '/') {
		s = v;
		v = NULL;
	} else {
		if (p->dir == NULL) {
			char *abs = NULL;
			rc = absolute(p->name, &abs);
			if (rc != 0) {
				free(v);
				if (rc == -ENOMEM)
					return fail_nomem(p);
				return fail(p, p->ev.start_mark,
					    "%s: cannot resolve a relative path: the working "
					    "directory is unknown (%s)",
					    path, strerror(-rc));
			}
			*strrchr(abs, '/') = '\0';
			p->dir = abs; /* "" for the root directory */
		}
		s = join(p->dir, strlen(p->dir), v);
		free(v);
		v = NULL;
		if (s == NULL)
			return fail_nomem(p);
	}
	normalize(s);
	size_t n = strlen(s);
	if (n > max) {
		free(s);
		return fail(p, p->ev.start_mark, "%s: path too long (%zu bytes, at most %zu)", path,
			    n, max);
	}
	free(*out);
	*out = s;
	return 0;
}

/* Reads a mapping (the current event starts it) through its key table. */
static int parse_map(struct parser *p, const char *what, const struct key_def *keys, size_t nkeys,
		     void *obj)
{
	uint32_t seen = 0;
	char b[SHOW_SIZE];

	for (;;) {
		int rc = next(p);
		if (rc != 0)
			return rc;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if ((rc = check_node(p, what)) != 0)
			return rc;
		if (p->ev.type != YAML_SCALAR_EVENT)
			return fail(p, p->ev.start_mark, "%s: expected a key, found %s", what,
				    kind(&p->ev));
		const char *v = (const char *)p->ev.data.scalar.value;
		size_t n = p->ev.data.scalar.length;
		size_t i;
		for (i = 0; i < nkeys; i++)
			if (strlen(keys[i].name) == n && memcmp(keys[i].name, v, n) == 0)
				break;
		if (i == nkeys) {
			char list[256];
			size_t o = 0;
			list[0] = '\0';
			for (size_t j = 0; j < nkeys && o < sizeof list; j++)
				o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
						      j > 0 ? ", " : "", keys[j].name);
			return fail(p, p->ev.start_mark, "%s: unknown key '%s' (expected %s)", what,
				    show(b, sizeof b, v, n), list);
		}
		if (seen & (1u << i))
			return fail(p, p->ev.start_mark, "%s: duplicate key '%s'", what,
				    keys[i].name);
		seen |= 1u << i;
		p->key_mark = p->ev.start_mark;
		if ((rc = next(p)) != 0)
			return rc;
		if ((rc = check_node(p, keys[i].path)) != 0)
			return rc;
		if ((rc = keys[i].fn(p, &keys[i], obj)) != 0)
			return rc;
	}
}

/*
 * Steps to the next item of a list whose start is the current event.
 * Returns 1 with the item as the current event, 0 at the end, or an error.
 */
static int next_item(struct parser *p, const char *path)
{
	int rc = next(p);
	if (rc != 0)
		return rc;
	if (p->ev.type == YAML_SEQUENCE_END_EVENT)
		return 0;
	if ((rc = check_node(p, path)) != 0)
		return rc;
	return 1;
}

/* Generic handlers: the field is at k->off in *obj. */

static int key_uint(struct parser *p, const struct key_def *k, void *obj)
{
	unsigned long v;
	int rc = get_uint(p, k->path, k->min, k->max, &v);
	if (rc != 0)
		return rc;
	char *f = (char *)obj + k->off;
	if (k->size == sizeof(uint16_t)) {
		uint16_t x = (uint16_t)v;
		memcpy(f, &x, sizeof x);
	} else {
		unsigned x = (unsigned)v;
		memcpy(f, &x, sizeof x);
	}
	return 0;
}

static int key_string(struct parser *p, const struct key_def *k, void *obj)
{
	return get_string(p, k->path, k->max, (char **)((char *)obj + k->off));
}

static int key_path(struct parser *p, const struct key_def *k, void *obj)
{
	return get_path(p, k->path, k->max, (char **)((char *)obj + k->off));
}

#define CFG_FIELD(f) offsetof(struct zw_config, f), sizeof(((struct zw_config *)0)->f)

/* dataplane */

/* EAL options that zonewired sets itself from workers and main-lcore. */
static bool eal_reserved(const char *a)
{
	static const char *const longs[] = { "--lcores", "--main-lcore", "--master-lcore" };
	if (a[0] == '-' && (a[1] == 'l' || a[1] == 'c'))
		return true;
	for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
		size_t n = strlen(longs[i]);
		if (strncmp(a, longs[i], n) == 0 && (a[n] == '\0' || a[n] == '='))
			return true;
	}
	return false;
}

static int key_eal(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	char b[SHOW_SIZE];
	while ((rc = next_item(p, k->path)) > 0) {
		if (cfg->n_eal == ZW_CFG_MAX_EAL)
			return fail(p, p->ev.start_mark, "%s: too many arguments (at most %d)",
				    k->path, ZW_CFG_MAX_EAL);
		char **slot = &cfg->eal[cfg->n_eal];
		if ((rc = get_string(p, k->path, CFG_MAX_ARG, slot)) != 0)
			return rc;
		cfg->n_eal++;
		if (eal_reserved(*slot))
			return fail(p, p->ev.start_mark,
				    "%s: '%s' is not allowed: the lcores are set from "
				    "dataplane.workers and dataplane.main-lcore",
				    k->path, show(b, sizeof b, *slot, strlen(*slot)));
	}
	return rc;
}

static int key_port_mtu(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_port *port = obj;
	unsigned long v;
	int rc = get_uint(p, k->path, k->min, k->max, &v);
	if (rc != 0)
		return rc;
	port->mtu = (uint16_t)v;
	p->mtu_marks[port - p->cfg->ports] = p->ev.start_mark;
	return 0;
}

static int key_port_device(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_port *port = obj;
	return get_string(p, k->path, CFG_MAX_ARG, &port->device);
}

static const struct key_def port_keys[] = {
	{ "device", "dataplane.ports.device", key_port_device },
	{ "mtu", "dataplane.ports.mtu", key_port_mtu, 0, 0, 576, 65535 },
};

static int key_ports(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	char b[SHOW_SIZE];
	while ((rc = next_item(p, k->path)) > 0) {
		yaml_mark_t m = p->ev.start_mark;
		if (cfg->n_ports == ZW_CFG_MAX_PORTS)
			return fail(p, m, "%s: too many ports (at most %d)", k->path,
				    ZW_CFG_MAX_PORTS);
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, m, "%s: expected a mapping (device, mtu), found %s", k->path,
				    kind(&p->ev));
		struct zw_cfg_port *port = &cfg->ports[cfg->n_ports++];
		rc = parse_map(p, k->path, port_keys, sizeof port_keys / sizeof port_keys[0], port);
		if (rc != 0)
			return rc;
		if (port->device == NULL)
			return fail(p, m, "%s: a port needs a 'device'", k->path);
		for (unsigned i = 0; i + 1 < cfg->n_ports; i++)
			if (strcmp(cfg->ports[i].device, port->device) == 0)
				return fail(p, m, "%s: device '%s' is listed twice", k->path,
					    show(b, sizeof b, port->device, strlen(port->device)));
	}
	return rc;
}

static int key_workers(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		unsigned long v;
		if (cfg->n_workers == ZW_CFG_MAX_WORKERS)
			return fail(p, p->ev.start_mark, "%s: too many workers (at most %d)",
				    k->path, ZW_CFG_MAX_WORKERS);
		if ((rc = get_uint(p, k->path, 0, CFG_MAX_LCORE_ID, &v)) != 0)
			return rc;
		for (unsigned i = 0; i < cfg->n_workers; i++)
			if (cfg->workers[i] == v)
				return fail(p, p->ev.start_mark, "%s: lcore %lu is listed twice",
					    k->path, v);
		p->worker_marks[cfg->n_workers] = p->ev.start_mark;
		cfg->workers[cfg->n_workers++] = (unsigned)v;
	}
	return rc;
}

static int key_main_lcore(struct parser *p, const struct key_def *k, void *obj)
{
	int rc = key_uint(p, k, obj);
	p->have_main_lcore = rc == 0;
	return rc;
}

static bool ifname_ok(const char *s)
{
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '/' || *s == ':')
			return false;
	return true;
}

static int key_tap(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	char b[SHOW_SIZE];
	int rc = get_string(p, k->path, IFNAMSIZ - 1, &cfg->tap_name);
	if (rc == 0 && !ifname_ok(cfg->tap_name))
		return fail(p, p->ev.start_mark,
			    "%s: '%s' is not a valid interface name (no spaces, '/' or ':')",
			    k->path, show(b, sizeof b, cfg->tap_name, strlen(cfg->tap_name)));
	return rc;
}

static int key_vlans(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		unsigned long v;
		if (cfg->n_vlans == ZW_CFG_MAX_VLANS)
			return fail(p, p->ev.start_mark, "%s: too many VLANs (at most %d)", k->path,
				    ZW_CFG_MAX_VLANS);
		if ((rc = get_uint(p, k->path, 1, 4094, &v)) != 0)
			return rc;
		for (unsigned i = 0; i < cfg->n_vlans; i++)
			if (cfg->vlans[i] == v)
				return fail(p, p->ev.start_mark, "%s: VLAN %lu is listed twice",
					    k->path, v);
		cfg->vlans[cfg->n_vlans++] = (uint16_t)v;
	}
	return rc;
}

/* "ADDRESS" or "ADDRESS/PREFIX"; NULL or the reason it is not one. */
static const char *parse_addr(const char *s, size_t n, struct zw_cfg_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (n == 0 || n >= sizeof buf || memchr(s, '\0', n) != NULL)
		return "not an IPv4 or IPv6 address";
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	long prefix = -1;
	if (slash != NULL) {
		*slash = '\0';
		const char *d = slash + 1;
		size_t dn = strlen(d);
		if (dn == 0 || dn > 3 || (dn > 1 && d[0] == '0') || strspn(d, "0123456789") != dn)
			return "the prefix length must be a decimal number";
		prefix = strtol(d, NULL, 10);
	}
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, buf, &a->v4) == 1) {
		a->family = AF_INET;
		if (prefix > 32)
			return "an IPv4 prefix length is at most 32";
		a->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
		uint32_t x = ntohl(a->v4.s_addr);
		if (x == 0 || x == UINT32_MAX || (x >> 28) == 0xe)
			return "not a unicast address";
	} else if (inet_pton(AF_INET6, buf, &a->v6) == 1) {
		a->family = AF_INET6;
		if (prefix > 128)
			return "an IPv6 prefix length is at most 128";
		a->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
		if (IN6_IS_ADDR_UNSPECIFIED(&a->v6) || IN6_IS_ADDR_MULTICAST(&a->v6))
			return "not a unicast address";
	} else {
		return "not an IPv4 or IPv6 address";
	}
	return NULL;
}

static int key_addresses(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	char b[SHOW_SIZE];
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		if (cfg->n_addrs == ZW_CFG_MAX_ADDRS)
			return fail(p, p->ev.start_mark, "%s: too many addresses (at most %d)",
				    k->path, ZW_CFG_MAX_ADDRS);
		if ((rc = want_scalar(p, k->path, "an address")) != 0)
			return rc;
		const char *v = (const char *)p->ev.data.scalar.value;
		size_t n = p->ev.data.scalar.length;
		struct zw_cfg_addr *a = &cfg->addrs[cfg->n_addrs];
		const char *why = parse_addr(v, n, a);
		if (why != NULL)
			return fail(p, p->ev.start_mark, "%s: '%s': %s", k->path,
				    show(b, sizeof b, v, n), why);
		for (unsigned i = 0; i < cfg->n_addrs; i++) {
			const struct zw_cfg_addr *o = &cfg->addrs[i];
			if (o->family == a->family &&
			    (a->family == AF_INET ? !memcmp(&o->v4, &a->v4, sizeof a->v4)
						  : !memcmp(&o->v6, &a->v6, sizeof a->v6)))
				return fail(p, p->ev.start_mark, "%s: '%s' is listed twice",
					    k->path, show(b, sizeof b, v, n));
		}
		cfg->n_addrs++;
	}
	return rc;
}

static const struct key_def dataplane_keys[] = {
	{ "eal", "dataplane.eal", key_eal },
	{ "ports", "dataplane.ports", key_ports },
	{ "workers", "dataplane.workers", key_workers },
	{ "main-lcore", "dataplane.main-lcore", key_main_lcore, CFG_FIELD(main_lcore), 0,
	  CFG_MAX_LCORE_ID },
	{ "exception-interface", "dataplane.exception-interface", key_tap },
	{ "vlans", "dataplane.vlans", key_vlans },
	{ "addresses", "dataplane.addresses", key_addresses },
	{ "mbufs", "dataplane.mbufs", key_uint, CFG_FIELD(mbufs), 1023, 1u << 24 },
	{ "rx-descriptors", "dataplane.rx-descriptors", key_uint, CFG_FIELD(rx_desc), 64, 16384 },
	{ "tx-descriptors", "dataplane.tx-descriptors", key_uint, CFG_FIELD(tx_desc), 64, 16384 },
	{ "burst", "dataplane.burst", key_uint, CFG_FIELD(burst), 1, 64 },
};

/* The checks that need the whole dataplane section, made once the file is read. */
static int check_dataplane(struct parser *p, yaml_mark_t m)
{
	struct zw_config *cfg = p->cfg;
	if (cfg->n_ports == 0)
		return fail(p, m, "dataplane.ports: at least one port is required");
	if (cfg->n_workers == 0)
		return fail(p, m, "dataplane.workers: at least one worker lcore is required");
	if (cfg->n_addrs == 0)
		return fail(p, m, "dataplane.addresses: at least one service address is required");
	for (unsigned i = 0; i < cfg->n_workers; i++)
		if (cfg->workers[i] == cfg->main_lcore)
			return fail(p, p->worker_marks[i],
				    "dataplane.workers: lcore %u is also the main lcore "
				    "(dataplane.main-lcore%s)",
				    cfg->main_lcore, p->have_main_lcore ? "" : ", by default");
	bool v6 = false;
	for (unsigned i = 0; i < cfg->n_addrs; i++)
		v6 |= cfg->addrs[i].family == AF_INET6;
	for (unsigned i = 0; i < cfg->n_ports && v6; i++)
		if (cfg->ports[i].mtu != 0 && cfg->ports[i].mtu < 1280)
			return fail(p, p->mtu_marks[i],
				    "dataplane.ports.mtu: IPv6 needs an MTU of at least 1280");
	return 0;
}

static int key_dataplane(struct parser *p, const struct key_def *k, void *obj)
{
	p->have_dataplane = true;
	p->dataplane_mark = p->key_mark;
	int rc = begin(p, k->path, YAML_MAPPING_START_EVENT);
	return rc > 0 ? parse_map(p, k->path, dataplane_keys,
				  sizeof dataplane_keys / sizeof dataplane_keys[0], obj)
		      : rc;
}

/* zones */

static int key_zone_image(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_zone *z = obj;
	return get_path(p, k->path, PATH_MAX - 1, &z->image);
}

static const struct key_def zone_keys[] = {
	{ "image", "zones.image", key_zone_image },
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Adds zone i to the set; false when an equal path is there. */
static bool zone_add(struct parser *p, unsigned i)
{
	const char *s = p->cfg->zones[i].image;
	for (uint32_t h = hash_str(s) % CFG_ZONE_SLOTS;; h = (h + 1) % CFG_ZONE_SLOTS) {
		int j = p->zone_slots[h];
		if (j == 0) {
			p->zone_slots[h] = (int)i + 1;
			return true;
		}
		if (strcmp(p->cfg->zones[j - 1].image, s) == 0)
			return false;
	}
}

static int key_zones(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	char b[SHOW_SIZE];
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		yaml_mark_t m = p->ev.start_mark;
		if (cfg->n_zones == ZW_CFG_MAX_ZONES)
			return fail(p, m, "%s: too many zones (at most %d)", k->path,
				    ZW_CFG_MAX_ZONES);
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, m, "%s: expected a mapping (image), found %s", k->path,
				    kind(&p->ev));
		struct zw_cfg_zone *z = &cfg->zones[cfg->n_zones++];
		rc = parse_map(p, k->path, zone_keys, sizeof zone_keys / sizeof zone_keys[0], z);
		if (rc != 0)
			return rc;
		if (z->image == NULL)
			return fail(p, m, "%s: a zone needs an 'image'", k->path);
		if (!zone_add(p, cfg->n_zones - 1))
			return fail(p, m, "%s: image '%s' is listed twice", k->path,
				    show(b, sizeof b, z->image, strlen(z->image)));
	}
	return rc;
}

/* server */

static const struct key_def server_keys[] = {
	{ "edns-size", "server.edns-size", key_uint, CFG_FIELD(edns_size), 512, 65535 },
	{ "max-chain", "server.max-chain", key_uint, CFG_FIELD(max_chain), 1, 32 },
	{ "nsid", "server.nsid", key_string, CFG_FIELD(nsid), 0, CFG_MAX_TXT },
	{ "id-server", "server.id-server", key_string, CFG_FIELD(id_server), 0, CFG_MAX_TXT },
	{ "hostname-bind", "server.hostname-bind", key_string, CFG_FIELD(hostname_bind), 0,
	  CFG_MAX_TXT },
	{ "version-bind", "server.version-bind", key_string, CFG_FIELD(version_bind), 0,
	  CFG_MAX_TXT },
};

/* tcp */

static const struct key_def tcp_keys[] = {
	{ "max-connections", "tcp.max-connections", key_uint, CFG_FIELD(tcp_max_conns), 1,
	  CFG_MAX_TCP_CONNS },
	{ "max-connections-per-address", "tcp.max-connections-per-address", key_uint,
	  CFG_FIELD(tcp_max_conns_per_addr), 1, CFG_MAX_TCP_CONNS },
	{ "max-queries", "tcp.max-queries", key_uint, CFG_FIELD(tcp_max_queries), 1,
	  CFG_MAX_TCP_QUERIES },
	{ "idle-timeout", "tcp.idle-timeout", key_uint, CFG_FIELD(tcp_idle_ms), 100,
	  CFG_MAX_TCP_IDLE },
};

static int key_tcp(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	yaml_mark_t m = p->key_mark;
	int rc = begin(p, k->path, YAML_MAPPING_START_EVENT);
	if (rc <= 0)
		return rc;
	/* per address: 32 by default, but never more than in all */
	unsigned per_addr = cfg->tcp_max_conns_per_addr;
	cfg->tcp_max_conns_per_addr = 0;
	rc = parse_map(p, k->path, tcp_keys, sizeof tcp_keys / sizeof tcp_keys[0], obj);
	if (rc == 0 && cfg->tcp_max_conns_per_addr == 0)
		cfg->tcp_max_conns_per_addr =
			per_addr < cfg->tcp_max_conns ? per_addr : cfg->tcp_max_conns;
	else if (rc == 0 && cfg->tcp_max_conns_per_addr > cfg->tcp_max_conns)
		return fail(p, m,
			    "tcp.max-connections-per-address: %u is more than "
			    "tcp.max-connections (%u)",
			    cfg->tcp_max_conns_per_addr, cfg->tcp_max_conns);
	return rc;
}

/* Domain names of keys and transfer rules: LDH labels (and '_', and '/'
 * as in RFC 2317 zones), with or without the final dot; stored lower-case
 * with the final dot. NULL or why the name is refused. */
static const char *norm_name(const char *v, size_t n, char **out)
{
	*out = NULL;
	if (n == 1 && v[0] == '.') {
		*out = strdup(".");
		return *out == NULL ? "out of memory" : NULL;
	}
	if (n > 0 && v[n - 1] == '.')
		n--;
	size_t wire = 1, label = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || v[i] == '.') {
			if (label == 0)
				return "empty label";
			if (label > 63)
				return "a label is longer than 63 characters";
			wire += 1 + label;
			label = 0;
			continue;
		}
		unsigned char c = (unsigned char)v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '/'))
			return "only letters, digits, '-', '_' and '/' are allowed in labels";
		label++;
	}
	if (wire > 255)
		return "longer than 255 octets";
	char *s = malloc(n + 2);
	if (s == NULL)
		return "out of memory";
	for (size_t i = 0; i < n; i++)
		s[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] | 0x20 : v[i]);
	s[n] = '.';
	s[n + 1] = '\0';
	*out = s;
	return NULL;
}

/* The current node as a domain name, normalised into *out. */
static int get_name(struct parser *p, const char *path, char **out)
{
	char b[SHOW_SIZE], *name = NULL;
	int rc = get_string(p, path, 1024, &name);
	if (rc != 0)
		return rc;
	char *norm;
	const char *why = norm_name(name, strlen(name), &norm);
	if (why != NULL && strcmp(why, "out of memory") == 0) {
		free(name);
		return fail_nomem(p);
	}
	if (why != NULL) {
		rc = fail(p, p->ev.start_mark, "%s: '%s' is not a domain name (%s)", path,
			  show(b, sizeof b, name, strlen(name)), why);
		free(name);
		return rc;
	}
	free(name);
	free(*out);
	*out = norm;
	return 0;
}

/* keys */

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 (RFC 4648 4, padded): the number of bytes it decodes to,
 * or -1. */
static long b64_length(const char *s)
{
	size_t n = strlen(s);
	long len = 0;
	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=') {
				if (i + 4 != n || j < 2)
					return -1;
				pad++;
			} else if (pad > 0 || b64_value((unsigned char)s[i + j]) < 0) {
				return -1;
			}
		}
		len += 3 - pad;
	}
	return len;
}

static int key_key_name(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_key *key = obj;
	return get_name(p, k->path, &key->name);
}

static int key_key_algorithm(struct parser *p, const struct key_def *k, void *obj)
{
	static const char *const algs[] = { "hmac-sha256", "hmac-sha384", "hmac-sha512" };
	struct zw_cfg_key *key = obj;
	char b[SHOW_SIZE];
	int rc = get_string(p, k->path, 64, &key->algorithm);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (strcmp(key->algorithm, algs[i]) == 0)
			return 0;
	return fail(p, p->ev.start_mark,
		    "%s: '%s' is not supported (expected hmac-sha256, hmac-sha384 or "
		    "hmac-sha512)",
		    k->path, show(b, sizeof b, key->algorithm, strlen(key->algorithm)));
}

static int key_key_secret(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_key *key = obj;
	int rc = get_string(p, k->path, CFG_MAX_SECRET, &key->secret);
	if (rc != 0)
		return rc;
	if (b64_length(key->secret) <= 0)
		return fail(p, p->ev.start_mark,
			    "%s: not valid base64 (the secret as tsig-keygen or keymgr "
			    "print it: A-Z, a-z, 0-9, '+' and '/', padded with '=')",
			    k->path);
	return 0;
}

static const struct key_def tsig_key_keys[] = {
	{ "name", "keys.name", key_key_name },
	{ "algorithm", "keys.algorithm", key_key_algorithm },
	{ "secret", "keys.secret", key_key_secret },
};

static int key_keys(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	char b[SHOW_SIZE];
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		yaml_mark_t m = p->ev.start_mark;
		if (cfg->n_keys == ZW_CFG_MAX_KEYS)
			return fail(p, m, "%s: too many keys (at most %d)", k->path,
				    ZW_CFG_MAX_KEYS);
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, m,
				    "%s: expected a mapping (name, algorithm, secret), found %s",
				    k->path, kind(&p->ev));
		struct zw_cfg_key *key = &cfg->keys[cfg->n_keys++];
		rc = parse_map(p, k->path, tsig_key_keys,
			       sizeof tsig_key_keys / sizeof tsig_key_keys[0], key);
		if (rc != 0)
			return rc;
		if (key->name == NULL)
			return fail(p, m, "%s: a key needs a 'name'", k->path);
		if (key->algorithm == NULL)
			return fail(p, m, "%s: a key needs an 'algorithm'", k->path);
		if (key->secret == NULL)
			return fail(p, m, "%s: a key needs a 'secret'", k->path);
		for (unsigned i = 0; i + 1 < cfg->n_keys; i++)
			if (strcmp(cfg->keys[i].name, key->name) == 0)
				return fail(p, m, "%s: key '%s' is listed twice", k->path,
					    show(b, sizeof b, key->name, strlen(key->name)));
	}
	return rc;
}

/* transfer */

/* "ADDRESS" or "ADDRESS/LENGTH", with no bit set past the length; NULL or
 * the reason it is not one. */
static const char *parse_prefix(const char *s, size_t n, struct zw_cfg_prefix *a)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (n == 0 || n >= sizeof buf || memchr(s, '\0', n) != NULL)
		return "not an address prefix";
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	long len = -1;
	if (slash != NULL) {
		*slash = '\0';
		const char *d = slash + 1;
		size_t dn = strlen(d);
		if (dn == 0 || dn > 3 || (dn > 1 && d[0] == '0') || strspn(d, "0123456789") != dn)
			return "the prefix length must be a decimal number";
		len = strtol(d, NULL, 10);
	}
	memset(a, 0, sizeof *a);
	uint8_t *bytes;
	unsigned max;
	if (inet_pton(AF_INET, buf, &a->v4) == 1) {
		a->family = AF_INET;
		bytes = (uint8_t *)&a->v4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &a->v6) == 1) {
		a->family = AF_INET6;
		bytes = a->v6.s6_addr;
		max = 128;
	} else {
		return "not an address prefix";
	}
	if (len > (long)max)
		return max == 32 ? "an IPv4 prefix length is at most 32"
				 : "an IPv6 prefix length is at most 128";
	a->len = (uint8_t)(len < 0 ? max : (unsigned)len);
	for (unsigned bit = a->len; bit < max; bit++)
		if (bytes[bit / 8] & (0x80 >> (bit % 8)))
			return "bits are set past the prefix length";
	return NULL;
}

static int key_transfer_zone(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_transfer *t = obj;
	if (p->ev.type == YAML_SCALAR_EVENT && p->ev.data.scalar.length == 1 &&
	    p->ev.data.scalar.value[0] == '*') {
		char *s = strdup("*");
		if (s == NULL)
			return fail_nomem(p);
		free(t->zone);
		t->zone = s;
		return 0;
	}
	return get_name(p, k->path, &t->zone);
}

static int key_transfer_allow(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_transfer *t = obj;
	char b[SHOW_SIZE];
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		if (t->n_allow == ZW_CFG_MAX_PREFIXES)
			return fail(p, p->ev.start_mark, "%s: too many prefixes (at most %d)",
				    k->path, ZW_CFG_MAX_PREFIXES);
		if ((rc = want_scalar(p, k->path, "an address prefix")) != 0)
			return rc;
		const char *v = (const char *)p->ev.data.scalar.value;
		size_t n = p->ev.data.scalar.length;
		struct zw_cfg_prefix *a = &t->allow[t->n_allow];
		const char *why = parse_prefix(v, n, a);
		if (why != NULL)
			return fail(p, p->ev.start_mark, "%s: '%s': %s", k->path,
				    show(b, sizeof b, v, n), why);
		for (unsigned i = 0; i < t->n_allow; i++)
			if (t->allow[i].family == a->family && t->allow[i].len == a->len &&
			    (a->family == AF_INET ? !memcmp(&t->allow[i].v4, &a->v4, sizeof a->v4)
						  : !memcmp(&t->allow[i].v6, &a->v6, sizeof a->v6)))
				return fail(p, p->ev.start_mark, "%s: '%s' is listed twice",
					    k->path, show(b, sizeof b, v, n));
		t->n_allow++;
	}
	return rc;
}

static int key_transfer_keys(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_cfg_transfer *t = obj;
	unsigned ti = (unsigned)(t - p->cfg->transfers);
	char b[SHOW_SIZE];
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		if (t->n_keys == ZW_CFG_MAX_TKEYS)
			return fail(p, p->ev.start_mark, "%s: too many keys (at most %d)", k->path,
				    ZW_CFG_MAX_TKEYS);
		char **slot = &t->keys[t->n_keys];
		if ((rc = get_name(p, k->path, slot)) != 0)
			return rc;
		for (unsigned i = 0; i < t->n_keys; i++)
			if (strcmp(t->keys[i], *slot) == 0)
				return fail(p, p->ev.start_mark, "%s: key '%s' is listed twice",
					    k->path, show(b, sizeof b, *slot, strlen(*slot)));
		p->tkey_marks[ti][t->n_keys] = p->ev.start_mark;
		t->n_keys++;
	}
	return rc;
}

static const struct key_def transfer_keys[] = {
	{ "zone", "transfer.zone", key_transfer_zone },
	{ "allow", "transfer.allow", key_transfer_allow },
	{ "keys", "transfer.keys", key_transfer_keys },
};

static int key_transfer(struct parser *p, const struct key_def *k, void *obj)
{
	struct zw_config *cfg = obj;
	int rc = begin(p, k->path, YAML_SEQUENCE_START_EVENT);
	if (rc <= 0)
		return rc;
	while ((rc = next_item(p, k->path)) > 0) {
		yaml_mark_t m = p->ev.start_mark;
		if (cfg->n_transfers == ZW_CFG_MAX_TRANSFERS)
			return fail(p, m, "%s: too many rules (at most %d)", k->path,
				    ZW_CFG_MAX_TRANSFERS);
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, m, "%s: expected a mapping (zone, allow, keys), found %s",
				    k->path, kind(&p->ev));
		struct zw_cfg_transfer *t = &cfg->transfers[cfg->n_transfers++];
		rc = parse_map(p, k->path, transfer_keys,
			       sizeof transfer_keys / sizeof transfer_keys[0], t);
		if (rc != 0)
			return rc;
		if (t->zone == NULL)
			return fail(p, m, "%s: a rule needs a 'zone' (a zone name or \"*\")",
				    k->path);
		if (t->n_allow == 0 && t->n_keys == 0)
			return fail(p, m,
				    "%s: a rule needs 'allow' or 'keys' (to allow every address, "
				    "write allow: [\"0.0.0.0/0\", \"::/0\"])",
				    k->path);
	}
	return rc;
}

/* Every key a transfer rule names must be defined. */
static int check_transfers(struct parser *p)
{
	const struct zw_config *cfg = p->cfg;
	char b[SHOW_SIZE];
	for (unsigned i = 0; i < cfg->n_transfers; i++) {
		const struct zw_cfg_transfer *t = &cfg->transfers[i];
		for (unsigned j = 0; j < t->n_keys; j++) {
			unsigned k;
			for (k = 0; k < cfg->n_keys; k++)
				if (strcmp(cfg->keys[k].name, t->keys[j]) == 0)
					break;
			if (k == cfg->n_keys)
				return fail(p, p->tkey_marks[i][j],
					    "transfer.keys: no key '%s' is defined in 'keys'",
					    show(b, sizeof b, t->keys[j], strlen(t->keys[j])));
		}
	}
	return 0;
}

/* control */

static const struct key_def control_keys[] = {
	{ "socket", "control.socket", key_path, CFG_FIELD(control_socket), 0, CFG_MAX_SOCKET },
	{ "state-dir", "control.state-dir", key_path, CFG_FIELD(state_dir), 0, PATH_MAX - 1 },
	{ "pid-file", "control.pid-file", key_path, CFG_FIELD(pid_file), 0, PATH_MAX - 1 },
};

/* A section that is a mapping read through its table (server, control). */
static int key_section(struct parser *p, const struct key_def *k, void *obj)
{
	int rc = begin(p, k->path, YAML_MAPPING_START_EVENT);
	return rc > 0 ? parse_map(p, k->path, k->keys, k->nkeys, obj) : rc;
}

#define SECTION(key, table)                                                                        \
	{                                                                                          \
		.name = key, .path = key, .fn = key_section, .keys = table,                        \
		.nkeys = sizeof table / sizeof table[0]                                            \
	}

static const struct key_def root_keys[] = {
	{ "dataplane", "dataplane", key_dataplane },
	{ "zones", "zones", key_zones },
	SECTION("server", server_keys),
	{ "tcp", "tcp", key_tcp },
	{ "keys", "keys", key_keys },
	{ "transfer", "transfer", key_transfer },
	SECTION("control", control_keys),
};

static int parse_stream(struct parser *p)
{
	int rc;
	if ((rc = next(p)) != 0) /* stream start */
		return rc;
	if ((rc = next(p)) != 0)
		return rc;
	yaml_mark_t root = p->ev.start_mark;
	if (p->ev.type == YAML_DOCUMENT_START_EVENT) {
		if ((rc = next(p)) != 0)
			return rc;
		root = p->ev.start_mark;
		if ((rc = check_node(p, "the file")) != 0)
			return rc;
		if (p->ev.type == YAML_MAPPING_START_EVENT) {
			rc = parse_map(p, "the file", root_keys,
				       sizeof root_keys / sizeof root_keys[0], p->cfg);
			if (rc != 0)
				return rc;
		} else if (!is_null(&p->ev)) {
			return fail(p, root,
				    "expected a mapping (dataplane, zones, server, tcp, keys, "
				    "transfer, control), found %s",
				    kind(&p->ev));
		}
		if ((rc = next(p)) != 0) /* document end */
			return rc;
		if ((rc = next(p)) != 0)
			return rc;
		if (p->ev.type == YAML_DOCUMENT_START_EVENT)
			return fail(p, p->ev.start_mark, "only one YAML document is allowed");
	}
	if (!p->have_dataplane)
		return fail(
			p, root,
			"missing section 'dataplane' (ports, workers and addresses are required)");
	rc = check_dataplane(p, p->dataplane_mark);
	return rc != 0 ? rc : check_transfers(p);
}

static int defaults(struct zw_config *cfg)
{
	if (cfg->tap_name == NULL && (cfg->tap_name = strdup(DEFAULT_TAP)) == NULL)
		return -ENOMEM;
	if (cfg->control_socket == NULL && (cfg->control_socket = strdup(DEFAULT_SOCKET)) == NULL)
		return -ENOMEM;
	if (cfg->state_dir == NULL && (cfg->state_dir = strdup(DEFAULT_STATE_DIR)) == NULL)
		return -ENOMEM;
	return 0;
}

int zw_config_parse(const char *name, const char *text, size_t len, struct zw_config *cfg,
		    char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (name == NULL)
		name = "<config>";
	if (cfg == NULL || (text == NULL && len > 0))
		return fail_plain(err, errlen, name, -EINVAL, "invalid arguments");
	memset(cfg, 0, sizeof *cfg);
	cfg->mbufs = 8191;
	cfg->rx_desc = 1024;
	cfg->tx_desc = 1024;
	cfg->burst = 32;
	cfg->edns_size = 1232;
	cfg->max_chain = 8;
	cfg->tcp_max_conns = 1024;
	cfg->tcp_max_conns_per_addr = 32;
	cfg->tcp_max_queries = 10000;
	cfg->tcp_idle_ms = 10000;

	struct parser *p = calloc(1, sizeof *p);
	if (p == NULL)
		return fail_plain(err, errlen, name, -ENOMEM, "out of memory");
	p->name = name;
	p->text = text != NULL ? text : "";
	p->len = len;
	p->err = err;
	p->errlen = errlen;
	p->cfg = cfg;

	int rc;
	if ((cfg->path = strdup(name)) == NULL || !yaml_parser_initialize(&p->yp)) {
		rc = fail_nomem(p);
	} else {
		p->yp_ready = true;
		yaml_parser_set_input_string(&p->yp, (const unsigned char *)p->text, len);
		rc = parse_stream(p);
		if (rc == 0 && defaults(cfg) != 0)
			rc = fail_nomem(p);
	}
	if (p->have_ev)
		yaml_event_delete(&p->ev);
	if (p->yp_ready)
		yaml_parser_delete(&p->yp);
	free(p->dir);
	free(p);
	if (rc != 0)
		zw_config_free(cfg);
	return rc;
}

int zw_config_load(const char *path, struct zw_config *cfg, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL)
		return fail_plain(err, errlen, path != NULL ? path : "<config>", -EINVAL,
				  "invalid arguments");
	memset(cfg, 0, sizeof *cfg);
	if (path == NULL || path[0] == '\0')
		return fail_plain(err, errlen, "<config>", -EINVAL, "no file name");

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return fail_plain(err, errlen, path, -e, strerror(e));
	}
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 16384 : cap * 2;
			char *t = realloc(text, cap);
			if (t == NULL) {
				rc = fail_plain(err, errlen, path, -ENOMEM, "out of memory");
				break;
			}
			text = t;
		}
		ssize_t n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			rc = fail_plain(err, errlen, path, -e, strerror(e));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CFG_MAX_FILE) {
			rc = fail_plain(err, errlen, path, -EFBIG,
					"file too large (at most 4 MiB)");
			break;
		}
	}
	close(fd);
	if (rc == 0)
		rc = zw_config_parse(path, text, len, cfg, err, errlen);
	free(text);
	if (rc != 0)
		return rc;

	/* Keep the file's absolute path, for reloads after a chdir. */
	char *abs = NULL;
	rc = absolute(path, &abs);
	if (rc != 0) {
		zw_config_free(cfg);
		return fail_plain(err, errlen, path, rc,
				  rc == -ENOMEM ? "out of memory"
						: "the working directory is unknown");
	}
	free(cfg->path);
	cfg->path = abs;
	return 0;
}

void zw_config_free(struct zw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	for (unsigned i = 0; i < ZW_CFG_MAX_EAL; i++)
		free(cfg->eal[i]);
	for (unsigned i = 0; i < ZW_CFG_MAX_PORTS; i++)
		free(cfg->ports[i].device);
	free(cfg->tap_name);
	for (unsigned i = 0; i < ZW_CFG_MAX_ZONES; i++)
		free(cfg->zones[i].image);
	free(cfg->nsid);
	free(cfg->id_server);
	free(cfg->hostname_bind);
	free(cfg->version_bind);
	for (unsigned i = 0; i < ZW_CFG_MAX_KEYS; i++) {
		free(cfg->keys[i].name);
		free(cfg->keys[i].algorithm);
		if (cfg->keys[i].secret != NULL)
			explicit_bzero(cfg->keys[i].secret, strlen(cfg->keys[i].secret));
		free(cfg->keys[i].secret);
	}
	for (unsigned i = 0; i < ZW_CFG_MAX_TRANSFERS; i++) {
		free(cfg->transfers[i].zone);
		for (unsigned j = 0; j < ZW_CFG_MAX_TKEYS; j++)
			free(cfg->transfers[i].keys[j]);
	}
	free(cfg->control_socket);
	free(cfg->state_dir);
	free(cfg->pid_file);
	memset(cfg, 0, sizeof *cfg);
}
