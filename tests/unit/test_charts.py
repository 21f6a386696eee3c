"""The dashboard's bar lengths (web/monitor/charts.py): percent of a full bar, never hidden when not zero."""

from __future__ import annotations

from rma_orchestrator.web.monitor.charts import Bar, BarChart


def _chart(*values: float, scale: float | None = None) -> BarChart:
    bars = [Bar(f"bar {n}", value, str(value), f"/monitor/instances?n={n}") for n, value in enumerate(values)]
    return BarChart("chart-x", "X", "x per y", bars, scale)


def test_the_largest_bar_is_full_and_the_others_in_proportion() -> None:
    assert [length for _, length in _chart(4, 2, 1, 0).rows()] == [100.0, 50.0, 25.0, 0.0]


def test_a_tiny_value_still_shows_and_a_scale_caps_the_length() -> None:
    assert [length for _, length in _chart(1000, 1).rows()] == [100.0, 0.5]
    assert [length for _, length in _chart(0.25, 0.5, scale=1.0).rows()] == [25.0, 50.0]
    assert [length for _, length in _chart(2.0, scale=1.0).rows()] == [100.0]


def test_nothing_to_scale_gives_empty_bars() -> None:
    assert [length for _, length in _chart(0, 0).rows()] == [0.0, 0.0]
