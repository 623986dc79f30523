"""Exporting feature maps: choose stages, filters and formats, get files named by a pattern.

Per-map formats (one file per map):

============  ===============  ===========================================================
format        extension        content
============  ===============  ===========================================================
``png``       ``.png``         8-bit as displayed (:func:`workbench.render.render_map`);
                               1 channel for the gray colormap, else RGB
``png16``     ``.16.png``      16-bit, min-max scaled; the scale is in ``<name>.16.json``
``tiff``      ``.tif``         float32, the exact values
``npy``       ``.npy``         float32, the exact values
============  ===============  ===========================================================

Bundle formats (one file per export, named by ``bundle_pattern``):

- ``npz`` (``{source}_maps.npz``): every selected map under its key (``input``,
  ``L1_Sobel_x_conv``...), plus 0-d string arrays ``pipeline_json`` (the core's JSON),
  ``maps_json`` (a list of ``{key, layer, filter, filter_index, stage, shape}``) and
  ``source``. Read it with :func:`load_maps_npz`.
- ``montage`` (``{source}_montage.png``): a labelled grid like the window.

The input stage is the ``(C, H, W)`` input tensor: raw formats store it as is; PNGs show it
as the window's input view does (:func:`workbench.render.render_input`, RGB in colour).
Maps in PNG and montage are drawn by :mod:`workbench.render` with the window's
:class:`~workbench.render.ViewOptions`, per map as the window draws them, so "PNG as
displayed" holds the pixels on screen. In names it has layer ``L0``, filter ``gray``/``rgb`` and
index 0.

All files of one export are staged and renamed together (:class:`StagedWrites`): a failure or
a cancel leaves the folder as it was.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tifffile

from workbench.core import Pipeline, PipelineResult, from_json, to_json
from workbench.io.atomic import StagedWrites, exists_error
from workbench.io.errors import ExportCancelled, ExportError, LoadError
from workbench.io.formats import (
    npy_bytes,
    npz_bytes,
    png8_bytes,
    png16_bytes,
    png16_sidecar,
    png_rgb_bytes,
    read_npz,
)
from workbench.io.naming import (
    BUNDLE_FIELDS,
    DEFAULT_BUNDLE_PATTERN,
    DEFAULT_PATTERN,
    MAP_FIELDS,
    check_pattern,
    format_name,
    sanitize_name,
    unique_names,
)
from workbench.render import (
    Tile,
    ViewOptions,
    build_montage,
    map_look,
    render_input,
    render_map,
    shared_levels,
)

STAGES: tuple[str, ...] = ("input", "conv", "activated", "pooled")
"""Exportable stages, in window order."""

FORMATS: tuple[str, ...] = ("png", "png16", "tiff", "npy", "npz", "montage")
"""Export formats; ``npz`` and ``montage`` make one file per export."""

MAP_EXTENSIONS: dict[str, str] = {"png": "png", "png16": "16.png", "tiff": "tif", "npy": "npy"}
"""The ``{ext}`` of each per-map format."""

BUNDLES: dict[str, tuple[str, str]] = {"npz": ("maps", "npz"), "montage": ("montage", "png")}
"""Bundle format -> its ``({stage}, {ext})``."""

ProgressCallback = Callable[[int, int], object]
"""Called as ``progress(done, total)`` with file counts; returning ``False`` cancels."""


@dataclass(frozen=True)
class ExportOptions:
    """What to export and where.

    Parameters
    ----------
    folder : str or os.PathLike
        Output folder; created if missing.
    formats : tuple of str
        Any of :data:`FORMATS`.
    stages : tuple of str
        Any of :data:`STAGES`.
    filters : tuple of int or str, optional
        Filters to export, by 0-based index into each layer's maps (its enabled filters, as
        in ``LayerResult.filter_names``) or by exact name; ``None`` means all.
    layers : tuple of int, optional
        1-based layer numbers; ``None`` means all.
    pattern : str
        Per-map file names, placeholders :data:`workbench.io.naming.MAP_FIELDS`.
    bundle_pattern : str
        NPZ and montage file names, placeholders ``{source}``, ``{stage}``, ``{ext}``.
    view : ViewOptions
        Colormap, scaling and shared levels of the maps in PNG and montage, as in the
        window (the input is always drawn as the window's input view).
    levels : tuple of float, optional
        Fixed ``(low, high)`` for every map, e.g. the window's shared levels; with
        ``view.shared`` and no ``levels``, each layer's maps share the levels of its
        activated (and, when it pools, pooled) maps, as the window computes them.
    montage_cell : int
        Cell size of the montage in pixels.
    overwrite : bool
        Replace existing files; otherwise an existing name stops the export before anything
        is written.
    """

    folder: str | os.PathLike[str]
    formats: tuple[str, ...] = ("png",)
    stages: tuple[str, ...] = STAGES
    filters: tuple[int | str, ...] | None = None
    layers: tuple[int, ...] | None = None
    pattern: str = DEFAULT_PATTERN
    bundle_pattern: str = DEFAULT_BUNDLE_PATTERN
    view: ViewOptions = field(default_factory=ViewOptions)
    levels: tuple[float, float] | None = None
    montage_cell: int = 256
    overwrite: bool = False

    def __post_init__(self) -> None:
        for name, values, known in (("format", self.formats, FORMATS),
                                    ("stage", self.stages, STAGES)):
            values = tuple(values)
            if not values:
                raise ValueError(f"choose at least one {name} (from {', '.join(known)})")
            bad = [v for v in values if v not in known]
            if bad:
                raise ValueError(f"unknown {name}{'s' if len(bad) > 1 else ''} "
                                 f"{', '.join(map(repr, bad))}; choose from {', '.join(known)}")
            object.__setattr__(self, f"{name}s", tuple(dict.fromkeys(values)))
        if self.filters is not None:
            object.__setattr__(self, "filters", tuple(self.filters))
            for f in self.filters:
                if isinstance(f, bool) or not isinstance(f, (int, str)):
                    raise ValueError(f"filters are chosen by index or name, got {f!r}")
        if self.layers is not None:
            object.__setattr__(self, "layers", tuple(self.layers))
            for n in self.layers:
                if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                    raise ValueError(f"layers are numbered from 1, got {n!r}")
        if self.levels is not None:
            low, high = (float(v) for v in self.levels)
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"levels must be finite with low < high, got {self.levels!r}")
            object.__setattr__(self, "levels", (low, high))
        check_pattern(self.pattern, MAP_FIELDS)
        check_pattern(self.bundle_pattern, BUNDLE_FIELDS)
        if self.montage_cell < 32:
            raise ValueError(f"montage_cell must be at least 32 pixels, got {self.montage_cell}")


@dataclass(frozen=True, eq=False)
class MapItem:
    """One map chosen for export.

    ``layer`` is 1-based (0 for the input); ``filter_index`` is 0-based within the layer's
    maps (-1 for the input); ``token`` is the sanitised, per-layer unique filter name used in
    file names (``gray``/``rgb`` for the input); ``array`` is the core's array itself;
    ``shared`` the levels its layer's maps share when drawn (``None``: per map).
    """

    key: str
    stage: str
    layer: int
    filter_index: int
    filter_name: str
    token: str
    array: npt.NDArray[np.float32]
    shared: tuple[float, float] | None = None

    @property
    def title(self) -> str:
        """``"L1 Sobel x conv - 510x510"`` (``"input (rgb) - 512x512"``)."""
        h, w = self.array.shape[-2:]
        if self.stage == "input":
            return f"input ({self.token}) - {h}x{w}"
        return f"L{self.layer} {self.filter_name} {self.stage} - {h}x{w}"

    def manifest(self) -> dict[str, Any]:
        """Return the entry describing this map in an NPZ's ``maps_json``."""
        return {"key": self.key, "layer": self.layer, "filter": self.filter_name,
                "filter_index": self.filter_index, "stage": self.stage,
                "shape": list(self.array.shape)}


@dataclass(frozen=True, eq=False)
class PlannedFile:
    """One file an export will write; ``encode()`` produces its bytes."""

    path: Path
    format: str
    items: tuple[MapItem, ...]
    encode: Callable[[], bytes] = field(repr=False)


def _resolve_filters(selectors: tuple[int | str, ...] | None,
                     names_per_layer: dict[int, tuple[str, ...]]) -> dict[int, list[int]]:
    """Layer -> chosen 0-based map indices; every selector must match in some layer."""
    if selectors is None:
        return {n: list(range(len(names))) for n, names in names_per_layer.items()}
    chosen: dict[int, list[int]] = {n: [] for n in names_per_layer}
    for sel in selectors:
        hit = False
        for n, names in names_per_layer.items():
            matches = [i for i, name in enumerate(names)
                       if (i == sel if isinstance(sel, int) else name == sel)]
            for i in matches:
                if i not in chosen[n]:
                    chosen[n].append(i)
            hit = hit or bool(matches)
        if not hit:
            layers = ", ".join(str(n) for n in names_per_layer)
            if isinstance(sel, int):
                sizes = ", ".join(f"layer {n}: 0..{len(v) - 1}"
                                  for n, v in names_per_layer.items())
                raise ValueError(f"filter index {sel} is out of range ({sizes})")
            available = sorted({name for v in names_per_layer.values() for name in v})
            raise ValueError(f"no filter named {sel!r} in layer(s) {layers}; available: "
                             f"{', '.join(map(repr, available))}")
    return {n: sorted(v) for n, v in chosen.items()}


def select_maps(result: PipelineResult, pipeline: Pipeline, options: ExportOptions
                ) -> list[MapItem]:
    """List the maps an export includes, in window order (input, then per filter its stages).

    Parameters
    ----------
    result : PipelineResult
        The core's output.
    pipeline : Pipeline
        The pipeline that produced it.
    options : ExportOptions
        Stages, filters and layers to include.

    Returns
    -------
    list of MapItem
        The chosen maps.

    Raises
    ------
    ValueError
        If the result does not belong to the pipeline, or a layer number, filter index or
        filter name matches nothing (the message lists what exists).
    """
    if len(result.layers) != len(pipeline.layers):
        raise ValueError(f"the result has {len(result.layers)} layer(s) but the pipeline "
                         f"{len(pipeline.layers)}; export the result with its own pipeline")
    numbers = list(range(1, len(result.layers) + 1))
    if options.layers is not None:
        missing = [n for n in options.layers if n not in numbers]
        if missing:
            raise ValueError(f"no layer {', '.join(map(str, missing))}; the pipeline has "
                             f"{len(numbers)} layer(s)")
        numbers = [n for n in numbers if n in options.layers]
    names = {n: result.layers[n - 1].filter_names for n in numbers}
    chosen = _resolve_filters(options.filters, names)
    items: list[MapItem] = []
    if "input" in options.stages:
        # Raw data of any channel count is exported as one map, channels stacked downwards.
        shown = result.input if pipeline.input_mode != "raw" \
            else result.input.reshape(1, -1, result.input.shape[2])
        items.append(MapItem("input", "input", 0, -1, "input", pipeline.input_mode, shown))
    for n in numbers:
        layer = result.layers[n - 1]
        tokens = unique_names(layer.filter_names)
        shared = options.levels or _layer_levels(result, pipeline, n - 1, options.view)
        for i in chosen[n]:
            for stage in ("conv", "activated", "pooled"):
                if stage in options.stages:
                    array = getattr(layer, stage)[i]
                    items.append(MapItem(f"L{n}_{tokens[i]}_{stage}", stage, n, i,
                                         layer.filter_names[i], tokens[i], array, shared))
    return items


def _layer_levels(result: PipelineResult, pipeline: Pipeline, index: int, view: ViewOptions
                  ) -> tuple[float, float] | None:
    """Return a layer's shared levels as the window's: its activated and pooled maps."""
    layer = result.layers[index]
    maps = list(layer.activated)
    if pipeline.layers[index].pool.kind != "none":
        maps += list(layer.pooled)
    return shared_levels(maps, view)


def render_item(item: MapItem, view: ViewOptions) -> npt.NDArray[np.uint8]:
    """Draw a chosen map as the window draws it.

    Parameters
    ----------
    item : MapItem
        From :func:`select_maps`.
    view : ViewOptions
        The colour options (ignored for the input, drawn as the input view).

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.
    """
    if item.stage == "input":
        return render_input(item.array)
    return render_map(item.array, map_look(item.array, view, item.shared))


def montage_image(items: Sequence[MapItem], options: ExportOptions) -> npt.NDArray[np.uint8]:
    """Draw the montage of the chosen maps: the input row, then one row per filter.

    Parameters
    ----------
    items : sequence of MapItem
        From :func:`select_maps`.
    options : ExportOptions
        Styles and cell size.

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.
    """
    rows: list[list[Tile]] = []
    owners: list[tuple[int, int]] = []
    for item in items:
        tile = Tile(item.title, render_item(item, options.view))
        owner = (item.layer, item.filter_index)
        if not owners or owners[-1] != owner:
            rows.append([])
            owners.append(owner)
        rows[-1].append(tile)
    return build_montage(rows, cell=options.montage_cell)


def _montage_png(items: Sequence[MapItem], options: ExportOptions) -> bytes:
    return png_rgb_bytes(montage_image(items, options))


def _npz(items: Sequence[MapItem], pipeline: Pipeline, source: str) -> bytes:
    arrays: dict[str, Any] = {item.key: item.array for item in items}
    arrays["pipeline_json"] = np.array(to_json(pipeline, indent=None))
    arrays["maps_json"] = np.array(json.dumps([item.manifest() for item in items]))
    arrays["source"] = np.array(source)
    return npz_bytes(arrays)


def _png16_files(path: Path, item: MapItem) -> list[PlannedFile]:
    cache: dict[str, bytes] = {}

    def encode_png() -> bytes:
        data, scale = png16_bytes(item.array)
        cache["json"] = png16_sidecar(path.name, scale)
        return data

    def encode_json() -> bytes:
        if "json" not in cache:
            encode_png()
        return cache.pop("json")

    return [PlannedFile(path, "png16", (item,), encode_png),
            PlannedFile(path.with_suffix(".json"), "png16-scale", (item,), encode_json)]


def plan_export(result: PipelineResult, pipeline: Pipeline, source: str,
                options: ExportOptions) -> list[PlannedFile]:
    """Work out every file an export writes, checking names before anything is written.

    Parameters
    ----------
    result : PipelineResult
        The core's output.
    pipeline : Pipeline
        The pipeline that produced it (embedded in NPZ files).
    source : str
        Name of the input, e.g. the image file's stem; sanitised for ``{source}``.
    options : ExportOptions
        What to export.

    Returns
    -------
    list of PlannedFile
        In writing order (per format, maps in window order).

    Raises
    ------
    ValueError
        On a selection that matches nothing, or a pattern giving the same name to two files
        (the message names both and suggests a placeholder).
    FileExistsError
        If ``options.overwrite`` is false and some files exist (the message names them).
    """
    items = select_maps(result, pipeline, options)
    if not items:
        raise ValueError("nothing to export: the chosen filters and stages select no map")
    folder = Path(options.folder)
    src = sanitize_name(source)
    files: list[PlannedFile] = []
    for fmt in options.formats:
        if fmt in BUNDLES:
            stage, ext = BUNDLES[fmt]
            name = format_name(options.bundle_pattern, {"source": src, "stage": stage,
                                                        "ext": ext}, BUNDLE_FIELDS)
            if fmt == "npz":
                encode = partial(_npz, items, pipeline, source)
            else:
                encode = partial(_montage_png, items, options)
            files.append(PlannedFile(folder / name, fmt, tuple(items), encode))
            continue
        for item in items:
            values = {"source": src, "layer": f"L{item.layer}", "filter": item.token,
                      "index": item.filter_index + 1, "stage": item.stage,
                      "ext": MAP_EXTENSIONS[fmt]}
            path = folder / format_name(options.pattern, values, MAP_FIELDS)
            files.extend(_map_files(fmt, path, item, options, pipeline, source))
    _check_names(files, options)
    return files


def _map_files(fmt: str, path: Path, item: MapItem, options: ExportOptions,
               pipeline: Pipeline, source: str) -> list[PlannedFile]:
    array = item.array
    if fmt == "png16":
        return _png16_files(path, item)
    encoders: dict[str, Callable[[], bytes]] = {
        "png": partial(_png8, item, options.view),
        "tiff": partial(tiff_map_bytes, item, pipeline, source),
        "npy": lambda: npy_bytes(array),
    }
    return [PlannedFile(path, fmt, (item,), encoders[fmt])]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def tiff_map_bytes(item: MapItem, pipeline: Pipeline, source: str) -> bytes:
    """Encode one map as a float32 ImageJ TIFF that says what it is.

    The ImageJ ``ImageDescription`` (``ImageJ=1.11a``, ``images=N``...) carries ``min`` and
    ``max`` (the value range, which ImageJ uses as display range), ``source``, ``layer``,
    ``filter``, ``stage`` and ``pipeline`` (the pipeline JSON on one line); each page has
    a label (``L1 Sobel x conv``, ``input R``...) and ImageJ's *Show Info* text repeats
    this. The values are the exact float32 map. A one-channel ``(1, H, W)`` input, whose
    shape ImageJ cannot keep, gets tifffile's JSON description with the same keys instead.

    Parameters
    ----------
    item : MapItem
        The map (``(H, W)``, or ``(C, H, W)`` for the input).
    pipeline : Pipeline
        The pipeline that produced it.
    source : str
        The input's name.

    Returns
    -------
    bytes
        The TIFF file; :func:`workbench.io.formats.read_array` gives the array back.
    """
    values = np.ascontiguousarray(item.array, dtype=np.float32)
    finite = values[np.isfinite(values)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 0.0
    if item.stage == "input":
        what = f"input ({item.token})"
        names = ("R", "G", "B") if values.ndim == 3 and values.shape[0] == 3 else ()
        labels = [f"input {n}" for n in names] if names else [what] * (
            values.shape[0] if values.ndim == 3 else 1)
    else:
        what = _one_line(f"L{item.layer} {item.filter_name} {item.stage}")
        labels = [what] * (values.shape[0] if values.ndim == 3 else 1)
    pipeline_json = to_json(pipeline, indent=None)
    info = "\n".join([f"Conv Workbench map: {what}", f"source: {_one_line(source)}",
                      f"value range: {low:.9g} to {high:.9g}", f"pipeline: {pipeline_json}"])
    metadata: dict[str, Any] = {
        "min": low, "max": high, "source": _one_line(source), "layer": item.layer,
        "filter": _one_line(item.filter_name), "filter_index": item.filter_index + 1,
        "stage": item.stage, "pipeline": pipeline_json, "Labels": labels, "Info": info}
    buf = io.BytesIO()
    if values.ndim == 3 and values.shape[0] == 1:
        # ImageJ cannot keep a length-1 channel axis; tifffile's JSON description keeps the
        # exact shape and the same keys (ImageJ still opens the float image).
        del metadata["Labels"], metadata["Info"]
        metadata["label"] = labels[0]
        tifffile.imwrite(buf, values, photometric="minisblack", metadata=metadata,
                         software="Conv Workbench")
    else:
        tifffile.imwrite(buf, values, imagej=True, photometric="minisblack",
                         metadata=metadata, software="Conv Workbench")
    return buf.getvalue()


def _png8(item: MapItem, view: ViewOptions) -> bytes:
    if item.stage == "input":
        return png8_bytes(render_input(item.array), gray=item.array.shape[0] != 3)
    look = map_look(item.array, view, item.shared)
    return png8_bytes(render_map(item.array, look), gray=look.colormap == "gray")


def _describe(planned: PlannedFile) -> str:
    if planned.format in BUNDLES:
        return f"the {planned.format} file"
    return f"{planned.items[0].title.split(' - ')[0]} ({planned.format})"


def _check_names(files: Sequence[PlannedFile], options: ExportOptions) -> None:
    seen: dict[str, PlannedFile] = {}
    for planned in files:
        key = planned.path.name.casefold()
        if key in seen:
            raise ValueError(
                f"the file name pattern gives {planned.path.name!r} to both "
                f"{_describe(seen[key])} and {_describe(planned)}; add placeholders such as "
                "{layer}, {filter}, {stage} so every file gets its own name")
        seen[key] = planned
    if not options.overwrite:
        existing = [p.path for p in files if p.path.exists() or p.path.is_symlink()]
        if existing:
            err = exists_error(existing[0])
            if len(existing) > 1:
                err.strerror = (f"{len(existing)} of the files exist, e.g. "
                                f"{', '.join(p.name for p in existing[:3])} "
                                "(allow overwriting to replace them)")
            raise err


def export_maps(result: PipelineResult, pipeline: Pipeline, source: str,
                options: ExportOptions, progress: ProgressCallback | None = None
                ) -> list[Path]:
    """Export feature maps; all files or none are written.

    Parameters
    ----------
    result : PipelineResult
        The core's output (:func:`workbench.core.run_pipeline`).
    pipeline : Pipeline
        The pipeline that produced it.
    source : str
        Name of the input, e.g. ``"photo"`` or ``"clip_f000120"``.
    options : ExportOptions
        What to export and where.
    progress : callable, optional
        ``progress(done, total)`` after each staged file (and ``(0, total)`` first);
        returning ``False`` cancels.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        On an invalid selection or clashing file names (nothing written).
    FileExistsError
        If files exist and ``options.overwrite`` is false (nothing written).
    ExportError
        If the folder cannot be created or written, or the disk is full (nothing written;
        a folder created for the export is removed again).
    ExportCancelled
        If ``progress`` returned ``False`` (nothing written).

    Examples
    --------
    >>> import tempfile
    >>> from workbench.core import default_pipeline, run_pipeline
    >>> pipe = default_pipeline()
    >>> result = run_pipeline(np.eye(8, dtype=np.float32)[None], pipe)
    >>> folder = tempfile.mkdtemp()
    >>> paths = export_maps(result, pipe, "eye", ExportOptions(folder, ("npy",), ("pooled",)))
    >>> [p.name for p in paths][:2]
    ['eye_L1_Vertical_line_pooled.npy', 'eye_L1_Horizontal_line_pooled.npy']
    """
    files = plan_export(result, pipeline, source, options)
    folder = Path(options.folder)
    created = _make_folder(folder)
    total = len(files)
    try:
        with StagedWrites(overwrite=options.overwrite) as stage:
            if progress is not None and progress(0, total) is False:
                raise ExportCancelled("export cancelled")
            for done, planned in enumerate(files, 1):
                stage.add(planned.path, planned.encode())
                if progress is not None and progress(done, total) is False:
                    raise ExportCancelled("export cancelled")
    except BaseException:
        _remove_empty(list(reversed(created)))
        raise
    return stage.committed


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders this export created, deepest first; keep any that are not empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass


def _make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and missing parents; return the ones created (deepest last)."""
    missing: list[Path] = []
    current = folder.absolute()
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise ExportError(f"cannot create the folder {folder}: "
                          f"{exc.strerror or exc}; nothing was changed", folder, exc.errno) \
            from exc
    return list(reversed(missing))


@dataclass(frozen=True)
class MapArchive:
    """The content of an exported NPZ.

    ``maps`` holds the arrays by key, ``entries`` the ``maps_json`` manifest (one dict per
    map, in export order), ``pipeline`` the embedded pipeline and ``source`` the input name.
    """

    source: str
    pipeline: Pipeline
    maps: dict[str, npt.NDArray[np.float32]]
    entries: tuple[dict[str, Any], ...]


def load_maps_npz(path: str | os.PathLike[str]) -> MapArchive:
    """Read an NPZ written by :func:`export_maps`.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    MapArchive
        Maps, manifest and pipeline.

    Raises
    ------
    LoadError
        If the archive is corrupt or truncated, misses ``pipeline_json``/``maps_json``, or
        they are invalid.
    OSError
        If the file cannot be opened.
    """
    arrays = read_npz(path)
    try:
        pipeline = from_json(str(arrays.pop("pipeline_json")[()]))
        entries = tuple(json.loads(str(arrays.pop("maps_json")[()])))
        source = str(arrays.pop("source")[()])
    except KeyError as exc:
        raise LoadError(path, f"not a Conv Workbench maps archive (no {exc.args[0]})") from None
    except ValueError as exc:
        raise LoadError(path, str(exc)) from None
    missing = [e.get("key") for e in entries if e.get("key") not in arrays]
    if missing:
        raise LoadError(path, f"maps listed but missing: {', '.join(map(str, missing))}")
    return MapArchive(source, pipeline, arrays, entries)
