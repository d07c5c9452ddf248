"""Exchange rates to the base currency: set by a buyer, dated, exact decimals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models import ExchangeRate
from purchasing.errors import InputRejected

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Money columns keep six decimal places; a rate with more would be silently rounded.
_MAX_PLACES = 6


@dataclass(frozen=True)
class RateEntry:
    """How many base-currency units one unit of a currency is worth, from a date."""

    currency: str
    rate_to_base: Decimal
    valid_from: date
    base_currency: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "rate": str(self.rate_to_base),
            "valid_from": self.valid_from.isoformat(),
            "base_currency": self.base_currency,
        }


def parse_currency(text: str) -> str:
    """A three-letter ISO currency code (``eur`` becomes ``EUR``)."""
    code = text.strip().upper()
    if not _CURRENCY.match(code):
        raise InputRejected(f"currency {text!r} is not a three-letter code such as EUR")
    return code


def parse_rate(text: str) -> Decimal:
    """A positive decimal rate, read exactly (never through a float)."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise InputRejected(f"rate {text!r} is not a number") from None
    if not rate.is_finite() or rate <= 0:
        raise InputRejected(f"rate {text!r} must be a positive number")
    exponent = rate.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _MAX_PLACES:
        raise InputRejected(f"rate {text!r} has more than {_MAX_PLACES} decimal places")
    return rate


def set_rate(
    session: Session, currency: str, rate: str, *, valid_from: date, base_currency: str
) -> RateEntry:
    """Record (or correct) the rate of ``currency`` from ``valid_from`` on."""
    code = parse_currency(currency)
    base = parse_currency(base_currency)
    if code == base:
        raise InputRejected(f"{code} is the base currency: its rate is always 1")
    value = parse_rate(rate)
    found = session.execute(
        select(ExchangeRate).where(
            col(ExchangeRate.currency) == code, col(ExchangeRate.valid_from) == valid_from
        )
    ).scalar_one_or_none()
    if found is None:
        found = ExchangeRate(currency=code, rate_to_base=value, valid_from=valid_from)
    else:
        found.rate_to_base = value
    session.add(found)
    session.flush()
    return RateEntry(code, value, valid_from, base)


def list_rates(session: Session, *, base_currency: str) -> list[RateEntry]:
    """Every rate on record, by currency and date."""
    rows = session.execute(
        select(ExchangeRate).order_by(col(ExchangeRate.currency), col(ExchangeRate.valid_from))
    ).scalars()
    return [RateEntry(r.currency, r.rate_to_base, r.valid_from, base_currency) for r in rows]


def rates_on(session: Session, day: date, *, base_currency: str) -> dict[str, Decimal]:
    """The rate in force on ``day`` for each currency (the latest from on or before it)."""
    latest: dict[str, tuple[date, Decimal]] = {}
    for entry in list_rates(session, base_currency=base_currency):
        if entry.valid_from <= day:
            latest[entry.currency] = (entry.valid_from, entry.rate_to_base)
    rates = {currency: rate for currency, (_, rate) in latest.items()}
    rates[base_currency] = Decimal(1)
    return rates
