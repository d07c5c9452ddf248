"""The feeds flow against a real portal on 127.0.0.1: new data, duplicates, failures, alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.artifacts import Artifact
from prefect.blocks.system import Secret
from prefect.client.schemas.objects import Artifact as StoredArtifact
from prefect.events import emit_event
from sqlalchemy import Engine
from sqlmodel import Session, select

import flows.feeds
from flows.feeds import RetryPolicy, poll_supplier_feeds
from flows.operating import Operating
from models import OutboxMessage
from tests.feed_server import Portal, Route, supplier_portal
from tests.wired import wired_flows

pytestmark = pytest.mark.usefixtures("prefect_harness")

STOCK = b"sku,available_qty\nA-1,5\nB-2,0\n"
NO_WAIT = RetryPolicy(retries=2, first_delay_seconds=0, backoff_factor=1)


@pytest.fixture
def portal() -> Iterator[Portal]:
    with supplier_portal() as running:
        yield running


@pytest.fixture
def wired(engine: Engine, tmp_path: Path) -> Iterator[Operating]:
    with wired_flows(engine, tmp_path) as operating:
        yield operating


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The events the flow emits (recorded on their way to Prefect)."""
    seen: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return emit_event(**kwargs)

    monkeypatch.setattr(flows.feeds, "emit_event", record)
    return seen


def configure_feed(wired: Operating, url: str, auth: str = "") -> None:
    wired.feeds_config.write_text(
        f"""
[[feed]]
name = "acme-stock"
url = "{url}"
kind = "stock"
supplier = "Acme Ltd"
schedule = "0 6 * * *"
{auth}
""",
        encoding="utf-8",
    )


def statuses(result: object) -> list[str]:
    assert isinstance(result, dict)
    return [outcome["status"] for outcome in result["feeds"]]


def test_new_data_is_ingested_and_the_same_bytes_again_are_a_duplicate(
    wired: Operating, portal: Portal
) -> None:
    portal.routes["/stock.csv"] = Route(STOCK)
    configure_feed(wired, portal.url("/stock.csv"))

    first = poll_supplier_feeds(retry=NO_WAIT)
    not_yet = poll_supplier_feeds(retry=NO_WAIT)
    again = poll_supplier_feeds(force=True, retry=NO_WAIT)

    assert (statuses(first), statuses(not_yet), statuses(again)) == (
        ["accepted"],
        ["not-due"],
        ["duplicate"],
    )
    assert len(list((wired.feeds_dir / "acme-stock").glob("*.csv"))) == 1


def test_a_failing_feed_keeps_its_last_good_data_and_alerts_the_buyers(
    wired: Operating, portal: Portal, engine: Engine, events: list[dict[str, Any]]
) -> None:
    portal.routes["/stock.csv"] = Route(STOCK)
    configure_feed(wired, portal.url("/stock.csv"))
    poll_supplier_feeds(retry=NO_WAIT)
    portal.routes["/stock.csv"] = Route(b"down for maintenance", status=503)

    failed = poll_supplier_feeds(force=True, retry=NO_WAIT)

    assert statuses(failed) == ["failed"]
    assert portal.hits("/stock.csv") == 1 + 3  # the good poll, then a try and two retries
    kept = list((wired.feeds_dir / "acme-stock").glob("*.csv"))
    assert [path.read_bytes() for path in kept] == [STOCK]
    with Session(engine) as session:
        alerts = session.exec(select(OutboxMessage)).all()
    assert [(alert.message_type, alert.recipient) for alert in alerts] == [
        ("feed-failed", "buyers")
    ]
    assert "HTTP 503" in alerts[0].body
    assert [event["event"] for event in events] == ["procure.feed.failed"]
    artifact = Artifact.get("feed-alert-acme-stock")
    assert isinstance(artifact, StoredArtifact)
    assert "HTTP 503" in str(artifact.data)


def test_a_feed_that_is_not_there_is_not_retried(wired: Operating, portal: Portal) -> None:
    configure_feed(wired, portal.url("/gone.csv"))

    failed = poll_supplier_feeds(retry=NO_WAIT)

    assert statuses(failed) == ["failed"]
    assert portal.hits("/gone.csv") == 1


def test_the_auth_header_comes_from_a_prefect_secret_block(
    wired: Operating, portal: Portal
) -> None:
    Secret(value="tok-123").save("acme-portal-token", overwrite=True)
    portal.routes["/stock.csv"] = Route(STOCK, required_headers={"Authorization": "Bearer tok-123"})
    configure_feed(
        wired,
        portal.url("/stock.csv"),
        '[feed.auth]\nprefix = "Bearer "\nsecret = "acme-portal-token"',
    )

    result = poll_supplier_feeds(retry=NO_WAIT)

    assert statuses(result) == ["accepted"]
