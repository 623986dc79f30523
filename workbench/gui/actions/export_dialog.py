"""File > Export maps…: choose stages, filters, formats, folder and names; preview; export.

The dialog plans the export with :func:`workbench.io.plan_export` on every change and lists
the file names it will write, marking those that exist. Exporting asks once before
replacing existing files, then writes everything through :func:`workbench.io.export_maps`
(all files or none) behind a cancellable progress dialog. Problems are shown inside the
dialog, which stays open so another folder or pattern can be tried.

Encoding runs on the GUI thread: export_maps encodes one file per progress step, so the
progress dialog keeps the window responsive between files and its Cancel button works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import Pipeline, PipelineResult
from workbench.gui.actions import file_prompts
from workbench.gui.appearance import set_kind, tones
from workbench.io.errors import ExportCancelled
from workbench.io.maps import ExportOptions, PlannedFile, export_maps, plan_export
from workbench.io.naming import DEFAULT_PATTERN, MAP_FIELDS
from workbench.render import ViewOptions, describe_view

STAGE_TITLES: dict[str, str] = {
    "input": "Input image",
    "conv": "Conv maps (before activation)",
    "activated": "Activated maps",
    "pooled": "Pooled maps",
}
FORMAT_TITLES: dict[str, str] = {
    "png": "PNG as displayed",
    "png16": "PNG 16-bit (scale in a .json next to it)",
    "tiff": "TIFF float32 (exact values)",
    "npy": "NPY float32 (exact values)",
    "npz": "NPZ: every map in one file, with the pipeline",
    "montage": "Montage PNG: one labelled sheet",
}
DEFAULT_FOLDER = Path.home() / "conv-workbench-export"
PREVIEW_DELAY_MS = 150  # typing a pattern re-plans once the keys stop


@dataclass
class ExportChoices:
    """What the dialog remembers between openings (within a session)."""

    folder: str = str(DEFAULT_FOLDER)
    pattern: str = DEFAULT_PATTERN
    formats: tuple[str, ...] = ("png",)
    stages: tuple[str, ...] | None = None  # None: conv, activated, and pooled if pooling
    unchecked_filters: set[str] = field(default_factory=set)
    layer: int = 1


def export_with_progress(parent: QWidget | None, result: PipelineResult, pipeline: Pipeline,
                         source: str, options: ExportOptions) -> list[Path]:
    """Run :func:`workbench.io.export_maps` behind a cancellable progress dialog.

    Parameters
    ----------
    parent : QWidget or None
        Parent of the progress dialog (it is window-modal).
    result : PipelineResult
        The maps.
    pipeline : Pipeline
        The pipeline that produced them.
    source : str
        Name of the input for ``{source}``.
    options : ExportOptions
        What to write.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ExportCancelled
        If Cancel was pressed (nothing written).
    ExportError, FileExistsError, ValueError
        As :func:`workbench.io.export_maps` (nothing written).
    """
    progress = QProgressDialog("Exporting maps…", "Cancel", 0, 1, parent)
    progress.setWindowTitle("Export maps")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    progress.setAutoClose(False)
    progress.setAutoReset(False)

    def report(done: int, total: int) -> bool:
        progress.setMaximum(max(total, 1))
        progress.setLabelText(f"Exporting maps… file {done} of {total}")
        progress.setValue(done)
        QApplication.processEvents()
        return not progress.wasCanceled()

    try:
        return export_maps(result, pipeline, source, options, progress=report)
    finally:
        progress.close()
        progress.deleteLater()


class ExportMapsDialog(QDialog):
    """Choose what to export and where, see the file names, export.

    Parameters
    ----------
    result : PipelineResult
        The window's current result.
    pipeline : Pipeline
        The pipeline that produced it.
    source : str
        Name of the input (``{source}``).
    view : ViewOptions
        How the window colours the maps (used by "PNG as displayed" and the montage).
    choices : ExportChoices, optional
        Previous choices to start from.
    parent : QWidget, optional
        Parent window.
    levels : tuple of float, optional
        The window's shared levels, when it shares one scale over the maps.

    Notes
    -----
    ``result`` is kept as :attr:`map_result`: ``QDialog.result()`` already has that name.
    """

    def __init__(self, result: PipelineResult, pipeline: Pipeline, source: str,
                 view: ViewOptions, choices: ExportChoices | None = None,
                 parent: QWidget | None = None, *,
                 levels: tuple[float, float] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export maps")
        self.map_result = result
        self.pipeline = pipeline
        self.source = source
        self.map_view = view
        self.map_levels = levels
        self.written: list[Path] = []
        self._planned: list[PlannedFile] = []
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)
        self._build()
        self._restore(choices or ExportChoices())
        self.update_preview()

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        self.layer_combo = QComboBox()
        for n, layer in enumerate(self.map_result.layers, 1):
            self.layer_combo.addItem(f"Layer {n} ({len(layer.filter_names)} maps)", n)
        self.layer_combo.currentIndexChanged.connect(self._on_layer_changed)
        self.layer_row = QWidget()
        layer_layout = QHBoxLayout(self.layer_row)
        layer_layout.setContentsMargins(0, 0, 0, 0)
        layer_layout.addWidget(QLabel("Layer"))
        layer_layout.addWidget(self.layer_combo, 1)
        self.layer_row.setVisible(len(self.map_result.layers) > 1)

        self.stage_checks: dict[str, QCheckBox] = {}
        stages_box = QGroupBox("Stages")
        stages_layout = QVBoxLayout(stages_box)
        for key, title in STAGE_TITLES.items():
            check = QCheckBox(title)
            check.toggled.connect(self._schedule_preview)
            self.stage_checks[key] = check
            stages_layout.addWidget(check)
        stages_layout.addStretch(1)
        self.stage_checks["input"].setToolTip("The (C, H, W) input tensor the pipeline saw.")
        self.stage_checks["pooled"].setToolTip("After pooling; without pooling these equal the "
                                               "activated maps.")

        filters_box = QGroupBox("Filters")
        filters_layout = QVBoxLayout(filters_box)
        filters_layout.addWidget(self.layer_row)
        self.filter_list = QListWidget()
        self.filter_list.setObjectName("exportFilters")
        self.filter_list.setMinimumHeight(120)
        self.filter_list.itemChanged.connect(self._schedule_preview)
        filters_layout.addWidget(self.filter_list, 1)
        pick = QHBoxLayout()
        self.all_button = QPushButton("&All")
        self.all_button.clicked.connect(lambda: self._check_all_filters(True))
        self.none_button = QPushButton("&None")
        self.none_button.clicked.connect(lambda: self._check_all_filters(False))
        pick.addWidget(self.all_button)
        pick.addWidget(self.none_button)
        pick.addStretch(1)
        filters_layout.addLayout(pick)

        self.format_checks: dict[str, QCheckBox] = {}
        formats_box = QGroupBox("Formats")
        formats_layout = QVBoxLayout(formats_box)
        for key, title in FORMAT_TITLES.items():
            check = QCheckBox(title)
            check.toggled.connect(self._schedule_preview)
            self.format_checks[key] = check
            formats_layout.addWidget(check)
        self.style_label = QLabel(f"PNG colours: {describe_view(self.map_view, self.map_levels)}")
        self.style_label.setStyleSheet("color: palette(placeholder-text);")
        self.style_label.setToolTip("PNG as displayed and the montage use the window's "
                                    "colormap and scaling.")
        self.format_checks["png"].setToolTip("8-bit, with the window's colormap and scaling.")
        self.format_checks["montage"].setToolTip("The chosen maps in a grid, one row per "
                                                 "filter, with titles.")
        formats_layout.addWidget(self.style_label)
        formats_layout.addStretch(1)

        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("exportFolder")
        self.folder_edit.textChanged.connect(self._schedule_preview)
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        self.pattern_edit = QLineEdit()
        self.pattern_edit.setObjectName("exportPattern")
        self.pattern_edit.textChanged.connect(self._schedule_preview)
        default = QPushButton("&Default")
        default.setToolTip(f"Back to {DEFAULT_PATTERN}")
        default.clicked.connect(lambda: self.pattern_edit.setText(DEFAULT_PATTERN))
        fields = " ".join("{" + f + "}" for f in MAP_FIELDS)
        hint = QLabel(f"Placeholders: {fields}  ({{index}} is the filter number, e.g. "
                      "{index:02d})")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        where_box = QGroupBox("Destination")
        where = QGridLayout(where_box)
        where.addWidget(QLabel("Folder"), 0, 0)
        where.addWidget(self.folder_edit, 0, 1)
        where.addWidget(browse, 0, 2)
        where.addWidget(QLabel("File names"), 1, 0)
        where.addWidget(self.pattern_edit, 1, 1)
        where.addWidget(default, 1, 2)
        where.addWidget(hint, 2, 1, 1, 2)
        where.setColumnStretch(1, 1)

        preview_box = QGroupBox("Files to write")
        preview_layout = QVBoxLayout(preview_box)
        self.preview_list = QListWidget()
        self.preview_list.setObjectName("exportPreview")
        self.preview_list.setMinimumHeight(140)
        self.preview_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        preview_layout.addWidget(self.preview_list, 1)
        preview_layout.addWidget(self.summary_label)

        self.error_label = QLabel()
        self.error_label.setObjectName("exportError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("&Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(stages_box)
        top.addWidget(filters_box, 1)
        top.addWidget(formats_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(where_box)
        layout.addWidget(preview_box, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(860, 640)

    def _restore(self, choices: ExportChoices) -> None:
        layer = min(max(choices.layer, 1), len(self.map_result.layers))
        self.layer_combo.blockSignals(True)
        self.layer_combo.setCurrentIndex(layer - 1)
        self.layer_combo.blockSignals(False)
        self._fill_filters(layer, choices.unchecked_filters)
        stages = choices.stages
        if stages is None:
            pooling = self.pipeline.layers[layer - 1].pool.kind != "none"
            stages = ("conv", "activated", "pooled") if pooling else ("conv", "activated")
        for key, check in self.stage_checks.items():
            check.setChecked(key in stages)
        for key, check in self.format_checks.items():
            check.setChecked(key in choices.formats)
        self.folder_edit.setText(choices.folder)
        self.pattern_edit.setText(choices.pattern)

    def _fill_filters(self, layer: int, unchecked: set[str]) -> None:
        self.filter_list.blockSignals(True)
        self.filter_list.clear()
        for i, name in enumerate(self.map_result.layers[layer - 1].filter_names):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if name in unchecked
                               else Qt.CheckState.Checked)
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.filter_list.addItem(item)
        self.filter_list.blockSignals(False)

    # ------------------------------------------------------------ choices

    @property
    def layer(self) -> int:
        """The chosen layer, 1-based."""
        return int(self.layer_combo.currentData())

    def checked_filters(self) -> tuple[int, ...]:
        """0-based indices (into the layer's maps) of the ticked filters."""
        return tuple(int(item.data(Qt.ItemDataRole.UserRole))
                     for item in self._filter_items()
                     if item.checkState() == Qt.CheckState.Checked)

    def set_filters_checked(self, indices: set[int]) -> None:
        """Tick exactly the filters at ``indices`` (0-based)."""
        for item in self._filter_items():
            on = int(item.data(Qt.ItemDataRole.UserRole)) in indices
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def set_stages(self, stages: tuple[str, ...]) -> None:
        """Tick exactly ``stages`` (keys of :data:`STAGE_TITLES`)."""
        for key, check in self.stage_checks.items():
            check.setChecked(key in stages)

    def set_formats(self, formats: tuple[str, ...]) -> None:
        """Tick exactly ``formats`` (keys of :data:`FORMAT_TITLES`)."""
        for key, check in self.format_checks.items():
            check.setChecked(key in formats)

    def _filter_items(self) -> list[QListWidgetItem]:
        return [self.filter_list.item(i) for i in range(self.filter_list.count())]

    def options(self, overwrite: bool = False) -> ExportOptions:
        """Build the export options from the controls.

        Parameters
        ----------
        overwrite : bool, optional
            Whether existing files may be replaced.

        Returns
        -------
        ExportOptions
            For :func:`workbench.io.export_maps`.

        Raises
        ------
        ValueError
            If no stage, format or filter is ticked, the folder is empty, or the pattern is
            invalid (the message says which).
        """
        stages = tuple(k for k, c in self.stage_checks.items() if c.isChecked())
        formats = tuple(k for k, c in self.format_checks.items() if c.isChecked())
        filters = self.checked_filters()
        folder = self.folder_edit.text().strip()
        if not stages:
            raise ValueError("tick at least one stage")
        if not formats:
            raise ValueError("tick at least one format")
        if not filters and stages != ("input",):
            raise ValueError("tick at least one filter")
        if not folder:
            raise ValueError("choose a folder")
        return ExportOptions(Path(folder).expanduser(), formats, stages, filters,
                             (self.layer,), self.pattern_edit.text(), view=self.map_view,
                             levels=self.map_levels,
                             overwrite=overwrite)

    def choices(self) -> ExportChoices:
        """Return the current choices, to start the next export from."""
        names = self.map_result.layers[self.layer - 1].filter_names
        ticked = set(self.checked_filters())
        return ExportChoices(
            folder=self.folder_edit.text().strip() or str(DEFAULT_FOLDER),
            pattern=self.pattern_edit.text() or DEFAULT_PATTERN,
            formats=tuple(k for k, c in self.format_checks.items() if c.isChecked()),
            stages=tuple(k for k, c in self.stage_checks.items() if c.isChecked()),
            unchecked_filters={n for i, n in enumerate(names) if i not in ticked},
            layer=self.layer)

    # ------------------------------------------------------------ preview

    def _schedule_preview(self) -> None:
        self.show_error("")  # a changed choice makes the last failure's message stale
        self._preview_timer.start()

    def update_preview(self) -> list[PlannedFile]:
        """Plan the export and list its files; problems disable Export and are shown.

        Returns
        -------
        list of PlannedFile
            The files the export would write (empty if it cannot run).
        """
        self._preview_timer.stop()
        self.preview_list.clear()
        self._planned = []
        try:
            self._planned = plan_export(self.map_result, self.pipeline, self.source,
                                        self.options(overwrite=True))
        except ValueError as exc:
            self.summary_label.setText(f"Cannot export: {exc}.")
            set_kind(self.summary_label, "tone", "error")
            self.export_button.setEnabled(False)
            return []
        existing = 0
        for planned in self._planned:
            exists = planned.path.exists()
            existing += exists
            item = QListWidgetItem(planned.path.name + ("   (exists)" if exists else ""))
            if exists:
                item.setForeground(QColor(tones(self).warning))
            item.setToolTip(str(planned.path))
            self.preview_list.addItem(item)
        count = len(self._planned)
        text = f"{count} file{'s' if count != 1 else ''} in {self._planned[0].path.parent}"
        if existing == 1:
            text += "; 1 already exists (you will be asked before it is replaced)"
        elif existing:
            text += f"; {existing} already exist (you will be asked before they are replaced)"
        self.summary_label.setText(text + ".")
        set_kind(self.summary_label, "tone", "")
        self.export_button.setEnabled(True)
        return self._planned

    # ------------------------------------------------------------ actions

    def _on_layer_changed(self) -> None:
        self._fill_filters(self.layer, set())
        self._schedule_preview()

    def _check_all_filters(self, on: bool) -> None:
        self.filter_list.blockSignals(True)
        for item in self._filter_items():
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.filter_list.blockSignals(False)
        self._schedule_preview()

    def _browse(self) -> None:
        folder = file_prompts.ask_folder(self, "Export maps to folder",
                                         self.folder_edit.text().strip())
        if folder:
            self.folder_edit.setText(folder)

    def show_error(self, text: str) -> None:
        """Show why the export did not happen (inside the dialog).

        Parameters
        ----------
        text : str
            The reason.
        """
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def export(self) -> bool:
        """Write the files, asking first if any exist; close the dialog on success.

        Returns
        -------
        bool
            Whether the files were written.
        """
        self.show_error("")
        planned = self.update_preview()
        if not planned:
            return False
        existing = [p.path for p in planned if p.path.exists() or p.path.is_symlink()]
        if existing and not file_prompts.confirm_overwrite(self, existing):
            return False
        try:
            options = self.options(overwrite=bool(existing))
            self.written = export_with_progress(self, self.map_result, self.pipeline, self.source,
                                                options)
        except ExportCancelled:
            self.show_error("Export cancelled; nothing was written.")
            return False
        except (OSError, ValueError) as exc:
            self.show_error(f"Nothing was exported: {exc}")
            self.update_preview()
            return False
        self.accept()
        return True


@dataclass(frozen=True)
class ExportSnapshot:
    """What an export starts from: the shown result, its pipeline, the input name, the colours.

    ``levels`` are the window's shared levels (``None`` when each map has its own).
    """

    result: PipelineResult
    pipeline: Pipeline
    source: str
    view: ViewOptions
    levels: tuple[float, float] | None = None


class MapsExporter(QObject):
    """Owns File > Export maps… (Ctrl+E) and remembers the choices between exports.

    Parameters
    ----------
    window : QWidget
        Parent of the dialog.
    snapshot : callable
        Returns an :class:`ExportSnapshot` of what the window shows, or a string saying why
        there is nothing to export.
    notify : callable
        Shows a status message (what was written).
    warn : callable
        Shows a problem (why the dialog did not open).
    """

    def __init__(self, window: QWidget, snapshot: Callable[[], ExportSnapshot | str],
                 notify: Callable[[str], object], warn: Callable[[str], object]) -> None:
        super().__init__(window)
        self._window = window
        self._snapshot = snapshot
        self._notify = notify
        self._warn = warn
        self.choices = ExportChoices()
        self.dialog: ExportMapsDialog | None = None
        self.action = QAction("E&xport maps…", self)
        self.action.setShortcut(QKeySequence("Ctrl+E"))
        tip = "Write the maps shown as PNG, 16-bit PNG, TIFF, NPY, NPZ or a montage"
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)
        self.action.triggered.connect(self.open_dialog)

    def open_dialog(self) -> ExportMapsDialog | None:
        """Open the export dialog on the current result (window-modal, not blocking).

        Returns
        -------
        ExportMapsDialog or None
            The dialog, or None if there is nothing to export (the reason is shown).
        """
        snap = self._snapshot()
        if isinstance(snap, str):
            self._warn(snap)
            return None
        if self.dialog is not None:
            self.dialog.close()
        dialog = ExportMapsDialog(snap.result, snap.pipeline, snap.source, snap.view,
                                  self.choices, self._window, levels=snap.levels)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _code, d=dialog: self._on_finished(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_finished(self, dialog: ExportMapsDialog) -> None:
        self.choices = dialog.choices()
        if dialog.written:
            folder = dialog.written[0].parent
            count = len(dialog.written)
            self._notify(f"Exported {count} file{'s' if count != 1 else ''} to {folder}")
        if self.dialog is dialog:
            self.dialog = None
