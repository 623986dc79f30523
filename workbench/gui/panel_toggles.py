"""Panels that fold away: a splitter pane hidden and shown again by a checkable action.

Dragging a splitter handle to the edge folds a pane too; the action's tick follows either way,
and showing the pane again gives back the width (or height) it had before it was folded.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QWidget


class PanelToggle(QObject):
    """Fold and unfold pane ``index`` of ``splitter`` from ``action`` (made checkable).

    Parameters
    ----------
    splitter : QSplitter
        The splitter; the pane is made collapsible.
    index : int
        The pane.
    action : QAction
        Checked while the pane is shown.
    """

    def __init__(self, splitter: QSplitter, index: int, action: QAction) -> None:
        super().__init__(action)
        self.splitter, self.index, self.action = splitter, index, action
        splitter.setCollapsible(index, True)
        self._size = 0
        action.setCheckable(True)
        # triggered, not toggled: sync() ticks the action without folding anything.
        action.triggered.connect(self.set_shown)
        splitter.splitterMoved.connect(lambda *_: self.sync())
        self.sync()

    @property
    def shown(self) -> bool:
        """Whether the pane has any room (a splitter not laid out yet shows every pane)."""
        sizes = self.splitter.sizes()
        return sizes[self.index] > 0 or not any(sizes)

    def set_shown(self, shown: bool) -> None:
        """Fold (False) or unfold (True) the pane.

        Parameters
        ----------
        shown : bool
            Show it.
        """
        sizes = self.splitter.sizes()
        if shown == (sizes[self.index] > 0):
            return
        widget = self._pane(self.index)
        horizontal = self.splitter.orientation().name == "Horizontal"
        if shown:
            hint = widget.sizeHint()
            wanted = self._size or (hint.width() if horizontal else hint.height())
            # Take the room from the largest other pane.
            donor = max((i for i in range(len(sizes)) if i != self.index),
                        key=lambda i: sizes[i])
            given = min(wanted, max(sizes[donor] - 100, 0))
            sizes[donor] -= given
            sizes[self.index] = given
        else:
            self._size = sizes[self.index]
            donor = max((i for i in range(len(sizes)) if i != self.index),
                        key=lambda i: (self._stretch(i, horizontal), sizes[i]))
            sizes[donor] += sizes[self.index]
            sizes[self.index] = 0
        self.splitter.setSizes(sizes)
        self.sync()

    def _pane(self, index: int) -> QWidget:
        widget = self.splitter.widget(index)
        assert widget is not None
        return widget

    def _stretch(self, index: int, horizontal: bool) -> int:
        policy = self._pane(index).sizePolicy()
        return policy.horizontalStretch() if horizontal else policy.verticalStretch()

    def sync(self) -> None:
        """Tick the action when the pane is shown (after a drag or a restored layout)."""
        shown = self.shown
        if self.action.isChecked() != shown:
            self.action.blockSignals(True)
            self.action.setChecked(shown)
            self.action.blockSignals(False)
