"""A number and the casualty word it goes with: "77 confirmed deaths", "killing more than 75"."""

from __future__ import annotations

import re

from . import patterns as P
from .lexicon import PERSON_PLUR
from .numbers import Quantity

_PLURALS = {lang: {w.lower() for w in PERSON_PLUR[lang]} for lang in P.LANGS}
_FIRED_BEFORE = re.compile(r"\b(?:fired|fire|firing|heard|hear)\s+$", re.IGNORECASE)
# The words a verb-first, toll-noun or naming phrase can end on, right before its number.
_LAST_BEFORE = {
    lang: {p.split()[-1] for p in P.BEFORE_METRIC[lang]}
    | {"his", "her", "their", "its", "ses", "leurs", "les", "some", "about"}  # "killing his 3 children"
    | {"at", "to", "reached", "hit", "is", "was", "of", "à", "de", "atteint"}  # "the toll rose to 12"
    | {"for", "identified", "named", "identifying", "identifié", "identifiés", "des"}  # "names given for 81"
    for lang in P.LANGS
}
_NOUN_RUN = re.compile(r"(?:\s+(?:of\s+)?(?!(?:and|et|in|at|on|dans|à|au|with|avec|during|pendant)\b)[\w'’-]+){0,3}")


def figure_after_or_before(sentence: str, q: Quantity, lang: str):
    """(metric, start, end, subset) when a quantity counts casualties, else None."""
    subset = bool(P.SUBSET_BEFORE.search(sentence, max(0, q.start - 30), q.start))
    return _word_after(sentence, q, lang, subset) or _word_before(sentence, q, lang, subset)


# What may stand between a subject and its verb without ending the phrase: an aside about who
# the victims were ("29 people, including 10 foreigners, were killed", "18 people -- mostly
# women -- were killed"), and a reporting verb ("are said to have been killed").
_ASIDE = {
    "en": re.compile(
        r"\s*(?:(?:--|—|–)[^—–;]{1,90}?(?:--|—|–)|\([^()]{1,90}\)|,\s*(?:including|mostly|mainly|most\s+of\s+them|"
        r"many\s+of\s+them|some\s+of\s+them|all\s+of\s+them|among\s+them|among\s+whom|both|all|one\s+of\s+them)\b[^,;]{1,90},)",
        re.IGNORECASE),
    "fr": re.compile(
        r"\s*(?:(?:--|—|–)[^—–;]{1,90}?(?:--|—|–)|\([^()]{1,90}\)|,\s*(?:dont|parmi\s+lesquels|pour\s+la\s+plupart|"
        r"en\s+majorité|majoritairement|essentiellement)\b[^,;]{1,90},)",
        re.IGNORECASE),
}
_RAISING = {
    "en": re.compile(r"\s+(?:are|were|is|was)\s+(?:(?:also|now|reportedly|officially)\s+)?(?:said|reported|believed|"
                     r"confirmed|feared|thought|known|understood|presumed|estimated|alleged)\s+to\s+have(?=\s+been\b)|"
                     r"\s+(?:have|has|had)\s+(?:so|thus)\s+far(?=\s+been\b)", re.IGNORECASE),
    "fr": re.compile(r"(?!)"),
}


_AVOIR = {"ont", "a", "avaient", "avait", "auraient", "aurait", "avoir"}


def _tail(sentence: str, q: Quantity, lang: str):
    """The casualty word after a quantity, directly or past an aside and a reporting verb."""
    m = P.TAIL[lang].match(sentence, q.end)
    if m and _words_between_ok(m.group("mid").lower().split(), lang)[0]:
        return m
    pos = q.end + noun_run(sentence[q.end:q.end + 60], lang)
    if pos == q.end:
        return m
    aside = _ASIDE[lang].match(sentence, pos)
    raising = _RAISING[lang].match(sentence, aside.end() if aside else pos)
    if not aside and not raising:
        return m
    pos = raising.end() if raising else aside.end()
    return P.TAIL[lang].match(sentence, pos) or m


def _word_after(sentence: str, q: Quantity, lang: str, subset: bool):
    """"77 confirmed deaths", "200 others wounded", "une vingtaine de soldats tués"."""
    m = _tail(sentence, q, lang)
    if not m:
        return None
    words = m.group("mid").lower().split()
    ok, passive = _words_between_ok(words, lang)
    cw = m.group("cw")
    if not ok:
        return None
    # A French participle is active only after "avoir" ("53 gendarmes tués le 14 novembre" are victims).
    active = lang != "fr" or any(w in _AVOIR for w in words)
    if not passive and active and P.ACTIVE_CW.match(cw) and P.OBJECT_START.match(sentence, m.end()):
        return None  # "2 men killed 5 soldiers": the 2 are the killers
    if (q.value or 0) > 1 and any(w in ("is", "was", "has", "est", "a") for w in words):
        return None  # "a mother of three is dead": the verb is singular, so the number is not its subject
    if not passive and words and words[-1] in ("who", "that", "qui"):
        return None  # "two people who shot at the car"
    if cw.lower() == "shot" and not passive and _FIRED_BEFORE.search(sentence, max(0, q.start - 12), q.start):
        return None  # "fired one shot": a shot is a bullet here, not a victim
    return P.AFTER_METRIC[lang][P.norm(cw)], q.start, m.end(), subset or bool(m.group("of"))


def _words_between_ok(words: list[str], lang: str) -> tuple[bool, bool]:
    """Whether the words between a quantity and its casualty word keep them together; and if passive."""
    passive = False
    for w in words:
        w = w.strip("\"“”'’,«»")
        if w in P.STOP[lang] or w in P.NOT_PEOPLE_WORDS[lang] or w in P.NEGATION or any(c.isdigit() for c in w):
            return False, False
        passive = passive or w in P.PASSIVE_MARKERS
    return True, passive


def _word_before(sentence: str, q: Quantity, lang: str, subset: bool):
    """"killing more than 75 people", "names provided for 81 victims", "the death toll stands at 77"."""
    before = sentence[max(0, q.start - 60):q.start]
    tail = before.rsplit(None, 1)[-1:]
    if not tail or tail[0].lower() not in _LAST_BEFORE[lang]:
        return None  # none of the phrases below can end on this word (a cheap test; speed only)
    base = q.start - len(before)
    named = P.NAMED_BEFORE.search(before)
    if named:
        after = P.NAMED_AFTER.match(sentence, q.end)
        if after:
            return "named_victims", base + named.start(), after.end(), subset
    # "shot 3 times", "killed 2 years ago": what follows the number must not be a thing.
    obj = P.OBJECT_AFTER.match(sentence, q.end)
    first = (obj.group("np").split() or [""])[0].lower() if obj else ""
    if first in P.NOT_PEOPLE_WORDS[lang] and first not in P.STOP[lang] or first in ("times", "fois"):
        return None
    verb = P.BEFORE[lang].search(before)
    if verb:
        end = q.end + noun_run(sentence[q.end:q.end + 60], lang)
        return P.BEFORE_METRIC[lang][P.norm(verb.group("cv"))], base + verb.start("cv"), end, subset
    toll = P.TOLL_BEFORE[lang].search(before)
    if toll and not subset:
        # "le bilan fait état de dix terroristes neutralisés": the quote runs on to who they were.
        at = _DE_NOUN.match(sentence, q.end).end()  # the pattern is optional: it always matches
        run = noun_run(sentence[at:at + 60], lang)
        return "killed", base + toll.start("toll"), (at + run) if run else q.end, subset
    return None


_DE_NOUN = re.compile(r"(?:\s+(?:de|d['’]))?", re.IGNORECASE)


def noun_run(after: str, lang: str) -> int:
    """Length of the people noun phrase right after a quantity ("people", "young children")."""
    m = _NOUN_RUN.match(after)
    best = 0
    # Stop at the last word that names people, so the quote does not swallow "in the attack".
    for w in re.finditer(r"[\w'’-]+", m.group(0) if m else ""):
        if P.PERSON_SING_RE[lang].fullmatch(w.group(0)) or w.group(0).lower() in _PLURALS[lang]:
            best = w.end()
    return best
