"""The Slack app: builds the slack_bolt App, wires the handlers, the alert sender and the scheduler.

The one module in bot/ that imports slack_bolt. Modes: Socket Mode when SLACK_APP_TOKEN is
set (no public URL needed), HTTP mode (/slack/events, signatures verified by Bolt) with a
signing secret, console mode otherwise. Whatever the mode, one process runs one scheduler.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings, SlackSettings
from bot.incidents.desk import Desk
from bot.slack import messages
from bot.slack.sender import SenderSettings, SlackSender, make_web_client
from handlers import actions as action_handlers
from handlers import feeds as feeds_handlers
from handlers import incident as incident_handlers

logger = logging.getLogger(__name__)


@dataclass
class Deps:
    """What the handlers need, passed in so tests can build them around a fake Slack."""

    db: object
    desk: Desk
    settings: Settings
    slack: SlackSettings
    sender: SlackSender | None = None
    _workspace_admins: dict[str, bool] = field(default_factory=dict)
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
        if user not in self._workspace_admins:
            try:
                info = client.users_info(user=user)["user"]
                self._workspace_admins[user] = bool(info.get("is_admin") or info.get("is_owner"))
            except SlackApiError as exc:
                logger.warning("users.info failed; treating as non-admin: %s", exc.response.get("error"))
                return False
        return self._workspace_admins[user]

    def after_feedback(self, incident_id: int) -> None:
        """An editor changed what counts: the thread's parent must show the new toll."""
        if self.sender is None:
            return
        try:
            self.sender.refresh_parent(incident_id)
        except Exception:  # Slack trouble must not turn a recorded decision into an error
            logger.exception("parent refresh failed", extra={"incident_id": incident_id})


def build_app(deps: Deps, *, client: WebClient, signing_secret: str | None = None,
              token_verification: bool = True) -> App:
    """The Bolt app with every handler registered."""
    # Every listener only acknowledges and hands its work to deps.later(), so Bolt may run it in
    # the request's own thread and answer Slack as soon as it returns (process_before_response).
    # Otherwise Bolt runs listeners on a thread pool and polls every 10 ms for the ack: slower,
    # and the acks of a burst of commands queue behind each other.
    app = App(client=client, signing_secret=signing_secret or "unused-in-socket-mode",
              process_before_response=True, token_verification_enabled=token_verification,
              request_verification_enabled=signing_secret is not None, name="incident-desk")
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


def http_server(app: App, *, port: int, host: str = "0.0.0.0"):
    """A threaded WSGI server: Slack's requests on /slack/events, a health check on /healthz."""
    slack = SlackRequestHandler(app)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return make_server(host, port, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def serve(app: App, slack: SlackSettings, *, stop: threading.Event) -> None:
    """Serve Slack in the configured mode until `stop` is set."""
    if slack.mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, app_token=slack.app_token)
        handler.connect()
        logger.info("connected to Slack in Socket Mode")
        stop.wait()
        handler.close()
        return
    server = http_server(app, port=slack.port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    logger.info("listening for Slack on port %s (/slack/events)", slack.port)
    stop.wait()
    server.shutdown()
    server.server_close()
