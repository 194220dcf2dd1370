"""Sentences of issue 10 that used to give no claim or the wrong one, one named test each."""

from __future__ import annotations

from bot.claims import extract_claims, text_toll


def _toll(text, lang="en", metric="killed"):
    c = text_toll(text, lang)[metric]
    return None if c is None else (c.value, c.source, c.scope)


def _claims(text, lang="en"):
    return [(c.metric, c.value, c.scope) for c in extract_claims(text, lang)]


def test_death_toll_rose_to_130_a_local_official_said():
    assert _toll("The death toll from Saturday's attack rose to 130, a local official said.") == (130, "official", "event")


def test_headline_death_toll_in_places_possessive_attack_rises_to_130():
    assert _toll("Death toll in Burkina Faso's Barsalogho attack rises to 130")[0] == 130


def test_death_toll_has_risen_from_25_to_40_keeps_25_as_history():
    text = "The death toll has risen from 25 to 40, officials said."
    assert _toll(text) == (40, "official", "event")
    assert ("killed", 25, "history") in _claims(text)


def test_headline_jihadists_kill_at_least_40():
    c = text_toll("Jihadists kill at least 40 in Burkina Faso's Barsalogho", "en")["killed"]
    assert (c.value, c.qualifier) == (40, "at_least")


def test_sixty_people_wounded_a_local_official_is_official_not_witnesses():
    assert _toll("Sixty people were wounded, a local official said.", metric="injured") == (60, "official", "event")


def test_french_bilan_est_passe_de_25_a_40_is_40_with_25_as_history():
    text = "Le bilan est passé de 25 à 40 morts, a indiqué le ministère de la Santé."
    assert _toll(text, "fr") == (40, "official", "event")
    assert ("killed", 25, "history") in _claims(text, "fr")


def test_french_bilan_s_est_alourdi_a_40():
    assert _toll("Le bilan s'est alourdi à 40 morts, selon une source sécuritaire.", "fr")[0] == 40


def test_french_age_is_not_a_count_un_homme_de_45_ans_a_ete_tue():
    assert _toll("Un homme de 45 ans a été tué.", "fr")[0] == 1


def test_ages_and_a_year_the_claim_says_why_it_is_not_the_toll():
    # Two people killed "in the 2019 attack": read as a figure of another time, and the scope says so.
    claims = extract_claims("A 45-year-old man and his 12-year-old son were killed in the 2019 attack.", "en")
    assert [(c.value, c.scope) for c in claims] == [(2, "cumulative")]


def test_active_voice_implicit_victim_shot_dead_the_village_chief():
    assert _toll("Armed men shot dead the village chief of Chahar Shanghoy")[0] == 1


def test_executed_83_men():
    assert _toll("Gunmen executed 83 men in the village, residents said.")[0] == 83


def test_beheaded_three_farmers():
    assert _toll("Militants beheaded three farmers in Cabo Delgado.")[0] == 3


def test_long_subject_seven_employees_of_tolo_were_killed():
    text = ("Seven employees of popular Afghan TV channel TOLO were killed Wednesday when a suicide car bomber "
            "rammed into their minibus in Kabul.")
    assert _toll(text)[0] == 7


def test_subset_is_not_the_whole_29_including_10_foreigners():
    text = "At least 29 people, including 10 foreigners, were killed in the attack."
    assert _toll(text)[0] == 29
    assert ("killed", 10, "subset") in _claims(text)


def test_animals_are_still_not_casualties_with_long_subjects():
    assert extract_claims("Two dogs were killed in the fire.", "en") == []


def test_scope_of_an_ordinary_claim_is_event():
    assert {c.scope for c in extract_claims("At least 13 people were killed.", "en")} == {"event"}


def test_contested_claim_the_armys_20_is_official_and_the_toll():
    text = "JNIM said it had killed 150 soldiers, a claim the army denied, saying 20 soldiers died."
    claims = [(c.value, c.source) for c in extract_claims(text, "en")]
    assert (150, "perpetrator_claim") in claims and (20, "official") in claims
    assert _toll(text) == (20, "official", "event")


def test_two_counts_joined_by_and_are_their_sum():
    text = "Eight Christians and one member of the Yazidi sect were killed in Baghdad."
    assert _toll(text)[0] == 9


def test_total_number_killed_has_been_put_at_32():
    text = "The total number of people killed in three days of violence near Doro camp has been put at 32 people."
    assert _toll(text)[0] == 32


def test_claimed_credit_for_an_attack_is_not_the_groups_figure():
    assert _toll("ISIS claimed credit for a suicide car bomb attack that killed 12 people in Baghdad.")[0] == 12


def test_named_victim_with_an_apposition_has_been_murdered():
    assert _toll("Cecilia Coicue, the owner of land near Corinto, has been murdered on her farm.")[0] == 1


def test_a_described_victim_and_a_named_one_are_not_counted_twice():
    text = "A former Yates basketball star was shot to death on Sunday. Police said Swift was shot and killed."
    assert _toll(text)[0] == 1


def test_nominal_count_the_murder_of_six_people():
    assert _toll("Authorities are investigating the murder of six people in La Paz.")[0] == 6


def test_long_subject_four_senior_officials_of_the_state_were_killed():
    text = "Four senior officials of the Benishangul-Gumuz Regional State were killed in an ambush."
    assert _toll(text)[0] == 4


def test_long_subject_with_intransitive_died():
    assert _toll("During the protests 16 protesters died in Najaf when security forces opened fire.")[0] == 16


def test_the_district_head_with_an_apposition_was_killed():
    text = "The district head of Balle, Gudu Local Government Area of Sokoto State, Ibrahim Aliyu, was killed by bandits."
    assert _toll(text)[0] == 1


def test_an_aside_between_the_victims_and_the_verb_keeps_the_whole_figure():
    # Written beside the rule (a fixture of its author): the aside names a part, the toll is the whole.
    assert _toll("At least 29 people, including 10 foreigners, were killed in an attack on a hotel.")[0] == 29
    assert _toll("Eighteen people -- mostly women, children and the elderly -- were killed on Tuesday.")[0] == 18


def test_a_reporting_verb_between_the_victims_and_the_verb():
    assert _toll("Nine people are said to have been killed in armed attacks.")[0] == 9
    assert _toll("About 40 persons have so far been reportedly killed by herdsmen.")[0] == 40


def test_the_killers_before_an_aside_are_still_the_killers():
    assert _toll("Five gunmen, including a woman, killed 12 people.")[0] == 12


def test_executed_and_shot_to_death_count_the_dead():
    assert _toll("Militants executed 83 men in the town.")[0] == 83
    assert _toll("The militants shot to death 20 civilians at the base.")[0] == 20


def test_an_occupation_is_a_person_a_46_year_old_cleric_was_killed():
    assert _toll("A 46-year-old cleric was killed by unknown gunmen in Hamedan.")[0] == 1


def test_the_group_speaking_with_medical_officials_is_not_the_armed_group():
    text = "More than 20 civilians were killed in the shelling of a market, the group and medical officials said."
    assert _toll(text) == (20, "medical", "event")


def test_french_participle_without_avoir_names_victims_not_killers():
    # "tués le 14 novembre": a date after a participle is no object; "ont tué trois civils" still is.
    assert _toll("Trente-six des 53 gendarmes tués le 14 novembre ont été inhumés.", "fr")[0] == 53
    assert _toll("Deux hommes armés ont tué trois civils.", "fr")[0] == 3


def test_a_death_figure_then_a_wounded_figure_is_not_one_list_of_wounded():
    text = "Les combats ont vu la mort de 30 terroristes, et treize soldats ont été blessés à cette occasion."
    assert _toll(text, "fr", "injured")[0] == 13
    assert _toll("The attack killed a soldier and two policemen were wounded.", "en", "injured")[0] == 2


def test_a_toll_that_rises_after_a_long_description_of_the_attack():
    text = ("Le bilan de l'attaque du 30 septembre contre deux postes du bataillon malien de la Force conjointe "
            "du G5 Sahel à Boulkessi et à Mondoro, au centre du Mali, s'est aggravé, passant de 25 à 38 morts, "
            "a-t-on appris auprès de l'état-major.")
    assert _toll(text, "fr")[0] == 38
    assert ("killed", 25, "history") in _claims(text, "fr")


def test_others_sustained_various_degrees_of_injuries_are_the_injured():
    text = "Five persons were killed in the attack on Wednesday. 39 others sustained various degrees of injuries."
    assert _toll(text, metric="injured")[0] == 39


def test_a_few_days_of_shelling_is_the_event_a_year_is_a_running_total():
    text = "At least seven civilians have been killed and eight wounded by shelling in the past two days in Benghazi."
    assert _toll(text)[0] == 7 and _toll(text, metric="injured")[0] == 8
    assert _toll("At least 300 people have been killed in the region over the past two years.") is None


def test_as_many_as_25_people_before_an_aside_is_up_to_25():
    c = text_toll("As many as 25 people, most of them vendors, were killed on Saturday.", "en")["killed"]
    assert (c.value, c.qualifier) == (25, "up_to")


def test_one_victim_described_at_length_before_the_verb_is_one_death():
    text = ("A journalist who worked for a local language service of the BBC and also contributed to Reuters "
            "was shot dead while driving home in Khost on Monday, officials said.")
    assert _toll(text)[0] == 1
    assert _toll("Local government official has been shot and killed by men armed with pistols, a witness said.")[0] == 1
    assert _toll("Muslim cleric working for the national radio was shot dead on Friday night in Mogadishu.")[0] == 1


def test_a_long_subject_that_is_no_person_or_a_list_gives_no_single_death():
    assert _toll("The convoy that carried supplies to the northern towns was attacked and burned.") is None
    assert _toll("Police said the attack on the market of the town was not claimed.") is None


def test_animals_killed_are_no_toll_and_do_not_join_the_people():
    assert _toll("Suspected gunmen on Sunday killed 73 cows in the same village.") is None
    assert _toll("The clash followed the killing of 800 cattle by youths.") is None
    assert _toll("Twenty villagers and 83 cows were reportedly killed over the weekend.")[0] == 20


def test_the_source_after_a_list_is_not_one_more_victim():
    assert _toll("Militants set up a fake roadblock and killed 15 people, a police officer told AFP.")[0] == 15


def test_a_boy_of_14_among_the_dead_is_an_age():
    assert _toll("Seven people, including a boy of 14, have been killed in continuing violence.")[0] == 7


def test_a_crowd_of_killers_before_a_named_victim_is_not_the_toll():
    assert _toll("A group of at least 30 armed men murdered Santana Cruz Bahena, mayor-elect of the town.")[0] == 1


def test_a_french_toll_that_rises_after_forty_words_of_description():
    text = ("Le bilan des soldats maliens ayant perdu la vie dans la double attaque de lundi et mardi contre les "
            "camps de Mondoro et de Boulkessy, non loin de la frontière du Burkina Faso, est monté à 38, a reconnu "
            "le ministre de la Défense.")
    assert _toll(text, "fr")[0] == 38


def test_a_toll_of_terrorists_neutralised_is_the_attackers_not_the_victims():
    text = "Le bilan provisoire fait état de dix terroristes neutralisés et d'un gendarme blessé, selon l'état-major."
    assert _toll(text, "fr") is None
    assert _toll(text, "fr", "injured")[0] == 1


def test_rebels_telling_of_the_other_sides_air_raid_are_not_claiming_it():
    text = ("Huthi rebels in Yemen said on Friday an air raid by coalition warplanes on a house near the capital "
            "killed nine civilians including women and children.")
    killed = text_toll(text, "en")["killed"]
    assert killed.value == 9 and killed.source != "perpetrator_claim"
    claim = text_toll("JNIM said it had killed 150 soldiers in the attack.", "en")
    assert all(c is None or c.source == "perpetrator_claim" for c in claim.values()) or claim["killed"] is None


def test_the_deadliest_massacre_this_year_is_a_comparison_not_a_running_total():
    text = ("Rebels killed at least 64 civilians in the northeast, the governor said, marking the deadliest "
            "massacre in the region this year.")
    assert _toll(text)[0] == 64
    assert _toll("At least 300 civilians have been killed in the region this year.") is None


def test_villagers_feared_killed_and_people_attacked_and_killed_are_tolls():
    assert _toll("At least 40 villagers in the border community were feared killed on Monday.")[0] == 40
    assert _toll("19 people were reportedly attacked and killed by gunmen in the village on Thursday night.")[0] == 19


def test_a_count_of_people_then_where_they_were_before_the_verb():
    text = ("Six civilians on the Pakistani side in the Nikial and Jandrot areas had been killed by shelling "
            "on Monday, and eight injured.")
    assert _toll(text)[0] == 6


def test_a_family_of_seven_counts_seven_and_one_family_is_not_one_person():
    assert _toll("An armed gang slaughtered a family of seven celebrating Christmas in the village.")[0] == 7
    assert _toll("A family of five was killed when the shell hit their house.")[0] == 5
    assert _toll("Up to 16 civilians from one family were killed early on Sunday in air strikes.")[0] == 16
    assert _toll("One family member was killed.")[0] == 1
    assert _toll("He is survived by a family of four.") is None


def test_an_aside_about_who_they_were_does_not_hide_the_count():
    text = "12 women and children, all related, were killed in a Sunday airstrike. Ten of those killed were children."
    assert _toll(text)[0] == 12


def test_a_count_then_its_breakdown_between_commas_is_the_count():
    assert _toll("Six people, two Turkish nationals and four Somalis, were confirmed killed in Mogadishu.")[0] == 6
    assert _toll("Five people, two of them children, were killed.")[0] == 5
    assert _toll("Cinq personnes, dont deux enfants, ont été tuées.", "fr")[0] == 5


def test_the_civilians_among_the_dead_when_the_text_says_which_they_were():
    from bot.claims.civilians import civilians_killed

    text = "A barrage of rockets rained down, killing four soldiers and five civilians, the official told AFP."
    assert _toll(text)[0] == 9 and civilians_killed(text, "en").value == 5
    assert civilians_killed("Gunmen stormed the base, leaving at least 10 people dead, including five civilians.").value == 5
    assert civilians_killed("In Taiz, 11 civilians and a soldier were killed when rebels bombed the area.").value == 11
    assert civilians_killed("Twelve Yemeni civilians have been killed in an air raid.").value == 12
    assert civilians_killed("Seven people, including two women and two children, were killed.") is None
    assert civilians_killed("Nearly 15 people including eight policemen were killed.") is None


def test_the_deadliest_attack_since_is_a_comparison_and_where_starts_another_clause():
    assert _toll("Islamists killed 16 people in their deadliest attack since launching an insurgency in 2017.")[0] == 16
    text = ("At least seven people were shot dead and a dozen injured during the elections in the hills, where a "
            "low level insurgency has left dozens killed in recent years.")
    assert _toll(text)[0] == 7


def test_decapitated_set_ablaze_and_said_to_have_died_are_deaths():
    assert _toll("Eight people from the same family have been decapitated in broad day light.")[0] == 8
    assert _toll("At least seven persons believed to be nomads were reportedly set ablaze at the motor park.")[0] == 7
    assert _toll("At least five people are said to have died after armed men invaded the village.")[0] == 5


def test_an_earlier_event_named_by_its_year_is_not_this_toll():
    text = ("Gunmen have shot and killed a former police officer who was fired over the 2011 killing of five "
            "women in Quetta.")
    assert _toll(text)[0] == 1


def test_a_list_of_who_was_among_them_is_a_part_not_more_victims():
    assert _toll("A truck bomb hit the police station, killing five civilians including a baby and two toddlers.")[0] == 5
    assert _toll("Gunmen have shot dead seven people including three teens and a pregnant woman, police said.")[0] == 7
    assert _toll("A mother and her two children, including a baby, were killed.")[0] == 3
    assert _toll("The attack killed four soldiers and five civilians.")[0] == 9  # a list with no part is still a sum


def test_drowned_waylaid_and_stabbing_to_death_are_deaths():
    assert _toll("When the boats sank, 13 people, most of them children, drowned.")[0] == 13
    assert _toll("Five people have been waylaid and killed by unknown gunmen in Ajaokuta.")[0] == 5
    assert _toll("Attackers struck a mosque outside Durban, stabbing to death an imam and injuring two others.")[0] == 1


def test_victims_and_attackers_in_one_list_are_two_figures_not_one_sum():
    text = "Hospital sources said 11 civilians and 43 rebel fighters had been killed on Sunday."
    assert _toll(text)[0] == 11
    killed = [c for c in extract_claims(text) if c.metric == "killed"]
    assert sorted((c.value, c.who) for c in killed) == [(11, "civilians"), (43, "attackers")]
    assert _toll("The army killed 30 militants and two civilians in the raid.")[0] == 2
    assert _toll("Four soldiers and five civilians were killed.")[0] == 9  # both victims: still their sum
