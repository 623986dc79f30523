"""Run ``apply``'s inputs in worker processes on this machine.

Each worker is a fresh (spawned) Python process that runs
:func:`workbench.batch.process.process_item` on one input at a time, with numba's thread
count set so that workers x threads = cores: the same kernels on the same data, so the
files are identical bit for bit to a serial run. Results come back in completion order.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from workbench.batch.inputs import InputItem
from workbench.batch.process import (
    CHUNK_FRAMES,
    ItemReport,
    merge_reports,
    process_item,
    video_ranges,
)
from workbench.core import Pipeline
from workbench.io.atomic import remove_orphaned_temps
from workbench.io.maps import ExportOptions


def usable_cores() -> int:
    """Return the cores this process may run on.

    Returns
    -------
    int
        At least 1.
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Numba threads for each of ``workers`` processes so that the cores are shared out.

    Parameters
    ----------
    workers : int
        Worker processes.
    cores : int, optional
        Cores to share (default: :func:`usable_cores`).

    Returns
    -------
    int
        At least 1.
    """
    return max(1, (cores or usable_cores()) // max(workers, 1))


def init_worker(threads: int) -> None:
    """Prepare a worker process: ``threads`` numba threads, Ctrl+C left to the parent.

    Parameters
    ----------
    threads : int
        Numba threads for this worker (capped at what numba was started with).
    """
    import signal

    import numba

    # Ctrl+C is the parent's to handle: it cancels what has not started and lets the
    # running inputs finish their files, instead of every worker dying with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # numba.config sets its NUMBA_* attributes from the environment at import time.
    available = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    numba.set_num_threads(min(threads, available))


Task = tuple[int, "tuple[int, int] | None"]  # input index, video frame range


def _process(item: InputItem, pipeline: Pipeline, options: ExportOptions, every: int,
             max_side: int | None, frame_range: tuple[int, int] | None) -> ItemReport:
    return process_item(item, pipeline, options, every=every, max_side=max_side,
                        frame_range=frame_range)


class StopRequested(BaseException):
    """Raised by :func:`run_in_workers` when its ``should_stop`` names a signal.

    Parameters
    ----------
    signum : int
        The signal that asked the run to stop.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


StopCheck = Callable[[], "int | None"]
"""Returns the number of a signal received since the run started, or None."""


def run_in_workers(items: Sequence[InputItem], pipeline: Pipeline, options: ExportOptions,
                   workers: int, *, every: int = 1, max_side: int | None = None,
                   on_done: Callable[[ItemReport], None] | None = None,
                   chunk_frames: int = CHUNK_FRAMES,
                   should_stop: StopCheck | None = None) -> list[ItemReport]:
    """Process ``items`` in ``workers`` processes; a failed input never stops the others.

    Long videos are split into frame ranges of ``chunk_frames``, so one video keeps every
    worker busy too.

    Parameters
    ----------
    items : sequence of InputItem
        The inputs.
    pipeline : Pipeline
        The pipeline.
    options : ExportOptions
        What to export and where.
    workers : int
        Worker processes (>= 1).
    every, max_side
        As for :func:`workbench.batch.process.process_item`.
    on_done : callable, optional
        Called with each input's report once all of its tasks are done.
    chunk_frames : int, optional
        Frames of a video per task.

    Returns
    -------
    list of ItemReport
        One per input, in input order. An input whose worker died is reported as failed
        with that reason (its files, if any, never appear under a final name: every export
        is written to a temporary name first).

    Raises
    ------
    KeyboardInterrupt
        On Ctrl+C, after cancelling the inputs not started yet.
    StopRequested
        When ``should_stop`` (polled between results, never inside the pool's own locks,
        where an exception from a signal handler could deadlock its shutdown) returns a
        signal number; the inputs already running are finished and reported first.
    """
    tasks: list[Task] = [(index, frame_range) for index, item in enumerate(items)
                         for frame_range in video_ranges(item, chunk_frames)]
    expected = {index: sum(1 for i, _ in tasks if i == index) for index in range(len(items))}
    parts: dict[int, dict[Task, ItemReport]] = {}
    reports: dict[int, ItemReport] = {}

    def finish(task: Task, part: ItemReport) -> None:
        # Keyed by task and idempotent: an interruption can cut a call short, and the
        # interrupted pool then reports the same task again.
        index = task[0]
        parts.setdefault(index, {})[task] = part
        if index not in reports and len(parts[index]) == expected[index]:
            reports[index] = merge_reports(items[index], list(parts[index].values()))
            if on_done is not None:
                on_done(reports[index])

    # All tasks share one pool; if a worker dies (killed, out of memory) every task it
    # had not finished is retried alone in a fresh single-worker pool, so one input that
    # kills its worker fails by itself and the others still complete.
    started = time.time()
    unfinished = _run_pool(items, tasks, pipeline, options, workers, every, max_side, finish,
                           should_stop)
    if unfinished:
        remove_orphaned_temps(options.folder, started)  # the dead worker's half file
    for task in unfinished:
        if _run_pool(items, [task], pipeline, options, 1, every, max_side, finish,
                     should_stop):
            finish(task, ItemReport(items[task[0]], False, 0, 0, 0.0,
                                       "its worker process died (killed or out of memory), "
                                       "also when retried alone"))
    return [reports[i] for i in range(len(items))]


def _run_pool(items: Sequence[InputItem], tasks: Sequence[Task], pipeline: Pipeline,
              options: ExportOptions, workers: int, every: int, max_side: int | None,
              finish: Callable[[Task, ItemReport], None],
              should_stop: StopCheck | None = None) -> list[Task]:
    """Run ``tasks`` in one pool; return the tasks lost to a dead worker."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=init_worker,
                               initargs=(threads_per_worker(workers),))
    pending: dict[Future[ItemReport], Task] = {}
    submitted: dict[Future[ItemReport], Task] = {}
    finished: set[Future[ItemReport]] = set()
    lost: list[Task] = []
    try:
        for task in tasks:
            index, frame_range = task
            pending[pool.submit(_process, items[index], pipeline, options, every, max_side,
                                frame_range)] = task
        submitted.update(pending)
        while pending:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                try:
                    report = future.result()
                except BrokenProcessPool:
                    lost.append(task)
                    finished.add(future)
                    continue
                finish(task, report)
                finished.add(future)
            signum = should_stop() if should_stop is not None else None
            if signum is not None:
                raise StopRequested(signum)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        # The tasks that were running have finished by now (and one may have been cut off
        # while being reported): record them, so that their files count as done and a
        # re-run skips them instead of refusing to overwrite them.
        for future, task in submitted.items():
            if future in finished or not future.done() or future.cancelled():
                continue
            try:
                if future.exception() is None:
                    finish(task, future.result())
            except Exception:  # noqa: BLE001 - the interruption is what is reported
                pass
        raise
    pool.shutdown(wait=True)
    return lost
