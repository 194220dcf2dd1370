"""The App Home: a signed app_home_opened event publishes the Home tab (views.publish)."""

import json
import time

from tests.slack.fakeslack import view_problems
from tests.slack.slack_requests import post
from tests.slack.test_slack_app import ADMIN, EDITOR, TRACK, command
from tests.slack.test_slack_chart import PNG_SIGNATURE


def home_opened(running, user, *, tab="home", event_id="Ev1"):
    event = {"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0TEST", "event_id": event_id,
             "event_time": int(time.time()), "event": {"type": "app_home_opened", "user": user, "channel": "D0APPHOME",
                                                       "tab": tab, "event_ts": f"{time.time():.6f}"}}
    assert post(running.url, json.dumps(event), content_type="application/json").status_code == 200


def published(slack, user, *, count=1, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = [c for c in slack.calls_to("views.publish") if c.ok and c.args["user_id"] == user]
        if len(calls) >= count:
            return calls[count - 1].args["view"]
        time.sleep(0.05)
    raise AssertionError(f"no views.publish for {user}")


def texts(view):
    return json.dumps(view["blocks"])


def test_opening_the_home_tab_publishes_the_incidents_with_toll_and_chart_buttons(running, catcher, db, slack):
    from bot.config import parse_feeds_yaml
    from db.feeds import sync_file_feeds
    from bot.demo import seed_feeds_yaml

    command(running, catcher, TRACK)
    sync_file_feeds(db, parse_feeds_yaml(seed_feeds_yaml("http://127.0.0.1:9")))
    home_opened(running, EDITOR)
    view = published(slack, EDITOR)
    assert view["type"] == "home" and view_problems(view, home=True) == []
    assert "Bamako attacks" in texts(view) and "bamako-attacks" in texts(view)
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {(b["action_id"], b["value"]) for b in buttons} == {("home_toll", "bamako-attacks"),
                                                                ("chart_toll", "bamako-attacks")}
    assert "Feeds (admins)" not in texts(view)  # an editor sees no feed health


def test_admins_see_feed_health_failing_first_and_the_tab_is_updated_when_opened_again(running, catcher, db, slack):
    from bot.config import parse_feeds_yaml
    from bot.demo import seed_feeds_yaml
    from db.feeds import sync_file_feeds

    sync_file_feeds(db, parse_feeds_yaml(seed_feeds_yaml("http://127.0.0.1:9")))
    first_id = db.query("select id from feeds order by id desc limit 1").__next__()["id"]
    db.execute("update feeds set consecutive_failures = 3, last_error = 'HTTP 503' where id = ?", [first_id])
    db.conn.commit()
    home_opened(running, ADMIN)
    view = published(slack, ADMIN)
    assert view_problems(view, home=True) == []
    feeds_text = next(b["text"]["text"] for b in view["blocks"] if b.get("block_id") == "feeds")
    assert first_id in feeds_text.splitlines()[0] and "failing (3 in a row): HTTP 503" in feeds_text
    assert "0 incident(s) tracked" in texts(view)
    command(running, catcher, TRACK, user=ADMIN)
    home_opened(running, ADMIN, event_id="Ev2")
    assert "Bamako attacks" in texts(published(slack, ADMIN, count=2))


def test_the_messages_tab_publishes_nothing(running, slack):
    home_opened(running, EDITOR, tab="messages")
    time.sleep(0.5)
    assert slack.calls_to("views.publish") == []


def home_click(running, action_id, value, *, trigger_id=None):
    """A signed click on a Home tab button (a block_actions payload from a `home` view)."""
    from urllib.parse import urlencode

    from tests.slack.slack_requests import _trigger_id
    payload = {"type": "block_actions", "user": {"id": EDITOR, "username": "editor", "team_id": "T0TEST"},
               "api_app_id": "A0TEST", "token": "legacy", "team": {"id": "T0TEST", "domain": "newsroom"},
               "container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1", "type": "home"},
               "trigger_id": trigger_id or _trigger_id(),
               "actions": [{"action_id": action_id, "block_id": "incident_0_actions", "type": "button",
                            "value": value, "action_ts": str(time.time())}]}
    assert post(running.url, urlencode({"payload": json.dumps(payload)})).status_code == 200


def answered(slack, method, *, count=1, timeout=10.0):
    """The first `count` answered calls to `method`, waiting at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = [c for c in slack.calls_to(method) if c.response is not None]
        if len(calls) >= count:
            return calls[:count]
        time.sleep(0.02)
    raise AssertionError(f"{method}: fewer than {count} answered within {timeout} s")


def test_home_toll_opens_a_modal_and_home_chart_posts_and_tells_by_dm(running, catcher, slack):
    command(running, catcher, TRACK)
    home_click(running, "home_toll", "bamako-attacks")
    (opened,) = answered(slack, "views.open")
    assert opened.ok and "Loading" in json.dumps(opened.args["view"])
    (updated,) = answered(slack, "views.update")
    assert updated.ok and "Bamako attacks — toll" in json.dumps(updated.args["view"], ensure_ascii=False)
    home_click(running, "chart_toll", "bamako-attacks")
    deadline = time.monotonic() + 15
    while not slack.messages(slack.dm(EDITOR).id) and time.monotonic() < deadline:
        time.sleep(0.05)
    (dm,) = slack.messages(slack.dm(EDITOR).id)
    assert "Posted the chart of Bamako attacks" in dm["text"]
    assert slack.uploads["F000000001"]["data"].startswith(PNG_SIGNATURE)


def test_home_toll_opens_light_at_once_while_the_toll_is_slow_and_the_update_carries_the_toll(
        running, catcher, slack, monkeypatch):
    command(running, catcher, TRACK)
    real_ask = running.desk.ask

    def slow_ask(text, **kwargs):
        if text.endswith(" toll"):
            time.sleep(4)  # the toll reading, artificially slower than the trigger's 3 seconds
        return real_ask(text, **kwargs)

    monkeypatch.setattr(running.desk, "ask", slow_ask)
    clicked = time.monotonic()
    home_click(running, "home_toll", "bamako-attacks")
    (opened,) = answered(slack, "views.open", timeout=3)
    assert opened.ok and opened.at - clicked < 1.0  # before the slow part, not after it
    light = opened.args["view"]
    assert light["title"]["text"] == "Toll" and "Loading" in texts(light) and "killed" not in texts(light)
    assert view_problems(light, home=False) == []
    assert slack.calls_to("views.update") == []  # the toll is still being read
    (updated,) = answered(slack, "views.update", timeout=15)
    assert updated.ok and updated.at - clicked >= 4.0
    assert updated.args["view_id"] == opened.response["view"]["id"]
    assert updated.args["hash"] == opened.response["view"]["hash"]
    full = json.dumps(updated.args["view"], ensure_ascii=False)
    assert "Bamako attacks — toll" in full and "Loading" not in full
    assert slack.view_history[opened.response["view"]["id"]][-1]["blocks"] == updated.args["view"]["blocks"]


def test_home_toll_with_an_expired_trigger_says_so_by_dm(running, catcher, slack):
    command(running, catcher, TRACK)
    home_click(running, "home_toll", "bamako-attacks", trigger_id=f"9.{time.time_ns() - 4_000_000_000}")
    (opened,) = answered(slack, "views.open")
    assert opened.error == "expired_trigger_id"
    assert slack.violations and "more than 3 s" in slack.violations.pop()  # the fake's record of the expiry
    deadline = time.monotonic() + 10
    while not slack.messages(slack.dm(EDITOR).id) and time.monotonic() < deadline:
        time.sleep(0.05)
    (dm,) = slack.messages(slack.dm(EDITOR).id)
    assert "could not open" in dm["text"] and "3 seconds" in dm["text"]
    assert slack.calls_to("views.update") == []


def test_home_toll_that_fails_to_load_says_so_in_the_modal_instead_of_loading_for_ever(running, catcher, slack,
                                                                                        monkeypatch):
    command(running, catcher, TRACK)

    def broken_ask(text, **kwargs):
        raise RuntimeError("the desk fell over")

    monkeypatch.setattr(running.desk, "ask", broken_ask)
    home_click(running, "home_toll", "bamako-attacks")
    (opened,) = answered(slack, "views.open")
    (updated,) = answered(slack, "views.update")
    assert opened.ok and updated.ok and updated.args["view_id"] == opened.response["view"]["id"]
    assert "Something went wrong" in texts(updated.args["view"]) and "Loading" not in texts(updated.args["view"])


def test_emerging_incidents_show_on_home_with_a_prefilled_track_button():
    from datetime import datetime, timezone

    from bot.slack.home import home_view
    from bot.slack.suggestion_post import TRACK_SUGGESTION, prefill

    suggestion = {"name": "Zorvath Kessaly", "place": "Kessaly", "first_seen": datetime(2031, 3, 4, 6, tzinfo=timezone.utc),
                  "outlets": 3, "figures": ["at least 14 killed (Wire One)"], "keywords": ["zorvath", "kessaly"],
                  "since": "2031-03-04", "track_line": "/incident track Zorvath Kessaly keywords: zorvath since: 2031-03-04"}
    view = home_view({"incidents": [], "feeds": None, "suggestions": [suggestion]}, is_admin=False)
    assert view_problems(view, home=True) == []
    assert "Emerging, not tracked yet" in texts(view) and "at least 14 killed" in texts(view)
    button = next(b["accessory"] for b in view["blocks"] if b.get("block_id") == "suggestion_0")
    assert button["action_id"] == TRACK_SUGGESTION
    values = prefill(button["value"])
    assert values["name"] == "Zorvath Kessaly" and values["keywords"] == "zorvath, kessaly"
    assert values["since"].isoformat() == "2031-03-04"
    assert "Emerging" not in texts(home_view({"incidents": [], "feeds": None, "suggestions": []}, is_admin=False))
