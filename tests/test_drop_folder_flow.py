"""The drop-folder flow: each dropped file becomes an ingest run and ends up filed away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from flows.drop_folder import poll_drop_folder
from flows.operating import Operating
from models import SupplierStock
from models.operations import IngestedFile
from tests.wired import wired_flows

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def wired(engine: Engine, tmp_path: Path) -> Iterator[Operating]:
    with wired_flows(engine, tmp_path) as operating:
        yield operating


def test_a_dropped_stock_file_is_ingested_once_and_moved_to_done(
    wired: Operating, engine: Engine
) -> None:
    target = wired.drop_folder / "stock" / "Acme Ltd" / "avail.csv"
    target.parent.mkdir(parents=True)
    target.write_text("sku,available_qty\nA-1,5\nB-2,0\n", encoding="utf-8")

    first = poll_drop_folder()
    again = poll_drop_folder()

    assert isinstance(first, dict)
    assert isinstance(again, dict)
    assert [(item["status"], item["supplier"]) for item in first["filed"]] == [
        ("accepted", "Acme Ltd")
    ]
    assert again["filed"] == []
    assert (wired.drop_folder / "done/stock/Acme Ltd/avail.csv").is_file()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(SupplierStock)).one() == 2


def test_a_bad_file_lands_in_rejected_beside_its_error_workbook(
    wired: Operating, engine: Engine
) -> None:
    target = wired.drop_folder / "stock" / "Acme" / "avail.csv"
    target.parent.mkdir(parents=True)
    target.write_text("sku,available_qty\nA-1,many\n", encoding="utf-8")

    result = poll_drop_folder()

    assert isinstance(result, dict)
    rejected = wired.drop_folder / "rejected/stock/Acme"
    assert sorted(path.name for path in rejected.iterdir()) == [
        "avail.csv",
        "avail.csv.errors.xlsx",
    ]
    assert result["filed"][0]["report"] == str(rejected / "avail.csv.errors.xlsx")
    with Session(engine) as session:
        statuses = session.exec(select(IngestedFile.status)).all()
    assert statuses == ["rejected"]
