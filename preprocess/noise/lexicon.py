"""The word lists the rule passes read: closed-class words, verb forms, irregular nouns.

Small hand lists and regular spelling rules, not a tagger: good enough to place
synthetic errors, not a grammar.
"""
from __future__ import annotations

from typing import Dict, Tuple

ARTICLES = ("the", "a", "an")
DETERMINER_SUBS = {
    "the": ("a", "an", "this"),
    "a": ("the", "an", "one"),
    "an": ("a", "the"),
    "this": ("these", "that", "the"),
    "these": ("this", "those", "the"),
    "that": ("those", "this"),
    "those": ("that", "these"),
    "some": ("any", "a"),
    "any": ("some",),
    "much": ("many",),
    "many": ("much",),
    "every": ("all", "each"),
    "each": ("every", "all"),
    "his": ("him", "he"),
    "their": ("there", "they"),
    "its": ("it's", "it"),
}
DROPPABLE_DETERMINERS = {"the", "a", "an", "this", "these", "that", "those", "some", "any",
                         "my", "your", "his", "her", "its", "our", "their"}
DETERMINERS = set(DETERMINER_SUBS) | DROPPABLE_DETERMINERS | {
    "no", "both", "either", "neither", "several", "few", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine", "ten", "another", "other", "all", "most"}
PLURAL_DETERMINERS = {"these", "those", "many", "several", "few", "two", "three", "four",
                      "five", "six", "seven", "eight", "nine", "ten", "both", "all", "most"}

PREPOSITIONS = ("in", "on", "at", "to", "for", "of", "with", "from", "by", "about", "into",
                "onto", "over", "under", "through", "during", "near", "behind", "across",
                "around", "along", "towards", "toward", "against", "between", "among",
                "without", "inside", "outside", "after", "before", "up", "down", "off")
PREP_SUBS = {
    "in": ("on", "at", "into", "to"), "on": ("in", "at", "onto", "to"),
    "at": ("in", "on", "to"), "to": ("for", "at", "into", "in"),
    "for": ("to", "of", "since"), "of": ("for", "from", "about"),
    "with": ("by", "to", "from"), "from": ("of", "by", "since"),
    "by": ("with", "from", "on"), "about": ("of", "on", "for"),
    "into": ("in", "to", "on"), "onto": ("on", "in", "to"),
    "over": ("on", "above", "across"), "under": ("below", "in"),
    "through": ("across", "in", "by"), "during": ("in", "for", "while"),
    "near": ("next", "by", "at"), "across": ("through", "over", "in"),
    "around": ("round", "about", "in"), "along": ("on", "across", "through"),
    "towards": ("to", "for"), "toward": ("to", "for"), "against": ("on", "to", "with"),
    "between": ("among", "in"), "among": ("between", "in"),
    "without": ("with", "no"), "after": ("before", "since"), "before": ("after", "until"),
}
PREP_INSERTS = ("to", "of", "about", "for", "in", "on", "with", "at")

PRONOUN_3SG = {"he", "she", "it", "this", "that", "everyone", "everybody", "someone",
               "somebody", "nobody", "one"}
PRONOUN_NON3SG = {"i", "you", "we", "they", "these", "those"}

# Irregular verbs: base, 3sg present, past, past participle, -ing.
_IRREGULAR = """
be is was been being
have has had had having
do does did done doing
go goes went gone going
make makes made made making
take takes took taken taking
come comes came come coming
see sees saw seen seeing
get gets got gotten getting
give gives gave given giving
know knows knew known knowing
think thinks thought thought thinking
tell tells told told telling
find finds found found finding
become becomes became become becoming
leave leaves left left leaving
feel feels felt felt feeling
bring brings brought brought bringing
begin begins began begun beginning
keep keeps kept kept keeping
hold holds held held holding
write writes wrote written writing
stand stands stood stood standing
hear hears heard heard hearing
run runs ran run running
sit sits sat sat sitting
speak speaks spoke spoken speaking
lie lies lay lain lying
lead leads led led leading
grow grows grew grown growing
lose loses lost lost losing
fall falls fell fallen falling
eat eats ate eaten eating
drink drinks drank drunk drinking
drive drives drove driven driving
ride rides rode ridden riding
swim swims swam swum swimming
sing sings sang sung singing
throw throws threw thrown throwing
catch catches caught caught catching
buy buys bought bought buying
teach teaches taught taught teaching
fly flies flew flown flying
wear wears wore worn wearing
build builds built built building
sleep sleeps slept slept sleeping
spend spends spent spent spending
send sends sent sent sending
pay pays paid paid paying
meet meets met met meeting
understand understands understood understood understanding
break breaks broke broken breaking
choose chooses chose chosen choosing
forget forgets forgot forgotten forgetting
win wins won won winning
sell sells sold sold selling
read reads read read reading
put puts put put putting
cut cuts cut cut cutting
let lets let let letting
hit hits hit hit hitting
say says said said saying
draw draws drew drawn drawing
dig digs dug dug digging
hang hangs hung hung hanging
climb climbs climbed climbed climbing
"""
# Regular verbs: forms come from spelling rules (see _regular_forms).
_REGULAR = """
walk play look want need like use work call try ask help talk turn start show move live
believe happen seem open change follow stop watch learn carry jump push pull wait stay
smile laugh cook clean dance paint kick pick point reach rest return shout skate ski
study travel visit wash kiss hug enjoy prepare perform pass pose race relax repair roll
hope love hate decide plan arrive close create dress enter fix fill finish hurry improve
listen miss mix need offer order own place plant raise receive remember serve share sign
smell stare surf touch train type climb cross cover check bake board fish hike hunt jog
lift load lean kneel
"""


def _regular_forms(base: str) -> Tuple[str, str, str, str, str]:
    """(base, 3sg, past, past participle, -ing) by English spelling rules."""
    vowels = "aeiou"
    if base.endswith(("s", "x", "z", "ch", "sh", "o")):
        third = base + "es"
    elif base.endswith("y") and base[-2:-1] not in vowels:
        third = base[:-1] + "ies"
    else:
        third = base + "s"
    if base.endswith("e"):
        past, ing = base + "d", base[:-1] + "ing"
    elif base.endswith("y") and base[-2:-1] not in vowels:
        past, ing = base[:-1] + "ied", base + "ing"
    elif (len(base) <= 4 and len(base) >= 3 and base[-1] not in vowels + "wxy"
          and base[-2] in vowels and base[-3] not in vowels):
        past, ing = base + base[-1] + "ed", base + base[-1] + "ing"   # stop -> stopped
    else:
        past, ing = base + "ed", base + "ing"
    return base, third, past, past, ing


VERB_FORMS: Dict[str, Tuple[str, ...]] = {}     # any form -> (base, 3sg, past, pp, ing)
for _line in _IRREGULAR.strip().splitlines():
    _f = tuple(_line.split())
    for _w in _f:
        VERB_FORMS.setdefault(_w, _f)
for _b in _REGULAR.split():
    _f = _regular_forms(_b)
    for _w in _f:
        VERB_FORMS.setdefault(_w, _f)
# "be" has more forms than the table holds.
_BE = ("be", "is", "was", "been", "being")
for _w in ("am", "are", "were"):
    VERB_FORMS[_w] = _BE
VERB_FORM_ERRORS = {  # extra learner-typical wrong forms: over-regularised pasts.
    "went": ("goed", "go", "gone"), "came": ("comed", "come"), "ran": ("runned", "run"),
    "took": ("taked", "take", "taken"), "saw": ("seed", "see", "seen"),
    "ate": ("eated", "eat"), "bought": ("buyed", "buy"), "thought": ("thinked", "think"),
}
# finite present forms and their agreement counterpart
SVA_SWAPS = {"is": "are", "are": "is", "was": "were", "were": "was", "has": "have",
             "have": "has", "does": "do", "do": "does", "am": "is"}
MODALS = {"can", "could", "will", "would", "shall", "should", "may", "might", "must", "to",
          "did", "does", "do", "n't", "not", "'ll", "'d", "cannot"}

IRREGULAR_NOUNS = {
    "man": "men", "woman": "women", "child": "children", "person": "people",
    "foot": "feet", "tooth": "teeth", "mouse": "mice", "goose": "geese", "ox": "oxen",
    "life": "lives", "knife": "knives", "wife": "wives", "leaf": "leaves", "wolf": "wolves",
    "half": "halves", "shelf": "shelves", "sheep": "sheep", "fish": "fish", "deer": "deer",
}
IRREGULAR_PLURALS = {v: k for k, v in IRREGULAR_NOUNS.items()}

# Closed-class words never taken for nouns or content words.
FUNCTION_WORDS = (set(ARTICLES) | DETERMINERS | set(PREPOSITIONS) | PRONOUN_3SG | PRONOUN_NON3SG
                  | MODALS | set(SVA_SWAPS) | {
                      "and", "or", "but", "so", "if", "because", "while", "when", "where",
                      "who", "whom", "which", "what", "why", "how", "than", "then", "there",
                      "here", "as", "not", "very", "too", "also", "just", "me", "him", "her",
                      "us", "them", "my", "your", "our", "their", "its", "it", "been",
                      "being", "be", "yes", "no", "please", "only", "even", "still", "yet",
                      "whose", "although", "though", "since", "until", "unless", "am"})

