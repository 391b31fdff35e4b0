// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Who holds which dma-buf: every process's descriptors (fdinfo) and, with
 * CMABUF_STATS_MAPPINGS, its mappings (maps), merged by inode, plus the
 * kernel's own list in /sys/kernel/dmabuf/buffers (5.13..6.x) for buffers
 * no process shows.
 * A process we may not read is counted, never fatal.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats-private.h"

/* one (buffer, process) pair seen while scanning */
struct hold {
	uint64_t ino;
	uint64_t size;
	int pid;
	bool from_fd;		/* size/exporter from fdinfo, not a mapping */
	char exporter[64];
	char name[64];
};

struct scan {
	struct cmabuf_ctx *ctx;
	char *proc;		/* <sysroot>/proc */
	struct hold *holds;
	size_t nholds, cap;
	struct stats_process *procs;
	size_t nprocs, procs_cap;
	uint64_t scanned, denied;
	bool mappings;		/* CMABUF_STATS_MAPPINGS: read maps too */
	struct dmabuf_dev dev;	/* the dma-buf filesystem's, if mappings */
};

static int hold_add(struct scan *sc, const struct hold *h)
{
	if (sc->nholds == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 64;
		struct hold *n = realloc(sc->holds, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		sc->holds = n;
		sc->cap = cap;
	}
	sc->holds[sc->nholds++] = *h;
	return 0;
}

static char *read_text(const char *path, size_t max, ssize_t *len)
{
	char *text = malloc(max);

	if (!text) {
		*len = -ENOMEM;
		return NULL;
	}
	*len = read_file_at(path, text, max);
	if (*len == -EFBIG)
		*len = (ssize_t)strlen(text);
	if (*len < 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* the fd link says whether the descriptor is a dma-buf, cheaper than fdinfo */
static bool fd_may_be_dmabuf(const char *fddir, const char *fd)
{
	char path[PATH_MAX + NAME_MAX + 16], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", fddir, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno != EINVAL;	/* no link (captured tree): look */
	target[n] = '\0';
	return strncmp(target, "/dmabuf:", 8) == 0 ||
	       strcmp(target, "anon_inode:dmabuf") == 0;
}

static int scan_fd(struct scan *sc, const char *pdir, int pid, const char *fd)
{
	struct fdinfo_dmabuf fi;
	struct hold h = { 0 };
	char path[PATH_MAX + NAME_MAX + 16], *text;
	struct stat sb;
	ssize_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/fdinfo/%s", pdir, fd);
	text = read_text(path, 4096, &len);
	if (!text)
		return len == -ENOMEM ? -ENOMEM : 0;	/* closed meanwhile */
	ret = parse_fdinfo_dmabuf(text, (size_t)len, &fi);
	free(text);
	if (ret <= 0)
		return 0;
	h.ino = fi.ino;
	if (!fi.has_ino) {	/* before 5.14: the link's inode */
		snprintf(path, sizeof(path), "%s/fd/%s", pdir, fd);
		if (stat(path, &sb) == 0)
			h.ino = sb.st_ino;
	}
	h.size = fi.size;
	h.pid = pid;
	h.from_fd = true;
	snprintf(h.exporter, sizeof(h.exporter), "%s", fi.exp_name);
	snprintf(h.name, sizeof(h.name), "%s", fi.name);
	return hold_add(sc, &h);
}

/*
 * A browser or a JVM has tens of thousands of mappings: read maps line by
 * line, in bounded memory, to the end. Each read takes the process's mmap
 * lock, which is why CMABUF_STATS_MAPPINGS is a source of its own. A line
 * is a dma-buf mapping when its device is the dma-buf filesystem's, never
 * by its path (stats-dmabuf-dev.c).
 */
static int scan_maps(struct scan *sc, const char *pdir, int pid)
{
	struct maps_entry m;
	char path[PATH_MAX + 16], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool is;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/maps", pdir);
	f = fopen(path, "re");
	if (!f)
		return 0;	/* exited meanwhile, or not ours to read */
	errno = 0;
	while (ret == 0 && (len = getline(&line, &cap, f)) > 0) {
		struct hold h = { .pid = pid };

		parse_maps_line(line, (size_t)len, &is, &m);
		if (!is || m.major != sc->dev.major ||
		    m.minor != sc->dev.minor)
			continue;
		h.ino = m.ino;
		h.size = m.end - m.start;
		snprintf(h.name, sizeof(h.name), "%s", m.name);
		ret = hold_add(sc, &h);
	}
	if (ret == 0 && errno == ENOMEM)
		ret = -ENOMEM;
	free(line);
	fclose(f);
	return ret;
}

/* comm as the kernel wrote it: only its own trailing newline goes */
static void read_comm(const char *pdir, char *comm, size_t size)
{
	char path[PATH_MAX + 16];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/comm", pdir);
	n = read_file_at(path, comm, size);
	if (n == -EFBIG)
		n = (ssize_t)strlen(comm);
	if (n < 0)
		n = 0;
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n] = '\0';
}

/* a holder: its pid and comm (the counts come in proc_count()) */
static int proc_add(struct scan *sc, const char *pdir, int pid)
{
	struct stats_process *p;

	if (sc->nprocs == sc->procs_cap) {
		size_t cap = sc->procs_cap ? sc->procs_cap * 2 : 16;

		p = realloc(sc->procs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		sc->procs = p;
		sc->procs_cap = cap;
	}
	p = &sc->procs[sc->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	read_comm(pdir, p->comm, sizeof(p->comm));
	return 0;
}

static int scan_process(struct scan *sc, int pid)
{
	size_t first = sc->nholds;
	char pdir[PATH_MAX], fddir[PATH_MAX + 8], dir[PATH_MAX + 8];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	snprintf(pdir, sizeof(pdir), "%s/%d", sc->proc, pid);
	snprintf(dir, sizeof(dir), "%s/fdinfo", pdir);
	snprintf(fddir, sizeof(fddir), "%s/fd", pdir);
	d = opendir(dir);
	if (!d) {
		if (errno == EACCES || errno == EPERM)
			sc->denied++;
		return 0;	/* ENOENT: the process exited meanwhile */
	}
	sc->scanned++;
	while (ret == 0 && (de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' &&
		    fd_may_be_dmabuf(fddir, de->d_name))
			ret = scan_fd(sc, pdir, pid, de->d_name);
	closedir(d);
	if (ret == 0 && sc->mappings)
		ret = scan_maps(sc, pdir, pid);
	if (ret < 0 || sc->nholds == first)
		return ret;
	return proc_add(sc, pdir, pid);
}

static int parse_pid(const char *s)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1L << 30)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

static int scan_processes(struct scan *sc)
{
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(sc->proc);
	if (!d) {
		ret = -errno;
		err(sc->ctx, "cannot read %s: %s\n", sc->proc, strerror(-ret));
		return ret;
	}
	while (ret == 0 && (de = readdir(d))) {
		int pid = parse_pid(de->d_name);

		if (pid > 0)
			ret = scan_process(sc, pid);
	}
	closedir(d);
	return ret;
}

static int cmp_hold(const void *pa, const void *pb)
{
	const struct hold *a = pa, *b = pb;

	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (int)b->from_fd - (int)a->from_fd;	/* fdinfo first */
}

/* holds [0, n), sorted by cmp_hold: whether a descriptor showed ino */
static bool fd_holds_ino(const struct hold *h, size_t n, uint64_t ino)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && h[lo].ino == ino; lo++)
		if (h[lo].from_fd)
			return true;
	return false;
}

/* /sys/kernel/dmabuf/buffers/<ino>/{exporter_name,size} (5.13..6.x) */
static int scan_sysfs_buffers(struct scan *sc)
{
	size_t known = sc->nholds;
	char *dir, path[4200], text[128];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	dir = cmabuf_ctx_path(sc->ctx, "/sys/kernel/dmabuf/buffers");
	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d) {
		free(dir);
		return 0;
	}
	/*
	 * A buffer a descriptor showed has its size and exporter from
	 * fdinfo already: read only the others' files (a scrape of 500
	 * processes x 20 buffers would read 20 000 more).
	 */
	if (known > 1)
		qsort(sc->holds, known, sizeof(*sc->holds), cmp_hold);
	while (ret == 0 && (de = readdir(d))) {
		struct hold h = { .pid = -1, .from_fd = true };
		ssize_t n;

		if (parse_u64_value(de->d_name, strlen(de->d_name), &h.ino) < 0 ||
		    fd_holds_ino(sc->holds, known, h.ino))
			continue;
		snprintf(path, sizeof(path), "%s/%s/size", dir, de->d_name);
		n = read_file_at(path, text, sizeof(text));
		if (n < 0 || parse_u64_value(text, (size_t)n, &h.size) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/exporter_name", dir,
			 de->d_name);
		n = read_file_at(path, text, sizeof(text));
		if (n > 0) {
			text[strcspn(text, "\n")] = '\0';
			snprintf(h.exporter, sizeof(h.exporter), "%.63s", text);
		}
		ret = hold_add(sc, &h);
	}
	closedir(d);
	free(dir);
	return ret;
}

static int cmp_proc(const void *a, const void *b)
{
	return ((const struct stats_process *)a)->pid -
	       ((const struct stats_process *)b)->pid;
}

static char *dup_or_null(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

/* fold the holds [i, j) of one inode into a buffer */
static int merge_buffer(const struct scan *sc, struct stats_buffer *b,
			size_t i, size_t j)
{
	const struct hold *best = NULL;
	size_t k;

	b->ino = sc->holds[i].ino;
	b->pids = calloc(j - i, sizeof(*b->pids));
	if (!b->pids)
		return -ENOMEM;
	for (k = i; k < j; k++) {
		const struct hold *h = &sc->holds[k];

		/* a descriptor's size beats a (possibly partial) mapping's */
		if (!best || (h->from_fd && !best->from_fd) ||
		    (h->from_fd == best->from_fd && h->size > best->size))
			best = h;
		if (!b->name && h->name[0])
			b->name = strdup(h->name);
		if (h->pid < 0 || (b->npids && b->pids[b->npids - 1] == h->pid))
			continue;
		b->pids[b->npids++] = h->pid;
	}
	if (!best)
		return 0;
	b->size = best->size;
	b->exporter = dup_or_null(best->exporter);
	if (!b->exporter)	/* a mapping only: sysfs may know it */
		for (k = i; k < j && !b->exporter; k++)
			b->exporter = dup_or_null(sc->holds[k].exporter);
	return 0;
}

static void proc_count(struct cmabuf_stats *st)
{
	size_t i, k;

	for (i = 0; i < st->nbuffers; i++) {
		for (k = 0; k < st->buffers[i].npids; k++) {
			struct stats_process key = {
				.pid = st->buffers[i].pids[k],
			}, *p;

			p = bsearch(&key, st->procs, st->nprocs, sizeof(key),
				    cmp_proc);
			if (p) {
				p->nbuffers++;
				p->bytes += st->buffers[i].size;
			}
		}
	}
}

/* the end of the run of holds of one inode starting at i */
static size_t same_inode_end(const struct scan *sc, size_t i)
{
	size_t j;

	for (j = i + 1; j < sc->nholds; j++)
		if (sc->holds[j].ino != sc->holds[i].ino ||
		    sc->holds[i].ino == 0)
			break;
	return j;
}

static int build_buffers(struct scan *sc, struct cmabuf_stats *st)
{
	size_t i, n = 0;
	int ret = 0;

	/* qsort() of a NULL array is undefined, even with no elements */
	if (sc->nholds > 1)
		qsort(sc->holds, sc->nholds, sizeof(*sc->holds), cmp_hold);
	if (sc->nprocs > 1)
		qsort(sc->procs, sc->nprocs, sizeof(*sc->procs), cmp_proc);
	st->procs = sc->procs;
	st->nprocs = sc->nprocs;
	sc->procs = NULL;
	/* one allocation: 500 processes x 20 buffers is 10 000 of them */
	for (i = 0; i < sc->nholds; i = same_inode_end(sc, i))
		n++;
	if (n == 0)
		return 0;
	st->buffers = calloc(n, sizeof(*st->buffers));
	if (!st->buffers)
		return -ENOMEM;
	for (i = 0; i < sc->nholds && ret == 0; i = same_inode_end(sc, i))
		ret = merge_buffer(sc, &st->buffers[st->nbuffers++], i,
				   same_inode_end(sc, i));
	if (ret < 0)
		return ret;
	proc_count(st);
	return 0;
}

int dmabuf_scan(struct cmabuf_ctx *ctx, struct cmabuf_stats *st)
{
	struct scan sc = { .ctx = ctx,
			   .mappings = st->what & CMABUF_STATS_MAPPINGS };
	uint64_t bytes = 0;
	size_t i;
	int ret;

	/* no device to check maps lines against: mappings unknown */
	if (sc.mappings && dmabuf_dev_learn(ctx, &sc.dev) < 0) {
		sc.mappings = false;
		st->what &= ~CMABUF_STATS_MAPPINGS;
	}
	sc.proc = cmabuf_ctx_path(ctx, "/proc");
	if (!sc.proc)
		return -ENOMEM;
	ret = scan_processes(&sc);
	if (ret == 0)
		ret = scan_sysfs_buffers(&sc);
	if (ret == 0)
		ret = build_buffers(&sc, st);
	free(sc.holds);
	free(sc.procs);
	free(sc.proc);
	if (ret < 0)
		return ret;
	for (i = 0; i < st->nbuffers; i++)
		bytes += st->buffers[i].size;
	st->raw[CMABUF_STAT_DMABUF_COUNT] = st->nbuffers;
	st->raw[CMABUF_STAT_DMABUF_BYTES] = bytes;
	st->raw[CMABUF_STAT_PROCS_SCANNED] = sc.scanned;
	st->raw[CMABUF_STAT_PROCS_DENIED] = sc.denied;
	st->present |= UINT64_C(1) << CMABUF_STAT_DMABUF_COUNT |
		       UINT64_C(1) << CMABUF_STAT_DMABUF_BYTES |
		       UINT64_C(1) << CMABUF_STAT_PROCS_SCANNED |
		       UINT64_C(1) << CMABUF_STAT_PROCS_DENIED;
	if (sc.denied)
		info(ctx, "%llu processes not readable (EACCES): run as root "
		     "to see their dma-bufs\n", (unsigned long long)sc.denied);
	return 0;
}
