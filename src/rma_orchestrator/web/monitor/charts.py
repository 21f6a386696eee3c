"""Server-side bar charts for the dashboard: no script, every bar a link to the cases behind it, and
the page puts the same numbers in a table.

Labels and values are HTML text beside an SVG bar, not text inside one drawing: a drawing scaled to
its column shrinks its text with it (unreadable in three columns), and a label in Chinese or a long
timer name needs room to wrap, which SVG text has not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # what the bar's length shows
    shown: str  # the value as written beside the bar ("3", "50 %")
    href: str  # the cases behind it


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart; ``scale`` is the value of a full bar (the largest value by default)."""

    chart_id: str
    title: str
    description: str
    bars: list[Bar]
    scale: float | None = None

    def rows(self) -> list[tuple[Bar, float]]:
        """Each bar with its length in percent of a full bar (at least 0.5 when not zero, so it shows)."""
        top = max((bar.value for bar in self.bars), default=0.0)
        full = self.scale if self.scale is not None else top
        placed = []
        for bar in self.bars:
            length = min(100.0, 100.0 * bar.value / full) if full > 0 else 0.0
            if bar.value > 0:
                length = max(0.5, length)
            placed.append((bar, round(length, 1)))
        return placed
