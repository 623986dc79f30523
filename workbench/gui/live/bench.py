"""Live benchmark: a video streamed through the real window, offscreen.

``conv-workbench bench --live [--seconds S] [--sizes 640x480,1280x720]`` or
``python -m workbench.gui.live.bench``.

For each size a 30 fps MP4 of the synthetic pattern is written to a temporary folder and
played (looping) in an offscreen :class:`~workbench.gui.main_window.MainWindow` whose
pipeline is RGB input, 8 random 3x3x3 filters, ReLU and 2x2 max pooling, so every frame
draws 8 feature maps and 8 pooled maps. After a warm-up second the run measures:

- compute ms per frame: the compute worker's wall time for one frame (median, p90);
- display ms per frame: the GUI thread's time to draw one result (median, p90);
- processed fps: frames computed *and* drawn per second, end to end, and capture fps;
- dropped: frames replaced by a newer one before compute could take them;
- GUI stall: the lateness of a 5 ms timer on the GUI thread, i.e. the longest time the
  event loop did not turn (max, p99).

Targets at 640x480 on a 2-core machine: compute <= 5 ms, >= 30 processed fps at a 30 fps
source, no stall over 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE_FPS = 30.0
DEFAULT_SECONDS = 6.0
WARMUP_SECONDS = 1.5
DEFAULT_SIZES = ((640, 480), (1280, 720))
FILTERS = 8
TICK_MS = 5
SEED = 20240531
TARGET_COMPUTE_MS = 5.0
TARGET_FPS = 30.0
TARGET_STALL_MS = 50.0


@dataclass(frozen=True)
class LiveRun:
    """Measurements of one streamed size."""

    width: int
    height: int
    seconds: float
    compute_ms: list[float]
    display_ms: list[float]
    processed: int
    capture_fps: float
    dropped: int
    stalls_ms: list[float]

    @property
    def processed_fps(self) -> float:
        """Frames computed and drawn per second over the measured span."""
        return self.processed / self.seconds if self.seconds > 0 else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def write_pattern_video(path: Path, size: tuple[int, int], frames: int,
                        fps: float = SOURCE_FPS) -> Path:
    """Write ``frames`` frames of the synthetic pattern as an mp4v MP4.

    Parameters
    ----------
    path : pathlib.Path
        Target file.
    size : tuple of int
        ``(width, height)``.
    frames : int
        Frame count.
    fps : float, optional
        Declared frame rate.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    RuntimeError
        If OpenCV cannot write the file.
    """
    import cv2

    from workbench.sources import synthetic_frame

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path} with the mp4v codec")
    try:
        for index in range(frames):
            writer.write(cv2.cvtColor(synthetic_frame(index, size, fps), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def bench_pipeline() -> object:
    """RGB input, 8 random 3x3x3 filters, 'same' padding, ReLU, 2x2 max pool.

    Returns
    -------
    Pipeline
        The benchmark pipeline.
    """
    from workbench.core import Filter, Layer, Pipeline, Pool

    rng = np.random.default_rng(SEED)
    filters = tuple(Filter(f"Filter {i + 1}", rng.standard_normal((3, 3, 3), dtype=np.float32))
                    for i in range(FILTERS))
    layer = Layer(filters, padding="same", activation="relu", pool=Pool("max", (2, 2)))
    return Pipeline("rgb", (layer,))


def run_size(video: Path, size: tuple[int, int], seconds: float,
             screenshot: Path | None = None, stack: bool = False) -> LiveRun:
    """Stream ``video`` in an offscreen window and measure (see the module docstring).

    Parameters
    ----------
    video : pathlib.Path
        A looping source video of ``size``.
    size : tuple of int
        ``(width, height)`` of the video.
    seconds : float
        Measured span, after :data:`WARMUP_SECONDS`.
    screenshot : pathlib.Path, optional
        Save a picture of the window at the end of the run.
    stack : bool, optional
        Run the 3-layer benchmark stack of ``bench`` (workload S) instead of one layer.

    Returns
    -------
    LiveRun
        The measurements.

    Raises
    ------
    RuntimeError
        If the stream fails or no frame is processed.
    """
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from workbench.gui.app import make_application
    from workbench.gui.main_window import MainWindow
    from workbench.gui.settings import WorkbenchSettings

    app = make_application()
    from workbench.session.stack_edits import three_layer_bench

    pipeline = three_layer_bench("rgb") if stack else bench_pipeline()
    settings = WorkbenchSettings(pipeline=pipeline,  # type: ignore[arg-type]
                                 max_side=max(size))
    window = MainWindow(settings, persist=False)
    window.resize(1500, 950)
    window.show()
    errors: list[str] = []
    window.live.sigError.connect(errors.append)

    def wait_until(condition: Callable[[], object], timeout_s: float) -> bool:
        # A real event loop, checked every 20 ms, so that timers and paints run as in the app.
        loop = QEventLoop()
        deadline = time.monotonic() + timeout_s
        poll = QTimer()
        poll.setInterval(20)
        poll.timeout.connect(
            lambda: loop.quit() if condition() or time.monotonic() >= deadline else None)
        poll.start()
        if not condition():
            loop.exec()
        poll.stop()
        return bool(condition())

    try:
        shown = window.session_views
        if not wait_until(lambda: window.compute.warm and shown.results_shown > 0, 120):
            raise RuntimeError("the window produced no result within 120 s")
        window.live.set_loop(True)
        window.live.open_video(video)
        if not wait_until(lambda: window.live.processed >= 3 or errors, 30):
            raise RuntimeError(errors[0] if errors else "no live frame was processed in 30 s")

        display_ms: list[float] = []
        compute_ms: list[float] = []
        measuring = {"on": False}
        views = window.views
        draw = views.show_result

        def timed_draw(*args: object, **kwargs: object) -> None:
            start = time.perf_counter()
            draw(*args, **kwargs)  # type: ignore[arg-type]
            if measuring["on"]:
                display_ms.append((time.perf_counter() - start) * 1e3)

        views.show_result = timed_draw  # type: ignore[method-assign]

        def on_processed(_frame: object, outcome: object) -> None:
            if measuring["on"]:
                compute_ms.append(outcome.seconds * 1e3)  # type: ignore[attr-defined]

        window.live.sigProcessed.connect(on_processed)
        stalls: list[float] = []
        clock = QElapsedTimer()
        tick = QTimer()
        tick.setInterval(TICK_MS)
        tick.setTimerType(Qt.TimerType.PreciseTimer)

        def on_tick() -> None:
            if measuring["on"]:
                stalls.append(max(clock.restart() - TICK_MS, 0))
            else:
                clock.restart()

        tick.timeout.connect(on_tick)
        tick.start()
        wait_until(lambda: False, WARMUP_SECONDS)
        before = window.live.stats()
        processed_before = window.live.processed
        clock.restart()
        measuring["on"] = True
        start = time.perf_counter()
        wait_until(lambda: bool(errors), seconds)
        elapsed = time.perf_counter() - start
        measuring["on"] = False
        tick.stop()
        after = window.live.stats()
        if errors:
            raise RuntimeError(errors[0])
        if screenshot is not None:
            window.grab().save(str(screenshot))
        return LiveRun(size[0], size[1], elapsed, compute_ms, display_ms,
                       window.live.processed - processed_before, after.capture_fps,
                       after.frames_dropped - before.frames_dropped, [float(s) for s in stalls])
    finally:
        window.close()
        app.processEvents()


def format_runs(runs: Sequence[LiveRun]) -> str:
    """Render the measurements as a table, with the targets checked for 640x480.

    Parameters
    ----------
    runs : sequence of LiveRun
        One per size.

    Returns
    -------
    str
        The table and the verdicts.
    """
    header = ("input", "compute ms med/p90", "display ms med/p90", "processed fps",
              "capture fps", "dropped", "GUI stall ms max/p99")
    rows = [header]
    for run in runs:
        rows.append((f"RGB {run.width}x{run.height}",
                     f"{_median(run.compute_ms):.1f} / {_percentile(run.compute_ms, 90):.1f}",
                     f"{_median(run.display_ms):.1f} / {_percentile(run.display_ms, 90):.1f}",
                     f"{run.processed_fps:.1f}", f"{run.capture_fps:.1f}", str(run.dropped),
                     f"{max(run.stalls_ms, default=0):.0f} / "
                     f"{_percentile(run.stalls_ms, 99):.0f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    for run in runs:
        if (run.width, run.height) != (640, 480):
            continue
        checks = [
            (f"compute <= {TARGET_COMPUTE_MS:g} ms", _median(run.compute_ms) <= TARGET_COMPUTE_MS),
            (f">= {TARGET_FPS:g} processed fps", run.processed_fps >= TARGET_FPS * 0.97),
            (f"no GUI stall over {TARGET_STALL_MS:g} ms",
             max(run.stalls_ms, default=0) <= TARGET_STALL_MS),
        ]
        lines.append("")
        lines.append("640x480 targets: " + ", ".join(
            f"{text}: {'met' if ok else 'MISSED'}" for text, ok in checks))
    return "\n".join(lines)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes look like 640x480, got {text!r}") from None
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f"sizes must be at least 16x16, got {text!r}")
    return width, height


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conv-workbench bench --live",
        description="Stream a 30 fps video through the offscreen window (RGB, 8 filters "
                    "3x3x3, ReLU, 2x2 max pool) and report compute time, display time, "
                    "processed frame rate, drops and GUI-thread stalls.")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, metavar="S",
                        help=f"measured seconds per size (default {DEFAULT_SECONDS:g})")
    parser.add_argument("--sizes", default="640x480,1280x720", metavar="WxH,...",
                        help="comma-separated input sizes (default 640x480,1280x720)")
    parser.add_argument("--stack", action="store_true",
                        help="run the 3-layer stack of `bench` workload S (8 -> 16 -> 16 "
                             "filters, ReLU and 2x2 max pooling between) instead")
    parser.add_argument("--screenshot", metavar="FOLDER",
                        help="save a picture of the window after each run in this folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the live benchmark and print the table.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        Process exit code: 0, or 1 if a stream failed.
    """
    parser = _parser()
    options = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if not options.seconds > 0:
        parser.error(f"--seconds must be positive, got {options.seconds}")
    try:
        sizes = [_size(s) for s in options.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if not sizes:
        parser.error("--sizes needs at least one size")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from workbench.gui.app import prefer_gui_responsiveness

    prefer_gui_responsiveness()  # as the app does, before numba starts its thread pool
    os.environ.setdefault("CONV_WORKBENCH_SETTINGS",
                          str(Path(tempfile.gettempdir()) / "conv-workbench-bench.ini"))
    import numba

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"cores usable: {cores}; load average {load:.2f}; numba {numba.get_num_threads()} "
          f"threads; source {SOURCE_FPS:g} fps video (mp4v), looping; {options.seconds:g} s "
          "measured per size after a warm-up")
    runs = []
    with tempfile.TemporaryDirectory(prefix="conv-workbench-live-") as folder:
        for size in sizes:
            frames = int(SOURCE_FPS * 4)
            video = write_pattern_video(Path(folder) / f"pattern-{size[0]}x{size[1]}.mp4",
                                        size, frames)
            shot = None
            if options.screenshot:
                shot = Path(options.screenshot) / f"live-{size[0]}x{size[1]}.png"
            try:
                runs.append(run_size(video, size, options.seconds, shot, options.stack))
            except RuntimeError as exc:
                print(f"error: {size[0]}x{size[1]}: {exc}", file=sys.stderr)
                return 1
    print()
    print(format_runs(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
