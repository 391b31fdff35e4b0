# SPDX-License-Identifier: LGPL-2.1-or-later
"""Buffers: one dma-buf each (struct cmabuf)."""

import contextlib
import ctypes
import mmap
import os
import weakref
from typing import Iterator, Optional

from . import _lib
from ._lib import fn
from ._owned import Owned

SYNC_READ = 1
SYNC_WRITE = 2
DMA_BUF_MAGIC = 0x444D4142


class Buffer(Owned):
    """A dma-buf buffer of libcmabuf (struct cmabuf).

    Made by Heap.alloc(), Context.import_fd() or a Pool. The buffer owns
    its descriptor and closes it on close() (or when garbage collected);
    use it as a context manager to close it at the end of a block.
    Mappings made by map() stay valid after close() as long as they are
    referenced: the kernel keeps the dma-buf while it is mapped.
    """

    _kind = "buffer"

    def __init__(self, ptr: int, owner, name: Optional[str] = None):
        # owner: the Context (or Pool) whose Python object must outlive
        # this one; ptr holds one C reference this object drops
        self._ptr = ptr
        self._owner = owner
        self._name = name
        self._maps: "weakref.WeakSet[mmap.mmap]" = weakref.WeakSet()

    # ---------------------------------------------------------- lifetime
    def _drop(self, ptr: int) -> None:
        fn.unref(ptr)

    def close(self) -> None:
        """Release the buffer: its descriptor is closed and the mappings
        nobody references any more are unmapped. Idempotent."""
        ptr, self._ptr = self._ptr, None
        if not ptr:
            return
        for m in list(self._maps):
            try:
                m.close()
            except BufferError:
                pass    # a memoryview still uses it: unmapped with it
        self._drop(ptr)

    def __repr__(self) -> str:
        if not self._ptr:
            return "<cmabuf.Buffer closed>"
        return (f"<cmabuf.Buffer fd={self.fd} size={self.size} "
                f"heap={self.heap_name!r} name={self._name!r}>")

    # -------------------------------------------------------- properties
    @property
    def fd(self) -> int:
        """The buffer's descriptor, borrowed: valid until close(); do not
        close it (dup_fd() gives one of your own)."""
        return fn.get_fd(self._handle())

    def dup_fd(self) -> int:
        """A new O_CLOEXEC descriptor of the dma-buf that the caller owns
        and must close (os.close)."""
        return _lib.call(fn.dup_fd, self._handle())

    @property
    def size(self) -> int:
        """Size in bytes (the request rounded up to the page size)."""
        return fn.get_size(self._handle())

    @property
    def heap_name(self) -> Optional[str]:
        """The exporting heap (the exporter's name for imports)."""
        return _lib.text(fn.get_heap_name(self._handle()))

    @property
    def contiguous(self) -> bool:
        """True when the buffer is known to be physically contiguous."""
        return fn.is_contiguous(self._handle()) == 1

    @property
    def name(self) -> Optional[str]:
        """The name given through this object (shown in
        /proc/<pid>/fdinfo/<fd>); setting it names the dma-buf (at most
        31 bytes are kept)."""
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError("buffer name must be a str")
        _lib.call(fn.set_name, self._handle(), name.encode())
        self._name = name

    # ----------------------------------------------------- CPU access
    def map(self, write: bool = True) -> mmap.mmap:
        """Map the whole buffer (MAP_SHARED) and return the mmap object.

        The mapping is valid until its close() (or the with block it is
        used in ends); close() raises BufferError while a memoryview of it
        is alive, so no view can outlive the mapping. Bracket every access
        with cpu_access(): a mapping is not coherent by itself.
        """
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if write else 0)
        m = mmap.mmap(self.fd, self.size, mmap.MAP_SHARED, prot)
        self._maps.add(m)
        return m

    @contextlib.contextmanager
    def cpu_access(self, read: bool = True,
                   write: bool = False) -> Iterator["Buffer"]:
        """Bracket CPU access (cmabuf_sync_begin/_end) for a with block.

        read: the CPU reads what a device wrote; write: the CPU writes
        what a device will read. The bracket is ended whatever happens in
        the block, exceptions included.
        """
        flags = (SYNC_READ if read else 0) | (SYNC_WRITE if write else 0)
        if not flags:
            raise ValueError("cpu_access needs read=True or write=True")
        ptr = self._handle()
        _lib.call(fn.sync_begin, ptr, flags)
        try:
            yield self
        finally:
            ret = fn.sync_end(ptr, flags)
        if ret < 0:
            raise _lib.error(ret, "cmabuf_sync_end")


def is_dmabuf(fd: int) -> bool:
    """True when fd is a dma-buf (its file system is DMA_BUF_MAGIC).

    os.fstatvfs() does not give the file system type, hence fstatfs()."""
    buf = ctypes.create_string_buffer(256)
    if _lib.fstatfs(fd, buf) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    # f_type is the first field (a long) of struct statfs on Linux
    return ctypes.c_long.from_buffer(buf).value == DMA_BUF_MAGIC
