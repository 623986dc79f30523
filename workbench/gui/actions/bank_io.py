"""Filter banks and kernels in and out of the window: JSON banks, kernel text, NPY, model code.

Menu actions and their handlers, working on a :class:`BankHost` (the pipeline model, the
selected filter, the kernel slice shown, status and problem messages), so the window only
places the actions. Every write goes through :mod:`workbench.io` (atomic; an existing file
is replaced only after :func:`file_prompts.confirm_overwrite`); every read is validated in
full before the pipeline changes, and a change is one undoable step. A file that cannot be
read leaves the window as it was, with the reason in the message bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from workbench.core import Filter, Pipeline
from workbench.core import kernel_ops as ops
from workbench.gui.actions import file_prompts
from workbench.gui.actions.file_prompts import describe_failure
from workbench.gui.qt_actions import make_action
from workbench.io.bank import load_bank, save_bank
from workbench.io.bank_arrays import LoadedBank, bias_path_for, load_bank_npy, save_bank_npy
from workbench.io.errors import AmbiguousLayoutError, LoadError
from workbench.io.kernel_text import load_kernel, save_kernel
from workbench.io.model_code import framework_code
from workbench.io.naming import sanitize_name
from workbench.session import Session
from workbench.session.edits import (
    replace_filters,
    replace_layer,
    set_input_mode,
    slices_per_filter,
    with_layer,
)

LAYOUT_TITLES: dict[str, str] = {"pytorch": "PyTorch (F, C, kH, kW)",
                                 "keras": "Keras (kH, kW, C, F)"}
FRAMEWORK_TITLES: dict[str, str] = {"pytorch": "PyTorch", "keras": "Keras"}
BANK_FILTER = "Filter bank (*.json);;All files (*)"
KERNEL_FILTERS = {"csv": "CSV (*.csv)", "txt": "ImageJ text, whitespace-separated (*.txt)"}
NPY_DETECT = "Detect the layout from the shape (*.npy)"
NPY_FILTERS = {f"{title} layout (*.npy)": key for key, title in LAYOUT_TITLES.items()}


@dataclass(frozen=True)
class BankHost:
    """What the bank and kernel actions need from the window.

    Parameters
    ----------
    window : QWidget
        Parent of the file dialogs.
    session : Session
        The pipeline (every change is one undoable step) and the selected layer, filter
        and kernel channel.
    all_channels : callable
        Whether kernel edits apply to every channel slice ("same for all channels").
    notify : callable
        Shows a status message.
    warn : callable
        Shows a problem in the message bar.
    """

    window: QWidget
    session: Session
    all_channels: Callable[[], bool]
    notify: Callable[[str], object]
    warn: Callable[[str], object]

    @property
    def layer(self) -> int:
        """The selected layer."""
        return self.session.selection.layer

    def selected_row(self) -> int:
        """Return the selected filter of that layer, -1 for none."""
        return self.session.selection.filter

    def kernel_channel(self) -> int:
        """Return the kernel channel slice selected."""
        return self.session.selection.channel


def _with_suffix(path: str, chosen_filter: str, suffixes: dict[str, str]) -> Path:
    """Add the extension of the chosen name filter when the name has none."""
    p = Path(path)
    if p.suffix:
        return p
    for suffix, name_filter in suffixes.items():
        if name_filter == chosen_filter:
            return p.with_suffix(f".{suffix}")
    return p.with_suffix(f".{next(iter(suffixes))}")


class BankIoActions(QObject):
    """The actions: banks (JSON), kernels (CSV / ImageJ text), banks as NPY, code to the clipboard.

    Parameters
    ----------
    host : BankHost
        The window's side.
    """

    def __init__(self, host: BankHost) -> None:
        super().__init__(host.window)
        self.host = host
        self.save_bank_action = self._action(
            "Save filter &bank…", self.save_bank_dialog,
            "Save the filters and parameters as a filter bank (JSON)")
        self.load_bank_action = self._action(
            "&Load filter bank…", self.load_bank_dialog,
            "Replace the filters and parameters by a saved filter bank (JSON; older versions "
            "are converted)")
        self.import_kernel_action = self._action(
            "&Import kernel…", self.import_kernel_dialog,
            "Replace the selected filter's kernel by one read from CSV or ImageJ text")
        self.export_kernel_action = self._action(
            "E&xport kernel…", self.export_kernel_dialog,
            "Write the selected filter's kernel as CSV or ImageJ text")
        self.export_npy_actions = {
            layout: self._action(f"{title} layout…",
                                 lambda _=False, k=layout: self.export_npy_dialog(k),
                                 f"Write the enabled filters as a {title} weight array and "
                                 "a _bias.npy vector")
            for layout, title in LAYOUT_TITLES.items()}
        self.export_npy_menu = QMenu("Export bank as &NPY", host.window)
        for action in self.export_npy_actions.values():
            self.export_npy_menu.addAction(action)
        self.import_npy_action = self._action(
            "Import bank from NP&Y…", self.import_npy_dialog,
            "Replace the filters by a weight array in PyTorch or Keras layout (and its "
            "_bias.npy)")
        self.copy_actions = {
            fw: self._action(f"Copy as {title}", lambda _=False, f=fw: self.copy_code(f),
                             f"Put Python code building this pipeline as a {title} model on "
                             "the clipboard")
            for fw, title in FRAMEWORK_TITLES.items()}

    def _action(self, text: str, slot: Callable[..., object], tip: str) -> QAction:
        return make_action(self, text, slot, tip=tip)

    @property
    def kernel_actions(self) -> tuple[QAction, QAction]:
        """Import / export kernel, for the Filters menu and the kernel editor's context menu."""
        return self.import_kernel_action, self.export_kernel_action

    def install_kernel_menu(self, widget: QWidget) -> None:
        """Offer Import / Export kernel in ``widget``'s context menu.

        Parameters
        ----------
        widget : QWidget
            E.g. the kernel grid.
        """
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        widget.addActions(list(self.kernel_actions))

    # ------------------------------------------------------------ helpers

    @property
    def _pipeline(self) -> Pipeline:
        return self.host.session.pipeline

    def _selected(self) -> tuple[int, Filter] | None:
        row = self.host.selected_row()
        filters = self._pipeline.layers[self.host.layer].filters
        if 0 <= row < len(filters):
            return row, filters[row]
        self.host.warn("Select a filter first: the kernel actions work on the selected filter.")
        return None

    def _confirmed(self, paths: Sequence[Path]) -> bool | None:
        """None if the user refused to replace existing files, else whether any exist."""
        existing = [p for p in paths if p.exists() or p.is_symlink()]
        if existing and not file_prompts.confirm_overwrite(self.host.window, existing):
            return None
        return bool(existing)

    # ------------------------------------------------------------ banks (JSON)

    def save_bank_dialog(self) -> bool:
        """Ask for a file name and save the filter bank."""
        path, _ = file_prompts.ask_save_path(self.host.window, "Save filter bank",
                                             "filters.json", BANK_FILTER)
        return bool(path) and self.save_bank_to(_with_suffix(path, "", {"json": ""}))

    def save_bank_to(self, path: str | Path) -> bool:
        """Save the pipeline as a bank file, asking before replacing one.

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            Whether it was written.
        """
        path = Path(path)
        overwrite = self._confirmed([path])
        if overwrite is None:
            return False
        try:
            save_bank(path, self._pipeline, overwrite=overwrite)
        except OSError as exc:
            self.host.warn(f"Could not save the filter bank: {describe_failure(exc, path)}")
            return False
        self.host.notify(f"Saved the filter bank {path}")
        return True

    def load_bank_dialog(self) -> bool:
        """Ask for a bank file and load it."""
        path, _ = file_prompts.ask_open_path(self.host.window, "Load filter bank", "",
                                             BANK_FILTER)
        return bool(path) and self.load_bank_file(path)

    def load_bank_file(self, path: str | Path) -> bool:
        """Replace the pipeline by a bank file's (one undoable step).

        Parameters
        ----------
        path : str or pathlib.Path
            The file (current or older schema).

        Returns
        -------
        bool
            Whether it was loaded; on failure nothing changes and the message bar says why.
        """
        try:
            pipeline = load_bank(path)
        except (LoadError, OSError) as exc:
            self.host.warn(f"Could not load the filter bank: {describe_failure(exc, path)}")
            return False
        self.host.session.set_pipeline(with_layer(pipeline))
        self.host.notify(f"Loaded the filter bank {Path(path).name}")
        return True

    # ------------------------------------------------------------ kernels (text)

    def export_kernel_dialog(self) -> bool:
        """Ask for a file name and write the selected filter's kernel slice."""
        selected = self._selected()
        if selected is None:
            return False
        suffixes = {key: KERNEL_FILTERS[key] for key in ("csv", "txt")}
        path, chosen = file_prompts.ask_save_path(
            self.host.window, "Export kernel", f"{sanitize_name(selected[1].name)}.csv",
            ";;".join(suffixes.values()))
        return bool(path) and self.export_kernel_to(_with_suffix(path, chosen, suffixes))

    def export_kernel_to(self, path: str | Path) -> bool:
        """Write the kernel slice shown of the selected filter (``.csv``: CSV, else text).

        Parameters
        ----------
        path : str or pathlib.Path
            The file.

        Returns
        -------
        bool
            Whether it was written.
        """
        selected = self._selected()
        if selected is None:
            return False
        f = selected[1]
        channel = min(self.host.kernel_channel(), f.channels - 1)
        path = Path(path)
        overwrite = self._confirmed([path])
        if overwrite is None:
            return False
        try:
            save_kernel(path, f.weight[channel], overwrite=overwrite)
        except (OSError, ValueError) as exc:
            self.host.warn(f"Could not export the kernel: {describe_failure(exc, path)}")
            return False
        what = f"slice {channel + 1} of {f.name}" if f.channels > 1 else f.name
        self.host.notify(f"Exported the kernel of {what} to {path}")
        return True

    def import_kernel_dialog(self) -> bool:
        """Ask for a kernel file and put it into the selected filter."""
        if self._selected() is None:
            return False
        filters = ";;".join(["Kernel text (*.csv *.txt)", *KERNEL_FILTERS.values(),
                             "All files (*)"])
        path, _ = file_prompts.ask_open_path(self.host.window, "Import kernel", "", filters)
        return bool(path) and self.import_kernel_file(path)

    def import_kernel_file(self, path: str | Path) -> bool:
        """Replace the selected filter's kernel slice (or every slice) by a file's kernel.

        A kernel of another size resizes the filter; its other channel slices keep their
        values, centred (as the kernel editor's size boxes do).

        Parameters
        ----------
        path : str or pathlib.Path
            CSV (``.csv``) or whitespace-separated text.

        Returns
        -------
        bool
            Whether the filter changed; on failure nothing changes.
        """
        selected = self._selected()
        if selected is None:
            return False
        row, f = selected
        try:
            kernel = load_kernel(path)
        except (LoadError, OSError) as exc:
            self.host.warn(f"Could not import the kernel: {describe_failure(exc, path)}")
            return False
        kh, kw = kernel.shape
        if max(kh, kw) > ops.MAX_KERNEL_SIZE:
            self.host.warn(f"Could not import the kernel: {Path(path).name} holds a {kh}×{kw} "
                           f"kernel; the editor takes up to {ops.MAX_KERNEL_SIZE}×"
                           f"{ops.MAX_KERNEL_SIZE}.")
            return False
        weight = np.array(f.weight, dtype=np.float32)
        if weight.shape[1:] != kernel.shape:
            weight = np.array(ops.resize_kernel(weight, kh, kw), dtype=np.float32)
        channel = min(self.host.kernel_channel(), f.channels - 1)
        if self.host.all_channels() or f.channels == 1:
            weight[:] = kernel
        else:
            weight[channel] = kernel
        filters = list(self._pipeline.layers[self.host.layer].filters)
        filters[row] = replace(f, weight=weight)
        self.host.session.set_pipeline(replace_filters(self._pipeline, self.host.layer, filters))
        self.host.notify(f"Imported a {kh}×{kw} kernel into {f.name} from {Path(path).name}")
        return True

    # ------------------------------------------------------------ banks (NPY)

    def export_npy_dialog(self, layout: str) -> bool:
        """Ask for a file name and write the bank as NPY in ``layout``."""
        path, _ = file_prompts.ask_save_path(
            self.host.window, f"Export bank as NPY — {LAYOUT_TITLES[layout]}",
            f"bank_{layout}.npy", "NumPy array (*.npy)")
        return bool(path) and self.export_npy_to(_with_suffix(path, "", {"npy": ""}), layout)

    def export_npy_to(self, path: str | Path, layout: str) -> bool:
        """Write the layer's enabled filters as ``<name>.npy`` and ``<name>_bias.npy``.

        Parameters
        ----------
        path : str or pathlib.Path
            The weight file (``.npy``).
        layout : {"pytorch", "keras"}
            Weight layout.

        Returns
        -------
        bool
            Whether both files were written (asks before replacing either).
        """
        path = Path(path)
        filters = self._pipeline.layers[self.host.layer].enabled_filters
        if not filters:
            self.host.warn("Could not export the bank: no filter is enabled.")
            return False
        overwrite = self._confirmed([path, bias_path_for(path)])
        if overwrite is None:
            return False
        try:
            weight_path, bias_path = save_bank_npy(path, filters, layout, overwrite=overwrite)
        except (OSError, ValueError) as exc:
            self.host.warn(f"Could not export the bank: {describe_failure(exc, path)}")
            return False
        self.host.notify(f"Exported {len(filters)} filters in {LAYOUT_TITLES[layout]} layout "
                         f"to {weight_path.name} and {bias_path.name}")
        return True

    def import_npy_dialog(self) -> bool:
        """Ask for a weight file; the name filter chosen says the layout (or detect it)."""
        filters = ";;".join([NPY_DETECT, *NPY_FILTERS, "All files (*)"])
        path, chosen = file_prompts.ask_open_path(self.host.window, "Import bank from NPY",
                                                  "", filters)
        return bool(path) and self.import_npy_file(path, NPY_FILTERS.get(chosen))

    def import_npy_file(self, path: str | Path, layout: str | None = None) -> bool:
        """Replace the layer's filters by a weight array (and its ``_bias.npy``).

        Parameters
        ----------
        path : str or pathlib.Path
            The weight file.
        layout : {"pytorch", "keras"}, optional
            Its layout; detected from the shape when omitted, and asked when the shape
            fits both.

        Returns
        -------
        bool
            Whether the filters changed; on failure or cancel nothing changes.
        """
        pipeline = self._pipeline
        needed = slices_per_filter(pipeline, self.host.layer)
        try:
            loaded = self._read_npy(path, layout, needed)
        except (LoadError, OSError, ValueError) as exc:
            self.host.warn(f"Could not import the bank: {describe_failure(exc, path)}")
            return False
        if loaded is None:
            return False
        filters = loaded.filters
        depth = filters[0].channels
        changed_mode = ""
        if depth == needed:
            new = replace_filters(pipeline, self.host.layer, filters)
        elif self.host.layer == 0 and depth in (1, 3) and pipeline.input_mode != "raw":
            mode = "gray" if depth == 1 else "rgb"
            new = set_input_mode(pipeline, mode) if mode != pipeline.input_mode else pipeline
            new = replace_layer(new, 0, filters=filters, groups=1)
            changed_mode = f"; the input is now {'gray' if depth == 1 else 'RGB'}, groups 1"
        else:
            self.host.warn(f"Could not import the bank: {Path(path).name} has filters of "
                           f"{depth} channel slice(s) but this layer needs {needed}.")
            return False
        self.host.session.set_pipeline(new)
        bias = "with biases" if loaded.bias_file is not None else "zero biases (no _bias.npy)"
        self.host.notify(f"Imported {len(filters)} filters from {Path(path).name} "
                         f"({LAYOUT_TITLES[loaded.layout]}, {bias}){changed_mode}")
        return True

    def _read_npy(self, path: str | Path, layout: str | None, needed: int) -> LoadedBank | None:
        """Load, asking for the layout when the shape fits both; None if cancelled."""
        try:
            return load_bank_npy(path, layout, channels=needed)
        except AmbiguousLayoutError as exc:
            reason = str(exc)
        except LoadError:
            if layout is not None:
                raise
            # The shape may fit with other channels (e.g. an RGB bank for gray input).
            try:
                return load_bank_npy(path, None)
            except AmbiguousLayoutError as exc:
                reason = str(exc)
        reason = reason.removeprefix(f"{path}: ")
        answer = file_prompts.ask_layout(
            self.host.window, f"Which layout does {Path(path).name} use?",
            reason[0].upper() + reason[1:] + ".", dict(LAYOUT_TITLES))
        if answer is None:
            return None
        return load_bank_npy(path, answer)

    # ------------------------------------------------------------ code

    def copy_code(self, framework: str) -> str | None:
        """Put code building the pipeline in ``framework`` on the clipboard.

        Parameters
        ----------
        framework : {"pytorch", "keras"}
            Which framework.

        Returns
        -------
        str or None
            The code, or None if the pipeline cannot be expressed (the reason is shown).
        """
        try:
            code = framework_code(self._pipeline, framework)
        except ValueError as exc:
            # The clipboard must not keep older code that a paste would take for this one.
            QGuiApplication.clipboard().clear()
            self.host.warn(f"Could not generate {FRAMEWORK_TITLES[framework]} code: {exc}. "
                           "The clipboard was cleared.")
            return None
        QGuiApplication.clipboard().setText(code)
        layers = len(self._pipeline.layers)
        self.host.notify(f"Copied {FRAMEWORK_TITLES[framework]} code for {layers} "
                         f"layer{'s' if layers != 1 else ''} to the clipboard")
        return code
