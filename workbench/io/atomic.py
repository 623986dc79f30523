"""Writing files so that a crash, a full disk or a refused overwrite never leaves damage.

Every file is first written to a hidden temporary file in the target folder (same file
system, so the final rename is atomic), flushed to disk, then moved into place. Until that
rename, the target name holds either nothing or the old content, never a truncated file.
Without ``overwrite=True`` an existing file is never replaced: the rename is done by
hard-linking, which fails if the name was taken in the meantime.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from workbench.io.errors import ExportError

TEMP_PREFIX = ".~"
"""Temporary files start with this, so they are hidden and easy to recognise."""

_MAX_NAME_BYTES = 255


def temp_path_for(path: Path) -> Path:
    """Return a fresh temporary file name next to ``path``, keeping its extension.

    Parameters
    ----------
    path : pathlib.Path
        The target file.

    Returns
    -------
    pathlib.Path
        ``<folder>/.~<random>-<name>`` (or ``.~<random><suffix>`` for very long names).
    """
    token = secrets.token_hex(4)
    name = f"{TEMP_PREFIX}{token}-{path.name}"
    if len(name.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES:
        name = f"{TEMP_PREFIX}{token}{path.suffix}"
    return path.with_name(name)


def export_error(path: Path, exc: OSError) -> ExportError:
    """Turn an operating-system error on ``path`` into an :class:`ExportError` with a clear text.

    Parameters
    ----------
    path : pathlib.Path
        The file that was being written.
    exc : OSError
        The original error.

    Returns
    -------
    ExportError
        Naming the file and the cause, keeping ``errno``.
    """
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        reason = "the disk is full (no space left on device)"
    elif code in (errno.EACCES, errno.EPERM):
        reason = f"permission denied in folder {path.parent}"
    elif code == errno.EROFS:
        reason = "the file system is read-only"
    elif code == errno.ENOENT:
        reason = f"the folder {path.parent} does not exist"
    else:
        reason = exc.strerror or str(exc) or type(exc).__name__
    return ExportError(f"cannot write {path}: {reason}; nothing was changed", path, code)


def exists_error(path: Path) -> FileExistsError:
    """Build the error for a refused overwrite.

    Parameters
    ----------
    path : pathlib.Path
        The existing file.

    Returns
    -------
    FileExistsError
        ``errno.EEXIST`` with a message saying how to allow replacing it.
    """
    return FileExistsError(errno.EEXIST, "File exists (allow overwriting to replace it)",
                           os.fspath(path))


def check_target(path: Path, overwrite: bool) -> None:
    """Check that ``path`` can be created before anything is written.

    Parameters
    ----------
    path : pathlib.Path
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced.

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is false.
    ExportError
        If the folder is missing or the name is a folder.
    """
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: the folder {path.parent} does not exist",
                          path, errno.ENOENT)
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder", path, errno.EISDIR)
    if not overwrite and (path.exists() or path.is_symlink()):
        raise exists_error(path)


def _reserve_temp(path: Path) -> Path:
    """Create an empty temporary file next to ``path`` (never reusing an existing name)."""
    for _ in range(16):
        tmp = temp_path_for(path)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise export_error(path, exc) from exc
        os.close(fd)
        return tmp
    raise ExportError(f"cannot write {path}: no free temporary file name in {path.parent}",
                      path, errno.EEXIST)


def write_all(tmp: Path, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` to ``tmp`` (replacing its content) and flush it to the disk.

    Parameters
    ----------
    tmp : pathlib.Path
        The temporary file.
    data : bytes-like
        The complete content.

    Raises
    ------
    OSError
        From the operating system, e.g. ``errno.ENOSPC`` on a full disk.
    """
    view = memoryview(data).cast("B")
    fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0))
    try:
        done = 0
        while done < len(view):
            done += os.write(fd, view[done:])
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; directories cannot be opened for this on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _commit(tmp: Path, target: Path, overwrite: bool, sync_dir: bool = True) -> None:
    """Move ``tmp`` to ``target``; without ``overwrite`` never replace an existing file.

    ``sync_dir=False`` leaves the folder's fsync to the caller (once for many files).
    """
    try:
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise exists_error(target) from None
            except OSError:
                # File systems without hard links (FAT, some network shares): check, then
                # rename; only a concurrent writer could slip in between.
                if target.exists():
                    raise exists_error(target) from None
                os.replace(tmp, target)
            else:
                _remove_quietly(tmp)
    except FileExistsError:
        raise
    except OSError as exc:
        raise export_error(target, exc) from exc
    if sync_dir:
        _fsync_dir(target.parent)


@contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Write a file through a temporary file that is renamed into place on success.

    The body writes the complete content to the yielded temporary path (it already exists,
    empty, and has the target's extension so libraries that pick a format from the name
    work). On normal exit it is moved to ``path``; on any exception it is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create.
    overwrite : bool, optional
        Replace an existing file; by default that is refused.

    Yields
    ------
    pathlib.Path
        The temporary file in the target folder.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false (checked before and at the rename).
    ExportError
        On an operating-system error (missing or unwritable folder, full disk...): the
        message names the file and the cause; nothing is left behind.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_write(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (folder / "a.txt").read_text(), [p.name for p in folder.iterdir()]
    ('hello', ['a.txt'])
    """
    target = Path(path)
    check_target(target, overwrite)
    tmp = _reserve_temp(target)
    try:
        yield tmp
        if not tmp.is_file():
            raise ExportError(f"cannot write {target}: the temporary file disappeared",
                              target, errno.ENOENT)
        _commit(tmp, target, overwrite)
    except (ExportError, FileExistsError):
        _remove_quietly(tmp)
        raise
    except OSError as exc:
        _remove_quietly(tmp)
        raise export_error(target, exc) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview, *,
                overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to create.
    data : bytes-like
        The complete content.
    overwrite : bool, optional
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is false.
    ExportError
        On any operating-system error; nothing is left behind.
    """
    with atomic_write(path, overwrite=overwrite) as tmp:
        write_all(tmp, data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    r"""Write UTF-8 text to ``path`` atomically; ``\n`` is not translated to ``\r\n``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create.
    text : str
        The complete content.
    overwrite : bool, optional
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is false.
    ExportError
        On any operating-system error; nothing is left behind.
    """
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


class StagedWrites:
    """Write several files all-or-nothing: stage each to a temporary file, then rename all.

    Any failure while staging (full disk, a refused overwrite, a cancelled export) removes
    every temporary file, so the folders are exactly as before. Used as a context manager it
    commits on normal exit and discards on an exception.

    Parameters
    ----------
    overwrite : bool, optional
        Whether existing files may be replaced.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with StagedWrites() as stage:
    ...     stage.add(folder / "a.txt", b"A")
    ...     stage.add(folder / "b.txt", b"B")
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self, *, overwrite: bool = False) -> None:
        self.overwrite = overwrite
        self._staged: list[tuple[Path, Path]] = []
        self._names: set[str] = set()
        self.committed: list[Path] = []

    def add(self, path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` to a temporary file for ``path`` now; it is renamed on :meth:`commit`.

        Parameters
        ----------
        path : str or os.PathLike
            The final file.
        data : bytes-like
            Its complete content.

        Raises
        ------
        ValueError
            If ``path`` was already staged (compared case-insensitively, as on Windows and
            macOS file systems).
        FileExistsError
            If the file exists and ``overwrite`` is false.
        ExportError
            On an operating-system error; this file's temporary file is removed (the
            others stay staged until :meth:`discard`).
        """
        target = Path(path)
        key = os.path.normcase(os.path.abspath(target)).casefold()
        if key in self._names:
            raise ValueError(f"{target} would be written twice in one export")
        check_target(target, self.overwrite)
        tmp = _reserve_temp(target)
        try:
            write_all(tmp, data)
        except OSError as exc:
            _remove_quietly(tmp)
            raise export_error(target, exc) from exc
        except BaseException:
            _remove_quietly(tmp)
            raise
        self._staged.append((tmp, target))
        self._names.add(key)

    @property
    def pending(self) -> list[Path]:
        """Target paths staged but not yet committed."""
        return [target for _, target in self._staged]

    def commit(self) -> list[Path]:
        """Rename every staged file into place.

        Returns
        -------
        list of pathlib.Path
            The files written, in staging order.

        Raises
        ------
        FileExistsError, ExportError
            If a rename fails; the files renamed before it stay, the rest are removed and
            the message says how many were written.
        """
        staged, self._staged = self._staged, []
        self._names.clear()
        folders: dict[Path, None] = {}  # each folder's entries are synced once, at the end
        try:
            for i, (tmp, target) in enumerate(staged):
                try:
                    _commit(tmp, target, self.overwrite, sync_dir=False)
                except OSError as exc:
                    for rest, _ in staged[i:]:
                        _remove_quietly(rest)
                    if i == 0 or isinstance(exc, FileExistsError):
                        raise
                    raise ExportError(f"{exc} ({i} of {len(staged)} files were written "
                                      "before it)", target, exc.errno) from exc
                folders[target.parent] = None
                self.committed.append(target)
        finally:
            for folder in folders:
                _fsync_dir(folder)
        return list(self.committed)

    def discard(self) -> None:
        """Remove every staged temporary file; the targets are untouched."""
        staged, self._staged = self._staged, []
        self._names.clear()
        for tmp, _ in staged:
            _remove_quietly(tmp)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def remove_orphaned_temps(folder: str | os.PathLike[str], since: float) -> list[Path]:
    """Delete the temporary files a killed writer left in ``folder`` since ``since``.

    Call it only when no write into ``folder`` is in progress (e.g. at the end of a batch
    run whose worker died mid-file): every ``.~*`` file modified at or after ``since`` is
    then an orphan. Older ones are left alone (they may be another program's).

    Parameters
    ----------
    folder : str or os.PathLike
        The output folder.
    since : float
        A ``time.time()`` taken when the run started.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for path in entries:
        if not path.name.startswith(TEMP_PREFIX):
            continue
        try:
            if path.is_file() and path.stat().st_mtime >= since - 1.0:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed
