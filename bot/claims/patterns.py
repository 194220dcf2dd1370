"""Compiled regular expressions for casualty phrases, built once from the word lists."""

from __future__ import annotations

import re

from .lexicon import (CASUALTY_AFTER, CASUALTY_BEFORE, NOT_PEOPLE, PERSON_PLUR, PERSON_SING,
                      STOP_BETWEEN, TOLL_LINK, TOLL_NOUNS, alt)
from .numbers import NUM

LANGS = ("en", "fr")
_FLAGS = re.IGNORECASE


def norm(phrase: str) -> str:
    """A phrase as the metric tables key it: lower case, single spaces, straight apostrophes."""
    return re.sub(r"\s+", " ", phrase.lower()).replace("’", "'")


# phrase -> metric, "shot" standing for "shot or stabbed, outcome not said".
AFTER_METRIC = {lang: {norm(p): m for m, ps in CASUALTY_AFTER[lang].items() for p in ps} for lang in LANGS}
BEFORE_METRIC = {lang: {norm(p): m for m, ps in CASUALTY_BEFORE[lang].items() for p in ps} for lang in LANGS}

_SEP = r"[\s,“”\"'’«»]"
# Quantity, then up to five words, then the casualty word: "77 confirmed deaths", "200 others wounded".
TAIL = {
    lang: re.compile(
        rf"(?P<of>\s+(?:of\s+(?:them|whom|those|the\s+(?:victims|people|men|women|injured|wounded|dead))|"
        rf"d['’]entre\s+(?:eux|elles)|parmi\s+(?:eux|elles)))?"
        rf"(?P<mid>(?:{_SEP}+[\w'’-]+(?![\w'’-])){{0,5}}?){_SEP}*(?<![\w'’-])(?P<cw>{alt(AFTER_METRIC[lang])})(?![\w-])",
        _FLAGS,
    )
    for lang in LANGS
}
# Casualty verb right before the quantity: "killing more than 75", "tuant au moins 12".
BEFORE = {
    lang: re.compile(
        rf"(?:^|[^\w-])(?P<cv>{alt(BEFORE_METRIC[lang])})(?:\s+(?:his|her|their|its|ses|leurs|les|some|about))?\s+$",
        _FLAGS,
    )
    for lang in LANGS
}
TOLL_BEFORE = {
    lang: re.compile(rf"\b(?P<toll>{TOLL_NOUNS[lang]}){TOLL_LINK[lang]}\s+$", _FLAGS) for lang in LANGS
}
NAMED_BEFORE = re.compile(
    r"(?:\bnames?\s+(?:\w+\s+){0,2}(?:for|of)|\bidentified|\bnamed|\bidentifying|\bidentifié|\bidentifiés|"
    r"\bnoms?\s+(?:de|des))\s+$",
    _FLAGS,
)
NAMED_AFTER = re.compile(r"\s+(?:victims|dead|bodies|of\s+the\s+(?:dead|victims)|victimes|morts|corps)\b", _FLAGS)
# Words after a quantity that show it counts a person; used to validate verb-first matches.
OBJECT_AFTER = re.compile(r"(?P<np>(?:\s+(?!(?:and|et|in|at|on|dans|à|au|of|de)\b)[\w'’-]+){0,4})", _FLAGS)

STOP = STOP_BETWEEN
NOT_PEOPLE_WORDS = NOT_PEOPLE
PASSIVE_MARKERS = {"were", "was", "been", "are", "is", "being", "été", "sont", "est", "got"}
NEGATION = {"not", "no", "never", "none", "nobody", "n't", "pas", "aucun", "aucune", "jamais", "ni", "nor", "neither"}
# Active verbs: with an object right after them, the quantity before them is the agent ("2 men killed 5").
ACTIVE_CW = re.compile(
    r"^(?:killed|injured|wounded|shot|stabbed|kidnapped|abducted|murdered|executed|massacred|hurt|"
    r"tué|tués|tuée|tuées|blessé|blessés|enlevé|enlevés|abattu|abattus|assassiné|assassinés|exécuté|exécutés)$",
    _FLAGS,
)
OBJECT_START = re.compile(
    r"\s+(?:a|an|the|his|her|their|its|one|two|three|four|five|six|seven|eight|nine|ten|\d+|at\s+least|"
    r"more\s+than|some|several|dozens|people|civilians|soldiers|un|une|des|les|le|la|au\s+moins|"
    r"plus\s+de|deux|trois|quatre|cinq|plusieurs)\b"
    r"|\s+(?-i:[A-Z][a-z]+\s+[A-Z][a-z]+)",  # a full name: "30 armed men murdered Santana Cruz"
    _FLAGS,
)

# --- Implicit figures: a singular subject or object ("a journalist was killed"), and sums
# ("a mother and her four children were killed"). -------------------------------------------------

_EN_PS = alt(PERSON_SING["en"])
_EN_PP = alt(PERSON_PLUR["en"])
_FR_PS = alt(PERSON_SING["fr"])
_FR_PP = alt(PERSON_PLUR["fr"])
_EN_DET = "(?:" + alt(["a", "an", "one", "another", "the", "his", "her", "their", "its", "this", "that",
                        "a second", "a third", "a fourth"]) + ")"
_FR_DET = "(?:" + alt(["un", "une", "le", "la", "l'", "l’", "son", "sa", "leur", "un autre", "une autre", "un second",
                        "une seconde", "un deuxième", "une deuxième"]) + ")"
_ADJS = r"(?:[\w'’.-]+\s+){0,3}?"
_NAME = (r"(?-i:\b[A-Z][a-z'’]+(?:\s+[A-Z]\.)?(?:\s+(?:Mc|Mac|De|La|O['’])?[A-Z][\w'’-]+){1,2}"
         r"(?:,?\s+(?:Jr|Sr)\.?|\s+(?:II|III|IV)\b)?)(?:\b|(?<=\.))")
_APPOS = r"(?:\s*,[^,.;:\"“”]{1,120},)?"

EN_PASSIVE_CW = {
    "killed": ["shot and killed", "shot to death", "shot dead", "killed", "fatally shot", "fatally stabbed", "fatally wounded",
               "fatally injured", "fatally struck", "found dead", "pronounced dead", "murdered", "slain", "stabbed to death",
               "beaten to death", "executed", "gunned down", "found shot to death", "shot and fatally wounded", "declared dead",
               "found shot and killed", "found fatally shot", "found shot dead", "dead", "pronounced deceased", "found deceased",
               "shot and later died", "shot and died", "killed instantly", "beheaded", "decapitated", "stabbed and beheaded",
               "stabbed and then beheaded", "assassinated", "lynched", "hacked to death", "tortured to death", "burned to death",
               "kidnapped and killed", "abducted and killed", "found murdered", "found beaten to death", "drowned",
               "waylaid and killed", "ambushed and killed", "captured and killed", "tortured and killed", "raped and killed"],
    "injured": ["wounded", "injured", "hurt", "hospitalized", "hospitalised", "critically injured",
                "seriously injured", "shot and wounded", "shot and injured", "shot and critically wounded",
                "shot and seriously wounded", "shot and critically injured", "shot and seriously injured", "grazed", "struck by gunfire",
                "hit by gunfire", "struck by a bullet", "hit by a bullet", "struck by a stray bullet",
                "hit by a stray bullet", "treated for", "critically wounded", "seriously wounded",
                "in critical condition", "in serious condition", "in stable condition", "found wounded",
                "found injured"],
    "shot": ["shot", "stabbed", "shot multiple times", "shot several times", "shot once", "shot twice", "found shot",
             "struck", "found suffering", "found with a gunshot wound", "hit"],
    "kidnapped": ["kidnapped", "abducted", "taken hostage"],
}
EN_INTRANS_CW = {
    "killed": ["died", "dies", "has died", "succumbed", "killed himself", "killed herself",
               "took his own life", "took her own life", "committed suicide", "was found dead", "perished",
               "lost his life", "lost her life", "later died", "died later", "drowned"],
    "shot": ["shot himself", "shot herself"],
}
EN_ACTIVE_CV = {
    "killed": ["killing", "killed", "kills", "shot and killed", "shot dead", "fatally shot", "fatally shooting", "fatally stabbed",
               "fatally stabbing", "murdered", "murdering", "stabbed to death", "shot to death", "gunned down", "gunning down",
               "death of", "shooting death of", "murder of", "killing of", "slaying of", "homicide of", "body of", "bodies of",
               "stabbing death of", "stabbing to death", "shooting dead", "shooting to death", "hacking to death",
               "beating to death"],
    "injured": ["wounding", "wounded", "injuring", "injured", "shot and wounded", "shot and injured"],
    "shot": ["shot", "shooting", "stabbing", "stabbed"],
    "kidnapped": ["kidnapped", "abducted", "kidnapping", "abducting"],
}
FR_PASSIVE_CW = {
    "killed": ["tué", "tuée", "tués", "tuées", "abattu", "abattue", "assassiné", "assassinée", "exécuté", "exécutée",
               "tué par balle", "tuée par balle", "retrouvé mort", "retrouvée morte", "mortellement blessé"],
    "injured": ["blessé", "blessée", "blessés", "blessées", "grièvement blessé", "grièvement blessée", "légèrement blessé"],
    "kidnapped": ["enlevé", "enlevée", "kidnappé", "kidnappée", "pris en otage", "prise en otage"],
}
FR_INTRANS_CW = {
    "killed": ["est mort", "est morte", "est décédé", "est décédée", "a péri", "a trouvé la mort", "a perdu la vie",
               "a succombé", "succomba", "succombe", "a été retrouvé mort", "a été retrouvée morte", "sont morts", "ont péri",
               "ont trouvé la mort", "ont perdu la vie"],
}
FR_ACTIVE_CV = {
    "killed": ["tuant", "a tué", "ont tué", "avoir tué", "abattant", "a abattu", "ont abattu", "assassiné",
               "coûté la vie à", "coûté la vie au", "la mort de", "la mort d'", "la mort d’", "le corps de",
               "l'assassinat de", "l’assassinat de", "le meurtre de"],
    "injured": ["blessant", "a blessé", "ont blessé"],
    "kidnapped": ["enlevant", "a enlevé", "ont enlevé"],
}


def _metric_map(table: dict) -> dict:
    """phrase -> metric, keyed by `norm`."""
    return {norm(p): m for m, ps in table.items() for p in ps}


PASSIVE_METRIC = {"en": _metric_map(EN_PASSIVE_CW), "fr": _metric_map(FR_PASSIVE_CW)}
INTRANS_METRIC = {"en": _metric_map(EN_INTRANS_CW), "fr": _metric_map(FR_INTRANS_CW)}
ACTIVE_METRIC = {"en": _metric_map(EN_ACTIVE_CV), "fr": _metric_map(FR_ACTIVE_CV)}

# Adverbs between the auxiliary and the participle; "fatally" is not one, it makes "shot" a death.
# A closed list (as a trie) rather than "\w+ly", which would re-scan every word of the text.
_ADV = "(?:(?:" + alt([
    "also", "later", "then", "reportedly", "allegedly", "apparently", "subsequently", "initially", "accidentally",
    "instantly", "eventually", "ultimately", "previously", "badly", "severely", "critically", "seriously",
    "tragically", "unintentionally", "officially", "mistakenly", "allegedly", "first", "just", "already",
    "grièvement", "légèrement", "également", "aussi", "déjà", "finalement",
]) + r")\s+){0,2}"
# A lone capitalised word can be a surname ("Waldron was shot and killed"), but not these.
_NOT_SURNAME = (r"(?!(?:Police|Officials|Authorities|Investigators|Deputies|Officers|Detectives|It|This|That|"
                r"There|Nobody|Everyone|Someone|Somebody|No|None|Neither|What|Who|Which|Nothing|Everybody|"
                r"Anyone|Prosecutors|Troopers|They|We|You|I|He|She|The|A|An)\b)")
_EN_SUBJ = (rf"(?P<np>\b{_EN_DET}\s+{_ADJS}(?:{_EN_PS})\b|{_NAME}|(?-i:\b{_NOT_SURNAME}[A-Z][a-z]{{2,}}(?:-[A-Z][a-z]+)?)\b|"
            rf"\b(?:he|she)\b|\b(?:a|an|the)\s+(?:\d+|[a-z]+-?[a-z]*)-year-old\b|\b(?:a\s+second|another|a\s+third)\b)")
# "le chef du village", "la mère de la victime": a noun may carry one "de ..." complement.
_FR_SUBJ = (rf"(?P<np>\b{_FR_DET}\s*{_ADJS}(?:{_FR_PS})\b(?:\s+(?:du|des|de\s+la|de\s+l['’]|de|d['’])\s*[\w'’-]+)?|"
            rf"{_NAME}|\b(?:il|elle)\b)")
# Python's re gets no first-character shortcut for case-blind alternations; these guards (a word start, a
# plausible first letter) make most positions of a text fail after one test: most of the extractor's speed.
_WS = r"(?<![\w'’-])"
_G_EN_SUBJ = _WS + r"(?=(?-i:[aAoOtThHiIsS]|[A-Z]))"
_G_FR_SUBJ = _WS + r"(?=(?-i:[uUlLsSiIeE]|[A-Z]))"

# Passive and intransitive casualty verbs are found first ("was shot and killed", "died"); the
# subject is then read backwards from them (SUBJECT_END, GROUP_END), which is far cheaper than
# trying a subject at every position of the sentence.
_AUX = {
    "en": alt(["was", "were", "has been", "have been", "had been", "is", "are", "got", "'s been", "’s been"]),
    "fr": alt(["a été", "avait été", "aurait été", "est", "a", "été", "ont été", "sont", "avaient été",
               "auraient été", "ont"]),
}
PLURAL_AUX = {"were", "have been", "are", "ont été", "sont", "avaient été", "auraient été", "ont"}
VERB_ANCHOR = {
    lang: re.compile(
        rf"{_WS}(?P<rel>(?:who|that|qui)\s+)?(?:(?P<aux>{_AUX[lang]})\s+{_ADV}(?:(?:all|both|tous|toutes)\s+)?"
        rf"(?P<pcw>{alt(list(PASSIVE_METRIC[lang]) + (['morts', 'mortes', 'décédés'] if lang == 'fr' else []))})"
        rf"|{_ADV}(?P<icw>{alt(INTRANS_METRIC[lang])}))(?![\w-])",
        _FLAGS,
    )
    for lang in LANGS
}
_INSERTION = r"(?:\s*\[[^\]]{1,40}\])?"  # an editor's insertion after the subject: "he [Moser] was pronounced dead"
SUBJECT_END = {
    "en": re.compile(rf"{_G_EN_SUBJ}{_EN_SUBJ}{_INSERTION}\s*$", _FLAGS),
    "fr": re.compile(rf"{_G_FR_SUBJ}{_FR_SUBJ}{_INSERTION}\s*$", _FLAGS),
}
ACTIVE_SINGULAR = {
    "en": re.compile(
        rf"{_WS}(?=(?-i:[kKsSfFmMwWiIgGaAdDbBhH]))(?P<acv>{alt(ACTIVE_METRIC['en'])})\s+(?:(?P<np>\b{_EN_DET}\s+{_ADJS}(?:{_EN_PS})\b(?!['’]s)|"
        rf"(?:\d+-year-old\s+)?{_NAME}|(?-i:{_NOT_SURNAME}[A-Z][a-z]*[A-Z]?[a-z]{{2,}})\b(?!['’]s))|"
        rf"(?P<pro>him|her)\b(?!\s+(?:{_EN_PS}|own|\w+['’]s)\b))",
        _FLAGS,
    ),
    "fr": re.compile(
        rf"{_WS}(?=(?-i:[tTaAoOcCbBeElLmM]))(?P<acv>{alt(ACTIVE_METRIC['fr'])})\s+(?P<np>\b{_FR_DET}\s*{_ADJS}(?:{_FR_PS})\b|{_NAME})",
        _FLAGS,
    ),
}


# Animals may share a list of victims ("her daughter, the toddler and their dog were found dead"): they count for no one.
ANIMALS = {"en": ["dog", "dogs", "cat", "cats", "pet", "pets", "puppy", "horse", "horses", "cows", "cattle", "goats",
                  "sheep", "camels", "livestock"],
           "fr": ["chien", "chiens", "chat", "chats", "cheval", "chevaux"]}
ANIMAL_RE = {lang: re.compile(rf"(?:{alt(ANIMALS[lang])})$", _FLAGS) for lang in LANGS}


# A name in apposition after a victim: ", 55-year-old Bettie Jones", ", identified as John Smith".
APPOS_NAME = re.compile(
    rf",\s+(?:(?:identified\s+as|named|a|an|the)\s+)?(?:(?:\d+|[a-z]+-?[a-z]*)-year-old\s+)?(?P<name>{_NAME})",
    _FLAGS,
)


def _item(det: str, num: str, ps: str, pp: str, animals: str = "") -> str:
    """One member of a list of people: "a mother", "her four children", "three soldiers" (or a pet)."""
    return rf"(?:(?:{det}|{num})\s+)(?:(?:{num})\s+)?{_ADJS}(?:{ps}|{pp}{animals})\b"


_EN_ITEM = _item(_EN_DET, NUM["en"], _EN_PS, _EN_PP, "|" + alt(ANIMALS["en"]))
_FR_ITEM = _item(_FR_DET + r"|ses|leurs", NUM["fr"], _FR_PS, _FR_PP, "|" + alt(ANIMALS["fr"]))
ITEM = {"en": re.compile(_EN_ITEM, _FLAGS), "fr": re.compile(_FR_ITEM, _FLAGS)}
_EN_JOIN = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s+as\s+well\s+as\s+|\s+along\s+with\s+|\s+plus\s+)"
_FR_JOIN = r"(?:\s*,\s*(?:et\s+)?|\s+et\s+|\s+ainsi\s+que\s+)"
_EN_GROUP = rf"{_WS}(?P<grp>{_EN_ITEM}(?:{_EN_JOIN}{_EN_ITEM})+)"
_FR_GROUP = rf"{_WS}(?P<grp>{_FR_ITEM}(?:{_FR_JOIN}{_FR_ITEM})+)"
GROUP_END = {
    "en": re.compile(rf"{_EN_GROUP}\s*$", _FLAGS),
    "fr": re.compile(rf"{_FR_GROUP}\s*$", _FLAGS),
}
GROUP_ACTIVE = {
    "en": re.compile(rf"{_WS}(?=(?-i:[kKsSfFmMwWiIgGaAdDbBhH]))(?P<acv>{alt(ACTIVE_METRIC['en'])})\s+{_EN_GROUP}", _FLAGS),
    "fr": re.compile(rf"{_WS}(?=(?-i:[tTaAoOcCbBeElLmM]))(?P<acv>{alt(ACTIVE_METRIC['fr'])})\s+{_FR_GROUP}", _FLAGS),
}
PERSON_SING_RE = {
    "en": re.compile(rf"\b(?:{_EN_PS})\b", _FLAGS),
    "fr": re.compile(rf"\b(?:{_FR_PS})\b", _FLAGS),
}
# Headlines drop articles: "Man shot, killed on Detroit's west side", "Girl shot at party dies".
_HEAD_NOUNS = "(?:" + alt([w.capitalize() for w in PERSON_SING["en"] + PERSON_SING["fr"]]) + ")"
HEADLINE = re.compile(
    rf"^[\W]*(?:(?:[\w'’.-]+\s+){{0,2}}?)(?P<np>(?i:{_HEAD_NOUNS}))\b(?P<rest>(?:[\s,]+[\w'’-]+){{1,9}})",
)
# The same telegraphic style inside a sentence, after "after", "as", a colon: "after man shot inside".
BARE = re.compile(
    rf"(?:(?<![\w'’-])(?=(?-i:[awcsAWCS]))(?:after|as|when|where|while|claims?|says?|said|and)\s+|[:;]\s*)(?P<np>(?i:{_EN_PS}))(?:,\s*\d+,)?\s+(?P<rest>(?:[\w'’-]+[\s,]+){{0,3}})",
    _FLAGS,
)
HEAD_KILLED = re.compile(r"\b(?:killed|dies|died|dead|slain|murdered|fatally|tué|tuée|mort|morte)\b", _FLAGS)
HEAD_SHOT = re.compile(r"\b(?:shot|stabbed)\b", _FLAGS)
HEAD_INJURED = re.compile(r"\b(?:wounded|injured|hurt|hospitalized|critical|blessé|blessée)\b", _FLAGS)
# "the man fatally shot by police": a participle after the noun, with its agent.
REDUCED = re.compile(
    rf"{_WS}(?=(?-i:[aAoOtThHiI]))(?P<np>\b{_EN_DET}\s+{_ADJS}(?:{_EN_PS})\b)\s+(?:(?P<pcw>fatally\s+shot|shot\s+and\s+killed|"
    rf"shot\s+dead|killed|slain|shot|wounded|injured|stabbed)\s+(?:\w+\s+)?by\b|(?P<fcw>found\s+(?:dead|shot\s+to\s+death|"
    rf"shot\s+and\s+killed|fatally\s+shot|shot\s+dead|deceased|murdered|slain)))",
    _FLAGS,
)
# Alive and hurt, said without a count: "listed in critical condition", "with a gunshot wound".
CONDITION = re.compile(
    r"\b(?:in|listed\s+in|listed\s+as|remains\s+in|remained\s+in)\s+(?:critical|serious|stable|fair|good|grave|"
    r"life-threatening|extremely\s+critical|very\s+critical)(?:\s+but\s+stable)?\s+condition",
    _FLAGS,
)
WOUND = re.compile(
    r"\b(?:treatment|treated)\s+(?:of|for)\s+(?:(?:non-|minor|serious|life|threatening|-|\s)+)?(?:injuries|wounds?|gunshot\s+wounds?)|"
    r"\b(?:suffered|sustained|received|had|with)\s+(?:a\s+|an\s+|(?:two|three|four|five|six|\d)\s+|multiple\s+|several\s+)?"
    r"(?:(?:non-life[-\s]threatening|life[-\s]threatening|minor|serious|critical|severe|apparent|fatal|single)\s+)?"
    r"(?:gunshot|bullet|stab)\s+wounds?",
    _FLAGS,
)
DEATH_WORDS = re.compile(r"\b(?:died|dies|dead|killed|fatal|fatally|deceased|death|succumbed|mort|tué)", _FLAGS)
# Words that deny or undo the figure right after them ("no one was", "tried to kill").
NEG_WORDS = {"no", "not", "never", "none", "nobody", "neither", "nor", "without", "attempted", "would", "could",
             "aucun", "aucune", "pas", "jamais", "sans"}
NEG_PAIRS = {"tried to", "trying to", "attempt to", "threatened to", "plotted to", "could have", "might have",
             "may have", "tenté de", "menacé de"}
SUBSET_BEFORE = re.compile(
    r"\b(?:including|among\s+them|among\s+whom|among\s+the\s+(?:dead|victims|injured|wounded)|of\s+whom|of\s+them|"
    r"dont|parmi\s+(?:eux|elles|lesquels|lesquelles|les\s+victimes|les\s+morts)|notamment|y\s+compris|"
    r"including\s+at\s+least)\s*(?:\w+\s+){0,1}$",
    _FLAGS,
)
HEDGE = re.compile(
    r"(?<![\w'’-])(?=(?-i:[cmpfsebwurnaCMPFSEBWURNAiI]))(?:could|may|might|possibly|feared|fears|if|suggests?|suggested|suggesting|estimat\w*|believed\s+to|would|"
    r"unconfirmed|rumou?rs?|pourrai(?:t|ent)|serai(?:t|ent)|aurai(?:t|ent)|probablement|peut-être|craint|"
    r"estim\w*|non\s+confirmés?|présumés?)\b",
    _FLAGS,
)
CUMULATIVE = re.compile(
    r"(?<![\w'’-])(?=(?-i:[stloiedacpSTLOIEDACP]))(?:since\s+(?:(?:the\s+)?(?:[\w'’-]+\s+){0,3}?(?:19|20)\d\d|the\s+(?:start|beginning|outbreak)|it\s+began|the\s+(?:conflict|insurgency|war)|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)|"
    r"so\s+far\s+this\s+year|this\s+year|last\s+year|in\s+(?:the\s+)?(?:(?:early|late|mid)[\s-]+)?"
    r"(?:(?:summer|spring|fall|autumn|winter|january|february|march|april|june|july|august|september|october|"
    r"november|december)\s+(?:of\s+)?)?(?:19|20)\d\d\b|(?:over|in|during)\s+the\s+(?:past|last)\s+(?:\w+\s+)?(?:weeks|months?|years?|decades?)|"
    r"in\s+recent\s+(?:years|months)|every\s+year|each\s+year|a\s+year|per\s+year|annually|year-to-date|"
    r"depuis\s+(?:(?:19|20)\d\d|le\s+début|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre|des\s+années|plusieurs\s+années|\d+\s+ans)|en\s+(?:19|20)\d\d\b|cette\s+année|"
    r"l['’]an\s+dernier|l['’]année\s+dernière|au\s+total\s+depuis|par\s+an|"
    r"(?:\w+\s+)?(?:derniers\s+mois|dernières\s+années|dernières\s+semaines))\b",
    _FLAGS,
)

# Cheap tests that rule a whole family of patterns out before the costly scan (speed only).
PRE_REDUCED = re.compile(r"(?:shot|killed|slain|wounded|injured|stabbed)\s+(?:\w+\s+)?by\b|found\s+(?:dead|shot|fatally|deceased|murdered|slain)", _FLAGS)

# A death said without a count: "a fatal shooting", "une fusillade mortelle". At least one dead;
# the toll uses it only when the text gives no figure for the killed.
FATAL_EVENT = {
    "en": re.compile(
        _WS + r"(?=(?-i:[fdlhmatircFDLHMATIRC]))(?:"
        r"(?:fatal|deadly|lethal|fatally)\s+(?:[\w'’-]+\s+){0,3}?(?:shooting|stabbing|shootout)s?\b|"
        # "investigating a homicide", "his death was ruled a homicide", "a crash that turned into a homicide"
        r"(?:investigat(?:e|es|ed|ing)|ruled|classified|deemed|turned\s+into|turns\s+into|treat(?:ed|ing)\s+as|"
        r"investigated\s+as)\s+(?:(?:the|his|her)\s+death\s+|it\s+)?(?:as\s+)?a\s+homicide\b(?!\s+(?:investigation|case|"
        r"victim|suspect))|"
        r"(?<!attempted\s)(?:homicide|murder)\s+(?:investigation|case|victim|suspect)|"
        r"(?:a|the)\s+shooting\s+death\b|"
        r"(?:a|the)\s+(?:man|woman|victim|boy|girl|person|teen)['’]s\s+(?:body|remains)\b)",
        _FLAGS,
    ),
    # "une attaque meurtrière" says too little about an attack for a desk; only shootings count.
    "fr": re.compile(_WS + r"fusillades?\s+(?:mortelles?|meurtri[eè]res?)", _FLAGS),
}
# Events that imply a number of dead: "an apparent murder-suicide" is at least two.
IMPLIED_DEAD = {
    "en": [(re.compile(_WS + r"murder-suicide|murder\s+suicide", _FLAGS), 2),
           (re.compile(_WS + r"double\s+(?:homicide|murder|killing)", _FLAGS), 2),
           (re.compile(_WS + r"triple\s+(?:homicide|murder|killing)", _FLAGS), 3)],
    "fr": [],
}
# "left a man injured", "found a person shot in the leg", "left one dead and another critically wounded".
LEFT_FOUND_AT = re.compile(r"\b(?:left|leaving|found|finds|find|leaves)\s", _FLAGS)
LEFT_FOUND = re.compile(
    r"(?:left|leaving|found|finds|find|leaves)\s+(?P<np>" + _EN_DET + r"\s+" + _ADJS + r"(?:" + _EN_PS + r")\b|another|"
    r"(?:a|an|the)\s+(?:\d+|[a-z]+-?[a-z]*)-year-old\b)"
    r"(?:\s+\w+)?\s+(?P<cw>dead|deceased|fatally\s+(?:shot|wounded)|shot\s+dead|shot\s+to\s+death|"
    r"(?:critically\s+|seriously\s+|badly\s+)?(?:injured|wounded|hurt)|shot|stabbed|suffering\s+from\s+(?:a\s+)?gunshot|"
    r"with\s+(?:a\s+)?(?:gunshot|bullet)\s+wounds?|in\s+(?:critical|serious|stable|grave|fair)\s+condition|"
    r"with\s+(?:non-)?life[-\s]threatening\s+injuries|with\s+(?:serious|critical|minor|severe)\s+injuries)\b",
    _FLAGS,
)
INJURIES_WITH_AT = re.compile(r"\bwith\s+(?:non-)?(?:life|serious|critical|minor|severe)", _FLAGS)
INJURIES_WITH = re.compile(
    _WS + r"(?P<np>another|a\s+second\s+\w+|one\s+other)\s+(?:\w+\s+)?with\s+(?:non-)?(?:life[-\s]threatening|serious|critical|"
    r"minor|severe)\s+injuries",
    _FLAGS,
)
# "No one else at the store was injured": a negated subject, however long.
NEG_SUBJECT = re.compile(r"\b(?:no\s+(?!longer\b|doubt\b|matter\b)\w+|nobody|none|neither|not\s+a\s+single|aucun|aucune|personne\s+n)\b[^,.;]*$",
                         _FLAGS)

# A headline noun followed by an active verb and its object is the shooter, not a victim.
HEAD_ACTIVE_REST = re.compile(r"\s*(?:shot|killed|stabbed|wounded|injured|shoots|kills)\s+(?:a|an|the|his|her|their|him|"
                          r"two|three|\d)\b", re.IGNORECASE)
DET_BEFORE = re.compile(r"\b(?:a|an|the|his|her|their|one|this|that|un|une|le|la)\s+$", re.IGNORECASE)

# "was shot and later died": the outcome of a shooting told in the same clause.
LATER_DIED = re.compile(
    r"[^.;]{0,50}?\band\s+(?:later\s+|then\s+|subsequently\s+)?(?:died|was\s+pronounced\s+dead|was\s+killed|"
    r"succumbed)", re.IGNORECASE)

# "The man who was shot in the chest died at the hospital": a relative clause tells that he was hit,
# the main verb after it that he died. Up to a few words between, none starting another clause,
# reporting speech ("who was wounded said 12 villagers died") or giving a figure of its own.
RELATIVE_DIED = re.compile(
    r"(?:(?!\b(?:and|but|while|whereas|who|which|when|after|before|because|is|are|were|remains?|remained|"
    r"said|says|say|told|tells|that|according|reported|reports|added|stated|\d+|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|dozens?|scores|hundreds|several|many)\b)[^.;:!?\"“”]){0,60}?"
    r"(?<![\w'’-])(?:(?:police|officials|authorities|investigators|officers|deputies)\s+(?:say|says|said),?\s+)?"  # "…, police said, died"
    r"(?:later\s+|then\s+|subsequently\s+|eventually\s+)?(?:died|dies|has\s+died|had\s+died|succumbed|"
    r"was\s+pronounced\s+dead|was\s+declared\s+dead)\b",
    re.IGNORECASE)

# "Paramedics pronounced him dead", "EMS personnel pronounced the victim dead": a death, told actively.
PRONOUNCED = re.compile(
    rf"{_WS}(?:pronounced|declared)\s+(?P<np>him|her|{_EN_DET}\s+{_ADJS}(?:{_EN_PS})\b|{_NAME}|"
    rf"(?-i:{_NOT_SURNAME}[A-Z][a-z]{{2,}}))\s+(?:dead|deceased)\b",
    _FLAGS,
)

# "A second victim was found with a gunshot wound": the text counts at least that many people hit.
ORDINAL_VICTIM = re.compile(
    r"\b(?:a|the)\s+(?P<n>second|third|fourth|fifth)\s+(?:shooting\s+|gunshot\s+)?victim\b",
    _FLAGS,
)
ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5}
