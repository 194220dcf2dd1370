"""Sentence and clause boundaries with character offsets, so quotes keep their spans."""

from __future__ import annotations

import re
from functools import lru_cache

_ABBREV = {
    "mr", "mrs", "ms", "dr", "st", "sr", "jr", "lt", "col", "gen", "sgt", "capt", "cpl", "gov", "sen",
    "rep", "rev", "prof", "no", "vs", "inc", "co", "corp", "ltd", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ave", "blvd", "rd", "mt", "ft", "u.s", "u.n",
    "u.k", "approx", "dept", "det", "ofc", "lt", "maj", "pvt", "m", "mme", "mlle", "av", "etc",
}
_LONG = max(len(a) for a in _ABBREV) + 1  # letters before a full stop that no abbreviation has
# A boundary: end punctuation, optional closing quotes, then space and a capital or an opening quote.
# Each kind is its own pattern starting with a fixed character class, which re scans fast.
_PUNCT = re.compile(r"[.!?][.!?]*[\"”’')\]]*\s+(?=[\"“'(\[]?[A-Z0-9À-ÖØ-Þ])")
_NEWLINES = re.compile(r"\n\s*")
_PIPES = re.compile(r"[ \t]\|[ \t]")
# Scraped pages glue the title to the body ("...Los Angeles TimesJassely Lupoe, 5, was"): a capital
# straight after four lower-case letters or ".com" starts a new sentence.
_GLUE = re.compile(r"[A-Z](?<=[a-z0-9][A-Z])")  # the capital, found first (re scans for it fast)
_GLUE_BEFORE = re.compile(r"[a-z0-9]{4}$|\.com$")
_LAST_WORD = re.compile(r"([\w.]+)$")
HEAD_CHARS = 400  # how far into a text its title (and headline style) may reach

# Clause breaks inside a sentence: attribution and hedging rarely cross them.
CLAUSE_BREAK = re.compile(
    r";|\s[–—]\s|,\s+where\s|,?\s+(?=[btawhmcTBAWHMC])(?:but|though|although|while|whereas|however|mais|tandis\s+que|"
    r"alors\s+que|cependant|toutefois|bien\s+que)\b",
    re.IGNORECASE,
)


def _cuts(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence break, in order: the text between start and end is dropped."""
    cuts = []
    for m in _PUNCT.finditer(text):
        # Keep the punctuation with its sentence; the break is the whitespace after it.
        s = m.start()
        stop = s + len(m.group(0).rstrip())
        if s >= _LONG and text[s - _LONG:s].isalpha():
            # A word of more than _LONG letters ends here: no abbreviation, no initial (fast path).
            cuts.append((stop, m.end()))
            continue
        # The word before the full stop, read with str methods (this loop runs for every sentence).
        w = text[max(0, s - 20):s].rsplit(None, 1)[-1:] or [""]
        w = w[0].lstrip("\"“'([")
        if w:
            if w.lower().rstrip(".") in _ABBREV:
                continue
            # "Col. Assimi", initials like "L. Caskey": a lone capital is not a sentence end.
            if len(w) == 1 and w.isupper():
                continue
        cuts.append((stop, m.end()))
    cuts.extend(m.span() for m in _NEWLINES.finditer(text))
    # Titles glued to bodies and "Title | Site" separators only occur at the top of a text.
    head = min(len(text), HEAD_CHARS)
    if "|" in text[:head]:
        cuts.extend(m.span() for m in _PIPES.finditer(text, 0, head))
    for m in _GLUE.finditer(text, 0, head):
        if _GLUE_BEFORE.search(text, max(0, m.start() - 4), m.start()):
            cuts.append((m.start(), m.start()))
    cuts.sort()
    return cuts


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in a text."""
    spans = []
    start = 0
    for stop, nxt in _cuts(text):
        if stop < start:
            continue
        if stop > start and not text[start:stop].isspace():
            spans.append((start, stop))
        start = nxt
    if start < len(text) and not text[start:].isspace():
        spans.append((start, len(text)))
    return spans


@lru_cache(maxsize=256)
def clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) spans of clauses within one sentence, relative to it."""
    spans, start = [], 0
    for m in CLAUSE_BREAK.finditer(sentence):
        spans.append((start, m.start()))
        start = m.start()
    spans.append((start, len(sentence)))
    return tuple(s for s in spans if s[1] > s[0])
