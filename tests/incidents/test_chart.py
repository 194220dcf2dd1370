"""The toll as a picture: the founding case's series, lower bounds as such, the claim apart, a small PNG."""

from __future__ import annotations

from bot.incidents.chart import chart_series, toll_png
from bot.incidents.toll import compute_toll
from tests.incidents.test_toll import gold_entries


def test_the_founding_case_chart_draws_each_class_with_its_qualifiers_and_labels_the_lead():
    toll = compute_toll(gold_entries())
    killed = chart_series(toll, "killed")
    by_source = {s.source: s for s in killed["series"]}
    assert by_source["official"].value[-1] == 77
    assert by_source["security_sources"].value == [70, 75]
    assert by_source["security_sources"].qualifier == ["more_than", "more_than"]  # drawn as lower bounds
    assert by_source["leaked_documents"].qualifier == ["up_to"]
    assert killed["leading"]["text"] == "77" and killed["leading"]["source"] == "official"
    assert "hundreds" not in {str(v) for s in killed["series"] for v in s.value}  # vague words stay in the text


def test_the_png_is_small_enough_for_a_phone():
    png = toll_png(compute_toll(gold_entries()), title="Bamako attacks — reported toll")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(png) < 200_000
