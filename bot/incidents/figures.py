"""A figure as the desk reads it ('more than 75', 'up to 100', 'hundreds'), and the words for
source classes and metrics in the reply's language (English: the original words stay in the quote)."""

from __future__ import annotations

from dataclasses import dataclass

# Display and preference order of source classes; perpetrator claims are never ranked, only shown apart.
SOURCE_ORDER = ("official", "medical", "un_ngo", "security_sources", "witnesses", "leaked_documents", "unattributed")
APART = ("perpetrator_claim",)
# Lower tier = better sourced. Official, medical and UN/NGO figures are attributable to an institution;
# security sources and witnesses are attributed but unnamed; leaked documents cannot be checked; the
# outlet's own wording ("other reports") has no source at all.
TIER = {"official": 1, "medical": 1, "un_ngo": 1, "security_sources": 2, "witnesses": 2,
        "leaked_documents": 3, "unattributed": 4}
# Disputes are recorded between attributed sources; an outlet's own wording is often just stale.
DISPUTE_SOURCES = frozenset(SOURCE_ORDER) - {"unattributed"}

_QUALIFIER_TEXT = {"exact": "{v}", "at_least": "at least {v}", "more_than": "more than {v}",
                   "about": "about {v}", "up_to": "up to {v}"}


@dataclass(frozen=True)
class Figure:
    """A figure as reported: 'more than 75', 'up to 100', 'hundreds'."""

    value: int | None
    qualifier: str
    low: int | None = None
    high: int | None = None
    vague: str | None = None

    @classmethod
    def from_claim(cls, claim) -> Figure:
        """The figure a Claim states."""
        return cls(value=claim.value, qualifier=claim.qualifier, low=claim.low, high=claim.high, vague=claim.vague)

    @property
    def numeric(self) -> bool:
        """False for 'hundreds', 'some', 'scores'."""
        return self.qualifier != "vague" and (self.value is not None or self.low is not None or self.high is not None)

    @property
    def floor(self) -> int | None:
        """The least the figure allows (None when it sets no lower bound)."""
        if not self.numeric:
            return None
        if self.qualifier == "range":
            return self.low
        if self.qualifier == "more_than":
            return self.value + 1
        if self.qualifier == "up_to":
            return None
        return self.value

    @property
    def ceiling(self) -> int | None:
        """The most the figure allows (None when open-ended)."""
        if not self.numeric:
            return None
        if self.qualifier == "range":
            return self.high
        if self.qualifier in ("more_than", "at_least"):
            return None
        return self.value

    @property
    def number(self) -> int | None:
        """The number as written, for comparing figures (a range's low end)."""
        if not self.numeric:
            return None
        return self.low if self.qualifier == "range" and self.value is None else self.value

    @property
    def text(self) -> str:
        """The figure in words, as a desk editor would say it."""
        if not self.numeric:
            return vague_words(self.vague)
        if self.qualifier == "range":
            return f"{self.low}–{self.high}"
        return _QUALIFIER_TEXT.get(self.qualifier, "{v}").format(v=self.value)


_LABELS = {"official": "Official sources", "security_sources": "Security sources", "medical": "Medical sources",
           "un_ngo": "UN/NGOs", "leaked_documents": "Leaked documents", "perpetrator_claim": "The armed group's claim",
           "witnesses": "Witnesses", "unattributed": "Unattributed reports"}
_METRIC_WORDS = {"killed": "killed", "injured": "injured", "missing": "missing", "kidnapped": "kidnapped",
                 "killed_or_injured": "killed or injured", "named_victims": "victims named"}


def source_label(source: str) -> str:
    """'security_sources' -> 'Security sources'."""
    return _LABELS.get(source, source.replace("_", " ").capitalize())


def metric_words(metric: str) -> str:
    """'killed_or_injured' -> 'killed or injured'."""
    return _METRIC_WORDS.get(metric, metric.replace("_", " "))


# Vague quantities as an English-speaking desk says them; the article's own words stay in the quote.
_VAGUE_EN = {
    "des centaines": "hundreds", "plusieurs centaines": "hundreds", "des dizaines": "dozens",
    "plusieurs dizaines": "dozens", "plusieurs": "several", "quelques": "a few", "de nombreux": "many",
    "de nombreuses": "many", "nombreux": "many", "des milliers": "thousands", "plusieurs milliers": "thousands",
    "un grand nombre": "many", "une dizaine": "about ten", "une centaine": "about a hundred",
}


def vague_words(vague: str | None) -> str:
    """'des centaines' → 'hundreds'; English vague words as they are."""
    if not vague:
        return "an unstated number"
    return _VAGUE_EN.get(vague.strip().lower(), vague)


def source_words(source: str) -> str:
    """The class inside a sentence: 'security sources', 'UN/NGOs' (acronyms keep their capitals)."""
    label = source_label(source)
    return label if label[:2].isupper() else label[0].lower() + label[1:]
