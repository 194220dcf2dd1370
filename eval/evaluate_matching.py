"""Matching accuracy on ../shared/corpus/incidents/: recall and precision per incident, tune-on vs measure-only.

Run: .venv/bin/python eval/evaluate_matching.py [--corpus ../shared/corpus/incidents] [--no-profile] [--no-events]
     [--errors]

Each incident's `track` line is parsed as the product parses it (parse_track_args); one Matcher over the ten
incidents scans every item of the replay feeds (title + summary), in arrival order, the way processing sees
them; each incident's profile (bot/incidents/profile.py) learns from its confident matches as they come, and
an item whose event (bot/incidents/events.py) an incident took with confidence joins it ("event-of:").
Gold = the incident's `gold` items; `doubt` items are left out of scoring; every other item is a negative
(`hard`: how many of the false ones are the corpus's labelled hard negatives).
The ten incidents are split by a hash of their slug (sha1, even = tune-on, odd = measure-only): rules may be
written from the tune-on errors only (`--errors` prints them and never prints a measure-only error).
The keyword baseline: an item matches when it contains any keyword of the track line (case-insensitive),
published within the window.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.incidents import events  # noqa: E402
from bot.incidents import profile as profiles  # noqa: E402
from bot.incidents.commands import parse_track_args  # noqa: E402
from bot.incidents.matching import Matcher, utc_date  # noqa: E402
from bot.models import Incident, Item  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "incidents"


def part_of(slug: str) -> str:
    """'tune' or 'measure', fixed by a hash of the incident's slug (never by how well it does)."""
    return "tune" if int(hashlib.sha1(slug.encode()).hexdigest(), 16) % 2 == 0 else "measure"


@dataclass
class Case:
    """One corpus incident: the incident as the product parses it, and its labels."""

    incident: Incident
    gold: set[tuple[str, str]]
    doubt: set[tuple[str, str]]
    hard: set[tuple[str, str]]
    part: str


@dataclass
class Score:
    found: int = 0
    false: int = 0
    missed: int = 0
    hard: int = 0  # hard negatives matched (a subset of false)
    false_items: list = field(default_factory=list)
    missed_items: list = field(default_factory=list)
    terms: dict = field(default_factory=dict)  # item key -> terms, for --errors

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 1.0

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.false) if self.found + self.false else 1.0

    def add(self, other: "Score") -> None:
        self.found += other.found
        self.false += other.false
        self.missed += other.missed
        self.hard += other.hard


def load_corpus(path: Path = CORPUS) -> tuple[list[Case], list[Item], dict]:
    """Cases, items (oldest first) and the raw item records by (feed, key)."""
    cases = []
    with open(path / "incidents.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = record["track"].strip()
            text = text[len("/incident track"):] if text.startswith("/incident track") else text
            incident = parse_track_args(text.strip(), today=date.fromisoformat(record["since"]))
            keys = {k: {(g["feed"], g["key"]) for g in record.get(k, ())} for k in ("gold", "doubt", "hard_negatives")}
            cases.append(Case(incident, keys["gold"], keys["doubt"], keys["hard_negatives"], part_of(incident.slug)))
    items, raw = [], {}
    with open(path / "items.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            raw[(record["feed"], record["key"])] = record
            items.append(Item(feed_id=record["feed"], guid=record["key"], link=record.get("link"),
                              title=record.get("title") or "", summary=record.get("summary") or "", content="",
                              author=None, published=datetime.fromisoformat(record["published"]),
                              published_is_first_seen=False, lang=None, outlet=record["feed"]))
    # Processing sees items as they arrive; within one arrival, oldest publication first.
    order = {k: (r["first_seen"], r["published"]) for k, r in raw.items()}
    items.sort(key=lambda i: order[(i.feed_id, i.guid)])
    return cases, items, raw


def run_matcher(cases: list[Case], items: list[Item], *, learn: bool = True, group: bool = True):
    """Matched item keys per incident slug with the terms of each match, the seconds the scan took, the profiles.

    As processing would: every item is placed in its event (bot/incidents/events.py) and counted into the
    background, then matched; each confident match teaches its incident's profile (used from the next item
    on) and counts for its event; an item whose event an incident took with confidence joins it too.
    """
    matcher = Matcher([c.incident for c in cases])
    index, tally = events.EventIndex(), {}
    states: dict[str, dict] = {}
    matched: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {c.incident.slug: {} for c in cases}
    t0 = time.perf_counter()
    for item in items:
        words = matcher.item_words(item)
        placement = index.add(item.title, item.summary, item.published) if group else None
        if learn:
            profiles.observe(matcher.background, words, utc_date(item.published))
        found = matcher.match(item, words=words)
        if placement is not None and events.strong(placement):
            have = {m.incident for m in found}
            for slug, count, size in events.incidents_of_event(index, tally, placement.event_id):
                if slug not in have:
                    joined = matcher.event_match(item, slug, count=count, shared=placement.shared)
                    if joined is not None:
                        found.append(joined)
        for match in found:
            matched[match.incident][(item.feed_id, item.guid)] = match.terms
            if profiles.is_confident(match):
                if learn:
                    states[match.incident] = profiles.learn(states.get(match.incident), words)
                    matcher.set_profile(match.incident, states[match.incident])
                if placement is not None:
                    events.record_match(tally, placement.event_id, match.incident)
    return matched, time.perf_counter() - t0, states, matcher.background


def run_keywords(cases: list[Case], items: list[Item]) -> dict[str, dict[tuple[str, str], tuple[str, ...]]]:
    """The plain keyword-search baseline."""
    matched = {}
    for case in cases:
        incident = case.incident
        words = [k.lower() for k in incident.keywords]
        until = incident.until or date.max
        found = {}
        for item in items:
            if incident.since <= utc_date(item.published) <= until:
                text = f"{item.title} {item.summary}".lower()
                hit = tuple(f"keyword:{w}" for w in words if w in text)
                if hit:
                    found[(item.feed_id, item.guid)] = hit
        matched[case.incident.slug] = found
    return matched


def score(case: Case, matched: dict[tuple[str, str], tuple[str, ...]]) -> Score:
    result = Score()
    predicted = set(matched) - case.doubt
    result.found = len(predicted & case.gold)
    result.false_items = sorted(predicted - case.gold)
    result.missed_items = sorted(case.gold - predicted)
    result.false, result.missed = len(result.false_items), len(result.missed_items)
    result.hard = len(predicted & case.hard)
    result.terms = matched
    return result


def evaluate(path: Path = CORPUS, *, learn: bool = True, group: bool = True) -> dict:
    """Everything main() prints, as data (used by tests/incidents/test_matching_corpus.py)."""
    cases, items, raw = load_corpus(path)
    matched, seconds, states, background = run_matcher(cases, items, learn=learn, group=group)
    baseline = run_keywords(cases, items)
    per = {c.incident.slug: {"case": c, "matcher": score(c, matched[c.incident.slug]),
                             "keywords": score(c, baseline[c.incident.slug])} for c in cases}
    totals = {}
    for part in ("tune", "measure", "all"):
        for method in ("matcher", "keywords"):
            total = Score()
            for entry in per.values():
                if part in ("all", entry["case"].part):
                    total.add(entry[method])
            totals[(part, method)] = total
    return {"per": per, "totals": totals, "items": len(items), "seconds": seconds, "raw": raw,
            "states": states, "background": background}


def _row(name: str, s: Score, k: Score) -> str:
    return (f"{name:<30} {s.recall:>6.3f} {s.precision:>6.3f} {s.found:>4} {s.false:>4} {s.hard:>4} {s.missed:>4}   "
            f"{k.recall:>6.3f} {k.precision:>6.3f} {k.found:>4} {k.false:>4} {k.hard:>4} {k.missed:>4}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-profile", action="store_true", help="match without the learned incident profiles")
    parser.add_argument("--no-events", action="store_true", help="match without joining items through their events")
    parser.add_argument("--errors", action="store_true", help="print the tune-on incidents' errors (never measure-only)")
    args = parser.parse_args()
    if not (args.corpus / "items.jsonl").exists():
        sys.exit(f"corpus not found: {args.corpus} (it lives in ../shared/corpus/incidents beside the checkout)")
    result = evaluate(args.corpus, learn=not args.no_profile, group=not args.no_events)
    head = f"{'incident':<30} {'recall':>6} {'prec':>6} {'fnd':>4} {'fls':>4} {'hard':>4} {'mis':>4}   " \
           f"{'kw rec':>6} {'kw pr':>6} {'fnd':>4} {'fls':>4} {'hard':>4} {'mis':>4}"
    for part, label in (("tune", "tune-on"), ("measure", "measure-only")):
        off = [n for n, flag in (("profile", args.no_profile), ("events", args.no_events)) if flag]
        print(f"\n[{label}]  matcher{' (no ' + ', no '.join(off) + ')' if off else ''} | keyword baseline")
        print(head)
        for slug, entry in sorted(result["per"].items()):
            if entry["case"].part == part:
                print(_row(slug, entry["matcher"], entry["keywords"]))
        print(_row(f"= {label}", result["totals"][(part, "matcher")], result["totals"][(part, "keywords")]))
    print()
    print(_row("= overall", result["totals"][("all", "matcher")], result["totals"][("all", "keywords")]))
    print(f"\nspeed: {result['items']} items against 10 incidents in {result['seconds']:.2f}s = "
          f"{result['items'] / result['seconds']:,.0f} items/s (matching"
          f"{'' if args.no_events else ', event grouping'}{'' if args.no_profile else ', profiles learning'})")
    if args.errors:
        raw = result["raw"]
        for slug, entry in sorted(result["per"].items()):
            if entry["case"].part != "tune":
                continue
            s = entry["matcher"]
            for key in s.false_items:
                print(f"FALSE  {slug}: {raw[key]['published'][:10]} {raw[key]['title']!r} {s.terms.get(key)}")
            for key in s.missed_items:
                print(f"MISSED {slug}: {raw[key]['published'][:10]} {raw[key]['title']!r} | {raw[key]['summary'][:160]!r}")


if __name__ == "__main__":
    main()
