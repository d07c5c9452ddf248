"""The upload page's record: what each buyer sent and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.operations import Upload

MAX_STORED_ERRORS = 1000


@dataclass(frozen=True)
class UploadedProfile:
    """A profile a buyer uploaded earlier, offered again in the upload form."""

    sha256: str
    name: str


def record_upload(engine: Engine, upload: Upload) -> Upload:
    """Store one upload outcome and return it with its id."""
    upload.errors = [dict(cell) for cell in upload.errors[:MAX_STORED_ERRORS]]
    with Session(engine, expire_on_commit=False) as session:
        session.add(upload)
        session.commit()
        session.refresh(upload)
    return upload


def find_upload(engine: Engine, *, public_id: str) -> Upload | None:
    """The upload with this public id, or None."""
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Upload).where(Upload.public_id == public_id)).first()


def recent_uploads(engine: Engine, *, limit: int = 100) -> list[Upload]:
    """The latest uploads, newest first."""
    with Session(engine, expire_on_commit=False) as session:
        statement = (
            select(Upload).order_by(col(Upload.created_at).desc(), col(Upload.id).desc())
        ).limit(limit)
        return list(session.exec(statement).all())


def uploaded_profiles(
    engine: Engine, *, profiles_folder: str, limit: int = 50
) -> list[UploadedProfile]:
    """Profiles buyers uploaded with earlier files, latest name per distinct content."""
    with Session(engine, expire_on_commit=False) as session:
        statement = (
            select(Upload.profile_path, Upload.profile_name)
            .where(col(Upload.profile_path).startswith(profiles_folder, autoescape=True))
            .order_by(col(Upload.created_at).desc(), col(Upload.id).desc())
            .limit(limit * 20)
        )
        rows = session.exec(statement).all()
    seen: dict[str, UploadedProfile] = {}
    for path, name in rows:
        if not path:
            continue
        sha256 = Path(path).stem
        if sha256 not in seen:
            seen[sha256] = UploadedProfile(sha256, name or sha256[:12])
    return list(seen.values())[:limit]
