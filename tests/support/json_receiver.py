"""A local stand-in for a webhook endpoint: a threaded HTTP server on 127.0.0.1 that
records every POST and answers with the status the test sets, or hangs until stopped.

Apprise's `json://` and `form://` URLs post to it, so a test can check exactly what a
notification service would have received.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

from vedette.demo.site import LoopbackServer, QuietHandler

Reply = int | Literal["hang"]

HANG_LIMIT = 30.0
"""Longest a hanging request is held when nobody stops the receiver."""


@dataclass(frozen=True)
class Received:
    """One POST as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """A urlencoded body as a dict (the last value of each field)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8")).items()}



class JsonReceiver:
    """Records POSTs; `reply` is the status for every path unless `routes` has one for the
    path or a folder above it (`{"/fail": 500}` also fails `/fail/TOKEN`).

    `"hang"` reads the request and answers nothing until `stop()` (or HANG_LIMIT seconds).
    `size_limits` maps a path to the longest body it takes: a longer one is answered 413,
    as a service with a payload limit does.
    """

    def __init__(self, reply: Reply = 200, routes: dict[str, Reply] | None = None,
                 size_limits: dict[str, int] | None = None) -> None:
        self.reply: Reply = reply
        self.routes: dict[str, Reply] = dict(routes or {})
        self.size_limits: dict[str, int] = dict(size_limits or {})
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                reply = receiver.reply_for(self.path)
                limit = receiver.size_limits.get(self.path.split("?")[0])
                if limit is not None and len(body) > limit:
                    reply = 413
                if reply == "hang":
                    receiver._release.wait(HANG_LIMIT)
                    self.close_connection = True
                    return
                payload = b"{}" if reply < 400 else b'{"error": "receiver told to fail"}'
                self.send_response(reply)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    def start(self) -> JsonReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests and close the server."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def reply_for(self, path: str) -> Reply:
        """The reply of the longest route that is `path` or a folder above it."""
        path = path.split("?")[0]
        routes = [r for r in self.routes if path == r or path.startswith(r.rstrip("/") + "/")]
        return self.routes[max(routes, key=len)] if routes else self.reply

    def url(self, path: str = "/hook", scheme: str = "json") -> str:
        """An Apprise URL posting to `path` on this receiver (`json://` or `form://`)."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path.split("?")[0] == path]

    def __enter__(self) -> JsonReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
