"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and an isolated home.

PostgreSQL tests use ``PROCURE_TEST_POSTGRES_URL`` (a database the tests may wipe). When it
is unset they are skipped with that reason; CI sets it and runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from models.db import make_engine, upgrade

POSTGRES_URL_VAR = "PROCURE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "procure.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    # Closing the last connection checkpoints the WAL into the file, so a plain copy is whole.
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = os.environ.get(POSTGRES_URL_VAR)
    if not url and os.environ.get("PROCURE_REQUIRE_POSTGRES"):
        pytest.fail(f"{POSTGRES_URL_VAR} is required here (PROCURE_REQUIRE_POSTGRES is set)")
    if not url:
        pytest.skip(f"{POSTGRES_URL_VAR} is not set: PostgreSQL tests skipped")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "procure.db"
        shutil.copy(sqlite_template, path)
        sqlite_engine = make_engine(f"sqlite:///{path}")
        yield sqlite_engine
        sqlite_engine.dispose()
    else:
        pg_engine: Engine = request.getfixturevalue("postgres_engine")
        _truncate_all(pg_engine)
        yield pg_engine


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of the per-test database, for code that builds its own engine (CLI, flows)."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def procure_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An isolated PROCURE_HOME with settings rebuilt for it."""
    from procure.settings import get_settings

    home = tmp_path / "home"
    monkeypatch.setenv("PROCURE_HOME", str(home))
    monkeypatch.delenv("PROCURE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (never nest harnesses)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def cli_runner(
    procure_home: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """The CLI in-process, its settings pointed at the per-test database."""
    from procure.cli.app import _register_commands
    from procure.settings import get_settings

    _register_commands()
    monkeypatch.setenv("PROCURE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
