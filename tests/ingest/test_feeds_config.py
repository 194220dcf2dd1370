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


# --- hostile and rough feeds.yaml files (issue 12 Feeds, issue 14 rough edges) -----------------------------

def _feeds_check(path):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    return subprocess.run([sys.executable, "-m", "bot", "--feeds", str(path), "feeds", "check"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))


def test_a_feeds_yaml_nested_10000_levels_deep_is_a_file_line_problem_with_exit_2_not_a_traceback(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("feeds:\n  - id: a\n    url: https://a.example/rss\n    tags: " + "[" * 10_000 + "]" * 10_000
                    + "\n")
    done = _feeds_check(deep)
    assert done.returncode == 2, done.stderr[-500:]
    assert f"{deep}:4: nested more than" in done.stderr and "Traceback" not in done.stderr
    block = "feeds:\n" + "".join(f"{'  ' * (i + 1)}- \n" for i in range(600))  # block style
    (problem,) = problems_of(block)
    assert "nested more than" in problem.message and problem.line is not None


def test_a_10_mb_feeds_yaml_is_refused_at_once_before_it_is_parsed(tmp_path):
    import time

    from bot.config import load_feeds
    from bot.feeds_file import MAX_FEEDS_FILE_BYTES

    big = tmp_path / "big.yaml"
    big.write_text("feeds:\n" + "  - {id: 'Bad Id', url: 'nowhere'}\n" * 300_000)  # 10.5 MB, 600,000 problems
    started = time.monotonic()
    with pytest.raises(FeedsFileError) as caught:
        load_feeds(big)
    assert time.monotonic() - started < 1
    (problem,) = caught.value.problems
    assert problem.file == str(big) and "too big" in problem.message and f"{MAX_FEEDS_FILE_BYTES:,}" in problem.message
    (problem,) = problems_of(big.read_text())  # the text itself, too
    assert "too big" in problem.message


def test_at_most_50_problems_are_listed_then_how_many_more():
    text = "feeds:\n" + "".join(f"  - {{id: 'Bad {i}', url: 'https://{i}.example/rss'}}\n" for i in range(3_000))
    with pytest.raises(FeedsFileError) as caught:
        parse_feeds_yaml(text, filename="many.yaml")
    listed = caught.value.problems
    assert len(listed) == 51 and caught.value.total == 3_000
    assert [p.line for p in listed[:3]] == [2, 3, 4]
    assert str(listed[-1]) == "many.yaml: … and 2,950 more problem(s) (fix the ones above and check again)"


def test_duplicate_ids_and_urls_are_reported_in_the_same_pass_as_other_problems():
    text = ("feeds:\n"
            "  - {id: a, url: 'https://a.example/rss', interval: 5s}\n"  # too short, and the first a
            "  - {id: a, url: 'https://b.example/rss', intervall: 1h}\n"  # a typo, and a duplicate id
            "  - {id: c, url: 'https://a.example/rss', lang: 'xx-yyy'}\n")  # bad language, duplicate url
    found = [(p.line, p.message.split(" (")[0]) for p in problems_of(text)]
    assert found == [(2, "interval '5s' is too short"), (3, "unknown key in a feed 'intervall'"),
                     (3, "duplicate feed id 'a'"), (4, "bad language 'xx-yyy'"),
                     (4, "duplicate feed url https://a.example/rss")]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_feeds_yaml_is_an_error_that_says_what_to_write(text):
    (problem,) = problems_of(text)
    assert problem.message == "the file is empty" and "feeds:" in problem.hint and "url:" in problem.hint


def test_feeds_check_on_an_empty_file_exits_2_and_names_the_file(tmp_path):
    empty = tmp_path / "other-name.yaml"
    empty.write_text("")
    done = _feeds_check(empty)
    assert done.returncode == 2 and f"{empty}: the file is empty" in done.stderr


@pytest.mark.parametrize("line, expected", [("channel: #Kano Desk", "channel is empty"),
                                            ('channel: "#Kano Desk"', "bad channel '#Kano Desk'"),
                                            ("channel: Kano Desk", "bad channel 'Kano Desk'")])
def test_a_channel_with_a_space_or_an_unquoted_hash_is_refused(line, expected):
    (problem,) = problems_of(f"feeds:\n  - id: a\n    url: https://a.example/rss\n    {line}\n")
    assert problem.line == 4 and expected in problem.message and "#africa-desk" in problem.hint
