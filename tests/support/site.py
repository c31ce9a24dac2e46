"""Hostile server behaviours for tests, on top of the demo's local site."""

from __future__ import annotations

import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from vedette.demo.site import Hit, LocalSite, Route

__all__ = ["Hit", "LocalSite", "Route", "delayed", "drip", "endless"]


def delayed(body: bytes, pause: float) -> Callable[[BaseHTTPRequestHandler], None]:
    """An HTML page answered after `pause` seconds (to order what a crawl stores)."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        time.sleep(pause)
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
    return handler


def drip(chunks: int, pause: float, body: bytes | None = None) -> Callable[[BaseHTTPRequestHandler], None]:
    """A response sent in `chunks` pieces, one every `pause` seconds (a slow-drip attack):
    `body`, else one byte a piece."""
    data = body if body is not None else b"x" * chunks
    size = -(-len(data) // chunks)

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        try:
            for start in range(0, len(data), size):
                request.wfile.write(data[start:start + size])
                request.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass
    return handler


def endless() -> Callable[[BaseHTTPRequestHandler], None]:
    """A chunked response that never ends (until the client hangs up)."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        chunk = b"<p>" + b"endless " * 8000 + b"</p>"
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        try:
            while True:
                request.wfile.write(frame)
        except OSError:
            pass
    return handler
