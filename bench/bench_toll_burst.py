"""A story burst on one incident: figure-bearing items processed per second as its ledger grows.

Run: .venv/bin/python bench/bench_toll_burst.py [--items 5000] [--window 500]
Every item matches the tracked incident and carries two figures (one of several source classes),
so each one changes the ledger. Before the incremental toll, every such item re-read and
recomputed the whole ledger (about 40 items/s once thousands of claims had piled up). Items are
stored straight into the database (ingest is measured by bench_replay.py); processing is the
product's own IncidentProcessor. Loops are bounded by --items.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.incidents.desk import Desk  # noqa: E402
from bot.ingest.store import store_items  # noqa: E402
from bot.models import Item  # noqa: E402
from db import open_database, writing  # noqa: E402

SOURCES = ["officials said", "a hospital source said", "security sources said", "witnesses said",
           "the UN said", "according to a local official"]


def items(count: int, rng: random.Random) -> list[Item]:
    start = datetime(2024, 8, 25, tzinfo=timezone.utc)
    out = []
    for n in range(count):
        killed, injured = rng.randint(20, 400), rng.randint(10, 600)
        text = (f"Gunmen attacked the town of Kaya in Burkina Faso. At least {killed} people were killed "
                f"and {injured} wounded, {rng.choice(SOURCES)}. Report {n} from the desk.")
        out.append(Item(feed_id="wire", guid=f"g{n}", link=f"https://wire.example/{n}", title=f"Kaya attack {n}",
                        summary=text, content="", author=None, published=start + timedelta(minutes=n),
                        published_is_first_seen=False, lang="en", outlet=f"Outlet {n % 7}"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--window", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "burst.db")
        db["feeds"].insert({"id": "wire", "url": "http://127.0.0.1:9/wire.xml", "interval_seconds": 600})
        desk = Desk(db)
        desk.ask("/incident track Kaya attack keywords: kaya since: 2024-08-24")
        batch = items(args.items, random.Random(3))
        with writing(db):
            store_items(db, "wire", batch, seen_at="2024-08-25T00:00:00Z")
        rates, done = [], 0
        print(f"{args.items:,} figure-bearing items on one incident, in windows of {args.window}")
        while done < args.items:
            started = time.perf_counter()
            outcome = desk.processor.process_pending(limit=args.window)
            elapsed = time.perf_counter() - started
            if not outcome.items:
                break
            done += outcome.items
            claims = db.execute("select count(*) from claims").fetchone()[0]
            rates.append(outcome.items / elapsed)
            print(f"  items {done - outcome.items + 1:>6,}–{done:<6,} ledger {claims:>6,} claims: "
                  f"{rates[-1]:7.0f} items/s", flush=True)
        toll = desk.processor.tolls.get(1).toll
        print(f"leading killed: {toll.get('killed').leading.figure.text} "
              f"({toll.get('killed').leading.source}); first window {rates[0]:.0f} items/s, last {rates[-1]:.0f}; "
              f"last/first {rates[-1] / rates[0]:.2f} (flat = 1.0)")
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
