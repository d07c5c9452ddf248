"""Entry point of the ``procure`` console script; each command group lives in its own module."""

from __future__ import annotations

import sys

import typer

from procure.cli.output import report_refusal
from procure.runtime import quiet_prefect
from purchasing.errors import ConfigurationError

app = typer.Typer(
    name="procure",
    help="Supplier reliability and back-order purchasing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # Registering twice would add a second copy of each group, shadowing the first.
    if app.registered_commands or app.registered_groups:
        return
    # One module per command group keeps each command's imports lazy and its code small.
    from procure.cli import (
        db_cmd,
        demo_cmd,
        fx_cmd,
        ingest_cmd,
        outbox_cmd,
        po_changes_cmd,
        po_cmd,
        reorder_cmd,
        reroute_cmd,
        score_cmd,
        serve_cmd,
        simulate_cmd,
        sku_rule_cmd,
        supplier_contact_cmd,
        web_cmd,
    )

    # Registration order is the order ``procure --help`` lists the commands in.
    db_cmd.register(app)
    demo_cmd.register(app)
    ingest_cmd.register(app)
    score_cmd.register(app)
    reorder_cmd.register(app)
    po_cmd.register(app)
    web_cmd.register(app)
    po_changes_cmd.register(app)  # adds cancel/resend to the po group registered above
    outbox_cmd.register(app)
    supplier_contact_cmd.register(app)
    fx_cmd.register(app)
    sku_rule_cmd.register(app)
    serve_cmd.register(app)  # serve + automations setup
    reroute_cmd.register(app)  # reroute and etas
    simulate_cmd.register(app)  # the decision simulator


def main() -> None:
    """Run the CLI; exit codes follow the contract (0 ok, 2 usage, 3 input rejected)."""
    quiet_prefect()
    _register_commands()
    try:
        # Standalone mode turns usage errors into exit code 2 and typer.Exit(n) into exit code n.
        app()
    except ConfigurationError as error:
        # Settings are read where a command first needs them; bad ones end here, not in a trace.
        raise SystemExit(report_refusal(error, as_json="--json" in sys.argv[1:])) from None
