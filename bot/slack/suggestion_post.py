"""An emerging incident in the desk channel: one message per suggestion, with a Track button.

bot/incidents/suggestion_queue.py queues each suggestion once (outbox kind `suggestion`, key
`suggestion:<key>`, the desk channel as its channel); the sender posts it like any alert, drawn
here from its payload. The Track button's value carries the prefilled name, keywords and since; a
click opens the Track modal (bot/slack/modals.py) with them, whose submission runs the same track as
`/incident track`.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Callable

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, HeaderBlock, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.slack.blocks import FIELD_LIMIT, SECTION_LIMIT, clip, escape
from bot.slack.modals import NAME_MAX, TERMS_MAX, track_modal

logger = logging.getLogger(__name__)

KIND = "suggestion"
TRACK_SUGGESTION = "track_suggestion"  # action_id of the Track button
VALUE_MAX = 2000  # Slack's limit on a button's value


def button_value(payload: dict) -> str:
    """The Track button's value: the modal's prefilled name, keywords and since, as JSON within Slack's limit."""
    value = {"name": (payload.get("name") or "")[:NAME_MAX], "keywords": list(payload.get("keywords") or [])[:10],
             "since": payload.get("since")}
    while len(json.dumps(value)) > VALUE_MAX and value["keywords"]:
        value["keywords"].pop()
    return json.dumps(value)


def prefill(value: str | None) -> dict:
    """A Track button's value back: name, keywords (a comma-separated line) and since (a date or None)."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    since = None
    try:
        since = date.fromisoformat(str(data.get("since") or ""))
    except ValueError:
        pass
    keywords = ", ".join(str(k) for k in data.get("keywords") or [] if str(k).strip())
    return {"name": str(data.get("name") or "")[:NAME_MAX] or None, "keywords": keywords[:TERMS_MAX] or None,
            "since": since}


def suggestion_message(payload: dict) -> tuple[str, list[dict]]:
    """The desk channel's message: what burst, where, since when, who reports it, its figures, and Track."""
    name, place = payload.get("name") or "Unnamed event", payload.get("place")
    first_seen = (payload.get("first_seen") or "")[:16].replace("T", " ")
    outlets = payload.get("outlets") or []
    figures = payload.get("figures") or []
    where = f" in {place}" if place else ""
    text = clip(escape(f"Emerging incident: {name}{where}, first seen {first_seen} UTC, "
                       f"{len(outlets)} outlets"), 3000)
    fields = [MarkdownTextObject(text=clip(f"*Place*\n{escape(place or 'unknown')}", FIELD_LIMIT)),
              MarkdownTextObject(text=clip(f"*First seen*\n{escape(first_seen)} UTC", FIELD_LIMIT)),
              MarkdownTextObject(text=clip(f"*Outlets ({len(outlets)})*\n{escape(', '.join(outlets))}", FIELD_LIMIT)),
              MarkdownTextObject(text=clip(f"*Figures so far*\n{escape('; '.join(figures) or 'none read')}",
                                           FIELD_LIMIT))]
    blocks: list = [HeaderBlock(text=clip(f"Emerging incident: {name}", 150)),
                    SectionBlock(fields=fields)]
    titles = [f"• {escape(t)}" for t in (payload.get("titles") or [])[:3]]
    if titles:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(titles), SECTION_LIMIT),
                                                           verbatim=True)))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text=clip(f"Untracked, and it burst. Or type: `{escape(payload.get('track_line') or '')}`", FIELD_LIMIT))]))
    blocks.append(ActionsBlock(block_id="suggestion", elements=[
        ButtonElement(text="Track", action_id=TRACK_SUGGESTION, value=button_value(payload), style="primary")]))
    return text, [b.to_dict() for b in blocks]


def with_suggestions(render_alert: Callable) -> Callable:
    """The sender's alert renderer, drawing `suggestion` rows here (they have no incident) and the rest as before."""
    def render(db, row: dict) -> tuple[str, list[dict]]:
        if row.get("kind") == KIND:
            payload = json.loads(row.get("payload") or "{}")
            return suggestion_message(payload if isinstance(payload, dict) else {})
        return render_alert(db, row)
    return render


def register(app, deps) -> None:
    from bot.slack.modal_open import open_modal

    @app.action(TRACK_SUGGESTION)
    def track_suggestion(ack, action, body, client):
        ack()
        channel = (body.get("channel") or {}).get("id")
        values = prefill(action.get("value"))
        open_modal(deps, client, trigger_id=body["trigger_id"], user=body["user"]["id"], channel=channel,
                   view=track_modal(
                       name=values["name"], keywords=values["keywords"], since=values["since"], channel=channel,
                       note="An emerging incident the desk noticed: check the fields, then Track.",
                       origin={"channel": channel, "suggestion": True}))


class SuggestionPoster:
    """The scheduler's job: queue the new suggestions for the desk channel, then drain the outbox.
    Without a desk channel it does nothing."""

    def __init__(self, *, channel: str | None, queue: Callable[..., list[int]], drain: Callable[[], object]):
        self.channel, self._queue, self._drain = channel, queue, drain

    def run(self, at=None) -> list[int]:
        if not self.channel:
            return []
        queued = self._queue(channel=self.channel, at=at)
        if queued:
            logger.info("queued %d emerging incident(s) for %s", len(queued), self.channel)
            self._drain()
        return queued
