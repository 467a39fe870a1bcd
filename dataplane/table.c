/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "table.h"
#include "zw_err.h"

/* The one published pointer; written by the control thread only. */
static struct zw_table *published;
static uint64_t next_version = 1;
static void (*free_hook)(struct zw_table *);

void zw_table_set_free_hook(void (*hook)(struct zw_table *))
{
	free_hook = hook;
}

/* Images of old that t goes on serving are not old's to close. */
static void keep_shared(struct zw_table *old, const struct zw_table *t)
{
	for (unsigned i = 0; i < old->n; i++)
		for (unsigned k = 0; k < t->n; k++)
			if (old->imgs[i] == t->imgs[k])
				old->imgs[i] = NULL;
}

/* Frees a table no reader can hold, with its zone set and images. */
static void dispose(struct zw_table *t, bool hook)
{
	if (hook && free_hook != NULL)
		free_hook(t);
	zw_zoneset_free(t->zs);
	for (unsigned i = 0; i < t->n; i++)
		zw_image_close(t->imgs[i]);
	free(t);
}

static void retire_cb(struct rcu_head *head)
{
	struct zw_table *t = caa_container_of(head, struct zw_table, rcu);
	void (*fn)(void *) = t->retired;
	void *arg = t->retired_arg;

	dispose(t, true);
	if (fn != NULL)
		fn(arg);
}

void zw_table_publish_async(struct zw_table *t, void (*retired)(void *arg), void *arg)
{
	t->version = next_version++;
	struct zw_table *old = rcu_xchg_pointer(&published, t);

	if (old == NULL) {
		if (retired != NULL)
			retired(arg);
		return;
	}
	keep_shared(old, t);
	old->retired = retired;
	old->retired_arg = arg;
	/* QSBR: call_rcu from a registered thread that is online */
	rcu_thread_online();
	call_rcu(&old->rcu, retire_cb);
	rcu_thread_offline();
}

struct zw_table *zw_table_take(void)
{
	struct zw_table *old = rcu_xchg_pointer(&published, NULL);

	if (old != NULL)
		synchronize_rcu();
	return old;
}

struct zw_table *zw_table_create(struct zw_image **imgs, unsigned n)
{
	struct zw_table *t = calloc(1, sizeof(*t) + (size_t)n * sizeof(t->imgs[0]));

	if (t == NULL)
		return NULL;
	t->zs = zw_zoneset_create(imgs, n);
	if (t->zs == NULL) {
		free(t);
		return NULL;
	}
	t->n = n;
	memcpy(t->imgs, imgs, (size_t)n * sizeof(imgs[0]));
	return t;
}

void zw_table_free(struct zw_table *t)
{
	if (t != NULL)
		dispose(t, false);
}

const struct zw_table *zw_table_get(void)
{
	/* pairs with the rcu_xchg_pointer() in zw_table_publish() */
	return rcu_dereference(published);
}

uint64_t zw_table_publish(struct zw_table *t)
{
	t->version = next_version++;
	struct zw_table *old = rcu_xchg_pointer(&published, t);
	uint64_t v = old ? old->version : 0;

	if (old == NULL)
		return 0;
	/* after this no reader can hold old: every reader has passed a
	 * quiescent state since the exchange */
	synchronize_rcu();
	keep_shared(old, t);
	dispose(old, true);
	return v;
}

struct zw_table *zw_table_load(char *const *paths, unsigned n, char *errbuf, size_t errlen)
{
	struct zw_image **imgs = calloc(n ? n : 1, sizeof(*imgs));
	struct zw_table *t = NULL;
	unsigned i;

	if (imgs == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const char *why = NULL;
		int rc = zw_image_open(paths[i], &imgs[i], &why);
		if (rc != 0) {
			snprintf(errbuf, errlen, "%s: %s (%s)", paths[i], zw_strerror(rc),
				 why ? why : "");
			goto fail;
		}
	}
	t = zw_table_create(imgs, n);
	if (t == NULL) {
		snprintf(errbuf, errlen, "two images are for the same zone, or out of memory");
		goto fail;
	}
	free(imgs);
	return t;
fail:
	for (unsigned k = 0; k < i; k++)
		zw_image_close(imgs[k]);
	free(imgs);
	return NULL;
}
