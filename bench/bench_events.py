"""Event grouping (bot/incidents/events.py) on the replay corpus: items per second, and agreement with the gold.

Run: .venv/bin/python bench/bench_events.py [--corpus ../shared/corpus/incidents] [--repeat 3]

Every one of the 14,863 distinct items of the five replay feeds is placed in arrival order (first seen, then
published), as processing would. Speed: best of N passes, items/s (target >= 2,000). Agreement: for each of
the ten hand-labelled incidents, how its gold items fall into events (B-cubed over the gold items: recall =
share of the incident's items in the same event as an item, precision = share of that event's items that
belong to the incident, doubt items counted as belonging).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.incidents.events import EventIndex  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "incidents"


def load(path: Path) -> tuple[list[dict], list[dict]]:
    with open(path / "items.jsonl", encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle]
    items.sort(key=lambda r: (r["first_seen"], r["published"]))
    with open(path / "incidents.jsonl", encoding="utf-8") as handle:
        incidents = [json.loads(line) for line in handle]
    return items, incidents


def group(items: list[dict]) -> tuple[dict[tuple[str, str], int], float, EventIndex]:
    index = EventIndex()
    placed = {}
    t0 = time.perf_counter()
    for r in items:
        placement = index.add(r.get("title") or "", r.get("summary") or "", datetime.fromisoformat(r["published"]))
        placed[(r["feed"], r["key"])] = placement.event_id
    return placed, time.perf_counter() - t0, index


def agreement(placed: dict[tuple[str, str], int], incidents: list[dict]) -> dict[str, dict]:
    """Per incident: gold items, events they span, largest share, B-cubed recall and precision."""
    members: dict[int, list[tuple[str, str]]] = {}
    for key, event_id in placed.items():
        members.setdefault(event_id, []).append(key)
    out = {}
    for incident in incidents:
        gold = {(g["feed"], g["key"]) for g in incident["gold"]} & set(placed)
        belongs = gold | {(g["feed"], g["key"]) for g in incident.get("doubt", ())}
        events = Counter(placed[k] for k in gold)
        recall = sum(events[placed[k]] / len(gold) for k in gold) / len(gold) if gold else 1.0
        precision = sum(sum(1 for m in members[placed[k]] if m in belongs) / len(members[placed[k]])
                        for k in gold) / len(gold) if gold else 1.0
        largest = events.most_common(1)[0][1] if events else 0
        out[incident["slug"]] = {"gold": len(gold), "events": len(events), "largest": largest,
                                 "recall": recall, "precision": precision}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (args.corpus / "items.jsonl").exists():
        sys.exit(f"corpus not found: {args.corpus} (it lives in ../shared/corpus/incidents beside the checkout)")
    items, incidents = load(args.corpus)
    best = float("inf")
    for _ in range(max(1, args.repeat)):
        placed, seconds, index = group(items)
        best = min(best, seconds)
    sizes = Counter(placed.values())
    print(f"{len(items)} items -> {len(sizes)} events ({sum(1 for s in sizes.values() if s > 1)} with 2+ items, "
          f"largest {max(sizes.values())}); open events kept at the end: {len(index.events)}, "
          f"df terms {len(index.df)}")
    print(f"speed: {len(items) / best:,.0f} items/s (best of {args.repeat}; target >= 2,000)")
    print(f"\n{'incident':<30} {'gold':>4} {'events':>6} {'largest':>7} {'b3 rec':>6} {'b3 prec':>7}")
    rows = agreement(placed, incidents)
    for slug, row in rows.items():
        print(f"{slug:<30} {row['gold']:>4} {row['events']:>6} {row['largest']:>7} {row['recall']:>6.3f} "
              f"{row['precision']:>7.3f}")
    total = sum(r["gold"] for r in rows.values())
    rec = sum(r["recall"] * r["gold"] for r in rows.values()) / total
    prec = sum(r["precision"] * r["gold"] for r in rows.values()) / total
    print(f"{'= all gold items':<30} {total:>4} {'':>6} {'':>7} {rec:>6.3f} {prec:>7.3f}")


if __name__ == "__main__":
    main()
