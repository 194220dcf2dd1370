"""Buttons on alerts: Not this incident, Verified, Wrong figure. Who clicked goes to the audit log."""

from __future__ import annotations

import logging

from bot.slack.blocks import CLAIM_MENU, NOT_THIS_INCIDENT, escape

logger = logging.getLogger(__name__)


def register(app, deps) -> None:
    @app.action(NOT_THIS_INCIDENT)
    def not_this_incident(ack, action, body, respond):
        ack()
        incident_id, item_id = (int(part) for part in action["value"].split(":"))
        deps.later(not_this_incident_reply, deps, respond, incident_id=incident_id, item_id=item_id,
                   user=body["user"]["id"])

    @app.action(CLAIM_MENU)
    def claim_menu(ack, action, body, respond):
        ack()
        verdict, claim_id = action["selected_option"]["value"].split(":")
        deps.later(claim_reply, deps, respond, claim_id=int(claim_id), verdict=verdict, user=body["user"]["id"])


def not_this_incident_reply(deps, respond, *, incident_id: int, item_id: int, user: str) -> None:
    text = deps.desk.detach(incident_id, item_id, user=user)
    deps.after_feedback(incident_id)
    respond(response_type="ephemeral", replace_original=False, text=escape(text))


def claim_reply(deps, respond, *, claim_id: int, verdict: str, user: str) -> None:
    text = deps.desk.judge_claim(claim_id, verdict=verdict, user=user)
    incident_ids = deps.desk.incidents_of_claim(claim_id)
    for incident_id in incident_ids:
        deps.after_feedback(incident_id)
    respond(response_type="ephemeral", replace_original=False, text=escape(text))


def register_channel_events(app, deps) -> None:
    """When the bot is invited to a channel, alerts that were refused there go out at once."""

    @app.event("member_joined_channel")
    def bot_invited(event, context):
        if deps.sender is not None and event.get("user") == context.get("bot_user_id"):
            released = deps.sender.retry_blocked(channel=event.get("channel"))
            if released:
                deps.later(deps.sender.drain, max_seconds=20)
