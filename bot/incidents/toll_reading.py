"""The reading rules of a toll over its standings: which figure leads, the range, the disputes, and
why the lead leads. Pure; bot/incidents/toll_rules.md says the same in words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.incidents.figures import DISPUTE_SOURCES, SOURCE_ORDER, TIER, source_label
from bot.incidents.toll_model import Standing

# What a claim is about (its scope, from the extractor). Only whole-event figures make the toll;
# parts show under their whole, attackers apart, and other events or running totals not at all.
WHOLE, PART, ATTACKERS, HISTORY = "event", "subset", "attackers", "history"
ELSEWHERE = frozenset({"other_event", "cumulative"})
LOWER_BOUNDS = frozenset({"at_least", "more_than"})
# A later, smaller lower bound from the same class replaces the larger one only when it says so.
REVISED_DOWN = re.compile(r"\b(revis|correct|lower|reduc|r[ée]vis|corrig|revu|ramen|abaiss)", re.I)


def lead(standings: Iterable[Standing]) -> Standing | None:
    """The leading figure: best-sourced tier first, then the most conservative figure it supports.

    Within the tier, lower bounds combine as lower bounds: among "at least" figures the highest
    floor leads (each says "at least", the highest says the most and is still a floor); a point
    estimate (77, about 200) leads when it squares with every floor of its tier, the smallest such
    (ACLED's most conservative); one below a floor of equal standing is a partial count or stale
    and does not lead (the disagreement is recorded). Ties go to the most recent.
    Reads only source, figure and since, so the timeline passes its _Tracks (which have those) as well.
    """
    ranked = [s for s in standings if s.source in TIER and s.figure.numeric]
    if not ranked:
        return None
    # "Up to 100" is a ceiling, not an estimate: it leads only when nothing else was reported.
    estimates = [s for s in ranked if s.figure.qualifier != "up_to"] or ranked
    best = min(TIER[s.source] for s in estimates)
    tier = [s for s in estimates if TIER[s.source] == best]
    bounds = [s for s in tier if s.figure.qualifier in LOWER_BOUNDS]
    points = [s for s in tier if s.figure.qualifier not in LOWER_BOUNDS]
    floor = max((s.figure.floor for s in bounds), default=None)
    fitting = [s for s in points if floor is None or (s.figure.ceiling or s.figure.number) >= floor]
    if fitting:
        return min(fitting, key=lambda s: (s.figure.number, -s.since.timestamp(), SOURCE_ORDER.index(s.source)))
    if bounds:
        return max(bounds, key=lambda s: (s.figure.floor, s.since.timestamp(), -SOURCE_ORDER.index(s.source)))
    return min(tier, key=lambda s: (s.figure.number, -s.since.timestamp(), SOURCE_ORDER.index(s.source)))


def low(standings: tuple[Standing, ...]) -> Standing | None:
    bounded = [s for s in standings if s.figure.floor is not None]
    return min(bounded, key=lambda s: (s.figure.number, TIER.get(s.source, 9)), default=None)


def high(standings: tuple[Standing, ...]) -> Standing | None:
    numeric = [s for s in standings if s.figure.numeric]
    top = lambda s: s.figure.ceiling if s.figure.ceiling is not None else s.figure.number  # noqa: E731
    return max(numeric, key=lambda s: (top(s), -TIER.get(s.source, 9)), default=None)


def disputes(leading: Standing | None, standings: tuple[Standing, ...], apart: tuple[Standing, ...] = (), *,
              named_floor: tuple[int, str] | None) -> tuple[str, ...]:
    if leading is None:
        return ()
    point = leading.figure.number
    base = f"{source_label(leading.source)} {leading.figure.text}"
    out = []
    for s in standings:
        if s is leading or s.source not in DISPUTE_SOURCES or not s.figure.numeric:
            continue
        floor, ceiling = s.figure.floor, s.figure.ceiling
        if floor is not None and floor > point:
            out.append(f"{source_label(s.source)} say {s.figure.text}, above {base}")
        elif ceiling is not None and ceiling < point:
            out.append(f"{source_label(s.source)} say {s.figure.text}, below {base}")
        elif s.figure.qualifier == "up_to" and s.figure.value > point:
            out.append(f"{source_label(s.source)} say {s.figure.text}, possibly above {base}")
    for claim in apart:
        if claim.figure.numeric and claim.figure.number != point:
            out.append(f"{source_label(claim.source)}: {claim.figure.text}; {base}")
    if named_floor is not None and named_floor[0] > point:
        out.append(f"{named_floor[0]} victims named ({source_label(named_floor[1]).lower()}), "
                   f"more than {base}")
    return tuple(out)


_TIER_WORDS = {1: "official, medical and UN/NGO figures", 2: "security sources and witnesses",
               3: "leaked documents", 4: "unattributed reports"}


def why(leading: Standing | None, standings: tuple[Standing, ...]) -> str:
    """'Official sources lead: the best-sourced tier that reported (official, medical and UN/NGO figures),
    its most conservative figure; 2 less well-sourced classes lower, 1 higher'."""
    if leading is None:
        return ""
    tier = TIER[leading.source]
    same = [s for s in standings if s is not leading and s.figure.numeric and TIER.get(s.source) == tier]
    others = [s for s in standings if s is not leading and s.figure.numeric and TIER.get(s.source) != tier]
    point = leading.figure.number
    kind = "the highest lower bound" if leading.figure.qualifier in LOWER_BOUNDS else "the most conservative figure"
    text = f"{source_label(leading.source)} lead: the best-sourced tier that reported ({_TIER_WORDS[tier]})"
    text += f", {kind} of its {len(same) + 1} classes" if same else ""
    lower = sum(1 for s in others if (s.figure.number or 0) < point)
    higher = sum(1 for s in others if (s.figure.number or 0) > point)
    counts = [f"{n} {word}" for n, word in ((lower, "lower"), (higher, "higher")) if n]
    if counts:
        text += f"; less well-sourced classes: {', '.join(counts)}"
    return text
