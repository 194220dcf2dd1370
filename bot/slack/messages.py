"""The desk's answers and alerts as Slack messages: (fallback text, blocks).

The desk returns data (an incident, its toll, an alert's payload and figures); Slack's shape is
decided here, so the core and `python -m bot ask` never depend on slack_sdk.
"""

from __future__ import annotations

from bot.incidents import LOOK_BACK_KIND
from bot.slack.blocks import alert_blocks, clip, escape, parent_blocks, text_sections, toll_blocks


def parent_message(desk, incident_id: int) -> tuple[str, list[dict]]:
    """The incident thread's parent message: the current toll."""
    view = desk.parent_view(incident_id)
    if view is None:
        return "Incident no longer tracked", []
    incident, toll, verified = view
    return f"{escape(incident.name)}: current toll", parent_blocks(incident, toll, verified=verified)


def alert_message(desk, row: dict) -> tuple[str, list[dict]]:
    """One outbox row as a Slack message, with feedback buttons for the figures it is about; a look-back's
    progress (bot/incidents/look_back.py) as plain text."""
    payload, claims = desk.alert_view(dict(row))
    if row["kind"] == LOOK_BACK_KIND:
        text = payload.get("text") or ""
        return clip(escape(text), 3000), [block.to_dict() for block in text_sections(text)]
    text = payload.get("text") or payload.get("title") or "Incident update"
    return clip(escape(text), 3000), alert_blocks(incident_id=row["incident_id"], payload=payload, claims=claims)


def with_blocks(reply):
    """A desk reply with its Block Kit drawn (the toll as a table); other replies keep their text."""
    if reply.toll is not None and reply.subject is not None and not reply.blocks:
        reply.blocks = [block.to_dict() for block in toll_blocks(reply.subject, reply.toll, verified=reply.verified)]
    return reply
