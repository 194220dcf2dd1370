"""The seed articles' hand-labelled claims: all 20 found, no distractor extracted (fixture copies)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.claims import extract_claims, text_toll

SEEDS = Path(__file__).parents[2] / "bot" / "demo" / "articles"  # the seed articles, shipped with the demo
GOLD = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "seeds" / "gold.yaml").read_text(encoding="utf-8"))
CLAIMS = [(a["file"], c) for a in GOLD["articles"] for c in a.get("claims") or []]
DISTRACTORS = [(a["file"], d) for a in GOLD["articles"] for d in a.get("distractors") or []]


def _text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name,gold", CLAIMS, ids=[f"{f[:3]}-{c['metric']}-{c['value'] or c.get('vague')}-{c['source']}"
                                                   for f, c in CLAIMS])
def test_every_labelled_claim_is_found_with_metric_value_qualifier_and_source(name, gold):
    text = _text(name)
    start = text.index(gold["quote"])
    end = start + len(gold["quote"])
    found = [c for c in extract_claims(text)
             if (c.metric, c.value, c.qualifier, c.source) == (gold["metric"], gold["value"], gold["qualifier"], gold["source"])
             and c.start < end and c.end > start]
    assert found, f"not found: {gold}"
    if gold.get("vague"):
        assert found[0].vague == gold["vague"]


def test_all_twenty_seed_claims_are_labelled():
    assert len(CLAIMS) == 20


@pytest.mark.parametrize("name,distractor", DISTRACTORS, ids=[d[:30] for _, d in DISTRACTORS])
def test_labelled_distractors_are_never_extracted(name, distractor):
    text = _text(name)
    start = text.index(distractor)
    end = start + len(distractor)
    assert not [c for c in extract_claims(text) if c.start < end and c.end > start]


def test_quotes_are_exact_substrings_at_their_span():
    for name in {f for f, _ in CLAIMS}:
        text = _text(name)
        for c in extract_claims(text):
            assert text[c.start:c.end] == c.quote


def test_kati_article_that_mentions_bamako_has_no_casualty_figure():
    assert extract_claims(_text("004_a478c12d8a55944d.txt")) == []


def test_official_toll_beats_hedged_estimates_and_security_sources():
    # 002: security sources say "more than 70", the official toll is 77, "other reports" estimate 100.
    toll = text_toll(_text("002_c6df8b2cbe4401de.txt"))
    assert (toll["killed"].value, toll["killed"].source) == (77, "official")
    assert (toll["injured"].value, toll["injured"].source) == (255, "official")


def test_leaked_upper_bound_and_named_victims_are_not_the_toll():
    toll = text_toll(_text("001_f906829c3a93a056.txt"))
    assert (toll["killed"].value, toll["killed"].qualifier, toll["killed"].source) == (77, "exact", "official")


def test_perpetrators_hundreds_never_become_the_toll():
    toll = text_toll(_text("003_676fc48b9d415949.txt"))
    assert toll["killed"].value is None and toll["killed"].qualifier == "vague"
    assert toll["injured"] is None
