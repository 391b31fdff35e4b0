// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * make bench-gst: CPU time per frame of a camera-to-display pipeline in
 * the test VM, 1280x720 BGRx from vivid's dma-contig instance to vkms:
 *
 *   copy:      v4l2src io-mode=mmap ! kmssink
 *              (kmssink copies every frame into its own dumb buffer)
 *   zero-copy: v4l2src io-mode=dmabuf-import ! cmabufpool ! kmssink
 *              (vivid captures into CMA frames that vkms imports)
 *
 * Runs alternate copy and zero-copy, each in a forked child (GStreamer
 * 1.22's v4l2src leaks itself at NULL, and a fresh process keeps the runs
 * independent). A child measures its own CPU time (getrusage: user +
 * system, all threads) and /proc/vmstat pgmigrate_success from frame
 * WARMUP, when the pool is full and the display configured, to the last
 * frame. Prints the median per frame of each, their ratio (goal <= 0.5)
 * and the pages migrated; it never asserts. QEMU TCG: absolute times are
 * those of an emulated CPU; vivid fills frames in a kernel thread, which
 * is not counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "devices.h"
#include "gstutil.h"
#include "testutil.h"

#define WARMUP 10

static const char *const plugins[] = {
	"coreelements", "video4linux2", "kms", NULL,
};

struct sample {
	uint64_t cpu_ns;	/* from frame WARMUP to the last */
	uint64_t migrated;	/* pgmigrate_success over the same frames */
	uint64_t migrated_all;	/* over the whole run, setup included */
	int frames;		/* frames measured */
	int ok;
};

struct probe {
	int frames;
	uint64_t cpu0, mig0;
};

static GstPadProbeReturn at_display(GstPad *pad, GstPadProbeInfo *info,
				    gpointer data)
{
	struct probe *p = data;

	if (++p->frames == WARMUP) {
		p->cpu0 = gu_cpu_ns();
		tu_vmstat("pgmigrate_success", &p->mig0);
	}
	return GST_PAD_PROBE_OK;
}

static void run_child(const char *desc, int out)
{
	struct sample s = { 0 };
	struct probe p = { 0 };
	GstElement *pipe, *sink;
	struct gu_result res;
	uint64_t mig_start = 0, mig_end = 0;
	GstPad *pad;

	gu_setup(plugins);
	pipe = gu_parse("%s", desc);
	sink = gst_bin_get_by_name(GST_BIN(pipe), "k");
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_display, &p, NULL);
	gst_object_unref(pad);
	gst_object_unref(sink);
	tu_vmstat("pgmigrate_success", &mig_start);
	gu_play(pipe, 300, &res);
	s.cpu_ns = gu_cpu_ns() - p.cpu0;
	tu_vmstat("pgmigrate_success", &mig_end);
	s.migrated = mig_end - p.mig0;
	s.migrated_all = mig_end - mig_start;
	s.frames = p.frames - WARMUP;
	s.ok = res.eos && p.frames > WARMUP;
	if (!s.ok)
		fprintf(stderr, "run failed: %s\n", res.errors);
	if (write(out, &s, sizeof(s)) != (ssize_t)sizeof(s))
		_exit(1);
	_exit(0);
}

static int run(const char *desc, struct sample *s)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		run_child(desc, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], s, sizeof(*s));
	close(fds[0]);
	waitpid(pid, &status, 0);
	return n == (ssize_t)sizeof(*s) && s->ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	int frames = argc > 2 ? atoi(argv[2]) : 60;
	const char *dev = dev_video_path("vivid", V4L2_CAP_VIDEO_CAPTURE_MPLANE);
	char copy[512], zero[512];
	double a[64], b[64], r[64];
	uint64_t mig = 0, mig_all = 0;
	int i, n = 0;

	if (!dev || tu_missing_cma())
		return tu_cannot_run("no vivid dma-contig node or no CMA heap");
	if (runs < 1 || runs > 64 || frames <= WARMUP) {
		fprintf(stderr, "usage: %s [RUNS (1-64)] [FRAMES (> %d)]\n",
			argv[0], WARMUP);
		return 2;
	}
#define CAPS "video/x-raw,format=BGRx,width=1280,height=720"
#define SINK "kmssink name=k driver-name=vkms force-modesetting=true"
	snprintf(copy, sizeof(copy), "v4l2src device=%s io-mode=mmap "
		 "num-buffers=%d ! " CAPS " ! " SINK, dev, frames);
	snprintf(zero, sizeof(zero), "v4l2src device=%s io-mode=dmabuf-import "
		 "num-buffers=%d ! " CAPS " ! cmabufpool ! " SINK, dev, frames);
	printf("gst-bench: %d runs of %d frames (1280x720 BGRx), %s, "
		 "measured from frame %d\n", runs, frames, dev, WARMUP);
	printf("%4s %18s %18s %8s %10s %10s\n", "run", "copy cpu/frame",
	       "zero-copy cpu/fr", "ratio", "migr.", "migr.all");
	for (i = 0; i < runs; i++) {
		struct sample sa, sb;

		if (run(copy, &sa) < 0 || run(zero, &sb) < 0) {
			printf("%4d failed\n", i);
			continue;
		}
		a[n] = (double)sa.cpu_ns / sa.frames;
		b[n] = (double)sb.cpu_ns / sb.frames;
		r[n] = b[n] / a[n];
		mig += sb.migrated;
		mig_all += sb.migrated_all;
		printf("%4d %15.0f us %15.0f us %7.2fx %10llu %10llu\n", i,
		       a[n] / 1e3, b[n] / 1e3, r[n],
		       (unsigned long long)sb.migrated,
		       (unsigned long long)sb.migrated_all);
		n++;
	}
	if (!n) {
		printf("no successful run\n");
		return 1;
	}
	{
		double ma = median(a, n), mb = median(b, n), mr = median(r, n);

		printf("median CPU time per frame: copy %.0f us, zero-copy %.0f "
		       "us: ratio %.2fx (median of per-run ratios; goal <= "
		       "0.5x)\n", ma / 1e3, mb / 1e3, mr);
		printf("pages migrated by zero-copy runs after frame %d: %llu "
		       "(goal 0); whole runs, preallocation included: %llu\n",
		       WARMUP, (unsigned long long)mig,
		       (unsigned long long)mig_all);
		printf("JSON: {\"runs\":%d,\"frames\":%d,\"copy_ns_per_frame\":"
		       "%.0f,\"zero_copy_ns_per_frame\":%.0f,\"ratio\":%.3f,"
		       "\"pgmigrate_after_warmup\":%llu,\"pgmigrate_all\":"
		       "%llu}\n", n, frames, ma, mb, mr,
		       (unsigned long long)mig, (unsigned long long)mig_all);
	}
	return 0;
}
