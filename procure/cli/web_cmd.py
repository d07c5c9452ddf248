"""``procure web``: the buyers' upload page."""

from __future__ import annotations

from typing import Annotated

import typer

from procure.cli.output import console, err_console, fail


def register(app: typer.Typer) -> None:
    @app.command()
    def web(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
        prefect_server: Annotated[
            bool,
            typer.Option(
                "--prefect-server/--no-prefect-server",
                help="Start (or reuse) the local Prefect server when PREFECT_API_URL is unset.",
            ),
        ] = True,
        hash_password: Annotated[
            bool,
            typer.Option(
                "--hash-password", help="Print a password hash for PROCURE_WEB_USERS and exit."
            ),
        ] = False,
    ) -> None:
        """Serve the upload page (sign-in, upload, results, history)."""
        import os

        from procure.web.access import hash_password as make_hash
        from purchasing.errors import ConfigurationError

        if hash_password:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
            typer.echo(make_hash(password))
            return

        import uvicorn

        from procure.runtime import engine_for
        from procure.settings import get_settings
        from procure.web.wiring import access_from_settings, prefect_ui_url, upload_page

        settings = get_settings()
        try:
            access = access_from_settings(settings, host)
        except ConfigurationError as error:
            fail(error, as_json=False)
        if prefect_server and not os.environ.get("PREFECT_API_URL"):
            from procure.local_server import ensure_local_server, prefect_environment

            try:
                ensure_local_server(settings.home)
            except (TimeoutError, OSError) as error:
                err_console.print(f"no Prefect server: {error}; runs use a temporary one")
            else:
                os.environ.update(prefect_environment(settings.home))
        app_ = upload_page(settings, access, engine_for(settings), host=host)
        shown_host = f"[{host}]" if ":" in host else host
        console.print(f"upload page: [bold]http://{shown_host}:{port}/[/]")
        if access.demo_key:
            console.print(
                "local demo mode (no PROCURE_WEB_SECRET): sign in with the key "
                f"[bold]{access.demo_key}[/] (valid until this server stops)",
                soft_wrap=True,
            )
        ui = prefect_ui_url(settings)
        if ui:
            console.print(f"ingest runs appear in the Prefect UI: {ui}/runs")
        uvicorn.run(
            app_, host=host, port=port, log_level="info", server_header=False, proxy_headers=False
        )
