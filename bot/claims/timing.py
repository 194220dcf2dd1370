"""When a figure's sentence says it happened, against the text's lead: a feature for the decision layer.

Reports pull in other events with a time of their own: "On Friday, 32 border force personnel were
killed in Kandahar" under a lead about Saturday night in Balkh, "when a suicide car bomber killed 125
people on Feb. 28, 2005", "La semaine dernière, plus de 85 personnes ont été tuées". A figure whose
sentence names a time the lead does not name is likelier another event's. This module only finds the
time words; how much that weighs is learned (bot/claims/train.py).
"""

from __future__ import annotations

import re

_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|jeudi|vendredi|samedi|"
    r"dimanche|yesterday|hier|(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|janvier|février|mars|avril|mai|juin|juillet|août|"
    r"septembre|octobre|novembre|décembre)\.?\s+\d{1,2}|\d{1,2}(?:er)?\s+(?:janvier|février|mars|avril|mai|juin|"
    r"juillet|août|septembre|octobre|novembre|décembre)|(?:19|20)\d\d|last\s+(?:week|month|year)|earlier\s+this\s+"
    r"(?:week|month|year)|(?:la\s+semaine|le\s+mois|l['’]an|l['’]année)\s+dernier|(?:la\s+)?semaine\s+dernière|"
    r"l['’]année\s+dernière)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý«\"“])")


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, pos):
        start = m.end()
    nxt = _SENTENCE_END.search(text, pos)
    return start, (nxt.start() if nxt else len(text))


def _times(text: str) -> set[str]:
    return {re.sub(r"\s+", " ", m.group(0).lower()) for m in _TIME.finditer(text)}


def lead_end(text: str) -> int:
    """Where the text's first sentence ends."""
    return _sentence_bounds(text, 0)[1]


def other_time(text: str, pos: int) -> bool:
    """Whether the sentence at `pos` (after the lead) names a time the lead does not."""
    end = lead_end(text)
    if pos < end:
        return False
    a, b = _sentence_bounds(text, pos)
    return bool(_times(text[a:b]) - _times(text[:end]))
