"""Recording a live stream: the input frames, one map, or a montage of every map, to a video.

Qt-free. Maps are coloured by :mod:`workbench.render`, the same function the window's views
draw with, so a recording shows what was on screen. Rendering maps costs milliseconds per
map, so it runs on a thread of its own (``workbench-live-render-<n>``) behind a small
queue; when that thread falls behind, new results are skipped and counted rather than
queued, like every other stage of the live path.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from workbench.core import Layer, PipelineResult
from workbench.render import (
    Levels,
    MapLook,
    Tile,
    ViewOptions,
    build_montage,
    effective_colormap,
    input_look,
    levels_for,
    render_map,
    scale_mode,
    shared_levels,
)
from workbench.sources import Frame, RecorderError, VideoRecorder
from workbench.sources.recorder import RecordingFormat, recording_format

_log = logging.getLogger(__name__)

RECORD_KINDS: dict[str, str] = {
    "input": "Input frames",
    "map": "One map",
    "input_and_map": "Input + one map",
    "montage": "Montage of all maps",
}
"""What can be recorded (key -> menu title), in menu order."""
MAP_STAGES = ("conv", "pooled")
MONTAGE_CELL = 192
"""Side of a montage cell in pixels."""
PAIR_CELL_MAX = 640
"""Largest cell of the input + map recording (the input's longer side, up to this)."""
RENDER_QUEUE_SIZE = 4
"""Results waiting to be rendered before new ones are skipped."""

_thread_numbers = itertools.count(1)
_Job = tuple[PipelineResult, Layer, "MapStyle", int]


@dataclass(frozen=True)
class RecordTarget:
    """What a recording shows.

    Parameters
    ----------
    kind : str, optional
        A key of :data:`RECORD_KINDS`.
    stage : {"conv", "pooled"}, optional
        For ``"map"`` and ``"input_and_map"``: the feature map (after the activation, as the
        window shows it) or the pooled map.
    index : int, optional
        Position of the map among the enabled filters.

    Raises
    ------
    ValueError
        If a field is out of range.
    """

    kind: str = "input"
    stage: str = "conv"
    index: int = 0

    def __post_init__(self) -> None:
        if self.kind not in RECORD_KINDS:
            raise ValueError(f"kind must be one of {tuple(RECORD_KINDS)}, got {self.kind!r}")
        if self.stage not in MAP_STAGES:
            raise ValueError(f"stage must be one of {MAP_STAGES}, got {self.stage!r}")
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise ValueError(f"index must be a non-negative integer, got {self.index!r}")

    @property
    def needs_result(self) -> bool:
        """Whether the recording is drawn from computed results (not the raw frames)."""
        return self.kind != "input"


@dataclass(frozen=True, eq=False)
class MapStyle:
    """How maps are coloured: the window's options.

    Parameters
    ----------
    options : ViewOptions
        Colormap, colour mode and shared levels, as in the window.
    """

    options: ViewOptions


def _layer_maps(result: PipelineResult, layer_index: int, stage: str) -> tuple[np.ndarray, ...]:
    layer = result.layers[layer_index]
    return layer.activated if stage == "conv" else layer.pooled


def colour_map(values: np.ndarray, style: MapStyle, levels: Levels | None = None,
               signed: bool | None = None) -> np.ndarray:
    """Colour one 2-D map as the window's image view does.

    Parameters
    ----------
    values : numpy.ndarray
        The map.
    style : MapStyle
        The colour options.
    levels : tuple of float, optional
        ``(low, high)``, e.g. shared by every map; the map's own levels otherwise.
    signed : bool, optional
        Whether the map has negative values (picks the diverging colormap in symmetric
        mode); decided from ``values`` if omitted.

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.
    """
    mode = scale_mode(style.options)
    if signed is None:
        signed = bool((values < 0).any())  # NaN compares False
    cmap = effective_colormap(style.options.colormap, mode, -1.0 if signed else 0.0)
    return render_map(values, MapLook(mode, levels or levels_for([values], mode), cmap))


def _shared_levels(result: PipelineResult, layer_index: int, pooled: bool,
                   style: MapStyle) -> Levels | None:
    maps = result.layers[layer_index]
    return shared_levels([*maps.activated, *(maps.pooled if pooled else ())], style.options)


def _fitted_size(shape: tuple[int, ...], cell: int | None) -> tuple[int, int] | None:
    """``(width, height)`` a map shrinks to in a montage cell; ``None`` if it is not shrunk."""
    h, w = shape[:2]
    if cell is None or max(h, w) <= cell:
        return None
    scale = cell / max(h, w)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _tile(result: PipelineResult, layer_index: int, stage: str, index: int, style: MapStyle,
          shared: tuple[float, float] | None, cell: int | None) -> Tile:
    values = _layer_maps(result, layer_index, stage)[index]
    name = result.layers[layer_index].filter_names[index]
    h, w = values.shape
    title = f"{name} - {h}x{w}" if stage == "conv" else f"{name} pooled - {h}x{w}"
    size = _fitted_size(values.shape, cell)
    if size is None:
        return Tile(title, colour_map(values, style, shared))
    # Levels and the colormap choice come from the full map, as on screen; colouring the
    # shrunk map instead of shrinking the coloured one costs a fraction of the time.
    levels = shared or levels_for([values], scale_mode(style.options))
    signed = bool((values < 0).any())
    small = cv2.resize(np.nan_to_num(values), size, interpolation=cv2.INTER_AREA)
    return Tile(title, colour_map(small, style, levels, signed))


def input_rgb(image_chw: np.ndarray, cell: int | None = None) -> np.ndarray:
    """Draw the input tensor as the window's input view does.

    Parameters
    ----------
    image_chw : numpy.ndarray
        ``(3, H, W)`` or ``(1, H, W)`` float32.
    cell : int, optional
        Shrink to fit a ``cell x cell`` square (area averaging) when larger; the levels
        are those of the full image, as on screen.

    Returns
    -------
    numpy.ndarray
        uint8 ``(H, W, 3)`` RGB.
    """
    look = input_look(image_chw)
    hwc = np.ascontiguousarray(np.moveaxis(image_chw, 0, -1), dtype=np.float32)
    size = _fitted_size(hwc.shape, cell)
    if size is not None:
        hwc = np.asarray(cv2.resize(hwc, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    if hwc.ndim == 3 and hwc.shape[2] == 1:
        hwc = hwc[:, :, 0]
    return render_map(hwc, look)


def _input_tile(result: PipelineResult, cell: int | None) -> Tile:
    c, h, w = result.input.shape
    return Tile(f"Input - {h}x{w} {'RGB' if c == 3 else 'gray'}", input_rgb(result.input, cell))


def compose_frame(target: RecordTarget, result: PipelineResult, layer: Layer, style: MapStyle,
                  layer_index: int = 0) -> np.ndarray | None:
    """Draw one recorded frame from a computed result.

    Parameters
    ----------
    target : RecordTarget
        What to draw; ``kind`` must not be ``"input"`` (those frames are the raw ones).
    result : PipelineResult
        The computed maps.
    layer : Layer
        The pipeline layer that produced them (pooling or not).
    style : MapStyle
        Colours.
    layer_index : int, optional
        The layer whose maps are drawn.

    Returns
    -------
    numpy.ndarray or None
        uint8 ``(H, W, 3)`` RGB, or ``None`` if the chosen map does not exist in this
        result (its filter was disabled or removed).

    Raises
    ------
    ValueError
        If ``target.kind`` is ``"input"``.
    """
    if not target.needs_result:
        raise ValueError("input recordings are made of the raw frames, not of results")
    names = result.layers[layer_index].filter_names
    pooled = layer.pool.kind != "none"
    shared = _shared_levels(result, layer_index, pooled, style)
    if target.kind == "montage":
        count = len(names)
        per_filter = 2 if pooled else 1
        groups = max(1, math.ceil(math.sqrt(count))) if count else 1
        rows: list[list[Tile]] = [[_input_tile(result, MONTAGE_CELL)]]
        for start in range(0, count, groups):
            row: list[Tile] = []
            for i in range(start, min(start + groups, count)):
                row.append(_tile(result, layer_index, "conv", i, style, shared, MONTAGE_CELL))
                if per_filter == 2:
                    row.append(_tile(result, layer_index, "pooled", i, style, shared,
                                     MONTAGE_CELL))
            rows.append(row)
        return build_montage(rows, cell=MONTAGE_CELL)
    stage = target.stage if pooled else "conv"
    if target.index >= len(names):
        return None
    if target.kind == "map":
        return _tile(result, layer_index, stage, target.index, style, shared, None).image
    cell = max(32, min(max(result.input.shape[1:]), PAIR_CELL_MAX))
    tile = _tile(result, layer_index, stage, target.index, style, shared, cell)
    return build_montage([[_input_tile(result, cell), tile]], cell=cell)


class LiveRecorder:
    """Write a live stream to a video file.

    Input recordings take the raw frames (:meth:`add_frame`, from any thread); map
    recordings take computed results (:meth:`add_result`), drawn on a render thread.
    The file is written through :class:`~workbench.sources.VideoRecorder`: crash-safe,
    finished and renamed into place by :meth:`close`.

    Parameters
    ----------
    path : str or os.PathLike
        Target file. Its suffix is replaced by the extension of :func:`recording_format`
        when that differs (an ``.mp4`` asked for becomes ``.webm`` or ``.avi`` on OpenCV
        builds without an H.264 encoder); :attr:`path` is the file actually written.
    fps : float
        Frame rate stored in the file.
    target : RecordTarget
        What to record.
    overwrite : bool, optional
        Replace an existing file (only after the user agreed).
    queue_size : int, optional
        Results waiting for the render thread before new ones are skipped.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is false.
    FileNotFoundError
        If the folder does not exist.
    ValueError
        If ``fps`` is not positive.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, target: RecordTarget, *,
                 overwrite: bool = False, queue_size: int = RENDER_QUEUE_SIZE) -> None:
        self._format = recording_format()
        target_path = Path(path)
        if target_path.suffix.lower() != self._format.extension:
            target_path = target_path.with_suffix(self._format.extension)
        self._recorder = VideoRecorder(target_path, fps, overwrite=overwrite,
                                       fourcc=self._format.fourcc)
        self.target = target
        self._lock = threading.Lock()
        self._skipped = 0
        self._error: BaseException | None = None
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)  # None: stop
        self._thread: threading.Thread | None = None
        if target.needs_result:
            self._thread = threading.Thread(
                target=self._run, name=f"workbench-live-render-{next(_thread_numbers)}",
                daemon=False)
            self._thread.start()

    @property
    def path(self) -> Path:
        """Target file."""
        return self._recorder.path

    @property
    def format(self) -> RecordingFormat:
        """Codec and container of the file."""
        return self._format

    @property
    def status_text(self) -> str:
        """What the window shows while recording, e.g. ``"Recording H.264 MP4 to a.mp4"``."""
        return f"Recording {self._format.label} to {self.path.name}"

    @property
    def closed(self) -> bool:
        """Whether the recording was finished or discarded (no more frames are taken)."""
        return self._recorder.closed

    @property
    def frames_written(self) -> int:
        """Frames encoded so far."""
        return self._recorder.frames_written

    @property
    def frames_skipped(self) -> int:
        """Frames not recorded: render or encoder behind, or the chosen map missing."""
        with self._lock:
            return self._skipped + self._recorder.frames_dropped

    def add_frame(self, frame: Frame) -> None:
        """Record a raw frame (input recordings; ignored otherwise). Any thread.

        Parameters
        ----------
        frame : Frame
            The frame as captured.

        Raises
        ------
        RecorderError
            If the video writer cannot be opened or has failed.
        """
        if not self.target.needs_result and not self._recorder.closed:
            self._recorder.write(frame)

    def add_result(self, result: PipelineResult, layer: Layer, style: MapStyle,
                   layer_index: int = 0) -> bool:
        """Queue a computed result for a map recording (ignored by input recordings).

        Parameters
        ----------
        result : PipelineResult
            The maps.
        layer : Layer
            The pipeline layer that produced them.
        style : MapStyle
            Colours at the time of the result.
        layer_index : int, optional
            The layer shown.

        Returns
        -------
        bool
            False if the render thread is behind and the result was skipped.
        """
        if self._thread is None or self._recorder.closed:
            return True
        try:
            self._queue.put_nowait((result, layer, style, layer_index))
        except queue.Full:
            with self._lock:
                self._skipped += 1
            return False
        return True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            result, layer, style, layer_index = item
            try:
                image = compose_frame(self.target, result, layer, style, layer_index)
                if image is None:
                    with self._lock:
                        self._skipped += 1
                    continue
                self._recorder.write(image)
            except Exception as exc:  # reported by close(); keep draining so close() returns
                _log.exception("rendering a recorded frame failed")
                with self._lock:
                    if self._error is None:
                        self._error = exc

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def close(self) -> Path | None:
        """Render what is queued, finish the file and move it into place.

        Returns
        -------
        pathlib.Path or None
            The file, or ``None`` if no frame was recorded (no file is created).

        Raises
        ------
        RecorderError
            If writing failed.
        FileExistsError
            If a file appeared at the target meanwhile (the recording is kept beside it).
        """
        self._stop_thread()
        if self._error is not None:
            self._recorder.abort()
            raise RecorderError(f"recording to '{self.path}' failed: {self._error}") \
                from self._error
        return self._recorder.close()

    def abort(self) -> None:
        """Stop and discard the recording; nothing appears at :attr:`path`."""
        self._stop_thread()
        self._recorder.abort()
