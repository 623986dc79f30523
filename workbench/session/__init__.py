"""The Qt-free session: the pipeline history, the input, the selection and the last result.

The window, the command line and notebooks drive the same :class:`Session`; widgets
subscribe to its psygnal signals. ``import workbench.session`` loads no Qt.
"""

from workbench.session.history import History
from workbench.session.input_state import (
    DEFAULT_IMAGE,
    MAX_SIDE_RANGE,
    SAMPLE_PREFIX,
    InputState,
    read_source,
    source_name,
    source_path,
)
from workbench.session.session import Selection, Session, SessionState, ShownResult

__all__ = [
    "DEFAULT_IMAGE", "MAX_SIDE_RANGE", "SAMPLE_PREFIX",
    "History", "InputState", "Selection", "Session", "SessionState", "ShownResult",
    "read_source", "source_name", "source_path",
]
