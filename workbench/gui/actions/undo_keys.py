"""One event filter that leaves Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y to the window's undo.

Spin boxes and line edits have an undo of their own that would swallow the keys; the
session's undo covers every edit, so they are passed on to the window's shortcuts.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence


def is_undo_redo(event: QKeyEvent) -> bool:
    """Tell whether a key event is undo or redo (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y).

    Parameters
    ----------
    event : QKeyEvent
        The key event.

    Returns
    -------
    bool
        True for the undo and redo keys.
    """
    ctrl = Qt.KeyboardModifier.ControlModifier
    ctrl_shift = ctrl | Qt.KeyboardModifier.ShiftModifier
    return (event.matches(QKeySequence.StandardKey.Undo)
            or event.matches(QKeySequence.StandardKey.Redo)
            or (event.key() == Qt.Key.Key_Z and event.modifiers() == ctrl_shift)
            or (event.key() == Qt.Key.Key_Y and event.modifiers() == ctrl))


class UndoKeysToWindow(QObject):
    """Event filter: a watched widget does not claim the undo and redo keys."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and \
                isinstance(event, QKeyEvent) and is_undo_redo(event):
            # Ignored and filtered: the shortcut map (or the parent widget) gets it instead.
            event.ignore()
            return True
        return False


def install_undo_key_filter(owner: QObject, widgets: Iterable[QObject]) -> UndoKeysToWindow:
    """Install one :class:`UndoKeysToWindow` (parented to ``owner``) on ``widgets``.

    Parameters
    ----------
    owner : QObject
        Keeps the filter alive.
    widgets : iterable of QObject
        Spin boxes, line edits.

    Returns
    -------
    UndoKeysToWindow
        The filter, to install on more widgets later.
    """
    keys = UndoKeysToWindow(owner)
    for widget in widgets:
        widget.installEventFilter(keys)
    return keys
