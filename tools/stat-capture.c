// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --capture DIR: the files cmabuf-stat reads, copied from this machine
 * (or from the tree --root names) into a new folder that --root reads
 * back, for a bug report. Only what the library reads is copied: meminfo,
 * vmstat, the CMA areas' sysfs and debugfs files, sysfs dma-buf sizes and
 * exporters, the device tree's reserved-memory properties, the heap nodes
 * (as dev/dma_heap.list, a tree cannot hold device nodes), and of each
 * process only the fdinfo of its dma-bufs, its dma-buf lines of maps and
 * its comm; plus KERNEL (uname, command line), pagesize and dmabuf-dev
 * (the dma-buf filesystem's device, learnt from a page of the system
 * heap: a maps line is a dma-buf's when its device is that one, never by
 * its path, which a process can fake; without it no maps line is kept).
 *
 * Every path is built from numbers (pids, fds, inodes) or from names the
 * kernel gives its own directories (CMA areas, heaps, device-tree nodes);
 * buffer names and comm, which any process sets, are file contents copied
 * byte for byte and never parsed or used in a path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cmabuf-stat.h"

#define MAX_FILE (16u << 20)	/* a 64 GiB area's bitmap is 2 MiB */

struct capture {
	const char *src;	/* "" for the live system */
	int dfd;		/* the new folder */
	unsigned long files, denied;
	int err;		/* first write error: the capture fails */
	bool have_dev;		/* the dma-buf filesystem's device */
	unsigned int dev_major, dev_minor;
};

static char *src_path(const struct capture *c, const char *rel)
{
	char *p;

	return asprintf(&p, "%s/%s", c->src, rel) < 0 ? NULL : p;
}

/* rel's folders below the new folder */
static int make_dirs(struct capture *c, const char *rel)
{
	char buf[PATH_MAX], *s;

	snprintf(buf, sizeof(buf), "%s", rel);
	for (s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(c->dfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static void put(struct capture *c, const char *rel, const void *data,
		size_t len)
{
	const char *p = data;
	int fd;

	if (c->err)
		return;
	c->err = make_dirs(c, rel);
	if (c->err)
		return;
	fd = openat(c->dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0) {
		c->err = -errno;
		return;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && !c->err)
		c->err = -errno;
	if (!c->err)
		c->files++;
}

/* the whole of a file (kernel files report no size), or NULL */
static char *slurp(struct capture *c, const char *rel, size_t *len)
{
	char *path = src_path(c, rel), *buf = NULL, *nb;
	size_t cap = 0;
	ssize_t n;
	int fd;

	*len = 0;
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			c->denied++;
		return NULL;
	}
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = cap <= MAX_FILE ? realloc(buf, cap + 1) : NULL;
			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			if (n == 0) {
				buf[*len] = '\0';
				return buf;
			}
			free(buf);
			return NULL;	/* EIO, or a process gone */
		}
		*len += (size_t)n;
	}
	close(fd);
	free(buf);
	return NULL;
}

static bool copy(struct capture *c, const char *rel)
{
	size_t len;
	char *text = slurp(c, rel, &len);

	if (!text)
		return false;
	put(c, rel, text, len);
	free(text);
	return true;
}

static void copy_list(struct capture *c, const char *dir,
		      const char *const *names)
{
	char rel[2 * PATH_MAX];

	for (; *names; names++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, *names);
		copy(c, rel);
	}
}

static bool all_digits(const char *s)
{
	if (!*s || strlen(s) > 20)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* the entries of a source folder a kernel names: no ".", no "/" */
static DIR *open_src_dir(struct capture *c, const char *rel)
{
	char *path = src_path(c, rel);
	DIR *d = path ? opendir(path) : NULL;

	if (!d && (errno == EACCES || errno == EPERM))
		c->denied++;
	free(path);
	return d;
}

static void capture_kernel(struct capture *c)
{
	struct utsname u;
	size_t len = 0;
	char *cmdline, *text, page[32];

	if (c->src[0]) {	/* a captured tree: its own records */
		copy(c, "KERNEL");
		copy(c, "pagesize");
		return;
	}
	cmdline = slurp(c, "proc/cmdline", &len);
	if (len && cmdline[len - 1] == '\n')
		cmdline[len - 1] = '\0';
	if (uname(&u) == 0 &&
	    asprintf(&text, "release=%s\nmachine=%s\ncmdline=%s\n", u.release,
		     u.machine, cmdline ? cmdline : "") >= 0) {
		put(c, "KERNEL", text, strlen(text));
		free(text);
	}
	free(cmdline);
	snprintf(page, sizeof(page), "%ld\n", sysconf(_SC_PAGESIZE));
	put(c, "pagesize", page, strlen(page));
}

static void capture_areas(struct capture *c)
{
	static const char *const sysfs[] = {
		"alloc_pages_success", "alloc_pages_fail",
		"release_pages_success", "total_pages", "available_pages",
		NULL,
	};
	static const char *const debugfs[] = {
		"base_pfn", "count", "used", "maxchunk", "order_per_bit",
		"bitmap", NULL,
	};
	char rel[PATH_MAX];
	struct dirent *de, *re;
	DIR *d, *r;

	if ((d = open_src_dir(c, "sys/kernel/mm/cma"))) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.') {
				snprintf(rel, sizeof(rel), "sys/kernel/mm/cma/%s",
					 de->d_name);
				copy_list(c, rel, sysfs);
			}
		closedir(d);
	}
	if (!(d = open_src_dir(c, "sys/kernel/debug/cma")))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "sys/kernel/debug/cma/%s",
			 de->d_name);
		copy_list(c, rel, debugfs);
		/* ranges/<n>/ (6.14+): counted, and their own files */
		snprintf(rel, sizeof(rel), "sys/kernel/debug/cma/%s/ranges",
			 de->d_name);
		if (!(r = open_src_dir(c, rel)))
			continue;
		while ((re = readdir(r))) {
			char sub[PATH_MAX + 32];

			if (!all_digits(re->d_name))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", rel, re->d_name);
			copy_list(c, sub, debugfs);
			snprintf(sub, sizeof(sub), "%s/%s/", rel, re->d_name);
			if (!c->err)
				c->err = make_dirs(c, sub);
		}
		closedir(r);
	}
	closedir(d);
}

static void capture_sysfs_buffers(struct capture *c)
{
	static const char *const files[] = { "size", "exporter_name", NULL };
	char rel[PATH_MAX];
	struct dirent *de;
	DIR *d = open_src_dir(c, "sys/kernel/dmabuf/buffers");

	if (!d)
		return;
	while ((de = readdir(d)))
		if (all_digits(de->d_name)) {
			snprintf(rel, sizeof(rel), "sys/kernel/dmabuf/buffers/%s",
				 de->d_name);
			copy_list(c, rel, files);
		}
	closedir(d);
}

static void capture_device_tree(struct capture *c)
{
	static const char *const props[] = {
		"compatible", "status", "reusable", "no-map",
		"linux,cma-default", NULL,
	};
	const char *rm = "proc/device-tree/reserved-memory";
	char rel[PATH_MAX];
	struct dirent *de;
	DIR *d = open_src_dir(c, rm);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(rel, sizeof(rel), "%s/%s", rm, de->d_name);
			copy_list(c, rel, props);
		}
	closedir(d);
}

/*
 * A link between two heap nodes (udev's SYMLINK+=, Raspberry Pi OS's
 * vidbuf_cached) stays a link to its sibling, so that the copy keeps it
 * an alias; any other link becomes a plain stand-in file.
 */
static bool copy_heap_link(struct capture *c, const char *rel)
{
	char *path = src_path(c, rel), *real = NULL, *dir = NULL, *slash;
	bool ret = false;
	struct stat sb;

	if (!path || lstat(path, &sb) < 0 || !S_ISLNK(sb.st_mode))
		goto out;
	real = realpath(path, NULL);
	slash = real ? strrchr(real, '/') : NULL;
	if (!slash)
		goto out;
	*slash = '\0';
	dir = src_path(c, "dev/dma_heap");
	free(path);
	path = dir ? realpath(dir, NULL) : NULL;
	if (!path || strcmp(path, real) != 0 || c->err)
		goto out;
	c->err = make_dirs(c, rel);
	if (!c->err && symlinkat(slash + 1, c->dfd, rel) < 0)
		c->err = -errno;
	ret = true;
out:
	free(path);
	free(real);
	free(dir);
	return ret;
}

/* dev/dma_heap.list ("name mode uid gid major:minor") + empty files */
static void capture_heaps(struct capture *c)
{
	char rel[PATH_MAX], line[PATH_MAX + 64], *list = NULL, *nl;
	size_t len = 0, used = 0;
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if (c->src[0])	/* a captured tree: its list stands */
		copy(c, "dev/dma_heap.list");
	if (!(d = open_src_dir(c, "dev/dma_heap")))
		return;
	while ((de = readdir(d))) {
		char *path;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "dev/dma_heap/%s", de->d_name);
		if (!copy_heap_link(c, rel))
			put(c, rel, "", 0);
		path = src_path(c, rel);
		if (c->src[0] || !path || stat(path, &sb) < 0 ||
		    !S_ISCHR(sb.st_mode)) {
			free(path);
			continue;
		}
		free(path);
		snprintf(line, sizeof(line), "%s 0%o %u %u %u:%u\n", de->d_name,
			 sb.st_mode & 07777, sb.st_uid, sb.st_gid,
			 major(sb.st_rdev), minor(sb.st_rdev));
		if (used + strlen(line) + 1 > len) {
			len = (len + strlen(line)) * 2 + 64;
			if (!(nl = realloc(list, len)))
				break;
			if (!list)
				strcpy(nl, "# name mode uid gid major:minor\n");
			list = nl;
			used = strlen(list);
		}
		strcpy(list + used, line);
		used += strlen(line);
	}
	closedir(d);
	if (list)
		put(c, "dev/dma_heap.list", list, used);
	free(list);
}

static bool is_dmabuf_link(struct capture *c, const char *rel)
{
	char *path = src_path(c, rel), target[128];
	ssize_t n = path ? readlink(path, target, sizeof(target) - 1) : -1;

	free(path);
	if (n < 0)
		return true;	/* no link (a captured tree): look inside */
	target[n] = '\0';
	return strncmp(target, "/dmabuf:", 8) == 0 ||
	       strcmp(target, "anon_inode:dmabuf") == 0;
}

/* a dma-buf's fdinfo has an exp_name line (5.x on); others do not */
static bool is_dmabuf_fdinfo(const char *text)
{
	return strncmp(text, "exp_name:", 9) == 0 ||
	       strstr(text, "\nexp_name:") != NULL;
}

/* a maps line of a dma-buf mapping: its device field is the dma-buf
 * filesystem's (start-end perms offset major:minor inode path) */
static bool is_dmabuf_mapping(const struct capture *c, const char *line,
			      const char *end)
{
	const char *p = line;
	unsigned int maj, min;
	char dev[32];
	size_t n;
	int field;

	for (field = 0; field < 3; field++) {
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	for (n = 0; p + n < end && p[n] != ' ' && p[n] != '\t'; n++)
		;
	if (!c->have_dev || n == 0 || n >= sizeof(dev))
		return false;
	memcpy(dev, p, n);
	dev[n] = '\0';
	return sscanf(dev, "%x:%x", &maj, &min) == 2 &&
	       maj == c->dev_major && min == c->dev_minor;
}

/* one page of the system heap, made and freed (never CMA: it may
 * migrate pages), confirmed a dma-buf by the kernel's fs magic */
static void learn_dmabuf_dev(struct capture *c, struct cmabuf_ctx *ctx)
{
	struct cmabuf_heap *heap = NULL;
	struct cmabuf *buf = NULL;
	struct statfs sfs;
	struct stat sb;
	char text[32];
	int fd;

	if (c->src[0]) {	/* a captured tree: its record */
		copy(c, "dmabuf-dev");
		return;
	}
	/* no system heap is a note below, not an error in the log */
	cmabuf_set_log_priority(ctx, LOG_CRIT);
	if (cmabuf_heap_open(ctx, "system", 0, &heap) == 0 &&
	    cmabuf_alloc(heap, (size_t)sysconf(_SC_PAGESIZE), 0, &buf) == 0) {
		fd = cmabuf_get_fd(buf);
		if (fd >= 0 && fstatfs(fd, &sfs) == 0 &&
		    sfs.f_type == DMA_BUF_MAGIC && fstat(fd, &sb) == 0) {
			c->have_dev = true;
			c->dev_major = major(sb.st_dev);
			c->dev_minor = minor(sb.st_dev);
		}
	}
	cmabuf_unref(buf);
	cmabuf_heap_unref(heap);
	if (!c->have_dev) {
		fprintf(stderr, "cmabuf-stat: --capture: no system heap to "
			"learn the dma-buf device from: mappings not "
			"captured\n");
		return;
	}
	snprintf(text, sizeof(text), "%02x:%02x\n", c->dev_major,
		 c->dev_minor);
	put(c, "dmabuf-dev", text, strlen(text));
}

/* the device a captured tree records, as the library reads it */
static void recorded_dmabuf_dev(struct capture *c)
{
	size_t len;
	char *text = slurp(c, "dmabuf-dev", &len);

	if (text && sscanf(text, "%x:%x", &c->dev_major, &c->dev_minor) == 2)
		c->have_dev = true;
	free(text);
}

static bool capture_maps(struct capture *c, const char *pdir)
{
	char rel[PATH_MAX], *text, *out, *p, *nl;
	size_t len, used = 0;

	snprintf(rel, sizeof(rel), "%s/maps", pdir);
	text = slurp(c, rel, &len);
	if (!text)
		return false;
	out = malloc(len + 1);
	for (p = text; out && (nl = memchr(p, '\n', len - (size_t)(p - text)));
	     p = nl + 1)
		if (is_dmabuf_mapping(c, p, nl)) {
			memcpy(out + used, p, (size_t)(nl - p) + 1);
			used += (size_t)(nl - p) + 1;
		}
	if (used)
		put(c, rel, out, used);
	free(out);
	free(text);
	return used > 0;
}

static void capture_process(struct capture *c, const char *pid)
{
	char pdir[64], rel[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	bool any = false;
	size_t len;
	char *text;
	DIR *d;

	snprintf(pdir, sizeof(pdir), "proc/%s", pid);
	snprintf(rel, sizeof(rel), "%s/fdinfo", pdir);
	if ((d = open_src_dir(c, rel))) {
		while ((de = readdir(d))) {
			if (!all_digits(de->d_name))
				continue;
			snprintf(link, sizeof(link), "%s/fd/%s", pdir,
				 de->d_name);
			if (!is_dmabuf_link(c, link))
				continue;
			snprintf(rel, sizeof(rel), "%s/fdinfo/%s", pdir,
				 de->d_name);
			text = slurp(c, rel, &len);
			if (text && is_dmabuf_fdinfo(text)) {
				put(c, rel, text, len);
				any = true;
			}
			free(text);
		}
		closedir(d);
	}
	if (capture_maps(c, pdir))
		any = true;
	if (any) {
		snprintf(rel, sizeof(rel), "%s/comm", pdir);
		copy(c, rel);
	}
}

static void capture_processes(struct capture *c)
{
	struct dirent *de;
	DIR *d = open_src_dir(c, "proc");

	if (!d)
		return;
	while ((de = readdir(d)))
		if (all_digits(de->d_name))
			capture_process(c, de->d_name);
	closedir(d);
}

/* src: the sysroot ("" for this machine); exit status */
int stat_capture(struct cmabuf_ctx *ctx, const char *src, const char *dest)
{
	struct capture c = { .src = src };

	if (mkdir(dest, 0755) < 0) {
		fprintf(stderr, "cmabuf-stat: --capture %s: %s%s\n", dest,
			strerror(errno), errno == EEXIST ?
			" (give a folder that does not exist yet)" : "");
		return EXIT_FAILURE;
	}
	c.dfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.dfd < 0) {
		fprintf(stderr, "cmabuf-stat: --capture %s: %m\n", dest);
		return EXIT_FAILURE;
	}
	capture_kernel(&c);
	learn_dmabuf_dev(&c, ctx);
	if (src[0])
		recorded_dmabuf_dev(&c);
	copy(&c, "proc/meminfo");
	copy(&c, "proc/vmstat");
	capture_areas(&c);
	capture_sysfs_buffers(&c);
	capture_device_tree(&c);
	capture_heaps(&c);
	capture_processes(&c);
	close(c.dfd);
	if (c.err) {
		fprintf(stderr, "cmabuf-stat: --capture %s: write error: %s\n",
			dest, strerror(-c.err));
		return EXIT_FAILURE;
	}
	fprintf(stderr, "cmabuf-stat: captured %lu files into %s "
		"(read it with cmabuf-stat --root %s)\n", c.files, dest, dest);
	if (c.denied)
		stat_note_denied(src, c.denied);
	return EXIT_SUCCESS;
}
