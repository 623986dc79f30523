"""Exceptions raised by the file formats, so callers can tell what went wrong and where."""

from __future__ import annotations

import os
import stat


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


def _file_kind(mode: int) -> str:
    """Name the kind of a non-regular file for messages."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    for test, name in kinds:
        if test(mode):
            return name
    return "a special file"


def require_regular_file(path: str | os.PathLike[str],
                         error: type[LoadError] = LoadError) -> None:
    """Refuse anything but a regular file (pipes, devices, folders) before it is opened.

    Opening a named pipe blocks until someone writes to it and ``/dev/zero`` never ends,
    so every loader calls this first; symbolic links are followed.

    Parameters
    ----------
    path : str or os.PathLike
        The file about to be read.
    error : type, optional
        The :class:`LoadError` subclass to raise (e.g. ``ImageLoadError``).

    Raises
    ------
    LoadError
        Of type ``error``, naming the file, if it is not a regular file.
    OSError
        If it cannot be looked at (missing, permissions), as :func:`os.stat` raises it.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise error(path, f"{_file_kind(mode)}, not a regular file; only regular files "
                          "can be opened")
