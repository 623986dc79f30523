"""Offer to recover or remove the unfinished recordings a crash left behind.

A recorder writes a hidden ``.<name>.<hash>.partial.<ext>`` file and renames it when the
recording ends. After a crash or SIGKILL that file stays; on the next start the window
looks in the folder of the last recording and asks what to do with it. Recovering
re-encodes frames, which can take a while, so it runs on a worker thread and the window
says when it is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.sources.recorder import find_orphan_recordings, recover_orphan, remove_orphan

RECOVER, REMOVE, KEEP = "recover", "remove", "keep"


def ask_about_orphans(parent: QWidget | None, orphans: list[Path]) -> str:
    """Ask whether to recover, remove or keep unfinished recordings.

    Parameters
    ----------
    parent : QWidget or None
        The dialog's parent.
    orphans : list of pathlib.Path
        The partial files found.

    Returns
    -------
    str
        :data:`RECOVER`, :data:`REMOVE` or :data:`KEEP`.
    """
    names = "\n".join(f"  {path}" for path in orphans[:8])
    more = f"\n  ... and {len(orphans) - 8} more" if len(orphans) > 8 else ""
    box = QMessageBox(QMessageBox.Icon.Question, "Unfinished recordings",
                      f"{len(orphans)} recording(s) were not finished when Conv Workbench last "
                      f"stopped:\n{names}{more}\n\nRecover what can be read into normal video "
                      "files, or remove the partial files?", QMessageBox.StandardButton.NoButton,
                      parent)
    recover = box.addButton("&Recover", QMessageBox.ButtonRole.AcceptRole)
    remove = box.addButton("Re&move", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("&Keep for now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(recover)
    box.exec()
    clicked = box.clickedButton()
    return RECOVER if clicked is recover else REMOVE if clicked is remove else KEEP


orphan_prompt: Callable[[QWidget | None, list[Path]], str] = ask_about_orphans
"""The question asked; tests replace it."""


def orphans_in(folders: Iterable[Path | str | None]) -> list[Path]:
    """Return the unfinished recordings in these folders, each once, sorted.

    Parameters
    ----------
    folders : iterable of path or None
        Folders to look in; None and missing folders are skipped.

    Returns
    -------
    list of pathlib.Path
    """
    found: set[Path] = set()
    for folder in folders:
        if folder:
            found.update(path.absolute() for path in find_orphan_recordings(folder))
    return sorted(found)


class OrphanRecovery(QObject):
    """Ask about the orphans, then recover or remove them off the GUI thread.

    Parameters
    ----------
    parent : QWidget
        The window the question belongs to.
    report : callable
        Called on the GUI thread with ``(text, kind)`` once the work is done.
    """

    sigDone = Signal(str, str)

    def __init__(self, parent: QWidget, report: Callable[[str, str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self.sigDone.connect(report)
        self.worker: threading.Thread | None = None

    def offer(self, folders: Iterable[Path | str | None]) -> str | None:
        """Look for orphans and, if any, ask and act on the answer.

        Parameters
        ----------
        folders : iterable of path or None
            Where recordings were written.

        Returns
        -------
        str or None
            The answer, or None when there was nothing to ask about.
        """
        orphans = orphans_in(folders)
        if not orphans:
            return None
        answer = orphan_prompt(self._parent, orphans)
        if answer == KEEP:
            self.sigDone.emit(f"Kept {len(orphans)} unfinished recording(s) in "
                              f"{orphans[0].parent}; you will be asked again at the next "
                              "start.", "info")
            return answer
        work = self._recover if answer == RECOVER else self._remove
        self.worker = threading.Thread(target=work, args=(orphans,), daemon=True,
                                       name="orphan-recordings")
        self.worker.start()
        return answer

    def _recover(self, orphans: list[Path]) -> None:
        done: list[Path] = []
        failures: list[str] = []
        for orphan in orphans:
            try:
                path = recover_orphan(orphan, on_failure=failures.append)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the rest
                failures.append(f"'{orphan}' could not be recovered: {exc}")
                continue
            if path is not None:
                done.append(path)
        parts = [f"Recovered {len(done)} recording(s): "
                 + ", ".join(str(path) for path in done) + "."] if done else []
        parts.extend(failures)
        self.sigDone.emit(" ".join(parts) or "Nothing could be recovered.",
                          "warning" if failures else "info")

    def _remove(self, orphans: list[Path]) -> None:
        failures: list[str] = []
        for orphan in orphans:
            try:
                remove_orphan(orphan)
            except (OSError, ValueError) as exc:
                failures.append(f"'{orphan}' could not be removed: {exc}")
        removed = len(orphans) - len(failures)
        text = " ".join([f"Removed {removed} unfinished recording(s)." , *failures])
        self.sigDone.emit(text, "warning" if failures else "info")
