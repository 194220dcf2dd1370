"""A tiny HTTP server on 127.0.0.1 for the demo, the tests and the benchmarks.

It serves whatever is in `routes` (path → Response) and answers conditional GETs
like a well-behaved publisher, so the bot can be shown working with no internet.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # answer If-None-Match with 304 when the body is unchanged


Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """`with LocalServer() as server: server.routes['/x'] = Response(...)`; server.url('/x')."""

    def __init__(self, routes: dict[str, Response | Handler] | None = None):
        self.routes: dict[str, Response | Handler] = dict(routes or {})
        self.hits: dict[str, int] = {}
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, each response waits ~40 ms for
            # the client's delayed ACK (Nagle), which made every local poll 80 times slower.
            disable_nagle_algorithm = True

            def do_GET(self):  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                route = server.routes.get(path)
                if route is None:
                    self._send(Response(b"not found", 404, "text/plain"))
                elif callable(route):
                    route(self)
                else:
                    self._send(route)

            def _send(self, response: Response):
                tag = '"' + hashlib.md5(response.body).hexdigest() + '"' if response.etag else None
                if tag and self.headers.get("If-None-Match") == tag and response.status == 200:
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                if tag:
                    self.send_header("ETag", tag)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, *args):  # keep test and demo output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
