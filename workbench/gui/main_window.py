"""The workbench window.

Filter bank and kernel editor at the left, the maps in the middle, the layer's parameters
at the right; compute runs in one worker thread.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__
from workbench.core import Filter, Pipeline, image_to_chw
from workbench.gui.compute_worker import ComputeController, ComputeOutcome
from workbench.gui.filter_bank import FilterBankPanel
from workbench.gui.image_loading import IMAGE_SUFFIXES, ImageLoadError, LoadedImage, load_image
from workbench.gui.kernel_editor import KernelEditor
from workbench.gui.live_controller import LiveController
from workbench.gui.live_panel import VIDEO_SUFFIXES, LivePanel
from workbench.gui.live_window import attach as attach_live
from workbench.gui.live_window import fill_sources_menu
from workbench.gui.map_views import MapViewsPanel
from workbench.gui.message_bar import MessageBar
from workbench.gui.parameter_panel import ParameterPanel
from workbench.gui.pipeline_edits import (
    image_input_mode,
    replace_filters,
    set_input_mode,
    set_raw_channels,
    with_layer,
)
from workbench.gui.pipeline_model import PipelineModel
from workbench.gui.raw_data_actions import attach as attach_raw_data
from workbench.gui.settings import (
    DEFAULT_IMAGE,
    SAMPLE_PREFIX,
    WorkbenchSettings,
    load_settings,
    save_settings,
)
from workbench.gui.window_files import attach as attach_files
from workbench.gui.workspace_state import raw_spec, restore_raw
from workbench.io.data_input import RawData
from workbench.render import COLOR_MODE_TIPS, COLOR_MODES, COLORMAPS, ViewOptions
from workbench.resources import icon_path, sample_images, sample_path

LAYER = 0  # the window edits and shows the first layer
DEFAULT_SIZE = (1500, 950)
LEFT_WIDTH = 380  # filter bank and kernel editor column
KERNEL_ROOM_ROWS = 7  # the kernel rows the editor shows without scrolling at first


def _is_undo_redo(event: QKeyEvent) -> bool:
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    return (event.matches(QKeySequence.StandardKey.Undo)
            or event.matches(QKeySequence.StandardKey.Redo)
            or (event.key() == Qt.Key.Key_Z and event.modifiers() == ctrl_shift)
            or (event.key() == Qt.Key.Key_Y
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier))


class _UndoKeysToWindow(QObject):
    """Stop spin boxes from claiming Ctrl+Z / Ctrl+Y: the window's undo covers them."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ShortcutOverride and _is_undo_redo(event):  # type: ignore[arg-type]
            event.ignore()
            return True
        return False


class MainWindow(QMainWindow):
    """The Conv Workbench main window.

    Parameters
    ----------
    settings : WorkbenchSettings, optional
        State to start from; read from the settings file when omitted.
    messages : sequence of str, optional
        Problems met while reading the settings, shown in the message bar.
    persist : bool, optional
        Write the settings back when the window closes.
    """

    sigResultShown = Signal(object)  # the ComputeOutcome just drawn
    sigComputeFailed = Signal(str)  # why the newest request has no result

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

        start = settings.pipeline
        if start.input_mode == "raw":  # opened on its image; the raw data follows if saved
            start = set_input_mode(start, image_input_mode(start))
        self.model = PipelineModel(with_layer(start), self)
        self.loaded: LoadedImage | None = None
        self.raw: RawData | None = None  # numeric data shown instead of the image
        self.image_source = ""
        self.image_chw: np.ndarray | None = None
        self.max_side = settings.max_side
        self.last_outcome: ComputeOutcome | None = None
        self.outcomes_shown = 0
        self._chw_mode = ""
        self._closed = False
        self._saved = False
        self._layers_noted = 1
        self.info_box: QMessageBox | None = None  # the open About / shortcuts box

        self.compute = ComputeController(self)
        # Connected first: a live stream hands the next frame to the worker before this
        # window draws the result that just came back, so compute and drawing overlap.
        self.live = LiveController(self.compute, self)
        self.compute.sigOutcome.connect(self._on_outcome)
        self.compute.sigWarmupProgress.connect(self._on_warmup_progress)
        self.compute.sigWarmupDone.connect(self._on_warmup_done)

        self._build_widgets()
        self.files = attach_files(self, LAYER, settings.recent_workspaces)
        self.raw_data = attach_raw_data(self)
        self._build_status_bar()
        self._build_menus()
        self._restore_layout()
        self.live_window = attach_live(self)
        self.live_panel.restore_choices(settings.live)

        self.model.sigPipelineChanged.connect(self._on_pipeline_changed)
        self.model.sigHistoryChanged.connect(self._on_history_changed)
        self.bank.sigSelectedChanged.connect(self._on_selected_changed)
        self.editor.sigFilterEdited.connect(self._on_filter_edited)
        self.editor.sigMessage.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.params.sigMaxSideChanged.connect(self.set_max_side)
        self.views.sigHoverText.connect(self._on_hover_text)
        self.views.sigOptionsChanged.connect(self._on_view_options_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

        self.bank.select(settings.selected_filter)
        self._on_selected_changed(self.bank.selected_index())
        self._on_history_changed(False, False)
        self.compute.start()
        if not self._open_source(settings.image, remember=False):
            self._open_source(DEFAULT_IMAGE, remember=False)
        if settings.raw is not None and settings.pipeline.input_mode == "raw":
            restore_raw(self, settings.raw, settings.pipeline)
        self._note_layers(self.model.pipeline)
        self.files.watch(self)
        for text in messages:
            self.show_message(text, "warning")

    # ---------------------------------------------------------------- layout

    def _build_widgets(self) -> None:
        self.bank = FilterBankPanel(self.model, LAYER)
        self.editor = KernelEditor()
        self.params = ParameterPanel(self.model, LAYER)
        self.params.set_max_side(self.max_side)
        self.views = MapViewsPanel(self.settings.view)
        self.message_bar = MessageBar()
        self.live_panel = LivePanel(self.live)

        undo_keys = _UndoKeysToWindow(self)
        for spin in self.params.findChildren(QAbstractSpinBox):
            spin.installEventFilter(undo_keys)

        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.setObjectName("leftSplitter")
        self.left_splitter.addWidget(self._titled("Filter bank", self.bank))
        self.left_splitter.addWidget(self._titled("Kernel", self.editor))
        # The editor keeps the height its kernel needs; the bank list takes the rest.
        self.left_splitter.setStretchFactor(0, 1)
        self.left_splitter.setStretchFactor(1, 0)
        self.left_splitter.setChildrenCollapsible(False)

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
        center_layout.addWidget(self.message_bar)
        center_layout.addWidget(self.views, 1)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(center)
        self.main_splitter.addWidget(param_scroll)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setStretchFactor(2, 0)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setSizes([LEFT_WIDTH, DEFAULT_SIZE[0] - LEFT_WIDTH - 360, 360])
        # Tall enough for the tool buttons wrapped at the default width and a 7x7 kernel.
        kernel_box = self.left_splitter.widget(1)
        kernel_height = max(kernel_box.heightForWidth(LEFT_WIDTH), kernel_box.sizeHint().height())
        kernel_height += (KERNEL_ROOM_ROWS - 3) * self.editor.grid.cell_size().height()
        self.left_splitter.setSizes([DEFAULT_SIZE[1] - 90 - kernel_height, kernel_height])
        root = QWidget()
        layout = QVBoxLayout(root)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.live_panel)
        layout.addWidget(self.main_splitter)
        self.setCentralWidget(root)

    @staticmethod
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

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.hover_label = QLabel()
        self.hover_label.setObjectName("hoverLabel")
        self.hover_label.setToolTip("Value under the cursor and its receptive field on the "
                                    "input (outlined in amber).")
        status.addWidget(self.hover_label, 1)
        self.warmup_bar = QProgressBar()
        self.warmup_bar.setMaximumWidth(240)
        self.warmup_bar.setTextVisible(True)
        self.warmup_bar.setFormat("compiling kernels…")
        self.warmup_bar.setToolTip("First start: numba compiles the convolution kernels "
                                   "(cached for next time).")
        status.addPermanentWidget(self.warmup_bar)
        status.addPermanentWidget(self.live_panel.stats_label)
        self.timing_label = QLabel("waiting for the first result…")
        self.timing_label.setObjectName("timingLabel")
        self.timing_label.setToolTip("Compute time of each stage for the last result, and the "
                                     "frames per second the pipeline sustains at this size.")
        status.addPermanentWidget(self.timing_label)

    def _action(self, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "", extra: tuple[str, ...] = ()) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = [QKeySequence(shortcut), *(QKeySequence(k) for k in extra)]
            # A standard key can equal an extra one (Quit is Ctrl+Q on Linux, empty on
            # Windows); the same sequence twice would make the shortcut ambiguous.
            unique = {k.toString(): k for k in keys if not k.isEmpty()}
            action.setShortcuts(list(unique.values()))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.open_action = self._action("&Open image…", self.open_image_dialog,
                                        QKeySequence.StandardKey.Open,
                                        "Open an image file (8/16-bit, gray, RGB or RGBA)")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.raw_data.open_action)
        file_menu.addAction(self.raw_data.edit_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addAction(self.live_panel.open_video_action)
        workspace, bank_io = self.files.workspace, self.files.bank_io
        file_menu.addSeparator()
        file_menu.addAction(workspace.open_action)
        file_menu.addMenu(workspace.recent_menu)
        file_menu.addAction(workspace.save_action)
        file_menu.addAction(workspace.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(bank_io.load_bank_action)
        file_menu.addAction(bank_io.save_bank_action)
        file_menu.addAction(bank_io.import_npy_action)
        file_menu.addMenu(bank_io.export_npy_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.files.exporter.action)
        file_menu.addAction(self.live_panel.record_action)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit,
                                        "Close the window (the session is remembered)",
                                        extra=("Ctrl+Q",))
        file_menu.addAction(self.quit_action)

        edit_menu = menus.addMenu("&Edit")
        self.undo_action = self._action("&Undo", self.model.undo,
                                        QKeySequence.StandardKey.Undo,
                                        "Undo the last change to the filters or parameters")
        self.redo_action = self._action("&Redo", self.model.redo, "Ctrl+Shift+Z",
                                        "Redo the change undone last", extra=("Ctrl+Y",))
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        for action in bank_io.copy_actions.values():
            edit_menu.addAction(action)

        filter_menu = menus.addMenu("F&ilters")
        for action in (self.bank.add_action, self.bank.duplicate_action,
                       self.bank.rename_action, self.bank.delete_action):
            filter_menu.addAction(action)
        filter_menu.addMenu(self.bank.preset_menu)
        filter_menu.addSeparator()
        filter_menu.addAction(self.bank.up_action)
        filter_menu.addAction(self.bank.down_action)
        filter_menu.addSeparator()
        filter_menu.addActions(list(bank_io.kernel_actions))
        bank_io.install_kernel_menu(self.editor.grid)

        samples_menu = menus.addMenu("&Samples")
        samples_menu.setToolTipsVisible(True)
        for sample in sample_images():
            action = samples_menu.addAction(sample.title)
            action.setToolTip(sample.description)
            action.setStatusTip(sample.description)
            action.triggered.connect(
                lambda _=False, key=sample.key: self.open_sample(key))
        samples_menu.addSeparator()
        samples_menu.addMenu(self.raw_data.examples_menu)
        fill_sources_menu(menus.addMenu("S&ources"), self.live_panel)

        view_menu = menus.addMenu("&View")
        cmap_menu = view_menu.addMenu("Colormap")
        self.colormap_actions: dict[str, QAction] = {}
        for key, title in COLORMAPS.items():
            action = self._action(title, lambda _=False, key=key: self.views.set_options(
                ViewOptions(key, self.views.options.mode, self.views.options.shared)),
                tip=f"Colour the feature maps with the {title} colormap")
            self.colormap_actions[key] = action
        mode_menu = view_menu.addMenu("Scale")
        self.scale_actions: dict[str, QAction] = {}
        for key, title in COLOR_MODES.items():
            action = self._action(title, lambda _=False, key=key: self.views.set_options(
                ViewOptions(self.views.options.colormap, key, self.views.options.shared)),
                tip=COLOR_MODE_TIPS[key])
            self.scale_actions[key] = action
        for menu, actions in ((cmap_menu, self.colormap_actions),
                              (mode_menu, self.scale_actions)):
            group = QActionGroup(self)
            for action in actions.values():
                action.setCheckable(True)
                group.addAction(action)
                menu.addAction(action)
        self._check_view_actions(self.views.options)
        view_menu.addAction(self._action("Reset zoom", self.views.reset_zoom, "Ctrl+0",
                                         "Show every image whole"))

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self._action("Keyboard shortcuts", self._show_shortcuts,
                                         "F1", "List the keyboard shortcuts"))
        help_menu.addAction(self._action("About Conv Workbench", self._show_about,
                                         tip="Version, purpose and libraries"))

    def _restore_layout(self) -> None:
        s = self.settings
        if s.geometry:
            self.restoreGeometry(QByteArray(s.geometry))
        if s.window_state:
            self.restoreState(QByteArray(s.window_state))
        if s.splitter_state:
            self.main_splitter.restoreState(QByteArray(s.splitter_state))
        if s.left_splitter_state:
            self.left_splitter.restoreState(QByteArray(s.left_splitter_state))
        self.views.restore_splitter(s.views_splitter_state)

    # ----------------------------------------------------------------- images

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

    def open_image(self, path: str | Path) -> bool:
        """Load an image file as the input; on failure nothing changes.

        Parameters
        ----------
        path : str or pathlib.Path
            Image file.

        Returns
        -------
        bool
            Whether the image was loaded.
        """
        return self._open_source(str(path))

    def open_sample(self, key: str) -> bool:
        """Load a built-in sample image.

        Parameters
        ----------
        key : str
            Sample key, e.g. ``"camera"``.

        Returns
        -------
        bool
            Whether the image was loaded.
        """
        return self._open_source(SAMPLE_PREFIX + key)

    def _open_source(self, source: str, remember: bool = True) -> bool:
        try:
            if source.startswith(SAMPLE_PREFIX):
                path = sample_path(source[len(SAMPLE_PREFIX):])
            else:
                path = Path(source)
            loaded = load_image(path)
        except (ImageLoadError, KeyError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
            self.show_message(f"Could not open the image: {message}. The current image is "
                              "kept.")
            return False
        self.loaded = loaded
        self.image_source = source
        if remember and not source.startswith(SAMPLE_PREFIX):
            self.settings.add_recent(str(Path(source).resolve()))
            self._fill_recent_menu()  # a disabled menu never shows, so never refills itself
        self.live_panel.show_still()  # a still image replaces a running stream
        self._leave_raw()
        self._prepare_input()
        self.statusBar().showMessage(f"Opened {loaded.describe(self.max_side)}", 5000)
        self.files.source_changed(loaded.path.name)
        return True

    def set_max_side(self, max_side: int) -> None:
        """Limit the input's longer side (the image is re-shrunk from the original).

        Parameters
        ----------
        max_side : int
            Pixels.
        """
        self.max_side = max_side
        self.params.set_max_side(max_side)
        if self.loaded is not None:
            self._prepare_input()

    def open_raw(self, raw: RawData, pipeline: Pipeline | None = None) -> None:
        """Make numeric data the input, used as given (input mode ``"raw"``).

        The pipeline change is one undoable step; the data is not resized by the size limit.

        Parameters
        ----------
        raw : RawData
            The data, ``(C, H, W)``.
        pipeline : Pipeline, optional
            The pipeline to show it with (a tutorial example's); by default the current one
            with one kernel slice per data channel (``groups`` kept when it divides C).
        """
        self.live_panel.show_still()  # the data replaces a running stream
        self.raw = raw
        self.views.raw_input = True
        self.params.set_raw_channels(raw.channels)
        new = pipeline if pipeline is not None else set_raw_channels(self.model.pipeline,
                                                                      raw.channels)
        self.model.set_pipeline(with_layer(new))
        self._prepare_input()
        self.statusBar().showMessage(f"Opened {raw.describe()}", 5000)
        self.files.source_changed(raw.name)

    def _leave_raw(self) -> None:
        """Drop raw data for an image or frame: the input is gray or RGB again."""
        self.raw = None
        self.views.raw_input = False
        self.params.set_raw_channels(None)
        if self.model.pipeline.input_mode == "raw":
            self.model.set_pipeline(set_input_mode(self.model.pipeline,
                                                   image_input_mode(self.model.pipeline)))

    def _prepare_input(self) -> None:
        if self.raw is not None:
            self.image_chw = self.raw.values
            self._chw_mode = self.model.pipeline.input_mode
            self.views.set_input(self.image_chw)
            self.params.set_input_size(self.image_chw.shape[1:])
            self._request_compute()
            return
        if self.loaded is None:
            return
        mode = image_input_mode(self.model.pipeline)
        self.image_chw = image_to_chw(self.loaded.limited(self.max_side), mode)  # type: ignore[arg-type]
        self._chw_mode = self.model.pipeline.input_mode
        self.views.set_input(self.image_chw)
        self.params.set_input_size(self.image_chw.shape[1:])
        self._request_compute()

    def _request_compute(self) -> None:
        if self.image_chw is not None and not self._closed:
            self.compute.request(self.image_chw, self.model.pipeline)

    def recompute(self) -> None:
        """Compute the current pipeline on the current input again."""
        self._request_compute()

    def show_frame(self, pixels: np.ndarray, name: str) -> None:
        """Make a live frame the input and compute it now, without the edit debounce.

        Parameter edits, input-mode and size changes then apply to this frame, as to an
        image; the still image's path (:attr:`image_source`) is kept.

        Parameters
        ----------
        pixels : numpy.ndarray
            RGB uint8 ``(H, W, 3)``.
        name : str
            Where it comes from, e.g. ``"clip.mp4"``.
        """
        previous = None if self.image_chw is None else self.image_chw.shape
        self.loaded = LoadedImage(pixels, Path(name))
        if self.raw is not None or self.model.pipeline.input_mode == "raw":
            self._leave_raw()
        mode = image_input_mode(self.model.pipeline)
        self.image_chw = image_to_chw(self.loaded.limited(self.max_side), mode)  # type: ignore[arg-type]
        self._chw_mode = self.model.pipeline.input_mode
        if self.image_chw.shape != previous:
            self.params.set_input_size(self.image_chw.shape[1:])
        if not self._closed:
            self.compute.request(self.image_chw, self.model.pipeline)
            self.compute.flush()

    def show_still(self) -> bool:
        """Show the still image again (after a stream), or the default sample.

        Returns
        -------
        bool
            Whether it could be loaded; otherwise the message bar says why.
        """
        return self._open_source(self.image_source or DEFAULT_IMAGE, remember=False)

    def open_image_dialog(self) -> None:
        """Ask for an image file and open it."""
        patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        start = str(Path(self.image_source).parent) \
            if self.image_source and not self.image_source.startswith(SAMPLE_PREFIX) else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start,
                                              f"Images ({patterns});;All files (*)")
        if path:
            self.open_image(path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            self.recent_menu.addAction(Path(path).name, lambda p=path: self.open_image(p)
                                       ).setStatusTip(path)
        if self.settings.recent_files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self._clear_recent)
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    def _clear_recent(self) -> None:
        self.settings.recent_files = []
        self._fill_recent_menu()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            if Path(files[0]).suffix.lower() in VIDEO_SUFFIXES:
                self.live_panel.open_video(files[0])
            else:
                self.open_image(files[0])

    # ------------------------------------------------------------- pipelines

    def open_pipeline(self, pipeline: Pipeline) -> None:
        """Replace the pipeline (an undoable step).

        Parameters
        ----------
        pipeline : Pipeline
            The new pipeline; an empty one gets one empty layer.
        """
        self.model.set_pipeline(with_layer(pipeline))

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

    def _selected_filter(self) -> Filter | None:
        row = self.bank.selected_index()
        filters = self.model.pipeline.layers[LAYER].filters
        return filters[row] if 0 <= row < len(filters) else None

    def _on_selected_changed(self, _row: int) -> None:
        f = self._selected_filter()
        self.editor.set_filter(f, self.model.pipeline.input_mode)
        self.params.set_kernel(f.kernel_size if f is not None and f.enabled else None)

    def _on_filter_edited(self, f: Filter) -> None:
        row = self.bank.selected_index()
        filters = list(self.model.pipeline.layers[LAYER].filters)
        if not 0 <= row < len(filters):
            return
        filters[row] = f
        self.model.set_pipeline(replace_filters(self.model.pipeline, LAYER, filters))

    def _on_pipeline_changed(self, pipeline: Pipeline) -> None:
        self._on_selected_changed(self.bank.selected_index())
        self._note_layers(pipeline)
        if pipeline.input_mode != self._chw_mode:
            self._prepare_input()
        else:
            self._request_compute()

    def _note_layers(self, pipeline: Pipeline) -> None:
        if len(pipeline.layers) > 1 and len(pipeline.layers) != self._layers_noted:
            self.show_message(f"This pipeline has {len(pipeline.layers)} layers: they all run, "
                              "but the window edits and shows the first one.", "info")
        self._layers_noted = len(pipeline.layers)

    def _on_history_changed(self, can_undo: bool, can_redo: bool) -> None:
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)

    def _on_hover_text(self, text: str) -> None:
        if text:
            self.statusBar().clearMessage()  # a transient message would hide the read-out
        self.hover_label.setText(text)

    def _on_view_options_changed(self, options: ViewOptions) -> None:
        self.settings.view = options
        self._check_view_actions(options)

    def _check_view_actions(self, options: ViewOptions) -> None:
        for actions, key in ((self.colormap_actions, options.colormap),
                             (self.scale_actions, options.mode)):
            if key in actions:
                actions[key].setChecked(True)

    # ---------------------------------------------------------------- compute

    def _on_outcome(self, outcome: ComputeOutcome) -> None:
        if outcome.result is None:
            self.params.set_compute_error(outcome.error)
            self.views.set_error(outcome.error)
            self.sigComputeFailed.emit(outcome.error or "")
            return
        self.params.set_compute_error(None)
        self.views.set_error(None)
        pipeline = outcome.request.pipeline
        self.views.show_result(outcome.result, pipeline.layers[LAYER], LAYER)
        self.last_outcome = outcome
        self.outcomes_shown += 1
        times = outcome.result.layers[LAYER].times
        fps = 1.0 / outcome.seconds if outcome.seconds > 0 else float("inf")
        if times.fused:  # one pass computed conv, activation and pool together
            stages = f"conv+activation+pool {times.conv * 1e3:.1f} ms (fused)"
        else:
            stages = (f"conv {times.conv * 1e3:.1f} ms · activation "
                      f"{times.activation * 1e3:.1f} ms · pool {times.pool * 1e3:.1f} ms")
        self.timing_label.setText(f"{stages} · {fps:.0f} fps")
        self.sigResultShown.emit(outcome)

    def _on_warmup_progress(self, done: int, total: int, name: str) -> None:
        self.warmup_bar.setRange(0, total)
        self.warmup_bar.setValue(done)
        self.warmup_bar.setFormat(f"compiling {name}… %p%")

    def _on_warmup_done(self, seconds: float) -> None:
        self.warmup_bar.hide()
        self.statusBar().showMessage(f"Kernels ready in {seconds:.1f} s", 3000)

    # ----------------------------------------------------------------- closing

    def current_settings(self) -> WorkbenchSettings:
        """Collect the state to remember: pipeline, input, view and live options, layout.

        Returns
        -------
        WorkbenchSettings
            A snapshot (``self.settings`` updated in place).
        """
        s = self.settings
        s.pipeline = self.model.pipeline
        if self.image_source:
            s.image = self.image_source
        s.max_side = self.max_side
        s.view = self.views.options
        s.live = self.live_panel.choices()
        s.raw = raw_spec(self.raw) if self.raw is not None else None
        s.selected_filter = max(self.bank.selected_index(), 0)
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
        if self.info_box is not None:
            self.info_box.close()
        self.live.shutdown()  # finishes a recording; before compute, whose results it takes
        self.compute.stop()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self._closed and not self.files.workspace.may_discard_changes(closing=True):
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)

    def shortcut_list(self) -> list[tuple[str, str]]:
        """List the menu commands that have keyboard shortcuts.

        Returns
        -------
        list of (str, str)
            ``(command, keys)`` in menu order, keys in the platform's notation.
        """
        rows: dict[str, str] = {}
        for menu in self.menuBar().findChildren(QMenu):
            for action in menu.actions():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                 for k in action.shortcuts())
                if keys:
                    rows.setdefault(action.text().replace("&", "").rstrip("…"), keys)
        return list(rows.items())

    def _show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{html.escape(name)}</td><td>&nbsp;&nbsp;<b>"
                       f"{html.escape(keys)}</b></td></tr>" for name, keys in self.shortcut_list())
        grid = ("<p>In the kernel grid: type a number to replace a cell, Enter moves down, "
                "Tab across, Delete clears, Ctrl+C / Ctrl+V copy and paste blocks.</p>")
        self._show_info("Keyboard shortcuts", f"<table>{rows}</table>{grid}")

    def _show_about(self) -> None:
        self._show_info("About Conv Workbench", (
            f"<h3>Conv Workbench {html.escape(__version__)}</h3>"
            "<p>Type filter weights, set stride, padding, dilation, groups, activation and "
            "pooling, and watch every filter's feature map and pooled map on a photo, video "
            "or webcam, with numbers that match PyTorch's conv2d and pooling.</p>"
            "<p>Built with PySide6, pyqtgraph, NumPy, Numba and OpenCV.</p>"))

    def _show_info(self, title: str, text: str) -> None:
        # Not modal: the window keeps updating, and a second request replaces the box.
        if self.info_box is not None:
            self.info_box.close()
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, text,
                          QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.destroyed.connect(lambda _=None, b=box: self._forget_info(b))
        self.info_box = box
        box.show()

    def _forget_info(self, box: QMessageBox) -> None:
        if self.info_box is box:
            self.info_box = None

