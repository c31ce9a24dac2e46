"""A stand-in for Slack's incoming-webhook endpoint: a threaded HTTP server on 127.0.0.1
(large listen backlog) that records every JSON payload posted to it and answers as the
test scripted, one reply per request: 200 "ok" once the script is used up."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from vedette.demo.site import LoopbackServer, QuietHandler


@dataclass(frozen=True)
class Reply:
    """How to answer one request."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    """Seconds to wait before answering (the server's stop() cuts it short)."""

    @classmethod
    def ok(cls) -> Reply:
        return cls()

    @classmethod
    def rate_limited(cls, retry_after: str | float = 1) -> Reply:
        return cls(429, "rate_limited", {"Retry-After": str(retry_after)})

    @classmethod
    def error(cls, status: int = 500, body: str = "rollup_error") -> Reply:
        return cls(status, body)

    @classmethod
    def hanging(cls, seconds: float = 30.0) -> Reply:
        return cls(hang=seconds)


@dataclass(frozen=True)
class Request:
    """One request the receiver got, and what it answered."""

    path: str
    headers: dict[str, str]
    payload: Any
    """The JSON body, parsed (None when it was not JSON)."""
    status: int
    """The status scripted for it (not sent if the client gave up while it hung)."""
    hung: bool
    at: float
    """time.monotonic() when the request arrived."""




class SlackReceiver:
    """Use as a context manager; `url` is the webhook URL to configure."""

    def __init__(self, path: str = "/services/T0VEDETTE/B0VEDETTE/xoxSeCrEtToKeN42") -> None:
        self.path = path
        self.requests: list[Request] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
                reply = receiver._next_reply()
                with receiver._lock:
                    receiver.requests.append(Request(self.path, dict(self.headers.items()),
                                                     payload, reply.status, reply.hang > 0,
                                                     arrived))
                if reply.hang and receiver._stopping.wait(reply.hang):
                    return
                body = reply.body.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order (then 200 "ok")."""
        with self._lock:
            self._script.extend(replies)

    @property
    def accepted(self) -> list[Any]:
        """The payloads answered with 200 at once, in the order they arrived."""
        with self._lock:
            return [r.payload for r in self.requests if r.status == 200 and not r.hung]

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else Reply()

    def start(self) -> SlackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
