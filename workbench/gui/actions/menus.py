"""The window's menu bar: every command in one place, built from the panels' own actions.

Commands live with what they act on (the bank's, the live panel's, the file controllers');
this module only creates the few that belong to no panel (undo, view options, help) and
orders everything into menus.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Protocol

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QSplitter

from workbench.gui.actions.help_boxes import HelpBoxes
from workbench.gui.actions.model_files import ModelFiles
from workbench.gui.actions.raw_data import RawDataActions
from workbench.gui.actions.window_files import WindowFiles
from workbench.gui.appearance import APPEARANCE_TIPS, APPEARANCES, AppearanceController
from workbench.gui.kernel_editor import KernelEditor
from workbench.gui.learning import LearningWindows
from workbench.gui.live.panel import LivePanel
from workbench.gui.panel_toggles import PanelToggle
from workbench.gui.panels.filter_bank import FilterBankPanel
from workbench.gui.panels.layer_strip import LayerStrip
from workbench.gui.qt_actions import make_action
from workbench.gui.settings import WorkbenchSettings
from workbench.gui.views.map_views import MapViewsPanel
from workbench.render import COLOR_MODE_TIPS, COLOR_MODES, COLORMAPS, ViewOptions
from workbench.resources import sample_images
from workbench.session import Session

# Panels the keyboard focus can jump to (View > Go to, Alt+1 .. Alt+4), in that order.
FOCUS_TARGETS: dict[str, str] = {"bank": "&Filter bank", "kernel": "&Kernel grid",
                                 "parameters": "&Parameters", "maps": "&Maps"}

# Panes that fold away (View > Panels): splitter attribute of the window ("views": the map
# panel's own splitter), pane index, title, shortcut, tip.
PANELS: dict[str, tuple[str, int, str, str, str]] = {
    "side": ("main_splitter", 0, "Show &layers, bank and kernel", "Ctrl+Alt+B",
             "Show or fold away the left column (drag its edge to resize)"),
    "parameters": ("main_splitter", 2, "Show &parameters", "Ctrl+Alt+P",
                   "Show or fold away the parameter column on the right"),
    "input": ("views", 0, "Show &input and inspector", "Ctrl+Alt+I",
              "Show or fold away the input image and the arithmetic panel beside the maps"),
}


class MenuHost(Protocol):
    """What the menus are built from: a main window with its panels and controllers."""

    session: Session
    settings: WorkbenchSettings
    bank: FilterBankPanel
    layers: LayerStrip
    editor: KernelEditor
    views: MapViewsPanel
    live_panel: LivePanel
    files: WindowFiles
    raw_data: RawDataActions
    help: HelpBoxes
    learning: LearningWindows
    models: ModelFiles
    main_splitter: QSplitter
    appearance: AppearanceController

    def open_image(self, path: str | Path) -> bool: ...  # noqa: D102
    def open_image_dialog(self) -> None: ...  # noqa: D102
    def focus_panel(self, name: str) -> None: ...  # noqa: D102
    def open_step_through(self) -> None: ...  # noqa: D102
    def open_classroom(self) -> None: ...  # noqa: D102


class WindowMenus:
    """The menu bar of one window, and the actions other parts enable or check.

    Parameters
    ----------
    window : QMainWindow
        The window (a :class:`MenuHost`): its menu bar is filled.
    """

    def __init__(self, window: QMainWindow) -> None:
        host: MenuHost = window  # type: ignore[assignment]
        self._window, self._host = window, host
        session = host.session
        menus = window.menuBar()
        file_menu = menus.addMenu("&File")
        self.open_action = make_action(window, "&Open image…", host.open_image_dialog,
                                       QKeySequence.StandardKey.Open,
                                       "Open an image file (8/16-bit, gray, RGB or RGBA)")
        file_menu.addAction(self.open_action)
        file_menu.addAction(host.raw_data.open_action)
        file_menu.addAction(host.raw_data.edit_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self.fill_recent_images)
        # A disabled menu never shows, so it would never refill itself.
        host.files.recent_images_changed.connect(self.fill_recent_images)
        self.fill_recent_images()
        file_menu.addAction(host.live_panel.open_video_action)
        file_menu.addAction(make_action(
            window, "Open &model…", host.models.open_dialog, "Ctrl+Shift+M",
            "Open the conv layers of an ONNX, Keras, safetensors or PyTorch file and run "
            "them here"))
        self.save_model_action = make_action(
            window, "Save model cop&y…", host.models.save_copy_dialog, None,
            "Write the edited filters into a copy of the opened model, in its format")
        self.save_model_action.setEnabled(False)
        host.models.sigModelChanged.connect(
            lambda model: self.save_model_action.setEnabled(model is not None))
        file_menu.addAction(self.save_model_action)
        workspace, bank_io = host.files.workspace, host.files.bank_io
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
        file_menu.addAction(host.files.exporter.action)
        file_menu.addAction(host.live_panel.record_action)
        file_menu.addSeparator()
        self.quit_action = make_action(window, "&Quit", window.close,
                                       QKeySequence.StandardKey.Quit,
                                       "Close the window (the session is remembered)",
                                       extra=("Ctrl+Q",))
        file_menu.addAction(self.quit_action)

        edit_menu = menus.addMenu("&Edit")
        self.undo_action = make_action(window, "&Undo", session.undo,
                                       QKeySequence.StandardKey.Undo,
                                       "Undo the last change to the input, filters or "
                                       "parameters")
        self.redo_action = make_action(window, "&Redo", session.redo, "Ctrl+Shift+Z",
                                       "Redo the change undone last", extra=("Ctrl+Y",))
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        for action in bank_io.copy_actions.values():
            edit_menu.addAction(action)

        filter_menu = menus.addMenu("F&ilters")
        bank = host.bank
        for action in (bank.add_action, bank.duplicate_action, bank.rename_action,
                       bank.delete_action):
            filter_menu.addAction(action)
        filter_menu.addMenu(bank.preset_menu)
        filter_menu.addSeparator()
        filter_menu.addAction(bank.up_action)
        filter_menu.addAction(bank.down_action)
        filter_menu.addSeparator()
        filter_menu.addActions(list(bank_io.kernel_actions))
        bank_io.install_kernel_menu(host.editor.grid)

        layer_menu = menus.addMenu("&Layers")
        strip = host.layers
        names = ("add", "duplicate", "delete", None, "up", "down", None, "previous", "next")
        for name in names:
            if name is None:
                layer_menu.addSeparator()
            else:
                layer_menu.addAction(strip.actions_by_name[name])
        layer_menu.addSeparator()
        layer_menu.addMenu(strip.presets.menu())

        samples_menu = menus.addMenu("&Samples")
        samples_menu.setToolTipsVisible(True)
        for sample in sample_images():
            action = samples_menu.addAction(sample.title)
            action.setToolTip(sample.description)
            action.setStatusTip(sample.description)
            action.triggered.connect(lambda _=False, key=sample.key: session.open_sample(key))
        samples_menu.addSeparator()
        samples_menu.addMenu(host.raw_data.examples_menu)
        samples_menu.addAction(host.raw_data.leave_tutorial_action)

        sources_menu = menus.addMenu("S&ources")
        panel = host.live_panel
        for name in ("still", "camera", "video", "synthetic"):
            sources_menu.addAction(panel.actions_by_name[name])
        sources_menu.addSeparator()
        for name in ("play", "step", "freeze", "stop"):
            sources_menu.addAction(panel.actions_by_name[name])

        learn_menu = menus.addMenu("Lea&rn")
        learn_menu.setToolTipsVisible(True)
        learn_menu.addAction(make_action(
            window, "&Learn a kernel…", host.learning.show_detective, "Ctrl+Shift+L",
            "Hide a kernel and watch gradient descent find it from its feature map"))
        learn_menu.addAction(make_action(
            window, "&Train a small CNN…", host.learning.show_cnn, "Ctrl+Shift+T",
            "Train conv -> ReLU -> pool -> dense on digits or bars and use its filters"))

        view_menu = menus.addMenu("&View")
        views = host.views
        cmap_menu = view_menu.addMenu("Colormap")
        self.colormap_actions: dict[str, QAction] = {}
        for key, title in COLORMAPS.items():
            self.colormap_actions[key] = make_action(
                window, title, partial(views.set_colormap, key),
                tip=f"Colour the feature maps with the {title} colormap")
        mode_menu = view_menu.addMenu("Scale")
        self.scale_actions: dict[str, QAction] = {}
        for key, title in COLOR_MODES.items():
            self.scale_actions[key] = make_action(
                window, title, partial(views.set_scale_mode, key),
                tip=COLOR_MODE_TIPS[key])
        for menu, actions in ((cmap_menu, self.colormap_actions),
                              (mode_menu, self.scale_actions)):
            group = QActionGroup(window)
            for action in actions.values():
                action.setCheckable(True)
                group.addAction(action)
                menu.addAction(action)
        self.check_view_actions(views.options)
        appearance_menu = view_menu.addMenu("&Appearance")
        appearance_group = QActionGroup(window)
        self.appearance_actions: dict[str, QAction] = {}
        for key, title in APPEARANCES.items():
            action = make_action(window, title, partial(host.appearance.apply, key),
                                 tip=APPEARANCE_TIPS[key])
            action.setCheckable(True)
            action.setChecked(key == host.appearance.key)
            appearance_group.addAction(action)
            appearance_menu.addAction(action)
            self.appearance_actions[key] = action
        view_menu.addSeparator()
        view_menu.addAction(make_action(
            window, "&Larger map size", lambda: views.change_map_size(1),
            QKeySequence.StandardKey.ZoomIn, "Larger feature maps (the grid scrolls)",
            extra=("Ctrl+=",)))
        view_menu.addAction(make_action(
            window, "&Smaller map size", lambda: views.change_map_size(-1),
            QKeySequence.StandardKey.ZoomOut, "Smaller feature maps, more per row"))
        view_menu.addAction(make_action(
            window, "Reset zoom", views.reset_view, "Ctrl+0",
            "Fit the maps to the window and show every image whole"))
        view_menu.addAction(make_action(
            window, "S&tep through the convolution", host.open_step_through, "Ctrl+T",
            "Slide the selected filter over the input one output cell at a time: taps, "
            "products, sum, bias, activation and pooling"))
        view_menu.addAction(make_action(
            window, "Predict, then re&veal…", host.open_classroom, "Ctrl+Shift+R",
            "Classroom mode: hide the maps, ask for a value or the output size, check the "
            "answer, reveal and explain; export a worksheet"))
        panels_menu = view_menu.addMenu("&Panels")
        self.panel_toggles: dict[str, PanelToggle] = {}
        for name, (splitter, index, title, keys, tip) in PANELS.items():
            action = QAction(title, window)
            action.setShortcut(QKeySequence(keys))
            action.setStatusTip(tip)
            action.setToolTip(tip)
            self.panel_toggles[name] = PanelToggle(getattr(host, splitter) if splitter != "views"
                                                   else host.views.splitter, index, action)
            panels_menu.addAction(action)
        focus_menu = view_menu.addMenu("&Go to")
        self.focus_actions: dict[str, QAction] = {}
        for number, (name, title) in enumerate(FOCUS_TARGETS.items(), start=1):
            self.focus_actions[name] = make_action(
                window, title, partial(host.focus_panel, name), f"Alt+{number}",
                f"Move the keyboard focus to the {title.replace('&', '').lower()}")
            focus_menu.addAction(self.focus_actions[name])

        help_menu = menus.addMenu("&Help")
        self.guide_action = make_action(
            window, "&Guide", lambda: host.help.show_guide(host.raw_data.open_example),
            "Shift+F1", "A walk through the window's parts, with links to the tutorials")
        help_menu.addAction(self.guide_action)
        help_menu.addAction(make_action(window, "Keyboard shortcuts", host.help.show_shortcuts,
                                        "F1", "List the keyboard shortcuts"))
        help_menu.addAction(make_action(window, "About Conv Workbench", host.help.show_about,
                                        tip="Version, purpose and libraries"))

    def fill_recent_images(self) -> None:
        """List the recent image files in the Open recent menu."""
        settings = self._host.settings
        self.recent_menu.clear()
        for path in settings.recent_files:
            self.recent_menu.addAction(
                Path(path).name, partial(self._host.open_image, path)).setStatusTip(path)
        if settings.recent_files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self._clear_recent)
        self.recent_menu.setEnabled(bool(settings.recent_files))

    def _clear_recent(self) -> None:
        self._host.settings.recent_files = []
        self.fill_recent_images()

    def check_view_actions(self, options: ViewOptions) -> None:
        """Tick the colormap and scale actions of ``options``.

        Parameters
        ----------
        options : ViewOptions
            The options shown.
        """
        for actions, key in ((self.colormap_actions, options.colormap),
                             (self.scale_actions, options.mode)):
            if key in actions:
                actions[key].setChecked(True)


def build_menus(window: QMainWindow) -> WindowMenus:
    """Fill the menu bar of ``window`` (a :class:`MenuHost`).

    Parameters
    ----------
    window : QMainWindow
        The window; its panels and controllers exist.

    Returns
    -------
    WindowMenus
        The menus and the actions others update.
    """
    return WindowMenus(window)
