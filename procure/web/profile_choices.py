"""The profiles a buyer can pick in the upload form: shipped ones and ones uploaded earlier."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from procure.web.upload_stream import ReceivedFile
from purchasing.errors import InputRejected, ProfileError
from services.uploads import uploaded_profiles
from supplier_feeds.profiles import PROFILES_DIR, Profile, parse_profile

SHIPPED = "shipped:"
UPLOADED = "uploaded:"
MAX_PROFILE_BYTES = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ProfileChoice:
    """One entry of the profile menu; ``value`` is what the form sends back, never a path."""

    value: str
    label: str
    path: Path
    profile: Profile


def _read_profile(path: Path, name: str) -> Profile:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError(f"profile {name}: is not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"profile {name}: not valid TOML ({error})") from None
    return parse_profile(document, source=name)


def shipped_choices() -> list[ProfileChoice]:
    """The profiles that come with procure (a broken one is left out, not fatal)."""
    choices = []
    for path in sorted(PROFILES_DIR.glob("*.toml")):
        try:
            profile = _read_profile(path, path.name)
        except ProfileError:
            continue
        label = f"{path.stem} ({profile.kind}, shipped)"
        choices.append(ProfileChoice(SHIPPED + path.stem, label, path, profile))
    return choices


def uploaded_choices(engine: Engine, folder: Path) -> list[ProfileChoice]:
    """Profiles buyers uploaded earlier, still on disk."""
    choices = []
    for entry in uploaded_profiles(engine, profiles_folder=str(folder)):
        path = folder / f"{entry.sha256}.toml"
        try:
            profile = _read_profile(path, entry.name)
        except (ProfileError, OSError):
            continue
        label = f"{entry.name} ({profile.kind}, uploaded)"
        choices.append(ProfileChoice(UPLOADED + entry.sha256, label, path, profile))
    return choices


def all_choices(engine: Engine, folder: Path) -> list[ProfileChoice]:
    return shipped_choices() + uploaded_choices(engine, folder)


def resolve_choice(value: str, engine: Engine, folder: Path) -> ProfileChoice:
    """The menu entry the form named; anything else is refused, so no path comes from outside."""
    for choice in all_choices(engine, folder):
        if choice.value == value:
            return choice
    raise InputRejected("the chosen profile is not one of the offered profiles")


def store_uploaded_profile(received: ReceivedFile, folder: Path) -> ProfileChoice:
    """Check a profile sent with the file and keep it under its content hash."""
    if received.size > MAX_PROFILE_BYTES:
        raise ProfileError(f"profile {received.display_name}: larger than 64 KB")
    profile = _read_profile(received.path, received.display_name)
    if not _SHA256.fullmatch(received.sha256):
        raise ProfileError(f"profile {received.display_name}: could not be fingerprinted")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{received.sha256}.toml"
    if target.exists():
        received.path.unlink(missing_ok=True)
    else:
        received.path.replace(target)
    label = f"{received.display_name} ({profile.kind}, uploaded)"
    return ProfileChoice(UPLOADED + received.sha256, label, target, profile)
