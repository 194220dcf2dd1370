"""Whatever a publisher writes, it reaches Slack as text: no @channel, no forged link, no lost reply.

A feed's headline, its own title and its links go through the whole chain (poll, match, alert,
drain) into a fake Slack Web API; every message Slack receives is then read as Slack would.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.slack.app import make_sender
from bot.slack.blocks import SECTION_LIMIT, escape, link, reply_blocks, safe_url, text_sections
from bot.config import SlackSettings
from bot.incidents.desk import Desk
from bot.demo.localserver import Response
from bot.models import FeedConfig
from bot.ingest.pipeline import poll_feed
from bot.slack.sender import make_web_client
from tests.conftest import rss
from tests.slack.fakeslack import FakeSlack

CHANNEL = "C0MALIDESK1"
# Slack's controls: <!channel>, <!here>, <!everyone>, <!subteam^…>, <@U…>, <#C…>; a link is <url|label>.
CONTROL = re.compile(r"<([^<>]*)>")


def controls_in(text: str) -> list[str]:
    """Everything Slack would read as a control sequence in a piece of mrkdwn."""
    return CONTROL.findall(text or "")


def mrkdwn_texts(value) -> list[str]:
    """The text of every mrkdwn object in a list of blocks (plain_text is never parsed by Slack)."""
    found = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            found.append(value.get("text", ""))
        for child in value.values():
            found.extend(mrkdwn_texts(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(mrkdwn_texts(child))
    return found


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_channel(CHANNEL, "mali-desk")
        yield fake
        assert fake.violations == []


def test_a_publisher_cannot_ping_the_channel_or_forge_a_link(db, client, settings, server, slack):
    desk = Desk(db)
    sender = make_sender(db, desk, make_web_client(token="xoxb-test", base_url=slack.url),
                         SlackSettings(bot_token="xoxb-test", api_url=slack.url))
    desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17 channel: #mali-desk")
    feed = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600)
    db["feeds"].insert({"id": "wire", "url": feed.url, "interval_seconds": 600})
    server.routes["/wire.xml"] = Response(rss(title="Wire <!channel>"))  # the first poll is a backlog
    poll_feed(db, client, feed, settings=settings)
    hostile = {"title": "Bamako B2 <!channel> &lt;!channel&gt; <!here> <@U0CEO0001> 4 killed",
               "link": "https://news.example/4>|<!channel>", "guid": "b2",
               "pubDate": "Wed, 18 Sep 2024 10:00:00 GMT",
               "description": "Officials said 4 people were killed in Bamako. <!everyone> & <#C0OTHER01>"}
    server.routes["/wire.xml"] = Response(rss(hostile, title="Wire <!channel> & <!subteam^S0123|desk>"))
    poll_feed(db, client, feed, settings=settings)
    desk.processor.process_pending()
    sender.drain(max_seconds=10)

    sent = [c for c in slack.calls_to("chat.postMessage") + slack.calls_to("chat.update") if c.ok]
    assert sent, "the alert should have been posted"
    assert any("Bamako B2" in c.args.get("text", "") for c in sent)
    for call in sent:
        for text in [call.args.get("text", ""), *mrkdwn_texts(call.args.get("blocks"))]:
            for control in controls_in(text):
                target = control.split("|", 1)[0]
                # the only controls left are links the bot made, to a real web address
                assert re.match(r"https?://[^\s|<>]+$", target), (control, text)
            assert "<!" not in text and "<@" not in text
    everything = json.dumps([c.args for c in sent])
    assert "&lt;@U0CEO0001&gt;" in everything  # shown to the editor as the words the publisher wrote


def test_links_are_checked_and_escaped():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://news.example/4>|<!channel>") == "https://news.example/4%3E%7C%3C!channel%3E"
    assert safe_url("https://news.example/?a=1&b=2") == "https://news.example/?a=1&amp;b=2"
    assert link("ftp://x.example/", "A & B") == "A &amp; B"
    assert link("https://x.example/a b", "<!here>") == "<https://x.example/a%20b|&lt;!here&gt;>"


def test_a_reply_full_of_ampersands_still_reaches_the_editor(db):
    reply = Desk(db).ask("/incident " + "&" * 1000)
    blocks = reply_blocks(reply)  # built without SlackObjectFormationError
    texts = mrkdwn_texts(blocks)
    assert texts and all(len(t) <= SECTION_LIMIT for t in texts)


def test_a_long_text_is_split_after_escaping_and_never_inside_an_entity():
    text = ("Kidal & Gao <b> " * 400).strip()
    sections = [s.to_dict()["text"]["text"] for s in text_sections(text)]
    assert all(len(s) <= SECTION_LIMIT for s in sections)
    assert "".join(sections) == escape(text)
    for s in sections:
        assert not re.search(r"&[a-z]*$", s.replace("&amp;", "").replace("&lt;", "").replace("&gt;", ""))
        assert not re.match(r"^[a-z]*;", s)
