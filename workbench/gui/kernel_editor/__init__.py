"""The kernel editor: the grid of one filter's weights, its size, slices, bias and edits."""

from workbench.gui.kernel_editor.cells import (
    cell_colours,
    display_text,
    not_a_number_message,
    parse_cell,
)
from workbench.gui.kernel_editor.editor import KernelEditor
from workbench.gui.kernel_editor.grid import KernelGrid

__all__ = ["KernelEditor", "KernelGrid", "cell_colours", "display_text", "not_a_number_message",
           "parse_cell"]
