"""Options several commands share: the business date, waiting for a running run, JSON output."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

DATE_FORMATS = ["%Y-%m-%d"]

AsOfOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", formats=DATE_FORMATS, help="Business date (default today)."),
]
WaitOpt = Annotated[
    bool, typer.Option("--wait", help="Wait for a concurrent run instead of skipping.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def business_day(as_of: datetime | None) -> date:
    """The ``--as-of`` date when given, else today where the store is."""
    from procure.clock import business_today

    return as_of.date() if as_of is not None else business_today()
