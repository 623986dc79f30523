"""Live input for the window: owns the capture thread, paces compute, records, counts.

Threads
-------
- Opening a source (a camera can take seconds) runs on a short-lived daemon thread,
  ``workbench-live-open-<n>``; the stream that is running meanwhile keeps running, and is
  replaced only once the new source has opened. A failed open changes nothing.
- :class:`~workbench.sources.CaptureThread` reads the source on its own thread. Its
  callbacks run there and only touch :class:`_Bridge`, a QObject living in the GUI thread:
  their signals reach the controller through queued connections. No widget is touched
  from the capture thread. A frame-ready signal is posted only when none is pending, so a
  busy GUI thread never accumulates a backlog of events.
- Compute runs in the window's single compute worker. Frames are *pulled*: when a frame
  is ready and the worker is idle, the newest frame is taken and emitted as ``sigFrame``,
  whose receiver submits it to the worker synchronously. Frames that arrive while the
  worker is busy are overwritten in the capture slot and counted as dropped, so latency
  never grows. A parameter edit goes through the same worker and applies to the next frame.

Garbage collection
------------------
While a stream runs, every object that existed when it started is frozen out of Python's
cyclic garbage collector (:func:`gc.freeze`). Qt, pyqtgraph and numba keep ~170 000 objects
alive; a full collection of them takes ~60 ms on the GUI thread, two frames' worth, and
happens every few seconds while frames allocate. Objects created during the stream are
collected as usual; the frozen ones go back to the collector when the last stream stops.
"""

from __future__ import annotations

import enum
import gc
import itertools
import math
import os
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.gui.compute_worker import ComputeController, ComputeOutcome
from workbench.gui.live.recording import LiveRecorder, MapStyle, RecordTarget
from workbench.render import ViewOptions
from workbench.sources import (
    DEFAULT_RESOLUTION,
    CameraSource,
    CaptureState,
    CaptureThread,
    Frame,
    FrameSource,
    RecorderError,
    SeekableSource,
    SyntheticSource,
    VideoFileSource,
)
from workbench.sources.capture import DEFAULT_STALL_TIMEOUT

STATS_INTERVAL_MS = 500
RATE_WINDOW_S = 1.0
"""Seconds over which the processed frame rate and the compute time are averaged."""
DEFAULT_RECORD_FPS = 30.0
"""Frame rate of a recording when the source does not declare one (cameras often don't)."""
SYNTHETIC_SIZE = (640, 480)
SYNTHETIC_FPS = 30.0
OPEN_JOIN_TIMEOUT_S = 5.0
"""How long shutdown waits for a source that is still opening (a camera: up to ~3 s)."""

_open_numbers = itertools.count(1)
_streams_frozen = 0  # sessions (of any window) that froze the collector's objects


def _freeze_collector() -> None:
    global _streams_frozen
    _streams_frozen += 1
    gc.freeze()


def _unfreeze_collector() -> None:
    global _streams_frozen
    _streams_frozen = max(_streams_frozen - 1, 0)
    if _streams_frozen == 0:
        gc.unfreeze()  # garbage made while streaming is found by the next full collection


class LiveState(enum.Enum):
    """What the live input is doing."""

    IDLE = "idle"
    """No stream (the window shows a still image or the last frame)."""
    OPENING = "opening"
    """A source is being opened; a previous stream may still be running."""
    RUNNING = "running"
    """Frames flow."""
    PAUSED = "paused"
    """The stream is paused (step and seek work)."""
    ENDED = "ended"
    """A video reached its end (play restarts it, seek and step work)."""


@dataclass(frozen=True)
class LiveStats:
    """Counters of the live input at one instant.

    Attributes
    ----------
    capture_fps : float
        Frames per second read from the source (last second).
    processed_fps : float
        Frames per second computed and shown (last second).
    compute_ms : float or None
        Median compute time per frame over the last second (``None`` before the first).
    frames_captured : int
        Frames read since the stream started.
    frames_processed : int
        Frames computed and shown.
    frames_dropped : int
        Frames replaced by a newer one before compute could take them.
    recorded : int or None
        Frames written to the recording, ``None`` when not recording.
    """

    capture_fps: float = 0.0
    processed_fps: float = 0.0
    compute_ms: float | None = None
    frames_captured: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    recorded: int | None = None

    def text(self) -> str:
        """One line for the status bar.

        Returns
        -------
        str
            E.g. ``"capture 30.0 fps · processed 29.8 fps · compute 4.2 ms · dropped 3"``.
        """
        compute = "–" if self.compute_ms is None else f"{self.compute_ms:.1f} ms"
        parts = [f"capture {self.capture_fps:.1f} fps", f"processed {self.processed_fps:.1f} fps",
                 f"compute {compute}", f"dropped {self.frames_dropped}"]
        if self.recorded is not None:
            parts.append(f"● rec {self.recorded}")
        return " · ".join(parts)


def source_title(source: FrameSource) -> str:
    """Short name of a source for titles and messages.

    Parameters
    ----------
    source : FrameSource
        Any source.

    Returns
    -------
    str
        The camera's name, the video's file name, or the source's description.
    """
    if isinstance(source, CameraSource):
        name = source.name
        return name if name == source.description else f"{source.description} ({name})"
    if isinstance(source, VideoFileSource):
        return source.path.name
    if isinstance(source, SyntheticSource):
        return "Synthetic pattern"
    return source.description


def map_style(options: ViewOptions) -> MapStyle:
    """Return the colours of a recording that matches the screen.

    Parameters
    ----------
    options : ViewOptions
        The window's colour options.

    Returns
    -------
    MapStyle
        ``options``, drawn by :mod:`workbench.render` as the window draws them.
    """
    return MapStyle(options)


class _Bridge(QObject):
    """Signals emitted from the opener and capture threads, delivered in the GUI thread."""

    sigFrameReady = Signal(int)  # session
    sigFailed = Signal(int, str)  # session, message
    sigEnded = Signal(int)  # session
    sigOpened = Signal(int)  # opening ticket
    sigOpenFailed = Signal(int, str)  # opening ticket, message


class _Opening:
    """A source being opened on the opener thread; cancelled if superseded or stopped."""

    def __init__(self, ticket: int, source: FrameSource, bridge: _Bridge) -> None:
        self.ticket = ticket
        self.source = source
        self.lock = threading.Lock()
        self.cancelled = False
        self.opened = False
        self.thread = threading.Thread(target=self._run, args=(bridge,),
                                       name=f"workbench-live-open-{ticket}", daemon=True)

    def _run(self, bridge: _Bridge) -> None:
        error: str | None = None
        try:
            self.source.open()
        except Exception as exc:  # SourceError names the device; anything else still reported
            error = str(exc) or type(exc).__name__
        with self.lock:
            if self.cancelled:
                self.source.close()
                return
            self.opened = error is None
            # Emitted under the lock so that cancel() cannot slip in between.
            if error is None:
                bridge.sigOpened.emit(self.ticket)
            else:
                bridge.sigOpenFailed.emit(self.ticket, error)

    def cancel(self) -> None:
        """Drop the source: closed here if it opened already, else by the opener thread."""
        with self.lock:
            self.cancelled = True
            opened = self.opened
        if opened:
            # Its "opened" signal may still be queued; the controller will ignore it.
            self.source.close()


class _Session:
    """One running capture and the state its callbacks share with the GUI thread."""

    def __init__(self, number: int, source: FrameSource, controller: LiveController,
                 stall_timeout: float | None) -> None:
        self.number = number
        self.source = source
        self.title = source_title(source)
        self._controller = controller
        self._bridge = controller._bridge
        self._lock = threading.Lock()
        self._notify_pending = False
        self.capture = CaptureThread(source, on_frame=self._on_frame, on_error=self._on_error,
                                     on_end=self._on_end, stall_timeout=stall_timeout)

    # Capture thread ------------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        self._controller._record_raw(frame)
        with self._lock:
            if self._notify_pending:
                return
            self._notify_pending = True
        self._bridge.sigFrameReady.emit(self.number)

    def _on_error(self, exc: BaseException) -> None:
        self._bridge.sigFailed.emit(self.number, str(exc) or type(exc).__name__)

    def _on_end(self) -> None:
        self._bridge.sigEnded.emit(self.number)

    # GUI thread ------------------------------------------------------------------------------

    def frame_notified(self) -> None:
        with self._lock:
            self._notify_pending = False


class LiveController(QObject):
    """Runs a camera, video file or synthetic pattern through the window's compute worker.

    See the module docstring for the threading model. Connect ``sigFrame`` to a slot that
    converts the frame and submits it to ``compute`` right away (without debouncing): the
    controller takes the next frame only once that computation has come back.

    Parameters
    ----------
    compute : ComputeController
        The window's compute worker.
    parent : QObject, optional
        Qt parent.
    stall_timeout : float or None, optional
        Seconds a read may block before the source is declared stalled (unplugged).
    stats_interval_ms : int, optional
        Period of ``sigStats``.
    """

    sigFrame = Signal(object)  # Frame to compute now (GUI thread)
    sigProcessed = Signal(object, object)  # Frame, ComputeOutcome: the frame's maps came back
    sigStateChanged = Signal(object)  # LiveState
    sigSourceChanged = Signal(object)  # the FrameSource now streaming, or None
    sigStats = Signal(object)  # LiveStats
    sigError = Signal(str)  # a message naming the device or file
    sigInfo = Signal(str)  # e.g. where a recording was saved
    sigEnded = Signal()  # a video reached its end
    sigRecordingChanged = Signal(object)  # Path while recording, None when stopped
    sigFrozen = Signal(object, str)  # Frame, title: the frame to keep as the still input

    def __init__(self, compute: ComputeController, parent: QObject | None = None, *,
                 stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
                 stats_interval_ms: int = STATS_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._compute = compute
        self._stall_timeout = stall_timeout
        self._bridge = _Bridge(self)
        self._bridge.sigFrameReady.connect(self._on_frame_ready)
        self._bridge.sigFailed.connect(self._on_failed)
        self._bridge.sigEnded.connect(self._on_ended)
        self._bridge.sigOpened.connect(self._on_opened)
        self._bridge.sigOpenFailed.connect(self._on_open_failed)
        compute.sigOutcome.connect(self._on_outcome)

        self._state = LiveState.IDLE
        self._session: _Session | None = None
        self._session_numbers = itertools.count(1)
        self._opening: _Opening | None = None
        self._openers: list[_Opening] = []
        self._awaiting: int | None = None  # compute generation of the frame in flight
        self._awaiting_frame: Frame | None = None
        self._last_seq = 0
        self.current_frame: Frame | None = None
        """The newest frame handed to compute (what the window shows or is about to)."""
        self.loop = False
        """Whether video files wrap to their first frame at the end."""
        self.mirror = False
        """Whether cameras are flipped left-right."""
        self.view_options = ViewOptions()
        """Colours of recorded maps; the window keeps this in step with its views."""
        self._processed = 0
        self._processed_times: deque[float] = deque()
        self._compute_times: deque[tuple[float, float]] = deque()

        self._record_lock = threading.Lock()
        self._recorder: LiveRecorder | None = None
        self._notice_shown: str | None = None

        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(stats_interval_ms)
        self._stats_timer.timeout.connect(self._emit_stats)

    # ------------------------------------------------------------------ properties

    @property
    def state(self) -> LiveState:
        """What the stream is doing."""
        return self._state

    @property
    def source(self) -> FrameSource | None:
        """The source streaming now."""
        return None if self._session is None else self._session.source

    @property
    def source_title(self) -> str:
        """Short name of the streaming source ("" when idle)."""
        return "" if self._session is None else self._session.title

    @property
    def capture(self) -> CaptureThread | None:
        """The running capture thread."""
        return None if self._session is None else self._session.capture

    @property
    def streaming(self) -> bool:
        """Whether a capture is running (possibly paused or at its end)."""
        return self._session is not None

    @property
    def seekable(self) -> bool:
        """Whether the streaming source can seek, step and loop (files, patterns)."""
        return isinstance(self.source, SeekableSource)

    @property
    def frame_count(self) -> int | None:
        """Frames in the streaming source, ``None`` for cameras and endless patterns."""
        source = self.source
        return source.frame_count if isinstance(source, SeekableSource) else None

    @property
    def recording(self) -> LiveRecorder | None:
        """The recording in progress."""
        return self._recorder

    @property
    def processed(self) -> int:
        """Frames computed and shown since the stream started."""
        return self._processed

    # ------------------------------------------------------------------ sources

    def open_camera(self, index: int | str, resolution: tuple[int, int] = DEFAULT_RESOLUTION,
                    mirror: bool | None = None) -> None:
        """Open a camera and stream it once it delivers (a failure is reported, not raised).

        Parameters
        ----------
        index : int or str
            Device index, or a device path such as ``/dev/video0``.
        resolution : tuple of int, optional
            Requested ``(width, height)``; the camera may deliver another size.
        mirror : bool, optional
            Flip left-right; :attr:`mirror` if omitted.
        """
        if mirror is not None:
            self.mirror = bool(mirror)
        try:
            source = CameraSource(index, resolution=resolution, mirror=self.mirror)
        except ValueError as exc:
            self.sigError.emit(f"Camera {index}: {exc}")
            return
        running = self.source
        if isinstance(running, CameraSource) and running.index == source.index:
            self.stop()  # the device is busy with the running capture until it is released
        self.open_source(source)

    def open_video(self, path: str | os.PathLike[str]) -> None:
        """Open a video file (any format OpenCV's FFmpeg reads) and play it.

        Parameters
        ----------
        path : str or os.PathLike
            The file. An unreadable, truncated or empty file is reported through
            ``sigError`` and nothing else changes.
        """
        self.open_source(VideoFileSource(path, loop=self.loop))

    def open_synthetic(self, size: tuple[int, int] = SYNTHETIC_SIZE,
                       fps: float = SYNTHETIC_FPS) -> None:
        """Stream the moving test pattern (for demos).

        Parameters
        ----------
        size : tuple of int, optional
            ``(width, height)``.
        fps : float, optional
            Frame rate.
        """
        self.open_source(SyntheticSource(size, fps))

    def open_source(self, source: FrameSource) -> None:
        """Open ``source`` in the background, then stream it instead of the current one.

        Parameters
        ----------
        source : FrameSource
            A closed source; the controller owns it from now on.
        """
        self._cancel_opening()
        opening = _Opening(next(_open_numbers), source, self._bridge)
        self._opening = opening
        self._openers = [o for o in self._openers if o.thread.is_alive()] + [opening]
        self._set_state(LiveState.OPENING)
        opening.thread.start()

    def _cancel_opening(self) -> None:
        if self._opening is not None:
            self._opening.cancel()
            self._opening = None

    @Slot(int)
    def _on_opened(self, ticket: int) -> None:
        opening = self._opening
        if opening is None or opening.ticket != ticket:
            return  # superseded: cancel() closed the source
        self._opening = None
        self._end_session()
        session = _Session(next(self._session_numbers), opening.source, self,
                           self._stall_timeout)
        if isinstance(session.source, SeekableSource):
            session.source.loop = self.loop
        self._reset_counters()
        self._session = session
        session.capture.start()  # the source is open: this does not block
        _freeze_collector()
        self._stats_timer.start()
        self._set_state(LiveState.RUNNING)
        self.sigSourceChanged.emit(session.source)
        self._notice_shown = None  # a new file: say it once again
        self._report_notice(session.source)

    @Slot(int, str)
    def _on_open_failed(self, ticket: int, message: str) -> None:
        opening = self._opening
        if opening is None or opening.ticket != ticket:
            return
        self._opening = None
        self._set_state(self._capture_state())
        self.sigError.emit(message)

    def _reset_counters(self) -> None:
        self._awaiting = None
        self._awaiting_frame = None
        self._last_seq = 0
        self._processed = 0
        self._processed_times.clear()
        self._compute_times.clear()

    # ------------------------------------------------------------------ playback

    def stop(self) -> None:
        """Stop the stream (and any recording, which is finished); the last frame stays."""
        self._cancel_opening()
        self._end_session()
        self._set_state(LiveState.IDLE)

    def _end_session(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        self.stop_recording()
        session.capture.stop()
        _unfreeze_collector()
        self._stats_timer.stop()
        self._awaiting = None
        self._awaiting_frame = None
        self.sigSourceChanged.emit(None)

    def pause(self) -> None:
        """Pause the stream; compute goes on for parameter edits on the frame shown."""
        if self._session is not None:
            self._session.capture.pause()
            self._set_state(self._capture_state())

    def resume(self) -> None:
        """Play after a pause; at the end of a video, play from the start."""
        session = self._session
        if session is None:
            return
        if self._state is LiveState.ENDED and isinstance(session.source, SeekableSource):
            session.capture.seek(0)
        session.capture.resume()
        self._set_state(self._capture_state())

    def toggle_pause(self) -> None:
        """Pause if playing, play otherwise."""
        if self._state is LiveState.RUNNING:
            self.pause()
        else:
            self.resume()

    def step(self) -> None:
        """Pause, then show exactly the next frame."""
        if self._session is not None:
            self._session.capture.step()
            self._set_state(self._capture_state())

    def seek(self, index: int) -> None:
        """Jump to frame ``index`` of a video or pattern (ignored for cameras).

        Parameters
        ----------
        index : int
            Frame index, clipped to the source's range.
        """
        session = self._session
        if session is None or not isinstance(session.source, SeekableSource):
            return
        count = session.source.frame_count
        index = max(0, int(index) if count is None else min(int(index), count - 1))
        session.capture.seek(index)
        self._set_state(self._capture_state())

    def set_loop(self, loop: bool) -> None:
        """Wrap videos to their first frame at the end (or stop there).

        Parameters
        ----------
        loop : bool
            Whether to loop.
        """
        self.loop = bool(loop)
        source = self.source
        if isinstance(source, SeekableSource):
            # A plain attribute the reader checks between frames; see VideoFileSource.read.
            source.loop = self.loop

    def set_mirror(self, mirror: bool) -> None:
        """Flip camera frames left-right; takes effect on the next frame.

        Parameters
        ----------
        mirror : bool
            Whether to mirror.
        """
        self.mirror = bool(mirror)
        source = self.source
        if isinstance(source, CameraSource):
            source.mirror = self.mirror  # documented as safe while capturing

    def freeze(self) -> Frame | None:
        """Stop the stream and hand the frame on screen over as the still input.

        Returns
        -------
        Frame or None
            The frame (also emitted with ``sigFrozen``), or ``None`` if there was none.
        """
        frame = self.current_frame
        if frame is None and self._session is not None:
            frame = self._session.capture.snapshot()
        title = self.source_title
        self.stop()
        if frame is not None:
            self.sigFrozen.emit(frame, f"frozen frame {frame.index} of {title}")
        return frame

    def shutdown(self) -> None:
        """Stop everything and wait for every thread: capture, opener, recording."""
        self.stop()
        for opening in self._openers:
            opening.thread.join(OPEN_JOIN_TIMEOUT_S)
        self._openers.clear()

    def _capture_state(self) -> LiveState:
        if self._session is None:
            return LiveState.IDLE
        state = self._session.capture.state
        if state is CaptureState.PAUSED:
            return LiveState.PAUSED
        if state is CaptureState.ENDED:
            return LiveState.ENDED
        return LiveState.RUNNING

    def _set_state(self, state: LiveState) -> None:
        if state is not self._state:
            self._state = state
            self.sigStateChanged.emit(state)

    # ------------------------------------------------------------------ frames

    @Slot(int)
    def _on_frame_ready(self, number: int) -> None:
        session = self._session
        if session is None or session.number != number:
            return
        session.frame_notified()
        self._pump()

    def _pump(self) -> None:
        session = self._session
        if session is None or self._awaiting is not None or self._compute.busy:
            return
        frame = session.capture.latest(self._last_seq)
        if frame is None:
            return
        self._last_seq = frame.seq
        self.current_frame = frame
        self.sigFrame.emit(frame)
        if self._compute.busy:
            self._awaiting = self._compute.generation
            self._awaiting_frame = frame

    @Slot(object)
    def _on_outcome(self, outcome: ComputeOutcome) -> None:
        if self._awaiting is not None and outcome.generation >= self._awaiting:
            frame = self._awaiting_frame
            self._awaiting = None
            self._awaiting_frame = None
            now = time.monotonic()
            self._processed += 1
            self._processed_times.append(now)
            self._compute_times.append((now, outcome.seconds * 1e3))
            self._trim(now)
            if outcome.result is not None:
                self._record_result(outcome)
            self.sigProcessed.emit(frame, outcome)
        self._pump()

    @Slot(int, str)
    def _on_failed(self, number: int, message: str) -> None:
        session = self._session
        if session is None or session.number != number:
            return
        self._end_session()
        self._set_state(LiveState.IDLE)
        kept = " The last frame is kept." if self.current_frame is not None else ""
        self.sigError.emit(f"{message}. The stream was stopped.{kept}")

    @Slot(int)
    def _on_ended(self, number: int) -> None:
        session = self._session
        if session is None or session.number != number:
            return
        if self._recorder is not None:  # finish it: Play again must not add to the file
            self.stop_recording(reason="The video ended, so the recording was stopped. ")
        self._set_state(self._capture_state())
        self.sigEnded.emit()
        self._report_notice(session.source)

    def _report_notice(self, source: FrameSource) -> None:
        # Video files say once when their header's frame count is wrong (truncated files).
        notice = getattr(source, "notice", None)
        if isinstance(notice, str) and notice != self._notice_shown:
            self._notice_shown = notice
            self.sigInfo.emit(notice)

    # ------------------------------------------------------------------ statistics

    def _trim(self, now: float) -> None:
        while self._processed_times and self._processed_times[0] < now - RATE_WINDOW_S:
            self._processed_times.popleft()
        while self._compute_times and self._compute_times[0][0] < now - RATE_WINDOW_S:
            self._compute_times.popleft()

    def stats(self) -> LiveStats:
        """Return the current counters.

        Returns
        -------
        LiveStats
            Rates over the last second and totals since the stream started.
        """
        now = time.monotonic()
        self._trim(now)
        times = self._processed_times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        processed_fps = (len(times) - 1) / span if span > 0 else 0.0
        compute_ms = statistics.median(ms for _, ms in self._compute_times) \
            if self._compute_times else None
        recorder = self._recorder
        recorded = None if recorder is None else recorder.frames_written
        session = self._session
        if session is None:
            return LiveStats(0.0, processed_fps, compute_ms, frames_processed=self._processed,
                             recorded=recorded)
        capture = session.capture.stats()
        return LiveStats(capture.fps, processed_fps, compute_ms, capture.frames_captured,
                         self._processed, capture.frames_dropped, recorded)

    def _emit_stats(self) -> None:
        self.sigStats.emit(self.stats())

    # ------------------------------------------------------------------ recording

    def record_fps(self) -> float:
        """Frame rate a recording of the current source is written at.

        Returns
        -------
        float
            The source's declared rate, or :data:`DEFAULT_RECORD_FPS`.
        """
        source = self.source
        fps = source.fps if source is not None else None
        return float(fps) if fps and math.isfinite(fps) and fps > 0 else DEFAULT_RECORD_FPS

    def start_recording(self, path: str | os.PathLike[str], target: RecordTarget, *,
                        overwrite: bool = False) -> bool:
        """Record the stream to a video file until :meth:`stop_recording` (or the stream ends).

        Parameters
        ----------
        path : str or os.PathLike
            Target file.
        target : RecordTarget
            Input frames, one map, input and map, or the montage of all maps.
        overwrite : bool, optional
            Replace an existing file; pass ``True`` only once the user agreed.

        Returns
        -------
        bool
            Whether recording started; otherwise ``sigError`` says why.
        """
        if self._session is None:
            self.sigError.emit("Start a camera, video or pattern before recording.")
            return False
        self.stop_recording()
        try:
            recorder = LiveRecorder(path, self.record_fps(), target, overwrite=overwrite)
        except (OSError, ValueError) as exc:
            self.sigError.emit(f"Could not record to {Path(path).name}: {exc}")
            return False
        with self._record_lock:
            self._recorder = recorder
        self.sigRecordingChanged.emit(recorder.path)
        self.sigInfo.emit(f"{recorder.status_text}.")
        return True

    def stop_recording(self, *, reason: str = "") -> Path | None:
        """Finish the recording: the file is complete and in place when this returns.

        Parameters
        ----------
        reason : str, optional
            Sentence put before the "Recorded ..." message, e.g. why it stopped.

        Returns
        -------
        pathlib.Path or None
            The file written, or ``None`` if nothing was recorded (or not recording).
        """
        with self._record_lock:
            recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        self.sigRecordingChanged.emit(None)
        try:
            path = recorder.close()
        except (OSError, RecorderError) as exc:
            self.sigError.emit(f"The recording could not be finished: {exc}")
            return None
        if path is None:
            self.sigInfo.emit(f"{reason}Nothing was recorded to {recorder.path.name}: "
                              "no frame arrived.")
        else:
            skipped = recorder.frames_skipped
            extra = f" ({skipped} skipped while busy)" if skipped else ""
            self.sigInfo.emit(f"{reason}Recorded {recorder.frames_written} frames "
                              f"({recorder.format.label}) to {path}{extra}.")
        return path

    def _record_raw(self, frame: Frame) -> None:
        # Capture thread: raw frames go straight to the encoder queue (never blocks).
        with self._record_lock:
            recorder = self._recorder
            if recorder is not None:
                try:
                    recorder.add_frame(frame)
                except (RecorderError, ValueError):
                    pass  # reported when the recording is finished

    def _record_result(self, outcome: ComputeOutcome) -> None:
        recorder = self._recorder
        if recorder is not None and recorder.target.needs_result and outcome.result is not None:
            layer = outcome.request.pipeline.layers[0]
            recorder.add_result(outcome.result, layer, map_style(self.view_options))
