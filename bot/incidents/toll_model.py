"""What a toll is: per metric, where each source class stands, the lead, the range, what is apart.

Plain data, computed by bot/incidents/toll.py and read by rendering, alerts and Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.incidents.figures import Figure
from bot.models import LedgerEntry


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
    who: str | None = None  # who the figure counts, when the text says (children, soldiers)


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
    parts: tuple[Standing, ...] = ()  # subsets of the whole ("including 3 children"), never the toll
    attackers: tuple[Standing, ...] = ()  # attackers killed: shown apart, never in the victims' toll
    why: str = ""  # one line: why the leading figure leads

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
