"""``procure db ...``: schema management for operators."""

from __future__ import annotations

import typer

from procure.cli.output import console


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema management.", no_args_is_help=True)

    @db.command("upgrade")
    def upgrade_command() -> None:
        """Apply migrations to the configured database (other commands do it automatically)."""
        from models.db import current_revision
        from procure.runtime import engine_for
        from procure.settings import get_settings

        settings = get_settings()
        engine = engine_for(settings)
        console.print(
            f"database at revision [bold]{current_revision(engine)}[/]: "
            f"{engine.url.render_as_string(hide_password=True)}"
        )

    app.add_typer(db, name="db")
