# SPDX-License-Identifier: LGPL-2.1-or-later
"""The one shape of every Python object that owns a C object's reference."""


class Owned:
    """Owns one reference to a C object (self._ptr, None once closed).

    A context manager: the with block's end calls close(), and so does
    garbage collection. Subclasses set _kind (for the error of a closed
    object) and define close(), which must be idempotent.
    """

    _ptr = None
    _kind = "object"

    def _handle(self) -> int:
        if not self._ptr:
            raise ValueError(f"{self._kind} is closed")
        return self._ptr

    @property
    def closed(self) -> bool:
        return not self._ptr

    def close(self) -> None:  # pragma: no cover - every subclass has one
        raise NotImplementedError

    def __enter__(self):
        self._handle()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
