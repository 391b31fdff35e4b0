# SPDX-License-Identifier: LGPL-2.1-or-later
"""The statistics API (cmabuf_stats_*) as plain dicts."""

import ctypes
import errno

from . import _lib
from ._lib import fn

MEMINFO, VMSTAT, CMA, HEAPS, BUFFERS, MAPPINGS = (1 << i for i in range(6))


def _names(name_fn):
    """The keys the library knows: its name function is NULL past the
    last one, so new keys of a newer library show up by themselves."""
    key = 0
    while True:
        n = name_fn(key)
        if n is None:
            return
        yield key, n.decode()
        key += 1


def _ratio(f, st, idx):
    v = ctypes.c_double()
    return v.value if f(st, idx, ctypes.byref(v)) == 0 else None


def _areas(st) -> dict:
    out = {}
    raw, val = ctypes.c_uint64(), ctypes.c_uint64()
    for i in range(fn.stats_get_area_count(st)):
        a = {"raw": {}, "bytes": {}}
        for key, name in _names(fn.area_stat_name):
            ret = fn.stats_area_get(st, i, key, ctypes.byref(raw),
                                    ctypes.byref(val))
            if ret == -errno.ENOENT:
                continue
            if ret < 0:
                raise _lib.error(ret, "cmabuf_stats_area_get")
            a["raw"][name] = raw.value
            a["bytes"][name] = val.value
        a["fragmentation"] = _ratio(fn.stats_area_get_fragmentation, st, i)
        a["failure_ratio"] = _ratio(fn.stats_area_get_failure_ratio, st, i)
        out[_lib.text(fn.stats_area_get_name(st, i))] = a
    return out


def _heaps(st) -> dict:
    out = {}
    mode, uid, gid = ctypes.c_uint32(), ctypes.c_uint32(), ctypes.c_uint32()
    for i in range(fn.stats_get_heap_count(st)):
        h = {"path": _lib.text(fn.stats_heap_get_path(st, i)),
             "area": _lib.text(fn.stats_heap_get_area(st, i))}
        if fn.stats_heap_get_access(st, i, ctypes.byref(mode),
                                    ctypes.byref(uid), ctypes.byref(gid)) == 0:
            h.update(mode=mode.value, uid=uid.value, gid=gid.value)
        out[_lib.text(fn.stats_heap_get_name(st, i))] = h
    return out


def _buffers(st) -> list:
    out = []
    pids = ctypes.POINTER(ctypes.c_int)()
    for i in range(fn.stats_get_buffer_count(st)):
        n = fn.stats_buffer_get_holders(st, i, ctypes.byref(pids))
        out.append({"inode": fn.stats_buffer_get_inode(st, i),
                    "size": fn.stats_buffer_get_size(st, i),
                    "exporter": _lib.text(fn.stats_buffer_get_exporter(st, i)),
                    "name": _lib.text(fn.stats_buffer_get_name(st, i)),
                    "holders": [pids[j] for j in range(n)]})
    return out


def _processes(st) -> list:
    return [{"pid": fn.stats_process_get_pid(st, i),
             "comm": _lib.text(fn.stats_process_get_comm(st, i)),
             "buffers": fn.stats_process_get_buffer_count(st, i),
             "bytes": fn.stats_process_get_bytes(st, i)}
            for i in range(fn.stats_get_process_count(st))]


def read(ctx, buffers: bool = False) -> dict:
    """A snapshot (cmabuf_stats_read) as a dict: see cmabuf.stats()."""
    what = MEMINFO | VMSTAT | CMA | HEAPS | (BUFFERS if buffers else 0)
    ptr = ctypes.c_void_p()
    _lib.call(fn.stats_read, ctx._handle(), what, ctypes.byref(ptr))
    st = ptr.value
    try:
        counters = {}
        v = ctypes.c_uint64()
        for key, name in _names(fn.stat_name):
            ret = fn.stats_get(st, key, ctypes.byref(v))
            if ret == -errno.ENOENT:
                continue
            if ret < 0:
                raise _lib.error(ret, "cmabuf_stats_get")
            counters[name] = v.value
        out = {"time_ns": fn.stats_get_time_ns(st),
               "debugfs": fn.stats_has_debugfs(st) == 1,
               "counters": counters,
               "areas": _areas(st),
               "heaps": _heaps(st)}
        if buffers:
            out["buffers"] = _buffers(st)
            out["processes"] = _processes(st)
        return out
    finally:
        fn.stats_unref(st)
