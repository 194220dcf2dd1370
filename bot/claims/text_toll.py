"""Choosing, among a text's claims, the one it presents as the event's current toll."""

from __future__ import annotations

import re
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
    pool = [m for m in ms if m.claim.metric == metric and m.claim.source != "perpetrator_claim" and not m.cumulative and not m.history
            and not m.elsewhere
            and not (m.hedged and m.entity is not None)
            # Attackers killed are counted apart (conflict datasets count victims); a lone gunman's
            # death is handled apart too (_perpetrator_deaths).
            and not (m.claim.who == "attackers" and not _PERP.search(m.claim.quote))]
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


# One perpetrator, named as such in English crime reporting ("the gunman", "the suspect"). Not
# "attacker" or "assailant": conflict reporting counts the attackers killed apart from the toll.
_PERP = re.compile(r"\b(?:suspect|gunman|shooter|killer)\b(?!['’]s)", re.IGNORECASE)
# ... who died by his own hand: said in the claim or right after it in its sentence.
_SUICIDE = re.compile(r"\b(?:himself|herself|own\s+life|self-inflicted|suicide)\b", re.IGNORECASE)
# The figure counts the people someone killed ("killing his wife", "shot and killed two people"):
# the killer is not among them.
_AGENT = re.compile(r"^(?:killing|killed|kills|shot\s+and\s+killed|shot\s+dead|fatally\s+(?:shot|shooting|stabbed|stabbing)|"
                    r"murder(?:ed|ing)|shot\s+to\s+death|stabbed\s+to\s+death|gunn(?:ed|ing)\s+down)\b", re.IGNORECASE)
_SAME_EVENT_CHARS = 400  # a perpetrator's death told this close to the victims' is the same event's


def _perpetrator_deaths(ms: list[Mention], text: str) -> list[tuple[Mention, bool]]:
    """Mentions of one perpetrator's death ("The gunman then took his own life", "the suspect was
    later killed by police"), each with whether it was by his own hand."""
    found = []
    for m in ms:
        c = m.claim
        if c.metric != "killed" or c.value != 1 or c.high != 1 or m.hedged or m.weak or m.cumulative:
            continue
        if not _PERP.search(c.quote):
            continue
        stop = text.find(".", c.end)
        rest = text[c.end:c.end + 100 if stop < 0 else min(stop, c.end + 100)]
        found.append((m, bool(_SUICIDE.search(c.quote) or _SUICIDE.search(rest))))
    return found


def _with_perpetrator(killed: Mention | None, perp: tuple[Mention, bool], text: str) -> Mention | None:
    """A perpetrator who died in the event is one of its dead ("killing his wife and two children ...
    The gunman then took his own life" is 4): added to a figure that counts only his victims."""
    if killed is None or killed.claim.value is None:
        return killed
    (pm, suicide), c = perp, killed.claim
    if c.who == "attackers" or killed.cumulative or killed.background:
        return killed
    if not _AGENT.match(c.quote) and not (c.value == 1 and killed.entity is not None and suicide):
        return killed  # "4 dead" may count him already; only one victim and a suicide are surely two people
    p = pm.claim
    n = c.value + 1
    start, end = min(c.start, p.start), max(c.end, p.end)
    if end - start <= _SAME_EVENT_CHARS:
        # Told together: the quote spans both statements, so that it carries the whole figure.
        high = None if c.high is None else c.high + 1
        return Mention(replace(c, value=n, low=(c.low if c.low is not None else c.value) + 1, high=high,
                               quote=text[start:end], start=start, end=end))
    # Told apart: at least this many, quoting the later statement (as for victims told one by one).
    last = c if c.start > p.start else p
    return Mention(replace(last, value=n, low=n, high=None, qualifier="at_least"))


# A death told as one of the people just counted as hurt: "one of them fatally", "One later died".
_AMONG = re.compile(r"^(?:one|two|three|both)\s+(?:of\s+(?:them|those|the\s+(?:victims|wounded|injured|men|women|\w+))\b|"
                    r"(?:later\s+|then\s+|subsequently\s+|eventually\s+)?(?:died|succumbed)\b)", re.IGNORECASE)
_AMONG_CHARS = 200  # in the same sentence or the next one


def _less_the_dead(injured: Mention | None, ms: list[Mention], text: str) -> Mention | None:
    """"Two people were wounded, one of them fatally": the injured are those of the figure who lived."""
    if injured is None or injured.claim.value is None or injured.claim.value < 2 or injured.claim.metric != "injured":
        return injured
    c = injured.claim
    for m in ms:
        k = m.claim
        if k.metric == "killed" and k.value and c.end <= k.start <= c.end + _AMONG_CHARS and not m.hedged \
                and _AMONG.match(k.quote):
            rest = c.value - k.value
            if rest <= 0:
                return None  # all of them died
            high = None if c.high is None else max(rest, c.high - k.value)
            # The quote runs from the figure to the death, so that it carries the difference.
            quote = text[c.start:k.end] if text else c.quote
            return Mention(replace(c, value=rest, low=rest if c.low is not None else None, high=high,
                                   quote=quote, end=k.end if text else c.end))
    return injured


def _killed(ms: list[Mention], text: str) -> Mention | None:
    """The killed toll among a text's mentions (the event's own ones)."""
    killed = _best(_eligible(ms, "killed"))
    # An event that implies more dead than any figure given ("a double homicide") raises the toll.
    implied = _best([m for m in ms if m.weak and m.claim.metric == "killed" and not m.cumulative and not m.hedged])
    if implied is not None and killed is not None and killed.claim.value is not None \
            and implied.claim.value > killed.claim.value:
        killed = implied
    return _distinct_victims(ms, "killed", killed, text)


def toll_from_mentions(ms: list[Mention], text: str = "") -> dict[str, Claim | None]:
    """{"killed": Claim|None, "injured": Claim|None} for one text's mentions (text: where they were found)."""
    # The incident the text opens with is its event: once it moves on to another one, those
    # figures are not this event's toll.
    main = [m for m in ms if not m.background]
    ms = main or ms
    # A lone perpetrator's death is counted apart from his victims, then added to them.
    perps = _perpetrator_deaths(ms, text) if text else []
    perp_ids = {id(pm) for pm, _ in perps}
    # of_victims: the shot who did not die are counted against his victims, not him.
    killed = of_victims = _killed([m for m in ms if id(m) not in perp_ids], text)
    if perps and killed is not None:
        killed = _with_perpetrator(killed, next((p for p in perps if p[1]), perps[0]), text)
    elif perps:  # no victim figure: his death is the text's toll
        killed = of_victims = _killed(ms, text)
    injured = _less_the_dead(_best(_eligible(ms, "injured")), ms, text)
    # "Three shot, one dead": the shot who did not die are the injured, when the text gives no
    # larger figure for the injured itself. The claim keeps the quote of the "shot" figure.
    shot = _best([m for m in ms if m.shot and m.claim.source != "perpetrator_claim" and not m.cumulative])
    if shot is not None and shot.claim.value is not None:
        dead = of_victims.claim.value if of_victims is not None and of_victims.claim.value is not None else 0
        rest = shot.claim.value - dead
        if rest > 0 and (injured is None or (injured.claim.value is not None and injured.claim.value < rest)):
            c = shot.claim
            high = None if c.qualifier in ("more_than", "at_least") else rest
            injured = Mention(replace(c, metric="injured", value=rest, low=rest, high=high))
    return {
        "killed": killed.claim if killed else None,
        "injured": injured.claim if injured else None,
    }


def best_mention(pool: list[Mention]) -> Mention | None:
    """The rules' preferred mention among some (the decision layer uses it among one value's)."""
    return _best(pool)


def text_toll(text: str, lang: str | None = None, how: str | None = None) -> dict[str, Claim | None]:
    """The toll a text presents: for killed and injured, one claim or None.

    how: None = the configured decision (rules, and the trained model where it won on held-out
    text), "rules" = the rules alone, "model" = the model for every metric it has."""
    from .decision import decide

    ms = mentions(text, lang)
    return decide(ms, toll_from_mentions(ms, text), text, lang, how)
