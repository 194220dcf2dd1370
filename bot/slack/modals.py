"""The Track modal: name, keywords, places, since, until, channel; and its submission as the same
track line `/incident track …` takes, so the slash command and the modal can never disagree.

Pure: pre-filled values in, a `modal` view dict out; a submitted view's state in, a track line out.
"""

from __future__ import annotations

import json
import re
from datetime import date

TRACK_MODAL = "track_modal"  # callback_id of the view
TRACK_STORY = "track_story"  # callback_id of the message shortcut "Track this story"
NAME_MAX, TERMS_MAX = 150, 1000
_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>|(?<![<|])\b(https?://[^\s<>|]+)")
# A field label inside a value would start another field of the track line ("to: Gao" is until:)
_LABEL_LIKE = re.compile(r"(?<!\S)(\w+):")


def message_links(message: dict) -> list[str]:
    """Links in a Slack message: in its text (<url|label> or bare), then in its attachments."""
    links = [a or b for a, b in _LINK.findall(message.get("text") or "")]
    for attachment in message.get("attachments") or []:
        links += [attachment[k] for k in ("title_link", "from_url", "original_url") if attachment.get(k)]
    return list(dict.fromkeys(links))


def _text_input(block_id: str, label: str, *, initial: str | None = None, optional: bool = True,
                placeholder: str | None = None, hint: str | None = None, max_length: int = TERMS_MAX) -> dict:
    element = {"type": "plain_text_input", "action_id": "value", "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder[:150]}
    block = {"type": "input", "block_id": block_id, "optional": optional, "element": element,
             "label": {"type": "plain_text", "text": label}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint[:2000]}
    return block


def _date_input(block_id: str, label: str, *, initial: date | None, hint: str) -> dict:
    element = {"type": "datepicker", "action_id": "value",
               "placeholder": {"type": "plain_text", "text": "Pick a day"}}
    if initial:
        element["initial_date"] = initial.isoformat()
    return {"type": "input", "block_id": block_id, "optional": True, "element": element,
            "label": {"type": "plain_text", "text": label}, "hint": {"type": "plain_text", "text": hint}}


def track_modal(*, name: str | None = None, since: date | None = None, channel: str | None = None,
                note: str | None = None, origin: dict | None = None, keywords: str | None = None) -> dict:
    """The Track modal, pre-filled (the shortcut's linked item: its title and day; a suggestion's name,
    keywords and first day; the channel it came from)."""
    blocks: list[dict] = []
    if note:
        blocks.append({"type": "context", "block_id": "note", "elements": [{"type": "mrkdwn", "text": note[:2000]}]})
    blocks += [
        _text_input("name", "Name", initial=name, optional=False, placeholder="Bamako attacks", max_length=NAME_MAX),
        _text_input("keywords", "Keywords", initial=keywords, placeholder="bamako, gendarmerie school, JNIM",
                    hint="Comma-separated. The name counts as a keyword."),
        _text_input("places", "Places", placeholder="Bamako, Mali", hint="Comma-separated."),
        _date_input("since", "Since", initial=since,
                    hint="Without it: the earliest matching story of the last 7 days."),
        _date_input("until", "Until", initial=None, hint="Optional: stories after this day never match."),
    ]
    channel_element = {"type": "conversations_select", "action_id": "value",
                       "placeholder": {"type": "plain_text", "text": "Where its alerts go"},
                       "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if channel and channel[:1] in "CG":
        channel_element["initial_conversation"] = channel
    blocks.append({"type": "input", "block_id": "channel", "optional": True, "element": channel_element,
                   "label": {"type": "plain_text", "text": "Channel"},
                   "hint": {"type": "plain_text", "text": "Alerts and the answer go there; without one, "
                                                          "the answer comes to you privately."}})
    return {"type": "modal", "callback_id": TRACK_MODAL, "title": {"type": "plain_text", "text": "Track an incident"},
            "submit": {"type": "plain_text", "text": "Track"}, "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps(origin or {})[:3000], "blocks": blocks}


def _value(values: dict, block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get("value") or {}
    found = element.get("value") or element.get("selected_date") or element.get("selected_conversation") \
        or element.get("selected_channel")
    return found.strip() if isinstance(found, str) and found.strip() else None


def _clean(text: str) -> str:
    """One line, and no "word:" that the track parser would read as another field."""
    return _LABEL_LIKE.sub(r"\1", " ".join(text.split()))


def submission_errors(values: dict) -> dict[str, str]:
    """Errors Slack shows under the fields (response_action "errors"), before anything is tracked."""
    errors = {}
    if not _value(values, "name") or not _clean(_value(values, "name") or ""):
        errors["name"] = "Give the incident a name."
    since, until = _value(values, "since"), _value(values, "until")
    if since and until and until < since:
        errors["until"] = "Until is before since."
    return errors


def track_line(values: dict) -> tuple[str, str | None]:
    """The submitted modal as the `/incident track …` line, and the channel chosen (an ID or None)."""
    parts = ["track", _clean(_value(values, "name") or "")]
    for field in ("keywords", "places"):
        text = _value(values, field)
        if text:
            parts.append(f"{field}: {_clean(text)}")
    for field in ("since", "until"):
        day = _value(values, field)
        if day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            parts.append(f"{field}: {day}")
    channel = _value(values, "channel")
    if channel and not re.fullmatch(r"[CG][A-Z0-9]+", channel):
        channel = None
    if channel:
        parts.append(f"channel: <#{channel}>")
    return " ".join(parts), channel
