"""Locate the built-in resources: sample images, their manifest and the app icons.

The ``resources/`` folder lives at the repository root in a source checkout. A wheel carries it
as ``workbench/_resources`` (``force-include`` in ``pyproject.toml``), and a PyInstaller bundle
unpacks it under ``sys._MEIPASS``. This module finds whichever is present, with the environment
variable ``CONV_WORKBENCH_RESOURCES`` taking precedence. It imports no Qt, so the CLI and the
tests can use it too.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ENV_VAR",
    "SampleImage",
    "icon_path",
    "resource_path",
    "resources_dir",
    "sample_images",
    "sample_path",
]

ENV_VAR = "CONV_WORKBENCH_RESOURCES"

# Every candidate directory must contain this file to count as a resources directory, so an
# unrelated folder that happens to be called ``resources`` is not picked up.
_MARKER = Path("samples", "samples.json")
_MANIFEST_FIELDS = ("key", "file", "title", "description", "credit")

# Module-level so tests can point the lookup at a fake installed package.
_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SampleImage:
    """One built-in sample image, as listed in ``samples/samples.json``.

    Attributes
    ----------
    key : str
        Stable identifier, e.g. ``"astronaut"``; pass it to :func:`sample_path`.
    path : pathlib.Path
        Absolute path of the image file.
    title : str
        Short human-readable name for menus.
    description : str
        One or two sentences on what the image is good for.
    credit : str
        Author and licence.
    """

    key: str
    path: Path
    title: str
    description: str
    credit: str


def _candidate_dirs() -> list[Path]:
    """Return the places a resources directory may be, most specific first."""
    candidates = []
    bundle_dir = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle_dir is not None:
        candidates += [Path(bundle_dir, "resources"), Path(bundle_dir, "workbench", "_resources")]
    candidates += [_PACKAGE_DIR / "_resources", _PACKAGE_DIR.parent / "resources"]
    return candidates


def _is_resources_dir(path: Path) -> bool:
    return (path / _MARKER).is_file()


def resources_dir() -> Path:
    """Return the directory holding the built-in resources.

    Looked up in this order: the directory named by the ``CONV_WORKBENCH_RESOURCES``
    environment variable (if set, no other place is tried); inside a PyInstaller bundle,
    ``sys._MEIPASS/resources`` then ``sys._MEIPASS/workbench/_resources``; the ``_resources``
    folder of the installed ``workbench`` package; the ``resources`` folder at the root of a
    source checkout.

    Returns
    -------
    pathlib.Path
        Absolute path of a directory containing ``samples/samples.json``.

    Raises
    ------
    FileNotFoundError
        If no candidate directory contains ``samples/samples.json``; the message lists every
        place looked at.

    Examples
    --------
    >>> (resources_dir() / "samples" / "samples.json").is_file()
    True
    """
    override = os.environ.get(ENV_VAR)
    if override:
        # An explicit override that is wrong must fail loudly rather than silently fall back
        # to the built-in resources the user meant to replace.
        path = Path(override).expanduser().resolve()
        if _is_resources_dir(path):
            return path
        raise FileNotFoundError(
            f"{ENV_VAR} is set to {override!r}, but {path / _MARKER} does not exist; "
            f"point it at a directory containing {_MARKER.as_posix()} or unset it"
        )
    candidates = _candidate_dirs()
    for path in candidates:
        if _is_resources_dir(path):
            return path.resolve()
    looked_at = "\n".join(f"  - {path}" for path in candidates)
    raise FileNotFoundError(
        f"Conv Workbench resources not found: no directory containing {_MARKER.as_posix()} "
        f"at any of:\n{looked_at}\nSet {ENV_VAR} to the resources directory to override."
    )


def resource_path(*parts: str) -> Path:
    """Return the path of a file or folder inside the resources directory.

    Parameters
    ----------
    *parts : str
        Path components relative to the resources directory, e.g. ``"icons", "app.svg"``.

    Returns
    -------
    pathlib.Path
        The joined path. It is not checked for existence.

    Raises
    ------
    FileNotFoundError
        If the resources directory itself cannot be found (see :func:`resources_dir`).

    Examples
    --------
    >>> resource_path("icons", "app.svg").name
    'app.svg'
    """
    return resources_dir().joinpath(*parts)


def sample_images() -> list[SampleImage]:
    """Return the built-in sample images in menu order.

    Returns
    -------
    list of SampleImage
        One entry per item of ``samples/samples.json``, in file order.

    Raises
    ------
    FileNotFoundError
        If the resources directory cannot be found.
    ValueError
        If the manifest is not a JSON list of objects with string fields ``key``, ``file``,
        ``title``, ``description`` and ``credit``, or if a key is repeated.

    Examples
    --------
    >>> samples = sample_images()
    >>> samples[0].key
    'astronaut'
    >>> all(sample.path.is_file() for sample in samples)
    True
    """
    manifest = resource_path(*_MARKER.parts)
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{manifest}: expected a JSON list, got {type(entries).__name__}")
    samples = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(field), str) for field in _MANIFEST_FIELDS
        ):
            raise ValueError(
                f"{manifest}: entry {index} must be an object with string fields "
                f"{', '.join(_MANIFEST_FIELDS)}, got {entry!r}"
            )
        if entry["key"] in seen:
            raise ValueError(f"{manifest}: entry {index} repeats key {entry['key']!r}")
        seen.add(entry["key"])
        samples.append(
            SampleImage(
                key=entry["key"],
                path=manifest.parent / entry["file"],
                title=entry["title"],
                description=entry["description"],
                credit=entry["credit"],
            )
        )
    return samples


def sample_path(key: str) -> Path:
    """Return the file path of a built-in sample image.

    Parameters
    ----------
    key : str
        A key from ``samples/samples.json``, e.g. ``"camera"``.

    Returns
    -------
    pathlib.Path
        Absolute path of the image file.

    Raises
    ------
    KeyError
        If ``key`` is not in the manifest; the message lists the valid keys.

    Examples
    --------
    >>> sample_path("camera").name
    'camera.png'
    """
    samples = sample_images()
    for sample in samples:
        if sample.key == key:
            return sample.path
    valid = ", ".join(sample.key for sample in samples)
    raise KeyError(f"unknown sample key {key!r}; valid keys: {valid}")


def icon_path(name: str = "app.svg") -> Path:
    """Return the path of an icon in ``resources/icons``.

    Parameters
    ----------
    name : str, optional
        File name of the icon, e.g. ``"app.svg"`` or ``"app.png"``.

    Returns
    -------
    pathlib.Path
        Absolute path of an existing icon file.

    Raises
    ------
    FileNotFoundError
        If there is no such icon; the message lists the icons available.

    Examples
    --------
    >>> icon_path().name
    'app.svg'
    """
    path = resource_path("icons", name)
    # Checked here because Qt turns a missing file into an empty icon without any error.
    if not path.is_file():
        available = ", ".join(sorted(p.name for p in path.parent.glob("*") if p.is_file()))
        raise FileNotFoundError(f"no icon {name!r} in {path.parent}; available: {available}")
    return path
