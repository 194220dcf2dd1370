"""Ledger entries -> the toll per metric and source, its timeline; pure, and incremental.

A TollBuilder reads entries in the order the desk could read them and keeps, per metric, where
each source class stands and the timeline so far; appending one article's figures costs what that
article brings, not the size of the ledger (processing an item stays O(1) in the ledger). Anything
else (an article revised or detached, a figure rejected, an article older than the newest) is
read again from the whole ledger. `compute_toll` is the same builder fed the whole ledger at once,
so the two can never disagree. The reading rules are bot/incidents/toll_reading.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import NamedTuple

from bot.incidents.figures import APART, SOURCE_ORDER, Figure
from bot.incidents.toll_model import Change, MetricToll, Standing, Toll
from bot.incidents.toll_reading import (ATTACKERS, ELSEWHERE, HISTORY, LOWER_BOUNDS, PART, REVISED_DOWN, WHOLE,
                                        disputes, high, lead, low, why)
from bot.models import METRICS, LedgerEntry

__all__ = ["TollBuilder", "compute_toll", "lead"]


def compute_toll(entries: Iterable[LedgerEntry]) -> Toll:
    """The toll from ledger entries; superseded and rejected entries are kept in history only."""
    builder = TollBuilder()
    builder.rebuild(entries)
    return builder.toll()


class Report(NamedTuple):
    """One independent report of a figure: syndicated copies of one story fold into one report."""

    source: str
    figure: Figure
    published: datetime
    story_id: int
    item_id: int
    outlet: str
    link: str | None
    quote: str
    who: str | None


class Grown(Sequence):
    """The first n items of a list that only grows: a snapshot that costs nothing to take."""

    def __init__(self, items: list, n: int | None = None):
        self._items, self._n = items, len(items) if n is None else n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._items[:self._n][index]
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError(index)
        return self._items[index]

    def __iter__(self):
        return (self._items[i] for i in range(self._n))


@dataclass
class _Track:
    """A source class walked through its reports in reading order."""

    source: str
    figure: Figure | None = None
    seen: list[Figure] = field(default_factory=list)  # every figure that became current, oldest first
    seen_set: set[Figure] = field(default_factory=set)  # `seen` as a set: asked for every report
    first_of: dict[Figure, Report] = field(default_factory=dict)  # first report of each figure
    last_of: dict[Figure, Report] = field(default_factory=dict)  # latest report of each figure
    stories_of: dict[Figure, set[int]] = field(default_factory=dict)
    outlets_of: dict[Figure, dict[str, None]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, report: Report, outlets: Iterable[str]) -> bool:
        """Record a report; True when it changes this class's figure."""
        if self.first is None:
            self.first = report.published
        self.last = report.published
        figure = report.figure
        self.first_of.setdefault(figure, report)
        self.last_of[figure] = report
        self.stories_of.setdefault(figure, set()).add(report.story_id)
        self.add_outlets(figure, outlets)
        if self.figure is not None and self.figure.numeric and not figure.numeric:
            return False  # "some fatalities" after "77 killed" is not an update
        if figure in self.seen_set:
            return False  # a stale copy of an older figure does not turn the clock back
        current = self.figure
        if (current is not None and current.qualifier in LOWER_BOUNDS and figure.qualifier in LOWER_BOUNDS
                and figure.floor < current.floor and not REVISED_DOWN.search(report.quote or "")):
            return False  # "at least 150", then "at least 90": still at least 150, unless revised in words
        self.seen.append(figure)
        self.seen_set.add(figure)
        self.figure = figure
        return True

    def add_outlets(self, figure: Figure, outlets: Iterable[str]) -> None:
        known = self.outlets_of.setdefault(figure, {})
        for outlet in outlets:
            known[outlet] = None

    @property
    def since(self) -> datetime:
        """First report of the current figure by this class (what lead() needs of a Standing)."""
        return self.first_of[self.figure].published

    def standing(self) -> Standing:
        latest = self.last_of[self.figure]
        return Standing(
            source=self.source, figure=self.figure, since=self.since, first_reported=self.first,
            last_reported=self.last, reports=len(self.stories_of[self.figure]),
            outlets=tuple(self.outlets_of[self.figure]),
            # The current figure is always the last one seen, and `seen` holds no two equal figures.
            previous=tuple(self.seen[:-1]), quote=latest.quote, link=latest.link, who=latest.who)


class _Walk:
    """Tracks of every source class of one metric, fed article by article."""

    def __init__(self, metric: str, *, timeline: bool):
        self.metric, self.keeps_timeline = metric, timeline
        self.tracks: dict[str, _Track] = {}
        self.ranked: list[_Track] = []  # the tracks that may lead (perpetrator claims never do)
        self.folded: dict[tuple, tuple[_Track, Figure]] = {}  # (source, story, figure) -> where it went
        self.changes: list[Change] = []
        self.leader: tuple[str, Figure] | None = None

    def article(self, reports: list[tuple[Report, tuple[str, ...]]], keys: list[tuple]) -> list[Change]:
        """One article's reports, applied together: a figure that led only between two of its sentences
        is never flagged. A copy of a report already read (same source, story, figure) adds outlets."""
        step: list[tuple[Report, Figure | None]] = []
        for (report, outlets), key in zip(reports, keys):
            seen = self.folded.get(key)
            if seen is not None:
                seen[0].add_outlets(seen[1], outlets)
                continue
            track = self.tracks.get(report.source)
            if track is None:
                track = self.tracks[report.source] = _Track(report.source)
                if report.source not in APART:
                    self.ranked.append(track)
            self.folded[key] = (track, report.figure)
            previous = track.figure
            if track.add(report, outlets):
                step.append((report, previous))
        if not step or not self.keeps_timeline:
            return []
        # lead() reads only source, figure and since, which a _Track has.
        current = lead(self.ranked)
        now = (current.source, current.figure) if current else None
        new = [Change(when=r.published, metric=self.metric, source=r.source, figure=r.figure, previous=previous,
                      outlet=r.outlet, link=r.link, leading=now != self.leader and now == (r.source, r.figure))
               for r, previous in step]
        self.leader = now
        self.changes.extend(new)
        return new

    def standings(self) -> tuple[tuple[Standing, ...], tuple[Standing, ...]]:
        ordered = sorted(self.tracks.values(), key=lambda t: _source_rank(t.source))
        return (tuple(t.standing() for t in ordered if t.source not in APART),
                tuple(t.standing() for t in ordered if t.source in APART))


class _Parts:
    """Every distinct figure of a part of the toll (3 children, 5 women) or of attackers, not one per class."""

    def __init__(self):
        self.groups: dict[tuple, list] = {}  # (source, figure, who) -> [first report, last report, stories, outlets]

    def add(self, report: Report, outlets: tuple[str, ...]) -> None:
        group = self.groups.get((report.source, report.figure, report.who))
        if group is None:
            self.groups[(report.source, report.figure, report.who)] = [report, report, {report.story_id},
                                                                       dict.fromkeys(outlets)]
            return
        group[1] = report
        group[2].add(report.story_id)
        group[3].update(dict.fromkeys(outlets))

    def standings(self) -> tuple[Standing, ...]:
        return tuple(Standing(source=source, figure=figure, since=first.published, first_reported=first.published,
                              last_reported=last.published, reports=len(stories), outlets=tuple(outlets),
                              quote=last.quote, link=last.link, who=who)
                     for (source, figure, who), (first, last, stories, outlets) in self.groups.items())


class TollBuilder:
    """An incident's toll, kept up to date as its ledger grows."""

    def __init__(self):
        self.rebuild(())

    def rebuild(self, entries: Iterable[LedgerEntry]) -> None:
        """Start again from a whole ledger (after a revision, a detach, a rejection, a late article)."""
        ordered = sorted(entries, key=_entry_order)
        self.history: list[LedgerEntry] = []
        self.now: dict[str, _Walk] = {}
        self.reported: dict[str, _Walk] = {}
        self.parts: dict[str, _Parts] = {}
        self.attackers: dict[str, _Parts] = {}
        self.timeline: list[Change] = []
        self.figures: dict[tuple, Figure] = {}  # one Figure per distinct figure: dict lookups hit on identity
        self.story_outlets: dict[int, dict[str, None]] = {}
        self.attributed: set[tuple] = set()
        self.unattributed: set[tuple] = set()
        self.named: tuple[int, str] | None = None
        self.updated: datetime | None = None
        self.last_order: tuple | None = None
        restated = _restatements(ordered)
        for _, article in groupby(ordered, key=lambda e: (e.published, e.item_id)):
            self._read(list(article), restated)

    def can_append(self, entries: list[LedgerEntry]) -> bool:
        """True when one article's new figures can be read on top of what was read: all current, no
        earlier than the newest article read, and not turning an earlier headline into a restatement."""
        if not entries:
            return True
        if any(e.status != "current" for e in entries):
            return False
        first = min(entries, key=_entry_order)
        if self.last_order is not None and _entry_order(first)[:2] < self.last_order[:2]:
            return False
        return not any(_restatement_key(e) in self.unattributed for e in entries if e.claim.source != "unattributed")

    def append(self, entries: list[LedgerEntry]) -> None:
        """One article's figures, newest of the ledger (check can_append first)."""
        ordered = sorted(entries, key=_entry_order)
        restated = _restatements(ordered, known=self.attributed)
        for _, article in groupby(ordered, key=lambda e: (e.published, e.item_id)):
            self._read(list(article), restated)

    def _read(self, article: list[LedgerEntry], restated: set[int]) -> None:
        """One article's entries; `restated`: id() of the entries that only repeat an attributed figure."""
        by_metric: dict[str, list[LedgerEntry]] = {}
        for e in article:
            self.history.append(e)
            outlets = self.story_outlets.setdefault(e.story_id, {})
            outlets[e.outlet] = None
            for outlet in e.outlets:
                outlets[outlet] = None
            if e.status == "current":
                key = _restatement_key(e)
                (self.unattributed if e.claim.source == "unattributed" else self.attributed).add(key)
                self.updated = e.published if self.updated is None else max(self.updated, e.published)
                if e.claim.metric == "named_victims" and e.claim.value is not None:
                    candidate = (e.claim.value, e.claim.source)
                    if self.named is None or (candidate[0], -_source_rank(candidate[1])) > \
                            (self.named[0], -_source_rank(self.named[1])):
                        self.named = candidate
            by_metric.setdefault(e.claim.metric, []).append(e)
        self.last_order = max(self.last_order or (), _entry_order(article[-1]))
        new_changes: list[Change] = []
        for metric, entries in by_metric.items():
            new_changes.extend(self._read_metric(metric, entries, restated))
        self.timeline.extend(sorted(new_changes, key=_change_order))

    def _read_metric(self, metric: str, entries: list[LedgerEntry], restated: set[int]) -> list[Change]:
        now, reported, keys_now, keys_reported = [], [], [], []
        for e in entries:
            scope = e.claim.scope or WHOLE
            if e.status == "rejected" or scope in ELSEWHERE or id(e) in restated:
                continue
            report = self._report(e)
            outlets = tuple(self.story_outlets[e.story_id])
            if scope in (PART, ATTACKERS):
                if e.status == "current":
                    book = self.parts if scope == PART else self.attackers
                    book.setdefault(metric, _Parts()).add(report, outlets)
                continue
            key = (e.claim.source, e.story_id, report.figure)
            reported.append((report, outlets))
            keys_reported.append(key)
            if e.status == "current" and scope != HISTORY:
                now.append((report, outlets))
                keys_now.append(key)
        if now:
            self.now.setdefault(metric, _Walk(metric, timeline=False)).article(now, keys_now)
        if reported:
            return self.reported.setdefault(metric, _Walk(metric, timeline=True)).article(reported, keys_reported)
        return []

    def _report(self, e: LedgerEntry) -> Report:
        claim = e.claim
        spec = (claim.value, claim.qualifier, claim.low, claim.high, claim.vague)
        figure = self.figures.get(spec)
        if figure is None:
            figure = self.figures[spec] = Figure.from_claim(claim)
        return Report(claim.source, figure, e.published, e.story_id, e.item_id, e.outlet, e.link, claim.quote,
                      claim.who)

    def toll(self) -> Toll:
        """The toll now: a snapshot that later appends do not change."""
        metrics: dict[str, MetricToll] = {}
        for metric in (*METRICS, *sorted(set(self.now) - set(METRICS))):
            walk = self.now.get(metric)
            if walk is None:
                continue
            standings, apart = walk.standings()
            leading = lead(standings)
            changes = self.reported[metric].changes
            metrics[metric] = MetricToll(
                metric=metric, standings=standings, apart=apart, leading=leading,
                low=low(standings), high=high(standings),
                disputes=disputes(leading, standings, apart, named_floor=self.named if metric == "killed" else None),
                timeline=Grown(changes), why=why(leading, standings),
                parts=self.parts[metric].standings() if metric in self.parts else (),
                attackers=self.attackers[metric].standings() if metric in self.attackers else ())
        timeline = [c for c in self.timeline if c.metric in metrics] if len(metrics) != len(self.reported) \
            else self.timeline
        return Toll(metrics=metrics, history=Grown(self.history), timeline=Grown(timeline), updated=self.updated)


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


def _restatement_key(e: LedgerEntry) -> tuple:
    c = e.claim
    return (e.story_id, c.metric, c.value, c.qualifier, c.low, c.high, c.vague)


def _restatements(entries: list[LedgerEntry], *, known: set[tuple] = frozenset()) -> set[int]:
    """Unattributed figures that repeat an attributed one of the same story (a headline restating its
    body, a copy's headline): one report, not a new source. The id() of each such entry."""
    current = [e for e in entries if e.status == "current"]
    attributed = {_restatement_key(e) for e in current if e.claim.source != "unattributed"}
    return {id(e) for e in current if e.claim.source == "unattributed"
            and (_restatement_key(e) in attributed or _restatement_key(e) in known)}
