from workbench.core import default_pipeline, preset_filter
from workbench.gui.settings import (
    MAX_RECENT,
    WorkbenchSettings,
    load_settings,
    save_settings,
    settings_path,
)
from workbench.render import ViewOptions
from workbench.session.edits import insert_filter, replace_layer


def test_path_comes_from_the_environment(settings_file):
    assert settings_path() == settings_file


def test_missing_file_gives_defaults_silently(qapp):
    settings, messages = load_settings()
    assert messages == []
    assert settings.pipeline == default_pipeline()
    assert settings.image == "sample:astronaut"
    assert settings.max_side == 1024


def test_round_trip(qapp, settings_file):
    pipeline, _ = insert_filter(default_pipeline(), 0, preset_filter("gabor"))
    pipeline = replace_layer(pipeline, 0, stride=(2, 1), padding=(1, 2), activation="tanh")
    original = WorkbenchSettings(pipeline=pipeline, image="/data/a, b.png",
                                 recent_files=["/data/a, b.png", "/x/ü.tif"], max_side=333,
                                 view=ViewOptions("inferno", "abs", True), selected_filter=4,
                                 geometry=b"\x01\x02\x00geo", window_state=b"state",
                                 splitter_state=b"\xff", left_splitter_state=b"left",
                                 views_splitter_state=b"views")
    assert save_settings(original) == settings_file
    loaded, messages = load_settings()
    assert messages == []
    assert loaded == original


def test_recent_files_are_deduplicated_and_capped():
    settings = WorkbenchSettings()
    for i in range(MAX_RECENT + 3):
        settings.add_recent(f"/img/{i}.png")
    settings.add_recent("/img/5.png")
    assert len(settings.recent_files) == MAX_RECENT
    assert settings.recent_files[0] == "/img/5.png"
    assert settings.recent_files.count("/img/5.png") == 1


def test_corrupt_file_falls_back_to_defaults_with_a_message(qapp, settings_file):
    settings_file.write_bytes(b"\x00\xff garbage [[[ \n=== \x01")
    settings, messages = load_settings()
    assert settings == WorkbenchSettings()
    assert len(messages) == 1 and "not readable" in messages[0]
    assert (settings_file.parent / "settings.ini.corrupt").read_bytes().startswith(b"\x00\xff")
    save_settings(settings)
    assert load_settings()[1] == []


def test_invalid_values_fall_back_one_by_one(qapp, settings_file):
    settings_file.write_text(
        '[meta]\nformat_version=1\n[pipeline]\njson="{\\"schema_version\\": 1, \\"layers\\": 7}"\n'
        "[image]\nmax_side=100000\nrecent=not json\nsource=/pics/cat.png\n"
        "[view]\ncolormap=jet\ncolor_mode=abs\nshared_levels=maybe\n")
    settings, messages = load_settings()
    assert settings.pipeline == default_pipeline()
    assert settings.max_side == 1024
    assert settings.recent_files == []
    assert settings.image == "/pics/cat.png"
    assert settings.view == ViewOptions("gray", "abs", False)
    assert any("filter bank is invalid" in m and "layers" in m for m in messages)
    assert any("recent-files list" in m for m in messages)
