/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API (api.h) on the control loop.
 *
 * A listening UNIX stream socket, and per connection an input buffer that
 * holds at most one request line of MAX_REQUEST bytes and an output buffer.
 * Requests are handled in the order they arrive, one response line each.
 * While a response cannot be written out, the connection is not read any
 * further: a client that sends without reading stalls itself, not the
 * server, and cannot make it buffer without bound. A line longer than
 * MAX_REQUEST gets an error and the connection is closed (there is no way
 * to find the next request in it).
 *
 * The socket is bound under a temporary name, given mode 0660, then
 * renamed into place, so it never exists with looser permissions. At stop
 * it is removed only if it is still ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "config.h"
#include "ctl.h"
#include "image.h"
#include "table.h"
#include "tcp.h"
#include "xfr.h"
#include "zones.h"

#ifndef ZW_VERSION
#define ZW_VERSION "0.1.0"
#endif

#define MAX_REQUEST    (64 * 1024) /* bytes of one request, without its newline */
#define IN_CAP	       (MAX_REQUEST + 1)
#define MAX_CONNS      64
#define READS_PER_WAKE 8	 /* then let the other connections run */
#define ACCEPT_PAUSE   200	 /* ms without accepting after EMFILE */
#define OUT_KEEP       (1 << 20) /* an output buffer larger than this is freed once empty */

struct conn {
	struct zw_api *api;
	int fd;
	char *in; /* unread bytes: in[inpos, inlen) */
	size_t inpos, inlen, incap;
	char *out; /* unsent bytes: out[outpos, outlen) */
	size_t outpos, outlen, outcap;
	uint32_t events; /* what the loop watches for */
	bool eof;	 /* the client will send nothing more */
	bool closing;	 /* close once the output is out */
	bool stop_after; /* stop the server once the output is out */
	struct conn *next, **pprev;
};

struct zw_api {
	struct zw_ctl *ctl;
	struct zw_api_sources src;
	int lfd;
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	dev_t dev;
	ino_t ino;
	time_t started;
	uint64_t started_ms;
	struct conn *conns;
	unsigned nconns;
	uint64_t pause_timer;
	uint64_t requests, errors, accepted, refused;
};

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_msg(const char *fmt, ...)
{
	va_list ap;
	char when[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s zonewired: control: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* A JSON string of s; bytes that are not printable ASCII become '?' when s
 * is not valid UTF-8 (messages may quote what the client sent). */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);

	if (j != NULL)
		return j;
	char *c = strdup(s);
	if (c == NULL)
		return json_string("?");
	for (unsigned char *p = (unsigned char *)c; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

static json_t *jint(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

/* ---------------------------------------------------------------------- */
/* Connections                                                            */

static void conn_close(struct conn *c)
{
	struct zw_api *a = c->api;

	if (c->stop_after) /* the client left before the reply: stop anyway */
		zw_ctl_stop(a->ctl);
	zw_ctl_del_fd(a->ctl, c->fd);
	close(c->fd);
	*c->pprev = c->next;
	if (c->next != NULL)
		c->next->pprev = c->pprev;
	a->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

static bool pending(const struct conn *c)
{
	return c->outpos < c->outlen;
}

/* Writes what it can; 0, or -1 when the connection is broken. */
static int conn_flush(struct conn *c)
{
	while (c->outpos < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outpos, c->outlen - c->outpos,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			c->outpos += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	c->outpos = c->outlen = 0;
	if (c->outcap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	if (c->stop_after) {
		c->stop_after = false;
		zw_ctl_stop(c->api->ctl);
	}
	return 0;
}

static int conn_append(struct conn *c, const char *s, size_t len)
{
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + len)
			cap *= 2;
		char *o = realloc(c->out, cap);
		if (o == NULL)
			return -1;
		c->out = o;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, s, len);
	c->outlen += len;
	return 0;
}

/* Queues resp (consumed) as one line; the request's "id" is echoed. */
static void reply(struct conn *c, json_t *resp, json_t *id)
{
	if (resp == NULL) {
		static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}\n";
		if (conn_append(c, oom, sizeof(oom) - 1) != 0)
			c->closing = true;
		return;
	}
	if (id != NULL)
		json_object_set(resp, "id", id);
	if (json_is_false(json_object_get(resp, "ok")))
		c->api->errors++;
	char *s = json_dumps(resp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(resp);
	if (s == NULL || conn_append(c, s, strlen(s)) != 0 || conn_append(c, "\n", 1) != 0)
		c->closing = true; /* out of memory: give up on this client */
	free(s);
}

static json_t *error_resp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *error_resp(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *r = json_object();
	if (r != NULL) {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "error", jstr(msg));
	}
	return r;
}

static json_t *ok_resp(void)
{
	json_t *r = json_object();

	if (r != NULL)
		json_object_set_new(r, "ok", json_true());
	return r;
}

/* ---------------------------------------------------------------------- */
/* Commands                                                               */

#define ERRLEN 1024

struct command {
	const char *name;
	/* fills resp (an {"ok": true} object), or returns -1 with err */
	int (*fn)(struct zw_api *a, struct conn *c, json_t *req, json_t *resp, char *err);
	const char *args[2]; /* accepted arguments besides "cmd" and "id" */
	const char *usage;
};

/* A required string argument, without NUL bytes, at most max bytes. */
static const char *str_arg(const json_t *req, const char *cmd, const char *key, const char *what,
			   size_t max, char *err)
{
	json_t *v = json_object_get(req, key);

	if (v == NULL) {
		snprintf(err, ERRLEN, "%s needs \"%s\": %s", cmd, key, what);
		return NULL;
	}
	if (!json_is_string(v)) {
		snprintf(err, ERRLEN, "\"%s\" must be a string (%s)", key, what);
		return NULL;
	}
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len == 0 || strlen(s) != len) {
		snprintf(err, ERRLEN, "\"%s\" must be a non-empty string without NUL characters",
			 key);
		return NULL;
	}
	if (len > max) {
		snprintf(err, ERRLEN, "\"%s\" is too long (%zu bytes, at most %zu)", key, len, max);
		return NULL;
	}
	return s;
}

static uint64_t table_version(const struct zw_api *a)
{
	const struct zw_table *t = zw_zones_table(a->src.zones);

	return t != NULL ? t->version : 0;
}

static unsigned n_workers(const struct zw_api *a)
{
	if (a->src.counters != NULL) {
		struct zw_api_counters cnt;
		memset(&cnt, 0, sizeof(cnt));
		a->src.counters(a->src.arg, &cnt);
		return cnt.workers;
	}
	const struct zw_config *cfg = zw_ctl_config(a->ctl);
	return cfg != NULL ? cfg->n_workers : 0;
}

static int cmd_status(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	const struct zw_config *cfg = zw_ctl_config(a->ctl);
	char when[64];

	(void)c;
	(void)req;
	(void)err;
	iso8601(a->started, when, sizeof(when));
	json_object_set_new(r, "version", json_string(ZW_VERSION));
	json_object_set_new(r, "pid", json_integer(getpid()));
	json_object_set_new(r, "started_at", json_string(when));
	json_object_set_new(r, "uptime", jint((zw_ctl_now_ms() - a->started_ms) / 1000));
	json_object_set_new(r, "workers", json_integer(n_workers(a)));
	json_object_set_new(r, "zones", json_integer(zw_zones_list(a->src.zones, NULL, 0)));
	json_object_set_new(r, "table_version", jint(table_version(a)));
	json_object_set_new(r, "control_socket", jstr(a->path));
	if (cfg != NULL && cfg->state_dir != NULL)
		json_object_set_new(r, "state_dir", jstr(cfg->state_dir));
	return 0;
}

static json_t *zone_obj(const struct zw_zone_info *zi)
{
	char sum[20], when[64];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	snprintf(sum, sizeof(sum), "%016" PRIx64, zi->checksum);
	iso8601(zi->loaded_at, when, sizeof(when));
	json_object_set_new(o, "name", jstr(zi->name));
	json_object_set_new(o, "serial", json_integer(zi->serial));
	json_object_set_new(o, "source",
			    json_string(zi->source == ZW_ZONE_PUSHED ? "pushed" : "config"));
	json_object_set_new(o, "image", jstr(zi->path));
	json_object_set_new(o, "checksum", json_string(sum));
	json_object_set_new(o, "loaded_at", json_string(when));
	json_object_set_new(o, "records", jint(zi->records));
	return o;
}

/* The zone list; *n is set. NULL with *n > 0 on ENOMEM. */
static struct zw_zone_info *list_zones(const struct zw_api *a, unsigned *n)
{
	*n = zw_zones_list(a->src.zones, NULL, 0);
	struct zw_zone_info *zi = calloc(*n ? *n : 1, sizeof(*zi));
	if (zi != NULL)
		*n = zw_zones_list(a->src.zones, zi, *n);
	return zi;
}

static int cmd_zone_list(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	unsigned n;
	struct zw_zone_info *zi = list_zones(a, &n);

	(void)c;
	(void)req;
	if (zi == NULL) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	json_t *arr = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(arr, zone_obj(&zi[i]));
	free(zi);
	json_object_set_new(r, "zones", arr);
	return 0;
}

/* The checksum in the header of the image file at path, or 0. */
static uint64_t image_checksum(const char *path)
{
	struct zw_img_header h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t sum = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h))
		sum = h.checksum;
	close(fd);
	return sum;
}

static int cmd_zone_load(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	const char *path = str_arg(req, "zone-load", "image", "the absolute path of a zone image",
				   PATH_MAX - 1, err);

	(void)c;
	if (path == NULL)
		return -1;
	if (path[0] != '/') {
		snprintf(err, ERRLEN,
			 "\"image\" must be an absolute path (the server does not share the "
			 "client's working directory): %s",
			 path);
		return -1;
	}
	if (zw_zones_push(a->src.zones, path, err, ERRLEN) != 0) {
		log_msg("zone-load %s refused: %s", path, err);
		return -1;
	}
	/* which zone it was: the pushed one with the image's checksum */
	uint64_t sum = image_checksum(path);
	unsigned n;
	struct zw_zone_info *zi = list_zones(a, &n);
	for (unsigned i = 0; zi != NULL && i < n; i++) {
		if (zi[i].source == ZW_ZONE_PUSHED && zi[i].checksum == sum) {
			json_object_set_new(r, "zone", zone_obj(&zi[i]));
			log_msg("zone %s serial %u loaded from %s", zi[i].name, zi[i].serial, path);
			break;
		}
	}
	free(zi);
	json_object_set_new(r, "table_version", jint(table_version(a)));
	return 0;
}

static int cmd_zone_remove(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	const char *name =
		str_arg(req, "zone-remove", "zone", "the name of a served zone", 1023, err);

	char canon[1100];

	(void)c;
	if (name == NULL)
		return -1;
	/* the zone's name as listed, for the reply and the log */
	size_t l = strlen(name);
	snprintf(canon, sizeof(canon), "%s%s", name, name[l - 1] == '.' ? "" : ".");
	unsigned n;
	struct zw_zone_info *zi = list_zones(a, &n);
	for (unsigned i = 0; zi != NULL && i < n; i++)
		if (strcasecmp(zi[i].name, canon) == 0)
			snprintf(canon, sizeof(canon), "%s", zi[i].name);
	free(zi);
	if (zw_zones_remove(a->src.zones, name, err, ERRLEN) != 0)
		return -1;
	log_msg("zone %s removed", canon);
	json_object_set_new(r, "zone", jstr(canon));
	json_object_set_new(r, "table_version", jint(table_version(a)));
	return 0;
}

static int cmd_reload(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	const struct zw_ctl_hooks *h = zw_ctl_hooks(a->ctl);
	int rc;

	(void)c;
	(void)req;
	if (h != NULL && h->reload != NULL)
		rc = h->reload(h->arg, err, ERRLEN);
	else
		rc = zw_zones_reload(a->src.zones, err, ERRLEN);
	if (rc != 0)
		return -1;
	json_object_set_new(r, "zones", json_integer(zw_zones_list(a->src.zones, NULL, 0)));
	json_object_set_new(r, "table_version", jint(table_version(a)));
	return 0;
}

static const char *const rcode_names[17] = {
	"noerror",  "formerr", "servfail", "nxdomain", "notimp",  "refused",
	"yxdomain", "yxrrset", "nxrrset",  "notauth",  "notzone", "rcode11",
	"rcode12",  "rcode13", "rcode14",  "rcode15",  "badvers",
};

#define SET(obj, field, st) json_object_set_new(obj, #field, jint((st).field))

static int cmd_stats(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	(void)c;
	(void)req;
	(void)err;
	if (a->src.counters != NULL) {
		struct zw_api_counters s;
		memset(&s, 0, sizeof(s));
		a->src.counters(a->src.arg, &s);
		json_t *u = json_object(), *ans = json_object(), *drops = json_object();
		json_t *exc = json_object();
		json_object_set_new(u, "workers", json_integer(s.workers));
		SET(u, rx, s);
		SET(u, tx, s);
		SET(u, truncated, s);
		SET(u, tx_full, s);
		for (unsigned i = 0; i < 17; i++)
			json_object_set_new(ans, rcode_names[i], jint(s.answers[i]));
		json_object_set_new(u, "answers", ans);
		json_object_set_new(drops, "short", jint(s.drop_short));
		json_object_set_new(drops, "checksum", jint(s.drop_checksum));
		json_object_set_new(drops, "query", jint(s.drop_query));
		json_object_set_new(drops, "room", jint(s.drop_room));
		json_object_set_new(u, "drops", drops);
		SET(exc, to_kernel, s);
		SET(exc, from_kernel, s);
		json_object_set_new(u, "exception", exc);
		json_object_set_new(r, "udp", u);
	}
	if (a->src.tcp != NULL) {
		struct zw_tcp_stats s;
		memset(&s, 0, sizeof(s));
		zw_tcp_get_stats(a->src.tcp, &s);
		json_t *t = json_object();
		SET(t, accepted, s);
		SET(t, refused, s);
		SET(t, queries, s);
		SET(t, answers, s);
		SET(t, transfers, s);
		SET(t, closed_idle, s);
		SET(t, closed_bad, s);
		SET(t, open, s);
		json_object_set_new(r, "tcp", t);
	}
	if (a->src.xfr != NULL) {
		struct zw_xfr_stats s;
		memset(&s, 0, sizeof(s));
		zw_xfr_get_stats(a->src.xfr, &s);
		json_t *x = json_object();
		SET(x, started, s);
		SET(x, refused, s);
		SET(x, completed, s);
		SET(x, messages, s);
		SET(x, records, s);
		json_object_set_new(r, "xfr", x);
	}
	json_t *ap = json_object();
	json_object_set_new(ap, "connections", json_integer(a->nconns));
	SET(ap, accepted, *a);
	SET(ap, refused, *a);
	SET(ap, requests, *a);
	SET(ap, errors, *a);
	json_object_set_new(r, "control", ap);
	return 0;
}

#undef SET

static int cmd_stop(struct zw_api *a, struct conn *c, json_t *req, json_t *r, char *err)
{
	(void)req;
	(void)err;
	log_msg("stop requested");
	json_object_set_new(r, "stopping", json_true());
	/* the reply goes out first (conn_flush), then the loop stops */
	c->stop_after = true;
	c->closing = true;
	(void)a;
	return 0;
}

static const struct command commands[] = {
	{ "status", cmd_status, { NULL }, "" },
	{ "zone-list", cmd_zone_list, { NULL }, "" },
	{ "zone-load", cmd_zone_load, { "image", NULL }, ", \"image\": PATH" },
	{ "zone-remove", cmd_zone_remove, { "zone", NULL }, ", \"zone\": NAME" },
	{ "reload", cmd_reload, { NULL }, "" },
	{ "stats", cmd_stats, { NULL }, "" },
	{ "stop", cmd_stop, { NULL }, "" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char command_names[] =
	"status, zone-list, zone-load, zone-remove, reload, stats, stop";

static json_t *dispatch(struct zw_api *a, struct conn *c, json_t *req)
{
	char err[ERRLEN];

	if (!json_is_object(req))
		return error_resp("a request is a JSON object, such as {\"cmd\": \"status\"}");
	json_t *cmd = json_object_get(req, "cmd");
	if (cmd == NULL)
		return error_resp("missing \"cmd\": one of %s", command_names);
	if (!json_is_string(cmd))
		return error_resp("\"cmd\" must be a string: one of %s", command_names);
	const char *name = json_string_value(cmd);
	if (strlen(name) != json_string_length(cmd))
		return error_resp("\"cmd\" must not contain NUL characters");
	const struct command *k = NULL;
	for (unsigned i = 0; i < N_COMMANDS && k == NULL; i++)
		if (strcmp(name, commands[i].name) == 0)
			k = &commands[i];
	if (k == NULL)
		return error_resp("unknown command \"%.64s\": the commands are %s", name,
				  command_names);
	const char *key;
	json_t *v;
	json_object_foreach(req, key, v)
	{
		if (strcmp(key, "cmd") == 0 || strcmp(key, "id") == 0)
			continue;
		bool known = false;
		for (unsigned i = 0; i < 2 && k->args[i] != NULL; i++)
			known |= strcmp(key, k->args[i]) == 0;
		if (!known)
			return error_resp("unknown argument \"%.64s\" for %s (usage: {\"cmd\": "
					  "\"%s\"%s})",
					  key, k->name, k->name, k->usage);
	}
	json_t *r = ok_resp();
	if (r == NULL)
		return NULL;
	err[0] = '\0';
	if (k->fn(a, c, req, r, err) != 0) {
		json_decref(r);
		return error_resp("%s", err[0] ? err : "failed");
	}
	return r;
}

static void handle_line(struct conn *c, char *line, size_t len)
{
	/* trailing CR and blanks; a blank line is not a request */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t start = 0;
	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	if (start == len)
		return;
	c->api->requests++;
	json_error_t je;
	json_t *req = json_loadb(line + start, len - start,
				 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (req == NULL) {
		reply(c, error_resp("malformed JSON at byte %d: %s", je.position, je.text), NULL);
		return;
	}
	json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
	json_incref(id);
	reply(c, dispatch(c->api, c, req), id);
	json_decref(id);
	json_decref(req);
}

/* Handles the complete lines in the input while no output is pending. */
static void conn_process(struct conn *c)
{
	while (!c->closing && !pending(c)) {
		char *p = c->in + c->inpos;
		size_t avail = c->inlen - c->inpos;
		char *nl = avail > 0 ? memchr(p, '\n', avail) : NULL;
		if (nl == NULL) {
			if (avail > MAX_REQUEST) {
				reply(c,
				      error_resp("request longer than %d bytes: closing the "
						 "connection",
						 MAX_REQUEST),
				      NULL);
				c->closing = true;
				c->inpos = c->inlen = 0;
			} else if (c->eof && avail > 0) {
				/* the last request needs no newline */
				c->inpos = c->inlen = 0;
				handle_line(c, p, avail);
			}
			break;
		}
		size_t len = (size_t)(nl - p);
		c->inpos += len + 1;
		handle_line(c, p, len);
		if (conn_flush(c) != 0) {
			c->closing = true;
			c->outpos = c->outlen = 0;
		}
	}
	if (c->inpos == c->inlen)
		c->inpos = c->inlen = 0;
}

/* Reads while there is room and no output is pending; -1: broken. */
static int conn_read(struct conn *c)
{
	for (int i = 0; i < READS_PER_WAKE; i++) {
		if (c->closing || c->eof || pending(c))
			return 0;
		if (c->inpos > 0) {
			memmove(c->in, c->in + c->inpos, c->inlen - c->inpos);
			c->inlen -= c->inpos;
			c->inpos = 0;
		}
		if (c->inlen == c->incap) {
			if (c->incap >= IN_CAP) {
				conn_process(c); /* too long: an error, and close */
				return 0;
			}
			size_t cap = c->incap * 2 > IN_CAP ? IN_CAP : c->incap * 2;
			char *n = realloc(c->in, cap);
			if (n == NULL)
				return -1;
			c->in = n;
			c->incap = cap;
		}
		ssize_t r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
		if (r > 0) {
			c->inlen += (size_t)r;
			conn_process(c);
		} else if (r == 0) {
			c->eof = true;
			conn_process(c);
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return 0;
		} else {
			return -1;
		}
	}
	return 0;
}

static void on_conn(struct zw_ctl *ctl, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	if (pending(c) && conn_flush(c) != 0) {
		conn_close(c);
		return;
	}
	conn_process(c); /* lines left while a response was pending */
	if (conn_read(c) != 0 || (pending(c) && conn_flush(c) != 0)) {
		conn_close(c);
		return;
	}
	if (!pending(c) && (c->closing || c->eof)) {
		conn_close(c);
		return;
	}
	uint32_t want = pending(c) ? EPOLLOUT : EPOLLIN;
	if (want != c->events) {
		if (zw_ctl_mod_fd(ctl, c->fd, want) != 0) {
			conn_close(c);
			return;
		}
		c->events = want;
	}
}

/* ---------------------------------------------------------------------- */
/* Listening                                                              */

static uint64_t on_resume(struct zw_ctl *ctl, void *arg)
{
	struct zw_api *a = arg;

	a->pause_timer = 0;
	zw_ctl_mod_fd(ctl, a->lfd, EPOLLIN);
	return 0;
}

static void on_accept(struct zw_ctl *ctl, int lfd, uint32_t events, void *arg)
{
	struct zw_api *a = arg;

	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* out of descriptors or memory: stop accepting a while
			 * rather than spin on a listener that stays readable */
			log_msg("accept: %s", strerror(errno));
			if (a->pause_timer == 0 && zw_ctl_mod_fd(ctl, lfd, 0) == 0)
				a->pause_timer = zw_ctl_timer(ctl, ACCEPT_PAUSE, on_resume, a);
			return;
		}
		if (a->nconns >= MAX_CONNS) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many control connections\"}\n";
			a->refused++;
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to tell a client that cannot be written to */
			}
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (c != NULL && (c->in = malloc(4096)) == NULL) {
			free(c);
			c = NULL;
		}
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->api = a;
		c->fd = fd;
		c->incap = 4096;
		c->events = EPOLLIN;
		if (zw_ctl_add_fd(ctl, fd, EPOLLIN, on_conn, c) != 0) {
			free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->next = a->conns;
		if (a->conns != NULL)
			a->conns->pprev = &c->next;
		c->pprev = &a->conns;
		a->conns = c;
		a->nconns++;
		a->accepted++;
	}
}

/* Creates the directories above path (mode 0750) that are missing. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char was = *p;
		*p = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST)
			return -errno;
		*p = was;
		if (was == '\0')
			break;
	}
	return 0;
}

/* Removes a socket left at path by a server that is gone; an error if a
 * server still answers there or path is something else. */
static int clear_path(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: not replacing it", path);
		return -1;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s: another server is listening on it", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "%s: cannot tell whether it is in use: %s", path,
			 strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove the stale socket %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct zw_api *zw_api_start(struct zw_ctl *ctl, const char *socket_path,
			    const struct zw_api_sources *src, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path) + 32];
	const char *bind_path;
	int rc;

	if (socket_path == NULL || socket_path[0] == '\0') {
		snprintf(err, errlen, "no control socket path");
		return NULL;
	}
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long (at most %zu bytes): %s",
			 sizeof(sa.sun_path) - 1, socket_path);
		return NULL;
	}
	if (src == NULL || src->zones == NULL) {
		snprintf(err, errlen, "no zone registry");
		return NULL;
	}
	if ((rc = make_parent(socket_path)) != 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", socket_path,
			 strerror(-rc));
		return NULL;
	}
	if (clear_path(socket_path, err, errlen) != 0)
		return NULL;
	struct zw_api *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->ctl = ctl;
	a->src = *src;
	snprintf(a->path, sizeof(a->path), "%s", socket_path);
	a->started = time(NULL);
	a->started_ms = zw_ctl_now_ms();
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->lfd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		free(a);
		return NULL;
	}
	/* bound under a temporary name and renamed once it is 0660 */
	snprintf(tmp, sizeof(tmp), "%s.%ld", socket_path, (long)getpid());
	bind_path = strlen(tmp) < sizeof(sa.sun_path) ? tmp : socket_path;
	if (bind_path == tmp)
		unlink(tmp);
	memcpy(sa.sun_path, bind_path, strlen(bind_path) + 1); /* fits: checked above */
	if (bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "cannot bind %s: %s", bind_path, strerror(errno));
		goto fail;
	}
	if (chmod(bind_path, 0660) != 0) {
		snprintf(err, errlen, "chmod %s: %s", bind_path, strerror(errno));
		unlink(bind_path);
		goto fail;
	}
	if (listen(a->lfd, 64) != 0 || (bind_path == tmp && rename(tmp, socket_path) != 0)) {
		snprintf(err, errlen, "cannot listen on %s: %s", socket_path, strerror(errno));
		unlink(bind_path);
		goto fail;
	}
	struct stat st;
	if (stat(socket_path, &st) == 0) {
		a->dev = st.st_dev;
		a->ino = st.st_ino;
	}
	if ((rc = zw_ctl_add_fd(ctl, a->lfd, EPOLLIN, on_accept, a)) != 0) {
		snprintf(err, errlen, "cannot watch %s: %s", socket_path, strerror(-rc));
		unlink(socket_path);
		goto fail;
	}
	return a;
fail:
	close(a->lfd);
	free(a);
	return NULL;
}

void zw_api_stop(struct zw_api *a)
{
	struct stat st;

	if (a == NULL)
		return;
	while (a->conns != NULL) {
		a->conns->stop_after = false;
		conn_close(a->conns);
	}
	if (a->pause_timer != 0)
		zw_ctl_timer_cancel(a->ctl, a->pause_timer);
	zw_ctl_del_fd(a->ctl, a->lfd);
	close(a->lfd);
	/* only our own socket: another server may have taken the path since */
	if (stat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
		unlink(a->path);
	free(a);
}
