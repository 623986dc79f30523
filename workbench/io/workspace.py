"""Workspaces: the source, the pipeline, the size limit and the GUI's view settings in one file.

File format (JSON, UTF-8)::

    {
      "format": "conv-workbench-workspace",
      "schema_version": 1,
      "source": {"kind": "image", "path": "photos/cat.png"},
      (raw data: {"kind": "data", "name": "...", "values": "<rows of numbers>"} inline,
       a blank line between channels, or {"kind": "data", "path": "signal.npy"})
      "max_side": 512,
      "pipeline": { ... the core's pipeline JSON ... },
      "view": { ... whatever the GUI stores ... }
    }

A source path inside the workspace file's folder (or below it) is stored relative to that
folder, with ``/`` separators, so a folder of workspace + images can be moved or shared;
other paths are stored absolute. Loading resolves relative paths against the workspace
file's folder, so a loaded :class:`Workspace` always holds absolute paths. Unknown keys are
ignored, so older versions of the program can read files that newer ones added keys to
within the same schema version.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.core import Pipeline, pipeline_to_dict
from workbench.io.atomic import write_text
from workbench.io.bank import CONTENT_ERRORS, loads_json, pipeline_from_data
from workbench.io.data_input import parse_data_text
from workbench.io.errors import LoadError, require_regular_file

WORKSPACE_FORMAT = "conv-workbench-workspace"
WORKSPACE_SCHEMA_VERSION = 1
SOURCE_KINDS: tuple[str, ...] = ("sample", "image", "video", "camera", "synthetic", "data")

WORKSPACE_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""``version -> function`` upgrading workspace JSON to the next version (none needed yet)."""


def _optional_int(value: Any, name: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum} or null, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class SourceSpec:
    """Where the input comes from.

    Parameters
    ----------
    kind : str
        One of :data:`SOURCE_KINDS`.
    path : str, optional
        Image or video file (required for those kinds).
    sample_key : str, optional
        Built-in sample (required for ``"sample"``), see :func:`workbench.resources.sample_images`.
    camera_index : int, optional
        Camera device number (required for ``"camera"``).
    frame_index : int, optional
        Video frame shown (``"video"``).
    size : tuple of int, optional
        ``(width, height)``: camera resolution or synthetic pattern size.
    values : str, optional
        Raw data written inline (``"data"``), as :func:`workbench.io.data_input.format_data_text`
        writes it; a ``"data"`` source needs ``values`` or ``path``.
    name : str, optional
        What the raw data is called (``"data"``).
    rows_are_channels : bool, optional
        Whether a data file's rows are channels (``"data"``).
    """

    kind: str
    path: str | None = None
    sample_key: str | None = None
    camera_index: int | None = None
    frame_index: int | None = None
    size: tuple[int, int] | None = None
    values: str | None = None
    name: str | None = None
    rows_are_channels: bool = False

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {SOURCE_KINDS}, got {self.kind!r}")
        for name in ("path", "sample_key", "values", "name"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (str, os.PathLike)) or not str(value)):
                raise ValueError(f"source {name} must be a non-empty string, got {value!r}")
            if value is not None:
                object.__setattr__(self, name, os.fspath(value))
        object.__setattr__(self, "camera_index",
                           _optional_int(self.camera_index, "camera_index", 0))
        object.__setattr__(self, "frame_index", _optional_int(self.frame_index, "frame_index", 0))
        if self.size is not None:
            try:
                width, height = self.size
            except (TypeError, ValueError):
                raise ValueError(f"size must be (width, height), got {self.size!r}") from None
            size = (_optional_int(width, "size width", 1), _optional_int(height, "size height", 1))
            object.__setattr__(self, "size", size)
        required = {"image": "path", "video": "path", "sample": "sample_key",
                    "camera": "camera_index"}.get(self.kind)
        if required and getattr(self, required) is None:
            raise ValueError(f"a {self.kind} source needs {required}")
        if self.kind == "data" and self.values is None and self.path is None:
            raise ValueError("a data source needs values or path")
        if self.values is not None:
            try:
                parse_data_text(self.values)
            except ValueError as exc:
                raise ValueError(f"values: {exc}") from None
        if not isinstance(self.rows_are_channels, bool):
            raise ValueError(f"rows_are_channels must be true or false, got "
                             f"{self.rows_are_channels!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form: ``kind`` and every field that is set.

        Returns
        -------
        dict
            JSON-serialisable.
        """
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("path", "sample_key", "camera_index", "frame_index", "name", "values"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.size is not None:
            out["size"] = list(self.size)
        if self.rows_are_channels:
            out["rows_are_channels"] = True
        return out

    @classmethod
    def from_dict(cls, data: Any) -> SourceSpec:
        """Build from :meth:`to_dict` data, validating every field.

        Parameters
        ----------
        data : dict
            Parsed JSON.

        Returns
        -------
        SourceSpec
            The source.

        Raises
        ------
        ValueError
            Naming the offending field.
        """
        if not isinstance(data, dict):
            raise ValueError(f"source must be an object, got {type(data).__name__}")
        size = data.get("size")
        kind: Any = data.get("kind")
        return cls(kind=kind, path=data.get("path"),
                   sample_key=data.get("sample_key"), camera_index=data.get("camera_index"),
                   frame_index=data.get("frame_index"),
                   size=None if size is None else tuple(size) if isinstance(size, list) else size,
                   values=data.get("values"), name=data.get("name"),
                   rows_are_channels=data.get("rows_are_channels", False))


@dataclass(frozen=True)
class Workspace:
    """Everything needed to reopen a session.

    Parameters
    ----------
    source : SourceSpec
        The input.
    pipeline : Pipeline
        The layers.
    max_side : int, optional
        Longest image side fed to the pipeline (larger inputs are shrunk); ``None``: no limit.
    view : dict
        GUI-owned view settings, stored as given; must be JSON data (string keys; lists come
        back as lists). A normalised copy is kept.
    schema_version : int
        Workspace schema version of this object (the current one).
    """

    source: SourceSpec
    pipeline: Pipeline
    max_side: int | None = None
    view: dict[str, Any] = field(default_factory=dict)
    schema_version: int = WORKSPACE_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.source, SourceSpec):
            raise ValueError("source must be a SourceSpec")
        if not isinstance(self.pipeline, Pipeline):
            raise ValueError("pipeline must be a Pipeline")
        object.__setattr__(self, "max_side", _optional_int(self.max_side, "max_side", 1))
        if not isinstance(self.view, dict):
            raise ValueError(f"view must be a dict, got {type(self.view).__name__}")
        try:
            view = json.loads(json.dumps(self.view, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"view must hold JSON data only: {exc}") from None
        if any(not isinstance(k, str) for k in self.view):
            raise ValueError("view keys must be strings")
        object.__setattr__(self, "view", view)
        if self.schema_version != WORKSPACE_SCHEMA_VERSION:
            raise ValueError(f"schema_version must be {WORKSPACE_SCHEMA_VERSION} (the current "
                             f"one), got {self.schema_version!r}")


def check_channels(pipeline: Pipeline) -> None:
    """Refuse a pipeline whose layers cannot read their input (channel slices x groups).

    The first layer must read the input mode's channels (1 gray, 3 RGB; raw data: any);
    each later layer must read as many channels as the layer before has filters (enabled
    ones, or all of them, so a file saved with some filters switched off still opens).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline.

    Raises
    ------
    ValueError
        Naming the first layer (1-based) that does not fit.
    """
    inputs: set[int] | None = None if pipeline.input_channels is None else \
        {pipeline.input_channels}
    for number, layer in enumerate(pipeline.layers, 1):
        filters = layer.enabled_filters or layer.filters
        if not filters:
            inputs = None
            continue
        depths = sorted({f.channels for f in filters})
        if len(depths) > 1:
            raise ValueError(f"layer {number}: its filters have different numbers of channel "
                             f"slices ({', '.join(map(str, depths))}); they must all be equal")
        needed = depths[0] * layer.groups
        if inputs is not None and needed not in inputs:
            have = " or ".join(str(n) for n in sorted(inputs))
            source = "the input" if number == 1 else f"layer {number - 1}"
            raise ValueError(f"layer {number}: its filters have {depths[0]} channel slice(s) "
                             f"x groups={layer.groups} = {needed} input channel(s), but "
                             f"{source} gives {have}")
        inputs = {len(layer.enabled_filters), len(layer.filters)} - {0}


def _stored_path(path: str, folder: Path) -> str:
    """Relative (``/``-separated) if under ``folder``, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(folder).as_posix()
    except ValueError:
        return str(absolute)


def workspace_to_dict(ws: Workspace, folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the JSON form of a workspace saved in ``folder``.

    Parameters
    ----------
    ws : Workspace
        The workspace.
    folder : str or os.PathLike
        The folder of the workspace file (source paths under it are stored relative).

    Returns
    -------
    dict
        JSON-serialisable.
    """
    source = ws.source.to_dict()
    if ws.source.path is not None:
        source["path"] = _stored_path(ws.source.path, Path(os.path.abspath(folder)))
    return {"format": WORKSPACE_FORMAT, "schema_version": WORKSPACE_SCHEMA_VERSION,
            "source": source, "max_side": ws.max_side,
            "pipeline": pipeline_to_dict(ws.pipeline), "view": ws.view}


def workspace_from_dict(data: Any, folder: str | os.PathLike[str]) -> Workspace:
    """Build a workspace from its JSON form, resolving relative paths against ``folder``.

    Parameters
    ----------
    data : Any
        Parsed JSON.
    folder : str or os.PathLike
        The folder of the workspace file.

    Returns
    -------
    Workspace
        Fully validated.

    Raises
    ------
    ValueError
        If the data is not a workspace, is of a newer version, a field is invalid (named),
        or a layer's channel slices do not fit its input (see :func:`check_channels`).
    """
    if not isinstance(data, dict) or data.get("format") != WORKSPACE_FORMAT:
        raise ValueError(f"not a Conv Workbench workspace (expected \"format\": "
                         f"\"{WORKSPACE_FORMAT}\")")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"schema_version must be a positive integer, got {version!r}")
    if version > WORKSPACE_SCHEMA_VERSION:
        raise ValueError(f"schema_version {version} was written by a newer Conv Workbench "
                         f"(this one reads up to {WORKSPACE_SCHEMA_VERSION})")
    while version < WORKSPACE_SCHEMA_VERSION:
        data = WORKSPACE_MIGRATIONS[version](data)
        version = data["schema_version"]
    try:
        source = SourceSpec.from_dict(data.get("source"))
    except ValueError as exc:
        raise ValueError(f"source: {exc}") from None
    if source.path is not None and not os.path.isabs(source.path):
        resolved = os.path.normpath(os.path.join(os.path.abspath(folder), source.path))
        source = replace(source, path=resolved)
    try:
        pipeline = pipeline_from_data(data.get("pipeline"))
        check_channels(pipeline)
    except ValueError as exc:
        raise ValueError(f"pipeline: {exc}") from None
    view = data.get("view", {})
    if not isinstance(view, dict):
        raise ValueError(f"view must be an object, got {type(view).__name__}")
    try:
        return Workspace(source, pipeline, data.get("max_side"), view)
    except ValueError as exc:
        raise ValueError(f"invalid workspace: {exc}") from None


def save_workspace(path: str | os.PathLike[str], ws: Workspace, *,
                   overwrite: bool = False) -> Path:
    """Write a workspace file atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.json`` by convention).
    ws : Workspace
        The workspace.
    overwrite : bool, optional
        Replace an existing file (the GUI's "Save" of an open workspace passes ``True``).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is false.
    ExportError
        If it cannot be written (the old file, if any, is untouched).
    """
    folder = Path(os.path.abspath(path)).parent
    text = json.dumps(workspace_to_dict(ws, folder), indent=2, allow_nan=False) + "\n"
    return write_text(path, text, overwrite=overwrite)


def load_workspace(path: str | os.PathLike[str]) -> Workspace:
    """Read a workspace file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Workspace
        With absolute source paths.

    Raises
    ------
    LoadError
        If the file is not a regular file, not valid JSON (e.g. truncated or nested too
        deeply) or not a valid workspace (including layers whose channel slices do not fit
        their input, see :func:`check_channels`); the message names the file, and the
        line/column, field or layer.
    OSError
        If it cannot be read (missing, permissions).
    """
    require_regular_file(path)
    raw = Path(path).read_bytes()
    try:
        data = loads_json(raw)
        return workspace_from_dict(data, Path(os.path.abspath(path)).parent)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from None
    except RecursionError:
        raise LoadError(path, "the workspace is nested too deeply") from None
    except CONTENT_ERRORS as exc:
        raise LoadError(path, f"invalid content ({type(exc).__name__}: {exc})") from None
