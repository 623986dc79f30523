"""Questions file actions ask (names, overwrite, unsaved changes, layout); failure wording.

Every question is a module-level function, called through this module
(``file_prompts.ask_save_path(...)``), so tests replace one with ``monkeypatch.setattr`` and
no modal dialog ever blocks them. Saving asks with ``DontConfirmOverwrite``: the callers
check every file they are about to replace (a bank's ``_bias.npy`` companion, an export's
hundred maps) and ask once with :func:`confirm_overwrite`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from workbench.io.errors import LoadError

SHOWN_NAMES = 12  # an overwrite question lists this many names, then "and N more"

SAVE = "save"
DISCARD = "discard"
CANCEL = "cancel"


def ask_open_path(parent: QWidget | None, title: str, folder: str, filters: str
                  ) -> tuple[str, str]:
    """Ask for an existing file.

    Parameters
    ----------
    parent : QWidget or None
        Dialog parent.
    title : str
        Dialog title.
    folder : str
        Folder (or file) to start in; ``""`` for the last one used.
    filters : str
        Qt name filters, ``";;"``-separated, e.g. ``"Filter bank (*.json);;All files (*)"``.

    Returns
    -------
    tuple of str
        The path (``""`` if cancelled) and the name filter chosen.
    """
    path, chosen = QFileDialog.getOpenFileName(parent, title, folder, filters)
    return path, chosen


def ask_save_path(parent: QWidget | None, title: str, suggestion: str, filters: str
                  ) -> tuple[str, str]:
    """Ask for a file name to write; existing files are confirmed by the caller.

    Parameters
    ----------
    parent : QWidget or None
        Dialog parent.
    title : str
        Dialog title.
    suggestion : str
        Suggested path or file name.
    filters : str
        Qt name filters.

    Returns
    -------
    tuple of str
        The path (``""`` if cancelled) and the name filter chosen.
    """
    path, chosen = QFileDialog.getSaveFileName(
        parent, title, suggestion, filters,
        options=QFileDialog.Option.DontConfirmOverwrite)
    return path, chosen


def ask_folder(parent: QWidget | None, title: str, folder: str) -> str:
    """Ask for a folder.

    Parameters
    ----------
    parent : QWidget or None
        Dialog parent.
    title : str
        Dialog title.
    folder : str
        Folder to start in.

    Returns
    -------
    str
        The folder, ``""`` if cancelled.
    """
    return QFileDialog.getExistingDirectory(parent, title, folder)


def overwrite_question(paths: Sequence[Path]) -> str:
    """Word the overwrite question, listing the files (at most :data:`SHOWN_NAMES`).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Existing files about to be replaced.

    Returns
    -------
    str
        Plain text.
    """
    names = [f"  {p.name}" for p in paths[:SHOWN_NAMES]]
    if len(paths) > SHOWN_NAMES:
        names.append(f"  … and {len(paths) - SHOWN_NAMES} more")
    where = {str(p.parent) for p in paths}
    folder = f" in {where.pop()}" if len(where) == 1 else ""
    noun = "file exists" if len(paths) == 1 else f"{len(paths)} files exist"
    return f"{'This' if len(paths) == 1 else 'These'} {noun}{folder}:\n\n" + "\n".join(names) \
        + "\n\nReplace " + ("it?" if len(paths) == 1 else "them?")


def confirm_overwrite(parent: QWidget | None, paths: Sequence[Path]) -> bool:
    """Ask whether existing files may be replaced.

    Parameters
    ----------
    parent : QWidget or None
        Dialog parent.
    paths : sequence of pathlib.Path
        The existing files.

    Returns
    -------
    bool
        True to replace them.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, "Replace files?", overwrite_question(paths),
                      QMessageBox.StandardButton.Cancel, parent)
    replace = box.addButton("&Replace", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is replace


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """Ask what to do with unsaved changes before they would be lost.

    Parameters
    ----------
    parent : QWidget or None
        Dialog parent.
    name : str
        The workspace's file name.

    Returns
    -------
    str
        :data:`SAVE`, :data:`DISCARD` or :data:`CANCEL`.
    """
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    answer = QMessageBox.question(
        parent, "Unsaved changes",
        f"The workspace {name} has changes that are not saved.\n\nSave them first?",
        buttons, QMessageBox.StandardButton.Save)
    if answer == QMessageBox.StandardButton.Save:
        return SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return DISCARD
    return CANCEL


def ask_layout(parent: QWidget | None, question: str, details: str, choices: dict[str, str]
               ) -> str | None:
    """Ask which of several readings of a file is meant.

    Parameters
    ----------
    parent : QWidget or None
        Dialog parent.
    question : str
        The question, e.g. "Which layout does bank.npy use?".
    details : str
        Why it is ambiguous, e.g. both readings of an array's shape.
    choices : dict of str to str
        Answer key -> button text.

    Returns
    -------
    str or None
        The chosen key, or None if cancelled.
    """
    box = QMessageBox(QMessageBox.Icon.Question, "Which layout?", question,
                      QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(details)
    buttons = {box.addButton(text, QMessageBox.ButtonRole.AcceptRole): key
               for key, text in choices.items()}
    box.exec()
    clicked = box.clickedButton()
    return next((key for button, key in buttons.items() if button is clicked), None)


def describe_failure(exc: Exception, path: str | Path) -> str:
    """Say why a file could not be read or written, naming the file once.

    Parameters
    ----------
    exc : Exception
        The error; :class:`LoadError` and ``ExportError`` messages already name the file.
    path : str or pathlib.Path
        The file.

    Returns
    -------
    str
        E.g. ``"bank.json: the file does not exist"``.
    """
    name = Path(path).name
    if isinstance(exc, LoadError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{name}: the file does not exist"
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return text if str(path) in text or name in text else f"{name}: {text}"
