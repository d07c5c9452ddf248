"""``procure simulate``: the decision simulator comparing procure's policy with incumbents'."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from procure.cli.output import console, fail, print_json

if TYPE_CHECKING:
    from purchasing.simulation.runner import SimulationResult


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate(
        policy: Annotated[
            list[str] | None,
            typer.Option(
                "--policy",
                help="Run only this policy (repeatable): procure, default-supplier, "
                "first-vendor, cheapest, oracle. Default: all.",
            ),
        ] = None,
        days: Annotated[int, typer.Option("--days", help="Days of customer demand.")] = 365,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated world.")] = 7,
        suppliers: Annotated[int, typer.Option("--suppliers", help="Number of suppliers.")] = 6,
        skus: Annotated[int, typer.Option("--skus", help="Number of SKUs.")] = 40,
        spread: Annotated[
            float,
            typer.Option(
                "--spread",
                help="Reliability spread: the best supplier is on time 95% of the time, "
                "the worst 95% minus this.",
            ),
        ] = 0.35,
        drift: Annotated[
            bool, typer.Option("--drift/--no-drift", help="A good supplier goes bad half-way.")
        ] = True,
        demand: Annotated[
            float, typer.Option("--demand", help="Customer back-order lines per day.")
        ] = 12.0,
        history_days: Annotated[
            int, typer.Option("--history-days", help="Days of delivery history at the start.")
        ] = 180,
        chart: Annotated[
            Path | None, typer.Option("--chart", help="Write a PNG of the wait distributions.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Simulate a store day by day under each policy on the same demand and suppliers."""
        from purchasing.errors import InputRejected
        from purchasing.simulation.policies import policies_named
        from purchasing.simulation.runner import simulate as run
        from purchasing.simulation.scenario import Scenario

        try:
            scenario = Scenario(
                days=days,
                seed=seed,
                suppliers=suppliers,
                skus=skus,
                reliability_spread=spread,
                drift=drift,
                demand_per_day=demand,
                history_days=history_days,
            )
            chosen = policies_named(policy)
        except InputRejected as error:
            fail(error, as_json=as_json)
        result = run(scenario, chosen)
        written = None
        if chart is not None:
            from procure.cli.simulation_chart import write_wait_chart

            title = (
                f"Back-order waits, {days} days, seed {seed}, {suppliers} suppliers, "
                f"{skus} SKUs" + (", drift" if drift else "")
            )
            written = write_wait_chart(chart, result.waits(), title)
        if as_json:
            document = result.as_dict()
            document["chart"] = None if written is None else str(written)
            print_json(document)
            return
        _print_table(result)
        if written is not None:
            console.print(f"chart written to {written}")


def _print_table(result: SimulationResult) -> None:
    from rich.table import Table

    table = Table(title=f"procure simulate — seed {result.scenario.seed}")
    for header in (
        "policy",
        "mean wait (d)",
        "p90 wait (d)",
        "ETAs kept",
        "purchase cost",
        "reroutes",
        "lines",
    ):
        table.add_column(header, justify="left" if header == "policy" else "right")
    for name, m in result.metrics.items():
        kept = "—" if m.eta_kept_share is None else f"{m.eta_kept_share:.1%}"
        table.add_row(
            name,
            f"{m.mean_wait_days:.2f}",
            f"{m.p90_wait_days:.1f}",
            kept,
            f"{m.purchase_cost:,.2f}",
            str(m.reroutes),
            str(m.lines),
        )
    console.print(table)
    comparison = result.comparison()
    if comparison is not None:
        verdict = "met" if comparison["target_met"] else "not met"
        console.print(
            f"procure vs {comparison['best_static_policy']} (best static): mean wait "
            f"{comparison['wait_reduction']:+.1%} lower, cost {comparison['cost_increase']:+.1%}; "
            f"target (≥30% lower wait, ≤3% dearer, ≥90% ETAs kept) {verdict}",
            highlight=False,
        )
