// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Large files on every ABI (host): the tree is built with 64-bit off_t
 * and ino_t (configure.ac AC_SYS_LARGEFILE, through config.h like every
 * file of the library), so on i686 and armhf lseek() past 2 GiB (a big
 * dma-buf's size, lib/libcmabuf.c) and stat()/readdir() work as on
 * 64-bit. A sparse 3 GiB file stands in for the big dma-buf: without
 * large-file support the 32-bit build fails here with EOVERFLOW/EFBIG.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define BIG ((uint64_t)3 << 30)

START_TEST(test_types_are_64_bit)
{
	ck_assert_uint_eq(sizeof(off_t), 8);
	ck_assert_uint_eq(sizeof(ino_t), 8);
	ck_assert_uint_eq(sizeof(((struct dirent *)0)->d_ino), 8);
}
END_TEST

START_TEST(test_seek_and_stat_past_2_gib)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096], path[4200];
	struct dirent *de;
	struct stat st;
	bool listed = false;
	DIR *d;
	int fd;

	snprintf(dir, sizeof(dir), "%s/cmabuf-largefile.XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	/* sparse: no disk space used */
	ck_assert_msg(ftruncate(fd, (off_t)BIG) == 0, "ftruncate: %s",
		      strerror(errno));
	ck_assert_msg(lseek(fd, 0, SEEK_END) == (off_t)BIG, "lseek: %s",
		      strerror(errno));
	ck_assert_msg(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
	ck_assert_uint_eq((uint64_t)st.st_size, BIG);
	close(fd);
	ck_assert_msg(stat(path, &st) == 0, "stat: %s", strerror(errno));
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, "big") == 0)
			listed = de->d_ino == st.st_ino;
	closedir(d);
	ck_assert(listed);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("largefile");
	TCase *tc = tcase_create("lfs");

	tcase_add_test(tc, test_types_are_64_bit);
	tcase_add_test(tc, test_seek_and_stat_past_2_gib);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
