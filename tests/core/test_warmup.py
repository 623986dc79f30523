"""warmup() compiles every kernel and reports progress."""

from workbench.core import warmup


def test_warmup_reports_every_step_then_done():
    calls = []
    seconds = warmup(lambda done, total, name: calls.append((done, total, name)))
    assert seconds >= 0
    total = calls[0][1]
    assert total >= 1
    assert [c[0] for c in calls] == list(range(total + 1))
    assert all(c[1] == total for c in calls)
    assert calls[-1][2] == "done"
    assert all(isinstance(c[2], str) and c[2] for c in calls)


def test_warmup_without_a_callback():
    assert warmup() >= 0
