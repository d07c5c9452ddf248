"""Hostile supplier files, built on demand into a folder (nothing big is ever committed).

Each builder is ``build_<case>(folder) -> Path``; ``SAMPLES`` maps the case name to its builder
and what procure must do with it. The same samples feed the reading tests and, later, the
end-to-end ``procure ingest`` checks.
"""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Expectation:
    """What reading the sample must end in: rejected with words naming the problem, or read."""

    outcome: str  # "rejected" | "read"
    mentions: tuple[str, ...] = ()  # words the rejection message must contain (any case)
    rows: int | None = None  # for "read": the rows of the first sheet
    slow: bool = False


def sheet_xml(rows_xml: str, *, before: str = "", after: str = "", prolog: str = "") -> str:
    """A worksheet part around the given ``<row>`` elements."""
    return (
        f'{_XML_HEAD}{prolog}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{before}'
        f"<sheetData>{rows_xml}</sheetData>{after}</worksheet>"
    )


def write_workbook(
    path: Path,
    sheets: dict[str, str],
    *,
    shared_strings: list[str] | None = None,
    shared_strings_xml: str | None = None,
    date1904: bool = False,
) -> Path:
    """A minimal but complete xlsx: one part per sheet (given as whole worksheet XML)."""
    shared = shared_strings_xml
    if shared is None and shared_strings is not None:
        shared = (
            f'{_XML_HEAD}<sst xmlns="{MAIN_NS}" count="{len(shared_strings)}">'
            + "".join(f"<si><t>{text}</t></si>" for text in shared_strings)
            + "</sst>"
        )
    relationships = [
        f'<Relationship Id="rId{index}" Type="{REL_NS}/worksheet" '
        f'Target="worksheets/sheet{index}.xml"/>'
        for index in range(1, len(sheets) + 1)
    ]
    relationships.append(f'<Relationship Id="rIdS" Type="{REL_NS}/styles" Target="styles.xml"/>')
    if shared is not None:
        relationships.append(
            f'<Relationship Id="rIdT" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        )
    sheet_list = "".join(
        f'<sheet name="{name}" sheetId="{index}" r:id="rId{index}"/>'
        for index, name in enumerate(sheets, start=1)
    )
    flag = ' date1904="1"' if date1904 else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'{_XML_HEAD}<Relationships xmlns="{PKG_NS}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'{_XML_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><workbookPr{flag}/>'
            f"<sheets>{sheet_list}</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML_HEAD}<Relationships xmlns="{PKG_NS}">{"".join(relationships)}</Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            f'{_XML_HEAD}<styleSheet xmlns="{MAIN_NS}"><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        for index, xml in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{index}.xml", xml)
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
    return path


def _header_and_one_row() -> str:
    return (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>qty</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>A-1</t></is></c><c r="B2"><v>5</v></c></row>'
    )


def _streamed_entry(path: Path, name: str, piece: bytes, repeats: int) -> Path:
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w", force_zip64=True) as entry,
    ):
        for _ in range(repeats):
            entry.write(piece)
    return path


# --- workbooks -------------------------------------------------------------------------------


def build_zip_bomb(folder: Path) -> Path:
    """A sheet that inflates to 300 MB of blanks from well under 1 MB."""
    path = write_workbook(folder / "zip_bomb.xlsx", {"Data": sheet_xml(_header_and_one_row())})
    return _streamed_entry(path, "xl/worksheets/bomb.xml", b" " * (1 << 20), 300)


def build_lying_zip_bomb(folder: Path) -> Path:
    """A sheet whose directory says 2 KB but whose data inflates to 50 MB."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 1_500_001))
    path = write_workbook(folder / "lying_zip_bomb.xlsx", {"Data": sheet_xml(rows)})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Patch the uncompressed size in the local header and in the central directory.
    struct.pack_into("<I", data, info.header_offset + 22, 2048)
    directory = data.rfind(b"PK\x01\x02")
    while directory >= 0:
        name_length = struct.unpack_from("<H", data, directory + 28)[0]
        name = bytes(data[directory + 46 : directory + 46 + name_length])
        if name == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, directory + 24, 2048)
            break
        directory = data.rfind(b"PK\x01\x02", 0, directory)
    path.write_bytes(bytes(data))
    return path


def build_xml_bomb(folder: Path) -> Path:
    """Billion laughs in the shared strings."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    shared = (
        f'{_XML_HEAD}<!DOCTYPE sst [{entities}]><sst xmlns="{MAIN_NS}" count="1">'
        "<si><t>&lol9;</t></si></sst>"
    )
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return write_workbook(
        folder / "xml_bomb.xlsx", {"Data": sheet_xml(rows)}, shared_strings_xml=shared
    )


def build_xxe(folder: Path) -> Path:
    """An external entity pointing at a local file, inside the sheet."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    return write_workbook(folder / "xxe.xlsx", {"Data": sheet_xml(rows, prolog=prolog)})


def build_huge_dimension(folder: Path) -> Path:
    """A declared dimension of the whole sheet over one real row: harmless, read as it is."""
    sheet = sheet_xml(_header_and_one_row(), before='<dimension ref="A1:XFD1048576"/>')
    return write_workbook(folder / "huge_dimension.xlsx", {"Data": sheet})


def build_merged_cell_bomb(folder: Path) -> Path:
    """100,000 merged ranges, one of them the whole sheet, over one real row."""
    merges = '<mergeCell ref="A1:XFD1048576"/>' + "".join(
        f'<mergeCell ref="C{n}:XFD{n}"/>' for n in range(3, 100_002)
    )
    sheet = sheet_xml(
        _header_and_one_row(), after=f'<mergeCells count="100000">{merges}</mergeCells>'
    )
    return write_workbook(folder / "merged_cell_bomb.xlsx", {"Data": sheet})


def build_far_corner_cell(folder: Path) -> Path:
    """One cell at XFD1048576 next to a normal one: a dense grid of 17 billion cells."""
    rows = _header_and_one_row() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return write_workbook(folder / "far_corner_cell.xlsx", {"Data": sheet_xml(rows)})


def build_hidden_far_cell(folder: Path) -> Path:
    """The far cell hidden behind a repeated r attribute (the parser keeps the last one)."""
    rows = _header_and_one_row() + '<row r="3"><c r="A3" r="XFD1048576"><v>1</v></c></row>'
    return write_workbook(folder / "hidden_far_cell.xlsx", {"Data": sheet_xml(rows)})


def build_huge_text_cell(folder: Path) -> Path:
    """A 400 MB text in the shared strings, compressed to a few hundred KB."""
    path = folder / "huge_text_cell.xlsx"
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    write_workbook(path, {"Data": sheet_xml(rows)})
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as entry,
    ):
        entry.write(f'{_XML_HEAD}<sst xmlns="{MAIN_NS}" count="1"><si><t>'.encode())
        for _ in range(400):
            entry.write(b"x" * (1 << 20))
        entry.write(b"</t></si></sst>")
    return path


def build_long_text_cell(folder: Path) -> Path:
    """A 40,000-character text in a cell: over Excel's own limit of 32,767."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>note</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"y" * 40_000}</t></is></c></row>'
    )
    return write_workbook(folder / "long_text_cell.xlsx", {"Data": sheet_xml(rows)})


def build_many_entries(folder: Path) -> Path:
    """100,000 parts in the container."""
    path = write_workbook(folder / "many_entries.xlsx", {"Data": sheet_xml(_header_and_one_row())})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        for index in range(100_000):
            archive.writestr(f"x/{index}", b"")
    return path


def build_million_rows_xlsx(folder: Path) -> Path:
    """A million delivery lines with the price column left empty (validation rejects them)."""
    head = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Qty</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Price</t></is></c></row>'
    )
    body = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>{n % 50 + 1}</v></c></row>'
        for n in range(2, 1_000_002)
    )
    return write_workbook(folder / "million_rows.xlsx", {"Deliveries": sheet_xml(head + body)})


def build_truncated_zip(folder: Path) -> Path:
    """A workbook cut off halfway through, as an interrupted download leaves it."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 5000))
    path = write_workbook(folder / "truncated.xlsx", {"Data": sheet_xml(rows)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def build_legacy_ole(folder: Path) -> Path:
    """The OLE header of a legacy .xls (or any password-protected workbook) named .xlsx."""
    path = folder / "legacy.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512 * 8))
    return path


def build_formulas_without_values(folder: Path) -> Path:
    """Formulas whose results were never saved (written by a program, never opened in Excel)."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>qty</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>price</t></is></c></row>'
        '<row r="2"><c r="A2"><v>3</v></c><c r="B2"><f>A2*2</f></c></row>'
        '<row r="12"><c r="A12"><v>3</v></c><c r="B12"><f>SUM(B2:B11)</f><v></v></c></row>'
    )
    return write_workbook(folder / "formulas_without_values.xlsx", {"Data": sheet_xml(rows)})


# --- text files ------------------------------------------------------------------------------


def build_random_bytes(folder: Path) -> Path:
    path = folder / "random.xlsx"
    path.write_bytes(random.Random(7).randbytes(1 << 20))
    return path


def build_nul_bytes(folder: Path) -> Path:
    path = folder / "nul_bytes.csv"
    path.write_bytes(b"sku,qty\nA-1,5\nA-2\x00\x00,7\nA-3,9\n")
    return path


def build_ragged_rows(folder: Path) -> Path:
    path = folder / "ragged_rows.csv"
    path.write_text("sku,qty,price,currency\nA-1,5,2.50,EUR\nA-2,5,2.50,EUR,extra\nA-3,5\n")
    return path


def build_unterminated_quote(folder: Path) -> Path:
    path = folder / "unterminated_quote.csv"
    lines = ["sku,qty,note\n", 'A-1,5,"fine"\n', 'A-2,6,"never closed\n']
    lines += [f"A-{n},{n},more\n" for n in range(3, 20_000)]
    path.write_text("".join(lines))
    return path


def build_nan_inf_text(folder: Path) -> Path:
    """NaN and infinities typed as text: read exactly as written (validation rejects them)."""
    path = folder / "nan_inf.csv"
    path.write_text("sku,price\nA-1,NaN\nA-2,inf\nA-3,-Infinity\nNA,NULL\n")
    return path


def build_empty_file(folder: Path) -> Path:
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return path


def build_png_named_csv(folder: Path) -> Path:
    path = folder / "prices.csv"
    header = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    )
    path.write_bytes(header + struct.pack(">I", zlib.crc32(header[12:])) + bytes(64))
    return path


def build_sparse_2gb_csv(folder: Path) -> Path:
    """A 2 GB file that occupies no disk: the reader must not try to read it."""
    path = folder / "sparse.csv"
    with path.open("wb") as stream:
        stream.write(b"sku,qty\nA-1,5\n")
        stream.truncate(2 * 1024**3)
    return path


def build_million_rows_csv(folder: Path) -> Path:
    """A million delivery lines with the price left empty: reads fine, validation rejects it."""
    path = folder / "million_rows.csv"
    with path.open("w") as stream:
        stream.write("supplier,sku,ordered_qty,unit_price\n")
        for index in range(1_000_000):
            stream.write(f"Acme,SKU-{index % 5000:05d},{index % 90 + 1},\n")
    return path


SAMPLES: dict[str, tuple[Callable[[Path], Path], Expectation]] = {
    "zip_bomb": (build_zip_bomb, Expectation("rejected", ("expands",))),
    "lying_zip_bomb": (build_lying_zip_bomb, Expectation("rejected", ("declared", "zip bomb"))),
    "xml_bomb": (build_xml_bomb, Expectation("rejected", ("entities",))),
    "xxe": (build_xxe, Expectation("rejected", ("entities",))),
    "huge_dimension": (build_huge_dimension, Expectation("read", rows=2)),
    "merged_cell_bomb": (build_merged_cell_bomb, Expectation("read", rows=2)),
    "far_corner_cell": (build_far_corner_cell, Expectation("rejected", ("column XFD",))),
    "hidden_far_cell": (build_hidden_far_cell, Expectation("rejected", ("column XFD",))),
    "huge_text_cell": (build_huge_text_cell, Expectation("rejected", ("expands",), slow=True)),
    "long_text_cell": (build_long_text_cell, Expectation("rejected", ("A2", "32,767"))),
    "many_entries": (build_many_entries, Expectation("rejected", ("100,", "parts"), slow=True)),
    "million_rows_xlsx": (build_million_rows_xlsx, Expectation("read", rows=1_000_001, slow=True)),
    "million_rows_csv": (build_million_rows_csv, Expectation("read", rows=1_000_001, slow=True)),
    "truncated_zip": (build_truncated_zip, Expectation("rejected", ("damaged",))),
    "random_bytes": (build_random_bytes, Expectation("rejected", ("binary",))),
    "legacy_ole": (build_legacy_ole, Expectation("rejected", ("legacy .xls", "password"))),
    "formulas_without_values": (
        build_formulas_without_values,
        Expectation("rejected", ("B2", "formula without a saved value")),
    ),
    "nul_bytes": (build_nul_bytes, Expectation("rejected", ("line 3", "NUL"))),
    "ragged_rows": (build_ragged_rows, Expectation("rejected", ("row 3 has 5 fields", "has 4"))),
    "unterminated_quote": (build_unterminated_quote, Expectation("rejected", ("row 3", "quote"))),
    "nan_inf_text": (build_nan_inf_text, Expectation("read", rows=5)),
    "empty_file": (build_empty_file, Expectation("rejected", ("empty",))),
    "png_named_csv": (build_png_named_csv, Expectation("rejected", ("PNG image",))),
    "sparse_2gb_csv": (build_sparse_2gb_csv, Expectation("rejected", ("2.0 GB", "limit"))),
}
