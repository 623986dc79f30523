from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbench.sources import CaptureThread

from .fakes import ScriptedSource
from .media import write_video

THREAD_GRACE = 1.0


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a non-daemon thread, or any thread of ours, running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE
    leaked = []
    for thread in threading.enumerate():
        if thread in before or thread is threading.current_thread():
            continue
        if thread.daemon and not thread.name.startswith("workbench-"):
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            leaked.append(thread)
    if leaked:
        # Stop leaked captures so that one failure does not hang the whole session.
        for obj in gc.get_objects():
            if isinstance(obj, CaptureThread) and obj.is_alive():
                obj.stop(timeout=2.0)
        names = ", ".join(f"{t.name} (daemon={t.daemon})" for t in leaked)
        pytest.fail(f"test left threads running: {names}")


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """30-frame 160x120 25 fps coded videos: mp4v in .mp4 and MJPG in .avi."""
    folder = tmp_path_factory.mktemp("videos")
    return {
        "mp4": write_video(folder / "clip.mp4", "mp4v", 30),
        "avi": write_video(folder / "clip.avi", "MJPG", 30),
    }


@pytest.fixture(params=["mp4", "avi"])
def video(request: pytest.FixtureRequest, videos: dict[str, Path]) -> Path:
    return videos[request.param]


@pytest.fixture
def scripted_source() -> Iterator[Callable[..., ScriptedSource]]:
    """Factory of :class:`ScriptedSource`; unblocks every stalled read at teardown."""
    made: list[ScriptedSource] = []

    def make(*args: object, **kwargs: object) -> ScriptedSource:
        source = ScriptedSource(*args, **kwargs)  # type: ignore[arg-type]
        made.append(source)
        return source

    yield make
    for source in made:
        source.release()
