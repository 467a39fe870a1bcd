/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zonewirectl: the command-line client of zonewired's control API
 * (control/api.h, docs/zonewirectl.md).
 *
 *   zonewirectl [-s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS]
 *
 * One request, one response: printed for people by default, or as the
 * server's JSON line with --json. Exit status: 0 done, 1 the server
 * reported an error, 2 usage, 3 no server to talk to (cannot connect, or
 * the connection failed before a complete response).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET	"/run/zonewired/control.sock"
#define DEFAULT_TIMEOUT 60
#define MAX_RESPONSE	(256u << 20)

enum { EXIT_OK = 0, EXIT_SERVER = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zonewirectl [-s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS]\n"
		"Commands:\n"
		"  status            version, uptime, workers, zones, table version\n"
		"  zone-list         the zones served, with serial, source and image\n"
		"  zone-load PATH    serve a compiled zone image (zonewire-compile): it\n"
		"                    replaces the zone of the same name, or adds it\n"
		"  zone-remove NAME  stop serving a zone\n"
		"  reload            re-read every zone image\n"
		"  stats             query, TCP, transfer and control counters\n"
		"  stop              stop the server\n"
		"Options:\n"
		"  -s, --socket PATH    control socket (default " DEFAULT_SOCKET ")\n"
		"  -j, --json           print the server's JSON response as it is\n"
		"  -t, --timeout SECS   wait at most this long for the response (default %d)\n"
		"  -h, --help           this text\n"
		"Exit status: 0 done, 1 the server reported an error, 2 usage error,\n"
		"3 cannot connect or no complete response.\n",
		DEFAULT_TIMEOUT);
}

/* ---------------------------------------------------------------------- */
/* Talking to the server                                                  */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "zonewirectl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "zonewirectl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		fprintf(stderr, "zonewirectl: cannot connect to %s: %s%s\n", path, strerror(e),
			(e == ENOENT || e == ECONNREFUSED) ? " (is zonewired running?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until deadline; 0, or -1 on timeout. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends the request line and reads the response line (malloc'ed, without
 * its newline), or NULL with a message. */
static char *exchange(int fd, const char *req, long long deadline)
{
	size_t len = strlen(req), off = 0;

	while (off < len) {
		if (wait_fd(fd, POLLOUT, deadline) != 0) {
			fprintf(stderr, "zonewirectl: timed out sending the request\n");
			return NULL;
		}
		ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (w < 0) {
			fprintf(stderr, "zonewirectl: cannot send the request: %s\n",
				strerror(errno));
			return NULL;
		}
		off += (size_t)w;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		fprintf(stderr, "zonewirectl: out of memory\n");
		return NULL;
	}
	for (;;) {
		char *nl = n > 0 ? memchr(buf, '\n', n) : NULL;
		if (nl != NULL) {
			*nl = '\0';
			return buf;
		}
		if (n + 1 >= cap) {
			char *b = cap < MAX_RESPONSE ? realloc(buf, cap * 2) : NULL;
			if (b == NULL) {
				fprintf(stderr, "zonewirectl: response too large\n");
				free(buf);
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
		if (wait_fd(fd, POLLIN, deadline) != 0) {
			fprintf(stderr, "zonewirectl: no response from the server in time\n");
			free(buf);
			return NULL;
		}
		ssize_t r = recv(fd, buf + n, cap - n - 1, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r <= 0) {
			fprintf(stderr, "zonewirectl: the server closed the connection %s%s\n",
				r < 0 ? "with an error: " : "before responding",
				r < 0 ? strerror(errno) : "");
			free(buf);
			return NULL;
		}
		n += (size_t)r;
	}
}

/* ---------------------------------------------------------------------- */
/* Printing                                                               */

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "?";
}

static long long num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void duration(long long s, char *buf, size_t len)
{
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d > 0)
		snprintf(buf, len, "%lldd %lldh %lldm %llds", d, h, m, sec);
	else if (h > 0)
		snprintf(buf, len, "%lldh %lldm %llds", h, m, sec);
	else if (m > 0)
		snprintf(buf, len, "%lldm %llds", m, sec);
	else
		snprintf(buf, len, "%llds", sec);
}

static void print_status(const json_t *r)
{
	char up[64];

	duration(num(r, "uptime"), up, sizeof(up));
	printf("zonewired %s, pid %lld\n", str(r, "version"), num(r, "pid"));
	printf("%-15s %s (since %s)\n", "uptime", up, str(r, "started_at"));
	printf("%-15s %lld\n", "workers", num(r, "workers"));
	printf("%-15s %lld\n", "zones", num(r, "zones"));
	printf("%-15s %lld\n", "table version", num(r, "table_version"));
	if (json_object_get(r, "control_socket") != NULL)
		printf("%-15s %s\n", "control socket", str(r, "control_socket"));
	if (json_object_get(r, "state_dir") != NULL)
		printf("%-15s %s\n", "state directory", str(r, "state_dir"));
}

#define ZCOLS 7

static void zone_cells(const json_t *z, char cells[ZCOLS][4200])
{
	snprintf(cells[0], sizeof(cells[0]), "%s", str(z, "name"));
	snprintf(cells[1], sizeof(cells[1]), "%lld", num(z, "serial"));
	snprintf(cells[2], sizeof(cells[2]), "%s", str(z, "source"));
	snprintf(cells[3], sizeof(cells[3]), "%lld", num(z, "records"));
	snprintf(cells[4], sizeof(cells[4]), "%s", str(z, "loaded_at"));
	snprintf(cells[5], sizeof(cells[5]), "%s", str(z, "checksum"));
	snprintf(cells[6], sizeof(cells[6]), "%s", str(z, "image"));
}

static void print_zone_list(const json_t *r)
{
	static const char *const head[ZCOLS] = { "ZONE",   "SERIAL",   "SOURCE", "RECORDS",
						 "LOADED", "CHECKSUM", "IMAGE" };
	static const bool right[ZCOLS] = { false, true, false, true, false, false, false };
	static char cells[ZCOLS][4200];
	const json_t *zones = json_object_get(r, "zones");
	size_t w[ZCOLS];
	size_t i;
	const json_t *z;

	if (json_array_size(zones) == 0) {
		printf("no zones are served\n");
		return;
	}
	for (unsigned k = 0; k < ZCOLS; k++)
		w[k] = strlen(head[k]);
	json_array_foreach(zones, i, z)
	{
		zone_cells(z, cells);
		for (unsigned k = 0; k < ZCOLS; k++)
			if (strlen(cells[k]) > w[k])
				w[k] = strlen(cells[k]);
	}
	for (unsigned k = 0; k < ZCOLS; k++)
		printf(k + 1 < ZCOLS ? (right[k] ? "%*s  " : "%-*s  ") : "%.*s\n", (int)w[k],
		       head[k]);
	json_array_foreach(zones, i, z)
	{
		zone_cells(z, cells);
		for (unsigned k = 0; k + 1 < ZCOLS; k++)
			printf(right[k] ? "%*s  " : "%-*s  ", (int)w[k], cells[k]);
		printf("%s\n", cells[ZCOLS - 1]);
	}
}

/* A section of counters: "name value" lines; a nested object on one line
 * as "key value, key value" (answers: the non-zero ones). */
static void print_section(const char *name, const json_t *o)
{
	const char *k;
	const json_t *v;

	printf("%s\n", name);
	json_object_foreach((json_t *)o, k, v)
	{
		if (json_is_object(v)) {
			const char *k2;
			const json_t *v2;
			bool first = true, zeros = strcmp(k, "answers") != 0;
			printf("  %-14s", k);
			json_object_foreach((json_t *)v, k2, v2)
			{
				if (!zeros && json_integer_value(v2) == 0)
					continue;
				printf("%s%s %lld", first ? " " : ", ", k2,
				       (long long)json_integer_value(v2));
				first = false;
			}
			printf("%s\n", first ? " none" : "");
		} else if (json_is_integer(v)) {
			printf("  %-14s %lld\n", k, (long long)json_integer_value(v));
		} else if (json_is_string(v)) {
			printf("  %-14s %s\n", k, json_string_value(v));
		}
	}
}

static void print_stats(const json_t *r)
{
	static const char *const titles[][2] = {
		{ "udp", "UDP (workers)" },
		{ "tcp", "TCP" },
		{ "xfr", "zone transfers" },
		{ "control", "control API" },
	};
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)r, k, v)
	{
		if (!json_is_object(v))
			continue;
		const char *title = k;
		for (unsigned i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
			if (strcmp(k, titles[i][0]) == 0)
				title = titles[i][1];
		print_section(title, v);
	}
}

static void print_zone_load(const json_t *r)
{
	const json_t *z = json_object_get(r, "zone");

	if (z == NULL) {
		printf("image loaded (table version %lld)\n", num(r, "table_version"));
		return;
	}
	printf("zone %s serial %lld loaded: %lld records, checksum %s (table version %lld)\n",
	       str(z, "name"), num(z, "serial"), num(z, "records"), str(z, "checksum"),
	       num(r, "table_version"));
	printf("stored as %s\n", str(z, "image"));
}

static void print_response(const char *cmd, const json_t *r)
{
	if (strcmp(cmd, "status") == 0)
		print_status(r);
	else if (strcmp(cmd, "zone-list") == 0)
		print_zone_list(r);
	else if (strcmp(cmd, "zone-load") == 0)
		print_zone_load(r);
	else if (strcmp(cmd, "zone-remove") == 0)
		printf("zone %s removed (table version %lld)\n", str(r, "zone"),
		       num(r, "table_version"));
	else if (strcmp(cmd, "reload") == 0)
		printf("reloaded: %lld zone(s) (table version %lld)\n", num(r, "zones"),
		       num(r, "table_version"));
	else if (strcmp(cmd, "stats") == 0)
		print_stats(r);
	else if (strcmp(cmd, "stop") == 0)
		printf("zonewired is stopping\n");
}

/* ---------------------------------------------------------------------- */

/* path made absolute without requiring it to exist (the server says what
 * is wrong with it). */
static char *absolute(const char *path)
{
	char *r = realpath(path, NULL);
	char cwd[PATH_MAX];

	if (r != NULL || path[0] == '/')
		return r != NULL ? r : strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	size_t n = strlen(cwd) + strlen(path) + 2;
	r = malloc(n);
	if (r != NULL)
		snprintf(r, n, "%s/%s", cwd, path);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		const char *arg; /* the request's argument, if any */
	} cmds[] = {
		{ "status", NULL },	   { "zone-list", NULL }, { "zone-load", "image" },
		{ "zone-remove", "zone" }, { "reload", NULL },	  { "stats", NULL },
		{ "stop", NULL },
	};
	const char *sock = DEFAULT_SOCKET;
	bool raw = false;
	long timeout = DEFAULT_TIMEOUT;
	int c;

	while ((c = getopt_long(argc, argv, "s:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'j': raw = true; break;
		case 't': {
			char *end;
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || timeout <= 0 || timeout > 86400) {
				fprintf(stderr, "zonewirectl: bad timeout: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind++];
	int k = -1;
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			k = (int)i;
	if (k < 0) {
		fprintf(stderr, "zonewirectl: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	int want = cmds[k].arg != NULL ? 1 : 0;
	if (argc - optind != want) {
		fprintf(stderr, "zonewirectl: %s takes %s\n", cmd,
			want ? (strcmp(cmd, "zone-load") == 0 ? "one argument, the image's path"
							      : "one argument, the zone's name")
			     : "no argument");
		return EXIT_USAGE;
	}
	if (want && argv[optind][0] == '\0') {
		fprintf(stderr, "zonewirectl: %s: empty argument\n", cmd);
		return EXIT_USAGE;
	}

	json_t *req = json_object();
	json_object_set_new(req, "cmd", json_string(cmd));
	if (want) {
		char *arg = strcmp(cmd, "zone-load") == 0 ? absolute(argv[optind])
							  : strdup(argv[optind]);
		json_t *s = arg != NULL ? json_string(arg) : NULL;
		free(arg);
		if (s == NULL) {
			fprintf(stderr, "zonewirectl: %s: not valid UTF-8\n", argv[optind]);
			json_decref(req);
			return EXIT_USAGE;
		}
		json_object_set_new(req, cmds[k].arg, s);
	}
	char *line = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	size_t ll = line != NULL ? strlen(line) : 0;
	char *msg = line != NULL ? malloc(ll + 2) : NULL;
	if (msg == NULL) {
		fprintf(stderr, "zonewirectl: out of memory\n");
		free(line);
		return EXIT_USAGE;
	}
	memcpy(msg, line, ll);
	memcpy(msg + ll, "\n", 2);
	free(line);

	int fd = connect_to(sock);
	if (fd < 0) {
		free(msg);
		return EXIT_CONNECT;
	}
	char *resp = exchange(fd, msg, now_ms() + timeout * 1000);
	close(fd);
	free(msg);
	if (resp == NULL)
		return EXIT_CONNECT;

	json_error_t je;
	json_t *r = json_loads(resp, 0, &je);
	if (r == NULL || !json_is_boolean(json_object_get(r, "ok"))) {
		fprintf(stderr, "zonewirectl: unexpected response from the server: %.200s\n", resp);
		json_decref(r);
		free(resp);
		return EXIT_CONNECT;
	}
	bool ok = json_is_true(json_object_get(r, "ok"));
	if (raw) {
		printf("%s\n", resp);
	} else if (ok) {
		print_response(cmd, r);
	} else {
		const char *e = json_string_value(json_object_get(r, "error"));
		fprintf(stderr, "zonewirectl: %s: %s\n", cmd, e != NULL ? e : "failed");
	}
	json_decref(r);
	free(resp);
	if (fflush(stdout) != 0)
		return EXIT_SERVER;
	return ok ? EXIT_OK : EXIT_SERVER;
}
