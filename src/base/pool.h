/* pool.h - one arena per request, freed at once, with cleanup hooks. */
#ifndef COFFER_POOL_H
#define COFFER_POOL_H

#include <stddef.h>

struct pool;

/* A new, empty pool; caller owns it and ends it with pool_free(). */
struct pool *pool_new(void);

/* Run the cleanup hooks (last added first) and free every allocation. */
void pool_free(struct pool *p);

/* Memory owned by the pool, aligned for any type; never NULL (OOM is fatal). */
void *pool_alloc(struct pool *p, size_t size);
void *pool_zalloc(struct pool *p, size_t size);
char *pool_strdup(struct pool *p, const char *s);
char *pool_strndup(struct pool *p, const char *s, size_t n);
char *pool_printf(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Call fn(arg) when the pool is freed (file descriptors, PGresults, ...). */
void pool_cleanup_add(struct pool *p, void (*fn)(void *), void *arg);

/* close(fd) when the pool is freed. */
void pool_cleanup_fd(struct pool *p, int fd);

#endif
