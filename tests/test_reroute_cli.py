"""``procure reroute`` and ``procure etas`` from the command line, on the embedded store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.test_cli_basics import run

CATALOG = (
    "supplier,sku,unit_price,lead_time_days\n"
    "Acme,LAMP-1,20.00,7\nAcme,DESK-2,80.00,7\nAcme,=CHAIR,45.00,7\n"
    "Beta,LAMP-1,20.50,12\nBeta,DESK-2,82.00,12\nBeta,=CHAIR,46.00,12\n"
)
BACKORDERS = (
    "order_id,sku,qty,ordered_at,promised_date,customer_email\n"
    "W-100,LAMP-1,2,2026-11-25,2026-12-12,ann@example.com\n"
    "W-101,DESK-2,1,2026-11-26,2026-12-12,bo@example.com\n"
    "W-102,=CHAIR,4,2026-11-27,2026-12-14,cy@example.com\n"
)


def ingest(home: Path, name: str, text: str, kind: str) -> dict[str, object]:
    path = home.parent / name
    path.write_text(text, "utf-8")
    result = run("ingest", str(path), "--kind", kind, "--json", home=home)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "accepted", document
    return dict(document)


@pytest.mark.slow
def test_a_supplier_re_promising_every_line_ninety_days_late_is_rerouted_from_the_cli(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    ingest(home, "catalog.csv", CATALOG, "catalog")
    ingest(home, "backorders.csv", BACKORDERS, "backorders")
    ordered = run("reorder", "--as-of", "2026-12-01", "--json", home=home)
    assert ordered.returncode == 0, ordered.stderr
    [po] = json.loads(ordered.stdout)["created"]
    assert po["supplier"] == "Acme"
    before = json.loads(run("etas", "--as-of", "2026-12-01", "--json", home=home).stdout)
    confirmations = "supplier,po_number,sku,confirmed_qty,confirmed_date\n" + "".join(
        f"Acme,{po['po_number']},{sku},1,2027-03-08\n" for sku in ("LAMP-1", "DESK-2", "=CHAIR")
    )
    ingest(home, "acme-ack.csv", confirmations, "confirmations")

    first = run("reroute", "--as-of", "2026-12-02", "--json", home=home)
    assert first.returncode == 0, first.stderr
    moved = json.loads(first.stdout)
    assert sorted(r["sku"] for r in moved["rerouted"]) == ["=CHAIR", "DESK-2", "LAMP-1"]
    assert {(r["from_supplier"], r["to_supplier"]) for r in moved["rerouted"]} == {("Acme", "Beta")}
    assert all(r["from"]["po_number"] == po["po_number"] for r in moved["rerouted"])
    assert all(r["reason"] for r in moved["rerouted"])
    assert moved["escalated"] == []

    again = json.loads(run("reroute", "--as-of", "2026-12-02", "--json", home=home).stdout)
    assert (again["rerouted"], again["escalated"]) == ([], [])

    export = tmp_path / "storefront-etas.csv"
    shown = run("etas", "--as-of", "2026-12-02", "--json", "--export", str(export), home=home)
    assert shown.returncode == 0, shown.stderr
    etas = {eta["order_id"]: eta for eta in json.loads(shown.stdout)}
    assert set(etas) == {"W-100", "W-101", "W-102"}
    new_po = moved["rerouted"][0]["to"]["po_number"]
    assert {eta["covered_by"] for eta in etas.values()} == {new_po}
    assert all(eta["eta"] < "2027-03-08" for eta in etas.values())
    assert all(eta["eta"] > old["eta"] for old, eta in zip(before, etas.values(), strict=True))
    with export.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["sku"] for row in rows} == {"LAMP-1", "DESK-2", "'=CHAIR"}

    shown_po = run("po", "show", new_po, "--json", home=home)
    assert shown_po.returncode == 0, shown_po.stderr
    chain = [line.get("rerouted_from") for line in json.loads(shown_po.stdout)["lines"]]
    assert all(link and link.startswith(po["po_number"]) for link in chain)


def test_an_export_to_an_unknown_format_is_refused_with_exit_code_3(tmp_path: Path) -> None:
    result = run("etas", "--json", "--export", str(tmp_path / "etas.xlsx"), home=tmp_path)
    assert result.returncode == 3
    assert json.loads(result.stdout)["status"] == "rejected"
    assert "Traceback" not in result.stderr
