"""Driving the upload page in tests: building it, signing in, posting forms like a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from procure.settings import Settings
from procure.web.access import Access, access_for
from procure.web.app import create_app
from procure.web.ingest_runner import Ingestor, IngestOutcome, IngestRequest
from services.ingest import ingest_file

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def service_ingestor(settings: Settings, engine: Engine) -> Ingestor:
    """The real ingest unit of work, called without Prefect (the flow tests cover the flow)."""

    def ingest(request: IngestRequest) -> IngestOutcome:
        result = ingest_file(
            engine,
            request.path,
            request.kind,
            reports_dir=settings.reports_dir,
            supplier=request.supplier,
            profile=request.profile,
            uploaded_by=request.uploaded_by,
        )
        return IngestOutcome(result.as_dict(), None)

    return ingest


@dataclass
class PageUnderTest:
    app: FastAPI
    access: Access
    settings: Settings

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False, raise_server_exceptions=False)


def build_page(
    home: Path,
    engine: Engine,
    *,
    max_upload_mb: int = 1,
    ingestor: Ingestor | None = None,
    ui_url: str | None = None,
    access: Access | None = None,
) -> PageUnderTest:
    settings = Settings(home=home, web_max_upload_mb=max_upload_mb)
    settings.ensure_home()
    access = access or access_for("127.0.0.1", secret=None, api_keys={}, password_hashes={})
    app = create_app(
        settings,
        access,
        engine=lambda: engine,
        ingestor=ingestor or service_ingestor(settings, engine),
        ui_url=lambda: ui_url,
    )
    return PageUnderTest(app, access, settings)


def sign_in(client: TestClient, key: str) -> str:
    """Sign in with a key and return the CSRF token of the new session."""
    token = csrf_token(client.get("/signin").text)
    response = client.post("/signin", data={"csrf_token": token, "api_key": key})
    assert response.status_code == 303, response.text
    return csrf_token(client.get("/upload").text)


def upload(
    client: TestClient,
    token: str | None,
    *,
    content: bytes,
    filename: str = "deliveries.csv",
    kind: str = "deliveries",
    supplier: str = "",
    profile: str = "",
    profile_file: tuple[str, bytes] | None = None,
    content_type: str = "text/csv",
) -> tuple[int, str]:
    """Post the upload form; follow the redirect to the result page. (status, html)"""
    data = {"kind": kind, "supplier": supplier, "profile": profile}
    if token is not None:
        data = {"csrf_token": token, **data}
    files: dict[str, tuple[str, bytes, str]] = {"file": (filename, content, content_type)}
    if profile_file is not None:
        files["profile_file"] = (profile_file[0], profile_file[1], "application/toml")
    response = client.post("/upload", data=data, files=files)
    if response.status_code == 303:
        page = client.get(response.headers["location"])
        return page.status_code, page.text
    return response.status_code, response.text
