/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The zone registry (zones.h). Each change builds the whole next table:
 * images that do not change are moved into it (the table publisher keeps
 * them open), new ones are opened and verified first, and only a complete
 * table is published. Pushed images are copied into <state-dir>/zones/
 * (written atomically) before they are served, so a restart serves them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "compile.h"
#include "config.h"
#include "ctl.h"
#include "image.h"
#include "name.h"
#include "table.h"
#include "zones.h"
#include "zw_err.h"

struct entry {
	struct zw_image *img;
	enum zw_zone_source source;
	time_t loaded_at;
};

struct zw_zones {
	struct zw_ctl *ctl;
	const struct zw_config *cfg;
	char dir[PATH_MAX]; /* <state-dir>/zones */
	struct entry *e;
	unsigned n;
	struct zw_table *table; /* the published one */
};

static const uint8_t *origin(const struct zw_image *img)
{
	return img->hdr->origin;
}

static int same_zone(const struct zw_image *a, const struct zw_image *b)
{
	return a->hdr->origin_len == b->hdr->origin_len &&
	       memcmp(origin(a), origin(b), a->hdr->origin_len) == 0;
}

static int open_image(const char *path, struct zw_image **img, char *err, size_t errlen)
{
	const char *why = NULL;
	int rc = zw_image_open(path, img, &why);

	if (rc != 0)
		snprintf(err, errlen, "%s: %s%s%s%s", path, zw_strerror(rc), why ? " (" : "",
			 why ? why : "", why ? ")" : "");
	return rc;
}

/* Images of a previous table that the new one does not use: closed on the
 * loop once no worker can hold them (after the grace period). */
struct close_job {
	struct zw_ctl *ctl;
	unsigned n;
	struct zw_image *imgs[];
};

static void close_on_loop(struct zw_ctl *ctl, void *arg)
{
	struct close_job *j = arg;

	(void)ctl;
	for (unsigned i = 0; i < j->n; i++)
		zw_image_close(j->imgs[i]); /* a pinned one closes when unpinned */
	free(j);
}

/* On liburcu's call_rcu thread, after the grace period. */
static void table_retired(void *arg)
{
	struct close_job *j = arg;

	if (j != NULL && zw_ctl_post(j->ctl, close_on_loop, j) != 0)
		free(j); /* cannot reach the loop: leak the mappings, not crash */
}

/* Publishes a table over the entries without waiting for readers; the
 * images stay owned by the entries, and job (may be NULL) lists the ones
 * to close once the previous table is gone. */
static int publish_job(struct zw_zones *z, struct close_job *job, char *err, size_t errlen);

static int publish(struct zw_zones *z, char *err, size_t errlen)
{
	return publish_job(z, NULL, err, errlen);
}

static int publish_job(struct zw_zones *z, struct close_job *job, char *err, size_t errlen)
{
	struct zw_image **imgs = calloc(z->n ? z->n : 1, sizeof(*imgs));

	if (imgs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < z->n; i++)
		imgs[i] = z->e[i].img;
	struct zw_table *t = zw_table_create(imgs, z->n);
	free(imgs);
	if (t == NULL) {
		snprintf(err, errlen, "two images are for the same zone, or out of memory");
		return -EINVAL;
	}
	/* images are the registry's: the retiring table must not close them */
	t->n = 0;
	zw_table_publish_async(t, table_retired, job);
	z->table = t;
	return 0;
}

static int ensure_dir(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void zone_file(const struct zw_zones *z, const struct zw_image *img, char *buf, size_t len)
{
	char name[1024], file[1090];
	size_t o = 0;

	zw_name_to_str(origin(img), name, sizeof(name));
	/* a label may hold a '/': written as its escape, \047, so that the
	 * file stays in the directory */
	for (const char *p = name; *p != '\0' && o + 5 < sizeof(file); p++) {
		if (*p == '/') {
			memcpy(file + o, "\\047", 4);
			o += 4;
		} else {
			file[o++] = *p;
		}
	}
	file[o] = '\0';
	/* "example.com." -> example.com.zwi; the root zone -> root.zwi */
	snprintf(buf, len, "%s/%szwi", z->dir, strcmp(file, ".") == 0 ? "root." : file);
}

/* Makes a rename or unlink in dir durable. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void free_entries(struct entry *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		zw_image_close(e[i].img);
	free(e);
}

/* Loads the configured images, then the pushed ones over them. */
static int load_all(struct zw_zones *z, struct entry **out, unsigned *nout, char *err,
		    size_t errlen)
{
	const struct zw_config *cfg = z->cfg;
	unsigned cap = cfg->n_zones + 16, n = 0;
	struct entry *e = calloc(cap, sizeof(*e));
	int rc;

	if (e == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->n_zones; i++) {
		if ((rc = open_image(cfg->zones[i].image, &e[n].img, err, errlen)) != 0) {
			free_entries(e, n);
			return rc;
		}
		e[n].source = ZW_ZONE_CONFIG;
		e[n].loaded_at = time(NULL);
		n++;
	}
	/* in name order, so that the zones are listed in the same order
	 * after every restart */
	struct dirent **de = NULL;
	int nde = scandir(z->dir, &de, NULL, alphasort);
	for (int i = 0; i < nde; i++) {
		const char *f = de[i]->d_name;
		size_t l = strlen(f);
		if (l < 4 || strcmp(f + l - 4, ".zwi") != 0 || f[0] == '.')
			continue;
		char path[PATH_MAX + 256], canon[PATH_MAX + 1100];
		struct zw_image *img;
		snprintf(path, sizeof(path), "%s/%s", z->dir, f);
		if (open_image(path, &img, err, errlen) != 0) {
			/* a damaged stored copy is reported, not served */
			fprintf(stderr, "zonewired: ignoring %s\n", err);
			continue;
		}
		zone_file(z, img, canon, sizeof(canon));
		bool is_canon = strcmp(path, canon) == 0;
		unsigned k;
		for (k = 0; k < n && !same_zone(e[k].img, img); k++)
			;
		if (k < n && e[k].source == ZW_ZONE_PUSHED) {
			/* two stored copies of one zone (one put there by hand):
			 * the one under the zone's own name is what was pushed last */
			const char *drop = is_canon ? e[k].img->path : path;
			fprintf(stderr, "zonewired: ignoring %s: %s also holds that zone\n", drop,
				is_canon ? path : e[k].img->path);
			if (!is_canon) {
				zw_image_close(img);
				continue;
			}
		}
		if (k == n) {
			if (n == cap) {
				struct entry *ne = realloc(e, (cap *= 2) * sizeof(*e));
				if (ne == NULL) {
					zw_image_close(img);
					for (; i < nde; i++)
						free(de[i]);
					free(de);
					free_entries(e, n);
					return -ENOMEM;
				}
				e = ne;
			}
			n++;
		} else {
			zw_image_close(e[k].img);
		}
		e[k].img = img;
		e[k].source = ZW_ZONE_PUSHED;
		e[k].loaded_at = time(NULL);
	}
	for (int i = 0; i < nde; i++)
		free(de[i]);
	free(de);
	*out = e;
	*nout = n;
	return 0;
}

struct zw_zones *zw_zones_create(struct zw_ctl *ctl, char *err, size_t errlen)
{
	struct zw_zones *z = calloc(1, sizeof(*z));

	if (z == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	z->ctl = ctl;
	z->cfg = zw_ctl_config(ctl);
	snprintf(z->dir, sizeof(z->dir), "%s/zones",
		 z->cfg->state_dir ? z->cfg->state_dir : "/var/lib/zonewired");
	int rc = ensure_dir(z->dir);
	if (rc != 0) {
		snprintf(err, errlen, "cannot create %s: %s", z->dir, strerror(-rc));
		free(z);
		return NULL;
	}
	if (load_all(z, &z->e, &z->n, err, errlen) != 0 || publish(z, err, errlen) != 0) {
		free_entries(z->e, z->n);
		free(z);
		return NULL;
	}
	return z;
}

void zw_zones_free(struct zw_zones *z)
{
	if (z == NULL)
		return;
	struct zw_table *t = zw_table_take();
	zw_table_free(t); /* t->n is 0: the images are closed below */
	/* tables retired earlier: wait for their callbacks, close what they
	 * handed back to the loop */
	rcu_barrier();
	zw_ctl_drain(z->ctl);
	free_entries(z->e, z->n);
	free(z);
}

/* Swaps in a new set of entries: publish it, then close what the old set
 * had that the new one does not (after the grace period publish waited). */
static int swap(struct zw_zones *z, struct entry *e, unsigned n, char *err, size_t errlen)
{
	struct entry *old = z->e;
	unsigned oldn = z->n;
	struct close_job *job = calloc(1, sizeof(*job) + (oldn ? oldn : 1) * sizeof(job->imgs[0]));

	if (job == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	job->ctl = z->ctl;
	for (unsigned i = 0; i < oldn; i++) {
		bool kept = false;
		for (unsigned k = 0; k < n; k++)
			kept |= e[k].img == old[i].img;
		if (!kept)
			job->imgs[job->n++] = old[i].img;
	}
	z->e = e;
	z->n = n;
	/* the images the new table drops are closed by the loop after the
	 * grace period: the loop itself never waits for the workers */
	if (publish_job(z, job, err, errlen) != 0) {
		z->e = old;
		z->n = oldn;
		free(job);
		return -EINVAL;
	}
	free(old);
	return 0;
}

int zw_zones_reload(struct zw_zones *z, char *err, size_t errlen)
{
	struct entry *e;
	unsigned n;
	int rc = load_all(z, &e, &n, err, errlen);

	if (rc != 0)
		return rc;
	if ((rc = swap(z, e, n, err, errlen)) != 0)
		free_entries(e, n);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	char tmp[PATH_MAX + 1200];
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t r;

	if (in < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp", to);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t o = 0; o < r;) {
			ssize_t w = write(out, buf + o, (size_t)(r - o));
			if (w < 0) {
				rc = -errno;
				break;
			}
			o += w;
		}
		if (rc != 0)
			break;
	}
	if (r < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && fsync(out) != 0)
		rc = -errno;
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, to) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Puts back what the state directory held for zone k (or nothing, k ==
 * z->n) at stored, after a push that did not go through. */
static void restore_stored(const struct zw_zones *z, unsigned k, const char *stored)
{
	const struct entry *cur = k < z->n ? &z->e[k] : NULL;

	if (cur != NULL && cur->source == ZW_ZONE_PUSHED && cur->img->path != NULL &&
	    strcmp(cur->img->path, stored) == 0) {
		/* the version served was stored there: it is still mapped */
		if (zw_image_write(stored, cur->img->base, cur->img->size) != 0)
			fprintf(stderr, "zonewired: cannot restore %s\n", stored);
	} else {
		unlink(stored);
	}
	sync_dir(z->dir);
}

int zw_zones_push(struct zw_zones *z, const char *path, char *err, size_t errlen)
{
	struct zw_image *img;
	char stored[PATH_MAX + 1100];
	unsigned k;
	int rc;

	/* verify first: a bad image never reaches the state directory */
	if ((rc = open_image(path, &img, err, errlen)) != 0)
		return rc;
	zone_file(z, img, stored, sizeof(stored));
	for (k = 0; k < z->n && !same_zone(z->e[k].img, img); k++)
		;
	zw_image_close(img);
	if ((rc = copy_file(path, stored)) != 0) {
		snprintf(err, errlen, "cannot store %s: %s", stored, strerror(-rc));
		return rc;
	}
	sync_dir(z->dir);
	/* serve the stored copy: the pushed file may go away */
	if ((rc = open_image(stored, &img, err, errlen)) != 0) {
		restore_stored(z, k, stored);
		return rc;
	}
	char check[PATH_MAX + 1100];
	zone_file(z, img, check, sizeof(check));
	if (strcmp(check, stored) != 0) {
		/* the file changed between the two reads: another zone now */
		zw_image_close(img);
		restore_stored(z, k, stored);
		snprintf(err, errlen, "%s changed while it was being loaded", path);
		return -EAGAIN;
	}
	struct entry *e = calloc(z->n + 1, sizeof(*e));
	if (e == NULL) {
		zw_image_close(img);
		restore_stored(z, k, stored);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(e, z->e, z->n * sizeof(*e));
	unsigned n = z->n;
	if (k == n)
		n++; /* a new zone */
	e[k] = (struct entry){ img, ZW_ZONE_PUSHED, time(NULL) };
	if ((rc = swap(z, e, n, err, errlen)) != 0) {
		zw_image_close(img);
		free(e);
		restore_stored(z, k, stored);
	}
	return rc;
}

int zw_zones_remove(struct zw_zones *z, const char *name, char *err, size_t errlen)
{
	char want[1100];
	size_t l = strlen(name);

	snprintf(want, sizeof(want), "%s%s", name, (l > 0 && name[l - 1] == '.') ? "" : ".");
	for (unsigned i = 0; i < z->n; i++) {
		char zn[1024];
		zw_name_to_str(origin(z->e[i].img), zn, sizeof(zn));
		if (strcasecmp(zn, want) != 0)
			continue;
		struct entry *e = calloc(z->n ? z->n : 1, sizeof(*e));
		if (e == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		unsigned n = 0;
		for (unsigned k = 0; k < z->n; k++)
			if (k != i)
				e[n++] = z->e[k];
		/* the stored copy it was loaded from (which may not have the
		 * zone's own file name), and the one under that name */
		char stored[PATH_MAX + 1100], from[PATH_MAX + 1100] = "";
		zone_file(z, z->e[i].img, stored, sizeof(stored));
		if (z->e[i].source == ZW_ZONE_PUSHED && z->e[i].img->path != NULL)
			snprintf(from, sizeof(from), "%s", z->e[i].img->path);
		int rc = swap(z, e, n, err, errlen);
		if (rc != 0) {
			free(e);
			return rc;
		}
		unlink(stored);
		if (from[0] != '\0')
			unlink(from);
		sync_dir(z->dir);
		return 0;
	}
	snprintf(err, errlen, "no zone %s is served", want);
	return ZW_ENOTFOUND;
}

unsigned zw_zones_list(const struct zw_zones *z, struct zw_zone_info *out, unsigned max)
{
	for (unsigned i = 0; i < z->n && i < max; i++) {
		const struct zw_image *img = z->e[i].img;
		struct zw_zone_info *o = &out[i];
		memset(o, 0, sizeof(*o));
		zw_name_to_str(origin(img), o->name, sizeof(o->name));
		o->serial = img->hdr->serial;
		o->source = z->e[i].source;
		snprintf(o->path, sizeof(o->path), "%s", img->path ? img->path : "");
		o->checksum = img->hdr->checksum;
		o->loaded_at = z->e[i].loaded_at;
		o->records = img->hdr->rr_count;
	}
	return z->n;
}

const struct zw_table *zw_zones_table(const struct zw_zones *z)
{
	return z->table;
}

/* The configuration the registry was made with (the transfer module reads
 * its access rules there). Not in zones.h yet: declared here. */

const struct zw_config *zw_zones_config(const struct zw_zones *z)
{
	return z->cfg;
}

const struct zw_answer_cfg *zw_zones_answer_cfg(const struct zw_zones *z)
{
	return zw_ctl_answer_cfg(z->ctl);
}
