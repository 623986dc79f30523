"""The window's single source of truth: the current :class:`Pipeline` and its undo history."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from workbench.core import Pipeline

HISTORY_LIMIT = 500
# Edits of the same field closer together than this are one undo step (a spinbox drag).
COALESCE_SECONDS = 1.0


class PipelineModel(QObject):
    """Holds the current pipeline; every change is one undoable step.

    Pipelines are frozen dataclasses, so a history entry is just a reference. Widgets call
    :meth:`set_pipeline` / :meth:`edit` and refresh themselves from ``sigPipelineChanged``.
    """

    sigPipelineChanged = Signal(object)  # the new Pipeline
    sigHistoryChanged = Signal(bool, bool)  # can undo, can redo

    def __init__(self, pipeline: Pipeline, parent: QObject | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._pipeline = pipeline
        self._undo: list[Pipeline] = []
        self._redo: list[Pipeline] = []
        self._last_key: str | None = None
        self._last_time = float("-inf")
        self._clock = clock

    @property
    def pipeline(self) -> Pipeline:
        """The current pipeline."""
        return self._pipeline

    @property
    def can_undo(self) -> bool:
        """There is a step to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """There is a step to redo."""
        return bool(self._redo)

    def set_pipeline(self, pipeline: Pipeline, coalesce_key: str | None = None) -> bool:
        """Make ``pipeline`` current, pushing the previous one on the undo stack.

        Parameters
        ----------
        pipeline : Pipeline
            The new state.
        coalesce_key : str, optional
            Names the edited field; consecutive edits with the same key within
            ``COALESCE_SECONDS`` form one undo step.

        Returns
        -------
        bool
            False if ``pipeline`` equals the current one (nothing happens).
        """
        if pipeline == self._pipeline:
            return False
        now = self._clock()
        coalesce = (coalesce_key is not None and coalesce_key == self._last_key
                    and now - self._last_time < COALESCE_SECONDS and self._undo)
        if not coalesce:
            self._undo.append(self._pipeline)
            del self._undo[:-HISTORY_LIMIT]
        self._redo.clear()
        self._last_key, self._last_time = coalesce_key, now
        self._apply(pipeline)
        return True

    def edit(self, change: Callable[[Pipeline], Pipeline],
             coalesce_key: str | None = None) -> bool:
        """Apply ``change`` to the current pipeline (see :meth:`set_pipeline`).

        Parameters
        ----------
        change : callable
            Maps the current pipeline to the new one.
        coalesce_key : str, optional
            See :meth:`set_pipeline`.

        Returns
        -------
        bool
            Whether the pipeline changed.
        """
        return self.set_pipeline(change(self._pipeline), coalesce_key)

    def reset(self, pipeline: Pipeline) -> None:
        """Replace the pipeline and forget the history (a freshly opened workspace).

        Parameters
        ----------
        pipeline : Pipeline
            The new state.
        """
        self._undo.clear()
        self._redo.clear()
        self._last_key = None
        self._apply(pipeline)

    def undo(self) -> bool:
        """Go back one step.

        Returns
        -------
        bool
            False if there was nothing to undo.
        """
        if not self._undo:
            return False
        self._redo.append(self._pipeline)
        self._last_key = None
        self._apply(self._undo.pop())
        return True

    def redo(self) -> bool:
        """Re-apply the last undone step.

        Returns
        -------
        bool
            False if there was nothing to redo.
        """
        if not self._redo:
            return False
        self._undo.append(self._pipeline)
        self._last_key = None
        self._apply(self._redo.pop())
        return True

    def _apply(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self.sigPipelineChanged.emit(pipeline)
        self.sigHistoryChanged.emit(self.can_undo, self.can_redo)
