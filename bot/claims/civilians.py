"""Of whom civilians: the civilian part of a text's killed toll, when the text gives it.

"killing four soldiers and five civilians" (5), "at least 10 people dead, including five civilians" (5),
"11 civilians and a soldier were killed" (11), "Twelve civilians have been killed" (12, the whole toll).
Desks report civilians apart from soldiers and police, and conflict datasets such as the Worldwide
Atrocities Dataset count only them. None when the text does not say which of the dead were civilians.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.models import Claim

from .lexicon import WHO, who_of
from .numbers import find_quantities
from .reading import Mention

_I = re.IGNORECASE
# A part is the civilians only when the text says so: "including two children" is a part of the civilians.
_CIVILIAN = re.compile(r"\b(?:civilians?|civils?|civiles?)\b", _I)
_UNIFORMED = re.compile(rf"\b(?:{WHO['soldiers']}|{WHO['police']}|security\s+(?:personnel|forces|officers))\b", _I)
# Right after the toll's quote: "killing four soldiers| and five civilians".
_AND_MORE = re.compile(r"\s*,?\s*(?:and|as\s+well\s+as|along\s+with|et)\s+(?P<part>[^,;.]{1,50})", _I)
_SENTENCE_END = re.compile(r"[.!?]\s")
# Where a toll's quote turns to a part of it: "Seven people, including two children, ...".
_PART_START = re.compile(r",|\b(?:including|among\s+them|of\s+whom|dont|parmi\s+lesquels)\b", _I)


def _civilian_count(phrase: str, lang: str) -> int | None:
    """The count a phrase gives of civilians: "five civilians" 5, "a civilian" 1, else None."""
    if not _CIVILIAN.search(phrase) or _UNIFORMED.search(phrase):
        return None
    qs = [q for q in find_quantities(phrase, lang) if q.value is not None and not q.vague]
    if qs:
        return int(qs[0].value)
    return 1 if re.match(r"\s*(?:a|an|one|un|une)\s", phrase, _I) else None


def civilian_part(ms: list[Mention], killed: Claim | None, text: str, lang: str = "en") -> Claim | None:
    """The civilians among the killed toll, as a claim (its quote is where the text says so), or None."""
    if killed is None or killed.value is None:
        return None
    quote = killed.quote
    head = _PART_START.split(quote, 1)[0]
    if who_of(head) == "civilians" and not _UNIFORMED.search(quote):
        return killed  # "Twelve civilians have been killed": the whole toll
    # A part the sentence names: "including five civilians", "11 civilians and a soldier".
    parts = [m.claim for m in ms if m.claim.metric == "killed" and m.claim.value is not None
             and _CIVILIAN.search(m.claim.quote) and m.claim is not killed and m.claim.value <= killed.value
             and _same_sentence(text, killed, m.claim) and not _UNIFORMED.search(m.claim.quote)]
    if parts:
        return max(parts, key=lambda c: c.value)
    if not _UNIFORMED.search(quote):
        return None
    # "11 civilians and a soldier were killed": the civilian count inside the quote.
    for piece in re.split(r"\s+(?:and|et)\s+|,", quote):
        n = _civilian_count(piece, lang)
        if n is not None and n <= killed.value:
            return replace(killed, value=n, low=n, high=n, who="civilians")
    # "killing four soldiers| and five civilians": the civilians right after it.
    after = _AND_MORE.match(text, killed.end)
    n = _civilian_count(after.group("part"), lang) if after else None
    if n is None:
        return None
    return replace(killed, value=n, low=n, high=n, who="civilians", quote=text[killed.start:after.end()], end=after.end())


def _same_sentence(text: str, a: Claim, b: Claim) -> bool:
    lo, hi = sorted((a.start, b.start))
    return _SENTENCE_END.search(text, lo, hi) is None


def civilians_killed(text: str, lang: str | None = None) -> Claim | None:
    """The civilian part of a text's killed toll (the rules' toll), or None when the text does not say."""
    from .extract import mentions
    from .lang import detect_lang
    from .text_toll import toll_from_mentions

    lang = lang or detect_lang(text)
    ms = mentions(text, lang)
    return civilian_part(ms, toll_from_mentions(ms, text)["killed"], text, lang)
