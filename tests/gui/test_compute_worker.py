import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, default_pipeline
from workbench.gui.compute_worker import ComputeController

TIMEOUT = 20_000
WARM_TIMEOUT = 240_000  # the first warm-up on an empty numba cache compiles every kernel


@pytest.fixture
def controller(qtbot):
    c = ComputeController()
    c.start()
    try:  # a thread still running when its controller is collected aborts the process
        qtbot.waitUntil(lambda: c.warm, timeout=WARM_TIMEOUT)
        yield c
    finally:
        c.stop()


def test_result_of_the_newest_request(controller, qtbot):
    image = np.zeros((1, 8, 8), np.float32)
    image[0, :, 3:5] = 1
    with qtbot.waitSignal(controller.sigOutcome, timeout=TIMEOUT) as blocker:
        controller.request(image, default_pipeline())
    outcome = blocker.args[0]
    assert outcome.error is None and outcome.generation == controller.generation == 1
    np.testing.assert_array_equal(outcome.result.layers[0].activated[0][0], [0, 0, 3, 3, 0, 0])
    assert not controller.busy


def test_bursts_are_debounced_into_one_request(controller, qtbot):
    image = np.ones((1, 8, 8), np.float32)
    outcomes = []
    controller.sigOutcome.connect(outcomes.append)
    for _ in range(5):
        controller.request(image, default_pipeline())
    qtbot.waitUntil(lambda: not controller.busy, timeout=TIMEOUT)
    assert controller.generation == 1 and len(outcomes) == 1


def test_stale_results_are_dropped(controller, qtbot):
    slow_image = np.random.default_rng(0).random((1, 1500, 1500), dtype=np.float32)
    slow = Pipeline("gray", (Layer(tuple(Filter(f"k{i}", np.ones((15, 15))) for i in range(4))),))
    fast_image = np.ones((1, 8, 8), np.float32)
    outcomes = []
    controller.sigOutcome.connect(outcomes.append)
    with qtbot.waitSignal(controller.sigStarted, timeout=TIMEOUT):
        controller.request(slow_image, slow)
        controller.flush()
    controller.request(fast_image, default_pipeline())
    controller.flush()
    qtbot.waitUntil(lambda: not controller.busy, timeout=TIMEOUT)
    assert controller.dropped == 1
    assert [o.generation for o in outcomes] == [2]
    assert outcomes[0].result.input.shape == (1, 8, 8)


def test_errors_come_back_as_messages(controller, qtbot):
    with qtbot.waitSignal(controller.sigOutcome, timeout=TIMEOUT) as blocker:
        controller.request(np.ones((1, 2, 2), np.float32), default_pipeline())
    outcome = blocker.args[0]
    assert outcome.result is None
    assert "does not fit" in outcome.error or "kernel" in outcome.error


def test_stop_joins_the_thread(qtbot):
    c = ComputeController()
    with qtbot.waitSignal(c.sigWarmupDone, timeout=TIMEOUT):
        c.start()
    assert c.running
    c.stop()
    assert not c.running
    c.stop()  # idempotent


def test_frame_buffers_are_reused_only_once_nobody_holds_the_result(controller, qtbot):
    import gc

    from workbench.gui.compute_worker import KEEP_FRAMES

    rng = np.random.default_rng(5)
    pipeline = default_pipeline()
    held = []  # what a window, an export dialog or the recorder would keep
    seen_bases = []

    def run_frame():
        with qtbot.waitSignal(controller.sigOutcome, timeout=TIMEOUT) as blocker:
            controller.request(rng.random((1, 32, 32), dtype=np.float32), pipeline)
            controller.flush()
        return blocker.args[0]

    first = run_frame()
    held.append(first)
    snapshot = [m.copy() for m in first.result.layers[0].conv]
    for _ in range(KEEP_FRAMES + 3):
        outcome = run_frame()
        seen_bases.append(id(outcome.result.layers[0].conv[0].base))
        del outcome
        gc.collect()
    # The held result was never overwritten, while dropped frames' buffers came back.
    assert [m.tobytes() for m in first.result.layers[0].conv] == [s.tobytes() for s in snapshot]
    assert id(first.result.layers[0].conv[0].base) not in seen_bases
    assert len(set(seen_bases)) <= KEEP_FRAMES + 1 < len(seen_bases)
