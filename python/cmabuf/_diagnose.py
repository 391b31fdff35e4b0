# SPDX-License-Identifier: LGPL-2.1-or-later
"""Why an allocation failed (cmabuf_alloc_diagnose)."""

import ctypes
import dataclasses
from typing import Optional, Union

from . import _lib
from ._lib import fn


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """The library's explanation of a failed allocation.

    reason: "exhausted", "fragmented", "no-permission", "no-cma-heap",
    "unknown" (cmabuf_diag_reason_name); message: one English sentence;
    total, free, maxchunk: bytes the kernel reported, or None."""
    reason: str
    message: str
    total: Optional[int]
    free: Optional[int]
    maxchunk: Optional[int]

    def __str__(self) -> str:
        return self.message


def _opt(v: ctypes.c_int64) -> Optional[int]:
    return None if v.value < 0 else v.value


def diagnose(err: Union[int, OSError], heap=None, size: int = 0,
             context=None) -> Diagnosis:
    """Explain an allocation failure: err is the OSError raised (or its
    errno), heap the Heap it came from (None: no heap could be opened),
    size the bytes asked for. Uses the default context unless given."""
    if isinstance(err, OSError):
        err = err.errno or 0
    if not isinstance(err, int):
        raise TypeError("err must be an errno or an OSError")
    if context is None:
        from . import default_context
        context = heap.context if heap is not None else default_context()
    out = ctypes.c_void_p()
    _lib.call(fn.alloc_diagnose, context._handle(),
              heap._handle() if heap is not None else None, size,
              -abs(err), ctypes.byref(out))
    try:
        total, free, chunk = ctypes.c_int64(), ctypes.c_int64(), \
            ctypes.c_int64()
        fn.diagnosis_get_space(out, ctypes.byref(total), ctypes.byref(free),
                               ctypes.byref(chunk))
        return Diagnosis(
            _lib.text(fn.diag_reason_name(fn.diagnosis_get_reason(out))),
            _lib.text(fn.diagnosis_get_message(out)) or "",
            _opt(total), _opt(free), _opt(chunk))
    finally:
        fn.diagnosis_unref(out)
