"""One thread per incident and channel, whose parent message always shows the current toll.

Shape of a thread: the first alert of an incident is posted as the channel message (the
"parent"): the incident card from `render_parent` (the current toll) followed by the alert's own
blocks, its buttons and its idempotency marker. Every later alert is a reply in that thread; a toll
change is a reply broadcast to the channel, and the parent is re-rendered with `chat.update` so
it always shows the current toll. A card goes stale (`slack_threads.updated_at` NULL) in the
transaction that changed the toll, and is refreshed at most every `parent_refresh_every` seconds
(chat.update is Tier 3, a flood of toll changes updates it once). A thread is known by the
channel's ID, not its name (chat.update and the look-ups take only IDs), so names are resolved
here, once per process.

Syndicated copies: pending rows about the same story of the same incident fold into the oldest
one (status 'folded'); its payload gets the union of `outlets` ("also in: …") and the list of
folded ids. A copy arriving after its story was posted folds too, and the posted message is
edited in place, since it is the thread's message that must show every outlet.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any, Callable

from slack_sdk.errors import SlackApiError

from bot.slack.blocks import clip
from bot.slack.reconcile import idempotency_block_id
from db import outbox, slack_threads

logger = logging.getLogger(__name__)

Blocks = list[dict]
ParentRenderer = Callable[[Any, int], "tuple[str, Blocks]"]
AlertRenderer = Callable[[Any, dict], "tuple[str, Blocks]"]

MAX_BLOCKS = 50
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
CHANNEL_MENTION = re.compile(r"^<#([CGD][A-Z0-9]{8,})(?:\|[^>]*)?>$")


class Threads:
    """An incident's thread in a channel: its parent, rendering, refreshing the card, folding copies."""

    def __init__(self, db, *, client, render_parent: ParentRenderer, render_alert: AlertRenderer,
                 toll_kinds: frozenset[str], iso: Callable[[], str]):
        self.db, self.client = db, client
        self.render_parent, self.render_alert = render_parent, render_alert
        self.toll_kinds, self._iso = toll_kinds, iso
        self._channel_ids: dict[str, str] = {}

    def channel_id(self, ref: str) -> str | None:
        """The ID of a channel given as an ID, a <#C…> mention or a #name (None: no such channel).

        A thread is known by the channel's ID: chat.update and the history look-ups need it, so
        names are resolved once, up front (one conversations.list walk; Slack errors propagate)."""
        ref = ref.strip()
        mention = CHANNEL_MENTION.match(ref)
        if mention:
            return mention.group(1)
        if CHANNEL_ID.match(ref):
            return ref
        name = ref.lstrip("#")
        if name not in self._channel_ids:
            cursor = None
            for _ in range(20):
                page = self.client.conversations_list(types="public_channel,private_channel", exclude_archived=True,
                                                      limit=1000, cursor=cursor)
                for channel in page.get("channels") or []:
                    self._channel_ids[channel["name"]] = channel["id"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        return self._channel_ids.get(name)

    def known_channel(self, ref: str) -> str:
        """The ID of a channel already resolved by name, else `ref` unchanged (no Slack call)."""
        return self._channel_ids.get(ref.lstrip("#"), ref)

    def parent_of(self, incident_id: int | None, channel: str) -> str | None:
        """The ts of the incident's parent in the channel; None: the next alert opens the thread."""
        return slack_threads.parent_ts(self.db, incident_id, channel) if incident_id is not None else None

    def render(self, row: dict, *, parent: bool) -> tuple[str, Blocks]:
        text, blocks = self.render_alert(self.db, dict(row))
        blocks = stamp(blocks, marker=idempotency_block_id(row["idempotency_key"]), text=text)
        if not parent or row["incident_id"] is None:
            return text, blocks
        parent_text, parent_blocks = self.render_parent(self.db, row["incident_id"])
        return compose(parent_text, parent_blocks, text, blocks)

    def mark_stale(self, incident_id: int) -> None:
        slack_threads.mark_stale(self.db, incident_id)

    # --- the parent card ------------------------------------------------------------------------
    def refresh_stale(self, *, incident_id: int | None = None) -> int:
        """chat.update every stale parent (of one incident, or up to 100); how many were updated."""
        return sum(self._refresh(t) for t in slack_threads.stale_threads(self.db, incident_id=incident_id))

    def _refresh(self, thread: dict) -> bool:
        first = self._first_alert(thread)
        try:
            if first is not None:
                text, blocks = self.render(first, parent=True)
            else:
                text, blocks = self.render_parent(self.db, thread["incident_id"])
            self.client.chat_update(channel=thread["channel"], ts=thread["parent_ts"], text=text, blocks=blocks)
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if error == "message_not_found":
                # Someone deleted the parent: the incident's next alert opens a new thread.
                slack_threads.forget_thread(self.db, thread["id"])
                logger.warning("parent message gone; a new thread will open",
                               extra={"incident_id": thread["incident_id"]})
            elif exc.response.status_code == 429 or exc.response.status_code >= 500:
                pass  # still stale: the next drain tries again
            else:
                logger.warning("parent not updated: %s", error, extra={"incident_id": thread["incident_id"]})
                # a permanent refusal must not be retried forever
                slack_threads.mark_updated(self.db, thread["id"], at=self._iso())
            return False
        except Exception as exc:  # network, or a renderer bug: keep it stale, keep draining
            logger.warning("parent not updated: %s", exc, extra={"incident_id": thread["incident_id"]})
            return False
        slack_threads.mark_updated(self.db, thread["id"], at=self._iso())
        return True

    def _first_alert(self, thread: dict) -> dict | None:
        # The parent is the first alert's message too: re-render both, or its buttons and marker go.
        return outbox.sent_at_ts(self.db, channel=thread["channel"], ts=thread["parent_ts"])

    # --- syndicated copies ----------------------------------------------------------------------
    def fold(self, row: dict) -> set[int] | None:
        """Fold never-tried copies of the row's story into its oldest alert; the ids folded away."""
        if row["kind"] in self.toll_kinds or row["incident_id"] is None:
            return None
        story = payload_of(row).get("story_id")
        if story is None and row["item_id"] is not None:
            story = outbox.item_story(self.db, row["item_id"])
        if story is None:
            return None
        group = [r for r in outbox.story_group(self.db, incident_id=row["incident_id"], story_id=story)
                 if r["kind"] not in self.toll_kinds and not is_backlog(r)]
        if len(group) < 2:
            return None
        rep, copies = group[0], [r for r in group[1:] if r["status"] == "pending" and not r["attempts"]]
        if not copies:
            return None
        payload = payload_of(rep)
        outlets = [*_outlets(payload)]
        for c in copies:
            outlets.extend(_outlets(payload_of(c)))
        payload["outlets"] = list(dict.fromkeys(o for o in outlets if o))
        payload["folded"] = sorted({*payload.get("folded", []), *(c["id"] for c in copies)})
        outbox.mark_folded(self.db, rep, payload=payload, copy_ids=[c["id"] for c in copies], at=self._iso())
        if rep["status"] == "sent":
            self._edit_sent(outbox.alert_row(self.db, rep["id"]))
        return {c["id"] for c in copies}

    def _edit_sent(self, row: dict) -> None:
        """A copy came after its story was posted: show the new outlets on the posted alert."""
        if self.parent_of(row["incident_id"], row["slack_channel"]) == row["slack_ts"]:
            self.mark_stale(row["incident_id"])  # it is the parent: the next refresh shows it
            return
        try:
            text, blocks = self.render(row, parent=False)
            self.client.chat_update(channel=row["slack_channel"], ts=row["slack_ts"], text=text, blocks=blocks)
        except Exception as exc:  # cosmetic: the alert itself is already out
            logger.warning("could not add outlets to a posted alert: %s", exc, extra={"outbox_id": row["id"]})


# --- pure helpers -------------------------------------------------------------------------------

def payload_of(row: dict) -> dict:
    """An outbox row's payload as a dict ({} when it is not one)."""
    try:
        value = json.loads(row.get("payload") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def is_backlog(row: dict) -> bool:
    """Rows with kind 'backlog' or `"backlog": true` are recorded (status 'recorded'), never posted: the
    producer marks a new feed's first poll (and items attached by a retroactive `track`) that way,
    and the parent's toll still counts them."""
    return row["kind"] == "backlog" or bool(payload_of(row).get("backlog"))


def _outlets(payload: dict) -> list[str]:
    return [str(o) for o in (payload.get("outlet"), *(payload.get("outlets") or [])) if o]


def stamp(blocks: Blocks | None, *, marker: str, text: str) -> Blocks:
    """Blocks with the idempotency marker as one block's block_id (added, never replacing one)."""
    out = copy.deepcopy(list(blocks or []))
    if any(b.get("block_id") == marker for b in out):
        return out
    for block in out:
        if "block_id" not in block:
            block["block_id"] = marker
            return out
    if not out:
        return [{"type": "section", "block_id": marker,
                 "text": {"type": "mrkdwn", "text": clip(text or "Incident Desk alert", 3000)}}]
    return out + [{"type": "divider", "block_id": marker}] if len(out) < MAX_BLOCKS else out


def compose(parent_text: str, parent_blocks: Blocks, text: str, blocks: Blocks) -> tuple[str, Blocks]:
    """The parent message: the incident card, then the first alert (its buttons, its marker)."""
    taken = {b.get("block_id") for b in blocks if b.get("block_id")}
    card = []
    for block in copy.deepcopy(list(parent_blocks or [])):
        if block.get("block_id") in taken:
            block["block_id"] = f"{block['block_id']}-card"[:255]
        card.append(block)
    room = MAX_BLOCKS - len(blocks) - 1
    card = card[:max(0, room)]
    combined = card + ([{"type": "divider"}] if card else []) + blocks
    return clip(f"{parent_text}\n{text}".strip(), 4000), combined
