"""Matching throughput against 10 to 500 active incidents: items per second should stay flat.

Run: .venv/bin/python bench/bench_matching.py [--items 5000] [--counts 10,50,100,200,500] [--profiles]
Items and incidents are generated (seeded, so runs compare) from the gazetteer: real place and actor
names, event words and filler, about 2,500 characters per item like a wire story. Loops are bounded.
--profiles gives every incident a learned profile (bot/incidents/profile.py) of 40 place and actor names,
and counts every item into the background first, as processing does: the cost of the profile path.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.incidents import profile as profiles  # noqa: E402
from bot.incidents.gazetteer import fold, load_gazetteer  # noqa: E402
from bot.incidents.matching import Matcher  # noqa: E402
from bot.models import Incident, Item  # noqa: E402

FILLER = ("the government said in a statement that officials met on Monday to discuss the budget and "
          "regional trade while analysts expected further talks with partners about the economy and "
          "elections next year as prices of fuel and food kept rising across the region").split()
EVENTS = ["attack", "gunmen", "killed", "explosion", "ambush", "attentat", "Anschlag", "wounded", "raid"]
START = date(2024, 1, 1)


def make_incidents(count: int, *, rng: random.Random, open_ended: bool = False) -> list[Incident]:
    """Incidents at distinct towns (capitals and Sahel towns first), each with an actor and a keyword."""
    g = load_gazetteer()
    towns = sorted((p for p in g.places.values() if p.kind == "town"), key=lambda p: p.id)
    actors = sorted(g.actors.values(), key=lambda a: a.id)
    rng.shuffle(towns)
    incidents = []
    for n in range(count):
        town = towns[n % len(towns)]
        since = START + timedelta(days=rng.randrange(0, 300))
        incidents.append(Incident(
            slug=f"inc-{n}", name=f"{town.name} attack {n}", since=since,
            until=None if open_ended else since + timedelta(days=60),
            keywords=(town.name, f"operation codeword{n}"), actors=(actors[n % len(actors)].name,)))
    return incidents


def make_items(count: int, *, rng: random.Random) -> list[Item]:
    """Wire-length items; about a third name a place and an event, a few name an actor too."""
    g = load_gazetteer()
    places = sorted((p.name for p in g.places.values() if p.kind in ("town", "country")))
    actors = sorted(n for a in g.actors.values() for n in a.names)
    items = []
    for n in range(count):
        words = [rng.choice(FILLER) for _ in range(380)]
        for _ in range(rng.randrange(0, 4)):
            words.insert(rng.randrange(len(words)), rng.choice(places))
        if rng.random() < 0.35:
            words.insert(rng.randrange(len(words)), rng.choice(EVENTS))
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), rng.choice(actors))
        title = " ".join([rng.choice(places), rng.choice(EVENTS), *rng.sample(FILLER, 6)])
        published = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=rng.randrange(0, 24 * 360))
        items.append(Item(feed_id="bench", guid=str(n), link=None, title=title, summary="", content=" ".join(words),
                          author=None, published=published, published_is_first_seen=False, lang="en"))
    return items


def learned_profiles(incidents: list[Incident], *, rng: random.Random) -> dict[str, dict]:
    """A learned profile per incident: 40 single-word place and actor names, each seen in 5 matched items."""
    g = load_gazetteer()
    names = sorted({w for p in g.places.values() if p.kind in ("town", "country") for w in fold(p.name).split()
                    if len(w) >= profiles.MIN_LEN} | {w for a in g.actors.values() for w in fold(a.name).split()})
    states = {}
    for incident in incidents:
        state = profiles.new_state()
        for _ in range(5):
            state = profiles.learn(state, frozenset(rng.sample(names, 40)))
        states[incident.slug] = state
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--counts", default="10,50,100,200,500")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timed passes")
    parser.add_argument("--open-ended", action="store_true", help="incidents without an end date (worst case)")
    parser.add_argument("--profiles", action="store_true", help="every incident with a learned profile")
    args = parser.parse_args()
    rng = random.Random(20240917)
    t0 = time.perf_counter()
    load_gazetteer()
    print(f"gazetteer loaded in {time.perf_counter() - t0:.2f}s")
    items = make_items(args.items, rng=rng)
    chars = sum(len(i.title) + len(i.content) for i in items) / len(items)
    print(f"{len(items)} items, {chars:.0f} characters on average")
    print(f"{'incidents':>9} {'build s':>8} {'items/s':>9} {'matches':>8}")
    for count in (int(c) for c in args.counts.split(",")):
        incidents = make_incidents(count, rng=random.Random(count), open_ended=args.open_ended)
        t0 = time.perf_counter()
        matcher = Matcher(incidents)
        if args.profiles:
            for slug, state in learned_profiles(incidents, rng=random.Random(count)).items():
                matcher.set_profile(slug, state)
        build = time.perf_counter() - t0
        best = float("inf")
        found = 0
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            if args.profiles:
                found = 0
                for item in items:
                    words = matcher.item_words(item)
                    profiles.observe(matcher.background, words, item.published.date())
                    found += len(matcher.match(item, words=words))
            else:
                found = sum(len(matcher.match(item)) for item in items)
            best = min(best, time.perf_counter() - t0)
        print(f"{count:>9} {build:>8.2f} {len(items) / best:>9.0f} {found:>8}")


if __name__ == "__main__":
    main()
