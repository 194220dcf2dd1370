"""A poll's entries into storage exactly once, each in the story it tells.

Which story an entry belongs to is ingest's decision (same canonical link, same text, or a near
copy of a wire story found by MinHash): db/ only writes the rows it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.incidents import stories
from bot.models import Item
from bot.text import content_fingerprint, whole_text_key
from db import items as stored

NEAR_COPY_MIN_WORDS = 25  # a headline alone is too short to call two texts copies


@dataclass
class StoreOutcome:
    """Ids of the items a poll added and of those it revised."""

    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)


def item_fingerprint(item: Item) -> str:
    """What tells a revision: a field cut when it was parsed (bot.text.cap_text) counts by the
    fingerprint of its whole text, so a change past the cut is still a revision."""
    return content_fingerprint(*(whole_text_key(part) for part in (item.title, item.summary, item.content)))


def store_items(db, feed_id: str, items: list[Item], *, seen_at: str, backlog: bool = False) -> StoreOutcome:
    """Insert new entries, revise changed ones; call inside the poll's transaction.

    An entry repeated inside one feed document (same guid) is stored once: the
    last copy wins, as feed readers do.
    """
    by_guid: dict[str, Item] = {}
    for item in items:
        by_guid[item.guid] = item
    known = stored.known_items(db, feed_id, list(by_guid))
    outcome = StoreOutcome()
    for guid, item in by_guid.items():
        fingerprint = item_fingerprint(item)
        existing = known.get(guid)
        if existing is None:
            story_id = story_for(db, item, fingerprint=fingerprint, seen_at=seen_at)
            outcome.new_ids.append(stored.insert_item(db, item, story_id=story_id, fingerprint=fingerprint,
                                                      seen_at=seen_at, backlog=backlog))
        elif existing["fingerprint"] != fingerprint:
            stored.revise_item(db, existing, item, fingerprint=fingerprint, seen_at=seen_at)
            outcome.updated_ids.append(existing["id"])
    if outcome.new_ids:
        stored.settle_band_keys(db)
    return outcome


def story_for(db, item: Item, *, fingerprint: str, seen_at: str) -> int:
    """The story this entry tells: same canonical link, same text, or a near copy (syndication)."""
    if item.link:
        story = stored.story_by_link(db, item.link)
        if story is not None:
            return story
    story = stored.story_by_fingerprint(db, fingerprint)
    if story is not None:
        return story
    sig, keys = None, []
    if len(item.text.split()) >= NEAR_COPY_MIN_WORDS:
        sig = stories.signature(item.text)
        keys = stories.band_key_ints(sig)
        story = stories.assign_story(sig, stored.near_copy_candidates(db, keys))
        if story is not None:
            return story
    return stored.insert_story(db, link=item.link, fingerprint=fingerprint, title=item.title, seen_at=seen_at,
                               signature=sig, band_keys=keys)
