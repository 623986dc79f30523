"""One compute thread: runs the pipeline off the GUI thread, newest request wins.

The GUI posts requests into a one-slot mailbox and wakes the worker; the worker always
takes the newest request, so a burst of edits costs at most one stale computation. Each
request carries a generation number and results of superseded generations are dropped.

The worker owns the output buffers reused across frames (a :class:`~workbench.core.BufferPool`,
one lease per frame). A frame's buffers go back to the pool only once its
:class:`~workbench.core.PipelineResult` has been dropped by everyone (the views, an open
export dialog, the recorder's queue all hold the result while they read its maps) *and*
:data:`KEEP_FRAMES` newer frames have been computed, so arrays a widget still holds for a
moment after the next result replaced the displayed one are not overwritten either.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from workbench.core import (
    BufferPool,
    Lease,
    Pipeline,
    PipelineError,
    PipelineResult,
    run_pipeline,
    warmup,
)

DEBOUNCE_MS = 30
KEEP_FRAMES = 2  # newest frames whose buffers are never recycled


@dataclass(frozen=True, eq=False)
class ComputeRequest:
    """Inputs of one computation."""

    image: np.ndarray
    pipeline: Pipeline
    generation: int
    tag: int = 0  # the caller's own number for the state it asked about (a session's)


@dataclass(frozen=True, eq=False)
class ComputeOutcome:
    """What came back: a result, or the reason there is none. ``seconds`` is wall time."""

    request: ComputeRequest
    result: PipelineResult | None
    error: str | None
    seconds: float

    @property
    def generation(self) -> int:
        """Generation of the request."""
        return self.request.generation


class _Mailbox:
    """Holds only the newest request; ``take`` empties it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._request: ComputeRequest | None = None

    def put(self, request: ComputeRequest) -> None:
        with self._lock:
            self._request = request

    def take(self) -> ComputeRequest | None:
        with self._lock:
            request, self._request = self._request, None
            return request


class _Worker(QObject):
    """Lives in the compute thread."""

    sigWarmupProgress = Signal(int, int, str)
    sigWarmupDone = Signal(float)
    sigStarted = Signal(int)  # generation
    sigFinished = Signal(object)  # ComputeOutcome

    def __init__(self, mailbox: _Mailbox) -> None:
        super().__init__()
        self._mailbox = mailbox
        self.pool = BufferPool()
        self._frame = 0
        # (frame number, lease) of results nobody holds any more; appended by the results'
        # finalizers (in whichever thread dropped them; deque appends are atomic).
        self._retired: deque[tuple[int, Lease]] = deque()

    def _recycle(self) -> None:
        """Release the retired leases at least :data:`KEEP_FRAMES` frames old."""
        kept = []
        while self._retired:
            frame, lease = self._retired.popleft()
            if frame <= self._frame - KEEP_FRAMES:
                lease.release()
            else:
                kept.append((frame, lease))
        self._retired.extend(kept)

    @Slot()
    def warm_up(self) -> None:
        seconds = warmup(lambda done, total, name: self.sigWarmupProgress.emit(done, total, name))
        self.sigWarmupDone.emit(seconds)

    @Slot()
    def process(self) -> None:
        request = self._mailbox.take()
        if request is None:
            return
        self.sigStarted.emit(request.generation)
        start = time.perf_counter()
        result, error = None, None
        self._frame += 1
        self._recycle()
        lease = self.pool.lease()
        try:
            result = run_pipeline(request.image, request.pipeline, buffers=lease)
        except PipelineError as exc:
            error = str(exc)
        except (ValueError, MemoryError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if result is None:
            lease.release()  # no result holds these buffers
        else:
            done = weakref.finalize(result, self._retired.append, (self._frame, lease))
            done.atexit = False
        self.sigFinished.emit(ComputeOutcome(request, result, error,
                                             time.perf_counter() - start))


class ComputeController(QObject):
    """GUI-side owner of the compute thread: debounces, numbers and filters requests.

    Parameters
    ----------
    parent : QObject, optional
        Qt parent.
    debounce_ms : int, optional
        Quiet time after the last :meth:`request` before it is sent.
    """

    sigOutcome = Signal(object)  # ComputeOutcome of the newest generation
    sigStarted = Signal(int)  # the worker began this generation
    sigWarmupProgress = Signal(int, int, str)
    sigWarmupDone = Signal(float)
    _sigWake = Signal()

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self._mailbox = _Mailbox()
        self._generation = 0
        self._pending: tuple[np.ndarray, Pipeline, int] | None = None
        self.dropped = 0  # stale outcomes ignored, for the status line and tests
        self._answered = 0  # newest generation whose outcome came back
        self.warm = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.flush)
        self._thread = QThread()
        self._thread.setObjectName("conv-workbench compute")
        self._worker = _Worker(self._mailbox)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.warm_up)
        self._sigWake.connect(self._worker.process)
        self._worker.sigFinished.connect(self._on_finished)
        self._worker.sigStarted.connect(self.sigStarted)
        self._worker.sigWarmupProgress.connect(self.sigWarmupProgress)
        self._worker.sigWarmupDone.connect(self._on_warmup_done)

    @property
    def generation(self) -> int:
        """Generation of the newest request sent."""
        return self._generation

    @property
    def busy(self) -> bool:
        """A request is waiting for its debounce or its outcome."""
        return self._pending is not None or self._answered < self._generation

    @property
    def running(self) -> bool:
        """The compute thread is running."""
        return self._thread.isRunning()

    def start(self) -> None:
        """Start the thread; it first compiles (or loads) the JIT kernels."""
        if not self._thread.isRunning():
            self._thread.start()

    def request(self, image: np.ndarray, pipeline: Pipeline, tag: int = 0) -> None:
        """Ask for a computation; it is sent once no newer request came for ``debounce_ms``.

        Parameters
        ----------
        image : numpy.ndarray
            ``(C, H, W)`` float32 input.
        pipeline : Pipeline
            What to compute.
        tag : int, optional
            Returned with the outcome (``outcome.request.tag``).
        """
        self._pending = (image, pipeline, tag)
        self._timer.start()

    def flush(self) -> int:
        """Send the pending request now.

        Returns
        -------
        int
            Its generation (the current one if nothing was pending).
        """
        self._timer.stop()
        if self._pending is None:
            return self._generation
        image, pipeline, tag = self._pending
        self._pending = None
        self._generation += 1
        self._mailbox.put(ComputeRequest(image, pipeline, self._generation, tag))
        self._sigWake.emit()
        return self._generation

    def stop(self) -> None:
        """Stop and join the thread (the running computation, if any, finishes first)."""
        self._timer.stop()
        self._pending = None
        self._mailbox.take()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    @Slot(object)
    def _on_finished(self, outcome: ComputeOutcome) -> None:
        if outcome.generation != self._generation or self._pending is not None:
            self.dropped += 1
            return
        self._answered = outcome.generation
        self.sigOutcome.emit(outcome)

    @Slot(float)
    def _on_warmup_done(self, seconds: float) -> None:
        self.warm = True
        self.sigWarmupDone.emit(seconds)
