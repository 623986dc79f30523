"""Help > Guide: a non-modal tour of the window that links the tutorial examples."""

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QTextBrowser

from workbench.gui.actions.guide import GUIDE_SECTIONS
from workbench.tutorials import TUTORIAL_EXAMPLES


def test_guide_is_a_non_modal_tour_with_tutorial_links(open_window, qtbot):
    window = open_window()
    window.menus.guide_action.trigger()
    guide = window.help.guide
    assert guide is not None and guide.isVisible() and not guide.isModal()
    assert isinstance(guide.browser, QTextBrowser) and guide.isWindow()
    text = guide.browser.toPlainText()
    for part in ("Filter bank", "Kernel grid", "Parameters", "Layer strip", "Maps",
                 "Inspector", "Live", "Export"):
        assert part in text
    assert {anchor for anchor, _, _ in GUIDE_SECTIONS} >= {"bank", "kernel", "parameters",
                                                           "layers", "maps", "inspector",
                                                           "live", "export"}
    html = guide.browser.toHtml()
    for example in TUTORIAL_EXAMPLES:
        assert f"tutorial:{example.key}" in html and example.name in text
    window.menus.guide_action.trigger()
    assert window.help.guide is guide, "a second request raises the same window"
    # The main window is still usable: clicking a tutorial link loads that example.
    example = TUTORIAL_EXAMPLES[0]
    guide.browser.anchorClicked.emit(QUrl(f"tutorial:{example.key}"))
    assert window.session.input.tutorial == example.key
    window.close()
    assert not guide.isVisible()
