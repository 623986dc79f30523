"""1-D inputs drawn as stem plots, with the kernel sliding under the signal."""

import numpy as np
import pytest

from workbench.gui.views.signal_view import StemKey


def open_example(open_window, settle, key):
    window = open_window()
    window.raw_data.open_example(key)
    settle(window)
    return window


def test_dilation_2_takes_elements_1_3_5_then_2_4_6(open_window, settle):
    window = open_example(open_window, settle, "k3_dilation2")
    views = window.views
    assert views.one_d and views.maps_stack.currentWidget() is views.signal_scroll
    assert not views.input_cell.isVisibleTo(window)
    signal = views.signal_view
    x, values = signal.values(StemKey("input", 0))
    np.testing.assert_array_equal(x, np.arange(6))
    np.testing.assert_array_equal(values, [1, 2, 3, 4, 5, 6])
    # The outputs sit under the centres of their windows (0, 2, 4 -> 2 and 1, 3, 5 -> 3).
    x, values = signal.values(StemKey("conv", 0))
    np.testing.assert_array_equal(x, [2, 3])
    np.testing.assert_array_equal(values, [18, 24])

    window.open_step_through()
    player = window.step_player
    assert player.count == 2
    player.go_to_index(0)
    taps = signal.ringed[(0, "taps")].getData()
    np.testing.assert_array_equal(taps[0], [0, 2, 4])  # elements 1, 3, 5
    np.testing.assert_array_equal(taps[1], [1, 3, 5])
    assert "= <b>18</b> (conv)" in views.inspector.text()
    kernel_x, kernel_w = signal.kernel_row.x, signal.kernel_row.values
    np.testing.assert_array_equal(kernel_x, [0, 2, 4])
    np.testing.assert_array_equal(kernel_w, [2, 2, 2])
    player.step()
    taps = signal.ringed[(0, "taps")].getData()
    np.testing.assert_array_equal(taps[0], [1, 3, 5])  # elements 2, 4, 6
    assert "= <b>24</b> (conv)" in views.inspector.text()
    out = signal._highlight["out"].getData()
    assert (out[0][0], out[1][0]) == (3, 24)


def test_padded_taps_are_drawn_outside_the_signal(open_window, settle):
    window = open_example(open_window, settle, "k3_pad1")
    window.open_step_through()
    window.step_player.go_to_index(0)
    signal = window.views.signal_view
    pad = signal.ringed[(0, "pad")].getData()
    np.testing.assert_array_equal(pad[0], [-1])
    np.testing.assert_array_equal(pad[1], [0])
    assert [label.toPlainText() for label in signal._pad_labels] == ["pad 0"]
    np.testing.assert_array_equal(signal.values(StemKey("conv", 0))[1], [6, 12, 18, 24, 30, 22])


def test_hovering_a_stem_explains_it(open_window, settle):
    window = open_example(open_window, settle, "k3")
    window.step_player.close_player()  # it opened with the example and holds the inspector
    views = window.views
    views._on_stem_hovered(StemKey("conv", 0), 1)
    assert views.inspector.explanation is not None
    assert views.inspector.explanation.value == pytest.approx(18)
    views._on_stem_hovered(StemKey("input", 0), -1)
    assert views.hover_text == ""


def test_a_2d_example_goes_back_to_the_map_grid(open_window, settle):
    window = open_example(open_window, settle, "k3")
    assert window.views.one_d
    window.raw_data.open_example("keras_conv2d")
    settle(window)
    views = window.views
    assert not views.one_d and views.maps_stack.currentWidget() is views.scroll_area
    assert views.input_cell.isVisibleTo(window)


def test_groups_show_every_input_channel(open_window, settle):
    window = open_example(open_window, settle, "depthwise")
    signal = window.views.signal_view
    np.testing.assert_array_equal(signal.values(StemKey("input", 1))[1],
                                  [10, 20, 30, 40, 50, 60])
    np.testing.assert_array_equal(signal.values(StemKey("conv", 2))[1],
                                  [60, 120, 180, 240, 300, 360])


def test_a_wav_clip_opens_as_a_signal_drawn_as_a_line(open_window, settle, tmp_path):
    import wave
    t = np.arange(8000)
    samples = (np.sin(2 * np.pi * t / 80) * 16000).astype("<i2")
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(8000)
        clip.writeframes(samples.tobytes())
    window = open_window()
    assert window.raw_data.open_data(path)
    settle(window)
    # The 3x3 kernels became 1x3 (their middle rows), with a message and undo.
    layer = window.session.pipeline.layers[0]
    assert {f.kernel_size for f in layer.filters} == {(1, 3)}
    assert "1-D signal" in window.message_bar.text
    views = window.views
    assert views.one_d
    row = views.signal_view._rows[StemKey("input", 0)]
    assert row.as_line and len(row.x) == 8000
    np.testing.assert_allclose(row.values, samples / 32768.0, atol=1e-6)
    x, values = views.signal_view.values(StemKey("conv", 0))
    assert len(values) == window.session.result.result.layers[0].activated[0].shape[1]


def test_grouped_taps_ring_their_own_channel(open_window, settle):
    window = open_example(open_window, settle, "groups")
    window.open_step_through()
    signal = window.views.signal_view
    window.session.select(filter=1)  # weight 4: reads channel 2 only
    settle(window)
    window.step_player.go_to_index(3)
    assert set(signal.ringed) == {(1, "taps")}
    np.testing.assert_array_equal(signal.ringed[(1, "taps")].getData()[1], [40])
    assert "= <b>160</b> (conv)" in window.views.inspector.text()
