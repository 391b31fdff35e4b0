// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pools of recycled buffers.
 *
 * A fresh CMA allocation migrates the movable pages that live in the
 * area, under a global mutex; under memory pressure that costs
 * milliseconds per frame. A pool allocates outside the hot path and then
 * hands the same buffers out again.
 *
 * The pool owns one reference on every buffer it holds; acquire gives the
 * caller a second one and release takes it back. So a buffer that is out
 * when the pool dies stays valid: the caller's reference keeps it.
 *
 * What the pool recycles is described by a struct pool_kind
 * (pool-private.h): buffers here, same-layout images in image_pool.c,
 * which reuses the slots, the fences and the waiting. A slot keeps its
 * object from allocation to trim or the pool's end, so the slot number is
 * a stable index for it (V4L2 binds a dma-buf to a buffer index).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcmabuf-private.h"
#include "pool-private.h"

/* a pool never holds more: keeps the slot walk and its memory bounded */
#define POOL_MAX_BUFFERS 4096
/* how often a blocked acquire looks at pending fences again */
#define FENCE_RECHECK_NS (2 * 1000 * 1000)

/* the explicit fence, then one implicit fence per buffer of an object */
#define SLOT_FENCES (1 + CMABUF_MAX_PLANES)

enum slot_state {
	SLOT_EMPTY,
	SLOT_ALLOCATING,	/* reserved; the allocation runs unlocked */
	SLOT_IDLE,
	SLOT_OUT,
};

struct pool_slot {
	enum slot_state state;
	void *obj;
	int fence[SLOT_FENCES];	/* explicit, implicit...; -1 when none */
	uint64_t idle_since;	/* CLOCK_MONOTONIC ns */
};

struct cmabuf_pool {
	int refcount;
	const struct pool_kind *kind;
	void *kind_data;	/* the kind's, destroyed with the pool */
	struct cmabuf_heap *heap;
	struct cmabuf_ctx *ctx;
	size_t size;
	unsigned int min, max, flags;

	pthread_mutex_t lock;	/* guards everything below */
	pthread_cond_t cond;	/* a slot became idle or empty */
	struct pool_slot *slots;	/* max entries */
	unsigned int waiters;
	struct cmabuf_pool_stats stats;
};

/* ---- the buffer kind ---- */

static int buffer_alloc(struct cmabuf_heap *heap, size_t size, void *data,
			unsigned int index, void **obj)
{
	(void)data;
	(void)index;
	return cmabuf_alloc(heap, size, 0, (struct cmabuf **)obj);
}

static void buffer_unref(void *obj)
{
	cmabuf_unref(obj);
}

static void *buffer_ref(void *obj)
{
	return cmabuf_ref(obj);
}

static struct cmabuf *buffer_buffer(void *obj, unsigned int i)
{
	return i == 0 ? obj : NULL;
}

static const struct pool_kind buffer_kind = {
	.what = "buffer",
	.alloc = buffer_alloc,
	.unref = buffer_unref,
	.ref = buffer_ref,
	.buffer = buffer_buffer,
};

/* ---- fences ---- */

/* true when the sync_file fd has signalled (or is not a fence at all) */
static bool fence_signalled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, 0);
	} while (n < 0 && errno == EINTR);
	/* an error here cannot become a signal later: do not wait forever */
	return n != 0;
}

static void slot_close_fences(struct pool_slot *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(s->fence); i++) {
		if (s->fence[i] >= 0)
			close(s->fence[i]);
		s->fence[i] = -1;
	}
}

/* closes the fences that signalled; true when none is left pending */
static bool slot_ready(struct pool_slot *s)
{
	bool ready = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(s->fence); i++) {
		if (s->fence[i] < 0)
			continue;
		if (fence_signalled(s->fence[i])) {
			close(s->fence[i]);
			s->fence[i] = -1;
		} else {
			ready = false;
		}
	}
	return ready;
}

/*
 * The buffer's implicit fences as a sync_file, or -1 when none is pending.
 * A write export returns every fence, readers included: the next user will
 * write into the buffer.
 */
static int implicit_fence_of(struct cmabuf_pool *pool, struct cmabuf *buf)
{
	int fd = -1, ret;

	ret = cmabuf_export_sync_file(buf, CMABUF_SYNC_WRITE, &fd);
	if (ret == -EOPNOTSUPP) {
		/* before 6.0: nothing we can wait for; stop asking */
		info(pool->ctx, "pool: kernel cannot export implicit fences, "
		     "CMABUF_POOL_IMPLICIT_FENCES has no effect\n");
		__atomic_and_fetch(&pool->flags, ~CMABUF_POOL_IMPLICIT_FENCES,
				   __ATOMIC_RELAXED);
		return -1;
	}
	if (ret < 0)
		return -1;
	if (fence_signalled(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the implicit fences of every buffer of obj into fence[1..] */
static void implicit_fences(struct cmabuf_pool *pool, void *obj, int *fence)
{
	struct cmabuf *buf;
	unsigned int i;

	for (i = 0; i + 1 < SLOT_FENCES; i++)
		fence[i + 1] = -1;
	if (!(__atomic_load_n(&pool->flags, __ATOMIC_RELAXED) &
	      CMABUF_POOL_IMPLICIT_FENCES))
		return;
	for (i = 0; i + 1 < SLOT_FENCES &&
	     (buf = pool->kind->buffer(obj, i)); i++)
		fence[i + 1] = implicit_fence_of(pool, buf);
}

static bool slot_fenced(const struct pool_slot *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(s->fence); i++)
		if (s->fence[i] >= 0)
			return true;
	return false;
}

/* ---- slots ---- */

static unsigned int count_state(const struct cmabuf_pool *pool,
				enum slot_state state)
{
	unsigned int i, n = 0;

	for (i = 0; i < pool->max; i++)
		n += pool->slots[i].state == state;
	return n;
}

static void update_counts(struct cmabuf_pool *pool)
{
	unsigned int i, fenced = 0;

	pool->stats.in_use = count_state(pool, SLOT_OUT);
	pool->stats.total = pool->max - count_state(pool, SLOT_EMPTY) -
			    count_state(pool, SLOT_ALLOCATING);
	for (i = 0; i < pool->max; i++) {
		const struct pool_slot *s = &pool->slots[i];

		fenced += s->state == SLOT_IDLE && slot_fenced(s);
	}
	pool->stats.fenced = fenced;
	if (pool->stats.in_use > pool->stats.high_water)
		pool->stats.high_water = pool->stats.in_use;
}

static void slot_free(struct cmabuf_pool *pool, struct pool_slot *s)
{
	slot_close_fences(s);
	pool->kind->unref(s->obj);
	s->obj = NULL;
	s->state = SLOT_EMPTY;
}

/*
 * The most recently released idle slot whose fences signalled: its pages
 * are the likeliest to still be in the CPU caches.
 */
static struct pool_slot *find_ready(struct cmabuf_pool *pool)
{
	struct pool_slot *best = NULL;
	unsigned int i;

	for (i = 0; i < pool->max; i++) {
		struct pool_slot *s = &pool->slots[i];

		if (s->state != SLOT_IDLE)
			continue;
		if (!slot_ready(s)) {
			pool->stats.fence_waits++;
			continue;
		}
		if (!best || s->idle_since > best->idle_since)
			best = s;
	}
	return best;
}

static struct pool_slot *find_state(struct cmabuf_pool *pool,
				    enum slot_state state)
{
	unsigned int i;

	for (i = 0; i < pool->max; i++)
		if (pool->slots[i].state == state)
			return &pool->slots[i];
	return NULL;
}

/* fill a reserved slot; called and returns with the lock held */
static int slot_fill(struct cmabuf_pool *pool, struct pool_slot *s)
{
	void *obj = NULL;
	int ret;

	s->state = SLOT_ALLOCATING;
	pthread_mutex_unlock(&pool->lock);
	ret = pool->kind->alloc(pool->heap, pool->size, pool->kind_data,
				(unsigned int)(s - pool->slots), &obj);
	pthread_mutex_lock(&pool->lock);
	if (ret < 0) {
		s->state = SLOT_EMPTY;
		pthread_cond_broadcast(&pool->cond);
		return ret;
	}
	s->obj = obj;
	pool->stats.allocations++;
	return 0;
}

static bool has_fenced(const struct cmabuf_pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->max; i++) {
		const struct pool_slot *s = &pool->slots[i];

		if (s->state == SLOT_IDLE && slot_fenced(s))
			return true;
	}
	return false;
}

/* ---- public API ---- */

int pool_create(struct cmabuf_heap *heap, const struct pool_kind *kind,
		void *kind_data, size_t size, unsigned int min,
		unsigned int max, unsigned int flags, struct cmabuf_pool **out)
{
	pthread_condattr_t cattr;
	struct cmabuf_pool *pool;
	unsigned int i, f;
	size_t rounded;
	int ret = 0;

	if (!heap || !kind || !out)
		return -EINVAL;
	if (flags & ~CMABUF_POOL_IMPLICIT_FENCES) {
		log_bug_client(heap->ctx, "unknown pool flags %#x\n", flags);
		return -EINVAL;
	}
	if (size == 0 || max == 0 || min > max) {
		log_bug_client(heap->ctx, "bad pool geometry: %s size %zu, "
			       "min %u, max %u\n", kind->what, size, min, max);
		return -EINVAL;
	}
	if (max > POOL_MAX_BUFFERS) {
		err(heap->ctx, "pool of %u %ss: at most %d\n", max,
		    kind->what, POOL_MAX_BUFFERS);
		return -E2BIG;
	}
	/* what cmabuf_alloc() makes of it: whole pages */
	if (!page_round(size, page_size(), &rounded)) {
		err(heap->ctx, "pool of %zu-byte %ss: size overflows\n",
		    size, kind->what);
		return -EOVERFLOW;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->slots = calloc(max, sizeof(*pool->slots));
	if (!pool->slots) {
		free(pool);
		return -ENOMEM;
	}
	for (i = 0; i < max; i++)
		for (f = 0; f < SLOT_FENCES; f++)
			pool->slots[i].fence[f] = -1;
	pool->refcount = 1;
	pool->kind = kind;
	pool->kind_data = kind_data;
	pool->heap = cmabuf_heap_ref(heap);
	pool->ctx = cmabuf_ctx_ref(heap->ctx);
	pool->size = rounded;
	pool->min = min;
	pool->max = max;
	pool->flags = flags;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->cond, &cattr);
	pthread_condattr_destroy(&cattr);

	pthread_mutex_lock(&pool->lock);
	for (i = 0; i < min && ret == 0; i++) {
		ret = slot_fill(pool, &pool->slots[i]);
		pool->slots[i].state = ret == 0 ? SLOT_IDLE : SLOT_EMPTY;
		pool->slots[i].idle_since = monotonic_ns();
	}
	update_counts(pool);
	pthread_mutex_unlock(&pool->lock);
	if (ret < 0) {
		err(pool->ctx, "pool: preallocating %u %ss of %zu bytes "
		    "from %s: %s\n", min, kind->what, size, heap->name,
		    strerror(-ret));
		/* the caller still owns kind_data on failure */
		pool->kind_data = NULL;
		cmabuf_pool_unref(pool);
		return ret;
	}
	dbg(pool->ctx, "pool of %u..%u %ss of %zu bytes from %s\n", min,
	    max, kind->what, size, heap->name);
	*out = pool;
	return 0;
}

CMABUF_EXPORT int cmabuf_pool_new(struct cmabuf_heap *heap, size_t size,
				  unsigned int min, unsigned int max,
				  unsigned int flags, struct cmabuf_pool **out)
{
	return pool_create(heap, &buffer_kind, NULL, size, min, max, flags,
			   out);
}

CMABUF_EXPORT struct cmabuf_pool *cmabuf_pool_ref(struct cmabuf_pool *pool)
{
	if (pool)
		refcount_inc(&pool->refcount);
	return pool;
}

CMABUF_EXPORT struct cmabuf_pool *cmabuf_pool_unref(struct cmabuf_pool *pool)
{
	unsigned int i, out = 0;

	if (!pool || !refcount_dec(&pool->refcount))
		return NULL;
	/* nobody else holds the pool now: no lock needed */
	for (i = 0; i < pool->max; i++) {
		struct pool_slot *s = &pool->slots[i];

		out += s->state == SLOT_OUT;
		if (s->state == SLOT_IDLE || s->state == SLOT_OUT)
			slot_free(pool, s);
	}
	if (out)
		dbg(pool->ctx, "pool freed with %u %ss still out: they "
		    "live on until their last unref\n", out, pool->kind->what);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	free(pool->slots);
	cmabuf_heap_unref(pool->heap);
	cmabuf_ctx_unref(pool->ctx);
	if (pool->kind_data && pool->kind->destroy)
		pool->kind->destroy(pool->kind_data);
	free(pool);
	return NULL;
}

/*
 * One attempt, lock held: 0 with *slot set (idle or freshly allocated),
 * -EAGAIN when every buffer is out, fenced or being allocated, or the
 * allocation's error.
 */
static int try_acquire(struct cmabuf_pool *pool, struct pool_slot **slot)
{
	struct pool_slot *s;
	int ret;

	s = find_ready(pool);
	if (s) {
		pool->stats.hits++;
		*slot = s;
		return 0;
	}
	s = find_state(pool, SLOT_EMPTY);
	if (!s)
		return -EAGAIN;
	pool->stats.misses++;
	ret = slot_fill(pool, s);
	if (ret < 0)
		return ret;
	*slot = s;
	return 0;
}

static void hand_out(struct cmabuf_pool *pool, struct pool_slot *s,
		     void **out)
{
	s->state = SLOT_OUT;
	update_counts(pool);
	*out = pool->kind->ref(s->obj);
}

int pool_acquire(struct cmabuf_pool *pool, int timeout_ms, void **out)
{
	uint64_t deadline = 0;
	struct pool_slot *s = NULL;
	bool waited = false;
	int ret;

	if (timeout_ms > 0)
		deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct timespec ts;
		uint64_t until;

		ret = try_acquire(pool, &s);
		if (ret != -EAGAIN || timeout_ms == 0)
			break;
		if (!waited)
			pool->stats.waits++;
		waited = true;
		if (timeout_ms > 0 && monotonic_ns() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		/* releases signal the condition; fences do not: poll them */
		until = timeout_ms > 0 ? deadline : UINT64_MAX;
		if (has_fenced(pool) &&
		    until - monotonic_ns() > FENCE_RECHECK_NS)
			until = monotonic_ns() + FENCE_RECHECK_NS;
		pool->waiters++;
		if (until == UINT64_MAX) {
			pthread_cond_wait(&pool->cond, &pool->lock);
		} else {
			ts.tv_sec = (time_t)(until / 1000000000u);
			ts.tv_nsec = (long)(until % 1000000000u);
			pthread_cond_timedwait(&pool->cond, &pool->lock, &ts);
		}
		pool->waiters--;
	}
	if (ret == -EAGAIN && !waited)
		pool->stats.waits++;
	if (ret == 0)
		hand_out(pool, s, out);
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

CMABUF_EXPORT int cmabuf_pool_acquire(struct cmabuf_pool *pool,
				      struct cmabuf **out)
{
	if (!pool || !out)
		return -EINVAL;
	return pool_acquire(pool, 0, (void **)out);
}

int pool_acquire_timeout(struct cmabuf_pool *pool, int timeout_ms,
			 void **out)
{
	int ret;

	if (timeout_ms < -1) {
		log_bug_client(pool->ctx, "acquire timeout %d ms\n",
			       timeout_ms);
		return -EINVAL;
	}
	/* timeout 0 polls once, like cmabuf_pool_acquire() */
	ret = pool_acquire(pool, timeout_ms, out);
	return ret == -EAGAIN ? -ETIMEDOUT : ret;
}

CMABUF_EXPORT int cmabuf_pool_acquire_timeout(struct cmabuf_pool *pool,
					      int timeout_ms,
					      struct cmabuf **out)
{
	if (!pool || !out)
		return -EINVAL;
	return pool_acquire_timeout(pool, timeout_ms, (void **)out);
}

static struct pool_slot *slot_of(struct cmabuf_pool *pool, const void *obj)
{
	unsigned int i;

	for (i = 0; i < pool->max; i++)
		if (pool->slots[i].obj == obj)
			return &pool->slots[i];
	return NULL;
}

static void close_fences(int *fence, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fence[i] >= 0)
			close(fence[i]);
}

CMABUF_EXPORT int cmabuf_pool_release(struct cmabuf_pool *pool,
				      struct cmabuf *buf, int fence_fd)
{
	if (!pool || !buf) {
		if (fence_fd >= 0)
			close(fence_fd);
		return -EINVAL;
	}
	return pool_release(pool, buf, fence_fd);
}

int pool_release(struct cmabuf_pool *pool, void *obj, int fence_fd)
{
	int ret = 0, fence[SLOT_FENCES];
	struct pool_slot *s;
	size_t i;

	fence[0] = fence_fd;
	for (i = 1; i < SLOT_FENCES; i++)
		fence[i] = -1;
	if (fence_fd < -1) {
		log_bug_client(pool->ctx, "release with fence fd %d\n",
			       fence_fd);
		ret = -EBADF;
		goto fail;
	}
	if (fence_fd >= 0 && fcntl(fence_fd, F_GETFD) < 0) {
		ret = -errno;
		log_bug_client(pool->ctx, "release with fence fd %d: %m\n",
			       fence_fd);
		return ret;	/* nothing to close */
	}
	pthread_mutex_lock(&pool->lock);
	s = slot_of(pool, obj);
	if (!s || s->state != SLOT_OUT) {
		pthread_mutex_unlock(&pool->lock);
		log_bug_client(pool->ctx, "release of %s %s %s\n",
			       strchr("aeiou", pool->kind->what[0]) ? "an" :
			       "a", pool->kind->what,
			       s ? "already released" : "not from this pool");
		ret = -EINVAL;
		goto fail;
	}
	/*
	 * Only now is obj known to be ours. The export does not wait (it
	 * collects the fences), so it runs under the lock: a racing second
	 * release of obj must see the slot idle, not overwrite its fences.
	 */
	implicit_fences(pool, obj, fence);
	memcpy(s->fence, fence, sizeof(s->fence));
	s->state = SLOT_IDLE;
	s->idle_since = monotonic_ns();
	update_counts(pool);
	if (pool->waiters)
		pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	/* the pool still holds its own reference */
	pool->kind->unref(obj);
	return 0;
fail:
	close_fences(fence, ARRAY_SIZE(fence));
	return ret;
}

CMABUF_EXPORT int cmabuf_pool_trim(struct cmabuf_pool *pool,
				   unsigned int idle_ms)
{
	uint64_t now = monotonic_ns(), limit = (uint64_t)idle_ms * 1000000u;
	unsigned int i, owned;
	int freed = 0;

	if (!pool)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	owned = pool->max - count_state(pool, SLOT_EMPTY);
	for (i = 0; i < pool->max && owned > pool->min; i++) {
		struct pool_slot *s = &pool->slots[i];

		if (s->state != SLOT_IDLE || now - s->idle_since < limit ||
		    !slot_ready(s))
			continue;
		slot_free(pool, s);
		owned--;
		freed++;
	}
	pool->stats.frees += (uint64_t)freed;
	update_counts(pool);
	if (freed && pool->waiters)
		pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	if (freed)
		dbg(pool->ctx, "pool: trimmed %d idle %ss\n", freed,
		    pool->kind->what);
	return freed;
}

CMABUF_EXPORT size_t cmabuf_pool_get_size(const struct cmabuf_pool *pool)
{
	return pool ? pool->size : 0;
}

CMABUF_EXPORT int cmabuf_pool_get_stats(struct cmabuf_pool *pool,
					struct cmabuf_pool_stats *stats)
{
	if (!pool || !stats)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	update_counts(pool);
	*stats = pool->stats;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}
