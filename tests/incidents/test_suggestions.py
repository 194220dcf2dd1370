"""Emerging incidents: untracked events that burst in what is stored (bot/incidents/suggestions.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from bot.incidents.desk import Desk
from bot.incidents.suggestions import StoredItem, render_suggestions, suggest
from bot.models import Incident, Item
from db.connection import writing
from db.incidents import insert_incident
from db.items import insert_item, insert_story
from db.ledger import record_match

T0 = datetime(2031, 3, 4, 6, tzinfo=timezone.utc)  # an invented attack in an invented town
TOPICS = ("Budget talks", "Football results", "Weather warning", "Stock markets", "School reopening", "Train strike")
WHO = ("Officials", "Analysts", "The ministry", "Reporters")
FILLER = [StoredItem(f"Item{n}: {topic}", f"{who} said that {topic.lower()} would continue.",
                     T0 - timedelta(hours=40) + timedelta(minutes=5 * n), f"Filler {n % 5}")
          for n, (topic, who) in enumerate([(t, w) for t in TOPICS for w in WHO] * 10)]
ATTACK = [
    StoredItem("Gunmen kill 14 at Zorvath market in Kessaly province",
               "At least 14 people were killed when gunmen opened fire at the Zorvath market, officials said.",
               T0, "Wire One", story_id=101),
    StoredItem("Zorvath market attack: toll rises in Kessaly",
               "Hospital sources in Kessaly said 21 people were killed at the Zorvath market.",
               T0 + timedelta(hours=2), "Daily Two", story_id=102),
    StoredItem("Mourning in Kessaly after Zorvath market shooting",
               "Residents of Zorvath buried their dead; 21 killed, according to the governor of Kessaly.",
               T0 + timedelta(hours=4), "Radio Three", story_id=103),
]
AT = T0 + timedelta(hours=5)


def test_three_outlets_within_hours_with_a_figure_make_one_suggestion_with_its_track_line():
    found = suggest(FILLER + ATTACK, AT)
    assert len(found) == 1
    s = found[0]
    assert set(s.name.split()) <= {"Zorvath", "Kessaly"} and "Zorvath" in s.name
    assert s.first_seen == T0 and s.outlets == ["Wire One", "Daily Two", "Radio Three"]
    assert any("14" in f for f in s.figures) and any("21" in f for f in s.figures)
    assert s.track_line.startswith(f"/incident track {s.name} keywords: ")
    assert "zorvath" in s.track_line and s.track_line.endswith("since: 2031-03-04")
    text = render_suggestions(found, AT)
    assert s.track_line in text and "Wire One" in text


def test_two_outlets_are_no_burst():
    assert suggest(FILLER + ATTACK[:2], AT) == []


def test_copies_of_one_wire_story_are_one_report():
    copies = [replace(item, story_id=101) for item in ATTACK]
    assert suggest(FILLER + copies, AT) == []


def test_an_event_already_matched_to_a_tracked_incident_is_no_suggestion():
    attack = [ATTACK[0], replace(ATTACK[1], matched=True), ATTACK[2]]
    assert suggest(FILLER + attack, AT) == []


def test_items_older_than_48_hours_are_not_read():
    assert suggest(FILLER + ATTACK, AT + timedelta(hours=49)) == []


def test_no_figure_no_suggestion():
    quiet = [replace(item, title=item.title.replace("Gunmen kill 14 at", "Crowds gather at"),
                     summary="Residents of Zorvath in Kessaly gathered at the market.") for item in ATTACK]
    assert suggest(FILLER + quiet, AT) == []


def _store(db, items: list[StoredItem]) -> list[int]:
    db["feeds"].insert({"id": "wire", "url": "https://wire.example/rss", "interval_seconds": 600})
    ids = []
    with writing(db):
        for n, s in enumerate(items):
            story = insert_story(db, link=f"https://x.example/{n}", fingerprint=f"f{n}", title=s.title,
                                 seen_at="2031-03-04T00:00:00Z", signature=None, band_keys=[])
            item = Item(feed_id="wire", guid=f"g{n}", link=f"https://x.example/{n}", title=s.title, summary=s.summary,
                        content="", author=None, published=s.published, published_is_first_seen=False, lang="en",
                        outlet=s.outlet)
            ids.append(insert_item(db, item, story_id=story, fingerprint=f"f{n}", seen_at="2031-03-04T00:00:00Z",
                                   backlog=False))
    return ids


def test_the_desk_answers_suggest_from_what_is_stored_and_a_match_silences_it(db):
    ids = _store(db, FILLER + ATTACK)
    desk = Desk(db)
    text = desk.suggest(AT)
    assert text.count("/incident track ") == 1 and "since: 2031-03-04" in text
    reply = desk.ask("/incident suggest")  # now: routed like every command, nothing stored near today
    assert reply.ok and "emerging incident" in reply.text.lower()
    assert "suggest" in desk.ask("/incident help").text
    incident_id = insert_incident(db, Incident(slug="zorvath", name="Zorvath attack", since=date(2031, 3, 4)))
    with writing(db):
        record_match(db, incident_id=incident_id, item_id=ids[-1], story_id=0, score=1.0, terms=["zorvath"])
    assert "No emerging incident" in desk.suggest(AT.isoformat())


def test_a_suggestions_key_stays_the_same_as_the_burst_grows():
    (first,) = suggest(FILLER + ATTACK, AT)
    more = [StoredItem(f"Zorvath market: {n} more victims named in Kessaly",
                       f"At least {22 + n} people were killed at the Zorvath market in Kessaly, officials said.",
                       AT + timedelta(minutes=20 * n), f"Outlet {n}", story_id=200 + n) for n in range(4)]
    (grown,) = suggest(FILLER + ATTACK + more, AT + timedelta(hours=2))
    assert grown.items > first.items and len(grown.outlets) > len(first.outlets)
    assert grown.key == first.key == "2031-03-04:s101"
    # without story ids (not stored yet): a digest of the first item, the same each time
    bare = [replace(item, story_id=None) for item in ATTACK]
    assert suggest(FILLER + bare, AT)[0].key == suggest(FILLER + bare + more, AT + timedelta(hours=2))[0].key
    other = suggest(FILLER + [replace(bare[0], outlet="Wire Two"), *bare[1:]], AT)[0]
    assert other.key != suggest(FILLER + bare, AT)[0].key


def test_before_any_toll_three_outlets_reporting_an_attack_are_a_suggestion():
    from bot.incidents.gazetteer import load_gazetteer

    early = [replace(ATTACK[0], title="Gunfire and explosions at Zorvath market in Kessaly",
                     summary="Heavy gunfire was heard near the Zorvath market of Kessaly this morning."),
             replace(ATTACK[1], title="Attack on Zorvath market in Kessaly",
                     summary="Armed men attacked the Zorvath market in Kessaly, witnesses said."),
             replace(ATTACK[2], title="Zorvath: jihadists claim the attack on the Kessaly market",
                     summary="A jihadist group claimed the assault on the Zorvath market in Kessaly.")]
    gazetteer = load_gazetteer()
    found = suggest(FILLER + early, AT, gazetteer=gazetteer)
    assert len(found) == 1 and "Zorvath" in found[0].name and found[0].figures == []
    quiet = [replace(item, title=f"Crowds gather at Zorvath market in Kessaly ({n})",
                     summary="Residents of Zorvath in Kessaly gathered at the market.") for n, item in enumerate(ATTACK)]
    assert suggest(FILLER + quiet, AT, gazetteer=gazetteer) == []
