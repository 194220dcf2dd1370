"""Real Slack requests for tests: signed slash commands and button clicks, and a response_url catcher."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx

SECRET = "test-signing-secret"
_TRIGGERS = itertools.count(1)


def _trigger_id() -> str:
    """Slack gives every request its own trigger_id, so no two of its bodies are the same."""
    return f"{next(_TRIGGERS)}.{time.time_ns()}"


def signed_headers(body: str, *, secret: str = SECRET, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict:
    """The headers Slack sends: a timestamp and an HMAC-SHA256 of 'v0:timestamp:body'."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}",
            "Content-Type": content_type}


def slash_command(command: str, text: str, *, user: str, response_url: str, channel: str = "C0MALIDESK1") -> str:
    return urlencode({
        "token": "legacy", "team_id": "T0TEST", "team_domain": "newsroom", "channel_id": channel,
        "channel_name": "mali-desk", "user_id": user, "user_name": "editor", "command": command, "text": text,
        "api_app_id": "A0TEST", "response_url": response_url, "trigger_id": _trigger_id(),
    })


def block_action(action: dict, *, user: str, response_url: str, channel: str = "C0MALIDESK1") -> str:
    payload = {
        "type": "block_actions", "user": {"id": user, "username": "editor", "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "legacy", "team": {"id": "T0TEST", "domain": "newsroom"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": False},
        "trigger_id": _trigger_id(), "channel": {"id": channel, "name": "mali-desk"},
        "response_url": response_url, "actions": [{"block_id": "b", "action_ts": str(time.time()), **action}],
    }
    return urlencode({"payload": json.dumps(payload)})


def post(url: str, body: str, **header_args) -> httpx.Response:
    return httpx.post(url, content=body.encode(), headers=signed_headers(body, **header_args), timeout=10,
                      trust_env=False)


class ResponseCatcher:
    """Stands in for Slack's response_url: records every JSON body posted to it."""

    def __init__(self):
        self.bodies: list[dict] = []
        self._cond = threading.Condition()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with catcher._cond:
                    catcher.bodies.append(body)
                    catcher._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/response"

    def wait(self, count: int, *, timeout: float = 15.0) -> list[dict]:
        """Block until `count` answers arrived (bounded)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.bodies) < count and time.monotonic() < deadline:
                self._cond.wait(timeout=max(0.01, deadline - time.monotonic()))
            return list(self.bodies)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
