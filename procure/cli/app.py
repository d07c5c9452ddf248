"""Entry point of the ``procure`` console script; each command group lives in its own module."""

from __future__ import annotations

import typer

from procure.runtime import quiet_prefect

app = typer.Typer(
    name="procure",
    help="Supplier reliability and back-order purchasing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    # One module per command group keeps each command's imports lazy and its code small.
    from procure.cli import db_cmd, demo_cmd

    db_cmd.register(app)
    demo_cmd.register(app)


def main() -> None:
    """Run the CLI; exit codes follow the contract (0 ok, 2 usage, 3 input rejected)."""
    quiet_prefect()
    _register_commands()
    # Standalone mode turns usage errors into exit code 2 and typer.Exit(n) into exit code n.
    app()
