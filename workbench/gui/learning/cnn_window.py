"""Train a small CNN: conv -> ReLU -> pool (x1 or x2) -> dense -> softmax on a bundled set.

Loss and accuracy curves, the test confusion matrix and the first layer's filters
update while a :class:`TrainingThread` trains; "Use these filters" makes the trained
conv layers the main window's pipeline, where every view and export works on them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.pipeline import Pipeline
from workbench.gui.learning.training_thread import TrainingThread
from workbench.gui.learning.widgets import MapPicture
from workbench.gui.qt_actions import make_action
from workbench.learning.cnn import CnnSpec, learned_bank
from workbench.learning.datasets import DATASETS, load_dataset
from workbench.learning.runs import CnnRun, CnnSnapshot
from workbench.session import Session

SMOOTH_STEPS = 20


def filter_montage(weights: np.ndarray, scale: int = 8, gap: int = 2) -> np.ndarray:
    """Tile the first slice of each filter, each scaled to its own [-1, 1], with gaps.

    Parameters
    ----------
    weights : numpy.ndarray
        ``(F, C, k, k)`` filters.
    scale : int, optional
        Pixels per weight.
    gap : int, optional
        Pixels between tiles (value 0).

    Returns
    -------
    numpy.ndarray
        float32 2-D montage in [-1, 1], up to 4 tiles per row.
    """
    count, _, kh, kw = weights.shape
    cols = min(4, count)
    rows = -(-count // cols)
    th, tw = kh * scale, kw * scale
    out = np.zeros((rows * (th + gap) - gap, cols * (tw + gap) - gap), np.float32)
    for i in range(count):
        w = weights[i, 0]
        limit = float(np.max(np.abs(w))) or 1.0
        tile = np.kron(w / limit, np.ones((scale, scale), np.float32))
        r, c = divmod(i, cols)
        out[r * (th + gap):r * (th + gap) + th, c * (tw + gap):c * (tw + gap) + tw] = tile
    return out


def _smooth(values: np.ndarray, n: int) -> np.ndarray:
    if values.size < n:
        return values
    kernel = np.ones(n) / n
    return np.convolve(values, kernel, mode="valid")


class CnnWindow(QWidget):
    """The "Train a small CNN" window.

    Parameters
    ----------
    session : Session
        Receives the trained conv layers on "Use these filters".
    parent : QWidget, optional
        The main window (this is a separate top-level window).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Train a small CNN — Conv Workbench")
        self.session = session
        self._thread: TrainingThread | None = None
        self._snapshot: CnnSnapshot | None = None
        self._pipeline_source: str = ""
        self._build()
        self.resize(1150, 680)

    def _build(self) -> None:
        net = QGroupBox("Network and data")
        form = QFormLayout(net)
        self.dataset_combo = QComboBox()
        for key, (title, _) in DATASETS.items():
            self.dataset_combo.addItem(title, key)
        self.dataset_combo.activated.connect(lambda _=0: self.reset())
        form.addRow("&Data set:", self.dataset_combo)
        self.filters_spin = QSpinBox()
        self.filters_spin.setRange(1, 32)
        self.filters_spin.setValue(8)
        form.addRow("&Filters in layer 1:", self.filters_spin)
        self.second_box = QCheckBox("Second conv block with")
        self.second_box.setChecked(True)
        self.filters2_spin = QSpinBox()
        self.filters2_spin.setRange(1, 64)
        self.filters2_spin.setValue(16)
        self.filters2_spin.setSuffix(" filters")
        second = QHBoxLayout()
        second.addWidget(self.second_box)
        second.addWidget(self.filters2_spin)
        form.addRow(second)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 100)
        self.epochs_spin.setValue(6)
        form.addRow("&Epochs:", self.epochs_spin)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 1024)
        self.batch_spin.setValue(32)
        form.addRow("&Batch size:", self.batch_spin)
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.addItem("Adam", "adam")
        self.optimizer_combo.addItem("SGD with momentum 0.9", "sgd")
        form.addRow("&Optimiser:", self.optimizer_combo)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(4)
        self.lr_spin.setRange(0.0001, 5.0)
        self.lr_spin.setSingleStep(0.001)
        self.lr_spin.setValue(0.01)
        self.lr_spin.valueChanged.connect(self._lr_changed)
        form.addRow("&Learning rate:", self.lr_spin)
        for widget in (self.filters_spin, self.filters2_spin, self.epochs_spin,
                       self.batch_spin):
            widget.editingFinished.connect(self._settings_edited)
        self.second_box.toggled.connect(lambda _=False: self._settings_edited())
        self.optimizer_combo.activated.connect(lambda _=0: self._settings_edited())

        self.train_button = QPushButton("&Train")
        self.train_button.setToolTip("Start or pause training (Space)")
        self.train_button.clicked.connect(self.toggle_training)
        self.reset_button = QPushButton("&Reset")
        self.reset_button.setToolTip("New random weights with these settings (Ctrl+R)")
        self.reset_button.clicked.connect(self.reset)
        self.use_button = QPushButton("&Use these filters")
        self.use_button.setToolTip("Make the trained conv layers the main window's pipeline")
        self.use_button.clicked.connect(self.use_filters)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.reset_button)
        self.status = QLabel("Press Train to start.")
        self.status.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(net)
        left.addLayout(buttons)
        left.addWidget(self.use_button)
        left.addWidget(self.status)
        left.addStretch(1)

        self.loss_plot = pg.PlotWidget(title="Training loss (cross-entropy)")
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.3)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.accuracy_plot = pg.PlotWidget(title="Accuracy")
        self.accuracy_plot.setLabel("bottom", "epoch")
        self.accuracy_plot.setYRange(0, 1)
        self.accuracy_plot.showGrid(x=True, y=True, alpha=0.3)
        self.accuracy_plot.addLegend(offset=(-10, -10))
        self.train_curve = self.accuracy_plot.plot(pen=pg.mkPen("#1f77b4", width=2),
                                                   name="training batches")
        self.test_curve = self.accuracy_plot.plot(pen=pg.mkPen("#d62728", width=2),
                                                  symbol="o", symbolBrush="#d62728",
                                                  name="test set")
        self.filters_view = MapPicture("Layer 1 filters (each on its own ±max scale)",
                                       mode="symmetric", colormap="CET-D1")
        self.confusion = QTableWidget()
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.confusion.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.confusion.setToolTip("Test set: rows are the true class, columns the predicted")
        confusion_box = QVBoxLayout()
        confusion_box.addWidget(QLabel("<b>Confusion matrix</b> (test set; rows: true, "
                                       "columns: predicted)"))
        confusion_box.addWidget(self.confusion, 1)
        views = QGridLayout()
        views.addWidget(self.loss_plot, 0, 0)
        views.addWidget(self.accuracy_plot, 0, 1)
        views.addWidget(self.filters_view, 1, 0)
        views.addLayout(confusion_box, 1, 1)

        root = QHBoxLayout(self)
        root.addLayout(left, 0)
        root.addLayout(views, 1)
        self.addAction(make_action(self, "Train or pause", self.toggle_training, "Space",
                                   context=Qt.ShortcutContext.WindowShortcut))
        self.addAction(make_action(self, "Reset", self.reset, "Ctrl+R"))
        self.addAction(make_action(self, "Close", self.close, QKeySequence.StandardKey.Close,
                                   extra=("Esc",)))

    # ------------------------------------------------------------ the run

    def spec(self) -> CnnSpec:
        """Read the settings in the form as a :class:`CnnSpec`.

        Returns
        -------
        CnnSpec
            Network and training settings.
        """
        return CnnSpec(filters1=self.filters_spin.value(),
                       filters2=self.filters2_spin.value() if self.second_box.isChecked() else 0,
                       epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(),
                       lr=self.lr_spin.value(), optimizer=self.optimizer_combo.currentData())

    def _make_run(self) -> CnnRun:
        key = self.dataset_combo.currentData()
        data = load_dataset(key)
        self._pipeline_source = DATASETS[key][0].split(" (")[0].lower()
        return CnnRun(data, self.spec())

    def _ensure_thread(self) -> TrainingThread:
        if self._thread is None:
            thread = TrainingThread(self._make_run, self)
            thread.snapshot_ready.connect(self._on_snapshot)
            thread.failed.connect(self._on_failed)
            thread.running_changed.connect(self._on_running_changed)
            thread.start()
            self._thread = thread
        return self._thread

    def start(self) -> None:
        """Build the network and show its untrained state, paused."""
        self._ensure_thread()

    def toggle_training(self) -> None:
        """Start or pause training (a finished run starts again from new weights)."""
        thread = self._ensure_thread()
        if not thread.running and self._snapshot is not None and self._snapshot.done:
            thread.reset()
        thread.set_running(not thread.running)

    def reset(self) -> None:
        """Start again from new random weights with the current settings."""
        if self._thread is None:
            self._ensure_thread()
        else:
            self._thread.reset()
        self.status.setText("Reset: press Train to start.")

    def _settings_edited(self) -> None:
        if self._snapshot is not None and self._snapshot.step == 0:
            self.reset()
        elif self._snapshot is not None:
            self.status.setText("Settings changed: press Reset to train with them.")

    def _lr_changed(self, value: float) -> None:
        if self._thread is not None:
            self._thread.send(lambda run: run.set_lr(value))

    def use_filters(self) -> None:
        """Make the trained conv layers the main window's pipeline (undoable there)."""
        thread = self._thread
        snap = self._snapshot
        if thread is None or snap is None or snap.step == 0:
            self.status.setText("Nothing trained yet: press Train first.")
            return
        thread.ask(lambda run: run.pipeline, self._use_pipeline)

    def _use_pipeline(self, pipeline: Pipeline) -> None:
        if self.session.use_learned_network(learned_bank(pipeline),
                                            self._pipeline_source or "the data set"):
            self.status.setText("The main window now runs the trained filters "
                                "(Ctrl+Z there goes back).")

    # ------------------------------------------------------------ drawing

    @Slot(object)
    def _on_snapshot(self, snap: CnnSnapshot) -> None:
        self._snapshot = snap
        steps_per_epoch = snap.step / snap.epoch if snap.epoch else 1.0
        if snap.losses.size:
            loss = _smooth(snap.losses, SMOOTH_STEPS)
            offset = snap.losses.size - loss.size
            x = (np.arange(loss.size) + offset + 1) / steps_per_epoch
            self.loss_curve.setData(x, loss)
            acc = _smooth(snap.batch_accuracy, SMOOTH_STEPS)
            self.train_curve.setData(x, acc)
        else:
            self.loss_curve.setData([], [])
            self.train_curve.setData([], [])
        self.test_curve.setData(snap.test_epochs, snap.test_accuracy)
        self.filters_view.show_map(filter_montage(snap.first_filters))
        self._show_confusion(snap)
        parts = [f"epoch {min(snap.epoch, snap.epochs):.2f} of {snap.epochs}",
                 f"step {snap.step}"]
        if snap.losses.size:
            parts.append(f"loss {float(np.mean(snap.losses[-SMOOTH_STEPS:])):.3f}")
        if snap.test_accuracy.size:
            parts.append(f"test accuracy {snap.test_accuracy[-1]:.1%}")
        if snap.steps_per_second:
            parts.append(f"{snap.steps_per_second:.0f} steps/s")
        text = " · ".join(parts)
        if snap.done:
            text += " — done. “Use these filters” puts them into the main window."
        self.status.setText(text)

    def _show_confusion(self, snap: CnnSnapshot) -> None:
        k = len(snap.classes)
        if self.confusion.rowCount() != k:
            self.confusion.setRowCount(k)
            self.confusion.setColumnCount(k)
            short = [c if len(c) <= 6 else "".join(w[0] for w in c.split()) for c in snap.classes]
            self.confusion.setHorizontalHeaderLabels(short)
            self.confusion.setVerticalHeaderLabels(list(snap.classes))
            self.confusion.verticalHeader().show()
            self.confusion.horizontalHeader().show()
        matrix = snap.confusion
        top = 1 if matrix is None else max(1, int(matrix.max()))
        for r in range(k):
            for c in range(k):
                item = self.confusion.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.confusion.setItem(r, c, item)
                count = 0 if matrix is None else int(matrix[r, c])
                item.setText("" if matrix is None else str(count))
                shade = int(255 - 180 * count / top)
                colour = QColor(shade, shade, 255) if r == c else QColor(255, shade, shade)
                item.setBackground(QBrush(colour if count else QColor(250, 250, 250)))
                item.setForeground(QBrush(QColor(20, 20, 20)))

    @Slot(str)
    def _on_failed(self, text: str) -> None:
        self.status.setText(f"Stopped: {text}")

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self.train_button.setText("&Pause" if running else "&Train")

    def shutdown(self) -> None:
        """Stop and join the training thread."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._thread is not None:
            self._thread.set_running(False)
        super().closeEvent(event)
