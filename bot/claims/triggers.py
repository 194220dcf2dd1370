"""Which sentences can hold a casualty figure: a stem scan of the whole text, then sentence spans."""

from __future__ import annotations

import re
from bisect import bisect_left

import ahocorasick

from .sentences import sentences

# Sentences without one of these stems cannot hold a casualty figure; skipping them is most of
# the speed. Aho-Corasick (pyahocorasick, already a dependency) finds them in one C-speed pass.
TRIGGER_STEMS = (
    "kill", "dead", "death", "died", "dies", "fatal", "slain", "murder", "injur", "wound", "hurt", "hospital",
    "shot", "shoot", "stab", "casualt", "toll", "victim", "missing", "kidnap", "abduct", "hostage", "massacr",
    "execut", "perish", "succumb", "lives", "life", "bodies", "body", "suicide", "gunned", "condition", "grazed", "homicide",
    "deceased", "deadly", "tué", "tuant", "tuer", "tuent", "mort", "décè", "décéd", "bless", "péri", "enlev", "otage", "disparu", "bilan",
    "abattu", "assassin", "exécut", "la vie", "corps", "état grave", "état critique",
    "behead", "slaughter", "égorg", "décapit", "massacré", "decapitat", "ablaze", "lynch", "burned alive",
    "burnt alive", "lost their lives", "lost his life", "lost her life", "tombés en héros", "tombé en héros",
    "tombés au", "tombé au", "tombés sur le champ", "calcin", "succomb", "drown",
)
_TRIGGER = ahocorasick.Automaton()
for _stem in TRIGGER_STEMS:
    _TRIGGER.add_word(_stem, _stem)
_TRIGGER.make_automaton()


# Stems a passive or intransitive casualty verb contains ("was shot", "died"), and those an active
# one does ("killing a man", "the death of"); a sentence without them skips those patterns.
VERB_STEMS = {"kill", "dead", "died", "dies", "fatal", "slain", "murder", "injur", "wound", "hurt", "hospital", "shot",
               "stab", "kidnap", "abduct", "hostage", "massacr", "execut", "perish", "succumb", "life", "suicide",
               "gunned", "condition", "grazed", "deceased", "body", "succomb", "drown"}
ACTIVE_STEMS = {"kill", "shot", "shoot", "murder", "stab", "wound", "injur", "kidnap", "abduct", "gunned", "death",
                 "body", "bodies", "homicide", "tué", "tuant", "mort", "bless", "enlev", "abattu", "assassin", "la vie",
                 "corps", "kidnapp", "exécut"}

# Stems that count only as whole words: "shots fired" and "a deadline" hold no casualty.
_WHOLE_WORD = {"shot", "dead", "life", "toll", "body"}
_WEAK_STEMS = {
    "shoot": re.compile(r"shooting\s+(?:dead\s+|and\s+\w+\s+)?(?:(?:a|an|the|his|her|their|him|one|two|three|four|five|"
                        r"at\s+least)\b|\d|(?-i:[A-Z]))", re.IGNORECASE),
    "victim": re.compile(r"victims\s+(?:identified|named)|names?\s+\w+\s+\w+\s+\d|victimes|(?:gunshot|shooting)\s+victims",
                         re.IGNORECASE),
    "hospital": re.compile(r"hospitali[sz]", re.IGNORECASE),
    "life": re.compile(r"loss\s+of\s+(?:human\s+)?lif|own\s+life|lost\s+(?:his|her|their)\s+li", re.IGNORECASE),
    # "The Homicide Report", "charged with homicide", "he lives in", "a deadly weapon": no figure.
    "homicide": re.compile(r"homicides|homicide\s+(?:investigation|case|victim|suspect)|(?:double|triple)\s+homicide|"
                           r"(?<!an\s)(?<!attempted\s)\ba\s+homicide\b", re.IGNORECASE),
    "lives": re.compile(r"lives\s+(?:lost|were|of)|(?:their|his|her|the|human|innocent)\s+lives|loss\s+of\s+lives|"
                        r"\d\s+lives|(?:one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|"
                        r"scores)\s+(?:of\s+)?(?:[\w'’-]+\s+)?lives", re.IGNORECASE),
    "deadly": re.compile(r"deadly\s+(?:[\w'’-]+\s+){0,3}?(?:shooting|stabbing|shootout)", re.IGNORECASE),
}




def _stem_hits(low: str) -> list[tuple[int, str]]:
    """(end, stem) of every trigger stem that starts a word (and ends it, for whole-word stems)."""
    # "bodies" is a trigger, "studies" is not; "shot" is, "shots" is not.
    n = len(low)
    return [(end, stem) for end, stem in _TRIGGER.iter(low)
            if (end < len(stem) or not low[end - len(stem)].isalpha())
            and (stem not in _WHOLE_WORD or end + 1 >= n or not low[end + 1].isalpha())]


def stems_in(text: str) -> set[str]:
    """The trigger stems a piece of text holds."""
    return {stem for _, stem in _stem_hits(text.lower())}


def trigger_sentences(text: str) -> list[tuple[int, int, set[str]]]:
    """(start, end, stems) of the sentences worth reading closely, in order."""
    found = _stem_hits(text.lower())
    if not found:
        return []
    hits = [end for end, _ in found]
    out = []
    for start, end in sentences(text):
        i = bisect_left(hits, start)
        k = i
        while k < len(hits) and hits[k] < end:
            k += 1
        if k == i:
            continue
        stems = {stem for _, stem in found[i:k]}
        # Some stems are mostly noise ("the shooting", "the hospital"): a sentence holding only
        # those is read only if the one phrase they can carry a figure in is there.
        if stems <= _WEAK_STEMS.keys() and not any(_WEAK_STEMS[w].search(text, start, end) for w in stems):
            continue
        out.append((start, end, stems))
    return out
