"""Raw numeric inputs in the window: File > Open data…, typed values, the tutorials' examples.

Raw data (:mod:`workbench.io.data_input`) is fed to the pipeline as given, in input mode
``"raw"``; the tutorials' worked examples (:mod:`workbench.tutorials`) load their
input together with their filters and parameters.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.actions import file_prompts
from workbench.gui.panels.message_bar import MessageBar
from workbench.io.data_input import (
    DATA_SUFFIXES,
    RawData,
    format_data_text,
    load_data,
    parse_data_text,
)
from workbench.io.errors import LoadError
from workbench.session import InputState, Session
from workbench.tutorials import TUTORIAL_EXAMPLES

TYPED_NAME = "typed values"
STARTER_TEXT = "1 2 3 4 5 6"


class DataValuesDialog(QDialog):
    """Type or paste the numbers of a raw input.

    Parameters
    ----------
    text : str
        Initial text.
    rows_are_channels : bool
        Initial state of the "rows are channels" box.
    parent : QWidget, optional
        Qt parent.
    """

    sigValues = Signal(object)  # RawData

    def __init__(self, text: str, rows_are_channels: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Input values")
        layout = QVBoxLayout(self)
        help_label = QLabel(
            "Numbers separated by spaces or commas, one row per line; a blank line starts "
            "the next channel. Pasted numpy / PyTorch printouts and [1, 2, 3] lists work too. "
            "One row is a 1-D signal (1 x L).")
        help_label.setWordWrap(True)
        layout.addWidget(help_label)
        self.text_edit = QPlainTextEdit(text)
        self.text_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_edit.setMinimumSize(420, 180)
        layout.addWidget(self.text_edit, 1)
        self.rows_are_channels = QCheckBox("Rows are channels (PyTorch Conv1d: C rows of L)")
        self.rows_are_channels.setChecked(rows_are_channels)
        self.rows_are_channels.setToolTip("Read several rows as channels of a 1-D signal, as "
                                          "PyTorch prints a (1, C, L) tensor.")
        layout.addWidget(self.rows_are_channels)
        self.error_bar = MessageBar()
        layout.addWidget(self.error_bar)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout.addWidget(buttons)

    def accept(self) -> None:
        """Parse the text; on an error say why and stay open."""
        try:
            values = parse_data_text(self.text_edit.toPlainText(),
                                     self.rows_are_channels.isChecked())
        except ValueError as exc:
            self.error_bar.show_message(f"Cannot read the values: {exc}", "error")
            return
        self.sigValues.emit(RawData(values, TYPED_NAME,
                                    rows_are_channels=self.rows_are_channels.isChecked()))
        super().accept()


class RawDataActions:
    """The raw-data actions: Open data…, Edit input values…, tutorial examples.

    Parameters
    ----------
    parent : QWidget
        Parent of the actions and dialogs.
    session : Session
        Takes the data (:meth:`Session.open_raw`) and the examples.
    """

    def __init__(self, parent: QWidget, session: Session) -> None:
        self.parent = parent
        self.session = session
        self.dialog: DataValuesDialog | None = None
        self._folder = ""
        self.open_action = QAction("Open &data…", parent)
        tip = ("Open numbers as the input, used as given (no scaling): .npy (L), (H, W) or "
               "(C, H, W); .csv / .txt rows, blank lines between channels")
        self.open_action.setStatusTip(tip)
        self.open_action.setToolTip(tip)
        self.open_action.triggered.connect(self.open_data_dialog)
        self.edit_action = QAction("&Edit input values…", parent)
        tip = "Type or paste the input's numbers, e.g. 1 2 3 4 5 6"
        self.edit_action.setStatusTip(tip)
        self.edit_action.setToolTip(tip)
        self.edit_action.triggered.connect(self.edit_values)
        self.examples_menu = QMenu("&Tutorial examples", parent)
        self.examples_menu.setToolTipsVisible(True)
        self.example_actions: dict[str, QAction] = {}
        for example in TUTORIAL_EXAMPLES:
            action = self.examples_menu.addAction(example.name)
            description = f"{example.description} ({example.source})"
            action.setToolTip(description)
            action.setStatusTip(description)
            action.triggered.connect(lambda _=False, key=example.key: self.open_example(key))
            self.example_actions[example.key] = action
        self.leave_tutorial_action = QAction("&Back to your work", parent)
        tip = "Leave the tutorial example: the input, filters and parameters from before it"
        self.leave_tutorial_action.setStatusTip(tip)
        self.leave_tutorial_action.setToolTip(tip)
        self.leave_tutorial_action.triggered.connect(lambda _=False: session.leave_tutorial())
        session.input_changed.connect(self._on_input_changed)
        self._on_input_changed(session.input)

    def _on_input_changed(self, state: InputState) -> None:
        self.leave_tutorial_action.setEnabled(state.tutorial is not None)

    def open_example(self, key: str) -> None:
        """Load a tutorial example: its input, filters and parameters (one undoable step).

        Parameters
        ----------
        key : str
            See :data:`workbench.tutorials.TUTORIAL_EXAMPLES`.
        """
        self.session.open_tutorial(key)

    def open_data(self, path: str | Path, rows_are_channels: bool = False) -> bool:
        """Load a data file as the input; on failure nothing changes.

        Parameters
        ----------
        path : str or pathlib.Path
            ``.npy``, ``.csv``, ``.txt`` or ``.wav``.
        rows_are_channels : bool, optional
            Read a 2-D array as channels of ``1 x L``.

        Returns
        -------
        bool
            Whether it was loaded (the message bar says why not).
        """
        try:
            raw = load_data(path, rows_are_channels)
        except LoadError as exc:
            self.session.message.emit(f"Could not open the data: {exc}. The current input is "
                                      "kept.", "error")
            return False
        self._folder = str(Path(path).parent)
        self.session.open_raw(raw)
        return True

    def open_data_dialog(self) -> None:
        """Ask for a data file and open it."""
        patterns = " ".join(f"*{s}" for s in DATA_SUFFIXES)
        path, _ = file_prompts.ask_open_path(self.parent, "Open data", self._folder,
                                             f"Numeric data ({patterns});;All files (*)")
        if path:
            self.open_data(path)

    def edit_values(self) -> DataValuesDialog:
        """Open the dialog to type the input's numbers (the current raw values, if any).

        Returns
        -------
        DataValuesDialog
            The dialog shown (non-modal); accepting it loads the values.
        """
        raw = self.session.input.raw
        text = format_data_text(raw.values) if raw is not None else STARTER_TEXT
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = DataValuesDialog(text, raw.rows_are_channels if raw else False,
                                       self.parent)
        self.dialog.sigValues.connect(self.session.open_raw)
        self.dialog.open()
        return self.dialog
