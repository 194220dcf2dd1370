"""feeds.yaml: what the admin writes is checked, and every mistake says where and what to write."""

import pytest

from bot.config import FeedsFileError, dump_feeds_yaml, parse_feeds_yaml, parse_interval

MINIMAL = """\
feeds:
  - id: bbc-africa
    url: https://feeds.bbci.co.uk/news/world/africa/rss.xml
    interval: 10m
    channel: "#africa-desk"
"""


def problems_of(text):
    with pytest.raises(FeedsFileError) as caught:
        parse_feeds_yaml(text, filename="feeds.yaml")
    return caught.value.problems


def test_the_minimal_form_from_the_issue_is_accepted():
    (feed,) = parse_feeds_yaml(MINIMAL)
    assert feed.id == "bbc-africa"
    assert feed.interval_seconds == 600
    assert feed.channel == "#africa-desk"
    assert feed.enabled is True


def test_defaults_block_fills_what_a_feed_leaves_out():
    feeds = parse_feeds_yaml("defaults:\n  interval: 1h\n  lang: fr\nfeeds:\n"
                             "  - {id: a, url: 'https://a.example/rss'}\n"
                             "  - {id: b, url: 'https://b.example/rss', interval: 90s}\n")
    assert [(f.id, f.interval_seconds, f.lang) for f in feeds] == [("a", 3600, "fr"), ("b", 90, "fr")]


def test_unknown_key_is_reported_with_its_line_and_the_key_meant():
    (problem,) = problems_of(MINIMAL + "    intervall: 5m\n")
    assert problem.line == 6
    assert "unknown key in a feed 'intervall'" in problem.message
    assert "did you mean 'interval'" in problem.hint


def test_duplicate_id_and_duplicate_url_are_both_reported():
    text = ("feeds:\n"
            "  - {id: a, url: 'https://a.example/rss'}\n"
            "  - {id: a, url: 'https://b.example/rss'}\n"
            "  - {id: c, url: 'https://a.example/rss'}\n")
    found = problems_of(text)
    assert [(p.line, p.message.split(" (")[0]) for p in found] == [
        (3, "duplicate feed id 'a'"), (4, "duplicate feed url https://a.example/rss")]


@pytest.mark.parametrize("value, expected", [("10 minutes", "bad interval"), ("5s", "too short"),
                                             ("-1m", "bad interval")])
def test_bad_interval_says_what_to_write(value, expected):
    (problem,) = problems_of(f"feeds:\n  - id: a\n    url: https://a.example/rss\n    interval: {value}\n")
    assert expected in problem.message and problem.line == 4
    assert problem.hint


@pytest.mark.parametrize("url", ["ftp://a.example/rss", "not a url", "https://"])
def test_bad_url_is_refused(url):
    (problem,) = problems_of(f"feeds:\n  - id: a\n    url: '{url}'\n")
    assert "bad url" in problem.message and problem.line == 3


def test_broken_yaml_reports_the_line():
    (problem,) = problems_of("feeds:\n  - id: a\n    url: [unclosed\n  - id: b\n")
    assert "not valid YAML" in problem.message
    assert problem.line is not None and problem.line >= 3


def test_every_problem_is_reported_not_just_the_first():
    found = problems_of("feeds:\n  - {id: 'Bad Id', url: 'https://a.example/rss'}\n  - {url: 'https://b.example'}\n"
                        "colour: red\n")
    assert len(found) == 3


def test_missing_feeds_list_is_an_error_but_an_empty_one_is_not():
    assert problems_of("defaults: {interval: 10m}\n")[0].message == "no 'feeds:' list"
    assert parse_feeds_yaml("feeds:\n") == []


def test_intervals_in_every_unit():
    assert [parse_interval(v) for v in ("90s", "10m", "1h", "1d")] == [90, 600, 3600, 86400]


def test_exported_yaml_reads_back_the_same_feeds():
    feeds = parse_feeds_yaml(MINIMAL + "    tags: [wire, sahel]\n    enabled: false\n")
    assert parse_feeds_yaml(dump_feeds_yaml(feeds)) == feeds
