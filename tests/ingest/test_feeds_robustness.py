"""Every hostile or broken feed of ../shared/corpus/feeds-robustness/, served over HTTP and polled for real.

Each file is served by a LocalServer on 127.0.0.1 (the `Header:` comment lines of
feedparser's test files become real HTTP response headers, as in feedparser's own
test harness) and polled through `poll_feed` into a temporary SQLite file. For
every file:

- the poll returns (no crash, no exception out of the pipeline) within a per-feed
  time bound, and the Python memory it allocates at its peak stays under a bound;
- every distinct entry that feedparser itself sees in the same bytes with the same
  headers is stored exactly once (see `entry_key` for what "distinct" means);
- a file in which feedparser sees no entries either stores nothing quietly (an
  empty but valid feed) or is recorded as a readable feed error (NotAFeed, a
  refused XML bomb), never a "parser crashed";
- a second poll stores nothing (the server answers 304 or the body hash matches),
  and a third poll forced to fetch and parse again (poll state wiped) stores and
  revises nothing either: guids are stable from one parse to the next.

The corpus is read in place (about 5,400 files, 23 MB); the test is skipped with a
message when ../shared/corpus is absent, as in a user's clone. Files are batched by
corpus folder; each batch collects every failing file and reports them all.
"""

from __future__ import annotations

import mimetypes
import multiprocessing
import json
import re
import resource
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest

from bot.demo.localserver import LocalServer, Response
from bot.models import FeedConfig
from bot.ingest.pipeline import poll_feed
from db.feeds import sync_file_feeds
from tests.conftest import SHARED_CORPUS

CORPUS = SHARED_CORPUS / "feeds-robustness"

# Bounds. A poll of one of these small files takes milliseconds; the bound is
# generous for a slow CI machine but far below what a hang or an exponential
# blow-up would take. The memory bound is on Python allocations during one poll
# (tracemalloc sees expat's buffers too: pyexpat allocates through PyMem).
PER_FEED_SECONDS = 10.0
PER_FEED_PEAK_BYTES = 64 * 1024 * 1024
PROCESS_RSS_GROWTH_BYTES = 128 * 1024 * 1024  # growth of the process's high-water mark in one batch

# Outcomes a poll may have; an error must be one of these readable reasons.
READABLE_ERRORS = re.compile(r"^(not a feed|empty body|refused)", re.I)

# feedparser's test harness turns these comment lines into HTTP response headers.
HEADER_LINE = re.compile(rb"^Header:[ \t]+([^:\r\n]+):[ \t]*(.*?)[ \t]*\r?$", re.M)


def _batches() -> list[str]:
    """Corpus folders two levels deep ('feedparser/wellformed', 'gofeed/testdata', ...), one test each."""
    if not CORPUS.is_dir():
        return []
    return sorted({str(p.relative_to(CORPUS).parent) if len(p.relative_to(CORPUS).parts) <= 2
                   else str(Path(*p.relative_to(CORPUS).parts[:2]))
                   for p in CORPUS.rglob("*") if p.is_file()})


BATCHES = _batches()


@dataclass
class CorpusFeed:
    path: Path
    body: bytes
    content_type: str
    headers: dict[str, str]  # the other response headers, from `Header:` lines
    feed: FeedConfig


def served_headers(body: bytes, path: Path) -> tuple[str, dict[str, str]]:
    """(Content-Type, other headers) to serve a corpus file with.

    `Header:` lines are sent as written. Without a Content-type line the type is
    guessed from the file name with no charset, as feedparser's harness does, so
    the document's own encoding declaration decides.
    """
    headers: dict[str, str] = {}
    for name, value in HEADER_LINE.findall(body):
        headers[name.decode("latin-1").strip()] = value.decode("latin-1")
    content_type = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"), None)
    if content_type is None:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return content_type, headers


def entry_key(entry) -> tuple:
    """What makes two entries of one document the same entry (feedparser's view, computed without bot code).

    An entry is identified by its own id (RSS guid, Atom id) when it has one:
    publishers re-send the same id for the same story, possibly with edited text
    (a revision, not a new entry). Without an id, by its link (the article it
    points to). With neither, by what it says: title, summary and date. Entries
    that share a key are one entry seen twice in the document, and must be
    stored once; entries with different keys must each be stored.
    """
    own = entry.get("id") or entry.get("guid")
    if own and str(own).strip():
        return ("id", str(own).strip())
    link = entry.get("link")
    if link and str(link).strip():
        return ("link", str(link).strip())
    return ("text", entry.get("title", ""), entry.get("summary", ""),
            entry.get("published") or entry.get("updated") or "")


def expected_entries(job: tuple[str, str, dict[str, str], str]) -> tuple[int, set[str]]:
    """(number of distinct entries, their own ids) as feedparser sees them in one served file.

    feedparser gets the bytes and the response headers the server sent, as in the
    bot, except Content-Location: the bot gives feedparser no base URL (ids stay as
    the publisher wrote them, so a feed moving to a new URL keeps its guids; links
    are resolved by the bot itself). Runs in worker processes: this reference
    parse expands XML bombs the bot refuses, and must not count against the memory
    bound of the process under test.
    """
    path, content_type, served, url = job
    body = Path(path).read_bytes()
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return _json_feed_entries(body)
    headers = {"content-type": content_type,
               **{k.lower(): v for k, v in served.items() if k.lower() != "content-location"}}
    parsed = feedparser.parse(Path(path).read_bytes(), response_headers=headers)
    keys = {entry_key(e) for e in parsed.entries}
    return len(keys), {k[1][:1000] for k in keys if k[0] == "id"}


def _json_feed_entries(body: bytes) -> tuple[int, set[str]]:
    """The same for a JSON document, read as the JSON Feed spec says (feedparser reads no JSON): items
    of a document whose version is https://jsonfeed.org/version/1.x, keyed by id, else url, else text."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except ValueError:
        return 0, set()
    version = str(document.get("version") or "") if isinstance(document, dict) else ""
    if not (version.startswith("https://jsonfeed.org/version/") or version in ("1", "1.0", "1.1")) or \
            not isinstance(document.get("items"), list):
        return 0, set()
    keys = set()
    for item in document["items"]:
        if not isinstance(item, dict):
            continue
        own = item.get("id")
        if own is not None and str(own).strip():
            keys.add(("id", str(own).strip()))
        elif item.get("url") or item.get("external_url"):
            keys.add(("link", str(item.get("url") or item.get("external_url")).strip()))
        else:
            keys.add(("text", item.get("title", ""), item.get("summary", ""), item.get("date_published", "")))
    return len(keys), {k[1][:1000] for k in keys if k[0] == "id"}


def load_batch(batch: str, server: LocalServer) -> list[CorpusFeed]:
    feeds = []
    for number, path in enumerate(sorted(p for p in (CORPUS / batch).rglob("*") if p.is_file())):
        body = path.read_bytes()
        content_type, headers = served_headers(body, path)
        route = f"/{number}/{quote(path.name)}"
        # A file that brings its own ETag header keeps it; LocalServer then does not invent one.
        has_etag = any(k.lower() == "etag" for k in headers)
        server.routes[route] = Response(body=body, content_type=content_type, headers=headers, etag=not has_etag)
        feeds.append(CorpusFeed(path=path, body=body, content_type=content_type, headers=headers,
                                feed=FeedConfig(id=f"f{number}", url=server.url(route), interval_seconds=600)))
    return feeds


def stored(db, feed_id: str) -> list[dict]:
    return list(db.query("select guid from items where feed_id = ?", [feed_id]))


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS} (it sits beside the checkout in CI)")
@pytest.mark.timeout(300)
@pytest.mark.parametrize("batch", BATCHES or ["(no corpus)"])
def test_every_corpus_feed_is_polled_safely_and_stored_once(batch, db, client, settings, server):
    feeds = load_batch(batch, server)
    assert feeds, f"no files under {CORPUS / batch}"
    sync_file_feeds(db, [f.feed for f in feeds])
    # The reference parses run on the other core while this process polls.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [(str(f.path), f.content_type, f.headers, f.feed.url) for f in feeds]
        expected_results = pool.map(expected_entries, jobs, chunksize=64)
        _poll_the_batch(batch, feeds, expected_results, db, client, settings)


def _poll_the_batch(batch, feeds, expected_results, db, client, settings):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    failures: list[str] = []
    totals = {"entries": 0, "errors": 0}
    slowest = (0.0, "")
    heaviest = (0, "")

    def poll(feed: CorpusFeed, round_name: str):
        nonlocal slowest, heaviest
        tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            result = poll_feed(db, client, feed.feed, settings=settings, force=True)
        except Exception as exc:  # poll_feed must never raise: record and carry on with the batch
            failures.append(f"{feed.path}: {round_name} poll raised {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]  # 0 when not tracing
        slowest = max(slowest, (elapsed, str(feed.path)))
        heaviest = max(heaviest, (peak, str(feed.path)))
        if elapsed > PER_FEED_SECONDS:
            failures.append(f"{feed.path}: {round_name} poll took {elapsed:.1f}s (bound {PER_FEED_SECONDS}s)")
        if peak > PER_FEED_PEAK_BYTES:
            failures.append(f"{feed.path}: {round_name} poll peaked at {peak / 2**20:.0f} MiB of Python memory")
        return result

    tracemalloc.start()
    try:
        # First poll: every distinct entry feedparser sees is stored once.
        for feed in feeds:
            result = poll(feed, "first")
            count, ids = next(expected_results)
            if result is None:
                continue
            totals["entries"] += count
            totals["errors"] += result.outcome == "error"
            guids = [row["guid"] for row in stored(db, feed.feed.id)]
            where = f"{feed.path}: first poll ({result.outcome}, {result.error or 'no error'})"
            if result.outcome == "error":
                if count:
                    failures.append(f"{where}: feedparser sees {count} entries but the poll failed")
                elif not READABLE_ERRORS.match(result.error or ""):
                    failures.append(f"{where}: not a readable feed error")
            elif result.outcome not in ("new", "unchanged"):
                failures.append(f"{where}: unexpected outcome")
            if len(guids) != count:
                failures.append(f"{where}: {len(guids)} items stored, feedparser sees {count} distinct entries")
            if len(set(guids)) != len(guids):
                failures.append(f"{where}: a guid is stored twice")
            if missing := ids - set(guids):
                failures.append(f"{where}: entry ids not stored: {sorted(missing)[:3]}")

        # Memory is traced on the first poll only, the one that parses each file the
        # first time (tracing doubles the cost of parsing; the third poll parses the same bytes).
        tracemalloc.stop()
        # Second poll: conditional GET or the body hash; nothing new either way.
        counts_before = {f.feed.id: len(stored(db, f.feed.id)) for f in feeds}
        for feed in feeds:
            result = poll(feed, "second")
            if result is not None and (result.new_ids or result.updated_ids):
                failures.append(f"{feed.path}: second poll stored {len(result.new_ids)} new, "
                                f"{len(result.updated_ids)} revised items")

        # Third poll, with the poll state wiped so the body is fetched and parsed again.
        with db.lock, db.atomic():
            db.execute("update feeds set etag = null, last_modified = null, body_hash = null")
        for feed in feeds:
            result = poll(feed, "re-parsing")
            if result is not None and (result.new_ids or result.updated_ids):
                failures.append(f"{feed.path}: parsing the same bytes again stored {len(result.new_ids)} new, "
                                f"{len(result.updated_ids)} revised items (unstable guid or text)")
        counts_after = {f.feed.id: len(stored(db, f.feed.id)) for f in feeds}
        if counts_after != counts_before:
            changed = [f.path for f in feeds if counts_after[f.feed.id] != counts_before[f.feed.id]]
            failures.append(f"item counts changed on later polls: {changed[:5]}")
        duplicates = list(db.query("select feed_id, guid, count(*) n from items group by feed_id, guid having n > 1"))
        if duplicates:
            failures.append(f"duplicate (feed, guid) rows: {duplicates[:5]}")
    finally:
        tracemalloc.stop()

    # The high-water mark of the whole process: it can only show growth above what
    # earlier tests already reached, so it backs up the per-poll bound above.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if rss - rss_before > PROCESS_RSS_GROWTH_BYTES:
        failures.append(f"process peak RSS grew by {(rss - rss_before) / 2**20:.0f} MiB during the batch")
    stored_total = db.execute("select count(*) from items").fetchone()[0]
    print(f"\n{batch}: {len(feeds)} files, {totals['entries']} distinct entries seen by feedparser, "
          f"{stored_total} items stored, {totals['errors']} readable feed errors; slowest poll {slowest[0]:.2f}s "
          f"({slowest[1]}); largest poll peak {heaviest[0] / 2**20:.1f} MiB ({heaviest[1]}); "
          f"process peak RSS {rss / 2**20:.0f} MiB")
    assert not failures, f"{len(failures)} problems in {batch}:\n" + "\n".join(failures)
