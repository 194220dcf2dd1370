"""Hard cases of casualty extraction, pinned by name, in English and French."""

from __future__ import annotations

import pytest

from bot.claims import detect_lang, extract_claims, text_toll


def figures(text: str, lang: str | None = None) -> list[tuple]:
    """(metric, value, qualifier, vague) of each claim, in reading order."""
    return [(c.metric, c.value, c.qualifier, c.vague) for c in extract_claims(text, lang)]


def toll(text: str, lang: str | None = None, metric: str = "killed"):
    c = text_toll(text, lang)[metric]
    return None if c is None else (c.value if c.value is not None else c.vague)


# --- sums --------------------------------------------------------------------------------------

def test_sum_a_mother_and_her_four_children_is_five():
    assert figures("A mother and her four children were killed in the raid.", "en") == [("killed", 5, "exact", None)]


def test_sum_his_five_children_as_well_as_his_wife_is_six():
    text = "A man opened fire at his home, killing his five young children as well as his wife, police said."
    assert ("killed", 6, "exact", None) in figures(text, "en")
    assert toll(text, "en") == 6


def test_sum_in_french_une_mere_et_ses_quatre_enfants():
    assert figures("Une mère et ses quatre enfants ont été tués.", "fr") == [("killed", 5, "exact", None)]


# --- implicit singulars ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "A journalist was killed in Gao on Monday.",
    "One soldier was killed when the convoy hit a mine.",
    "Jassely Lupoe, a 5-year-old girl, was shot and killed Tuesday.",
    "The victim was pronounced dead at the scene.",
    "A 29-year-old man was fatally shot Saturday evening.",
    "Police said the man was shot and later died at a hospital.",
])
def test_implicit_singular_killed_is_one(text):
    assert toll(text, "en") == 1


def test_implicit_singular_keeps_who_is_counted():
    (claim,) = extract_claims("A journalist was killed in Gao on Monday.", "en")
    assert claim.who == "civilians"


def test_one_counts_with_text2num_threshold_zero():
    assert figures("One soldier was killed.", "en") == [("killed", 1, "exact", None)]


def test_shot_without_outcome_is_injured_in_the_toll():
    assert toll("A 20-year-old man was shot in the leg, police said.", "en", "injured") == 1
    assert toll("A 20-year-old man was shot in the leg, police said.", "en") is None


def test_two_shot_one_fatally_gives_one_killed_one_injured():
    text = "Two men were shot, one fatally, on the west side."
    assert (toll(text, "en"), toll(text, "en", "injured")) == (1, 1)


def test_implicit_singulars_in_french():
    assert figures("Un journaliste a été tué par balle lundi à Bamako.", "fr") == [("killed", 1, "exact", None)]
    assert figures("Le chef du village a été assassiné.", "fr") == [("killed", 1, "exact", None)]


def test_nobody_injured_is_no_claim():
    assert figures("No one was injured, police said.", "en") == []
    assert figures("Aucun blessé n'est à déplorer.", "fr") == []


# --- subsets -----------------------------------------------------------------------------------

def test_subset_including_six_soldiers_is_not_the_toll():
    text = "At least 30 people were killed, including six soldiers, the army said."
    claims = extract_claims(text, "en")
    assert [(c.metric, c.value, c.who) for c in claims] == [("killed", 30, None), ("killed", 6, "soldiers")]
    assert toll(text, "en") == 30


def test_subset_dont_six_soldats_is_not_the_toll():
    text = "Au moins 30 personnes ont été tuées, dont six soldats, selon l'armée."
    assert [c.value for c in extract_claims(text, "fr")] == [30, 6]
    assert toll(text, "fr") == 30


def test_named_victims_are_a_lower_bound_not_the_toll():
    text = "The official death toll stands at 77, but other reports say 81 victims identified."
    assert ("named_victims", 81, "exact", None) in figures(text, "en")
    assert toll(text, "en") == 77


# --- the perpetrators' claim beside the official toll ------------------------------------------

def test_perpetrator_claim_beside_official_toll_in_english():
    text = ("The army said 10 soldiers were killed. In a statement, the group claimed that more than "
            "100 soldiers were killed.")
    claims = extract_claims(text, "en")
    assert [(c.value, c.source) for c in claims] == [(10, "official"), (100, "perpetrator_claim")]
    assert toll(text, "en") == 10


def test_perpetrator_claim_beside_official_toll_in_french():
    text = ("L'armée a annoncé 10 morts dans ses rangs. Dans un communiqué, le groupe jihadiste a affirmé "
            "avoir tué plus de 100 soldats.")
    assert [(c.value, c.source) for c in extract_claims(text, "fr")] == [(10, "official"), (100, "perpetrator_claim")]
    assert toll(text, "fr") == 10


def test_a_claimed_attack_is_not_a_claimed_toll():
    text = "The attack, claimed by JNIM, killed 12 soldiers, according to the army."
    (claim,) = extract_claims(text, "en")
    assert (claim.value, claim.source) == (12, "official")


def test_perpetrators_figure_alone_gives_no_toll():
    assert toll("Le JNIM a revendiqué l'attaque, affirmant avoir tué 50 soldats.", "fr") is None


# --- cumulative tolls --------------------------------------------------------------------------

def test_cumulative_since_2012_is_extracted_but_not_the_toll():
    text = "Since 2012, thousands of people have died in the conflict."
    assert figures(text, "en") == [("killed", None, "vague", "thousands")]
    assert toll(text, "en") is None


def test_cumulative_figure_beside_the_events_toll():
    text = "The attack killed 9 people. Since 2015, more than 2,000 people have been killed in the region."
    assert toll(text, "en") == 9


def test_cumulative_in_french():
    text = "L'attaque a fait 9 morts. Depuis 2015, plus de 2 000 personnes ont été tuées dans la région."
    assert [c.value for c in extract_claims(text, "fr")] == [9, 2000]
    assert toll(text, "fr") == 9


# --- vague words, qualifiers, ranges -----------------------------------------------------------

def test_hundreds_is_vague_not_one_hundred():
    (claim,) = extract_claims("Hundreds of people were killed and wounded, the group said.", "en")
    assert (claim.metric, claim.value, claim.vague, claim.low, claim.high) == ("killed_or_injured", None, "hundreds", 200, 999)


def test_tens_is_vague_not_ten():
    (claim,) = extract_claims("Tens of people were injured in the blast.", "en")
    assert (claim.value, claim.vague) == (None, "tens")


@pytest.mark.parametrize("text,lang,expected", [
    ("Scores of people were killed.", "en", ("killed", None, "vague", "scores")),
    ("Several police trainees were left dead.", "en", ("killed", None, "vague", "several")),
    ("Des dizaines de civils ont été tués.", "fr", ("killed", None, "vague", "des dizaines")),
    ("Plusieurs centaines de personnes ont été blessées.", "fr", ("injured", None, "vague", "plusieurs centaines")),
    ("Quelques blessés ont été évacués.", "fr", ("injured", None, "vague", "quelques")),
])
def test_vague_words_keep_the_word_and_no_invented_number(text, lang, expected):
    assert figures(text, lang) == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("More than 75 people were killed.", "en", (75, 75, None, "more_than")),
    ("Over 250 were injured.", "en", (250, 250, None, "more_than")),
    ("At least 12 people were killed.", "en", (12, 12, None, "at_least")),
    ("Around 200 were injured.", "en", (200, 200, 200, "about")),
    ("Up to 100 people may have died.", "en", (100, None, 100, "up_to")),
    ("Between 20 and 30 people were killed.", "en", (20, 20, 30, "range")),
    ("Two or three people were injured.", "en", (2, 2, 3, "range")),
    ("Une vingtaine de soldats ont été tués.", "fr", (20, 16, 24, "about")),
    ("Au moins 77 morts.", "fr", (77, 77, None, "at_least")),
    ("Près de 50 soldats ont perdu la vie.", "fr", (50, 50, 50, "about")),
    ("Entre 20 et 30 personnes auraient été tuées.", "fr", (20, 20, 30, "range")),
])
def test_qualifiers_and_ranges(text, lang, expected):
    (claim,) = extract_claims(text, lang)
    assert (claim.value, claim.low, claim.high, claim.qualifier) == expected


def test_combined_figure_is_killed_or_injured():
    assert figures("Their actions resulted in hundreds of deaths and injuries.", "en")[0][0] == "killed_or_injured"


def test_kidnapped_and_missing_metrics():
    assert figures("Deux humanitaires ont été enlevés et un troisième est porté disparu.", "fr") == [
        ("kidnapped", 2, "exact", None), ("missing", 1, "exact", None)]
    assert figures("Gunmen abducted 30 students from a school.", "en") == [("kidnapped", 30, "exact", None)]


def test_hedged_estimate_is_not_the_toll_when_a_firm_figure_exists():
    text = ("Security sources said more than 70 people were killed. Other reports suggest the toll could be "
            "higher, with an estimated 100 people killed.")
    assert toll(text, "en") == 70


# --- sources -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,lang,source", [
    ("Twelve soldiers were killed, according to security sources.", "en", "security_sources"),
    ("Hospital officials said 14 people died.", "en", "medical"),
    ("The UN said at least 39 civilians were killed.", "en", "un_ngo"),
    ("Confidential documents put the toll at up to 100 dead.", "en", "leaked_documents"),
    ("Residents said 20 people were killed.", "en", "witnesses"),
    ("State television acknowledged that 5 soldiers were killed.", "en", "official"),
    ("Twelve people were killed in the attack.", "en", "unattributed"),
    ("Au moins 40 civils ont été tués, a annoncé le gouverneur de la région.", "fr", "official"),
    ("Trois morts, selon une source hospitalière.", "fr", "medical"),
    ("Douze soldats ont été tués, selon des sources sécuritaires.", "fr", "security_sources"),
    ("Selon l'ONU, 39 civils ont été tués.", "fr", "un_ngo"),
    ("Selon des témoins, 20 villageois ont été tués.", "fr", "witnesses"),
])
def test_source_classes(text, lang, source):
    claims = extract_claims(text, lang)
    assert claims and claims[0].source == source


def test_source_words_are_kept_as_written():
    (claim,) = extract_claims("Twelve soldiers were killed, according to security sources.", "en")
    assert claim.source_text == "according to security sources"


# --- distractors: numbers that are not casualties ----------------------------------------------

@pytest.mark.parametrize("text,lang", [
    ("A 25-year-old man was arrested on Tuesday.", "en"),                       # age
    ("Le suspect, âgé de 25 ans, a été arrêté.", "fr"),                         # age
    ("The junta has been in power since coups in 2020 and 2021.", "en"),        # years
    ("En 2012, le nord du pays était tombé aux mains des groupes armés.", "fr"),  # year
    ("He paid tribute to the victims on September 21, 2024.", "en"),            # date
    ("L'attaque s'est produite le 17 septembre 2024.", "fr"),                   # date
    ("The assault occurred on the 64th anniversary of the gendarmerie.", "en"),  # ordinal, anniversary
    ("La gendarmerie célébrait son 64e anniversaire.", "fr"),                   # ordinal, anniversary
    ("The one-year anniversary of the alliance fell the day before.", "en"),    # anniversary
    ("The base is just 15 kilometers northwest of the capital.", "en"),         # distance
    ("Le camp se trouve à 15 km au nord-ouest de Bamako.", "fr"),               # distance
    ("Gunfire was heard for three hours before helicopters arrived.", "en"),    # duration
    ("Les combats ont duré pendant trois heures.", "fr"),                       # duration
    ("Crime Stoppers is offering a $2,500 reward for the victims' families.", "en"),  # money
    ("Le gouvernement a débloqué 2 milliards de francs CFA pour les victimes.", "fr"),  # money
    ("Turnout reached 25 percent among the victims' relatives.", "en"),         # percentage
    ("Le taux de participation a atteint 25 % dans la région.", "fr"),          # percentage
    ("Militants set a government-owned Boeing 737 alight.", "en"),              # model number
    ("Les assaillants ont incendié un Boeing 737.", "fr"),                      # model number
    ("JNIM said 13 fighters had taken part in the attacks.", "en"),             # attackers taking part
    ("Le JNIM affirme que 13 combattants ont pris part à l'attaque.", "fr"),    # attackers taking part
    ("Two vehicles rigged with explosives set off on a deadly attack.", "en"),  # vehicles
    ("Deux véhicules piégés ont explosé devant l'entrée du camp.", "fr"),       # vehicles
    ("The militants reported the destruction of six military aircraft.", "en"),  # aircraft
    ("Six avions militaires ont été détruits lors de l'assaut.", "fr"),         # aircraft
    ("It was the most brazen of at least 15 attacks in June and July.", "en"),  # attacks
    ("Au moins 15 attaques ont été recensées en juin.", "fr"),                  # attacks
    ("Authorities reacted by closing seven livestock markets.", "en"),          # markets
    ("Les autorités ont fermé sept marchés à bétail.", "fr"),                   # markets
    ("Police responded to reports of five to 10 shots fired.", "en"),           # shots fired
    ("She came back, fired one shot and left.", "en"),                          # shots fired
    ("Trois coups de feu ont été tirés vers minuit.", "fr"),                    # shots fired
])
def test_distractor_is_not_a_casualty(text, lang):
    assert figures(text, lang) == []


# --- language ----------------------------------------------------------------------------------

def test_language_is_detected_when_not_given():
    assert detect_lang("Au moins 77 morts et 255 blessés, selon un bilan officiel.") == "fr"
    assert detect_lang("At least 77 people were killed and 255 injured, officials said.") == "en"
    assert figures("Au moins 77 morts et 255 blessés, selon un bilan officiel.")[0][:2] == ("killed", 77)


# --- local crime news (the GVDB kind): implicit deaths, outcomes, headlines --------------------

def test_three_shot_one_dead_leaves_two_injured():
    text = "Three people were shot Friday; one man died at the scene and another was critically wounded."
    assert (toll(text, "en"), toll(text, "en", "injured")) == (1, 2)


def test_shot_then_died_later_in_the_clause_is_killed():
    assert figures("A 25-year-old man was shot and later died at a hospital.", "en") == [("killed", 1, "exact", None)]


def test_fatal_shooting_implies_one_dead_only_without_a_figure():
    assert toll("Police are investigating a fatal shooting on the east side.", "en") == 1
    assert toll("A fatal shooting left two men dead on Sunday.", "en") == 2


def test_murder_suicide_and_double_homicide_imply_their_count():
    assert toll("Police are investigating an apparent murder-suicide in Beech Grove.", "en") == 2
    assert toll("Felimon Contreras, 29, was killed in a double homicide in Northridge.", "en") == 2


def test_conditional_homicide_does_not_raise_the_toll():
    text = "Two women were fatally shot. If she was pregnant, the case becomes a triple homicide."
    assert toll(text, "en") == 2


def test_left_and_found_phrases():
    assert toll("The shooting left a 17-year-old wounded.", "en", "injured") == 1
    assert toll("Police said the man found dead on Friday was 18.", "en") == 1
    assert toll("A fisherman found the body of a man in the river.", "en") == 1


def test_listed_in_critical_condition_is_injured():
    assert toll("The victim was taken to hospital, where he is listed in critical condition.", "en", "injured") == 1


def test_negated_subject_is_no_claim():
    assert figures("No officers or anyone else at the Walmart was injured, state police said.", "en") == []


def test_headline_style_title_glued_to_body():
    text = "Man shot, killed on Detroit's west side | WXYZDETROIT (WXYZ) - Police are investigating."
    assert toll(text, "en") == 1


def test_headline_with_active_verb_names_the_shooter_not_a_victim():
    assert figures("A man shot his neighbour's dog on Tuesday.", "en") == []


def test_lone_capitalised_word_is_a_surname_only_if_the_full_name_is_given():
    assert toll("William Waldron, 26, was armed. Waldron was subsequently shot and killed.", "en") == 1
    assert figures("Gastonia was injured by the storm.", "en") == []


def test_age_in_apposition_and_under_the_age_of_are_not_counts():
    assert figures("John Smith, 25, was shot and killed.", "en") == [("killed", 1, "exact", None)]
    assert toll("Since 2012, at least 555 kids under the age of 12 have been killed.", "en") is None


def test_shots_fired_alone_is_not_a_casualty():
    assert figures("Neighbors reported hearing at least six shots fired near the store.", "en") == []


def test_both_counts_two():
    assert figures("Both men were killed in the ambush.", "en") == [("killed", 2, "exact", None)]


def test_a_second_victim_means_at_least_two_people_hit():
    text = ("Police say one man was shot and critically wounded. A second victim was found four blocks away "
            "with a gunshot wound to the arm.")
    assert toll(text, "en", "injured") == 2


def test_group_object_does_not_swallow_the_next_clause():
    text = "During the struggle, the suspect shot the customer and both suspects fled on foot."
    assert toll(text, "en", "injured") == 1
