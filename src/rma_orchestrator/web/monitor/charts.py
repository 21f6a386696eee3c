"""Server-side SVG bar charts for the dashboard: no script, a ``<title>`` and ``<desc>`` for screen
readers, every bar a link to the cases behind it; the page puts the same numbers in a table."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 190
BAR_WIDTH = 300
VALUE_WIDTH = 90


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

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * (BAR_HEIGHT + GAP) + GAP

    def rows(self) -> list[tuple[Bar, int, int]]:
        """Each bar with its top and its length in pixels (at least 1 when not zero, so it shows)."""
        top = max((bar.value for bar in self.bars), default=0.0)
        full = self.scale if self.scale is not None else top
        placed = []
        for number, bar in enumerate(self.bars):
            length = round(BAR_WIDTH * bar.value / full) if full > 0 else 0
            if bar.value > 0:
                length = max(1, length)
            placed.append((bar, GAP + number * (BAR_HEIGHT + GAP), length))
        return placed


LAYOUT = {"label_width": LABEL_WIDTH, "bar_height": BAR_HEIGHT, "value_x": LABEL_WIDTH + BAR_WIDTH + 6}
