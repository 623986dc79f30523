"""The arithmetic behind the hovered pixel: input patch times kernel, bias, activation, pool."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from workbench.render import format_value

# Larger windows are summarised instead of listed: a 7x7 table still fits the column.
MAX_LISTED_TAPS = 49
MAX_LISTED_CHANNELS = 3
HINT = ("Hover a feature map to see the multiply-adds behind a pixel: the input patch "
        "under the kernel, each weight, the bias and the activation.")


def _value(v: float) -> str:
    return html.escape(format_value(float(v)))


def _table(values: np.ndarray, weights: np.ndarray | None = None) -> str:
    rows = []
    for i in range(values.shape[0]):
        cells = []
        for j in range(values.shape[1]):
            text = f"<b>{_value(values[i, j])}</b>"
            if weights is not None:
                text += f"<br><span style='color:#8a8f98'>×{_value(weights[i, j])}</span>"
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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patchInspector")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet("QLabel#patchInspector { background: #f7f8fa; border: 1px solid "
                           "#dde1e6; border-radius: 3px; padding: 6px; }")
        self.setToolTip("How the value under the cursor is computed.")
        self.show_hint()

    def show_hint(self) -> None:
        """Show what hovering does."""
        self.setText(f"<span style='color:#5f6670'>{html.escape(HINT)}</span>")

    def show_conv(self, name: str, y: int, x: int, patch: np.ndarray, weight: np.ndarray,
                  bias: float, conv_value: float, activation: str, value: float,
                  channel_names: list[str]) -> None:
        """Explain a feature-map pixel.

        Parameters
        ----------
        name : str
            Filter name.
        y, x : int
            The pixel.
        patch : numpy.ndarray
            ``(C, kH, kW)`` input values under the taps (padding filled in).
        weight : numpy.ndarray
            ``(C, kH, kW)`` weights as applied (already flipped for true convolution).
        bias : float
            The filter's bias.
        conv_value : float
            The conv output at the pixel.
        activation : str
            Title of the activation, "None" for none.
        value : float
            The activated value shown in the map.
        channel_names : list of str
            One name per kernel slice: the input channel it reads, e.g. ``["R", "G", "B"]``
            (with groups, a single slice may read ``["B"]``).
        """
        products = (patch.astype(np.float64) * weight).sum(axis=(1, 2))
        parts = [f"<b>{html.escape(name)}</b> at x {x}, y {y}"]
        channels, kh, kw = patch.shape
        if kh * kw <= MAX_LISTED_TAPS:
            parts.append("input value <span style='color:#8a8f98'>× weight</span> per tap:")
            for c in range(min(channels, MAX_LISTED_CHANNELS)):
                heading = (f"{html.escape(channel_names[c])}: Σ = {_value(products[c])}"
                           if len(channel_names) > 1 or channel_names[0] != "channel 1"
                           else "")
                parts.append(heading + _table(patch[c], weight[c]))
            if channels > MAX_LISTED_CHANNELS:
                parts.append(f"… and {channels - MAX_LISTED_CHANNELS} more channels")
        else:
            parts.append(f"{kh}x{kw} kernel: {kh * kw} taps per channel, too many to list")
        total = float(products.sum())
        parts.append(f"Σ input × weight = {_value(total)}<br>+ bias {_value(bias)} = "
                     f"<b>{_value(conv_value)}</b> (conv)")
        if activation != "None":
            parts.append(f"{html.escape(activation)} → <b>{_value(value)}</b>")
        self.setText("<br>".join(parts))

    def show_pool(self, name: str, y: int, x: int, kind: str, window: np.ndarray,
                  value: float) -> None:
        """Explain a pooled-map pixel.

        Parameters
        ----------
        name : str
            Filter name.
        y, x : int
            The pooled pixel.
        kind : str
            Title of the pooling, e.g. "Max".
        window : numpy.ndarray
            The activated values it pools (padding excluded).
        value : float
            The pooled value.
        """
        parts = [f"<b>{html.escape(name)}</b> pooled at x {x}, y {y}"]
        if window.size <= MAX_LISTED_TAPS:
            parts.append(f"{html.escape(kind.lower())} of these feature-map values:")
            parts.append(_table(window))
        else:
            parts.append(f"{html.escape(kind.lower())} over {window.shape[0]}x"
                         f"{window.shape[1]} feature-map values")
        parts.append(f"= <b>{_value(value)}</b>")
        self.setText("<br>".join(parts))
