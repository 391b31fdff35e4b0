# SPDX-License-Identifier: LGPL-2.1-or-later
"""Routing the library's log messages to the logging module."""

import ctypes
import logging
import os

from . import _lib

LOGGER_NAME = "cmabuf"

# syslog priority -> logging level
_LEVELS = {0: logging.CRITICAL, 1: logging.CRITICAL, 2: logging.CRITICAL,
           3: logging.ERROR, 4: logging.WARNING, 5: logging.INFO,
           6: logging.INFO, 7: logging.DEBUG}

# loggers by the token passed to C as userdata (0: the "cmabuf" logger)
_loggers: "dict[int, logging.Logger]" = {}


def _emit(userdata, priority, file, line, func, fmt, args):
    # Called from C, possibly from a thread of the library's, possibly
    # while the interpreter shuts down: never let an exception escape
    # into C (ctypes would only print it).
    try:
        buf = ctypes.create_string_buffer(1024)
        _lib.vsnprintf(buf, len(buf), fmt, args)
        msg = buf.value.decode("utf-8", "replace").rstrip("\n")
        if priority <= 3:
            _lib.last_log.msg = msg
        logger = _loggers.get(userdata or 0) or logging.getLogger(LOGGER_NAME)
        level = _LEVELS.get(priority, logging.DEBUG)
        if not logger.isEnabledFor(level):
            return
        rec = logger.makeRecord(logger.name, level,
                                _lib.text(file) or "?", line, msg, (), None,
                                func=_lib.text(func))
        logger.handle(rec)
    except Exception:  # noqa: BLE001 - see above
        pass


# One thunk for the whole process, never freed: C objects (a buffer held by
# a pool, a heap held by a buffer) keep a pointer to their context's log
# function and may outlive every Python object that wraps them, up to
# interpreter shutdown; a freed thunk would be a jump into freed memory.
THUNK = _lib.LOG_FN(_emit)
ctypes.pythonapi.Py_IncRef(ctypes.py_object(THUNK))


def priority_for(logger: logging.Logger) -> int:
    """The syslog priority that lets through what logger would show."""
    level = logger.getEffectiveLevel()
    if level <= logging.DEBUG:
        return 7
    if level <= logging.INFO:
        return 6
    if level <= logging.WARNING:
        return 4
    return 3


def attach(ctx_ptr: int, logger: "logging.Logger | None",
           priority: "int | None") -> None:
    """Route the messages of a C context to logger (default "cmabuf").

    Without an explicit priority the library's threshold follows the
    logger's level, unless CMABUF_LOG chose one (the library reads it)."""
    token = 0
    if logger is not None:
        token = id(logger)
        _loggers[token] = logger
    _lib.fn.set_log_fn(ctx_ptr, THUNK, token or None)
    if priority is None and not os.environ.get("CMABUF_LOG"):
        priority = priority_for(logger or logging.getLogger(LOGGER_NAME))
    if priority is not None:
        _lib.fn.set_log_priority(ctx_ptr, priority)
