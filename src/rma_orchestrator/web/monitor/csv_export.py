"""CSV for spreadsheets: one line at a time, quoted as RFC 4180, with formula cells defused.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a
formula by Excel and LibreOffice, so a customer name typed as ``=HYPERLINK(...)`` could act on a
manager's machine: such a cell gets a leading ``'``, which spreadsheets show as text. The first
line starts with a byte order mark, without which Excel reads UTF-8 Chinese as mojibake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """The header, then each row, as CSV lines ended by CRLF; ``rows`` is read lazily."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[str]) -> str:
        writer.writerow([defused(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(header)
    for cells in rows:
        yield line(cells)
