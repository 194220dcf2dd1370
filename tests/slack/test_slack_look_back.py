"""/incident track in Slack on a store of many items: the answer at once, the look-back's progress in the thread."""

from bot.incidents.look_back import LookBacks
from tests.incidents.test_look_back import store
from tests.slack.test_slack_app import CHANNEL, command


def test_track_answers_at_once_and_the_look_back_reports_in_the_incidents_thread(running, catcher, db, settings,
                                                                                   slack):
    store(db, 1_000)  # 250 about the Portvale attack: more than a look-back done before the answer
    running.desk.look_backs = LookBacks(settings.db_path)
    answer = command(running, catcher, "track Portvale attack keywords: portvale since: 2031-03-01 "
                                       "channel: #mali-desk")[2]
    assert "looking back through 250 stored items, progress in the thread" in answer["text"]
    assert running.desk.look_backs.idle.wait(60)
    running.sender.drain(max_seconds=10)
    (parent,) = slack.top_level(CHANNEL)
    assert "look-back done: 250 stored items, 250 matched." in parent["text"]  # the note opened the thread
    assert "Not this incident" not in str(parent.get("blocks"))  # a note, not an alert about an article
