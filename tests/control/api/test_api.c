/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API over its socket, with a real control loop (in a thread of
 * its own), a zone registry over a temporary state directory, and zone
 * images compiled from docs/examples: every command, malformed and
 * oversized requests, pipelining, a client that does not read, the
 * connection limit, the socket's permissions, a corrupted image refused
 * while the old version keeps answering, and the pushed zones served again
 * by a new registry on the same state directory (a restart).
 *
 *   test_ctl_api [ZONEWIRECTL]
 *
 * With the path of zonewirectl, the client's output and exit status are
 * checked too. The cases run in order and build on each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "api.h"
#include "compile.h"
#include "config.h"
#include "ctl.h"
#include "table.h"
#include "unit.h"
#include "zones.h"

static char tmp[256], sock[512], state[512], imgdir[512];
static char img_com[600], img_com_b[600], img_net[600], img_rev[600];
static char *ctl_bin; /* zonewirectl, if given */
static struct zw_config cfg;
static struct zw_answer_cfg acfg;
static struct zw_ctl *ctl;
static struct zw_zones *zones;
static struct zw_api *api;
static pthread_t loop_thread;
static bool loop_running;

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

static void die(const char *what)
{
	fprintf(stderr, "test_ctl_api: %s\n", what);
	exit(2);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len != NULL)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

static void compile_to(const char *zone_file, const char *origin, const char *out)
{
	struct zw_compile_opts o = { .origin = origin };
	void *img;
	size_t size;

	if (zw_compile_file(zone_file, &o, &img, &size, NULL) != 0)
		die(zone_file);
	if (zw_image_write(out, img, size) != 0)
		die(out);
	free(img);
}

/* Replaces the first occurrence of from in s (malloc'ed) by to. */
static char *replace(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);

	if (p == NULL)
		die(from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *r = malloc(n);
	if (r == NULL)
		die("out of memory");
	snprintf(r, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	free(s);
	return r;
}

static void make_images(void)
{
	const char *src = getenv("ZW_SRCDIR");
	char path[1024], b[600];

	if (src == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/docs/examples/example.com.zone", src);
	compile_to(path, "example.com.", img_com);
	/* version B of example.com: www has another address, higher serial */
	char *text = read_file(path, NULL);
	if (text == NULL)
		die(path);
	text = replace(text, "192.0.2.80", "192.0.2.81");
	text = replace(text, "2026112101", "2026112102");
	snprintf(b, sizeof(b), "%s/example.com.b.zone", imgdir);
	if (write_file(b, text, strlen(text)) != 0)
		die(b);
	free(text);
	compile_to(b, "example.com.", img_com_b);
	snprintf(path, sizeof(path), "%s/docs/examples/example.net.zone", src);
	compile_to(path, "example.net.", img_net);
	snprintf(path, sizeof(path), "%s/docs/examples/2.0.192.in-addr.arpa.zone", src);
	compile_to(path, "2.0.192.in-addr.arpa.", img_rev);
}

static void counters(void *arg, struct zw_api_counters *out)
{
	(void)arg;
	memset(out, 0, sizeof(*out));
	out->rx = 1000;
	out->tx = 990;
	out->truncated = 3;
	out->answers[0] = 900;
	out->answers[3] = 90;
	out->answers[16] = 1;
	out->drop_short = 4;
	out->drop_checksum = 5;
	out->drop_query = 6;
	out->drop_room = 7;
	out->to_kernel = 8;
	out->from_kernel = 9;
	out->tx_full = 10;
	out->workers = 2;
}

static void *loop_main(void *arg)
{
	(void)arg;
	zw_ctl_run(ctl);
	return NULL;
}

static void start_server(void)
{
	char err[1024];

	ctl = zw_ctl_create(&cfg, &acfg);
	if (ctl == NULL)
		die("zw_ctl_create");
	zones = zw_zones_create(ctl, err, sizeof(err));
	if (zones == NULL)
		die(err);
	struct zw_api_sources src = { .zones = zones, .counters = counters };
	api = zw_api_start(ctl, sock, &src, err, sizeof(err));
	if (api == NULL)
		die(err);
	if (pthread_create(&loop_thread, NULL, loop_main, NULL) != 0)
		die("pthread_create");
	loop_running = true;
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "%s/zw-api-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmp) == NULL)
		die("mkdtemp");
	snprintf(imgdir, sizeof(imgdir), "%s/img", tmp);
	snprintf(state, sizeof(state), "%s/state", tmp);
	/* the socket's directory does not exist yet: the API creates it */
	snprintf(sock, sizeof(sock), "%s/run/zw/control.sock", tmp);
	if (mkdir(imgdir, 0755) != 0)
		die(imgdir);
	snprintf(img_com, sizeof(img_com), "%s/example.com.zwi", imgdir);
	snprintf(img_com_b, sizeof(img_com_b), "%s/example.com.b.zwi", imgdir);
	snprintf(img_net, sizeof(img_net), "%s/example.net.zwi", imgdir);
	snprintf(img_rev, sizeof(img_rev), "%s/2.0.192.in-addr.arpa.zwi", imgdir);
	make_images();
	cfg.zones[0].image = img_com;
	cfg.zones[1].image = img_net;
	cfg.n_zones = 2;
	cfg.n_workers = 1;
	cfg.state_dir = state;
	cfg.control_socket = sock;
	start_server();
}

static void rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "test_ctl_api: cannot remove %s\n", path);
}

/* ---------------------------------------------------------------------- */
/* Running code on the loop's thread                                      */

struct on_loop {
	void (*fn)(void *);
	void *arg;
	sem_t done;
};

static void run_posted(struct zw_ctl *c, void *arg)
{
	struct on_loop *o = arg;

	(void)c;
	o->fn(o->arg);
	sem_post(&o->done);
}

/* Runs fn(arg) on the control thread and waits for it. */
static void on_loop(void (*fn)(void *), void *arg)
{
	struct on_loop o = { .fn = fn, .arg = arg };

	if (!loop_running) {
		fn(arg);
		return;
	}
	sem_init(&o.done, 0, 0);
	if (zw_ctl_post(ctl, run_posted, &o) != 0)
		die("zw_ctl_post");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (sem_timedwait(&o.done, &ts) != 0)
		die("the control loop does not run posted work");
	sem_destroy(&o.done);
}

/* A query answered from the current table: the first answer's rdata as
 * text, or "rcode N" when there is no answer. */
struct ask {
	const char *name;
	ldns_rr_type type;
	char result[256];
};

static void do_ask(void *arg)
{
	struct ask *a = arg;
	ldns_rdf *qn = ldns_dname_new_frm_str(a->name);
	ldns_pkt *q = ldns_pkt_query_new(qn, a->type, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL, out[4096];
	size_t wlen = 0;

	snprintf(a->result, sizeof(a->result), "error");
	if (q == NULL || ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		ldns_pkt_free(q);
		return;
	}
	ldns_pkt_free(q);
	const struct zw_table *t = zw_zones_table(zones);
	int len = zw_answer(&acfg, t != NULL ? t->zs : NULL, wire, wlen, out, sizeof(out), 0, NULL);
	free(wire);
	ldns_pkt *r = NULL;
	if (len <= 0 || ldns_wire2pkt(&r, out, (size_t)len) != LDNS_STATUS_OK)
		return;
	ldns_rr_list *an = ldns_pkt_answer(r);
	if (ldns_rr_list_rr_count(an) > 0 && ldns_rr_rd_count(ldns_rr_list_rr(an, 0)) > 0) {
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0));
		snprintf(a->result, sizeof(a->result), "%s", s ? s : "?");
		free(s);
	} else {
		snprintf(a->result, sizeof(a->result), "rcode %d", (int)ldns_pkt_get_rcode(r));
	}
	ldns_pkt_free(r);
}

static const char *ask(const char *name, ldns_rr_type type)
{
	static struct ask a;

	a.name = name;
	a.type = type;
	on_loop(do_ask, &a);
	return a.result;
}

struct listing {
	struct zw_zone_info zi[8];
	unsigned n;
};

static void do_list(void *arg)
{
	struct listing *l = arg;

	l->n = zw_zones_list(zones, l->zi, 8);
}

static struct listing *list(void)
{
	static struct listing l;

	on_loop(do_list, &l);
	return &l;
}

static const struct zw_zone_info *find_zone(struct listing *l, const char *name)
{
	for (unsigned i = 0; i < l->n && i < 8; i++)
		if (strcmp(l->zi[i].name, name) == 0)
			return &l->zi[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* A client                                                               */

struct client {
	int fd;
	char *buf;
	size_t n, cap;
};

static struct client *client_open_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL ||
	    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= (int)sizeof(sa.sun_path)) {
		free(c);
		return NULL;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->cap = 1 << 16;
	c->buf = malloc(c->cap);
	return c;
}

static struct client *client_open(void)
{
	return client_open_at(sock);
}

static void client_close(struct client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

static int client_send(struct client *c, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The next response line (malloc'ed, without its newline), or NULL at EOF
 * or after 10 s. */
static char *client_line(struct client *c)
{
	for (;;) {
		char *nl = c->n > 0 ? memchr(c->buf, '\n', c->n) : NULL;
		if (nl != NULL) {
			size_t len = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, len);
			memmove(c->buf, nl + 1, c->n - len - 1);
			c->n -= len + 1;
			return line;
		}
		if (c->n == c->cap) {
			c->cap *= 2;
			c->buf = realloc(c->buf, c->cap);
		}
		ssize_t r = recv(c->fd, c->buf + c->n, c->cap - c->n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		c->n += (size_t)r;
	}
}

/* Whether the server closed the connection (EOF within 5 s). */
static bool client_eof(struct client *c)
{
	char b[256];
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t r = recv(c->fd, b, sizeof(b), 0);
		if (r == 0)
			return true;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET)
			return true;
		if (r < 0)
			return false;
	}
}

static json_t *parse(const char *line)
{
	json_error_t je;

	return line != NULL ? json_loads(line, 0, &je) : NULL;
}

/* Sends line (a newline is added) and returns the parsed response. */
static json_t *rpc(struct client *c, const char *line)
{
	if (client_send(c, line, strlen(line)) != 0 || client_send(c, "\n", 1) != 0)
		return NULL;
	char *resp = client_line(c);
	json_t *j = parse(resp);
	free(resp);
	return j;
}

static bool is_ok(const json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const char *error_of(const json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));
	return e != NULL ? e : "";
}

/* One request on a connection of its own. */
static json_t *request(const char *line)
{
	struct client *c = client_open();

	if (c == NULL)
		return NULL;
	json_t *r = rpc(c, line);
	client_close(c);
	return r;
}

/* Expects an error response to line, containing want. */
static void expect_error(struct client *c, const char *line, const char *want)
{
	json_t *r = rpc(c, line);

	CU_ASSERT_PTR_NOT_NULL(r);
	CU_ASSERT(json_is_false(json_object_get(r, "ok")));
	if (strstr(error_of(r), want) == NULL) {
		fprintf(stderr, "\n  request %s: error \"%s\", expected \"%s\"\n", line,
			error_of(r), want);
		CU_FAIL("error message");
	}
	json_decref(r);
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                  */

static void test_socket(void)
{
	struct stat st;
	char dir[600];

	CU_ASSERT_FATAL(stat(sock, &st) == 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
	CU_ASSERT_EQUAL(st.st_uid, geteuid());
	snprintf(dir, sizeof(dir), "%s/run/zw", tmp);
	CU_ASSERT(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	/* no temporary name left next to it */
	snprintf(dir, sizeof(dir), "%s.%ld", sock, (long)getpid());
	CU_ASSERT(access(dir, F_OK) != 0);
}

static void test_status(void)
{
	json_t *r = request("{\"cmd\": \"status\"}");

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(is_ok(r));
	CU_ASSERT(json_is_string(json_object_get(r, "version")));
	CU_ASSERT(json_is_integer(json_object_get(r, "uptime")));
	CU_ASSERT(json_integer_value(json_object_get(r, "uptime")) >= 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "workers")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "zones")), 2);
	CU_ASSERT(json_integer_value(json_object_get(r, "table_version")) > 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "pid")), getpid());
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "state_dir")), state);
	const char *started = json_string_value(json_object_get(r, "started_at"));
	CU_ASSERT(started != NULL && strlen(started) == 20 && started[10] == 'T' &&
		  started[19] == 'Z');
	json_decref(r);
}

static void test_zone_list(void)
{
	json_t *r = request("{\"cmd\": \"zone-list\"}");
	struct listing *l = list();

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(is_ok(r));
	json_t *zs = json_object_get(r, "zones");
	CU_ASSERT_FATAL(json_is_array(zs));
	CU_ASSERT_EQUAL_FATAL(json_array_size(zs), 2);
	CU_ASSERT_EQUAL_FATAL(l->n, 2);
	for (unsigned i = 0; i < 2; i++) {
		json_t *z = json_array_get(zs, i);
		const struct zw_zone_info *zi = &l->zi[i];
		char sum[20];
		snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)zi->checksum);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "name")), zi->name);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(z, "serial")), zi->serial);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "source")), "config");
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "image")),
				       i == 0 ? img_com : img_net);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "checksum")), sum);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(z, "records")),
				(json_int_t)zi->records);
		CU_ASSERT(zi->records > 0);
		const char *at = json_string_value(json_object_get(z, "loaded_at"));
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = at ? strptime(at, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
		CU_ASSERT(end != NULL && *end == '\0');
		if (end != NULL)
			CU_ASSERT(llabs((long long)(timegm(&tm) - zi->loaded_at)) == 0);
	}
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(zs, 0), "name")),
			       "example.com.");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(zs, 0), "serial")),
			2026112101);
	json_decref(r);
}

static json_int_t geti(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void test_stats(void)
{
	json_t *r = request("{\"cmd\": \"stats\"}");

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(is_ok(r));
	json_t *u = json_object_get(r, "udp");
	CU_ASSERT_FATAL(json_is_object(u));
	CU_ASSERT_EQUAL(geti(u, "workers", NULL), 2);
	CU_ASSERT_EQUAL(geti(u, "rx", NULL), 1000);
	CU_ASSERT_EQUAL(geti(u, "tx", NULL), 990);
	CU_ASSERT_EQUAL(geti(u, "truncated", NULL), 3);
	CU_ASSERT_EQUAL(geti(u, "tx_full", NULL), 10);
	CU_ASSERT_EQUAL(geti(u, "answers", "noerror"), 900);
	CU_ASSERT_EQUAL(geti(u, "answers", "nxdomain"), 90);
	CU_ASSERT_EQUAL(geti(u, "answers", "badvers"), 1);
	CU_ASSERT_EQUAL(geti(u, "answers", "servfail"), 0);
	CU_ASSERT_EQUAL(json_object_size(json_object_get(u, "answers")), 17);
	CU_ASSERT_EQUAL(geti(u, "drops", "short"), 4);
	CU_ASSERT_EQUAL(geti(u, "drops", "checksum"), 5);
	CU_ASSERT_EQUAL(geti(u, "drops", "query"), 6);
	CU_ASSERT_EQUAL(geti(u, "drops", "room"), 7);
	CU_ASSERT_EQUAL(geti(u, "exception", "to_kernel"), 8);
	CU_ASSERT_EQUAL(geti(u, "exception", "from_kernel"), 9);
	/* no TCP or transfer module in this server */
	CU_ASSERT_PTR_NULL(json_object_get(r, "tcp"));
	CU_ASSERT_PTR_NULL(json_object_get(r, "xfr"));
	json_t *c = json_object_get(r, "control");
	CU_ASSERT(geti(c, "connections", NULL) >= 1);
	CU_ASSERT(geti(c, "requests", NULL) >= 3);
	json_decref(r);
}

static void test_malformed(void)
{
	struct client *c = client_open();

	CU_ASSERT_FATAL(c != NULL);
	expect_error(c, "{\"cmd\": \"status\"", "malformed JSON");
	expect_error(c, "{cmd: status}", "malformed JSON");
	expect_error(c, "status", "malformed JSON");
	expect_error(c, "{\"cmd\": \"status\"} {\"cmd\": \"status\"}", "malformed JSON");
	expect_error(c, "{\"cmd\": \"status\", \"cmd\": \"stats\"}", "malformed JSON");
	expect_error(c, "[\"status\"]", "JSON object");
	expect_error(c, "42", "JSON object");
	expect_error(c, "\"status\"", "JSON object");
	expect_error(c, "null", "JSON object");
	expect_error(c, "{}", "missing \"cmd\"");
	expect_error(c, "{\"command\": \"status\"}", "missing \"cmd\"");
	expect_error(c, "{\"cmd\": 1}", "\"cmd\" must be a string");
	expect_error(c, "{\"cmd\": null}", "\"cmd\" must be a string");
	expect_error(c, "{\"cmd\": [\"status\"]}", "\"cmd\" must be a string");
	expect_error(c, "{\"cmd\": \"staus\"}", "unknown command \"staus\"");
	expect_error(c, "{\"cmd\": \"STATUS\"}", "unknown command");
	expect_error(c, "{\"cmd\": \"status\\u0000x\"}", "must not contain NUL");
	expect_error(c, "{\"cmd\": \"\"}", "unknown command");
	expect_error(c, "{\"cmd\": \"zone-load\"}", "zone-load needs \"image\"");
	expect_error(c, "{\"cmd\": \"zone-load\", \"image\": 3}", "\"image\" must be a string");
	expect_error(c, "{\"cmd\": \"zone-load\", \"image\": [\"/x\"]}",
		     "\"image\" must be a string");
	expect_error(c, "{\"cmd\": \"zone-load\", \"image\": \"\"}", "non-empty");
	expect_error(c, "{\"cmd\": \"zone-load\", \"image\": \"a/b.zwi\"}", "absolute path");
	expect_error(c, "{\"cmd\": \"zone-load\", \"image\": \"/x\\u0000y\"}", "NUL");
	expect_error(c, "{\"cmd\": \"zone-load\", \"path\": \"/x\"}", "unknown argument \"path\"");
	expect_error(c, "{\"cmd\": \"zone-remove\"}", "zone-remove needs \"zone\"");
	expect_error(c, "{\"cmd\": \"zone-remove\", \"zone\": true}", "\"zone\" must be a string");
	expect_error(c, "{\"cmd\": \"zone-remove\", \"zone\": \"nosuch.example.\"}",
		     "no zone nosuch.example. is served");
	expect_error(c, "{\"cmd\": \"status\", \"verbose\": true}", "unknown argument");
	expect_error(c, "{\"cmd\": \"stop\", \"now\": 1}", "unknown argument");
	expect_error(c, "{\"cmd\": \"\xff\xfe\"}", "malformed JSON");
	expect_error(c, "{\"cm\\u0000d\": \"status\"}", "malformed JSON");
	expect_error(c, "{\"cmd\": \"status\", \"i\\u0000d\": 1}", "malformed JSON");
	/* still usable, and nothing changed */
	json_t *r = rpc(c, "{\"cmd\": \"status\"}");
	CU_ASSERT(is_ok(r));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "zones")), 2);
	json_decref(r);
	client_close(c);
}

static void test_pipelined(void)
{
	struct client *c = client_open();

	CU_ASSERT_FATAL(c != NULL);
	/* several requests in one write, blank lines, CRLF, ids echoed */
	const char *batch =
		"{\"cmd\":\"status\",\"id\":1}\n\n   \n{\"cmd\":\"zone-list\",\"id\":\"two\"}\r\n"
		"{\"cmd\":\"nope\",\"id\":[3]}\n\t{\"cmd\":\"stats\",\"id\":{\"n\":4}}  \n";
	CU_ASSERT_FATAL(client_send(c, batch, strlen(batch)) == 0);
	char *l1 = client_line(c), *l2 = client_line(c), *l3 = client_line(c), *l4 = client_line(c);
	json_t *r1 = parse(l1), *r2 = parse(l2), *r3 = parse(l3), *r4 = parse(l4);
	CU_ASSERT(is_ok(r1) && json_integer_value(json_object_get(r1, "id")) == 1);
	CU_ASSERT(is_ok(r2) && json_is_string(json_object_get(r2, "id")) &&
		  strcmp(json_string_value(json_object_get(r2, "id")), "two") == 0);
	CU_ASSERT(!is_ok(r3) && json_is_array(json_object_get(r3, "id")));
	CU_ASSERT(is_ok(r4) &&
		  json_integer_value(json_object_get(json_object_get(r4, "id"), "n")) == 4);
	CU_ASSERT(json_is_array(json_object_get(r2, "zones")));
	free(l1), free(l2), free(l3), free(l4);
	json_decref(r1), json_decref(r2), json_decref(r3), json_decref(r4);

	/* one request a byte at a time */
	const char *slow = "{\"cmd\": \"status\", \"id\": 5}\n";
	for (const char *p = slow; *p != '\0'; p++) {
		CU_ASSERT_FATAL(client_send(c, p, 1) == 0);
		usleep(200);
	}
	char *l = client_line(c);
	json_t *r = parse(l);
	CU_ASSERT(is_ok(r) && json_integer_value(json_object_get(r, "id")) == 5);
	free(l);
	json_decref(r);

	/* the last request needs no newline when the client shuts down */
	const char *last = "{\"cmd\": \"status\", \"id\": 6}";
	CU_ASSERT_FATAL(client_send(c, last, strlen(last)) == 0);
	shutdown(c->fd, SHUT_WR);
	l = client_line(c);
	r = parse(l);
	CU_ASSERT(is_ok(r) && json_integer_value(json_object_get(r, "id")) == 6);
	free(l);
	json_decref(r);
	CU_ASSERT(client_eof(c));
	client_close(c);
}

static void test_oversize(void)
{
	struct client *c = client_open();
	size_t n = 70000;
	char *big = malloc(n);

	CU_ASSERT_FATAL(c != NULL && big != NULL);
	/* a line of exactly 64 KiB is still a request (here: bad JSON) */
	memset(big, ' ', n);
	memcpy(big, "{\"cmd\":\"status\"}", 16);
	big[65536] = '\n';
	CU_ASSERT_FATAL(client_send(c, big, 65537) == 0);
	char *l = client_line(c);
	json_t *r = parse(l);
	CU_ASSERT(is_ok(r));
	free(l);
	json_decref(r);
	/* one byte more is not */
	memset(big, 'x', n);
	CU_ASSERT_FATAL(client_send(c, big, n) == 0);
	l = client_line(c);
	r = parse(l);
	CU_ASSERT(r != NULL && !is_ok(r));
	CU_ASSERT(strstr(error_of(r), "longer than 65536 bytes") != NULL);
	free(l);
	json_decref(r);
	CU_ASSERT(client_eof(c));
	client_close(c);
	free(big);
	/* others are not affected */
	r = request("{\"cmd\": \"status\"}");
	CU_ASSERT(is_ok(r));
	json_decref(r);
}

static void test_garbage(void)
{
	struct client *c = client_open();
	unsigned char junk[4096];
	unsigned lines = 0, seed = 53;

	CU_ASSERT_FATAL(c != NULL);
	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245u + 12345u;
		junk[i] = (unsigned char)(seed >> 16);
		if (junk[i] == '\n')
			junk[i] = 0;
		if (i % 97 == 96)
			junk[i] = '\n';
	}
	junk[sizeof(junk) - 1] = '\n';
	/* every line holds non-blank bytes: one error each */
	for (size_t i = 0; i < sizeof(junk); i++)
		lines += junk[i] == '\n';
	CU_ASSERT_FATAL(client_send(c, junk, sizeof(junk)) == 0);
	for (unsigned i = 0; i < lines; i++) {
		char *l = client_line(c);
		json_t *r = parse(l);
		CU_ASSERT(r != NULL && json_is_false(json_object_get(r, "ok")) &&
			  strstr(error_of(r), "malformed JSON") != NULL);
		if (r == NULL) {
			fprintf(stderr, "\n  bad response line: %s\n", l ? l : "(none)");
			free(l);
			break;
		}
		free(l);
		json_decref(r);
	}
	json_t *r = rpc(c, "{\"cmd\":\"status\"}");
	CU_ASSERT(is_ok(r));
	json_decref(r);
	client_close(c);
}

static void test_backpressure(void)
{
	enum { N = 3000 };
	struct client *c = client_open();
	size_t cap = N * 48, len = 0;
	char *reqs = malloc(cap);

	CU_ASSERT_FATAL(c != NULL && reqs != NULL);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(reqs + len, cap - len,
					"{\"cmd\":\"zone-list\",\"id\":%d}\n", i);
	/* the responses (about 1 MB) do not fit in the socket: the server
	 * stops reading until they are read; the requests do fit */
	CU_ASSERT_FATAL(client_send(c, reqs, len) == 0);
	usleep(100000);
	int good = 0;
	for (int i = 0; i < N; i++) {
		char *l = client_line(c);
		json_t *r = parse(l);
		free(l);
		if (r == NULL)
			break;
		good += is_ok(r) && json_integer_value(json_object_get(r, "id")) == i;
		json_decref(r);
	}
	CU_ASSERT_EQUAL(good, N);
	client_close(c);
	free(reqs);
}

/* Waits until the server has seen every earlier client leave. */
static void wait_idle(void)
{
	for (int i = 0; i < 200; i++) {
		json_t *r = request("{\"cmd\":\"stats\"}");
		json_int_t n = geti(json_object_get(r, "control"), "connections", NULL);
		json_decref(r);
		if (n == 1)
			return;
		usleep(10000);
	}
	CU_FAIL("connections left open");
}

static void test_max_conns(void)
{
	struct client *cs[64];
	int n = 0;

	wait_idle();
	for (int i = 0; i < 64; i++) {
		cs[i] = client_open();
		if (cs[i] != NULL)
			n++;
	}
	CU_ASSERT_EQUAL_FATAL(n, 64);
	/* all 64 are served (the server sees them in its own time) */
	for (int i = 0; i < 64; i++) {
		json_t *r = rpc(cs[i], "{\"cmd\":\"status\"}");
		CU_ASSERT(is_ok(r));
		json_decref(r);
	}
	struct client *extra = client_open();
	CU_ASSERT_FATAL(extra != NULL);
	char *l = client_line(extra);
	json_t *r = parse(l);
	CU_ASSERT(r != NULL && !is_ok(r) && strstr(error_of(r), "too many") != NULL);
	free(l);
	json_decref(r);
	CU_ASSERT(client_eof(extra));
	client_close(extra);
	for (int i = 0; i < 64; i++)
		client_close(cs[i]);
	/* the server notices the closes, then takes new clients again */
	bool ok = false;
	for (int i = 0; i < 100 && !ok; i++) {
		r = request("{\"cmd\":\"status\"}");
		ok = is_ok(r);
		json_decref(r);
		if (!ok)
			usleep(20000);
	}
	CU_ASSERT(ok);
}

static void test_client_gone(void)
{
	/* requests whose client leaves before the response */
	for (int i = 0; i < 20; i++) {
		struct client *c = client_open();
		CU_ASSERT_FATAL(c != NULL);
		const char *q = i % 2 ? "{\"cmd\":\"zone-list\"}\n{\"cmd\":\"stats\"}\n"
				      : "{\"cmd\":\"status\"}\n";
		client_send(c, q, strlen(q));
		if (i % 3 == 0) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		client_close(c);
	}
	json_t *r = request("{\"cmd\":\"status\"}");
	CU_ASSERT(is_ok(r));
	json_decref(r);
}

static bool files_equal(const char *a, const char *b)
{
	size_t la, lb;
	char *x = read_file(a, &la), *y = read_file(b, &lb);
	bool eq = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return eq;
}

static json_t *zone_load(const char *path)
{
	char req[1024];

	snprintf(req, sizeof(req), "{\"cmd\": \"zone-load\", \"image\": \"%s\"}", path);
	return request(req);
}

static void test_zone_load(void)
{
	char stored[1024];

	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.80");
	CU_ASSERT_STRING_EQUAL(ask("1.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR), "rcode 5");
	json_t *st = request("{\"cmd\":\"status\"}");
	json_int_t v0 = json_integer_value(json_object_get(st, "table_version"));
	json_decref(st);

	/* a new zone */
	json_t *r = zone_load(img_rev);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(is_ok(r));
	if (!is_ok(r))
		fprintf(stderr, "\n  zone-load: %s\n", error_of(r));
	json_t *z = json_object_get(r, "zone");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "name")),
			       "2.0.192.in-addr.arpa.");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "source")), "pushed");
	snprintf(stored, sizeof(stored), "%s/zones/2.0.192.in-addr.arpa.zwi", state);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "image")), stored);
	CU_ASSERT(files_equal(stored, img_rev));
	CU_ASSERT(json_integer_value(json_object_get(r, "table_version")) > v0);
	json_decref(r);
	CU_ASSERT_STRING_EQUAL(ask("1.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR),
			       "host-001.example.com.");

	/* a new version of a configured zone */
	r = zone_load(img_com_b);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(is_ok(r));
	z = json_object_get(r, "zone");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "name")), "example.com.");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(z, "serial")), 2026112102);
	json_decref(r);
	snprintf(stored, sizeof(stored), "%s/zones/example.com.zwi", state);
	CU_ASSERT(files_equal(stored, img_com_b));
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");
	struct listing *l = list();
	CU_ASSERT_EQUAL(l->n, 3);
	const struct zw_zone_info *zi = find_zone(l, "example.com.");
	CU_ASSERT_FATAL(zi != NULL);
	CU_ASSERT_EQUAL(zi->source, ZW_ZONE_PUSHED);
	CU_ASSERT_EQUAL(zi->serial, 2026112102);
	CU_ASSERT_STRING_EQUAL(zi->path, stored);

	/* the file pushed may go away: the stored copy serves */
	char gone[700];
	snprintf(gone, sizeof(gone), "%s/gone.zwi", imgdir);
	size_t len;
	char *data = read_file(img_com, &len);
	CU_ASSERT_FATAL(data != NULL && write_file(gone, data, len) == 0);
	free(data);
	r = zone_load(gone);
	CU_ASSERT(is_ok(r));
	json_decref(r);
	unlink(gone);
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.80");
	/* and back to B */
	r = zone_load(img_com_b);
	CU_ASSERT(is_ok(r));
	json_decref(r);
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");
}

/* zone-load of a bad image: refused with a message naming it, and the zone
 * keeps its version, in the table and in the state directory. */
static void refused(const char *path, const char *want)
{
	char stored[1024];
	struct listing *l = list();
	const struct zw_zone_info *zi = find_zone(l, "example.com.");
	uint64_t sum = zi != NULL ? zi->checksum : 0;
	unsigned n = l->n;

	json_t *r = zone_load(path);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(!is_ok(r));
	if (strstr(error_of(r), want) == NULL || strstr(error_of(r), path) == NULL) {
		fprintf(stderr, "\n  zone-load %s: \"%s\", expected \"%s\"\n", path, error_of(r),
			want);
		CU_FAIL("error message");
	}
	json_decref(r);
	l = list();
	CU_ASSERT_EQUAL(l->n, n);
	zi = find_zone(l, "example.com.");
	CU_ASSERT(zi != NULL && zi->checksum == sum && zi->serial == 2026112102);
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");
	snprintf(stored, sizeof(stored), "%s/zones/example.com.zwi", state);
	CU_ASSERT(files_equal(stored, img_com_b));
}

static void test_zone_load_corrupt(void)
{
	char bad[700];
	size_t len;
	char *data = read_file(img_com, &len);

	CU_ASSERT_FATAL(data != NULL && len > 1000);
	/* one bit flipped in the middle: the checksum catches it */
	snprintf(bad, sizeof(bad), "%s/flipped.zwi", imgdir);
	data[len / 2] ^= 0x10;
	CU_ASSERT_FATAL(write_file(bad, data, len) == 0);
	refused(bad, "checksum");
	data[len / 2] ^= 0x10;
	/* truncated */
	snprintf(bad, sizeof(bad), "%s/truncated.zwi", imgdir);
	CU_ASSERT_FATAL(write_file(bad, data, len - 100) == 0);
	refused(bad, "truncated.zwi");
	snprintf(bad, sizeof(bad), "%s/short.zwi", imgdir);
	CU_ASSERT_FATAL(write_file(bad, data, 200) == 0);
	refused(bad, "short.zwi");
	free(data);
	/* not an image at all */
	snprintf(bad, sizeof(bad), "%s/example.com.b.zone", imgdir);
	refused(bad, "magic");
	refused(imgdir, "not a regular file");
	snprintf(bad, sizeof(bad), "%s/no-such.zwi", imgdir);
	refused(bad, "No such file");
}

/* A zone whose name has a '/' in a label is stored in the state
 * directory, not below it. */
static void test_zone_load_slash(void)
{
	char zone[700], img[700], stored[1024];
	const char *text = "$ORIGIN x/y.example.\n$TTL 60\n"
			   "@ SOA ns.example. h.example. 7 1 1 1 1\n@ NS ns.example.\n"
			   "www A 192.0.2.7\n";

	snprintf(zone, sizeof(zone), "%s/slash.zone", imgdir);
	snprintf(img, sizeof(img), "%s/slash.zwi", imgdir);
	CU_ASSERT_FATAL(write_file(zone, text, strlen(text)) == 0);
	compile_to(zone, "x/y.example.", img);
	unsigned n = list()->n;
	json_t *r = zone_load(img);
	CU_ASSERT(is_ok(r));
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(r, "zone"), "name")),
		"x/y.example.");
	json_decref(r);
	snprintf(stored, sizeof(stored), "%s/zones/x\\047y.example.zwi", state);
	CU_ASSERT(files_equal(stored, img));
	snprintf(stored, sizeof(stored), "%s/zones/x", state);
	CU_ASSERT(access(stored, F_OK) != 0);
	CU_ASSERT_EQUAL(list()->n, n + 1);
	r = request("{\"cmd\":\"zone-remove\",\"zone\":\"x/y.example.\"}");
	CU_ASSERT(is_ok(r));
	json_decref(r);
	snprintf(stored, sizeof(stored), "%s/zones/x\\047y.example.zwi", state);
	CU_ASSERT(access(stored, F_OK) != 0);
	CU_ASSERT_EQUAL(list()->n, n);
}

static void test_zone_remove(void)
{
	char stored[1024];

	snprintf(stored, sizeof(stored), "%s/zones/2.0.192.in-addr.arpa.zwi", state);
	CU_ASSERT(access(stored, F_OK) == 0);
	json_t *r = request("{\"cmd\":\"zone-remove\",\"zone\":\"2.0.192.in-addr.arpa.\"}");
	CU_ASSERT(is_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "zone")),
			       "2.0.192.in-addr.arpa.");
	json_decref(r);
	CU_ASSERT(access(stored, F_OK) != 0);
	CU_ASSERT_STRING_EQUAL(ask("1.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR), "rcode 5");
	/* a configured zone, named without the final dot, in capitals */
	r = request("{\"cmd\":\"zone-remove\",\"zone\":\"EXAMPLE.NET\"}");
	CU_ASSERT(is_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "zone")), "example.net.");
	json_decref(r);
	CU_ASSERT_EQUAL(list()->n, 1);
	CU_ASSERT_STRING_EQUAL(ask("www.example.net.", LDNS_RR_TYPE_A), "rcode 5");
	/* twice: not served any more */
	r = request("{\"cmd\":\"zone-remove\",\"zone\":\"example.net.\"}");
	CU_ASSERT(r != NULL && !is_ok(r));
	CU_ASSERT(strstr(error_of(r), "no zone example.net. is served") != NULL);
	json_decref(r);
}

static void test_reload(void)
{
	json_t *st = request("{\"cmd\":\"status\"}");
	json_int_t v0 = json_integer_value(json_object_get(st, "table_version"));
	json_decref(st);

	/* the configured zone comes back; the pushed version of example.com
	 * stays; the removed pushed zone does not come back */
	json_t *r = request("{\"cmd\":\"reload\"}");
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(is_ok(r));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "zones")), 2);
	CU_ASSERT(json_integer_value(json_object_get(r, "table_version")) > v0);
	json_decref(r);
	struct listing *l = list();
	CU_ASSERT_EQUAL(l->n, 2);
	const struct zw_zone_info *zi = find_zone(l, "example.com.");
	CU_ASSERT(zi != NULL && zi->source == ZW_ZONE_PUSHED && zi->serial == 2026112102);
	zi = find_zone(l, "example.net.");
	CU_ASSERT(zi != NULL && zi->source == ZW_ZONE_CONFIG);
	CU_ASSERT_PTR_NULL(find_zone(l, "2.0.192.in-addr.arpa."));
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");

	/* a configured image that went bad: all or nothing */
	char saved[700];
	snprintf(saved, sizeof(saved), "%s.saved", img_net);
	CU_ASSERT_FATAL(rename(img_net, saved) == 0);
	CU_ASSERT_FATAL(write_file(img_net, "garbage", 7) == 0);
	r = request("{\"cmd\":\"reload\"}");
	CU_ASSERT(r != NULL && !is_ok(r));
	CU_ASSERT(strstr(error_of(r), img_net) != NULL);
	json_decref(r);
	CU_ASSERT_FATAL(rename(saved, img_net) == 0);
	CU_ASSERT_EQUAL(list()->n, 2);
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");
}

struct start_try {
	const char *path;
	struct zw_api *api;
	char err[1024];
};

static void do_start(void *arg)
{
	struct start_try *t = arg;
	struct zw_api_sources src = { .zones = zones };

	t->api = zw_api_start(ctl, t->path, &src, t->err, sizeof(t->err));
}

static void do_stop(void *arg)
{
	zw_api_stop(arg);
}

static void test_start_errors(void)
{
	struct start_try t;
	char path[700];

	/* a socket nobody listens on any more is replaced */
	snprintf(path, sizeof(path), "%s/stale.sock", tmp);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	CU_ASSERT_FATAL(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	t.path = path;
	on_loop(do_start, &t);
	CU_ASSERT_PTR_NOT_NULL(t.api);
	if (t.api != NULL) {
		struct client *c = client_open_at(path);
		json_t *r = c != NULL ? rpc(c, "{\"cmd\":\"status\"}") : NULL;
		CU_ASSERT(is_ok(r));
		json_decref(r);
		client_close(c);
		on_loop(do_stop, t.api);
		CU_ASSERT(access(path, F_OK) != 0); /* removed at stop */
	}
	/* one that is in use is not */
	t.path = sock;
	on_loop(do_start, &t);
	CU_ASSERT_PTR_NULL(t.api);
	CU_ASSERT(strstr(t.err, "another server") != NULL);
	CU_ASSERT(access(sock, F_OK) == 0);
	/* nor is a file that is not a socket */
	snprintf(path, sizeof(path), "%s/plain", tmp);
	CU_ASSERT_FATAL(write_file(path, "x", 1) == 0);
	t.path = path;
	on_loop(do_start, &t);
	CU_ASSERT_PTR_NULL(t.api);
	CU_ASSERT(strstr(t.err, "not a socket") != NULL);
	CU_ASSERT(access(path, F_OK) == 0);
	/* a path that does not fit in sun_path */
	char lng[300];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[0] = '/';
	lng[sizeof(lng) - 1] = '\0';
	t.path = lng;
	on_loop(do_start, &t);
	CU_ASSERT_PTR_NULL(t.api);
	CU_ASSERT(strstr(t.err, "too long") != NULL);
	/* a directory that cannot be created */
	snprintf(path, sizeof(path), "%s/plain/sub/ctl.sock", tmp);
	t.path = path;
	on_loop(do_start, &t);
	CU_ASSERT_PTR_NULL(t.api);
	CU_ASSERT(strstr(t.err, "cannot create the directory") != NULL);
	/* the server is still there */
	json_t *r = request("{\"cmd\":\"status\"}");
	CU_ASSERT(is_ok(r));
	json_decref(r);
}

/* Runs zonewirectl with args (shell words) from dir; returns its exit
 * status; its stdout and stderr are left in *out (malloc'ed). */
static int run_ctl(const char *dir, const char *args, char **out)
{
	char cmd[2048], outf[700];

	snprintf(outf, sizeof(outf), "%s/ctl.out", tmp);
	if (snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>&1", dir, ctl_bin, args, outf) >=
	    (int)sizeof(cmd)) {
		*out = strdup("command too long");
		return -1;
	}
	int st = system(cmd);
	*out = read_file(outf, NULL);
	if (*out == NULL)
		*out = strdup("");
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_ctl(const char *dir, const char *args, int want_rc, const char *want_text)
{
	char *out;
	int rc = run_ctl(dir, args, &out);

	if (rc != want_rc || (want_text != NULL && strstr(out, want_text) == NULL)) {
		fprintf(stderr, "\n  zonewirectl %s: exit %d (expected %d), output:\n%s\n", args,
			rc, want_rc, out);
		CU_FAIL("zonewirectl");
	}
	free(out);
}

static void test_zonewirectl(void)
{
	char a[1024];

	if (ctl_bin == NULL) {
		fprintf(stderr, "(no zonewirectl given: skipped) ");
		return;
	}
	snprintf(a, sizeof(a), "-s '%s' status", sock);
	expect_ctl(tmp, a, 0, "table version");
	snprintf(a, sizeof(a), "-s '%s' --json status", sock);
	expect_ctl(tmp, a, 0, "\"ok\":true");
	snprintf(a, sizeof(a), "-s '%s' zone-list", sock);
	expect_ctl(tmp, a, 0, "example.com.  2026112102  pushed");
	expect_ctl(tmp, a, 0, "ZONE              SERIAL  SOURCE  RECORDS  LOADED");
	snprintf(a, sizeof(a), "--socket='%s' zone-list --json", sock);
	expect_ctl(tmp, a, 0, "\"zones\":[");
	snprintf(a, sizeof(a), "-s '%s' stats", sock);
	expect_ctl(tmp, a, 0, "nxdomain 90");
	/* a relative path is resolved by the client */
	snprintf(a, sizeof(a), "-s '%s' zone-load 2.0.192.in-addr.arpa.zwi", sock);
	expect_ctl(imgdir, a, 0, "zone 2.0.192.in-addr.arpa. serial 1 loaded");
	CU_ASSERT_STRING_EQUAL(ask("1.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR),
			       "host-001.example.com.");
	snprintf(a, sizeof(a), "-s '%s' zone-load flipped.zwi", sock);
	expect_ctl(imgdir, a, 1, "checksum");
	snprintf(a, sizeof(a), "-s '%s' zone-load no-such.zwi", sock);
	expect_ctl(imgdir, a, 1, "/no-such.zwi");
	snprintf(a, sizeof(a), "-s '%s' --json zone-load no-such.zwi", sock);
	expect_ctl(imgdir, a, 1, "\"ok\":false");
	snprintf(a, sizeof(a), "-s '%s' zone-remove 2.0.192.in-addr.arpa", sock);
	expect_ctl(tmp, a, 0, "removed");
	snprintf(a, sizeof(a), "-s '%s' zone-remove 2.0.192.in-addr.arpa", sock);
	expect_ctl(tmp, a, 1, "no zone");
	snprintf(a, sizeof(a), "-s '%s' reload", sock);
	expect_ctl(tmp, a, 0, "reloaded: 2 zone(s)");
	/* usage errors: nothing is sent */
	expect_ctl(tmp, "", 2, "Usage");
	snprintf(a, sizeof(a), "-s '%s' frobnicate", sock);
	expect_ctl(tmp, a, 2, "unknown command");
	snprintf(a, sizeof(a), "-s '%s' zone-load", sock);
	expect_ctl(tmp, a, 2, "one argument");
	snprintf(a, sizeof(a), "-s '%s' status extra", sock);
	expect_ctl(tmp, a, 2, "no argument");
	expect_ctl(tmp, "--bogus status", 2, "Usage");
	expect_ctl(tmp, "--help", 0, "zone-load PATH");
	/* no server */
	snprintf(a, sizeof(a), "-s '%s/nothing.sock' status", tmp);
	expect_ctl(tmp, a, 3, "cannot connect");
	CU_ASSERT_EQUAL(list()->n, 2);
}

static void test_stop(void)
{
	struct client *c = client_open();

	CU_ASSERT_FATAL(c != NULL);
	json_t *r = rpc(c, "{\"cmd\":\"stop\",\"id\":9}");
	CU_ASSERT(is_ok(r));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 9);
	json_decref(r);
	/* the loop returns by itself */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	CU_ASSERT_FATAL(pthread_timedjoin_np(loop_thread, NULL, &ts) == 0);
	loop_running = false;
	client_close(c);
	zw_api_stop(api);
	api = NULL;
	CU_ASSERT(access(sock, F_OK) != 0);
	zw_zones_free(zones);
	zones = NULL;
	zw_ctl_free(ctl);
	ctl = NULL;
}

static void test_restart(void)
{
	char stored[1024];

	/* a new registry over the same state directory serves what was
	 * pushed last, and the configured zones */
	start_server();
	struct listing *l = list();
	CU_ASSERT_EQUAL(l->n, 2);
	const struct zw_zone_info *zi = find_zone(l, "example.com.");
	snprintf(stored, sizeof(stored), "%s/zones/example.com.zwi", state);
	CU_ASSERT(zi != NULL && zi->source == ZW_ZONE_PUSHED && zi->serial == 2026112102 &&
		  strcmp(zi->path, stored) == 0);
	zi = find_zone(l, "example.net.");
	CU_ASSERT(zi != NULL && zi->source == ZW_ZONE_CONFIG);
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");
	CU_ASSERT_STRING_EQUAL(ask("www.example.net.", LDNS_RR_TYPE_A), "198.51.100.80");
	json_t *r = request("{\"cmd\":\"zone-list\"}");
	CU_ASSERT(is_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				       json_array_get(json_object_get(r, "zones"), 0), "source")),
			       "pushed");
	json_decref(r);
	/* a stored copy put there by hand under another name does not win
	 * over the one pushed last, whatever the directory order */
	char other[1024];
	snprintf(other, sizeof(other), "%s/zones/0-old-example.com.zwi", state);
	size_t len;
	char *data = read_file(img_com, &len);
	CU_ASSERT_FATAL(data != NULL && write_file(other, data, len) == 0);
	free(data);
	r = request("{\"cmd\":\"reload\"}");
	CU_ASSERT(is_ok(r));
	json_decref(r);
	CU_ASSERT_STRING_EQUAL(ask("www.example.com.", LDNS_RR_TYPE_A), "192.0.2.81");
	unlink(other);

	/* stop through the API once more, and clean up */
	struct client *c = client_open();
	r = c != NULL ? rpc(c, "{\"cmd\":\"stop\"}") : NULL;
	CU_ASSERT(is_ok(r));
	json_decref(r);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	CU_ASSERT_FATAL(pthread_timedjoin_np(loop_thread, NULL, &ts) == 0);
	loop_running = false;
	client_close(c);
	zw_api_stop(api);
	zw_zones_free(zones);
	zw_ctl_free(ctl);
	api = NULL;
	zones = NULL;
	ctl = NULL;
}

static void stop_loop(struct zw_ctl *c, void *arg)
{
	(void)arg;
	zw_ctl_stop(c);
}

int main(int argc, char **argv)
{
	static const struct zw_test_case cases[] = {
		ZW_TEST(test_socket),
		ZW_TEST(test_status),
		ZW_TEST(test_zone_list),
		ZW_TEST(test_stats),
		ZW_TEST(test_malformed),
		ZW_TEST(test_pipelined),
		ZW_TEST(test_oversize),
		ZW_TEST(test_garbage),
		ZW_TEST(test_backpressure),
		ZW_TEST(test_max_conns),
		ZW_TEST(test_client_gone),
		ZW_TEST(test_zone_load),
		ZW_TEST(test_zone_load_corrupt),
		ZW_TEST(test_zone_load_slash),
		ZW_TEST(test_zone_remove),
		ZW_TEST(test_reload),
		ZW_TEST(test_start_errors),
		ZW_TEST(test_zonewirectl),
		ZW_TEST(test_stop),
		ZW_TEST(test_restart),
		{ NULL, NULL },
	};

	if (argc > 1 && (ctl_bin = realpath(argv[1], NULL)) == NULL)
		die(argv[1]);
	setup();
	int rc = zw_test_main("control_api", cases);
	if (loop_running) {
		zw_ctl_post(ctl, stop_loop, NULL);
		pthread_join(loop_thread, NULL);
	}
	zw_api_stop(api);
	zw_zones_free(zones);
	zw_ctl_free(ctl);
	if (getenv("ZW_KEEP") == NULL)
		rm_rf(tmp);
	free(ctl_bin);
	return rc;
}
