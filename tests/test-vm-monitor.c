// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The VM suites are programs (tests/run-vm-suites runs ./NAME, the cross
 * trees build them): this one runs tests/test-vm-monitor.sh, which drives
 * cmabuf-stat with shell tools only (busybox in the arm64 guests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *src = getenv("top_srcdir");
	char script[4096];

	snprintf(script, sizeof(script), "%s/tests/test-vm-monitor.sh",
		 src ? src : ".");
	execl("/bin/sh", "sh", script, (char *)NULL);
	perror("test-vm-monitor: /bin/sh");
	return 1;
}
