"""A figure told with a time the lead does not name is likelier another event's: the decision layer's feature."""

from bot.claims.timing import other_time

LEAD = "At least eight policemen were killed after the Taliban stormed a checkpoint in Balkh on Saturday night. "


def test_a_later_sentence_with_its_own_day_is_told_at_another_time():
    text = LEAD + "On Friday, 32 Afghan border force personnel were killed in a Taliban attack in Kandahar."
    assert other_time(text, text.index("32"))
    assert not other_time(text, text.index("eight"))  # the lead itself


def test_the_leads_own_day_repeated_is_the_same_time_and_french_says_last_week():
    text = LEAD + "The attack on Saturday also wounded three."
    assert not other_time(text, text.index("three"))
    fr = ("Quatre personnes ont été enlevées mercredi dans l'Est. "
          "La semaine dernière, plus de 85 personnes ont été tuées à Seytenga.")
    assert other_time(fr, fr.index("85"))
