"""The workbench window.

Filter bank and kernel editor at the left, the maps in the middle, the layer's parameters
at the right; compute runs in one worker thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.core.explain import filter_input
from workbench.gui.actions import file_prompts
from workbench.gui.actions.help_boxes import HelpBoxes
from workbench.gui.actions.menus import build_menus
from workbench.gui.actions.model_files import MODEL_SUFFIXES, ModelFiles
from workbench.gui.actions.raw_data import RawDataActions
from workbench.gui.actions.undo_keys import install_undo_key_filter
from workbench.gui.actions.window_files import WindowFiles
from workbench.gui.actions.worksheet import Worksheet, write_worksheet
from workbench.gui.actions.workspace_state import raw_spec, restore_raw
from workbench.gui.appearance import appearance_controller
from workbench.gui.compute_worker import ComputeController
from workbench.gui.kernel_editor import KernelEditor
from workbench.gui.learning import LearningWindows
from workbench.gui.live.controller import LiveController
from workbench.gui.live.panel import VIDEO_SUFFIXES, LivePanel
from workbench.gui.live.window import LiveWindow
from workbench.gui.panels.filter_bank import FilterBankPanel
from workbench.gui.panels.layer_strip import LayerStrip
from workbench.gui.panels.message_bar import MessageBar
from workbench.gui.panels.parameter_panel import ParameterPanel
from workbench.gui.panels.tutorial_banner import TutorialBanner
from workbench.gui.settings import (
    WorkbenchSettings,
    load_settings,
    pipeline_problem,
    save_settings,
)
from workbench.gui.views.classroom import ClassroomBar
from workbench.gui.views.map_views import CellKey, MapViewsPanel
from workbench.gui.views.session_views import SessionCompute, SessionViews
from workbench.gui.views.status_bar import StatusReadouts
from workbench.gui.views.step_player import StepPlayer, StepThrough
from workbench.gui.window_geometry import fit_window, screen_area_for
from workbench.render import ViewOptions
from workbench.resources import icon_path
from workbench.session import DEFAULT_IMAGE, Session
from workbench.session.edits import image_input_mode, set_input_mode

DEFAULT_SIZE = (1500, 950)
LEFT_WIDTH = 380  # filter bank and kernel editor column
KERNEL_ROOM_ROWS = 7  # the kernel rows the editor shows without scrolling at first


class MainWindow(QMainWindow):
    """The Conv Workbench main window: a layout shell around one :class:`Session`.

    Parameters
    ----------
    settings : WorkbenchSettings, optional
        State to start from; read from the settings file when omitted.
    messages : sequence of str, optional
        Problems met while reading the settings, shown in the message bar.
    persist : bool, optional
        Write the settings back when the window closes.
    """

    sigResultShown = Signal(object)  # the ShownResult just drawn
    sigComputeFailed = Signal(str)  # why the newest state has no result

    def __init__(self, settings: WorkbenchSettings | None = None,
                 messages: tuple[str, ...] | list[str] = (), persist: bool = True) -> None:
        super().__init__()
        if settings is None:
            settings, loaded_messages = load_settings()
            messages = [*messages, *loaded_messages]
        self.settings = settings
        self.persist = persist
        self.setWindowTitle("Conv Workbench")
        self.setWindowIcon(QIcon(str(icon_path("app.png"))))
        self.setAcceptDrops(True)
        self.resize(*DEFAULT_SIZE)
        self._closed = False
        self._saved = False
        try:
            self._build(settings, messages)
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        """Undo a construction that failed: never save its state, stop any started thread."""
        self.persist = False
        self._closed = True
        app = QApplication.instance()
        if app is not None:
            try:
                app.aboutToQuit.disconnect(self.shutdown)
            except (RuntimeError, TypeError):
                pass  # not connected yet
        live, compute = getattr(self, "live", None), getattr(self, "compute", None)
        stops = [live.shutdown if live is not None else None,
                 compute.stop if compute is not None else None]
        for stop in stops:
            if stop is None:
                continue
            try:
                stop()
            except Exception:  # noqa: BLE001, S110 - best effort; the first error is raised
                pass
        self.deleteLater()

    def _build(self, settings: WorkbenchSettings, messages: tuple[str, ...] | list[str]) -> None:
        start = settings.pipeline
        if start.input_mode == "raw":  # opened on its image; the raw data follows if saved
            start = set_input_mode(start, image_input_mode(start))
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.appearance = appearance_controller(app, settings.appearance)
        self.session = Session(start, settings.max_side, view=settings.view)
        self.session.message.connect(self._on_message)
        self.compute = ComputeController(self)
        # Connected first: a live stream hands the next frame to the worker before this
        # window draws the result that just came back, so compute and drawing overlap.
        self.live = LiveController(self.compute, self)
        self.session_compute = SessionCompute(self.session, self.compute)

        self._build_widgets()
        self.status = StatusReadouts(self.statusBar(), self.compute, self.live_panel.stats_label)
        self.session_views = SessionViews(self.session, self.views, self.status.timing_label)
        # After SessionViews: a step is drawn over the maps a new result has just put up.
        self.step_through = StepThrough(self.session, self.step_player, self.views.show_slide,
                                        blocked=self.classroom.isVisible)
        self.files = WindowFiles(self, self.session, self.live, self.editor, settings)
        self.raw_data = RawDataActions(self, self.session)
        self.models = ModelFiles(self, self.session)
        self.help = HelpBoxes(self)
        self.learning = LearningWindows(self.session, self)
        self.menus = build_menus(self)
        self._restore_layout()
        self.live_window = LiveWindow(self.session, self.live, self.live_panel, self.views,
                                      self.message_bar)
        self.live_panel.restore_choices(settings.live)

        self.session.history_changed.connect(self._on_history_changed)
        self.session.result_changed.connect(self.sigResultShown.emit)
        self.session.problem_changed.connect(
            lambda problem: self.sigComputeFailed.emit(problem) if problem else None)
        self.editor.sigMessage.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.views.sigHoverText.connect(self.status.show_hover)
        self.session.view_changed.connect(self._on_view_options_changed)
        app.aboutToQuit.connect(self.shutdown)

        self._on_history_changed(False, False)
        self.compute.start()
        if not self.session.open_source(settings.image):
            self.session.open_source(DEFAULT_IMAGE)
        if settings.raw is not None and settings.pipeline.input_mode == "raw":
            restore_raw(self.session, settings.raw, settings.pipeline)
        self.session.reset(self.session.pipeline)  # a fresh start: nothing to undo
        self.session.select(filter=settings.selected_filter)
        self.files.watch()
        for text in messages:
            self.show_message(text, "warning")

    # ---------------------------------------------------------------- layout

    def _build_widgets(self) -> None:
        session = self.session
        self.layers = LayerStrip(session)
        self.bank = FilterBankPanel(session)
        self.editor = KernelEditor(session)
        self.params = ParameterPanel(session)
        self.views = MapViewsPanel(session)
        self.step_player = StepPlayer()
        self.classroom = ClassroomBar(session)
        self.classroom.sigHide.connect(self._on_classroom_hide)
        self.classroom.sigExplain.connect(
            lambda stage, f, y, x: self.views.pin(CellKey(stage, f), y, x))
        self.classroom.export_worksheet = self.export_worksheet
        self.message_bar = MessageBar()
        self.tutorial_banner = TutorialBanner(session)
        self.live_panel = LivePanel(self.live)
        install_undo_key_filter(self, self.params.findChildren(QAbstractSpinBox))

        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.setObjectName("leftSplitter")
        self.left_splitter.addWidget(_titled("Layers", self.layers))
        self.left_splitter.addWidget(_titled("Filter bank", self.bank))
        self.left_splitter.addWidget(_titled("Kernel", self.editor))
        # The editor keeps the height its kernel needs; the bank list takes the rest.
        self.left_splitter.setStretchFactor(0, 0)
        self.left_splitter.setStretchFactor(1, 1)
        self.left_splitter.setStretchFactor(2, 0)

        param_scroll = QScrollArea()
        param_scroll.setWidgetResizable(True)
        param_scroll.setWidget(self.params)
        param_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        param_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        param_scroll.setMinimumWidth(self.params.minimumSizeHint().width() + 16)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.setSpacing(4)
        center_layout.addWidget(self.tutorial_banner)
        center_layout.addWidget(self.message_bar)
        center_layout.addWidget(self.step_player)
        center_layout.addWidget(self.classroom)
        center_layout.addWidget(self.views, 1)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(center)
        self.main_splitter.addWidget(param_scroll)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setStretchFactor(2, 0)
        self.main_splitter.setCollapsible(1, False)  # the side panes fold (View > Panels)
        self.main_splitter.setSizes([LEFT_WIDTH, DEFAULT_SIZE[0] - LEFT_WIDTH - 360, 360])
        # Tall enough for the tool buttons wrapped at the default width and a 7x7 kernel.
        kernel_box = self.left_splitter.widget(2)
        assert kernel_box is not None
        kernel_height = max(kernel_box.heightForWidth(LEFT_WIDTH), kernel_box.sizeHint().height())
        kernel_height += (KERNEL_ROOM_ROWS - 3) * self.editor.grid.cell_size().height()
        layers_box = self.left_splitter.widget(0)
        assert layers_box is not None
        # The shape line under the layer buttons wraps; leave room for a second line on the
        # narrower column of a small screen.
        layers_height = max(layers_box.heightForWidth(LEFT_WIDTH - 80),
                            layers_box.sizeHint().height())
        self.left_splitter.setSizes([layers_height,
                                     DEFAULT_SIZE[1] - 90 - kernel_height - layers_height,
                                     kernel_height])
        # Tab from the kernel's last cell goes to the bias, then on through the parameters
        # (in creation order the maps' controls would come between).
        previous: QWidget = self.editor.bias_spin
        for widget in self.params.focusable_widgets():
            QWidget.setTabOrder(previous, widget)
            previous = widget
        root = QWidget()
        layout = QVBoxLayout(root)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.live_panel)
        layout.addWidget(self.main_splitter)
        self.setCentralWidget(root)

    def _restore_layout(self) -> None:
        s = self.settings
        restored = bool(s.geometry) and self.restoreGeometry(QByteArray(s.geometry))
        self.fit_to_screen(screen_area_for(self), restored=restored)
        if s.window_state:
            self.restoreState(QByteArray(s.window_state))
        if s.splitter_state:
            self.main_splitter.restoreState(QByteArray(s.splitter_state))
        if s.left_splitter_state:
            self.left_splitter.restoreState(QByteArray(s.left_splitter_state))
        self.views.restore_splitter(s.views_splitter_state)
        for toggle in self.menus.panel_toggles.values():
            toggle.sync()

    def fit_to_screen(self, available: QRect | None, restored: bool = False) -> None:
        """Fit the window into a screen's available area (see :mod:`window_geometry`).

        Parameters
        ----------
        available : QRect or None
            The area; None (no real screen, e.g. offscreen) leaves the size as it is.
        restored : bool, optional
            Whether the current geometry came from the settings.
        """
        fit_window(self, available, restored)

    # -------------------------------------------------------------- messages

    def focus_panel(self, name: str) -> None:
        """Move the keyboard focus to a panel (View > Go to, Alt+1 .. Alt+4).

        Parameters
        ----------
        name : {"bank", "kernel", "parameters", "maps"}
            The panel.
        """
        pane = {"bank": "side", "kernel": "side", "parameters": "parameters"}.get(name)
        if pane is not None:
            self.menus.panel_toggles[pane].set_shown(True)
        if name == "bank":
            self.bank.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif name == "kernel":
            grid = self.editor.grid
            if not grid.currentIndex().isValid() and grid.model() is not None:
                grid.setCurrentIndex(grid.model().index(0, 0))
            grid.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif name == "parameters":
            self.params.focus_first()
        elif name == "maps":
            self.views.scroll_area.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            raise ValueError(f"panel must be bank, kernel, parameters or maps, got {name!r}")

    def open_step_through(self) -> None:
        """Show the step-through bar on the selected filter (View > Step through)."""
        if self.classroom.isVisible():
            self.show_message("The step-through would show the answers: close Predict, then "
                              "reveal first (or Reveal the answer).", "info")
            return
        problem = self.step_through.open()
        if problem:
            self.show_message(f"Nothing to step through: {problem}.", "info")

    def open_classroom(self) -> None:
        """Start predict-then-reveal on the selected filter (View > Predict, then reveal)."""
        if self.session.result is None:
            self.show_message("Nothing to ask yet: wait for the first maps.", "info")
            return
        self.step_through.player.close_player()  # its inspector text would give it away
        self.classroom.open_bar()

    def _on_classroom_hide(self, maps: bool, sizes: bool) -> None:
        self.views.set_maps_hidden(maps)
        # The banner quotes the tutorial's printed output: hidden with the answers.
        self.tutorial_banner.set_suppressed(maps or sizes)
        self.params.geometry_label.setVisible(not sizes)
        self.layers.shapes.setVisible(not sizes)

    def export_worksheet(self, path: str | Path | None = None) -> bool:
        """Write the selected filter's example as a worksheet with an answer key.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            A ``.pdf`` or ``.png`` file; asked for when omitted.

        Returns
        -------
        bool
            True when written.
        """
        sheet = self._worksheet()
        if sheet is None:
            self.show_message("Nothing to put on a worksheet yet: wait for the maps.", "info")
            return False
        if path is None:
            chosen, _ = file_prompts.ask_save_path(
                self, "Export worksheet", "worksheet.pdf",
                "PDF (*.pdf);;PNG images, answers in a second file (*.png)")
            if not chosen:
                return False
            target = Path(chosen)
            if target.suffix.lower() not in (".pdf", ".png"):
                target = target.with_suffix(".pdf")
            answers = target.with_name(f"{target.stem}-answers.png")
            existing = [p for p in (target, answers) if p.exists()
                        and (p is target or target.suffix.lower() == ".png")]
            if existing and not file_prompts.confirm_overwrite(self, existing):
                return False
        else:
            target = Path(path)
        try:
            written = write_worksheet(sheet, target)
        except (OSError, ValueError) as exc:
            self.show_message(f"Could not write the worksheet: "
                              f"{file_prompts.describe_failure(exc, target)}")
            return False
        self.statusBar().showMessage("Worksheet written: " + ", ".join(str(p) for p in written),
                                     8000)
        return True

    def _worksheet(self) -> Worksheet | None:
        shown = self.session.result
        if shown is None:
            return None
        layer_index, f = self.session.layer_index, self.session.selected_map
        if f < 0 or layer_index >= len(shown.result.layers):
            return None
        layer = shown.pipeline.layers[layer_index]
        filt = layer.enabled_filters[f]
        result = shown.result
        image = filter_input(result, shown.pipeline, layer_index, f)[0][0]
        lr = result.layers[layer_index]
        tutorial = self.session.tutorial
        return Worksheet(tutorial.name if tutorial is not None else lr.filter_names[f],
                         image, filt.weight[0], filt.bias, layer, lr.activated[f],
                         lr.pooled[f] if layer.pool.kind != "none" else None, filt.channels)

    def show_message(self, text: str, kind: str = "error") -> None:
        """Show a problem in the message bar and the status bar.

        Parameters
        ----------
        text : str
            What happened.
        kind : {"error", "warning", "info"}, optional
            How it is coloured.
        """
        self.message_bar.show_message(text, kind)
        self.statusBar().showMessage(text, 8000)

    def _on_message(self, text: str, kind: str) -> None:
        if kind == "status":
            self.statusBar().showMessage(text, 5000)
        else:
            self.show_message(text, kind)

    # ----------------------------------------------------------------- input

    def open_image(self, path: str | Path) -> bool:
        """Load an image file as the input (an undoable step); on failure nothing changes.

        Parameters
        ----------
        path : str or pathlib.Path
            Image file.

        Returns
        -------
        bool
            Whether the image was loaded (it joins the recent files).
        """
        return self.files.open_image(path)

    def open_sample(self, key: str) -> bool:
        """Load a built-in sample image (an undoable step).

        Parameters
        ----------
        key : str
            Sample key, e.g. ``"camera"``.

        Returns
        -------
        bool
            Whether the image was loaded.
        """
        return self.session.open_sample(key)

    def open_image_dialog(self) -> None:
        """Ask for an image file and open it."""
        self.files.open_image_dialog()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            if Path(files[0]).suffix.lower() in VIDEO_SUFFIXES:
                self.live_panel.open_video(files[0])
            elif Path(files[0]).suffix.lower() in MODEL_SUFFIXES:
                self.models.open(files[0])
            else:
                self.open_image(files[0])

    # ------------------------------------------------------------- pipelines

    def load_bank_file(self, path: str | Path) -> bool:
        """Load a filter bank file (see :mod:`workbench.io.bank`) as an undoable step.

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            Whether it was loaded; on failure the message bar says why.
        """
        return self.files.bank_io.load_bank_file(path)

    def open_workspace(self, path: str | Path) -> bool:
        """Open a workspace file (a bare filter bank file is accepted too).

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            False if the file could not be read (the message bar says why; nothing changed).
        """
        return self.files.workspace.open(path)

    def save_workspace(self, path: str | Path) -> bool:
        """Save source, pipeline, size limit and view settings to ``path``, replacing it.

        Parameters
        ----------
        path : str or pathlib.Path
            The file; it becomes the workspace's file.

        Returns
        -------
        bool
            Whether it was written; on failure the message bar says why.
        """
        return self.files.workspace.save_to(path)

    def _on_history_changed(self, can_undo: bool, can_redo: bool) -> None:
        self.menus.undo_action.setEnabled(can_undo)
        self.menus.redo_action.setEnabled(can_redo)

    def _on_view_options_changed(self, options: ViewOptions) -> None:
        self.settings.view = options
        self.menus.check_view_actions(options)

    # ----------------------------------------------------------------- closing

    def current_settings(self) -> WorkbenchSettings:
        """Collect the state to remember: pipeline, input, view and live options, layout.

        Returns
        -------
        WorkbenchSettings
            A snapshot (``self.settings`` updated in place).
        """
        s, state = self.settings, self.session.input
        s.pipeline = self.session.pipeline
        if state.source:
            s.image = state.source
        s.max_side = state.max_side
        s.view = self.session.view_options
        s.appearance = self.appearance.key
        s.live = self.live_panel.choices()
        s.raw = raw_spec(state.raw) if state.raw is not None else None
        s.selected_filter = max(self.session.selection.filter, 0)
        s.geometry = bytes(self.saveGeometry().data())
        s.window_state = bytes(self.saveState().data())
        s.splitter_state = bytes(self.main_splitter.saveState().data())
        s.left_splitter_state = bytes(self.left_splitter.saveState().data())
        s.views_splitter_state = bytes(self.views.splitter.saveState().data())
        return s

    def shutdown(self) -> None:
        """Save the settings (once, if ``persist``) and stop and join the compute thread."""
        if self.persist and not self._saved:
            self._saved = True
            save_settings(self.current_settings())
        self._closed = True
        self.session_compute.closed = True
        self.help.close()
        self.models.close()
        self.learning.shutdown()
        self.live.shutdown()  # finishes a recording; before compute, whose results it takes
        self.compute.stop()

    def unkept_on_close(self) -> str | None:
        """Say what an untitled session would lose on closing, or return None if nothing.

        The settings file keeps an untitled session's image, data and filter bank, but not
        a live or frozen video frame, nor a bank the settings cannot hold. A window that
        does not ``persist`` (the screenshot mode) was started to forget: it never asks.

        Returns
        -------
        str or None
            A short description of what would be lost, or None.
        """
        workspace = self.files.workspace
        if not self.persist or workspace.path is not None or not workspace.modified:
            return None
        if self.session.input.kind == "frame":
            return "the live or frozen video frame"
        if pipeline_problem(self.session.pipeline) is not None:
            return "the unsaved filter bank"
        return None

    def _may_close(self) -> bool:
        workspace = self.files.workspace
        if self.unkept_on_close() is None:
            return workspace.may_discard_changes(closing=True)
        answer = file_prompts.ask_save_changes(self, workspace.name)
        if answer == file_prompts.SAVE:
            return workspace.save()
        return answer == file_prompts.DISCARD

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self._closed and not self._may_close():
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    label = QLabel(title)
    label.setStyleSheet("font-weight: 600; padding: 2px 0;")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box
