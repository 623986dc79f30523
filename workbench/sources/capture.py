"""The capture thread: reads a source at its pace and keeps only the newest frame.

Threading contract
------------------
- ``CaptureThread`` runs one non-daemon thread (named ``workbench-capture-<n>``) that owns
  the source while it runs: do not call the source's methods directly meanwhile; use
  :meth:`CaptureThread.pause`, :meth:`~CaptureThread.seek` and friends, which are
  thread-safe and take effect between reads.
- The source's blocking ``read()`` runs on a helper *daemon* thread
  (``workbench-capture-<n>-reader``). The capture thread watches it: a read that takes
  longer than ``stall_timeout`` is reported as :class:`SourceStalledError` through
  ``on_error`` and the capture ends; the stuck reader is abandoned and releases the
  source whenever (if ever) the read returns. So ``stop()`` never hangs on a dead camera.
- The newest frame waits in a one-frame slot. A consumer that is slower than the source
  never builds up latency: unconsumed frames are overwritten and counted as dropped.
  ``frames_captured == frames_delivered + frames_dropped + (1 if the slot holds a frame
  nobody took yet)``. ``latest`` / ``wait_for_frame`` may be called from any thread.
- ``on_frame``, ``on_error`` and ``on_end`` are called on the capture thread; keep them
  short (e.g. emit a Qt signal). ``stop()`` called from them only requests the stop (a
  thread cannot join itself). Exceptions they raise are logged and otherwise ignored.
- After the capture ends (stop, error) the last frame stays available from ``latest`` /
  ``snapshot``.
"""

from __future__ import annotations

import enum
import functools
import itertools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self

from workbench.sources.base import FrameSource, SeekableSource, check_index, fraction_to_index
from workbench.sources.call_worker import CallOutcome, CallWorker
from workbench.sources.errors import SourceStalledError
from workbench.sources.frame import Frame

_log = logging.getLogger(__name__)

DEFAULT_STALL_TIMEOUT = 1.0
"""Seconds a single read may take before the source is declared stalled."""
FPS_WINDOW = 1.0
"""Seconds over which the capture frame rate is averaged."""
_STOP_GRACE = 0.5
"""Seconds ``stop`` lets a read in flight finish before abandoning it."""

_thread_numbers = itertools.count(1)


class CaptureState(enum.Enum):
    """Life-cycle state of a :class:`CaptureThread`."""

    IDLE = "idle"
    """Not started."""
    RUNNING = "running"
    """Reading frames."""
    PAUSED = "paused"
    """Not publishing frames; :meth:`CaptureThread.step` publishes one."""
    ENDED = "ended"
    """The source reported its end; the thread waits for a seek, a step or ``stop``."""
    FAILED = "failed"
    """The source raised or stalled; the thread has finished."""
    STOPPED = "stopped"
    """``stop`` was called; the thread has finished."""


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """Counters of a :class:`CaptureThread` at one instant.

    Attributes
    ----------
    frames_captured : int
        Frames read from the source and published to the slot.
    frames_delivered : int
        Distinct frames handed to a consumer by ``latest`` / ``wait_for_frame``.
    frames_dropped : int
        Frames overwritten in the slot before any consumer took them.
    fps : float
        Capture rate averaged over the last :data:`FPS_WINDOW` seconds (0 when idle).
    state : CaptureState
        Current state.
    error : BaseException or None
        The error that ended the capture, if any.
    """

    frames_captured: int
    frames_delivered: int
    frames_dropped: int
    fps: float
    state: CaptureState
    error: BaseException | None


class _Action(enum.Enum):
    STOP = enum.auto()
    READ = enum.auto()
    DISCARD = enum.auto()
    SEEK = enum.auto()


class CaptureThread:
    """Read frames from a source on a dedicated thread, keeping only the newest.

    Non-live sources (files, stills, synthetic patterns) are paced at their ``fps``: reads
    follow an absolute schedule, so small delays are made up, but after a delay of more
    than half a frame the schedule restarts instead of bursting to catch up, and the rate
    never exceeds ``fps``. Live sources (cameras) are read as fast as they deliver. See
    the module docstring for the threading contract.

    Parameters
    ----------
    source : FrameSource
        The source. ``start()`` opens it if it is not open yet.
    on_frame : callable, optional
        ``on_frame(frame)``, called on the capture thread after each published frame.
    on_error : callable, optional
        ``on_error(exc)``, called on the capture thread when the source raises or stalls;
        the capture then ends.
    on_end : callable, optional
        ``on_end()``, called on the capture thread when a finite source is exhausted.
    stall_timeout : float or None, optional
        Seconds one read may take before :class:`SourceStalledError` is reported;
        ``None`` disables the watchdog.
    pace : bool, optional
        Pace non-live sources at their ``fps``; ``False`` reads as fast as possible.
    close_source : bool, optional
        Close the source when the capture ends.
    name : str, optional
        Thread name; ``workbench-capture-<n>`` by default.

    Raises
    ------
    ValueError
        If ``stall_timeout`` is not positive.
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        on_frame: Callable[[Frame], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        on_end: Callable[[], object] | None = None,
        stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
        pace: bool = True,
        close_source: bool = True,
        name: str | None = None,
    ) -> None:
        if stall_timeout is not None and not (math.isfinite(stall_timeout) and stall_timeout > 0):
            raise ValueError(
                f"stall_timeout must be a positive number or None, got {stall_timeout}"
            )
        self._source = source
        self._on_frame = on_frame
        self._on_error = on_error
        self._on_end = on_end
        self._stall_timeout = stall_timeout
        self._pace = pace
        self._close_source = close_source

        # _control guards the state machine and the reader; _slot guards frame + counters.
        self._control = threading.Condition()
        self._state = CaptureState.IDLE
        self._starting = False
        self._stop_requested = False
        self._step_requested = False
        self._pending_seek: int | None = None
        self._error: BaseException | None = None

        self._slot_cond = threading.Condition()
        self._slot: Frame | None = None
        self._slot_taken = False
        self._seq = 0
        self._captured = 0
        self._delivered = 0
        self._dropped = 0
        self._publish_times: deque[float] = deque()
        self._finished = False

        self._thread = threading.Thread(
            target=self._run,
            name=name or f"workbench-capture-{next(_thread_numbers)}",
            daemon=False,
        )

    # -- life cycle ----------------------------------------------------------------------

    @property
    def source(self) -> FrameSource:
        """The source being captured."""
        return self._source

    @property
    def name(self) -> str:
        """Name of the capture thread."""
        return self._thread.name

    @property
    def state(self) -> CaptureState:
        """Current state."""
        with self._control:
            return self._state

    @property
    def error(self) -> BaseException | None:
        """The error that ended the capture, if any."""
        with self._control:
            return self._error

    def start(self) -> None:
        """Open the source if needed (in the calling thread) and start capturing.

        Raises
        ------
        SourceError
            If the source cannot be opened (nothing is started then).
        RuntimeError
            If the capture was already started; create a new one to restart.
        """
        with self._control:
            if self._state is not CaptureState.IDLE or self._stop_requested or self._starting:
                raise RuntimeError("a CaptureThread can only be started once")
            self._starting = True
        try:
            # Outside the lock: opening a camera can take seconds.
            if not self._source.is_open:
                self._source.open()
        except BaseException:
            with self._control:
                self._starting = False
            raise
        with self._control:
            if self._state is CaptureState.IDLE:
                self._state = CaptureState.RUNNING
        self._thread.start()

    def stop(self, timeout: float | None = 1.0) -> bool:
        """Ask the capture to stop and wait for its thread to finish.

        A read in flight gets :data:`_STOP_GRACE` seconds to complete and is otherwise
        abandoned, so this returns within about half a second even on a dead camera.

        Parameters
        ----------
        timeout : float or None, optional
            Seconds to wait for the thread; ``None`` waits indefinitely.

        Returns
        -------
        bool
            ``True`` if the thread has finished (or was never started). ``False`` on
            timeout, or when called from the capture thread itself (e.g. in ``on_end``),
            where the stop is only requested.
        """
        with self._control:
            self._stop_requested = True
            if self._state is CaptureState.IDLE and not self._starting:
                self._state = CaptureState.STOPPED
                self._mark_finished()
                return True
            self._control.notify_all()
        if threading.current_thread() is self._thread:
            return False
        return self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the capture thread to finish.

        Parameters
        ----------
        timeout : float or None, optional
            Seconds to wait; ``None`` waits indefinitely.

        Returns
        -------
        bool
            ``True`` if the thread has finished or was never started.
        """
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def is_alive(self) -> bool:
        """Whether the capture thread is running.

        Returns
        -------
        bool
            ``threading.Thread.is_alive()`` of the capture thread.
        """
        return self._thread.is_alive()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- playback control ----------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """Whether the capture is paused."""
        return self.state is CaptureState.PAUSED

    def pause(self) -> None:
        """Stop publishing frames until :meth:`resume`.

        A live source keeps being read (and its frames discarded) so that resuming shows
        a current frame rather than a stale driver buffer.
        """
        with self._control:
            if self._state is CaptureState.RUNNING:
                self._state = CaptureState.PAUSED
                self._control.notify_all()

    def resume(self) -> None:
        """Resume publishing after :meth:`pause` (or try again after the end)."""
        with self._control:
            if self._state in (CaptureState.PAUSED, CaptureState.ENDED, CaptureState.IDLE):
                if self._state is not CaptureState.IDLE:
                    self._state = CaptureState.RUNNING
                self._control.notify_all()

    def step(self) -> None:
        """Pause, then read and publish exactly one frame."""
        with self._control:
            if self._state in (CaptureState.RUNNING, CaptureState.ENDED):
                self._state = CaptureState.PAUSED
            self._step_requested = True
            self._control.notify_all()

    def seek(self, index: int) -> None:
        """Seek a seekable source between reads.

        If paused or at the end, the frame at ``index`` is read and published (the
        capture is then paused); if running, playback continues from ``index``. Only
        the newest pending seek is performed.

        Parameters
        ----------
        index : int
            Frame index, ``0 <= index < frame_count``.

        Raises
        ------
        TypeError
            If the source is not a :class:`SeekableSource`.
        ValueError
            If ``index`` is out of range.
        """
        source = self._seekable()
        index = check_index(index, source.frame_count)
        with self._control:
            self._pending_seek = index
            self._control.notify_all()

    def seek_fraction(self, fraction: float) -> int:
        """Seek to a fraction (0 = first frame, 1 = last) of a finite seekable source.

        Parameters
        ----------
        fraction : float
            Position in ``[0, 1]``; clipped.

        Returns
        -------
        int
            The frame index sought to.

        Raises
        ------
        TypeError
            If the source is not a :class:`SeekableSource`.
        ValueError
            If the source has no known frame count.
        """
        index = fraction_to_index(fraction, self._seekable().frame_count)
        self.seek(index)
        return index

    def _seekable(self) -> SeekableSource:
        if not isinstance(self._source, SeekableSource):
            raise TypeError(f"{self._source.description} is not seekable")
        return self._source

    # -- consumer API --------------------------------------------------------------------

    def latest(self, after_seq: int = 0) -> Frame | None:
        """Return the newest frame if it is newer than ``after_seq``.

        Parameters
        ----------
        after_seq : int, optional
            ``seq`` of the last frame the caller has; ``0`` returns any frame.

        Returns
        -------
        Frame or None
            The newest frame (``frame.seq > after_seq``), or ``None`` if there is none.
        """
        with self._slot_cond:
            return self._take(after_seq)

    def wait_for_frame(self, timeout: float | None = None, after_seq: int = 0) -> Frame | None:
        """Block until a frame newer than ``after_seq`` is available.

        Parameters
        ----------
        timeout : float or None, optional
            Seconds to wait; ``None`` waits until a frame arrives or the capture finishes.
        after_seq : int, optional
            ``seq`` of the last frame the caller has.

        Returns
        -------
        Frame or None
            The newest frame, or ``None`` on timeout or when the capture has finished
            without a newer frame.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._slot_cond:
            while True:
                frame = self._take(after_seq)
                if frame is not None or self._finished:
                    return frame
                if deadline is None:
                    self._slot_cond.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._slot_cond.wait(remaining)

    def snapshot(self) -> Frame | None:
        """Freeze: return a copy of the newest frame (not counted as delivered).

        Returns
        -------
        Frame or None
            A frame with its own pixel buffer, or ``None`` if no frame was captured.
        """
        with self._slot_cond:
            frame = self._slot
        return None if frame is None else frame.copy()

    def stats(self) -> CaptureStats:
        """Return the current counters.

        Returns
        -------
        CaptureStats
            A consistent snapshot of the counters.
        """
        with self._control:
            state, error = self._state, self._error
        with self._slot_cond:
            self._trim_publish_times(time.monotonic())
            times = self._publish_times
            span = times[-1] - times[0] if times else 0.0
            fps = (len(times) - 1) / span if span > 0 else 0.0
            return CaptureStats(
                frames_captured=self._captured,
                frames_delivered=self._delivered,
                frames_dropped=self._dropped,
                fps=fps,
                state=state,
                error=error,
            )

    def _take(self, after_seq: int) -> Frame | None:
        frame = self._slot
        if frame is None or frame.seq <= after_seq:
            return None
        if not self._slot_taken:
            self._slot_taken = True
            self._delivered += 1
        return frame

    def _trim_publish_times(self, now: float) -> None:
        times = self._publish_times
        while times and times[0] < now - FPS_WINDOW:
            times.popleft()

    # -- capture thread ------------------------------------------------------------------

    def _run(self) -> None:
        worker = CallWorker(f"{self.name}-reader", condition=self._control)
        try:
            self._loop(worker)
        except BaseException as exc:  # a bug here must still reach on_error and end cleanly
            _log.exception("capture loop of %s crashed", self._source.description)
            self._fail(exc)
        finally:
            worker.close(cleanup=self._source.close if self._close_source else None)
            with self._control:
                if self._state is not CaptureState.FAILED:
                    self._state = CaptureState.STOPPED
            self._mark_finished()

    def _loop(self, worker: CallWorker) -> None:
        period = 0.0
        fps = self._source.fps
        if self._pace and not self._source.is_live and fps:
            period = 1.0 / fps
        next_due = time.monotonic()
        while True:
            with self._control:
                action, seek_to, next_due = self._next_action(next_due)
            if action is _Action.STOP:
                return
            if action is _Action.SEEK:
                assert seek_to is not None
                outcome = self._call(worker, functools.partial(self._seekable().seek, seek_to))
                if outcome is None:
                    return
                if outcome.error is not None:
                    self._fail(outcome.error)
                    return
                with self._control:
                    if self._state in (CaptureState.PAUSED, CaptureState.ENDED):
                        self._state = CaptureState.PAUSED
                        self._step_requested = True
                next_due = time.monotonic()
                continue
            started = time.monotonic()
            outcome = self._call(worker, self._source.read)
            if outcome is None:
                return
            if outcome.error is not None:
                self._fail(outcome.error)
                return
            frame = outcome.value
            if frame is None:
                self._end()
                continue
            if action is _Action.READ:
                self._publish(frame)
                # An absolute schedule absorbs small delays; after a longer one, re-anchor
                # rather than burst to catch up. Either way reads start >= period/2 apart
                # and the average rate never exceeds the source's.
                if started - next_due > period / 2:
                    next_due = started
                next_due += period

    def _next_action(self, next_due: float) -> tuple[_Action, int | None, float]:
        # Called with _control held; waits until there is something to do.
        while True:
            if self._stop_requested:
                return _Action.STOP, None, next_due
            if self._pending_seek is not None:
                index, self._pending_seek = self._pending_seek, None
                return _Action.SEEK, index, next_due
            if self._step_requested:
                self._step_requested = False
                return _Action.READ, None, time.monotonic()
            if self._state is CaptureState.RUNNING:
                wait = next_due - time.monotonic()
                if wait <= 0:
                    return _Action.READ, None, next_due
                self._control.wait(wait)
                continue
            if self._state is CaptureState.PAUSED and self._source.is_live:
                return _Action.DISCARD, None, next_due
            self._control.wait()
            # Resuming restarts the pacing clock rather than bursting to catch up.
            next_due = time.monotonic()

    def _call(self, worker: CallWorker, job: Callable[[], object]) -> CallOutcome | None:
        """Run ``job`` on the reader; ``None`` if the capture must end (stop or stall)."""
        with self._control:
            worker.submit(job)
            submitted = time.monotonic()
            grace_deadline: float | None = None
            while True:
                outcome = worker.take_outcome()
                if outcome is not None:
                    return outcome
                now = time.monotonic()
                if self._stop_requested:
                    if grace_deadline is None:
                        grace_deadline = now + _STOP_GRACE
                    if now >= grace_deadline:
                        return None
                    self._control.wait(grace_deadline - now)
                    continue
                if self._stall_timeout is None:
                    self._control.wait()
                    continue
                elapsed = now - submitted
                if elapsed >= self._stall_timeout:
                    break
                self._control.wait(self._stall_timeout - elapsed)
        self._fail(
            SourceStalledError(
                f"{self._source.description} stalled: a read has not returned after "
                f"{elapsed:.1f} s; it may have been unplugged"
            )
        )
        return None

    def _publish(self, frame: Frame) -> None:
        with self._slot_cond:
            self._seq += 1
            frame = replace(frame, seq=self._seq)
            if self._slot is not None and not self._slot_taken:
                self._dropped += 1
            self._slot = frame
            self._slot_taken = False
            self._captured += 1
            now = time.monotonic()
            self._publish_times.append(now)
            self._trim_publish_times(now)
            self._slot_cond.notify_all()
        self._callback(self._on_frame, frame)

    def _end(self) -> None:
        with self._control:
            if self._state is CaptureState.ENDED or self._stop_requested:
                return
            self._state = CaptureState.ENDED
        self._callback(self._on_end)

    def _fail(self, exc: BaseException) -> None:
        with self._control:
            self._state = CaptureState.FAILED
            self._error = exc
            self._stop_requested = True
        self._callback(self._on_error, exc)

    def _mark_finished(self) -> None:
        with self._slot_cond:
            self._finished = True
            self._slot_cond.notify_all()

    def _callback(self, callback: Callable[..., object] | None, *args: object) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            _log.exception("%s callback raised; ignored", getattr(callback, "__name__", callback))
