"""The status bar's permanent read-outs: hover value, kernel compile progress, timings."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from workbench.gui.compute_worker import ComputeController

STATUS_MS = 5000


class StatusReadouts:
    """Fill a status bar with the hover read-out, the compile progress and the timing label.

    Parameters
    ----------
    status : QStatusBar
        The window's status bar.
    compute : ComputeController
        Reports the first-start kernel compile.
    stats_label : QLabel
        The live input's frame-rate read-out, placed before the timings.
    """

    def __init__(self, status: QStatusBar, compute: ComputeController,
                 stats_label: QLabel) -> None:
        self.status = status
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
        status.addPermanentWidget(stats_label)
        self.timing_label = QLabel("waiting for the first result…")
        self.timing_label.setObjectName("timingLabel")
        self.timing_label.setToolTip("Compute time of each stage for the last result, and the "
                                     "frames per second the pipeline sustains at this size.")
        status.addPermanentWidget(self.timing_label)
        compute.sigWarmupProgress.connect(self._on_warmup_progress)
        compute.sigWarmupDone.connect(self._on_warmup_done)

    def show_hover(self, text: str) -> None:
        """Show the value under the cursor (``""`` clears it).

        Parameters
        ----------
        text : str
            The read-out.
        """
        if text:
            self.status.clearMessage()  # a transient message would hide the read-out
        self.hover_label.setText(text)

    def _on_warmup_progress(self, done: int, total: int, name: str) -> None:
        self.warmup_bar.setRange(0, total)
        self.warmup_bar.setValue(done)
        self.warmup_bar.setFormat(f"compiling {name}… %p%")

    def _on_warmup_done(self, seconds: float) -> None:
        self.warmup_bar.hide()
        self.status.showMessage(f"Kernels ready in {seconds:.1f} s", STATUS_MS)
