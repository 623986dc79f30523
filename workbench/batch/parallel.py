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
from workbench.batch.process import ItemReport, process_item
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


def _init_worker(threads: int) -> None:
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _process(item: InputItem, pipeline: Pipeline, options: ExportOptions, every: int,
             max_side: int | None) -> ItemReport:
    return process_item(item, pipeline, options, every=every, max_side=max_side)


def run_in_workers(items: Sequence[InputItem], pipeline: Pipeline, options: ExportOptions,
                   workers: int, *, every: int = 1, max_side: int | None = None,
                   on_done: Callable[[ItemReport], None] | None = None) -> list[ItemReport]:
    """Process ``items`` in ``workers`` processes; a failed input never stops the others.

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
        Called with each report as it arrives (in completion order).

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
    """
    reports: dict[int, ItemReport] = {}

    def finish(index: int, report: ItemReport) -> None:
        reports[index] = report
        if on_done is not None:
            on_done(report)

    # All inputs share one pool; if a worker dies (killed, out of memory) every input it
    # had not finished is retried alone in a fresh single-worker pool, so one input that
    # kills its worker fails by itself and the others still complete.
    started = time.time()
    unfinished = _run_pool(items, range(len(items)), pipeline, options, workers, every,
                           max_side, finish)
    if unfinished:
        remove_orphaned_temps(options.folder, started)  # the dead worker's half file
    for index in unfinished:
        if _run_pool(items, [index], pipeline, options, 1, every, max_side, finish):
            finish(index, ItemReport(items[index], False, 0, 0, 0.0,
                                     "its worker process died (killed or out of memory), "
                                     "also when retried alone"))
    return [reports[i] for i in range(len(items))]


def _run_pool(items: Sequence[InputItem], indices: Sequence[int], pipeline: Pipeline,
              options: ExportOptions, workers: int, every: int, max_side: int | None,
              finish: Callable[[int, ItemReport], None]) -> list[int]:
    """Run ``items[indices]`` in one pool; return the indices lost to a dead worker."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_init_worker,
                               initargs=(threads_per_worker(workers),))
    pending: dict[Future[ItemReport], int] = {}
    lost: list[int] = []
    try:
        for index in indices:
            pending[pool.submit(_process, items[index], pipeline, options, every,
                                max_side)] = index
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    report = future.result()
                except BrokenProcessPool:
                    lost.append(index)
                    continue
                finish(index, report)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return sorted(lost)
