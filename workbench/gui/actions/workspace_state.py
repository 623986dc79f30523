"""What a workspace holds of the window, and how the window is set from one.

A workspace (:mod:`workbench.io.workspace`) stores the source, the pipeline, the size limit
and the view settings: the colormap, the colour scaling mode and whether levels are shared.
The source is the stream while one runs (a camera with its requested resolution, a video
file, the synthetic pattern), else the still image or sample. A video reopens at its
start; a frozen frame is not a source of its own, so the still image is stored then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.core import Pipeline
from workbench.gui.live.controller import SYNTHETIC_SIZE, LiveController
from workbench.io.data_input import (
    INLINE_LIMIT,
    RawData,
    format_data_text,
    load_data,
    parse_data_text,
)
from workbench.io.errors import LoadError
from workbench.io.images import ImageLoadError
from workbench.io.workspace import SourceSpec, Workspace
from workbench.render import ViewOptions
from workbench.session import MAX_SIDE_RANGE, SAMPLE_PREFIX, InputState, Session, read_source
from workbench.session.edits import (
    image_input_mode,
    set_input_mode,
    set_raw_channels,
    with_layer,
)
from workbench.sources import (
    DEFAULT_RESOLUTION,
    CameraSource,
    FrameSource,
    SyntheticSource,
    VideoFileSource,
)


def ask_open_camera(index: int) -> bool:
    """Ask whether a workspace may turn on camera ``index`` (it lights the webcam).

    Parameters
    ----------
    index : int
        The workspace's camera device number.

    Returns
    -------
    bool
        True to open the camera.
    """
    answer = QMessageBox.question(
        QApplication.activeWindow(), "Open the camera?",
        f"This workspace's source is camera {index}. Turn the camera on now?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


# Asked before a workspace opens a camera; the screenshot mode, which cannot ask, replaces it.
camera_prompt: Callable[[int], bool] = ask_open_camera


def source_spec(image_source: str) -> SourceSpec:
    """Describe an image source (a path or ``"sample:<key>"``) for a workspace.

    Parameters
    ----------
    image_source : str
        ``InputState.source``.

    Returns
    -------
    SourceSpec
        A ``sample`` or ``image`` source.

    Raises
    ------
    ValueError
        If ``image_source`` is empty.
    """
    if image_source.startswith(SAMPLE_PREFIX):
        return SourceSpec("sample", sample_key=image_source[len(SAMPLE_PREFIX):])
    return SourceSpec("image", path=image_source)


def raw_spec(raw: RawData) -> SourceSpec:
    """Describe raw data for a workspace: inline values when small or typed, else its file.

    Parameters
    ----------
    raw : RawData
        The session's raw input.

    Returns
    -------
    SourceSpec
        A ``data`` source.
    """
    inline = raw.path is None or raw.values.size <= INLINE_LIMIT
    return SourceSpec("data", path=raw.path, name=raw.name,
                      values=format_data_text(raw.values) if inline else None,
                      rows_are_channels=raw.rows_are_channels)


def spec_raw(source: SourceSpec) -> RawData:
    """Read the raw data of a ``data`` source (inline values first, else its file).

    Parameters
    ----------
    source : SourceSpec
        A ``data`` source.

    Returns
    -------
    RawData
        The data.

    Raises
    ------
    LoadError
        If the file cannot be read.
    ValueError
        If the inline values are invalid.
    """
    if source.values is not None:
        values = parse_data_text(source.values)
        return RawData(values, source.name or "data", source.path, source.rows_are_channels)
    assert source.path is not None  # SourceSpec requires values or path
    raw = load_data(source.path, source.rows_are_channels)
    return RawData(raw.values, source.name or raw.name, raw.path, raw.rows_are_channels)


def restore_raw(session: Session, source: SourceSpec, pipeline: Pipeline) -> bool:
    """Reopen the numeric input saved at the last close, with its pipeline and no history.

    Data that cannot be read any more (a file gone, invalid inline values) leaves the
    session on its image, with a warning.

    Parameters
    ----------
    session : Session
        The session, showing its still image.
    source : SourceSpec
        A ``data`` source (``WorkbenchSettings.raw``).
    pipeline : Pipeline
        The saved pipeline; its first layer is fitted to the data's channels.

    Returns
    -------
    bool
        Whether the data is the input now.
    """
    try:
        raw = spec_raw(source)
    except (LoadError, ValueError) as exc:
        session.message.emit(f"Could not reopen the numeric input: {exc}. The image is shown "
                             "instead.", "warning")
        return False
    session.reset(set_raw_channels(pipeline, raw.channels), raw_input(session.input, raw))
    return True


def raw_input(current: InputState, raw: RawData) -> InputState:
    """Return an input state holding ``raw``, keeping the still source and size limit.

    Parameters
    ----------
    current : InputState
        The input it replaces.
    raw : RawData
        The data.

    Returns
    -------
    InputState
        ``kind == "raw"``.
    """
    return InputState("raw", current.source, None, raw, None, current.max_side, raw.name)


def stream_spec(source: FrameSource) -> SourceSpec | None:
    """Describe a streaming source for a workspace.

    Parameters
    ----------
    source : FrameSource
        The live controller's source.

    Returns
    -------
    SourceSpec or None
        A ``camera``, ``video`` or ``synthetic`` source; None for other kinds (and for a
        camera opened by its device path, which a workspace cannot name).
    """
    if isinstance(source, CameraSource) and isinstance(source.index, int):
        width, height = source.requested_resolution
        return SourceSpec("camera", camera_index=source.index, size=(width, height))
    if isinstance(source, VideoFileSource):
        return SourceSpec("video", path=str(source.path))
    if isinstance(source, SyntheticSource):
        width, height = source.size
        return SourceSpec("synthetic", size=(width, height))
    return None


def view_dict(options: ViewOptions) -> dict[str, Any]:
    """Return the view settings stored in a workspace.

    Parameters
    ----------
    options : ViewOptions
        The window's colour options.

    Returns
    -------
    dict
        ``colormap``, ``color_mode``, ``shared_levels``.
    """
    return {"colormap": options.colormap, "color_mode": options.mode,
            "shared_levels": options.shared}


def view_options(view: dict[str, Any], current: ViewOptions) -> ViewOptions:
    """Read the colour options of a workspace's view settings; missing keys keep ``current``.

    Parameters
    ----------
    view : dict
        ``Workspace.view``.
    current : ViewOptions
        The window's options.

    Returns
    -------
    ViewOptions
        The options to show.

    Raises
    ------
    ValueError
        If the colormap or mode is unknown, or ``shared_levels`` is not a boolean.
    """
    shared = view.get("shared_levels", current.shared)
    if not isinstance(shared, bool):
        raise ValueError(f"shared_levels must be true or false, got {shared!r}")
    return ViewOptions(view.get("colormap", current.colormap),
                       view.get("color_mode", current.mode), shared)


def session_workspace(session: Session, stream: FrameSource | None,
                      options: ViewOptions) -> Workspace:
    """Capture the source, pipeline, size limit and view settings.

    Parameters
    ----------
    session : Session
        The session.
    stream : FrameSource or None
        The live source while one runs (stored instead of the still image).
    options : ViewOptions
        The colour options.

    Returns
    -------
    Workspace
        Ready for :func:`workbench.io.save_workspace`.
    """
    spec = stream_spec(stream) if stream is not None else None
    state = session.input
    if spec is None and state.raw is not None:
        spec = raw_spec(state.raw)
    return Workspace(spec or source_spec(state.source), session.pipeline, state.max_side,
                     view_dict(options))


def apply_workspace(session: Session, live: LiveController,
                    workspace: Workspace) -> SourceSpec | None:
    """Start afresh from a workspace: pipeline, size, view and source, a new undo history.

    An image that cannot be loaded keeps the current input and says so; invalid view
    settings are ignored with a warning. Streams open in the background: a camera or video
    that fails to open is reported by the live input. A camera is opened only when
    :data:`camera_prompt` agrees; otherwise the image input stays, with a message.

    Parameters
    ----------
    session : Session
        The session.
    live : LiveController
        Opens a stored stream.
    workspace : Workspace
        A loaded, validated workspace.

    Returns
    -------
    SourceSpec or None
        The stream being opened, shown once it delivers (None for a still input).
    """
    limit = workspace.max_side or MAX_SIDE_RANGE[1]
    max_side = min(max(limit, MAX_SIDE_RANGE[0]), MAX_SIDE_RANGE[1])
    try:
        session.set_view_options(view_options(workspace.view, session.view_options))
    except ValueError as exc:
        session.message.emit(f"Ignored the workspace's view settings: {exc}", "warning")
    current = replace(session.input, max_side=max_side)
    source, state, opening = workspace.source, current, None
    try:
        if source.kind == "data":
            state = raw_input(current, spec_raw(source))
        elif source.kind == "sample" and source.sample_key:
            state = read_source(SAMPLE_PREFIX + source.sample_key, max_side)
        elif source.kind == "image" and source.path:
            state = read_source(source.path, max_side)
    except (LoadError, ImageLoadError, KeyError, ValueError) as exc:
        reason = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        session.message.emit(f"Could not open the workspace's input: {reason}. The current "
                             "input is kept.", "error")
    pipeline = workspace.pipeline
    if state.raw is not None:
        pipeline = set_raw_channels(pipeline, state.raw.channels)
    elif pipeline.input_mode == "raw":
        pipeline = set_input_mode(pipeline, image_input_mode(pipeline))
    session.reset(with_layer(pipeline), state)
    if source.kind == "video" and source.path:
        live.open_video(source.path)
        opening = SourceSpec("video", path=str(Path(source.path)))
    elif source.kind in ("camera", "synthetic"):
        width, height = source.size or (DEFAULT_RESOLUTION if source.kind == "camera"
                                        else SYNTHETIC_SIZE)
        if source.kind == "camera" and source.camera_index is not None:
            if not camera_prompt(source.camera_index):
                session.message.emit(
                    f"The workspace's camera {source.camera_index} was not turned on; choose "
                    "Sources > Camera to start it.", "info")
                return None
            live.open_camera(source.camera_index, (width, height))
            opening = SourceSpec("camera", camera_index=source.camera_index,
                                 size=(width, height))
        else:
            live.open_synthetic((width, height))
            opening = SourceSpec("synthetic", size=(width, height))
    return opening
