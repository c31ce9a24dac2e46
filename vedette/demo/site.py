"""A local news site: a threaded HTTP server on 127.0.0.1 (or ::1) that keeps up with a
crawler (large listen backlog), serving the routes it is given and recording every request.
Used by `vedette demo`, the tests and the benchmarks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    # For special behaviour (slow drip, endless body, conditional GET): takes the handler.
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    host: str


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server whose listen backlog keeps up with a crawler (http.server's 5 does not)."""

    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True


class LoopbackServer6(LoopbackServer):
    """The same on an IPv6 address such as ::1."""

    address_family = socket.AF_INET6


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no access log on stderr."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalSite:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.hits.append(Hit(self.path, dict(self.headers.items()),
                                         self.headers.get("Host", "")))
                route = site.routes.get(self.path) or site.routes.get(self.path.split("?")[0])
                if route is None and self.path == "/robots.txt":
                    route = Route(b"User-agent: *\nAllow: /\n",
                                  headers={"Content-Type": "text/plain"})
                if route is None:
                    route = Route(b"not found", status=404, headers={"Content-Type": "text/plain"})
                if route.handler is not None:
                    route.handler(self)
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

        server = LoopbackServer6 if ":" in host else LoopbackServer
        self._server = server((host, 0), Handler)
        self.port = self._server.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str, *, status: int = 200,
            content_type: str = "text/html; charset=utf-8", **headers: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
        self.routes[path] = Route(data, status, all_headers)

    def requested(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path == path)

    def article_requests(self, prefix: str = "/news/") -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path.startswith(prefix))

    def start(self) -> LocalSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
