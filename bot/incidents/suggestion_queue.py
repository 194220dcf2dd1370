"""Each new emerging incident queued once for the desk channel (bot/incidents/suggestions.py finds them).

Run after polls (a scheduler job in bot/service.py, in the ingest worker's process): it reads only the
items of suggest's 48-hour window, and queues every suggestion in the outbox with the idempotency key
`suggestion:<Suggestion.key>` and kind `suggestion`. The key (first-seen day and first story) does not
change as the burst grows, and the outbox keeps it across restarts, so each suggestion is posted once;
bot/slack/suggestion_post.py draws the message and its Track button. An event tracked meanwhile is no
suggestion any more: nothing is queued for it, and its row, if never tried, is dropped.
"""

from __future__ import annotations

from datetime import datetime

from bot.incidents import suggestions as sg
from db.items import items_with_matched_flag
from db.outbox import drop_untried_suggestions, queue_suggestion

KIND = SUGGESTION_KIND = "suggestion"


def idempotency_key(suggestion: sg.Suggestion) -> str:
    return f"{KIND}:{suggestion.key}"


def suggestion_payload(s: sg.Suggestion) -> dict:
    """What the message and its Track button need, frozen when it was queued."""
    return {"key": s.key, "name": s.name, "place": s.place, "first_seen": s.first_seen.isoformat(),
            "since": s.first_seen.date().isoformat(), "outlets": s.outlets[:20], "figures": s.figures[:10],
            "keywords": s.keywords, "items": s.items, "titles": s.titles, "track_line": s.track_line}


def current_suggestions(db, at: datetime | str | None = None, *, gazetteer=None) -> list[sg.Suggestion]:
    at = sg.parse_at(at)
    since, until = sg.window(at)
    if gazetteer is None:
        from bot.incidents.gazetteer import load_gazetteer

        gazetteer = load_gazetteer()
    return sg.suggest(sg.from_rows(items_with_matched_flag(db, since=since, until=until)), at, gazetteer=gazetteer)


def queue_suggestions(db, *, channel: str | None, at: datetime | str | None = None, gazetteer=None) -> list[int]:
    """Queue the suggestions at `at` (default now) not queued before; the new outbox ids. No channel: nothing."""
    if not channel:
        return []
    found = current_suggestions(db, at, gazetteer=gazetteer)
    drop_untried_suggestions(db, keep={idempotency_key(s) for s in found})
    queued = []
    for s in sorted(found, key=lambda s: s.first_seen):  # the oldest first: the channel reads in order
        row_id = queue_suggestion(db, key=idempotency_key(s), channel=channel, payload=suggestion_payload(s))
        if row_id is not None:
            queued.append(row_id)
    return queued
