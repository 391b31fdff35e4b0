# SPDX-License-Identifier: LGPL-2.1-or-later
"""A drop-in for picamera2's DmaHeap class (picamera2/dma_heap.py).

picamera2 opens a fixed list of heap nodes (/dev/dma_heap/vidbuf_cached,
then /dev/dma_heap/linux,cma) and finds nothing where the CMA heap is
called `reserved` or `default_cma_region`; this class opens the heap
libcmabuf chooses (cmabuf_heap_open), whatever the kernel calls it.
"""

import os
from typing import Optional

from .context import Context


class DmaHeapError(OSError, RuntimeError):
    """No CMA heap could be opened. An OSError with the errno, and a
    RuntimeError like picamera2's "Could not open any dmaHeap device", so
    code catching either keeps working."""


class UniqueFD:
    """libcamera's UniqueFD as picamera2 declares it: get(), release(),
    isValid().

    Like picamera2's class, and unlike libcamera's C++ one, it does NOT
    close its descriptor when garbage collected: picamera2's DmaAllocator
    keeps only fd.get(), drops the object at once and closes the number
    itself later, so closing on collection would pull the buffer from
    under libcamera and make that later os.close() hit whatever reused the
    number. Call close() (or use a with block) to close it yourself.
    """

    def __init__(self, fd: "int | UniqueFD" = -1):
        if isinstance(fd, UniqueFD):
            fd = fd.release()
        self.__fd = fd

    def release(self) -> int:
        """Give up ownership: return the descriptor, leave -1."""
        fd, self.__fd = self.__fd, -1
        return fd

    def get(self) -> int:
        return self.__fd

    def isValid(self) -> bool:  # noqa: N802 - libcamera's name
        return self.__fd >= 0

    def close(self) -> None:
        """Close the descriptor (if any). Idempotent."""
        fd = self.release()
        if fd >= 0:
            os.close(fd)

    def fileno(self) -> int:
        return self.__fd

    def __enter__(self) -> "UniqueFD":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<cmabuf.UniqueFD {self.__fd}>"


class DmaHeap:
    """picamera2's DmaHeap over libcmabuf.

    DmaHeap() opens the default CMA heap, or `name`; it raises DmaHeapError
    (an OSError and a RuntimeError) with the library's reason when there is
    none. alloc(name, size) returns a UniqueFD owning a new dma-buf
    descriptor named `name`; a failure raises OSError with the errno and
    the diagnosis (exhausted, fragmented...) instead of returning an
    invalid UniqueFD.
    """

    def __init__(self, name: Optional[str] = None,
                 context: Optional[Context] = None):
        self._ctx = context or Context()
        try:
            self._heap = self._ctx.open_heap(name)
        except OSError as e:
            raise DmaHeapError(e.errno, "Could not open any dmaHeap device: "
                               + str(e.strerror)) from e

    @property
    def isValid(self) -> bool:  # noqa: N802 - picamera2's name
        return self._heap is not None and not self._heap.closed

    @property
    def heap(self):
        """The cmabuf.Heap opened."""
        return self._heap

    def alloc(self, name: str, size: int) -> UniqueFD:
        if self._heap is None or self._heap.closed:
            raise ValueError("DmaHeap is closed")
        with self._heap.alloc(size, name) as buf:
            return UniqueFD(buf.dup_fd())

    def close(self) -> None:
        """Close the heap (buffers allocated stay valid)."""
        if self._heap is not None:
            self._heap.close()
