"""The upload page in a real headless Chromium: what a buyer clicks, sees and downloads.

Set PROCURE_SCREENSHOTS=1 to refresh docs/images/upload-page.png from the result page.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
from openpyxl import load_workbook

from models.db import make_engine, upgrade
from procure.settings import Settings
from procure.web.access import Access, access_for
from procure.web.wiring import prefect_ui_url, upload_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("PROCURE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "images" / "upload-page.png"

GOOD = (
    "Vendor,PO Number,Line,SKU,Qty,Due Date,Received Date\n"
    "Acme Ltd,SUP-7,1,0042,5,2024-03-01,2024-03-02\n"
    "Acme Ltd,SUP-7,2,0043,3,2024-03-05,2024-03-09\n"
    "Acme Ltd,SUP-7,3,NA,8,2024-03-08,\n"
)
BAD = (
    "Vendor,PO Number,Line,SKU,Qty,Due Date,Received Date\n"
    "Acme Ltd,SUP-8,1,0042,5,2024-03-01,2024-03-02\n"
    "Acme Ltd,SUP-8,2,0043,lots,2024-03-05,\n"
    "Acme Ltd,SUP-8,3,0044,2,31/02/2024,\n"
)


@dataclass
class RunningPage:
    url: str
    access: Access
    settings: Settings
    files: Path

    @property
    def key(self) -> str:
        assert self.access.demo_key
        return self.access.demo_key


def _serve_in_thread(app: object) -> Iterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", http="h11")  # type: ignore[arg-type]
    )
    # The copied context carries the Prefect test harness settings into the server thread.
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(server.run,), kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the upload page did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="module")
def running_page(
    prefect_harness: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPage]:
    home = tmp_path_factory.mktemp("web") / "home"
    settings = Settings(home=home, web_max_upload_mb=5)
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'procure.db'}")
    upgrade(engine)
    access = access_for("127.0.0.1", secret=None, api_keys={}, password_hashes={})
    app = upload_page(settings, access, engine, host="127.0.0.1")
    files = tmp_path_factory.mktemp("files")
    for server_url in _serve_in_thread(app):
        yield RunningPage(server_url, access, settings, files)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip(f"headless Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    executable = CHROMIUM if CHROMIUM.exists() else Path(str(shutil.which("chromium")))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1180, "height": 820}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


def _sign_in(page: Page, running: RunningPage) -> None:
    page.goto(running.url + "/")
    page.fill("#api_key", running.key)
    page.click("button[type=submit]")
    page.wait_for_url(running.url + "/upload")


def _upload(page: Page, running: RunningPage, name: str, text: str, supplier: str = "") -> None:
    path = running.files / name
    path.write_text(text, encoding="utf-8")
    page.goto(running.url + "/upload")
    page.select_option("#kind", "deliveries")
    if supplier:
        page.fill("#supplier", supplier)
    page.set_input_files("#file", str(path))
    page.click("form[action='/upload'] button[type=submit]")
    page.wait_for_selector("#outcome")


def test_a_buyer_without_a_session_gets_the_sign_in_form(
    page: Page, running_page: RunningPage
) -> None:
    page.goto(running_page.url + "/upload")
    assert page.url == running_page.url + "/signin"
    assert page.is_visible("#api_key")


def test_a_buyer_signs_in_with_the_key_and_sees_the_upload_form(
    page: Page, running_page: RunningPage
) -> None:
    _sign_in(page, running_page)
    assert page.is_visible("#file")
    assert "local-buyer" in page.inner_text("header")
    profiles = page.locator("#profile option").all_inner_texts()
    assert any("shipped" in label for label in profiles)


def test_a_good_file_is_accepted_and_links_to_its_ingest_run(
    page: Page, running_page: RunningPage
) -> None:
    _sign_in(page, running_page)
    _upload(page, running_page, "acme-march.csv", GOOD)
    assert page.inner_text("#outcome").startswith("Accepted: 3 rows")
    href = page.get_attribute("#run-link", "href")
    ui = prefect_ui_url(running_page.settings)
    assert ui is not None
    assert href is not None
    assert href.startswith(f"{ui}/runs/flow-run/")
    run_id = UUID(href.rsplit("/", 1)[1])
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.state is not None
    assert run.state.is_completed()
    assert run.name.startswith("deliveries: acme-march.csv")


def test_a_bad_file_is_rejected_naming_the_bad_cell_and_its_workbook_downloads(
    page: Page, running_page: RunningPage, tmp_path: Path
) -> None:
    _sign_in(page, running_page)
    _upload(page, running_page, "acme-april.csv", BAD, supplier="")
    assert page.inner_text("#outcome").startswith("Rejected")
    rows = [
        [cell.strip() for cell in row.split("\t")]
        for row in page.inner_text("#errors tbody").splitlines()
    ]
    assert any(row[1] == "3" and row[3] == "lots" for row in rows), rows
    if os.environ.get("PROCURE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    with page.expect_download() as download_info:
        page.click("#report-link")
    saved = tmp_path / "errors.xlsx"
    download_info.value.save_as(saved)
    book = load_workbook(saved, read_only=True)
    errors = [list(row) for row in book["Errors"].iter_rows(values_only=True)]
    book.close()
    assert any(row[1] == 3 and row[3] == "lots" for row in errors[1:]), errors


def test_the_history_lists_uploads_with_who_sent_them(
    page: Page, running_page: RunningPage
) -> None:
    _sign_in(page, running_page)
    _upload(page, running_page, "acme-may.csv", GOOD.replace("SUP-7", "SUP-9"))
    page.click("text=History")
    page.wait_for_selector("#history")
    row = page.locator("#history tr", has_text="acme-may.csv")
    assert "accepted" in row.inner_text()
    assert "local-buyer" in row.inner_text()
