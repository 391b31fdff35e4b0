// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU access to a whole image: every plane mapped with its offset
 * applied, one cache bracket for the image.
 *
 * An image made with cmabuf_image_new() may hold one buffer under several
 * planes, so the calls walk the distinct buffers: a buffer is mapped (and
 * bracketed) once per image call, never twice, which keeps the counts of
 * cmabuf_map() and cmabuf_sync_begin() balanced with the unmap and the
 * end. All or nothing: when one buffer fails, the ones already done are
 * undone before the error returns, so a failed call leaves no mapping
 * and no open bracket behind.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "libcmabuf-private.h"

/* bufs[b] is not one of bufs[0..b-1] */
static bool buffer_first(const struct cmabuf_image *img, unsigned int b)
{
	unsigned int i;

	for (i = 0; i < b; i++)
		if (img->bufs[i] == img->bufs[b])
			return false;
	return true;
}

static void unmap_first(struct cmabuf_image *img, unsigned int n)
{
	unsigned int b;

	for (b = 0; b < n; b++)
		if (buffer_first(img, b))
			cmabuf_unmap(img->bufs[b]);
}

CMABUF_EXPORT int cmabuf_image_map(struct cmabuf_image *img,
				   unsigned int flags,
				   void *planes[CMABUF_MAX_PLANES])
{
	uint8_t *addr[CMABUF_MAX_PLANES] = { NULL };
	const struct cmabuf_layout *l;
	unsigned int b, i;
	int ret;

	if (!img)
		return -EINVAL;
	if (!planes || (flags & ~CMABUF_MAP_RW) || !(flags & CMABUF_MAP_RW)) {
		log_bug_client(img->ctx, "bad image map arguments: flags "
			       "%#x, planes %p\n", flags, (void *)planes);
		return -EINVAL;
	}
	for (b = 0; b < img->num_bufs; b++) {
		void *p;

		if (!buffer_first(img, b))
			continue;
		ret = cmabuf_map(img->bufs[b], flags, &p);
		if (ret < 0) {
			err(img->ctx, "image map: buffer %u of %u: %s; the "
			    "%u before it unmapped again\n", b, img->num_bufs,
			    strerror(-ret), b);
			unmap_first(img, b);
			return ret;
		}
		addr[b] = p;
	}
	for (b = 1; b < img->num_bufs; b++)
		if (!addr[b])	/* a buffer seen before: its mapping */
			for (i = 0; i < b; i++)
				if (img->bufs[i] == img->bufs[b])
					addr[b] = addr[i];
	l = &img->layout;
	for (i = 0; i < CMABUF_MAX_PLANES; i++)
		planes[i] = i < l->num_planes ?
			    addr[img->num_bufs > 1 ? i : 0] +
			    l->planes[i].offset : NULL;
	__atomic_add_fetch(&img->map_count, 1, __ATOMIC_RELAXED);
	return 0;
}

CMABUF_EXPORT int cmabuf_image_unmap(struct cmabuf_image *img)
{
	unsigned int old;

	if (!img)
		return -EINVAL;
	/* one unmap per map: never a count that belongs to cmabuf_map() */
	old = __atomic_load_n(&img->map_count, __ATOMIC_RELAXED);
	do {
		if (old == 0) {
			log_bug_client(img->ctx, "unmap of an image not "
				       "mapped\n");
			return -EINVAL;
		}
	} while (!__atomic_compare_exchange_n(&img->map_count, &old, old - 1,
					      true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	unmap_first(img, img->num_bufs);
	return 0;
}

static bool sync_flags_ok(unsigned int flags)
{
	return (flags & ~CMABUF_SYNC_RW) == 0 && (flags & CMABUF_SYNC_RW);
}

CMABUF_EXPORT int cmabuf_image_sync_begin(struct cmabuf_image *img,
					  unsigned int flags)
{
	unsigned int b, i;
	int ret;

	if (!img)
		return -EINVAL;
	if (!sync_flags_ok(flags)) {
		log_bug_client(img->ctx, "bad image sync flags %#x\n", flags);
		return -EINVAL;
	}
	for (b = 0; b < img->num_bufs; b++) {
		if (!buffer_first(img, b))
			continue;
		ret = cmabuf_sync_begin(img->bufs[b], flags);
		if (ret == 0)
			continue;
		err(img->ctx, "image sync begin: buffer %u of %u: %s; the "
		    "brackets before it closed again\n", b, img->num_bufs,
		    strerror(-ret));
		for (i = 0; i < b; i++)
			if (buffer_first(img, i))
				cmabuf_sync_end(img->bufs[i], flags);
		return ret;
	}
	return 0;
}

CMABUF_EXPORT int cmabuf_image_sync_end(struct cmabuf_image *img,
					unsigned int flags)
{
	unsigned int b;
	int ret = 0, r;

	if (!img)
		return -EINVAL;
	if (!sync_flags_ok(flags)) {
		log_bug_client(img->ctx, "bad image sync flags %#x\n", flags);
		return -EINVAL;
	}
	/*
	 * An END cannot be taken back: every buffer gets its own, and the
	 * first error is returned (each one was logged by cmabuf_sync_end).
	 */
	for (b = 0; b < img->num_bufs; b++) {
		if (!buffer_first(img, b))
			continue;
		r = cmabuf_sync_end(img->bufs[b], flags);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}
