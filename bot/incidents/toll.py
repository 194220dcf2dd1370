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

from bot.models import METRICS, LedgerEntry

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
            return self.vague or "an unstated number"
        if self.qualifier == "range":
            return f"{self.low}–{self.high}"
        return _QUALIFIER_TEXT.get(self.qualifier, "{v}").format(v=self.value)


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


@dataclass(frozen=True)
class Standing:
    """Where one source class stands on one metric."""

    source: str
    figure: Figure
    since: datetime  # first report of this figure by this source class
    first_reported: datetime  # first report of any figure by this source class
    last_reported: datetime  # latest report by this source class
    reports: int  # independent reports (stories) of this figure
    outlets: tuple[str, ...]  # every outlet that carried this figure, copies included
    previous: tuple[Figure, ...] = ()  # earlier figures of this class, oldest first
    quote: str = ""
    link: str | None = None


@dataclass(frozen=True)
class Change:
    """A step in the timeline: a source class reported a figure it had not reported before."""

    when: datetime
    metric: str
    source: str
    figure: Figure
    previous: Figure | None
    outlet: str
    link: str | None
    leading: bool  # this figure became the leading one


@dataclass(frozen=True)
class MetricToll:
    """The toll for one metric: standings, leading figure, range, disputes, claims kept apart."""

    metric: str
    standings: tuple[Standing, ...]  # every source class but perpetrator claims, in SOURCE_ORDER
    apart: tuple[Standing, ...]  # perpetrator claims: shown apart, never in the range, never leading
    leading: Standing | None
    low: Standing | None  # the most conservative figure with a lower bound
    high: Standing | None  # the highest figure
    disputes: tuple[str, ...]
    timeline: tuple[Change, ...]

    def standing(self, source: str) -> Standing | None:
        """The standing of one source class, if it reported."""
        return next((s for s in (*self.standings, *self.apart) if s.source == source), None)


@dataclass(frozen=True)
class Toll:
    """Every metric's toll from a ledger, plus the full history (superseded and rejected included)."""

    metrics: dict[str, MetricToll]
    history: tuple[LedgerEntry, ...] = ()
    timeline: tuple[Change, ...] = ()
    updated: datetime | None = None

    def get(self, metric: str) -> MetricToll | None:
        """The toll of one metric, or None when nobody reported it."""
        return self.metrics.get(metric)


@dataclass(frozen=True)
class TollEvent:
    """A change worth an alert; key is stable, so re-running a poll never alerts twice."""

    key: str
    kind: str  # new_story | new_source | official_rise | official_fall | new_maximum
    incident: str
    text: str
    metric: str | None = None
    source: str | None = None


def compute_toll(entries: Iterable[LedgerEntry]) -> Toll:
    """The toll from ledger entries; superseded and rejected entries are kept in history only."""
    history = tuple(sorted(entries, key=_entry_order))
    current = [e for e in history if e.status == "current"]
    # One pass splits the ledger by metric (a scan per metric costs a lot on big incidents); the lists
    # keep history order, which everything below relies on. The timeline keeps superseded figures
    # (they were reported then); rejected ones were never true.
    now_by_metric: dict[str, list[LedgerEntry]] = {}
    reported_by_metric: dict[str, list[LedgerEntry]] = {}
    for e in history:
        if e.status != "rejected":
            reported_by_metric.setdefault(e.claim.metric, []).append(e)
            if e.status == "current":
                now_by_metric.setdefault(e.claim.metric, []).append(e)
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
            disputes=_disputes(leading, standings, named_floor=named_floor), timeline=timeline,
        )
    timeline = tuple(sorted((c for m in metrics.values() for c in m.timeline), key=_change_order))
    updated = max((e.published for e in current), default=None)
    return Toll(metrics=metrics, history=history, timeline=timeline, updated=updated)


def lead(standings: Iterable[Standing]) -> Standing | None:
    """The leading figure: best-sourced tier first, then the most conservative number, then the latest.

    Reads only source, figure and since, so the timeline passes its _Tracks (which have those) as well.
    """
    ranked = [s for s in standings if s.source in TIER and s.figure.numeric]
    if not ranked:
        return None
    # "Up to 100" is a ceiling, not an estimate: it leads only when nothing else was reported.
    estimates = [s for s in ranked if s.figure.qualifier != "up_to"] or ranked
    return min(estimates, key=lambda s: (TIER[s.source], s.figure.number, -s.since.timestamp(),
                                         SOURCE_ORDER.index(s.source)))


def toll_events(before: Toll | None, after: Toll, *, incident: str) -> list[TollEvent]:
    """What changed between two tolls: a new source class, the official figure rising or falling, a new maximum."""
    events: list[TollEvent] = []
    for metric, now in after.metrics.items():
        was = before.get(metric) if before is not None else None
        touched: set[str] = set()
        for standing in (*now.standings, *now.apart):
            old = was.standing(standing.source) if was is not None else None
            if old is None:
                touched.add(standing.source)
                events.append(TollEvent(
                    key=_key(incident, metric, "new-source", standing.source, standing.figure.text),
                    kind="new_source", incident=incident, metric=metric, source=standing.source,
                    text=f"New source: {source_label(standing.source).lower()}, "
                         f"{standing.figure.text} {metric_words(metric)}"))
        official, old_official = now.standing("official"), was.standing("official") if was else None
        if official and old_official and official.figure != old_official.figure and official.figure.numeric:
            a, b = old_official.figure.number, official.figure.number
            # A first number after "some fatalities" is news too: it counts as a rise.
            if a is None or a != b:
                kind = "official_rise" if a is None or b > a else "official_fall"
                touched.add("official")
                events.append(TollEvent(
                    key=_key(incident, metric, kind, old_official.figure.text, official.figure.text),
                    kind=kind, incident=incident, metric=metric, source="official",
                    text=f"Official toll ({metric_words(metric)}) {'rises' if kind == 'official_rise' else 'falls'}"
                         f" from {old_official.figure.text} to {official.figure.text}"))
        high, old_high = now.high, was.high if was else None
        if (high and old_high and high.source not in touched
                and (high.figure.number or 0) > (old_high.figure.number or 0)):
            events.append(TollEvent(
                key=_key(incident, metric, "max", high.figure.text),
                kind="new_maximum", incident=incident, metric=metric, source=high.source,
                text=f"New highest figure: {high.figure.text} {metric_words(metric)} "
                     f"({source_label(high.source)}; was {old_high.figure.text})"))
    return events


def story_event(incident: str, *, story_id: int, outlet: str, title: str) -> TollEvent:
    """The event for a newly matched story; syndicated copies share the story id, so they alert once."""
    return TollEvent(key=_key(incident, "story", str(story_id)), kind="new_story", incident=incident,
                     text=f"New story matched: {title} ({outlet})")


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
                   e.claim.quote)
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
            previous=tuple(self.seen[:-1]), quote=latest.quote, link=latest.link)


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


def _disputes(leading: Standing | None, standings: tuple[Standing, ...], *,
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
    if named_floor is not None and named_floor[0] > point:
        out.append(f"{named_floor[0]} victims named ({source_label(named_floor[1]).lower()}), "
                   f"more than {base}")
    return tuple(out)


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


def _key(incident: str, *parts: str) -> str:
    # Readable and stable: same incident and same change give the same key in every run.
    return ":".join(re.sub(r"[^a-z0-9.>-]+", "-", p.lower()).strip("-") for p in (incident, *parts))
