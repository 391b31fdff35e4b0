# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pools of recycled buffers (struct cmabuf_pool)."""

import ctypes
from typing import Optional

from . import _lib
from ._lib import fn
from ._owned import Owned
from .buffer import Buffer


def stats_dict(st: _lib.PoolStatsStruct) -> dict:
    return {k: getattr(st, k) for k, _ in st._fields_ if k != "reserved"}


class _PoolBase(Owned):
    """What buffer and image pools share: the C pool stays referenced
    until close() was called and every object acquired was released,
    because releasing needs the pool."""

    _kind = "pool"

    _unref = None

    def __init__(self, heap):
        self._ptr = None
        self._ctx = heap.context
        self._out = 0
        self._closing = False

    def _handle(self) -> int:
        if self._closing:
            raise ValueError("pool is closed")
        return super()._handle()

    @property
    def closed(self) -> bool:
        return self._closing or not self._ptr

    def _returned(self) -> None:
        self._out -= 1
        if self._closing and self._out == 0:
            self._final()

    def _final(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr:
            type(self)._unref(ptr)

    def close(self) -> None:
        """Release the pool; acquired objects stay valid until released."""
        self._closing = True
        if self._out == 0:
            self._final()

    @staticmethod
    def _timeout_ms(timeout: Optional[float]) -> int:
        if timeout is None:
            return -1
        if timeout < 0:
            raise ValueError("timeout must be None or >= 0")
        return int(timeout * 1000)


class PooledBuffer(Buffer):
    """A buffer acquired from a Pool: close() (or the end of its with
    block) gives it back to the pool instead of freeing it."""

    def __init__(self, ptr: int, pool: "Pool"):
        super().__init__(ptr, pool)
        self._pool = pool
        self._fence = -1

    def _drop(self, ptr: int) -> None:
        fence, self._fence = self._fence, -1
        try:
            # the pool takes the fence in every case, errors included
            _lib.call(fn.pool_release, self._pool._ptr, ptr, fence)
        finally:
            self._pool._returned()

    def release(self, fence_fd: int = -1) -> None:
        """Give the buffer back; fence_fd (a sync_file, or -1) is taken
        by the pool, which reuses the buffer once it signals."""
        self._handle()
        self._fence = fence_fd
        self.close()


class Pool(_PoolBase):
    """A pool of same-size buffers of one heap (cmabuf_pool_new): min are
    allocated at once, up to max in all. Thread-safe in C; acquire()
    returns PooledBuffer objects."""

    _unref = staticmethod(fn.pool_unref)

    def __init__(self, heap, size: int, min: int = 0, max: int = 8,
                 implicit_fences: bool = False):
        super().__init__(heap)
        if size < 0 or min < 0 or max < 0:
            raise ValueError("size, min and max must not be negative")
        ptr = ctypes.c_void_p()
        _lib.call(fn.pool_new, heap._handle(), size, min, max,
                  1 if implicit_fences else 0, ctypes.byref(ptr))
        self._ptr = ptr.value

    def acquire(self, timeout: Optional[float] = 0) -> PooledBuffer:
        """A buffer of the pool. timeout 0 never waits (BlockingIOError,
        EAGAIN, when max buffers are out); None waits forever; seconds
        otherwise (TimeoutError, ETIMEDOUT)."""
        ptr = ctypes.c_void_p()
        if timeout == 0:
            _lib.call(fn.pool_acquire, self._handle(), ctypes.byref(ptr))
        else:
            _lib.call(fn.pool_acquire_timeout, self._handle(),
                      self._timeout_ms(timeout), ctypes.byref(ptr))
        self._out += 1
        return PooledBuffer(ptr.value, self)

    def trim(self, idle_ms: int = 0) -> int:
        """Free idle buffers unused for idle_ms or more (keeping min);
        returns how many were freed."""
        return _lib.call(fn.pool_trim, self._handle(), idle_ms)

    @property
    def buffer_size(self) -> int:
        return fn.pool_get_size(self._handle())

    def stats(self) -> dict:
        """The pool's counters (struct cmabuf_pool_stats) as a dict."""
        st = _lib.PoolStatsStruct()
        _lib.call(fn.pool_get_stats, self._handle(), ctypes.byref(st))
        return stats_dict(st)
