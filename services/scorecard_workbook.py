"""The buyers' xlsx scorecard: one row per supplier, standings coloured, score trends charted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from services.scoring import ScoreRun, SupplierScorecard
from supplier_feeds.safe_cells import safe_xlsx_value

# Charts beyond this many suppliers make the file slow to open; the busiest are charted.
MAX_TREND_CHARTS = 100
CHARTS_PER_ROW = 2
CHART_ROWS = 15

STANDING_FILLS = {
    "preferred": "C6EFCE",
    "approved": "DDEBF7",
    "watch": "FFEB9C",
    "blocked": "FFC7CE",
    "unrated": "E7E6E6",
}

# (header, scorecard attribute, number format)
COLUMNS: list[tuple[str, str, str | None]] = [
    ("Supplier", "supplier", None),
    ("Standing", "standing", None),
    ("Lines due", "lines", "0"),
    ("On-time rate", "on_time_rate", "0.0%"),
    ("Score", "score", "0.0%"),
    ("Score low", "score_low", "0.0%"),
    ("Score high", "score_high", "0.0%"),
    ("In-full rate", "in_full_rate", "0.0%"),
    ("OTIF rate", "otif_rate", "0.0%"),
    ("On time (qty)", "qty_on_time_rate", "0.0%"),
    ("Fill rate", "fill_rate", "0.0%"),
    ("Lateness p50 (days)", "lateness_p50_days", "0.0"),
    ("Lateness p90 (days)", "lateness_p90_days", "0.0"),
    ("Lead time p50 (days)", "lead_time_p50_days", "0.0"),
    ("Lead time p90 (days)", "lead_time_p90_days", "0.0"),
    ("Quoted lead time (days)", "quoted_lead_time_days", "0.0"),
    ("Re-promises", "repromises", "0"),
    ("Days moved", "days_moved", "0"),
    ("Open and late", "open_late_lines", "0"),
    ("Cancelled by supplier", "cancelled_by_supplier_lines", "0"),
    ("Why this standing", "standing_reason", None),
]


def write_scorecard_workbook(path: Path, run: ScoreRun, history: pd.DataFrame) -> Path:
    """Write the scorecard (and its trends from ``history`` snapshots) to ``path``."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "Scorecard"
    _write_scorecard(sheet, run.scorecards)
    _write_trends(workbook, run, history)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _write_scorecard(sheet: Any, cards: list[SupplierScorecard]) -> None:
    sheet.append([header for header, _, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for card in cards:
        sheet.append([safe_xlsx_value(getattr(card, attribute)) for _, attribute, _ in COLUMNS])
    last_row = max(len(cards) + 1, 2)
    for index, (_, _, number_format) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 14 if index > 1 else 32
        if number_format:
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=last_row, min_col=index, max_col=index
            ):
                cell.number_format = number_format
    sheet.column_dimensions[get_column_letter(len(COLUMNS))].width = 70
    standing_range = f"B2:B{last_row}"
    for standing, colour in STANDING_FILLS.items():
        sheet.conditional_formatting.add(
            standing_range,
            CellIsRule(  # type: ignore[no-untyped-call]  # openpyxl's stub leaves it untyped
                operator="equal",
                formula=[f'"{standing}"'],
                fill=PatternFill(start_color=colour, end_color=colour, fill_type="solid"),
            ),
        )
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last_row}"


def _write_trends(workbook: Workbook, run: ScoreRun, history: pd.DataFrame) -> None:
    data = workbook.create_sheet("Trend data")
    charts = workbook.create_sheet("Trends")
    history = history[history["formula_version"] == run.formula_version]
    busiest = [
        card.supplier
        for card in sorted(run.scorecards, key=lambda card: (-card.lines, card.supplier))
        if card.lines > 0
    ][:MAX_TREND_CHARTS]
    if history.empty or not busiest:
        charts["A1"] = "No snapshots with scores yet: run `procure score` on several dates."
        return
    table = history.pivot_table(index="as_of", columns="supplier", values="score", aggfunc="last")
    table = table.reindex(columns=[name for name in busiest if name in table.columns])
    data.append(["As of", *[safe_xlsx_value(name) for name in table.columns]])
    for as_of, values in table.iterrows():
        data.append([as_of, *[None if pd.isna(v) else float(v) for v in values]])
    rows = len(table) + 1
    for (cell,) in data.iter_rows(min_row=2, max_row=rows, min_col=1, max_col=1):
        cell.number_format = "yyyy-mm-dd"
    charts["A1"] = (
        f"Score over time (formula {run.formula_version}) for the {len(table.columns)} "
        "suppliers with the most lines due."
    )
    for position, _ in enumerate(table.columns):
        chart = LineChart()
        chart.title = str(safe_xlsx_value(table.columns[position]))
        chart.y_axis.title = "score"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.y_axis.number_format = "0%"
        chart.height = 7
        chart.width = 13
        series = Reference(data, min_col=position + 2, min_row=1, max_row=rows)
        chart.add_data(series, titles_from_data=True)
        chart.set_categories(Reference(data, min_col=1, min_row=2, max_row=rows))
        chart.legend = None
        row = 3 + (position // CHARTS_PER_ROW) * CHART_ROWS
        column = 1 + (position % CHARTS_PER_ROW) * 9
        charts.add_chart(chart, f"{get_column_letter(column)}{row}")
