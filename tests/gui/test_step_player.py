"""The step-through player: the kernel slides over the input, one output cell per step."""

from dataclasses import replace

import numpy as np
import pytest

from workbench.core import Filter, Layer, Pipeline, Pool, sliding_steps
from workbench.gui.views.map_views import CellKey

LINE = np.array([[0, 1, 0]] * 3, np.float32)  # the seeds' vertical-line detector


def line_pipeline(**layer_options):
    layer = Layer((Filter("Vertical line", LINE), Filter("Box", np.full((3, 3), 1 / 9))),
                  activation="relu", pool=Pool("max", (2, 2)), **layer_options)
    return Pipeline("gray", (layer,))


def open_player(open_window, settle, **layer_options):
    window = open_window(line_pipeline(**layer_options))
    settle(window)
    window.open_step_through()
    assert window.step_player.isVisible() and window.step_player.count > 0
    return window


def collect(window):
    marks = []
    window.step_player.sigStep.connect(lambda mark, text: marks.append((mark, text)))
    return marks


def test_output_cell_0_2_of_the_vertical_line_example(open_window, settle):
    window = open_player(open_window, settle)
    player, views = window.step_player, window.views
    marks = collect(window)
    player.go_y.setValue(0)
    player.go_x.setValue(2)
    player.go_button.click()
    mark, text = marks[-1]
    assert (mark.y, mark.x, mark.filter) == (0, 2, 0) and player.index == 2
    # The 3x3 window over rows 0-2, columns 2-4 of the 8x8 image; its sum is 3.
    assert sorted(set(mark.rows.tolist())) == [0, 1, 2]
    assert sorted(set(mark.cols.tolist())) == [2, 3, 4]
    assert "= <b>3</b> (conv)" in text and "Step 3 of 36" in text
    assert window.views.inspector.text() == text and views.pinned
    assert views.slide_taps.isVisible() and len(views.slide_taps.data) == 9
    marker = views.cell("conv", 0).marker
    assert marker.isVisible() and marker.rect().getRect() == (2.0, 0.0, 1.0, 1.0)
    window.step_player.close_player()
    assert not views.slide_taps.isVisible() and not views.pinned


@pytest.mark.parametrize("options", [
    {"stride": (2, 1), "dilation": (1, 2)},
    {"padding": (1, 2), "padding_mode": "circular"},
    {"padding": (2, 1), "padding_mode": "reflect", "stride": (1, 2)},
])
def test_steps_follow_the_core_sequence(open_window, settle, options):
    window = open_player(open_window, settle, **options)
    player = window.step_player
    window.session.select(filter=1)  # the box filter
    settle(window)
    marks = collect(window)
    player.go_to_index(0)
    while player.index + 1 < player.count:
        player.step()
    layer = window.session.pipeline.layers[0]
    image = window.session.result.result.input
    expected = list(sliding_steps(image, np.full((1, 1, 3, 3), 1 / 9, np.float32), [0.0],
                                  stride=layer.stride, padding=layer.padding,
                                  dilation=layer.dilation, padding_mode=layer.padding_mode))
    assert len(marks) == len(expected) == player.count
    conv = window.session.result.result.layers[0].conv[1]
    for (mark, _text), step in zip(marks, expected, strict=True):
        assert mark.filter == 1 and (mark.y, mark.x) == (step.y, step.x)
        np.testing.assert_array_equal(mark.rows, step.rows)
        np.testing.assert_array_equal(mark.cols, step.cols)
        np.testing.assert_array_equal(mark.padded, step.padded)
        assert step.total == pytest.approx(float(conv[step.y, step.x]), abs=1e-6)
    # Step back retraces.
    player.step_back()
    assert (marks[-1][0].y, marks[-1][0].x) == (expected[-2].y, expected[-2].x)


def test_reflect_padding_draws_the_padded_border_with_its_values(open_window, settle):
    window = open_player(open_window, settle, padding=(1, 1), padding_mode="reflect")
    views = window.views
    window.step_player.go_to_index(0)
    assert views.slide_padded.isVisible() and views.slide_border.isVisible()
    image = window.session.result.result.input[0]
    drawn = views.slide_padded.image
    np.testing.assert_array_equal(drawn, np.pad(image, 1, mode="reflect"))
    rect = views.slide_padded.mapRectToParent(views.slide_padded.boundingRect())
    assert rect.getRect() == (-1.0, -1.0, 10.0, 10.0)
    text = views.inspector.text()
    assert "pad: copy of (1, 1)" in text  # the corner tap (-1, -1) reflects to (1, 1)


def test_a_step_that_completes_a_pooling_window_says_the_pooled_value(open_window, settle):
    window = open_player(open_window, settle)
    marks = collect(window)
    window.step_player.go_to_index(1 * 6 + 3)  # conv (1, 3): ends pooled cell (0, 1)
    pooled = window.session.result.result.layers[0].pooled[0]
    assert f"pooled cell row 0, col 1 = <b>{pooled[0, 1]:g}</b>" in marks[-1][1]
    window.step_player.go_to_index(1 * 6 + 2)  # conv (1, 2) ends none
    assert "pooling window" not in marks[-1][1]


def test_play_slides_on_its_own_and_pause_stops(open_window, settle, qtbot):
    window = open_player(open_window, settle)
    player = window.step_player
    player.speed.setCurrentIndex(player.speed.findData(100))
    player.go_to_index(0)
    player.play_button.click()
    assert player.playing and "Pause" in player.play_button.text()
    qtbot.waitUntil(lambda: player.index >= 5, timeout=5000)
    player.play_button.click()
    stopped = player.index
    qtbot.wait(100)
    assert not player.playing and player.index == stopped
    player.next_row()
    assert player.index == (stopped // 6 + 1) * 6


def test_an_edited_kernel_restarts_the_numbers_at_the_same_cell(open_window, settle):
    window = open_player(open_window, settle)
    marks = collect(window)
    window.step_player.go_to_index(2)
    window.session.edit(lambda p: replace(p, layers=(replace(
        p.layers[0], filters=(Filter("Vertical line", 2 * LINE), p.layers[0].filters[1])),)))
    settle(window)
    mark, text = marks[-1]
    assert (mark.y, mark.x) == (0, 2) and "= <b>6</b> (conv)" in text
    assert window.views.cells[CellKey("conv", 0)].marker.isVisible()


@pytest.mark.parametrize("key, count", [("keras_conv2d", 36), ("handwritten_one", 4),
                                        ("k3_dilation2", 2)])
def test_motion_examples_open_with_the_step_through(open_window, settle, key, count):
    window = open_window()
    window.raw_data.open_example(key)
    settle(window)
    player = window.step_player
    assert player.isVisible() and player.count == count and player.index == 0
    assert "Step 1 of" in window.views.inspector.text()
    window.raw_data.open_example("max_pool")  # a pooling example keeps it as it was
    settle(window)
    assert player.isVisible()
    player.close_player()
    window.raw_data.open_example("max_pool")
    settle(window)
    assert player.isHidden()


def test_hovering_a_padded_cell_says_where_its_value_comes_from(open_window, settle):
    window = open_player(open_window, settle, padding=(1, 1), padding_mode="reflect")
    views = window.views
    window.step_player.go_to_index(0)
    assert views.input_cell.padded_margin == (1, 1, 1, 1)
    views.input_cell.sigPaddedHovered.emit(-1, 3)
    assert views.hover_text == "padded cell (-1, 3): reflect padding copies input (1, 3) = 1"
    views.input_cell.sigPaddedHovered.emit(8, 0)
    assert views.hover_text == "padded cell (8, 0): reflect padding copies input (6, 0) = 0"
    window.step_player.close_player()
    assert views.input_cell.padded_margin == (0, 0, 0, 0)


def test_zero_padding_is_drawn_on_a_raw_tutorial_input(open_window, settle):
    window = open_window()
    window.raw_data.open_example("keras_conv2d")
    settle(window)
    window.session.edit(lambda p: replace(p, layers=(replace(p.layers[0], padding=(1, 1)),)))
    settle(window)
    window.step_player.go_to_index(0)
    views = window.views
    assert views.slide_padded.isVisible()
    np.testing.assert_array_equal(views.slide_padded.image,
                                  np.pad(window.session.result.result.input[0], 1))
    views.input_cell.sigPaddedHovered.emit(-1, -1)
    assert views.hover_text == "padded cell (-1, -1): zero padding, the value is 0"


def test_the_step_survives_a_new_result_and_a_layer_switch(open_window, settle):
    window = open_player(open_window, settle)
    views, player = window.views, window.step_player
    player.go_to_index(2)
    views._hovered = (CellKey("conv", 0), 4, 4)  # a hover from before the step-through
    second = Layer((Filter("Sum", np.ones((2, 3, 3), np.float32)),), padding=(1, 1))
    window.session.edit(lambda p: replace(p, layers=(*p.layers, second)))
    settle(window)
    window.session.select(layer=1)
    settle(window)
    assert player.isVisible() and "Step 3 of 9" in views.inspector.text()  # 3x3 pooled input
    assert not views.slide_padded.isVisible() and views.input_cell.padded_margin == (0,) * 4
