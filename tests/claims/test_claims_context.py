"""Where a figure stands beyond its sentence: past events, earlier tolls, attackers, side bars."""

from __future__ import annotations

from bot.claims import extract_claims, text_toll


def _killed(text, lang="fr"):
    c = text_toll(text, lang)["killed"]
    return None if c is None else c.value


def test_pluperfect_past_event_is_not_the_toll():
    text = ("Des sources militaires parlent de 18 morts. En janvier 2018, une trentaine de personnes "
            "avaient été tuées dans la même localité.")
    assert _killed(text) == 18
    scopes = {c.value: c.scope for c in extract_claims(text, "fr")}
    assert scopes[30] == "other_event"


def test_un_premier_bilan_is_history():
    text = "Le bilan est monté à 38 morts. Un premier bilan du gouvernement évoquait 25 soldats tués."
    assert _killed(text) == 38
    assert {c.value: c.scope for c in extract_claims(text, "fr")}[25] == "history"


def test_bilan_passant_de_25_a_38_with_a_long_subject():
    text = ("Le bilan de l'attaque du 30 septembre contre deux postes du bataillon malien s'est aggravé, "
            "passant de 25 à 38 morts, a-t-on appris auprès de l'état-major.")
    assert _killed(text) == 38


def test_attackers_killed_are_counted_apart():
    text = "Sept militaires ont été tués dans l'attaque, et 63 terroristes ont été abattus, selon l'armée."
    assert _killed(text) == 7
    claims = {c.value: (c.who, c.scope) for c in extract_claims(text, "fr")}
    assert claims[63] == ("attackers", "attackers")


def test_side_bar_headlines_after_lire_la_suite_are_other_stories():
    text = ("L'équipe est restée muette face au Feyenoord et échoue aux portes de la finale. Lire la suite. "
            "Le 5 mai 1992, l'effondrement d'une tribune avait fait 19 morts et plus de 2300 blessés.")
    toll = text_toll(text, "fr")
    assert toll["killed"] is None and toll["injured"] is None


def test_among_those_killed_is_a_part():
    text = "At least 12 children were among those killed in Sunday's attack on a market in Djibo, medical sources said."
    assert [(c.value, c.scope) for c in extract_claims(text, "en")] == [(12, "subset")]


def test_figurent_parmi_les_blesses_is_a_part():
    text = "Huit soldats figurent parmi les blessés de l'attaque de Menaka, selon l'armée malienne."
    assert [(c.value, c.scope) for c in extract_claims(text, "fr")] == [(8, "subset")]
