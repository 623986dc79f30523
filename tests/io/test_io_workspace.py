from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from workbench.core import default_pipeline
from workbench.io.errors import LoadError
from workbench.io.workspace import (
    WORKSPACE_FORMAT,
    SourceSpec,
    Workspace,
    load_workspace,
    save_workspace,
)

VIEW = {"colormap": "viridis", "scale": "symmetric", "zoom": 1.5, "panels": [1, 2],
        "splitter": {"left": 300}}


def _workspace(source: SourceSpec) -> Workspace:
    return Workspace(source, default_pipeline("rgb"), max_side=512, view=VIEW)


def test_round_trip_with_image_under_the_workspace_folder(tmp_path: Path) -> None:
    image = tmp_path / "photos" / "cat.png"
    image.parent.mkdir()
    image.write_bytes(b"not read")
    ws = _workspace(SourceSpec("image", str(image)))
    path = save_workspace(tmp_path / "session.json", ws)
    raw = json.loads(path.read_text())
    assert raw["format"] == WORKSPACE_FORMAT and raw["schema_version"] == 1
    assert raw["source"] == {"kind": "image", "path": "photos/cat.png"}
    assert raw["max_side"] == 512 and raw["view"] == VIEW
    loaded = load_workspace(path)
    assert loaded == ws
    assert loaded.source.path == str(image)


def test_moved_folder_still_finds_its_image(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    save_workspace(tmp_path / "a" / "w.json", _workspace(SourceSpec("video",
                                                                    str(tmp_path / "a" / "v.mp4"),
                                                                    frame_index=12)))
    shutil.move(tmp_path / "a", tmp_path / "b")
    loaded = load_workspace(tmp_path / "b" / "w.json")
    assert loaded.source == SourceSpec("video", str(tmp_path / "b" / "v.mp4"), frame_index=12)


def test_paths_outside_the_folder_stay_absolute(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    outside = tmp_path / "elsewhere" / "x.png"
    path = save_workspace(tmp_path / "ws" / "w.json", _workspace(SourceSpec("image", outside)))
    assert json.loads(path.read_text())["source"]["path"] == str(outside)
    assert load_workspace(path).source.path == str(outside)


def test_relative_paths_are_taken_from_the_current_folder_when_saving(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = save_workspace("w.json", _workspace(SourceSpec("image", "img/x.png")))
    assert json.loads(path.read_text())["source"]["path"] == "img/x.png"
    assert load_workspace(tmp_path / "w.json").source.path == str(tmp_path / "img" / "x.png")


@pytest.mark.parametrize("source", [
    SourceSpec("sample", sample_key="astronaut"),
    SourceSpec("camera", camera_index=1, size=(1280, 720)),
    SourceSpec("synthetic", size=(320, 240)),
])
def test_other_source_kinds_round_trip(tmp_path: Path, source: SourceSpec) -> None:
    path = save_workspace(tmp_path / "w.json", Workspace(source, default_pipeline()))
    loaded = load_workspace(path)
    assert loaded.source == source and loaded.max_side is None and loaded.view == {}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "webcam"}, "source kind must be one of"),
    ({"kind": "image"}, "image source needs path"),
    ({"kind": "sample"}, "sample source needs sample_key"),
    ({"kind": "camera", "camera_index": -1}, "camera_index must be an integer >= 0"),
    ({"kind": "video", "path": ""}, "path must be a non-empty string"),
    ({"kind": "synthetic", "size": (10,)}, "size must be"),
])
def test_source_validation(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SourceSpec(**kwargs)


def test_workspace_validation() -> None:
    source = SourceSpec("sample", sample_key="camera")
    with pytest.raises(ValueError, match="view must hold JSON data"):
        Workspace(source, default_pipeline(), view={"bad": object()})
    with pytest.raises(ValueError, match="view must hold JSON data"):
        Workspace(source, default_pipeline(), view={"x": float("nan")})
    with pytest.raises(ValueError, match="max_side"):
        Workspace(source, default_pipeline(), max_side=0)
    ws = Workspace(source, default_pipeline(), view={"t": (1, 2)})
    assert ws.view == {"t": [1, 2]}  # stored as JSON gives it back


def test_overwrite_needs_permission(tmp_path: Path, listing) -> None:
    ws = _workspace(SourceSpec("sample", sample_key="camera"))
    save_workspace(tmp_path / "w.json", ws)
    before = listing(tmp_path)
    with pytest.raises(FileExistsError):
        save_workspace(tmp_path / "w.json", ws)
    assert listing(tmp_path) == before
    save_workspace(tmp_path / "w.json", Workspace(ws.source, ws.pipeline), overwrite=True)
    assert load_workspace(tmp_path / "w.json").view == {}


def test_disk_full_keeps_the_old_workspace(tmp_path: Path, listing, disk_full) -> None:
    ws = _workspace(SourceSpec("sample", sample_key="camera"))
    save_workspace(tmp_path / "w.json", ws)
    before = listing(tmp_path)
    disk_full(50)
    with pytest.raises(OSError, match="disk is full"):
        save_workspace(tmp_path / "w.json", Workspace(ws.source, ws.pipeline), overwrite=True)
    assert listing(tmp_path) == before


def test_truncated_file_is_a_clear_error(tmp_path: Path, listing) -> None:
    path = save_workspace(tmp_path / "w.json", _workspace(SourceSpec("sample", sample_key="x")))
    text = path.read_text()
    path.write_text(text[:len(text) // 2])
    before = listing(tmp_path)
    with pytest.raises(LoadError) as info:
        load_workspace(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "not valid JSON" in message and "truncated" in message
    assert listing(tmp_path) == before


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.pop("format"), "not a Conv Workbench workspace"),
    (lambda d: d.update(schema_version=7), "schema_version 7 was written by a newer"),
    (lambda d: d.update(schema_version="1"), "schema_version must be a positive integer"),
    (lambda d: d["source"].update(kind="tv"), "source: source kind must be one of"),
    (lambda d: d["pipeline"]["layers"][0].update(groups=0), "pipeline: .*groups"),
    (lambda d: d.update(max_side=-3), "max_side must be an integer >= 1"),
    (lambda d: d.update(view=[1]), "view must be an object"),
])
def test_invalid_content_names_the_field(tmp_path: Path, edit, message: str) -> None:
    path = save_workspace(tmp_path / "w.json", _workspace(SourceSpec("sample", sample_key="x")))
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(LoadError, match=message):
        load_workspace(path)


def test_legacy_bank_inside_a_workspace_is_migrated(tmp_path: Path) -> None:
    data = {"format": WORKSPACE_FORMAT, "schema_version": 1,
            "source": {"kind": "sample", "sample_key": "camera"},
            "pipeline": [{"name": "id", "weight": [[1.0]]}]}
    (tmp_path / "w.json").write_text(json.dumps(data))
    loaded = load_workspace(tmp_path / "w.json")
    assert loaded.pipeline.layers[0].filters[0].name == "id"


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_workspace(tmp_path / "nope.json")
    assert not os.listdir(tmp_path)
