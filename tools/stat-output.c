// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * --output FILE: the view goes to a temporary file in FILE's folder
 * (".NAME.XXXXXX": node_exporter's textfile collector reads *.prom only),
 * which is flushed, synced and renamed over FILE with mode 0644. A scrape
 * reads the old file or the new one, never half of one; on a write error
 * the temporary file goes and FILE stays as it was.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmabuf-stat.h"

static char *tmp_path;
static const char *dest_path;
static int saved_stdout = -1;

int output_begin(const char *dest)
{
	char *copy = strdup(dest), *base, *dir;
	int fd;

	if (!copy)
		return -ENOMEM;
	/* dirname() and basename() may modify their argument: two copies */
	base = strdup(basename(copy));
	dir = dirname(copy);
	if (!base || asprintf(&tmp_path, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp_path = NULL;
		free(base);
		free(copy);
		return -ENOMEM;
	}
	free(base);
	free(copy);
	fd = mkstemp(tmp_path);
	if (fd < 0 || fchmod(fd, 0644) < 0 || fflush(stdout) != 0 ||
	    (saved_stdout = dup(STDOUT_FILENO)) < 0 ||
	    dup2(fd, STDOUT_FILENO) < 0) {
		int err = errno;

		fprintf(stderr, "cmabuf-stat: %s: cannot write a temporary file"
			" beside it: %s\n", dest, strerror(err));
		if (fd >= 0) {
			close(fd);
			unlink(tmp_path);
		}
		free(tmp_path);
		tmp_path = NULL;
		return -err;
	}
	close(fd);
	dest_path = dest;
	return 0;
}

/* EXIT_SUCCESS when FILE holds the whole view, else EXIT_FAILURE */
int output_end(void)
{
	int err = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		err = errno ? errno : EIO;
	else if (fsync(STDOUT_FILENO) < 0)
		err = errno;
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	if (!err && rename(tmp_path, dest_path) < 0)
		err = errno;
	if (err) {
		fprintf(stderr, "cmabuf-stat: %s: write error, left as it was:"
			" %s\n", dest_path, strerror(err));
		unlink(tmp_path);
	}
	free(tmp_path);
	tmp_path = NULL;
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
