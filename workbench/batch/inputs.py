"""Batch inputs: finding images and videos in paths and folders, and naming them.

Images are read by :mod:`workbench.io.images` and videos decoded through
:mod:`workbench.sources`, as the window does, so the batch feeds the core the same pixels
the window computes on for the same file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from workbench.io.images import IMAGE_SUFFIXES
from workbench.io.naming import sanitize_name
from workbench.sources import VideoFileSource

VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg",
                                     ".mpeg", ".wmv")
"""Files treated as videos when given directly (folders contribute images only)."""


@dataclass(frozen=True)
class InputItem:
    """One batch input.

    ``label`` is how progress lines show it, ``source`` the sanitised name used for
    ``{source}`` in file names (unique within a batch), and ``error`` a problem found
    before reading (missing path, unsupported type, empty folder).
    """

    path: Path
    kind: str
    label: str
    source: str
    error: str | None = None


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return None


def _folder_images(folder: Path, recursive: bool) -> list[Path]:
    found = []
    walker = os.walk(folder) if recursive else [(str(folder), [], os.listdir(folder))]
    for root, dirs, files in walker:
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                found.append(path)
    return found


def _base_name(path: Path, folder: Path | None) -> str:
    if folder is None:
        return sanitize_name(path.stem)
    relative = path.relative_to(folder).with_suffix("")
    return sanitize_name("_".join(relative.parts))


def discover_inputs(paths: Sequence[str | os.PathLike[str]], *, recursive: bool = False
                    ) -> list[InputItem]:
    """Expand files and folders into batch inputs with unique source names.

    Files are images or videos by extension; folders contribute their images (in name
    order, subfolders too with ``recursive``). Source names are file stems (for files in
    subfolders of a given folder, the relative path joined with ``_``); where two inputs would
    get the same name (ignoring case), the extension is appended, then ``_2``, ``_3``... The
    same file given twice is processed once.

    Parameters
    ----------
    paths : sequence of path-like
        Files and folders.
    recursive : bool, optional
        Look into subfolders of folders.

    Returns
    -------
    list of InputItem
        In the order given; problems are recorded in ``error`` rather than raised.
    """
    found: list[tuple[Path, str, str, Path | None, str | None]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            try:
                images = _folder_images(path, recursive)
            except OSError as exc:
                found.append((path, "folder", str(given), None,
                              f"cannot list the folder: {exc.strerror or exc}"))
                continue
            if not images:
                where = "in it or its subfolders" if recursive else "in it"
                found.append((path, "folder", str(given), None,
                              f"no images ({', '.join(IMAGE_SUFFIXES)}) {where}"))
            for image in images:
                found.append((image, "image", str(image.relative_to(path)), path, None))
        elif not path.exists():
            found.append((path, "missing", str(given), None, "no such file or folder"))
        elif not path.is_file():  # a FIFO or device: opening it would block or never end
            found.append((path, "unsupported", str(given), None,
                          ("a named pipe (FIFO)" if path.is_fifo() else "a special file")
                          + ", not a regular file; only regular files are read"))
        else:
            kind = _kind(path)
            error = None if kind else (
                "not an image or video file; images: " + " ".join(IMAGE_SUFFIXES)
                + "; videos: " + " ".join(VIDEO_EXTENSIONS))
            found.append((path, kind or "unsupported", str(given), None, error))
    unique: list[tuple[Path, str, str, Path | None, str | None]] = []
    seen_paths: set[str] = set()
    for entry in found:
        key = os.path.normcase(os.path.abspath(entry[0]))
        if entry[4] is None and key in seen_paths:
            continue
        seen_paths.add(key)
        unique.append(entry)
    bases = [_base_name(p, folder) for p, _, _, folder, _ in unique]
    counts: dict[str, int] = {}
    for base in bases:
        counts[base.casefold()] = counts.get(base.casefold(), 0) + 1
    items: list[InputItem] = []
    used: set[str] = set()
    for (path, kind, label, _folder, error), base in zip(unique, bases, strict=True):
        name = base
        if counts[base.casefold()] > 1 and path.suffix:
            name = sanitize_name(f"{base}_{path.suffix[1:]}")
        candidate, n = name, 1
        while candidate.casefold() in used:
            n += 1
            candidate = f"{name}_{n}"
        used.add(candidate.casefold())
        items.append(InputItem(path, kind, label, candidate, error))
    return items


def video_frames(path: Path, every: int = 1, *, start: int = 0, stop: int | None = None
                 ) -> Iterator[tuple[int, npt.NDArray[np.uint8]]]:
    """Yield ``(frame index, RGB uint8 image)`` for every ``every``-th frame of a video.

    Frames are decoded in order (seeking is unreliable in many containers); indices start at
    0, so ``every=10`` gives frames 0, 10, 20...

    Parameters
    ----------
    path : pathlib.Path
        The video file.
    every : int, optional
        Keep one frame in ``every``, >= 1.
    start : int, optional
        First frame index to yield (the ones before are passed over, decoded in order).
    stop : int, optional
        Stop before this frame index.

    Yields
    ------
    tuple of (int, numpy.ndarray)
        The frame index and its ``(H, W, 3)`` uint8 RGB pixels.

    Raises
    ------
    workbench.sources.SourceError
        If the file cannot be opened or decoded (the message names it).
    ValueError
        If ``every`` is not a positive integer.
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    with VideoFileSource(path) as source:
        if start > 0:
            source.skip(start)
        while (frame := source.read()) is not None:
            if stop is not None and frame.index >= stop:
                return
            if frame.index % every == 0:
                yield frame.index, np.asarray(frame.image)
