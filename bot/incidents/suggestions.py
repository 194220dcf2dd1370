"""Emerging incidents: events that burst in what is stored and that nobody tracks yet; pure.

The items of the 48 hours before `at` are grouped into events (bot/incidents/events.py) in publication order.
An event is a suggestion when it bursts: at least BURST_OUTLETS independent outlets (copies of one wire story
count once) within BURST_HOURS, a casualty figure among its items (bot.claims) or, before any toll is out,
violent-event words in the titles of BURST_OUTLETS outlets, and none of its items matched to a tracked
incident.
Each suggestion has a name (the most common capitalised words of its titles), a place
when the gazetteer knows one of them, when it was first seen, its outlets, the figures so far, and the
`/incident track` line to type. Anchor: the breaking-news detection of the EU's Europe Media Monitor (a
story's article count rising fast across sources).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.claims import extract_claims, text_toll
from bot.incidents.events import _SKIP, EventIndex
from bot.incidents.figures import Figure, metric_words
from bot.incidents.term_rarity import load_prior

LOOK_BACK_HOURS = 48  # only the items of this window before `at` are read (bounded work)
BURST_HOURS = 6
BURST_OUTLETS = 3
NAME_WORDS = 2
# The shared rarity an item needs to join an event. Over the prior's 14,863 items a word never seen weighs
# ln(14,864) = 9.6 against about 5.7 over a 300-item window, hence more than events.JOIN; 6.0 was chosen on the
# tune-on replay of the ten incidents (eval/suggestion_tune_set.py): at 4.0 the other suggestions doubled,
# at 6.0 they fall below what grouping without the prior gave, and 7 of the 8 incidents are still suggested.
JOIN_WEIGHT = 6.0
_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’\-]*")
_LOWER_SKIP = frozenset("""gunmen gunman attackers attacker police officials official people killed dead
    injured wounded attack attacks says say report reports least toll death deaths man woman men women""".split())


@dataclass(frozen=True)
class StoredItem:
    """What a suggestion needs of one stored item."""

    title: str
    summary: str
    published: datetime
    outlet: str
    matched: bool = False
    story_id: int | None = None  # copies of one wire story share it: one report, not independent ones


@dataclass
class Suggestion:
    name: str
    place: str | None
    first_seen: datetime
    outlets: list[str]
    figures: list[str]
    keywords: list[str]
    items: int = 0
    titles: list[str] = field(default_factory=list)
    first_story: str = ""  # the earliest item's story (its id, else a digest of its title and outlet)
    stories: tuple[str, ...] = ()  # every item's story key (_story_key): what says two suggestions are one event

    @property
    def key(self) -> str:
        """Stable while the burst grows: its first-seen day and its first story. Not the name nor the place:
        both are drawn from the titles' most common words and can change as items join."""
        return f"{self.first_seen:%Y-%m-%d}:{self.first_story}"

    @property
    def track_line(self) -> str:
        return (f"/incident track {self.name} keywords: {', '.join(self.keywords)} "
                f"since: {self.first_seen.date().isoformat()}")


def _utc(when: datetime) -> datetime:
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


def has_figure(text: str) -> bool:
    """True when the text gives a casualty figure of the event itself."""
    return any(c.scope == "event" for c in extract_claims(text))


def _bursts(items: list[StoredItem]) -> bool:
    """At least BURST_OUTLETS independent outlets within BURST_HOURS."""
    firsts: dict[object, StoredItem] = {}
    for item in items:  # one report per story: its first outlet
        firsts.setdefault(item.story_id if item.story_id is not None else id(item), item)
    reports = sorted(firsts.values(), key=lambda i: i.published)
    for i, start in enumerate(reports):
        within = {r.outlet for r in reports[i:] if r.published - start.published <= timedelta(hours=BURST_HOURS)}
        if len(within) >= BURST_OUTLETS:
            return True
    return False


def _violent(items: list[StoredItem], gazetteer) -> bool:
    """Before any toll is out ("gunfire and explosions heard in Bamako"): violent-event words (the
    matcher's data file) in the titles of at least BURST_OUTLETS independent outlets."""
    if gazetteer is None:
        return False
    outlets = {i.outlet for i in items
               if any(gazetteer.is_event_word(w) or gazetteer.kinds_of(w) for w in _TITLE_WORD.findall(i.title))}
    return len(outlets) >= BURST_OUTLETS


_TITLE_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


def _words(items: list[StoredItem]) -> Counter:
    """Capitalised words of the titles, counted once per title (skipping the common ones)."""
    counts: Counter = Counter()
    for item in items:
        seen = dict.fromkeys(w.strip("'’-") for w in _WORD.findall(item.title))
        counts.update(w for w in seen if len(w) >= 3 and w.lower() not in _SKIP and w.lower() not in _LOWER_SKIP)
    return counts


def _place(words: list[str], gazetteer) -> str | None:
    if gazetteer is None:
        return None
    for word in words:
        found = gazetteer.find_place(word, curated_only=True)
        if found is not None:
            return found.name
    return None


def _figures(items: list[StoredItem]) -> list[str]:
    found: dict[str, None] = {}
    for item in items:
        for metric, claim in text_toll(f"{item.title}. {item.summary}").items():
            if claim is not None:
                found[f"{Figure.from_claim(claim).text} {metric_words(metric)} ({item.outlet})"] = None
    return list(found)


def _story_key(item: StoredItem) -> str:
    if item.story_id is not None:
        return f"s{item.story_id}"
    digest = hashlib.sha256(f"{item.title}\n{item.outlet}\n{item.published.isoformat()}".encode()).hexdigest()
    return f"h{digest[:16]}"


def suggest(items: list[StoredItem], at: datetime, *, gazetteer=None, rarity: bool = True) -> list[Suggestion]:
    """The current suggestions at `at`, newest first, from the stored items (any order). `rarity=False`: the
    grouping weighs words by these items alone (the baseline the prior is measured against)."""
    at = _utc(at)
    start = at - timedelta(hours=LOOK_BACK_HOURS)
    window = sorted((i for i in items if start <= _utc(i.published) <= at), key=lambda i: _utc(i.published))
    # Rarity as in news at large, not among these few items (bot/incidents/term_rarity.py).
    index, events = (EventIndex(prior=load_prior(), join=JOIN_WEIGHT) if rarity else EventIndex()), {}
    for item in window:
        item = StoredItem(item.title, item.summary, _utc(item.published), item.outlet or "?", item.matched,
                          item.story_id)
        events.setdefault(index.add(item.title, item.summary, item.published).event_id, []).append(item)
    found = []
    for members in events.values():
        if any(m.matched for m in members) or not _bursts(members):
            continue
        if not any(has_figure(f"{m.title}. {m.summary}") for m in members) and not _violent(members, gazetteer):
            continue
        counts = _words(members)
        ranked = [w for w, _ in counts.most_common()]
        name_words = ranked[:NAME_WORDS] or ["Unnamed", "event"]
        keywords = [w.lower() for w in ranked[:3]] or [name_words[0].lower()]
        found.append(Suggestion(
            name=" ".join(name_words), place=_place(ranked[:5], gazetteer), first_seen=members[0].published,
            outlets=list(dict.fromkeys(m.outlet for m in members)), figures=_figures(members),
            keywords=keywords, items=len(members), titles=[m.title for m in members[:3]],
            first_story=_story_key(members[0]), stories=tuple(dict.fromkeys(_story_key(m) for m in members))))
    return sorted(found, key=lambda s: s.first_seen, reverse=True)


class KnownSuggestions:
    """The suggestions already made, by the stories they hold: a suggestion that shares a story with one of them
    is that suggestion again. Each call to suggest() groups its 48-hour window afresh, so as the window slides
    and items join, one event can come back with another first story (another key) or split in two; without
    this, the desk channel would be told of the Beirut explosion once a day, or twice in an hour."""

    def __init__(self) -> None:
        self._by_story: dict[str, str] = {}
        self._keys: set[str] = set()

    def remember(self, key: str, stories) -> None:
        self._keys.add(key)
        for story in stories:
            self._by_story.setdefault(story, key)

    def known_as(self, key: str, stories) -> str | None:
        """The key of the earlier suggestion that one (its key, its stories) repeats, if any."""
        if key in self._keys:
            return key
        return next((self._by_story[s] for s in stories if s in self._by_story), None)


def parse_at(value) -> datetime:
    """--at TIME: ISO date or datetime (UTC when no zone is given); None is now."""
    if value is None:
        return datetime.now(timezone.utc)
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))


def window(at: datetime) -> tuple[str, str]:
    """The stored-time bounds (db's to_iso form) of the items read for a suggestion at `at`."""
    form = "%Y-%m-%dT%H:%M:%SZ"
    return (_utc(at) - timedelta(hours=LOOK_BACK_HOURS)).strftime(form), _utc(at).strftime(form)


def render_suggestions(suggestions: list[Suggestion], at: datetime) -> str:
    """The reply text: each emerging incident with the track line to type."""
    stamp = f"{at:%Y-%m-%d %H:%M} UTC"
    if not suggestions:
        return f"No emerging incident at {stamp} (nothing untracked burst in the last {LOOK_BACK_HOURS} hours)."
    lines = [f"Emerging incidents at {stamp} ({len(suggestions)}): untracked events that burst"]
    for s in suggestions:
        where = f" in {s.place}" if s.place else ""
        lines.append(f"• {s.name}{where}: first seen {s.first_seen:%Y-%m-%d %H:%M} UTC, {s.items} items from "
                     f"{len(s.outlets)} outlets ({', '.join(s.outlets)})")
        if s.figures:
            lines.append(f"  figures so far: {'; '.join(s.figures)}")
        lines.append(f"  track it: {s.track_line}")
    return "\n".join(lines)


def from_rows(rows: list[dict]) -> list[StoredItem]:
    """db.items.items_with_matched_flag rows -> StoredItem."""
    return [StoredItem(r["title"] or "", r["summary"] or "", parse_at(r["published"]), r["outlet"] or r["feed_id"],
                       bool(r["matched"]), r["story_id"]) for r in rows if r["published"]]
