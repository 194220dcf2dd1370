"""Events, not only copies: items about the same event within days, grouped incrementally (bot/incidents/events.py)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.incidents import events
from bot.incidents.events import EventIndex, signature_terms

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "incidents"
T0 = datetime(2020, 8, 20, 8, tzinfo=timezone.utc)

FILLER = [  # unrelated news of the same days, so that rarity means something
    (f"Story {n}: {topic}", f"{who} said on Monday that {topic.lower()} would continue.")
    for n, (topic, who) in enumerate([(t, w) for t in ("Budget talks", "Football results", "Weather warning",
                                                       "Stock markets", "School reopening", "Train strike")
                                      for w in ("Officials", "Analysts", "The ministry", "Reporters")] * 10)
]


def warmed(n: int = 240) -> EventIndex:
    index = EventIndex()
    for i, (title, summary) in enumerate(FILLER[:n]):
        index.add(title, summary, T0 - timedelta(hours=n - i))
    return index


def test_signature_is_names_and_figures_not_common_words_or_years():
    terms = signature_terms("Navalny in a coma after suspected poisoning in Omsk",
                            "The Kremlin critic fell ill on a flight from Tomsk in 2020; 97 passengers were aboard.")
    assert {"navalny", "omsk", "kremlin", "tomsk", "#97"} <= set(terms)
    assert "#2020" not in terms and "the" not in terms and "poisoning" not in terms


def test_same_event_in_other_words_joins_and_says_why():
    index = warmed()
    first = index.add("Navalny in coma after suspected poisoning in Omsk", "The Kremlin critic fell ill on a flight.",
                      T0)
    second = index.add("German doctors fly to Omsk for Navalny", "A plane from Berlin landed in Omsk.",
                       T0 + timedelta(hours=5))
    assert first.new and not second.new and second.event_id == first.event_id
    assert {"omsk", "navalny"} <= set(second.shared) and second.score > 0


def test_another_event_in_the_same_days_stays_apart():
    index = warmed()
    navalny = index.add("Navalny in coma after suspected poisoning in Omsk", "The Kremlin critic fell ill.", T0)
    belarus = index.add("Lukashenko sworn in as protests grow in Minsk", "Crowds gathered in Minsk again.",
                        T0 + timedelta(hours=2))
    assert belarus.new and belarus.event_id != navalny.event_id


def test_an_event_closes_after_its_quiet_days():
    index = warmed()
    first = index.add("Gunmen attack Kouré giraffe reserve", "Aid workers from ACTED were killed near Kouré.", T0)
    later = index.add("Kouré reserve reopens", "Tourists returned to Kouré with ACTED staff.",
                      T0 + timedelta(days=events.WINDOW_DAYS + 1))
    assert later.new and later.event_id != first.event_id


def test_state_is_plain_data_and_carries_on_after_a_restart():
    index = warmed()
    first = index.add("Navalny in coma after suspected poisoning in Omsk", "The Kremlin critic fell ill.", T0)
    state = json.loads(json.dumps(index.state))
    again = EventIndex(state).add("Omsk hospital: Navalny stable", "Doctors in Omsk spoke to reporters.",
                                  T0 + timedelta(hours=3))
    assert again.event_id == first.event_id


def test_cost_per_item_is_bounded_however_many_events_use_a_term():
    index = warmed()
    for n in range(200):  # 200 separate events that all mention "Reuters"
        index.add(f"Reuters Place{n} Person{n}", f"Reuters reports from Place{n}.", T0 + timedelta(minutes=n))
    assert max(len(p) for p in index.postings.values()) <= events.POSTINGS


def test_an_incident_takes_an_event_it_matched_with_confidence():
    index = warmed()
    tally: dict = {}
    a = index.add("Navalny in coma after suspected poisoning in Omsk", "The Kremlin critic fell ill.", T0)
    b = index.add("Omsk doctors say Navalny stable", "The Kremlin denies a role.", T0 + timedelta(hours=1))
    for placement in (a, b):
        events.record_match(tally, placement.event_id, "navalny-poisoning")
    c = index.add("Omsk hospital under guard", "Navalny allies wait outside the Omsk hospital.", T0 + timedelta(hours=2))
    assert c.event_id == a.event_id
    assert events.incidents_of_event(index, tally, c.event_id) == [("navalny-poisoning", 2, 3)]
    assert json.loads(json.dumps(tally)) == tally


@pytest.mark.skipif(not (CORPUS / "items.jsonl").exists(),
                    reason=f"replay corpus absent ({CORPUS}): it lives in ../shared beside the checkout")
def test_replay_corpus_grouping_is_fast_and_keeps_incidents_together():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_events
    finally:
        sys.path.remove(str(ROOT / "bench"))
    items, incidents = bench_events.load(CORPUS)
    placed, seconds, _ = bench_events.group(items)
    assert len(items) / seconds >= 2000  # measured ~15,000 items/s
    rows = bench_events.agreement(placed, incidents)
    total = sum(r["gold"] for r in rows.values())
    recall = sum(r["recall"] * r["gold"] for r in rows.values()) / total
    precision = sum(r["precision"] * r["gold"] for r in rows.values()) / total
    assert recall >= 0.6 and precision >= 0.8  # measured 0.637 and 0.829 (B-cubed over the gold items)
