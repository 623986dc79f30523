"""Numeric data inputs (npy / csv / txt / typed text) and data workspaces."""

import numpy as np
import pytest

from workbench.io import LoadError
from workbench.io.data_input import (
    RawData,
    format_data_text,
    load_data,
    parse_data_text,
    to_chw,
)
from workbench.io.workspace import (
    SourceSpec,
    Workspace,
    load_workspace,
    save_workspace,
    workspace_from_dict,
    workspace_to_dict,
)
from workbench.tutorials import get_example


@pytest.mark.parametrize(("array", "rows_are_channels", "shape"), [
    (np.arange(6), False, (1, 1, 6)),
    (np.arange(6).reshape(2, 3), False, (1, 2, 3)),
    (np.arange(6).reshape(2, 3), True, (2, 1, 3)),
    (np.arange(24).reshape(2, 3, 4), False, (2, 3, 4)),
    (np.arange(24).reshape(2, 3, 4), True, (2, 3, 4)),
    (np.array([True, False]), False, (1, 1, 2)),
])
def test_npy_shapes(tmp_path, array, rows_are_channels, shape):
    path = tmp_path / "data.npy"
    np.save(path, array)
    raw = load_data(path, rows_are_channels)
    assert raw.values.shape == shape and raw.values.dtype == np.float32
    assert raw.values.ravel().tolist() == array.astype(np.float32).ravel().tolist()
    assert raw.name == "data.npy" and raw.path == str(path.resolve())
    assert not raw.values.flags.writeable


def test_values_are_not_scaled(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.array([[0, 255, 65535]], np.uint16))
    assert load_data(path).values.tolist() == [[[0, 255, 65535]]]


def test_csv_and_txt(tmp_path):
    csv = tmp_path / "two.csv"
    csv.write_text("1,2,3,4,5,6\n\n10,20,30,40,50,60\n")
    assert load_data(csv).values.tolist() == [[[1, 2, 3, 4, 5, 6]], [[10, 20, 30, 40, 50, 60]]]
    txt = tmp_path / "rows.txt"
    txt.write_text("\ufeff1 2\n3 4\n")  # a BOM, as spreadsheets write
    assert load_data(txt).values.tolist() == [[[1, 2], [3, 4]]]
    assert load_data(txt, rows_are_channels=True).values.tolist() == [[[1, 2]], [[3, 4]]]
    wide = tmp_path / "wide.txt"  # no 15x15 kernel limit for data
    wide.write_text(" ".join(map(str, range(40))))
    assert load_data(wide).values.shape == (1, 1, 40)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("ragged.csv", "1 2 3\n4 5\n", "row 2 has 2 values, expected 3"),
    ("blocks.txt", "1 2\n\n1 2 3\n", "channel 2, row 1 has 3 values, expected 2"),
    ("word.csv", "1 2\n3 four\n", "line 2: 'four' is not a number"),
    ("empty.txt", "  \n", "empty"),
    ("nan.csv", "1 nan\n", "finite"),
    ("image.png", "1 2", "not a data file"),
])
def test_bad_text_files_name_the_file_and_line(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LoadError) as info:
        load_data(path)
    assert str(info.value).startswith(str(path)) and reason in str(info.value)


@pytest.mark.parametrize(("array", "reason"), [
    (np.zeros((1, 2, 3, 4)), "got 4-D"),
    (np.zeros((0, 3)), "empty"),
    (np.array(["a", "b"]), "must be numbers"),
    (np.array([1 + 2j]), "real numbers"),
    (np.array([1.0, np.inf]), "finite"),
])
def test_bad_npy_files(tmp_path, array, reason):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(LoadError, match=reason):
        load_data(path)


def test_missing_and_pickled_files(tmp_path):
    with pytest.raises(LoadError, match="missing.npy"):
        load_data(tmp_path / "missing.npy")
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LoadError, match="not a plain numeric"):
        load_data(path)


def test_typed_text_forms():
    assert parse_data_text("1 2 3 4 5 6").tolist() == [[[1, 2, 3, 4, 5, 6]]]
    assert parse_data_text("[1, 2, 3, 4, 5, 6]").tolist() == [[[1, 2, 3, 4, 5, 6]]]
    printed = "tensor([[[ 1.,  2.,  3.],\n         [10., 20., 30.]]])"
    assert parse_data_text(printed).tolist() == [[[1, 2, 3], [10, 20, 30]]]
    assert parse_data_text(printed, rows_are_channels=True).tolist() == [[[1, 2, 3]],
                                                                       [[10, 20, 30]]]
    assert to_chw([[1, 2], [3, 4]]).shape == (1, 2, 2)


def test_format_round_trips_exactly():
    values = np.array([[[0.1, -2.5, 1e-7]], [[3, 1 / 3, 65504]]], np.float32)
    text = format_data_text(values)
    assert text == "0.1 -2.5 1e-07\n\n3 0.33333334 65504"
    assert np.array_equal(parse_data_text(text), values)
    single = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    assert np.array_equal(parse_data_text(format_data_text(single)), single)


def test_raw_data_describes_itself():
    raw = RawData(np.ones((2, 1, 6)), "signal")
    assert raw.channels == 2 and raw.describe() == "signal — 2 channels of 1x6"


def test_data_workspace_inline_and_by_path(tmp_path):
    example = get_example("groups")
    spec = SourceSpec("data", name=example.name, values=format_data_text(example.data))
    ws = Workspace(spec, example.pipeline)
    path = save_workspace(tmp_path / "ws.json", ws)
    loaded = load_workspace(path)
    assert loaded == ws
    assert np.array_equal(parse_data_text(loaded.source.values), example.data)
    npy = tmp_path / "signal.npy"
    np.save(npy, np.arange(6))
    by_path = SourceSpec("data", path=str(npy), rows_are_channels=True)
    data = workspace_to_dict(Workspace(by_path, example.pipeline), tmp_path)
    assert data["source"] == {"kind": "data", "path": "signal.npy", "rows_are_channels": True}
    assert workspace_from_dict(data, tmp_path).source == by_path


@pytest.mark.parametrize(("source", "reason"), [
    ({"kind": "data"}, "needs values or path"),
    ({"kind": "data", "values": "1 2\n3"}, "values: row 2 has 1 value"),
    ({"kind": "data", "values": "1", "rows_are_channels": "yes"}, "rows_are_channels"),
])
def test_invalid_data_sources(source, reason):
    with pytest.raises(ValueError, match=reason):
        SourceSpec.from_dict(source)


def _write_wav(path, samples, width, channels=2, rate=8000):
    import wave
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(channels)
        clip.setsampwidth(width)
        clip.setframerate(rate)
        clip.writeframes(samples.tobytes())


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_wav_files_read_as_one_signal_per_channel(tmp_path, width):
    from workbench.io.data_input import load_data
    t = np.arange(400)
    left = np.sin(2 * np.pi * t / 50) * 0.5
    right = np.where(t % 100 < 50, 0.25, -0.25)
    scale = float(1 << (8 * width - 1))
    ints = np.round(np.column_stack([left, right]) * scale).astype(np.int64)
    if width == 1:
        raw = (ints + 128).astype(np.uint8)
    elif width == 3:
        packed = ints.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        raw = np.ascontiguousarray(packed).reshape(len(t), 6)
    else:
        raw = ints.astype("<i2" if width == 2 else "<i4")
    path = tmp_path / f"clip{width}.wav"
    _write_wav(path, raw, width)
    data = load_data(path)
    assert data.values.shape == (2, 1, 400) and data.rows_are_channels
    tolerance = 1.0 / scale + 1e-7
    np.testing.assert_allclose(data.values[0, 0], left, atol=tolerance)
    np.testing.assert_allclose(data.values[1, 0], right, atol=tolerance)


def test_a_wav_that_is_not_pcm_is_refused_with_the_reason(tmp_path):
    from workbench.io.data_input import load_data
    from workbench.io.errors import LoadError
    path = tmp_path / "fake.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(LoadError, match="not a PCM WAV file"):
        load_data(path)


def test_a_csv_column_is_a_signal(tmp_path):
    from workbench.io.data_input import load_data
    path = tmp_path / "column.csv"
    path.write_text("1\n2\n3\n4\n")
    values = load_data(path).values
    assert values.shape == (1, 1, 4)
    np.testing.assert_array_equal(values[0, 0], [1, 2, 3, 4])
