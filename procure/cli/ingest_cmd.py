"""``procure ingest PATH --kind KIND``: take one supplier file whole, or reject it with a report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from procure.cli.output import EXIT_REJECTED, EXIT_USAGE, console, err_console, print_json

if TYPE_CHECKING:
    from services.ingest import IngestResult

# Files this large take long enough for a progress bar to help.
PROGRESS_BAR_FROM_BYTES = 1 << 20


class Kind(StrEnum):
    catalog = "catalog"
    deliveries = "deliveries"
    confirmations = "confirmations"
    stock = "stock"
    backorders = "backorders"
    inventory = "inventory"


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_command(
        path: Annotated[
            Path,
            typer.Argument(exists=True, dir_okay=False, readable=True, help="The supplier file."),
        ],
        kind: Annotated[
            Kind | None,
            typer.Option("--kind", help="What the file holds (may come from --profile)."),
        ] = None,
        supplier: Annotated[
            str | None,
            typer.Option("--supplier", help="The supplier, when the file has no supplier column."),
        ] = None,
        profile: Annotated[
            Path | None,
            typer.Option("--profile", exists=True, dir_okay=False, help="A TOML profile."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Ingest a supplier file: all rows in one transaction, or none and an error report."""
        if kind is None and profile is None:
            err_console.print("error: give --kind (or a --profile that names the kind)")
            raise typer.Exit(EXIT_USAGE)
        chosen_kind = kind.value if kind is not None else None
        result = run_ingest(path, chosen_kind, supplier=supplier, profile=profile, bar=not as_json)
        if as_json:
            print_json(result.as_dict())
        else:
            _print_result(result)
        if result.status == "rejected":
            err_console.print(f"[bold red]rejected:[/] {result.message}", highlight=False)
            raise typer.Exit(EXIT_REJECTED)


def run_ingest(
    path: Path, kind: str | None, *, supplier: str | None, profile: Path | None, bar: bool
) -> IngestResult:
    """Run the ingest flow in this process against the configured database."""
    from procure.entrypoints import configure_from_settings, ingest_supplier_file
    from procure.runtime import engine_for
    from procure.settings import get_settings

    settings = get_settings()
    configure_from_settings(settings, engine=engine_for(settings))
    with _progress_bar(path, enabled=bar):
        return ingest_supplier_file(
            path=str(path.resolve()),
            kind=kind,
            supplier=supplier,
            profile=str(profile.resolve()) if profile else None,
        )


@contextmanager
def _progress_bar(path: Path, *, enabled: bool) -> Iterator[None]:
    if not enabled or path.stat().st_size < PROGRESS_BAR_FROM_BYTES:
        yield
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from services.ingest import add_progress_listener

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"ingesting {path.name}", total=1.0)

        def update(fraction: float, stage: str) -> None:
            progress.update(task, completed=fraction, description=f"{path.name}: {stage}")

        stop = add_progress_listener(update)
        try:
            yield
        finally:
            stop()


def _print_result(result: IngestResult) -> None:
    colour = {"accepted": "green", "duplicate": "yellow", "rejected": "red"}[result.status]
    console.print(f"[bold {colour}]{result.status}[/]: {result.message}", highlight=False)
    console.print(f"  rows: {result.rows:,}   sha256: {result.sha256}", highlight=False)
    for name, count in result.counts.items():
        console.print(f"  {name.replace('_', ' ')}: {count:,}", highlight=False)
    if result.status == "rejected":
        for error in result.errors[:20]:
            where = f"{error.sheet or '-'} row {error.row or '-'} column {error.column or '-'}"
            console.print(f"  {where}: {error.message} ({error.value!r})", highlight=False)
        if result.error_count > 20:
            console.print(f"  … and {result.error_count - 20:,} more", highlight=False)
        console.print(f"  error workbook: {result.report}", highlight=False)
