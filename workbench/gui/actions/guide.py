"""Help > Guide: a non-modal window that walks through the parts of the main window."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from workbench.tutorials import TUTORIAL_EXAMPLES

TUTORIAL_SCHEME = "tutorial"

# (anchor, title, text): the tour, in the order the eye meets the window.
GUIDE_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("bank", "Filter bank",
     "The filters of the selected layer, each with a thumbnail of its kernel. "
     "<b>Ctrl+N</b> adds one, <b>Ctrl+D</b> duplicates the selected one (named "
     "\u201cGaussian 3x3 (2)\u201d, \u201c(3)\u201d \u2026), <b>Del</b> removes it, "
     "<b>Alt+Up / Alt+Down</b> reorder; untick a filter to leave it out. Filters > Presets "
     "holds Sobel, Gaussian, Laplacian, Gabor and more. <b>Alt+1</b> jumps here."),
    ("kernel", "Kernel grid",
     "The weights of the selected filter, one slice per input channel. Type a number to "
     "replace a cell \u2014 fractions and simple arithmetic work too (<code>1/9</code>, "
     "<code>-2*0.5</code>, <code>(1+2)/3</code>); anything else is refused with a hint in the "
     "status bar. Enter moves down, Tab across and, after the last cell, on to the bias and "
     "the parameters (Ctrl+Tab leaves at once). Ctrl+C / Ctrl+V copy and paste blocks "
     "(numpy, PyTorch, CSV or spreadsheet text). The tools above the grid resize, flip, "
     "rotate, normalise and scale. <b>Alt+2</b> jumps here."),
    ("parameters", "Parameters",
     "The layer's hyper-parameters: stride, padding, dilation, groups, activation and "
     "pooling, with the output-shape arithmetic written out so a wrong size says why. "
     "<b>Alt+3</b> jumps here."),
    ("layers", "Layer strip",
     "The stack of layers at the top left. Select one to edit it; Ctrl+Shift+N adds a "
     "layer, Ctrl+Shift+D duplicates, Ctrl+PgUp / Ctrl+PgDown step through them. Every "
     "panel edits the selected layer."),
    ("maps", "Maps",
     "The input at the left, then one feature map per enabled filter, each with its pooled "
     "map beside it. The grid fills the space it has; View > Larger / Smaller map size "
     "(Ctrl++ / Ctrl+-) changes the cell size and View > Reset zoom (Ctrl+0) fits the "
     "maps to the window again and shows every image whole. Small cells show their range "
     "in the title instead of a colour bar. A map drawn smaller than 1:1 says so in its "
     "title (e.g. \u201c1:2\u201d); "
     "thin lines are kept when it is shrunk. Colormap and Scale choose the colours: "
     "diverging colormaps are always centred on 0. A 1x1 or 2x2 output (global pooling) is "
     "shown as its numbers. <b>Alt+4</b> jumps here."),
    ("inspector", "Inspector",
     "Hover over a map to see the input patch, the kernel and the products that make the "
     "value under the mouse; its receptive field is outlined on the input. Click to pin it, "
     "Esc to let go."),
    ("live", "Live",
     "The bar above the panels runs a video file or the webcam through the same layers: "
     "Start, Pause, Step and Freeze (keep a frame as the still input)."),
    ("export", "Export",
     "File > Export maps (Ctrl+E) writes maps as PNG exactly as displayed, or as NumPy "
     "arrays; the filter bank and the whole model can be saved, and copied as PyTorch or "
     "Keras code."),
    ("model", "Your own model",
     "File > Open model… (Ctrl+Shift+M) reads an ONNX, Keras, safetensors or PyTorch file; "
     "its browser lists the layers, and Use layers up to here runs them from the input in "
     "the workbench. Edit or zero filters, then File > Save model copy… writes them into a "
     "copy of the file."),
    ("step", "Step through",
     "View > Step through the convolution (Ctrl+T) slides the selected filter over the "
     "input one output cell at a time: Back, Play, Step, Next row, a speed and a scrubber. "
     "The taps are outlined on the input (padded ones in cyan, over the padded border), the "
     "output cell is marked on its map and the inspector shows every product and the sum."),
    ("classroom", "Predict, then reveal",
     "View > Predict, then reveal (Ctrl+Shift+R) hides the maps and asks for a value or the "
     "output size; Check says how an answer is wrong, Reveal shows and explains it, and "
     "Worksheet… prints the example with an answer key. A 1-D input (the 1-D tutorials, a "
     "CSV column, a WAV clip) is drawn as stem plots with the kernel under the signal."),
    ("view", "Appearance and panels",
     "View > Appearance follows the system's light or dark scheme, or keeps Light or Dark; "
     "the choice is remembered. The feature maps keep their dark background in both. "
     "View > Panels folds the left column (Ctrl+Alt+B), the parameters (Ctrl+Alt+P) or the "
     "input and inspector (Ctrl+Alt+I) away to give the maps the room; dragging a splitter "
     "to the edge does the same, and Alt+1..3 bring a folded panel back."),
)


def guide_html() -> str:
    """Build the guide's page: the tour of the window, then links to the tutorial examples.

    Returns
    -------
    str
        Rich text for a :class:`QTextBrowser`; tutorial links are ``tutorial:<key>``.
    """
    contents = " · ".join(f'<a href="#{anchor}">{html.escape(title)}</a>'
                          for anchor, title, _ in GUIDE_SECTIONS)
    parts = ["<h2>Conv Workbench guide</h2>", f"<p>{contents} · <a href='#tutorials'>"
             "Tutorials</a></p>"]
    for anchor, title, text in GUIDE_SECTIONS:
        parts.append(f'<h3><a name="{anchor}"></a>{html.escape(title)}</h3><p>{text}</p>')
    parts.append('<h3><a name="tutorials"></a>Tutorials</h3><p>The worked examples of the '
                 "tutorials the workbench follows load their numbers, filters and parameters "
                 "(also in Samples > Tutorial examples; Samples > Back to your work "
                 "returns):</p><ul>")
    for example in TUTORIAL_EXAMPLES:
        parts.append(f'<li><a href="{TUTORIAL_SCHEME}:{html.escape(example.key)}">'
                     f"{html.escape(example.name)}</a> \u2014 "
                     f"{html.escape(example.source)}</li>")
    parts.append("</ul>")
    return "".join(parts)


class GuideWindow(QWidget):
    """The guide: a text browser in its own window, which does not block the main one.

    Parameters
    ----------
    open_tutorial : callable
        Called with a tutorial example's key when its link is clicked.
    parent : QWidget, optional
        The main window (the guide stays on top of it and closes with it).
    """

    def __init__(self, open_tutorial: Callable[[str], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._open_tutorial = open_tutorial
        self.setWindowTitle("Conv Workbench guide")
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # tutorial: links load an example, http: a browser
        self.browser.anchorClicked.connect(self._on_link)
        self.browser.setHtml(guide_html())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.resize(560, 640)

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == TUTORIAL_SCHEME:
            self._open_tutorial(url.path())
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)
        elif url.hasFragment():
            self.browser.scrollToAnchor(url.fragment())
