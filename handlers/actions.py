"""Buttons on alerts: Not this incident, Verified, Wrong figure. Who clicked goes to the audit log."""

from __future__ import annotations

import logging

from bot.blocks import CLAIM_MENU, NOT_THIS_INCIDENT

logger = logging.getLogger(__name__)


def register(app, deps) -> None:
    @app.action(NOT_THIS_INCIDENT)
    def not_this_incident(ack, action, body, respond):
        ack()
        incident_id, item_id = (int(part) for part in action["value"].split(":"))
        text = deps.desk.detach(incident_id, item_id, user=body["user"]["id"])
        deps.after_feedback(incident_id)
        respond(response_type="ephemeral", replace_original=False, text=text)

    @app.action(CLAIM_MENU)
    def claim_menu(ack, action, body, respond):
        ack()
        verdict, claim_id = action["selected_option"]["value"].split(":")
        text = deps.desk.judge_claim(int(claim_id), verdict=verdict, user=body["user"]["id"])
        deps.after_feedback(None)
        respond(response_type="ephemeral", replace_original=False, text=text)
