"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine


def utcnow() -> datetime:
    """Timezone-aware timestamp for bookkeeping columns (never used for business dates)."""
    return datetime.now(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact decimal amount.

    PostgreSQL stores NUMERIC(18, 6); SQLite has no exact decimal type, so the value
    is stored as canonical text there and comes back as the same ``Decimal``.
    """

    impl = Numeric(18, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 6, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if dialect.name == "sqlite":
            return format(amount.normalize(), "f")
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def key(row: _Keyed) -> int:
    """The primary key of a row that has been flushed (an unflushed row is a programming error)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id
