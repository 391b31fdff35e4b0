// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The examples in the test VM: capture-display (vivid frames into CMA
 * buffers, page-flipped on vkms) must run to the end and report its
 * frame rate; the README's first program (an image pool, image map/sync; extracted
 * into tests/readme-first at build time) must fill its 8 frames from
 * pooled images.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define FRAMES 10

START_TEST(test_capture_display)
{
	struct cmabuf_ctx *ctx = tu_ctx_new();
	struct cmabuf_heap *heap = NULL;
	const char *top = getenv("top_builddir");
	char cmd[4200], line[512];
	int frames_seen = 0, status;
	bool rate = false;
	FILE *p;

	/* the example takes the default CMA heap: it must be there */
	ck_assert_int_eq(cmabuf_heap_open(ctx, NULL, 0, &heap), 0);
	ck_assert_int_eq(cmabuf_heap_get_kind(heap), CMABUF_HEAP_KIND_CMA);
	cmabuf_heap_unref(heap);
	cmabuf_ctx_unref(ctx);

	snprintf(cmd, sizeof(cmd), "%s/examples/capture-display -n %d 2>&1",
		 top && *top ? top : ".", FRAMES);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		fputs(line, stdout);
		if (strncmp(line, "frame ", 6) == 0)
			frames_seen++;
		if (strstr(line, "frames/s"))
			rate = true;
	}
	status = pclose(p);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(frames_seen, FRAMES);
	ck_assert(rate);
}
END_TEST

START_TEST(test_first_image)
{
	const char *top = getenv("top_builddir");
	char cmd[4200], line[512];
	int frames = 0, status, frame, index, fd;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/tests/readme-first 2>&1",
		 top && *top ? top : ".");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		fputs(line, stdout);
		ck_assert_msg(sscanf(line, "frame %d: image %d, dma-buf fd %d",
				     &frame, &index, &fd) == 3, "%s", line);
		ck_assert_int_eq(frame, frames);
		ck_assert_int_ge(index, 0);
		ck_assert_int_lt(index, 4);
		ck_assert_int_ge(fd, 3);
		frames++;
	}
	status = pclose(p);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(frames, 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm-example");
	TCase *tc = tcase_create("example");

	if (tu_missing_cma())
		return tu_cannot_run(tu_missing_cma());
	if (access("/dev/video0", F_OK) != 0 || access("/dev/dri", F_OK))
		return tu_cannot_run("needs vivid and vkms");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_capture_display);
	tcase_add_test(tc, test_first_image);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
