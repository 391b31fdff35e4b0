# SPDX-License-Identifier: LGPL-2.1-or-later
"""cmabuf: physically-contiguous dma-buf buffers (libcmabuf) from Python.

A thin ctypes binding of libcmabuf.so.0: the C library finds the CMA heap
whatever the kernel calls it, allocates, names, maps, syncs and pools
buffers, explains failures and reads the CMA statistics.

    import cmabuf

    with cmabuf.Context() as ctx, ctx.open_heap() as heap:
        with heap.alloc(8 << 20, name="frame0") as buf:
            with buf.map() as m, buf.cpu_access(write=True):
                m[:4] = b"\\x00\\x01\\x02\\x03"
            hand_to_device(buf.fd)          # borrowed descriptor

    print(cmabuf.stats()["areas"])

Errors of the library raise OSError (its errno subclass) with the errno
and the library's message; failed allocations carry .diagnosis. The
library's log goes to the "cmabuf" logger. CMABUF_LIBRARY=<path> loads
another library file than the installed libcmabuf.so.0. docs/python.md
has more; each class's docstring tells its part.
"""

import threading
from typing import Optional, Union

from ._lib import ENV_LIBRARY, has as _has
from .buffer import Buffer, is_dmabuf
from .context import Context, Heap, HeapFlags, HeapKind
from ._diagnose import Diagnosis, diagnose as _diagnose
from .dmaheap import DmaHeap, DmaHeapError, UniqueFD
from .image import Image, ImagePool, Layout, Plane, PooledImage
from .pool import Pool, PooledBuffer

__all__ = ["ENV_LIBRARY", "Buffer", "Context", "Diagnosis", "DmaHeap",
           "DmaHeapError", "Heap", "HeapFlags", "HeapKind", "Image",
           "ImagePool", "Layout", "Plane", "Pool", "PooledBuffer",
           "PooledImage", "UniqueFD", "default_context", "diagnose",
           "has_image_pools", "is_dmabuf", "stats"]

_default: Optional[Context] = None
_default_lock = threading.Lock()


def default_context() -> Context:
    """The context module-level functions use (made on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Context()
        return _default


def stats(buffers: bool = False) -> dict:
    """A snapshot of the CMA statistics (cmabuf_stats_read) as a dict:

    time_ns: CLOCK_MONOTONIC time of the snapshot; debugfs: whether debugfs
    cma was readable; counters: {kernel name: value} of /proc/meminfo and
    /proc/vmstat (sizes in bytes); areas: {area name: {"raw": {field:
    kernel number}, "bytes": {field: bytes}, "fragmentation",
    "failure_ratio"}}; heaps: {heap name: {path, area, mode, uid, gid}};
    with buffers=True also "buffers" and "processes" (every process's
    dma-bufs: costlier). Absent kernel files leave their keys out.
    Failures raise OSError.
    """
    return default_context().stats(buffers)


def diagnose(err: Union[int, OSError], heap: Optional[Heap] = None,
             size: int = 0) -> Diagnosis:
    """Why an allocation failed (cmabuf_alloc_diagnose): err is the
    OSError or errno, heap the Heap (None when none could be opened),
    size the request."""
    return _diagnose(err, heap=heap, size=size)


def has_image_pools() -> bool:
    """True when the loaded library has image pools (LIBCMABUF_0.3)."""
    return _has("image_pool_new")
