/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RCU torture test of the zone table: reader threads answer queries without
 * pause while the writer publishes a new table thousands of times. Every
 * answer must come from one whole version: the TXT record of v.example.
 * names the version, and it must equal the serial of the very table the
 * reader loaded. A reader that touched a freed table would read poisoned
 * memory: tables are poisoned before they are freed, and under ASan the
 * access itself fails the run.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "answer.h"
#include "compile.h"
#include "table.h"
#include "unit.h"

#define READERS 2
#define SWAPS	3000

static atomic_bool done;
static atomic_ulong answers, bad;

/* Compiles the version-n zone into a malloc'ed image buffer. */
static void *make_image(unsigned n, size_t *size)
{
	char text[512], path[] = "/tmp/zw-rcu-XXXXXX";
	int fd = mkstemp(path);
	void *img = NULL;

	snprintf(text, sizeof(text),
		 "$ORIGIN example.\n$TTL 60\n"
		 "@ SOA ns.example. h.example. %u 1 1 1 1\n@ NS ns.example.net.\n"
		 "v TXT \"version %u\"\n",
		 n, n);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	struct zw_compile_opts o = { .origin = "example." };
	if (zw_compile_file(path, &o, &img, size, NULL) != 0)
		img = NULL;
	unlink(path);
	return img;
}

#define VERSIONS 16
static void *versions[VERSIONS];
static size_t version_size[VERSIONS];

/* A table of its own (a fresh copy of the image) for version n; versions
 * rotate through VERSIONS compiled zones. */
static struct zw_table *make_table(unsigned n)
{
	unsigned k = n % VERSIONS;
	struct zw_image *img;

	if (versions[k] == NULL && (versions[k] = make_image(k, &version_size[k])) == NULL)
		return NULL;
	void *buf = malloc(version_size[k]);
	if (buf == NULL)
		return NULL;
	memcpy(buf, versions[k], version_size[k]);
	if (zw_image_from_buffer(buf, version_size[k], &img, NULL) != 0) {
		free(buf);
		return NULL;
	}
	struct zw_table *t = zw_table_create(&img, 1);
	if (t == NULL)
		zw_image_close(img);
	return t;
}

static size_t build_query(uint8_t *q)
{
	static const uint8_t qn[] = { 1, 'v', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	memset(q, 0, 12);
	q[1] = 7;
	q[5] = 1;
	memcpy(q + 12, qn, sizeof(qn));
	q[12 + sizeof(qn) + 1] = 16; /* TXT */
	q[12 + sizeof(qn) + 3] = 1;  /* IN */
	return 12 + sizeof(qn) + 4;
}

static void *reader(void *arg)
{
	struct zw_answer_cfg cfg = { 0 };
	uint8_t q[64], out[512];
	size_t qlen = build_query(q);
	unsigned long n = 0, b = 0;

	(void)arg;
	rcu_register_thread();
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		const struct zw_table *t = zw_table_get();
		if (t != NULL) {
			uint32_t serial = t->imgs[0]->hdr->serial;
			int len = zw_answer(&cfg, t->zs, q, qlen, out, sizeof(out), 0, NULL);
			char want[32];
			int wl = snprintf(want, sizeof(want), "version %u", serial);
			/* the TXT string is the last thing in the response */
			if (len < wl || memcmp(out + len - wl, want, (size_t)wl) != 0 ||
			    memcmp(t->imgs[0]->hdr->magic, ZW_IMG_MAGIC, 8) != 0)
				b++;
			n++;
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	atomic_fetch_add(&answers, n);
	atomic_fetch_add(&bad, b);
	return NULL;
}

/* Poisons a table's images before they are freed, so that a reader still
 * holding one would see garbage instead of the old data. */
static void poison_free_hook(struct zw_table *t)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->imgs[i] != NULL)
			memset((void *)t->imgs[i]->base, 0xa5, t->imgs[i]->size);
}

static void test_swap_under_load(void)
{
	pthread_t th[READERS];
	struct zw_table *first = make_table(1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	zw_table_publish(first);
	zw_table_set_free_hook(poison_free_hook);
	for (int i = 0; i < READERS; i++)
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, reader, NULL) == 0);
	unsigned swaps = 0;
	for (unsigned v = 2; v < SWAPS + 2; v++) {
		struct zw_table *t = make_table(v);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		zw_table_publish(t);
		swaps++;
	}
	atomic_store(&done, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	printf("\n  %u swaps, %lu answers, %lu inconsistent\n", swaps, atomic_load(&answers),
	       atomic_load(&bad));
	CU_ASSERT_EQUAL(swaps, SWAPS);
	CU_ASSERT(atomic_load(&answers) > SWAPS);
	CU_ASSERT_EQUAL(atomic_load(&bad), 0);
	zw_table_set_free_hook(NULL);
	zw_table_free(zw_table_take());
	for (unsigned i = 0; i < VERSIONS; i++)
		free(versions[i]);
}

static const struct zw_test_case cases[] = {
	ZW_TEST(test_swap_under_load),
	{ NULL, NULL },
};

int main(void)
{
	return zw_test_main("rcu", cases);
}
