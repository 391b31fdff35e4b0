/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The recycling machinery of lib/pool.c for other kinds of objects than
 * buffers (image_pool.c): slots, fences, waiting and statistics are the
 * pool's, allocating and referencing the objects the kind's.
 */
#ifndef POOL_PRIVATE_H
#define POOL_PRIVATE_H

#include <stddef.h>

#include "cmabuf.h"

struct pool_kind {
	const char *what;	/* "buffer", "image": log lines */
	/* a new object for slot index (stable while the object lives) */
	int (*alloc)(struct cmabuf_heap *heap, size_t size, void *data,
		     unsigned int index, void **obj);
	void (*unref)(void *obj);
	void *(*ref)(void *obj);
	/* buffer i of obj (implicit fences gate reuse), NULL past the last */
	struct cmabuf *(*buffer)(void *obj, unsigned int i);
	/* frees the kind data with the pool's last reference; may be NULL */
	void (*destroy)(void *data);
};

/*
 * cmabuf_pool_new() for any kind; kind_data is handed to alloc and, once
 * the pool exists, owned by it (destroy). On failure the caller keeps it.
 */
int pool_create(struct cmabuf_heap *heap, const struct pool_kind *kind,
		void *kind_data, size_t size, unsigned int min,
		unsigned int max, unsigned int flags, struct cmabuf_pool **out);
/* timeout_ms 0: one attempt, -EAGAIN; -1 forever; else up to it */
int pool_acquire(struct cmabuf_pool *pool, int timeout_ms, void **out);
/* cmabuf_pool_acquire_timeout(): -EINVAL for timeout_ms < -1, -ETIMEDOUT */
int pool_acquire_timeout(struct cmabuf_pool *pool, int timeout_ms,
			 void **out);
/* cmabuf_pool_release() of an object; fence_fd taken in every case */
int pool_release(struct cmabuf_pool *pool, void *obj, int fence_fd);

#endif /* POOL_PRIVATE_H */
