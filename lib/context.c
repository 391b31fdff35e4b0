// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The context and its logging: every other file logs through it and
 * builds its kernel paths from its sysroot and heap directory, so it
 * calls nothing else in the library (tests/test-layering.sh).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcmabuf-private.h"

static void log_stderr(void *userdata, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	(void)userdata;
	(void)priority;
	(void)file;
	(void)line;
	fprintf(stderr, "libcmabuf: %s: ", fn);
	vfprintf(stderr, format, args);
}

void cmabuf_log(const struct cmabuf_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx->log_fn)
		return;
	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

static int log_priority_from_env(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug",
	};
	char *end;
	long prio;
	size_t i;

	errno = 0;
	prio = strtol(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && prio >= 0 && prio <= 7)
		return (int)prio;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return LOG_ERR;
}

CMABUF_EXPORT int cmabuf_ctx_new(struct cmabuf_ctx **out)
{
	struct cmabuf_ctx *ctx;
	const char *env;

	if (!out)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->log_fn = log_stderr;
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("CMABUF_LOG");
	if (env)
		ctx->log_priority = log_priority_from_env(env);
	ctx->sysroot = strdup("");
	ctx->heap_dir = strdup("/dev/dma_heap");
	if (!ctx->sysroot || !ctx->heap_dir) {
		cmabuf_ctx_unref(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

CMABUF_EXPORT struct cmabuf_ctx *cmabuf_ctx_ref(struct cmabuf_ctx *ctx)
{
	if (ctx)
		refcount_inc(&ctx->refcount);
	return ctx;
}

CMABUF_EXPORT struct cmabuf_ctx *cmabuf_ctx_unref(struct cmabuf_ctx *ctx)
{
	if (!ctx || !refcount_dec(&ctx->refcount))
		return NULL;
	free(ctx->sysroot);
	free(ctx->heap_dir);
	telemetry_free(ctx->telemetry);
	free(ctx);
	return NULL;
}

CMABUF_EXPORT void cmabuf_set_log_fn(struct cmabuf_ctx *ctx, cmabuf_log_fn fn,
				     void *userdata)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_data = userdata;
}

CMABUF_EXPORT void cmabuf_set_log_priority(struct cmabuf_ctx *ctx,
					   int priority)
{
	if (ctx)
		ctx->log_priority = priority;
}

CMABUF_EXPORT int cmabuf_get_log_priority(const struct cmabuf_ctx *ctx)
{
	return ctx ? ctx->log_priority : -EINVAL;
}

/* replace *dst by a copy of src without trailing slashes ("" for "/") */
static int set_dir(struct cmabuf_ctx *ctx, char **dst, const char *src)
{
	size_t len;
	char *copy;

	if (!src || src[0] != '/') {
		log_bug_client(ctx, "path must be absolute: %s\n",
			       src ? src : "(null)");
		return -EINVAL;
	}
	len = strlen(src);
	while (len > 0 && src[len - 1] == '/')
		len--;
	copy = strndup(src, len);
	if (!copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

CMABUF_EXPORT int cmabuf_ctx_set_sysroot(struct cmabuf_ctx *ctx,
					 const char *path)
{
	char *sysroot = NULL, *heap_dir = NULL;
	int ret;

	if (!ctx)
		return -EINVAL;
	ret = set_dir(ctx, &sysroot, path);
	if (ret < 0)
		return ret;
	/* both change, or neither does */
	if (!ctx->heap_dir_set &&
	    asprintf(&heap_dir, "%s/dev/dma_heap", sysroot) < 0) {
		free(sysroot);
		return -ENOMEM;
	}
	free(ctx->sysroot);
	ctx->sysroot = sysroot;
	if (heap_dir) {
		free(ctx->heap_dir);
		ctx->heap_dir = heap_dir;
	}
	return 0;
}

CMABUF_EXPORT const char *cmabuf_ctx_get_sysroot(const struct cmabuf_ctx *ctx)
{
	if (!ctx)
		return NULL;
	return ctx->sysroot[0] ? ctx->sysroot : "/";
}

CMABUF_EXPORT int cmabuf_ctx_set_heap_dir(struct cmabuf_ctx *ctx,
					  const char *path)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	if (path && strspn(path, "/") == strlen(path)) {
		log_bug_client(ctx, "heap directory cannot be /\n");
		return -EINVAL;
	}
	ret = set_dir(ctx, &ctx->heap_dir, path);
	if (ret == 0)
		ctx->heap_dir_set = true;
	return ret;
}

CMABUF_EXPORT const char *cmabuf_ctx_get_heap_dir(const struct cmabuf_ctx *ctx)
{
	return ctx ? cmabuf_ctx_heap_dir(ctx) : NULL;
}

char *cmabuf_ctx_path(const struct cmabuf_ctx *ctx, const char *path)
{
	char *p;

	if (asprintf(&p, "%s%s", ctx->sysroot, path) < 0)
		return NULL;
	return p;
}

const char *cmabuf_ctx_heap_dir(const struct cmabuf_ctx *ctx)
{
	return ctx->heap_dir;
}

