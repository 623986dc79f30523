"""A daemon thread that runs blocking calls one at a time, so callers can give up on them.

OpenCV's ``VideoCapture.read()`` cannot be interrupted: on an unplugged camera it may block
for many seconds. Running it here lets the caller wait with a timeout and walk away from a
stalled call; the daemon thread then finishes the call whenever it returns, runs a clean-up
(typically releasing the device) and exits, and never keeps the interpreter alive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """Result of one call: its return value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


class CallWorker:
    """Run callables one at a time on a daemon thread.

    Parameters
    ----------
    name : str
        Thread name.
    condition : threading.Condition, optional
        Condition guarding the worker's state and notified when a call completes. Pass
        the caller's own condition to wait for "call done *or* something else happened"
        in one ``wait()``. All methods acquire it; it must be re-entrant (the default
        ``threading.Condition()`` is).
    """

    def __init__(self, name: str, condition: threading.Condition | None = None) -> None:
        self._cond = condition if condition is not None else threading.Condition()
        self._job: Callable[[], Any] | None = None
        self._submitted_at: float | None = None
        self._outcome: CallOutcome | None = None
        self._closing = False
        self._abandoned = False
        self._cleanup: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def condition(self) -> threading.Condition:
        """The condition notified when a call completes."""
        return self._cond

    @property
    def busy_since(self) -> float | None:
        """``time.monotonic()`` when the call in flight was submitted, or ``None`` when idle."""
        with self._cond:
            return self._submitted_at

    def submit(self, job: Callable[[], Any]) -> None:
        """Start ``job`` on the worker thread.

        Parameters
        ----------
        job : callable
            Called with no arguments.

        Raises
        ------
        RuntimeError
            If a call is already in flight or the worker was closed.
        """
        with self._cond:
            if self._closing or self._abandoned:
                raise RuntimeError("CallWorker is closed")
            if self._job is not None:
                raise RuntimeError("CallWorker is busy")
            self._job = job
            self._submitted_at = time.monotonic()
            self._outcome = None
            self._cond.notify_all()

    def take_outcome(self) -> CallOutcome | None:
        """Return and clear the outcome of the last call, or ``None`` if it is still running.

        Returns
        -------
        CallOutcome or None
            The finished call's value or error.
        """
        with self._cond:
            outcome, self._outcome = self._outcome, None
            return outcome

    def call(self, job: Callable[[], Any], timeout: float) -> CallOutcome | None:
        """Submit ``job`` and wait up to ``timeout`` seconds for it.

        Parameters
        ----------
        job : callable
            Called with no arguments on the worker thread.
        timeout : float
            Seconds to wait.

        Returns
        -------
        CallOutcome or None
            The outcome, or ``None`` if the call is still running after ``timeout``.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            self.submit(job)
            while self._outcome is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self.take_outcome()

    def close(self, cleanup: Callable[[], None] | None = None, timeout: float = 1.0) -> bool:
        """Stop the worker; run ``cleanup`` once no call is in flight.

        If a call is still running it is abandoned: the worker thread runs ``cleanup``
        itself when the call returns, then exits.

        Parameters
        ----------
        cleanup : callable, optional
            Run exactly once, after the last call has returned (e.g. release a device).
        timeout : float, optional
            Seconds to wait for an idle worker thread to exit.

        Returns
        -------
        bool
            ``True`` if the worker was idle (``cleanup`` has run in this thread), ``False``
            if a call was abandoned.
        """
        with self._cond:
            if self._closing or self._abandoned:
                return not self._abandoned
            if self._job is not None:
                self._abandoned = True
                self._cleanup = cleanup
                return False
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if cleanup is not None:
            _run_cleanup(cleanup)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._job is None and not self._closing:
                    self._cond.wait()
                if self._job is None:
                    return
                job = self._job
            try:
                outcome = CallOutcome(value=job())
            except BaseException as exc:  # handed to the caller, who decides
                outcome = CallOutcome(error=exc)
            with self._cond:
                self._job = None
                self._submitted_at = None
                if self._abandoned:
                    cleanup = self._cleanup
                    break
                self._outcome = outcome
                self._cond.notify_all()
        if cleanup is not None:
            _run_cleanup(cleanup)


def _run_cleanup(cleanup: Callable[[], None]) -> None:
    try:
        cleanup()
    except Exception:  # a failing release must not take down the thread that runs it
        _log.exception("clean-up after a blocking call failed")
