"""Replay 18 months of five real feeds through the real pipeline, poll by poll, and time it.

    .venv/bin/python bench/bench_replay.py [--corpus ../shared/corpus/replay] [--limit N]

A LocalServer in a child process (the publisher) serves each feed at a fixed URL;
the bench advances one feed to its next version (files sorted by name = commit
time) and polls it. Three readers are timed on every version, interleaved so that
a busy machine slows them alike:

- the pipeline: `poll_feed` (httpx fetch, body hash, parse, store in SQLite);
- the typical RSS bot: `feedparser.parse(url)` on every poll, then a guid lookup
  in its own SQLite table;
- bare feedparser: `feedparser.parse` on the same bytes and headers, nothing else.

Then it polls the unchanged feeds many times (304 answers, then identical bodies
from a server ignoring conditional GET) and counts polls per second. See
bench/README.md for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import feedparser  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.ingest.fetch import make_client  # noqa: E402
from bot.models import FeedConfig  # noqa: E402
import bot.ingest.pipeline  # noqa: E402
from bot.ingest.pipeline import poll_feed  # noqa: E402
from bot.ingest.poller import poll_all  # noqa: E402
from db import open_database  # noqa: E402
from db.feeds import sync_file_feeds  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "replay"
CONTENT_TYPE = "application/rss+xml"  # no charset: the documents' own XML declarations decide
TARGET_RATIO = 0.75
TARGET_UNCHANGED_PER_SECOND = 1000
TARGET_PEAK_MB = 150


# --- the publisher: a LocalServer in its own process --------------------------------------------------------

def _publisher(root: str, feeds: list[str], versions, etag_on, ready) -> None:
    """Serve /<feed>.xml at the version index in `versions[i]`; runs until the parent kills it."""
    sys.path.insert(0, str(REPO))
    from bot.demo.localserver import LocalServer, Response

    files = {name: sorted((Path(root) / name).iterdir()) for name in feeds}
    cache: dict[tuple[str, int], bytes] = {}

    def route_for(index: int, name: str):
        def route(request) -> None:
            version = versions[index]
            body = cache.get((name, version))
            if body is None:
                body = cache[(name, version)] = files[name][version].read_bytes()
            request._send(Response(body, content_type=CONTENT_TYPE, etag=bool(etag_on.value)))
        return route

    server = LocalServer({f"/{name}.xml": route_for(i, name) for i, name in enumerate(feeds)})
    with server:
        ready.put(server.port)
        while True:
            time.sleep(3600)


# --- the three readers ----------------------------------------------------------------------------------------

class TypicalBot:
    """What most RSS bots do: feedparser fetches the URL itself, then each guid is looked up."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path)
        self.conn.execute("create table if not exists seen (feed text, guid text, primary key (feed, guid))")

    def poll(self, feed: str, url: str) -> int:
        parsed = feedparser.parse(url)
        new = 0
        for entry in parsed.entries:
            guid = entry.get("id") or entry.get("link") or entry.get("title")
            if not guid:
                continue
            if self.conn.execute("select 1 from seen where feed = ? and guid = ?", (feed, guid)).fetchone() is None:
                self.conn.execute("insert into seen values (?, ?)", (feed, guid))
                new += 1
        self.conn.commit()
        return new


def entry_key(entry) -> tuple:
    """An entry's identity as feedparser shows it (own id, else link, else text): for the expected item count."""
    own = entry.get("id") or entry.get("guid")
    if own and str(own).strip():
        return ("id", str(own).strip())
    if entry.get("link"):
        return ("link", entry["link"].strip())
    return ("text", entry.get("title", ""), entry.get("summary", ""), entry.get("published", ""))


@dataclass
class Timer:
    seconds: float = 0.0
    cpu: float = 0.0
    calls: int = 0

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._wall
        self.cpu += time.thread_time() - self._cpu
        self.calls += 1


@dataclass
class Figures:
    versions: int = 0
    pipeline: Timer = field(default_factory=Timer)
    typical: Timer = field(default_factory=Timer)
    bare: Timer = field(default_factory=Timer)
    new_items: int = 0
    typical_new: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    expected: dict[str, set] = field(default_factory=dict)
    stages: dict[str, Timer] = field(default_factory=dict)


STAGES: dict[str, Timer] = {}


def _timed(name: str, function):
    """Wrap a pipeline stage to add its CPU and wall time to STAGES[name] (where the time goes)."""
    timer = STAGES.setdefault(name, Timer())

    def wrapper(*args, **kwargs):
        with timer:
            return function(*args, **kwargs)
    return wrapper


def instrument() -> None:
    bot.ingest.pipeline.fetch = _timed("fetch (httpx, size cap, decompression)", bot.ingest.pipeline.fetch)
    bot.ingest.pipeline.ingest_fetched = _timed("ingest = parse + store + COMMIT", bot.ingest.pipeline.ingest_fetched)
    bot.ingest.pipeline.parse_feed = _timed("  parse (feedparser + plain text)", bot.ingest.pipeline.parse_feed)
    bot.ingest.pipeline.store_items = _timed("  store (items, stories, FTS rows)", bot.ingest.pipeline.store_items)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="replay folder (one sub-folder per feed)")
    parser.add_argument("--limit", type=int, default=0, help="replay only the first N versions (0: all)")
    parser.add_argument("--unchanged-polls", type=int, default=3000,
                        help="polls of unchanged feeds per kind (304, identical body)")
    parser.add_argument("--no-typical", action="store_true", help="skip the typical-bot reader")
    parser.add_argument("--copies", type=int, default=8,
                        help="feeds per replay feed in the concurrent unchanged-poll test (default 8)")
    parser.add_argument("--parse-workers", type=int, default=0,
                        help="then replay again as the bot does (poll_all, ingest worker), with 1 and with N parse "
                             "processes side by side (0: skip)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"replay corpus not found at {args.corpus} (it sits beside the checkout: ../shared/corpus/replay)")
        return 2

    names = sorted(p.name for p in args.corpus.iterdir() if p.is_dir())
    files = {name: sorted((args.corpus / name).iterdir()) for name in names}
    # Every version of every feed, in time order (file name = commit time).
    timeline = sorted(((path.name, i, index) for i, name in enumerate(names)
                       for index, path in enumerate(files[name])))
    if args.limit:
        timeline = timeline[:args.limit]

    context = multiprocessing.get_context("spawn")
    versions = context.Array("i", [0] * len(names), lock=False)
    etag_on = context.Value("b", 1, lock=False)
    ready = context.Queue()
    publisher = context.Process(target=_publisher, args=(str(args.corpus), names, versions, etag_on, ready),
                                daemon=True)
    publisher.start()
    try:
        port = ready.get(timeout=60)
        with tempfile.TemporaryDirectory(prefix="bench-replay-") as workdir:  # two databases, gone afterwards
            return run(args, names, files, timeline, versions, etag_on, port, workdir)
    finally:
        publisher.kill()
        publisher.join()


def run(args, names, files, timeline, versions, etag_on, port, workdir: str) -> int:
    # One local server stands in for many publishers: no per-host limit or gap (Settings.per_host, host_gap).
    settings = replace(load_settings(db=os.path.join(workdir, "bench.db"), feeds=os.path.join(workdir, "feeds.yaml"),
                                     environ={}), per_host=1_000, host_gap=0.0)
    db = open_database(settings.db_path)
    feeds = [FeedConfig(id=name, url=f"http://127.0.0.1:{port}/{name}.xml", interval_seconds=600) for name in names]
    sync_file_feeds(db, feeds)
    typical = TypicalBot(os.path.join(workdir, "typical.db"))
    try:  # both databases closed before their folder is removed
        instrument()
        figures = Figures(expected={name: set() for name in names})
        rss_start = peak_rss_mb()

        print(f"replaying {len(timeline)} versions of {len(names)} feeds from {args.corpus}")
        with make_client(settings) as client:
            for step, (_, i, index) in enumerate(timeline, 1):
                versions[i] = index
                feed = feeds[i]
                with figures.pipeline:
                    result = poll_feed(db, client, feed, settings=settings, force=True)
                figures.new_items += len(result.new_ids)
                figures.outcomes[result.outcome] = figures.outcomes.get(result.outcome, 0) + 1
                if not args.no_typical:
                    with figures.typical:
                        figures.typical_new += typical.poll(feed.id, feed.url)
                body = files[names[i]][index].read_bytes()
                with figures.bare:
                    parsed = feedparser.parse(body, response_headers={"content-type": CONTENT_TYPE})
                figures.expected[feed.id].update(entry_key(e) for e in parsed.entries)
                del parsed, body
                if step % 200 == 0:
                    print(f"  {step}/{len(timeline)} versions, {figures.new_items} new items", flush=True)
            figures.versions = len(timeline)
            rss_after_replay = peak_rss_mb()
            figures.stages = {name: replace(timer) for name, timer in STAGES.items()}  # the replay's share only

            # Unchanged feeds: every feed stays at its last version and is polled again and again.
            unchanged = {}
            for kind, etag in (("304 Not Modified", 1), ("identical body", 0)):
                etag_on.value = etag
                for feed in feeds:  # one poll each to settle the feed's state (ETag, body hash)
                    poll_feed(db, client, feed, settings=settings, force=True)
                counts: dict[str, int] = {}
                started = time.perf_counter()
                for n in range(args.unchanged_polls):
                    result = poll_feed(db, client, feeds[n % len(feeds)], settings=settings, force=True)
                    counts[result.outcome] = counts.get(result.outcome, 0) + 1
                unchanged[kind] = (args.unchanged_polls / (time.perf_counter() - started), counts)

            # The same, the way the bot runs: many feeds, poll_all with max_concurrent_fetches at a time.
            etag_on.value = 1
            copies = [FeedConfig(id=f"{f.id}-{n}", url=f.url, interval_seconds=600) for n in range(args.copies)
                      for f in feeds]
            sync_file_feeds(db, feeds + copies)
            poll_all(db, client, copies, settings=settings)
            counts, polls = {}, 0
            started = time.perf_counter()
            while polls < args.unchanged_polls:
                for result in poll_all(db, client, copies, settings=settings):
                    counts[result.outcome] = counts.get(result.outcome, 0) + 1
                polls += len(copies)
            unchanged[f"304, {settings.max_concurrent_fetches} at a time"] = (polls / (time.perf_counter() - started),
                                                                              counts)

        report(db, figures, unchanged, rss_start, rss_after_replay, args)
        if args.parse_workers:
            pool_replay(args, feeds, timeline, versions, settings, workdir)
        return 0
    finally:
        db.close()
        typical.conn.close()


def report(db, figures: Figures, unchanged, rss_start, rss_after_replay, args) -> None:
    # Counted on the replayed feeds only (the concurrent test adds copies of them afterwards).
    names = sorted(figures.expected)
    only = f"feed_id in ({','.join('?' * len(names))})"
    stored = db.execute(f"select count(*) from items where {only}", names).fetchone()[0]
    duplicates = db.execute("select count(*) from (select feed_id, guid from items group by feed_id, guid"
                            " having count(*) > 1)").fetchone()[0]
    same_link = db.execute(f"select count(*) from (select feed_id, link from items where link is not null and {only}"
                           " group by feed_id, link having count(*) > 1)", names).fetchone()[0]
    revisions = db.execute(f"select count(*) from item_revisions where item_id in (select id from items where {only})",
                           names).fetchone()[0]
    expected = sum(len(keys) for keys in figures.expected.values())
    per_feed = {row[0]: row[1] for row in db.execute(f"select feed_id, count(*) from items where {only}"
                                                      " group by feed_id", names)}

    e2e_rate = figures.new_items / figures.pipeline.seconds
    bare_rate = figures.new_items / figures.bare.seconds
    typical_rate = figures.new_items / figures.typical.seconds if figures.typical.calls else float("nan")
    e2e_cpu_rate = figures.new_items / figures.pipeline.cpu
    bare_cpu_rate = figures.new_items / figures.bare.cpu
    peak = peak_rss_mb()

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print(f"versions replayed           {figures.versions:>10,}   poll outcomes: {figures.outcomes}")
    print(f"items stored                {stored:>10,}   (feedparser sees {expected:,} distinct entries; per feed {per_feed})")
    print(f"duplicates stored           {duplicates:>10,}   (same feed and guid twice, SQL over all feeds)  {verdict(duplicates == 0)}")
    print(f"  same link twice in a feed {same_link:>10,}   (different guids, one article: publisher changed the guid)")
    print(f"  revisions kept            {revisions:>10,}   (title or text changed under the same guid)")
    print(f"new items/s end to end      {e2e_rate:>10,.0f}   ({figures.pipeline.seconds:.1f} s wall for {figures.versions} polls; "
          f"{e2e_cpu_rate:,.0f}/s per CPU second)")
    print(f"new items/s bare feedparser {bare_rate:>10,.0f}   ({figures.bare.seconds:.1f} s parsing the same bytes; "
          f"{bare_cpu_rate:,.0f}/s per CPU second)")
    if figures.typical.calls:
        print(f"new items/s typical RSS bot {typical_rate:>10,.0f}   ({figures.typical.seconds:.1f} s: feedparser.parse(url) "
              f"+ guid lookup; it found {figures.typical_new:,} new)")
    ratio, cpu_ratio = e2e_rate / bare_rate, e2e_cpu_rate / bare_cpu_rate
    print(f"ratio end to end / bare     {ratio:>10.2f}   (CPU time: {cpu_ratio:.2f}; target >= {TARGET_RATIO})  "
          f"{verdict(ratio >= TARGET_RATIO)}")
    if figures.typical.calls:
        print(f"ratio end to end / typical  {e2e_rate / typical_rate:>10.2f}")
    for kind, (rate, counts) in unchanged.items():
        print(f"unchanged polls/s, {kind:<17}{rate:>7,.0f}   {counts}  "
              f"{verdict(rate >= TARGET_UNCHANGED_PER_SECOND)}")
    print("where the pipeline's time went during the replay (CPU seconds; wall seconds):")
    for name, timer in figures.stages.items():
        print(f"  {name:<38} {timer.cpu:6.1f} CPU s {timer.seconds:6.1f} s  ({timer.calls} calls)")
    print(f"  {'bare feedparser, for comparison':<38} {figures.bare.cpu:6.1f} CPU s {figures.bare.seconds:6.1f} s")
    print(f"peak memory (RSS)           {peak:>10.0f} MB (after the replay {rss_after_replay:.0f} MB; at start "
          f"{rss_start:.0f} MB; target < {TARGET_PEAK_MB})  {verdict(peak < TARGET_PEAK_MB)}")


def cpu_seconds(pids) -> float:
    """User + system CPU time of running processes (Linux /proc; nan elsewhere)."""
    try:
        ticks = sum(sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]))
                    for pid in pids)
    except OSError:
        return float("nan")
    return ticks / os.sysconf("SC_CLK_TCK")


def pool_replay(args, feeds, timeline, versions, settings, workdir: str) -> None:
    """The replay in rounds (each feed's next version, the five polled at once by poll_all) through the bot's
    ingest: parse pool of 1 vs of N processes, one writer each, every round timed for both in turn."""
    from bot.ingest.worker import IngestWorker

    per_feed = [[index for _, i, index in timeline if i == n] for n in range(len(feeds))]
    runs = {}
    for workers in sorted({1, args.parse_workers}):
        path = os.path.join(workdir, f"pool-{workers}.db")
        db = open_database(path)
        sync_file_feeds(db, feeds)
        worker = IngestWorker(path, parse_workers=workers)
        worker.parse_pool.start()
        worker.process_pending(limit=0)  # the writer started too
        runs[workers] = [db, worker, 0.0, 0, cpu_seconds(worker._child.pids()), cpu_seconds(worker.parse_pool.pids())]
    print(f"\nreplaying again in {max(map(len, per_feed))} rounds through poll_all, parse pool of {sorted(runs)}")
    try:
        with make_client(settings) as client:
            for round_ in range(max(map(len, per_feed))):
                for n, indexes in enumerate(per_feed):
                    versions[n] = indexes[min(round_, len(indexes) - 1)] if indexes else 0
                for workers in (sorted(runs) if round_ % 2 else sorted(runs, reverse=True)):  # in turn
                    run_ = runs[workers]
                    started = time.perf_counter()
                    results = poll_all(run_[0], client, feeds, settings=settings, ingest=run_[1])
                    run_[2] += time.perf_counter() - started
                    run_[3] += sum(len(r.new_ids) for r in results)
        for workers, (db, worker, seconds, new, writer_start, parsers_start) in runs.items():
            stored = db.execute("select count(*) from items").fetchone()[0]
            twice = db.execute("select count(*) from (select feed_id, guid from items group by feed_id, guid"
                               " having count(*) > 1)").fetchone()[0]
            print(f"  {workers} parse process(es): {new / seconds:>7,.0f} new items/s  ({seconds:.1f} s wall; "
                  f"{stored:,} items stored, {twice} twice; CPU s: writer (store, process) "
                  f"{cpu_seconds(worker._child.pids()) - writer_start:.1f}, "
                  f"parsers {cpu_seconds(worker.parse_pool.pids()) - parsers_start:.1f})")
        if len(runs) == 2:
            one, many = (runs[w][3] / runs[w][2] for w in sorted(runs))
            print(f"  speed-up with {args.parse_workers}: {many / one:.2f}x")
    finally:
        for db, worker, *_ in runs.values():
            worker.close()
            db.close()


if __name__ == "__main__":
    sys.exit(main())
