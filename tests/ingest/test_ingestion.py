"""Polling stores every new item exactly once, keeps revisions, and folds one story seen twice."""

from datetime import datetime, timezone

from bot.demo.localserver import Response
from bot.models import FeedConfig
from bot.ingest.pipeline import poll_feed
from tests.conftest import rss


def feed(server, feed_id="wire", path=None):
    return FeedConfig(id=feed_id, url=server.url(path or f"/{feed_id}.xml"), interval_seconds=600)


def register(db, *feeds):
    for f in feeds:
        db["feeds"].insert({"id": f.id, "url": f.url, "interval_seconds": f.interval_seconds,
                            "created_at": "2024-01-01T00:00:00Z"})


def items(db, **where):
    clause = " and ".join(f"{k} = ?" for k in where) or "1"
    return list(db.query(f"select * from items where {clause} order by id", list(where.values())))


STORY = {"title": "Attack in Bamako", "link": "https://news.example/bamako?utm_source=rss&id=7",
         "guid": "bamako-1", "pubDate": "Tue, 17 Sep 2024 09:30:00 +0200", "description": "More than 70 killed."}


def test_new_items_are_stored_once_and_a_second_poll_stores_nothing(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, {**STORY, "guid": "b-2", "title": "Second", "link": "https://x/2"}))
    first = poll_feed(db, client, wire, settings=settings)
    second = poll_feed(db, client, wire, settings=settings)
    assert (first.outcome, len(first.new_ids)) == ("new", 2)
    assert second.outcome == "not_modified" and second.new_ids == []
    assert len(items(db)) == 2


def test_identical_body_without_etag_is_not_parsed_again(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY), etag=False)
    poll_feed(db, client, wire, settings=settings)
    again = poll_feed(db, client, wire, settings=settings)
    assert again.outcome == "unchanged"


def test_item_fields_are_normalised(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss({**STORY, "description": "<p>More than <b>70</b> killed &amp; 200 hurt.</p>"}))
    poll_feed(db, client, wire, settings=settings)
    (row,) = items(db)
    assert row["link"] == "https://news.example/bamako?id=7"  # tracking parameter stripped
    assert row["published"] == "2024-09-17T07:30:00Z"  # +0200 converted to UTC
    assert row["published_is_first_seen"] == 0
    assert row["summary"] == "More than 70 killed & 200 hurt."
    assert row["guid"].endswith("bamako-1")  # a relative permalink guid is resolved against the feed URL


def test_an_entry_without_date_gets_its_first_seen_time_marked_as_such(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    undated = {k: v for k, v in STORY.items() if k != "pubDate"}
    server.routes["/wire.xml"] = Response(rss(undated))
    now = datetime(2024, 9, 18, 12, 0, tzinfo=timezone.utc)
    poll_feed(db, client, wire, settings=settings, now=now)
    (row,) = items(db)
    assert (row["published"], row["published_is_first_seen"]) == ("2024-09-18T12:00:00Z", 1)


def test_an_entry_without_guid_falls_back_to_its_link_then_its_content(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    no_guid = {k: v for k, v in STORY.items() if k != "guid"}
    bare = {"title": "Only a title", "description": "and text"}
    server.routes["/wire.xml"] = Response(rss(no_guid, bare))
    poll_feed(db, client, wire, settings=settings)
    guids = sorted(row["guid"] for row in items(db))
    assert guids[0] == "https://news.example/bamako?id=7"
    assert guids[1].startswith("sha1:")
    server.routes["/wire.xml"] = Response(rss(no_guid, bare, title="Same entries, new feed title"))
    assert poll_feed(db, client, wire, settings=settings).new_ids == []


def test_revised_article_is_kept_as_a_revision_and_flagged_updated(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY))
    poll_feed(db, client, wire, settings=settings)
    server.routes["/wire.xml"] = Response(rss({**STORY, "description": "The official toll rose to 77 killed."}))
    result = poll_feed(db, client, wire, settings=settings)
    (row,) = items(db)
    assert result.updated_ids == [row["id"]] and result.new_ids == []
    assert (row["updated"], row["revision"], row["summary"]) == (1, 2, "The official toll rose to 77 killed.")
    (old,) = db.query("select * from item_revisions where item_id = ?", [row["id"]])
    assert (old["revision"], old["summary"]) == (1, "More than 70 killed.")


def test_the_same_story_through_two_feeds_is_one_story_seen_twice(db, client, settings, server):
    wire, mirror = feed(server, "wire"), feed(server, "mirror")
    register(db, wire, mirror)
    server.routes["/wire.xml"] = Response(rss(STORY))
    server.routes["/mirror.xml"] = Response(rss({**STORY, "guid": "mirror-77",
                                                 "link": "https://news.example/bamako?id=7&utm_medium=x"}))
    poll_feed(db, client, wire, settings=settings)
    poll_feed(db, client, mirror, settings=settings)
    rows = items(db)
    assert len(rows) == 2 and rows[0]["story_id"] == rows[1]["story_id"]
    assert db["stories"].count == 1


def test_same_text_under_different_links_is_still_one_story(db, client, settings, server):
    wire, mirror = feed(server, "wire"), feed(server, "mirror")
    register(db, wire, mirror)
    server.routes["/wire.xml"] = Response(rss(STORY))
    server.routes["/mirror.xml"] = Response(rss({**STORY, "guid": "m1", "link": "https://other.example/copy"}))
    poll_feed(db, client, wire, settings=settings)
    poll_feed(db, client, mirror, settings=settings)
    assert db["stories"].count == 1


def test_full_text_search_finds_items_by_words_in_their_text(db, client, settings, server):
    from db.items import search_items

    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, {"title": "Passports", "guid": "p", "description": "New rules"}))
    poll_feed(db, client, wire, settings=settings)
    assert [r["title"] for r in search_items(db, text="killed")] == ["Attack in Bamako"]
    assert search_items(db, text='unbalanced " quote AND') == []  # a person's typing is never a syntax error


def test_search_follows_a_revised_text_and_marking_an_item_processed_leaves_the_index_alone(
        db, client, settings, server):
    from db.items import search_items

    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY))
    poll_feed(db, client, wire, settings=settings)
    index_pages = "select count(*), sum(length(block)) from items_fts_data"
    before = db.execute(index_pages).fetchone()
    db.execute("update items set processed_at = '2024-09-17T10:00:00Z'")
    assert db.execute(index_pages).fetchone() == before  # not re-indexed for a column it does not hold
    server.routes["/wire.xml"] = Response(rss({**STORY, "description": "The official toll rose to 77 killed."}))
    poll_feed(db, client, wire, settings=settings)
    assert [r["title"] for r in search_items(db, text="official toll")] == ["Attack in Bamako"]
    assert search_items(db, text="more than 70") == []


def test_a_url_answering_html_is_a_feed_error_with_a_reason_and_no_items(db, client, settings, server):
    page = feed(server, "page")
    register(db, page)
    server.routes["/page.xml"] = Response(b"<!doctype html><html><body>Welcome</body></html>", content_type="text/html")
    result = poll_feed(db, client, page, settings=settings)
    assert result.outcome == "error" and "HTML page" in result.error
    assert items(db) == []
    row = db["feeds"].get("page")
    assert row["consecutive_failures"] == 1 and "HTML page" in row["last_error"]


# --- entry blocks already read are not parsed again ---------------------------------------------------------

def _parsed_bodies(monkeypatch) -> list[bytes]:
    """Record the bytes feedparser is given from now on."""
    import bot.ingest.parse

    seen: list[bytes] = []
    original = bot.ingest.parse.feedparser.parse

    def spy(body, *args, **kwargs):
        seen.append(body)
        return original(body, *args, **kwargs)

    monkeypatch.setattr(bot.ingest.parse.feedparser, "parse", spy)
    return seen


OTHER = {"title": "Floods in Niamey", "link": "https://news.example/niamey", "guid": "niamey-1",
         "pubDate": "Tue, 17 Sep 2024 10:00:00 +0200", "description": "Rivers rose overnight."}
THIRD = {"title": "Port reopens", "link": "https://news.example/port", "guid": "port-1",
         "pubDate": "Tue, 17 Sep 2024 11:00:00 +0200", "description": "Ships are moving again."}


def test_an_unchanged_entry_in_a_new_version_of_the_feed_is_not_parsed_again_a_revised_one_is(
        db, client, settings, server, monkeypatch):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, OTHER))
    poll_feed(db, client, wire, settings=settings)
    seen = _parsed_bodies(monkeypatch)
    revised = {**STORY, "description": "The official toll rose to 77 killed."}
    server.routes["/wire.xml"] = Response(rss(THIRD, revised, OTHER, title="New feed title"))
    result = poll_feed(db, client, wire, settings=settings)
    (body,) = seen
    assert b"niamey-1" not in body  # byte-identical to the block read last time: cut before parsing
    assert b"bamako-1" in body and b"port-1" in body  # revised and new entries are parsed
    rows = {row["guid"].rsplit("/", 1)[-1]: row for row in items(db)}
    assert result.new_ids == [rows["port-1"]["id"]] and result.updated_ids == [rows["bamako-1"]["id"]]
    assert rows["bamako-1"]["summary"] == "The official toll rose to 77 killed."
    assert rows["niamey-1"]["revision"] == 1 and len(rows) == 3


def _with_view_counts(body: bytes, views: int) -> bytes:
    """The document as Al Jazeera's feed publishes it: Media RSS view counters in every entry."""
    body = body.replace(b'<rss version="2.0">', b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">')
    return body.replace(b"</item>", f'<media:statistics views="{views}"/><media:starRating count="{views // 10}"'
                                    f' average="4.4" min="1" max="5"/></item>'.encode())


def test_an_entry_whose_only_change_is_its_view_count_is_not_parsed_again(
        db, client, settings, server, monkeypatch):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(_with_view_counts(rss(STORY, OTHER), views=152))
    poll_feed(db, client, wire, settings=settings)
    seen = _parsed_bodies(monkeypatch)
    revised = {**STORY, "description": "The official toll rose to 77 killed."}
    server.routes["/wire.xml"] = Response(_with_view_counts(rss(revised, OTHER), views=169))
    result = poll_feed(db, client, wire, settings=settings)
    (body,) = seen
    assert b"niamey-1" not in body  # only its counters moved: cut before parsing
    assert b"bamako-1" in body  # its text changed: parsed, and revised
    rows = {row["guid"].rsplit("/", 1)[-1]: row for row in items(db)}
    assert result.updated_ids == [rows["bamako-1"]["id"]] and result.new_ids == []
    assert rows["niamey-1"]["revision"] == 1 and rows["niamey-1"]["summary"] == "Rivers rose overnight."


def test_the_same_bytes_parsed_again_with_no_poll_state_store_nothing_and_parse_no_entry(
        db, client, settings, server, monkeypatch):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, OTHER))
    poll_feed(db, client, wire, settings=settings)
    db.execute("update feeds set etag = null, body_hash = null")
    seen = _parsed_bodies(monkeypatch)
    result = poll_feed(db, client, wire, settings=settings)
    assert (result.outcome, result.new_ids, result.updated_ids) == ("unchanged", [], [])
    assert b"<item>" not in seen[0] and len(items(db)) == 2


def test_a_document_that_does_not_split_cleanly_into_entry_blocks_is_parsed_whole(
        db, client, settings, server, monkeypatch):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, OTHER))
    poll_feed(db, client, wire, settings=settings)
    seen = _parsed_bodies(monkeypatch)
    # Another element between two items: the blocks are not plain siblings, so nothing is cut.
    body = rss(STORY, OTHER, THIRD).replace(b"</item><item>", b"</item><docs>d</docs><item>", 1)
    server.routes["/wire.xml"] = Response(body)
    result = poll_feed(db, client, wire, settings=settings)
    assert seen == [body] and len(result.new_ids) == 1


def test_an_entry_twice_in_a_document_is_parsed_whole_when_one_copy_changes(db, client, settings, server,
                                                                             monkeypatch):
    wire = feed(server)
    register(db, wire)
    first = {**OTHER, "description": "First copy."}
    server.routes["/wire.xml"] = Response(rss(STORY, first))
    poll_feed(db, client, wire, settings=settings)
    seen = _parsed_bodies(monkeypatch)
    # The unchanged copy comes last: a whole parse lets it win (the last copy does), so nothing changes.
    body = rss(STORY, {**OTHER, "description": "Second copy."}, first)
    server.routes["/wire.xml"] = Response(body)
    result = poll_feed(db, client, wire, settings=settings)
    assert seen[-1] == body  # cut first, then parsed whole once the shared guid showed up
    assert result.updated_ids == [] and result.new_ids == []
    (row,) = items(db, guid=items(db)[1]["guid"])
    assert row["summary"] == "First copy."


def test_what_a_parse_read_is_remembered_in_the_poll_transaction_or_not_at_all(db, client, settings, server,
                                                                              monkeypatch):
    import bot.ingest.pipeline

    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, OTHER))

    def crash(*args, **kwargs):
        raise RuntimeError("killed mid-poll")

    with monkeypatch.context() as patch:
        patch.setattr(bot.ingest.pipeline, "_record", crash)
        try:
            poll_feed(db, client, wire, settings=settings)
        except RuntimeError:
            pass
    assert items(db) == [] and db.execute("select count(*) from feed_blocks").fetchone()[0] == 0
    result = poll_feed(db, client, wire, settings=settings)
    assert len(result.new_ids) == 2
    assert db.execute("select count(*) from feed_blocks").fetchone()[0] == 1


# --- near copies through the band-key index -----------------------------------------------------------------

WIRE_TEXT = ("Gunmen attacked a military post near the border town on Monday night, killing at least twelve "
             "soldiers and wounding several others, the defence ministry said in a statement on Tuesday, adding "
             "that reinforcements had been sent to the area and that a search for the attackers was under way.")


def test_a_near_copy_of_a_story_in_another_feed_joins_that_story(db, client, settings, server):
    wire, mirror = feed(server, "wire"), feed(server, "mirror")
    register(db, wire, mirror)
    server.routes["/wire.xml"] = Response(rss({"title": "Border post attacked", "guid": "w1",
                                               "link": "https://wire.example/1", "description": WIRE_TEXT}))
    server.routes["/mirror.xml"] = Response(rss({"title": "Soldiers killed at border post", "guid": "m1",
                                                 "link": "https://mirror.example/a",
                                                 "description": WIRE_TEXT + " Read more on our site."}))
    poll_feed(db, client, wire, settings=settings)
    poll_feed(db, client, mirror, settings=settings)
    rows = items(db)
    assert len(rows) == 2 and rows[0]["story_id"] == rows[1]["story_id"]
    # the first story's 32 band keys, in the small recent table until it fills
    counts = [db.execute(f"select count(*) from {t}").fetchone()[0] for t in ("story_bands_recent", "story_bands")]
    assert counts == [32, 0]


def test_recent_band_keys_move_to_the_main_table_when_it_fills_and_are_still_found(db, monkeypatch):
    import json

    from bot.incidents import stories as syndication
    from db import items as stored_items

    monkeypatch.setattr(stored_items, "RECENT_BAND_KEYS", 32)
    sig = syndication.signature(WIRE_TEXT)
    keys = [stored_items.band_key_columns(key) for key in syndication.band_keys(sig)]
    story = db.conn.execute("insert into stories (fingerprint, signature) values ('f', ?)", [json.dumps(sig)]).lastrowid
    db.conn.executemany("insert into story_bands_recent (key, band, story_id) values (?, ?, ?)",
                        [(*key, story) for key in keys])
    assert syndication.assign_story(sig, stored_items.near_copy_candidates(db, keys)) == story
    stored_items.settle_band_keys(db)
    counts = [db.execute(f"select count(*) from {t}").fetchone()[0] for t in ("story_bands_recent", "story_bands")]
    assert counts == [0, 32]
    assert syndication.assign_story(sig, stored_items.near_copy_candidates(db, keys)) == story


def _first_release_band_keys(sig) -> list[str]:
    """Band keys as the first release wrote them ('band:hex' of a blake2b of the band's values as text)."""
    import hashlib
    return [f"{band}:{hashlib.blake2b(f'{sig[2 * band]},{sig[2 * band + 1]}'.encode(), digest_size=8).hexdigest()}"
            for band in range(len(sig) // 2)]


def test_band_keys_stored_by_older_releases_are_rebuilt_and_the_story_is_still_found(tmp_path):
    from bot.incidents import stories as syndication
    from db import open_database
    from db.items import near_copy_candidates
    from db.migrations import migrations

    db = open_database(tmp_path / "old.db", migrate=False)
    migrations.apply(db, stop_before="m007_compact_story_bands")
    sig = syndication.signature(WIRE_TEXT)
    import json
    story = db["stories"].insert({"canonical_link": "https://wire.example/1", "fingerprint": "f", "title": "t",
                                  "first_seen_at": "2024-01-01T00:00:00Z", "signature": json.dumps(sig)}).last_pk
    for key in _first_release_band_keys(sig):
        db["story_bands"].insert({"band_key": key, "story_id": story})
    migrations.apply(db)
    keys = syndication.band_key_ints(sig)
    assert sorted(db.execute("select key, band from story_bands").fetchall()) == sorted(keys)
    assert db.execute("select count(*) from story_bands_recent").fetchone()[0] == 0
    copy = syndication.signature(WIRE_TEXT + " Reporting by the wire.")
    assert syndication.assign_story(copy, near_copy_candidates(db, syndication.band_key_ints(copy))) == story


def test_an_entry_back_in_the_window_of_the_feed_is_not_parsed_again_unless_revised_meanwhile(
        db, client, settings, server, monkeypatch):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, OTHER))
    poll_feed(db, client, wire, settings=settings)
    revised = {**OTHER, "description": "The river has fallen."}
    server.routes["/wire.xml"] = Response(rss(revised))  # STORY leaves the window, OTHER is revised
    assert len(poll_feed(db, client, wire, settings=settings).updated_ids) == 1
    seen = _parsed_bodies(monkeypatch)
    server.routes["/wire.xml"] = Response(rss(STORY, OTHER))  # both back as first read
    result = poll_feed(db, client, wire, settings=settings)
    assert b"bamako-1" not in seen[0]  # remembered from two versions ago, untouched since: cut
    assert b"niamey-1" in seen[0]  # its stored text changed meanwhile: parsed, and revised back
    (row,) = items(db, summary="Rivers rose overnight.")
    assert result.updated_ids == [row["id"]] and row["revision"] == 3
