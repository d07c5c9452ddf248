"""How commands print: one JSON document with ``--json``, Rich tables otherwise."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from purchasing.errors import ConfigurationError, FileRejected, InputRejected, RuleViolation

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_REJECTED = 3

console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Money goes out as a string so no digit is lost to binary floating point.
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(document: Any) -> str:
    return json.dumps(document, default=_default, indent=2, ensure_ascii=False)


def print_json(document: Any) -> None:
    sys.stdout.write(to_json(document) + "\n")
    sys.stdout.flush()


def fail(error: Exception, *, as_json: bool, extra: dict[str, Any] | None = None) -> NoReturn:
    """Report a refused input or action and exit with the contract's code."""
    if not isinstance(error, InputRejected | RuleViolation | ConfigurationError):
        raise error
    raise typer.Exit(report_refusal(error, as_json=as_json, extra=extra))


def report_refusal(
    error: InputRejected | RuleViolation | ConfigurationError,
    *,
    as_json: bool,
    extra: dict[str, Any] | None = None,
) -> int:
    """Print why input or settings were refused (JSON on stdout too) and return the exit code."""
    code = EXIT_USAGE if isinstance(error, ConfigurationError) else EXIT_REJECTED
    if as_json:
        document: dict[str, Any] = {"status": "rejected", "error": str(error)}
        if isinstance(error, FileRejected):
            document["errors"] = [cell.as_dict() for cell in error.errors[:1000]]
            document["error_count"] = len(error.errors)
        document.update(extra or {})
        print_json(document)
    err_console.print(f"[bold red]error:[/] {error}", highlight=False)
    return code
