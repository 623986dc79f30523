"""Learn a kernel: hide a kernel, start from zeros, watch gradient descent find it.

The hidden kernel is a preset, the filter selected in the bank, or a target image the
user opens (then the learned kernel is the best filter from the input to that image).
The kernel grid, the learned and target maps, the error map and the loss curve update
while training runs in a :class:`TrainingThread`; the window stays responsive, and a
weight typed into the learned grid or a new learning rate applies at the next step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.image import image_to_chw
from workbench.core.pipeline import Filter
from workbench.core.presets import get_preset
from workbench.gui.learning.training_thread import TrainingThread
from workbench.gui.learning.widgets import KernelTable, MapPicture, format_number
from workbench.gui.qt_actions import make_action
from workbench.io.images import read_image
from workbench.learning.detective import (
    HIDDEN_PRESETS,
    STARTS,
    DetectiveProblem,
    detective_problem,
)
from workbench.learning.runs import DetectiveRun, DetectiveSnapshot
from workbench.session import Session

SELECTED = "selected"
TARGET_IMAGE = "target"
CONVERGED = 1e-4  # max |learned - hidden| at which the window says the kernel is found


class DetectiveWindow(QWidget):
    """The "Learn a kernel" window.

    Parameters
    ----------
    session : Session
        Gives the input image and the selected filter; receives a learned kernel on
        "Add to bank".
    parent : QWidget, optional
        The main window (this is a separate top-level window).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Learn a kernel — Conv Workbench")
        self.session = session
        self._target_path: Path | None = None
        self._snapshot: DetectiveSnapshot | None = None
        self._thread: TrainingThread | None = None
        self._build()
        self.resize(1100, 640)

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        controls = QGroupBox("Problem")
        form = QFormLayout(controls)
        self.hidden_combo = QComboBox()
        for key in HIDDEN_PRESETS:
            self.hidden_combo.addItem(f"{get_preset(key).title} (preset)", key)
        self.hidden_combo.addItem("The selected filter, hidden", SELECTED)
        self.hidden_combo.addItem("A target image…", TARGET_IMAGE)
        self.hidden_combo.activated.connect(self._on_hidden_chosen)
        form.addRow("&Hidden kernel:", self.hidden_combo)
        self.start_combo = QComboBox()
        for key in STARTS:
            self.start_combo.addItem(key.capitalize(), key)
        self.start_combo.activated.connect(lambda _=0: self.reset())
        form.addRow("&Start from:", self.start_combo)
        self.kernel_spin = QSpinBox()
        self.kernel_spin.setRange(1, 15)
        self.kernel_spin.setSingleStep(2)
        self.kernel_spin.setValue(3)
        self.kernel_spin.setToolTip("Size of the learned kernel when learning a target image")
        self.kernel_spin.editingFinished.connect(self._kernel_size_changed)
        form.addRow("&Kernel size:", self.kernel_spin)

        training = QGroupBox("Training")
        tform = QFormLayout(training)
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.addItem("SGD with momentum 0.9", "sgd")
        self.optimizer_combo.addItem("Adam", "adam")
        self.optimizer_combo.activated.connect(self._optimizer_changed)
        tform.addRow("&Optimiser:", self.optimizer_combo)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(4)
        self.lr_spin.setRange(0.0001, 10.0)
        self.lr_spin.setSingleStep(0.01)
        self.lr_spin.setValue(0.05)
        self.lr_spin.setToolTip("Each new problem starts with a rate suited to the image "
                                "(2 / the loss curvature for SGD); change it any time")
        self.lr_spin.valueChanged.connect(self._lr_changed)
        tform.addRow("&Learning rate:", self.lr_spin)
        self.rate_spin = QSpinBox()
        self.rate_spin.setRange(0, 1000)
        self.rate_spin.setValue(60)
        self.rate_spin.setSpecialValueText("as fast as possible")
        self.rate_spin.setSuffix(" steps/s")
        self.rate_spin.valueChanged.connect(self._rate_changed)
        tform.addRow("Spee&d:", self.rate_spin)

        self.train_button = QPushButton("&Train")
        self.train_button.setToolTip("Start or pause gradient descent (Space)")
        self.train_button.clicked.connect(self.toggle_training)
        self.step_button = QPushButton("St&ep")
        self.step_button.setToolTip("One gradient-descent step (paused)")
        self.step_button.clicked.connect(self.step_once)
        self.reset_button = QPushButton("&Reset")
        self.reset_button.setToolTip("Back to the starting kernel (Ctrl+R)")
        self.reset_button.clicked.connect(self.reset)
        self.reveal_box = QCheckBox("Re&veal the hidden kernel")
        self.reveal_box.toggled.connect(lambda _=False: self._redraw_hidden())
        self.use_button = QPushButton("&Add to bank")
        self.use_button.setToolTip("Add the learned kernel as a new filter of the selected "
                                   "layer in the main window")
        self.use_button.clicked.connect(self.add_to_bank)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.step_button, self.reset_button):
            buttons.addWidget(button)

        left = QVBoxLayout()
        left.addWidget(controls)
        left.addWidget(training)
        left.addLayout(buttons)
        left.addWidget(self.reveal_box)
        left.addWidget(self.use_button)
        self.status = QLabel("Press Train to start.")
        self.status.setWordWrap(True)
        left.addWidget(self.status)
        left.addStretch(1)

        self.learned_table = KernelTable(editable=True, on_edit=self._weight_typed)
        self.learned_table.setToolTip("The kernel being learned; type a weight to move it "
                                      "(training continues from it)")
        self.hidden_table = KernelTable()
        kernels = QGridLayout()
        kernels.addWidget(QLabel("<b>Learned kernel</b>"), 0, 0)
        kernels.addWidget(self.learned_table, 1, 0)
        self.hidden_label = QLabel("<b>Hidden kernel</b>")
        kernels.addWidget(self.hidden_label, 2, 0)
        kernels.addWidget(self.hidden_table, 3, 0)

        self.learned_map = MapPicture("Learned kernel's map")
        self.target_map = MapPicture("Target map")
        self.error_map = MapPicture("Error (learned − target)", mode="symmetric",
                                    colormap="CET-D1")
        self.loss_plot = pg.PlotWidget(title="Loss (mean squared error)")
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.3)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        maps = QGridLayout()
        maps.addWidget(self.learned_map, 0, 0)
        maps.addWidget(self.target_map, 0, 1)
        maps.addWidget(self.error_map, 1, 0)
        maps.addWidget(self.loss_plot, 1, 1)

        root = QHBoxLayout(self)
        root.addLayout(left, 0)
        root.addLayout(kernels, 1)
        root.addLayout(maps, 3)

        self.addAction(make_action(self, "Train or pause", self.toggle_training, "Space",
                                   context=Qt.ShortcutContext.WindowShortcut))
        self.addAction(make_action(self, "Reset", self.reset, "Ctrl+R"))
        self.addAction(make_action(self, "Close", self.close, QKeySequence.StandardKey.Close,
                                   extra=("Esc",)))

    # ------------------------------------------------------------ the run

    def _make_problem(self) -> DetectiveProblem:
        image = self.session.tensor
        if image is None:
            raise ValueError("open an image first: the kernel is learned on the input image")
        key = self.hidden_combo.currentData()
        start = self.start_combo.currentData()
        if key == TARGET_IMAGE:
            if self._target_path is None:
                raise ValueError("choose a target image first")
            target = image_to_chw(read_image(self._target_path), "gray")[0]
            size = self.kernel_spin.value()
            return detective_problem(image, target_image=target, kernel_size=(size, size),
                                     start=start)
        if key == SELECTED:
            pipeline, sel = self.session.pipeline, self.session.selection
            filters = pipeline.layers[sel.layer].filters if pipeline.layers else ()
            if not filters or sel.filter < 0:
                raise ValueError("the selected layer has no filter to hide")
            chosen = filters[sel.filter]
            hidden = Filter(chosen.name, chosen.weight[min(sel.channel, chosen.channels - 1)]
                            [None])
            return detective_problem(image, hidden, start=start)
        return detective_problem(image, str(key), start=start)

    def _make_run(self) -> DetectiveRun:
        return DetectiveRun(self._make_problem(), self.optimizer_combo.currentData())

    def _ensure_thread(self) -> TrainingThread:
        if self._thread is None:
            thread = TrainingThread(self._make_run, self)
            thread.snapshot_ready.connect(self._on_snapshot)
            thread.failed.connect(self._on_failed)
            thread.running_changed.connect(self._on_running_changed)
            thread.set_rate(self.rate_spin.value())
            thread.start()
            self._thread = thread
        return self._thread

    def start(self) -> None:
        """Build the problem (if needed) and show its first state, paused."""
        self._ensure_thread()

    def toggle_training(self) -> None:
        """Start or pause training."""
        thread = self._ensure_thread()
        thread.set_running(not thread.running)

    def step_once(self) -> None:
        """Take one step."""
        thread = self._ensure_thread()
        if thread.running:
            thread.set_running(False)
        thread.step_once()

    def reset(self) -> None:
        """Start the problem afresh (with the current choices)."""
        if self._thread is None:
            self._ensure_thread()
        else:
            self._thread.reset()
        self.status.setText("Reset: press Train to start.")

    def add_to_bank(self) -> None:
        """Add the learned kernel to the selected layer of the main window's bank."""
        snap = self._snapshot
        if snap is None:
            self.status.setText("Nothing learned yet: press Train first.")
            return
        name = f"learned ({self.hidden_combo.currentText().removesuffix(' (preset)')})"
        if self.session.add_learned_filter(Filter(name, snap.weight[None])):
            self.status.setText(f"Added “{name}” to the bank of the main window "
                                "(Ctrl+Z there undoes it).")

    # ------------------------------------------------------------ edits

    def _on_hidden_chosen(self, _index: int) -> None:
        if self.hidden_combo.currentData() == TARGET_IMAGE:
            path, _ = QFileDialog.getOpenFileName(
                self, "Target image (the map the kernel should make)", "",
                "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff)")
            if not path:
                self.hidden_combo.setCurrentIndex(0)
                return
            self._target_path = Path(path)
        self.reset()

    def _kernel_size_changed(self) -> None:
        if self.hidden_combo.currentData() == TARGET_IMAGE:
            self.reset()

    def _optimizer_changed(self, _index: int) -> None:
        name = self.optimizer_combo.currentData()
        if self._thread is not None:
            self._thread.send(lambda run: run.set_optimizer(name))
            self._thread.send(lambda run: run.set_lr(self.lr_spin.value()))

    def _lr_changed(self, value: float) -> None:
        if self._thread is not None:
            self._thread.send(lambda run: run.set_lr(value))

    def _rate_changed(self, value: int) -> None:
        if self._thread is not None:
            self._thread.set_rate(value)

    def _weight_typed(self, row: int, col: int, value: float) -> None:
        if self._thread is not None:
            self._thread.send(lambda run: run.set_weight(row, col, value))

    # ------------------------------------------------------------ drawing

    @Slot(object)
    def _on_snapshot(self, snap: DetectiveSnapshot) -> None:
        self._snapshot = snap
        if snap.step == 0 and abs(self.lr_spin.value() - snap.lr) > 1e-9:
            self.lr_spin.blockSignals(True)
            self.lr_spin.setValue(snap.lr)
            self.lr_spin.blockSignals(False)
        self.learned_table.show_kernel(snap.weight)
        self._redraw_hidden()
        self.learned_map.show_map(snap.learned_map)
        self.target_map.show_map(snap.target_map)
        self.error_map.show_map(snap.learned_map - snap.target_map)
        if snap.losses.size:
            steps = np.arange(1, snap.losses.size + 1)
            positive = np.maximum(snap.losses, 1e-30)
            self.loss_curve.setData(steps, positive)
        else:
            self.loss_curve.setData([], [])
        parts = [f"step {snap.step}"]
        if snap.losses.size:
            parts.append(f"loss {format_number(float(snap.losses[-1]))}")
        if snap.weight_error is not None:
            parts.append(f"max |learned − hidden| {format_number(snap.weight_error)}")
        if snap.steps_per_second:
            parts.append(f"{snap.steps_per_second:.0f} steps/s")
        text = " · ".join(parts)
        if snap.weight_error is not None and snap.weight_error < CONVERGED:
            text += " — found it: the learned kernel equals the hidden one."
        self.status.setText(text)

    def _redraw_hidden(self) -> None:
        snap = self._snapshot
        if snap is None or snap.hidden is None:
            self.hidden_label.setText("<b>Hidden kernel</b> (none: learning a target image)")
            self.hidden_table.show_kernel(None)
            self.reveal_box.setEnabled(False)
            return
        self.reveal_box.setEnabled(True)
        reveal = self.reveal_box.isChecked() or (snap.weight_error is not None
                                                 and snap.weight_error < CONVERGED)
        self.hidden_label.setText("<b>Hidden kernel</b>" + ("" if reveal else " (hidden)"))
        self.hidden_table.show_kernel(snap.hidden, hidden=not reveal)

    @Slot(str)
    def _on_failed(self, text: str) -> None:
        self.status.setText(f"Stopped: {text}")

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.train_button.setText("&Pause" if running else "&Train")
        self.step_button.setEnabled(not running)

    def shutdown(self) -> None:
        """Stop and join the training thread."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._thread is not None:
            self._thread.set_running(False)
        super().closeEvent(event)
