"""/feeds: admins manage the feeds from Slack. Everyone else gets a polite refusal and nothing changes."""

from __future__ import annotations

import logging

from bot.slack.blocks import clip, escape, text_sections
from bot.ingest.feed_admin import run_feeds_command

logger = logging.getLogger(__name__)


def register(app, deps) -> None:
    @app.command("/feeds")
    def feeds_command(ack, command, respond, client):
        ack()
        deps.later(feeds_reply, deps, client, respond, text=command.get("text") or "", user=command["user_id"])


def feeds_reply(deps, client, respond, *, text: str, user: str) -> None:
    """Check the rights, run the command (the same code `python -m bot ask "/feeds …"` runs), answer privately."""
    if not deps.is_admin(client, user):
        respond(response_type="ephemeral",
                text="Sorry, only the desk's admins can manage feeds. Ask one of them, or see /incident help.")
        return
    _done, reply = run_feeds_command(deps.db, text, user=user, settings=deps.settings)
    respond(response_type="ephemeral", text=clip(escape(reply), 3000), blocks=[b.to_dict() for b in text_sections(reply)])
