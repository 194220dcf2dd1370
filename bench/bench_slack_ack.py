"""How fast the running bot acknowledges /incident: 20 concurrent signed slash commands while a poll runs.

Slack wants an acknowledgement within 3 seconds; our target is p99 < 50 ms. The product runs as
deployed, in its own process (`python -m bot run`, HTTP mode), against a fake Slack Web API and
a feed server that this script runs on 127.0.0.1. The bot's first poll of many fresh feeds is
under way while the commands arrive; the script checks that it was.

    .venv/bin/python bench/bench_slack_ack.py [--rounds 25] [--concurrency 20] [--feeds 40]
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from bot.demo.localserver import LocalServer, Response  # noqa: E402
from tests.slack.fakeslack import FakeSlack  # noqa: E402
from tests.slack.slack_requests import SECRET, ResponseCatcher, signed_headers, slash_command  # noqa: E402

TRACK = "track Bamako attacks keywords: bamako, JNIM since: 2024-09-17 channel: #mali-desk"
TEXTS = ("bamako toll", "bamako", "list", "bamako timeline", "help", "track")  # "track" alone opens a modal


def generated_feed(n: int, items: int) -> bytes:
    """A feed of fresh Bamako coverage: every item is new, matched and read for figures."""
    body = "".join(
        f"<item><title>Bamako attack update {n}-{i}</title><guid>g{n}-{i}</guid>"
        f"<pubDate>Thu, 19 Sep 2024 10:00:00 GMT</pubDate><description>More than {i + 10} people were killed"
        f" in the attack in Bamako, security sources said. {'The junta faces questions. ' * 30}</description></item>"
        for i in range(items))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{body}</channel></rss>'.encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the bot did not start listening at {url}")


def peers(args, ready, stop, result) -> None:
    """In a process of its own: the fake Slack, the feed server and the response_url catcher.

    Kept apart from the load generator so that its work (validating every Block Kit payload,
    serving feeds) does not slow the clock that measures the acknowledgements.
    """
    with FakeSlack() as slack, LocalServer() as feeds:
        slack.add_channel("C0MALIDESK1", "mali-desk")
        for n in range(args.feeds):
            feeds.routes[f"/f{n}.xml"] = Response(generated_feed(n, args.items))
        catcher = ResponseCatcher()
        ready.put({"slack": slack.url, "feeds": f"http://127.0.0.1:{feeds.port}", "catcher": catcher.url})
        stop.wait(timeout=1800)
        answered = len(catcher.wait(args.expected, timeout=120))
        deadline = time.monotonic() + 60
        while len([c for c in slack.calls_to("views.open") if c.ok]) < args.modals and time.monotonic() < deadline:
            time.sleep(0.1)  # modals open after the acknowledgement, within Slack's 3 s for the trigger
        opens = slack.calls_to("views.open")
        wall = time.time() - time.monotonic()  # Call.at is monotonic; the trigger ends with its wall-clock ns
        delays = [c.at + wall - int(str(c.args.get("trigger_id")).rsplit(".", 1)[-1]) / 1e9 for c in opens]
        result.put({"answered": answered, "violations": len(slack.violations),
                    "modals": len([c for c in opens if c.ok]), "open_delays": sorted(delays),
                    "refused": sorted({c.error for c in opens if not c.ok and c.error})})
        catcher.close()


def main() -> int:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25, help="rounds of concurrent commands (default 25)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--feeds", type=int, default=40, help="fresh feeds the bot's first poll reads")
    parser.add_argument("--items", type=int, default=150, help="items per feed")
    parser.add_argument("--texts", default=",".join(TEXTS), help="the commands sent, in turn (comma-separated)")
    args = parser.parse_args()
    total = args.rounds * args.concurrency
    modal_share = [t.strip() == "track" for t in args.texts.split(",")]
    # answered by a modal: each round sends texts[0 .. concurrency-1] (in turn, from the first each round)
    args.modals = args.rounds * sum(modal_share[i % len(modal_share)] for i in range(args.concurrency))
    args.expected = total - args.modals
    texts = args.texts.split(",")
    context = multiprocessing.get_context("spawn")
    ready, result, stop = context.Queue(), context.Queue(), context.Event()
    helper = context.Process(target=peers, args=(args, ready, stop, result), daemon=True)
    helper.start()
    urls = ready.get(timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        lines = ["feeds:"]
        for n in range(args.feeds):
            lines += [f"  - id: f{n}", f"    url: {urls['feeds']}/f{n}.xml", "    interval: 1h"]
        (Path(tmp) / "feeds.yaml").write_text("\n".join(lines) + "\n")
        port = free_port()
        env = {**os.environ, "INCIDENT_DESK_DB": f"{tmp}/bench.db", "INCIDENT_DESK_FEEDS": f"{tmp}/feeds.yaml",
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": urls["slack"],
               "PORT": str(port), "INCIDENT_DESK_CONCURRENCY": "4",
               "INCIDENT_DESK_PER_HOST": "4", "INCIDENT_DESK_HOST_GAP": "0"}  # one local server, many publishers
        env.pop("SLACK_APP_TOKEN", None)
        subprocess.run([sys.executable, "-m", "bot", "ask", TRACK], cwd=REPO, env=env, check=True,
                       capture_output=True)
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/bot.log", "w"))
        db = sqlite3.connect(f"{tmp}/bench.db", timeout=30)

        def stored() -> int:
            return db.execute("select count(*) from items").fetchone()[0]

        def processed() -> int:  # matched and read for figures by the ingest worker
            return db.execute("select count(*) from items where processed_at is not null").fetchone()[0]

        try:
            wait_for(f"http://127.0.0.1:{port}/healthz")
            deadline = time.monotonic() + 60
            while stored() < 200 and time.monotonic() < deadline:
                time.sleep(0.05)  # start measuring once the poll is storing items
            stored_before, processed_before = stored(), processed()
            url = f"http://127.0.0.1:{port}/slack/events"
            latencies: list[float] = []
            with httpx.Client(trust_env=False, timeout=10,
                              limits=httpx.Limits(max_connections=args.concurrency)) as http:
                def one(i: int) -> float:
                    body = slash_command("/incident", texts[i % len(texts)], user="U0BENCH01",
                                         response_url=urls["catcher"])
                    started = time.perf_counter()
                    response = http.post(url, content=body.encode(), headers=signed_headers(body))
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise SystemExit(f"HTTP {response.status_code}")
                    return elapsed

                with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                    for _ in range(args.rounds):
                        latencies += list(pool.map(one, range(args.concurrency)))
            stored_during, processed_during = stored() - stored_before, processed() - processed_before
            total = args.feeds * args.items
            stop.set()
            outcome = result.get(timeout=180)
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
                print("the bot did not stop within 60 s of SIGTERM; log:\n" + Path(f"{tmp}/bot.log").read_text()[-3000:])
            db.close()
            stop.set()
            helper.join(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[max(0, int(len(ms) * 0.99) - 1)]
    print(f"slash commands: {len(ms)} ({args.rounds} rounds of {args.concurrency} concurrent)")
    print(f"poll under way: while the commands ran ({stored_before} stored, {processed_before} processed before),"
          f" the bot stored {stored_during} and matched and read "
          f"{processed_during} of its first poll's {total} items")
    print(f"ack latency ms: p50 {statistics.median(ms):.1f}  p95 {ms[int(len(ms) * 0.95) - 1]:.1f}  "
          f"p99 {p99:.1f}  max {ms[-1]:.1f}   (target p99 < 50)")
    delays = outcome["open_delays"]
    opened = (f"; views.open reached Slack after the trigger: p50 {statistics.median(delays) * 1000:.0f} ms, "
              f"max {delays[-1] * 1000:.0f} ms" if delays else "")
    refused = f" (refused: {', '.join(outcome['refused'])})" if outcome["refused"] else ""
    print(f"answers delivered to response_url: {outcome['answered']}/{args.expected}; Track modals opened within "
          f"3 s: {outcome['modals']}/{args.modals}{refused}{opened}; Slack spec violations: {outcome['violations']}")
    return 0 if (p99 < 50 and outcome["answered"] == args.expected and outcome["modals"] == args.modals
                 and not outcome["violations"]) else 1


if __name__ == "__main__":
    sys.exit(main())
