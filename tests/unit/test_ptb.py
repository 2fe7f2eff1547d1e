"""preprocess.ptb: Penn-Treebank tokenisation as JFLEG writes it, and back for display."""
from preprocess.ptb import detokenize, tokenize


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
