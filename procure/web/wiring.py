"""Building the upload page for a running process: settings → access, engine, flow ingest."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from procure.settings import Settings
from procure.web.access import Access, access_for, is_loopback
from procure.web.app import create_app
from procure.web.ingest_runner import Ingestor, ingest_through_flow


def access_from_settings(settings: Settings, host: str) -> Access:
    """The sign-in rules configured for ``host`` (ConfigurationError when unsafe)."""
    secret = settings.web_secret.get_secret_value() if settings.web_secret else None
    return access_for(
        host,
        secret=secret,
        api_keys={user: key.get_secret_value() for user, key in settings.web_api_keys.items()},
        password_hashes={
            user: stored.get_secret_value() for user, stored in settings.web_users.items()
        },
    )


def prefect_ui_url(settings: Settings) -> str | None:
    """Where the Prefect UI is: procure's setting, else Prefect's own (PREFECT_UI_URL / API URL)."""
    if settings.prefect_ui_url:
        return settings.prefect_ui_url
    from prefect.settings import get_current_settings

    return get_current_settings().ui_url


def flow_ingestor(settings: Settings, engine: Engine) -> Ingestor:
    """The ingest as a Prefect flow run, wired to this process's database and folders."""
    from procure.entrypoints import configure_from_settings

    configure_from_settings(settings, engine=engine)
    return ingest_through_flow


def upload_page(
    settings: Settings,
    access: Access,
    engine: Engine,
    *,
    host: str,
    ingestor: Ingestor | None = None,
) -> FastAPI:
    """The upload page served on ``host``; cookies are Secure unless it is loopback-only."""
    settings.ensure_home()
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    return create_app(
        settings,
        access,
        engine=lambda: engine,
        ingestor=ingestor or flow_ingestor(settings, engine),
        ui_url=lambda: prefect_ui_url(settings),
        # Off loopback the page must sit behind HTTPS, so the session cookie never travels bare.
        secure_cookies=not is_loopback(host),
    )
