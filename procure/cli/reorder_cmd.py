"""``procure reorder``: raise POs for back-ordered SKUs' net shortages, exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from procure.cli.options import AsOfOpt, JsonOpt, WaitOpt, business_day
from procure.cli.output import console, err_console, fail, print_json

if TYPE_CHECKING:
    from services.reorder import ReorderResult


def register(app: typer.Typer) -> None:
    @app.command("reorder")
    def reorder_command(
        as_of: AsOfOpt = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Decide and report, write nothing.")
        ] = False,
        wait: WaitOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Cover every open back-order line: stock first, then POs at the best reliable supplier."""
        from procure.cli.outbox_cmd import po_sending
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.reorder import ReorderSettings, reorder

        settings = get_settings()
        day = business_day(as_of)
        try:
            engine = engine_for(settings)
            result = reorder(
                engine,
                as_of=day,
                settings=ReorderSettings(
                    auto_release_limit=settings.auto_release_limit,
                    base_currency=settings.base_currency,
                ),
                dry_run=dry_run,
                wait=wait,
                sending=po_sending(settings),
            )
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(result.as_dict())
        else:
            _print_result(result)


def _print_result(result: ReorderResult) -> None:
    if result.status == "skipped":
        err_console.print(f"[yellow]skipped:[/] {result.message}", highlight=False)
        return
    label = "dry run — nothing written" if result.status == "dry-run" else "done"
    console.print(
        f"[bold]reorder as of {result.as_of.isoformat()}[/]: {label}; "
        f"{len(result.created)} PO(s), {len(result.uncovered)} uncovered shortage(s)",
        highlight=False,
    )
    for po in result.created:
        merged = " (merged)" if po.merged else ""
        console.print(f"  {po.po_number}{merged} {po.supplier}: {po.status}", highlight=False)
        for line in po.lines:
            console.print(
                f"    {line.sku} × {line.qty} @ {line.unit_price} {line.currency} "
                f"covers {', '.join(line.covers) or '(safety stock)'} — {line.reason}",
                highlight=False,
            )
    for item in result.uncovered:
        console.print(
            f"  [red]uncovered[/] {item.sku} × {item.qty}: {item.reason}", highlight=False
        )
    for notice in result.changed:
        console.print(f"  [yellow]{notice.action}[/] {notice.reason}", highlight=False)
