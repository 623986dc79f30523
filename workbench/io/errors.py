"""Exceptions raised by the file formats, so callers can tell what went wrong and where."""

from __future__ import annotations

import os


class ExportError(OSError):
    """A file could not be written; nothing was left under the target name.

    ``filename`` is the target path and ``errno`` the operating system's error number
    (e.g. ``errno.ENOSPC`` for a full disk) when there was one.
    """

    def __init__(self, message: str, path: str | os.PathLike[str],
                 errno_: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_
        self.strerror = message
        self.filename = os.fspath(path)

    def __str__(self) -> str:
        return str(self.strerror)


class LoadError(ValueError):
    """A file exists but its content is not what was expected (corrupt, truncated, invalid).

    The message starts with the file name; ``path`` holds it too.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


class AmbiguousLayoutError(ValueError):
    """A weight array's shape fits more than one layout; the caller must say which."""


class ExportCancelled(Exception):
    """The progress callback asked to stop; no file of the export was written."""
