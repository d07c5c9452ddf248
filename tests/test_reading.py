"""Reading supplier files: cells come out exactly as the buyer sees them, row for row."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from purchasing.errors import FileRejected
from supplier_feeds import workbook_reading
from supplier_feeds.raw import ReadLimits
from supplier_feeds.reading import read_sheets
from tests.hostile_samples import sheet_xml, write_workbook


def _xlsx(path: Path, sheets: dict[str, list[list[object]]], *, date1904: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    if date1904:
        workbook.epoch = CALENDAR_MAC_1904
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def _rejection(path: Path, **options: object) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_sheets(path, **options)  # type: ignore[arg-type]
    return caught.value


def test_title_rows_above_the_header_stay_rows_in_their_place(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "offers.xlsx",
        {"Prices": [["ACME price list"], [], ["SKU", "Price"], ["A-1", 2.5]]},
    )
    [sheet] = read_sheets(path)
    assert sheet.rows == [
        ["ACME price list", None],
        [None, None],
        ["SKU", "Price"],
        ["A-1", 2.5],
    ]
    assert sheet.source == "xlsx"


def test_every_worksheet_is_read_in_workbook_order(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "two.xlsx", {"Notes": [["hello"]], "Orders": [["PO"], ["PO-1"]]})
    sheets = read_sheets(path)
    assert [(sheet.name, sheet.rows) for sheet in sheets] == [
        ("Notes", [["hello"]]),
        ("Orders", [["PO"], ["PO-1"]]),
    ]


def test_one_sheet_can_be_chosen_by_name(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "two.xlsx", {"Notes": [["hello"]], "Orders": [["PO"]]})
    assert [sheet.name for sheet in read_sheets(path, sheet="orders")] == ["Orders"]


def test_an_unknown_sheet_name_is_rejected_listing_the_sheets(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "two.xlsx", {"Notes": [["hello"]], "Orders": [["PO"]]})
    message = str(_rejection(path, sheet="Deliveries"))
    assert "'Deliveries'" in message
    assert "'Notes'" in message
    assert "'Orders'" in message


def test_date_cells_come_out_as_dates_and_datetimes(tmp_path: Path) -> None:
    promised = datetime.date(2024, 3, 15)
    shipped = datetime.datetime(2024, 3, 14, 16, 30)  # noqa: DTZ001  # Excel times carry no zone
    path = _xlsx(tmp_path / "dates.xlsx", {"Data": [["promised", "shipped"], [promised, shipped]]})
    [sheet] = read_sheets(path)
    assert sheet.rows[1] == [promised, shipped]
    assert sheet.date1904 is False


def test_a_1904_workbook_is_flagged_and_its_date_cells_stay_right(tmp_path: Path) -> None:
    promised = datetime.date(2024, 3, 15)
    path = _xlsx(tmp_path / "mac.xlsx", {"Data": [["promised"], [promised]]}, date1904=True)
    [sheet] = read_sheets(path)
    assert sheet.date1904 is True
    assert sheet.rows[1] == [promised]


def test_whole_numbers_are_ints_and_empty_cells_none(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "numbers.xlsx", {"Data": [["qty", "price", "note"], [12, 2.5, None]]})
    [sheet] = read_sheets(path)
    assert sheet.rows[1] == [12, 2.5, None]
    assert isinstance(sheet.rows[1][0], int)


def test_an_excel_error_value_is_read_as_its_text(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>price</t></is></c></row>'
        '<row r="2"><c r="A2" t="e"><f>VLOOKUP(1,B:B,1,0)</f><v>#N/A</v></c></row>'
    )
    path = write_workbook(tmp_path / "errors.xlsx", {"Data": sheet_xml(rows)})
    [sheet] = read_sheets(path)
    assert sheet.rows == [["price"], ["#N/A"]]


def test_a_workbook_is_judged_by_its_content_not_its_name(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "prices.xlsx", {"Data": [["sku"], ["A-1"]]})
    renamed = path.rename(tmp_path / "prices.csv")
    [sheet] = read_sheets(renamed)
    assert (sheet.source, sheet.rows) == ("xlsx", [["sku"], ["A-1"]])


def test_a_workbook_over_the_expanded_size_limit_names_its_size(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 3000))
    path = write_workbook(tmp_path / "big.xlsx", {"Data": sheet_xml(rows)})
    limits = ReadLimits(max_uncompressed_total=50_000)
    assert "the workbook expands to" in str(_rejection(path, limits=limits))


def test_a_sheet_over_the_row_limit_is_rejected_with_its_extent(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "rows.xlsx", {"Data": [[n] for n in range(1, 30)]})
    message = str(_rejection(path, limits=ReadLimits(max_rows=20)))
    assert "down to row 29" in message


def test_cp1252_csv_keeps_accents_and_the_euro_sign(tmp_path: Path) -> None:
    path = tmp_path / "prix.csv"
    path.write_bytes("fournisseur,prix\nCafé Crème,12 €\n".encode("cp1252"))
    [sheet] = read_sheets(path)
    assert sheet.rows == [["fournisseur", "prix"], ["Café Crème", "12 €"]]
    assert sheet.source == "csv"


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("sku\tqty\r\nÄ-1\t5\r\n", encoding="utf-16")
    [sheet] = read_sheets(path)
    assert sheet.rows == [["sku", "qty"], ["Ä-1", "5"]]


def test_semicolon_csv_keeps_decimal_commas_as_text(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("sku;price;qty\nA-1;12,50;3\nA-2;1.234,00;4\n", encoding="utf-8")
    [sheet] = read_sheets(path)
    assert sheet.rows[1:] == [["A-1", "12,50", "3"], ["A-2", "1.234,00", "4"]]


@pytest.mark.parametrize(
    ("written", "read"),
    [("0042", "0042"), ("NA", "NA"), ("NULL", "NULL"), ("N/A", "N/A"), ("1e5", "1e5")],
)
def test_csv_values_stay_text_exactly_as_written(tmp_path: Path, written: str, read: str) -> None:
    path = tmp_path / "skus.csv"
    path.write_text(f"sku,qty\n{written},1\n", encoding="utf-8")
    [sheet] = read_sheets(path)
    assert sheet.rows[1] == [read, "1"]


def test_empty_csv_fields_are_none(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("sku,qty,note\nA-1,,\n", encoding="utf-8")
    [sheet] = read_sheets(path)
    assert sheet.rows[1] == ["A-1", None, None]


def test_a_ragged_row_is_named_by_its_row_number(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("sku,qty,price,currency\nA-1,5,2.5,EUR\nA-2,5,2.5,EUR\nA-3,5,2,5,EUR\n")
    rejection = _rejection(path)
    assert str(rejection).startswith("row 4 has 5 fields, the header (row 1) has 4")
    assert [error.row for error in rejection.errors] == [4]


def test_title_lines_above_a_csv_header_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("Stock report March\n\nsku,qty\nA-1,5\nA-2,6\n", encoding="utf-8")
    [sheet] = read_sheets(path)
    assert sheet.rows == [
        ["Stock report March", None],
        [None, None],
        ["sku", "qty"],
        ["A-1", "5"],
        ["A-2", "6"],
    ]


def test_trailing_empty_fields_beyond_the_header_are_harmless(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("sku,qty\nA-1,5,,\nA-2,6\n", encoding="utf-8")
    [sheet] = read_sheets(path)
    assert sheet.rows == [["sku", "qty"], ["A-1", "5"], ["A-2", "6"]]


def test_delimiter_and_encoding_can_be_given(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes("sku|naïve\nA-1|x\n".encode("latin-1"))
    [sheet] = read_sheets(path, delimiter="|", encoding="latin-1")
    assert sheet.rows == [["sku", "naïve"], ["A-1", "x"]]


def test_a_csv_over_the_row_limit_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("sku\n" + "A\n" * 50, encoding="utf-8")
    assert "more than 10 rows" in str(_rejection(path, limits=ReadLimits(max_rows=10)))


def test_json_list_of_objects_becomes_a_sheet_headed_by_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([{"sku": "0042", "qty": 5}, {"sku": "NA", "price": 2.5}]))
    [sheet] = read_sheets(path)
    assert sheet.rows == [["sku", "qty", "price"], ["0042", 5, None], ["NA", None, 2.5]]
    assert sheet.source == "json"


def test_json_rows_may_be_wrapped_in_an_object(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"rows": [{"sku": "A-1"}]}))
    [sheet] = read_sheets(path)
    assert sheet.rows == [["sku"], ["A-1"]]


def test_json_with_a_nested_value_names_the_row_and_key(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([{"sku": "A-1"}, {"sku": {"id": 1}}]))
    assert str(_rejection(path)).startswith("row 3: key 'sku' holds a nested dict")


def test_a_missing_file_is_rejected_by_name(tmp_path: Path) -> None:
    assert "there is no file" in str(_rejection(tmp_path / "nowhere.csv"))


# Large sheets are parsed in slices on both cores; small ones here are made to slice too.


@pytest.fixture
def slices(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every sheet is cut in two, read in 4 KB chunks; the list collects the slices parsed."""
    from supplier_feeds import sheet_slices, sheet_xml, workbook_container

    monkeypatch.setattr(sheet_slices, "MIN_SLICE_BYTES", 1)
    monkeypatch.setattr(sheet_xml, "_CHUNK_BYTES", 4096)
    monkeypatch.setattr(workbook_container, "_INFLATE_STEP", 4096)
    parsed: list[Path] = []
    real = sheet_slices._parse_slice

    def spy(path: Path, *args: Any) -> Any:
        parsed.append(path)
        return real(path, *args)

    monkeypatch.setattr(sheet_slices, "_parse_slice", spy)
    return parsed


def _not_whole(*_args: object) -> None:
    raise AssertionError("the sheet was read whole, not from its slices")


def _read_whole(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[object]]:
    from supplier_feeds import sheet_slices

    with monkeypatch.context() as unsliced:
        unsliced.setattr(sheet_slices, "MAX_SLICES", 1)
        [sheet] = read_sheets(path)
    return sheet.rows  # type: ignore[return-value]


def test_a_sheet_read_in_slices_is_the_sheet_read_whole(
    tmp_path: Path, slices: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[object]] = [["Supplier", "PO", "Qty", "Price", "Due"]]
    for index in range(600):
        due = datetime.date(2024, 1, 1) + datetime.timedelta(days=index)
        price = None if index % 7 == 0 else 1.25 * index
        rows.append([f"Supplier {index % 5}", f"PO-{index:05d}", index % 40, price, due])
    rows[450] = [None, None, None, None, None, "a note in column F"]
    path = _xlsx(tmp_path / "deliveries.xlsx", {"Deliveries": rows})
    with monkeypatch.context() as slices_only:
        slices_only.setattr(workbook_reading, "_read_sheet", _not_whole)
        [sheet] = read_sheets(path)
    assert len(slices) == 2
    assert sheet.rows == _read_whole(path, monkeypatch)
    assert sheet.rows[1] == ["Supplier 0", "PO-00000", 0, None, datetime.date(2024, 1, 1), None]
    assert sheet.rows[450] == [None, None, None, None, None, "a note in column F"]


def _numbered_rows(numbers: list[int]) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>SKU-{n}</t></is></c>'
        f'<c r="B{n}"><v>{n}</v></c></row>'
        for n in numbers
    )


def test_rows_written_out_of_order_are_read_whole_and_stay_in_their_place(
    tmp_path: Path, slices: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = [*range(300, 600), *range(1, 300)]
    path = write_workbook(tmp_path / "shuffled.xlsx", {"Data": sheet_xml(_numbered_rows(numbers))})
    [sheet] = read_sheets(path)
    assert len(slices) == 2  # both slices were parsed, then the sheet was read whole
    assert sheet.rows == _read_whole(path, monkeypatch)
    assert sheet.rows[0] == ["SKU-1", 1]
    assert sheet.rows[598] == ["SKU-599", 599]


def test_a_far_cell_after_the_first_slice_still_rejects_the_file(
    tmp_path: Path, slices: list[Path]
) -> None:
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    xml = sheet_xml(_numbered_rows(list(range(1, 800))) + far)
    path = write_workbook(tmp_path / "far.xlsx", {"Data": xml})
    error = _rejection(path)
    assert "XFD" in str(error) or "row 1,048,576" in str(error)
    assert len(slices) == 1  # the first slice was checked and parsed; nothing past the far cell


def test_a_wide_cell_after_the_first_slice_gets_the_sheet_read_whole(
    tmp_path: Path, slices: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = '<row r="900"><c r="AB900"><v>7</v></c></row>'
    xml = sheet_xml(_numbered_rows(list(range(1, 800))) + wide)
    path = write_workbook(tmp_path / "wide.xlsx", {"Data": xml})
    [sheet] = read_sheets(path)
    assert sheet.rows == _read_whole(path, monkeypatch)
    assert sheet.rows[899][27] == 7


def test_the_chosen_sheet_of_several_is_read_in_slices(
    tmp_path: Path, slices: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>read me first</t></is></c></row>')
    data = sheet_xml(_numbered_rows(list(range(1, 700))))
    path = write_workbook(tmp_path / "two.xlsx", {"Notes": notes, "Stock": data})
    with monkeypatch.context() as slices_only:
        # Reading the sheet whole would be a silent fallback: here it is an error.
        slices_only.setattr(workbook_reading, "_read_sheet", _not_whole)
        [sheet] = read_sheets(path, sheet="Stock")
    assert len(slices) == 2
    assert sheet.rows[698] == ["SKU-699", 699]
    from supplier_feeds import sheet_slices

    with monkeypatch.context() as unsliced:
        unsliced.setattr(sheet_slices, "MAX_SLICES", 1)
        [whole] = read_sheets(path, sheet="Stock")
    assert sheet.rows == whole.rows


def test_no_room_for_the_slices_reads_the_sheet_whole(
    tmp_path: Path, slices: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from supplier_feeds import sheet_slices

    def full_disk(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sheet_slices._SliceWriter, "write", full_disk)
    path = write_workbook(
        tmp_path / "big.xlsx", {"Data": sheet_xml(_numbered_rows([*range(1, 500)]))}
    )
    [sheet] = read_sheets(path)
    assert slices == []
    assert sheet.rows[498] == ["SKU-499", 499]


def test_a_slice_workbook_holds_the_workbook_styles_and_texts_but_no_other_sheet() -> None:
    from supplier_feeds.sheet_slices import _needed

    sheet = "xl/data/sheet1.xml"  # a sheet stored outside xl/worksheets/
    assert not _needed(sheet, sheet)
    assert not _needed("xl/Worksheets/sheet2.xml", sheet)
    assert not _needed("xl/pivotCache/pivotCacheRecords1.xml", sheet)
    for part in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        assert _needed(part, sheet)
    assert _needed("xl/styles.xml", sheet)
    assert _needed("xl/sharedStrings.xml", sheet)
