"""The session wired to the compute worker, the map views and the status line.

One direction: a session change asks the worker for a result (tagged with the session's
generation), the worker's outcome goes back into the session, and the views draw what the
session holds. Nothing here keeps state of its own beyond the Qt objects it connects.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from workbench.core import Pipeline
from workbench.gui.compute_worker import ComputeController, ComputeOutcome
from workbench.gui.views.map_views import MapViewsPanel
from workbench.session import InputState, Selection, Session, ShownResult


def stage_times_text(shown: ShownResult, layer: int) -> str:
    """Describe the compute time of one layer's stages and the sustained frame rate.

    Parameters
    ----------
    shown : ShownResult
        The result.
    layer : int
        0-based layer index.

    Returns
    -------
    str
        E.g. ``"conv 1.2 ms · activation 0.1 ms · pool 0.2 ms · 600 fps"``; for a stack,
        the time of every layer first (``"L1 3.1 ms · L2 1.0 ms · ..."``).
    """
    times = shown.result.layers[layer].times
    fps = 1.0 / shown.seconds if shown.seconds > 0 else float("inf")
    per_layer = ""
    if len(shown.result.layers) > 1:
        per_layer = " · ".join(
            f"L{k + 1} {(t.conv + t.activation + t.pool) * 1e3:.1f} ms"
            for k, t in enumerate(lr.times for lr in shown.result.layers)) + \
            f"  |  L{layer + 1}: "
    if times.fused:  # one pass computed conv, activation and pool together
        stages = f"conv+activation+pool {times.conv * 1e3:.1f} ms (fused)"
    else:
        stages = (f"conv {times.conv * 1e3:.1f} ms · activation "
                  f"{times.activation * 1e3:.1f} ms · pool {times.pool * 1e3:.1f} ms")
    return f"{per_layer}{stages} · {fps:.0f} fps"


class SessionCompute:
    """Sends every new session state to the worker and hands outcomes back.

    Parameters
    ----------
    session : Session
        The state to compute.
    compute : ComputeController
        The worker's GUI-side owner.
    """

    def __init__(self, session: Session, compute: ComputeController) -> None:
        self.session = session
        self.compute = compute
        self.closed = False
        session.compute_requested.connect(self.request)
        compute.sigOutcome.connect(self._on_outcome)

    def request(self, urgent: bool = False) -> None:
        """Compute the current state (a live frame at once, edits after the debounce).

        Parameters
        ----------
        urgent : bool, optional
            Skip the debounce.
        """
        tensor = self.session.tensor
        if tensor is None or self.closed:
            return
        self.compute.request(tensor, self.session.pipeline, self.session.generation)
        if urgent:
            self.compute.flush()

    def _on_outcome(self, outcome: ComputeOutcome) -> None:
        tag = outcome.request.tag
        if outcome.result is None:
            self.session.set_compute_error(outcome.error or "unknown error", tag)
            return
        self.session.set_result(outcome.result, outcome.request.pipeline, tag,
                                outcome.seconds)


class SessionViews:
    """Draws the session's input, result and problem in the map views and the status line.

    Parameters
    ----------
    session : Session
        What to show.
    views : MapViewsPanel
        The maps.
    timing_label : QLabel
        Shows the stage times of the last result.
    """

    def __init__(self, session: Session, views: MapViewsPanel, timing_label: QLabel) -> None:
        self.session = session
        self.views = views
        self.timing_label = timing_label
        self.results_shown = 0
        session.input_changed.connect(self._on_input_changed)
        session.pipeline_changed.connect(self._on_pipeline_changed)
        session.selection_changed.connect(self._on_selection_changed)
        session.result_changed.connect(self._on_result_changed)
        session.problem_changed.connect(self._on_problem_changed)
        self._shown_tensor: object = None
        self._layer = session.layer_index
        self._on_input_changed(session.input)

    def _show_input(self) -> None:
        tensor = self.session.tensor
        if tensor is not None and tensor is not self._shown_tensor:
            self._shown_tensor = tensor
            self.views.set_input(tensor)

    def _on_input_changed(self, state: InputState) -> None:
        self.views.raw_input = state.raw is not None
        self.views.set_stale(True)
        if state.kind != "frame":  # a frame is drawn with its maps, in one go
            self._show_input()

    def _on_pipeline_changed(self, _pipeline: Pipeline) -> None:
        self.views.set_stale(True)
        self._show_input()  # gray <-> RGB makes another tensor

    def _on_selection_changed(self, selection: Selection) -> None:
        if selection.layer != self._layer and self.session.result is not None:
            self._on_result_changed(self.session.result)

    def _on_result_changed(self, shown: ShownResult) -> None:
        self._layer = layer = min(self.session.layer_index, len(shown.result.layers) - 1)
        self._shown_tensor = shown.result.input
        self.views.show_result(shown.result, shown.pipeline.layers[layer], layer, shown.pipeline)
        self.views.set_stale(not self.session.result_is_current)
        self.results_shown += 1
        self.timing_label.setText(stage_times_text(shown, layer))

    def _on_problem_changed(self, problem: str | None) -> None:
        self.views.set_error(problem)
