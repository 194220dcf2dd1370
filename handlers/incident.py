"""/incident: everything `python -m bot ask` does, answered in Slack."""

from __future__ import annotations

import logging
import re

from bot.slack.blocks import DID_YOU_MEAN, SHARE, clip, escape, reply_blocks
from bot.slack.messages import with_blocks

logger = logging.getLogger(__name__)


def register(app, deps) -> None:
    """Listen for /incident and for the buttons its replies carry."""

    @app.command("/incident")
    def incident_command(ack, command, respond):
        ack()  # Slack wants an answer within 3 seconds; the work happens after
        text = command.get("text") or ""
        if text.strip().lower().startswith(("track", "digest")) and "channel:" not in text.lower() \
                and command.get("channel_id"):
            text += f" channel: <#{command['channel_id']}>"  # alerts (and a digest) go where it was typed
        deps.later(answer, deps, respond, text=text, user=command["user_id"])

    @app.action(SHARE)
    def share_reply(ack, action, respond, body):
        ack()
        deps.later(share, deps, respond, text=action["value"], user=body["user"]["id"])

    @app.action(re.compile(f"^{DID_YOU_MEAN}_\\d+$"))
    def did_you_mean(ack, action, respond, body):
        ack()
        deps.later(answer, deps, respond, text=action["value"], user=body["user"]["id"], replace=True)


def share(deps, respond, *, text: str, user: str) -> None:
    """Post the answer in the channel for everyone, as the editor asked."""
    reply = with_blocks(deps.desk.ask(text, user=user))
    respond(response_type="in_channel", replace_original=False, text=clip(escape(reply.text), 3000), blocks=reply_blocks(reply))


def answer(deps, respond, *, text: str, user: str, replace: bool = False) -> None:
    """Run the command and answer privately, with a button to share the answer in the channel."""
    reply = with_blocks(deps.desk.ask(text, user=user))
    respond(response_type="ephemeral", replace_original=replace, text=clip(escape(reply.text), 3000),
            blocks=reply_blocks(reply, shareable=True, command=text))
