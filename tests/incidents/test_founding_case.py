"""The founding case end to end: the seed articles as feeds, Bamako tracked, the toll an editor gets."""

import pytest

from bot.demo import seed_feeds_yaml, seed_routes
from bot.incidents.desk import Desk
from bot.demo.localserver import LocalServer, Response
from bot.models import FeedConfig
from bot.ingest.pipeline import poll_feed
from bot.ingest.poller import poll_all
from bot.incidents.toll import compute_toll
from db.feeds import active_feeds, sync_file_feeds
from db.ledger import ledger_entries
from bot.config import parse_feeds_yaml
from tests.conftest import rss

TRACK = ("/incident track Bamako attacks keywords: bamako, gendarmerie school, JNIM since: 2024-09-17 "
         "channel: #mali-desk")


@pytest.fixture
def seeds():
    with LocalServer(seed_routes()) as server:
        yield server


def poll_seeds(db, client, settings, server):
    sync_file_feeds(db, parse_feeds_yaml(seed_feeds_yaml(f"http://127.0.0.1:{server.port}")))
    poll_all(db, client, active_feeds(db), settings=settings)


@pytest.fixture
def desk(db):
    return Desk(db)


def toll_of(db, slug="bamako-attacks"):
    (row,) = db.query("select id from incidents where slug = ?", [slug])
    return compute_toll(ledger_entries(db, row["id"]))


def figure(toll, metric, source):
    standing = toll.get(metric).standing(source)
    return standing and (standing.figure.qualifier, standing.figure.value, tuple(
        (f.qualifier, f.value) for f in standing.previous))


def check_founding_toll(db):
    toll = toll_of(db)
    assert figure(toll, "killed", "official")[:2] == ("exact", 77)
    assert figure(toll, "injured", "official")[:2] == ("exact", 255)
    assert figure(toll, "killed", "security_sources") == ("more_than", 75, (("more_than", 70),))
    assert figure(toll, "injured", "security_sources") == ("more_than", 250, (("about", 200),))
    assert figure(toll, "killed", "leaked_documents")[:2] == ("up_to", 100)
    named = toll.get("named_victims")
    assert {s.figure.value for s in named.standings} == {81}
    claim = toll.get("killed_or_injured")
    assert [(s.source, s.figure.vague) for s in claim.apart] == [("perpetrator_claim", "hundreds")]
    assert claim.standings == ()  # the armed group's claim is never inside the range
    assert toll.get("killed").leading.figure.value == 77


def test_tracked_first_then_polled_gives_the_founding_toll(db, client, settings, seeds, desk):
    assert desk.ask(TRACK).ok
    poll_seeds(db, client, settings, seeds)
    outcome = desk.processor.process_pending()
    assert outcome.matches == 4
    check_founding_toll(db)
    reply = desk.ask("/incident bamako toll")
    assert "77" in reply.text and "255" in reply.text and "more than 75" in reply.text
    assert reply.text.index("Claimed by the armed group") > reply.text.index("Range")


def test_tracked_after_the_fact_looks_back_and_gives_the_same_toll(db, client, settings, seeds, desk):
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    reply = desk.ask(TRACK)
    assert "4 stored item(s) matched" in reply.text
    check_founding_toll(db)
    # Looking back records its alerts without posting them: no flood when tracking an old story.
    statuses = {row["status"] for row in db.query("select status from outbox")}
    assert statuses == {"recorded"}


def test_the_kati_article_is_not_in_the_bamako_sources(db, client, settings, seeds, desk):
    desk.ask(TRACK)
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    sources = desk.ask("/incident bamako sources").text
    assert "Mali Junta Faces Scrutiny After Attack Near Bamako" not in sources
    assert sources.count("Sahel Wire") == 2 and "TRT Afrika" in sources


def test_timeline_is_in_publication_order(db, client, settings, seeds, desk):
    desk.ask(TRACK)
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    times = [c.when for c in toll_of(db).timeline]
    assert times == sorted(times) and len(times) >= 10


def test_rerunning_a_poll_and_processing_makes_no_second_alert(db, client, settings, seeds, desk):
    desk.ask(TRACK)
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    before = db["outbox"].count
    db.execute("update items set processed_at = null")  # as if the process died before marking them
    db.conn.commit()
    desk.processor.process_pending()
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    assert db["outbox"].count == before > 0


def test_official_toll_rises_from_70_to_77_one_alert(db, client, settings, server, desk):
    desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17")
    wire = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600)
    db["feeds"].insert({"id": "wire", "url": wire.url, "interval_seconds": 600})
    story = {"title": "Bamako attack", "guid": "b1", "pubDate": "Wed, 18 Sep 2024 10:00:00 GMT",
             "description": "The army said 70 people were killed in the attack in Bamako."}
    server.routes["/wire.xml"] = Response(rss(story))
    poll_feed(db, client, wire, settings=settings)
    desk.processor.process_pending()
    server.routes["/wire.xml"] = Response(rss({**story, "description":
                                               "The army said 77 people were killed in the attack in Bamako."}))
    poll_feed(db, client, wire, settings=settings)
    desk.processor.process_pending()
    desk.processor.process_pending()
    rises = list(db.query("select * from outbox where kind = 'toll_change' and payload like '%rises%'"))
    assert len(rises) == 1 and "from 70 to 77" in rises[0]["payload"]
    assert figure(toll_of(db), "killed", "official")[:2] == ("exact", 77)
    statuses = [row["status"] for row in db.query("select status from claims order by id")]
    assert statuses == ["superseded", "current"]


def test_unknown_incident_gets_the_candidates_never_a_guess(db, desk):
    desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17")
    desk.ask("/incident track Bamako floods keywords: flood since: 2024-08-01")
    reply = desk.ask("/incident bamako toll")
    assert not reply.ok and set(reply.candidates) == {"bamako-attacks", "bamako-floods"}
    unknown = desk.ask("/incident kidal toll")
    assert not unknown.ok and "kidal" in unknown.text


def bamako_id(db):
    (row,) = db.query("select id from incidents where slug = 'bamako-attacks'")
    return row["id"]


def test_not_this_incident_detaches_the_item_recomputes_the_toll_and_is_remembered(db, client, settings, seeds,
                                                                                   desk):
    desk.ask(TRACK)
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    (item,) = db.query("select id from items where feed_id = 'actualnews'")
    assert figure(toll_of(db), "killed", "leaked_documents") is not None
    desk.detach(bamako_id(db), item["id"], user="U_EDITOR")
    assert figure(toll_of(db), "killed", "leaked_documents") is None
    db.execute("update items set processed_at = null")
    db.conn.commit()
    desk.processor.process_pending()  # re-reading the item does not re-attach it
    assert figure(toll_of(db), "killed", "leaked_documents") is None
    (entry,) = db.query("select * from audit_log where action = 'not_this_incident'")
    assert entry["actor"] == "U_EDITOR"


def test_wrong_figure_leaves_the_toll_and_verified_shows_in_the_answer(db, client, settings, seeds, desk):
    desk.ask(TRACK)
    poll_seeds(db, client, settings, seeds)
    desk.processor.process_pending()
    (leak,) = db.query("select id from claims where source = 'leaked_documents' and metric = 'killed'")
    desk.judge_claim(leak["id"], verdict="wrong", user="U_EDITOR")
    assert figure(toll_of(db), "killed", "leaked_documents") is None
    official = list(db.query("select id from claims where source = 'official' and value = 77"))
    desk.judge_claim(official[0]["id"], verdict="verified", user="U_CHIEF")
    reply = desk.ask("/incident bamako toll")
    assert reply.verified[("killed", "official", "77")] == "U_CHIEF"
    import json

    from bot.slack.messages import with_blocks  # Slack draws the same answer as a table
    assert "verified by <@U_CHIEF>" in json.dumps(with_blocks(reply).blocks)


def test_the_slug_the_bot_printed_still_works_when_two_incidents_share_a_name(db, desk):
    first = desk.ask("/incident track Kati attack keywords: kati since: 2022-07-22")
    second = desk.ask("/incident track Kati attack keywords: kati since: 2024-03-01")
    assert "(kati-attack)" in first.text and "(kati-attack-2024-03-01)" in second.text
    assert desk.ask("/incident kati-attack toll").incident == "kati-attack"
    assert desk.ask("/incident kati-attack-2024-03-01").incident == "kati-attack-2024-03-01"
    assert set(desk.ask("/incident kati attack").candidates) == {"kati-attack", "kati-attack-2024-03-01"}
