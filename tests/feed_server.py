"""A real HTTP server on 127.0.0.1 that plays a supplier's portal, for feed tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers: a status, a body, optional delay and streaming without length."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/csv"
    delay_seconds: float = 0.0
    chunked: bool = False
    required_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Portal:
    """The routes, and every request seen (path, headers)."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for seen, _ in self.requests if seen == path)


@contextmanager
def supplier_portal() -> Iterator[Portal]:
    """Start the portal on a free loopback port in a thread; stop it on exit."""
    portal = Portal("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # The client may hang up on purpose (a size cap or a timeout).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer()

        def _answer(self) -> None:
            portal.requests.append((self.path, dict(self.headers.items())))
            route = portal.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if any(self.headers.get(k) != v for k, v in route.required_headers.items()):
                self.send_error(401)
                return
            time.sleep(route.delay_seconds)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.chunked:
                # No Content-Length: the client only learns the size while reading.
                self.send_header("Connection", "close")
                self.end_headers()
                for start in range(0, len(route.body), 65536):
                    self.wfile.write(route.body[start : start + 65536])
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            return  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    portal.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
