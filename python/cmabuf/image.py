# SPDX-License-Identifier: LGPL-2.1-or-later
"""Images: plane layouts by DRM fourcc and the buffers holding them."""

import contextlib
import ctypes
import struct
from typing import Iterator, List, NamedTuple, Optional, Union

from . import _lib
from ._lib import fn
from ._owned import Owned
from .buffer import SYNC_READ, SYNC_WRITE, Buffer
from .pool import _PoolBase, stats_dict

PER_PLANE = 1 << 0


def fourcc_code(fourcc: Union[str, int]) -> int:
    """The DRM fourcc number of "NV12" & co (or the number itself)."""
    if isinstance(fourcc, int):
        return fourcc
    if not isinstance(fourcc, str):
        raise TypeError("fourcc must be a 4-character str or an int")
    b = fourcc.encode("ascii")
    if len(b) != 4:
        raise ValueError(f"fourcc {fourcc!r} is not 4 characters")
    return struct.unpack("<I", b)[0]


def fourcc_str(code: int) -> str:
    return struct.pack("<I", code).decode("ascii", "replace")


class Plane(NamedTuple):
    """One plane as libcamera's FrameBuffer.Plane wants it: the dma-buf
    descriptor (borrowed from the image), the byte offset in it, the
    stride (bytes per row) and the length in bytes."""
    fd: int
    offset: int
    stride: int
    length: int


class Layout:
    """Where the planes of an image lie (struct cmabuf_layout, computed
    by cmabuf_layout_init). stride_align 0 means the library's default
    (64 bytes); per_plane puts each plane in a buffer of its own."""

    def __init__(self, fourcc: Union[str, int], width: int, height: int,
                 stride_align: int = 0, per_plane: bool = False):
        for v in (width, height, stride_align):
            if not isinstance(v, int):
                raise TypeError("width, height, stride_align must be int")
            if v < 0:
                raise ValueError("width, height, stride_align must not be "
                                 "negative")
        self.struct = _lib.LayoutStruct()
        _lib.call(fn.layout_init, ctypes.byref(self.struct),
                  fourcc_code(fourcc), width, height, stride_align,
                  PER_PLANE if per_plane else 0)

    @classmethod
    def from_struct(cls, st: _lib.LayoutStruct) -> "Layout":
        self = cls.__new__(cls)
        self.struct = _lib.LayoutStruct.from_buffer_copy(st)
        return self

    fourcc = property(lambda self: fourcc_str(self.struct.fourcc))
    width = property(lambda self: self.struct.width)
    height = property(lambda self: self.struct.height)
    size = property(lambda self: self.struct.size)
    modifier = property(lambda self: self.struct.modifier)
    per_plane = property(lambda self: bool(self.struct.flags & PER_PLANE))

    @property
    def planes(self) -> List[_lib.PlaneLayout]:
        return list(self.struct.planes[:self.struct.num_planes])

    def __repr__(self) -> str:
        planes = ", ".join(f"(+{p.offset} stride {p.stride} x {p.height} "
                           f"= {p.size})" for p in self.planes)
        return (f"<cmabuf.Layout {self.fourcc} {self.width}x{self.height} "
                f"{self.size} bytes: {planes}>")


class Image(Owned):
    """An image (struct cmabuf_image): a layout and its buffers. Context
    manager; close() releases it."""

    _kind = "image"

    def __init__(self, ptr: int, owner):
        self._ptr = ptr
        self._owner = owner
        # one Buffer (and C reference) per buffer, so that planes and
        # brackets need no call per access
        self._buffers = [Buffer(fn.ref(fn.image_get_buffer(ptr, i)), owner)
                         for i in range(fn.image_get_num_buffers(ptr))]

    @classmethod
    def alloc(cls, heap, layout: Layout, name: Optional[str] = None):
        ptr = ctypes.c_void_p()
        _lib.last_log.msg = None
        ret = fn.image_alloc_layout(heap._handle(),
                                    ctypes.byref(layout.struct),
                                    ctypes.byref(ptr))
        if ret < 0:
            raise heap._alloc_error(ret, layout.size)
        img = cls(ptr.value, heap.context)
        try:
            if name is not None:
                for i, b in enumerate(img._buffers):
                    b.name = (name if len(img._buffers) == 1
                              else f"{name}.{i}")
        except BaseException:
            img.close()
            raise
        return img

    def _drop(self, ptr: int) -> None:
        fn.image_unref(ptr)

    def close(self) -> None:
        """Release the image and its buffer references. Idempotent."""
        ptr, self._ptr = self._ptr, None
        if not ptr:
            return
        for b in self._buffers:
            b.close()
        self._drop(ptr)

    @property
    def layout(self) -> Layout:
        return Layout.from_struct(fn.image_get_layout(self._handle())[0])

    @property
    def buffers(self) -> List[Buffer]:
        """The buffers of the image: one, or one per plane."""
        self._handle()
        return list(self._buffers)

    @property
    def planes(self) -> List[Plane]:
        """(fd, offset, stride, length) per plane; the fds are borrowed
        from the image (valid until close())."""
        lay = fn.image_get_layout(self._handle())[0]
        out = []
        for i in range(lay.num_planes):
            p = lay.planes[i]
            buf = self._buffers[i if len(self._buffers) > 1 else 0]
            out.append(Plane(buf.fd, p.offset, p.stride, p.size))
        return out

    @contextlib.contextmanager
    def cpu_access(self, read: bool = True,
                   write: bool = False) -> Iterator["Image"]:
        """Bracket CPU access to every buffer of the image, for a with block.

        cmabuf_image_sync_begin/_end: each distinct buffer once, all or
        nothing; the bracket is ended whatever happens in the block.
        """
        flags = (SYNC_READ if read else 0) | (SYNC_WRITE if write else 0)
        if not flags:
            raise ValueError("cpu_access needs read=True or write=True")
        ptr = self._handle()
        _lib.call(fn.image_sync_begin, ptr, flags)
        try:
            yield self
        finally:
            ret = fn.image_sync_end(ptr, flags)
        if ret < 0:
            raise _lib.error(ret, "cmabuf_image_sync_end")


class PooledImage(Image):
    """An image acquired from an ImagePool: close() gives it back."""

    def __init__(self, ptr: int, pool: "ImagePool"):
        super().__init__(ptr, pool)
        self._pool = pool
        self._fence = -1

    @property
    def index(self) -> int:
        """The image's slot in its pool (cmabuf_image_get_index)."""
        return _lib.call(fn.image_get_index, self._handle())

    def _drop(self, ptr: int) -> None:
        fence, self._fence = self._fence, -1
        try:
            _lib.call(fn.image_pool_release, self._pool._ptr, ptr, fence)
        finally:
            self._pool._returned()

    def release(self, fence_fd: int = -1) -> None:
        """Give the image back; fence_fd (a sync_file or -1) is taken."""
        self._handle()
        self._fence = fence_fd
        self.close()


class ImagePool(_PoolBase):
    """A pool of images of one layout (cmabuf_image_pool_new)."""

    @staticmethod
    def _unref(ptr):
        fn.image_pool_unref(ptr)

    def __init__(self, heap, layout: Layout, min: int = 0, max: int = 8,
                 implicit_fences: bool = False):
        super().__init__(heap)
        if not _lib.has("image_pool_new"):
            raise NotImplementedError(
                "this libcmabuf has no image pools (cmabuf_image_pool_new, "
                "LIBCMABUF_0.3)")
        if min < 0 or max < 0:
            raise ValueError("min and max must not be negative")
        ptr = ctypes.c_void_p()
        _lib.call(fn.image_pool_new, heap._handle(),
                  ctypes.byref(layout.struct), min, max,
                  1 if implicit_fences else 0, ctypes.byref(ptr))
        self._ptr = ptr.value

    def acquire(self, timeout: Optional[float] = 0) -> PooledImage:
        """An image of the pool; timeout as for Pool.acquire()."""
        ptr = ctypes.c_void_p()
        if timeout == 0:
            _lib.call(fn.image_pool_acquire, self._handle(),
                      ctypes.byref(ptr))
        else:
            _lib.call(fn.image_pool_acquire_timeout, self._handle(),
                      self._timeout_ms(timeout), ctypes.byref(ptr))
        self._out += 1
        return PooledImage(ptr.value, self)

    def trim(self, idle_ms: int = 0) -> int:
        return _lib.call(fn.image_pool_trim, self._handle(), idle_ms)

    @property
    def layout(self) -> Layout:
        return Layout.from_struct(
            fn.image_pool_get_layout(self._handle())[0])

    def stats(self) -> dict:
        st = _lib.PoolStatsStruct()
        _lib.call(fn.image_pool_get_stats, self._handle(), ctypes.byref(st))
        return stats_dict(st)
