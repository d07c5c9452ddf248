"""procure's deployments, read from ``prefect.yaml`` so that serving and workers share one list."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from purchasing.errors import ConfigurationError

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"
WORK_POOL = "procure-pool"
REROUTE_DEPLOYMENT = "reroute-slipped-orders"
RUN_FAILURE_DEPLOYMENT = "record-run-failure"


@dataclass(frozen=True)
class ScheduleSpec:
    cron: str
    timezone: str
    slug: str


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment as ``prefect.yaml`` declares it."""

    name: str
    entrypoint: str
    description: str = ""
    tags: tuple[str, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    concurrency_limit: int | None = None
    collision_strategy: str | None = None
    work_pool: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def read_deployments(path: Path = PREFECT_YAML) -> list[DeploymentSpec]:
    """Every deployment in ``prefect.yaml``, checked enough to serve it."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"{path} not found: procure serve runs from a checkout of procure"
        ) from None
    except yaml.YAMLError as error:
        raise ConfigurationError(f"{path}: not valid YAML ({error})") from None
    return [_spec(entry, path) for entry in document.get("deployments") or []]


def _spec(entry: dict[str, Any], path: Path) -> DeploymentSpec:
    name = entry.get("name")
    if not name or not entry.get("entrypoint"):
        raise ConfigurationError(f"{path}: every deployment needs a name and an entrypoint")
    limit = entry.get("concurrency_limit")
    schedules = tuple(
        ScheduleSpec(str(item["cron"]), str(item.get("timezone", "UTC")), str(item["slug"]))
        for item in entry.get("schedules") or []
    )
    return DeploymentSpec(
        name=str(name),
        entrypoint=str(entry["entrypoint"]),
        description=str(entry.get("description", "")),
        tags=tuple(entry.get("tags") or ()),
        schedules=schedules,
        concurrency_limit=int(limit["limit"]) if isinstance(limit, dict) else limit,
        collision_strategy=limit.get("collision_strategy") if isinstance(limit, dict) else None,
        work_pool=(entry.get("work_pool") or {}).get("name"),
        parameters=dict(entry.get("parameters") or {}),
    )


def runner_deployment(spec: DeploymentSpec) -> RunnerDeployment:
    """The deployment as ``procure serve`` runs it: same flow, schedules, tags and limit."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.flows import Flow, load_flow_from_entrypoint
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    flow: Flow[..., Any] = load_flow_from_entrypoint(spec.entrypoint, use_placeholder_flow=False)
    limit: ConcurrencyLimitConfig | None = None
    if spec.concurrency_limit is not None:
        limit = ConcurrencyLimitConfig(
            limit=spec.concurrency_limit,
            collision_strategy=ConcurrencyLimitStrategy(spec.collision_strategy or "ENQUEUE"),
        )
    deployment = flow.to_deployment(
        name=spec.name,
        description=spec.description or None,
        tags=list(spec.tags),
        schedules=[
            Cron(item.cron, timezone=item.timezone, slug=item.slug) for item in spec.schedules
        ],
        concurrency_limit=limit,
        parameters=spec.parameters or None,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # ``to_deployment`` answers with a coroutine only when called from async code.
    assert isinstance(deployment, RunnerDeployment)
    # Runs load the flow through procure.entrypoints, which wires it to the settings.
    deployment.entrypoint = spec.entrypoint
    return deployment
