"""How soon an emerging incident is suggested: the Bamako founding case replayed in time order.

Run: .venv/bin/python eval/evaluate_suggestions.py
Each item arrives at its publication time; at every arrival the desk's suggestions are computed
from what has arrived (bot/incidents/suggestions.py, with the gazetteer, as the desk channel's job
does). Printed: when the third independent outlet's story about the attack arrived, when a Bamako
suggestion first appeared, and the delay between them (target: within an hour). Two replays:
  1. the founding articles as the demo serves them (bot/demo/seeds.yaml: one feed per outlet);
  2. the blind-labelled real Bamako items (eval/data/blind_matching_bamako.yaml: outlet = the page's
     site; their times are estimates, only the day is reliable), hard negatives included;
  3. the same items among 600 unrelated real headlines (drawn with a fixed seed from
     ../shared/corpus/incidents/items.jsonl, re-timed every 12 minutes from 16 September 2024): a desk's
     ordinary background, without which the event grouping has too few items to weigh rare words.
Tuned-on, all of it: the Bamako replays led to the before-any-toll rule (session 19), and the ten incidents
of ../shared/corpus/incidents/ (eval/suggestion_tune_set.py, printed first as "0.", with and without the
term-rarity prior of bot/incidents/term_rarity.py as the baseline; --quick leaves them out, 70 s each) chose
the prior's join weight. No measure-only set of suggestions exists yet: say so beside any figure from here.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.demo import article_text, published_at, seed_manifest  # noqa: E402
from bot.incidents.gazetteer import load_gazetteer  # noqa: E402
from bot.incidents.suggestions import BURST_HOURS, BURST_OUTLETS, StoredItem, suggest  # noqa: E402
import suggestion_tune_set  # noqa: E402

BLIND = Path(__file__).resolve().parent / "data" / "blind_matching_bamako.yaml"
BACKGROUND = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "incidents" / "items.jsonl"
KATI_2022 = "004_a478c12d8a55944d.txt"  # the look-alike: the Kati base attack of July 2022


def founding_items() -> list[tuple[StoredItem, bool]]:
    """The seed articles as the demo's feeds carry them: title, first paragraph, the feed as outlet."""
    out = []
    for feed in seed_manifest():
        for article in feed["articles"]:
            text = article_text(article["file"])
            first = next(p for p in text.split("\n") if len(p.strip()) > 80).strip()
            out.append((StoredItem(article["title"], first, published_at(article), feed["title"]),
                        article["file"] != KATI_2022))
    return out


def blind_items() -> list[tuple[StoredItem, bool]]:
    out = []
    for record in yaml.safe_load(BLIND.read_text(encoding="utf-8"))["items"]:
        published = datetime.fromisoformat(str(record["published"]).replace("Z", "+00:00"))
        outlet = (urlsplit(record.get("url") or "").hostname or record["id"]).removeprefix("www.")
        out.append((StoredItem(record["title"], record.get("summary") or "", published, outlet),
                    bool(record["about_bamako_attack"])))
    return out


def background_items(count: int = 600) -> list[tuple[StoredItem, bool]]:
    """Unrelated real headlines (2020-21 feeds), re-timed into the days of the attack; [] when absent."""
    if not BACKGROUND.exists():
        return []
    rows = [json.loads(line) for line in BACKGROUND.read_text(encoding="utf-8").splitlines() if line.strip()]
    start = datetime(2024, 9, 16, tzinfo=timezone.utc)
    return [(StoredItem(r.get("title") or "", r.get("summary") or "", start + timedelta(minutes=12 * n), r["feed"]),
             False) for n, r in enumerate(random.Random(1).sample(rows, count))]


def third_outlet(items: list[tuple[StoredItem, bool]]) -> StoredItem | None:
    """The story that brought the attack's coverage to its third independent outlet."""
    outlets: set[str] = set()
    for item, about in sorted(items, key=lambda p: p[0].published):
        if about and item.outlet not in outlets:
            outlets.add(item.outlet)
            if len(outlets) == BURST_OUTLETS:
                return item
    return None


def most_within_burst(items: list[tuple[StoredItem, bool]]) -> int:
    """The most outlets covering the attack within any BURST_HOURS (what the burst rule asks of one event)."""
    about = sorted((i for i, a in items if a), key=lambda i: i.published)
    return max((len({j.outlet for j in about[n:] if j.published - i.published <= timedelta(hours=BURST_HOURS)})
                for n, i in enumerate(about)), default=0)


def is_bamako(suggestion, titles: set[str], began: datetime) -> bool:
    """A suggestion of the attack: its first items include one about it, or it is named after Bamako and
    was first seen no earlier than the day before the attack's coverage began (not the Kati attack of 2022
    among the hard negatives, which also names Bamako)."""
    if any(t in titles for t in suggestion.titles):
        return True
    words = " ".join([suggestion.name, suggestion.place or "", *suggestion.keywords]).lower()
    return "bamako" in words and suggestion.first_seen >= began - timedelta(days=1)


def replay(items: list[tuple[StoredItem, bool]], gazetteer):
    """(arrival, suggestion) of the first Bamako suggestion; (None, None) if none ever appears; and
    how many arrivals showed any suggestion at all."""
    titles = {item.title for item, about in items if about}
    began = min(item.published for item, about in items if about)
    arrived: list[StoredItem] = []
    shown = 0
    for item, _ in sorted(items, key=lambda p: p[0].published):
        arrived.append(item)
        found = suggest(arrived, item.published, gazetteer=gazetteer)
        shown += bool(found)
        bamako = [s for s in found if is_bamako(s, titles, began)]
        if bamako:
            return item.published, bamako[0], shown
    return None, None, shown


def report(label: str, items: list[tuple[StoredItem, bool]], gazetteer) -> None:
    about = [i for i, a in items if a]
    print(f"\n{label}: {len(items)} items, {len(about)} about the attack, "
          f"{len({i.outlet for i in about})} outlets")
    third = third_outlet(items)
    print(f"  third independent outlet's story arrived: "
          f"{f'{third.published:%Y-%m-%d %H:%M} UTC ({third.outlet})' if third else 'never'}")
    print(f"  most outlets on the attack within {BURST_HOURS} hours: {most_within_burst(items)}")
    at, suggestion, shown = replay(items, gazetteer)
    if suggestion is None:
        print(f"  first Bamako suggestion: never (suggestions shown at {shown} of {len(items)} arrivals)")
        print("  delay: none measurable: no Bamako suggestion")
        return
    print(f"  first Bamako suggestion: {at:%Y-%m-%d %H:%M} UTC: {suggestion.name!r}"
          f"{f' in {suggestion.place}' if suggestion.place else ''}, {len(suggestion.outlets)} outlets, "
          f"figures {suggestion.figures[:2]}")
    if third is not None:
        hours = (at - third.published).total_seconds() / 3600
        verdict = "within" if hours <= 1 else "later than"
        print(f"  delay: {hours:+.1f} h after the third outlet ({verdict} the hour's target)")


def tune_on(gazetteer) -> None:
    loaded = suggestion_tune_set.load()
    if loaded is None:
        print(f"\n0. tune-on replay skipped: {suggestion_tune_set.CORPUS} is absent")
        return
    incidents, items = loaded
    print("\n0. tune-on: the ten incidents of ../shared/corpus/incidents/ (5 real feeds, 2020-21)")
    for label, rarity in (("as built (term-rarity prior)", True), ("baseline: no prior", False)):
        replays = [suggestion_tune_set.replay_incident(i, items, gazetteer, rarity=rarity) for i in incidents]
        print(f"  {label}: {suggestion_tune_set.summary(replays)}")


def main() -> int:
    print(f"Suggestion rule: {BURST_OUTLETS} independent outlets within {BURST_HOURS} hours, a casualty figure, "
          "nothing tracked.")
    gazetteer = load_gazetteer()
    if "--quick" not in sys.argv:
        tune_on(gazetteer)
    report("1. founding articles (bot/demo/seeds.yaml)", founding_items(), gazetteer)
    report("2. blind-labelled real Bamako items (eval/data/blind_matching_bamako.yaml)", blind_items(), gazetteer)
    background = background_items()
    if background:
        report("3. the blind items among 600 unrelated real headlines", blind_items() + background, gazetteer)
    else:
        print(f"\n3. skipped: {BACKGROUND} is absent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
