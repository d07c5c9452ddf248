"""``procure score`` and ``procure supplier standing``: scorecards and manual standings."""

from __future__ import annotations

import getpass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from procure.cli.output import console, fail, print_json

if TYPE_CHECKING:
    from services.scoring import ScoreRun

DATE_FORMATS = ["%Y-%m-%d"]


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No login name (e.g. a container without a passwd entry): say so plainly.
        return "unknown-user"


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score(
        as_of: Annotated[
            datetime | None,
            typer.Option("--as-of", formats=DATE_FORMATS, help="Business date (default today)."),
        ] = None,
        since: Annotated[
            datetime | None,
            typer.Option(
                "--since",
                formats=DATE_FORMATS,
                help="Count lines due from this date (default all).",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
        xlsx: Annotated[
            Path | None, typer.Option("--xlsx", help="Also write the buyers' xlsx scorecard here.")
        ] = None,
    ) -> None:
        """Score every supplier: on time in full, confidence, lead times and standing."""
        from flows.score import score_suppliers
        from procure.clock import business_today
        from procure.entrypoints import configure_from_settings
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import InputRejected
        from services.scoring import ScoreRun

        settings = get_settings()
        day = _day(as_of) or business_today()
        first = _day(since)
        if first is not None and first > day:
            fail(
                InputRejected(f"--since {first.isoformat()} is after --as-of {day.isoformat()}"),
                as_json=as_json,
            )
        engine = engine_for(settings)
        configure_from_settings(settings)
        run = score_suppliers(as_of=day, since=first)
        assert isinstance(run, ScoreRun)  # only a scheduled run can skip itself
        if xlsx is not None:
            from models.db import session_scope
            from services.scorecard_workbook import write_scorecard_workbook
            from services.scoring import snapshot_history

            with session_scope(engine) as session:
                history = snapshot_history(session, run.formula_version)
            write_scorecard_workbook(xlsx, run, history)
        if as_json:
            print_json([card.as_json() for card in run.scorecards])
            return
        _print_table(run)
        if xlsx is not None:
            console.print(f"scorecard workbook: {xlsx}")

    supplier = typer.Typer(help="Suppliers: manual standings.", no_args_is_help=True)

    @supplier.command("standing")
    def standing(
        name: Annotated[str, typer.Argument(help="Supplier name as on record.")],
        new_standing: Annotated[
            str, typer.Argument(metavar="STANDING", help="preferred, approved, watch or blocked.")
        ],
        reason: Annotated[str, typer.Option("--reason", help="Why (kept with the change).")],
        until: Annotated[
            datetime | None,
            typer.Option("--until", formats=DATE_FORMATS, help="Last day it is in force."),
        ] = None,
        by: Annotated[str | None, typer.Option("--by", help="Who sets it (default: you).")] = None,
        as_of: Annotated[
            datetime | None,
            typer.Option("--as-of", formats=DATE_FORMATS, help="Day it is set (default today)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Set a supplier's standing by hand, in force from today through --until."""
        from flows.score import announce_standing_change
        from models.db import session_scope
        from procure.clock import business_today
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import InputRejected
        from services.scoring import set_standing_override

        engine = engine_for(get_settings())
        set_on = _day(as_of) or business_today()
        try:
            with session_scope(engine) as session:
                transition = set_standing_override(
                    session,
                    supplier=name,
                    standing=new_standing,
                    reason=reason,
                    set_by=by or _default_author(),
                    set_on=set_on,
                    until=_day(until),
                )
        except InputRejected as error:
            fail(error, as_json=as_json)
        # The change is committed; only now is it announced (events are not durable).
        announce_standing_change(transition)
        document = {
            "supplier": transition.supplier,
            "standing": transition.to_standing,
            "previous": transition.from_standing,
            "set_on": set_on,
            "until": _day(until),
            "reason": transition.reason,
        }
        if as_json:
            print_json(document)
        else:
            console.print(
                f"{transition.supplier}: {transition.from_standing} → {transition.to_standing} "
                f"from {set_on.isoformat()}" + (f" through {document['until']}" if until else "")
            )

    app.add_typer(supplier, name="supplier")


def _print_table(run: ScoreRun) -> None:
    from rich.table import Table

    table = Table(title=f"Supplier scorecard as of {run.as_of.isoformat()}")
    for header in ("supplier", "standing", "lines", "on time", "score", "interval", "late p90"):
        table.add_column(header)
    for card in run.scorecards:
        table.add_row(
            card.supplier,
            card.standing,
            str(card.lines),
            "–" if card.on_time_rate is None else f"{card.on_time_rate:.1%}",
            "–" if card.score is None else f"{card.score:.1%}",
            "–"
            if card.score_low is None or card.score_high is None
            else f"{card.score_low:.0%}–{card.score_high:.0%}",
            "–" if card.lateness_p90_days is None else f"{card.lateness_p90_days:+.0f} d",
        )
    console.print(table)
