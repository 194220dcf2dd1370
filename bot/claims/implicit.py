"""Figures a text gives without a number: "a journalist was killed" (1), "a mother and her four
children were killed" (5); finding who a verb is about, read backwards from it."""

from __future__ import annotations

import re
from functools import lru_cache

from . import patterns as P
from .distractors import distractor_class
from .lexicon import PERSON_SING, who_of
from .numbers import find_quantities

# "Jeremiah Washington, 24, of Memphis, Tennessee, was": up to three comma-separated parts.
_APPOS_END = re.compile(r"(?:,[^,.;:\"“”]{1,60}){1,3},\s*$")
_SING_WORDS = {lang: {w.lower() for w in PERSON_SING[lang]} | {"he", "she", "il", "elle", "second", "another", "third"}
               for lang in P.LANGS}


# Where a list turns to a part of what it counted: "five civilians including a baby and two toddlers" is 5.
_PART = re.compile(r",?\s+(?:including|among\s+them|among\s+whom|dont|y\s+compris|notamment|parmi\s+(?:eux|elles|lesquels))\s",
                   re.IGNORECASE)


def group_count(group: str, lang: str) -> int | None:
    """Sum of a list of people ("a mother and her four children" is 5), or None if one is uncounted."""
    part = _PART.search(group)
    if part:
        group = group[:part.start()]
    total = 0
    for item in P.ITEM[lang].finditer(group):
        text = item.group(0)
        if P.ANIMAL_RE[lang].search(text):
            continue  # "and their dog": in the list, but not a person
        num = None
        for q in find_quantities(text, lang):
            if q.value is not None and not q.vague and distractor_class(text, q) is None:
                num = q.value
        if num is None:
            if P.PERSON_SING_RE[lang].search(text.split()[-1]):
                num = 1
            else:
                return None
        total += num
    return total or None


def add_group(st, metric: str, start: int, end: int, total: int, group: str) -> None:
    """Record a list's figure; a list that names attackers beside their victims ("11 civilians and 43 rebel
    fighters had been killed") is two figures: the victims, and the attackers counted apart."""
    victims, attackers = _sides(group, st.lang)
    if attackers and victims:
        st.add(metric, start, end, victims, victims, victims, who_text=victims_words(group, st.lang))
        st.add(metric, start, end, attackers, attackers, attackers, who_text="attackers")
        return
    st.add(metric, start, end, total, total, total, who_text=group)


def _items(group: str, lang: str):
    part = _PART.search(group)
    return list(P.ITEM[lang].finditer(group[:part.start()] if part else group))


def _sides(group: str, lang: str) -> tuple[int, int]:
    """(victims, attackers) a fully counted list gives; (0, 0) when it is not one."""
    victims = attackers = 0
    for item in _items(group, lang):
        n = group_count(item.group(0), lang)
        if n is None:
            return 0, 0
        if who_of(item.group(0)) == "attackers":
            attackers += n
        else:
            victims += n
    return victims, attackers


def victims_words(group: str, lang: str) -> str:
    """The list's words about those who are not attackers ("11 civilians")."""
    return " and ".join(i.group(0) for i in _items(group, lang) if who_of(i.group(0)) != "attackers")


def subject_before(sentence: str, anchor: re.Match, lang: str, has_join: bool, context: str):
    """(start, count, words) of the people a passive/intransitive verb is about, or None."""
    end = anchor.start()
    before = sentence[max(0, end - 260):end]
    base = end - len(before)
    # Skip an apposition: "Jassely Lupoe, a 5-year-old Latina, was shot".
    appos = _APPOS_END.search(before, max(0, len(before) - 125))
    if appos:
        before = before[:appos.start()]
    plural = (anchor.group("aux") or "").lower() in P.PLURAL_AUX or bool(anchor.group("icw"))
    if plural and has_join:
        g = P.GROUP_END[lang].search(before, max(0, len(before) - 200))
        if g:
            total = group_count(g.group("grp"), lang)
            if total:
                return base + g.start("grp"), total, g.group("grp")
    aux = (anchor.group("aux") or "").lower()
    if aux in P.PLURAL_AUX:
        return None  # "were killed" with no sum: a count, if any, is the quantity path's job
    last = before.rstrip()[-40:].split()
    if not last or (lang == "en" and not _could_end_subject(last[-1], lang)):
        return None
    m = P.SUBJECT_END[lang].search(before, max(0, len(before) - 90))
    if not m:
        return None
    np = m.group("np")
    if " " not in np and np[:1].isupper() and np.lower() not in _SING_WORDS[lang]:
        if not full_name_known(np, context):
            return None
    return base + m.start("np"), 1, np


def _could_end_subject(word: str, lang: str) -> bool:
    """Quick test on the last word before a verb: a person noun, a name, a pronoun, "the 18-year-old"."""
    w = word.strip("\"“”'’,()[]")
    return bool(w) and (w[0].isupper() or w.lower() in _SING_WORDS[lang] or w.lower().endswith("-year-old"))


def full_name_known(word: str, context: str) -> bool:
    """A lone capitalised word is a surname only if the text also gives the full name
    ("William Waldron ... Waldron was shot"); otherwise it is a place or a shop."""
    return context.count(word) > 1 and bool(_surname_pattern(word).search(context))


@lru_cache(maxsize=512)
def _surname_pattern(word: str) -> re.Pattern:
    """A full name ending in this word: "William Waldron", "Cheri L. Blocker"."""
    return re.compile(rf"[A-Z][\w'’-]+\s+(?:[A-Z]\.\s+)?{re.escape(word)}\b")


def reduced_metric(cw: str) -> str:
    """Metric of a participle after its noun: "the man fatally shot by police" is killed."""
    cw = P.norm(cw)
    if cw in ("fatally shot", "shot and killed", "shot dead", "killed", "slain"):
        return "killed"
    return {"wounded": "injured", "injured": "injured"}.get(cw, "shot")
