"""A burst of pending alerts drained into a fake Slack: no loss, no duplicate, within the rate limit.

Run: .venv/bin/python bench/bench_slack_drain.py [--alerts 500] [--incidents 5] [--rate 1] [--burst 5]
The fake Slack Web API (tests/slack/fakeslack.py) listens on 127.0.0.1 and checks every call against
Slack's spec; the sender uses a real slack_sdk WebClient. With the production limit (1 message/s
per channel, burst 5) 500 alerts over 5 channels take about 100 s; `--rate 20` is a quick run.
Everything is bounded: the drain by --max-seconds, the fake by its own caps.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.slack.sender import SenderSettings, SlackSender, idempotency_block_id, make_web_client  # noqa: E402
from db import open_database  # noqa: E402
from db.connection import utc_now_iso  # noqa: E402
from tests.slack.fakeslack import FakeSlack  # noqa: E402


def render_parent(db, incident_id: int):
    name = db.execute("SELECT name FROM incidents WHERE id = ?", [incident_id]).fetchone()[0]
    return name, [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{name}*: current toll"}}]


def render_alert(db, row: dict):
    title = json.loads(row["payload"])["title"]
    return title, [{"type": "section", "text": {"type": "mrkdwn", "text": title}},
                   {"type": "actions", "block_id": f"feedback-{row['id']}", "elements": [
                       {"type": "button", "action_id": "verified", "value": str(row["id"]),
                        "text": {"type": "plain_text", "text": "Verified"}}]}]


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any window of `window` seconds."""
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--incidents", type=int, default=5, help="one channel each")
    parser.add_argument("--rate", type=float, default=1.0, help="messages per second per channel")
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args(argv)
    alerts, incidents = max(1, min(args.alerts, 100_000)), max(1, min(args.incidents, 100))

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack:
        db = open_database(Path(tmp) / "bench.db")
        channels = [f"C0BENCH{n:04d}" for n in range(incidents)]
        ids = []
        for n, channel in enumerate(channels):
            slack.add_channel(channel, f"desk-{n}")
            ids.append(db["incidents"].insert({"slug": f"i{n}", "name": f"Incident {n}", "since": "2024-09-17",
                                               "channel": channel}).last_pk)
        now = utc_now_iso()
        db["outbox"].insert_all(({"idempotency_key": f"bench:{n}", "incident_id": ids[n % incidents],
                                  "kind": "toll_change" if n % 7 == 6 else "new_story",
                                  "payload": json.dumps({"title": f"Alert {n}"}), "created_at": now}
                                 for n in range(alerts)), batch_size=500)
        settings = SenderSettings(rate_per_channel=args.rate, burst=args.burst)
        sender = SlackSender(db, client=make_web_client(token="xoxb-bench", base_url=slack.url),
                             render_parent=render_parent, render_alert=render_alert,
                             notify_admins=lambda text: print("ADMIN:", text), settings=settings)
        started = time.perf_counter()
        report = sender.drain(max_seconds=args.max_seconds, max_messages=alerts + 10)
        elapsed = time.perf_counter() - started

        markers = Counter(b["block_id"] for ch in channels for m in slack.messages(ch)
                          for b in m.get("blocks") or [] if b.get("block_id", "").startswith("idk-"))
        expected = {idempotency_block_id(f"bench:{n}") for n in range(alerts)}
        duplicates = sum(c - 1 for c in markers.values() if c > 1)
        lost = len(expected - set(markers))
        per_channel = {ch: [c.at for c in slack.posts() if c.args["channel"] == ch] for ch in channels}
        worst_1s = max(max_in_window(t, 1.0) for t in per_channel.values())
        worst_10s = max(max_in_window(t, 10.0) for t in per_channel.values())
        db.close()

    print(f"alerts {alerts} over {incidents} incidents/channels; limit {args.rate:g}/s per channel, burst {args.burst}")
    print(f"sent {report.posted} (parents {report.parents}, broadcasts {report.broadcasts}), "
          f"parent updates {report.parent_updates}")
    print(f"duplicates {duplicates}, lost {lost}, violations {len(slack.violations)}")
    print(f"elapsed {elapsed:.1f} s, slept {report.waited:.1f} s")
    print(f"max per channel: {worst_1s} in any 1 s (allowed {args.burst + args.rate:g}), "
          f"{worst_10s} in any 10 s (allowed {args.burst + 10 * args.rate:g})")
    ok = (duplicates == 0 and lost == 0 and not slack.violations and worst_1s <= args.burst + args.rate
          and worst_10s <= args.burst + 10 * args.rate)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
