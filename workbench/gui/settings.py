"""What the window remembers between runs: a Qt-free dataclass, persisted through QSettings.

The file is INI. Its path is ``$CONV_WORKBENCH_SETTINGS`` when set (tests point it at a
temporary file), else Qt's per-user location for organisation/application "conv-workbench".
A corrupt file, or an invalid value inside it, falls back to the defaults with a message;
nothing here raises for bad content.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from workbench.core import Pipeline, default_pipeline, from_json, to_json
from workbench.gui.appearance import APPEARANCES, DEFAULT_APPEARANCE
from workbench.gui.live.recording import RECORD_KINDS
from workbench.io.images import DEFAULT_MAX_SIDE
from workbench.io.workspace import SourceSpec
from workbench.render import COLOR_MODES, COLORMAPS, ViewOptions
from workbench.session import DEFAULT_IMAGE, MAX_SIDE_RANGE
from workbench.sources import DEFAULT_RESOLUTION

ENV_VAR = "CONV_WORKBENCH_SETTINGS"
FORMAT_VERSION = 1
MAX_RECENT = 10
CAMERA_INDEX_MAX = 255
RESOLUTION_RANGE = (1, 16384)
# Qt's spin boxes and item data hold a C int: a saved layer number above this cannot be shown.
QT_INT_MAX = 2**31 - 1
# A widget's own small preferences (a folded sub-view): written when the user changes them,
# kept when the window saves the rest.
WIDGET_PREFIX = "widgets/"


@dataclass
class LiveChoices:
    """The live-input options chosen last; restored without starting any stream.

    Parameters
    ----------
    camera_index : int or None
        Camera device number; None until one was chosen (the first camera found is used).
    resolution : tuple of int
        ``(width, height)`` requested from the camera.
    mirror : bool
        Flip the camera image left-right.
    loop : bool
        Play a video again when it ends.
    record_kind : str
        A key of :data:`workbench.gui.live.recording.RECORD_KINDS`.
    video_path : str
        The video file chosen last, ``""`` for none.
    record_folder : str
        The folder the last recording went to, ``""`` for none: the next start looks there
        for a recording a crash left unfinished.
    """

    camera_index: int | None = None
    resolution: tuple[int, int] = (DEFAULT_RESOLUTION[0], DEFAULT_RESOLUTION[1])
    mirror: bool = False
    loop: bool = False
    record_kind: str = next(iter(RECORD_KINDS))
    video_path: str = ""
    record_folder: str = ""


@dataclass
class WorkbenchSettings:
    """Everything restored at start-up. ``image`` is a file path or ``"sample:<key>"``.

    ``raw`` is the numeric input (a ``"data"`` source) when the window closed on one; the
    window then reopens on it with ``pipeline`` (input mode ``"raw"``).
    """

    pipeline: Pipeline = field(default_factory=default_pipeline)
    image: str = DEFAULT_IMAGE
    recent_files: list[str] = field(default_factory=list)
    recent_workspaces: list[str] = field(default_factory=list)
    max_side: int = DEFAULT_MAX_SIDE
    view: ViewOptions = field(default_factory=ViewOptions)
    appearance: str = DEFAULT_APPEARANCE
    selected_filter: int = 0
    geometry: bytes = b""
    window_state: bytes = b""
    splitter_state: bytes = b""
    left_splitter_state: bytes = b""
    views_splitter_state: bytes = b""
    live: LiveChoices = field(default_factory=LiveChoices)
    raw: SourceSpec | None = None

    def add_recent(self, path: str) -> None:
        """Put ``path`` first in the recent files, dropping duplicates and the oldest.

        Parameters
        ----------
        path : str
            An image file path.
        """
        self.recent_files = [path] + [p for p in self.recent_files if p != path]
        del self.recent_files[MAX_RECENT:]


def settings_path() -> Path | None:
    """Return the file named by ``$CONV_WORKBENCH_SETTINGS``, or None for Qt's default.

    Returns
    -------
    pathlib.Path or None
        The overriding path.
    """
    value = os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else None


def _open() -> QSettings:
    path = settings_path()
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "conv-workbench",
                     "conv-workbench")


def _text(value: object) -> str | None:
    # A hand-edited INI value with an unquoted comma reads back as a list of strings.
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return value if isinstance(value, str) else None


def _as_int(value: object, low: int, high: int) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if low <= number <= high else None


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower())


def _as_bytes(value: object) -> bytes:
    return bytes(value.data()) if isinstance(value, QByteArray) else b""


def _paths(value: object) -> list[str] | None:
    """Read a JSON list of paths (at most ``MAX_RECENT``); None if the text is not JSON."""
    try:
        paths = json.loads(_text(value) or "[]")
    except (json.JSONDecodeError, RecursionError):
        return None
    return [p for p in paths if isinstance(p, str)][:MAX_RECENT] \
        if isinstance(paths, list) else []


def _resolution(value: object) -> tuple[int, int] | None:
    match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", _text(value) or "")
    if match is None:
        return None
    width, height = (_as_int(match.group(i), *RESOLUTION_RANGE) for i in (1, 2))
    return None if width is None or height is None else (width, height)


def _load_live(store: QSettings) -> LiveChoices:
    """Read the live choices; each invalid value falls back to its default."""
    default = LiveChoices()
    index = _as_int(store.value("live/camera_index"), 0, CAMERA_INDEX_MAX)
    mirror = _as_bool(store.value("live/mirror"))
    loop = _as_bool(store.value("live/loop"))
    kind = _text(store.value("live/record_kind"))
    return LiveChoices(
        index,
        _resolution(store.value("live/resolution")) or default.resolution,
        default.mirror if mirror is None else mirror,
        default.loop if loop is None else loop,
        kind if kind in RECORD_KINDS else default.record_kind,
        _text(store.value("live/video_path")) or default.video_path,
        _text(store.value("live/record_folder")) or default.record_folder)


def _load_raw(value: object) -> tuple[SourceSpec | None, str | None]:
    """Read the saved raw input: the source, or None and why it was ignored."""
    text = _text(value)
    if not text:
        return None, None
    try:
        spec = SourceSpec.from_dict(json.loads(text))
        if spec.kind != "data":
            raise ValueError(f"a {spec.kind} source is not numeric data")
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        return None, f"The saved numeric input is invalid ({exc}); the image is shown instead."
    except RecursionError:
        return None, ("The saved numeric input is nested too deeply to read; the image is "
                      "shown instead.")
    return spec, None


def pipeline_problem(pipeline: Pipeline) -> str | None:
    """Say why the window could not show ``pipeline``, or return None when it can.

    Parameters
    ----------
    pipeline : Pipeline
        A pipeline that passed the core checks (e.g. read from the settings file).

    Returns
    -------
    str or None
        The first layer number too large for the window's controls, as a sentence part.
    """
    for number, layer in enumerate(pipeline.layers, start=1):
        pool = layer.pool
        padding = () if isinstance(layer.padding, str) else layer.padding  # "same"/"valid"
        values = {"stride": layer.stride, "padding": padding,
                  "dilation": layer.dilation, "groups": (layer.groups,),
                  "pool size": pool.size, "pool stride": pool.stride or (),
                  "pool padding": pool.padding}
        for name, numbers in values.items():
            if any(abs(int(v)) > QT_INT_MAX for v in numbers):
                return f"layer {number} has a {name} above {QT_INT_MAX}"
    return None


def load_settings() -> tuple[WorkbenchSettings, list[str]]:
    """Read the settings file.

    Returns
    -------
    tuple
        The settings (defaults for anything missing or invalid) and a list of messages
        describing what was ignored, empty when the file was fine or did not exist.
    """
    defaults = WorkbenchSettings()
    store = _open()
    path = Path(store.fileName())
    if not path.is_file() or path.stat().st_size == 0:
        return defaults, []
    version = store.value("meta/format_version")
    if store.status() != QSettings.Status.NoError or _as_int(version, 1, FORMAT_VERSION) is None:
        backup = path.with_name(path.name + ".corrupt")
        shutil.copyfile(path, backup)
        return defaults, [f"The settings file {path} is not readable (saved a copy as "
                          f"{backup.name}); starting with the defaults."]
    messages: list[str] = []
    settings = WorkbenchSettings()

    text = _text(store.value("pipeline/json"))
    if text is not None:
        try:
            pipeline = from_json(text)
            problem = pipeline_problem(pipeline)
            if problem is not None:
                raise ValueError(problem)
            settings.pipeline = pipeline
        except ValueError as exc:
            messages.append(f"The saved filter bank is invalid ({exc}) in {path}; using the "
                            "default bank.")
    settings.image = _text(store.value("image/source")) or defaults.image
    for key, attribute, what in (("image/recent", "recent_files", "recent-files"),
                                 ("workspace/recent", "recent_workspaces",
                                  "recent-workspaces")):
        paths = _paths(store.value(key))
        if paths is None:
            messages.append(f"The {what} list is invalid and was cleared.")
        setattr(settings, attribute, paths or [])
    max_side = store.value("image/max_side")
    if max_side is not None:
        settings.max_side = _as_int(max_side, *MAX_SIDE_RANGE) or defaults.max_side
    colormap = _text(store.value("view/colormap"))
    mode = _text(store.value("view/color_mode"))
    shared = _as_bool(store.value("view/shared_levels"))
    settings.view = ViewOptions(
        colormap if colormap in COLORMAPS else defaults.view.colormap,
        mode if mode in COLOR_MODES else defaults.view.mode,
        defaults.view.shared if shared is None else shared)
    appearance = _text(store.value("view/appearance"))
    settings.appearance = appearance if appearance in APPEARANCES else defaults.appearance
    settings.selected_filter = _as_int(store.value("window/selected_filter"), 0, 10_000) or 0
    settings.geometry = _as_bytes(store.value("window/geometry"))
    settings.window_state = _as_bytes(store.value("window/state"))
    settings.splitter_state = _as_bytes(store.value("window/splitter"))
    settings.left_splitter_state = _as_bytes(store.value("window/left_splitter"))
    settings.views_splitter_state = _as_bytes(store.value("window/views_splitter"))
    settings.live = _load_live(store)
    settings.raw, problem = _load_raw(store.value("input/raw"))
    if problem:
        messages.append(problem)
    return settings, messages


def load_widget_flag(key: str, default: bool) -> bool:
    """Read a widget's on/off preference.

    Parameters
    ----------
    key : str
        Its name, e.g. ``"kernel_editor/frequency_response"``.
    default : bool
        The value when it was never saved, or is not ``true``/``false``.

    Returns
    -------
    bool
        The saved value, else ``default``.
    """
    value = _as_bool(_open().value(WIDGET_PREFIX + key))
    return default if value is None else value


def save_widget_flag(key: str, value: bool) -> None:
    """Remember a widget's on/off preference at once (:func:`save_settings` keeps it).

    Parameters
    ----------
    key : str
        Its name, e.g. ``"kernel_editor/frequency_response"``.
    value : bool
        The value.
    """
    store = _open()
    if store.value("meta/format_version") is None:
        # A file holding only this key must still read as a settings file.
        store.setValue("meta/format_version", FORMAT_VERSION)
    store.setValue(WIDGET_PREFIX + key, value)
    store.sync()


def save_record_folder(folder: str | os.PathLike[str]) -> None:
    """Remember at once where a recording is being written, so a crash cannot forget it.

    The next start looks there for the unfinished file (:mod:`workbench.gui.live.orphans`).

    Parameters
    ----------
    folder : str or os.PathLike
        The recording's folder.
    """
    store = _open()
    if store.value("meta/format_version") is None:
        store.setValue("meta/format_version", FORMAT_VERSION)
    store.setValue("live/record_folder", str(folder))
    store.sync()


def save_settings(settings: WorkbenchSettings) -> Path:
    """Write ``settings``, replacing whatever the file held.

    Parameters
    ----------
    settings : WorkbenchSettings
        What to remember.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    store = _open()
    kept = {key: store.value(key) for key in store.allKeys() if key.startswith(WIDGET_PREFIX)}
    store.clear()
    for key, value in kept.items():
        store.setValue(key, value)
    store.setValue("meta/format_version", FORMAT_VERSION)
    if pipeline_problem(settings.pipeline) is None:  # else the default bank is read back
        store.setValue("pipeline/json", to_json(settings.pipeline, indent=None))
    store.setValue("image/source", settings.image)
    store.setValue("image/recent", json.dumps(settings.recent_files))
    store.setValue("workspace/recent", json.dumps(settings.recent_workspaces))
    store.setValue("image/max_side", settings.max_side)
    store.setValue("view/colormap", settings.view.colormap)
    store.setValue("view/color_mode", settings.view.mode)
    store.setValue("view/shared_levels", settings.view.shared)
    store.setValue("view/appearance", settings.appearance)
    store.setValue("window/selected_filter", settings.selected_filter)
    store.setValue("window/geometry", QByteArray(settings.geometry))
    store.setValue("window/state", QByteArray(settings.window_state))
    store.setValue("window/splitter", QByteArray(settings.splitter_state))
    store.setValue("window/left_splitter", QByteArray(settings.left_splitter_state))
    store.setValue("window/views_splitter", QByteArray(settings.views_splitter_state))
    live = settings.live
    store.setValue("live/camera_index", "" if live.camera_index is None else live.camera_index)
    store.setValue("live/resolution", f"{live.resolution[0]}x{live.resolution[1]}")
    store.setValue("live/mirror", live.mirror)
    store.setValue("live/loop", live.loop)
    store.setValue("live/record_kind", live.record_kind)
    store.setValue("live/video_path", live.video_path)
    store.setValue("live/record_folder", live.record_folder)
    if settings.raw is not None:
        store.setValue("input/raw", json.dumps(settings.raw.to_dict()))
    store.sync()
    return Path(store.fileName())
