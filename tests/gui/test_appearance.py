"""Light and dark appearance, folding panels, and colour-blind-safe default colormaps."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from workbench.gui.appearance import (
    DARK_TONES,
    LIGHT_TONES,
    dark_palette,
    is_dark,
    resolve_appearance,
)
from workbench.gui.settings import WorkbenchSettings, load_settings, save_settings
from workbench.gui.views.map_views import VIEW_BACKGROUND, VIEW_FOREGROUND
from workbench.render import lookup_table
from workbench.render.options import DEFAULT_DIVERGING, ViewOptions


def _linear(rgb):
    c = np.asarray(rgb, dtype=float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _luminance(hex_colour):
    r, g, b = _linear([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_the_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_system_follows_the_desktop_and_explicit_choices_win():
    assert resolve_appearance("system", Qt.ColorScheme.Dark) == "dark"
    assert resolve_appearance("system", Qt.ColorScheme.Light) == "light"
    assert resolve_appearance("system", Qt.ColorScheme.Unknown) == "light"
    assert resolve_appearance("light", Qt.ColorScheme.Dark) == "light"
    assert resolve_appearance("dark", Qt.ColorScheme.Light) == "dark"
    with pytest.raises(ValueError, match="appearance must be one of"):
        resolve_appearance("sepia", Qt.ColorScheme.Light)


def test_dark_palette_text_reads_on_every_background():
    palette = dark_palette()
    assert is_dark(palette)

    def colour(role, group=QPalette.ColorGroup.Active):
        return palette.color(group, role).name()

    roles = QPalette.ColorRole
    for text, ground in ((roles.WindowText, roles.Window), (roles.Text, roles.Base),
                         (roles.ButtonText, roles.Button), (roles.ToolTipText, roles.ToolTipBase),
                         (roles.HighlightedText, roles.Highlight)):
        assert contrast(colour(text), colour(ground)) >= 4.5, (text, ground)
    assert contrast(colour(roles.Text), colour(roles.Base)) >= 12
    disabled = QPalette.ColorGroup.Disabled
    assert contrast(colour(roles.Text, disabled), colour(roles.Base, disabled)) >= 3
    # Disabled text must look different from enabled text.
    assert colour(roles.Text, disabled) != colour(roles.Text)


@pytest.mark.parametrize("tones", [LIGHT_TONES, DARK_TONES], ids=["light", "dark"])
def test_banner_and_note_colours_read_in_both_appearances(tones):
    for kind, (background, text, _border) in tones.banners.items():
        assert contrast(text, background) >= 4.5, kind
    for name in ("muted", "error", "warning", "note"):
        assert contrast(getattr(tones, name), tones.panel) >= 4.5, name
    assert contrast(tones.faint, tones.panel) >= 3


def test_map_titles_and_colour_bar_ticks_read_on_the_map_background():
    # Maps keep one dark background in both appearances, so this holds in either.
    assert contrast(VIEW_FOREGROUND, VIEW_BACKGROUND) >= 7


def _pixel(widget, x, y):
    return widget.grab().toImage().pixelColor(x, y).name()


def test_view_appearance_dark_then_light_restyles_the_window(open_window, qtbot):
    window = open_window()
    actions = window.menus.appearance_actions
    assert actions["system"].isChecked()  # the default
    window.show_message("a problem", "error")
    light_banner = _pixel(window.message_bar, 4, 4)
    assert light_banner == LIGHT_TONES.banners["error"][0]

    actions["dark"].trigger()
    assert is_dark(QApplication.palette())
    assert window.appearance.key == "dark" and actions["dark"].isChecked()
    assert _pixel(window.message_bar, 4, 4) == DARK_TONES.banners["error"][0]
    assert is_dark(window.editor.palette()) and is_dark(window.bank.list.palette())
    # Rich-text notes redraw in the dark tones.
    assert DARK_TONES.muted in window.views.inspector.text()
    assert window.current_settings().appearance == "dark"

    actions["light"].trigger()
    assert not is_dark(QApplication.palette())
    assert _pixel(window.message_bar, 4, 4) == LIGHT_TONES.banners["error"][0]
    assert LIGHT_TONES.muted in window.views.inspector.text()


def test_follow_the_system_changes_with_the_desktop_scheme(open_window):
    window = open_window()
    hints = QApplication.styleHints()
    try:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert window.appearance.dark and is_dark(QApplication.palette())
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not window.appearance.dark and not is_dark(QApplication.palette())
        window.menus.appearance_actions["light"].trigger()
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # an explicit choice stays
        assert not window.appearance.dark
    finally:
        window.appearance.apply("system", Qt.ColorScheme.Light)


def test_appearance_survives_a_restart_and_a_bad_value_falls_back(settings_file):
    save_settings(WorkbenchSettings(appearance="dark"))
    assert load_settings()[0].appearance == "dark"
    text = settings_file.read_text().replace("appearance=dark", "appearance=sepia")
    settings_file.write_text(text)
    assert load_settings()[0].appearance == "system"


def test_a_window_started_dark_is_dark(open_window):
    window = open_window(settings=WorkbenchSettings(image="sample:vertical_line_8x8",
                                                    appearance="dark"))
    try:
        assert is_dark(QApplication.palette()) and window.menus.appearance_actions["dark"]\
            .isChecked()
    finally:
        window.appearance.apply("light")


@pytest.mark.parametrize("name", ["side", "parameters", "input"])
def test_panels_fold_away_and_come_back_at_their_width(open_window, name):
    window = open_window()
    toggle = window.menus.panel_toggles[name]
    splitter, index = toggle.splitter, toggle.index
    before = splitter.sizes()
    assert toggle.action.isChecked() and before[index] > 0
    toggle.action.trigger()  # fold
    assert splitter.sizes()[index] == 0 and not toggle.action.isChecked()
    # The room went to the maps, not off the window.
    assert sum(splitter.sizes()) == sum(before)
    toggle.action.trigger()  # unfold
    assert splitter.sizes()[index] == before[index] and toggle.action.isChecked()


def test_dragging_a_pane_shut_unticks_it_and_go_to_opens_it(open_window, qtbot):
    window = open_window()
    toggle = window.menus.panel_toggles["parameters"]
    sizes = window.main_splitter.sizes()
    window.main_splitter.setSizes([sizes[0], sizes[1] + sizes[2], 0])
    toggle.sync()  # what splitterMoved does after a drag
    assert not toggle.action.isChecked()
    window.activateWindow()
    window.focus_panel("parameters")  # Alt+3 unfolds the folded parameters
    assert window.main_splitter.sizes()[2] > 0 and toggle.action.isChecked()


# --- colour-blind-safe defaults: simulated dichromats (Machado, Oliveira & Fernandes 2009,
# severity 1, linear RGB) must still tell a diverging map's signs apart.
DICHROMATS = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.145602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _lab(linear_rgb):
    xyz = np.clip(linear_rgb, 0, 1) @ np.array([[0.4124, 0.3576, 0.1805],
                                                [0.2126, 0.7152, 0.0722],
                                                [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=1)


def sign_separation(table):
    """Smallest CIELAB distance, over dichromats, between -v and +v at |v| >= half scale."""
    linear = _linear(table[:, :3])
    worst = np.inf
    for matrix in DICHROMATS.values():
        lab = _lab(linear @ matrix.T)
        for k in range(64, 128):  # |v| from half to full scale
            worst = min(worst, float(np.linalg.norm(lab[127 - k] - lab[128 + k])))
    return worst


def test_the_sign_check_catches_a_red_green_diverging_map():
    t = np.linspace(0, 1, 128)[:, None]
    red, white, green = np.array([214, 96, 77]), np.array([247, 247, 247]), np.array([90, 160, 70])
    table = np.vstack([red + (white - red) * t, white + (green - white) * t]).astype(np.uint8)
    assert sign_separation(table) < 15


def test_default_colormaps_are_colour_blind_safe():
    default = ViewOptions()
    assert default.colormap == "gray"  # lightness only: the same for every viewer
    for key in (DEFAULT_DIVERGING, "red_blue"):
        assert sign_separation(lookup_table(key)) > 30, key
    for key in ("viridis", "inferno", "gray"):  # sequential: lightness rises throughout
        lightness = _lab(_linear(lookup_table(key)[:, :3]))[:, 0]
        assert np.all(np.diff(lightness) > -0.5), key


def test_unchecked_boxes_have_a_visible_frame_in_the_dark(open_window):
    from PySide6.QtWidgets import QCheckBox

    from workbench.gui.appearance import INDICATOR_FRAME
    window = open_window()
    window.appearance.apply("dark")
    try:
        box = QCheckBox("x", window)
        box.resize(box.sizeHint())
        image = box.grab().toImage()
        frame = QColor(INDICATOR_FRAME)
        close = [image.pixelColor(x, y) for x in range(image.width())
                 for y in range(image.height())]
        assert sum(abs(c.red() - frame.red()) + abs(c.green() - frame.green())
                   + abs(c.blue() - frame.blue()) < 40 for c in close) >= 20
    finally:
        window.appearance.apply("light")


def test_the_command_line_offers_every_appearance():
    from workbench.cli import APPEARANCE_CHOICES, gui_parser
    from workbench.gui.appearance import APPEARANCES

    assert APPEARANCE_CHOICES == tuple(APPEARANCES)
    assert gui_parser().parse_args(["--appearance", "dark"]).appearance == "dark"
