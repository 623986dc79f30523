"""Benchmark: the core against OpenCV, SciPy and PyTorch doing the same work.

``conv-workbench bench [--repeat N] [--quick] [--only A,C,J]`` or ``python -m workbench.bench``.

Workloads (all float32, zero 'same' padding so every library computes the same output):

- A: 1 channel 640x480, one 3x3 filter
- B: 1 channel 1920x1080, one 5x5 filter
- C: RGB 640x480, 8 filters 3x3x3
- D: RGB 1920x1080, 16 filters 7x7x3
- E: max and average pooling 2x2 stride 2 on 8x480x640
- G: C with stride 2 and dilation 2 (OpenCV and SciPy: full convolution, then slicing)
- S: a 3-layer stack on RGB 640x480 (8 filters 3x3, ReLU, 2x2 max; 16 filters 3x3x8, ReLU,
  2x2 max; 16 filters 3x3x16): the whole ``run_pipeline`` against the same torch calls
- T: training (see :mod:`workbench.bench.training`): one epoch of the digits CNN and 100
  kernel-detective steps on 512x512, ours against the same in torch.autograd
- J: cold JIT compile of every kernel, and import + first call with a warm cache

OpenCV and SciPy filter one 2-D plane at a time, so they run one call per filter and
channel and the channel results are summed; both correlate, as the core does. Every
library's output is checked against the core's once, outside the timed loop. Each
library is timed in its own block after a pause: PyTorch's OpenMP threads (and numba's,
with its OpenMP layer) keep spinning for a while after a call, and on a 2-core machine a
spinning pool slowed the next library's calls up to 4x in the same process.

The core's threading layer is the one ``workbench.core`` configures; set
``NUMBA_THREADING_LAYER=omp`` (or ``workqueue``) in the environment to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.core import Pipeline, avg_pool2d, conv2d, max_pool2d, run_pipeline, warmup
from workbench.session.stack_edits import three_layer_bench

FloatArray = npt.NDArray[np.float32]

OURS = "ours (numba)"
DEFAULT_REPEAT = 15
# A library that needs longer than this per workload stops after 3 runs (SciPy on D).
TIME_BUDGET_S = 3.0
PAUSE_S = 0.5
SEED = 20240531
QUICK_SCALE = 10


@dataclass(frozen=True)
class ConvWorkload:
    """One convolution benchmark: a random image and a random filter bank."""

    key: str
    channels: int
    height: int
    width: int
    filters: int
    kernel: int
    stride: int = 1
    dilation: int = 1

    @property
    def title(self) -> str:
        """Human-readable description for the table."""
        kind = "1ch" if self.channels == 1 else "RGB" if self.channels == 3 else \
            f"{self.channels}ch"
        text = (f"{kind} {self.width}x{self.height}, {self.filters} filter"
                f"{'s' if self.filters > 1 else ''} {self.kernel}x{self.kernel}")
        if self.channels > 1:
            text += f"x{self.channels}"
        if self.stride > 1 or self.dilation > 1:
            text += f", stride {self.stride}, dilation {self.dilation}"
        return text

    @property
    def padding(self) -> int:
        """Zero padding that keeps the size at stride 1 ('same')."""
        return self.dilation * (self.kernel // 2)


@dataclass(frozen=True)
class Row:
    """One line of the result table: a library's timing on a workload."""

    key: str
    workload: str
    library: str
    runs: int
    median_ms: float
    min_ms: float
    ratio: float | None


def conv_workloads(quick: bool) -> dict[str, ConvWorkload]:
    """Build the convolution workloads, by key.

    Parameters
    ----------
    quick : bool
        Shrink the images tenfold per side (smoke tests).

    Returns
    -------
    dict of str to ConvWorkload
        Keys ``A, B, C, D, G``.
    """
    def size(h: int, w: int) -> tuple[int, int]:
        return (h // QUICK_SCALE, w // QUICK_SCALE) if quick else (h, w)

    return {
        "A": ConvWorkload("A", 1, *size(480, 640), filters=1, kernel=3),
        "B": ConvWorkload("B", 1, *size(1080, 1920), filters=1, kernel=5),
        "C": ConvWorkload("C", 3, *size(480, 640), filters=8, kernel=3),
        "D": ConvWorkload("D", 3, *size(1080, 1920), filters=16, kernel=7),
        "G": ConvWorkload("G", 3, *size(480, 640), filters=8, kernel=3, stride=2, dilation=2),
    }


SECTIONS = ("A", "B", "C", "D", "E", "G", "S", "T", "J")


def time_call(fn: Callable[[], object], repeat: int,
              budget_s: float = TIME_BUDGET_S) -> tuple[float, float, int]:
    """Time ``fn`` after one untimed warm-up call.

    Parameters
    ----------
    fn : callable
        The work, called without arguments.
    repeat : int
        Number of timed calls.
    budget_s : float, optional
        Stop early (after at least 3 calls) once this many seconds have passed.

    Returns
    -------
    median_ms, min_ms : float
        Median and fastest call in milliseconds.
    runs : int
        Number of timed calls made.
    """
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeat:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 3 and time.perf_counter() - start > budget_s:
            break
    return statistics.median(times) * 1e3, min(times) * 1e3, len(times)


def _check_same(what: str, ours: FloatArray, theirs: Any) -> None:
    theirs = np.asarray(theirs, dtype=np.float32)
    if theirs.shape != ours.shape:
        raise RuntimeError(f"{what}: output shape {theirs.shape} differs from ours {ours.shape}")
    scale = max(1.0, float(np.abs(ours).max()))
    if not np.allclose(theirs, ours, rtol=1e-4, atol=1e-4 * scale):
        worst = float(np.abs(theirs - ours).max())
        raise RuntimeError(f"{what}: output differs from ours by up to {worst:g}; "
                           "the benchmark would not compare equal work")


def _dilated(kernel: FloatArray, dilation: int) -> FloatArray:
    """Spread the taps ``dilation`` apart with zeros between (for 2-D filter libraries)."""
    if dilation == 1:
        return kernel
    k = kernel.shape[-1]
    size = dilation * (k - 1) + 1
    out = np.zeros(kernel.shape[:-2] + (size, size), dtype=np.float32)
    out[..., ::dilation, ::dilation] = kernel
    return out


def _planewise(filter_plane: Callable[[FloatArray, FloatArray], FloatArray], x: FloatArray,
               w: FloatArray, stride: int) -> FloatArray:
    """Sum a 2-D 'same' correlation over channels, per filter; then take every stride-th pixel."""
    n_filters, channels = w.shape[:2]
    out = np.empty((n_filters,) + x.shape[1:], dtype=np.float32)
    for f in range(n_filters):
        acc = filter_plane(x[0], w[f, 0])
        for c in range(1, channels):
            acc += filter_plane(x[c], w[f, c])
        out[f] = acc
    return out[:, ::stride, ::stride] if stride > 1 else out


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


@dataclass(frozen=True)
class Libraries:
    """The comparison libraries that are installed (None when missing)."""

    cv2: Any
    ndimage: Any
    torch: Any

    @classmethod
    def load(cls) -> Libraries:
        """Import whichever of OpenCV, SciPy and PyTorch are installed.

        Returns
        -------
        Libraries
            The modules, None for a missing one.
        """
        scipy = _optional("scipy.ndimage")
        torch = _optional("torch")
        if torch is not None:
            _optional("torch.nn.functional")  # loads the submodule F.conv2d lives in
        return cls(cv2=_optional("cv2"), ndimage=scipy.ndimage if scipy else None, torch=torch)


def _conv_contenders(work: ConvWorkload, x: FloatArray, w: FloatArray,
                     libs: Libraries) -> list[tuple[str, Callable[[], Any]]]:
    s, d, p = work.stride, work.dilation, work.padding
    spread = _dilated(w, d)
    suffix = " + slicing" if s > 1 else ""
    contenders: list[tuple[str, Callable[[], Any]]] = [
        (OURS, lambda: conv2d(x, w, stride=s, padding=p, dilation=d))]
    if libs.cv2 is not None:
        cv2 = libs.cv2

        def cv_plane(plane: FloatArray, kernel: FloatArray) -> FloatArray:
            result: FloatArray = cv2.filter2D(plane, -1, kernel, borderType=cv2.BORDER_CONSTANT)
            return result

        contenders.append(("cv2.filter2D" + suffix, lambda: _planewise(cv_plane, x, spread, s)))
    if libs.ndimage is not None:
        ndimage = libs.ndimage

        def nd_plane(plane: FloatArray, kernel: FloatArray) -> FloatArray:
            result: FloatArray = ndimage.correlate(plane, kernel, mode="constant", cval=0.0)
            return result

        contenders.append(("scipy.ndimage.correlate" + suffix,
                           lambda: _planewise(nd_plane, x, spread, s)))
    if libs.torch is not None:
        torch = libs.torch
        tx = torch.from_numpy(x)[None]
        tw = torch.from_numpy(w)

        def torch_conv() -> Any:
            with torch.inference_mode():
                return torch.nn.functional.conv2d(tx, tw, stride=s, padding=p, dilation=d)[0]

        contenders.append(("torch conv2d", torch_conv))
    return contenders


def _pool_contenders(x: FloatArray, libs: Libraries
                     ) -> dict[str, list[tuple[str, Callable[[], Any]]]]:
    channels, height, width = x.shape
    max_list: list[tuple[str, Callable[[], Any]]] = [(OURS, lambda: max_pool2d(x, 2))]
    avg_list: list[tuple[str, Callable[[], Any]]] = [(OURS, lambda: avg_pool2d(x, 2))]
    h2, w2 = height // 2, width // 2
    max_list.append(("numpy reshape-max", lambda: x[:, :2 * h2, :2 * w2].reshape(
        channels, h2, 2, w2, 2).max(axis=(2, 4))))
    if libs.cv2 is not None:
        cv2 = libs.cv2
        avg_list.append(("cv2.resize INTER_AREA", lambda: np.stack(
            [cv2.resize(plane, (w2, h2), interpolation=cv2.INTER_AREA) for plane in x])))
    if libs.torch is not None:
        torch = libs.torch
        tx = torch.from_numpy(x)

        def torch_max() -> Any:
            with torch.inference_mode():
                return torch.nn.functional.max_pool2d(tx, 2)

        def torch_avg() -> Any:
            with torch.inference_mode():
                return torch.nn.functional.avg_pool2d(tx, 2)

        max_list.append(("torch max_pool2d", torch_max))
        avg_list.append(("torch avg_pool2d", torch_avg))
    return {"max pool 2x2/2": max_list, "avg pool 2x2/2": avg_list}


def _stack_contenders(x: FloatArray, stack: Pipeline, libs: Libraries
                      ) -> list[tuple[str, Callable[[], Any]]]:
    """Run the whole stack through ``run_pipeline``, and as the same torch calls in a row."""
    contenders: list[tuple[str, Callable[[], Any]]] = [
        (OURS, lambda: run_pipeline(x, stack).layers[-1].pooled[-1])]
    if libs.torch is not None:
        torch = libs.torch
        functional = torch.nn.functional
        weights = [(torch.from_numpy(np.stack([f.weight for f in layer.filters])),
                    torch.tensor([f.bias for f in layer.filters], dtype=torch.float32))
                   for layer in stack.layers]
        tx = torch.from_numpy(x)[None]

        def torch_stack() -> Any:
            with torch.inference_mode():
                y = tx
                for layer, (w, b) in zip(stack.layers, weights, strict=True):
                    y = functional.conv2d(y, w, b, padding=layer.padding)
                    if layer.activation == "relu":
                        y = functional.relu(y)
                    if layer.pool.kind == "max":
                        y = functional.max_pool2d(y, layer.pool.size)
                return y[0, -1]

        contenders.append(("torch conv2d/relu/max_pool2d", torch_stack))
    return contenders


def _run_contenders(key: str, title: str, contenders: list[tuple[str, Callable[[], Any]]],
                    repeat: int, pause_s: float) -> list[Row]:
    ours = np.asarray(contenders[0][1]())
    for library, fn in contenders[1:]:
        result = fn()
        if hasattr(result, "numpy"):
            result = result.numpy()
        _check_same(f"{key} {library}", ours, result)
    rows: list[Row] = []
    ours_median = 0.0
    for library, fn in contenders:
        time.sleep(pause_s)
        median_ms, min_ms, runs = time_call(fn, repeat)
        if library == OURS:
            ours_median = median_ms
        ratio = None if library == OURS else ours_median / median_ms
        rows.append(Row(key, title, library, runs, median_ms, min_ms, ratio))
    return rows


def run_workloads(sections: Sequence[str], repeat: int, quick: bool,
                  libs: Libraries) -> list[Row]:
    """Time the selected conv and pool workloads.

    Parameters
    ----------
    sections : sequence of str
        Workload keys to run (``J`` is ignored here; see :func:`startup_times`).
    repeat : int
        Timed calls per library and workload.
    quick : bool
        Use images a tenth of the size per side, and no pause between libraries.
    libs : Libraries
        The comparison libraries.

    Returns
    -------
    list of Row
        For each workload the core's row first, then one row per library.

    Raises
    ------
    RuntimeError
        If a library's output does not match the core's.
    """
    rng = np.random.default_rng(SEED)
    rows: list[Row] = []
    works = conv_workloads(quick)
    pause_s = 0.0 if quick else PAUSE_S
    for key in sections:
        if key in works:
            work = works[key]
            x = rng.standard_normal((work.channels, work.height, work.width), dtype=np.float32)
            w = rng.standard_normal((work.filters, work.channels, work.kernel, work.kernel),
                                    dtype=np.float32)
            rows += _run_contenders(key, work.title, _conv_contenders(work, x, w, libs), repeat,
                                    pause_s)
        elif key == "S":
            height, width = (48, 64) if quick else (480, 640)
            x = rng.random((3, height, width), dtype=np.float32)
            rows += _run_contenders(key, f"3-layer stack RGB {width}x{height}",
                                    _stack_contenders(x, three_layer_bench("rgb"), libs),
                                    repeat, pause_s)
        elif key == "E":
            height, width = (48, 64) if quick else (480, 640)
            x = rng.standard_normal((8, height, width), dtype=np.float32)
            for title, contenders in _pool_contenders(x, libs).items():
                rows += _run_contenders(key, f"8x{height}x{width} {title}", contenders, repeat,
                                        pause_s)
    return rows


_STARTUP_SCRIPT = """
import json, time
t0 = time.perf_counter()
import workbench.core
t1 = time.perf_counter()
workbench.core.warmup()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_call": t2 - t1}))
"""


def startup_times() -> dict[str, float]:
    """Measure JIT start-up costs in fresh processes sharing an empty temporary cache.

    Returns
    -------
    dict of str to float
        Seconds: ``cold_import``, ``cold_compile`` (``warmup()`` with an empty cache),
        ``warm_import`` and ``warm_first_call`` (a second process, cache filled).

    Raises
    ------
    RuntimeError
        If a child process fails.
    """
    root = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        env["PYTHONPATH"] = os.pathsep.join(
            [root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        runs = []
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", _STARTUP_SCRIPT], env=env,
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"start-up measurement failed:\n{done.stderr}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"cold_import": runs[0]["import"], "cold_compile": runs[0]["first_call"],
            "warm_import": runs[1]["import"], "warm_first_call": runs[1]["first_call"]}


def _format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    # Two decimals hide ratios far below 1 (tiny quick-mode images): keep them non-zero.
    return f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.1e}"


def format_table(rows: Sequence[Row]) -> str:
    """Render rows as one aligned text table.

    Parameters
    ----------
    rows : sequence of Row
        As returned by :func:`run_workloads`.

    Returns
    -------
    str
        The table; ``ours/lib`` < 1 means the core is faster.
    """
    header = ("id", "workload", "library", "runs", "median ms", "min ms", "ours/lib")
    cells = []
    previous = None
    for row in rows:
        first = (row.key, row.workload) != previous
        previous = (row.key, row.workload)
        cells.append((row.key, row.workload if first else "", row.library, str(row.runs),
                      f"{row.median_ms:.3f}", f"{row.min_ms:.3f}",
                      _format_ratio(row.ratio)))
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    right = {3, 4, 5, 6}

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(widths[i]) if i in right else v.ljust(widths[i])
                         for i, v in enumerate(values)).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *(line(c) for c in cells)])


def machine_summary(libs: Libraries) -> str:
    """Describe the cores, thread pools and library versions.

    Parameters
    ----------
    libs : Libraries
        The comparison libraries.

    Returns
    -------
    str
        A few lines for the top of the report.
    """
    import numba

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    try:
        layer: str = numba.threading_layer()  # type: ignore[attr-defined]
    except ValueError:  # no parallel kernel has run yet
        layer = "not started"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"cores: {os.cpu_count()} (usable by this process: {affinity}); load average "
        f"{load:.2f} (above the core count means other processes compete for the cores)",
        f"numba {numba.__version__}: threading layer {layer}, "
        f"{numba.get_num_threads()} threads",
        f"numpy {np.__version__}",
    ]
    if libs.cv2 is not None:
        lines.append(f"opencv {libs.cv2.__version__}: {libs.cv2.getNumThreads()} threads")
    if libs.ndimage is not None:
        import scipy

        lines.append(f"scipy {scipy.__version__}: single-threaded")
    if libs.torch is not None:
        lines.append(f"torch {libs.torch.__version__}: {libs.torch.get_num_threads()} threads")
    else:
        lines.append("torch: not installed, its rows are skipped")
    return "\n".join(lines)


def format_startup(times: dict[str, float]) -> str:
    """Render the JIT start-up measurements.

    Parameters
    ----------
    times : dict of str to float
        As returned by :func:`startup_times`.

    Returns
    -------
    str
        Two lines, times in seconds.
    """
    return "\n".join([
        f"J  cold: import {times['cold_import']:.2f} s, compile every kernel (warmup(), empty "
        f"cache) {times['cold_compile']:.2f} s",
        f"J  warm cache, fresh process: import {times['warm_import']:.2f} s + first call "
        f"(warmup()) {times['warm_first_call']:.2f} s = "
        f"{times['warm_import'] + times['warm_first_call']:.2f} s",
    ])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conv-workbench bench",
        description="Time the numba core against OpenCV, SciPy and PyTorch on identical work "
                    "(ours/lib < 1: the core is faster). Medians of --repeat runs.")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, metavar="N",
                        help=f"timed runs per library and workload (default {DEFAULT_REPEAT})")
    parser.add_argument("--quick", action="store_true",
                        help="images a tenth of the size per side (smoke test)")
    parser.add_argument("--only", metavar="A,C", default=",".join(SECTIONS),
                        help=f"comma-separated workloads out of {','.join(SECTIONS)} "
                             "(J: JIT start-up)")
    parser.add_argument("--live", action="store_true",
                        help="instead: stream a video through the offscreen window "
                             "(workbench.gui.live.bench; see --live --help)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        Process exit code (0).
    """
    parser = _parser()
    options = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if options.live:
        # The live run drives the window, so it is GUI code; the CLI dispatches it (this
        # package stays Qt-free and imports nothing above the core).
        parser.error("--live streams through the window: run `conv-workbench bench --live`")
    if options.repeat < 1:
        parser.error(f"--repeat must be a positive integer, got {options.repeat}")
    sections = [s.strip().upper() for s in options.only.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown or not sections:
        parser.error(f"--only takes workloads out of {','.join(SECTIONS)}, got {options.only!r}")
    libs = Libraries.load()
    import numba

    if libs.torch is not None:
        libs.torch.set_num_threads(numba.get_num_threads())
    warmup()
    rows = run_workloads(sections, options.repeat, options.quick, libs)
    print(machine_summary(libs))
    print()
    if rows:
        print(format_table(rows))
    if "T" in sections:
        from workbench.bench.training import format_training, training_rows

        print()
        print(format_training(training_rows(libs.torch, options.quick, options.repeat)))
    if "J" in sections:
        print()
        print(format_startup(startup_times()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
