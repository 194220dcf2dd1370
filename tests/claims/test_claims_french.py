"""The French (and a few English) fixture sentences: every expected claim and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.claims import extract_claims, text_toll

CASES = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "claims" / "french.yaml").read_text(encoding="utf-8"))["cases"]


def test_fixture_has_at_least_sixty_french_sentences():
    assert sum(1 for c in CASES if c.get("lang", "fr") == "fr") >= 60


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_fixture_sentence(case):
    text, lang = case["text"], case.get("lang", "fr")
    claims = extract_claims(text, lang)
    expected = case.get("claims") or []
    for e in expected:
        wanted = {k: v for k, v in e.items() if k != "quote"}
        assert any(all(getattr(c, k) == v for k, v in wanted.items()) for c in claims), (
            f"missing {e}; got {[(c.metric, c.value, c.qualifier, c.source, c.who, c.quote) for c in claims]}")
    assert len(claims) == len(expected), f"unexpected claims: {[(c.metric, c.value, c.quote) for c in claims]}"
    for metric in ("killed", "injured"):
        if f"toll_{metric}" in case:
            got = text_toll(text, lang)[metric]
            got = None if got is None else (got.value if got.value is not None else got.vague)
            assert got == case[f"toll_{metric}"]
