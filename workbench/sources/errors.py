"""Exceptions raised by frame sources, the capture thread and the recorder."""


class SourceError(RuntimeError):
    """A frame source could not be opened or stopped delivering frames.

    The message always names the device or file, e.g.
    ``Camera 3 could not be opened: no such device or it is in use by another program``.
    """


class SourceStalledError(SourceError):
    """A source's read did not return within the capture thread's stall timeout.

    Raised (through ``CaptureThread``'s ``on_error`` hook) when a camera is unplugged
    mid-run or a stream stops delivering without reporting an error.
    """


class RecorderError(OSError):
    """A video recording could not be created or finalised."""
