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


def test_burkinabe_fighters_are_soldiers_and_the_enemy_side_is_the_attackers():
    from bot.claims import text_toll

    text = "Cinquante-trois combattants burkinabè ont été tués lundi au cours d'intenses combats contre des terroristes."
    assert text_toll(text, "fr")["killed"].value == 53
    text = ("Au moins six soldats nigériens ont été tués, selon le ministère. Le bilan provisoire fait également "
            "état de « dix-sept morts côté ennemi ».")
    assert text_toll(text, "fr")["killed"].value == 6


def test_soldiers_fallen_as_heroes_are_dead_and_a_quoted_soixantaine_is_about_sixty():
    from bot.claims import extract_claims, text_toll

    text = "Le bilan provisoire est le suivant: côté ami, 29 soldats sont tombés en héros, deux ont été gravement blessés."
    toll = text_toll(text, "fr")
    assert toll["killed"].value == 29 and toll["killed"].who == "soldiers" and toll["injured"].value == 2
    claims = extract_claims("L'attaque a fait une « soixantaine » de morts, selon une ONG.", "fr")
    assert [(c.value, c.qualifier, c.quote) for c in claims] == [(60, "about", "une « soixantaine » de morts")]


def test_a_toll_over_the_last_twelve_months_is_no_event_toll():
    from bot.claims import text_toll

    text = "L'ONU paie le prix fort, avec pour les douze derniers mois un bilan de vingt-sept morts et cent douze blessés."
    assert text_toll(text, "fr") == {"killed": None, "injured": None}


def test_the_day_befores_attack_told_in_the_pluperfect_is_another_event():
    from bot.claims import text_toll

    text = ("Le double attentat de dimanche a fait neuf morts et une trentaine de blessés. La veille, cinq autres "
            "kamikazes avaient déclenché leurs charges en plein marché, au Tchad voisin, faisant 41 morts.")
    assert text_toll(text, "fr")["killed"].value == 9


def test_il_succomba_is_one_death():
    from bot.claims import text_toll

    text = "Deux hommes armés ont ouvert le feu sur un commerçant à la sortie de la mosquée. Il succomba sur place."
    assert text_toll(text, "fr")["killed"].value == 1
