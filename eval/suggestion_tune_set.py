"""The suggestion rules' tune-on set: the ten real incidents of ../shared/corpus/incidents/, replayed in time order.

Five real feeds (BBC, Al Jazeera English, NYT, WSJ, GMA News), April 2020 - October 2021. For each incident, its
gold items (labelled for matching) tell when its coverage reached a third outlet; the replay computes the desk's
suggestions at every arrival from a day before the incident's `since` to three days after, and reports when a
suggestion holding one of its gold items first appeared. It also counts the other suggestions of those days
(events nobody labelled: real bursts of other news, or groupings gone wrong) to show what a change costs in noise.

Tune on this set; eval/evaluate_suggestions.py's Bamako replays stay measure-only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.incidents.suggestions import BURST_OUTLETS, KnownSuggestions, StoredItem, suggest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "incidents"


@dataclass
class IncidentReplay:
    slug: str
    outlets: int  # distinct outlets among its gold items
    third: datetime | None  # when its gold coverage reached BURST_OUTLETS outlets
    first: datetime | None  # when a suggestion holding one of its gold items first appeared
    others: int  # distinct other suggestions in its replay window

    @property
    def delay_hours(self) -> float | None:
        if self.third is None or self.first is None:
            return None
        return (self.first - self.third).total_seconds() / 3600


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def load() -> tuple[list[dict], list[dict]] | None:
    """(incidents, items) of the corpus, or None when ../shared is absent."""
    if not (CORPUS / "items.jsonl").exists():
        return None
    read = lambda name: [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()  # noqa: E731
                         if line.strip()]
    return read("incidents.jsonl"), read("items.jsonl")


def replay_incident(incident: dict, items: list[dict], gazetteer, *, rarity: bool = True) -> IncidentReplay:
    gold = {(g["feed"], g["key"]) for g in incident["gold"]}
    start = _when(incident["since"] + "T00:00:00+00:00") - timedelta(days=1)
    end = start + timedelta(days=4)
    rows = sorted((r for r in items if r.get("published") and start - timedelta(days=2) <= _when(r["published"]) <= end),
                  key=lambda r: r["published"])
    stored = [(StoredItem(r.get("title") or "", r.get("summary") or "", _when(r["published"]), r["feed"]),
               (r["feed"], r["key"]) in gold) for r in rows]
    gold_titles = {item.title for item, about in stored if about}
    outlets: list[str] = []
    third = None
    for item, about in stored:
        if about and item.outlet not in outlets:
            outlets.append(item.outlet)
            if len(outlets) == BURST_OUTLETS:
                third = item.published
    first, others, known = None, 0, KnownSuggestions()
    arrived: list[StoredItem] = []
    for item, _ in stored:
        arrived.append(item)
        if item.published < start:
            continue
        for found in suggest(arrived, item.published, gazetteer=gazetteer, rarity=rarity):
            if gold_titles & set(found.titles):  # its first items (Suggestion.titles) include a gold one
                first = first or item.published
            elif known.known_as(found.key, found.stories) is None:  # each event counted once, as the desk sees it
                others += 1
            known.remember(found.key, found.stories)
    return IncidentReplay(incident["slug"], len(set(g["feed"] for g in incident["gold"])), third, first, others)


def summary(replays: list[IncidentReplay]) -> str:
    reachable = [r for r in replays if r.third is not None]
    delays = sorted(r.delay_hours for r in reachable if r.delay_hours is not None)
    within = sum(1 for d in delays if d <= 1)
    return (f"{len(delays)} of {len(reachable)} incidents that reached {BURST_OUTLETS} outlets suggested, "
            f"{within} within an hour of the third outlet; delays (h) {[round(d, 1) for d in delays]}; "
            f"other suggestions in their 4-day windows: {sum(r.others for r in replays)}")
