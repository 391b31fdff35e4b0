# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real-kernel suite of the Python package, run in the QEMU guests
(tests/test-vm-python): real dma-heaps, real dma-bufs, the host's python3.
"""

import errno
import gc
import logging
import os
import resource

import pytest

import cmabuf
from conftest import IN_VM, open_fds, tree_has_image_pools

KERNEL = os.environ.get("CMABUF_VM_KERNEL", "")
ARCH = os.environ.get("CMABUF_VM_ARCH", "")
CMA_BYTES = int(os.environ.get("CMABUF_VM_CMA_BYTES", "0"))
MIB = 1 << 20

# per guest kernel (tests/data holds their captured trees): the default
# CMA heap, the CMA area of --cma bytes behind it, aliases -> their target.
# x86_64 sizes the area with cma= ("reserved"); the arm64 guests' device
# tree has linux,cma and a second pool, camera-pool@60000000 (64 MiB).
EXPECT = {
    "6.1": ("reserved", "reserved", {}),
    "6.12": ("reserved", "reserved", {}),
    "7.2": ("default_cma_region", "reserved",
            {"reserved": "default_cma_region"}),
    "arm64-6.12": ("linux,cma", "linux,cma", {}),
    "arm64-7.2": ("default_cma_region", "linux,cma",
                  {"linux,cma": "default_cma_region"}),
}
DEFAULT_HEAP, AREA, ALIASES = EXPECT.get(KERNEL, (None, None, {}))

if not IN_VM and not os.path.isdir("/dev/dma_heap"):
    pytest.skip("no /dev/dma_heap: run in the test VM (make check-vm)",
                allow_module_level=True)


@pytest.fixture
def heap():
    with cmabuf.Context() as ctx, ctx.open_heap() as h:
        yield h


def fdinfo(fd):
    with open(f"/proc/self/fdinfo/{fd}") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def pattern(size, seed):
    block = bytes((i * 7 + seed) & 0xFF for i in range(4096))
    return block * (size // 4096)


def test_write_then_read_through_a_second_mapping(heap):
    with heap.alloc(8 * MIB, name="py-frame") as buf:
        assert buf.size == 8 * MIB and buf.contiguous
        assert buf.heap_name == heap.name
        data = pattern(buf.size, 3)
        with buf.map(write=True) as m, buf.cpu_access(read=False,
                                                      write=True):
            m[:] = data
        fd = buf.dup_fd()
        try:
            assert fd != buf.fd and cmabuf.is_dmabuf(fd)
            with heap.context.import_fd(fd) as imp:
                assert imp.size == buf.size
                assert imp.heap_name == heap.name
                with imp.map(write=False) as m2, imp.cpu_access(read=True):
                    assert m2[:] == data
                    with pytest.raises(TypeError):
                        m2[0] = 1       # mapped read-only
        finally:
            os.close(fd)


def test_name_shows_in_fdinfo_and_fd_is_a_dmabuf(heap):
    with heap.alloc(MIB, name="py-named") as buf:
        assert cmabuf.is_dmabuf(buf.fd)
        info = fdinfo(buf.fd)
        assert info["name"] == "py-named"
        assert info["exp_name"] == heap.name
        assert int(info["size"]) == MIB
        buf.name = "x" * 40             # the kernel keeps 31 bytes
        assert fdinfo(buf.fd)["name"] == "x" * 31
    r, w = os.pipe()
    try:
        assert not cmabuf.is_dmabuf(r)
    finally:
        os.close(r)
        os.close(w)


def test_no_descriptor_left_open(heap):
    gc.collect()
    before = open_fds()
    buf = heap.alloc(MIB, name="py-close")
    m = buf.map()
    assert len(open_fds()) > len(before)
    buf.close()
    # close() unmapped the unused mapping and closed both descriptors
    assert m.closed
    assert open_fds() == before
    # garbage collection alone does the same
    buf = heap.alloc(MIB)
    m = buf.map()
    mv = memoryview(m)
    del buf, m, mv
    gc.collect()
    assert open_fds() == before
    # and so do images, pools and the drop-in
    img = heap.alloc_image("NV12", 640, 480)
    pool = heap.pool(MIB, 1, 2)
    b = pool.acquire()
    d = cmabuf.DmaHeap()
    del img, pool, b, d
    gc.collect()
    assert open_fds() == before


def test_mapping_outlives_buffer_while_viewed(heap):
    buf = heap.alloc(MIB)
    m = buf.map()
    view = memoryview(m)
    with buf.cpu_access(write=True):
        view[:4] = b"abcd"
    buf.close()
    # the view keeps the mapping (and so the dma-buf) alive: no dangling
    # pointer, and the mapping refuses to close under it
    assert bytes(view[:4]) == b"abcd"
    with pytest.raises(BufferError):
        m.close()
    view.release()
    m.close()
    with pytest.raises(ValueError):
        buf.fd
    with pytest.raises(ValueError):
        buf.map()
    with pytest.raises(ValueError):
        with buf.cpu_access():
            pass


def test_bracket_ends_on_exception(heap, caplog):
    with heap.alloc(MIB) as buf:
        with pytest.raises(KeyError):
            with buf.cpu_access(read=True, write=True):
                raise KeyError("x")
        # the bracket was closed: the library did not see a begin without
        # its end (it logs a client bug when the buffer is released)
        caplog.set_level(logging.DEBUG, logger="cmabuf")
    assert not [r for r in caplog.records if "client bug" in r.getMessage()]
    with pytest.raises(ValueError):
        with heap.alloc(MIB) as buf, buf.cpu_access(read=False):
            pass


def test_documented_errors(heap):
    with pytest.raises(OSError) as e:
        heap.alloc(0)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        heap.alloc(2 ** 64 - 1)
    assert e.value.errno == errno.EOVERFLOW
    # more than the whole CMA area: ENOMEM, explained
    with pytest.raises(OSError) as e:
        heap.alloc(CMA_BYTES + MIB)
    assert e.value.errno == errno.ENOMEM
    assert e.value.diagnosis.reason == "exhausted"
    assert e.value.diagnosis.total == CMA_BYTES
    assert "exhausted" in str(e.value) or "free" in str(e.value)
    assert cmabuf.diagnose(e.value, heap, CMA_BYTES + MIB).reason == \
        "exhausted"
    with pytest.raises(FileNotFoundError):
        heap.context.open_heap("no-such-heap")
    with pytest.raises(OSError) as e:
        heap.context.open_heap("../null")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        heap.context.import_fd(-1)
    assert e.value.errno == errno.EBADF
    with pytest.raises(OSError) as e:
        heap.context.import_fd(0x7FFF)
    assert e.value.errno == errno.EBADF
    r, w = os.pipe()
    try:
        with pytest.raises(OSError) as e:
            heap.context.import_fd(r)
        assert e.value.errno == errno.EINVAL
    finally:
        os.close(r)
        os.close(w)


def test_emfile(heap):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    gc.collect()
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(int(f) for f in
                                                    open_fds()) + 1, hard))
    fill = []
    try:
        while True:             # take the free numbers below the limit
            try:
                fill.append(os.open("/dev/null", os.O_RDONLY))
            except OSError as e:
                assert e.errno == errno.EMFILE
                break
        with pytest.raises(OSError) as e:
            heap.alloc(MIB)
        assert e.value.errno == errno.EMFILE
    finally:
        for fd in fill:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_heaps_of_the_kernel():
    assert DEFAULT_HEAP, f"unknown guest kernel {KERNEL!r}"
    with cmabuf.Context() as ctx:
        heaps = {h.name: h for h in ctx.heaps()}
        assert heaps["system"].kind is cmabuf.HeapKind.SYSTEM
        dflt = heaps[DEFAULT_HEAP]
        assert dflt.kind is cmabuf.HeapKind.CMA
        assert dflt.flags & cmabuf.HeapFlags.CONTIGUOUS
        assert dflt.alias_of is None
        for alias, target in ALIASES.items():
            assert heaps[alias].flags & cmabuf.HeapFlags.ALIAS
            assert heaps[alias].alias_of == target
        assert {h.name for h in ctx.heaps(aliases=False)} == \
            set(heaps) - set(ALIASES)
        with ctx.open_heap() as h:
            assert h.name == DEFAULT_HEAP
            assert h.cma_free is not None and 0 < h.cma_free <= CMA_BYTES
        with ctx.open_heap("system") as h:
            with h.alloc(MIB) as b:
                assert not b.contiguous


PICAMERA2_HEAPS = ["/dev/dma_heap/vidbuf_cached", "/dev/dma_heap/linux,cma"]


def test_dmaheap_drop_in():
    heap = cmabuf.DmaHeap()
    assert heap.isValid
    fd = heap.alloc("picamera2-0", 4 * MIB)
    assert fd.isValid() and cmabuf.is_dmabuf(fd.get())
    assert fdinfo(fd.get())["name"] == "picamera2-0"
    assert os.fstat(fd.get()).st_size in (0, 4 * MIB)
    # picamera2's DmaAllocator keeps fd.get(), drops the object and closes
    # the number itself: collection must not close it
    num = fd.get()
    del fd
    gc.collect()
    assert cmabuf.is_dmabuf(num)
    os.close(num)
    with pytest.raises(OSError) as e:
        heap.alloc("picamera2-big", CMA_BYTES * 2)
    assert e.value.errno == errno.ENOMEM
    assert e.value.diagnosis.reason == "exhausted"
    heap.close()
    assert not heap.isValid


def test_dmaheap_where_picamera2_finds_none():
    # picamera2's own list, as its DmaHeap tries it: x86_64 kernels call
    # the cma= area's heap "reserved" (7.2 adds "default_cma_region"), so
    # it finds nothing there; the arm64 guests have linux,cma
    found = []
    for name in PICAMERA2_HEAPS:
        try:
            os.close(os.open(name, os.O_CLOEXEC | os.O_RDWR))
            found.append(name)
        except FileNotFoundError:
            pass
    assert found == ([] if ARCH == "x86_64"
                     else ["/dev/dma_heap/linux,cma"])
    heap = cmabuf.DmaHeap()
    assert heap.heap.name == DEFAULT_HEAP
    with heap.alloc("picamera2-1", 2 * MIB) as fd:
        assert cmabuf.is_dmabuf(fd.get())
    heap.close()


def test_images(heap):
    with heap.alloc_image("NV12", 1920, 1080, name="py-nv12") as img:
        lay = img.layout
        assert (lay.fourcc, lay.width, lay.height) == ("NV12", 1920, 1080)
        (y, uv) = img.planes
        assert y.fd == uv.fd == img.buffers[0].fd
        assert (y.offset, y.stride, y.length) == (0, 1920, 1920 * 1080)
        assert (uv.offset, uv.stride, uv.length) == (1920 * 1080, 1920,
                                                     1920 * 540)
        assert fdinfo(y.fd)["name"] == "py-nv12"
        with img.buffers[0].map() as m, img.cpu_access(write=True):
            m[uv.offset:uv.offset + 4] = b"\x80\x80\x80\x80"
    with heap.alloc_image("NV12", 640, 480, per_plane=True,
                          name="py-nv12m") as img:
        y, uv = img.planes
        assert y.fd != uv.fd and y.offset == uv.offset == 0
        assert [fdinfo(p.fd)["name"] for p in img.planes] == \
            ["py-nv12m.0", "py-nv12m.1"]
    with pytest.raises(OSError) as e:
        heap.alloc_image("NV12", 1 << 14, 1 << 14)
    assert e.value.errno in (errno.ENOMEM, errno.EINVAL)


def test_buffer_pool(heap):
    with heap.pool(MIB, min=1, max=2) as pool:
        assert pool.buffer_size == MIB
        a = pool.acquire()
        b = pool.acquire()
        with pytest.raises(BlockingIOError) as e:
            pool.acquire()
        assert e.value.errno == errno.EAGAIN
        with pytest.raises(TimeoutError) as e:
            pool.acquire(timeout=0.05)
        assert e.value.errno == errno.ETIMEDOUT
        a.release()
        with pool.acquire(timeout=None) as c:
            assert cmabuf.is_dmabuf(c.fd)
        b.close()
        st = pool.stats()
        assert st["allocations"] == 2 and st["in_use"] == 0
        assert st["hits"] >= 1 and st["waits"] >= 2
        assert pool.trim(0) == 1
    # buffers acquired outlive the pool object's close()
    pool = heap.pool(MIB, 0, 1)
    buf = pool.acquire()
    pool.close()
    with buf.map() as m, buf.cpu_access(write=True):
        m[:2] = b"ok"
    buf.close()


def test_image_pool(heap):
    # a tree without image pools (LIBCMABUF_0.3) builds a library without
    # them: the binding must say so, and refuse
    if not tree_has_image_pools():
        assert not cmabuf.has_image_pools()
        with pytest.raises(NotImplementedError):
            heap.image_pool(("NV12", 320, 240))
        return
    assert cmabuf.has_image_pools()
    with heap.image_pool(("NV12", 320, 240), min=1, max=2) as pool:
        assert pool.layout.fourcc == "NV12"
        a = pool.acquire()
        b = pool.acquire()
        assert {a.index, b.index} == {0, 1}
        with pytest.raises(BlockingIOError):
            pool.acquire()
        assert [len(a.planes), a.planes[1].offset] == [2, 320 * 240]
        a.release()
        with pool.acquire(timeout=1) as c:
            assert c.index in (0, 1)
        b.close()
        assert pool.stats()["in_use"] == 0


def test_stats():
    with cmabuf.Context() as ctx, \
            ctx.open_heap() as heap, heap.alloc(MIB, name="py-stats"):
        st = cmabuf.stats(buffers=True)
        # arm64: the camera pool's area counts in CmaTotal too
        assert st["counters"]["CmaTotal"] == CMA_BYTES + \
            (64 * MIB if ARCH == "arm64" else 0)
        assert st["areas"][AREA]["bytes"]["total"] == CMA_BYTES
        assert st["heaps"][heap.name]["area"] == AREA
        mine = [b for b in st["buffers"] if b["name"] == "py-stats"]
        assert mine and os.getpid() in mine[0]["holders"]
        assert mine[0]["exporter"] == heap.name
        assert any(p["pid"] == os.getpid() for p in st["processes"])
