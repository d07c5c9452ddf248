"""``procure sku rule pin|block|list``: per-SKU buying rules that reorder honours."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Annotated

import typer

from procure.cli.groups import command_group
from procure.cli.options import DATE_FORMATS, JsonOpt
from procure.cli.output import console, fail, print_json

SkuArg = Annotated[str, typer.Argument(metavar="SKU")]
SupplierArg = Annotated[str, typer.Argument(metavar="SUPPLIER")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (shown in reorder reasons).")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who sets it (default: OS user).")]
UntilOpt = Annotated[
    datetime | None,
    typer.Option("--until", formats=DATE_FORMATS, help="Last day in force (default: open)."),
]
AsOfOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", formats=DATE_FORMATS, help="First day in force (default today)."),
]


def register(app: typer.Typer) -> None:
    sku = command_group(app, "sku", "SKUs and their buying rules.")
    rule = command_group(sku, "rule", "Pin a SKU to a supplier, or block a supplier for it.")

    def add(
        kind: str,
        sku_code: str,
        supplier: str,
        reason: str,
        by: str | None,
        until: datetime | None,
        as_of: datetime | None,
        as_json: bool,
    ) -> None:
        from models.db import session_scope
        from procure.clock import business_today
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.sku_rules import add_rule

        try:
            with session_scope(engine_for(get_settings())) as session:
                entry = add_rule(
                    session,
                    kind,
                    sku_code,
                    supplier,
                    reason=reason,
                    by=by or getpass.getuser(),
                    set_on=as_of.date() if as_of is not None else business_today(),
                    until=until.date() if until is not None else None,
                )
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(entry.as_dict())
        else:
            until_text = f" until {entry.until.isoformat()}" if entry.until else ""
            console.print(
                f"SKU {entry.sku}: {entry.rule} {entry.supplier}{until_text} ({entry.reason})",
                highlight=False,
            )

    @rule.command("pin")
    def pin_command(
        sku_code: SkuArg,
        supplier: SupplierArg,
        reason: ReasonOpt,
        by: ByOpt = None,
        until: UntilOpt = None,
        as_of: AsOfOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Buy this SKU from this supplier whenever its offer is eligible."""
        add("pin", sku_code, supplier, reason, by, until, as_of, as_json)

    @rule.command("block")
    def block_command(
        sku_code: SkuArg,
        supplier: SupplierArg,
        reason: ReasonOpt,
        by: ByOpt = None,
        until: UntilOpt = None,
        as_of: AsOfOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Never buy this SKU from this supplier while the rule is in force."""
        add("block", sku_code, supplier, reason, by, until, as_of, as_json)

    @rule.command("list")
    def list_command(as_json: JsonOpt = False) -> None:
        """Every per-SKU rule on record, and whether it is in force today."""
        from models.db import session_scope
        from procure.clock import business_today
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from services.sku_rules import list_rules

        with session_scope(engine_for(get_settings())) as session:
            entries = list_rules(session)
        today = business_today()
        if as_json:
            print_json([entry.as_dict(today) for entry in entries])
            return
        if not entries:
            console.print("no SKU rules")
        for entry in entries:
            state = "in force" if entry.in_force(today) else "not in force"
            console.print(
                f"{entry.sku}: {entry.rule} {entry.supplier} ({state}) by {entry.set_by}: "
                f"{entry.reason}",
                highlight=False,
            )
