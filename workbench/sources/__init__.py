"""Frame sources (camera, video file, still image, synthetic pattern), capture and recording.

Qt-free: the GUI wraps these. Every source yields :class:`Frame` objects holding RGB
``uint8`` ``(H, W, 3)`` read-only images; see :mod:`workbench.sources.frame` for the
conversion policy and :mod:`workbench.sources.capture` for the threading contract.
"""

from workbench.sources.base import FrameSource, SeekableSource
from workbench.sources.camera import (
    COMMON_RESOLUTIONS,
    DEFAULT_RESOLUTION,
    CameraInfo,
    CameraSource,
    camera_name,
    list_cameras,
    probe_resolutions,
)
from workbench.sources.capture import CaptureState, CaptureStats, CaptureThread
from workbench.sources.errors import RecorderError, SourceError, SourceStalledError
from workbench.sources.frame import Frame, Size, as_rgb8
from workbench.sources.recorder import VideoRecorder
from workbench.sources.still import StillImageSource
from workbench.sources.synthetic import SyntheticSource, synthetic_frame
from workbench.sources.video_file import VideoFileSource

__all__ = [
    "COMMON_RESOLUTIONS",
    "DEFAULT_RESOLUTION",
    "CameraInfo",
    "CameraSource",
    "CaptureState",
    "CaptureStats",
    "CaptureThread",
    "Frame",
    "FrameSource",
    "RecorderError",
    "SeekableSource",
    "Size",
    "SourceError",
    "SourceStalledError",
    "StillImageSource",
    "SyntheticSource",
    "VideoFileSource",
    "VideoRecorder",
    "as_rgb8",
    "camera_name",
    "list_cameras",
    "probe_resolutions",
    "synthetic_frame",
]
