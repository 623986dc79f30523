"""What a workspace holds of the window, and how the window is set from one.

A workspace (:mod:`workbench.io.workspace`) stores the source, the pipeline, the size limit
and the view settings: the colormap, the colour scaling mode and whether levels are shared.
The source is the stream while one runs (a camera with its requested resolution, a video
file, the synthetic pattern), else the still image or sample. A video reopens at its
start; a frozen frame is not a source of its own, so the still image is stored then.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core import Pipeline
from workbench.gui.live_controller import SYNTHETIC_SIZE
from workbench.gui.pipeline_edits import set_raw_channels, with_layer
from workbench.gui.settings import MAX_SIDE_RANGE, SAMPLE_PREFIX
from workbench.io.data_input import (
    INLINE_LIMIT,
    RawData,
    format_data_text,
    load_data,
    parse_data_text,
)
from workbench.io.errors import LoadError
from workbench.io.workspace import SourceSpec, Workspace
from workbench.render import ViewOptions
from workbench.sources import (
    DEFAULT_RESOLUTION,
    CameraSource,
    FrameSource,
    SyntheticSource,
    VideoFileSource,
)

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow


def source_spec(image_source: str) -> SourceSpec:
    """Describe the window's image source (a path or ``"sample:<key>"``) for a workspace.

    Parameters
    ----------
    image_source : str
        ``MainWindow.image_source``.

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
        ``MainWindow.raw``.

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


def restore_raw(window: MainWindow, source: SourceSpec, pipeline: Pipeline) -> bool:
    """Reopen the numeric input saved at the last close, with its pipeline and no history.

    Data that cannot be read any more (a file gone, invalid inline values) leaves the
    window on its image, with a warning.

    Parameters
    ----------
    window : MainWindow
        The window, showing its still image.
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
        window.show_message(f"Could not reopen the numeric input: {exc}. The image is shown "
                            "instead.", "warning")
        return False
    window.open_raw(raw, set_raw_channels(pipeline, raw.channels))
    window.model.reset(window.model.pipeline)  # a fresh session: nothing to undo
    return True


def stream_spec(source: FrameSource) -> SourceSpec | None:
    """Describe a streaming source for a workspace.

    Parameters
    ----------
    source : FrameSource
        The live controller's source.

    Returns
    -------
    SourceSpec or None
        A ``camera``, ``video`` or ``synthetic`` source; None for other kinds.
    """
    if isinstance(source, CameraSource):
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


def window_workspace(window: MainWindow) -> Workspace:
    """Capture the window's source, pipeline, size limit and view settings.

    Parameters
    ----------
    window : MainWindow
        The window.

    Returns
    -------
    Workspace
        Ready for :func:`workbench.io.save_workspace`.
    """
    stream = window.live.source
    spec = stream_spec(stream) if stream is not None else None
    if spec is None and window.raw is not None:
        spec = raw_spec(window.raw)
    return Workspace(spec or source_spec(window.image_source), window.model.pipeline,
                     window.max_side, view_dict(window.views.options))


def apply_workspace(window: MainWindow, workspace: Workspace) -> SourceSpec | None:
    """Set the window from a workspace: pipeline (a new undo history), size, view, source.

    An image that cannot be loaded keeps the current input and says so in the message bar;
    invalid view settings are ignored with a warning. Streams open in the background: a
    camera or video that fails to open is reported by the live input.

    Parameters
    ----------
    window : MainWindow
        The window.
    workspace : Workspace
        A loaded, validated workspace.

    Returns
    -------
    SourceSpec or None
        The stream being opened, which the window will show once it delivers (None for a
        still image, shown at once).
    """
    window.model.reset(with_layer(workspace.pipeline))
    limit = workspace.max_side or MAX_SIDE_RANGE[1]
    window.set_max_side(min(max(limit, MAX_SIDE_RANGE[0]), MAX_SIDE_RANGE[1]))
    try:
        window.views.set_options(view_options(workspace.view, window.views.options))
    except ValueError as exc:
        window.show_message(f"Ignored the workspace's view settings: {exc}", "warning")
    source = workspace.source
    if source.kind == "data":
        try:
            window.open_raw(spec_raw(source), window.model.pipeline)
        except (LoadError, ValueError) as exc:
            window.show_message(f"Could not open the workspace's data: {exc}. The current "
                                "input is kept.")
        return None
    if source.kind == "sample" and source.sample_key:
        window.open_sample(source.sample_key)
        return None
    if source.kind == "image" and source.path:
        window.open_image(source.path)
        return None
    if source.kind == "video" and source.path:
        window.live.open_video(source.path)
        return SourceSpec("video", path=str(Path(source.path)))
    width, height = source.size or (DEFAULT_RESOLUTION if source.kind == "camera"
                                    else SYNTHETIC_SIZE)
    if source.kind == "camera" and source.camera_index is not None:
        window.live.open_camera(source.camera_index, (width, height))
        return SourceSpec("camera", camera_index=source.camera_index, size=(width, height))
    window.live.open_synthetic((width, height))
    return SourceSpec("synthetic", size=(width, height))
