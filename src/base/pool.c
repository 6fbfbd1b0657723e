/* pool.c - a bump allocator over malloc'd blocks, in the manner of nginx pools. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>

#include "base/pool.h"
#include "base/xmalloc.h"

#define POOL_BLOCK	8192
#define POOL_ALIGN	16

struct pool_block {
	struct pool_block	*next;
	size_t			 used, size;
	_Alignas(POOL_ALIGN) unsigned char data[];
};

struct pool_cleanup {
	struct pool_cleanup	*next;
	void			(*fn)(void *);
	void			*arg;
};

struct pool {
	struct pool_block	*blocks;
	struct pool_cleanup	*cleanups;
};

struct pool *
pool_new(void)
{
	return xcalloc(1, sizeof(struct pool));
}

void
pool_free(struct pool *p)
{
	struct pool_cleanup *c;
	struct pool_block *b, *next;

	if (p == NULL)
		return;
	/* Hooks live in the pool's own memory: run them all before freeing. */
	for (c = p->cleanups; c != NULL; c = c->next)
		c->fn(c->arg);
	for (b = p->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(p);
}

void *
pool_alloc(struct pool *p, size_t size)
{
	struct pool_block *b = p->blocks;
	size_t need = (size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
	void *ret;

	if (need < size)
		need = size;	/* overflow: let xmalloc fail loudly below */
	if (b == NULL || b->size - b->used < need) {
		size_t bsize = need > POOL_BLOCK ? need : POOL_BLOCK;

		b = xmalloc(sizeof(*b) + bsize);
		b->used = 0;
		b->size = bsize;
		b->next = p->blocks;
		p->blocks = b;
	}
	ret = b->data + b->used;
	b->used += need;
	return ret;
}

void *
pool_zalloc(struct pool *p, size_t size)
{
	return memset(pool_alloc(p, size), 0, size);
}

char *
pool_strndup(struct pool *p, const char *s, size_t n)
{
	char *d = pool_alloc(p, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
pool_strdup(struct pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

char *
pool_printf(struct pool *p, const char *fmt, ...)
{
	va_list ap;
	char *d;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	d = pool_alloc(p, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

static void
pool_close_fd(void *arg)
{
	close((int)(intptr_t)arg);
}

void
pool_cleanup_fd(struct pool *p, int fd)
{
	pool_cleanup_add(p, pool_close_fd, (void *)(intptr_t)fd);
}

void
pool_cleanup_add(struct pool *p, void (*fn)(void *), void *arg)
{
	struct pool_cleanup *c = pool_alloc(p, sizeof(*c));

	c->fn = fn;
	c->arg = arg;
	c->next = p->cleanups;
	p->cleanups = c;
}
