"""/feeds: admins manage the feeds from Slack. Everyone else gets a polite refusal and nothing changes."""

from __future__ import annotations

import logging

from bot.slack.blocks import clip, escape, text_sections
from bot.ingest.feed_admin import (FeedAdminError, add_feed, list_feeds_text, parse_add_args, set_feed_state,
                            test_feed)

logger = logging.getLogger(__name__)

USAGE = ("/feeds list · /feeds add <url> [every 10m] [to #channel] · /feeds remove <id> · /feeds pause <id> · "
         "/feeds resume <id> · /feeds test <url>")


def register(app, deps) -> None:
    @app.command("/feeds")
    def feeds_command(ack, command, respond, client):
        ack()
        deps.later(feeds_reply, deps, client, respond, text=command.get("text") or "", user=command["user_id"])


def feeds_reply(deps, client, respond, *, text: str, user: str) -> None:
    """Check the rights, run the command, answer privately."""
    if not deps.is_admin(client, user):
        respond(response_type="ephemeral",
                text="Sorry, only the desk's admins can manage feeds. Ask one of them, or see /incident help.")
        return
    reply = run_feeds_command(deps, text, user=user)
    respond(response_type="ephemeral", text=clip(escape(reply), 3000), blocks=[b.to_dict() for b in text_sections(reply)])


def run_feeds_command(deps, text: str, *, user: str) -> str:
    """The admin's /feeds text → the reply; every change goes to the audit log (in bot.ingest.feed_admin)."""
    words = text.split(maxsplit=1)
    verb = words[0].lower() if words else "help"
    rest = words[1].strip() if len(words) > 1 else ""
    try:
        if verb == "list":
            return list_feeds_text(deps.db)
        if verb == "add":
            args = parse_add_args(rest)
            return add_feed(deps.db, args["url"], interval=args["interval"], channel=args["channel"], user=user,
                            settings=deps.settings)
        if verb in ("remove", "pause", "resume"):
            if not rest:
                raise FeedAdminError(f"Which feed? /feeds {verb} <id> (see /feeds list)")
            return set_feed_state(deps.db, rest.split()[0], action=verb, user=user)
        if verb == "test":
            if not rest:
                raise FeedAdminError("Usage: /feeds test <url>")
            url = rest.split()[0].strip("<>").split("|")[0]
            return test_feed(url, settings=deps.settings).message
        return USAGE
    except FeedAdminError as exc:
        return str(exc)
