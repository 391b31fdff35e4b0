# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host suite of the Python package: no kernel feature needed.

Argument errors, the struct declarations against the C compiler, layouts,
heap discovery and statistics on fixture trees, logging, the drop-in's
error paths."""

import ctypes
import errno
import gc
import logging
import os
import subprocess
import sys
import textwrap

import pytest

import cmabuf
from cmabuf import _lib
from conftest import SRCDIR, open_fds, tree_has_image_pools


# ------------------------------------------------------------ structs
def c_facts(tmp_path):
    """sizeof/offsetof of the public structs, from the C compiler."""
    cc = os.environ.get("CC", "cc").split()
    src = tmp_path / "facts.c"
    fields = ["fourcc", "width", "height", "flags", "num_planes", "planes",
              "reserved0", "size", "modifier", "reserved"]
    body = "\n".join(
        f'printf("layout.{f} %zu\\n", offsetof(struct cmabuf_layout, {f}));'
        for f in fields)
    pool = ["hits", "misses", "allocations", "frees", "waits", "fence_waits",
            "high_water", "total", "in_use", "fenced", "reserved"]
    body += "\n".join(
        f'printf("pool.{f} %zu\\n", '
        f'offsetof(struct cmabuf_pool_stats, {f}));' for f in pool)
    src.write_text(textwrap.dedent(f"""\
        #include <stddef.h>
        #include <stdio.h>
        #include <cmabuf.h>
        int main(void) {{
        printf("layout %zu\\n", sizeof(struct cmabuf_layout));
        printf("plane %zu\\n", sizeof(struct cmabuf_plane_layout));
        printf("pool %zu\\n", sizeof(struct cmabuf_pool_stats));
        {body}
        return 0; }}
        """))
    exe = tmp_path / "facts"
    subprocess.run(cc + ["-I", os.path.join(SRCDIR, "include"), str(src),
                         "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True,
                         text=True).stdout
    return dict((k, int(v)) for k, v in (line.split() for line in
                                         out.splitlines()))


def test_structs_match_the_c_header(tmp_path):
    facts = c_facts(tmp_path)
    assert facts["layout"] == ctypes.sizeof(_lib.LayoutStruct) == 160
    assert facts["plane"] == ctypes.sizeof(_lib.PlaneLayout)
    assert facts["pool"] == ctypes.sizeof(_lib.PoolStatsStruct)
    for name, _ in _lib.LayoutStruct._fields_:
        assert facts[f"layout.{name}"] == getattr(_lib.LayoutStruct,
                                                  name).offset, name
    for name, _ in _lib.PoolStatsStruct._fields_:
        assert facts[f"pool.{name}"] == getattr(_lib.PoolStatsStruct,
                                                name).offset, name


def test_every_prototype_is_in_the_library():
    # only the image pool API may be missing (a library older than 0.3)
    missing = [n for n in _lib._PROTOS if not _lib.has(n[len("cmabuf_"):])]
    newer = {n for n in _lib._PROTOS if "image_pool" in n or
             n == "cmabuf_image_get_index"}
    assert set(missing) <= newer, missing


def test_import_fails_cleanly_without_the_library():
    env = dict(os.environ, CMABUF_LIBRARY="/nonexistent/libcmabuf.so.0")
    r = subprocess.run([sys.executable, "-c", "import cmabuf"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "ImportError: cmabuf: cannot load /nonexistent" in r.stderr


# ------------------------------------------------------------ layouts
def test_layout_nv12():
    lay = cmabuf.Layout("NV12", 640, 480)
    assert lay.fourcc == "NV12" and lay.struct.fourcc == 0x3231564E
    assert (lay.width, lay.height, lay.size) == (640, 480, 640 * 480 * 3 // 2)
    y, uv = lay.planes
    assert (y.offset, y.stride, y.height, y.size) == (0, 640, 480, 307200)
    assert (uv.offset, uv.stride, uv.height) == (307200, 640, 240)
    assert not lay.per_plane and lay.modifier == 0


def test_layout_stride_alignment_and_per_plane():
    lay = cmabuf.Layout("NV12", 100, 10, stride_align=256, per_plane=True)
    assert lay.per_plane
    assert [p.stride for p in lay.planes] == [256, 256]
    assert [p.offset for p in lay.planes] == [0, 0]


@pytest.mark.parametrize("args", [("NV12", 0, 480), ("NV12", 640, 0),
                                  ("NOPE", 64, 64), (0, 64, 64),
                                  ("NV12", 64, 64, 3)])
def test_layout_refused_by_the_library(args):
    with pytest.raises(OSError) as e:
        cmabuf.Layout(*args)
    assert e.value.errno == errno.EINVAL
    assert "cmabuf_layout_init" in str(e.value)


@pytest.mark.parametrize("args,exc", [(("NV1", 64, 64), ValueError),
                                      (("NV12x", 64, 64), ValueError),
                                      ((b"NV12", 64, 64), TypeError),
                                      (("NV12", -1, 64), ValueError),
                                      (("NV12", 64.0, 64), TypeError)])
def test_layout_argument_errors(args, exc):
    with pytest.raises(exc):
        cmabuf.Layout(*args)


# -------------------------------------------------------------- heaps
def test_heaps_of_a_raspberry_pi_4(board_tree):
    with cmabuf.Context(sysroot=board_tree("rpi4")) as ctx:
        heaps = {h.name: h for h in ctx.heaps()}
        assert set(heaps) == {"linux,cma", "system", "vidbuf_cached"}
        cma = heaps["linux,cma"]
        assert cma.kind is cmabuf.HeapKind.CMA
        assert cma.flags == cmabuf.HeapFlags.CONTIGUOUS | \
            cmabuf.HeapFlags.CACHED
        assert cma.alias_of is None
        alias = heaps["vidbuf_cached"]
        assert alias.flags & cmabuf.HeapFlags.ALIAS
        assert alias.alias_of == "linux,cma"
        assert heaps["system"].kind is cmabuf.HeapKind.SYSTEM
        assert "vidbuf_cached" not in {h.name for h in
                                       ctx.heaps(aliases=False)}
        with ctx.open_heap() as heap:
            assert heap.name == "linux,cma"
            assert heap.path.endswith("/dev/dma_heap/linux,cma")
            # a regular file stands in for the node: the ioctl says ENOTTY
            with pytest.raises(OSError) as e:
                heap.alloc(4096)
            assert e.value.errno == errno.ENOTTY
            assert e.value.diagnosis.reason in ("unknown", "exhausted")
            assert e.value.strerror.startswith("cmabuf_alloc: ")


def test_open_heap_errors(board_tree, tmp_path):
    with cmabuf.Context(sysroot=board_tree("rpi4")) as ctx:
        with pytest.raises(FileNotFoundError) as e:
            ctx.open_heap("nope")
        assert e.value.errno == errno.ENOENT
        for bad in ("a/b", "..", ""):
            with pytest.raises(OSError) as e:
                ctx.open_heap(bad)
            assert e.value.errno == errno.EINVAL, bad
        with pytest.raises(ValueError):
            ctx.open_heap(fallback=("gpu",))
    empty = tmp_path / "empty"
    (empty / "dev" / "dma_heap").mkdir(parents=True)
    with cmabuf.Context(sysroot=str(empty)) as ctx:
        with pytest.raises(FileNotFoundError) as e:
            ctx.open_heap()
        assert e.value.diagnosis.reason == "no-cma-heap"
        assert "no CMA heap" in str(e.value)
        with pytest.raises(FileNotFoundError):
            ctx.open_heap(fallback="system")
    (empty / "dev" / "dma_heap" / "system").write_text("")
    with cmabuf.Context(sysroot=str(empty)) as ctx:
        with ctx.open_heap(fallback=("system",)) as heap:
            assert heap.name == "system"
            assert heap.flags & cmabuf.HeapFlags.FALLBACK
            assert not heap.flags & cmabuf.HeapFlags.CONTIGUOUS


def test_alloc_argument_errors(board_tree):
    with cmabuf.Context(sysroot=board_tree("rpi4")) as ctx, \
            ctx.open_heap() as heap:
        with pytest.raises(OSError) as e:
            heap.alloc(0)
        assert e.value.errno == errno.EINVAL
        with pytest.raises(OSError) as e:
            heap.alloc(2 ** 64 - 1)
        assert e.value.errno == errno.EOVERFLOW
        with pytest.raises(ValueError):
            heap.alloc(-1)
        with pytest.raises(TypeError):
            heap.alloc(1.5)
        with pytest.raises(TypeError):
            heap.alloc(4096, name=b"x")
        with pytest.raises(OSError) as e:
            heap.pool(0, 0, 2)
        assert e.value.errno == errno.EINVAL
        with pytest.raises(OSError) as e:
            heap.pool(4096, 3, 2)
        assert e.value.errno == errno.EINVAL
        heap.close()
        with pytest.raises(ValueError):
            heap.alloc(4096)


def test_closed_objects_raise_valueerror():
    ctx = cmabuf.Context()
    ctx.close()
    ctx.close()
    with pytest.raises(ValueError):
        ctx.open_heap()
    with pytest.raises(ValueError):
        ctx.import_fd(0)


def test_import_of_what_is_no_dmabuf():
    r, w = os.pipe()
    try:
        assert not cmabuf.is_dmabuf(r)
        with cmabuf.Context() as ctx:
            with pytest.raises(OSError) as e:
                ctx.import_fd(r)
            assert e.value.errno == errno.EINVAL
            with pytest.raises(OSError) as e:
                ctx.import_fd(-1)
            assert e.value.errno == errno.EBADF
            with pytest.raises(TypeError):
                ctx.import_fd("3")
    finally:
        os.close(r)
        os.close(w)
    with pytest.raises(OSError) as e:
        cmabuf.is_dmabuf(r)
    assert e.value.errno == errno.EBADF


# -------------------------------------------------------------- stats
def test_stats_of_a_captured_7_2_guest():
    tree = os.path.join(SRCDIR, "tests", "data", "7.2")
    with cmabuf.Context(sysroot=tree) as ctx:
        st = ctx.stats()
    assert set(st) == {"time_ns", "debugfs", "counters", "areas", "heaps"}
    assert st["counters"]["CmaTotal"] == 128 << 20
    assert list(st["areas"]) == ["reserved"]
    area = st["areas"]["reserved"]
    assert area["bytes"]["total"] == 128 << 20
    assert area["raw"]["total"] == (128 << 20) // 4096
    assert 0 <= area["failure_ratio"] <= 1
    assert set(st["heaps"]) == {"default_cma_region", "reserved", "system"}
    assert st["heaps"]["reserved"]["area"] == "reserved"


def test_module_stats_and_diagnose():
    st = cmabuf.stats()
    assert isinstance(st["areas"], dict)
    d = cmabuf.diagnose(errno.ENOENT)
    assert isinstance(d, cmabuf.Diagnosis)
    assert d.reason in ("no-cma-heap", "unknown") and d.message
    assert cmabuf.diagnose(OSError(errno.ENOENT, "x")).reason == d.reason
    with pytest.raises(TypeError):
        cmabuf.diagnose("ENOMEM")


# ------------------------------------------------------------ logging
def test_log_goes_to_the_logging_module(caplog, board_tree):
    logger = logging.getLogger("cmabuf.test")
    caplog.set_level(logging.DEBUG, logger="cmabuf.test")
    with cmabuf.Context(logger=logger, sysroot=board_tree("rpi4")) as ctx:
        assert ctx.log_priority == 7
        with pytest.raises(OSError):
            ctx.open_heap("a/b")
    recs = [r for r in caplog.records if r.name == "cmabuf.test"]
    bug = [r for r in recs if "client bug" in r.getMessage()]
    assert bug and bug[0].levelno == logging.ERROR
    # formatted by vsnprintf: the name is in the text, no conversion left
    assert "a/b" in bug[0].getMessage() and "%s" not in bug[0].getMessage()
    assert bug[0].pathname.endswith(".c") and bug[0].lineno > 0
    assert bug[0].funcName


def test_log_priority_follows_the_logger(monkeypatch):
    monkeypatch.delenv("CMABUF_LOG", raising=False)
    logger = logging.getLogger("cmabuf.quiet")
    logger.setLevel(logging.ERROR)
    with cmabuf.Context(logger=logger) as ctx:
        assert ctx.log_priority == 3
        ctx.log_priority = 6
        assert ctx.log_priority == 6
    with cmabuf.Context(log_priority=5) as ctx:
        assert ctx.log_priority == 5


def test_exception_carries_the_library_message(board_tree):
    with cmabuf.Context(sysroot=board_tree("rpi4")) as ctx:
        with pytest.raises(OSError) as e:
            ctx.open_heap("..")
    assert "client bug" in str(e.value)


# ---------------------------------------------------------- drop-in
def test_dmaheap_without_cma_heap(tmp_path):
    (tmp_path / "dev" / "dma_heap").mkdir(parents=True)
    ctx = cmabuf.Context(sysroot=str(tmp_path))
    with pytest.raises(RuntimeError) as e:
        cmabuf.DmaHeap(context=ctx)
    assert isinstance(e.value, OSError) and e.value.errno == errno.ENOENT
    assert "Could not open any dmaHeap device" in str(e.value)
    assert "no CMA heap" in str(e.value)


def test_dmaheap_alloc_failure_raises(board_tree):
    heap = cmabuf.DmaHeap(context=cmabuf.Context(sysroot=board_tree("rpi4")))
    assert heap.isValid and heap.heap.name == "linux,cma"
    with pytest.raises(OSError) as e:
        heap.alloc("picamera2-0", 4096)
    assert e.value.errno == errno.ENOTTY
    heap.close()
    assert not heap.isValid


def test_uniquefd_is_picamera2s():
    r, w = os.pipe()
    u = cmabuf.UniqueFD(r)
    assert u.get() == r and u.isValid()
    moved = cmabuf.UniqueFD(u)
    assert not u.isValid() and u.get() == -1 and moved.get() == r
    assert moved.release() == r and not moved.isValid()
    # never closed on collection: picamera2 closes the number itself
    moved = cmabuf.UniqueFD(r)
    del moved
    gc.collect()
    os.fstat(r)
    with cmabuf.UniqueFD(w) as u2:
        assert u2.fileno() == w
    with pytest.raises(OSError):
        os.fstat(w)
    u = cmabuf.UniqueFD(r)
    u.close()
    u.close()
    with pytest.raises(OSError):
        os.fstat(r)
    assert not cmabuf.UniqueFD().isValid()


def test_image_pool_binding():
    # the library has image pools exactly when the tree declares them:
    # neither a stale library nor a binding that misses them passes
    assert cmabuf.has_image_pools() == tree_has_image_pools()
    assert all(_lib.has(n) == tree_has_image_pools()
               for n in ("image_pool_acquire", "image_pool_release",
                         "image_pool_get_layout", "image_get_index"))


def test_image_pool_missing_is_notimplemented(board_tree, monkeypatch):
    monkeypatch.setattr(_lib.fn, "image_pool_new", None)
    with cmabuf.Context(sysroot=board_tree("rpi4")) as ctx, \
            ctx.open_heap() as heap:
        with pytest.raises(NotImplementedError):
            heap.image_pool(("NV12", 64, 64))


def test_no_descriptor_left_behind(board_tree):
    before = open_fds()
    with cmabuf.Context(sysroot=board_tree("rpi4")) as ctx:
        heaps = ctx.heaps()
        h = ctx.open_heap()
        with pytest.raises(OSError):
            h.alloc(4096)
    del heaps, h
    gc.collect()
    assert open_fds() == before
