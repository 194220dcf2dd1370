"""Distinct victims across the sentences of one text: "X died ... a second man died" is two.

A text often names each victim in a sentence of its own and never gives a total. These rules
count the distinct people its singular mentions are about, keyed the way a reader keeps track:
a name by its surname, "a second man" as someone new, and every other description ("a man",
"the victim", "the suspect", "he") as one unnamed person who may be any of the others.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ahocorasick

from .lexicon import PERSON_SING

NEW = "+new"  # "a second man", "a third victim": someone not counted yet
GENERIC = "+generic"  # "a man", "the victim", "he": may be anyone already counted

# Only an indefinite ordinal says "someone else": "another man", "the second victim" may be
# other than the shooter, or the second person hit, not a second death.
_NEW_RE = re.compile(r"^(?:a\s+second|a\s+third|a\s+fourth|un\s+second|une\s+seconde|un\s+deuxième|"
                     r"une\s+deuxième|un\s+troisième|une\s+troisième)\b", re.IGNORECASE)
_NOT_NAME = {w.lower() for ws in PERSON_SING.values() for w in ws} | {
    "a", "an", "the", "his", "her", "their", "its", "this", "that", "one", "another", "he", "she", "him", "it",
    "un", "une", "le", "la", "les", "son", "sa", "il", "elle", "jr", "sr", "ii", "iii", "iv", "jr.", "sr.",
    "officer", "deputy", "sgt", "sgt.", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
}
_PERSON_NOUNS = {w.lower() for ws in PERSON_SING.values() for w in ws} | {"officer", "deputy", "policeman", "trooper"}
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’-]*")


@lru_cache(maxsize=256)
def entity_key(np: str | None) -> str:
    """Who a singular mention is about: a surname, NEW, or GENERIC."""
    if not np:
        return GENERIC
    np = np.strip()
    if _NEW_RE.match(np):
        return NEW
    words = _WORD.findall(np)
    # A name is the head, or comes after the noun ("Officer Thomas"); before a noun it is a place
    # or a team ("a Summerville man", "an Ohio policeman").
    last_noun = max((i for i, w in enumerate(words) if w.lower() in _PERSON_NOUNS), default=-1)
    names = [w for w in words[last_noun + 1:] if w[0].isupper() and w.lower().rstrip(".") not in _NOT_NAME
             and not w.isupper()]
    if names:
        name = names[-1]
        return name[:-2] if name.endswith(("'s", "’s")) else name
    return GENERIC


def distinct_count(keys: list[str], text: str = "") -> int:
    """How many different people a list of entity keys stands for, at the least.

    A name the text also uses before a person noun ("a Carson City man") is a place, not a victim.
    """
    if not keys:
        return 0
    # A name is kept when the text repeats it (a victim is named again; a title word is not) and
    # never writes it before a person noun ("a Carson City man": a place).
    names = {k for k in keys if not k.startswith("+") and (not text or text.count(k) > 1)
             and not _used_as_place(k, text)}
    new = sum(k == NEW for k in keys)
    # Someone unnamed may be any named person; "a second man" adds one to whoever came before.
    base = len(names) or 1
    return base + new


def _used_as_place(name: str, text: str) -> bool:
    """Whether the text writes this capitalised word right before a lower-case person noun."""
    if not text or name not in text:
        return False
    return any(m.group(1).lower() in _PERSON_NOUNS
               for m in re.finditer(rf"\b{re.escape(name)}\s+([a-z]+)\b", text))


# Words that turn a text to another incident than the one it opened with: "In a separate
# shooting", "This is the second homicide in the city this year. The first ...", "In that case".
_OTHER_INCIDENT = re.compile(
    r"(?<![\w'’-])(?=(?-i:[itdlITDL]))(?:in\s+(?:a|an|another)\s+(?:separate|unrelated|earlier|similar|previous|different)\s+"
    r"(?:incident|shooting|case|attack|homicide|stabbing)|"
    r"this\s+(?:is|was|marks)\s+the\s+(?:second|third|fourth|fifth|\w+th|\d+\w*)\s+(?:fatal\s+|deadly\s+)?"
    r"(?:homicide|shooting|killing|murder|slaying)|in\s+that\s+case|"
    r"dans\s+une\s+autre\s+attaque|lors\s+d['’]une\s+(?:autre|précédente)\s+attaque)\b",
    re.IGNORECASE,
)

# One word of each phrase above, lower case (the phrases may be spaced any way): the pattern is
# only tried around these (speed only).
_OTHER_WORDS = ("separate", "unrelated", "earlier", "similar", "previous", "different", "this", "case", "autre",
                "précédente")

_OTHER_AUTO = ahocorasick.Automaton()
for _w in _OTHER_WORDS:
    _OTHER_AUTO.add_word(_w, _w)
_OTHER_AUTO.make_automaton()


def other_incident_at(text: str, start: int) -> int | None:
    """Where, after start, the text turns to another incident, if it does."""
    # Look only around the words one of the phrases needs (a cheap test first; speed only).
    for end, word in _OTHER_AUTO.iter(text.lower(), start):
        m = _OTHER_INCIDENT.search(text, max(start, end - 40), end + 40)
        if m:
            return m.start()
    return None
