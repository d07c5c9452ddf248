"""``procure demo``: a believable store, built fresh, run through the whole cycle."""

from __future__ import annotations

from typing import Annotated

import typer

from procure.cli.output import console, err_console, print_json


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        seed: Annotated[int, typer.Option(help="Seed of the demo world.")] = 7,
        ui: Annotated[
            bool, typer.Option("--ui/--no-ui", help="Start (or reuse) the local Prefect UI.")
        ] = True,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Build a demo world in a fresh embedded store and run the whole cycle."""
        import os

        from procure.clock import business_today
        from procure.demo.cycle import DemoStep, fresh_demo_home, run_demo
        from procure.settings import get_settings

        # The demo prints its own progress; Prefect's per-run INFO lines would bury it.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        root = get_settings().home
        home = fresh_demo_home(root)
        ui_url: str | None = None
        ui_note = ""
        if ui:
            from procure.local_server import ensure_local_server, prefect_environment

            try:
                server = ensure_local_server(root)
            except (TimeoutError, OSError) as error:
                ui_note = f"no Prefect UI: {error}; runs used a temporary server"
            else:
                os.environ.update(prefect_environment(root))
                ui_url = server.ui_url
                ui_note = (
                    f"Prefect server started (log: {server.log_path})"
                    if server.started
                    else "reused the running Prefect server"
                )
        else:
            os.environ.setdefault("PREFECT_HOME", str(root / "prefect"))

        def show(step: DemoStep) -> None:
            if not as_json:
                details = ", ".join(f"{key} {value}" for key, value in step.details.items())
                console.print(f"[green]✓[/] {step.name}: {step.outcome}  [dim]{details}[/]")

        if not as_json:
            console.print(f"[bold]procure demo[/] in a fresh store at {home}")
        report = run_demo(home, today=business_today(), seed=seed, on_step=show)
        report.ui_url, report.ui_note = ui_url, ui_note
        if as_json:
            print_json(report.as_dict())
            return
        console.print(f"store: {report.database_url}")
        console.print(f"supplier files: {home / 'inbox'}")
        if ui_url:
            console.print(f"Prefect UI: [bold]{ui_url}/runs[/] ({ui_note})")
        else:
            err_console.print(ui_note or "Prefect UI not started (--no-ui)")
