"""/incident track on a large store answers at once; the look-back runs in the background, its progress in the thread."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone

from bot.incidents.desk import Desk
from bot.incidents.look_back import LOOK_BACK_KIND, LookBacks
from bot.models import Item
from db import open_database
from db.connection import writing
from db.items import insert_item, insert_story

ITEMS = 20_000
ABOUT = ITEMS // 4  # every fourth item is about the Portvale attack
TODAY = date(2031, 3, 6)
TRACK = "/incident track Portvale attack keywords: portvale since: 2031-03-01 channel: #desk"


def store(db, count: int) -> None:
    db["feeds"].insert({"id": "wire", "url": "https://wire.example/rss", "interval_seconds": 600})
    published = datetime(2031, 3, 4, 8, tzinfo=timezone.utc)
    with writing(db):
        for n in range(count):
            if n % 4 == 0:
                title, summary = (f"Attack in Portvale: {n % 50 + 3} killed",
                                  f"Gunmen attacked a market in Portvale, officials said; {n % 50 + 3} people were killed.")
            else:
                title, summary = f"Council debates budget {n}", f"The council of district {n} debated its budget."
            story = insert_story(db, link=f"https://x.example/{n}", fingerprint=f"f{n}", title=title,
                                 seen_at="2031-03-04T08:00:00Z", signature=None, band_keys=[])
            item = Item(feed_id="wire", guid=f"g{n}", link=f"https://x.example/{n}", title=title, summary=summary,
                        content="", author=None, published=published, published_is_first_seen=False, lang="en",
                        outlet="Wire")
            insert_item(db, item, story_id=story, fingerprint=f"f{n}", seen_at="2031-03-04T08:00:00Z", backlog=False)


def matched(db) -> int:
    return db.execute("select count(*) from matches where status = 'matched'").fetchone()[0]


def test_track_on_20000_items_answers_at_once_and_the_matches_come_afterwards(settings):
    db = open_database(settings.db_path)
    store(db, ITEMS)
    desk = Desk(db, look_backs=LookBacks(settings.db_path))
    desk.processor  # built before the clock starts, as the desk process does at start-up
    began = time.monotonic()
    reply = desk.ask(TRACK, user="U0EDITOR1", today=TODAY)
    took = time.monotonic() - began
    assert reply.ok and took < 2.0, (took, reply.text)
    assert "looking back through 5,000 stored items, progress in the thread" in reply.text
    assert desk.look_backs.idle.wait(120)
    assert matched(db) == ABOUT
    notes = [json.loads(r[0])["text"] for r in
             db.execute("select payload from outbox where kind = ? order by id", [LOOK_BACK_KIND])]
    assert notes[0].endswith("looked back through 1,000 of 5,000 items, 1,000 matched so far")
    assert notes[-1] == "portvale-attack: look-back done: 5,000 stored items, 5,000 matched."
    assert "Leading: " in desk.ask("/incident portvale toll").text


def test_without_since_the_background_look_back_sets_the_start_at_the_earliest_story(settings):
    db = open_database(settings.db_path)
    store(db, 3_000)
    desk = Desk(db, look_backs=LookBacks(settings.db_path))
    reply = desk.ask("/incident track Portvale attack keywords: portvale", today=TODAY)
    assert "from its earliest matching story of the last 7 days" in reply.text and "looking back" in reply.text
    assert desk.look_backs.idle.wait(60)
    assert db.execute("select since from incidents").fetchone()[0] == "2031-03-04"
    last = json.loads(db.execute("select payload from outbox where kind = ? order by id desc limit 1",
                                 [LOOK_BACK_KIND]).fetchone()[0])["text"]
    assert last.endswith("matched; it starts 2031-03-04, its earliest matching story.")


def test_a_small_look_back_still_answers_with_its_matches(settings):
    db = open_database(settings.db_path)
    store(db, 600)  # 150 about it: under SYNC_LOOK_BACK
    reply = Desk(db, look_backs=LookBacks(settings.db_path)).ask(TRACK, today=TODAY)
    assert "Now tracking" in reply.text and "150 stored item(s) matched" in reply.text
