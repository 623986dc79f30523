"""The open workspace: its file, whether it has unsaved changes, recent workspaces, the title.

A change counts as unsaved when the window's state (source, pipeline, size limit, view
settings, as :func:`~workbench.gui.actions.workspace_state.session_workspace` captures it)
differs from the state last saved or opened; undoing back to it clears the mark again. The
window title is ``<file>[*] — <image> — Conv Workbench`` with Qt's ``[*]`` placeholder,
shown as ``*`` while :meth:`QWidget.isWindowModified`.

Questions (file names, overwrite, unsaved changes) go through :mod:`file_prompts`. Opening
another workspace asks before unsaved changes are lost. Closing asks only when a workspace
file is open: an untitled session is kept in the settings file anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from workbench.core import Pipeline
from workbench.gui.actions import file_prompts
from workbench.gui.qt_actions import make_action
from workbench.io.bank import load_bank
from workbench.io.errors import LoadError
from workbench.io.workspace import SourceSpec, Workspace, load_workspace, save_workspace
from workbench.session import Session

APP_TITLE = "Conv Workbench"
UNTITLED = "Untitled"
MAX_RECENT_WORKSPACES = 10
WORKSPACE_FILTER = "Workspace (*.json);;All files (*)"


class WorkspaceController(QObject):
    """Save / Save as / Open / Open recent, the unsaved-changes mark and the window title.

    Parameters
    ----------
    window : QWidget
        The window: its title and modified flag are set, dialogs are parented to it.
    session : Session
        While its input is a tutorial example, the title names the example, not the
        workspace, and Save asks for a new file (the example never overwrites the
        workspace).
    snapshot : callable
        Returns the window's state as a :class:`Workspace`.
    apply : callable
        Sets the window from a loaded :class:`Workspace`; returns the source still opening
        in the background (a stream), or None when the window shows the source already.
    apply_bank : callable
        Replaces the pipeline by a bank file's (a bank file opened as a workspace).
    notify : callable
        Shows a status message.
    warn : callable
        Shows a problem in the message bar.
    recent : list of str, optional
        Recent workspace files, newest first; kept up to date in place.
    """

    sigStateChanged = Signal()  # the file or the modified flag changed

    def __init__(self, window: QWidget, session: Session, snapshot: Callable[[], Workspace],
                 apply: Callable[[Workspace], SourceSpec | None],
                 apply_bank: Callable[[Pipeline], object],
                 notify: Callable[[str], object], warn: Callable[[str], object],
                 recent: list[str] | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self._snapshot = snapshot
        self._apply = apply
        self._apply_bank = apply_bank
        self._notify = notify
        self._warn = warn
        self.recent: list[str] = recent if recent is not None else []
        self.path: Path | None = None
        self._saved: Workspace | None = None
        self._applying = False
        self._detail = ""

        self.open_action = self._action("Open &workspace…", self.open_dialog, "Ctrl+Shift+O",
                                        "Open a workspace: source, filters, parameters and "
                                        "view settings")
        self.save_action = self._action("&Save workspace", self.save,
                                        QKeySequence(QKeySequence.StandardKey.Save),
                                        "Save the workspace to its file (asks for a name the "
                                        "first time)")
        self.save_as_action = self._action("Save workspace &as…", self.save_as, "Ctrl+Shift+S",
                                           "Save the workspace to a new file")
        self.recent_menu = QMenu("Open recent wor&kspace", window)
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()
        self.update_title()

    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | str,
                tip: str) -> QAction:
        return make_action(self, text, slot, shortcut, tip)

    # ------------------------------------------------------------ state

    @property
    def name(self) -> str:
        """The workspace's file name, or "Untitled"."""
        return self.path.name if self.path is not None else UNTITLED

    @property
    def modified(self) -> bool:
        """Whether the window differs from the state last saved or opened."""
        return self._window.isWindowModified()

    def mark_saved(self, opening: SourceSpec | None = None) -> None:
        """Take the window's current state as the saved one (clears the mark).

        Parameters
        ----------
        opening : SourceSpec, optional
            A stream still opening: once it shows, the state is the saved one.
        """
        saved = self._safe_snapshot()
        if saved is not None and opening is not None:
            saved = replace(saved, source=opening)
        self._saved = saved
        self._set_modified(False)

    def refresh(self, *_args: object) -> None:
        """Recompute the unsaved-changes mark; connect every state change here."""
        if self._applying:
            return
        current = self._safe_snapshot()
        self._set_modified(current is None or current != self._saved)

    def _safe_snapshot(self) -> Workspace | None:
        try:
            return self._snapshot()
        except ValueError:  # e.g. no source yet: nothing that could equal a saved state
            return None

    def _set_modified(self, modified: bool) -> None:
        if modified != self._window.isWindowModified():
            self._window.setWindowModified(modified)
            self.sigStateChanged.emit()

    def set_detail(self, text: str) -> None:
        """Show ``text`` (e.g. the image's name) in the title after the workspace's name.

        Parameters
        ----------
        text : str
            Plain text; ``""`` for none.
        """
        self._detail = text
        self.update_title()

    @property
    def detail(self) -> str:
        """The text after the workspace's name (the input's name)."""
        return self._detail

    def title(self) -> str:
        """Return the window title, with Qt's ``[*]`` placeholder after the workspace's name."""
        example = self._session.tutorial
        if example is not None:
            return f"Tutorial example: {example.name}[*] — {APP_TITLE}"
        parts = [f"{self.name}[*]", self._detail, APP_TITLE]
        return " — ".join(p for p in parts if p)

    def shown_title(self) -> str:
        """Return the title as displayed: ``[*]`` becomes ``*`` when modified, else nothing."""
        return self.title().replace("[*]", "*" if self.modified else "")

    def update_title(self) -> None:
        """Set the window title from the workspace's name and the detail."""
        self._window.setWindowTitle(self.title())

    def _set_path(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            self._remember(path)
        self.update_title()
        self.sigStateChanged.emit()

    # ------------------------------------------------------------ recent files

    def _remember(self, path: Path) -> None:
        text = str(path)
        self.recent[:] = [text] + [p for p in self.recent if p != text]
        del self.recent[MAX_RECENT_WORKSPACES:]
        self.fill_recent_menu()  # a disabled menu never asks to be filled

    def fill_recent_menu(self) -> None:
        """List the recent workspaces in :attr:`recent_menu`."""
        menu = self.recent_menu
        menu.clear()
        for path in self.recent:
            action = menu.addAction(Path(path).name)
            action.setStatusTip(path)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        if self.recent:
            menu.addSeparator()
            menu.addAction("Clear list", self.clear_recent)
        menu.setEnabled(bool(self.recent))

    def clear_recent(self) -> None:
        """Forget the recent workspaces."""
        self.recent.clear()
        self.fill_recent_menu()

    # ------------------------------------------------------------ saving

    def save(self) -> bool:
        """Save to the workspace's file, or ask for one (Save as) when untitled.

        Returns
        -------
        bool
            Whether the file was written.
        """
        if self.path is None or self._session.tutorial is not None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        """Ask for a file name and save there (asking before replacing another file).

        Returns
        -------
        bool
            Whether the file was written.
        """
        example = self._session.tutorial
        if example is not None:
            folder = self.path.parent if self.path is not None else Path()
            suggestion = str(folder / f"tutorial-{example.key}.json")
        else:
            suggestion = str(self.path) if self.path is not None else "workspace.json"
        path, _ = file_prompts.ask_save_path(self._window, "Save workspace as", suggestion,
                                             WORKSPACE_FILTER)
        if not path:
            return False
        target = Path(path) if Path(path).suffix else Path(path).with_suffix(".json")
        own_file = self._is_current(target) and self._session.tutorial is None
        if (target.exists() and not own_file
                and not file_prompts.confirm_overwrite(self._window, [target])):
            return False
        return self.save_to(target)

    def _is_current(self, path: Path) -> bool:
        return self.path is not None and os.path.abspath(path) == str(self.path)

    def save_to(self, path: str | Path) -> bool:
        """Write the workspace to ``path`` (replacing it) and make it the workspace's file.

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            Whether it was written; on failure the message bar says why and the previous
            file is untouched.
        """
        try:
            workspace = self._snapshot()
            save_workspace(path, workspace, overwrite=True)
        except (OSError, ValueError) as exc:
            self._warn(f"Could not save the workspace: "
                       f"{file_prompts.describe_failure(exc, path)}")
            return False
        self._saved = workspace
        self._set_modified(False)
        self._set_path(Path(os.path.abspath(path)))
        self._notify(f"Saved the workspace {self.path}")
        return True

    # ------------------------------------------------------------ opening

    def may_discard_changes(self, closing: bool = False) -> bool:
        """Ask Save / Discard / Cancel if unsaved changes would be lost.

        Parameters
        ----------
        closing : bool, optional
            The window is closing: an untitled session is kept in the settings file, so
            only an open workspace file is asked about.

        Returns
        -------
        bool
            True to go on (saved or discarded), False to stop (cancelled, or saving failed).
        """
        if not self.modified or (closing and self.path is None):
            return True
        answer = file_prompts.ask_save_changes(self._window, self.name)
        if answer == file_prompts.SAVE:
            return self.save()
        return answer == file_prompts.DISCARD

    def open_dialog(self) -> bool:
        """Ask about unsaved changes, then for a workspace file, and open it.

        Returns
        -------
        bool
            Whether a workspace was opened.
        """
        if not self.may_discard_changes():
            return False
        start = str(self.path.parent) if self.path is not None else ""
        path, _ = file_prompts.ask_open_path(self._window, "Open workspace", start,
                                             WORKSPACE_FILTER)
        return bool(path) and self.open(path)

    def open_recent(self, path: str) -> bool:
        """Open a recent workspace (asking about unsaved changes first).

        Parameters
        ----------
        path : str
            From :attr:`recent`; a file that is gone is dropped from the list.

        Returns
        -------
        bool
            Whether it was opened.
        """
        if not Path(path).is_file():
            self._warn(f"Could not open the workspace: {path} does not exist any more; it was "
                       "removed from the recent list.")
            self.recent[:] = [p for p in self.recent if p != path]
            self.fill_recent_menu()
            return False
        return self.may_discard_changes() and self.open(path)

    def open(self, path: str | Path) -> bool:
        """Open a workspace file; a bare filter bank file is accepted too.

        The file is read and validated in full first: an invalid, truncated or missing file
        changes nothing in the window. A bank file replaces the pipeline only and leaves the
        session untitled (saving must not turn the bank into a workspace file).

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            Whether it was opened.
        """
        try:
            workspace = load_workspace(path)
        except (LoadError, OSError) as exc:
            try:
                pipeline = load_bank(path)
            except (LoadError, OSError):
                self._warn(f"Could not open the workspace: "
                           f"{file_prompts.describe_failure(exc, path)}")
                return False
            self._apply_bank(pipeline)
            self._set_path(None)
            self.refresh()
            self._notify(f"Opened the filter bank {Path(path).name} (not a workspace: save "
                         "the workspace to keep the source and view too)")
            return True
        self._applying = True
        try:
            opening = self._apply(workspace)
        finally:
            self._applying = False
        self._set_path(Path(os.path.abspath(path)))
        self.mark_saved(opening)
        self._notify(f"Opened the workspace {Path(path).name}")
        return True
