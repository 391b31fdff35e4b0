# SPDX-License-Identifier: LGPL-2.1-or-later
"""The library context and heaps (struct cmabuf_ctx, struct cmabuf_heap)."""

import ctypes
import errno
import enum
import logging
import os
from typing import Iterable, List, Optional, Union

from . import _lib, _log
from ._lib import fn
from ._owned import Owned
from .buffer import Buffer


class HeapKind(enum.Enum):
    """enum cmabuf_heap_kind."""
    OTHER = 0
    CMA = 1
    SYSTEM = 2
    UDMABUF = 3


class HeapFlags(enum.IntFlag):
    """Properties of a heap (CMABUF_HEAP_*)."""
    CONTIGUOUS = 1 << 0
    CACHED = 1 << 1
    ALIAS = 1 << 2
    FALLBACK = 1 << 3
    DMA32 = 1 << 4


_FALLBACKS = {"system": 1 << 0, "udmabuf": 1 << 1}
_ENUM_ALIASES = 1 << 0


class Context(Owned):
    """A libcmabuf context (struct cmabuf_ctx).

    Its log messages go to the logging module: to `logger` (default: the
    "cmabuf" logger), filtered at `log_priority` (a syslog priority, 3 =
    errors ... 7 = debug; default: what the logger's level lets through,
    or the CMABUF_LOG environment variable when set). `sysroot` and
    `heap_dir` read another tree than the live system (tests, captures).
    Use it as a context manager, or call close(); the objects made from it
    stay usable after close().
    """

    _kind = "context"

    def __init__(self, logger: Optional[logging.Logger] = None,
                 log_priority: Optional[int] = None,
                 sysroot: Optional[str] = None,
                 heap_dir: Optional[str] = None):
        ptr = ctypes.c_void_p()
        _lib.call(fn.ctx_new, ctypes.byref(ptr))
        self._ptr = ptr.value
        _log.attach(self._ptr, logger, log_priority)
        if sysroot is not None:
            _lib.call(fn.ctx_set_sysroot, self._ptr, sysroot.encode())
        if heap_dir is not None:
            _lib.call(fn.ctx_set_heap_dir, self._ptr, heap_dir.encode())

    def close(self) -> None:
        """Drop this object's reference to the C context. Idempotent."""
        ptr, self._ptr = self._ptr, None
        if ptr:
            fn.ctx_unref(ptr)

    @property
    def log_priority(self) -> int:
        """The library's log threshold (syslog priority)."""
        return fn.get_log_priority(self._handle())

    @log_priority.setter
    def log_priority(self, priority: int) -> None:
        fn.set_log_priority(self._handle(), int(priority))

    # ------------------------------------------------------------ heaps
    def open_heap(self, name: Optional[str] = None,
                  fallback: Iterable[str] = ()) -> "Heap":
        """Open the heap `name`, or the default CMA heap (name None).

        fallback: "system" and/or "udmabuf", tried in that order when no
        CMA heap can be opened (the heap then has HeapFlags.FALLBACK).
        Raises OSError (FileNotFoundError when there is no such heap; see
        cmabuf_heap_open(3)); with no CMA heap the message says why
        (cmabuf_alloc_diagnose).
        """
        flags = 0
        if isinstance(fallback, str):
            fallback = (fallback,)
        for f in fallback:
            try:
                flags |= _FALLBACKS[f]
            except KeyError:
                raise ValueError(f"unknown fallback {f!r} "
                                 f"(system, udmabuf)") from None
        ptr = ctypes.c_void_p()
        bname = None if name is None else name.encode()
        _lib.last_log.msg = None
        ret = fn.heap_open(self._handle(), bname, flags, ctypes.byref(ptr))
        if ret < 0:
            e = _lib.error(ret, "cmabuf_heap_open")
            if name is None:
                from ._diagnose import diagnose
                d = diagnose(ret, context=self)
                e = OSError(e.errno, f"cmabuf_heap_open: "
                            f"{os.strerror(e.errno)}: {d.message}")
                e.diagnosis = d
            raise e
        return Heap(ptr.value, self)

    def heaps(self, aliases: bool = True) -> List["Heap"]:
        """Every dma-heap of the system (aliases too unless told not),
        not yet opened: each opens on its first allocation."""
        flags = _ENUM_ALIASES if aliases else 0
        count = ctypes.c_size_t()
        _lib.call(fn.heap_enumerate, self._handle(), flags, None, 0,
                  ctypes.byref(count))
        while True:
            arr = (ctypes.c_void_p * max(count.value, 1))()
            n = len(arr)
            _lib.call(fn.heap_enumerate, self._ptr, flags, arr, n,
                      ctypes.byref(count))
            got = [Heap(p, self) for p in arr[:min(n, count.value)]]
            if count.value <= n:
                return got
            for h in got:     # the list grew in between: again
                h.close()

    # ---------------------------------------------------------- buffers
    def import_fd(self, fd: int) -> Buffer:
        """A Buffer of an existing dma-buf descriptor. fd stays the
        caller's (the buffer keeps a duplicate of its own)."""
        if not isinstance(fd, int):
            raise TypeError("fd must be an int")
        ptr = ctypes.c_void_p()
        _lib.call(fn.import_, self._handle(), fd, ctypes.byref(ptr))
        return Buffer(ptr.value, self)

    # ------------------------------------------------------------ stats
    def stats(self, buffers: bool = False) -> dict:
        """See cmabuf.stats()."""
        from ._stats import read
        return read(self, buffers)


# cmabuf_import: "import" is a keyword; the attribute is set here
fn.import_ = getattr(fn, "import")


class Heap(Owned):
    """A dma-heap (struct cmabuf_heap), from Context.open_heap() or
    Context.heaps(). Context manager; close() releases it (buffers
    allocated from it stay valid)."""

    _kind = "heap"

    def __init__(self, ptr: int, ctx: Context):
        self._ptr = ptr
        self._ctx = ctx

    def close(self) -> None:
        """Drop this object's reference to the heap. Idempotent."""
        ptr, self._ptr = self._ptr, None
        if ptr:
            fn.heap_unref(ptr)

    def __repr__(self) -> str:
        if not self._ptr:
            return "<cmabuf.Heap closed>"
        alias = f" alias_of={self.alias_of!r}" if self.alias_of else ""
        return (f"<cmabuf.Heap {self.name!r} {self.kind.name} "
                f"{self.flags!r}{alias}>")

    @property
    def context(self) -> Context:
        return self._ctx

    @property
    def name(self) -> str:
        return _lib.text(fn.heap_get_name(self._handle()))

    @property
    def path(self) -> Optional[str]:
        return _lib.text(fn.heap_get_path(self._handle()))

    @property
    def kind(self) -> HeapKind:
        k = fn.heap_get_kind(self._handle())
        try:
            return HeapKind(k)
        except ValueError:
            return HeapKind.OTHER

    @property
    def flags(self) -> HeapFlags:
        return HeapFlags(fn.heap_get_flags(self._handle()))

    @property
    def alias_of(self) -> Optional[str]:
        """The heap this alias stands for, or None."""
        return _lib.text(fn.heap_get_alias_of(self._handle()))

    def _cma_bytes(self, f) -> Optional[int]:
        v = ctypes.c_uint64()
        ret = f(self._handle(), ctypes.byref(v))
        if ret == -errno.ENOENT:     # the kernel does not tell
            return None
        if ret < 0:
            raise _lib.error(ret, f.__name__)
        return v.value

    @property
    def cma_free(self) -> Optional[int]:
        """Free bytes of the heap's CMA area (None when unknown)."""
        return self._cma_bytes(fn.heap_get_cma_free)

    @property
    def cma_largest_free(self) -> Optional[int]:
        """Largest free run of the CMA area in bytes (needs debugfs)."""
        return self._cma_bytes(fn.heap_get_cma_largest_free)

    # ------------------------------------------------------- allocation
    def alloc(self, size: int, name: Optional[str] = None) -> Buffer:
        """Allocate a buffer of at least size bytes, named `name` (shown
        in fdinfo, 31 bytes kept). A failure raises OSError whose
        .diagnosis (and message) explains it (cmabuf_alloc_diagnose)."""
        if not isinstance(size, int):
            raise TypeError("size must be an int")
        if size < 0:
            raise ValueError("size must not be negative")
        if name is not None and not isinstance(name, str):
            raise TypeError("name must be a str")
        ptr = ctypes.c_void_p()
        _lib.last_log.msg = None
        ret = fn.alloc(self._handle(), size, 0, ctypes.byref(ptr))
        if ret < 0:
            raise self._alloc_error(ret, size)
        buf = Buffer(ptr.value, self._ctx)
        if name is not None:
            try:
                buf.name = name
            except BaseException:
                buf.close()
                raise
        return buf

    def _alloc_error(self, ret: int, size: int) -> OSError:
        from ._diagnose import diagnose
        e = _lib.error(ret, "cmabuf_alloc")
        try:
            d = diagnose(ret, heap=self, size=size)
        except OSError:
            return e
        e = OSError(e.errno, f"cmabuf_alloc: {os.strerror(e.errno)}: "
                    f"{d.message}")
        e.diagnosis = d
        return e

    def alloc_image(self, fourcc: Union[str, int], width: int, height: int,
                    stride_align: int = 0, per_plane: bool = False,
                    name: Optional[str] = None):
        """Allocate an image (cmabuf_image_alloc) of a DRM fourcc such as
        "NV12", "YU12", "XR24", "RG16". See cmabuf.Image."""
        from .image import Layout, Image
        layout = Layout(fourcc, width, height, stride_align, per_plane)
        return Image.alloc(self, layout, name)

    def pool(self, size: int, min: int = 0, max: int = 8,
             implicit_fences: bool = False):
        """A pool of same-size buffers (cmabuf_pool_new): see cmabuf.Pool."""
        from .pool import Pool
        return Pool(self, size, min, max, implicit_fences)

    def image_pool(self, layout, min: int = 0, max: int = 8,
                   implicit_fences: bool = False):
        """A pool of images of one layout (cmabuf_image_pool_new); layout
        is a cmabuf.Layout or a (fourcc, width, height) tuple. Needs a
        library with LIBCMABUF_0.3 (NotImplementedError otherwise)."""
        from .image import ImagePool, Layout
        if isinstance(layout, tuple):
            layout = Layout(*layout)
        return ImagePool(self, layout, min, max, implicit_fences)
