"""``conv-workbench apply``: run one pipeline over images, folders and videos, export the maps.

Progress goes to stderr, one line per input (``[ 3/10] photo.png ... ok (12 ms)``), then a
summary. Exit code 0 when every input succeeded, 1 when some failed (each bad input is
reported and skipped), 2 on a usage error (nothing is processed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from workbench.batch.inputs import InputItem, discover_inputs, video_frames
from workbench.core import (
    ACTIVATIONS,
    PADDING_MODES,
    POOL_KINDS,
    PRESETS,
    Layer,
    Pipeline,
    PipelineError,
    Pool,
    image_to_chw,
    preset_filter,
    run_pipeline,
)
from workbench.io.bank import load_bank
from workbench.io.errors import LoadError
from workbench.io.images import limit_size, load_image
from workbench.io.maps import FORMATS, STAGES, ExportOptions, export_maps
from workbench.io.naming import DEFAULT_PATTERN, check_pattern
from workbench.io.workspace import WORKSPACE_FORMAT, load_workspace
from workbench.render import COLOR_MODES, COLORMAPS, ViewOptions
from workbench.sources import SourceError

PROG = "conv-workbench apply"


class UsageError(ValueError):
    """A command-line problem found before any input is processed (exit code 2)."""


# ---------------------------------------------------------------- argument values


def parse_pair(text: str, name: str) -> tuple[int, int]:
    """Parse ``"2"``, ``"2,1"`` or ``"2x1"`` into a pair of integers.

    Parameters
    ----------
    text : str
        The option value.
    name : str
        Option name for messages.

    Returns
    -------
    tuple of int
        ``(vertical, horizontal)``.

    Raises
    ------
    UsageError
        If the text is not one or two integers.

    Examples
    --------
    >>> parse_pair("3", "stride"), parse_pair("2x1", "stride")
    ((3, 3), (2, 1))
    """
    parts = text.replace("x", ",").split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise UsageError(f"{name} must be N or N,M (integers), got {text!r}") from None
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise UsageError(f"{name} must be N or N,M (integers), got {text!r}")


def parse_padding(text: str) -> str | tuple[int, int]:
    """Parse ``valid``, ``same``, ``N`` or ``N,M``.

    Parameters
    ----------
    text : str
        The option value.

    Returns
    -------
    str or tuple of int
        As :class:`workbench.core.Layer` takes it.

    Raises
    ------
    UsageError
        On anything else.
    """
    if text in ("valid", "same"):
        return text
    return parse_pair(text, "--padding")


def parse_pool(text: str) -> Pool:
    """Parse a pooling spec ``KIND[:SIZE][:sSTRIDE][:pPADDING][:ceil]``.

    ``KIND`` is one of :data:`workbench.core.POOL_KINDS`; sizes are ``N`` or ``HxW``; the
    size defaults to 2 and the stride to the size.

    Parameters
    ----------
    text : str
        E.g. ``max:2``, ``avg:2x2``, ``min:3:s2``, ``max:3:s2:p1:ceil``, ``global_avg``.

    Returns
    -------
    Pool
        The pooling.

    Raises
    ------
    UsageError
        On an unknown kind or part, or invalid numbers.

    Examples
    --------
    >>> parse_pool("min:3:s2")
    Pool(kind='min', size=(3, 3), stride=(2, 2), padding=(0, 0), ceil_mode=False)
    """
    kind, *parts = text.split(":")
    if kind not in POOL_KINDS:
        raise UsageError(f"--pool kind must be one of {', '.join(POOL_KINDS)}, got {kind!r}")
    size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = (0, 0)
    ceil = False
    for i, part in enumerate(parts):
        if part == "ceil":
            ceil = True
        elif part.startswith("s"):
            stride = parse_pair(part[1:], "--pool stride")
        elif part.startswith("p"):
            padding = parse_pair(part[1:], "--pool padding")
        elif i == 0:
            size = parse_pair(part, "--pool size")
        else:
            raise UsageError(f"--pool part {part!r} not understood; use "
                             "KIND[:SIZE][:sSTRIDE][:pPADDING][:ceil], e.g. max:3:s2:p1")
    if kind in ("max", "avg", "min") and any(p > k // 2 for p, k in zip(padding, size,
                                                                        strict=True)):
        raise UsageError(f"--pool padding {padding} must be at most half the window {size}")
    try:
        return Pool(kind, size, stride, padding, ceil)
    except ValueError as exc:
        raise UsageError(f"--pool: {exc}") from None


def _choices(text: str, allowed: Sequence[str], name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise UsageError(f"{name} takes a comma-separated list of {', '.join(allowed)}; "
                         f"got {text!r}")
    return values


# ---------------------------------------------------------------- parser and pipeline


LAYER_OPTIONS = ("stride", "padding", "dilation", "groups", "padding_mode", "activation",
                 "negative_slope", "pool", "flip")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``apply`` argument parser.

    Returns
    -------
    argparse.ArgumentParser
        The parser (it exits on ``--help`` and on syntax errors, as argparse does).
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run a filter bank over images, folders and videos and export the "
                    "feature maps. Exit code: 0 all inputs ok, 1 some failed, 2 usage error.")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="image or video files, or folders of images")
    bank = parser.add_mutually_exclusive_group(required=True)
    bank.add_argument("--bank", metavar="BANK.json", help="filter bank JSON, or a workspace "
                      "whose pipeline is used (defines every layer)")
    bank.add_argument("--preset", action="append", metavar="NAME",
                      help=f"preset kernel for a one-layer bank (repeatable): "
                           f"{', '.join(PRESETS)}")
    parser.add_argument("--mode", choices=("gray", "rgb"),
                        help="input mode (default: the bank's, or gray for presets)")
    layer = parser.add_argument_group("layer (with --preset)")
    layer.add_argument("--stride", help="N or N,M (default 1)")
    layer.add_argument("--padding", help="valid, same, N or N,M (default 0)")
    layer.add_argument("--dilation", help="N or N,M (default 1)")
    layer.add_argument("--groups", type=int, help="default 1")
    layer.add_argument("--padding-mode", choices=PADDING_MODES, help="default zeros")
    layer.add_argument("--activation", choices=ACTIVATIONS, help="default none")
    layer.add_argument("--negative-slope", type=float, help="leaky_relu slope (default 0.01)")
    layer.add_argument("--pool", help="KIND[:SIZE][:sSTRIDE][:pPADDING][:ceil], e.g. max:2, "
                                      "avg:2x2, min:3:s2 (default none)")
    layer.add_argument("--flip", action="store_true", default=None,
                       help="true convolution (flip the kernels)")
    out = parser.add_argument_group("output")
    out.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    out.add_argument("--format", default="png", help=f"comma-separated: {', '.join(FORMATS)} "
                                                     "(default png)")
    out.add_argument("--stages", default=",".join(STAGES),
                     help=f"comma-separated: {', '.join(STAGES)} (default all)")
    out.add_argument("--pattern", default=DEFAULT_PATTERN,
                     help=f"per-map file names (default {DEFAULT_PATTERN.replace('%', '%%')})")
    out.add_argument("--scale", choices=tuple(COLOR_MODES), default="minmax",
                     help="PNG/montage scaling (default minmax)")
    out.add_argument("--colormap", choices=tuple(COLORMAPS), default="gray",
                     help="PNG/montage colormap (default gray)")
    out.add_argument("--overwrite", action="store_true", help="replace existing files")
    src = parser.add_argument_group("inputs")
    src.add_argument("--recursive", action="store_true", help="include subfolders")
    src.add_argument("--every", type=int, default=1, metavar="N",
                     help="videos: process every N-th frame (default 1)")
    src.add_argument("--max-side", type=int, metavar="N",
                     help="shrink inputs so the longer side is at most N pixels")
    return parser


def _load_pipeline(path: Path) -> Pipeline:
    """Read a bank file, or the pipeline of a workspace file."""
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None  # load_bank reports it with the file name, line and column
    if isinstance(data, dict) and data.get("format") == WORKSPACE_FORMAT:
        return load_workspace(path).pipeline
    return load_bank(path)


def build_pipeline(args: argparse.Namespace) -> Pipeline:
    """Make the pipeline from ``--bank`` or ``--preset`` and the layer options.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    Pipeline
        The pipeline.

    Raises
    ------
    UsageError
        On an unreadable bank, an unknown preset, invalid layer options, or layer options
        combined with ``--bank``.
    """
    given = [name for name in LAYER_OPTIONS if getattr(args, name) is not None]
    if args.bank is not None:
        if given:
            shown = ", ".join("--" + n.replace("_", "-") for n in given)
            raise UsageError(f"{shown} only apply to --preset banks; --bank defines its layers")
        try:
            pipeline = _load_pipeline(Path(args.bank))
        except (LoadError, OSError) as exc:
            raise UsageError(f"cannot load the bank: {exc}") from None
        if pipeline.input_mode == "raw":
            raise UsageError("the bank reads raw numeric data (input mode 'raw'); apply runs "
                             "on images and videos, so save the bank with a gray or RGB "
                             "input mode")
        if args.mode is not None and args.mode != pipeline.input_mode:
            raise UsageError(f"--mode {args.mode} does not match the bank's input mode "
                             f"{pipeline.input_mode!r} (its filters have "
                             f"{pipeline.input_channels} channel slice(s))")
        return pipeline
    mode = args.mode or "gray"
    channels = 1 if mode == "gray" else 3
    try:
        filters = tuple(preset_filter(key, channels) for key in args.preset)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    options: dict[str, object] = {}
    for name in ("stride", "dilation"):
        if getattr(args, name) is not None:
            options[name] = parse_pair(getattr(args, name), "--" + name)
    if args.padding is not None:
        options["padding"] = parse_padding(args.padding)
    if args.pool is not None:
        options["pool"] = parse_pool(args.pool)
    for name in ("groups", "padding_mode", "activation", "negative_slope", "flip"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if "groups" in options:
        # A grouped layer sees channels / groups slices per filter.
        groups = options["groups"]
        if isinstance(groups, int) and groups > 0 and channels % groups == 0:
            filters = tuple(f.with_channels(channels // groups) for f in filters)
    try:
        layer = Layer(filters, **options)  # type: ignore[arg-type]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return Pipeline(mode, (layer,))


def export_options(args: argparse.Namespace) -> ExportOptions:
    """Make the export options from the output arguments.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments.

    Returns
    -------
    ExportOptions
        The options.

    Raises
    ------
    UsageError
        On unknown formats or stages, a bad pattern, or ``--out`` naming a file.
    """
    formats = _choices(args.format, FORMATS, "--format")
    stages = _choices(args.stages, STAGES, "--stages")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    try:
        check_pattern(args.pattern)
    except ValueError as exc:
        raise UsageError(f"--pattern: {exc}") from None
    return ExportOptions(out, formats, stages, pattern=args.pattern,
                         view=ViewOptions(args.colormap, args.scale), overwrite=args.overwrite)


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class ItemReport:
    """The outcome of one input: files written, frames processed (videos), time, error."""

    item: InputItem
    ok: bool
    files: int
    frames: int
    seconds: float
    message: str = ""


def _process_image(pixels: np.ndarray, source: str, pipeline: Pipeline,
                   options: ExportOptions) -> int:
    chw = image_to_chw(pixels, "rgb" if pipeline.input_mode == "rgb" else "gray")
    result = run_pipeline(chw, pipeline)
    return len(export_maps(result, pipeline, source, options))


def process_item(item: InputItem, pipeline: Pipeline, options: ExportOptions, *,
                 every: int = 1, max_side: int | None = None) -> ItemReport:
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

    Returns
    -------
    ItemReport
        Success or the reason for failure.
    """
    start = time.perf_counter()
    files = frames = 0
    frame: int | None = None
    try:
        if item.error is not None:
            raise ValueError(item.error)
        if item.kind == "image":
            pixels = load_image(item.path).limited(max_side)
            files = _process_image(pixels, item.source, pipeline, options)
            frames = 1
        else:
            for frame, rgb in video_frames(item.path, every):
                files += _process_image(limit_size(rgb, max_side),
                                        f"{item.source}_f{frame:06d}", pipeline, options)
                frames += 1
                frame = None
            if frames == 0:
                raise ValueError("no frame could be decoded")
    except (PipelineError, SourceError, ValueError, OSError) as exc:
        if isinstance(exc, FileExistsError):
            message = f"{exc.filename} already exists (use --overwrite to replace it)"
        else:
            message = str(exc)
        if frame is not None:
            message = f"frame {frame}: {message}"
        if item.kind == "video" and frames:
            message += f" (after {frames} frame(s), {files} file(s) written)"
        return ItemReport(item, False, files, frames, time.perf_counter() - start, message)
    return ItemReport(item, True, files, frames, time.perf_counter() - start)


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def run_batch(items: Sequence[InputItem], pipeline: Pipeline, options: ExportOptions, *,
              every: int = 1, max_side: int | None = None,
              on_start: Callable[[int, int, InputItem], None] | None = None,
              on_done: Callable[[int, int, ItemReport], None] | None = None,
              ) -> list[ItemReport]:
    """Process inputs one after another; a failure is recorded and the rest still run.

    Parameters
    ----------
    items : sequence of InputItem
        The inputs.
    pipeline : Pipeline
        The pipeline.
    options : ExportOptions
        What to export and where.
    every : int, optional
        Videos: keep one frame in ``every``.
    max_side : int, optional
        Shrink inputs to this longest side first.
    on_start, on_done : callable, optional
        Called as ``(position, total, item)`` before and ``(position, total, report)``
        after each input (``position`` is 1-based).

    Returns
    -------
    list of ItemReport
        One per input.
    """
    reports = []
    total = len(items)
    for position, item in enumerate(items, 1):
        if on_start is not None:
            on_start(position, total, item)
        report = process_item(item, pipeline, options, every=every, max_side=max_side)
        reports.append(report)
        if on_done is not None:
            on_done(position, total, report)
    return reports


class _Progress:
    """Plain-text progress lines: ``[ 3/10] photo.png ... ok (12 ms)``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def start(self, position: int, total: int, item: InputItem) -> None:
        width = len(str(total))
        self.stream.write(f"[{position:>{width}}/{total}] {item.label} ... ")
        self.stream.flush()

    def done(self, position: int, total: int, report: ItemReport) -> None:
        if report.ok:
            frames = f", {report.frames} frames" if report.item.kind == "video" else ""
            text = f"ok{frames} ({_duration(report.seconds)})"
        else:
            text = f"FAILED: {report.message}"
        self.stream.write(text + "\n")
        self.stream.flush()


def _summary(reports: Sequence[ItemReport], out: Path, seconds: float) -> str:
    ok = sum(r.ok for r in reports)
    failed = [r for r in reports if not r.ok]
    files = sum(r.files for r in reports)
    lines = [f"Done in {_duration(seconds)}: {ok} of {len(reports)} input(s) ok, "
             f"{len(failed)} failed; {files} file(s) written to {out}"]
    if failed:
        lines.append("Failed:")
        lines += [f"  {r.item.label}: {r.message}" for r in failed]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, *, stderr: TextIO | None = None) -> int:
    """Run ``conv-workbench apply``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``apply``; defaults to ``sys.argv[2:]``.
    stderr : text stream, optional
        Where progress, summary and errors go; ``sys.stderr`` by default.

    Returns
    -------
    int
        0 if every input succeeded, 1 if some failed, 2 on a usage error.
    """
    err = sys.stderr if stderr is None else stderr
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[2:] if argv is None else list(argv))
    except SystemExit as exc:  # --help (0) or a syntax error (2, message already printed)
        return int(exc.code or 0)
    try:
        if args.every < 1:
            raise UsageError(f"--every must be at least 1, got {args.every}")
        if args.max_side is not None and args.max_side < 1:
            raise UsageError(f"--max-side must be at least 1, got {args.max_side}")
        pipeline = build_pipeline(args)
        options = export_options(args)
    except UsageError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return 2
    items = discover_inputs(args.inputs, recursive=args.recursive)
    progress = _Progress(err)
    start = time.perf_counter()
    reports = run_batch(items, pipeline, options, every=args.every, max_side=args.max_side,
                        on_start=progress.start, on_done=progress.done)
    err.write(_summary(reports, Path(args.out), time.perf_counter() - start))
    return 0 if all(r.ok for r in reports) else 1
