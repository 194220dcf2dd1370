"""An incident's profile: the words its coverage uses, learned from what it matched with confidence; pure.

The editor types a few keywords; coverage soon says more ("Novichok", "Charité", "Jacob Blake"). The profile
counts, for each word of the items an incident matched on the editor's own evidence, in how many of them it
appeared (`seen`). A background counts, for the same words, in how many items of any kind it appeared, per
day. A word is evidence for the incident in proportion to how much of its coverage since the incident began
the incident took:

    p(word) = seen / (other items with the word in the last BACKGROUND_DAYS days + SMOOTHING)

"Novichok" (in 7 items, 6 of them matched) is strong; "Berlin" (in 80, 4 matched) is nothing. An item the
editor's words did not match joins when 1 - prod(1 - p) over its TOP learned words, each with p >= WORD_P and
seen in at least MIN_SEEN matched items, reaches JOIN. Nothing is hand-weighted per word: weights are counts.
The words are names (capitalised words: words()), never event words (the matcher leaves those out).

State is plain JSON-able data, passed in and returned, so the caller stores it (e.g. with the incident):
- profile: {"n": matched items learned from, "seen": {word: count}}  (learn() returns a new dict)
- background: {"days": {"2020-08-21": {word: count}, ...}, "total": {word: count}}  (observe() updates it in
  place, for speed; it keeps only the last BACKGROUND_DAYS days; one background serves every incident)
Only items matched on editor evidence teach the profile (never one it joined itself), so it cannot drift.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.incidents.gazetteer import fold

MIN_SEEN = 2  # a word must be in at least this many confidently matched items before it counts
SMOOTHING = 1.0  # added to the background count: one unseen item keeps a word seen twice below certainty
JOIN = 0.85  # combined evidence an item needs to join on learned words alone
WORD_P = 0.5  # a learned word counts only when the incident took at least this share of the items using it
TOP = 2  # words combined (boilerplate words co-occur, so more would count one signal several times)
MAX_WORDS = 400  # words kept per profile (the most seen)
MIN_LEN = 4
BACKGROUND_DAYS = 45
CONFIDENT_SCORE = 4.0
_STOP = frozenset("""
    about above after again against also although among another around because been before being below
    between both could does doing down during each even ever every from further have having here into
    just like made make many more most much must near never news next only other over said same says
    should since some such than that their them then there these they this those though through today
    under until very was were what when where which while will with within without would year years
    your yours week weeks month months first last told after still back well video watch live update
    dans avec pour sont plus leur leurs cette selon entre apres aussi comme mais nous vous elle elles
    sich nach eine einer einem einen nicht auch wurde werden sind oder wird seit sowie dass
""".split())


def new_state() -> dict:
    """An empty profile."""
    return {"n": 0, "seen": {}}


def new_background() -> dict:
    """An empty background (word counts per day over every item seen, and their sum)."""
    return {"days": {}, "total": {}}


BODY_CHARS = 1000  # names are in the first paragraphs; the rest of a long article costs and adds little


def words(title: str, body: str = "") -> frozenset[str]:
    """The names an item uses, as a profile learns them: capitalised words ("Navalny", "Novichok", "Charité",
    folded), MIN_LEN letters or more, no stop word. In the body, a sentence's first word is no evidence of a
    name; a title in Title Case ("Beirut Blast Rocked the City") is none at all, a sentence-case title is.
    """
    body = body[:BODY_CHARS]
    raw: set[str] = set()
    if not _is_title_case(title):
        raw.update(_CAPITALISED.findall(title))
    # In the body, a capitalised word right after a sentence's end (or first of all) is not counted.
    starts = _SENTENCE_START.findall(body)
    if starts:
        counts: dict[str, int] = {}
        for token in _CAPITALISED.findall(body):
            counts[token] = counts.get(token, 0) + 1
        for token in starts:
            counts[token] -= 1
        raw.update(t for t, n in counts.items() if n > 0)
    else:
        raw.update(_CAPITALISED.findall(body))
    found = set()
    for token in raw:
        key = fold(token)
        if len(key) >= MIN_LEN and key not in _STOP and " " not in key:
            found.add(key)
    return frozenset(found)


def _is_title_case(text: str) -> bool:
    long_words = _LONG_WORD.findall(text)
    return bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)


_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][^\W\d_]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;|])\s*([A-ZÀ-ÖØ-Þ][^\W\d_]*)")
_LONG_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]{4,}")


def is_confident(match) -> bool:
    """True for a match on the editor's own evidence (not weak, not joined by the profile), scored high enough."""
    return (not match.weak and match.score >= CONFIDENT_SCORE
            and not any(t.startswith(("profile:", "event-of:")) for t in match.terms))


def learn(state: dict | None, item_words: frozenset[str]) -> dict:
    """The profile after one more confidently matched item with these words (a new dict)."""
    state = state or new_state()
    seen = dict(state["seen"])
    for word in item_words:
        seen[word] = seen.get(word, 0) + 1
    if len(seen) > MAX_WORDS * 2:  # bounded: keep the most seen words
        seen = dict(sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS])
    return {"n": state["n"] + 1, "seen": seen}


def observe(background: dict, item_words: frozenset[str], day: date) -> dict:
    """Count one item's words on its day (in place; returns the background). Days older than the window go."""
    days = background["days"]
    total = background.setdefault("total", {})
    key = day.isoformat()
    counts = days.get(key)
    if counts is None:
        counts = days[key] = {}
        cutoff = (day - timedelta(days=BACKGROUND_DAYS)).isoformat()
        for old in [d for d in days if d < cutoff]:
            for word, n in days.pop(old).items():
                left = total.get(word, 0) - n
                if left > 0:
                    total[word] = left
                else:
                    total.pop(word, None)
    for word in item_words:
        counts[word] = counts.get(word, 0) + 1
        total[word] = total.get(word, 0) + 1
    return background


def background_count(background: dict, word: str, since: date | None = None) -> int:
    """Items with this word (published on or after `since`, within the BACKGROUND_DAYS the background keeps)."""
    if since is None:
        return background.get("total", {}).get(word, 0)
    start = since.isoformat()
    return sum(counts.get(word, 0) for day, counts in background["days"].items() if day >= start)


def learned(state: dict | None) -> frozenset[str]:
    """The words that can count as evidence (seen in MIN_SEEN confidently matched items or more)."""
    if not state:
        return frozenset()
    return frozenset(w for w, n in state["seen"].items() if n >= MIN_SEEN)


def evidence(state: dict, background: dict, item_words: frozenset[str], *,
             top: int = TOP) -> tuple[float, tuple[str, ...]]:
    """How strongly these words say "this incident" (0..1), and the words behind it, strongest first.

    Call it after observe() of the same item (processing observes every item, then matches it)."""
    seen = state["seen"]
    total = background.get("total", {})
    scored = []
    for word in seen.keys() & item_words:
        n = seen[word]
        if n >= MIN_SEEN:
            # The item being decided was observed first (the caller's contract): it is not evidence against.
            p = n / (max(total.get(word, 0) - 1, n) + SMOOTHING)
            if p >= WORD_P:
                scored.append((p, word))
    scored.sort(key=lambda s: (-s[0], s[1]))
    miss = 1.0
    for p, _ in scored[:top]:
        miss *= 1.0 - p
    return 1.0 - miss, tuple(w for _, w in scored[:top])
