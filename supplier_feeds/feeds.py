"""Supplier feeds: HTTP(S) endpoints that publish stock, prices or confirmations as files.

A TOML file lists the feeds::

    timezone = "Europe/London"          # for every feed's schedule (default UTC)

    [[feed]]
    name = "acme-stock"                 # lowercase letters, digits and dashes
    url = "https://portal.acme.example/stock.csv"
    kind = "stock"
    supplier = "Acme Ltd"               # optional
    profile = "profiles/acme.toml"      # optional, relative to this file
    schedule = "*/30 * * * *"           # cron; the feed is fetched when a time has passed
    format = "csv"                      # optional: csv or xlsx (default: from the URL)
    timeout_seconds = 30                # optional
    max_mb = 50                         # optional: a bigger payload is refused while streaming
    [feed.auth]                         # optional
    header = "Authorization"
    prefix = "Bearer "
    env = "ACME_TOKEN"                  # the value comes from this environment variable,
    # secret = "acme-portal-token"      # or from this Prefect Secret block (read by the flow)

A feed client fetches the bytes: :class:`LiveFeedClient` over the network, or
:class:`SnapshotFeedClient` from files in a folder (tests, demos). Each distinct payload is
kept under the feeds folder by fingerprint, so the same bytes map to the same file (and the
ingest calls them a duplicate) and nothing a feed ever returned is deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from cronsim import CronSim, CronSimError

from purchasing.errors import ConfigurationError, FeedUnavailable
from supplier_feeds.columns import KINDS

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
FORMATS = {"csv": ".csv", "xlsx": ".xlsx"}
CONTENT_TYPES = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_MB = 50
FEED_KEYS = frozenset(
    {
        "name",
        "url",
        "kind",
        "supplier",
        "profile",
        "schedule",
        "format",
        "timeout_seconds",
        "max_mb",
        "auth",
    }
)
AUTH_KEYS = frozenset({"header", "prefix", "env", "secret"})
# HTTP answers worth asking again for: the supplier's portal is busy or briefly down.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FeedAuth:
    """An auth header whose value comes from the environment or a named secret."""

    header: str = "Authorization"
    prefix: str = ""
    env: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Feed:
    """One supplier endpoint and how to ingest what it returns."""

    name: str
    url: str
    kind: str
    schedule: str
    timezone: str = "UTC"
    supplier: str | None = None
    profile: Path | None = None
    format: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = DEFAULT_MAX_MB << 20
    auth: FeedAuth | None = None

    @property
    def safe_url(self) -> str:
        """The URL without its query string or user info (they may carry tokens)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


@dataclass(frozen=True)
class Payload:
    """What a feed returned."""

    content: bytes
    content_type: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class FeedClient(Protocol):
    """Fetches one feed; raises :class:`FeedUnavailable` when it cannot."""

    def fetch(self, feed: Feed, headers: Mapping[str, str]) -> Payload: ...


class LiveFeedClient:
    """Fetches over HTTP(S) with the feed's timeout, refusing payloads over its size cap."""

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.transport = transport

    def fetch(self, feed: Feed, headers: Mapping[str, str]) -> Payload:
        timeout = httpx.Timeout(feed.timeout_seconds)
        try:
            with (
                httpx.Client(
                    timeout=timeout,
                    follow_redirects=True,
                    max_redirects=5,
                    transport=self.transport,
                ) as client,
                client.stream("GET", feed.url, headers=dict(headers)) as response,
            ):
                if response.status_code != 200:
                    raise FeedUnavailable(
                        f"feed {feed.name}: {feed.safe_url} answered HTTP {response.status_code}",
                        transient=response.status_code in TRANSIENT_STATUSES,
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > feed.max_bytes:
                    raise _too_large(feed)
                content = bytearray()
                for chunk in response.iter_bytes():
                    content.extend(chunk)
                    # Checked while streaming: a lying or absent content-length cannot fill memory.
                    if len(content) > feed.max_bytes:
                        raise _too_large(feed)
                content_type = response.headers.get("content-type")
        except httpx.TimeoutException:
            raise FeedUnavailable(
                f"feed {feed.name}: {feed.safe_url} did not answer within "
                f"{feed.timeout_seconds:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise FeedUnavailable(
                f"feed {feed.name}: {feed.safe_url} could not be fetched "
                f"({type(error).__name__}: {error})"
            ) from None
        return Payload(bytes(content), content_type)


def _too_large(feed: Feed) -> FeedUnavailable:
    return FeedUnavailable(
        f"feed {feed.name}: {feed.safe_url} returned more than "
        f"{feed.max_bytes / (1 << 20):g} MB; refused",
        transient=False,
    )


class SnapshotFeedClient:
    """Serves each feed from ``<folder>/<feed name>.<csv|xlsx>`` (tests, demos, replays)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def fetch(self, feed: Feed, headers: Mapping[str, str]) -> Payload:
        for suffix in FORMATS.values():
            path = self.folder / f"{feed.name}{suffix}"
            if path.is_file():
                content = path.read_bytes()
                if len(content) > feed.max_bytes:
                    raise _too_large(feed)
                return Payload(content)
        raise FeedUnavailable(
            f"feed {feed.name}: no snapshot {feed.name}.csv or .xlsx in {self.folder}",
            transient=False,
        )


def load_feeds(path: Path) -> list[Feed]:
    """Read and check the feeds file; any problem names the feed and the key."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"feeds file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"feeds file {path}: cannot be read ({error})") from None
    unknown = sorted(set(document) - {"timezone", "feed"})
    if unknown:
        raise ConfigurationError(f"feeds file {path}: unknown key(s) {', '.join(unknown)}")
    timezone = _timezone(document.get("timezone", "UTC"), f"feeds file {path}")
    entries = document.get("feed", [])
    if not isinstance(entries, list):
        raise ConfigurationError(f"feeds file {path}: use [[feed]] tables")
    feeds = [_feed(entry, index, path, timezone) for index, entry in enumerate(entries, 1)]
    names = [feed.name for feed in feeds]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigurationError(f"feeds file {path}: feed name(s) used twice: {duplicates}")
    return feeds


def _feed(entry: Any, index: int, path: Path, timezone: str) -> Feed:
    where = f"feeds file {path}, feed #{index}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: not a table")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ConfigurationError(f"{where}: name must be lowercase letters, digits and dashes")
    where = f"feeds file {path}, feed {name!r}"
    unknown = sorted(set(entry) - FEED_KEYS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)}")
    url = _text(entry, "url", where)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigurationError(f"{where}: url must be an http:// or https:// address")
    kind = _text(entry, "kind", where)
    if kind not in KINDS:
        raise ConfigurationError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    schedule = _text(entry, "schedule", where)
    try:
        CronSim(schedule, datetime.now(UTC))
    except CronSimError as error:
        raise ConfigurationError(f"{where}: schedule {schedule!r} is not cron ({error})") from None
    fmt = entry.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise ConfigurationError(f"{where}: format must be one of {', '.join(FORMATS)}")
    profile = entry.get("profile")
    profile_path = (path.parent / _text(entry, "profile", where)).resolve() if profile else None
    if profile_path is not None and not profile_path.is_file():
        raise ConfigurationError(f"{where}: profile {profile_path} does not exist")
    return Feed(
        name=name,
        url=url,
        kind=kind,
        schedule=schedule,
        timezone=timezone,
        supplier=_text(entry, "supplier", where) if "supplier" in entry else None,
        profile=profile_path,
        format=fmt,
        timeout_seconds=_positive(entry, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, where),
        max_bytes=int(_positive(entry, "max_mb", DEFAULT_MAX_MB, where) * (1 << 20)),
        auth=_auth(entry.get("auth"), where),
    )


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}: {key} must be non-empty text")
    return value.strip()


def _positive(entry: dict[str, Any], key: str, default: float, where: str) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{where}: {key} must be a positive number")
    return float(value)


def _timezone(name: Any, where: str) -> str:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"{where}: timezone {name!r} is not an IANA zone") from None
    return str(name)


def _auth(table: Any, where: str) -> FeedAuth | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: auth must be a table")
    unknown = sorted(set(table) - AUTH_KEYS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown auth key(s) {', '.join(unknown)}")
    sources = [key for key in ("env", "secret") if table.get(key)]
    if len(sources) != 1:
        raise ConfigurationError(f"{where}: auth needs exactly one of env or secret")
    return FeedAuth(
        header=str(table.get("header", "Authorization")),
        prefix=str(table.get("prefix", "")),
        env=str(table["env"]) if table.get("env") else None,
        secret=str(table["secret"]) if table.get("secret") else None,
    )


def auth_from_environment(auth: FeedAuth) -> str:
    """The header value from the environment variable the feed names."""
    assert auth.env is not None
    value = os.environ.get(auth.env)
    if not value:
        raise FeedUnavailable(
            f"the environment variable {auth.env} (auth of this feed) is not set", transient=False
        )
    return value


# --- when a feed is due, and what it last returned --------------------------------------


@dataclass
class FeedState:
    """What procure remembers of one feed between polls (kept beside its payloads)."""

    last_attempt: str | None = None
    last_success: str | None = None
    last_sha256: str | None = None
    last_file: str | None = None
    last_status: str | None = None
    failing_since: str | None = None


def feed_folder(feeds_dir: Path, feed: Feed) -> Path:
    return feeds_dir / feed.name


def read_state(feeds_dir: Path, feed: Feed) -> FeedState:
    path = feed_folder(feeds_dir, feed) / "state.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return FeedState()
    known = {key: document.get(key) for key in FeedState.__dataclass_fields__}
    return FeedState(**known)


def write_state(feeds_dir: Path, feed: Feed, state: FeedState) -> None:
    folder = feed_folder(feeds_dir, feed)
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".state-{uuid.uuid4().hex[:8]}.json"
    staging.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    os.replace(staging, folder / "state.json")


def is_due(feed: Feed, state: FeedState, now: datetime) -> bool:
    """Due when a scheduled time has passed since the last attempt (or never attempted)."""
    if state.last_attempt is None:
        return True
    last = datetime.fromisoformat(state.last_attempt).astimezone(ZoneInfo(feed.timezone))
    # Times missed during an outage collapse into one fetch: only the next time matters.
    upcoming = next(iter(CronSim(feed.schedule, last)))
    return upcoming <= now.astimezone(ZoneInfo(feed.timezone))


def suffix_for(feed: Feed, payload: Payload) -> str:
    """The file extension the ingest should see: configured, from the URL, or the content type."""
    if feed.format:
        return FORMATS[feed.format]
    url_suffix = Path(urlsplit(feed.url).path).suffix.lower()
    if url_suffix in FORMATS.values():
        return url_suffix
    content_type = (payload.content_type or "").split(";")[0].strip().lower()
    if content_type in CONTENT_TYPES:
        return CONTENT_TYPES[content_type]
    # An xlsx is a zip; anything else is treated as delimited text.
    return ".xlsx" if payload.content.startswith(b"PK\x03\x04") else ".csv"


def keep_payload(feeds_dir: Path, feed: Feed, payload: Payload) -> Path:
    """Store the payload by fingerprint (the same bytes → the same file); never deletes."""
    folder = feed_folder(feeds_dir, feed)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = payload.sha256[:16]
    target = folder / f"{feed.name}-{stamp}{suffix_for(feed, payload)}"
    if not target.exists():
        staging = folder / f".{target.name}.{uuid.uuid4().hex[:8]}"
        staging.write_bytes(payload.content)
        os.replace(staging, target)
    return target
