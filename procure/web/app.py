"""The upload page's routes: sign-in, the upload form, results, history and error workbooks."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.operations import Upload
from models.statuses import FILE_KINDS, UPLOAD_STATUSES
from procure.settings import Settings
from procure.web.access import Access
from procure.web.file_types import sniff
from procure.web.ingest_runner import Ingestor, IngestRequest, rejection_document
from procure.web.profile_choices import (
    MAX_PROFILE_BYTES,
    ProfileChoice,
    all_choices,
    resolve_choice,
    store_uploaded_profile,
)
from procure.web.upload_stream import (
    FormLimits,
    FormRefused,
    ReceivedForm,
    UploadTooLarge,
    receive_form,
)
from purchasing.errors import FileRejected, InputRejected
from services.uploads import find_upload, recent_uploads, record_upload

HERE = Path(__file__).parent
SESSION_COOKIE = "procure_session"
SESSION_SECONDS = 8 * 3600
SMALL_FORM_BYTES = 16 * 1024
_PUBLIC_ID = re.compile(r"[0-9a-f]{32}")
KIND_LABELS = {
    "deliveries": "Delivery history (receipts)",
    "catalog": "Price list / catalog",
    "confirmations": "Order confirmations",
    "stock": "Supplier stock list",
    "backorders": "Store back orders",
    "inventory": "Our stock on hand",
}
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds the browser hardening headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CsrfRefused(InputRejected):
    """A form arrived without the token of the session that shows it."""


@dataclass
class PageContext:
    """What the upload page needs while it serves requests."""

    settings: Settings
    access: Access
    engine: Callable[[], Engine]
    ingestor: Ingestor
    ui_url: Callable[[], str | None]
    templates: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
        )
    )

    @property
    def max_upload_bytes(self) -> int:
        return self.settings.web_max_upload_mb * 1024 * 1024

    @property
    def profiles_folder(self) -> Path:
        return self.settings.uploads_dir / "profiles"


def _user(request: Request) -> str | None:
    user = request.session.get("user")
    return user if isinstance(user, str) else None


def _csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _csrf_ok(request: Request, offered: str | None) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not offered:
        return False
    return hmac.compare_digest(expected.encode(), offered.encode("utf-8", "replace"))


def _clean_text(value: str | None, what: str, max_length: int) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > max_length:
        raise FormRefused(f"{what} is longer than {max_length} characters")
    if any(unicodedata.category(char)[0] == "C" for char in text):
        raise FormRefused(f"{what} contains control characters")
    return text


def create_app(
    settings: Settings,
    access: Access,
    *,
    engine: Callable[[], Engine],
    ingestor: Ingestor,
    ui_url: Callable[[], str | None],
    secure_cookies: bool = False,
) -> FastAPI:
    """The upload page as an ASGI app; the ingest and the Prefect UI address are injected."""
    page = PageContext(settings, access, engine, ingestor, ui_url)
    app = FastAPI(title="procure upload page", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=access.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=secure_cookies,
    )
    app.add_middleware(SecurityHeaders)

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = page.templates.get_template(template).render(
            user=_user(request), csrf_token=_csrf_token(request), **context
        )
        return HTMLResponse(html, status_code=status)

    def refused(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
        return render(request, "refused.html", status, heading=heading, message=message)

    def to_signin() -> RedirectResponse:
        return RedirectResponse("/signin", status_code=303)

    async def small_form(request: Request) -> dict[str, str]:
        # Sign-in and sign-out forms are tiny; read at most a few KB of them.
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > SMALL_FORM_BYTES:
                raise FormRefused("the form is too large")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise FormRefused("the form is malformed") from None
        return dict(pairs)

    @app.get("/static/site.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(HERE / "static" / "site.css", media_type="text/css")

    @app.get("/", response_model=None)
    def home(request: Request) -> Response:
        return RedirectResponse("/upload", status_code=303) if _user(request) else to_signin()

    @app.get("/signin")
    def signin_form(request: Request) -> HTMLResponse:
        return render(
            request,
            "signin.html",
            failed=None,
            demo_mode=access.demo_mode,
            passwords=bool(access.password_hashes),
        )

    @app.post("/signin", response_model=None)
    async def signin(request: Request) -> Response:
        try:
            form = await small_form(request)
        except FormRefused as error:
            return refused(request, 400, "Sign-in refused", str(error))
        if not _csrf_ok(request, form.get("csrf_token")):
            return refused(request, 403, "Sign-in refused", "the form has expired; reload it")
        user: str | None = None
        if form.get("api_key"):
            user = access.user_for_key(form["api_key"])
        elif form.get("username") and form.get("password"):
            user = await run_in_threadpool(
                access.user_for_password, form["username"], form["password"]
            )
        if user is None:
            return render(
                request,
                "signin.html",
                401,
                failed="Sign-in failed: unknown key, or wrong user name or password.",
                demo_mode=access.demo_mode,
                passwords=bool(access.password_hashes),
            )
        # A fresh session (and token) on sign-in, so a planted session cannot be taken over.
        request.session.clear()
        request.session["user"] = user
        request.session["csrf"] = secrets.token_urlsafe(32)
        return RedirectResponse("/upload", status_code=303)

    @app.post("/signout", response_model=None)
    async def signout(request: Request) -> Response:
        try:
            form = await small_form(request)
        except FormRefused as error:
            return refused(request, 400, "Sign-out refused", str(error))
        if not _csrf_ok(request, form.get("csrf_token")):
            return refused(request, 403, "Sign-out refused", "the form has expired; reload it")
        request.session.clear()
        return to_signin()

    @app.get("/upload", response_model=None)
    def upload_form(request: Request) -> Response:
        if not _user(request):
            return to_signin()
        return render(
            request,
            "upload.html",
            kinds=[(kind, KIND_LABELS.get(kind, kind)) for kind in FILE_KINDS],
            profiles=all_choices(page.engine(), page.profiles_folder),
            max_mb=settings.web_max_upload_mb,
        )

    @app.post("/upload", response_model=None)
    async def upload(request: Request) -> Response:
        user = _user(request)
        if not user:
            return refused(request, 401, "Not signed in", "sign in before uploading files")

        def check_token(fields: dict[str, str]) -> None:
            if not _csrf_ok(request, fields.get("csrf_token")):
                raise CsrfRefused("the form has expired or did not come from this page")

        limits = FormLimits(
            file_caps={"file": page.max_upload_bytes, "profile_file": MAX_PROFILE_BYTES}
        )
        try:
            form = await receive_form(
                request.stream(),
                content_type=request.headers.get("content-type", ""),
                content_length=request.headers.get("content-length"),
                folder=settings.uploads_dir,
                limits=limits,
                before_first_file=check_token,
            )
            check_token(form.fields)
        except CsrfRefused as error:
            return refused(request, 403, "Upload refused", f"{error}; reload the upload form")
        except UploadTooLarge as error:
            return refused(request, 413, "File too large", str(error))
        except FormRefused as error:
            return refused(request, 400, "Upload refused", str(error))
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            stored = await run_in_threadpool(_ingest_form, page, form, user)
        except FormRefused as error:
            return refused(request, 400, "Upload refused", str(error))
        finally:
            form.discard()
        return RedirectResponse(f"/uploads/{stored.public_id}", status_code=303)

    @app.get("/uploads", response_model=None)
    def history(request: Request) -> Response:
        if not _user(request):
            return to_signin()
        return render(request, "history.html", uploads=recent_uploads(page.engine(), limit=100))

    @app.get("/uploads/{public_id}", response_model=None)
    def result(request: Request, public_id: str) -> Response:
        if not _user(request):
            return to_signin()
        found = _find(page, public_id)
        if found is None:
            return refused(request, 404, "Not found", "there is no such upload")
        ui = page.ui_url()
        run_url = (
            f"{ui.rstrip('/')}/runs/flow-run/{found.flow_run_id}"
            if ui and found.flow_run_id
            else None
        )
        return render(
            request,
            "result.html",
            upload=found,
            run_url=run_url,
            counts=[],
            report_available=_report_path(page, found) is not None,
        )

    @app.get("/uploads/{public_id}/report", response_model=None)
    def report(request: Request, public_id: str) -> Response:
        if not _user(request):
            return refused(request, 401, "Not signed in", "sign in to download error workbooks")
        found = _find(page, public_id)
        path = _report_path(page, found) if found else None
        if found is None or path is None:
            return refused(request, 404, "Not found", "there is no error workbook for this upload")
        stem = Path(found.filename).stem
        safe_stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:60]
        return FileResponse(
            path,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"{safe_stem or 'upload'}-errors.xlsx",
        )

    return app


def _find(page: PageContext, public_id: str) -> Upload | None:
    if not _PUBLIC_ID.fullmatch(public_id):
        return None
    return find_upload(page.engine(), public_id=public_id)


def _report_path(page: PageContext, upload: Upload) -> Path | None:
    """The error workbook of an upload, only when it lies inside procure's reports folder."""
    if not upload.report_path:
        return None
    path = Path(upload.report_path).resolve()
    reports = page.settings.reports_dir.resolve()
    if not path.is_relative_to(reports) or not path.is_file():
        return None
    return path


def _ingest_form(page: PageContext, form: ReceivedForm, user: str) -> Upload:
    """Check the form's choices and file, run the ingest, and record what became of it."""
    kind = (form.fields.get("kind") or "").strip()
    if kind not in FILE_KINDS:
        raise FormRefused(f"choose the kind of file (one of {', '.join(FILE_KINDS)})")
    supplier = _clean_text(form.fields.get("supplier"), "the supplier name", 200)
    received = form.files.get("file")
    if received is None:
        raise FormRefused("choose a supplier file to upload")
    upload = Upload(
        public_id=secrets.token_hex(16),
        kind=kind,
        supplier_name=supplier,
        filename=received.display_name,
        size_bytes=received.size,
        sha256=received.sha256,
        status="rejected",
        uploaded_by=user,
    )
    try:
        choice = _profile_choice(page, form)
        if choice is not None:
            upload.profile_name = choice.label.rsplit(" (", 1)[0][:200]
            upload.profile_path = str(choice.path)
            if choice.profile.kind != kind:
                raise InputRejected(
                    f"the profile {upload.profile_name} is for {choice.profile.kind} files, "
                    f"not {kind}"
                )
        sniffed = sniff(received.head)
    except InputRejected as error:
        document = rejection_document(str(error))
        if isinstance(error, FileRejected) and error.errors:
            document["errors"] = [cell.as_dict() for cell in error.errors]
        return _record(page, upload, document, None)

    stored = received.path.with_name(received.path.stem + sniffed.suffix)
    received.path.replace(stored)
    received.path = stored
    upload.stored_name = stored.name
    outcome = page.ingestor(
        IngestRequest(
            path=stored,
            kind=kind,
            supplier=supplier,
            profile=choice.path if choice else None,
            uploaded_by=user,
            display_name=received.display_name,
        )
    )
    if outcome.document.get("status") == "accepted":
        # Accepted files are kept as the record of what was taken; the rest are dropped.
        form.files.pop("file")
    document = _shown_as_sent(outcome.document, stored, received.display_name)
    return _record(page, upload, document, outcome.flow_run_id)


def _shown_as_sent(document: dict[str, Any], stored: Path, shown: str) -> dict[str, Any]:
    """Name the file as the buyer did wherever the ingest named the stored (random) file."""

    def rename(text: object) -> object:
        if not isinstance(text, str):
            return text
        return text.replace(stored.name, shown).replace(stored.stem, Path(shown).stem)

    errors = [
        {**cell, "sheet": rename(cell.get("sheet")), "message": rename(cell.get("message"))}
        for cell in document.get("errors") or []
        if isinstance(cell, dict)
    ]
    return {**document, "message": rename(document.get("message")), "errors": errors}


def _profile_choice(page: PageContext, form: ReceivedForm) -> ProfileChoice | None:
    chosen = (form.fields.get("profile") or "").strip()
    sent = form.files.get("profile_file")
    if sent is not None and chosen:
        raise InputRejected("choose a profile from the list or upload one, not both")
    if sent is not None:
        choice = store_uploaded_profile(sent, page.profiles_folder)
        form.files.pop("profile_file")
        return choice
    if chosen:
        return resolve_choice(chosen, page.engine(), page.profiles_folder)
    return None


def _record(
    page: PageContext, upload: Upload, document: dict[str, Any], flow_run_id: str | None
) -> Upload:
    status = str(document.get("status"))
    if status not in UPLOAD_STATUSES:
        raise ValueError(f"the ingest returned an unknown status {status!r}")
    upload.status = status
    upload.rows = int(document.get("rows") or 0)
    upload.error_count = int(document.get("error_count") or 0)
    upload.errors = list(document.get("errors") or [])
    message = document.get("message")
    upload.message = str(message)[:1000] if message else None
    report = document.get("report")
    upload.report_path = str(report)[:1000] if report else None
    upload.flow_run_id = flow_run_id
    return record_upload(page.engine(), upload)
