"""Matching on real items labelled blind (eval/data/blind_matching_bamako.yaml): measure only, never tune.

Run: .venv/bin/python eval/evaluate_matching_blind.py [--track "/incident track …"]
A labeller who had not read the matcher collected real feed-like items of September 2024 and after
(English, French, German): the 17 September 2024 Bamako attacks and hard negatives (other Sahel
violence of the same weeks, the Kati 2022 attack, Somalia, unrelated Bamako news). The incident is
tracked with the words an editor would type that day; the product's matcher reads every item
(title + summary); plain keyword search of the track line's keywords is printed beside it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.incidents.commands import parse_track_args  # noqa: E402
from bot.incidents.matching import Matcher  # noqa: E402
from bot.models import Item  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "blind_matching_bamako.yaml"
TRACK = "Bamako attacks keywords: bamako, JNIM since: 2024-09-17"


def items(path: Path) -> list[tuple[Item, bool]]:
    out = []
    for record in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
        published = datetime.fromisoformat(str(record["published"]).replace("Z", "+00:00"))
        out.append((Item(feed_id="blind", guid=record["id"], link=record.get("url"), title=record["title"],
                         summary=record.get("summary") or "", content="", author=None, published=published,
                         published_is_first_seen=False, lang=record.get("lang"), outlet=None),
                    bool(record["about_bamako_attack"])))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", default=TRACK, help="the /incident track arguments (default: %(default)s)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent")
        return 0
    labelled = items(DATA)
    incident = parse_track_args(args.track, today=date(2024, 9, 17))
    matcher = Matcher([incident])
    keywords = [k.lower() for k in incident.keywords]
    rows = {"matcher": [0, 0, 0], "keyword search": [0, 0, 0]}
    for item, gold in labelled:
        in_window = item.published.date() >= incident.since
        got = {"matcher": bool(matcher.match(item)),
               "keyword search": in_window and any(k in f"{item.title} {item.summary}".lower() for k in keywords)}
        for name, hit in got.items():
            found, false, missed = rows[name]
            rows[name] = [found + (hit and gold), false + (hit and not gold), missed + (gold and not hit)]
    positives = sum(g for _, g in labelled)
    print(f"blind Bamako items: {len(labelled)} ({positives} about the attack); track: {args.track}")
    print(f"{'':<16} {'found':>6} {'false':>6} {'missed':>7} {'recall':>7} {'precision':>9}")
    for name, (found, false, missed) in rows.items():
        recall = found / max(1, found + missed)
        precision = found / max(1, found + false)
        print(f"{name:<16} {found:>6} {false:>6} {missed:>7} {recall:>7.3f} {precision:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
