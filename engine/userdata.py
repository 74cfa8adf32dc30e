"""A learner's own data: a CSV file or a spreadsheet paste, checked line by line.

Beans reads ``x,y`` (a bean's size and its toxicity); circles reads
``x1,x2,label`` with 2 to ``MAX_CLASSES`` classes, labelled by any strings or
integers. A header row is optional; columns are separated by commas, tabs (a
paste from a spreadsheet) or semicolons, and then a comma is a decimal comma;
columns past those are ignored. Nothing is half-read: either every row is good
and the whole table comes back, or ``DataError`` says what is wrong and on
which line (1-based, as an editor counts), and the lab keeps the data it had.
The page translates the error from its ``code`` and ``values``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

MAX_ROWS = 5000
MAX_BYTES = 1 << 20
MAX_CLASSES = 6
MIN_ROWS = 2
COLUMNS = {"beans": ("x", "y"), "circles": ("x1", "x2", "label")}
Kind = Literal["beans", "circles"]


@dataclass
class DataError(Exception):
    """Why a table was refused: a ``code`` the page translates, the line, the details."""

    code: str
    line: int | None = None
    values: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.code} {self.values}" if self.values else f"{where}{self.code}"


@dataclass(frozen=True)
class Table:
    """Parsed rows: inputs ``x`` (n, d), targets ``y`` (n,), and class names for labels."""

    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...] = ()


def parse(text: str, kind: Kind, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> Table:
    """The table in ``text`` for lab ``kind``, or ``DataError``."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise DataError("too_large", None, {"max_kb": max_bytes // 1024})
    delimiter = _delimiter(text)
    rows = _rows(text, delimiter, max_rows + 2)  # a header, the rows allowed, one too many
    if rows and _is_header(rows[0][1], kind):
        rows = rows[1:]
    if len(rows) > max_rows:
        raise DataError("too_many_rows", rows[max_rows][0], {"max": max_rows})
    if len(rows) < MIN_ROWS:
        raise DataError("too_few_rows", None, {"min": MIN_ROWS})
    width = len(COLUMNS[kind])
    numbers, labels = [], []
    for line, row in rows:
        # with ; or tabs between columns, a comma is a decimal comma (1,5 = 1.5)
        cells = [cell.strip().replace(",", ".") if delimiter != "," else cell.strip()
                 for cell in row]  # fmt: skip
        if len(cells) < width:
            raise DataError("missing_columns", line, {"expected": ",".join(COLUMNS[kind])})
        numeric = width - 1 if kind == "circles" else width
        numbers.append([_number(cells[i], line, COLUMNS[kind][i]) for i in range(numeric)])
        if kind == "circles":
            if not cells[2]:
                raise DataError("missing_label", line)
            labels.append(row[2].strip())  # a label is text: its commas stay
    values = np.array(numbers, dtype=float)
    if kind == "beans":
        return Table(values[:, :1], values[:, 1])
    classes = _classes(labels)
    index = {name: k for k, name in enumerate(classes)}
    return Table(values, np.array([index[v] for v in labels], dtype=np.int64), classes)


def _delimiter(text: str) -> str:
    """Tabs (a spreadsheet paste), else semicolons (a CSV with decimal commas), else commas."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first else ";" if ";" in first else ","


def _rows(text: str, delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    """The non-blank rows with their line numbers, at most ``limit``: reading stops there,
    so a file of far too many rows costs no more than one just too long."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
                if len(rows) >= limit:
                    break
    except csv.Error as exc:
        raise DataError("bad_csv", reader.line_num, {"reason": str(exc)}) from exc
    return rows


def _is_header(row: list[str], kind: Kind) -> bool:
    """A first row with no number where the numbers go names the columns; a row with
    some numbers is data, and a bad cell in it is reported, not skipped."""
    numeric = len(COLUMNS[kind]) - (kind == "circles")
    for cell in row[:numeric]:
        try:
            float(cell)
        except ValueError:
            continue
        return False
    return True


def _number(cell: str, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise DataError("not_a_number", line, {"column": column, "value": cell[:20]}) from None
    if not math.isfinite(value):
        raise DataError("not_finite", line, {"column": column, "value": cell[:20]})
    return value


def _classes(labels: list[str]) -> tuple[str, ...]:
    """The distinct labels in a stable order: numerically if all are integers."""
    distinct = set(labels)
    if len(distinct) < 2:
        raise DataError("one_class", None, {"label": labels[0][:20]})
    if len(distinct) > MAX_CLASSES:
        raise DataError("too_many_classes", None, {"found": len(distinct), "max": MAX_CLASSES})
    try:
        return tuple(sorted(distinct, key=int))
    except ValueError:
        return tuple(sorted(distinct))


def display_scale(x: np.ndarray, half_width: float = 6.0) -> tuple[np.ndarray, float, np.ndarray]:
    """Inputs centred and scaled into ±``half_width`` (the plotted plane), and how.

    Returns ``(scaled, factor, centre)`` with ``scaled = (x − centre)·factor``;
    one factor for every column, so shapes are not distorted.
    """
    centre = (x.max(axis=0) + x.min(axis=0)) / 2
    spread = float(np.abs(x - centre).max())
    factor = 0.9 * half_width / spread if spread > 0 else 1.0
    return (x - centre) * factor, factor, centre
