"""Undo and redo of immutable states, with edits of one field coalesced into one step."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

HISTORY_LIMIT = 500
# Edits of the same field closer together than this are one undo step (a spinbox drag).
COALESCE_SECONDS = 1.0

T = TypeVar("T")


class History(Generic[T]):
    """A present state with the states before it (undo) and after it (redo).

    States are immutable values (frozen dataclasses), so an entry is only a reference.

    Parameters
    ----------
    present : T
        The starting state.
    clock : callable, optional
        Seconds, for coalescing; :func:`time.monotonic` by default.
    limit : int, optional
        Undo steps kept.
    """

    def __init__(self, present: T, clock: Callable[[], float] = time.monotonic,
                 limit: int = HISTORY_LIMIT) -> None:
        self._present = present
        self._undo: list[T] = []
        self._redo: list[T] = []
        self._last_key: str | None = None
        self._last_time = float("-inf")
        self._clock = clock
        self._limit = limit

    @property
    def present(self) -> T:
        """The current state."""
        return self._present

    @property
    def can_undo(self) -> bool:
        """There is a step to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """There is a step to redo."""
        return bool(self._redo)

    def push(self, state: T, coalesce_key: str | None = None) -> None:
        """Make ``state`` the present, the previous present one undo step back.

        Parameters
        ----------
        state : T
            The new state.
        coalesce_key : str, optional
            Names the edited field; pushes with the same key within ``COALESCE_SECONDS``
            of each other form one undo step.
        """
        now = self._clock()
        coalesce = (coalesce_key is not None and coalesce_key == self._last_key
                    and now - self._last_time < COALESCE_SECONDS and bool(self._undo))
        if not coalesce:
            self._undo.append(self._present)
            del self._undo[:-self._limit]
        self._redo.clear()
        self._last_key, self._last_time = coalesce_key, now
        self._present = state

    def replace_present(self, state: T) -> None:
        """Change the present without an undo step (a live frame replacing the last one).

        Parameters
        ----------
        state : T
            The new present.
        """
        self._present = state

    def reset(self, state: T) -> None:
        """Forget every step; ``state`` is the present (a freshly opened workspace).

        Parameters
        ----------
        state : T
            The new present.
        """
        self._undo.clear()
        self._redo.clear()
        self._last_key = None
        self._present = state

    def undo(self) -> bool:
        """Go back one step.

        Returns
        -------
        bool
            False if there was nothing to undo.
        """
        if not self._undo:
            return False
        self._redo.append(self._present)
        self._last_key = None
        self._present = self._undo.pop()
        return True

    def redo(self) -> bool:
        """Re-apply the step undone last.

        Returns
        -------
        bool
            False if there was nothing to redo.
        """
        if not self._redo:
            return False
        self._undo.append(self._present)
        self._last_key = None
        self._present = self._redo.pop()
        return True
