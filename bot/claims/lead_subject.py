"""One victim named by the sentence's own subject, however long it runs before its verb:
"A journalist who worked for a local service of the BBC and also contributed to Reuters was shot
dead", "Local government official has been shot and killed", "Mr Joseph Adu, [an opposition MP],
has been killed by unknown assailants".

The older patterns read a subject back from its verb over a few words, which a relative clause or
an apposition defeats. Here the subject is the sentence's start up to its first singular casualty
verb, and only its head (the words before the first comma, relative pronoun or preposition) has
to name one person. It runs last, and only when the sentence counts no death yet.
"""

from __future__ import annotations

import re

from .lexicon import PERSON_PLUR, PERSON_SING

_I = re.IGNORECASE
_KILL = (r"(?:shot\s+to\s+death|shot\s+dead|shot\s+and\s+killed|shot\s+in\s+the\s+\w+\s+and\s+killed|killed|"
         r"beheaded|decapitated|murdered|assassinated|hacked\s+to\s+death|stabbed\s+to\s+death|beaten\s+to\s+death|"
         r"tortured\s+to\s+death|burned\s+to\s+death|gunned\s+down|executed|slain|lynched|dead)")
# "was ambushed and shot dead", "has been kidnapped and killed": a first verb, then the death.
_FIRST = r"(?:(?:ambushed|kidnapped|abducted|attacked|stabbed|tortured|waylaid|seized)\s+and\s+(?:then\s+)?)"
_VERB = re.compile(rf"\s(?:(?:was|has\s+been|had\s+been)\s+(?:\w+ly\s+)?(?:found\s+)?{_FIRST}?{_KILL}|"
                   rf"died(?=\s+(?:\w+\s+){{0,3}}?(?:after|of|from)\s))\b", _I)
# The head ends at the first comma, bracket, relative pronoun, participle or preposition.
_HEAD_END = re.compile(r"[,(\[]|\s(?:who|whom|which|that|working|serving|known|from|of|for|in|at|with|on|near|by|"
                       r"to|during|after|when|while|since|was|has|had|is)\b", _I)
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Dr|Sheikh|Father|Rev|Chief|Alhaji)\.?\s+[A-Z]")
_ONE_OF = re.compile(r"^(?:One|A\s+member|A\s+founding\s+member)\s+of\s+the\b")
_NAME = re.compile(r"^(?:[A-Z][\w'’.-]+\s+){1,4}[A-Z][\w'’-]+$")
_LIST = re.compile(r"\b(?:and|along\s+with|as\s+well\s+as)\s+(?:his|her|their|a|an|the|two|three|four|five|"
                   r"several|other|\d+)\b", _I)
_SING = {w.lower() for w in PERSON_SING["en"]}
_PLUR = {w.lower() for w in PERSON_PLUR["en"]}
_NOT_HEAD = {"police", "officials", "authorities", "gunmen", "attackers", "militants", "witnesses", "sources"}


def _head_names_one(subject: str) -> bool:
    """Whether the subject's head names one person: a person noun, an honorific or a full name."""
    if _ONE_OF.match(subject) or _HONORIFIC.match(subject):
        return True
    end = _HEAD_END.search(subject)
    head = subject[:end.start()] if end else subject
    words = re.findall(r"[\w'’-]+", head)
    if not 1 <= len(words) <= 7 or any(w.isdigit() and len(w) < 4 for w in words):
        return False  # too long to be a head, or a count ("5 gunmen"), which the number patterns read
    low = [w.lower() for w in words]
    if any(w in _PLUR or w in _NOT_HEAD for w in low):
        return False  # "Police said ...", "Two villagers": not one person
    return any(w in _SING for w in low) or bool(_NAME.match(head.strip()))


def lead_singulars(st) -> None:
    """"<one person, however described> was shot dead": one death."""
    if st.lang != "en" or st.found_metric("killed") or st.found_metric("shot"):
        return
    v = _VERB.search(st.text, 0, 300)
    if v is None:
        return
    subject = st.text[:v.start()].strip()
    if not subject or ";" in subject or _LIST.search(subject) or not _head_names_one(subject):
        return
    if re.search(r"\b(?:not|never|no)\s*$", subject, _I):
        return  # "... was not killed"
    if st.free(0, v.end()):
        st.add_one("killed", 0, v.end(), who_text=subject[:80], entity_text="a person")
