"""preprocess.texttools.ptb: Penn-Treebank tokenisation as JFLEG writes it, and back for display."""
import pytest

from preprocess.texttools.ptb import detokenize, tokenize


def test_ptb_tokenisation_is_idempotent_and_reversible():
    raw = 'I don\'t know, he said. "It\'s Tom\'s car (a Ford)."'
    tok = tokenize(raw)
    assert tok == "I do n't know , he said . `` It 's Tom 's car ( a Ford ) . ''"
    assert tokenize(tok) == tok
    assert detokenize(tok) == raw
    # PTB quotes as JFLEG writes them (opening ``, closing ''), from straight or curly ones
    jfleg = "they are `` rich '' and `` modern , '' not `` ancient '' ."
    assert tokenize(jfleg) == jfleg
    assert tokenize('they are "rich" and \u201cmodern,\u201d not "ancient".') == jfleg
    assert detokenize(jfleg) == 'they are "rich" and "modern," not "ancient".'




@pytest.mark.parametrize("raw, tokens", [
    # numbers keep their decimal point, thousands comma and clock colon
    ("It costs 3.5 dollars, or 1,000 cents at 10:30.",
     "It costs 3.5 dollars , or 1,000 cents at 10:30 ."),
    # abbreviations keep their period, except at the very end, where it ends the sentence
    ("Mr. Smith met Dr. Who in the U.S.", "Mr. Smith met Dr. Who in the U.S ."),
    # hyphenated words, an ellipsis and a dash stay whole
    ("A well-known fact... really -- yes!", "A well-known fact ... really -- yes !"),
    # brackets and the other punctuation stand alone
    ("He said (quietly) [twice] {ok}; fine: yes?",
     "He said ( quietly ) [ twice ] { ok } ; fine : yes ?"),
    # a possessive s', a typed backtick and a curly apostrophe
    ("The parents' car is here.", "The parents ' car is here ."),
    ("it`s mine", "it 's mine"),
    ("I\u2019m here", "I 'm here"),
])
def test_tokenize_cases(raw, tokens):
    """Each case: the tokens, tokenising them again changes nothing, and display glues back."""
    assert tokenize(raw) == tokens
    assert tokenize(tokens) == tokens
    assert detokenize(tokens) == raw.replace("`", "'").replace("\u2019", "'")


def test_empty_and_blank_text():
    assert tokenize("") == "" and tokenize("   ") == "" and detokenize("") == ""
