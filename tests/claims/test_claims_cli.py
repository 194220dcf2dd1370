"""`claims` command: readable output for a person, and the JSON-lines contract for other tools."""

from __future__ import annotations

import argparse
import io
import json

from bot.claims.cli import add_arguments, run


def _run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = run(parser.parse_args(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_text_prints_claims_and_toll_for_a_person():
    code, out, _ = _run(["Security sources said more than 70 people were killed and around 200 injured."])
    assert code == 0
    assert "more than 70" in out and "security_sources" in out and "toll killed: more than 70" in out
    assert "toll injured: about 200" in out


def test_text_from_stdin_with_dash():
    code, out, _ = _run(["-", "--lang", "fr"], "Au moins 77 morts et 255 blessés, selon un bilan officiel.")
    assert code == 0 and "at least 77" in out and "official" in out


def test_jsonl_writes_one_line_per_input_with_the_contract_fields():
    lines = [
        {"id": "a", "text": "Au moins 77 morts et 255 blessés, selon un bilan officiel.", "lang": "fr"},
        {"id": 2, "text": "Hundreds of people were killed, the group said."},
        {"id": 3, "text": "Nothing happened here."},
    ]
    code, out, err = _run(["--jsonl"], "\n".join(json.dumps(x) for x in lines) + "\n")
    assert code == 0 and err == ""
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == ["a", 2, 3]
    first = records[0]
    assert set(first) == {"id", "claims", "toll"}
    assert set(first["toll"]) == {"killed", "injured", "killed_civilians"}  # fields are added, never renamed
    killed = first["toll"]["killed"]
    # The contract's fields stay as they were; fields are only ever added (who, scope).
    assert {k: killed[k] for k in ("value", "low", "high", "qualifier", "source", "quote")} == {
        "value": 77, "low": 77, "high": None, "qualifier": "at_least", "source": "official", "quote": "Au moins 77 morts"}
    assert killed["scope"] == "event" and "who" in killed
    assert first["claims"][0]["scope"] == "event"
    assert first["claims"][0]["metric"] == "killed" and first["claims"][0]["start"] == 0
    assert records[1]["toll"]["killed"] is None  # the perpetrators' figure is never a toll
    assert records[2] == {"id": 3, "claims": [], "toll": {"killed": None, "injured": None, "killed_civilians": None}}


def test_jsonl_vague_toll_has_null_value():
    code, out, _ = _run(["--jsonl"], json.dumps({"id": 1, "text": "Scores of people were killed on Tuesday."}) + "\n")
    toll = json.loads(out)["toll"]["killed"]
    assert toll["value"] is None and toll["qualifier"] == "vague" and toll["low"] == 40


def test_jsonl_bad_lines_get_an_error_line_and_the_rest_carry_on():
    stdin = "\n".join([
        "not json",
        json.dumps({"id": "x"}),
        json.dumps({"id": "y", "text": "A journalist was killed.", "lang": "de"}),
        json.dumps([1, 2]),
        "",
        json.dumps({"id": "ok", "text": "A journalist was killed."}),
    ]) + "\n"
    code, out, err = _run(["--jsonl"], stdin)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert len(records) == 5  # the blank line is skipped, every other line answered
    assert [("error" in r) for r in records] == [True, True, True, True, False]
    assert records[1]["id"] == "x" and "text" in records[1]["error"]
    assert records[4]["toll"]["killed"]["value"] == 1
    assert err.count("claims: line") == 4 and "line 1:" in err and "line 3:" in err


def test_usage_errors_exit_2():
    assert _run([])[0] == 2
    assert _run(["some text", "--jsonl"])[0] == 2


def test_a_figure_that_is_not_the_toll_says_why(capsys):
    from bot.claims.cli import format_claims

    out = format_claims("A 45-year-old man and his 12-year-old son were killed in the 2019 attack.")
    assert "not the toll: a running total or another period" in out
    assert "toll killed: none given (its figures above are not the toll: see why)" in out
    out = format_claims("At least 29 people, including 10 foreigners, were killed.")
    assert "not the toll: a part of a larger figure" in out and "toll killed: at least 29" in out
