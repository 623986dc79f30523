"""The live input wired to the window: frames in, maps out, messages, menus.

:func:`attach` connects a :class:`~workbench.gui.live_controller.LiveController` and its
:class:`~workbench.gui.live_panel.LivePanel` (both created by the window) to the window's
compute worker, views and message bar. The window only creates the two objects, places the
panel and the statistics label, and lists the panel's actions in its menus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from workbench.gui.compute_worker import ComputeOutcome
from workbench.gui.live_controller import LiveController
from workbench.gui.live_panel import LivePanel
from workbench.render import ViewOptions
from workbench.sources import Frame, FrameSource

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

STATUS_MS = 5000


def fill_sources_menu(menu: QMenu, panel: LivePanel) -> None:
    """Put the source and playback commands in a menu.

    Parameters
    ----------
    menu : QMenu
        The window's Sources menu.
    panel : LivePanel
        Owner of the actions.
    """
    for name in ("still", "camera", "video", "synthetic"):
        menu.addAction(panel.actions_by_name[name])
    menu.addSeparator()
    for name in ("play", "step", "freeze", "stop"):
        menu.addAction(panel.actions_by_name[name])


class LiveWindow:
    """Connections between the live input and one window (kept alive by the window).

    Parameters
    ----------
    window : MainWindow
        The window; its ``live`` controller and ``live_panel`` exist.
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.live: LiveController = window.live
        self.panel: LivePanel = window.live_panel
        live, panel = self.live, self.panel
        live.view_options = window.views.options
        live.sigFrame.connect(self._on_frame)
        live.sigFrozen.connect(self._on_frozen)
        live.sigSourceChanged.connect(self._on_source_changed)
        panel.sigMessage.connect(self._on_message)
        panel.sigStillRequested.connect(self._on_still_requested)
        window.views.sigOptionsChanged.connect(self._on_view_options)
        window.compute.sigOutcome.connect(self._on_outcome)

    def _on_frame(self, frame: Frame) -> None:
        self.window.show_frame(frame.image, self.live.source_title)

    def _on_frozen(self, frame: Frame, title: str) -> None:
        window = self.window
        window.show_frame(frame.image, title)
        window.files.source_changed(title)
        window.statusBar().showMessage(
            f"Froze {title}: every parameter now applies to this frame.", STATUS_MS)

    def _on_source_changed(self, source: FrameSource | None) -> None:
        self.window.views.set_streaming(source is not None)
        if source is not None:
            self.window.files.source_changed(self.live.source_title)
            self.window.message_bar.hide()  # a stale "could not open" no longer applies

    def _on_message(self, text: str, kind: str) -> None:
        self.window.show_message(text, kind)  # e.g. where a recording was saved: it stays

    def _on_still_requested(self) -> None:
        self.window.show_still()

    def _on_view_options(self, options: ViewOptions) -> None:
        self.live.view_options = options

    def _on_outcome(self, outcome: ComputeOutcome) -> None:
        result = outcome.result
        if result is None:
            if self.live.streaming:
                # The maps cannot follow (the pipeline is invalid); the input still does.
                self.window.views.set_input(outcome.request.image)
            return
        layer = outcome.request.pipeline.layers[0]
        self.panel.set_map_names(result.layers[0].filter_names, layer.pool.kind != "none")


def attach(window: MainWindow) -> LiveWindow:
    """Connect the window's live controller and panel to it.

    Parameters
    ----------
    window : MainWindow
        The window (its compute worker, views, ``live`` and ``live_panel`` exist).

    Returns
    -------
    LiveWindow
        The connections; keep a reference.
    """
    return LiveWindow(window)
