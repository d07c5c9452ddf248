"""Who may sign in to the upload page, and with what: API keys, passwords, or a demo key."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

from purchasing.errors import ConfigurationError

HASH_SCHEME = "pbkdf2_sha256"
HASH_ITERATIONS = 600_000
DEMO_USER = "local-buyer"


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted PBKDF2 hash in the form ``pbkdf2_sha256$iterations$salt$hash`` (hex)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, HASH_ITERATIONS)
    return f"{HASH_SCHEME}${HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def _check_hash(user: str, stored: str) -> tuple[int, bytes, bytes]:
    parts = stored.split("$")
    try:
        scheme, iterations, salt, digest = parts
        if scheme != HASH_SCHEME or int(iterations) < 100_000:
            raise ValueError(scheme)
        return int(iterations), bytes.fromhex(salt), bytes.fromhex(digest)
    except ValueError:
        raise ConfigurationError(
            f"PROCURE_WEB_USERS: the password of {user!r} must be a hash made by "
            "`procure web --hash-password` (pbkdf2_sha256$iterations$salt$hash)"
        ) from None


@dataclass(frozen=True)
class Access:
    """The sign-in rules of one running upload page."""

    session_secret: str
    api_keys: dict[str, str] = field(default_factory=dict)
    password_hashes: dict[str, str] = field(default_factory=dict)
    demo_key: str | None = None

    @property
    def demo_mode(self) -> bool:
        return self.demo_key is not None

    def user_for_key(self, key: str) -> str | None:
        """The buyer an API key (or the demo key) belongs to, or None."""
        offered = key.strip().encode("utf-8")
        found: str | None = None
        candidates = dict(self.api_keys)
        if self.demo_key:
            candidates[DEMO_USER] = self.demo_key
        # Compare against every key so the time taken does not tell which one nearly matched.
        for user, expected in candidates.items():
            if hmac.compare_digest(offered, expected.encode("utf-8")):
                found = user
        return found

    def user_for_password(self, user: str, password: str) -> str | None:
        """The buyer when the password matches the stored hash, else None."""
        stored = self.password_hashes.get(user)
        if stored is None:
            # Spend the same effort for unknown names so timing does not reveal them.
            hash_password(password, salt=b"\0" * 16)
            return None
        iterations, salt, digest = _check_hash(user, stored)
        offered = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
        return user if hmac.compare_digest(offered, digest) else None


def access_for(
    host: str,
    *,
    secret: str | None,
    api_keys: dict[str, str],
    password_hashes: dict[str, str],
) -> Access:
    """Decide how the page signs people in, or refuse a setup that would be unsafe."""
    for user, stored in password_hashes.items():
        _check_hash(user, stored)
    for user, key in api_keys.items():
        if len(key) < 16:
            raise ConfigurationError(
                f"PROCURE_WEB_API_KEYS: the key of {user!r} is shorter than 16 characters"
            )
    if secret:
        if len(secret) < 16:
            raise ConfigurationError("PROCURE_WEB_SECRET must be at least 16 characters long")
        if not api_keys and not password_hashes:
            raise ConfigurationError(
                "PROCURE_WEB_SECRET is set but nobody can sign in: "
                "set PROCURE_WEB_API_KEYS or PROCURE_WEB_USERS"
            )
        return Access(secret, dict(api_keys), dict(password_hashes))
    if not is_loopback(host):
        raise ConfigurationError(
            f"refusing to serve the upload page on {host} without a secret: "
            "set PROCURE_WEB_SECRET (and PROCURE_WEB_API_KEYS or PROCURE_WEB_USERS), "
            "or listen on 127.0.0.1 for local demo mode"
        )
    # Local demo mode: both secrets live only as long as this process.
    return Access(
        secrets.token_urlsafe(32),
        dict(api_keys),
        dict(password_hashes),
        demo_key=secrets.token_urlsafe(18),
    )
