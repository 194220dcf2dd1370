"""The fake's methods from Slack's current docs (not in the 2021 spec): the external upload and views
(views.update's required arguments and hash_conflict)."""

import time

import httpx
import pytest
import yaml
from slack_sdk.errors import SlackApiError

from bot.slack.sender import make_web_client
from bot.slack.upload import UploadError, upload_file
from tests.slack.fakeslack import FakeSlack

REPO_MANIFEST = __import__("pathlib").Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture
def fake():
    with FakeSlack() as slack:
        yield slack


def test_upload_requires_filename_and_length_and_the_bytes_announced(fake):
    client = make_web_client(token="xoxb-test", base_url=fake.url)
    with pytest.raises(SlackApiError):
        client.api_call("files.getUploadURLExternal", params={"filename": "x.png"})
    assert "required argument(s) missing: length" in fake.violations[-1]
    fake.violations.clear()
    ticket = client.files_getUploadURLExternal(filename="x.png", length=4)
    assert httpx.post(ticket["upload_url"], content=b"12345", trust_env=False).status_code == 200
    assert "5 bytes sent, 4 announced" in fake.violations[-1]


def test_complete_refuses_a_file_never_sent_and_a_thread_that_is_not_there(fake):
    client = make_web_client(token="xoxb-test", base_url=fake.url)
    ticket = client.files_getUploadURLExternal(filename="x.png", length=3)
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0GENERAL1")
    httpx.post(ticket["upload_url"], content=b"abc", trust_env=False)
    with pytest.raises(SlackApiError, match="invalid_thread_ts"):
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C0GENERAL1",
                                            thread_ts="1.000001")
    done = client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "t"}],
                                               channel_id="C0GENERAL1")
    assert done["files"] == [{"id": ticket["file_id"], "title": "t"}]
    assert fake.messages("C0GENERAL1")[-1]["files"][0]["id"] == ticket["file_id"]
    assert fake.violations == []


def test_upload_file_says_why_when_slack_refuses(fake):
    client = make_web_client(token="xoxb-test", base_url=fake.url)
    fake.add_channel("C0OUTSIDE1", "outside", member=False)
    with pytest.raises(UploadError, match="not_in_channel"):
        upload_file(client, b"\x89PNG....", filename="c.png", title="c", channel="C0OUTSIDE1")
    with pytest.raises(UploadError, match="refusing"):
        upload_file(client, b"", filename="c.png", title="c", channel="C0GENERAL1")


def test_views_open_refuses_an_expired_trigger_and_an_invalid_modal(fake):
    client = make_web_client(token="xoxb-test", base_url=fake.url)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"},
             "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]}
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=f"1.{time.time_ns() - 4_000_000_000}", view=modal)
    assert "more than 3 s" in fake.violations.pop()
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id=f"1.{time.time_ns()}", view={**modal, "title": None})
    assert "a modal needs a title" in fake.violations.pop()
    assert client.views_open(trigger_id=f"1.{time.time_ns()}", view=modal)["view"]["id"]
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U1", view=modal)  # a modal is no Home tab
    assert "not 'home'" in fake.violations.pop()
    assert fake.violations == []


def test_views_update_needs_a_view_and_its_id_and_refuses_a_stale_hash(fake):
    client = make_web_client(token="xoxb-test", base_url=fake.url)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"},
             "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Loading…"}}]}
    opened = client.views_open(trigger_id=f"1.{time.time_ns()}", view=modal)["view"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.api_call("views.update", json={"view": modal})  # neither view_id nor external_id
    assert "view_id or external_id is required" in fake.violations.pop()
    with pytest.raises(SlackApiError, match="invalid_arg_name"):
        client.api_call("views.update", json={"view_id": opened["id"]})  # no view
    assert "required argument(s) missing: view" in fake.violations.pop()
    with pytest.raises(SlackApiError, match="not_found"):
        client.views_update(view_id="V999999999", view=modal)
    full = {**modal, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "killed: *12*"}}]}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=full)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert updated["blocks"] == full["blocks"] and fake.views[0]["blocks"] == full["blocks"]
    with pytest.raises(SlackApiError, match="hash_conflict"):  # the hash views.open answered is spent now
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert [v["blocks"] for v in fake.view_history[opened["id"]]] == [modal["blocks"], full["blocks"]]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_update(view_id=opened["id"], view={**full, "title": None})
    assert "a modal needs a title" in fake.violations.pop()
    assert fake.violations == []


def test_the_manifest_grants_the_scopes_of_the_new_methods(fake):
    granted = set(yaml.safe_load(REPO_MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])
    for method in ("files.getUploadURLExternal", "files.completeUploadExternal", "views.open", "views.publish",
                   "views.update"):
        needs = fake.spec[method].scopes
        assert "none" in needs or needs & granted, method
    manifest = yaml.safe_load(REPO_MANIFEST.read_text())
    assert manifest["features"]["app_home"]["home_tab_enabled"] and manifest["features"]["app_home"][
        "messages_tab_enabled"]
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert [s["callback_id"] for s in manifest["features"]["shortcuts"]] == ["track_story"]
