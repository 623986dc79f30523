import dataclasses
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench import resources
from workbench.resources import (
    ENV_VAR,
    SampleImage,
    icon_path,
    resource_path,
    resources_dir,
    sample_images,
    sample_path,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
GENERATOR = REPO_ROOT / "packaging" / "make_teaching_images.py"

# Menu order and the array each file must decode to with cv2.IMREAD_UNCHANGED.
EXPECTED_SHAPES = {
    "astronaut": (512, 512, 3),
    "chelsea": (300, 451, 3),
    "coffee": (400, 600, 3),
    "camera": (512, 512),
    "vertical_line_8x8": (8, 8),
    "digit_one_4x4": (4, 4),
    "checkerboard": (64, 64),
    "shapes": (256, 256),
}
PHOTOS = ["astronaut", "chelsea", "coffee", "camera"]


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def resources_copy(tmp_path):
    """A copy of the real resources directory, to point the locator at."""

    def copy_to(destination: Path) -> Path:
        shutil.copytree(resources_dir(), destination)
        return destination

    return copy_to


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, f"cv2 could not read {path}"
    return image


# --- manifest and files -------------------------------------------------------------------


def test_manifest_lists_samples_in_menu_order():
    samples = sample_images()
    assert [sample.key for sample in samples] == list(EXPECTED_SHAPES)
    assert all(isinstance(sample, SampleImage) for sample in samples)
    for sample in samples:
        assert sample.path.is_absolute()
        assert sample.title and sample.description and sample.credit


@pytest.mark.parametrize(("key", "shape"), EXPECTED_SHAPES.items())
def test_every_sample_loads_with_cv2(key, shape):
    image = _read(sample_path(key))
    assert image.shape == shape
    assert image.dtype == np.uint8
    assert image.min() < image.max(), "a constant image teaches nothing"


def test_every_file_in_samples_is_in_the_manifest():
    samples_dir = resource_path("samples")
    listed = {sample.path.name for sample in sample_images()} | {"samples.json"}
    assert {path.name for path in samples_dir.iterdir()} == listed


def test_licenses_md_credits_every_resource_file():
    root = resources_dir()
    licenses = (root / "LICENSES.md").read_text(encoding="utf-8")
    files = [path for path in root.rglob("*") if path.is_file() and path.suffix != ".pyc"]
    relative = [path.relative_to(root).as_posix() for path in files]
    missing = [
        name
        for name in relative
        if f"`{name}`" not in licenses and f"`{Path(name).name}`" not in licenses
    ]
    assert missing == []


@pytest.mark.parametrize("key", PHOTOS)
def test_photo_credits_name_licence_and_source(key):
    sample = next(sample for sample in sample_images() if sample.key == key)
    assert "scikit-image" in sample.credit
    assert "CC0" in sample.credit or "public domain" in sample.credit


def test_sample_image_is_frozen():
    sample = sample_images()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.key = "other"  # type: ignore[misc]


def test_sample_path_unknown_key_lists_valid_keys():
    with pytest.raises(KeyError, match="unknown sample key 'nope'") as info:
        sample_path("nope")
    for key in EXPECTED_SHAPES:
        assert key in str(info.value)


# --- teaching images ----------------------------------------------------------------------


def test_vertical_line_pixels_are_exact():
    image = _read(sample_path("vertical_line_8x8"))
    expected = np.zeros((8, 8), dtype=np.uint8)
    expected[:, [3, 4]] = 255
    np.testing.assert_array_equal(image, expected)


def test_vertical_line_reproduces_the_keras_worked_example():
    image = _read(sample_path("vertical_line_8x8")).astype(np.float64) / 255
    kernel = np.array([[0, 1, 0]] * 3, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    output = np.einsum("ijkl,kl->ij", windows, kernel)
    assert output.shape == (6, 6)
    np.testing.assert_allclose(output, np.tile([0, 0, 3, 3, 0, 0], (6, 1)), atol=1e-12)


def test_checkerboard_has_8_pixel_squares():
    image = _read(sample_path("checkerboard"))
    assert set(np.unique(image)) == {0, 255}
    tiles = image[::8, ::8]
    assert tiles.shape == (8, 8)
    np.testing.assert_array_equal(image, np.kron(tiles, np.ones((8, 8), dtype=np.uint8)))
    assert tiles[0, 0] == 0
    assert np.all(tiles[:, 1:] != tiles[:, :-1])
    assert np.all(tiles[1:, :] != tiles[:-1, :])


def test_committed_teaching_images_match_the_generator():
    spec = importlib.util.spec_from_file_location("make_teaching_images", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.find_mismatches(resource_path("samples")) == []


# --- icons --------------------------------------------------------------------------------


def test_app_icons_exist():
    svg = icon_path()
    assert svg.name == "app.svg"
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg")
    png = _read(icon_path("app.png"))
    assert png.shape == (256, 256, 4)
    assert png.dtype == np.uint8


def test_missing_icon_lists_available_icons():
    with pytest.raises(FileNotFoundError, match="no icon 'nope.svg'.*app.svg"):
        icon_path("nope.svg")


# --- locator ------------------------------------------------------------------------------


def test_env_override_is_honoured(monkeypatch, tmp_path, resources_copy):
    custom = resources_copy(tmp_path / "custom")
    monkeypatch.setenv(ENV_VAR, str(custom))
    assert resources_dir() == custom.resolve()
    assert sample_path("camera") == custom.resolve() / "samples" / "camera.png"
    assert icon_path() == custom.resolve() / "icons" / "app.svg"


@pytest.mark.parametrize("make_dir", [False, True], ids=["missing-dir", "dir-without-manifest"])
def test_bad_env_override_raises_clear_error(monkeypatch, tmp_path, make_dir):
    bad = tmp_path / "not-resources"
    if make_dir:
        bad.mkdir()
    monkeypatch.setenv(ENV_VAR, str(bad))
    with pytest.raises(FileNotFoundError) as info:
        resources_dir()
    message = str(info.value)
    assert ENV_VAR in message
    assert str(bad) in message
    assert "samples/samples.json" in message


def test_source_checkout_layout_is_found(monkeypatch, tmp_path, resources_copy):
    checkout = tmp_path / "checkout"
    (checkout / "workbench").mkdir(parents=True)
    resources_copy(checkout / "resources")
    monkeypatch.setattr(resources, "_PACKAGE_DIR", checkout / "workbench")
    assert resources_dir() == (checkout / "resources").resolve()


def test_installed_package_layout_is_found(monkeypatch, tmp_path, resources_copy):
    package = tmp_path / "site-packages" / "workbench"
    package.mkdir(parents=True)
    resources_copy(package / "_resources")
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    assert resources_dir() == (package / "_resources").resolve()
    assert sample_path("shapes").is_file()


@pytest.mark.parametrize("layout", [("resources",), ("workbench", "_resources")])
def test_pyinstaller_bundle_layout_is_found(monkeypatch, tmp_path, resources_copy, layout):
    bundle = tmp_path / "bundle"
    resources_copy(bundle.joinpath(*layout))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", tmp_path / "elsewhere" / "workbench")
    assert resources_dir() == bundle.joinpath(*layout).resolve()


def test_not_found_lists_every_place_looked_at(monkeypatch, tmp_path):
    package = tmp_path / "site-packages" / "workbench"
    package.mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    with pytest.raises(FileNotFoundError) as info:
        resources_dir()
    message = str(info.value)
    assert str(package / "_resources") in message
    assert str(package.parent / "resources") in message
    assert ENV_VAR in message


@pytest.mark.parametrize(
    ("manifest", "match"),
    [
        ({"key": "a"}, "expected a JSON list"),
        ([{"key": "a", "file": "a.png"}], "entry 0 must be an object with string fields"),
        (
            [{field: "a" for field in ("key", "file", "title", "description", "credit")}] * 2,
            "entry 1 repeats key 'a'",
        ),
    ],
    ids=["not-a-list", "missing-fields", "duplicate-key"],
)
def test_malformed_manifest_raises(monkeypatch, tmp_path, manifest, match):
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "samples.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match=match):
        sample_images()


@pytest.mark.slow
def test_built_wheel_carries_resources(tmp_path):
    # Build from a copy so the test neither writes into the checkout nor depends on files
    # (README.md) that only the metadata needs.
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(REPO_ROOT / "pyproject.toml", project)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "workbench", project / "workbench", ignore=ignore)
    shutil.copytree(REPO_ROOT / "resources", project / "resources", ignore=ignore)
    readme = REPO_ROOT / "README.md"
    if readme.is_file():
        shutil.copy2(readme, project)
    else:
        (project / "README.md").write_text("# Conv Workbench\n", encoding="utf-8")

    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0 and "No matching distribution found for hatchling" in build.stderr:
        pytest.skip("hatchling (the build backend) cannot be fetched: offline")
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("conv_workbench-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "workbench/_resources/samples/samples.json" in names
    assert "workbench/_resources/LICENSES.md" in names
    assert "workbench/_resources/icons/app.svg" in names

    # A fresh, isolated interpreter, so it imports the unpacked wheel and not this checkout.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from workbench.resources import resources_dir, sample_images; "
        "print(resources_dir()); print(len(sample_images()))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(tmp_path / "site")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found, count = result.stdout.split()
    assert Path(found) == (tmp_path / "site" / "workbench" / "_resources").resolve()
    assert int(count) == len(EXPECTED_SHAPES)
