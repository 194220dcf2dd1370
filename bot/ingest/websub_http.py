"""The WebSub callback over HTTP: /websub/<feed id> as a WSGI app, and a server for it alone.

In HTTP mode the Slack server (bot/slack/app.py) hands these paths to `callback_app`; in Socket
Mode and console mode, which have no server of their own, `callback_server` serves them (and
/healthz) on PORT. The body is read only up to the fetch size cap, like a polled feed's.
"""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl, unquote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.ingest.websub import WebSub

logger = logging.getLogger(__name__)

PREFIX = "/websub/"
_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 500: "Internal Server Error"}


def callback_app(websub: WebSub):
    """A WSGI app answering /websub/<feed id> (404 for any other path)."""
    def app(environ, start_response):
        path = environ.get("PATH_INFO") or ""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        status, body = 404, b"not found"
        if path.startswith(PREFIX) and len(path) > len(PREFIX):
            feed_id = unquote(path[len(PREFIX):])
            status, body, reason = _read(environ, websub.settings.max_body_bytes) if method == "POST" else (0, b"", None)
            if reason:
                logger.info("websub: refused a push to %r: %s", path[:100], reason)
            else:
                params = dict(parse_qsl(environ.get("QUERY_STRING") or "", keep_blank_values=True)[:50])
                headers = {"content-type": environ.get("CONTENT_TYPE") or "",
                           "x-hub-signature": environ.get("HTTP_X_HUB_SIGNATURE") or ""}
                try:
                    answer = websub.handle(method, feed_id, params, headers, body)
                    status, body = answer.status, answer.body
                except Exception:  # one bad request never takes the server down
                    logger.exception("websub callback failed")
                    status, body = 500, b"error"
        start_response(f"{status} {_REASONS.get(status, '')}".strip(),
                       [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def _read(environ, limit: int) -> tuple[int, bytes, str | None]:
    """(0, body, None), or (status, message, reason) for a body refused before it is read."""
    if environ.get("HTTP_TRANSFER_ENCODING"):
        return 411, b"length required", "a body without Content-Length"
    declared = (environ.get("CONTENT_LENGTH") or "0").strip()
    if not (declared.isascii() and declared.isdigit()):
        return 400, b"bad length", "Content-Length not a number"
    if int(declared) > limit:
        return 413, b"too large", f"body of {int(declared):,} bytes, limit {limit:,}"
    body = environ["wsgi.input"].read(int(declared))
    if len(body) != int(declared):
        return 400, b"short body", "body shorter than its Content-Length"
    return 0, body, None


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        logger.debug("websub http: " + args[0], *args[1:])


def callback_server(websub: WebSub, *, port: int, host: str = "0.0.0.0"):
    """A threaded server for the callback alone (and /healthz), started; call .shutdown() to stop it."""
    callbacks = callback_app(websub)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return callbacks(environ, start_response)

    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    logger.info("listening for WebSub pushes on port %s (%s<feed id>)", server.server_address[1], PREFIX)
    return server
