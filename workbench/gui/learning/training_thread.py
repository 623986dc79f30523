"""A training run stepped in its own thread; the GUI sends commands and draws snapshots.

The run object lives in this thread only: the GUI never touches it, it queues
commands (callables taking the run) that execute between two steps, so an edit made
during training takes effect at the next step. Snapshots are emitted at most
:data:`SNAPSHOTS_PER_SECOND` times a second while running, and after every command.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal

SNAPSHOTS_PER_SECOND = 20


class Run(Protocol):
    """What a training run offers (see :mod:`workbench.learning.runs`)."""

    def step(self) -> None: ...  # noqa: D102
    def snapshot(self) -> Any: ...  # noqa: D102


def describe_failure(exc: BaseException) -> str:
    """Describe an exception raised while training in one line.

    Parameters
    ----------
    exc : BaseException
        The exception.

    Returns
    -------
    str
        Its message (with its type when it has none).
    """
    text = str(exc).strip()
    if isinstance(exc, MemoryError):
        return "not enough memory for this training run; use a smaller image or network"
    return text or type(exc).__name__


class TrainingThread(QThread):
    """Owns one run: builds it, steps it while running, applies queued commands.

    Parameters
    ----------
    make_run : callable
        Builds the run (called in the thread: loading data and compiling stay off the
        GUI thread). Called again on :meth:`reset`.
    parent : QObject, optional
        Qt parent.
    """

    snapshot_ready = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)
    _answered = Signal(object, object)

    def __init__(self, make_run: Callable[[], Run], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_run = make_run
        self._commands: queue.SimpleQueue[Callable[[Any], None]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = False
        self._running = False
        self._single_steps = 0
        self._reset = False
        self._rate = 0.0
        # This object lives in the GUI thread, so the answer is delivered there.
        self._answered.connect(self._deliver)

    # ------------------------------------------------------------ GUI side

    def set_running(self, running: bool) -> None:
        """Start or pause stepping.

        Parameters
        ----------
        running : bool
            True to train continuously.
        """
        self._running = bool(running)
        self.running_changed.emit(self._running)
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the thread trains continuously."""
        return self._running

    def step_once(self) -> None:
        """Take one step (while paused)."""
        self._single_steps += 1
        self._wake.set()

    def set_rate(self, steps_per_second: float) -> None:
        """Limit the speed (0: as fast as possible).

        Parameters
        ----------
        steps_per_second : float
            Maximum steps per second, or 0.
        """
        self._rate = max(0.0, float(steps_per_second))

    def send(self, command: Callable[[Any], None]) -> None:
        """Run ``command(run)`` in the training thread before the next step.

        Parameters
        ----------
        command : callable
            Takes the run.
        """
        self._commands.put(command)
        self._wake.set()

    def ask(self, question: Callable[[Any], Any], answer: Callable[[Any], None]) -> None:
        """Compute ``question(run)`` in the training thread; call ``answer(value)`` in the GUI's.

        Parameters
        ----------
        question : callable
            Takes the run, returns a value (e.g. its current pipeline).
        answer : callable
            Receives the value on the GUI thread.
        """
        self.send(lambda run: self._answered.emit(answer, question(run)))

    def _deliver(self, answer: Callable[[Any], None], value: Any) -> None:
        answer(value)

    def reset(self) -> None:
        """Throw the run away and build a new one (paused)."""
        self._running = False
        self.running_changed.emit(False)
        self._reset = True
        self._wake.set()

    def stop(self) -> None:
        """Finish the thread and wait for it."""
        self._stop = True
        self._wake.set()
        self.wait()

    # ------------------------------------------------------------ thread side

    def _build(self) -> Run | None:
        try:
            run = self._make_run()
            self.snapshot_ready.emit(run.snapshot())
            return run
        except Exception as exc:  # noqa: BLE001 - shown in the window, never a traceback
            self._running = False
            self.running_changed.emit(False)
            self.failed.emit(describe_failure(exc))
            return None

    def run(self) -> None:  # noqa: D102 (QThread override)
        current = self._build()
        last_emit = 0.0
        while not self._stop:
            if self._reset:
                self._reset = False
                while not self._commands.empty():
                    self._commands.get_nowait()
                current = self._build()
                continue
            dirty = False
            while not self._commands.empty() and current is not None:
                command = self._commands.get_nowait()
                try:
                    command(current)
                    dirty = True
                except Exception as exc:  # noqa: BLE001 - a bad edit is reported, not fatal
                    self.failed.emit(describe_failure(exc))
            if current is None or not (self._running or self._single_steps):
                if dirty and current is not None:
                    self.snapshot_ready.emit(current.snapshot())
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            started = time.perf_counter()
            single = not self._running
            if single:
                self._single_steps -= 1
            try:
                current.step()
            except Exception as exc:  # noqa: BLE001 - e.g. a diverging loss
                self._running = False
                self._single_steps = 0
                self.running_changed.emit(False)
                self.snapshot_ready.emit(current.snapshot())
                self.failed.emit(describe_failure(exc))
                continue
            if getattr(current, "done", False) and self._running:
                self._running = False
                self.running_changed.emit(False)
            now = time.perf_counter()
            if single or not self._running or now - last_emit >= 1 / SNAPSHOTS_PER_SECOND:
                self.snapshot_ready.emit(current.snapshot())
                last_emit = now
            if self._rate > 0:
                pause = 1.0 / self._rate - (time.perf_counter() - started)
                if pause > 0:
                    self._wake.wait(pause)
                    self._wake.clear()
