"""``procure po cancel|resend``, ``supplier contact``, ``fx`` and ``sku rule`` on SQLite and
PostgreSQL: each change has exactly one audit event, bad input exits 3 with a JSON rejection."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from models import OutboxMessage, PoEvent, PoLine, PoLineCoverage
from models.db import session_scope
from procure.cli.app import app
from tests import factories


@pytest.fixture
def cli(cli_runner: CliRunner, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI in-process on the per-test database: one PO sent, one waiting for approval."""
    from procure.settings import get_settings

    monkeypatch.setenv("PROCURE_AUTO_RELEASE_LIMIT", "1000")
    get_settings.cache_clear()
    with session_scope(engine) as session:
        factories.catalog(session, "Contoso", [{"sku": "SKU-1", "unit_price": "9.5"}])
        factories.catalog(session, "Fabrikam", [{"sku": "SKU-2", "unit_price": "400"}])
        factories.backorder(session, "SO-1", "SKU-1", 4, date(2026, 11, 20), line_id="1")
        factories.backorder(session, "SO-2", "SKU-2", 3, date(2026, 11, 21), line_id="2")
    document = invoke(cli_runner, "reorder", "--as-of", "2026-12-01")
    statuses = {po["supplier"]: (po["po_number"], po["status"]) for po in document["created"]}
    assert statuses == {
        "Contoso": ("PO-000001", "sent"),
        "Fabrikam": ("PO-000002", "pending_approval"),
    }
    return cli_runner


def invoke(cli: CliRunner, *args: str, code: int = 0) -> Any:
    result = cli.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def events(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(PoEvent)).scalar_one())


def test_cancelling_an_unsent_po_cancels_its_lines_and_uncovers_its_back_orders(
    cli: CliRunner, engine: Engine
) -> None:
    before = events(engine)
    document = invoke(cli, "po", "cancel", "PO-000002", "--reason", "wrong SKU", "--by", "Ana")
    assert (document["action"], document["status"]) == ("cancelled", "cancelled")
    assert (document["cancelled_lines"], document["released_backorders"]) == ([1], ["2"])
    assert events(engine) == before + 2  # the line, then the PO
    with Session(engine) as session:
        released = session.execute(
            select(col(PoLineCoverage.release_reason)).where(
                col(PoLineCoverage.released_at).is_not(None)
            )
        ).scalars()
        assert list(released) == ["po-cancelled"]
    shown = invoke(cli, "po", "show", "PO-000002")
    assert shown["events"][-1]["actor"] == "Ana"
    assert "wrong SKU" in shown["events"][-1]["reason"]


def test_cancelling_a_sent_po_asks_the_supplier_once(cli: CliRunner, engine: Engine) -> None:
    before = events(engine)
    document = invoke(cli, "po", "cancel", "PO-000001", "--reason", "customer left", "--by", "Ana")
    assert (document["action"], document["status"]) == ("cancellation-requested", "sent")
    assert document["requested_lines"] == [1]
    assert events(engine) == before + 1
    again = invoke(cli, "po", "cancel", "PO-000001", "--reason", "customer left", "--by", "Ana")
    assert again["action"] == "unchanged"
    assert events(engine) == before + 1
    with Session(engine) as session:
        [request] = session.execute(
            select(OutboxMessage).where(
                col(OutboxMessage.message_type) == "po_cancellation_request"
            )
        ).scalars()
        assert "line 1: 4 x SKU-1" in request.body
        assert {line.status for line in session.execute(select(PoLine)).scalars()} == {
            "sent",
            "pending_approval",
        }


def test_resending_a_po_queues_a_new_version_and_records_one_event(
    cli: CliRunner, engine: Engine, procure_home: Path
) -> None:
    before = events(engine)
    document = invoke(cli, "po", "resend", "PO-000001", "--by", "Ana", "--reason", "lost mail")
    assert (document["action"], document["version"]) == ("resent", 2)
    assert [d["status"] for d in document["delivered"]] == ["sent"]
    assert (procure_home / "outbox" / "Contoso" / "PO-000001-v2.csv").exists()
    assert events(engine) == before + 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["po", "cancel", "PO-404", "--reason", "x", "--by", "Ana"], "no PO 'PO-404'"),
        (["po", "cancel", "PO-000001", "--reason", " ", "--by", "Ana"], "--reason"),
        (["po", "cancel", "PO-000001", "--reason", "x", "--by", "policy:me"], "reserved"),
        (["po", "resend", "PO-000002", "--by", "Ana"], "only a PO the supplier has"),
        (["supplier", "contact", "Nobody", "--email", "a@b.co"], "no supplier 'Nobody'"),
        (["supplier", "contact", "Contoso", "--email", "not-an-address"], "not an e-mail"),
        (["fx", "set", "EURO", "1.1"], "three-letter"),
        (["fx", "set", "EUR", "0"], "positive"),
        (["fx", "set", "USD", "1"], "base currency"),
        (["sku", "rule", "pin", "SKU-404", "Contoso", "--reason", "x", "--by", "Ana"], "no SKU"),
    ],
)
def test_bad_input_is_rejected_with_exit_3_and_nothing_written(
    cli: CliRunner, engine: Engine, args: list[str], message: str
) -> None:
    before = events(engine)
    document = invoke(cli, *args, code=3)
    assert document["status"] == "rejected"
    assert message in document["error"]
    assert events(engine) == before


def test_a_supplier_contact_and_currency_are_set(cli: CliRunner, tmp_path: Path) -> None:
    document = invoke(
        cli,
        "supplier",
        "contact",
        "Contoso",
        "--email",
        "po@contoso.example",
        "--drop-folder",
        str(tmp_path / "drop"),
        "--currency",
        "eur",
    )
    assert document == {
        "supplier": "Contoso",
        "po_email": "po@contoso.example",
        "po_drop_folder": str(tmp_path / "drop"),
        "currency": "EUR",
    }


def test_exchange_rates_keep_every_digit_and_a_later_rate_is_listed_beside_the_first(
    cli: CliRunner,
) -> None:
    invoke(cli, "fx", "set", "EUR", "1.083215", "--from", "2026-01-01")
    invoke(cli, "fx", "set", "eur", "1.1", "--from", "2026-06-01")
    invoke(cli, "fx", "set", "EUR", "1.100001", "--from", "2026-06-01")  # corrects the same day
    rates = invoke(cli, "fx", "list")
    assert [(r["currency"], r["rate"], r["valid_from"]) for r in rates] == [
        ("EUR", "1.083215", "2026-01-01"),
        ("EUR", "1.100001", "2026-06-01"),
    ]
    assert Decimal(rates[0]["rate"]) * 3 == Decimal("3.249645")


def test_a_newer_pin_ends_the_earlier_one_and_rules_are_listed(cli: CliRunner) -> None:
    invoke(
        cli,
        "sku",
        "rule",
        "pin",
        "SKU-1",
        "Contoso",
        "--reason",
        "contract",
        "--by",
        "Ana",
        "--as-of",
        "2026-01-01",
    )
    invoke(
        cli,
        "sku",
        "rule",
        "pin",
        "SKU-1",
        "Fabrikam",
        "--reason",
        "new contract",
        "--by",
        "Ana",
        "--as-of",
        "2026-03-01",
    )
    invoke(
        cli,
        "sku",
        "rule",
        "block",
        "SKU-2",
        "Contoso",
        "--reason",
        "recall",
        "--by",
        "Ben",
        "--until",
        "2026-12-31",
        "--as-of",
        "2026-02-01",
    )
    rules = invoke(cli, "sku", "rule", "list")
    assert [(r["sku"], r["supplier"], r["rule"], r["until"]) for r in rules] == [
        ("SKU-1", "Contoso", "pin", "2026-02-28"),
        ("SKU-1", "Fabrikam", "pin", None),
        ("SKU-2", "Contoso", "block", "2026-12-31"),
    ]


def test_outbox_send_delivers_a_request_once_its_supplier_has_a_contact(
    cli: CliRunner, tmp_path: Path
) -> None:
    invoke(cli, "po", "cancel", "PO-000001", "--reason", "customer left", "--by", "Ana")
    waiting = invoke(cli, "outbox", "send")
    assert (waiting["waiting-for-contact"], waiting["sent"]) == (1, 0)
    invoke(cli, "supplier", "contact", "Contoso", "--drop-folder", str(tmp_path / "contoso"))
    sent = invoke(cli, "outbox", "send")
    assert (sent["transport"], sent["sent"], sent["waiting-for-contact"]) == ("file", 1, 0)
    assert [path.suffix for path in (tmp_path / "contoso").iterdir()] == [".eml"]
    assert invoke(cli, "outbox", "send")["messages"] == []
