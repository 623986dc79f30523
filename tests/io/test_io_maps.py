from __future__ import annotations

import errno
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile

from workbench.core import Pipeline, default_pipeline, run_pipeline
from workbench.io.errors import ExportCancelled, ExportError, LoadError
from workbench.io.formats import read_array
from workbench.io.maps import ExportOptions, export_maps, load_maps_npz, plan_export, select_maps
from workbench.render import ViewOptions, lookup_table, map_look, to_indices

RAW_STAGES = ("conv", "activated", "pooled")


def _all_maps(result, stages=RAW_STAGES):
    """(layer number, filter name, stage) -> the core's array."""
    return {(n, name, stage): getattr(layer, stage)[i]
            for n, layer in enumerate(result.layers, 1)
            for i, name in enumerate(layer.filter_names) for stage in stages}


def _tokens(name: str) -> str:
    return name.replace(" ", "_")


def test_default_names_and_order(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    files = plan_export(result, pipeline, "my photo", ExportOptions(tmp_path, ("npy",)))
    names = [f.path.name for f in files]
    assert names[:5] == ["my_photo_L0_gray_input.npy", "my_photo_L1_Sobel_x_conv.npy",
                         "my_photo_L1_Sobel_x_activated.npy", "my_photo_L1_Sobel_x_pooled.npy",
                         "my_photo_L1_Sobel_y_conv.npy"]
    assert names[-1] == "my_photo_L2_mix_b_pooled.npy"
    assert len(names) == 1 + 3 * (3 + 2)


@pytest.mark.parametrize("fmt", ["npy", "tiff"])
def test_raw_files_equal_core_output_bit_for_bit(result_and_pipeline, tmp_path: Path,
                                                 fmt: str) -> None:
    result, pipeline = result_and_pipeline
    paths = export_maps(result, pipeline, "cam", ExportOptions(tmp_path, (fmt,)))
    ext = "npy" if fmt == "npy" else "tif"
    assert len(paths) == 16 and all(p.suffix == f".{ext}" for p in paths)
    for (n, name, stage), expected in _all_maps(result).items():
        got = read_array(tmp_path / f"cam_L{n}_{_tokens(name)}_{stage}.{ext}")
        assert got.dtype == np.float32 and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()
    got_input = read_array(tmp_path / f"cam_L0_gray_input.{ext}")
    assert got_input.shape == result.input.shape
    assert got_input.tobytes() == result.input.tobytes()


def test_tiff_is_a_standard_float_tiff(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("tiff",), ("conv",),
                                                       filters=(0,), layers=(1,)))
    with tifffile.TiffFile(tmp_path / "cam_L1_Sobel_x_conv.tif") as tif:
        page = tif.pages[0]
        assert page.dtype == np.float32 and page.shape == result.layers[0].conv[0].shape
        assert page.photometric == tifffile.PHOTOMETRIC.MINISBLACK


def test_npz_holds_every_map_manifest_and_pipeline(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    (path,) = export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npz",)))
    assert path.name == "cam_maps.npz"
    with np.load(path, allow_pickle=False) as raw:
        assert raw["pipeline_json"].shape == () and raw["pipeline_json"].dtype.kind == "U"
    archive = load_maps_npz(path)
    assert archive.source == "cam"
    assert archive.pipeline == pipeline
    assert len(archive.entries) == 16 and archive.entries[0]["key"] == "input"
    for entry in archive.entries[1:]:
        expected = _all_maps(result)[(entry["layer"], entry["filter"], entry["stage"])]
        got = archive.maps[entry["key"]]
        assert entry["shape"] == list(expected.shape)
        assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()
    assert archive.maps["input"].tobytes() == result.input.tobytes()
    assert archive.entries[1] == {"key": "L1_Sobel_x_conv", "layer": 1, "filter": "Sobel x",
                                  "filter_index": 0, "stage": "conv", "shape": [64, 64]}


def test_png8_is_the_displayed_image(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    gray = ViewOptions("gray", "minmax")
    colour = ViewOptions("red_blue", "symmetric")
    export_maps(result, pipeline, "g", ExportOptions(tmp_path, ("png",), ("conv",),
                                                     filters=("Sobel y",), view=gray))
    export_maps(result, pipeline, "c", ExportOptions(tmp_path, ("png",), ("input", "conv"),
                                                     filters=("Sobel y",), view=colour))
    conv = result.layers[0].conv[1]
    png = cv2.imread(str(tmp_path / "g_L1_Sobel_y_conv.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint8 and png.ndim == 2
    low, high = float(conv.min()), float(conv.max())
    np.testing.assert_array_equal(png, to_indices(conv, (low, high)))
    assert png.min() == 0 and png.max() == 255
    bgr = cv2.imread(str(tmp_path / "c_L1_Sobel_y_conv.png"), cv2.IMREAD_UNCHANGED)
    m = max(-low, high)
    np.testing.assert_array_equal(bgr[:, :, ::-1],
                                  lookup_table("red_blue")[to_indices(conv, (-m, m))])
    # the input is drawn as the window's input view (0..1 intensities, gray)
    inp = cv2.imread(str(tmp_path / "c_L0_gray_input.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(inp, np.round(np.clip(result.input[0], 0, 1) * 255))


def test_png8_symmetric_gray_signed_maps_are_diverging_per_map(result_and_pipeline,
                                                               tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    view = ViewOptions("gray", "symmetric")
    export_maps(result, pipeline, "s", ExportOptions(tmp_path, ("png",), ("conv", "pooled"),
                                                     filters=("Sobel y",), layers=(1,),
                                                     view=view))
    conv, pooled = result.layers[0].conv[1], result.layers[0].pooled[1]
    assert conv.min() < 0 <= pooled.min()  # ReLU: the pooled map is unsigned
    signed = cv2.imread(str(tmp_path / "s_L1_Sobel_y_conv.png"), cv2.IMREAD_UNCHANGED)
    assert signed.ndim == 3  # CET-D1, as the window draws it
    assert map_look(conv, view).colormap == "CET-D1"
    unsigned = cv2.imread(str(tmp_path / "s_L1_Sobel_y_pooled.png"), cv2.IMREAD_UNCHANGED)
    assert unsigned.ndim == 2


def test_shared_levels_follow_the_window(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    view = ViewOptions("gray", "minmax", shared=True)
    items = select_maps(result, pipeline, ExportOptions(tmp_path, view=view))
    layer = result.layers[0]
    every = [*layer.activated, *layer.pooled]
    expected = (min(float(m.min()) for m in every), max(float(m.max()) for m in every))
    assert {i.shared for i in items if i.layer == 1} == {expected}
    fixed = select_maps(result, pipeline, ExportOptions(tmp_path, view=view, levels=(0, 2)))
    assert {i.shared for i in fixed if i.layer} == {(0.0, 2.0)}
    with pytest.raises(ValueError, match="low < high"):
        ExportOptions(tmp_path, levels=(1.0, 1.0))


def test_png16_and_its_scale_sidecar_recover_the_values(result_and_pipeline,
                                                        tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    paths = export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("png16",), ("conv",),
                                                               filters=("Sobel x",)))
    assert [p.name for p in paths] == ["cam_L1_Sobel_x_conv.16.png", "cam_L1_Sobel_x_conv.16.json"]
    png = cv2.imread(str(paths[0]), cv2.IMREAD_UNCHANGED)
    scale = json.loads(paths[1].read_text())
    conv = result.layers[0].conv[0]
    assert png.dtype == np.uint16 and png.shape == conv.shape
    assert scale["file"] == paths[0].name
    assert scale["min"] == float(conv.min()) and scale["max"] == float(conv.max())
    assert png.min() == 0 and png.max() == 65535
    back = scale["min"] + (scale["max"] - scale["min"]) * png / 65535
    step = (scale["max"] - scale["min"]) / 65535
    assert np.abs(back - conv).max() <= step / 2 + 1e-6


def test_png16_of_rgb_input_is_colour(tmp_path: Path) -> None:
    pipe = default_pipeline("rgb")
    rgb = np.stack([np.linspace(0, 1, 20, dtype=np.float32).reshape(4, 5) * k
                    for k in (1.0, 0.5, 0.25)])
    result = run_pipeline(rgb, pipe)
    (png, _) = export_maps(result, pipe, "x", ExportOptions(tmp_path, ("png16",), ("input",)))
    data = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
    assert data.shape == (4, 5, 3) and data.dtype == np.uint16
    assert data[3, 4].tolist() == [16384, 32768, 65535]  # BGR of (1.0, 0.5, 0.25)


def test_montage_is_a_labelled_grid(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    options = ExportOptions(tmp_path, ("montage",), ("input", "activated", "pooled"),
                            montage_cell=64)
    (path,) = export_maps(result, pipeline, "cam", options)
    assert path.name == "cam_montage.png"
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    # 1 input row + 5 filter rows; 2 columns of 64 px cells with 8 px gaps
    assert image.shape[1] == 8 + 2 * (64 + 8)
    assert image.shape[0] > 6 * 64
    # the input tile (64x64 input fits the cell 1:1) sits under its title
    tile = image[8 + 18:8 + 18 + 64, 8:8 + 64, 0]
    np.testing.assert_array_equal(tile, np.round(np.clip(result.input[0], 0, 1) * 255))
    title_band = image[8:8 + 18, 8:8 + 64]
    assert (title_band > 150).any()  # text was drawn


def test_filter_selection_by_name_and_index(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    items = select_maps(result, pipeline, ExportOptions(tmp_path, stages=("pooled",),
                                                        filters=("Sobel y", 0)))
    assert [(i.layer, i.filter_name) for i in items] == [
        (1, "Sobel x"), (1, "Sobel y"), (2, "mix a")]
    items = select_maps(result, pipeline, ExportOptions(tmp_path, stages=("conv",),
                                                        filters=(2,), layers=(1,)))
    assert [i.key for i in items] == ["L1_Vertical_line_conv"]


def test_bad_selections_name_what_exists(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    with pytest.raises(ValueError, match="no filter named 'Sobel z'.*'Sobel x'"):
        plan_export(result, pipeline, "x", ExportOptions(tmp_path, filters=("Sobel z",)))
    with pytest.raises(ValueError, match=r"filter index 5 is out of range \(layer 1: 0..2"):
        plan_export(result, pipeline, "x", ExportOptions(tmp_path, filters=(5,)))
    with pytest.raises(ValueError, match="no layer 3"):
        plan_export(result, pipeline, "x", ExportOptions(tmp_path, layers=(3,)))
    with pytest.raises(ValueError, match="result has 2 layer"):
        plan_export(result, Pipeline("gray", pipeline.layers[:1]), "x", ExportOptions(tmp_path))


def test_options_validation() -> None:
    with pytest.raises(ValueError, match="unknown format 'jpeg'"):
        ExportOptions("x", ("png", "jpeg"))
    with pytest.raises(ValueError, match="choose at least one stage"):
        ExportOptions("x", stages=())
    with pytest.raises(ValueError, match=r"unknown placeholder \{chan\}"):
        ExportOptions("x", pattern="{source}_{chan}.{ext}")
    with pytest.raises(ValueError, match="numbered from 1"):
        ExportOptions("x", layers=(0,))


def test_clashing_names_are_refused_before_writing(result_and_pipeline, tmp_path: Path,
                                                   listing) -> None:
    result, pipeline = result_and_pipeline
    with pytest.raises(ValueError, match="gives 'x_conv.npy' to both.*add placeholders"):
        export_maps(result, pipeline, "x", ExportOptions(tmp_path, ("npy",), ("conv",),
                                                         pattern="{source}_{stage}.{ext}"))
    assert listing(tmp_path) == {}


def test_same_filter_names_get_distinct_files(tmp_path: Path) -> None:
    pipe = default_pipeline()
    layer = pipe.layers[0]
    filters = tuple(f.__class__("edge", f.weight) for f in layer.filters[:2])
    pipe = Pipeline("gray", (layer.__class__(filters),))
    result = run_pipeline(np.eye(6, dtype=np.float32)[None], pipe)
    paths = export_maps(result, pipe, "e", ExportOptions(tmp_path, ("npy",), ("conv",)))
    assert [p.name for p in paths] == ["e_L1_edge_conv.npy", "e_L1_edge_2_conv.npy"]


def test_existing_files_stop_the_export_before_anything_is_written(
        result_and_pipeline, tmp_path: Path, listing) -> None:
    result, pipeline = result_and_pipeline
    (tmp_path / "cam_L1_Sobel_y_conv.npy").write_bytes(b"mine")
    before = listing(tmp_path)
    with pytest.raises(FileExistsError) as info:
        export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npy", "png")))
    assert info.value.errno == errno.EEXIST
    assert "cam_L1_Sobel_y_conv.npy" in str(info.value)
    assert listing(tmp_path) == before
    paths = export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npy",),
                                                               overwrite=True))
    assert len(paths) == 16
    assert read_array(tmp_path / "cam_L1_Sobel_y_conv.npy").tobytes() == \
        result.layers[0].conv[1].tobytes()


def test_disk_full_mid_export_leaves_folder_unchanged(result_and_pipeline, tmp_path: Path,
                                                      listing, disk_full) -> None:
    result, pipeline = result_and_pipeline
    (tmp_path / "other.txt").write_text("unrelated")
    before = listing(tmp_path)
    disk_full(40_000)  # a few maps fit, then the disk is full
    with pytest.raises(ExportError) as info:
        export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npy", "tiff")))
    assert info.value.errno == errno.ENOSPC
    assert "disk is full" in str(info.value)
    assert listing(tmp_path) == before


def test_created_output_folder_is_removed_again_on_failure(result_and_pipeline,
                                                           tmp_path: Path, disk_full) -> None:
    result, pipeline = result_and_pipeline
    disk_full(0)
    with pytest.raises(ExportError):
        export_maps(result, pipeline, "cam", ExportOptions(tmp_path / "new" / "deep", ("npy",)))
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_location(result_and_pipeline, tmp_path: Path) -> None:
    result, pipeline = result_and_pipeline
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="cannot create the folder .*file/sub") as info:
        export_maps(result, pipeline, "cam", ExportOptions(tmp_path / "file" / "sub", ("npy",)))
    assert info.value.errno == errno.ENOTDIR
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_progress_reports_and_cancel_writes_nothing(result_and_pipeline, tmp_path: Path,
                                                    listing) -> None:
    result, pipeline = result_and_pipeline
    calls = []

    def cancel_at_three(done: int, total: int) -> bool:
        calls.append((done, total))
        return done < 3

    with pytest.raises(ExportCancelled):
        export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npy",)), cancel_at_three)
    assert calls == [(0, 16), (1, 16), (2, 16), (3, 16)]
    assert listing(tmp_path) == {}
    calls.clear()
    export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npz",)),
                lambda d, t: calls.append((d, t)))
    assert calls == [(0, 1), (1, 1)]


def test_truncated_or_corrupt_files_give_load_errors(result_and_pipeline, tmp_path: Path,
                                                     listing) -> None:
    result, pipeline = result_and_pipeline
    paths = export_maps(result, pipeline, "cam", ExportOptions(tmp_path, ("npy", "tiff", "npz"),
                                                               ("conv",), filters=(0,)))
    for path in paths:
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    before = listing(tmp_path)
    for path in paths:
        with pytest.raises(LoadError) as info:
            load_maps_npz(path) if path.suffix == ".npz" else read_array(path)
        assert str(path) in str(info.value) and "truncated or corrupt" in str(info.value)
    assert listing(tmp_path) == before


def test_npz_without_manifest_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(LoadError, match="not a Conv Workbench maps archive"):
        load_maps_npz(tmp_path / "plain.npz")
