"""``procure serve`` and ``procure automations setup``: run procure for real on one machine."""

from __future__ import annotations

import os
import signal
from typing import Annotated

import typer

from procure.cli.output import console, err_console, fail, print_json
from purchasing.errors import ConfigurationError


def _point_at_prefect(port: int) -> str:
    """Use the Prefect server the environment names, else start or reuse the local one."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return os.environ.get("PREFECT_UI_URL") or configured.removesuffix("/api")
    from procure.local_server import ensure_local_server, prefect_environment
    from procure.settings import get_settings

    home = get_settings().home
    server = ensure_local_server(home, port)
    # Before Prefect is imported: it reads its settings from the environment once.
    os.environ.update(prefect_environment(home, port))
    if server.started:
        err_console.print(f"started the Prefect server (log: {server.log_path})")
    return server.ui_url


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        deployment: Annotated[
            list[str] | None,
            typer.Option("--deployment", "-d", help="Serve only these deployments (by name)."),
        ] = None,
        port: Annotated[int, typer.Option(help="Port of the local Prefect server.")] = 4200,
    ) -> None:
        """Serve every deployment's schedules from this process (Ctrl-C stops)."""
        ui_url = _point_at_prefect(port)
        from procure.deployments import read_deployments, runner_deployment

        try:
            specs = read_deployments()
        except ConfigurationError as error:
            fail(error, as_json=False)
        if deployment:
            unknown = sorted(set(deployment) - {spec.name for spec in specs})
            if unknown:
                fail(
                    ConfigurationError(f"no such deployment(s): {', '.join(unknown)}"),
                    as_json=False,
                )
            specs = [spec for spec in specs if spec.name in deployment]
        from prefect import serve as prefect_serve

        deployments = [runner_deployment(spec) for spec in specs]
        console.print(f"Prefect UI: [bold]{ui_url}[/]  (deployments: {ui_url}/deployments)")
        for spec in specs:
            when = ", ".join(f"{item.cron} {item.timezone}" for item in spec.schedules)
            console.print(f"  {spec.name}: {when or 'on demand'}")
        console.print("Automations: `procure automations setup` (once, after the first serve).")
        # A service manager stops with SIGTERM: shut down as cleanly as on Ctrl-C.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        prefect_serve(*deployments, print_starting_message=False)

    automations = typer.Typer(help="Prefect automations procure needs.", no_args_is_help=True)
    app.add_typer(automations, name="automations")

    @automations.command("setup")
    def setup(
        port: Annotated[int, typer.Option(help="Port of the local Prefect server.")] = 4200,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Create (or update) the automations: slip → reroute, failed run → buyers' outbox."""
        ui_url = _point_at_prefect(port)
        from procure.automations import setup_automations

        outcomes = setup_automations()
        if as_json:
            print_json({"ui_url": ui_url, "automations": [item.as_dict() for item in outcomes]})
            return
        for item in outcomes:
            mark = "[yellow]…[/]" if item.status == "pending" else "[green]✓[/]"
            console.print(f"{mark} {item.name}: {item.status} — {item.detail}")
        console.print(f"See them at {ui_url}/automations")
