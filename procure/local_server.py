"""Start (or find) the local Prefect server that the embedded setup uses.

Anything started here runs in its own session, with stdin, stdout and stderr redirected to
a log file under ``PROCURE_HOME``, so it outlives the command without holding its terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200


@dataclass(frozen=True)
class LocalServer:
    api_url: str
    ui_url: str
    log_path: Path | None
    started: bool


def _healthy(api_url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def prefect_environment(home: Path, port: int = DEFAULT_PORT) -> dict[str, str]:
    """The variables that point Prefect at procure's local server and its own home."""
    api_url = f"http://{DEFAULT_HOST}:{port}/api"
    return {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_API_HOST": DEFAULT_HOST,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


def ensure_local_server(
    home: Path, port: int = DEFAULT_PORT, wait_seconds: float = 90
) -> LocalServer:
    """Reuse a healthy server on ``port`` or start one detached (TimeoutError if none answers)."""
    env = prefect_environment(home, port)
    api_url = env["PREFECT_API_URL"]
    ui_url = f"http://{DEFAULT_HOST}:{port}"
    if _healthy(api_url):
        return LocalServer(api_url, ui_url, None, started=False)

    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / "prefect-server.log"
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--host", DEFAULT_HOST, "--port", str(port)]
    with open(os.devnull, "rb") as devnull, log_path.open("ab") as log:
        subprocess.Popen(
            command,
            stdin=devnull,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if _healthy(api_url):
            return LocalServer(api_url, ui_url, log_path, started=True)
        time.sleep(0.5)
    raise TimeoutError(f"the Prefect server did not answer on {api_url}; see {log_path}")
