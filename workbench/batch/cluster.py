"""Run ``apply`` on a Dask distributed cluster (``--scheduler ADDRESS`` or ``--dask``).

Tasks are input files, and videos split into frame ranges of :data:`CHUNK_FRAMES`. The
workers write the files themselves, into the output folder (a path they all share), with
the same names, atomic writes and no-overwrite rules as a local run. A worker that dies
mid-task loses nothing: Dask runs the task again elsewhere (up to its
``distributed.scheduler.allowed-failures``), and a half-written file never appears under
its final name. Needs the ``cluster`` extra: ``pip install "conv-workbench[cluster]"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from workbench.batch.inputs import InputItem
from workbench.batch.parallel import init_worker, threads_per_worker, usable_cores
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

INSTALL_HINT = 'the Dask cluster needs the "cluster" extra: pip install "conv-workbench[cluster]"'


class ClusterUnavailable(RuntimeError):
    """Dask is not installed, or the scheduler cannot be reached."""


IMAGES_PER_TASK = 8  # a task per image costs a scheduler round trip as long as the image


def _task(work: list[tuple[InputItem, tuple[int, int] | None]], pipeline: Pipeline,
          options: ExportOptions, every: int, max_side: int | None) -> list[ItemReport]:
    return [process_item(item, pipeline, options, every=every, max_side=max_side,
                         frame_range=frame_range) for item, frame_range in work]


def run_on_cluster(items: Sequence[InputItem], pipeline: Pipeline, options: ExportOptions, *,
                   scheduler: str | None = None, workers: int | None = None, every: int = 1,
                   max_side: int | None = None,
                   on_done: Callable[[ItemReport], None] | None = None,
                   chunk_frames: int = CHUNK_FRAMES) -> list[ItemReport]:
    """Process ``items`` as Dask tasks; a failed input never stops the others.

    Parameters
    ----------
    items : sequence of InputItem
        The inputs.
    pipeline : Pipeline
        The pipeline.
    options : ExportOptions
        What to export and where (a folder every worker can write).
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); a ``LocalCluster`` of
        ``workers`` processes on this machine when omitted.
    workers : int, optional
        Local cluster size (default: all cores); numba threads per worker are set so
        workers x threads = cores.
    every, max_side
        As for :func:`workbench.batch.process.process_item`.
    on_done : callable, optional
        Called with each input's report once all of its tasks are done.
    chunk_frames : int, optional
        Frames of a video per task.

    Returns
    -------
    list of ItemReport
        One per input, in input order.

    Raises
    ------
    ClusterUnavailable
        Without Dask, or when the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ClusterUnavailable(INSTALL_HINT) from exc
    started = time.time()
    with ExitStack() as stack:
        try:
            if scheduler:
                client = stack.enter_context(Client(scheduler, timeout="10s"))
            else:
                count = workers or usable_cores()
                cluster = stack.enter_context(LocalCluster(
                    n_workers=count, threads_per_worker=1, processes=True,
                    dashboard_address=None))
                client = stack.enter_context(Client(cluster))
        except (OSError, TimeoutError) as exc:
            raise ClusterUnavailable(f"could not reach the Dask scheduler: {exc}") from exc
        total = len(client.scheduler_info().get("workers", {})) or 1
        client.run(init_worker, threads_per_worker(total))
        parts: dict[int, list[ItemReport]] = {}
        expected: dict[int, int] = {}
        batches: list[list[tuple[int, tuple[int, int] | None]]] = []
        images: list[tuple[int, tuple[int, int] | None]] = []
        for index, item in enumerate(items):
            ranges = video_ranges(item, chunk_frames)
            expected[index] = len(ranges)
            if item.kind == "video":
                batches += [[(index, frame_range)] for frame_range in ranges]
            else:
                images.append((index, None))
                if len(images) == IMAGES_PER_TASK:
                    batches.append(images)
                    images = []
        if images:
            batches.append(images)
        futures: dict[Any, list[tuple[int, tuple[int, int] | None]]] = {}
        for batch in batches:
            work = [(items[index], frame_range) for index, frame_range in batch]
            futures[client.submit(_task, work, pipeline, options, every, max_side,
                                  pure=False)] = batch
        reports: dict[int, ItemReport] = {}
        for future in as_completed(list(futures)):
            batch = futures[future]
            try:
                done = future.result()
            except Exception as exc:  # noqa: BLE001 (KilledWorker, lost connection ...)
                done = [ItemReport(items[index], False, 0, 0, 0.0,
                                   f"the cluster gave up on it: {type(exc).__name__}: {exc}")
                        for index, _ in batch]
            for (index, _), part in zip(batch, done, strict=True):
                parts.setdefault(index, []).append(part)
                if len(parts[index]) == expected[index]:
                    reports[index] = merge_reports(items[index], parts[index])
                    if on_done is not None:
                        on_done(reports[index])
        # Every task is done: a temporary file left now was a killed worker's.
        remove_orphaned_temps(options.folder, started)
        return [reports.get(i) or ItemReport(items[i], False, 0, 0, 0.0, "not run")
                for i in range(len(items))]
