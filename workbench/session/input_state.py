"""What the pipeline runs on: an image or sample, a live frame, or raw numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from workbench.core import Pipeline, image_to_chw
from workbench.io.data_input import RawData
from workbench.io.images import DEFAULT_MAX_SIDE, LoadedImage, load_image
from workbench.resources import sample_path
from workbench.session.edits import image_input_mode

SAMPLE_PREFIX = "sample:"
DEFAULT_IMAGE = SAMPLE_PREFIX + "astronaut"
MAX_SIDE_RANGE = (16, 8192)

InputKind = Literal["none", "image", "frame", "raw"]


@dataclass(frozen=True, eq=False)
class InputState:
    """The input, immutable: every change makes a new state (so undo can restore it).

    Parameters
    ----------
    kind : {"none", "image", "frame", "raw"}
        An image file or sample, a frame of a live source, or raw numbers used as given.
    source : str
        The still image's path or ``"sample:<key>"``; kept while a frame or raw data is
        shown, so the still can be shown again.
    image : LoadedImage, optional
        The decoded image or frame (``kind`` ``"image"`` / ``"frame"``).
    raw : RawData, optional
        The raw numbers (``kind == "raw"``).
    tutorial : str, optional
        Key of the tutorial example this input belongs to.
    max_side : int, optional
        Longest side an image or frame is shrunk to (raw data is never resized).
    title : str, optional
        The input's name: a file name, a stream's title, a tutorial example's name.
    """

    kind: InputKind = "none"
    source: str = ""
    image: LoadedImage | None = None
    raw: RawData | None = None
    tutorial: str | None = None
    max_side: int = DEFAULT_MAX_SIDE
    title: str = ""

    def __post_init__(self) -> None:
        low, high = MAX_SIDE_RANGE
        if not isinstance(self.max_side, int) or not low <= self.max_side <= high:
            raise ValueError(f"max_side must be an integer in [{low}, {high}], "
                             f"got {self.max_side!r}")

    def with_max_side(self, max_side: int) -> InputState:
        """Return this input with another size limit.

        Parameters
        ----------
        max_side : int
            Pixels, within ``MAX_SIDE_RANGE``.

        Returns
        -------
        InputState
            The new state.
        """
        return replace(self, max_side=max_side)

    def tensor(self, pipeline: Pipeline) -> np.ndarray | None:
        """Return the ``(C, H, W)`` float32 tensor the pipeline computes on.

        Parameters
        ----------
        pipeline : Pipeline
            Decides gray or RGB for images.

        Returns
        -------
        numpy.ndarray or None
            None when there is no input.
        """
        if self.raw is not None:
            return self.raw.values
        if self.image is None:
            return None
        mode = image_input_mode(pipeline)
        return image_to_chw(self.image.limited(self.max_side), mode)  # type: ignore[arg-type]

    def describe(self) -> str:
        """One line for the status bar, e.g. ``"camera.png — 512x512 uint8 gray"``.

        Returns
        -------
        str
            Empty when there is no input.
        """
        if self.raw is not None:
            return self.raw.describe()
        if self.image is not None:
            return self.image.describe(self.max_side)
        return ""


def source_path(source: str) -> Path:
    """Resolve an image source (a path or ``"sample:<key>"``) to its file.

    Parameters
    ----------
    source : str
        E.g. ``"sample:camera"`` or ``"/data/cat.png"``.

    Returns
    -------
    pathlib.Path
        The file.

    Raises
    ------
    KeyError
        If the sample is unknown.
    """
    if source.startswith(SAMPLE_PREFIX):
        return sample_path(source[len(SAMPLE_PREFIX):])
    return Path(source)


def source_name(source: str) -> str:
    """Name an image source for exported file names: the sample's key or the file's stem.

    Parameters
    ----------
    source : str
        A path or ``"sample:<key>"``.

    Returns
    -------
    str
        E.g. ``"astronaut"`` or ``"photo"``; ``"input"`` when there is none.

    Examples
    --------
    >>> source_name("sample:astronaut"), source_name("/data/cat.png"), source_name("")
    ('astronaut', 'cat', 'input')
    """
    if source.startswith(SAMPLE_PREFIX):
        return source[len(SAMPLE_PREFIX):] or "input"
    return Path(source).stem or "input"


def read_source(source: str, max_side: int) -> InputState:
    """Read an image source into an input state.

    Parameters
    ----------
    source : str
        A path or ``"sample:<key>"``.
    max_side : int
        The size limit of the new state.

    Returns
    -------
    InputState
        ``kind == "image"``.

    Raises
    ------
    KeyError
        If the sample is unknown.
    workbench.io.images.ImageLoadError
        If the file cannot be read as an image.
    """
    loaded = load_image(source_path(source))
    return InputState("image", source, loaded, max_side=max_side, title=loaded.path.name)
