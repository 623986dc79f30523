"""The one action factory of the window: text, shortcuts, tips and slot in one call."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


def make_action(parent: QObject, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "", extra: tuple[str, ...] = (),
                context: Qt.ShortcutContext | None = None,
                tip_shows_key: bool = False) -> QAction:
    """Create an action with its shortcuts and tips.

    Parameters
    ----------
    parent : QObject
        Owner (a window for window-wide shortcuts, or the panel that shows it).
    text : str
        Menu text with its ``&`` mnemonic.
    slot : callable
        Called when triggered.
    shortcut : QKeySequence, StandardKey or str, optional
        Main key.
    tip : str, optional
        Status and tool tip.
    extra : tuple of str, optional
        More keys for the same command.
    context : Qt.ShortcutContext, optional
        Where the shortcut works (Qt's default: the parent's window).
    tip_shows_key : bool, optional
        Append the shortcut to the tool tip, e.g. "Add a filter (Ctrl+N)".

    Returns
    -------
    QAction
        The action.
    """
    action = QAction(text, parent)
    if shortcut is not None:
        keys = [QKeySequence(shortcut), *(QKeySequence(k) for k in extra)]
        # A standard key can equal an extra one (Quit is Ctrl+Q on Linux, empty on
        # Windows); the same sequence twice would make the shortcut ambiguous.
        unique = {k.toString(): k for k in keys if not k.isEmpty()}
        action.setShortcuts(list(unique.values()))
    if context is not None:
        action.setShortcutContext(context)
    if tip:
        action.setStatusTip(tip)
        key = action.shortcut().toString()
        action.setToolTip(f"{tip} ({key})" if tip_shows_key and key else tip)
    action.triggered.connect(lambda _=False: slot())
    return action
