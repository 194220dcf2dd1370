"""Ledger entries -> the toll per metric and source, its timeline, and change events; pure.

The rules for which figure leads are in bot/incidents/toll_rules.md (pasted into the README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from bot.incidents.figures import APART, DISPUTE_SOURCES, SOURCE_ORDER, TIER, Figure, source_label
from bot.incidents.toll_model import Change, MetricToll, Standing, Toll
from bot.models import METRICS, LedgerEntry

# What a claim is about (its scope, from the extractor). Only whole-event figures make the toll;
# parts show under their whole, attackers apart, and other events or running totals not at all.
WHOLE, PART, ATTACKERS, HISTORY = "event", "subset", "attackers", "history"
ELSEWHERE = frozenset({"other_event", "cumulative"})
LOWER_BOUNDS = frozenset({"at_least", "more_than"})
# A later, smaller lower bound from the same class replaces the larger one only when it says so.
_REVISED_DOWN = re.compile(r"\b(revis|correct|lower|reduc|r[ée]vis|corrig|revu|ramen|abaiss)", re.I)


class Report(NamedTuple):
    """One independent report of a figure: syndicated copies of one story fold into one report.

    Internal to compute_toll (it never reaches a Toll), and built for nearly every ledger entry: a
    NamedTuple is built about three times faster than a frozen dataclass and is just as immutable.
    """

    source: str
    figure: Figure
    published: datetime
    story_id: int
    item_id: int
    outlet: str
    outlets: tuple[str, ...]
    link: str | None
    quote: str
    who: str | None


def compute_toll(entries: Iterable[LedgerEntry]) -> Toll:
    """The toll from ledger entries; superseded and rejected entries are kept in history only."""
    history = tuple(sorted(entries, key=_entry_order))
    current = [e for e in history if e.status == "current"]
    restated = _restatements(current)
    # One pass splits the ledger by metric and scope; the lists keep history order, which everything
    # below relies on. The timeline keeps superseded figures (they were reported then) and the text's
    # own earlier figures ("rose from 25 to 40"); rejected ones were never true.
    now_by_metric: dict[str, list[LedgerEntry]] = {}
    reported_by_metric: dict[str, list[LedgerEntry]] = {}
    parts_by_metric: dict[str, list[LedgerEntry]] = {}
    attackers_by_metric: dict[str, list[LedgerEntry]] = {}
    for e in history:
        scope = e.claim.scope or WHOLE
        metric = e.claim.metric
        if e.status == "rejected" or scope in ELSEWHERE or id(e) in restated:
            continue
        if scope == PART:
            if e.status == "current":
                parts_by_metric.setdefault(metric, []).append(e)
            continue
        if scope == ATTACKERS:
            if e.status == "current":
                attackers_by_metric.setdefault(metric, []).append(e)
            continue
        reported_by_metric.setdefault(metric, []).append(e)
        if e.status == "current" and scope != HISTORY:
            now_by_metric.setdefault(metric, []).append(e)
    # One Figure object per distinct figure, shared by every report of every metric (see _reports).
    figures: dict[tuple, Figure] = {}
    metrics: dict[str, MetricToll] = {}
    for metric in (*METRICS, *sorted({e.claim.metric for e in history} - set(METRICS))):
        now = now_by_metric.get(metric)
        if not now:
            continue
        named_floor = _named_floor(current) if metric == "killed" else None
        reports = _reports(now, figures)
        standings, apart = _standings(reports)
        leading = lead(standings)
        reported = reported_by_metric[metric]
        # `now` is a subsequence of `reported`: the same length means the same entries, folded alike.
        timeline = _timeline(metric, reports if len(reported) == len(now) else _reports(reported, figures))
        metrics[metric] = MetricToll(
            metric=metric, standings=standings, apart=apart, leading=leading,
            low=_low(standings), high=_high(standings),
            disputes=_disputes(leading, standings, apart, named_floor=named_floor), timeline=timeline,
            parts=_each(_reports(parts_by_metric.get(metric, []), figures)),
            attackers=_each(_reports(attackers_by_metric.get(metric, []), figures)),
            why=_why(leading, standings),
        )
    timeline = tuple(sorted((c for m in metrics.values() for c in m.timeline), key=_change_order))
    updated = max((e.published for e in current), default=None)
    return Toll(metrics=metrics, history=history, timeline=timeline, updated=updated)


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


# --- internals ---------------------------------------------------------------------------------------

def _entry_order(e: LedgerEntry):
    # A figure given later in the same article wins over an earlier one ("70 dead, later raised to 77").
    return (e.published, e.item_id, e.claim.start, e.claim.metric, e.claim.source)


_METRIC_RANK = {metric: rank for rank, metric in enumerate(METRICS)}
_SOURCE_RANK = {source: rank for rank, source in enumerate((*SOURCE_ORDER, *APART))}


def _change_order(c: Change):
    return (c.when, _METRIC_RANK.get(c.metric, len(METRICS)), _source_rank(c.source))


def _source_rank(source: str) -> int:
    return _SOURCE_RANK.get(source, len(_SOURCE_RANK))


def _figure_fields(claim) -> tuple:
    """What makes two figures equal: Figure's fields, in order (Figure's own __eq__ compares exactly these)."""
    return (claim.value, claim.qualifier, claim.low, claim.high, claim.vague)


def _reports(entries: list[LedgerEntry], figures: dict[tuple, Figure]) -> list[Report]:
    """Entries folded into independent reports: one per (source, story, figure), at its first publication.

    Entries come in history order, so the reports do too: ordered by (published, item_id), which is the
    order _walk and _timeline read them in. `figures` interns Figures (keyed by _figure_fields): equal
    figures are then one object, and the dict and set lookups downstream succeed on identity instead
    of calling the dataclass __eq__ (the main cost on big incidents).
    """
    # key -> (first entry, its figure, outlets so far). Outlets are gathered in a dict and the Report is
    # built once at the end: rebuilding it for every syndicated copy made folding quadratic in the copies.
    folded: dict[tuple, tuple[LedgerEntry, Figure, dict[str, None]]] = {}
    for e in entries:
        claim = e.claim
        spec = _figure_fields(claim)
        key = (claim.source, e.story_id, spec)
        slot = folded.get(key)
        if slot is None:
            figure = figures.get(spec)
            if figure is None:
                figure = figures[spec] = Figure.from_claim(claim)
            folded[key] = (e, figure, dict.fromkeys((e.outlet, *e.outlets)))
        else:
            outlets = slot[2]  # union in order of first appearance, as dict.fromkeys over every copy gives
            outlets[e.outlet] = None
            for outlet in e.outlets:
                outlets[outlet] = None
    return [Report(e.claim.source, figure, e.published, e.story_id, e.item_id, e.outlet, tuple(outlets), e.link,
                   e.claim.quote, e.claim.who)
            for e, figure, outlets in folded.values()]


@dataclass
class _Track:
    """A source class walked through its reports in publication order."""

    source: str
    figure: Figure | None = None
    seen: list[Figure] = field(default_factory=list)  # every figure that became current, oldest first
    # `seen` as a set: membership is asked for every report, and a list scan compares dataclasses one by one.
    seen_set: set[Figure] = field(default_factory=set)
    reports: dict[Figure, list[Report]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, report: Report) -> bool:
        """Record a report; True when it changes this class's figure."""
        if self.first is None:
            self.first = report.published
        self.last = report.published
        figure = report.figure
        same = self.reports.get(figure)
        if same is None:
            self.reports[figure] = [report]
        else:
            same.append(report)
        if self.figure is not None and self.figure.numeric and not figure.numeric:
            return False  # "some fatalities" after "77 killed" is not an update
        if figure in self.seen_set:
            return False  # a stale copy of an older figure does not turn the clock back
        current = self.figure
        if (current is not None and current.qualifier in LOWER_BOUNDS and figure.qualifier in LOWER_BOUNDS
                and figure.floor < current.floor and not _REVISED_DOWN.search(report.quote or "")):
            return False  # "at least 150", then "at least 90": still at least 150, unless revised in words
        self.seen.append(figure)
        self.seen_set.add(figure)
        self.figure = figure
        return True

    @property
    def since(self) -> datetime:
        """First report of the current figure by this class (what lead() needs of a Standing)."""
        return self.reports[self.figure][0].published

    def standing(self) -> Standing:
        reports = self.reports[self.figure]
        stories = {r.story_id for r in reports}
        latest = reports[-1]
        return Standing(
            source=self.source, figure=self.figure, since=reports[0].published, first_reported=self.first,
            last_reported=self.last, reports=len(stories),
            outlets=tuple(dict.fromkeys(o for r in reports for o in r.outlets)),
            # The current figure is always the last one seen, and `seen` holds no two equal figures.
            previous=tuple(self.seen[:-1]), quote=latest.quote, link=latest.link, who=latest.who)


def _walk(reports: list[Report]) -> dict[str, _Track]:
    # Reports come from _reports, already in (published, item_id) order: sorting them again (as this did)
    # changed nothing, since the sort is stable, but cost a key tuple per report.
    tracks: dict[str, _Track] = {}
    for report in reports:
        track = tracks.get(report.source)
        if track is None:
            track = tracks[report.source] = _Track(report.source)
        track.add(report)
    return tracks


def _standings(reports: list[Report]) -> tuple[tuple[Standing, ...], tuple[Standing, ...]]:
    tracks = _walk(reports)
    ordered = sorted(tracks.values(), key=lambda t: _source_rank(t.source))
    standings = tuple(t.standing() for t in ordered if t.source not in APART)
    apart = tuple(t.standing() for t in ordered if t.source in APART)
    return standings, apart


def _timeline(metric: str, reports: list[Report]) -> tuple[Change, ...]:
    tracks: dict[str, _Track] = {}
    ranked: list[_Track] = []  # the tracks that may lead (perpetrator claims never do)
    changes: list[Change] = []
    leader: tuple[str, Figure] | None = None
    # Reports come from _reports, already in (published, item_id) order.
    # One article is one moment: its figures are applied together before asking which one leads,
    # so a figure that led only between two sentences of the same article is never flagged.
    for _, batch in groupby(reports, key=lambda r: (r.published, r.item_id)):
        step: list[tuple[Report, Figure | None]] = []
        for report in batch:
            track = tracks.get(report.source)
            if track is None:
                track = tracks[report.source] = _Track(report.source)
                if report.source not in APART:
                    ranked.append(track)
            previous = track.figure
            if track.add(report):
                step.append((report, previous))
        if not step:
            continue
        # lead() reads only source, figure and since, which a _Track has: building a Standing for every
        # class after every article made the timeline quadratic in the reports.
        current = lead(ranked)
        now = (current.source, current.figure) if current else None
        for report, previous in step:
            changes.append(Change(when=report.published, metric=metric, source=report.source, figure=report.figure,
                                  previous=previous, outlet=report.outlet, link=report.link,
                                  leading=now != leader and now == (report.source, report.figure)))
        leader = now
    return tuple(changes)


def _low(standings: tuple[Standing, ...]) -> Standing | None:
    bounded = [s for s in standings if s.figure.floor is not None]
    return min(bounded, key=lambda s: (s.figure.number, TIER.get(s.source, 9)), default=None)


def _high(standings: tuple[Standing, ...]) -> Standing | None:
    numeric = [s for s in standings if s.figure.numeric]
    top = lambda s: s.figure.ceiling if s.figure.ceiling is not None else s.figure.number  # noqa: E731
    return max(numeric, key=lambda s: (top(s), -TIER.get(s.source, 9)), default=None)


def _named_floor(entries: list[LedgerEntry]) -> tuple[int, str] | None:
    named = [(e.claim.value, e.claim.source) for e in entries
             if e.claim.metric == "named_victims" and e.claim.value is not None]
    return max(named, key=lambda n: (n[0], -_source_rank(n[1])), default=None)


def _disputes(leading: Standing | None, standings: tuple[Standing, ...], apart: tuple[Standing, ...] = (), *,
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


def _restatements(entries: list[LedgerEntry]) -> set[int]:
    """Unattributed figures that repeat an attributed one of the same story (a headline restating its
    body, a copy's headline): one report, not a new source. Returns their ids (id() of the entries)."""
    attributed = {(e.story_id, e.claim.metric, _figure_fields(e.claim)) for e in entries
                  if e.claim.source != "unattributed"}
    return {id(e) for e in entries if e.claim.source == "unattributed"
            and (e.story_id, e.claim.metric, _figure_fields(e.claim)) in attributed}


def _why(leading: Standing | None, standings: tuple[Standing, ...]) -> str:
    """'official, best-sourced whole-event figure; 2 other classes lower, 1 higher'."""
    if leading is None:
        return ""
    others = [s for s in standings if s is not leading and s.figure.numeric]
    point = leading.figure.number
    lower = sum(1 for s in others if (s.figure.number or 0) < point)
    higher = sum(1 for s in others if (s.figure.number or 0) > point)
    tier = {1: "best-sourced", 2: "attributed", 3: "unverifiable", 4: "unattributed"}[TIER[leading.source]]
    kind = "highest lower bound" if leading.figure.qualifier in LOWER_BOUNDS else "most conservative"
    counts = [f"{n} other class{'es' if n > 1 else ''} {word}" for n, word in ((lower, "lower"), (higher, "higher")) if n]
    return f"{source_label(leading.source)}: {kind} whole-event figure of the {tier} sources" + \
        (f"; {', '.join(counts)}" if counts else "")


def _each(reports: list[Report]) -> tuple[Standing, ...]:
    """Every distinct figure of a part of the toll (3 children, 5 women), not one per class."""
    groups: dict[tuple, list[Report]] = {}
    for report in reports:
        groups.setdefault((report.source, report.figure, report.who), []).append(report)
    return tuple(Standing(source=source, figure=figure, since=group[0].published, first_reported=group[0].published,
                          last_reported=group[-1].published, reports=len({r.story_id for r in group}),
                          outlets=tuple(dict.fromkeys(o for r in group for o in r.outlets)), quote=group[-1].quote,
                          link=group[-1].link, who=who)
                 for (source, figure, who), group in groups.items())
