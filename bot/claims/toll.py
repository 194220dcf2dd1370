"""Choosing, among a text's claims, the one it presents as the event's current toll."""

from __future__ import annotations

from dataclasses import replace

from bot.models import Claim

from .extract import Mention, mentions
from .victims import distinct_count

# Who is believed when two figures of the same strength disagree. The perpetrators are never
# a toll; leaked documents and witnesses come after the outlet's own reporting.
_SOURCE_RANK = {
    "official": 0, "medical": 1, "un_ngo": 2, "security_sources": 3, "unattributed": 4,
    "witnesses": 5, "leaked_documents": 6,
}
_QUALIFIER_RANK = {"exact": 0, "at_least": 1, "more_than": 1, "about": 2, "range": 3, "up_to": 4, "vague": 5}


def _eligible(ms: list[Mention], metric: str) -> list[Mention]:
    """The mentions that may be this metric's toll: never the perpetrators' nor a cumulative figure."""
    # One person the text only speculates about ("came within inches of possibly killing the
    # trooper", "he may have been shot") is no casualty; a doubted figure ("an estimated 30") still is.
    pool = [m for m in ms if m.claim.metric == metric and m.claim.source != "perpetrator_claim" and not m.cumulative
            and not (m.hedged and m.entity is not None)]
    # A subset ("including six soldiers") only stands in when the text gives nothing larger, and a
    # death without a count ("a fatal shooting") only when the text gives no figure at all.
    whole = [m for m in pool if not m.subset and not m.weak]
    return whole or [m for m in pool if not m.weak] or pool


def _best(pool: list[Mention]) -> Mention | None:
    """Most specific first: figures the text does not doubt, numbers over vague words, then the largest."""
    if not pool:
        return None

    def key(m: Mention):
        """Smaller is better."""
        c = m.claim
        number = c.value if c.value is not None else (c.low or 0)
        return (
            m.hedged,
            c.value is None,
            c.qualifier == "up_to",
            -number,
            _SOURCE_RANK.get(c.source, 9),
            _QUALIFIER_RANK.get(c.qualifier, 9),
            c.start,
        )

    return min(pool, key=key)


def _firm_singulars(ms: list[Mention], metric: str) -> list[Mention]:
    """One-person mentions of a metric the toll may add up: firm, the event's own, not a subset."""
    return [m for m in ms if m.entity is not None and m.claim.metric == metric and not m.hedged
            and not m.cumulative and not m.subset and m.claim.source != "perpetrator_claim"]


def _distinct_victims(ms: list[Mention], metric: str, best: Mention | None, text: str = "") -> Mention | None:
    """Victims told one sentence at a time ("LeGrier was fatally shot ... also killed a neighbor"):
    when they are more than the best single figure, the toll is their count, at least."""
    if best is None or best.claim.value is None:
        return best
    singles = _firm_singulars(ms, metric)
    if len({m.entity for m in singles}) <= max(1, best.claim.value):
        return best  # no more keys than the figure: nothing to add (a cheap test first)
    n = distinct_count([m.entity for m in singles], text)
    if n < 2 or best is None or best.claim.value is None or best.claim.value >= n:
        return best
    last = singles[-1].claim
    return Mention(replace(last, value=n, low=n, high=None, qualifier="at_least"))


def toll_from_mentions(ms: list[Mention], text: str = "") -> dict[str, Claim | None]:
    """{"killed": Claim|None, "injured": Claim|None} for one text's mentions (text: where they were found)."""
    # The incident the text opens with is its event: once it moves on to another one, those
    # figures are not this event's toll.
    main = [m for m in ms if not m.background]
    ms = main or ms
    killed = _best(_eligible(ms, "killed"))
    # An event that implies more dead than any figure given ("a double homicide") raises the toll.
    implied = _best([m for m in ms if m.weak and m.claim.metric == "killed" and not m.cumulative and not m.hedged])
    if implied is not None and killed is not None and killed.claim.value is not None \
            and implied.claim.value > killed.claim.value:
        killed = implied
    killed = _distinct_victims(ms, "killed", killed, text)
    injured = _best(_eligible(ms, "injured"))
    # "Three shot, one dead": the shot who did not die are the injured, when the text gives no
    # larger figure for the injured itself. The claim keeps the quote of the "shot" figure.
    shot = _best([m for m in ms if m.shot and m.claim.source != "perpetrator_claim" and not m.cumulative])
    if shot is not None and shot.claim.value is not None:
        dead = killed.claim.value if killed is not None and killed.claim.value is not None else 0
        rest = shot.claim.value - dead
        if rest > 0 and (injured is None or (injured.claim.value is not None and injured.claim.value < rest)):
            c = shot.claim
            high = None if c.qualifier in ("more_than", "at_least") else rest
            injured = Mention(replace(c, metric="injured", value=rest, low=rest, high=high))
    return {
        "killed": killed.claim if killed else None,
        "injured": injured.claim if injured else None,
    }


def text_toll(text: str, lang: str | None = None) -> dict[str, Claim | None]:
    """The toll a text presents: for killed and injured, one claim or None."""
    return toll_from_mentions(mentions(text, lang), text)
