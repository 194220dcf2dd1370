"""What the extractor holds while it reads: a figure found with its context (Mention), and the
sentence being read with the figures found in it so far (Sentence)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import Claim


@dataclass(frozen=True)
class Mention:
    """A claim plus what the toll needs to know about its context."""

    claim: Claim
    hedged: bool = False  # "could be higher", "an estimated": a figure the text itself doubts
    cumulative: bool = False  # "since 2012": not this event's toll
    subset: bool = False  # "including six soldiers": part of a larger figure
    shot: bool = False  # "were shot": killed or injured, outcome not said
    weak: bool = False  # "a fatal shooting": a death without a count, used only when nothing better
    entity: str | None = None  # for one person: who it is (victims.entity_key), to count distinct victims
    background: bool = False  # told after the text moves on to another incident ("In a separate shooting")
    history: bool = False  # a figure the text says was replaced ("rose from 25 to 40": the 25)
    elsewhere: bool = False  # outside the article's own text (a page's side bar of other stories)


@dataclass
class Sentence:
    """One sentence being read: its text, what is known of it, and the figures found so far."""

    text: str
    offset: int
    lang: str
    context: str  # the whole text, to check that a lone surname was given in full somewhere
    stems: set[str]
    low: str = ""
    hints: set[str] = field(default_factory=set)  # hint words in the sentence (hints_in)
    found: list[tuple] = field(default_factory=list)  # arguments for _make, built at the end
    used: list[tuple[int, int]] = field(default_factory=list)
    qs: list | None = None  # the sentence's quantities, once found (recall.quantities)

    def free(self, a: int, b: int) -> bool:
        """Whether no figure found so far overlaps [a, b)."""
        return all(b <= s or a >= e for s, e in self.used)

    def add(self, metric: str, start: int, end: int, value, low, high, qualifier: str = "exact",
            vague: str | None = None, used: tuple[int, int] | None = None, **flags) -> None:
        """Record a figure; `used` is the span no later pattern may claim again (default: the quote)."""
        self.found.append((metric, start, end, value, low, high, qualifier, vague, flags))
        self.used.append(used or (start, end))

    def found_metric(self, metric: str) -> bool:
        """Whether a figure of this metric was found in the sentence already."""
        return any(spec[0] == metric for spec in self.found)

    def add_one(self, metric: str, start: int, end: int, **flags) -> None:
        """An implicit single person: "a journalist was killed"."""
        self.add(metric, start, end, 1, 1, 1, **flags)
