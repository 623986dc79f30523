"""The arithmetic behind the hovered pixel: input patch times kernel, bias, activation, pool."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from workbench.core import Explanation
from workbench.gui.appearance import Tones, tones
from workbench.render import format_value

# Larger windows are summarised instead of listed: a 7x7 table still fits the column.
MAX_LISTED_TAPS = 49
MAX_LISTED_CHANNELS = 3
HINT = ("Hover a feature map to see the multiply-adds behind a pixel: the input patch "
        "under the kernel, each weight, the bias and the activation. Click a pixel to pin "
        "it; in a later layer, \"step down\" goes to the map a term reads.")


def _value(v: float) -> str:
    return html.escape(format_value(float(v)))


def _table(t: Tones, values: np.ndarray, weights: np.ndarray | None = None,
           padded: np.ndarray | None = None) -> str:
    rows = []
    for i in range(values.shape[0]):
        cells = []
        for j in range(values.shape[1]):
            pad = padded is not None and bool(padded[i, j])
            text = f"<i>{_value(values[i, j])}</i>" if pad else f"<b>{_value(values[i, j])}</b>"
            if weights is not None:
                text += f"<br><span style='color:{t.faint}'>×{_value(weights[i, j])}</span>"
            if pad:
                text += f"<br><span style='color:{t.faint}'>pad</span>"
                cells.append(f"<td align='center' bgcolor='{t.pad_cell}'>{text}</td>")
            else:
                cells.append(f"<td align='center'>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table cellspacing='0' cellpadding='3' style='border-collapse: collapse;' "
            "border='1'>" + "".join(rows) + "</table>")


class PatchInspector(QLabel):
    """Rich-text panel explaining one output value.

    Parameters
    ----------
    parent : QWidget, optional
        Qt parent.
    """

    sigStepDown = Signal(int)  # the input map (layer k-1's filter) whose term was clicked
    sigUnpin = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patchInspector")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.linkActivated.connect(self._on_link)
        self.explanation: Explanation | None = None
        self._step_text = ""  # the step-through's text while it is shown
        self._pinned = False
        self._look: tuple[list[str], str, str, str] = ([], "None", "", "zeros")
        self.setToolTip("How the value under the cursor is computed.")
        self.show_hint()

    def show_step(self, text: str) -> None:
        """Show the step-through's description of one step (rich text).

        Parameters
        ----------
        text : str
            From :func:`workbench.gui.views.step_player.step_html`.
        """
        self.explanation = None
        self._step_text = text
        self.setText(text)

    def show_hint(self) -> None:
        """Show what hovering does."""
        self.explanation = None
        self._step_text = ""
        self.setText(f"<span style='color:{tones(self).muted}'>{html.escape(HINT)}</span>")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Redraw the text in the new colours when the appearance changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_look"):
            if self._step_text:
                self.setText(self._step_text)
            elif self.explanation is None:
                self.show_hint()
            else:
                self._render()

    def set_pinned(self, pinned: bool) -> None:
        """Say whether the shown value stays while the mouse moves on.

        Parameters
        ----------
        pinned : bool
            True after a click on a map pixel.
        """
        if pinned != self._pinned:
            self._pinned = pinned
            if self.explanation is not None:
                self._render()

    def show_explanation(self, e: Explanation, names: list[str], activation: str,
                         pool: str, padding_mode: str) -> None:
        """Explain one value: pooling, then the multiply-adds per input map, bias, activation.

        Parameters
        ----------
        e : Explanation
            From :func:`workbench.core.explain_result`.
        names : list of str
            One name per term: the input map it reads (``"R"``, ``"L1 Sobel x"``).
        activation : str
            Title of the layer's activation, "None" for none.
        pool : str
            Title of the layer's pooling, e.g. "Max".
        padding_mode : str
            What padded taps hold (``"zeros"``, ``"reflect"`` ...).
        """
        self.explanation = e
        self._step_text = ""
        self._look = (names, activation, pool, padding_mode)
        self._render()

    def _render(self) -> None:
        e = self.explanation
        assert e is not None
        names, activation, pool, padding_mode = self._look
        t = tones(self)
        parts = []
        if self._pinned:
            parts.append(f"<span style='color:{t.note}'>Pinned: click the value again, press "
                         "Esc or <a href='unpin'>follow the mouse</a></span>")
        where = f"layer {e.layer + 1}: " if e.layer > 0 else ""
        if e.pool_values is not None:
            parts.append(f"{where}<b>{html.escape(e.name)}</b> pooled at x {e.x}, y {e.y}")
            values = e.pool_values
            if values.size <= MAX_LISTED_TAPS:
                parts.append(f"{html.escape(pool.lower())} of these feature-map values:")
                parts.append(_table(t, values))
            else:
                parts.append(f"{html.escape(pool.lower())} over {values.shape[0]}x"
                             f"{values.shape[1]} feature-map values")
            parts.append(f"= <b>{_value(e.value)}</b>")
            lead = "the winner" if e.pool_kind in ("max", "min", "global_max") \
                else "the window's first value"
            parts.append(f"<hr>{lead}, at x {e.conv_x}, y {e.conv_y}:")
        parts.append(f"{where}<b>{html.escape(e.name)}</b> at x {e.conv_x}, y {e.conv_y}")
        first = e.terms[0]
        kh, kw = first.patch.shape
        if kh * kw <= MAX_LISTED_TAPS:
            parts.append(f"input value <span style='color:{t.faint}'>× weight</span> per tap"
                         + (f" (<i>pad</i>: {html.escape(padding_mode)} padding)"
                            if any(t.padded.any() for t in e.terms) else "") + ":")
            for i, term in enumerate(e.terms[:MAX_LISTED_CHANNELS]):
                heading = ""
                if len(names) > 1 or names[0] != "channel 1":
                    heading = f"{html.escape(names[i])}: Σ = {_value(term.partial_sum)}"
                    if e.layer > 0:
                        heading += f" &nbsp;<a href='down:{term.channel}'>step down</a>"
                parts.append(heading + _table(t, term.patch, term.weights, term.padded))
            rest = e.terms[MAX_LISTED_CHANNELS:]
            if rest:
                items = []
                for i, term in enumerate(rest, start=MAX_LISTED_CHANNELS):
                    item = f"{html.escape(names[i])}: Σ = {_value(term.partial_sum)}"
                    if e.layer > 0:
                        item += f" <a href='down:{term.channel}'>step down</a>"
                    items.append(item)
                parts.append(f"… and {len(rest)} more input maps:<br>" + "<br>".join(items))
        else:
            parts.append(f"{kh}x{kw} kernel: {kh * kw} taps per map, too many to list")
            if e.layer > 0:
                parts.append("<br>".join(
                    f"{html.escape(names[i])}: Σ = {_value(t.partial_sum)} "
                    f"<a href='down:{t.channel}'>step down</a>" for i, t in enumerate(e.terms)))
        parts.append(f"Σ input × weight = {_value(e.products_sum)}<br>+ bias {_value(e.bias)} = "
                     f"<b>{_value(e.conv_value)}</b> (conv)")
        if activation != "None":
            parts.append(f"{html.escape(activation)} → <b>{_value(e.activated_value)}</b>")
        if e.layer > 0 and e.path:
            steps = []
            for i, (y0, y1, x0, x1) in enumerate(e.path):
                where = "input" if i == len(e.path) - 1 else f"L{e.layer - i} maps"
                steps.append(f"{where} rows {y0}–{y1 - 1}, cols {x0}–{x1 - 1} "
                             f"({y1 - y0}x{x1 - x0})")
            parts.append(f"<span style='color:{t.muted}'>depends on " + " → ".join(steps)
                         + " (outlined on the input)</span>")
        self.setText("<br>".join(parts))

    def _on_link(self, link: str) -> None:
        if link == "unpin":
            self.sigUnpin.emit()
        elif link.startswith("down:"):
            self.sigStepDown.emit(int(link.split(":", 1)[1]))
