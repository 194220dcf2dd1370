"""Quantities in running text: digits, number words, qualifiers, ranges and vague words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick
from text_to_num import alpha2digit

from .lexicon import alt as _alt  # trie alternation, longest match first

# Conventional ranges for vague quantities. An editor must never see an invented single
# number for "hundreds", so these only bound the figure; None means "no bound".
VAGUE_RANGES = {
    "en": {
        "tens of thousands": (20000, 99999), "thousands": (2000, 9999), "hundreds": (200, 999),
        "several hundred": (200, 999), "several dozen": (24, 99), "dozens": (24, 99),
        "scores": (40, 199), "tens": (20, 99), "several": (3, 9), "a few": (2, 5),
        "a handful": (2, 5), "a number": (2, None), "multiple": (2, None),
        "numerous": (10, None), "many": (10, None), "some": (1, None),
    },
    "fr": {
        "des dizaines de milliers": (20000, 99999), "des milliers": (2000, 9999),
        "plusieurs milliers": (2000, 9999), "des centaines": (200, 999),
        "plusieurs centaines": (200, 999), "quelques centaines": (200, 500),
        "des dizaines": (20, 99), "plusieurs dizaines": (20, 99), "quelques dizaines": (20, 50),
        "plusieurs": (2, 9), "quelques": (2, 9), "de nombreux": (10, None),
        "de nombreuses": (10, None), "un certain nombre de": (2, None),
    },
}

# "une vingtaine" is a figure the French reader takes as roughly twenty: about, ±20 %.
FR_APPROX = {
    "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30,
    "quarantaine": 40, "cinquantaine": 50, "soixantaine": 60, "centaine": 100, "millier": 1000,
}

QUALIFIERS = {
    "en": {
        "more than": "more_than", "over": "more_than", "upwards of": "more_than",
        "in excess of": "more_than", "above": "more_than", "greater than": "more_than",
        "at least": "at_least", "no fewer than": "at_least", "no less than": "at_least",
        "a minimum of": "at_least", "about": "about", "around": "about", "roughly": "about",
        "approximately": "about", "nearly": "about", "almost": "about", "some": "about",
        "an estimated": "about", "estimated": "about", "close to": "about", "an approximate": "about",
        "up to": "up_to", "as many as": "up_to", "at most": "up_to", "no more than": "up_to",
        "fewer than": "up_to", "less than": "up_to",
    },
    "fr": {
        "plus de": "more_than", "au-delà de": "more_than", "au moins": "at_least",
        "au minimum": "at_least", "pas moins de": "at_least", "environ": "about",
        "près de": "about", "pres de": "about", "quelque": "about", "autour de": "about",
        "approximativement": "about", "presque": "about", "jusqu'à": "up_to", "jusqu’à": "up_to",
        "au plus": "up_to", "moins de": "up_to", "au maximum": "up_to",
    },
}

# "Both men were killed", "les deux soldats": a count of two that text2num does not read.
_PAIRS = {"both", "les deux"}
_EN_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million both"
).split()
_FR_WORDS = (
    "zéro un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
    "quinze seize dix-sept dix-huit dix-neuf vingt vingts trente quarante cinquante soixante "
    "cent cents mille million millions"
).split()




_EN_NW = rf"(?:{_alt(_EN_WORDS)})"
_FR_NW = rf"(?:{_alt(_FR_WORDS)})"
_DIGITS_EN = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?(?![\d,]\d)"
_DIGITS_FR = r"\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?!\d)|\d+"
NUM = {
    "en": rf"(?:{_DIGITS_EN}|(?:a\s+)?{_EN_NW}(?:(?:\s*-\s*|(?:(?<=hundred)|(?<=thousand)|(?<=million))\s+and\s+|\s+){_EN_NW})*)",
    "fr": rf"(?:{_DIGITS_FR}|{_FR_NW}(?:(?:-et-|\s+et\s+|[\s-]+){_FR_NW})*)",
}
_VAGUE_FR_APPROX = rf"(?:une|un)\s+(?:{_alt(FR_APPROX)})s?"
_FR_APPROX_RE = re.compile(rf"(?:{_alt(FR_APPROX)})")


def _core_pattern(lang: str) -> str:
    """The regex for a bare quantity: "a dozen", a vague word, a range or a number."""
    num = NUM[lang]
    vague = _alt(VAGUE_RANGES[lang])
    if lang == "en":
        # One pass over a number: a plain number, or the first end of a range.
        rng = rf"(?:between\s+{num}\s+and\s+{num}|{num}(?:\s*(?:to|or|-|–)\s*{num})?)"
        vague_part = rf"(?:{vague})(?!\s+(?:\d|{_EN_NW}\b))(?:\s+of)?"
        dozen = r"(?:a|one)\s+dozen"
    else:
        rng = rf"(?:entre\s+{num}\s+et\s+{num}|de\s+{num}\s*(?:à|ou|-|–)\s*{num}|{num}(?:\s*(?:à|ou|-|–)\s*{num})?)"
        vague_part = rf"(?:{vague})(?!\s+(?:\d|{_FR_NW}\b))"
        dozen = _VAGUE_FR_APPROX
    # First letters of this language's numbers, vague words and ranges ("between", "entre", "de").
    first = "0-9abdefhmnostzABDEFHMNOSTZ" if lang == "en" else "0-9cdehmnopqstuvzCDEHMNOPQSTUVZ"
    return rf"(?<![\w$€£.,:/-])(?=(?-i:[{first}]))(?P<q>{dozen}|{vague_part}|{rng})(?![\w-]*\d)(?!\w)"


# The number itself is found first; its qualifier ("more than", "au moins") is read off the few
# characters before it, which keeps the scan over long texts cheap.
QTY_RE = {lang: re.compile(_core_pattern(lang), re.IGNORECASE) for lang in ("en", "fr")}
# The last word of every qualifier ("than", "least", "environ"): a cheap test before QUAL_BEFORE.
_QUAL_LAST = {lang: {q.split()[-1].replace("’", "'") for q in QUALIFIERS[lang]} | {q.split()[-1] for q in QUALIFIERS[lang]}
              for lang in ("en", "fr")}
QUAL_BEFORE = {
    lang: re.compile(rf"(?<![\w'’])(?P<qual>{_alt(QUALIFIERS[lang])})\s+$", re.IGNORECASE) for lang in ("en", "fr")
}


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: value as written, its bounds, qualifier, and the vague word if any."""

    value: int | None
    low: int | None
    high: int | None
    qualifier: str
    vague: str | None
    start: int
    end: int
    text: str


@lru_cache(maxsize=4096)
def word_number(words: str, lang: str) -> int | None:
    """Integer for a run of number words or digits, via text2num (threshold=0 so "one" counts)."""
    cleaned = re.sub(r"[\u00a0\u202f ,]", "", words) if re.fullmatch(r"[\d\u00a0\u202f ,.]+", words) else words
    if cleaned.replace(".", "").isdigit():
        try:
            return int(float(cleaned))
        except ValueError:
            return None
    if words.strip().lower() in _PAIRS:
        return 2
    # alpha2digit writes "a hundred" as "a 100": drop the article before asking it.
    cleaned = re.sub(r"^a\s+", "", words.strip(), flags=re.IGNORECASE)
    out = alpha2digit(cleaned.lower(), lang, threshold=0).strip()
    out = out.replace(" ", "") if re.fullmatch(r"[\d ]+", out) else out
    return int(out) if out.isdigit() else None


_SPACES = re.compile(r"\s+")
_RANGE = {lang: re.compile(rf"(?:between|entre|de)?\s*({NUM[lang]})\s*(?:and|to|or|-|–|et|à|ou)\s*({NUM[lang]})",
                           re.IGNORECASE) for lang in ("en", "fr")}
_RANGE_WORD = re.compile(r"\s*(?:\band\b|\bto\b|\bor\b|-|–|\bet\b|\bà\b|\bou\b)\s*")


def parse_quantity(m: re.Match, lang: str, text_before: str = "") -> Quantity | None:
    """Turn one QTY_RE match into a Quantity, or None when it is not a number after all."""
    q = m.group("q")
    ql = _SPACES.sub(" ", q.lower())
    tail = text_before.rsplit(None, 1)[-1:] if text_before and text_before[-1:].isspace() else None
    qm = QUAL_BEFORE[lang].search(text_before) if tail and tail[0].lower() in _QUAL_LAST[lang] else None
    qual = qm.group("qual") if qm else None
    qualifier = QUALIFIERS[lang].get(_SPACES.sub(" ", qual.lower())) if qual else None
    start, end = m.start() - (len(text_before) - qm.start() if qm else 0), m.end()
    text = (text_before[qm.start():] if qm else "") + q
    word = ql[:-3] if ql.endswith(" of") else ql
    if word in VAGUE_RANGES[lang]:
        lo, hi = VAGUE_RANGES[lang][word]
        if qual:  # "more than several" is not a thing; keep just the vague word
            start = m.start("q")
            text = q
        return Quantity(None, lo, hi, "vague", word, start, end, text)
    if lang == "fr":
        approx = _FR_APPROX_RE.search(ql)
        if approx and (ql.startswith("une ") or ql.startswith("un ")):
            n = FR_APPROX[approx.group(0)]
            return Quantity(n, n - n // 5, n + n // 5, qualifier or "about", None, start, end, text)
    elif ql in ("a dozen", "one dozen"):
        return Quantity(12, 10, 14, qualifier or "about", None, start, end, text)
    rng = _RANGE[lang].fullmatch(ql) if _RANGE_WORD.search(ql) else None
    if rng:
        lo, hi = word_number(rng.group(1), lang), word_number(rng.group(2), lang)
        if lo is not None and hi is not None and lo < hi:
            # A range's value is its lower end: the figure every reading of the text supports.
            return Quantity(lo, lo, hi, "range", None, start, end, text)
    value = word_number(q, lang)
    if value is None:
        return None
    qualifier = qualifier or "exact"
    low, high = value, value
    if qualifier in ("more_than", "at_least"):
        high = None
    elif qualifier == "up_to":
        low = None
    return Quantity(value, low, high, qualifier, None, start, end, text)


def _number_automaton(lang: str) -> ahocorasick.Automaton:
    """Every piece of text a quantity must hold (a digit, a number word, a vague word), for one scan."""
    words = set("0123456789") | set(_EN_WORDS if lang == "en" else _FR_WORDS)
    words |= {w.split()[0] if w.split()[0] not in ("a", "de", "des", "un", "une") else w.split()[1]
              for w in VAGUE_RANGES[lang]}
    words |= {"between", "dozen"} if lang == "en" else {"entre", *FR_APPROX}
    auto = ahocorasick.Automaton()
    for w in words:
        auto.add_word(w, w)
    auto.make_automaton()
    return auto


_MAY_HOLD = {lang: _number_automaton(lang) for lang in ("en", "fr")}


def find_quantities(text: str, lang: str) -> list[Quantity]:
    """Every quantity in a piece of text, left to right."""
    if next(_MAY_HOLD[lang].iter(text.lower()), None) is None:
        return []  # no digit, number word or vague word anywhere: nothing to scan for (speed only)
    out = []
    for m in QTY_RE[lang].finditer(text):
        q = parse_quantity(m, lang, text[max(0, m.start() - 24):m.start()])
        if q is not None:
            # A qualifier read back from the words before ("As many as 25") swallows what was
            # found there ("many"): the wider quantity replaces it.
            while out and out[-1].start >= q.start:
                out.pop()
            out.append(q)
    return out
