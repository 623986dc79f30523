"""Banks and kernels in and out: JSON banks, kernel text, NPY banks, Copy as PyTorch / Keras."""

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QWidget

from workbench.core import Filter, Layer, Pipeline, Pool, default_pipeline, to_json
from workbench.gui.actions import file_prompts
from workbench.gui.actions.bank_io import BankHost, BankIoActions
from workbench.io import load_bank, save_bank_npy, stack_filters
from workbench.session import Session


class Host:
    """A window stand-in: a model, a selection, messages."""

    def __init__(self, qtbot, pipeline=None):
        self.window = QWidget()
        qtbot.addWidget(self.window)
        self.model = Session(pipeline or default_pipeline())
        self.all = False
        self.status = []
        self.problems = []
        self.actions = BankIoActions(BankHost(
            self.window, self.model, lambda: self.all, self.status.append,
            self.problems.append))

    @property
    def row(self):
        return self.model.selection.filter

    @row.setter
    def row(self, value):
        self.model.select(filter=value)

    @property
    def channel(self):
        return self.model.selection.channel

    @channel.setter
    def channel(self, value):
        self.model.select(channel=value)

    @property
    def pipeline(self):
        return self.model.pipeline


@pytest.fixture
def host(qtbot):
    return Host(qtbot)


@pytest.fixture
def no_questions(monkeypatch):
    """Fail the test if any modal question is asked."""
    def fail(*args, **kwargs):
        raise AssertionError(f"unexpected question {args[1:]}")

    for name in ("ask_open_path", "ask_save_path", "confirm_overwrite", "ask_layout",
                 "ask_save_changes", "ask_folder"):
        monkeypatch.setattr(file_prompts, name, fail)


def rgb_pipeline():
    rng = np.random.default_rng(5)
    filters = tuple(Filter(f"f{i}", rng.standard_normal((3, 3, 3)).astype(np.float32), 0.5 * i)
                    for i in range(4))
    return Pipeline("rgb", (Layer(filters, activation="relu", pool=Pool("max", (2, 2))),))


# ------------------------------------------------------------------ JSON banks

def test_save_and_load_a_bank(host, tmp_path, monkeypatch, no_questions):
    path = tmp_path / "bank.json"
    assert host.actions.save_bank_to(path)
    assert load_bank(path) == host.pipeline
    assert host.status[-1] == f"Saved the filter bank {path}"

    host.model.set_pipeline(rgb_pipeline())
    assert host.actions.load_bank_file(path)
    assert host.pipeline == default_pipeline()
    assert host.model.can_undo
    host.model.undo()
    assert host.pipeline == rgb_pipeline()


def test_saving_over_a_bank_asks_first(host, tmp_path, monkeypatch):
    path = tmp_path / "bank.json"
    path.write_text("keep me")
    asked = []
    monkeypatch.setattr(file_prompts, "confirm_overwrite",
                        lambda parent, paths: asked.append(paths) or False)
    assert not host.actions.save_bank_to(path)
    assert path.read_text() == "keep me" and asked == [[path]]
    monkeypatch.setattr(file_prompts, "confirm_overwrite", lambda parent, paths: True)
    assert host.actions.save_bank_to(path)
    assert load_bank(path) == host.pipeline


def test_the_save_dialog_adds_json(host, tmp_path, monkeypatch):
    monkeypatch.setattr(file_prompts, "ask_save_path",
                        lambda *args: (str(tmp_path / "mine"), "Filter bank (*.json)"))
    assert host.actions.save_bank_action.trigger() is None
    assert load_bank(tmp_path / "mine.json") == host.pipeline


def test_a_legacy_bank_is_converted(host, tmp_path):
    legacy = tmp_path / "old.json"
    legacy.write_text(json.dumps([{"name": "Sobel x", "weight": [[-1, 0, 1], [-2, 0, 2],
                                                                 [-1, 0, 1]], "bias": 0.5}]))
    assert host.actions.load_bank_file(legacy)
    (f,) = host.pipeline.layers[0].filters
    assert f.name == "Sobel x" and f.bias == 0.5
    np.testing.assert_array_equal(f.weight[0, 1], [-2, 0, 2])


@pytest.mark.parametrize(("content", "reason"), [
    ('{"schema_version": 1, "input_mode": "gray", "lay', "not valid JSON"),
    ('{"schema_version": 7, "layers": []}', "newer Conv Workbench"),
    ('{"schema_version": 1, "input_mode": "gray", "layers": [{"filters": [{"name": "a", '
     '"weight": [[1, "x"]]}]}]}', "weight"),
])
def test_an_invalid_bank_changes_nothing(host, tmp_path, content, reason):
    before = host.pipeline
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert not host.actions.load_bank_file(path)
    assert host.pipeline is before and not host.model.can_undo
    assert host.problems[-1].startswith("Could not load the filter bank:")
    assert "bad.json" in host.problems[-1] and reason in host.problems[-1]
    assert not host.actions.load_bank_file(tmp_path / "missing.json")
    assert "missing.json: the file does not exist" in host.problems[-1]


# ------------------------------------------------------------------ kernels

def test_export_a_kernel_as_csv_and_imagej_text(host, tmp_path, no_questions):
    host.row = 2  # "Sobel x" of the default bank
    assert host.actions.export_kernel_to(tmp_path / "k.csv")
    assert (tmp_path / "k.csv").read_text() == "-1,0,1\n-2,0,2\n-1,0,1\n"
    assert host.actions.export_kernel_to(tmp_path / "k.txt")
    assert (tmp_path / "k.txt").read_text() == "-1 0 1\n-2 0 2\n-1 0 1\n"
    assert "Sobel x" in host.status[-1]


def test_export_kernel_dialog_takes_the_chosen_format(host, tmp_path, monkeypatch):
    monkeypatch.setattr(file_prompts, "ask_save_path", lambda *args: (
        str(tmp_path / "vertical"), "ImageJ text, whitespace-separated (*.txt)"))
    host.actions.export_kernel_action.trigger()
    assert (tmp_path / "vertical.txt").read_text() == "0 1 0\n0 1 0\n0 1 0\n"


def test_import_a_kernel_into_the_selected_filter(host, tmp_path):
    path = tmp_path / "lap.txt"
    path.write_text("# laplacian\n0 1 0\n1 -4 1\n0 1 0\n")
    host.row = 1
    before = host.pipeline.layers[0].filters
    assert host.actions.import_kernel_file(path)
    after = host.pipeline.layers[0].filters
    np.testing.assert_array_equal(after[1].weight[0], [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    assert after[1].name == before[1].name and after[1].bias == before[1].bias
    assert after[0] == before[0] and after[2:] == before[2:]
    assert host.model.can_undo
    five = tmp_path / "five.csv"
    five.write_text("\n".join(",".join(["0.5"] * 5) for _ in range(5)))
    assert host.actions.import_kernel_file(five)
    assert host.pipeline.layers[0].filters[1].weight.shape == (1, 5, 5)


def test_import_a_kernel_into_one_slice_of_an_rgb_filter(qtbot, tmp_path):
    host = Host(qtbot, rgb_pipeline())
    original = host.pipeline.layers[0].filters[0].weight
    host.channel = 1
    path = tmp_path / "k.csv"
    path.write_text("1,2\n3,4\n")
    assert host.actions.import_kernel_file(path)
    weight = host.pipeline.layers[0].filters[0].weight
    assert weight.shape == (3, 2, 2)
    np.testing.assert_array_equal(weight[1], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(weight[0], original[0, 1:, 1:])  # the centre tap stays
    host.all = True
    assert host.actions.import_kernel_file(path)
    assert (host.pipeline.layers[0].filters[0].weight == [[1, 2], [3, 4]]).all()


@pytest.mark.parametrize(("content", "reason"), [
    ("1 2 3\n4 5\n", "line 2 has 2 values but line 1 has 3"),
    ("1 x\n", "line 1, column 2: 'x' is not a number"),
    ("", "no numbers found"),
    ("\n".join(" ".join(["1"] * 16) for _ in range(16)), "up to 15×15"),
])
def test_an_invalid_kernel_file_changes_nothing(host, tmp_path, content, reason):
    before = host.pipeline
    path = tmp_path / "bad.txt"
    path.write_text(content)
    assert not host.actions.import_kernel_file(path)
    assert host.pipeline is before
    assert "bad.txt" in host.problems[-1] and reason in host.problems[-1]


def test_kernel_actions_need_a_selected_filter(host, tmp_path, no_questions):
    host.model.set_pipeline(Pipeline("gray", (Layer(()),)))
    assert host.row == -1
    assert not host.actions.import_kernel_dialog()
    assert not host.actions.export_kernel_dialog()
    assert "Select a filter first" in host.problems[-1]


def test_kernel_menu_on_a_widget(host):
    widget = QWidget(host.window)
    host.actions.install_kernel_menu(widget)
    assert [a.text() for a in widget.actions()] == ["&Import kernel…", "E&xport kernel…"]


# ------------------------------------------------------------------ NPY banks

@pytest.mark.parametrize("layout", ["pytorch", "keras"])
def test_npy_export_and_import_round_trip(qtbot, tmp_path, layout, no_questions):
    host = Host(qtbot, rgb_pipeline())
    path = tmp_path / "bank.npy"
    assert host.actions.export_npy_to(path, layout)
    weight, bias = stack_filters(host.pipeline.layers[0].filters)
    saved = np.load(path)
    expected = weight if layout == "pytorch" else weight.transpose(2, 3, 1, 0)
    assert saved.dtype == np.float32 and saved.tobytes() == np.ascontiguousarray(
        expected).tobytes()
    assert np.load(tmp_path / "bank_bias.npy").tobytes() == bias.tobytes()

    fresh = Host(qtbot, rgb_pipeline())
    fresh.model.set_pipeline(default_pipeline("rgb"))
    assert fresh.actions.import_npy_file(path, layout)
    layer = fresh.pipeline.layers[0]
    assert stack_filters(layer.filters)[0].tobytes() == weight.tobytes()
    assert [f.bias for f in layer.filters] == [0.0, 0.5, 1.0, 1.5]
    assert layer.stride == default_pipeline("rgb").layers[0].stride  # parameters kept
    assert "with biases" in fresh.status[-1]


def test_npy_export_asks_about_the_bias_file_too(host, tmp_path, monkeypatch):
    (tmp_path / "w_bias.npy").write_bytes(b"old")
    asked = []
    monkeypatch.setattr(file_prompts, "confirm_overwrite",
                        lambda parent, paths: asked.append([p.name for p in paths]) or False)
    assert not host.actions.export_npy_to(tmp_path / "w.npy", "pytorch")
    assert asked == [["w_bias.npy"]]
    assert not (tmp_path / "w.npy").exists()
    assert (tmp_path / "w_bias.npy").read_bytes() == b"old"


def test_npy_layout_is_detected_or_asked(host, tmp_path, monkeypatch):
    weight = np.arange(4 * 9, dtype=np.float32).reshape(4, 1, 3, 3)
    filters = tuple(Filter(f"f{i}", weight[i], 0.0) for i in range(4))
    save_bank_npy(tmp_path / "keras.npy", filters, "keras")
    assert host.actions.import_npy_file(tmp_path / "keras.npy")  # (3, 3, 1, 4): detected
    assert "Keras (kH, kW, C, F)" in host.status[-1]
    assert stack_filters(host.pipeline.layers[0].filters)[0].tobytes() == weight.tobytes()

    square = np.arange(81, dtype=np.float32).reshape(3, 3, 3, 3)
    np.save(tmp_path / "square.npy", square)  # no bias file: both layouts fit
    questions = []

    def answer(parent, question, details, choices):
        questions.append((question, details, choices))
        return None

    monkeypatch.setattr(file_prompts, "ask_layout", answer)
    before = host.pipeline
    assert not host.actions.import_npy_file(tmp_path / "square.npy")
    assert host.pipeline is before
    question, details, choices = questions[0]
    assert question == "Which layout does square.npy use?"
    assert details.startswith("The shape (3, 3, 3, 3) fits both layouts")
    assert choices == {"pytorch": "PyTorch (F, C, kH, kW)", "keras": "Keras (kH, kW, C, F)"}
    monkeypatch.setattr(file_prompts, "ask_layout", lambda *args: "keras")
    assert host.actions.import_npy_file(tmp_path / "square.npy")
    layer = host.pipeline.layers[0]
    assert host.pipeline.input_mode == "rgb"  # 3 slices per filter: the input became RGB
    np.testing.assert_array_equal(layer.filters[0].weight, square[..., 0].transpose(2, 0, 1))
    assert "zero biases" in host.status[-1] and "the input is now RGB" in host.status[-1]


def test_the_import_dialog_filter_names_the_layout(host, tmp_path, monkeypatch):
    weight = np.zeros((2, 1, 1, 2), np.float32)  # PyTorch: 2 filters of 1x2; Keras: 2 of 2x1
    weight[0, 0, 0, 1] = 1
    np.save(tmp_path / "w.npy", weight)
    monkeypatch.setattr(file_prompts, "ask_open_path", lambda *args: (
        str(tmp_path / "w.npy"), "PyTorch (F, C, kH, kW) layout (*.npy)"))
    host.actions.import_npy_action.trigger()
    assert [f.kernel_size for f in host.pipeline.layers[0].filters] == [(1, 2), (1, 2)]


def test_a_truncated_npy_changes_nothing(host, tmp_path):
    good = tmp_path / "good.npy"
    np.save(good, np.ones((2, 1, 3, 3), np.float32))
    bad = tmp_path / "bad.npy"
    bad.write_bytes(good.read_bytes()[:-10])
    before = host.pipeline
    assert not host.actions.import_npy_file(bad, "pytorch")
    assert host.pipeline is before
    assert host.problems[-1].startswith("Could not import the bank:")
    assert "bad.npy" in host.problems[-1]
    bad.write_bytes(b"not numpy at all")
    assert not host.actions.import_npy_file(bad)
    assert host.pipeline is before and "bad.npy" in host.problems[-1]
    np.save(tmp_path / "flat.npy", np.ones((3, 3), np.float32))
    assert not host.actions.import_npy_file(tmp_path / "flat.npy")
    assert "must be 4-D" in host.problems[-1]


# ------------------------------------------------------------------ code

def test_copy_as_pytorch_runs_and_matches_the_window(open_window, settle):
    torch = pytest.importorskip("torch")
    pipeline = Pipeline("gray", (Layer(default_pipeline().layers[0].filters, padding="same",
                                       activation="relu", pool=Pool("max", (2, 2))),))
    window = open_window(pipeline, image="sample:camera")
    result = settle(window).result
    window.files.bank_io.copy_actions["pytorch"].trigger()
    code = QApplication.clipboard().text()
    assert "Copied PyTorch code for 1 layer to the clipboard" in \
        window.statusBar().currentMessage()
    namespace = {}
    exec(compile(code, "<clipboard>", "exec"), namespace)
    with torch.no_grad():
        out = namespace["model"](torch.from_numpy(result.input[None])).numpy()[0]
    np.testing.assert_allclose(out, np.stack(result.layers[0].pooled), atol=1e-5)


def test_copy_as_keras_and_what_cannot_be_expressed(host):
    code = host.actions.copy_code("keras")
    assert QApplication.clipboard().text() == code
    assert "keras.Sequential" in code and "conv1.set_weights([kernel1, bias1])" in code
    host.model.set_pipeline(Pipeline("gray", (Layer(()),)))
    QApplication.clipboard().setText("unchanged")
    assert host.actions.copy_code("pytorch") is None
    assert "layer 1 has no enabled filters" in host.problems[-1]
    assert QApplication.clipboard().text() == ""  # older code must not look like this one


def test_bank_file_round_trip_through_to_json(host, tmp_path):
    path = tmp_path / "b.json"
    path.write_text(to_json(rgb_pipeline()))
    assert host.actions.load_bank_file(path)
    assert host.pipeline == rgb_pipeline()
