"""The Slack app's fixtures (a fake Slack, a response_url catcher, the app served on 127.0.0.1), shared
by the test files of the surfaces built on it: chart, Home tab, Track modal."""

from tests.slack.test_slack_app import catcher, running, slack  # noqa: F401
