"""The report and student statistics as .csv and .xlsx downloads.

The .xlsx carries an attendance-rate chart, and Arabic names are written in
their own right-to-left cells, so they read correctly in Excel and LibreOffice.
Built off the event loop (openpyxl is CPU work).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import anyio
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RTL = Alignment(horizontal="right", readingOrder=2)
BOLD = Font(bold=True)

STUDENT_COLUMNS = [
    "student_id",
    "exam_id",
    "first_name",
    "last_name",
    "arabic_first_name",
    "arabic_last_name",
    "total_sessions",
    "present_count",
    "absent_count",
    "late_count",
    "attendance_rate",
    # Issue 20: last, so the columns before it keep their places.
    "justified_absences",
]
REPORT_COLUMNS = [
    "date",
    "total",
    "present",
    "absent",
    "late",
    "attendance_rate",
    "justified_absences",
]


def _csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(rows)
    # A byte-order mark makes Excel read the UTF-8 (and so Arabic names) right.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _xlsx(
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    *,
    label_col: int,
    rate_col: int,
    rtl_cols: set[int],
) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(columns)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append(row)
    for row_cells in ws.iter_rows(min_row=2):
        for index in rtl_cols:
            row_cells[index - 1].alignment = RTL
    for index, name in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = max(
            12, len(name) + 2
        )
    if rows:
        chart = BarChart()
        chart.title = "Attendance rate (%)"
        chart.y_axis.title = "%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        data = Reference(ws, min_col=rate_col, min_row=1, max_row=len(rows) + 1)
        labels = Reference(ws, min_col=label_col, min_row=2, max_row=len(rows) + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(labels)
        chart.height, chart.width = 9, 18
        ws.add_chart(chart, f"{ws.cell(row=1, column=len(columns) + 2).column_letter}2")
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Download:
    """A file to download: its bytes, media type and name (the router sends it)."""

    body: bytes
    media_type: str
    filename: str


async def render(
    fmt: str, name: str, columns: list[str], rows: list[list[Any]], **xlsx: Any
) -> Download:
    if fmt == "csv":
        body = await anyio.to_thread.run_sync(_csv, columns, rows)
        media, ext = "text/csv; charset=utf-8", "csv"
    else:
        body = await anyio.to_thread.run_sync(lambda: _xlsx(name, columns, rows, **xlsx))
        media, ext = XLSX, "xlsx"
    return Download(body, media, f"{name}.{ext}")
