"""The Slack app: builds the slack_bolt App, wires the handlers, the alert sender and the scheduler.

The one module in bot/ that imports slack_bolt. Modes: Socket Mode when SLACK_APP_TOKEN is
set (no public URL needed), HTTP mode (/slack/events, signatures verified by Bolt) with a
signing secret, console mode otherwise. Whatever the mode, one process runs one scheduler.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import io
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings, SlackSettings
from bot.incidents.desk import Desk
from bot.slack import charts, home, messages, suggestion_post, track
from bot.slack.digest_schedule import with_digests
from bot.slack.sender import SenderSettings, SlackSender, make_web_client
from handlers import actions as action_handlers
from handlers import feeds as feeds_handlers
from handlers import incident as incident_handlers

logger = logging.getLogger(__name__)

# users.info answers are kept this long: a workspace admin demoted (or promoted) in Slack gets the
# new rights for /feeds within 2 minutes, at the cost of one users.info call per admin per 2 minutes.
ADMIN_CACHE_SECONDS = 120


@dataclass
class Deps:
    """What the handlers need, passed in so tests can build them around a fake Slack."""

    db: object
    desk: Desk
    settings: Settings
    slack: SlackSettings
    sender: SlackSender | None = None
    # user → (is a workspace admin or owner, when users.info said so by `clock`)
    _workspace_admins: dict[str, tuple[bool, float]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    # The slow part of an answer runs here, two at a time: many CPU-bound answers at once would
    # starve the threads that acknowledge new commands (Python runs one thread at a time).
    work: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=2,
                                                                                thread_name_prefix="answer"))

    def later(self, fn: Callable, *args, **kwargs) -> None:
        """Run fn after the acknowledgement; errors are logged, never lost silently."""
        def run():
            try:
                fn(*args, **kwargs)
            except Exception:
                logger.exception("answering a Slack request failed")
        self.work.submit(run)

    def is_admin(self, client: WebClient, user: str) -> bool:
        """Listed in INCIDENT_DESK_ADMINS, or (when enabled) a workspace admin or owner."""
        if user in self.slack.admins:
            return True
        if not self.slack.workspace_admins_are_admins:
            return False
        now = self.clock()
        cached = self._workspace_admins.get(user)
        if cached is not None and now - cached[1] < ADMIN_CACHE_SECONDS:
            return cached[0]
        try:
            info = client.users_info(user=user)["user"]
        except SlackApiError as exc:  # fails closed, and asks again next time
            self._workspace_admins.pop(user, None)
            logger.warning("users.info failed; treating as non-admin: %s", exc.response.get("error"))
            return False
        is_admin = bool(info.get("is_admin") or info.get("is_owner"))
        self._workspace_admins[user] = (is_admin, now)
        return is_admin

    def after_feedback(self, incident_id: int) -> None:
        """An editor changed what counts: the thread's parent must show the new toll."""
        if self.sender is None:
            return
        try:
            self.sender.refresh_parent(incident_id)
        except Exception:  # Slack trouble must not turn a recorded decision into an error
            logger.exception("parent refresh failed", extra={"incident_id": incident_id})


REPLAY_WINDOW_SECONDS = 60 * 5  # Slack's own: a request signed more than 5 minutes away from now is stale
_TIMESTAMP_DIGITS = 12


class SignedRequests(Middleware):
    """Bolt's request verification, hardened; it takes the place of Bolt's own in HTTP mode.

    - the timestamp must be ASCII digits (Bolt's `int()` raised on anything else: a 500), and a
      signature that is not ASCII is refused rather than crashing `hmac.compare_digest`;
    - a signature already served inside the window is refused: the same signed request sent twice
      (a replay) runs once. The signatures are kept only while their timestamp is inside the window
      (outside it they are refused as stale anyway), so memory holds ~10 minutes of Slack's requests;
    - a refused request is logged with its reason only: Bolt logged the whole body at INFO.
    """

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time,
                 window: int = REPLAY_WINDOW_SECONDS):
        self._secret = signing_secret.encode()
        self._clock, self._window = clock, window
        self._seen: set[str] = set()
        self._expiry: list[tuple[int, str]] = []  # heap of (timestamp, signature)
        self._lock = threading.Lock()

    @property
    def remembered(self) -> int:
        with self._lock:
            return len(self._seen)

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        if req.mode == "socket_mode":  # Socket Mode requests come over the app's own websocket
            return next()
        timestamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        refusal = self.refusal(req.raw_body, timestamp, signature)
        if refusal:
            logger.info("refused a request to /slack/events: %s", refusal)  # never the body
            return BoltResponse(status=401, body={"error": "invalid request"})
        return next()

    def refusal(self, body: str, timestamp: str, signature: str) -> str | None:
        """Why the request is refused, or None when it is Slack's, signed now and never seen before."""
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
            return "timestamp missing or not a number"
        stamp, now = int(timestamp), self._clock()
        if abs(now - stamp) > self._window:
            return "timestamp outside the 5-minute window"
        expected = "v0=" + hmac.new(self._secret, f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "bad signature"
        with self._lock:
            while self._expiry and self._expiry[0][0] < now - self._window:
                self._seen.discard(heapq.heappop(self._expiry)[1])
            if signature in self._seen:
                return "replay of a request already served"
            self._seen.add(signature)
            heapq.heappush(self._expiry, (stamp, signature))
        return None


def build_app(deps: Deps, *, client: WebClient, signing_secret: str | None = None,
              token_verification: bool = True) -> App:
    """The Bolt app with every handler registered."""
    # Every listener only acknowledges and hands its work to deps.later(), so Bolt may run it in
    # the request's own thread and answer Slack as soon as it returns (process_before_response).
    # Otherwise Bolt runs listeners on a thread pool and polls every 10 ms for the ack: slower,
    # and the acks of a burst of commands queue behind each other.
    # With a signing secret, SignedRequests replaces Bolt's RequestVerification at the same place in
    # the chain (before authorization, URL verification and every listener).
    app = App(client=client, signing_secret=signing_secret or "unused-in-socket-mode",
              process_before_response=True, token_verification_enabled=token_verification,
              request_verification_enabled=False, name="incident-desk",
              before_authorize=SignedRequests(signing_secret) if signing_secret is not None else None)
    # Before /incident's own listener: `<name> chart` and a bare `track` (the modal) are theirs.
    charts.register(app, deps)
    track.register(app, deps)
    suggestion_post.register(app, deps)
    home.register(app, deps)
    incident_handlers.register(app, deps)
    feeds_handlers.register(app, deps)
    action_handlers.register(app, deps)
    action_handlers.register_channel_events(app, deps)
    return app


def make_renderers(desk) -> tuple[Callable, Callable]:
    """The sender's renderers, drawn by the desk (in this process or its own): the parent shows the current toll."""
    if hasattr(desk, "parent_message"):  # the desk process renders in its own process
        return (lambda db, incident_id: desk.parent_message(incident_id)), (lambda db, row: desk.alert_message(row))
    return (lambda db, incident_id: messages.parent_message(desk, incident_id)), \
        (lambda db, row: messages.alert_message(desk, row))


def make_sender(db, desk, client: WebClient, slack: SlackSettings) -> SlackSender:
    render_parent, render_alert = make_renderers(desk)
    render_alert = suggestion_post.with_suggestions(render_alert)  # a suggestion has no incident to ask about
    render_alert = with_digests(render_alert)  # a digest row carries its own message

    def notify_admins(text: str) -> None:
        targets = [slack.admin_channel] if slack.admin_channel else sorted(slack.admins)
        for target in targets:
            try:
                client.chat_postMessage(channel=target, text=f":rotating_light: Incident Desk: {text}")
            except SlackApiError as exc:
                logger.error("could not tell the admins (%s): %s", exc.response.get("error"), text)
        if not targets:
            logger.error("no admin to tell: %s", text)

    settings = SenderSettings(rate_per_channel=slack.channel_messages_per_minute / 60.0)
    return SlackSender(db, client=client, render_parent=render_parent, render_alert=render_alert,
                       notify_admins=notify_admins, settings=settings)


def make_client(slack: SlackSettings) -> WebClient:
    return make_web_client(token=slack.bot_token, base_url=slack.api_url)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default of 5 resets a burst of slash commands


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        logger.debug("http: " + args[0], *args[1:])


# The largest body read from anyone, before its signature is checked. Slack's own requests are
# small: a slash command or a button click is a few KB, a view submission carries its view (Slack
# caps a view's payload at ~100 KB), an Events API message is bounded by Slack's 40,000-character
# text and 50 blocks. 1 MB leaves ten times the largest of those, and bounds what a stranger
# makes us hold per request (Bolt read the whole body, then decoded it: 800 MB took 4 GB).
MAX_BODY_BYTES = 1024 * 1024
_CHUNK_LINE_BYTES = 1024  # a chunk-size line (hex size and extensions) or a trailer line


class _Refused(Exception):
    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def read_capped_body(environ, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, never reading more than `limit` bytes of it: by Content-Length, or
    chunk by chunk for a chunked body (wsgiref hands those over undecoded). _Refused otherwise."""
    stream = environ["wsgi.input"]
    encoding = (environ.get("HTTP_TRANSFER_ENCODING") or "").strip().lower()
    if encoding:
        if encoding != "chunked":
            raise _Refused("501 Not Implemented", f"transfer-encoding {encoding[:40]!r}")
        return _read_chunked(stream, limit)
    declared = (environ.get("CONTENT_LENGTH") or "0").strip()
    if not (declared.isascii() and declared.isdigit()):
        raise _Refused("400 Bad Request", "content-length not a number")
    length = int(declared)
    if length > limit:
        raise _Refused("413 Payload Too Large", f"content-length {length} over {limit}")
    body = stream.read(length)
    if len(body) != length:
        raise _Refused("400 Bad Request", "body shorter than its content-length")
    return body


def _read_chunked(stream, limit: int) -> bytes:
    body = bytearray()
    while True:
        line = stream.readline(_CHUNK_LINE_BYTES + 1)
        size_text = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise _Refused("400 Bad Request", "malformed chunk")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise _Refused("413 Payload Too Large", f"chunked body over {limit}")
        chunk = stream.read(size)
        if len(chunk) != size or stream.readline(3) not in (b"\r\n", b"\n"):
            raise _Refused("400 Bad Request", "truncated chunk")
        body += chunk
    for _ in range(32):  # trailers, ignored
        line = stream.readline(_CHUNK_LINE_BYTES + 1)
        if line in (b"\r\n", b"\n", b""):
            return bytes(body)
    raise _Refused("400 Bad Request", "too many trailers")


def http_server(app: App, *, port: int, host: str = "0.0.0.0", max_body_bytes: int = MAX_BODY_BYTES,
                websub: Callable | None = None):
    """A threaded WSGI server: Slack's requests on /slack/events, a health check on /healthz, and
    with `websub` (bot/ingest/websub_http.py's WSGI app) the WebSub callbacks on /websub/<feed id>.

    The body is read here, capped, before Bolt sees the request: over the cap is a 413 without
    reading the rest; Bolt then checks the signature of what was read."""
    slack = SlackRequestHandler(app)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if websub is not None and (environ.get("PATH_INFO") or "").startswith("/websub/"):
            return websub(environ, start_response)  # hub requests: their own size cap and signatures
        try:
            body = read_capped_body(environ, max_body_bytes)
            body.decode("utf-8")  # Slack's bodies are UTF-8; Bolt's decode of anything else was a 500
        except (_Refused, UnicodeDecodeError) as exc:
            status, reason = (exc.status, exc.reason) if isinstance(exc, _Refused) else ("400 Bad Request",
                                                                                        "body not UTF-8")
            logger.info("refused an HTTP request to %s: %s", (environ.get("PATH_INFO") or "")[:100], reason)
            start_response(status, [("Content-Type", "text/plain")])  # wsgiref closes the connection
            return [status.encode()]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return slack(environ, start_response)

    return make_server(host, port, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def serve(app: App, slack: SlackSettings, *, stop: threading.Event, websub: Callable | None = None) -> None:
    """Serve Slack in the configured mode until `stop` is set (HTTP mode: with the WebSub callbacks)."""
    if slack.mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, app_token=slack.app_token)
        handler.connect()
        logger.info("connected to Slack in Socket Mode")
        stop.wait()
        handler.close()
        return
    server = http_server(app, port=slack.port, websub=websub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    logger.info("listening for Slack on port %s (/slack/events)", slack.port)
    stop.wait()
    server.shutdown()
    server.server_close()
