/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sw_sync is a debugfs test interface whose ioctls are not in the UAPI
 * headers: these match drivers/dma-buf/sw_sync.c (unchanged 4.x..7.x).
 * Needs CONFIG_SW_SYNC and debugfs mounted.
 */
#ifndef SW_SYNC_H
#define SW_SYNC_H

#include <sys/ioctl.h>
#include <linux/types.h>

struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;	/* out: a sync_file fd (O_CLOEXEC) */
};
#define SW_SYNC_IOC_MAGIC 'W'
#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW(SW_SYNC_IOC_MAGIC, 1, __u32)

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"

#endif
