"""Supplier feeds: the feeds file, fetching from a real local portal, schedules, kept payloads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from purchasing.errors import ConfigurationError, FeedUnavailable
from supplier_feeds.feeds import (
    Feed,
    FeedAuth,
    FeedState,
    LiveFeedClient,
    Payload,
    SnapshotFeedClient,
    is_due,
    keep_payload,
    load_feeds,
    read_state,
    suffix_for,
    write_state,
)
from tests.feed_server import Portal, Route, supplier_portal

STOCK = b"sku,available_qty\nA-1,5\n"


@pytest.fixture
def portal() -> Iterator[Portal]:
    with supplier_portal() as running:
        yield running


def feed(url: str = "http://127.0.0.1:1/stock.csv", **fields: object) -> Feed:
    values: dict[str, object] = {
        "name": "acme-stock",
        "url": url,
        "kind": "stock",
        "schedule": "*/30 * * * *",
        "timeout_seconds": 5.0,
    }
    values.update(fields)
    return Feed(**values)  # type: ignore[arg-type] # a test builder over the dataclass


def write_feeds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_FEED = """
timezone = "Europe/London"
[[feed]]
name = "acme-stock"
url = "https://portal.acme.example/stock.csv?token=abc"
kind = "stock"
supplier = "Acme Ltd"
schedule = "0 6 * * *"
[feed.auth]
header = "X-Api-Key"
env = "ACME_TOKEN"
"""


def test_a_feeds_file_lists_each_endpoint_with_its_kind_and_schedule(tmp_path: Path) -> None:
    (only,) = load_feeds(write_feeds(tmp_path, GOOD_FEED))

    assert (only.name, only.kind, only.supplier, only.schedule, only.timezone) == (
        "acme-stock",
        "stock",
        "Acme Ltd",
        "0 6 * * *",
        "Europe/London",
    )
    assert only.auth == FeedAuth(header="X-Api-Key", env="ACME_TOKEN")
    assert only.safe_url == "https://portal.acme.example/stock.csv"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('name = "acme-stock"', 'name = "Acme Stock"'), "lowercase"),
        (("https://portal", "ftp://portal"), "http"),
        (('kind = "stock"', 'kind = "invoices"'), "kind 'invoices'"),
        (('schedule = "0 6 * * *"', 'schedule = "every day"'), "not cron"),
        (('env = "ACME_TOKEN"', 'colour = "red"'), "unknown auth key"),
        (('timezone = "Europe/London"', 'timezone = "Mars/Olympus"'), "IANA"),
        (('supplier = "Acme Ltd"', 'profile = "missing.toml"'), "does not exist"),
        (('supplier = "Acme Ltd"', "max_mb = -1"), "max_mb"),
    ],
)
def test_a_bad_feeds_file_is_refused_naming_the_feed_and_key(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    path = write_feeds(tmp_path, GOOD_FEED.replace(*change))

    with pytest.raises(ConfigurationError, match=complaint):
        load_feeds(path)


def test_two_feeds_of_the_same_name_are_refused(tmp_path: Path) -> None:
    path = write_feeds(tmp_path, GOOD_FEED + GOOD_FEED.split("\n", 2)[2])

    with pytest.raises(ConfigurationError, match="used twice"):
        load_feeds(path)


def test_a_missing_feeds_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_feeds(tmp_path / "nowhere.toml")


def test_the_live_client_fetches_the_bytes_with_the_auth_header(portal: Portal) -> None:
    portal.routes["/stock.csv"] = Route(STOCK, required_headers={"X-Api-Key": "s3cret"})

    payload = LiveFeedClient().fetch(feed(portal.url("/stock.csv")), {"X-Api-Key": "s3cret"})

    assert payload == Payload(STOCK, "text/csv")


@pytest.mark.parametrize(
    ("status", "transient"), [(404, False), (401, False), (503, True), (500, True), (429, True)]
)
def test_an_error_answer_is_unavailable_and_only_server_trouble_is_worth_a_retry(
    portal: Portal, status: int, transient: bool
) -> None:
    portal.routes["/stock.csv"] = Route(b"no", status=status)

    with pytest.raises(FeedUnavailable, match=f"HTTP {status}") as raised:
        LiveFeedClient().fetch(feed(portal.url("/stock.csv")), {})

    assert raised.value.transient is transient


def test_a_portal_that_does_not_answer_in_time_is_unavailable(portal: Portal) -> None:
    portal.routes["/slow.csv"] = Route(STOCK, delay_seconds=1.0)

    with pytest.raises(FeedUnavailable, match=r"did not answer within 0\.2 s"):
        LiveFeedClient().fetch(feed(portal.url("/slow.csv"), timeout_seconds=0.2), {})


def test_a_closed_port_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(FeedUnavailable, match="could not be fetched"):
        LiveFeedClient().fetch(feed("http://127.0.0.1:9/stock.csv"), {})


@pytest.mark.parametrize("chunked", [False, True])
def test_a_payload_over_the_size_cap_is_refused_while_streaming(
    portal: Portal, chunked: bool
) -> None:
    portal.routes["/huge.csv"] = Route(b"x" * (3 << 20), chunked=chunked)

    with pytest.raises(FeedUnavailable, match="more than 1 MB") as raised:
        LiveFeedClient().fetch(feed(portal.url("/huge.csv"), max_bytes=1 << 20), {})

    assert raised.value.transient is False


def test_the_snapshot_client_serves_the_feed_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "acme-stock.csv").write_bytes(STOCK)

    assert SnapshotFeedClient(tmp_path).fetch(feed(), {}).content == STOCK


def test_a_missing_snapshot_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(FeedUnavailable, match="no snapshot"):
        SnapshotFeedClient(tmp_path).fetch(feed(), {})


def test_the_same_bytes_are_kept_once_under_the_same_name(tmp_path: Path) -> None:
    first = keep_payload(tmp_path, feed(), Payload(STOCK))
    again = keep_payload(tmp_path, feed(), Payload(STOCK))
    other = keep_payload(tmp_path, feed(), Payload(STOCK + b"B-2,1\n"))

    assert first == again != other
    assert sorted(path.name for path in (tmp_path / "acme-stock").iterdir()) == sorted(
        [first.name, other.name]
    )


@pytest.mark.parametrize(
    ("url", "fmt", "payload", "suffix"),
    [
        ("http://x/stock.xlsx", None, Payload(b"PK\x03\x04"), ".xlsx"),
        ("http://x/stock", "csv", Payload(b"PK\x03\x04"), ".csv"),
        ("http://x/api/stock", None, Payload(b"a,b", "text/csv; charset=utf-8"), ".csv"),
        ("http://x/api/stock", None, Payload(b"PK\x03\x04rest"), ".xlsx"),
        ("http://x/api/stock", None, Payload(b"sku;qty"), ".csv"),
    ],
)
def test_the_kept_file_gets_the_extension_the_ingest_needs(
    url: str, fmt: str | None, payload: Payload, suffix: str
) -> None:
    assert suffix_for(feed(url, format=fmt), payload) == suffix


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "last", "now", "due"),
    [
        ("*/30 * * * *", None, "2025-03-04T09:00:00", True),
        ("*/30 * * * *", "2025-03-04T09:00:00", "2025-03-04T09:20:00", False),
        ("*/30 * * * *", "2025-03-04T09:00:00", "2025-03-04T09:30:00", True),
        ("0 6 * * *", "2025-03-04T06:00:00", "2025-03-05T05:59:00", False),
        ("0 6 * * *", "2025-03-01T06:00:00", "2025-03-05T07:00:00", True),
    ],
)
def test_a_feed_is_due_once_a_scheduled_time_has_passed_since_the_last_attempt(
    schedule: str, last: str | None, now: str, due: bool
) -> None:
    state = FeedState(last_attempt=at(last).isoformat() if last else None)

    assert is_due(feed(schedule=schedule), state, at(now)) is due


def test_a_schedule_in_london_follows_summer_time() -> None:
    london = feed(schedule="0 6 * * *", timezone="Europe/London")
    # 06:00 in London is 05:00 UTC in summer.
    state = FeedState(last_attempt=at("2025-07-01T05:30:00").isoformat())

    assert is_due(london, state, at("2025-07-02T04:59:00")) is False
    assert is_due(london, state, at("2025-07-02T05:00:00")) is True


def test_the_feed_state_survives_between_polls(tmp_path: Path) -> None:
    state = FeedState(last_attempt="2025-03-04T09:00:00+00:00", last_status="accepted")

    write_state(tmp_path, feed(), state)

    assert read_state(tmp_path, feed()) == state
