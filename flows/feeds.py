"""The ``poll-supplier-feeds`` flow: fetch each due feed, ingest what changed, alert on failure.

Only the fetch is retried (with exponential backoff): ingesting is idempotent by fingerprint,
and a feed that still fails keeps its last good data (nothing is deleted) and raises an alert
the buyers see three ways: a markdown artifact, a ``procure.feed.failed`` event and an
outbox message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.events import emit_event
from pydantic import BaseModel, ConfigDict, Field

from flows.ingest import ingest_supplier_file
from flows.operating import operating
from flows.scheduling import skipped, started_too_late
from flows.wiring import flow_runtime
from purchasing.errors import FeedUnavailable
from services.buyer_alerts import FEED_FAILED, BuyerAlert, alert_buyers
from supplier_feeds.feeds import (
    Feed,
    FeedClient,
    FeedState,
    LiveFeedClient,
    Payload,
    SnapshotFeedClient,
    auth_from_environment,
    is_due,
    keep_payload,
    load_feeds,
    read_state,
    write_state,
)

FEED_FAILED_EVENT = "procure.feed.failed"


class RetryPolicy(BaseModel):
    """How often a failing fetch is tried again, and how long to wait (it doubles each time)."""

    model_config = ConfigDict(frozen=True)

    retries: int = Field(default=3, ge=0, le=10, description="tries after the first")
    first_delay_seconds: float = Field(default=5.0, ge=0, le=600)
    backoff_factor: float = Field(default=2.0, ge=1, le=10)

    def delays(self) -> list[float]:
        return [self.first_delay_seconds * self.backoff_factor**n for n in range(self.retries)]


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class FeedOutcome:
    """What became of one feed in this poll."""

    feed: str
    status: str  # accepted | duplicate | rejected | failed | not-due
    message: str
    file: str | None = None
    report: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "status": self.status,
            "message": self.message,
            "file": self.file or "",
            "report": self.report or "",
        }


def feeds_run_name() -> str:
    """'supplier feeds 2025-03-04 09:15 UTC'."""
    return f"supplier feeds {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


def feed_client() -> FeedClient:
    """Snapshots when the installation names a snapshot folder (tests, demos), else the network."""
    snapshots = operating().feed_snapshots
    return SnapshotFeedClient(snapshots) if snapshots else LiveFeedClient()


def auth_headers(feed: Feed) -> dict[str, str]:
    """The feed's auth header, its value read from a Prefect Secret block or the environment."""
    if feed.auth is None:
        return {}
    if feed.auth.secret:
        from prefect.blocks.system import Secret

        try:
            secret: Secret[str] = Secret.load(feed.auth.secret)  # type: ignore[assignment] # sync here; stubs show both
        except ValueError:
            raise FeedUnavailable(
                f"the Prefect Secret block {feed.auth.secret!r} (auth of feed {feed.name}) "
                "does not exist",
                transient=False,
            ) from None
        value = str(secret.get())
    else:
        value = auth_from_environment(feed.auth)
    return {feed.auth.header: feed.auth.prefix + value}


def _transient_only(_task: Any, _run: TaskRun, state: State[Any]) -> bool:
    """Retry timeouts, refused connections and 5xx; a 404 or a bad secret will not heal."""
    try:
        state.result()
    except FeedUnavailable as error:
        return error.transient
    except Exception:
        return True
    return False


@task(name="fetch-feed", task_run_name="fetch {feed.name}", cache_policy=NO_CACHE)
def fetch_feed(feed: Feed, client: FeedClient) -> Payload:
    """One fetch of one feed (the only step that is retried)."""
    return client.fetch(feed, auth_headers(feed))


@flow(name="poll-supplier-feeds", flow_run_name=feeds_run_name)
def poll_supplier_feeds(
    config_path: str | None = None,
    only: list[str] | None = None,
    force: bool = False,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> dict[str, Any] | State[Any]:
    """Fetch every feed that is due (or ``only`` these, ``force`` ignoring schedules)."""
    settings = operating()
    if started_too_late(settings.poll_max_delay):
        return skipped()
    logger = get_run_logger()
    feeds = load_feeds(Path(config_path) if config_path else settings.feeds_config)
    if only:
        unknown = sorted(set(only) - {feed.name for feed in feeds})
        if unknown:
            raise ValueError(f"no such feed(s) in the feeds file: {', '.join(unknown)}")
        feeds = [feed for feed in feeds if feed.name in only]
    client = feed_client()
    now = datetime.now(UTC)
    outcomes: list[FeedOutcome] = []
    for feed in feeds:
        state = read_state(settings.feeds_dir, feed)
        if not force and not is_due(feed, state, now):
            outcomes.append(FeedOutcome(feed.name, "not-due", "next scheduled time not reached"))
            continue
        outcome = poll_feed(feed, state, client, retry)
        outcomes.append(outcome)
        log = logger.error if outcome.status in ("failed", "rejected") else logger.info
        log("feed %s: %s — %s", feed.name, outcome.status, outcome.message)
    _summary(outcomes)
    return {"feeds": [outcome.as_dict() for outcome in outcomes]}


def poll_feed(feed: Feed, state: FeedState, client: FeedClient, policy: RetryPolicy) -> FeedOutcome:
    """Fetch, keep and ingest one feed; on failure keep the last good data and alert."""
    settings = operating()
    attempt = datetime.now(UTC).isoformat()
    fetch = fetch_feed.with_options(
        retries=policy.retries,
        retry_delay_seconds=policy.delays(),
        retry_condition_fn=_transient_only,
    )
    fetched = fetch(feed, client, return_state=True)
    try:
        payload: Payload = fetched.result()
    except FeedUnavailable as error:
        return _failed(feed, state, attempt, "fetch-failed", str(error))
    except Exception as error:
        return _failed(feed, state, attempt, "fetch-failed", f"{type(error).__name__}: {error}")

    path = keep_payload(settings.feeds_dir, feed, payload)
    result = ingest_supplier_file(
        path=str(path),
        kind=feed.kind,
        supplier=feed.supplier,
        profile=str(feed.profile) if feed.profile else None,
        uploaded_by=f"feed:{feed.name}",
    )
    if result.status == "rejected":
        _failed(feed, state, attempt, "rejected", result.message)
        return FeedOutcome(feed.name, "rejected", result.message, str(path), result.report)
    if state.failing_since:
        get_run_logger().info(
            "feed %s recovered (failing since %s)", feed.name, state.failing_since
        )
    state.last_attempt = state.last_success = attempt
    state.last_sha256, state.last_file, state.last_status = payload.sha256, str(path), result.status
    state.failing_since = None
    write_state(settings.feeds_dir, feed, state)
    return FeedOutcome(feed.name, result.status, result.message, str(path))


def _failed(
    feed: Feed,
    state: FeedState,
    attempt: str,
    reason: str,
    detail: str,
) -> FeedOutcome:
    """Record the failure (the last good payload stays as it was) and raise the alert."""
    settings = operating()
    state.last_attempt = attempt
    state.last_status = reason
    state.failing_since = state.failing_since or attempt
    write_state(settings.feeds_dir, feed, state)
    raise_feed_alert(feed, state, reason, detail)
    return FeedOutcome(feed.name, "failed", detail)


def raise_feed_alert(feed: Feed, state: FeedState, reason: str, detail: str) -> None:
    """A markdown artifact, a ``procure.feed.failed`` event and one outbox message a day."""
    last_good = state.last_success or "never"
    create_markdown_artifact(
        key=f"feed-alert-{feed.name}",
        markdown=(
            f"# Feed {feed.name} failed\n\n"
            f"- reason: **{reason}**\n- detail: {_md(detail)}\n"
            f"- address: `{feed.safe_url}`\n- failing since: {state.failing_since}\n"
            f"- last good data: {last_good} (`{state.last_file or 'none'}`), kept as it was\n"
        ),
        description=f"feed {feed.name} failed: {reason}",
    )
    emit_event(
        event=FEED_FAILED_EVENT,
        resource={
            "prefect.resource.id": f"procure.feed.{feed.name}",
            "prefect.resource.name": feed.name,
            "procure.feed.kind": feed.kind,
        },
        payload={
            "reason": reason,
            "detail": detail,
            "url": feed.safe_url,
            "failing_since": state.failing_since,
            "last_success": state.last_success,
        },
    )
    day = datetime.now(UTC).date().isoformat()
    alert_buyers(
        flow_runtime().engine(),
        BuyerAlert(
            message_type=FEED_FAILED,
            # One message per feed per day: a feed polled every few minutes must not flood.
            dedupe_key=f"{FEED_FAILED}:{feed.name}:{day}",
            subject=f"Supplier feed {feed.name} failed ({reason})",
            body=(
                f"procure could not use the supplier feed {feed.name} ({feed.safe_url}): "
                f"{detail}\n\nThe last good data ({last_good}) is still in use; nothing was "
                "deleted. procure keeps trying on the feed's schedule."
            ),
            payload={"feed": feed.name, "reason": reason, "detail": detail},
        ),
        recipient=operating().buyers_address,
    )


def _summary(outcomes: list[FeedOutcome]) -> None:
    if not outcomes:
        return
    create_table_artifact(
        key="supplier-feeds",
        table=[outcome.as_dict() for outcome in outcomes],
        description="supplier feeds polled",
    )


def _md(text: str) -> str:
    return "".join("\\" + char if char in "\\`*_[]<>|#" else char for char in text)
