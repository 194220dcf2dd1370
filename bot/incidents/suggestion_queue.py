"""Each new emerging incident queued once for the desk channel (bot/incidents/suggestions.py finds them).

Run after polls (a scheduler job in bot/service.py, in the ingest worker's process): it reads only the
items of suggest's 48-hour window, and queues every suggestion in the outbox with the idempotency key
`suggestion:<Suggestion.key>` and kind `suggestion`, with the stories it holds in its payload. A suggestion
that shares a story with one queued before is that one again (suggestions.KnownSuggestions: as the window
slides, an event can come back under another first story), and the outbox keeps them across restarts, so
each event is posted once;
bot/slack/suggestion_post.py draws the message and its Track button. An event tracked meanwhile is no
suggestion any more: nothing is queued for it, and its row, if never tried, is dropped.
"""

from __future__ import annotations

from datetime import datetime

from bot.incidents import suggestions as sg
from db.items import items_with_matched_flag
from db.outbox import drop_untried_suggestions, queue_suggestion, queued_suggestion_stories

KIND = SUGGESTION_KIND = "suggestion"
SUGGESTIONS_REMEMBERED = 200  # the latest suggestions a new one is checked against (days of them)
STORIES_KEPT = 500  # stories a queued suggestion remembers (a 48-hour burst rarely holds more)


def idempotency_key(suggestion: sg.Suggestion) -> str:
    return f"{KIND}:{suggestion.key}"


def suggestion_payload(s: sg.Suggestion) -> dict:
    """What the message and its Track button need, frozen when it was queued."""
    return {"key": s.key, "name": s.name, "place": s.place, "first_seen": s.first_seen.isoformat(),
            "since": s.first_seen.date().isoformat(), "outlets": s.outlets[:20], "figures": s.figures[:10],
            "keywords": s.keywords, "items": s.items, "titles": s.titles, "track_line": s.track_line,
            "stories": list(s.stories[:STORIES_KEPT])}


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
    at = sg.parse_at(at)
    found = current_suggestions(db, at, gazetteer=gazetteer)
    known = sg.KnownSuggestions()
    for key, stories in queued_suggestion_stories(db, last=SUGGESTIONS_REMEMBERED):
        known.remember(key, stories)
    fresh, keep = [], set()
    for s in sorted(found, key=lambda s: s.first_seen):  # the oldest first: the channel reads in order
        key = idempotency_key(s)
        earlier = known.known_as(key, s.stories)
        keep.add(earlier or key)
        if earlier is None:
            fresh.append(s)
            known.remember(key, s.stories)  # two suggestions of this very call can be one event too
    drop_untried_suggestions(db, keep=keep)
    queued = []
    for s in fresh:
        row_id = queue_suggestion(db, key=idempotency_key(s), channel=channel, payload=suggestion_payload(s))
        if row_id is not None:
            queued.append(row_id)
    return queued
