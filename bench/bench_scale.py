"""The real bot (`python -m bot run`, console mode) polling N feeds of one local publisher for a few minutes.

    .venv/bin/python bench/bench_scale.py [--feeds 1000] [--minutes 7] [--change-rate 0.02] [--match-share 0.05]

A publisher in its own process serves N RSS feeds on 127.0.0.1 with ETag and Last-Modified (304
on a match); each minute a share of the feeds (`--change-rate`) gets a new item, whose appearance
time it records. One incident is tracked (`python -m bot ask "/incident track …"`) and a share of
the new items (`--match-share`) are about it, with a toll. The bot runs for `--minutes` with a
generated feeds.yaml (every feed at a 5-minute interval), INCIDENT_DESK_PER_HOST and
INCIDENT_DESK_HOST_GAP set so the one local server stands for many publishers; then it gets
SIGTERM (SIGKILL after a bound). It prints polls/s needed and done, the share of feeds polled
within their interval + 10%, appearance → stored latency, CPU seconds and peak RSS per process,
the database size, and a naive loop (`feedparser.parse(url)` per feed, one pass) for the ratio.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
INCIDENT = "Portvale attack"
TRACK = "/incident track Portvale attack keywords: portvale since: {since}"
ITEMS_PER_FEED = 15  # a feed keeps its newest items, like a publisher's feed
INTERVAL_SECONDS = 300
LATE_FACTOR = 1.1  # a feed is polled in time when no gap between its polls passes interval + 10%
STOP_BOUND_SECONDS = 30.0  # SIGTERM, then SIGKILL after this
READY_BOUND_SECONDS = 300.0
SAMPLE_SECONDS = 2.0
WORDS = ("council budget river market school road minister vote court harvest weather port union strike "
         "bank loan farmers festival hospital nurses rail bridge police report election mayor district "
         "water drought rain prices fuel trade export import football league museum library students "
         "teachers parliament debate reform tax tourism airport flight storm coast village city province "
         "energy solar grid mining copper gold fishing boats health clinic vaccine survey census housing").split()


# --- the publisher: N feeds in its own process ----------------------------------------------------------------

class Feeds:
    """N feeds' items and their current bodies; new items appear at a steady rate."""

    def __init__(self, count: int, *, change_rate: float, match_share: float, seed: int):
        self.count, self.change_rate, self.match_share = count, change_rate, match_share
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.items: list[list[dict]] = []
        self.bodies: list[tuple[bytes, str, str]] = []
        self.appeared: list[tuple[str, str, float, bool]] = []  # (feed id, guid, appearance time, about the incident)
        self.requests = self.not_modified = 0
        start = time.time()
        for index in range(count):
            self.items.append([self._item(index, seq, start - 3600 - (ITEMS_PER_FEED - seq) * 600, match=False)
                               for seq in reversed(range(ITEMS_PER_FEED))])  # newest first
            self.bodies.append(self._render(index, start - 3600))

    def _item(self, index: int, seq: int, at: float, *, match: bool) -> dict:
        rnd = self.random
        if match:
            toll = rnd.randint(3, 90)
            title = f"Attack in Portvale: {toll} killed, officials say"
            text = (f"Gunmen attacked a market in Portvale on {rnd.choice(WORDS)} street, officials said; "
                    f"{toll} people were killed.")
        else:
            title = " ".join(rnd.choice(WORDS) for _ in range(7)).capitalize()
            text = " ".join(rnd.choice(WORDS) for _ in range(60)).capitalize() + "."
        return {"guid": f"{feed_id(index)}-{seq}", "title": title, "text": text, "at": at,
                "link": f"https://news{index % 97}.example/{feed_id(index)}/{seq}"}

    def _render(self, index: int, modified: float) -> tuple[bytes, str, str]:
        entries = "".join(
            f"<item><title>{escape(item['title'])}</title><link>{item['link']}</link>"
            f"<guid isPermaLink=\"false\">{item['guid']}</guid><pubDate>{formatdate(item['at'], usegmt=True)}</pubDate>"
            f"<description>{escape(item['text'])}</description></item>" for item in self.items[index])
        body = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
                f"<title>Outlet {index}</title><link>https://news{index % 97}.example/</link>"
                f"<description>Feed {index}</description>{entries}</channel></rss>").encode()
        return body, f"\"{feed_id(index)}-{len(self.appeared)}-{modified:.3f}\"", formatdate(modified, usegmt=True)

    def change(self, index: int) -> None:
        now = time.time()
        with self.lock:
            seq = int(self.items[index][0]["guid"].rsplit("-", 1)[1]) + 1
            match = self.random.random() < self.match_share
            item = self._item(index, seq, now, match=match)
            self.items[index] = [item, *self.items[index][:ITEMS_PER_FEED - 1]]
            self.appeared.append((feed_id(index), item["guid"], now, match))
            self.bodies[index] = self._render(index, now)

    def run_changes(self, stop: threading.Event) -> None:
        """Every second, count × rate / 60 feeds (carried over) get a new item."""
        carry = 0.0
        while not stop.wait(1.0):
            carry += self.count * self.change_rate / 60
            for _ in range(int(carry)):
                self.change(self.random.randrange(self.count))
            carry -= int(carry)

    def route(self, index: int):
        def answer(request) -> None:
            with self.lock:
                body, etag, modified = self.bodies[index]
                self.requests += 1
            tag, since = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
            if (tag == etag) if tag is not None else (since == modified):
                with self.lock:
                    self.not_modified += 1
                request.send_response(304)
                request.send_header("ETag", etag)
                request.send_header("Last-Modified", modified)
                request.send_header("Content-Length", "0")
                request.end_headers()
                return
            request.send_response(200)
            request.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.send_header("ETag", etag)
            request.send_header("Last-Modified", modified)
            request.end_headers()
            request.wfile.write(body)
        return answer


def feed_id(index: int) -> str:
    return f"f{index:05d}"


def _publisher(conn, count: int, change_rate: float, match_share: float, seed: int) -> None:
    """Serve /<feed id>.xml until the parent asks for the report; then answer with it and exit."""
    sys.path.insert(0, str(REPO))
    from bot.demo.localserver import LocalServer

    feeds = Feeds(count, change_rate=change_rate, match_share=match_share, seed=seed)
    server = LocalServer({f"/{feed_id(i)}.xml": feeds.route(i) for i in range(count)})
    stop = threading.Event()
    with server:
        conn.send(server.port)
        if conn.recv() == "changes":  # the bot is polling: items start appearing
            threading.Thread(target=feeds.run_changes, args=(stop,), daemon=True).start()
            conn.recv()  # "report"
        stop.set()
        with feeds.lock:
            conn.send({"appeared": list(feeds.appeared), "requests": feeds.requests,
                       "not_modified": feeds.not_modified, "cpu": time.process_time()})


# --- processes: CPU and peak memory from /proc ----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process itself) from /proc/<pid>/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text[text.rindex(")") + 2:].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def label(pid: int, root: int) -> str:
    if pid == root:
        return "bot (python -m bot run)"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"pid {pid}"
    text = " ".join(a.decode(errors="replace") for a in argv if a)
    if "resource_tracker" in text:
        return "  multiprocessing resource tracker"
    if "multiprocessing" in text or "spawn_main" in text:
        return "  child process (worker / desk)"
    return "  " + text[:50]


def sample(root: int, seen: dict[int, dict]) -> None:
    """The bot and its descendants, now: the last reading of each stays (CPU and peak memory only grow)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := proc_stat(int(entry))):
            parents[int(entry)], cpu[int(entry)] = stat
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in family]
        family.update(children)
        frontier.extend(children)
    for pid in family:
        if pid in cpu:
            entry = seen.setdefault(pid, {"label": label(pid, root)})
            entry["cpu"], entry["rss"] = cpu[pid], max(entry.get("rss", 0.0), peak_rss_mb(pid))


# --- the run --------------------------------------------------------------------------------------------------

def feeds_yaml(port: int, count: int) -> str:
    lines = ["defaults:", f"  interval: {INTERVAL_SECONDS // 60}m", "feeds:"]
    for i in range(count):
        lines += [f"  - id: {feed_id(i)}", f"    url: http://127.0.0.1:{port}/{feed_id(i)}.xml"]
    return "\n".join(lines) + "\n"


def bot_env(concurrency: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "INCIDENT_DESK_"))}
    env.update({"INCIDENT_DESK_PER_HOST": str(concurrency), "INCIDENT_DESK_HOST_GAP": "0",
                "INCIDENT_DESK_CONCURRENCY": str(concurrency), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    return env


def wait_for_line(path: Path, text: str, *, bot: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return True
        if bot.poll() is not None:
            return False
        time.sleep(0.2)
    return False


class LogWatch:
    """Whether a line has appeared in a growing log, reading only what was added since the last look."""

    def __init__(self, path: Path, text: str):
        self.path, self.text, self.offset, self.tail = path, text, 0, ""

    def seen(self) -> bool:
        with open(self.path, errors="replace") as log:
            log.seek(self.offset)
            added = log.read()
            self.offset = log.tell()
        found = self.text in self.tail + added
        self.tail = added[-len(self.text):]
        return found


def stop_bot(bot: subprocess.Popen) -> tuple[float, int | None]:
    """SIGTERM, then SIGKILL after STOP_BOUND_SECONDS: (seconds to exit, exit status; None if killed)."""
    began = time.monotonic()
    if bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
    try:
        code = bot.wait(timeout=STOP_BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        bot.kill()
        bot.wait(timeout=STOP_BOUND_SECONDS)
        code = None
    return time.monotonic() - began, code


def naive_loop(urls: list[str], *, deadline_seconds: float) -> tuple[int, float, float]:
    """`feedparser.parse(url)` per feed, one pass (bounded): (feeds read, wall s, CPU s)."""
    import feedparser

    wall, cpu = time.perf_counter(), time.process_time()
    done = 0
    for url in urls:
        feedparser.parse(url)
        done += 1
        if time.perf_counter() - wall > deadline_seconds:
            break
    return done, time.perf_counter() - wall, time.process_time() - cpu


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000, help="feeds served and polled (default 1000)")
    parser.add_argument("--minutes", type=float, default=7.0, help="how long the bot runs (default 7)")
    parser.add_argument("--seconds", type=float, help="the same in seconds (overrides --minutes)")
    parser.add_argument("--change-rate", type=float, default=0.02, help="share of feeds with a new item each minute")
    parser.add_argument("--match-share", type=float, default=0.05,
                        help="share of new items about the tracked incident, with a toll (default 0.05)")
    parser.add_argument("--concurrency", type=int, default=8, help="INCIDENT_DESK_CONCURRENCY and _PER_HOST (default 8)")
    parser.add_argument("--baseline-seconds", type=float, default=300, help="bound on the naive loop (default 300)")
    parser.add_argument("--keep", help="put the database, feeds.yaml and bot log here (kept) instead of a temp dir")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_scale_"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path, feeds_path, log_path = folder / "bench.db", folder / "feeds.yaml", folder / "bot.log"
    for stale in folder.glob("bench.db*"):
        stale.unlink()

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    publisher = context.Process(target=_publisher, args=(theirs, args.feeds, args.change_rate, args.match_share,
                                                         args.seed), daemon=True)
    publisher.start()
    bot = None
    try:
        if not ours.poll(120):
            print("the publisher did not start", file=sys.stderr)
            return 1
        port = ours.recv()
        feeds_path.write_text(feeds_yaml(port, args.feeds))
        env = bot_env(args.concurrency)
        base = [sys.executable, "-m", "bot", "--db", str(db_path), "--feeds", str(feeds_path)]
        if args.match_share > 0:
            since = datetime.now(timezone.utc).date().isoformat()
            done = subprocess.run([*base, "ask", TRACK.format(since=since)], cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=120)
            if done.returncode != 0:
                print(f"tracking failed: {done.stdout}{done.stderr}", file=sys.stderr)
                return 1
        log = open(log_path, "w")
        launched = time.time()
        bot = subprocess.Popen([*base, "run"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        if not wait_for_line(log_path, "feed(s);", bot=bot, timeout=READY_BOUND_SECONDS):
            print(f"the bot did not start; see {log_path}", file=sys.stderr)
            return 1
        ready = time.time()
        ours.send("changes")
        processes: dict[int, dict] = {}
        # The steady state: from the moment the bot logs that every feed had its first poll (which stores
        # the feed's items), the CPU seconds of all its processes then.
        first_round = LogWatch(log_path, f"first poll: {args.feeds:,} of {args.feeds:,} new feed(s) polled")
        steady = None
        while time.time() < ready + seconds and bot.poll() is None:
            sample(bot.pid, processes)
            if steady is None and first_round.seen():
                steady = (time.time(), sum(p["cpu"] for p in processes.values()))
            time.sleep(min(SAMPLE_SECONDS, max(0.0, ready + seconds - time.time())))
        sample(bot.pid, processes)
        ended = time.time()
        stop_seconds, exit_code = stop_bot(bot)
        log.close()
        baseline = naive_loop([f"http://127.0.0.1:{port}/{feed_id(i)}.xml" for i in range(args.feeds)],
                              deadline_seconds=args.baseline_seconds)
        ours.send("report")
        report = ours.recv() if ours.poll(60) else {"appeared": [], "requests": 0, "not_modified": 0, "cpu": 0.0}
    finally:
        if bot is not None and bot.poll() is None:
            bot.kill()
            bot.wait(timeout=STOP_BOUND_SECONDS)
        publisher.join(timeout=10)
        if publisher.is_alive():
            publisher.kill()
    print_figures(args, folder, db_path, log_path, seconds=seconds, launched=launched, ready=ready, ended=ended,
                  processes=processes, steady=steady, stop=(stop_seconds, exit_code), baseline=baseline,
                  report=report)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def print_figures(args, folder: Path, db_path: Path, log_path: Path, *, seconds: float, launched: float,
                  ready: float, ended: float, processes: dict, steady: tuple | None, stop: tuple, baseline: tuple,
                  report: dict) -> None:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    polls = conn.execute("select feed_id, started_at, outcome from polls").fetchall()
    outcomes: dict[str, int] = {}
    by_feed: dict[str, list[float]] = {}
    for feed, started, outcome in polls:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        by_feed.setdefault(feed, []).append(epoch(started))
    window = ended - ready
    needed = args.feeds / INTERVAL_SECONDS
    steady_from, steady_cpu = steady if steady else (ended, 0.0)
    steady_polls = [t for times in by_feed.values() for t in times if t >= int(steady_from) + 1]
    bound = INTERVAL_SECONDS * LATE_FACTOR
    in_time = 0
    worst = 0.0
    for i in range(args.feeds):
        times = sorted(by_feed.get(feed_id(i), []))
        edges = [ready, *times, ended]
        gap = max(b - a for a, b in zip(edges, edges[1:]))
        worst = max(worst, gap)
        in_time += bool(times) and gap <= bound
    stored = {(f, g): epoch(s) for f, g, s in conn.execute("select feed_id, guid, first_seen_at from items")}
    latencies, matching_latencies, missing, overdue = [], [], 0, 0
    for feed, guid, at, match in report["appeared"]:
        seen = stored.get((feed, guid))
        if seen is None:
            missing += 1
            overdue += ended - at > bound
            continue
        latency = max(0.0, seen - at)  # first_seen_at has whole seconds
        latencies.append(latency)
        if match:
            matching_latencies.append(latency)
    about = sum(1 for *_, match in report["appeared"] if match)
    about_stored = sum(1 for f, g, _, match in report["appeared"] if match and (f, g) in stored)
    matched = conn.execute("select count(distinct item_id) from matches where status = 'matched'").fetchone()[0]
    claims = conn.execute("select count(*) from claims").fetchone()[0]
    alerts = conn.execute("select count(*) from outbox").fetchone()[0]
    items = conn.execute("select count(*) from items").fetchone()[0]
    unprocessed = conn.execute("select count(*) from items where processed_at is null").fetchone()[0]
    conn.close()
    size = sum(p.stat().st_size for p in folder.glob("bench.db*"))
    cpu_total = sum(p["cpu"] for p in processes.values())
    done_feeds, naive_wall, naive_cpu = baseline
    bot_cpu_per_poll = cpu_total / max(1, len(polls))
    naive_cpu_per_feed = naive_cpu / max(1, done_feeds)

    def line(name: str, value: str, note: str = "") -> None:
        print(f"{name:<36}{value:>12}   {note}".rstrip())

    print(f"bench_scale: {args.feeds:,} feeds every {INTERVAL_SECONDS // 60} min, {args.change_rate:.1%} of feeds "
          f"changing a minute, {args.match_share:.0%} of new items about {INCIDENT!r}; the bot ran {window:.0f} s "
          f"(start-up {ready - launched:.1f} s); {os.cpu_count()} cores")
    line("polls/s needed", f"{needed:,.2f}", f"({args.feeds:,} feeds / {INTERVAL_SECONDS} s)")
    line("polls/s done", f"{len(polls) / max(1e-9, window):,.2f}",
         f"({len(polls):,} polls in {window:.0f} s, first polls included; {outcomes})")
    line("  once every feed was polled", f"{len(steady_polls) / (ended - steady_from):,.2f}"
         if ended > steady_from + 10 else "-", f"(the last {ended - steady_from:.0f} s of the run)")
    firsts = [min(times) for times in by_feed.values()]
    line("first polls done after", f"{max(firsts, default=ready) - ready:,.0f} s",
         "(the last feed's first poll, which stores its 15 items)")
    line("poll targets counted", f"{len(by_feed):,} of {args.feeds:,}", "(feeds with at least one poll)")
    line("polled within interval + 10%", f"{in_time / max(1, args.feeds):.1%}",
         f"(no gap over {bound:.0f} s from start to end; worst gap {worst:.0f} s)")
    line("new items appeared", f"{len(report['appeared']):,}",
         f"({about} about the incident; {missing} not stored by the end, {overdue} of them older than {bound:.0f} s)")
    line("appearance -> stored, p50", f"{percentile(latencies, 0.5):,.0f} s", "(items.first_seen_at - appearance)")
    line("appearance -> stored, p90", f"{percentile(latencies, 0.9):,.0f} s")
    line("appearance -> stored, p99", f"{percentile(latencies, 0.99):,.0f} s")
    line("appearance -> stored, max", f"{max(latencies, default=float('nan')):,.0f} s",
         f"(incident items p50 {percentile(matching_latencies, 0.5):,.0f} s)")
    line("items stored", f"{items:,}", f"({unprocessed:,} not yet matched at the end)")
    line("incident items matched", f"{matched:,}", f"(of {about_stored:,} stored about it; {claims:,} figures read, "
         f"{alerts:,} alerts queued)")
    line("CPU seconds, all bot processes", f"{cpu_total:,.1f}",
         f"({cpu_total / max(1e-9, window):.0%} of one core; {1000 * bot_cpu_per_poll:.2f} ms per poll)")
    if ended > steady_from + 10:
        steady_cpu_per_poll = (cpu_total - steady_cpu) / max(1, len(steady_polls))
        line("  once every feed was polled", f"{cpu_total - steady_cpu:,.1f}",
             f"({(cpu_total - steady_cpu) / (ended - steady_from):.0%} of one core; {1000 * steady_cpu_per_poll:.2f} ms "
             f"per poll, {steady_cpu_per_poll / max(1e-9, naive_cpu_per_feed):.2f}x the naive loop's)")
    for pid, p in sorted(processes.items()):
        line(f"  {p['label'].strip()[:34]}", f"{p['cpu']:,.1f}", f"(pid {pid}, peak RSS {p['rss']:.0f} MB)")
    line("peak RSS, largest process", f"{processes and max(p['rss'] for p in processes.values()):.0f} MB",
         f"(all processes' peaks summed {sum(p['rss'] for p in processes.values()):.0f} MB)")
    line("database size", f"{size / 1e6:,.1f} MB", "(with its WAL)")
    line("publisher", f"{report['requests']:,}", f"requests, {report['not_modified']:,} answered 304; "
         f"{report['cpu']:.1f} CPU s (not the bot's)")
    line("stop (SIGTERM -> exit)", f"{stop[0]:.1f} s", f"(exit status {stop[1]}; None = killed after "
         f"{STOP_BOUND_SECONDS:.0f} s)")
    line("naive loop, one pass", f"{done_feeds:,} feeds", f"({naive_wall:.1f} s wall, {naive_cpu:.1f} CPU s: "
         f"feedparser.parse(url) each, no conditional GET, nothing stored)")
    line("  naive polls/s", f"{done_feeds / max(1e-9, naive_wall):,.1f}",
         f"({1000 * naive_cpu_per_feed:.2f} CPU ms per feed)")
    line("CPU per poll, bot / naive", f"{bot_cpu_per_poll / max(1e-9, naive_cpu_per_feed):.2f}",
         "(the bot stores, dedupes, matches and reads figures; most of its polls are 304s)")
    if args.keep:
        print(f"(database, feeds.yaml and bot log kept in {folder})")


if __name__ == "__main__":
    sys.exit(main())
