# SPDX-License-Identifier: LGPL-2.1-or-later
"""The C library, loaded with ctypes, and its prototypes.

ctypes rather than cffi's ABI mode: ctypes ships with every CPython, so the
package needs nothing at install time or at run time beyond libcmabuf.so.0
itself (Debian's python3-minimal has it; cffi is a separate package that
busybox guests and small board images often lack). cffi's ABI mode would
parse a C declaration string at import time and then call through the same
libffi; its advantage, declaring structs in C syntax, is small for the one
public struct (struct cmabuf_layout) that Python code fills, and that struct
is checked against its C size (160 bytes) below.

Every prototype is declared once here, so that no call ever relies on
ctypes' default of int for a pointer result (truncated on 64-bit ABIs).
"""

import ctypes
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int,
                    c_int64, c_size_t, c_uint, c_uint32, c_uint64, c_void_p)

SONAME = "libcmabuf.so.0"
#: environment variable naming the library file to load instead of the
#: installed one (the build tree's lib/.libs/libcmabuf.so.0 in the tests)
ENV_LIBRARY = "CMABUF_LIBRARY"

MAX_PLANES = 4
NAME_MAX = 31


def _load() -> ctypes.CDLL:
    path = os.environ.get(ENV_LIBRARY) or SONAME
    try:
        return ctypes.CDLL(path, use_errno=False)
    except OSError as e:
        raise ImportError(
            f"cmabuf: cannot load {path} ({e}); install libcmabuf or set "
            f"{ENV_LIBRARY} to the library file") from e


lib = _load()


# --------------------------------------------------------------- structs
class PlaneLayout(Structure):
    """struct cmabuf_plane_layout: where one plane lies in its buffer."""
    _fields_ = [("offset", c_uint32), ("stride", c_uint32),
                ("height", c_uint32), ("size", c_uint32)]


class LayoutStruct(Structure):
    """struct cmabuf_layout, 160 bytes on every ABI (include/cmabuf.h)."""
    _fields_ = [("fourcc", c_uint32), ("width", c_uint32),
                ("height", c_uint32), ("flags", c_uint),
                ("num_planes", c_uint),
                ("planes", PlaneLayout * MAX_PLANES),
                ("reserved0", c_uint32), ("size", c_uint64),
                ("modifier", c_uint64), ("reserved", c_uint64 * 7)]


class PoolStatsStruct(Structure):
    """struct cmabuf_pool_stats."""
    _fields_ = [("hits", c_uint64), ("misses", c_uint64),
                ("allocations", c_uint64), ("frees", c_uint64),
                ("waits", c_uint64), ("fence_waits", c_uint64),
                ("high_water", c_uint), ("total", c_uint),
                ("in_use", c_uint), ("fenced", c_uint),
                ("reserved", c_uint64 * 8)]


# The C header promises these sizes on every ABI; a mismatch means this
# declaration and include/cmabuf.h disagree, and every layout passed to
# the library would be read wrongly: refuse to import.
assert ctypes.sizeof(PlaneLayout) == 16, "struct cmabuf_plane_layout"
assert ctypes.sizeof(LayoutStruct) == 160, "struct cmabuf_layout"
assert LayoutStruct.size.offset == 88 and LayoutStruct.modifier.offset == 96
assert ctypes.sizeof(PoolStatsStruct) == 128, "struct cmabuf_pool_stats"

# -------------------------------------------------------------- logging
# void (*)(void *userdata, int priority, const char *file, int line,
#          const char *fn, const char *format, va_list args)
# va_list is passed as a pointer-sized value on every Linux ABI ctypes
# runs on (an array decaying to a pointer on x86_64, a pointer to a copy
# of the 32-byte struct on arm64, a pointer on i386 and armhf), so it is
# handed on to vsnprintf() untouched as a c_void_p.
LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_int, c_char_p,
                   c_char_p, c_void_p)

# the C library the interpreter is linked with: no ctypes.util.find_library,
# which runs ldconfig or gcc (x86_64 programs in the arm64 guests)
_libc = ctypes.CDLL(None, use_errno=True)
vsnprintf = _libc.vsnprintf
vsnprintf.argtypes = [c_char_p, c_size_t, c_char_p, c_void_p]
vsnprintf.restype = c_int
fstatfs = _libc.fstatfs
fstatfs.argtypes = [c_int, c_void_p]
fstatfs.restype = c_int

# ----------------------------------------------------------- prototypes
P = c_void_p
PP = POINTER(c_void_p)
_PROTOS = {
    # context
    "cmabuf_ctx_new": (c_int, [PP]),
    "cmabuf_ctx_unref": (P, [P]),
    "cmabuf_set_log_fn": (None, [P, LOG_FN, P]),
    "cmabuf_set_log_priority": (None, [P, c_int]),
    "cmabuf_get_log_priority": (c_int, [P]),
    "cmabuf_ctx_set_sysroot": (c_int, [P, c_char_p]),
    "cmabuf_ctx_set_heap_dir": (c_int, [P, c_char_p]),
    # heaps
    "cmabuf_heap_open": (c_int, [P, c_char_p, c_uint, PP]),
    "cmabuf_heap_enumerate": (c_int, [P, c_uint, PP, c_size_t,
                                      POINTER(c_size_t)]),
    "cmabuf_heap_unref": (P, [P]),
    "cmabuf_heap_get_name": (c_char_p, [P]),
    "cmabuf_heap_get_path": (c_char_p, [P]),
    "cmabuf_heap_get_kind": (c_int, [P]),
    "cmabuf_heap_get_flags": (c_uint, [P]),
    "cmabuf_heap_get_alias_of": (c_char_p, [P]),
    "cmabuf_heap_get_cma_free": (c_int, [P, POINTER(c_uint64)]),
    "cmabuf_heap_get_cma_largest_free": (c_int, [P, POINTER(c_uint64)]),
    # buffers
    "cmabuf_alloc": (c_int, [P, c_size_t, c_uint, PP]),
    "cmabuf_import": (c_int, [P, c_int, PP]),
    "cmabuf_ref": (P, [P]),
    "cmabuf_unref": (P, [P]),
    "cmabuf_get_fd": (c_int, [P]),
    "cmabuf_dup_fd": (c_int, [P]),
    "cmabuf_get_size": (c_size_t, [P]),
    "cmabuf_get_heap_name": (c_char_p, [P]),
    "cmabuf_is_contiguous": (c_int, [P]),
    "cmabuf_set_name": (c_int, [P, c_char_p]),
    "cmabuf_sync_begin": (c_int, [P, c_uint]),
    "cmabuf_sync_end": (c_int, [P, c_uint]),
    # images
    "cmabuf_layout_init": (c_int, [POINTER(LayoutStruct), c_uint32,
                                   c_uint32, c_uint32, c_uint32, c_uint]),
    "cmabuf_image_alloc_layout": (c_int, [P, POINTER(LayoutStruct), PP]),
    "cmabuf_image_unref": (P, [P]),
    "cmabuf_image_get_layout": (POINTER(LayoutStruct), [P]),
    "cmabuf_image_get_num_buffers": (c_uint, [P]),
    "cmabuf_image_get_buffer": (P, [P, c_uint]),
    # buffer pools
    "cmabuf_pool_new": (c_int, [P, c_size_t, c_uint, c_uint, c_uint, PP]),
    "cmabuf_pool_unref": (P, [P]),
    "cmabuf_pool_acquire": (c_int, [P, PP]),
    "cmabuf_pool_acquire_timeout": (c_int, [P, c_int, PP]),
    "cmabuf_pool_release": (c_int, [P, P, c_int]),
    "cmabuf_pool_trim": (c_int, [P, c_uint]),
    "cmabuf_pool_get_size": (c_size_t, [P]),
    "cmabuf_pool_get_stats": (c_int, [P, POINTER(PoolStatsStruct)]),
    # image pools (LIBCMABUF_0.3: bound only when the library has them)
    "cmabuf_image_pool_new": (c_int, [P, POINTER(LayoutStruct), c_uint,
                                      c_uint, c_uint, PP]),
    "cmabuf_image_pool_unref": (P, [P]),
    "cmabuf_image_pool_acquire": (c_int, [P, PP]),
    "cmabuf_image_pool_acquire_timeout": (c_int, [P, c_int, PP]),
    "cmabuf_image_pool_release": (c_int, [P, P, c_int]),
    "cmabuf_image_pool_trim": (c_int, [P, c_uint]),
    "cmabuf_image_pool_get_stats": (c_int, [P, POINTER(PoolStatsStruct)]),
    "cmabuf_image_pool_get_layout": (POINTER(LayoutStruct), [P]),
    "cmabuf_image_get_index": (c_int, [P]),
    "cmabuf_image_sync_begin": (c_int, [P, c_uint]),
    "cmabuf_image_sync_end": (c_int, [P, c_uint]),
    # stats
    "cmabuf_stats_read": (c_int, [P, c_uint, PP]),
    "cmabuf_stats_unref": (P, [P]),
    "cmabuf_stats_get_sources": (c_uint, [P]),
    "cmabuf_stats_get_time_ns": (c_uint64, [P]),
    "cmabuf_stats_has_debugfs": (c_int, [P]),
    "cmabuf_stats_get": (c_int, [P, c_int, POINTER(c_uint64)]),
    "cmabuf_stat_name": (c_char_p, [c_int]),
    "cmabuf_stats_get_area_count": (c_size_t, [P]),
    "cmabuf_stats_area_get_name": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_area_get": (c_int, [P, c_size_t, c_int, POINTER(c_uint64),
                                      POINTER(c_uint64)]),
    "cmabuf_area_stat_name": (c_char_p, [c_int]),
    "cmabuf_stats_area_get_fragmentation": (c_int, [P, c_size_t,
                                                    POINTER(c_double)]),
    "cmabuf_stats_area_get_failure_ratio": (c_int, [P, c_size_t,
                                                    POINTER(c_double)]),
    "cmabuf_stats_get_heap_count": (c_size_t, [P]),
    "cmabuf_stats_heap_get_name": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_heap_get_path": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_heap_get_access": (c_int, [P, c_size_t, POINTER(c_uint32),
                                             POINTER(c_uint32),
                                             POINTER(c_uint32)]),
    "cmabuf_stats_heap_get_area": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_get_buffer_count": (c_size_t, [P]),
    "cmabuf_stats_buffer_get_inode": (c_uint64, [P, c_size_t]),
    "cmabuf_stats_buffer_get_size": (c_uint64, [P, c_size_t]),
    "cmabuf_stats_buffer_get_exporter": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_buffer_get_name": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_buffer_get_holders": (c_size_t, [P, c_size_t,
                                                   POINTER(POINTER(c_int))]),
    "cmabuf_stats_get_process_count": (c_size_t, [P]),
    "cmabuf_stats_process_get_pid": (c_int, [P, c_size_t]),
    "cmabuf_stats_process_get_comm": (c_char_p, [P, c_size_t]),
    "cmabuf_stats_process_get_buffer_count": (c_size_t, [P, c_size_t]),
    "cmabuf_stats_process_get_bytes": (c_uint64, [P, c_size_t]),
    # diagnostics
    "cmabuf_alloc_diagnose": (c_int, [P, P, c_size_t, c_int, PP]),
    "cmabuf_diagnosis_unref": (P, [P]),
    "cmabuf_diagnosis_get_reason": (c_int, [P]),
    "cmabuf_diagnosis_get_message": (c_char_p, [P]),
    "cmabuf_diagnosis_get_space": (c_int, [P, POINTER(c_int64),
                                           POINTER(c_int64),
                                           POINTER(c_int64)]),
    "cmabuf_diag_reason_name": (c_char_p, [c_int]),
}


class _Funcs:
    """The library's functions as attributes; missing ones are None."""


fn = _Funcs()
for _name, (_res, _args) in _PROTOS.items():
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        # a symbol of a newer library version: callers check for None
        setattr(fn, _name[len("cmabuf_"):], None)
        continue
    _f.restype = _res
    _f.argtypes = _args
    setattr(fn, _name[len("cmabuf_"):], _f)


def has(name: str) -> bool:
    """True when the loaded library exports cmabuf_<name>."""
    return getattr(fn, name, None) is not None


# ------------------------------------------------------------- errors
# The last error-priority line the library logged in this thread, so that
# an exception carries the library's own explanation (see context.py).
last_log = threading.local()


def error(err: int, where: str) -> OSError:
    """An OSError (its errno subclass) for a negative errno of the C API."""
    err = abs(err)
    msg = f"{where}: {os.strerror(err)}"
    detail = getattr(last_log, "msg", None)
    if detail:
        msg += f" ({detail})"
    return OSError(err, msg)


def call(f, *args) -> int:
    """Call f; a negative result raises error(). Returns the result."""
    last_log.msg = None
    ret = f(*args)
    if ret < 0:
        raise error(ret, f.__name__)
    return ret


def text(b) -> "str | None":
    return None if b is None else b.decode("utf-8", "replace")


__all__ = ["lib", "fn", "has", "call", "error", "text"]
