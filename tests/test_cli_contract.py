"""The CLI contract as a script author meets it: one JSON document, exit 2 or 3, never a trace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from procure.cli.app import _register_commands, app

PROCURE = [sys.executable, "-m", "procure"]


def run(*args: str, home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``procure ARGS`` in a fresh process, configured only by the given environment."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PROCURE_HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **settings,
    }
    return subprocess.run(
        [*PROCURE, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def cli(cli_runner: CliRunner) -> CliRunner:
    """The CLI in-process, pointed at the per-test database."""
    return cli_runner


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("PROCURE_AUTO_RELEASE_LIMIT", "abc", "PROCURE_AUTO_RELEASE_LIMIT='abc'"),
        ("PROCURE_TIMEZONE", "Mars/Base", "PROCURE_TIMEZONE='Mars/Base'"),
        ("PROCURE_DATABASE_URL", "not a url", "PROCURE_DATABASE_URL is not a database URL"),
        ("PROCURE_DATABASE_URL", "mysql://buyer@localhost/shop", "SQLite or PostgreSQL only"),
        ("PROCURE_DATABASE_URL", "sqlite:////proc/no-such/procure.db", "cannot connect"),
        ("PROCURE_DATABASE_URL", "postgresql://buyer:hunter2@127.0.0.1:1/shop", "buyer:***@"),
        ("PROCURE_HOME", "/proc/no-such-home", "PROCURE_HOME /proc/no-such-home cannot be used"),
    ],
    ids=["limit", "timezone", "url", "dialect", "sqlite-path", "unreachable", "home"],
)
def test_settings_that_cannot_work_exit_2_with_one_json_document_naming_them(
    tmp_path: Path, setting: str, value: str, named: str
) -> None:
    result = run("fx", "list", "--json", home=tmp_path, **{setting: value})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "rejected"
    assert named in document["error"]
    assert "hunter2" not in result.stdout + result.stderr


def test_a_secret_that_is_not_valid_json_is_refused_without_echoing_it(tmp_path: Path) -> None:
    result = run("fx", "list", home=tmp_path, PROCURE_WEB_API_KEYS="alice:hunter2")
    assert result.returncode == 2
    assert "web_api_keys" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("rate", ["-1", "-0.5"])
def test_a_negative_exchange_rate_is_rejected_as_input_not_as_an_unknown_option(
    cli: CliRunner, engine: Engine, rate: str
) -> None:
    result = cli.invoke(app, ["fx", "set", "EUR", rate, "--json"])
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["error"] == f"rate '{rate}' must be a positive number"
    listed = cli.invoke(app, ["fx", "list", "--json"])
    assert json.loads(listed.stdout) == []


def test_an_unknown_option_after_a_rate_is_still_a_usage_error(
    cli: CliRunner, engine: Engine
) -> None:
    result = cli.invoke(app, ["fx", "set", "EUR", "1.1", "--jsn"])
    assert result.exit_code == 2
    listed = cli.invoke(app, ["fx", "list", "--json"])
    assert json.loads(listed.stdout) == []


def test_registering_the_commands_again_leaves_one_of_each() -> None:
    _register_commands()
    before = [info.name for info in app.registered_commands + app.registered_groups]
    _register_commands()
    after = [info.name for info in app.registered_commands + app.registered_groups]
    assert after == before


def test_etas_show_a_table_a_buyer_can_read(cli: CliRunner, engine: Engine) -> None:
    from datetime import date

    from models.db import session_scope
    from tests import factories

    with session_scope(engine) as session:
        factories.stock(session, "KET-1", 5)
        factories.backorder(session, "SO-7", "KET-1", 2, date(2026, 12, 1), line_id="SO-7-1")
        factories.backorder(session, "SO-8", "MUG-2", 1, date(2026, 12, 1), line_id="SO-8-1")
    result = cli.invoke(app, ["etas", "--as-of", "2026-12-02"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Customer ETAs as of 2026-12-02" in result.output
    rows = {
        line.split("│")[1].strip(): line for line in result.output.splitlines() if "│ SO-" in line
    }
    assert "stock" in rows["SO-7"]
    assert "no date" in rows["SO-8"]
    assert "not covered" in rows["SO-8"]
