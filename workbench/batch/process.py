"""One input of ``apply``: read it, run the pipeline, export the maps, report the outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.batch.inputs import InputItem, video_frames
from workbench.core import Pipeline, PipelineError, image_to_chw, run_pipeline
from workbench.io.images import limit_size, load_image
from workbench.io.maps import ExportOptions, export_maps
from workbench.sources import SourceError, VideoFileSource

CHUNK_FRAMES = 300  # frames of a video per parallel task


@dataclass(frozen=True)
class ItemReport:
    """The outcome of one input: files written, frames processed (videos), time, error."""

    item: InputItem
    ok: bool
    files: int
    frames: int
    seconds: float
    message: str = ""
    outputs: tuple[str, ...] = ()  # the files written


def _process_image(pixels: np.ndarray, source: str, pipeline: Pipeline,
                   options: ExportOptions) -> list[Path]:
    chw = image_to_chw(pixels, "rgb" if pipeline.input_mode == "rgb" else "gray")
    result = run_pipeline(chw, pipeline)
    return export_maps(result, pipeline, source, options)


def _describe(exc: BaseException) -> str:
    """Say in one sentence why an input failed, for any exception."""
    if isinstance(exc, FileExistsError):
        return f"{exc.filename} already exists (use --overwrite to replace it)"
    if isinstance(exc, (PipelineError, SourceError)):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "not enough memory to process it"
    if isinstance(exc, RecursionError):
        return "processing it nested too deeply (recursion limit reached)"
    if isinstance(exc, UnicodeError):
        return f"a file name cannot be encoded ({exc})"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    text = str(exc).strip()
    if isinstance(exc, ValueError) and text:
        return text
    first = text.splitlines()[0] if text else ""
    kind = "OpenCV error" if type(exc).__module__.startswith("cv2") else type(exc).__name__
    return f"{kind}: {first}" if first else kind


def process_item(item: InputItem, pipeline: Pipeline, options: ExportOptions, *,
                 every: int = 1, max_side: int | None = None,
                 frame_range: tuple[int, int] | None = None) -> ItemReport:
    """Run the pipeline on one input and export its maps; never raises for a bad input.

    Each image (each video frame) is exported all-or-nothing. A video stops at its first bad
    frame; the frames before it stay exported (the report says how many).

    Parameters
    ----------
    item : InputItem
        From :func:`workbench.batch.inputs.discover_inputs`.
    pipeline : Pipeline
        The pipeline.
    options : ExportOptions
        What to export and where.
    every : int, optional
        Videos: process frames 0, ``every``, 2 x ``every``...
    max_side : int, optional
        Shrink inputs to this longest side first.
    frame_range : tuple of int, optional
        Videos: only frames ``start <= index < stop`` (a cluster task's share).

    Returns
    -------
    ItemReport
        Success or the reason for failure.
    """
    start = time.perf_counter()
    frames = 0
    written: list[Path] = []
    frame: int | None = None
    try:
        if item.error is not None:
            raise ValueError(item.error)
        if item.kind == "image":
            pixels = load_image(item.path).limited(max_side)
            written += _process_image(pixels, item.source, pipeline, options)
            frames = 1
        else:
            first, stop = frame_range if frame_range is not None else (0, None)
            # Frames before the range are passed over without converting them.
            start = -(-first // every) * every  # the first kept frame in the range
            for frame, rgb in video_frames(item.path, every, start=start, stop=stop):
                written += _process_image(limit_size(rgb, max_side),
                                          f"{item.source}_f{frame:06d}", pipeline, options)
                frames += 1
                frame = None
            if frames == 0:
                raise ValueError("no frame could be decoded")
    except Exception as exc:  # noqa: BLE001 - one bad input must never stop the run
        files = len(written)
        message = _describe(exc)
        if frame is not None:
            message = f"frame {frame}: {message}"
        if item.kind == "video" and frames:
            message += f" (after {frames} frame(s), {files} file(s) written)"
        return ItemReport(item, False, files, frames, time.perf_counter() - start, message,
                          tuple(str(p) for p in written))
    return ItemReport(item, True, len(written), frames, time.perf_counter() - start, "",
                      tuple(str(p) for p in written))


def video_ranges(item: InputItem, chunk: int = CHUNK_FRAMES) -> list[tuple[int, int] | None]:
    """Split a video into frame ranges (one ``None`` for images or unknown lengths).

    Parameters
    ----------
    item : InputItem
        The input.
    chunk : int, optional
        Frames per range.

    Returns
    -------
    list
        ``[(0, 300), (300, 600), ...]`` for a video, ``[None]`` otherwise.
    """
    if item.kind != "video" or item.error is not None:
        return [None]
    try:
        with VideoFileSource(item.path) as source:
            count = source.frame_count
    except (SourceError, OSError):
        return [None]  # the task reports why
    if not count or count <= chunk:
        return [None]
    return [(start, min(start + chunk, count)) for start in range(0, count, chunk)]


def merge_reports(item: InputItem, parts: list[ItemReport]) -> ItemReport:
    """Join the reports of one input's tasks (a video's frame ranges) into one.

    Parameters
    ----------
    item : InputItem
        The input.
    parts : list of ItemReport
        Its tasks' reports, in any order.

    Returns
    -------
    ItemReport
        ok if every part is; files, frames and outputs summed, in frame order.
    """
    if len(parts) == 1:
        return parts[0]
    ordered = sorted(parts, key=lambda r: r.outputs[:1])
    failed = [p.message for p in ordered if not p.ok]
    return ItemReport(item, not failed, sum(p.files for p in ordered),
                      sum(p.frames for p in ordered), sum(p.seconds for p in ordered),
                      "; ".join(failed), tuple(o for p in ordered for o in p.outputs))
