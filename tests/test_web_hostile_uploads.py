"""Every hostile supplier file sent through the upload page ends on a clear page, never a 500.

Samples larger than the page's cap are sent cut at just past the cap: the streaming cap
must stop them (a multi-GB body is never built in a test).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from models.db import make_engine, upgrade
from tests.hostile_samples import SAMPLES
from tests.web_pages import PageUnderTest, build_page, sign_in, upload

CAP_MB = 50


def _cases() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.slow) if expectation.slow else name
        for name, (_, expectation) in SAMPLES.items()
    ]


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    # The page's survival does not depend on the database; one backend keeps this suite short.
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'procure.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def page(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> PageUnderTest:
    return build_page(tmp_path_factory.mktemp("home"), sqlite_engine, max_upload_mb=CAP_MB)


def _body(path: Path, cap: int) -> tuple[bytes, bool]:
    """The bytes to send, and whether they pass the cap (cut just past it)."""
    with path.open("rb") as handle:
        data = handle.read(cap + 64 * 1024)
    return data, len(data) > cap


@pytest.mark.parametrize("case", _cases())
def test_a_hostile_file_gets_a_clear_page_never_a_server_error(
    case: str, page: PageUnderTest, tmp_path: Path
) -> None:
    build, expectation = SAMPLES[case]
    path = build(tmp_path)
    content, over_cap = _body(path, CAP_MB * 1024 * 1024)
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)

    status, shown = upload(client, token, content=content, filename=path.name)

    text = html.unescape(shown)
    assert "Traceback" not in text
    assert 'id="outcome"' in shown
    if over_cap:
        assert status == 413
        assert "larger than the limit" in text
    elif expectation.outcome == "rejected":
        assert status == 200
        assert "Rejected" in text
        for words in expectation.mentions:
            assert words.lower() in text.lower(), f"{words!r} not on the page"
    else:
        # Harmless oddities are read; the cells may still fail the kind's checks.
        assert status == 200
        assert "Accepted" in text or "Rejected" in text


def test_the_two_gigabyte_sample_is_stopped_by_the_streaming_cap(
    page: PageUnderTest, tmp_path: Path
) -> None:
    build, _ = SAMPLES["sparse_2gb_csv"]
    path = build(tmp_path)
    content, over_cap = _body(path, CAP_MB * 1024 * 1024)
    assert over_cap
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, _ = upload(client, token, content=content, filename=path.name)
    assert status == 413
