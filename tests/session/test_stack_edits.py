"""Stacks in the session: layer add/duplicate/delete/move, slices that follow, undo."""

import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, Pool, run_pipeline
from workbench.session import Session, edits
from workbench.session.stack_edits import (
    STACK_PRESETS,
    edges_then_corners,
    fit_stack,
    follow_channels,
)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 10.0
        return self.now


def two_layers():
    rng = np.random.default_rng(0)
    first = Layer(tuple(Filter(f"a{i}", rng.normal(size=(1, 3, 3)).astype(np.float32))
                        for i in range(3)), activation="relu", pool=Pool("max", (2, 2)))
    second = Layer(tuple(Filter(f"b{i}", rng.normal(size=(3, 3, 3)).astype(np.float32))
                         for i in range(2)))
    return Pipeline("gray", (first, second))


@pytest.fixture
def session():
    s = Session(two_layers(), clock=Clock())
    assert s.open_sample("camera")
    s.reset(s.pipeline)
    return s


def test_adding_a_filter_adds_a_zero_slice_to_the_next_layer_and_undo_removes_it(session):
    messages = []
    session.message.connect(lambda text, kind: messages.append((text, kind)))
    before = session.pipeline
    new = edits.new_filter(before, 0)
    session.edit(lambda p: edits.insert_filter(p, 0, new, 1)[0])
    second = session.pipeline.layers[1]
    assert [f.channels for f in second.filters] == [4, 4]
    for old, f in zip(before.layers[1].filters, second.filters, strict=True):
        np.testing.assert_array_equal(f.weight[[0, 2, 3]], old.weight)
        assert not f.weight[1].any()
    assert messages[-1] == ("Layer 2: added a zero slice for 'Filter 4' in its 2 filters",
                            "status")
    run_pipeline(np.zeros((1, 20, 20), np.float32), session.pipeline)  # it runs
    assert session.undo() and session.pipeline is before


def test_removing_and_reordering_filters_carry_the_slices_along(session):
    before = session.pipeline
    first = list(before.layers[0].filters)
    session.edit(lambda p: edits.replace_filters(p, 0, [first[2], first[0]]))
    second = session.pipeline.layers[1]
    for old, f in zip(before.layers[1].filters, second.filters, strict=True):
        np.testing.assert_array_equal(f.weight, old.weight[[2, 0]])
    # Editing a filter's weights keeps its slice.
    edited = Filter("a2", np.ones((1, 3, 3), np.float32))
    session.edit(lambda p: edits.replace_filters(p, 0, [edited, p.layers[0].filters[1]]))
    np.testing.assert_array_equal(session.pipeline.layers[1].filters[0].weight,
                                  before.layers[1].filters[0].weight[[2, 0]])


def test_the_stack_the_issue_describes_is_built_edited_and_undone(session):
    assert session.add_layer()  # after layer 1: copies its 3 maps
    assert session.layer_index == 1 and len(session.pipeline.layers) == 3
    result = run_pipeline(np.random.default_rng(1).random((1, 16, 16), np.float32),
                          session.pipeline)
    np.testing.assert_array_equal(result.layers[1].conv[2], result.layers[0].pooled[2])
    assert session.duplicate_layer() and len(session.pipeline.layers) == 4
    assert not session.move_layer(-1)  # next to its identical copy: nothing changes
    assert session.move_layer(-2) and session.layer_index == 0
    assert session.delete_layer() and len(session.pipeline.layers) == 3
    while session.can_undo:
        session.undo()
    assert session.pipeline == two_layers()


def test_deleting_a_middle_layer_refits_the_next_one():
    pipeline = two_layers()
    three = Pipeline("gray", (*pipeline.layers, Layer((Filter("c", np.ones((2, 3, 3))),))))
    s = Session(three, clock=Clock())
    s.select(layer=1)
    assert s.delete_layer()
    assert [f.channels for f in s.pipeline.layers[1].filters] == [3]  # layer 1's 3 maps
    np.testing.assert_array_equal(s.pipeline.layers[1].filters[0].weight[:2], np.ones((2, 3, 3)))
    assert not s.pipeline.layers[1].filters[0].weight[2].any()


def test_the_only_layer_is_not_deleted_and_the_user_is_told():
    s = Session(Pipeline("gray", (two_layers().layers[0],)))
    messages = []
    s.message.connect(lambda text, kind: messages.append(kind))
    assert not s.delete_layer()
    assert messages == ["warning"]


def test_fit_stack_reports_what_it_changed():
    pipeline = two_layers()
    wrong = Pipeline("gray", (pipeline.layers[0], Layer((Filter("x", np.ones((5, 3, 3))),))))
    fitted, changed = fit_stack(wrong)
    assert changed == [1] and fitted.layers[1].filters[0].channels == 3
    assert fit_stack(fitted) == (fitted, [])
    assert follow_channels(pipeline, pipeline) == (pipeline, "")


@pytest.mark.parametrize("key", sorted(STACK_PRESETS))
def test_teaching_stacks_run_on_a_photo(session, key):
    assert session.open_stack_preset(key)
    result = run_pipeline(session.tensor, session.pipeline)
    assert len(result.layers) >= 2


def test_edges_then_corners_fires_at_a_corner():
    image = np.zeros((1, 24, 24), np.float32)
    image[0, 8:, 8:] = 1.0  # a bright square whose top-left corner is at (8, 8)
    result = run_pipeline(image, edges_then_corners())
    corner = result.layers[1].activated[0]  # "Corner ┌"
    y, x = np.unravel_index(np.argmax(corner), corner.shape)
    assert corner.max() > 0 and abs(y - 4) <= 1 and abs(x - 4) <= 1


def test_disabling_and_enabling_a_filter_brings_its_slice_back(session):
    from dataclasses import replace

    messages = []
    session.message.connect(lambda text, kind: messages.append(text))
    before = session.pipeline
    first = list(before.layers[0].filters)
    session.edit(lambda p: edits.replace_filters(p, 0, [replace(first[0], enabled=False),
                                                        *first[1:]]))
    assert [f.channels for f in session.pipeline.layers[1].filters] == [2, 2]
    assert messages[-1] == "Layer 2: removed the slice of 'a0' in its 2 filters"
    session.edit(lambda p: edits.replace_filters(p, 0, [first[0], *first[1:]]))
    for old, f in zip(before.layers[1].filters, session.pipeline.layers[1].filters,
                      strict=True):
        np.testing.assert_array_equal(f.weight, old.weight)
    assert messages[-1] == "Layer 2: restored the slice of 'a0' in its 2 filters"


def test_editing_a_kernel_in_place_says_nothing_about_the_next_layer(session):
    messages = []
    session.message.connect(lambda text, kind: messages.append(text))
    edited = Filter("a1", np.ones((1, 3, 3), np.float32))
    session.edit(lambda p: edits.replace_filters(
        p, 0, [p.layers[0].filters[0], edited, p.layers[0].filters[2]]))
    assert messages == []
    assert session.pipeline.layers[1] is two_layers().layers[1] or \
        session.pipeline.layers[1] == two_layers().layers[1]


def test_grouped_next_layer_does_not_follow_and_says_so(session):
    from workbench.session.stack_edits import stack_steps

    rng = np.random.default_rng(5)
    pipeline = Pipeline("gray", (
        Layer(tuple(Filter(f"a{i}", rng.normal(size=(1, 3, 3))) for i in range(4))),
        Layer(tuple(Filter(f"b{i}", rng.normal(size=(2, 3, 3))) for i in range(2)), groups=2)))
    s = Session(pipeline, clock=Clock())
    messages = []
    s.message.connect(lambda text, kind: messages.append(text))
    s.edit(lambda p: edits.insert_filter(p, 0, edits.new_filter(p, 0))[0])
    assert "groups=2: its kernel slices do not follow" in messages[-1]
    steps, problem = stack_steps(s.pipeline, (1, 20, 20))
    assert steps == ["input 1×20×20", "conv1 5×18×18"]
    assert problem.startswith("conv2 is impossible: 5 input map(s), kernels of 2 slice(s) "
                              "with groups=2")


def test_deleting_the_first_layer_refits_the_next_to_raw_data_and_says_so():
    from workbench.io.data_input import RawData

    s = Session(two_layers(), clock=Clock())
    values = np.random.default_rng(2).random((2, 10, 12)).astype(np.float32)
    s.open_raw(RawData(values, "two channels"))
    messages = []
    s.message.connect(lambda text, kind: messages.append(text))
    s.select(layer=0)
    assert s.delete_layer()
    assert [f.channels for f in s.pipeline.layers[0].filters] == [2, 2]
    assert "layer 1 now reads the 2-channel input: its kernels went from 3 to 2 slice(s) " \
           "(slices beyond were dropped)" in messages[-1]
    run_pipeline(values, s.pipeline)  # it runs
