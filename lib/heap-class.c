// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a dma-heap is, before it is opened: its kind, its flags and, for
 * an alias, the heap it stands for. The facts come from the heap's name
 * (heap-names.h: the default CMA area's names, the vendor -uncached and
 * -dma32 variants), the device tree's reserved-memory node of that name
 * and sysfs cma/<name>, all read under the context's sysroot, and a
 * symlink of the heap directory is an alias of its target. Nothing is
 * guessed: a name none of them explains is CMABUF_HEAP_KIND_OTHER.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "heap-names.h"
#include "libcmabuf-private.h"

bool heap_name_valid(const char *name)
{
	return name[0] != '\0' && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	       strlen(name) < NAME_MAX;
}

static bool path_exists(const char *dir, const char *name, bool want_dir)
{
	struct stat st;
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return false;
	ret = stat(path, &st);
	free(path);
	return ret == 0 && !S_ISDIR(st.st_mode) == !want_dir;
}

/* the caller moved the sysroot or the heap directory: a fixture tree */
static bool ctx_reads_fixture(const struct cmabuf_ctx *ctx)
{
	return ctx->heap_dir_set || ctx->sysroot[0] != '\0';
}

/*
 * A heap node is a character device, symlinks followed. Fixture path
 * only: trees captured from a board or made by the tests cannot hold
 * device nodes and have empty regular files in their place (the
 * allocation ioctl on one fails with ENOTTY); the live /dev/dma_heap
 * never takes a regular file for a heap.
 */
bool heap_node_exists(const struct cmabuf_ctx *ctx, const char *name)
{
	struct stat st;
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", cmabuf_ctx_heap_dir(ctx), name) < 0)
		return false;
	ret = stat(path, &st);
	free(path);
	if (ret < 0)
		return false;
	return S_ISCHR(st.st_mode) ||
	       (ctx_reads_fixture(ctx) && S_ISREG(st.st_mode));
}

/* ---- what the device tree and sysfs say about a name ---------------- */

enum dt_pool {
	DT_NONE,		/* no reserved-memory node of that name */
	DT_OTHER,		/* a node, but no CMA area */
	DT_CMA,			/* a reusable shared-dma-pool: a CMA area */
	DT_CMA_DEFAULT,		/* ... and the default one */
};

/* "compatible" holds NUL-separated strings */
static bool dt_compatible(const char *node, const char *compat)
{
	char text[512], *path;
	ssize_t len, i;

	if (asprintf(&path, "%s/compatible", node) < 0)
		return false;
	len = read_file_at(path, text, sizeof(text));
	free(path);
	for (i = 0; i < len; i += (ssize_t)strlen(text + i) + 1)
		if (strcmp(text + i, compat) == 0)
			return true;
	return false;
}

/* absent "status" means enabled (of_fdt_device_is_available) */
static bool dt_available(const char *node)
{
	char text[32], *path;
	ssize_t len;

	if (asprintf(&path, "%s/status", node) < 0)
		return false;
	len = read_file_at(path, text, sizeof(text));
	free(path);
	return len < 0 || strcmp(text, "okay") == 0 || strcmp(text, "ok") == 0;
}

/*
 * The reserved-memory node named like the heap. The kernel makes a CMA
 * area of a "shared-dma-pool" that is "reusable" and not "no-map"
 * (kernel/dma/contiguous.c rmem_cma_setup) and names it after the node,
 * unit address included (drivers/of/of_reserved_mem.c); its heap is the
 * default one before 6.17 ("linux,cma-default") and, from 6.19 on, each
 * such area has a heap of that name. Raspberry Pi OS and Debian kernels
 * have no CONFIG_CMA_SYSFS: there the device tree is all there is.
 */
static enum dt_pool dt_reserved_node(const struct cmabuf_ctx *ctx,
				     const char *name)
{
	enum dt_pool ret = DT_NONE;
	struct stat st;
	char *node;

	if (!heap_name_valid(name) ||
	    asprintf(&node, "%s/proc/device-tree/reserved-memory/%s",
		     ctx->sysroot, name) < 0)
		return DT_NONE;
	if (stat(node, &st) < 0 || !S_ISDIR(st.st_mode))
		goto out;
	ret = DT_OTHER;
	if (dt_compatible(node, "shared-dma-pool") && dt_available(node) &&
	    path_exists(node, "reusable", false) &&
	    !path_exists(node, "no-map", false))
		ret = path_exists(node, "linux,cma-default", false) ?
		      DT_CMA_DEFAULT : DT_CMA;
out:
	free(node);
	return ret;
}

/* CONFIG_CMA_SYSFS lists every CMA area, named as its heap (6.19+) */
static bool sysfs_cma_area(const struct cmabuf_ctx *ctx, const char *name)
{
	char *dir;
	bool ret;

	if (!heap_name_valid(name) || asprintf(&dir, "%s/sys/kernel/mm/cma", ctx->sysroot) < 0)
		return false;
	ret = path_exists(dir, name, true);
	free(dir);
	return ret;
}

/* ---- classification ------------------------------------------------- */

static enum cmabuf_heap_kind kind_of_name(const struct cmabuf_ctx *ctx,
					  const char *name, enum dt_pool *dt)
{
	*dt = DT_NONE;
	if (strcmp(name, "system") == 0)
		return CMABUF_HEAP_KIND_SYSTEM;
	*dt = dt_reserved_node(ctx, name);
	if (*dt == DT_CMA || *dt == DT_CMA_DEFAULT ||
	    heap_name_in(name, heap_names_default_cma) ||
	    sysfs_cma_area(ctx, name))
		return CMABUF_HEAP_KIND_CMA;
	return CMABUF_HEAP_KIND_OTHER;
}

static unsigned int kind_flags(enum cmabuf_heap_kind kind)
{
	switch (kind) {
	case CMABUF_HEAP_KIND_CMA:
		return CMABUF_HEAP_CONTIGUOUS | CMABUF_HEAP_CACHED;
	case CMABUF_HEAP_KIND_SYSTEM:
	case CMABUF_HEAP_KIND_UDMABUF:
		return CMABUF_HEAP_CACHED;
	case CMABUF_HEAP_KIND_OTHER:
		break;
	}
	return 0;
}

/*
 * 6.17+ lists the default area as "default_cma_region" and again under
 * its own name: 6.17's CONFIG_DMABUF_HEAPS_CMA_LEGACY, and from 6.19 on
 * add_cma_heaps() gives every CMA area a heap of its name, the default
 * one included ("reserved" after cma=, else its device-tree node; 7.2
 * checked). The same memory, so an alias. A device-tree node decides by
 * "linux,cma-default"; without one, the old names do.
 */
static bool is_default_area_alias(const struct cmabuf_ctx *ctx,
				  const char *name, enum dt_pool dt)
{
	if (strcmp(name, HEAP_NAME_DEFAULT_CMA) == 0 ||
	    !heap_node_exists(ctx, HEAP_NAME_DEFAULT_CMA))
		return false;
	if (dt != DT_NONE)
		return dt == DT_CMA_DEFAULT;
	return heap_name_in(name, heap_names_default_cma);
}

/* a node of the heap directory, by its own name (not a symlink) */
static void classify_node(const struct cmabuf_ctx *ctx, const char *name,
			  struct heap_class *c)
{
	bool uncached = false, dma32 = false;
	char base[NAME_MAX + 1];
	enum dt_pool dt;
	size_t len;

	c->kind = kind_of_name(ctx, name, &dt);
	if (c->kind == CMABUF_HEAP_KIND_OTHER) {
		/* a vendor variant takes the kind of its base name */
		len = heap_name_variant(name, &uncached, &dma32);
		if (len < strlen(name) && len < sizeof(base)) {
			memcpy(base, name, len);
			base[len] = '\0';
			c->kind = kind_of_name(ctx, base, &dt);
		}
	}
	c->flags = kind_flags(c->kind);
	if (c->kind == CMABUF_HEAP_KIND_OTHER)
		return;
	if (uncached)
		c->flags &= ~CMABUF_HEAP_CACHED;
	if (dma32)
		c->flags |= CMABUF_HEAP_DMA32;
	if (!uncached && !dma32 && c->kind == CMABUF_HEAP_KIND_CMA &&
	    is_default_area_alias(ctx, name, dt)) {
		c->flags |= CMABUF_HEAP_ALIAS;
		snprintf(c->alias_of, sizeof(c->alias_of), "%s",
			 HEAP_NAME_DEFAULT_CMA);
	}
}

/*
 * The entry a symlink of the heap directory resolves to, when that is
 * another entry of the same directory (udev's SYMLINK+= links, such as
 * Raspberry Pi OS's vidbuf_cached → linux,cma, or → system on a Pi 5).
 */
static bool link_target(const char *dir, const char *name, char *target,
			size_t size)
{
	char *path, *real = NULL, *rdir = NULL, *slash;
	bool ret = false;
	struct stat st;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return false;
	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		goto out;
	real = realpath(path, NULL);
	rdir = realpath(dir, NULL);
	if (!real || !rdir)
		goto out;
	slash = strrchr(real, '/');
	if ((size_t)(slash - real) == strlen(rdir) &&
	    strncmp(real, rdir, strlen(rdir)) == 0 &&
	    heap_name_valid(slash + 1) && strlen(slash + 1) < size) {
		strcpy(target, slash + 1);
		ret = strcmp(target, name) != 0;
	}
out:
	free(path);
	free(real);
	free(rdir);
	return ret;
}

/* a symlink takes its target's kind and flags and is its alias */
void heap_classify(const struct cmabuf_ctx *ctx, const char *name,
		   struct heap_class *c)
{
	char target[NAME_MAX + 1];

	memset(c, 0, sizeof(*c));
	if (!link_target(cmabuf_ctx_heap_dir(ctx), name, target,
			 sizeof(target))) {
		classify_node(ctx, name, c);
		return;
	}
	classify_node(ctx, target, c);
	if (!(c->flags & CMABUF_HEAP_ALIAS))
		snprintf(c->alias_of, sizeof(c->alias_of), "%s", target);
	c->flags |= CMABUF_HEAP_ALIAS;
}

bool heap_is_dt_default_pool(const struct cmabuf_ctx *ctx, const char *name)
{
	return dt_reserved_node(ctx, name) == DT_CMA_DEFAULT;
}

bool heap_name_is_cma(const struct cmabuf_ctx *ctx, const char *name)
{
	struct heap_class c = { 0 };

	classify_node(ctx, name, &c);
	return c.kind == CMABUF_HEAP_KIND_CMA;
}
