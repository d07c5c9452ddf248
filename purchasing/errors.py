"""The one place procure's exceptions are defined.

    ProcureError                  base of everything procure raises on purpose
    ├── InputRejected             a buyer's input cannot be accepted (exit code 3)
    │   ├── FileRejected          a supplier file failed checks; carries the cell errors
    │   ├── ProfileError          a profile file is malformed or names unknown columns
    │   └── UnknownRecord         a PO, supplier or SKU named in input does not exist
    ├── RuleViolation             a requested action breaks a business rule (exit code 3)
    ├── FeedUnavailable           a supplier feed could not be fetched (kept: last good data)
    └── ConfigurationError        settings are missing or contradictory (exit code 2)

The CLI maps them to exit codes; flows turn them into failed states with a message,
or, for rejected files, into a normal "rejected" result.
"""

from __future__ import annotations

from dataclasses import dataclass


class ProcureError(Exception):
    """Base class for errors procure raises deliberately."""


class InputRejected(ProcureError):
    """Input from a buyer or supplier that procure refuses; nothing was written."""


@dataclass(frozen=True)
class CellError:
    """One bad cell, located the way a buyer sees it in Excel (1-based row)."""

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


class FileRejected(InputRejected):
    """A supplier file that failed its checks, with every bad cell found."""

    def __init__(self, message: str, errors: list[CellError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class ProfileError(InputRejected):
    """A profile that cannot be used (bad TOML, unknown kind, unknown canonical column)."""


class UnknownRecord(InputRejected):
    """Input names a supplier, SKU or PO that procure does not know."""


class RuleViolation(ProcureError):
    """An action that would break a business rule (e.g. approving your own PO)."""


class FeedUnavailable(ProcureError):
    """A supplier feed that could not be fetched; ``transient`` failures are worth a retry."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class ConfigurationError(ProcureError):
    """Settings that cannot work (e.g. a public host without a secret)."""
