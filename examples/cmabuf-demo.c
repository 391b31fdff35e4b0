// SPDX-License-Identifier: MIT
/*
 * Example code under the MIT license (examples/COPYING): copy it into a
 * program under any license. The library it links is LGPL-2.1-or-later.
 *
 * cmabuf-demo: allocate a buffer from the default CMA heap, fill it under
 * a CPU-access bracket, and show what the kernel says about it.
 *
 *   cmabuf-demo [SIZE[K|M]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmabuf.h>

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	return (size_t)v;
}

static void show_fdinfo(int fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "size:", 5) || !strncmp(line, "exp_name:", 9) ||
		    !strncmp(line, "name:", 5))
			printf("  fdinfo %s", line);
	fclose(f);
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? parse_size(argv[1]) : 8 << 20;
	struct cmabuf_heap *heap;
	struct cmabuf_ctx *ctx;
	struct cmabuf *buf;
	unsigned char *p;
	int ret;

	ret = cmabuf_ctx_new(&ctx);
	if (ret < 0)
		return 1;
	ret = cmabuf_heap_open(ctx, NULL, 0, &heap);	/* the CMA heap */
	if (ret < 0) {
		fprintf(stderr, "no CMA heap: %s\n", strerror(-ret));
		return 1;
	}
	ret = cmabuf_alloc(heap, size, 0, &buf);
	if (ret < 0) {
		fprintf(stderr, "allocation failed: %s\n", strerror(-ret));
		return 1;
	}
	cmabuf_set_name(buf, "cmabuf-demo");
	ret = cmabuf_map(buf, CMABUF_MAP_RW, (void **)&p);
	if (ret == 0) {
		cmabuf_sync_begin(buf, CMABUF_SYNC_WRITE);
		memset(p, 0xab, cmabuf_get_size(buf));
		cmabuf_sync_end(buf, CMABUF_SYNC_WRITE);
	}
	printf("allocated %zu bytes from heap \"%s\" (%s): dma-buf fd %d, %s\n",
	       cmabuf_get_size(buf), cmabuf_heap_get_name(heap),
	       cmabuf_heap_get_path(heap), cmabuf_get_fd(buf),
	       cmabuf_is_contiguous(buf) ? "physically contiguous" :
					   "NOT contiguous");
	show_fdinfo(cmabuf_get_fd(buf));
	cmabuf_unref(buf);	/* unmaps and closes */
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);
	return ret < 0 ? 1 : 0;
}
