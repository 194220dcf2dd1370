"""The toll chart in Slack: drawn by the desk, uploaded with the external-upload flow into the thread."""

import json
from datetime import datetime

from bot.config import parse_feeds_yaml
from bot.demo import DEMO_STEPS, seed_feeds_yaml, seed_routes
from bot.demo.localserver import LocalServer
from bot.ingest.poller import poll_all
from db.feeds import active_feeds, sync_file_feeds
from tests.slack.test_slack_app import CHANNEL, TRACK, click, command

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def founding_case(running, catcher, db, client, settings):
    """Track Bamako and poll the seed feeds through every demo step, alerts sent (the thread exists)."""
    command(running, catcher, TRACK)
    with LocalServer() as feeds:
        sync_file_feeds(db, parse_feeds_yaml(seed_feeds_yaml(f"http://127.0.0.1:{feeds.port}")))
        for step in DEMO_STEPS:
            feeds.routes.update(seed_routes(datetime.fromisoformat(step)))
            poll_all(db, client, active_feeds(db), settings=settings)
            running.desk.processor.process_pending()
            running.sender.drain(max_seconds=10)


def uploaded(slack):
    (ticket,) = [c for c in slack.calls_to("files.getUploadURLExternal") if c.ok]
    (complete,) = [c for c in slack.calls_to("files.completeUploadExternal") if c.ok]
    files = json.loads(complete.args["files"])
    return ticket, complete, files, slack.uploads[files[0]["id"]]


def test_incident_chart_posts_a_png_in_the_incidents_thread(running, catcher, db, client, settings, slack):
    founding_case(running, catcher, db, client, settings)
    (thread,) = db.query("select channel, parent_ts from slack_threads")
    answer = command(running, catcher, "bamako chart")[2]
    assert "Posted the chart of Bamako attacks in its thread" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    ticket, complete, files, upload = uploaded(slack)
    data = upload["data"]
    assert data.startswith(PNG_SIGNATURE) and 10_000 <= len(data) <= 200_000
    assert int(ticket.args["length"]) == len(data) and ticket.args["filename"] == "bamako-attacks-toll.png"
    assert complete.args["channel_id"] == thread["channel"] == CHANNEL
    assert complete.args["thread_ts"] == thread["parent_ts"]
    assert files == [{"id": files[0]["id"], "title": "Bamako attacks — reported toll"}]
    (shared,) = [m for m in slack.replies(CHANNEL, thread["parent_ts"]) if m.get("files")]
    assert shared["files"][0]["id"] == files[0]["id"]


def test_the_toll_reply_has_a_chart_button_that_posts_the_chart(running, catcher, db, client, settings, slack):
    founding_case(running, catcher, db, client, settings)
    toll = command(running, catcher, "bamako toll")[2]
    buttons = [e for b in toll["blocks"] if b["type"] == "actions" for e in b["elements"]]
    (chart,) = [b for b in buttons if b["action_id"] == "chart_toll"]
    assert chart["value"] == "bamako-attacks"
    answer = click(running, catcher, {"action_id": "chart_toll", "type": "button", "value": chart["value"]})
    assert "Posted the chart" in answer["text"]
    assert uploaded(slack)[3]["data"].startswith(PNG_SIGNATURE)


def test_without_a_thread_the_chart_goes_to_the_channel_and_without_a_channel_the_editor_is_told(
        running, catcher, db, slack):
    command(running, catcher, TRACK)  # tracked, no alert posted yet: no thread
    answer = command(running, catcher, "bamako chart")[2]
    assert "Posted the chart of Bamako attacks in <#C0MALIDESK1>" in answer["text"]
    _, complete, _, upload = uploaded(slack)
    assert "thread_ts" not in complete.args and complete.args["channel_id"] == CHANNEL
    running.desk.ask("track Kati attack keywords: kati since: 2022-07-22", user="U0EDITOR1")  # no channel
    answer = command(running, catcher, "kati chart")[2]
    assert "has no thread and no channel yet" in answer["text"]
    assert len(slack.calls_to("files.getUploadURLExternal")) == 1


def test_an_unknown_incident_gets_the_candidates_and_no_upload(running, catcher, slack):
    answer = command(running, catcher, "nowhere chart")[2]
    assert answer["response_type"] == "ephemeral" and slack.calls_to("files.getUploadURLExternal") == []


def test_the_desk_process_draws_the_chart_in_its_own_process(db, settings):
    from bot.incidents.desk import Desk
    from bot.slack.desk_process import DeskProcess

    Desk(db).ask(TRACK.replace("channel: #mali-desk", "channel: <#C0MALIDESK1>"), user="U0EDITOR1")
    desk = DeskProcess(settings.db_path)
    try:
        chart = desk.chart_post("bamako")
    finally:
        desk.close()
    assert chart["png"].startswith(PNG_SIGNATURE) and chart["channel"] == "C0MALIDESK1"
    assert chart["thread_ts"] is None and chart["slug"] == "bamako-attacks"


def test_the_desk_process_sends_the_toll_drawn_not_the_toll_itself(running, catcher, db, client, settings):
    """The toll table is drawn in the desk process; the toll object (its whole ledger) stays there, so the
    process that acknowledges Slack never unpickles it."""
    from bot.slack.desk_process import DeskProcess

    founding_case(running, catcher, db, client, settings)
    desk = DeskProcess(settings.db_path)
    try:
        reply = desk.ask("bamako toll")
        summary = desk.ask("help")
    finally:
        desk.close()
    assert reply.ok and reply.blocks and "77" in json.dumps(reply.blocks)
    assert reply.toll is None and reply.verified == {}
    assert summary.blocks == [] and summary.text  # a reply with no table keeps what it has
