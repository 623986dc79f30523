"""The window's file features wired to it: map export, banks and kernels, workspaces.

:func:`attach` builds the three controllers on a :class:`MainWindow`; the window places
their actions in its menus and, once set up, lets :meth:`WindowFiles.watch` follow its
changes for the workspace's unsaved-changes mark. The adapters here read the window's
public state only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core import Pipeline
from workbench.gui.bank_io_actions import BankHost, BankIoActions
from workbench.gui.export_dialog import ExportSnapshot, MapsExporter
from workbench.gui.pipeline_edits import with_layer
from workbench.gui.settings import SAMPLE_PREFIX
from workbench.gui.workspace_controller import WorkspaceController
from workbench.gui.workspace_state import apply_workspace, window_workspace
from workbench.render import shared_levels

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

STATUS_MS = 5000


def source_name(image_source: str) -> str:
    """Name the input for exported file names: the sample's key or the file's stem.

    Parameters
    ----------
    image_source : str
        ``MainWindow.image_source``: a path or ``"sample:<key>"``.

    Returns
    -------
    str
        E.g. ``"astronaut"`` or ``"photo"``; ``"input"`` when there is none.

    Examples
    --------
    >>> source_name("sample:astronaut"), source_name("/data/cat.png"), source_name("")
    ('astronaut', 'cat', 'input')
    """
    if image_source.startswith(SAMPLE_PREFIX):
        return image_source[len(SAMPLE_PREFIX):] or "input"
    return Path(image_source).stem or "input"


def export_snapshot(window: MainWindow, layer: int) -> ExportSnapshot | str:
    """Capture the result the window shows, for the export dialog.

    Parameters
    ----------
    window : MainWindow
        The window.
    layer : int
        The 0-based layer whose maps the window shows (its maps decide the colours).

    Returns
    -------
    ExportSnapshot or str
        The snapshot, or why there is nothing to export.
    """
    outcome = window.last_outcome
    if outcome is None or outcome.result is None:
        return "There are no maps to export yet: wait for the first result."
    result, pipeline = outcome.result, outcome.request.pipeline
    shown = result.layers[layer]
    maps = list(shown.activated)
    if pipeline.layers[layer].pool.kind != "none":
        maps += list(shown.pooled)
    # The input's name: the image file's, or the stream's ("clip.mp4", "Camera 0").
    name = window.loaded.path.stem if window.loaded is not None else ""
    return ExportSnapshot(result, pipeline, name or source_name(window.image_source),
                          window.views.options, shared_levels(maps, window.views.options))


@dataclass(frozen=True)
class WindowFiles:
    """The file controllers of one window."""

    exporter: MapsExporter
    bank_io: BankIoActions
    workspace: WorkspaceController

    def watch(self, window: MainWindow) -> None:
        """Mark the workspace modified on every pipeline, view or size change from now on.

        Call once the window has connected its own slots (so the state is updated when
        the mark is recomputed) and opened its first source; that state counts as saved.
        Source changes are reported by the window (:meth:`source_changed`).

        Parameters
        ----------
        window : MainWindow
            The window.
        """
        window.model.sigPipelineChanged.connect(self.workspace.refresh)
        window.views.sigOptionsChanged.connect(self.workspace.refresh)
        window.params.sigMaxSideChanged.connect(self.workspace.refresh)
        self.workspace.mark_saved()

    def source_changed(self, name: str) -> None:
        """Show the new source's name in the title and update the unsaved-changes mark.

        Parameters
        ----------
        name : str
            E.g. the image file's name.
        """
        self.workspace.set_detail(name)
        self.workspace.refresh()


def attach(window: MainWindow, layer: int, recent_workspaces: list[str]) -> WindowFiles:
    """Create the export, bank and workspace controllers of ``window``.

    Parameters
    ----------
    window : MainWindow
        The window (its model, panels and views exist).
    layer : int
        The 0-based layer the window edits.
    recent_workspaces : list of str
        The remembered recent workspaces, updated in place.

    Returns
    -------
    WindowFiles
        The controllers, whose actions the window puts in its menus; call
        :meth:`WindowFiles.watch` at the end of the window's set-up.
    """
    def notify(text: str) -> None:
        window.statusBar().showMessage(text, STATUS_MS)

    def warn(text: str) -> None:
        window.show_message(text)

    exporter = MapsExporter(window, lambda: export_snapshot(window, layer), notify, warn)
    bank_io = BankIoActions(BankHost(
        window, window.model, layer, window.bank.selected_index,
        window.editor.current_channel,
        lambda: window.editor.same_check.isChecked(), notify, warn))

    def apply_bank(pipeline: Pipeline) -> None:
        window.model.reset(with_layer(pipeline))

    workspace = WorkspaceController(
        window, lambda: window_workspace(window), lambda ws: apply_workspace(window, ws),
        apply_bank, notify, warn, recent_workspaces)
    return WindowFiles(exporter, bank_io, workspace)
