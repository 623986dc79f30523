"""The live input wired to the session: every frame becomes the session's input.

:class:`LiveWindow` connects a :class:`~workbench.gui.live.controller.LiveController` and
its :class:`~workbench.gui.live.panel.LivePanel` to the session, the map views and the
message bar; the menus list the panel's actions.
"""

from __future__ import annotations

from workbench.gui.live.controller import LiveController
from workbench.gui.live.panel import LivePanel
from workbench.gui.panels.message_bar import MessageBar
from workbench.gui.views.map_views import MapViewsPanel
from workbench.render import ViewOptions
from workbench.session import InputState, Session, ShownResult
from workbench.sources import Frame, FrameSource


class LiveWindow:
    """Connections between the live input and the session and views (kept by the window).

    Parameters
    ----------
    session : Session
        Takes every frame as its input.
    live : LiveController
        The stream.
    panel : LivePanel
        Its controls.
    views : MapViewsPanel
        Told when a stream runs; shows the input while the maps cannot follow.
    message_bar : MessageBar
        Cleared when a stream starts (a stale "could not open" no longer applies).
    """

    def __init__(self, session: Session, live: LiveController, panel: LivePanel,
                 views: MapViewsPanel, message_bar: MessageBar) -> None:
        self.session = session
        self.live = live
        self.panel = panel
        self.views = views
        self.message_bar = message_bar
        live.view_options = session.view_options
        live.sigFrame.connect(self._on_frame)
        live.sigFrozen.connect(self._on_frozen)
        live.sigSourceChanged.connect(self._on_source_changed)
        panel.sigMessage.connect(self._on_message)
        panel.sigStillRequested.connect(session.show_still)
        session.view_changed.connect(self._on_view_options)
        session.result_changed.connect(self._on_result)
        session.problem_changed.connect(self._on_problem)
        session.input_changed.connect(self._on_input_changed)

    def _on_input_changed(self, state: InputState) -> None:
        if state.kind in ("image", "raw") and self.live.source is not None:
            self.panel.show_still()  # an image or data the user opened replaces the stream
        elif state.kind == "frame" and self.session.problem:
            self._on_problem(self.session.problem)  # no maps follow: the input still moves

    def _on_frame(self, frame: Frame) -> None:
        self.session.set_frame(frame.image, self.live.source_title)

    def _on_frozen(self, frame: Frame, title: str) -> None:
        self.session.set_frame(frame.image, title)
        self.session.message.emit(
            f"Froze {title}: every parameter now applies to this frame.", "status")

    def _on_source_changed(self, source: FrameSource | None) -> None:
        self.views.set_streaming(source is not None)
        if source is not None:
            self.message_bar.hide()

    def _on_message(self, text: str, kind: str) -> None:
        self.session.message.emit(text, kind)  # e.g. where a recording was saved: it stays

    def _on_view_options(self, options: ViewOptions) -> None:
        self.live.view_options = options

    def _on_problem(self, problem: str | None) -> None:
        tensor = self.session.tensor
        if problem and self.live.streaming and tensor is not None:
            # The maps cannot follow (the pipeline is invalid); the input still does.
            self.views.set_input(tensor)

    def _on_result(self, shown: ShownResult) -> None:
        layer = min(self.session.layer_index, len(shown.result.layers) - 1)
        self.panel.set_map_names(shown.result.layers[layer].filter_names,
                                 shown.pipeline.layers[layer].pool.kind != "none")
