"""Your own model: open an ONNX / safetensors / PyTorch / Keras file, pick layers, save a copy.

File > Open model reads the file on a worker thread (a large model must not freeze the
window) and shows the :class:`ModelBrowser`: the model's layers in order from the input.
"Use layers up to here" makes the run of layers from the input to the chosen one the
workbench pipeline (BatchNorm folded), so every view, the step-through, live input and
export work on it. File > Save model copy writes the edited (or pruned) filters into a copy
of the file in its own format; the original is never overwritten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.actions import file_prompts
from workbench.session import Session

MODEL_SUFFIXES: tuple[str, ...] = (".onnx", ".safetensors", ".pt", ".pth", ".keras", ".h5")
MODEL_FILTER = ("Models (" + " ".join(f"*{s}" for s in MODEL_SUFFIXES) + ");;"
                "ONNX (*.onnx);;safetensors (*.safetensors);;PyTorch state dict (*.pt *.pth);;"
                "Keras (*.keras *.h5)")
# Layer kinds that end a run the browser can use ("up to here").
USABLE_KINDS = frozenset({"conv", "batchnorm", "relu", "leaky_relu", "sigmoid", "tanh",
                          "maxpool", "avgpool", "globalavgpool", "globalmaxpool", "identity"})


def _describe_params(params: dict[str, Any]) -> str:
    shown = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            value = "×".join(str(v) for v in value)
        shown.append(f"{key} {value}")
    return ", ".join(shown)


class ModelBrowser(QDialog):
    """The layers of an opened model; the chosen run becomes the pipeline.

    Parameters
    ----------
    model : workbench.io.models.Model
        The opened model.
    use : callable
        ``use(name)``: make the layers up to ``name`` the pipeline; returns "" or why not.
    parent : QWidget, optional
        Qt parent.
    """

    def __init__(self, model: Any, use: Callable[[str], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._use = use
        self.setWindowTitle(f"Model — {Path(model.path).name}")
        self.resize(720, 480)
        channels = model.input_channels if model.input_channels is not None else "unknown"
        self.summary = QLabel(f"<b>{Path(model.path).name}</b> ({model.format}), "
                              f"{len(model.layers)} layers, input channels "
                              f"{channels}. Pick a layer: the layers from the "
                              f"input up to it become the workbench's pipeline "
                              f"(BatchNorm folded into the conv).")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Layer", "Kind", "Weight shape", "Parameters"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        for layer in model.layers:
            shape = "×".join(str(s) for s in layer.weight_shape) if layer.weight_shape else ""
            params = dict(layer.params)
            unsupported = str(params.pop("unsupported", ""))
            item = QTreeWidgetItem([layer.name, layer.kind, shape, _describe_params(params)])
            item.setData(0, Qt.ItemDataRole.UserRole, layer.name)
            if layer.kind not in USABLE_KINDS or unsupported:
                for column in range(4):
                    item.setForeground(column, self.palette().placeholderText())
                why = unsupported or ("the workbench runs conv, BatchNorm, activation and "
                                      "pooling layers; a run of layers stops before this one")
                for column in range(4):
                    item.setToolTip(column, why[:1].upper() + why[1:] + ".")
            self.tree.addTopLevelItem(item)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        self.tree.itemDoubleClicked.connect(lambda _item, _col: self.use_selected())
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setProperty("tone", "error")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.use_button = QPushButton("&Use layers up to here")
        self.use_button.setToolTip("Run the layers from the input to the selected one in the "
                                   "workbench (double-click does the same)")
        self.buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.use_button.clicked.connect(self.use_selected)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        first_conv = next((i for i, layer in enumerate(model.layers) if layer.kind == "conv"),
                          0)
        first = self.tree.topLevelItem(first_conv)
        if first is not None:
            self.tree.setCurrentItem(first)
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.tree.currentItem()
        self.use_button.setEnabled(item is not None)

    def select(self, name: str) -> None:
        """Select a layer by name.

        Parameters
        ----------
        name : str
            The layer.
        """
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.tree.setCurrentItem(item)
                return
        raise KeyError(name)

    def use_selected(self) -> bool:
        """Make the layers up to the selected one the pipeline.

        Returns
        -------
        bool
            True when it worked; otherwise the dialog says why.
        """
        item = self.tree.currentItem()
        if item is None:
            return False
        problem = self._use(str(item.data(0, Qt.ItemDataRole.UserRole)))
        self.note.setText(problem)
        return not problem


class _Loaded(QObject):
    """Carries a model (or the reason it failed) from the loading thread to the GUI thread."""

    done = Signal(object, object, str)  # path, model or None, error message


class ModelFiles(QObject):
    """Open, browse and save models for one window.

    Parameters
    ----------
    window : QWidget
        Dialog parent; has ``show_message(text, kind)``.
    session : Session
        The state the chosen layers go into.
    """

    sigModelChanged = Signal(object)  # the opened Model, or None

    def __init__(self, window: QWidget, session: Session) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self.model: Any = None
        self.through = ""
        self.browser: ModelBrowser | None = None
        self.loading: str | None = None
        self._loaded = _Loaded(self)
        self._loaded.done.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)
        self._folder = ""

    def _message(self, text: str, kind: str = "error") -> None:
        self._window.show_message(text, kind)  # type: ignore[attr-defined]

    # ------------------------------------------------------------ opening

    def open_dialog(self) -> None:
        """Ask for a model file and open it."""
        path, _ = file_prompts.ask_open_path(self._window, "Open model", self._folder,
                                             MODEL_FILTER)
        if path:
            self.open(path)

    def open(self, path: str | Path, wait: bool = False) -> None:
        """Read a model file on a worker thread, then show its layers.

        Parameters
        ----------
        path : str or pathlib.Path
            The model file.
        wait : bool, optional
            Read on this thread (scripts and tests); the browser still opens.
        """
        if self.loading is not None:
            self._message(f"Still reading {Path(self.loading).name}; try again when it is "
                          f"open.", "info")
            return
        self.loading = str(path)
        self._folder = str(Path(path).parent)
        self._message(f"Reading the model {Path(path).name}…", "info")
        if wait:
            self._on_loaded(*self._read(str(path)))
        else:
            threading.Thread(target=lambda: self._loaded.done.emit(*self._read(str(path))),
                             daemon=True, name="model-reader").start()

    @staticmethod
    def _read(path: str) -> tuple[str, Any, str]:
        """Open a model: ``(path, model, "")`` or ``(path, None, why not)``; never raises."""
        from workbench.io.errors import LoadError

        try:
            from workbench.io.models import open_model

            return path, open_model(path), ""
        except (LoadError, OSError, ValueError) as exc:
            return path, None, file_prompts.describe_failure(exc, path)
        except ImportError as exc:
            return path, None, (f"{Path(path).name}: reading models needs the 'models' extra "
                                f"(pip install \"conv-workbench[models]\"): {exc}")
        except Exception as exc:  # noqa: BLE001 - a hostile file must never crash the window
            return path, None, (f"{Path(path).name}: not a model the workbench can read "
                                f"({type(exc).__name__}: {exc})")

    def _on_loaded(self, path: str, model: Any, error: str) -> None:
        self.loading = None
        if model is None:
            self._message(f"Could not open the model: {error}. Nothing was changed.")
            return
        self.model = model
        self.sigModelChanged.emit(model)
        if self.browser is not None:
            self.browser.close()
        self.browser = ModelBrowser(model, self.use_layers, self._window)
        self.browser.show()
        self._message(f"Opened {Path(path).name}: pick the layers to run.", "info")

    def use_layers(self, through: str) -> str:
        """Make the model's layers from the input to ``through`` the pipeline.

        Parameters
        ----------
        through : str
            The last layer's name.

        Returns
        -------
        str
            "" when done, else why not (also shown in the message bar).
        """
        if self.model is None:
            return "no model is open"
        try:
            pipeline = self.model.pipeline(through=through)
        except (ValueError, KeyError) as exc:
            reason = str(exc).strip("'\"")
            problem = f"cannot run the layers up to {through}: {reason}"
            self._message(f"The model {problem}", "warning")
            return problem
        self._session.set_pipeline(pipeline)
        self.through = through
        count = len(pipeline.layers)
        self._message(f"Running {Path(self.model.path).name} up to {through}: {count} "
                      f"layer{'s' if count != 1 else ''} (File > Save model copy writes your "
                      f"edits back).", "info")
        return ""

    def close(self) -> None:
        """Close the browser (the window is closing)."""
        if self.browser is not None:
            self.browser.close()
            self.browser = None

    # ------------------------------------------------------------ saving

    def save_copy_dialog(self) -> None:
        """Ask where to save the edited model and save it."""
        if self.model is None:
            self._message("Open a model first (File > Open model).", "info")
            return
        source = Path(self.model.path)
        suggestion = str(source.with_name(f"{source.stem}-edited{source.suffix}"))
        chosen, _ = file_prompts.ask_save_path(self._window, "Save model copy", suggestion,
                                               f"Same format (*{source.suffix})")
        if not chosen:
            return
        target = Path(chosen)
        exists = target.exists()
        if exists and not file_prompts.confirm_overwrite(self._window, [target]):
            return
        self.save_copy(target, overwrite=exists)

    def save_copy(self, path: str | Path, overwrite: bool = False) -> bool:
        """Write the current pipeline's weights into a copy of the model file.

        Parameters
        ----------
        path : str or pathlib.Path
            The copy; never the opened file itself.
        overwrite : bool, optional
            Replace an existing file (the dialog has asked).

        Returns
        -------
        bool
            True when written (the message bar says why not).
        """
        if self.model is None:
            self._message("Open a model first (File > Open model).", "info")
            return False
        target = Path(path)
        if target.resolve() == Path(self.model.path).resolve():
            self._message("The model copy must not replace the original file: choose "
                          "another name.", "warning")
            return False
        try:
            self.model.save_copy(self._session.pipeline, target, through=self.through or None,
                                 overwrite=overwrite)
        except (OSError, ValueError) as exc:
            self._message(f"Could not save the model copy: "
                          f"{file_prompts.describe_failure(exc, target)}")
            return False
        except Exception as exc:  # noqa: BLE001 - a format library's own error: say it
            self._message(f"Could not save the model copy {target.name}: "
                          f"{type(exc).__name__}: {exc}")
            return False
        self._message(f"Saved the edited model as {target.name}.", "info")
        return True
