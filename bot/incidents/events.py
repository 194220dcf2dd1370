"""Events, not only copies: items about the same event within days, grouped incrementally as they arrive; pure.

A story (bot/incidents/stories.py) is a set of near-identical copies. An event is the next level: items that
tell of the same happening in different words, found by what they share that little else shares: names,
places, numbers ("Navalny", "Omsk", "Novichok"; "Kenosha", "Blake"; "PK8303", "97").

How one item is placed (cost bounded per item, whatever the size of the store):
1. Its signature: its distinctive terms, i.e. capitalised words, names and numbers of its title and summary,
   weighted by rarity (idf over the items seen so far, a document-frequency table that decays, so it
   stays bounded), the SIGNATURE rarest kept. Terms on more than COMMON_SHARE of recent items carry nothing.
2. Candidates: an inverted index term -> the most recent events using it (at most POSTINGS per term, events
   still open: last item within WINDOW_DAYS). At most SIGNATURE x POSTINGS candidates, usually a few.
3. Each candidate is scored by the terms it shares with the event's most used terms, each weighing its
   rarity (idf) times how central it is to the event (on half of its items or more: in full); the best
   scoring JOIN or more, sharing at least MIN_SHARED terms, takes it.
   Otherwise the item opens a new event.

State is plain data (`EventIndex.state`, JSON-able, restored with EventIndex(state)): the df table, the open
events (id, first, last, size, term counts) and the postings. Old events leave the index as days pass; their
ids stay valid for the caller (store `event_id` with the item).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.incidents.gazetteer import fold

WINDOW_DAYS = 3  # an event stays open this long after its last item
SIGNATURE = 8  # distinctive terms kept per item
POSTINGS = 12  # events kept per term (the most recent)
EVENT_TERMS = 40  # terms kept per event (the most used)
MIN_SHARED = 1  # terms an item must share with an event to join it
JOIN = 4.0  # shared weight an item needs to join (idf units: two rare names, or one very rare and central)
CENTRAL = 2.0  # a term on half of an event's items or more counts in full
COMMON_SHARE = 0.05  # a term on more than this share of recent items is no evidence of an event
DECAY_EVERY = 5000  # items between halvings of the df table (keeps it bounded and recent)
MIN_DF_ITEMS = 200  # before this many items, rarity is not measured yet: every term counts the same

_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’\-]*|\d[\d,.]*\d|\d")
_SKIP = frozenset("""
    a an the this that these those it its he she they we you i his her their our my in on at of for to by with
    from as and or but if not no new after before over under about into up down out off more most says said
    how why what when where who which will would could should can may might must is are was were be been has
    have had do does did than then so just also all any some many much one two three four five six seven
    eight nine ten first second last next us mr mrs ms dr sir
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december today yesterday tonight week weekend day year years
    coronavirus covid covid-19 pandemic video watch live news update updates latest breaking analysis
    opinion episode podcast briefing inside story stream explained
    le la les un une des du de et en au aux est sont dans pour par sur avec der die das und ein eine im mit
""".split())


def number_term(word: str) -> str | None:
    """A figure ("97", "22") as a term ("#97"); None for one digit and for years."""
    digits = re.sub(r"\D", "", word)
    if len(digits) >= 2 and not (len(digits) == 4 and digits[:2] in ("19", "20")):
        return "#" + digits
    return None


def signature_terms(title: str, summary: str = "") -> list[str]:
    """The candidate distinctive terms of an item: capitalised words and numbers (folded), in text order."""
    terms = []
    for text in (title, summary):
        for match in _TOKEN.finditer(text):
            word = match.group(0)
            if word[0].isdigit():
                if number := number_term(word):
                    terms.append(number)
                continue
            if not word[0].isupper():
                continue
            key = fold(word)
            if len(key) >= 3 and key not in _SKIP:
                terms.append(key.replace(" ", ""))
    return list(dict.fromkeys(terms))


@dataclass(frozen=True)
class Placement:
    """Where one item went: its event, whether it opened it, and why it joined (for `sources`)."""

    event_id: int
    new: bool
    shared: tuple[str, ...] = ()  # the terms shared with the event, rarest first
    score: float = 0.0


class EventIndex:
    """Incremental event grouping. add() places one item; state is plain data the caller may store."""

    def __init__(self, state: dict | None = None, *, prior=None, join: float = JOIN):
        """`prior`: a term_rarity.TermPrior whose counts rarity starts from (else only the items seen count);
        `join`: the shared weight an item needs to join an event (rarities run higher over a prior's many items)."""
        state = state or {}
        self.join = join
        self._prior_items = float(prior.items) if prior is not None else 0.0
        self._prior_df = prior.df if prior is not None else {}
        self.df: dict[str, float] = state.get("df", {})
        self.n: float = state.get("n", 0.0)
        self.seen: int = state.get("seen", 0)
        self.next_id: int = state.get("next_id", 1)
        # event id -> [first iso, last iso, size, {term: count}]
        self.events: dict[int, list] = {int(k): v for k, v in state.get("events", {}).items()}
        self.postings: dict[str, list[int]] = state.get("postings", {})

    @property
    def state(self) -> dict:
        """Everything needed to carry on later (JSON-able)."""
        return {"df": self.df, "n": self.n, "seen": self.seen, "next_id": self.next_id,
                "events": {str(k): v for k, v in self.events.items()}, "postings": self.postings}

    def idf(self, term: str) -> float:
        return math.log((self._prior_items + self.n + 1.0)
                        / (self._prior_df.get(term, 0) + self.df.get(term, 0.0) + 1.0))

    def add(self, title: str, summary: str, published: datetime) -> Placement:
        """Place one item (in arrival order) into an open event or a new one."""
        terms = signature_terms(title, summary)
        self._count(terms)
        when = published.astimezone(timezone.utc) if published.tzinfo else published.replace(tzinfo=timezone.utc)
        stamp = when.isoformat()
        opened = (when - timedelta(days=WINDOW_DAYS)).isoformat()
        common = max(3.0, COMMON_SHARE * self.n) if self.seen >= MIN_DF_ITEMS else float("inf")
        weighted = sorted(((self.idf(t), t) for t in terms if self.df.get(t, 0.0) <= common), reverse=True)
        signature = weighted[:SIGNATURE]
        best: tuple[float, int, tuple[str, ...]] | None = None
        scored: set[int] = set()
        for _, term in signature:
            for event_id in self.postings.get(term, ()):
                if event_id in scored:
                    continue
                scored.add(event_id)
                event = self.events.get(event_id)
                if event is None or event[1] < opened or event[0] > stamp:
                    continue
                counts, size = event[3], event[2]
                shared = [(w, t) for w, t in signature if t in counts]
                if len(shared) < MIN_SHARED:
                    continue
                # A shared term weighs its rarity times how central it is to the event (share of its items).
                score = sum(w * min(1.0, CENTRAL * counts[t] / size) for w, t in shared)
                if score >= self.join and (best is None or score > best[0]):
                    best = (score, event_id, tuple(t for _, t in shared))
        if best is not None:
            score, event_id, shared = best
            self._grow(event_id, [t for _, t in signature], stamp)
            return Placement(event_id, False, shared, round(score, 3))
        event_id = self.next_id
        self.next_id += 1
        self.events[event_id] = [stamp, stamp, 0, {}]
        self._grow(event_id, [t for _, t in signature], stamp)
        return Placement(event_id, True)

    # --- upkeep -----------------------------------------------------------------------------------

    def _count(self, terms: list[str]) -> None:
        self.seen += 1
        self.n += 1.0
        df = self.df
        for term in terms:
            df[term] = df.get(term, 0.0) + 1.0
        if self.seen % DECAY_EVERY == 0:
            self.df = {t: c / 2 for t, c in df.items() if c >= 1.0}
            self.n /= 2
            self._expire()

    def _grow(self, event_id: int, terms: list[str], stamp: str) -> None:
        event = self.events[event_id]
        event[0] = min(event[0], stamp)
        event[1] = max(event[1], stamp)
        event[2] += 1
        counts = event[3]
        for term in terms:
            if term not in counts:
                postings = self.postings.setdefault(term, [])
                if event_id not in postings:
                    postings.append(event_id)
                    if len(postings) > POSTINGS:
                        del postings[0]  # the oldest event using this term
            counts[term] = counts.get(term, 0) + 1
        if len(counts) > EVENT_TERMS * 2:
            event[3] = dict(sorted(counts.items(), key=lambda kv: -kv[1])[:EVENT_TERMS])

    def _expire(self) -> None:
        """Drop events closed for good (and their postings): bounded memory, run with each df halving."""
        if not self.events:
            return
        newest = max(e[1] for e in self.events.values())
        cutoff = (datetime.fromisoformat(newest) - timedelta(days=WINDOW_DAYS * 2)).isoformat()
        self.events = {k: e for k, e in self.events.items() if e[1] >= cutoff}
        self.postings = {t: kept for t, ids in self.postings.items()
                         if (kept := [i for i in ids if i in self.events])}


STRONG_SHARED = 2  # an item joins an incident through its event only when it shares this many terms...
STRONG_SCORE = 6.0  # ...weighing this much: a weak link ("security") groups, but does not carry a match


def strong(placement: Placement) -> bool:
    """True when an item joined its event firmly enough to join that event's incidents too."""
    return not placement.new and len(placement.shared) >= STRONG_SHARED and placement.score >= STRONG_SCORE


def record_match(tally: dict, event_id: int, incident: str) -> dict:
    """Count one confident match of an incident in an event (in place; returns the tally).

    tally: {str(event_id): {incident slug: confident matches}}, plain data the caller stores beside the index.
    """
    per = tally.setdefault(str(event_id), {})
    per[incident] = per.get(incident, 0) + 1
    return tally


def incidents_of_event(index: EventIndex, tally: dict, event_id: int, *, min_items: int = 2,
                       min_share: float = 0.5) -> list[tuple[str, int, int]]:
    """Incidents an event belongs to: (slug, confident matches, event size) for each incident that matched at
    least min_items of its items with confidence, and at least min_share of them. An item of that event joins
    the incident ("event-of: 12 items matched") even when its own words would not; the caller checks windows."""
    event = index.events.get(event_id)
    size = event[2] if event else 0
    found = []
    for slug, count in sorted(tally.get(str(event_id), {}).items()):
        if size and count >= min_items and count >= min_share * (size - 1):
            found.append((slug, count, size))
    return found
