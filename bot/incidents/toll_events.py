"""Changes worth an alert, between the toll before and after an article; keys are stable, so
re-running a poll never alerts twice."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.incidents.figures import metric_words, source_label, source_words
from bot.incidents.toll_model import Toll


@dataclass(frozen=True)
class TollEvent:
    """A change worth an alert; key is stable, so re-running a poll never alerts twice."""

    key: str
    kind: str  # new_story | new_source | official_rise | official_fall | new_maximum
    incident: str
    text: str
    metric: str | None = None
    source: str | None = None


def toll_events(before: Toll | None, after: Toll, *, incident: str, revised: bool = False) -> list[TollEvent]:
    """What changed between two tolls: a new source class, the official figure rising or falling, a new maximum.

    `revised`: the change comes from a revised article, so any class whose figure it changed is news
    ("was X"), not only the official one.
    """
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
                    text=f"New source: {source_words(standing.source)}, "
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
        if revised and was is not None:
            for standing in now.standings:
                old = was.standing(standing.source)
                if (standing.source in touched or old is None or old.figure == standing.figure
                        or not standing.figure.numeric):
                    continue
                touched.add(standing.source)
                events.append(TollEvent(
                    key=_key(incident, metric, "revised", standing.source, old.figure.text, standing.figure.text),
                    kind="revised", incident=incident, metric=metric, source=standing.source,
                    text=f"Revised article: {source_words(standing.source)} now say {standing.figure.text} "
                         f"{metric_words(metric)} (was {old.figure.text})"))
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


def _key(incident: str, *parts: str) -> str:
    # Readable and stable: same incident and same change give the same key in every run.
    return ":".join(re.sub(r"[^a-z0-9.>-]+", "-", p.lower()).strip("-") for p in (incident, *parts))
