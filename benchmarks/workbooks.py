"""Builders of large, realistic supplier workbooks for the benchmarks (sheet XML written directly:
openpyxl would take longer to write 200,000 rows than the readers take to read them)."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

DELIVERY_HEADER = (
    "Supplier",
    "PO Number",
    "Line",
    "SKU",
    "Ordered Qty",
    "Promised Date",
    "Received Date",
    "Received Qty",
    "Order Date",
)
_SUPPLIERS = 73  # as many vendors as the SCMS delivery history
_SKUS = 5_000
_EPOCH = datetime.date(1899, 12, 30)

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML_HEAD}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
    "</Types>"
)
_PACKAGE_RELATIONSHIPS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}">'
    '<workbookPr/><sheets><sheet name="Deliveries" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELATIONSHIPS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_OFFICE}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_OFFICE}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def delivery_row(
    index: int,
) -> tuple[str, str, int, str, int, datetime.date, datetime.date | None, int | None, datetime.date]:
    """The index-th delivery line: deterministic, with some lines not yet received."""
    ordered = datetime.date(2023, 1, 1) + datetime.timedelta(days=index % 700)
    promised = ordered + datetime.timedelta(days=14 + index % 30)
    received = promised + datetime.timedelta(days=index % 11 - 4) if index % 9 else None
    quantity = 10 + index % 490
    return (
        f"Supplier {index % _SUPPLIERS:03d}",
        f"PO-{index // 4:07d}",
        index % 4 + 1,
        f"SKU-{index * 7919 % _SKUS:05d}",
        quantity,
        promised,
        received,
        quantity - index % 3 if received else None,
        ordered,
    )


def deliveries_xlsx(path: Path, rows: int) -> Path:
    """A deliveries workbook of ``rows`` data rows under one header row, as Excel lays it out
    (shared strings for text, date-formatted serials for dates)."""
    strings: dict[str, int] = {}

    def shared(text: str) -> int:
        return strings.setdefault(text, len(strings))

    def text_cell(reference: str, text: str) -> str:
        return f'<c r="{reference}" t="s"><v>{shared(text)}</v></c>'

    def date_cell(reference: str, day: datetime.date) -> str:
        return f'<c r="{reference}" s="1"><v>{(day - _EPOCH).days}</v></c>'

    letters = "ABCDEFGHI"
    parts = [
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN}">'
        f'<dimension ref="A1:I{rows + 1}"/><sheetData>'
        '<row r="1">'
        + "".join(text_cell(f"{letters[i]}1", name) for i, name in enumerate(DELIVERY_HEADER))
        + "</row>"
    ]
    for index in range(rows):
        number = index + 2
        supplier, po, line, sku, ordered_qty, promised, received, received_qty, ordered = (
            delivery_row(index)
        )
        cells = [
            text_cell(f"A{number}", supplier),
            text_cell(f"B{number}", po),
            f'<c r="C{number}"><v>{line}</v></c>',
            text_cell(f"D{number}", sku),
            f'<c r="E{number}"><v>{ordered_qty}</v></c>',
            date_cell(f"F{number}", promised),
        ]
        if received is not None:
            cells.append(date_cell(f"G{number}", received))
            cells.append(f'<c r="H{number}"><v>{received_qty}</v></c>')
        cells.append(date_cell(f"I{number}", ordered))
        parts.append(f'<row r="{number}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    shared_xml = (
        f'{_XML_HEAD}<sst xmlns="{_MAIN}" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        + "</sst>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELATIONSHIPS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELATIONSHIPS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/sharedStrings.xml", shared_xml)
        archive.writestr("xl/worksheets/sheet1.xml", "".join(parts))
    return path
