import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, default_pipeline
from workbench.session import Session, edits
from workbench.session.history import COALESCE_SECONDS


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def model():
    clock = Clock()
    m = Session(default_pipeline(), clock=clock)
    m.clock = clock
    return m


def stride(p):
    return p.layers[0].stride


def test_undo_redo_restore_snapshots(model):
    first = model.pipeline
    changed, history = [], []
    model.pipeline_changed.connect(changed.append)
    model.history_changed.connect(lambda *args: history.append(args))
    assert model.edit(lambda p: edits.replace_layer(p, 0, stride=(2, 2)))
    assert stride(changed[-1]) == (2, 2)
    assert not model.edit(lambda p: edits.replace_layer(p, 0, stride=(2, 2)))  # no change
    assert len(changed) == 1
    assert model.undo()
    assert history[-1] == (False, True)
    assert model.pipeline == first
    assert not model.undo()
    assert model.redo() and stride(model.pipeline) == (2, 2)
    assert not model.redo()


def test_a_new_edit_clears_redo(model):
    model.edit(lambda p: edits.replace_layer(p, 0, stride=(2, 2)))
    model.undo()
    model.edit(lambda p: edits.replace_layer(p, 0, flip=True))
    assert not model.can_redo


def test_bursts_of_one_field_coalesce(model):
    for s in (2, 3, 4):
        model.edit(lambda p, s=s: edits.replace_layer(p, 0, stride=(s, s)), "stride")
        model.clock.now += 0.1
    model.edit(lambda p: edits.replace_layer(p, 0, flip=True), "flip")
    model.undo()
    assert stride(model.pipeline) == (4, 4)
    model.undo()
    assert stride(model.pipeline) == (1, 1)
    assert not model.can_undo


def test_pauses_split_bursts(model):
    model.edit(lambda p: edits.replace_layer(p, 0, stride=(2, 2)), "stride")
    model.clock.now += COALESCE_SECONDS + 0.1
    model.edit(lambda p: edits.replace_layer(p, 0, stride=(3, 3)), "stride")
    model.undo()
    assert stride(model.pipeline) == (2, 2)


def test_reset_forgets_history(model):
    model.edit(lambda p: edits.replace_layer(p, 0, stride=(2, 2)))
    model.reset(default_pipeline("rgb"))
    assert not model.can_undo and model.pipeline.input_mode == "rgb"


def test_set_input_mode_converts_every_filter():
    rgb = edits.set_input_mode(default_pipeline(), "rgb")
    assert rgb.input_mode == "rgb"
    assert [f.channels for f in rgb.layers[0].filters] == [3, 3, 3, 3]
    np.testing.assert_array_equal(rgb.layers[0].filters[2].weight[1],
                                  default_pipeline().layers[0].filters[2].weight[0])
    assert edits.set_input_mode(rgb, "gray") == default_pipeline()
    with pytest.raises(ValueError, match="input mode must be one of"):
        edits.set_input_mode(rgb, "cmyk")


def test_groups_reslice_filters_and_reset_on_mode_change():
    rgb = edits.set_input_mode(default_pipeline(), "rgb")
    three = edits.replace_filters(rgb, 0, rgb.layers[0].filters[:3])
    assert edits.allowed_groups(three, 0) == [1, 3]
    grouped = edits.set_groups(three, 0, 3)
    assert grouped.layers[0].groups == 3
    assert {f.channels for f in grouped.layers[0].filters} == {1}
    assert edits.slices_per_filter(grouped, 0) == 1
    gray = edits.set_input_mode(grouped, "gray")
    assert gray.layers[0].groups == 1
    assert edits.allowed_groups(default_pipeline(), 0) == [1]


def test_bank_edits_keep_names_unique():
    p = default_pipeline()
    p, index = edits.insert_filter(p, 0, Filter("Sobel x", np.ones((3, 3))), 1)
    assert index == 1 and p.layers[0].filters[1].name == "Sobel x 2"
    fresh = edits.new_filter(p, 0, (5, 5))
    assert fresh.name == "Filter 6" and fresh.weight.shape == (1, 5, 5)
    moved = edits.move_filter(p, 0, 0, 4)
    assert [f.name for f in moved.layers[0].filters][-1] == "Vertical line"
    reordered = edits.reorder_filters(p, 0, [4, 3, 2, 1, 0])
    assert reordered.layers[0].filters[0].name == "Sobel y"
    with pytest.raises(ValueError, match="permutation"):
        edits.reorder_filters(p, 0, [0, 0, 1, 2, 3])
    assert edits.unique_name("a", ["a", "a 2"]) == "a 3"


def test_with_layer_adds_an_empty_layer_when_needed():
    assert edits.with_layer(Pipeline("gray", ())).layers == (Layer(()),)
    assert edits.with_layer(default_pipeline()) == default_pipeline()


@pytest.mark.parametrize(("name", "taken", "expected"), [
    ("Gaussian 3x3", ["Gaussian 3x3"], "Gaussian 3x3 (2)"),
    ("Gaussian 3x3 (2)", ["Gaussian 3x3", "Gaussian 3x3 (2)"], "Gaussian 3x3 (3)"),
    ("Gaussian 3x3", ["Gaussian 3x3", "Gaussian 3x3 (3)"], "Gaussian 3x3 (2)"),  # first free
    ("Gaussian 3x3 (2)", ["Gaussian 3x3 (2)", "Gaussian 3x3 (3)"], "Gaussian 3x3 (4)"),
    ("Gaussian 3x3 copy copy", ["Gaussian 3x3 copy copy"], "Gaussian 3x3 (2)"),
    ("Edge (x)", ["Edge (x)"], "Edge (x) (2)"),
])
def test_copy_name_counts_instead_of_stacking_copy(name, taken, expected):
    assert edits.copy_name(name, taken) == expected
