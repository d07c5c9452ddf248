"""The buyers' upload page over HTTP: sign-in, CSRF, upload safety, results and history."""

from __future__ import annotations

import asyncio
import io
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from procure.web.access import access_for, hash_password, is_loopback
from procure.web.upload_stream import FORM_OVERHEAD_BYTES
from purchasing.errors import ConfigurationError
from tests.web_pages import PageUnderTest, build_page, csrf_token, sign_in, upload

GOOD_DELIVERIES = (
    b"Vendor,PO Number,Line,SKU,Qty,Due Date,Received Date\n"
    b"Acme Ltd,SUP-1,1,0042,5,2024-03-01,2024-03-02\n"
    b"Acme Ltd,SUP-1,2,NA,3,2024-03-05,\n"
)
BAD_DELIVERIES = (
    b"Vendor,PO Number,Line,SKU,Qty,Due Date,Received Date\n"
    b"Acme Ltd,SUP-1,1,0042,5,2024-03-01,2024-03-02\n"
    b"Acme Ltd,SUP-1,2,0043,lots,2024-03-05,\n"
)


@pytest.fixture
def page(tmp_path: Path, engine: Engine) -> PageUnderTest:
    return build_page(tmp_path / "home", engine)


def _stored_files(page: PageUnderTest) -> list[Path]:
    return [path for path in page.settings.uploads_dir.rglob("*") if path.is_file()]


# --- signing in ---------------------------------------------------------------------------


def test_home_without_a_session_leads_to_the_sign_in_form(page: PageUnderTest) -> None:
    client = page.client()
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    form = client.get("/signin")
    assert form.status_code == 200
    assert '<form method="post" action="/signin"' in form.text


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/upload", 303),
        ("GET", "/uploads", 303),
        ("GET", "/uploads/0123456789abcdef0123456789abcdef", 303),
        ("GET", "/uploads/0123456789abcdef0123456789abcdef/report", 401),
        ("POST", "/upload", 401),
    ],
)
def test_pages_are_closed_without_a_session(
    page: PageUnderTest, method: str, path: str, expected: int
) -> None:
    response = page.client().request(method, path)
    assert response.status_code == expected
    if expected == 303:
        assert response.headers["location"] == "/signin"


def test_an_unknown_key_does_not_sign_in(page: PageUnderTest) -> None:
    client = page.client()
    token = csrf_token(client.get("/signin").text)
    response = client.post("/signin", data={"csrf_token": token, "api_key": "not-the-key"})
    assert response.status_code == 401
    assert "Sign-in failed" in response.text
    assert client.get("/upload").status_code == 303


def test_the_demo_key_signs_a_buyer_in(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    sign_in(client, page.access.demo_key)
    form = client.get("/upload")
    assert form.status_code == 200
    assert 'name="file"' in form.text
    assert "local-buyer" in form.text


def test_a_buyer_signs_in_with_user_name_and_password(tmp_path: Path, engine: Engine) -> None:
    access = access_for(
        "0.0.0.0",
        secret="s" * 32,
        api_keys={},
        password_hashes={"alice": hash_password("correct horse battery")},
    )
    client = build_page(tmp_path, engine, access=access).client()
    token = csrf_token(client.get("/signin").text)
    wrong = client.post(
        "/signin", data={"csrf_token": token, "username": "alice", "password": "wrong"}
    )
    assert wrong.status_code == 401
    right = client.post(
        "/signin",
        data={"csrf_token": token, "username": "alice", "password": "correct horse battery"},
    )
    assert right.status_code == 303
    assert "alice" in client.get("/upload").text


def test_a_configured_api_key_names_its_buyer(tmp_path: Path, engine: Engine) -> None:
    access = access_for("0.0.0.0", secret="s" * 32, api_keys={"bob": "k" * 24}, password_hashes={})
    client = build_page(tmp_path, engine, access=access).client()
    sign_in(client, "k" * 24)
    assert "signed in as <strong>bob</strong>" in client.get("/upload").text


def test_the_session_cookie_is_http_only_and_same_site_lax(page: PageUnderTest) -> None:
    client = page.client()
    token = csrf_token(client.get("/signin").text)
    response = client.post("/signin", data={"csrf_token": token, "api_key": page.access.demo_key})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_sign_out_ends_the_session(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/upload").status_code == 303


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "procure.example.com", "::"])
def test_a_public_host_without_a_secret_is_refused(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigurationError, match="PROCURE_WEB_SECRET"):
        access_for(host, secret=None, api_keys={}, password_hashes={})


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_a_loopback_host_without_a_secret_starts_in_demo_mode(host: str) -> None:
    access = access_for(host, secret=None, api_keys={}, password_hashes={})
    assert access.demo_mode
    assert access.demo_key is not None
    assert access.user_for_key(access.demo_key) == "local-buyer"


def test_a_secret_without_any_way_to_sign_in_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="nobody can sign in"):
        access_for("0.0.0.0", secret="s" * 32, api_keys={}, password_hashes={})


def test_a_plain_text_password_in_settings_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="hash-password"):
        access_for("127.0.0.1", secret=None, api_keys={}, password_hashes={"alice": "hunter2"})


def test_procure_web_on_a_public_host_without_a_secret_exits_2(
    procure_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from procure.cli.app import _register_commands, app

    monkeypatch.delenv("PROCURE_WEB_SECRET", raising=False)
    _register_commands()
    result = CliRunner().invoke(app, ["web", "--host", "0.0.0.0", "--no-prefect-server"])
    assert result.exit_code == 2
    assert "PROCURE_WEB_SECRET" in result.output


# --- CSRF -----------------------------------------------------------------------------------


def test_a_forged_upload_without_the_csrf_token_is_refused(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    sign_in(client, page.access.demo_key)
    status, html = upload(client, None, content=GOOD_DELIVERIES)
    assert status == 403
    assert "Upload refused" in html
    assert _stored_files(page) == []


def test_an_upload_carrying_another_sessions_token_is_refused(page: PageUnderTest) -> None:
    assert page.access.demo_key
    other = page.client()
    other_token = sign_in(other, page.access.demo_key)
    client = page.client()
    own_token = sign_in(client, page.access.demo_key)
    assert other_token != own_token
    status, _ = upload(client, other_token, content=GOOD_DELIVERIES)
    assert status == 403


def test_a_forged_sign_in_without_the_csrf_token_is_refused(page: PageUnderTest) -> None:
    client = page.client()
    response = client.post("/signin", data={"api_key": page.access.demo_key})
    assert response.status_code == 403
    assert client.get("/upload").status_code == 303


def test_sign_out_without_the_csrf_token_is_refused(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    sign_in(client, page.access.demo_key)
    assert client.post("/signout", data={}).status_code == 403
    assert client.get("/upload").status_code == 200


# --- upload safety --------------------------------------------------------------------------


def _session_cookie(page: PageUnderTest) -> tuple[str, str]:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    return client.cookies["procure_session"], token


def _endless_upload(
    page: PageUnderTest, *, content_length: int | None, chunk: int = 64 * 1024
) -> tuple[int, int]:
    """POST an upload whose file never ends; return (status, bytes the page pulled)."""
    cookie, token = _session_cookie(page)
    boundary = "procureboundary"
    preamble = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="kind"\r\n\r\n'
        "deliveries\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "Vendor,SKU,Qty\r\n"
    ).encode()
    headers = [
        (b"host", b"testserver"),
        (b"cookie", f"procure_session={cookie}".encode()),
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
    ]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    pulled = 0
    sent: list[MutableMapping[str, Any]] = []
    row = b"Acme Ltd,0042,5\r\n" * (chunk // 17)

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        body = preamble if pulled == 0 else row
        pulled += len(body)
        # A bounded stand-in for "endless": 64 GB of rows, far past any cap.
        return {"type": "http.request", "body": body, "more_body": pulled < 64 << 30}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(page.app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, pulled


def test_an_oversize_upload_is_stopped_while_it_streams(page: PageUnderTest) -> None:
    cap = page.settings.web_max_upload_mb * 1024 * 1024
    status, pulled = _endless_upload(page, content_length=None)
    assert status == 413
    # The page stops reading within one chunk past the cap, not at the end of the body.
    assert pulled <= cap + FORM_OVERHEAD_BYTES + 2 * 64 * 1024
    assert _stored_files(page) == []


def test_an_upload_declared_too_large_is_refused_before_reading(page: PageUnderTest) -> None:
    status, pulled = _endless_upload(page, content_length=10 << 30)
    assert status == 413
    assert pulled == 0


def test_the_size_cap_page_says_what_the_limit_is(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(client, token, content=GOOD_DELIVERIES + b"x" * (2 << 20))
    assert status == 413
    assert "larger than the limit" in html
    assert "1 MB" in html


@pytest.mark.parametrize(
    "client_name",
    [
        "../../../../etc/passwd.csv",
        "..\\..\\windows\\win.ini.csv",
        "/etc/cron.d/evil.csv",
        "C:\\Users\\buyer\\Desktop\\acme.csv",
        "acme\x00.xlsx",
        "..",
        "<script>alert(1)</script>.csv",
    ],
)
def test_file_names_from_the_browser_never_become_paths(
    page: PageUnderTest, client_name: str
) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(client, token, content=GOOD_DELIVERIES, filename=client_name)
    assert status == 200
    assert "<script>" not in html
    stored = _stored_files(page)
    assert len(stored) == 1
    # Stored under a random name inside the uploads folder, whatever the browser said.
    assert stored[0].parent == page.settings.uploads_dir
    assert len(stored[0].stem) == 32
    assert stored[0].suffix == ".csv"


@pytest.mark.parametrize(
    ("content", "named", "said"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "prices.xlsx", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "deliveries.csv", "a PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old.xlsx", "legacy .xls"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "report.csv", "a Windows program"),
        (bytes(range(256)) * 4, "data.csv", "binary"),
        (b"", "empty.csv", "the file is empty"),
    ],
)
def test_the_file_type_is_judged_by_its_content_not_its_name(
    page: PageUnderTest, content: bytes, named: str, said: str
) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(
        client,
        token,
        content=content,
        filename=named,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert status == 200
    assert "Rejected" in html
    assert said in html
    # Refused content is not kept.
    assert _stored_files(page) == []


def test_a_csv_named_like_a_pdf_is_still_read_as_csv(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(
        client, token, content=GOOD_DELIVERIES, filename="scan.pdf", content_type="application/pdf"
    )
    assert status == 200
    assert "Accepted: 2 rows" in html


# --- results and history --------------------------------------------------------------------


def test_an_accepted_file_shows_its_row_count_and_enters_the_history(
    page: PageUnderTest,
) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(client, token, content=GOOD_DELIVERIES, filename="acme-march.csv")
    assert status == 200
    assert "Accepted: 2 rows taken as deliveries" in html
    history = client.get("/uploads").text
    assert "acme-march.csv" in history
    assert "accepted" in history
    assert "local-buyer" in history


def test_a_rejected_file_names_the_bad_cell_and_offers_the_error_workbook(
    page: PageUnderTest,
) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(client, token, content=BAD_DELIVERIES, filename="acme-bad.csv")
    assert status == 200
    assert "Rejected" in html
    assert "<td>lots</td>" in html
    assert "<td>3</td>" in html
    link = html.split('id="report-link" href="', 1)[1].split('"', 1)[0]
    report = client.get(link)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(report.content), read_only=True)
    rows = [list(row) for row in book["Errors"].iter_rows(values_only=True)]
    book.close()
    assert any(row[1] == 3 and row[3] == "lots" for row in rows[1:])
    history = client.get("/uploads").text
    assert "acme-bad.csv" in history
    assert "rejected" in history


def test_the_same_file_twice_is_reported_as_already_accepted(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    upload(client, token, content=GOOD_DELIVERIES)
    status, html = upload(client, token, content=GOOD_DELIVERIES)
    assert status == 200
    assert "Already accepted earlier" in html


def test_a_report_outside_the_reports_folder_is_never_served(
    page: PageUnderTest, engine: Engine, tmp_path: Path
) -> None:
    from models.operations import Upload
    from services.uploads import record_upload

    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"PK\x03\x04 not for buyers")
    stored = record_upload(
        engine,
        Upload(
            public_id="f" * 32,
            kind="deliveries",
            filename="x.csv",
            status="rejected",
            report_path=str(page.settings.reports_dir / ".." / ".." / "secret.xlsx"),
            uploaded_by="mallory",
        ),
    )
    client = page.client()
    assert page.access.demo_key
    sign_in(client, page.access.demo_key)
    assert client.get(f"/uploads/{stored.public_id}/report").status_code == 404


def test_an_unknown_upload_id_is_a_plain_not_found(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    sign_in(client, page.access.demo_key)
    assert client.get("/uploads/../../etc/passwd").status_code == 404
    assert client.get("/uploads/" + "0" * 32).status_code == 404


# --- profiles -------------------------------------------------------------------------------

ACME_PROFILE = b"""
kind = "deliveries"
supplier = "Acme Ltd"
[columns]
sku = "Artikel"
ordered_qty = "Menge"
promised_date = "Liefertermin"
"""
ACME_FILE = b"Artikel,Menge,Liefertermin\n0042,5,2024-03-01\n0043,2,2024-03-04\n"


def test_a_profile_uploaded_with_the_file_is_used_and_offered_again(
    page: PageUnderTest,
) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(
        client, token, content=ACME_FILE, profile_file=("acme.toml", ACME_PROFILE)
    )
    assert status == 200
    assert "Accepted: 2 rows" in html
    form = client.get("/upload").text
    assert "acme.toml (deliveries, uploaded)" in form


def test_the_shipped_profiles_are_offered(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    sign_in(client, page.access.demo_key)
    form = client.get("/upload").text
    assert "shipped)" in form
    assert 'value="shipped:' in form


def test_a_broken_profile_is_a_clear_rejection(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(
        client, token, content=ACME_FILE, profile_file=("acme.toml", b"kind = [broken")
    )
    assert status == 200
    assert "Rejected" in html
    assert "acme.toml" in html
    assert "not valid TOML" in html


def test_a_profile_for_another_kind_is_refused(page: PageUnderTest) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(
        client, token, kind="stock", content=ACME_FILE, profile_file=("acme.toml", ACME_PROFILE)
    )
    assert status == 200
    assert "is for deliveries files, not stock" in html


@pytest.mark.parametrize("choice", ["uploaded:../../etc/passwd", "shipped:../../x", "/etc/passwd"])
def test_a_profile_choice_not_on_the_menu_is_refused(page: PageUnderTest, choice: str) -> None:
    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(client, token, content=GOOD_DELIVERIES, profile=choice)
    assert status == 200
    assert "not one of the offered profiles" in html


def test_a_rejection_names_the_file_as_the_buyer_sent_it(
    page: PageUnderTest, engine: Engine
) -> None:
    from services.uploads import recent_uploads

    client = page.client()
    assert page.access.demo_key
    token = sign_in(client, page.access.demo_key)
    status, html = upload(client, token, content=BAD_DELIVERIES, filename="acme-bad.csv")
    assert status == 200
    assert "problems in acme-bad.csv" in html or "problem in acme-bad.csv" in html
    # The random storage name stays on the server.
    stored_name = recent_uploads(engine)[0].stored_name
    assert stored_name
    assert Path(stored_name).stem not in html
    assert "<td>acme-bad.csv</td>" in html


def test_the_ingest_run_is_named_after_the_file_as_the_buyer_sent_it() -> None:
    from procure.web.ingest_runner import IngestRequest, as_run_name_template, run_name

    request = IngestRequest(
        path=Path("/srv/uploads/0f3a.csv"),
        kind="deliveries",
        supplier="Acme {path}",
        profile=None,
        uploaded_by="alice",
        display_name="{kind} march.csv",
    )
    # Prefect fills run-name templates from the flow's parameters; braces must stay literal.
    shown = as_run_name_template(run_name(request)).format(path="/srv", kind="catalog")
    assert shown == "deliveries: {kind} march.csv (Acme {path}) by alice"
