"""The Qt-free session: undo across input, bank, parameter and tutorial changes; events."""

import subprocess
import sys

import numpy as np
import pytest

from workbench.core import default_pipeline, run_pipeline
from workbench.io.data_input import RawData
from workbench.session import Session, edits
from workbench.tutorials import get_example


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 10.0  # every step its own undo step
        return self.now


@pytest.fixture
def session():
    s = Session(default_pipeline(), clock=Clock())
    assert s.open_sample("camera")
    s.reset(s.pipeline)
    return s


def test_import_loads_no_qt():
    code = ("import sys, workbench.session; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_undo_walks_back_through_input_bank_parameter_and_tutorial(session):
    camera = session.input
    assert camera.kind == "image" and session.tensor.shape == (1, 512, 512)
    session.edit(lambda p: edits.replace_layer(p, 0, stride=(2, 2)))
    session.open_sample("vertical_line_8x8")
    line = session.input
    count = len(session.pipeline.layers[0].filters)
    session.edit(lambda p: edits.insert_filter(p, 0, edits.new_filter(p, 0))[0])
    session.open_tutorial("k3")
    assert session.input.tutorial == "k3" and session.pipeline.input_mode == "raw"
    assert session.tensor.shape == (1, 1, 6)

    assert session.undo()  # the tutorial: its input and its pipeline go together
    assert session.input is line and session.input.tutorial is None
    assert len(session.pipeline.layers[0].filters) == count + 1
    assert session.undo()  # the added filter
    assert len(session.pipeline.layers[0].filters) == count and session.input is line
    assert session.undo()  # the input
    assert session.input is camera and session.tensor.shape == (1, 512, 512)
    assert session.pipeline.layers[0].stride == (2, 2)
    assert session.undo()  # the parameter
    assert session.pipeline.layers[0].stride == (1, 1)
    assert not session.undo()
    for _ in range(4):
        assert session.redo()
    assert session.input.tutorial == "k3" and session.pipeline == get_example("k3").pipeline


def test_raw_data_and_undo_keep_input_and_pipeline_consistent(session):
    session.open_raw(RawData(np.arange(72, dtype=np.float32).reshape(2, 6, 6), "two"))
    assert session.pipeline.input_mode == "raw"
    assert all(f.channels == 2 for f in session.pipeline.layers[0].filters)
    run_pipeline(session.tensor, session.pipeline)  # a consistent state computes
    assert session.undo()
    assert session.input.raw is None and session.input.kind == "image"
    assert session.pipeline.input_mode == "gray"
    run_pipeline(session.tensor, session.pipeline)


def test_leaving_a_tutorial_returns_to_the_users_own_state_in_one_step(session):
    session.edit(lambda p: edits.replace_layer(p, 0, activation="tanh"))
    own = session.state
    session.open_tutorial("k3")
    session.open_tutorial("k3_pad1")  # a second example: "back" is still the user's work
    assert session.tutorial.key == "k3_pad1"
    assert session.leave_tutorial()
    assert session.state is own and session.tutorial is None
    assert not session.leave_tutorial()
    assert session.undo() and session.tutorial.key == "k3_pad1"  # leaving is undoable


def test_events_follow_every_change(session):
    seen = []
    session.input_changed.connect(lambda s: seen.append(("input", s.kind)))
    session.pipeline_changed.connect(lambda p: seen.append(("pipeline", p.input_mode)))
    session.history_changed.connect(lambda u, r: seen.append(("history", u, r)))
    requests = []
    session.compute_requested.connect(requests.append)
    session.open_raw(RawData(np.ones((1, 4, 4), np.float32), "ones"))
    assert seen == [("input", "raw"), ("pipeline", "raw"), ("history", True, False)]
    assert requests == [False]
    session.set_frame(np.zeros((6, 8, 3), np.uint8), "clip.mp4")  # leaves raw: undoable
    assert session.input.kind == "frame" and session.pipeline.input_mode == "gray"
    generation = session.generation
    session.set_frame(np.ones((6, 8, 3), np.uint8), "clip.mp4")  # the next frame: no step
    assert session.generation == generation + 1 and requests[-1] is True
    assert session.undo() and session.input.kind == "raw"


def test_results_are_current_only_for_their_generation(session):
    result = run_pipeline(session.tensor, session.pipeline)
    generation = session.generation
    session.set_result(result, session.pipeline, generation)
    assert session.result_is_current and session.problem is None
    session.edit(lambda p: edits.replace_layer(p, 0, activation="sigmoid"))
    assert not session.result_is_current  # views grey their read-outs until the next one
    session.set_compute_error("old reason", generation)  # an older state's: ignored
    assert session.problem is None
    session.set_compute_error("stride too large", session.generation)
    assert session.problem == "stride too large"
    session.set_result(result, session.pipeline, generation - 1)  # older than shown: ignored
    assert session.result.generation == generation


def test_max_side_is_an_undoable_input_change(session):
    assert session.set_max_side(128)
    assert session.tensor.shape == (1, 128, 128)
    assert session.undo() and session.tensor.shape == (1, 512, 512)
    with pytest.raises(ValueError, match="max_side"):
        session.set_max_side(3)


def test_a_bad_image_changes_nothing_and_says_why(session, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    messages = []
    session.message.connect(lambda text, kind: messages.append((kind, text)))
    before = session.state
    assert not session.open_image(bad)
    assert session.state is before and not session.can_undo
    assert messages[0][0] == "error" and "bad.png" in messages[0][1]


def test_selection_is_clamped_to_the_pipeline(session):
    session.select(filter=5, channel=3)
    assert session.selection.filter == len(session.pipeline.layers[0].filters) - 1
    assert session.selection.channel == 0
    session.set_pipeline(edits.replace_filters(session.pipeline, 0, []))
    assert session.selection.filter == -1


def test_view_options_are_one_state_with_one_event_and_not_undone(session):
    from workbench.render import ViewOptions

    seen = []
    session.view_changed.connect(seen.append)
    assert session.view_options == ViewOptions()
    inferno = ViewOptions("inferno", "abs", True)
    assert session.set_view_options(inferno)
    assert not session.set_view_options(ViewOptions("inferno", "abs", True))  # no change
    assert seen == [inferno] and session.view_options == inferno
    assert not session.can_undo  # colours are a way of looking, not an edit


def test_selected_map_counts_only_enabled_filters():
    from workbench.core import Filter, Layer, Pipeline
    from workbench.session import Session
    k = np.ones((3, 3), np.float32)
    layer = Layer((Filter("a", k), Filter("off", k, enabled=False), Filter("c", k)))
    session = Session(Pipeline("gray", (layer,)))
    session.select(filter=2)
    assert session.selected_map == 1  # the second map: "off" has none
    session.select(filter=1)
    assert session.selected_map == 0  # a disabled filter: the first map
    session.select(filter=0)
    assert session.selected_map == 0
