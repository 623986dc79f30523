"""The window's file features wired to the session: map export, banks and kernels, workspaces.

:class:`WindowFiles` builds the three controllers; the menus place their actions, and
:meth:`WindowFiles.watch` then follows the session for the workspace's unsaved-changes mark
and the title.
"""

from __future__ import annotations

from pathlib import Path

from psygnal import Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow

from workbench.core import Pipeline
from workbench.gui.actions.bank_io import BankHost, BankIoActions
from workbench.gui.actions.export_dialog import ExportSnapshot, MapsExporter
from workbench.gui.actions.workspace_controller import WorkspaceController
from workbench.gui.actions.workspace_state import apply_workspace, session_workspace
from workbench.gui.kernel_editor import KernelEditor
from workbench.gui.live.controller import LiveController
from workbench.gui.settings import WorkbenchSettings
from workbench.io.images import IMAGE_SUFFIXES
from workbench.render import shared_levels
from workbench.session import SAMPLE_PREFIX, InputState, Session, source_name

STATUS_MS = 5000


def export_snapshot(session: Session) -> ExportSnapshot | str:
    """Capture the result the window shows (the selected layer's maps), for export.

    Parameters
    ----------
    session : Session
        Holds the last result and the colour options that decide "as displayed".

    Returns
    -------
    ExportSnapshot or str
        The snapshot, or why there is nothing to export.
    """
    shown = session.result
    if shown is None:
        return "There are no maps to export yet: wait for the first result."
    result, pipeline = shown.result, shown.pipeline
    layer = min(session.layer_index, len(result.layers) - 1)
    maps = list(result.layers[layer].activated)
    if pipeline.layers[layer].pool.kind != "none":
        maps += list(result.layers[layer].pooled)
    state = session.input
    # The input's name: the image file's, the stream's ("clip.mp4", "Camera 0"), the data's.
    name = state.image.path.stem if state.image is not None else ""
    if state.raw is not None:
        name = state.raw.name
    return ExportSnapshot(result, pipeline, name or source_name(state.source),
                          session.view_options, shared_levels(maps, session.view_options))


class WindowFiles:
    """The file controllers of one window.

    Parameters
    ----------
    window : QMainWindow
        Parent of the dialogs; its title shows the workspace.
    session : Session
        The state saved, opened and exported.
    live : LiveController
        The stream a workspace stores or opens.
    editor : KernelEditor
        Whether kernel edits apply to all channels ("same for all").
    settings : WorkbenchSettings
        Its recent image and workspace lists are updated in place.
    """

    recent_images_changed = Signal()

    def __init__(self, window: QMainWindow, session: Session, live: LiveController,
                 editor: KernelEditor, settings: WorkbenchSettings) -> None:
        self.window = window
        self.session = session
        self.live = live
        self.settings = settings
        recent_workspaces = settings.recent_workspaces

        def notify(text: str) -> None:
            session.message.emit(text, "status")

        def warn(text: str) -> None:
            session.message.emit(text, "error")

        def apply_bank(pipeline: Pipeline) -> None:
            session.reset(pipeline)

        self.exporter = MapsExporter(window, lambda: export_snapshot(session),
                                     notify, warn)
        self.bank_io = BankIoActions(BankHost(
            window, session, lambda: editor.same_check.isChecked(), notify, warn))
        self.workspace = WorkspaceController(
            window, session, lambda: session_workspace(session, live.source, session.view_options),
            lambda ws: apply_workspace(session, live, ws), apply_bank, notify, warn,
            recent_workspaces)

    def watch(self) -> None:
        """Follow every pipeline, input and view change for the unsaved-changes mark.

        Call at the end of the window's set-up: the state then counts as saved.
        """
        self.session.pipeline_changed.connect(self.workspace.refresh)
        self.session.input_changed.connect(self._on_input_changed)
        self.session.view_changed.connect(self.workspace.refresh)
        self.live.sigSourceChanged.connect(self._on_source_changed)
        self._on_input_changed(self.session.input)
        self.workspace.mark_saved()

    def open_image(self, path: str | Path) -> bool:
        """Open an image file as the input and remember it among the recent files.

        Parameters
        ----------
        path : str or pathlib.Path
            Image file.

        Returns
        -------
        bool
            Whether it opened; on failure nothing changes and the session says why.
        """
        if not self.session.open_image(path):
            return False
        self.settings.add_recent(str(Path(path).resolve()))
        self.recent_images_changed.emit()
        return True

    def open_image_dialog(self) -> None:
        """Ask for an image file (starting in the current image's folder) and open it."""
        patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        source = self.session.input.source
        start = str(Path(source).parent) \
            if source and not source.startswith(SAMPLE_PREFIX) else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open image", start,
                                              f"Images ({patterns});;All files (*)")
        if path:
            self.open_image(path)

    def _on_source_changed(self, source: object) -> None:
        if source is not None:  # named in the title before its first frame arrives
            self.workspace.set_detail(self.live.source_title)
        self.workspace.refresh()

    def _on_input_changed(self, state: InputState) -> None:
        if state.kind == "frame" and state.title == self.workspace.detail:
            return  # the next frame of the same stream: nothing to retitle or compare
        self.workspace.set_detail(state.title)
        self.workspace.refresh()
