"""Numbers that look like tolls and are not: ages, years, dates, distances, money, models..."""

from __future__ import annotations

import re

from .numbers import Quantity

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
)
_UNITS_AFTER = {
    "age": r"[\s-]*(?:years?|yrs?|months?|weeks?)[\s-]*old\b|[\s-]+year-old|-year\b|\s+ans\b(?!\s+de\s+(?:prison|réclusion))|-ans\b",
    "percent": r"\s*(?:%|percent\b|per\s+cent\b|pour\s*cent\b)",
    "distance": r"\s*(?:km|kilomet|kilomèt|miles?\b|mi\b|met(?:er|re)s?\b|mètres?\b|m\b|feet\b|ft\b|yards?\b)",
    "duration": r"\s+(?:hours?|minutes?|seconds?|days?|weeks?|months?|years?|decades?|heures?|jours?|semaines?|mois|années?|minutes?)\b",
    "money": r"\s*(?:dollars?|euros?|francs?|cfa|fcfa|pounds?|naira|\$|€|£|(?:million|billion|milliards?|millions?)\s+(?:de\s+)?(?:dollars?|euros?|francs?))\b",
    "time": r"\s*(?::\d|h\d|a\.?m\b|p\.?m\b|o['’]clock|heures?\s+\d)",
    "address": r"\s+(?:block|blocks)\b",
    "date": rf"\s+(?:{_MONTHS})\b|/\d",
    # "16 civilians from one family": a family or a household is a group, not one person.
    "group": r"\s+(?:family|families|household|households|famille|familles|clan|tribe)\b(?!\s+members?\b)",
}
# One pattern with a named group per kind: a single match decides, which keeps this cheap.
_AFTER_RE = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _UNITS_AFTER.items()), re.IGNORECASE)
# What the word (or two) right before a number says it is. Read with str methods: this runs for
# every number in every casualty sentence, and end-anchored regexes rescan the window each time.
_MONTH_WORDS = set(_MONTHS.split("|"))
_MODEL_WORDS = {
    "boeing", "airbus", "antonov", "mig", "sukhoi", "route", "highway", "interstate", "channel", "flight", "room",
    "no", "no.", "number", "article", "chapter", "section", "resolution", "page", "unit", "station", "gate",
    "terminal", "apartment", "suite", "precinct", "district", "ward", "vol", "chaîne", "chaine", "numéro", "ak",
    "n°", "#",
}
_AGE_WORDS = {"aged", "age", "âgé", "âgée", "âgés", "âgées"}
_YOUNG = {"boy", "girl", "child", "son", "daughter", "teenager", "man", "woman", "baby", "youth"}
_PERSON_BEFORE = {"he", "she", "him", "her", "man", "woman", "girl", "boy"}
_ACRONYM = re.compile(r"[A-Z]{2,}-?$")
# An age written after a name: "John Smith, 25, was shot".
_AGE_APPOSITION = re.compile(r"\s*[,)]")


def _before_class(before: str, after: str) -> str | None:
    """The distractor kind named by the words right before a number, if any."""
    stripped = before.rstrip()
    if not stripped:
        return None
    if stripped[-1] in "$€£":
        return "money"
    words = stripped.rsplit(None, 2)[-2:]
    last = words[-1]
    low = last.lower()
    if low in ("usd", "fcfa", "cfa"):
        return "money"
    if low in _AGE_WORDS or (low in ("of", "de") and len(words) > 1 and words[0].lower() in ("age", "ages", "âgé", "âgée", "âgés", "âgées")):
        return "age"
    if low == "of" and len(words) > 1 and words[0].lower() in _YOUNG and re.match(r"\s*(?:[,;.)]|and\b|$)", after):
        return "age"  # "including a boy of 14,"
    if low.rstrip(".") in _MONTH_WORDS:
        return "date"
    if low in _MODEL_WORDS or (_ACRONYM.match(last) and len(stripped) == len(before)):
        return "model"
    if last in ("#", "n°"):
        return "model"
    if low in ("at", "à", "about", "around", "vers") and re.match(r"\s*(?:a\.?m|p\.?m|h\b|h\d|:|heures)", after, re.IGNORECASE):
        return "time"
    return None


def distractor_class(text: str, q: Quantity) -> str | None:
    """The kind of non-casualty number a quantity is ("age", "year", ...), or None if it may be a toll."""
    if q.vague:
        return None
    after = text[q.end:q.end + 40]
    before = text[max(0, q.start - 40):q.start]
    m = _AFTER_RE.match(after)
    if m:
        # "three days" is a duration, but "killed three days ago" too; both are distractors.
        return m.lastgroup
    kind = _before_class(before, after)
    if kind:
        return kind
    if (q.value or 0) < 120 and _AGE_APPOSITION.match(after) and before.rstrip()[-1:] in (",", "("):
        # "John Smith, 25, was shot": a number between commas after a name is an age.
        prev = before.rstrip()[:-1].rsplit(None, 1)[-1:] or [""]
        if prev[0][:1].isupper() or prev[0].lower() in _PERSON_BEFORE:
            return "age"
    raw = q.text.strip()
    if re.fullmatch(r"\d{4}", raw) and 1800 <= int(raw) <= 2100:
        return "year"
    if after[:1] in ("-", "–") and re.match(r"[-–]\s*(?:year|an)", after):
        return "age"
    if re.match(r"(?:st|nd|rd|th|e|er|ème|eme|ᵉ)\b", after):
        return "ordinal"
    return None
