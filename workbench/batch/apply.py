"""``conv-workbench apply``: run one pipeline over images, folders and videos, export the maps.

Progress goes to stderr, one line per input (``[ 3/10] photo.png ... ok (12 ms)``), then a
summary. Exit code 0 when every input succeeded, 1 when some failed (each bad input is
reported and skipped), 2 on a usage error (nothing is processed), 130 after Ctrl+C and 143
after ``SIGTERM`` (the manifest is saved and our temporary files removed, so running the
same command again continues). Temporary files a killed run left behind are removed at
the next run's start.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import stat
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from workbench.batch.cluster import ClusterUnavailable, run_on_cluster
from workbench.batch.inputs import InputItem, discover_inputs
from workbench.batch.manifest import Manifest, run_hash
from workbench.batch.parallel import StopRequested, run_in_workers, usable_cores
from workbench.batch.process import ItemReport, process_item
from workbench.core import (
    ACTIVATIONS,
    PADDING_MODES,
    POOL_KINDS,
    PRESETS,
    Layer,
    Pipeline,
    Pool,
    preset_filter,
    to_json,
)
from workbench.core.conv import resolve_padding
from workbench.io.atomic import TEMP_PREFIX
from workbench.io.bank import load_bank
from workbench.io.errors import LoadError
from workbench.io.maps import FORMATS, STAGES, ExportOptions
from workbench.io.naming import DEFAULT_PATTERN, check_pattern
from workbench.io.workspace import WORKSPACE_FORMAT, load_workspace
from workbench.render import COLOR_MODES, COLORMAPS, ViewOptions

PROG = "conv-workbench apply"


class UsageError(ValueError):
    """A command-line problem found before any input is processed (exit code 2)."""


class Terminated(BaseException):
    """Raised in the main thread by the ``SIGTERM`` handler that :func:`main` installs.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that the per-input error
    handling lets it through.
    """


RC_SIGINT = 130
RC_SIGTERM = 143


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
                    "feature maps. Exit code: 0 all inputs ok, 1 some failed, 2 usage error, "
                    "130 interrupted (Ctrl+C), 143 stopped (SIGTERM).")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="image or video files, or folders of images")
    bank = parser.add_mutually_exclusive_group(required=True)
    bank.add_argument("--bank", metavar="BANK.json", help="filter bank JSON, or a workspace "
                      "whose pipeline is used (defines every layer)")
    bank.add_argument("--model", metavar="MODEL",
                      help="a model file (.onnx, .safetensors, .pt/.pth): run its layers from "
                           "the input up to --through (BatchNorm folded)")
    bank.add_argument("--preset", action="append", metavar="NAME",
                      help=f"preset kernel for a one-layer bank (repeatable): "
                           f"{', '.join(PRESETS)}")
    parser.add_argument("--through", metavar="LAYER",
                        help="with --model: the last layer to run (a conv, BatchNorm, "
                             "activation or pooling layer's name)")
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
    run = parser.add_argument_group("run")
    run.add_argument("--workers", type=int, metavar="N",
                     help="worker processes (default: all cores; 1 = in this process); "
                          "numba threads per worker are set so workers x threads = cores")
    run.add_argument("--dask", action="store_true",
                     help="run on a local Dask cluster of --workers processes (needs the "
                          "cluster extra)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on the Dask cluster at ADDRESS (tcp://host:8786); the output "
                          "folder must be a path every worker can write")
    run.add_argument("--force", action="store_true",
                     help="recompute inputs the run manifest records as complete (their "
                          "files are replaced)")
    run.add_argument("--list", action="store_true",
                     help="print what would be computed and skipped, write nothing")
    src.add_argument("--recursive", action="store_true", help="include subfolders")
    src.add_argument("--every", type=int, default=1, metavar="N",
                     help="videos: process every N-th frame (default 1)")
    src.add_argument("--max-side", type=int, metavar="N",
                     help="shrink inputs so the longer side is at most N pixels")
    return parser


def _load_pipeline(path: Path) -> Pipeline:
    """Read a bank file, or the pipeline of a workspace file."""
    mode = os.stat(path).st_mode  # a FIFO or device would block or never end: refuse it
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else (
            "a folder" if stat.S_ISDIR(mode) else "a special file")
        raise LoadError(path, f"{kind}, not a regular file; only regular files can be read")
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None  # load_bank reports it with the file name, line and column
    if isinstance(data, dict) and data.get("format") == WORKSPACE_FORMAT:
        return load_workspace(path).pipeline
    return load_bank(path)


def _model_pipeline(path: Path, through: str | None, mode: str | None) -> Pipeline:
    """Return the run of a model's layers from the input up to ``through``."""
    if through is None:
        raise UsageError("--model needs --through LAYER: the last layer to run")
    try:
        from workbench.io.models import open_model

        model = open_model(path)
        pipeline = model.pipeline(through=through)
    except ImportError as exc:
        raise UsageError(f"reading models needs the 'models' extra (pip install "
                         f"\"conv-workbench[models]\"): {exc}") from None
    except KeyError as exc:
        raise UsageError(f"{path.name}: {str(exc).strip(chr(39) + chr(34))}") from None
    except (LoadError, OSError, ValueError) as exc:
        raise UsageError(f"cannot use the model: {exc}") from None
    if pipeline.input_mode == "raw":
        raise UsageError(f"{path.name} reads {model.input_channels} input channels; apply "
                         f"runs on images (1 gray or 3 RGB channels)")
    if mode is not None and mode != pipeline.input_mode:
        raise UsageError(f"--mode {mode} does not match the model's input "
                         f"({pipeline.input_mode})")
    return pipeline


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
    if getattr(args, "through", None) is not None and getattr(args, "model", None) is None:
        raise UsageError("--through names a layer of --model; give the model too")
    if getattr(args, "model", None) is not None:
        if given:
            shown = ", ".join("--" + n.replace("_", "-") for n in given)
            raise UsageError(f"{shown} only apply to --preset banks; --model defines its "
                             f"layers")
        return _model_pipeline(Path(args.model), args.through, args.mode)
    if args.bank is not None:
        if given:
            shown = ", ".join("--" + n.replace("_", "-") for n in given)
            raise UsageError(f"{shown} only apply to --preset banks; --bank defines its layers")
        try:
            pipeline = _load_pipeline(Path(args.bank))
        except (LoadError, OSError) as exc:
            raise UsageError(f"cannot load the bank: {exc}") from None
        except RecursionError:
            raise UsageError(f"cannot load the bank {args.bank}: it is nested too deeply"
                             ) from None
        except (OverflowError, ValueError, MemoryError) as exc:
            raise UsageError(f"cannot load the bank {args.bank}: "
                             f"{exc or type(exc).__name__}") from None
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


def check_layers(pipeline: Pipeline) -> None:
    """Refuse layer settings no input could run with (``padding='same'`` with a stride...).

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline about to run.

    Raises
    ------
    UsageError
        Naming the layer and the conflict.
    """
    for index, layer in enumerate(pipeline.layers, 1):
        for filt in layer.filters:
            kernel = (int(filt.weight.shape[-2]), int(filt.weight.shape[-1]))
            try:
                resolve_padding(layer.padding, kernel, layer.stride, layer.dilation)
            except ValueError as exc:
                raise UsageError(f"layer {index}: {exc}") from None


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
    """Plain-text progress lines: ``[ 3/10] photo.png ... ok (12 ms) · 4.2/s · ETA 2 s``."""

    def __init__(self, stream: TextIO, total: int, parallel: bool = False) -> None:
        self.stream = stream
        self.total = total
        self.parallel = parallel  # lines only when an input is done (several run at once)
        self.finished = 0
        self.frames = 0
        self.started = time.perf_counter()

    def start(self, position: int, total: int, item: InputItem) -> None:
        if not self.parallel:
            self.stream.write(f"{self._counter(position)} {item.label} ... ")
            self.stream.flush()

    def _counter(self, position: int) -> str:
        width = len(str(self.total))
        return f"[{position:>{width}}/{self.total}]"

    def done(self, report: ItemReport) -> None:
        self.finished += 1
        self.frames += report.frames
        if report.ok:
            frames = f", {report.frames} frames" if report.item.kind == "video" else ""
            text = f"ok{frames} ({_duration(report.seconds)})"
        else:
            text = f"FAILED: {report.message}"
        elapsed = time.perf_counter() - self.started
        rate = self.finished / elapsed if elapsed > 0 else 0.0
        left = self.total - self.finished
        if rate > 0 and self.finished < self.total:
            text += f" · {rate:.2g} inputs/s · ETA {_duration(left / rate)}"
        if self.parallel:
            text = f"{self._counter(self.finished)} {report.item.label} ... {text}"
        self.stream.write(text + "\n")
        self.stream.flush()


def _summary(reports: Sequence[ItemReport], out: Path, seconds: float, skipped: int = 0,
             interrupted: bool = False, total: int | None = None, swept: int = 0) -> str:
    ok = sum(r.ok for r in reports)
    failed = [r for r in reports if not r.ok]
    files = sum(r.files for r in reports)
    frames = sum(r.frames for r in reports)
    rate = f", {frames / seconds:.3g} frames/s" if seconds > 0 and frames else ""
    head = "Interrupted" if interrupted else "Done"
    lines = [f"{head} in {_duration(seconds)}: {ok} of {len(reports)} input(s) ok, "
             f"{len(failed)} failed, {skipped} skipped (complete in the run manifest); "
             f"{files} file(s) written to {out}{rate}"]
    if interrupted:
        count = len(reports) if total is None else total
        lines.insert(0, f"Interrupted after {len(reports)} of {count} input(s).")
        lines.append("Run the same command again to continue where this run stopped.")
    if swept:
        lines.append(f"Removed {swept} stale temporary file(s) left in {out} by an earlier "
                     f"run that was killed.")
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
        0 if every input succeeded, 1 if some failed, 2 on a usage error, 130 when
        interrupted by Ctrl+C (``SIGINT``), 143 when stopped by ``SIGTERM``.
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
        check_layers(pipeline)
        options = export_options(args)
    except UsageError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return 2
    if args.workers is not None and args.workers < 1:
        err.write(f"{PROG}: error: --workers must be at least 1, got {args.workers}\n")
        return 2
    if args.force:
        options = replace(options, overwrite=True)
    items = discover_inputs(args.inputs, recursive=args.recursive)
    out = Path(args.out)
    manifest, warning = Manifest.load(out)
    if warning:
        err.write(f"{PROG}: warning: {warning}\n")
    run = run_hash(to_json(pipeline), repr(options.formats), repr(options.stages),
                   repr(options.pattern), repr(options.view), str(args.every),
                   str(args.max_side))
    skipped = [] if args.force else [i for i in items if manifest.is_complete(i, run)]
    todo = [i for i in items if i not in skipped]
    if args.list:
        return _list_run(todo, skipped, options, err)
    workers = min(args.workers or usable_cores(), max(len(todo), 1))
    progress = _Progress(err, len(todo), parallel=workers > 1)
    reports: list[ItemReport] = []
    saver = _ManifestSaver(manifest, run)

    def done(report: ItemReport) -> None:
        saver.add(report)  # first: an interruption after this still finds the input recorded
        reports.append(report)
        progress.done(report)

    start = time.perf_counter()
    started_wall = time.time()
    swept = len(sweep_temp_files(out, before=started_wall))
    previous = _install_sigterm()
    try:
        try:
            if args.dask or args.scheduler:
                progress.parallel = True
                run_on_cluster(todo, pipeline, options, scheduler=args.scheduler,
                               workers=args.workers, every=args.every,
                               max_side=args.max_side, on_done=done)
            elif workers > 1:
                _run_workers_deferring_signals(todo, pipeline, options, workers, args, done)
            else:
                run_batch(todo, pipeline, options, every=args.every, max_side=args.max_side,
                          on_start=progress.start,
                          on_done=lambda _p, _t, report: done(report))
        except ClusterUnavailable as exc:
            err.write(f"{PROG}: error: {exc}\n")
            return 2
        except (KeyboardInterrupt, Terminated) as exc:
            _restore_sigterm(previous)
            try:  # a second Ctrl+C must not cut the summary short
                old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
            except ValueError:  # not the main thread
                old_int = None
            try:
                saver.save()
                sweep_temp_files(out, since=started_wall)
                err.write("\n" + _summary(reports, out, time.perf_counter() - start,
                                          len(skipped), interrupted=True, total=len(todo),
                                          swept=swept))
                err.flush()
            finally:
                if old_int is not None:
                    signal.signal(signal.SIGINT, old_int)
            return RC_SIGTERM if isinstance(exc, Terminated) else RC_SIGINT
    finally:
        _restore_sigterm(previous)
    saver.save()
    err.write(_summary(reports, out, time.perf_counter() - start, len(skipped), swept=swept))
    return 0 if all(r.ok for r in reports) else 1


_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[0-9a-f]{8}(-.+|\.[^.]*)?\Z", re.DOTALL)


def sweep_temp_files(folder: Path, *, before: float | None = None,
                     since: float | None = None) -> list[Path]:
    """Remove the temporary files our atomic writes leave when a run is killed.

    Only names made by :func:`workbench.io.atomic.temp_path_for` (``.~`` then 8 hex digits)
    are touched, in ``folder`` and its subfolders; any other file is left alone.

    Parameters
    ----------
    folder : pathlib.Path
        The output folder.
    before : float, optional
        Only files last modified before this ``time.time()`` (stale ones, at a run's start).
    since : float, optional
        Only files modified at or after this time (this run's, after an interruption).

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if not _TEMP_NAME.match(name):
                continue
            path = Path(root, name)
            try:
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode):
                    continue
                if before is not None and info.st_mtime >= before:
                    continue
                if since is not None and info.st_mtime < since - 1.0:
                    continue
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed


def _run_workers_deferring_signals(todo: Sequence[InputItem], pipeline: Pipeline,
                                   options: ExportOptions, workers: int,
                                   args: argparse.Namespace,
                                   done: Callable[[ItemReport], None]) -> None:
    """Run in worker processes; SIGINT / SIGTERM stop the run between results.

    Raising from a signal handler while the process pool holds its locks can deadlock the
    pool's shutdown, so here the handlers only note the signal; the pool polls for it and
    the run stops as a serial one does (:class:`Terminated` or ``KeyboardInterrupt``).
    """
    received: list[int] = []

    def note(signum: int, _frame: object) -> None:
        received.append(signum)

    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, note)
    except ValueError:  # not the main thread: signals stay as they were
        pass
    try:
        run_in_workers(todo, pipeline, options, workers, every=args.every,
                       max_side=args.max_side, on_done=done,
                       should_stop=lambda: received[0] if received else None)
    except StopRequested as stop:
        if stop.signum == signal.SIGTERM:
            raise Terminated(str(stop)) from None
        raise KeyboardInterrupt from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(f"signal {signum}")


def _install_sigterm() -> object:
    """Make ``SIGTERM`` raise :class:`Terminated` (main thread only); return the old handler."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError, AttributeError):  # not the main thread, or no SIGTERM
        return None


def _restore_sigterm(previous: object) -> None:
    if previous is None:
        return
    try:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
    except (ValueError, OSError, TypeError):
        pass


class _ManifestSaver:
    """Record finished inputs and write the manifest at most every few seconds."""

    def __init__(self, manifest: Manifest, run: str, interval_s: float = 2.0) -> None:
        self.manifest, self.run, self.interval_s = manifest, run, interval_s
        self.saved = time.perf_counter()
        self.dirty = False

    def add(self, report: ItemReport) -> None:
        if report.ok:
            self.manifest.record(report.item, self.run, [Path(p) for p in report.outputs],
                                 report.frames)
            self.dirty = True
        if self.dirty and time.perf_counter() - self.saved >= self.interval_s:
            self.save()

    def save(self) -> None:
        if self.dirty:
            try:
                self.manifest.save()
            except OSError:
                pass  # the outputs stand; a re-run just recomputes what it cannot see
            self.dirty = False
            self.saved = time.perf_counter()


def _list_run(todo: Sequence[InputItem], skipped: Sequence[InputItem], options: ExportOptions,
              err: TextIO) -> int:
    """Print what a run would compute and skip; write nothing."""
    for item in todo:
        what = f"error: {item.error}" if item.error else f"compute ({item.kind})"
        err.write(f"{item.label}: {what}\n")
    for item in skipped:
        err.write(f"{item.label}: skip (complete in the run manifest)\n")
    err.write(f"{len(todo)} input(s) to compute, {len(skipped)} to skip; formats "
              f"{', '.join(options.formats)}, stages {', '.join(options.stages)}, into "
              f"{options.folder}\n")
    return 0
