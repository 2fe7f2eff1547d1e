"""Grammatical error correction: corpus building, GLEU on JFLEG, the ``gec`` task, the shell.

Everything runs the real tools on real data (``../shared/data``): ``preprocess.gec_data``
builds one small corpus (Anki + Multi30k slices, JFLEG as valid/test), one tiny
transformer is trained on it with ``fairseq-train --task gec --eval-gleu`` (module-scoped
fixtures, about a minute on one CPU thread), and that checkpoint serves the
``fairseq-interactive`` tests.  Nothing is mocked.  The noise, M2, PTB, pattern and
recasing tests on hand-written sentences are unit tests (``tests/unit``).
"""
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from support import (M2_TEXT, PLUGIN_DIR, REPO, assert_one_line_error, cli, hydra_train_cmd,
                      run, write)

from preprocess.texttools import gleu
from preprocess.texttools.files import read_text
from preprocess.texttools.ptb import detokenize, tokenize

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run_bytes(cmd, data: bytes, timeout=300):
    """Like support.run but feeding raw bytes (for invalid UTF-8) and returning text."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([str(c) for c in cmd], input=data, env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, out[-3000:] + proc.stderr.decode("utf-8", "replace")[-3000:]
    return out


# ----------------------------------------------------------------------------- M2


# ----------------------------------------------------------------------------- GLEU

def jfleg(data_dir, split):
    d = data_dir / "jfleg"
    read = read_text
    return (read(d / f"{split}.src"), read(d / f"{split}.spellchecked.src"),
            [read(d / f"{split}.ref{i}") for i in range(4)])


def test_gleu_reproduces_official_jfleg_test_baselines(data_dir):
    src, spell, refs = jfleg(data_dir, "test")
    assert abs(gleu.corpus_gleu(src, refs, src) - 40.5) <= 0.05
    assert abs(gleu.corpus_gleu(src, refs, spell) - 43.4) <= 0.05


def test_gleu_statistics_match_the_package_and_add_up(data_dir):
    """Our bookkeeping = the gleu package's own corpus routine; batch sums = corpus."""
    from gleu import aggreg, corpus_main, count

    src, spell, refs = jfleg(data_dir, "dev")
    n, iters = 120, 20
    src, spell, refs = src[:n], spell[:n], [r[:n] for r in refs]
    rindex = gleu.ref_indices(n, 4, iters)
    rs = list(zip(*refs))
    ours = gleu.corpus_gleu(src, refs, spell, iterations=iters)
    drn = aggreg.make_drn_accum(4, src, rs, spell)
    dr_rlen = count.make_dx_xlen(rs)
    d_hlen = np.array([len(h.split()) for h in spell])
    theirs = 100 * np.mean([corpus_main.drn_accum_to_gleu(drn, rindex[i], dr_rlen, d_hlen)
                            for i in range(iters)])
    assert ours == pytest.approx(theirs, abs=1e-9)
    rows = [gleu.sentence_stats(s, r, h) for s, r, h in zip(src, rs, spell)]
    order = np.random.RandomState(0).permutation(n)
    parts = [gleu.iteration_stats(order[i:i + 17], [rows[j] for j in order[i:i + 17]],
                                         rindex) for i in range(0, n, 17)]
    assert gleu.gleu_from_iteration_stats(sum(parts)) == pytest.approx(ours, abs=1e-9)


def evaluate(*args, check=True):
    return run([sys.executable, REPO / "scripts" / "evaluate_gec.py", *args], check=check)


def test_evaluate_gec_output_format(data_dir, tmp_path):
    jdir = data_dir / "jfleg"
    proc = evaluate("--jfleg-dir", jdir, "--split", "test", "--hyp", jdir / "test.src")
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3, proc.stdout
    assert re.fullmatch(r"GLEU \d+\.\d\d", lines[0])
    assert re.fullmatch(r"baseline source-copied GLEU 40\.\d\d", lines[1])
    assert re.fullmatch(r"baseline spellchecked-source GLEU 43\.\d\d", lines[2])
    assert lines[0].split()[-1] == lines[1].split()[-1]
    # fairseq output (D-lines in any order, an E-line for a skipped input) is understood
    src = read_text(jdir / "test.src")
    fs = [f"D-{i}\t-0.5\t{s}" for i, s in reversed(list(enumerate(src)))]
    fs[3] = "E-{}\tempty line; skipped".format(len(src) - 4)
    hyp = write(tmp_path / "gen.out", "S-0\tx\n" + "\n".join(fs) + "\n")
    out = evaluate("--jfleg-dir", jdir, "--split", "test", "--hyp", hyp).stdout
    assert float(out.split()[1]) < float(lines[0].split()[1])
    short = write(tmp_path / "short.txt", "one line\n")
    assert_one_line_error(evaluate("--jfleg-dir", jdir, "--split", "test", "--hyp", short,
                                   check=False), "has 1 lines")
    assert_one_line_error(evaluate("--jfleg-dir", tmp_path / "nope", "--split", "dev", "--hyp",
                                   short, check=False), "not a folder")


def test_evaluate_gec_edit_stats(data_dir, tmp_path):
    jdir, sub = data_dir / "jfleg", tmp_path / "jfleg"
    sub.mkdir()   # the first 40 dev sentences: a quick GLEU
    head = {name: read_text(jdir / name)[:40]
            for name in ("dev.src", "dev.spellchecked.src", *(f"dev.ref{i}" for i in range(4)))}
    for name, lines in head.items():
        write(sub / name, "\n".join(lines) + "\n")
    given, ref0 = head["dev.spellchecked.src"], head["dev.ref0"]

    def stats(hyp_lines):
        hyp = write(tmp_path / "hyp.txt", "\n".join(hyp_lines) + "\n")
        out = evaluate("--jfleg-dir", sub, "--split", "dev", "--hyp", hyp, "--iterations", "5",
                       "--edit-stats").stdout.strip().splitlines()
        assert len(out) == 4, out
        words = out[3].split()
        assert words[0::2] == ["edits", "in-a-reference", "spanning-4+-words",
                               "sentences-changed"], out[3]
        return [int(w) for w in words[1::2]]

    assert stats(given) == [0, 0, 0, 0]
    # a reference's own edits are all found in a reference
    n, found, _, changed = stats(ref0)
    assert n > 0 and found == n and changed == sum(g.split() != r.split()
                                                   for g, r in zip(given, ref0))
    # deleting the first five words of one sentence: one edit, spanning 5, in no reference
    cut = list(given)
    long_one = next(i for i, g in enumerate(given) if len(g.split()) > 8)
    cut[long_one] = " ".join(given[long_one].split()[5:])
    assert stats(cut) == [1, 0, 1, 1]
    # --input: what the model read instead of the split's input file (the recipe's recased
    # test input): one more baseline line, and the edits are counted against it
    lowered = write(tmp_path / "lowered.txt", "\n".join(g.lower() for g in given) + "\n")
    hyp = write(tmp_path / "given.txt", "\n".join(given) + "\n")
    out = evaluate("--jfleg-dir", sub, "--split", "dev", "--hyp", hyp, "--iterations", "5",
                   "--input", lowered, "--edit-stats").stdout.strip().splitlines()
    assert len(out) == 5 and re.fullmatch(r"baseline model-input GLEU \d+\.\d\d", out[3]), out
    assert float(out[3].split()[-1]) < float(out[0].split()[-1])   # capitals count in GLEU
    assert int(out[4].split()[1]) > 0     # the capitals are edits of the lowercased input
    assert_one_line_error(evaluate("--jfleg-dir", sub, "--split", "dev", "--hyp", hyp,
                                   "--input", write(tmp_path / "one.txt", "a\n"), check=False),
                          "--input", "has 1 lines")
    # with --gec-data the split's own input (raw/valid.err) keeps a line named by its file
    raw = tmp_path / "gecdata" / "raw"
    raw.mkdir(parents=True)
    for name, lines in (("gleu-source", head["dev.src"]), ("err", given),
                        *((f"ref{i}", head[f"dev.ref{i}"]) for i in range(4))):
        write(raw / f"valid.{name}", "\n".join(lines) + "\n")
    out = evaluate("--gec-data", raw.parent, "--split", "valid", "--hyp", hyp, "--iterations",
                   "5", "--input", lowered).stdout.strip().splitlines()
    assert [line.split()[1] for line in out[1:]] == ["source-copied", "valid.err",
                                                     "model-input"], out


def test_evaluate_gec_reader_closing_the_pipe_is_not_a_traceback(data_dir):
    # `evaluate_gec.py ... | head -1`: the reader is gone before the baselines are printed
    jdir = data_dir / "jfleg"
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "evaluate_gec.py"),
                             "--jfleg-dir", str(jdir), "--split", "dev", "--hyp",
                             str(jdir / "dev.src"), "--iterations", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 1, err
    assert err == "", err


# ----------------------------------------------------------------------------- corpus

RARE_NAMES = ["Wojciech", "Kowalczyk", "Bartholomew", "Tarragona", "Przemek", "Szymborska"]
COPY_LINES = ["I saw Wojciech.", "Kowalczyk was late.", "Tom met Bartholomew.",
              "Marguerite lives in Tarragona.", "Where is Przemek?",
              "The dog of Szymborska is black."]


def name_sentences(n, seed):
    """Template sentences with random letter-string names: clean text on which the model
    must learn to copy what it cannot predict (a cheap stand-in for a large corpus)."""
    import random

    rng = random.Random(seed)
    vowels, consonants = "aeiouy", "bcdfghjklmnpqrstvwxz"

    def name():
        out, vowel = "", rng.random() < 0.3
        for _ in range(rng.randint(3, 10)):
            out += rng.choice(vowels if vowel else consonants)
            vowel = not vowel if rng.random() < 0.75 else vowel
        return out.capitalize()

    templates = ["{} is here .", "I saw {} yesterday .", "{} lives in {} .", "Where is {} ?",
                 "My friend {} is very tall .", "We met {} and {} at the station .",
                 "{} was late .", "Did you call {} ?", "The dog of {} is black .",
                 "{} has a new car .", "Tom met {} .", "They went to {} by train .",
                 "{} and {} are friends ."]
    lines = []
    for _ in range(n):
        t = rng.choice(templates)
        lines.append(t.format(*[name() for _ in range(t.count("{}"))]))
    return "\n".join(lines) + "\n"


def gec_data(*args, check=True):
    return run([sys.executable, "-m", "preprocess.gec_data", *args], cwd=REPO, check=check)


@pytest.fixture(scope="module")
def corpus(data_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gec")
    m2 = write(tmp / "small.m2", M2_TEXT)
    src = write(tmp / "user.err", "She have two cat .\nWe was happy .\n")
    tgt = write(tmp / "user.cor", "She has two cats .\nWe were happy .\n")
    names = [write(tmp / f"names{i}.txt", name_sentences(3000, seed=i)) for i in (1, 2)]
    out = tmp / "data"
    gec_data("--out", out, "--clean-text", *names,
             "--anki-file", data_dir / "anki-fra-eng" / "fra-eng.tsv.gz",
             "--multi30k-dir", data_dir / "multi30k", "--max-sentences", "3000",
             "--m2", m2, "--pairs", src, tgt, "--jfleg-dir", data_dir / "jfleg",
             "--vocab-size", "400", "--noise-scale", "0.5", "--seed", "1")
    return out


def test_gec_data_builds_a_prepared_corpus(corpus, data_dir):
    gec = json.loads((corpus / "gec_data.json").read_text())
    prep = json.loads((corpus / "prepare.json").read_text())
    assert (gec["src_lang"], gec["tgt_lang"]) == ("err", "cor") == (prep["src_lang"],
                                                                    prep["tgt_lang"])
    assert prep["joint"] and prep["joined_dictionary"] and prep["tokenizer"] == "sentencepiece"
    assert prep["options"]["character_coverage"] == 1.0
    assert (corpus / "spm" / "joint.model").is_file()
    bin_dir = corpus / "bin"
    assert (bin_dir / "dict.err.txt").read_text() == (bin_dir / "dict.cor.txt").read_text()
    for split in ("train", "valid", "test"):
        for lang in ("err", "cor"):
            assert (corpus / "bin" / f"{split}.err-cor.{lang}.bin").is_file()
    kinds = {c["kind"]: c for c in gec["sources"].values()}
    assert kinds["m2"]["pairs"] == 4 and kinds["pairs"]["pairs"] == 2
    clean = [c for c in gec["sources"].values() if c["kind"] == "clean"]
    assert len(clean) == 4 and all(0 < c["changed"] < c["pairs"] for c in clean)
    assert all(2900 < c["pairs"] <= 3000 for c in clean)   # --max-sentences, after dedup
    err = (corpus / "text" / "train.err").read_text().splitlines()
    cor = (corpus / "text" / "train.cor").read_text().splitlines()
    assert len(err) == len(cor) == gec["train_pairs"] == prep["counts"]["train"]["read"]
    assert ("This are a sentence .", "This is a good sentence .") in zip(err, cor)
    assert ("She have two cat .", "She has two cats .") in zip(err, cor)
    # clean text is PTB-tokenised like JFLEG
    assert any(" n't " in line for line in cor)
    assert all(not line.endswith("bushes.") for line in cor)
    # JFLEG dev = valid, with its four references beside the raw text
    jdev = data_dir / "jfleg" / "dev.ref2"
    assert gec["references"]["valid"] == [f"raw/valid.ref{i}" for i in range(4)]
    ref2 = (corpus / "raw" / "valid.ref2").read_text().splitlines()
    assert len(ref2) == prep["counts"]["valid"]["kept"] == 754
    assert ref2[:5] == [" ".join(line.split()) for line in jdev.read_text().splitlines()[:5]]
    for name in RARE_NAMES:   # the copy test below relies on this
        assert name not in (corpus / "text" / "train.cor").read_text()


def test_gec_data_spellchecked_input_and_held_out_dev(tmp_path, data_dir):
    """The model may read JFLEG's spellchecked text; GLEU still gets the learner's sentence,
    and a held-out part of dev never reaches training."""
    out = tmp_path / "d"
    clean = write(tmp_path / "names.txt", name_sentences(500, seed=3))
    report = gec_data("--out", out, "--clean-text", clean, "--jfleg-dir", data_dir / "jfleg",
                      "--jfleg-source", "spellchecked", "--jfleg-dev-copies", "1",
                      "--jfleg-dev-noise-copies", "2", "--jfleg-dev-holdout", "50",
                      "--vocab-size", "300", "--seed", "2").stdout
    src, spell, refs = jfleg(data_dir, "dev")
    norm = [" ".join(line.split()) for line in spell]
    sources = json.loads((out / "gec_data.json").read_text())["sources"]
    idx = sources["jfleg-dev-holdout"]["indices"]
    assert len(idx) == 50 == len(set(idx)) and idx == sorted(idx)
    def read(name):
        return (out / "raw" / name).read_text().splitlines()

    assert read("valid.err") == [norm[i] for i in idx]
    assert read("valid.gleu-source") == [" ".join(src[i].split()) for i in idx]
    assert read("valid.ref3") == [" ".join(refs[3][i].split()) for i in idx]
    assert read("test.err")[:3] == [" ".join(line.split())
                                    for line in jfleg(data_dir, "test")[1][:3]]
    assert read("test.gleu-source")[:3] == [" ".join(line.split())
                                            for line in jfleg(data_dir, "test")[0][:3]]
    pairs = set(zip((out / "text" / "train.err").read_text().splitlines(),
                    (out / "text" / "train.cor").read_text().splitlines()))
    trained_on = [i for i in range(len(norm)) if (norm[i], " ".join(refs[0][i].split())) in pairs]
    assert len(trained_on) == len(norm) - 50 and not set(trained_on) & set(idx)
    # noised references: only those of training rows, each distinct one twice, mostly changed
    def tok(line):
        return " ".join(line.split())

    train_refs = {tok(r[i]) for r in refs for i in set(range(len(norm))) - set(idx)}
    held_refs = {tok(r[i]) for r in refs for i in idx} - train_refs
    noised = sources["jfleg-dev-noised"]
    assert noised["sentences"] == len(train_refs) and noised["pairs"] == 2 * len(train_refs)
    assert noised["pairs"] // 2 < noised["changed"] < noised["pairs"]
    # the report says what each JFLEG part is made of, and the counts add up
    n_train = len(norm) - 50
    assert (f"  jfleg-dev: {4 * n_train} pairs ({n_train} sentences x 4 references x 1 copies, "
            "spellchecked source)\n") in report
    assert (f"  jfleg-dev-noised: {noised['pairs']} pairs, {noised['changed']} with errors "
            f"(2 noised copies of {len(train_refs)} distinct references)\n") in report
    cor = (out / "text" / "train.cor").read_text().splitlines()
    assert not held_refs & set(cor)
    err = (out / "text" / "train.err").read_text().splitlines()
    tail = list(zip(err, cor))[-noised["pairs"]:]
    assert {t for _, t in tail} == train_refs and sum(e != t for e, t in tail) == noised["changed"]
    # the held-out part scores with evaluate_gec.py --gec-data, beside both baselines
    lines = evaluate("--gec-data", out, "--split", "valid", "--hyp", out / "raw" / "valid.err",
                     "--iterations", "50").stdout.splitlines()
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "GLEU", "baseline source-copied GLEU", "baseline model-input GLEU"], lines
    assert lines[0].split()[-1] == lines[2].split()[-1] != lines[1].split()[-1]
    assert_one_line_error(evaluate("--gec-data", out, "--split", "dev", "--hyp",
                                   out / "raw" / "valid.err", check=False), "valid, test")
    assert_one_line_error(gec_data("--out", tmp_path / "e", "--clean-text", clean,
                                   "--jfleg-dir", data_dir / "jfleg", "--jfleg-dev-holdout",
                                   "754", check=False), "--jfleg-dev-holdout")


# ----------------------------------------------------------------------------- patterns

def test_patterns_learnt_from_jfleg_dev(data_dir):
    """Real JFLEG dev edits: commas and articles lead, rates are probabilities, and
    noising clean captions with them is seeded and changes some lines, not all."""
    from preprocess.gec_data import hold_out, jfleg_patterns, read_jfleg
    from preprocess.gec_sources import multi30k_english
    from preprocess.lines import read_lines
    dev = read_jfleg(data_dir / "jfleg", "spellchecked")["dev"]
    _, train_rows, _ = hold_out(dev, 200, seed=1)
    noiser, info = jfleg_patterns(train_rows, 1.0, seed=1)
    assert info["sentences"] == len(dev) - 200 and info["spans"] > 1000
    assert all(0 < p <= 1 for p, _ in noiser.table.values())
    assert noiser.table[(",",)][1][0] == ((), max(c for _, c in noiser.table[(",",)][1]))
    assert noiser.table[("the",)][1][0][0] == ()   # "the" is most often left out
    clean = [tokenize(line.decode("utf-8"))
             for line in read_lines(multi30k_english(data_dir / "multi30k"))[:2000]]
    noisy = [noiser.noise(s) for s in clean]
    again = jfleg_patterns(train_rows, 1.0, seed=1)[0]
    assert noisy == [again.noise(s) for s in clean]
    changed = sum(n != c for n, c in zip(noisy, clean))
    assert 0.1 * len(clean) < changed < 0.9 * len(clean), changed


def test_jfleg_spellchecked_cased_input(data_dir):
    """JFLEG's test.spellchecked.src is all lowercase, dev's keeps the learner's case;
    ``spellchecked-cased`` puts the learner's case back and changes nothing else.  Where
    the truth is known (dev, lowercased here), it gives back JFLEG's own file."""
    from preprocess.gec_data import read_jfleg
    from preprocess.recase import restore_case
    plain = read_jfleg(data_dir / "jfleg", "spellchecked")
    cased = read_jfleg(data_dir / "jfleg", "spellchecked-cased")
    def has_capital(rows):
        return sum(r[0] != r[0].lower() for r in rows)

    assert has_capital(plain["test"]) == 0 and has_capital(plain["dev"]) > 600   # the reason
    assert has_capital(cased["test"]) > 600
    for split in ("dev", "test"):
        assert [r[0].lower() for r in cased[split]] == [r[0].lower() for r in plain[split]]
        assert [r[1:] for r in cased[split]] == [r[1:] for r in plain[split]]
    assert cased["dev"] == plain["dev"]
    dev = plain["dev"]
    same = sum(restore_case(r[0].lower(), r[-1]) == r[0] for r in dev)
    assert same >= 0.98 * len(dev), same   # 742 of 754; the rest: the spellchecker's own case


def test_gec_data_jfleg_dev_patterns_add_errors(tmp_path, data_dir):
    from preprocess.lines import read_lines
    lines = read_lines(data_dir / "multi30k" / "train.en.gz")[:1500]
    clean = write(tmp_path / "c.txt",
                  "".join(tokenize(line.decode("utf-8")) + "\n" for line in lines))
    changed = {}
    for scale in ("0", "1"):
        out = tmp_path / f"p{scale}"
        report = gec_data("--out", out, "--clean-text", clean, "--jfleg-dir", data_dir / "jfleg",
                          "--jfleg-source", "spellchecked", "--jfleg-dev-holdout", "200",
                          "--jfleg-dev-patterns", scale, "--vocab-size", "300").stdout
        gec = json.loads((out / "gec_data.json").read_text())
        changed[scale] = next(c["changed"] for c in gec["sources"].values() if c["kind"] == "clean")
        assert gec["jfleg_dev_patterns"] == float(scale)
    assert "jfleg-dev-patterns: " in report and "learnt from 554 JFLEG dev sentences" in report
    patterns = gec["sources"]["jfleg-dev-patterns"]
    assert patterns["sentences"] == 554 and patterns["spans"] > 1000
    assert changed["1"] > changed["0"] + 100, changed


def test_gec_data_bad_input(tmp_path, data_dir):
    out = tmp_path / "o"
    assert_one_line_error(gec_data("--out", out, "--clean-text", tmp_path / "missing.txt",
                                   check=False), "missing.txt", "not found")
    bad = write(tmp_path / "bad.m2", "S a b .\nA 0 x|||X|||y|||R|||-NONE-|||0\n")
    assert_one_line_error(gec_data("--out", out, "--m2", bad, check=False), "bad.m2:2")
    clean = write(tmp_path / "c.txt", "A dog runs .\n")
    assert_one_line_error(gec_data("--out", out, "--clean-text", clean, "--rates", "nope=1",
                                   check=False), "unknown error type")
    assert_one_line_error(gec_data("--out", out, check=False), "no training pairs")
    assert_one_line_error(gec_data("--out", out, "--clean-text", clean, "--join-sentences",
                                   "0", check=False), "--join-sentences")
    assert_one_line_error(gec_data("--out", out, "--clean-text", clean, "--jfleg-dir",
                                   tmp_path / "nojfleg", check=False), "--jfleg-dir")
    assert_one_line_error(gec_data("--out", out, "--clean-text", clean, "--jfleg-dev-patterns",
                                   "1", check=False), "--jfleg-dev-patterns needs --jfleg-dir")
    assert_one_line_error(gec_data("--out", out, "--clean-text", clean, "--jfleg-dir",
                                   data_dir / "jfleg", "--jfleg-dev-patterns", "-1",
                                   check=False), "--jfleg-dev-patterns must not be negative")
    assert not (out / "bin").exists()


def test_join_sentences_keeps_every_sentence_in_order(data_dir):
    from preprocess.gec_data import join_sentences
    from preprocess.gec_sources import multi30k_english
    from preprocess.lines import read_lines
    lines = [line.decode("utf-8").strip()
             for line in read_lines(multi30k_english(data_dir / "multi30k"))[:500]]
    joined = join_sentences(lines, 3, seed=1)
    i, sizes = 0, []
    for line in joined:                        # each line = the next 1..3 sentences, in order
        k = next(k for k in (1, 2, 3) if line == " ".join(lines[i:i + k]))
        sizes.append(k)
        i += k
    assert i == len(lines) and set(sizes) == {1, 2, 3}
    assert join_sentences(lines, 3, seed=1) == joined != join_sentences(lines, 3, seed=2)
    assert join_sentences(lines, 1, seed=1) == lines


# ----------------------------------------------------------------------------- training

TINY_TRANSFORMER = [
    "--arch", "transformer", "--encoder-layers", "1", "--decoder-layers", "2",
    "--encoder-embed-dim", "128", "--decoder-embed-dim", "128",
    "--encoder-ffn-embed-dim", "256", "--decoder-ffn-embed-dim", "256",
    "--encoder-attention-heads", "4", "--decoder-attention-heads", "4",
    "--share-all-embeddings", "--dropout", "0",
]


@pytest.fixture(scope="module")
def trained(corpus):
    """600 updates of a tiny transformer (about 1.5 minutes): GLEU validated at 200, 400, 600."""
    save = corpus / "ckpt"
    proc = run([
        cli("fairseq-train"), corpus / "bin", "--user-dir", PLUGIN_DIR, "--task", "gec",
        "--eval-gleu", "--eval-gleu-args", '{"beam": 1, "max_len_a": 1.2, "max_len_b": 10}',
        "--best-checkpoint-metric", "gleu", "--maximize-best-checkpoint-metric",
        *TINY_TRANSFORMER,
        "--optimizer", "adam", "--lr", "0.005", "--lr-scheduler", "inverse_sqrt",
        "--warmup-updates", "100", "--clip-norm", "1", "--max-tokens", "2000",
        "--max-update", "600",
        "--validate-interval", "1000", "--validate-interval-updates", "200",
        "--save-interval", "1000", "--save-interval-updates", "200", "--keep-interval-updates", "1",
        "--no-epoch-checkpoints", "--batch-size-valid", "32", "--max-valid-steps", "2",
        "--save-dir", save, "--cpu", "--num-workers", "0", "--seed", "1",
        "--log-format", "simple", "--log-interval", "100",
    ])
    return save, proc.stdout + proc.stderr


def test_train_logs_gleu_and_keeps_the_best_checkpoint(trained):
    import torch

    save, log = trained
    gleus = [float(g) for g in re.findall(r"\| valid on 'valid' subset .*?\| gleu ([\d.]+)", log)]
    assert len(gleus) == 3, log[-3000:]
    assert "gec: GLEU on valid with 4 reference(s)" in log
    assert re.search(r"source \S*raw/valid\.gleu-source", log)   # the learner's sentences
    assert gleus[-1] > 5          # a real score, not a constant
    assert (save / "checkpoint_best.pt").is_file()
    best = torch.load(save / "checkpoint_best.pt", map_location="cpu", weights_only=False)
    assert best["extra_state"]["val_loss"] == pytest.approx(max(gleus), abs=0.01)
    assert re.search(r"best_gleu ([\d.]+)", log)


def test_validation_on_two_ranks_gives_the_single_process_gleu(trained, corpus):
    """fairseq-validate --task gec on JFLEG dev: two CPU ranks, each decoding its shard of
    the batches and summing GLEU statistics across ranks, report the GLEU of one process
    on the same checkpoint. 754 sentences in batches of 58 make 13 batches, so one rank
    also meets the empty batch fairseq pads its shard with (compat.sharded_validation)."""
    save, _ = trained
    cmd = [cli("fairseq-validate"), corpus / "bin", "--user-dir", PLUGIN_DIR, "--task", "gec",
           "--path", save / "checkpoint_best.pt", "--valid-subset", "valid", "--cpu",
           "--batch-size", "58", "--required-batch-size-multiple", "1"]
    with ThreadPoolExecutor(2) as pool:
        one, two = pool.map(run, [cmd, [*cmd, "--distributed-world-size", "2"]])
    pattern = r"valid on 'valid' subset .*\| gleu ([\d.]+) .*\| bsz (\d+)"
    single = re.findall(pattern, one.stdout + one.stderr)
    ranks = re.findall(pattern, two.stdout + two.stderr)
    assert len(single) == 1 and single[0][1] == "754", one.stderr[-3000:]
    assert float(single[0][0]) > 5
    assert ranks and set(ranks) == set(single), two.stderr[-3000:]


def test_hydra_train_with_shipped_gec_config(corpus, tmp_path):
    """fairseq_plugins/config/gec_rnn.yaml (the recipe's config) composes and trains as written:
    rnn_gec, the gec task validating GLEU, the short-to-long first epoch."""
    import torch

    save = tmp_path / "hydra-gec"
    proc = run(hydra_train_cmd("gec_rnn", corpus / "bin", save,
                               "optimization.max_update=6", "dataset.validate_interval_updates=6",
                               "dataset.max_valid_steps=1", "checkpoint.save_interval_updates=6",
                               "lr_scheduler.warmup_updates=2"), cwd=tmp_path)
    log = proc.stdout + proc.stderr
    assert re.search(r"valid on 'valid' subset .*\| gleu [\d.]+ .*\| num_updates 6", log), \
        log[-3000:]
    cfg = torch.load(save / "checkpoint_best.pt", weights_only=False)["cfg"]
    assert cfg["model"]["_name"] == "rnn_gec" and cfg["model"]["share_all_embeddings"] == 1
    assert cfg["dataset"]["curriculum"] == 1 and cfg["task"]["eval_gleu"]
    assert cfg["checkpoint"]["best_checkpoint_metric"] == "gleu"


def test_edit_weighted_criterion_weights_only_the_edits_in_training(corpus):
    """On a real batch of the GEC corpus: with --edit-weight 3 the training loss is the
    plain label-smoothed loss plus 2x the loss of the edited target tokens; in eval mode
    it is the plain loss."""
    import torch
    from fairseq import options, tasks
    from fairseq.criterions.label_smoothed_cross_entropy import label_smoothed_nll_loss
    from fairseq.dataclass.utils import convert_namespace_to_omegaconf
    from fairseq_plugins.criterions.edit_weighted import edit_mask

    def setup(weight):
        parser = options.get_training_parser()
        args = options.parse_args_and_arch(parser, [
            str(corpus / "bin"), "--user-dir", str(PLUGIN_DIR), "--task", "gec",
            "--arch", "rnn_gec", "--encoder-embed-dim", "16", "--encoder-hidden-size", "16",
            "--decoder-hidden-size", "16", "--encoder-layers", "1", "--decoder-layers", "1",
            "--freeze-embeddings", "0", "--dropout", "0", "--label-smoothing", "0.1",
            "--criterion", "edit_weighted_cross_entropy", "--edit-weight", str(weight)])
        cfg = convert_namespace_to_omegaconf(args)
        task = tasks.setup_task(cfg.task)
        return cfg, task, task.build_criterion(cfg.criterion)

    cfg, task, weighted = setup(3)
    plain = setup(1)[2]
    task.load_dataset("train")
    torch.manual_seed(1)
    model = task.build_model(cfg.model)
    batches = task.get_batch_iterator(task.dataset("train"), max_tokens=600, seed=1)
    sample = next(batches.next_epoch_itr(shuffle=False))
    edits = edit_mask(sample["net_input"]["src_tokens"], sample["target"],
                      task.target_dictionary.pad(), task.target_dictionary.eos())
    assert 0 < edits.sum() < 0.5 * sample["ntokens"]
    model.train()
    out = model(**sample["net_input"])
    lprobs, target = plain.get_lprobs_and_target(model, out, sample)
    tokens, _ = label_smoothed_nll_loss(lprobs, target, 0.1, ignore_index=plain.padding_idx,
                                        reduce=False)
    loss3 = weighted.compute_loss(model, out, sample)[0]
    loss1 = plain.compute_loss(model, out, sample)[0]
    assert loss3.item() == pytest.approx(loss1.item() + 2 * tokens.view(-1)[edits.view(-1)].sum()
                                         .item(), rel=1e-5)
    model.eval()
    out = model(**sample["net_input"])
    assert weighted.compute_loss(model, out, sample)[0].item() == pytest.approx(
        plain.compute_loss(model, out, sample)[0].item(), rel=1e-6)


def interactive(corpus, save, *extra, task="gec"):
    return [cli("fairseq-interactive"), corpus / "bin", "--user-dir", PLUGIN_DIR,
            "--task", task, "--path", save / "checkpoint_best.pt",
            "--bpe", "sentencepiece", "--sentencepiece-model", corpus / "spm" / "joint.model",
            "--cpu", "--beam", "2", *extra]


def results(out, prefix):
    return {int(m.group(1)): m.group(2) for m in
            re.finditer(rf"^{prefix}-(\d+)\t(?:[-\d.e]+\t)?(.*)$", out, re.M)}


def test_interactive_reports_bad_lines_and_goes_on(trained, corpus):
    save, _ = trained
    data = (b"Tom is my friend.\n"
            b"\n"
            + b"word " * 80 + b"\n"
            + b"caf\xe9 \xff\xfe au lait\n"
            + b"It is a big house.\n")
    out = run_bytes(interactive(corpus, save, "--max-input-chars", "200"), data)
    errors, done = results(out, "E"), results(out, "D")
    assert sorted(errors) == [1, 2, 3] and sorted(done) == [0, 4], out[-3000:]
    assert errors[1] == "empty line; skipped"
    assert errors[2].startswith("line too long (399 characters, --max-input-chars 200)")
    assert errors[3].startswith("not valid UTF-8 (byte 0xe9")
    # D- lines = H- pieces, sentencepiece-decoded, then PTB tokens glued back together
    pieces = results(out, "H")
    for i in (0, 4):
        assert done[i] and done[i] == detokenize("".join(pieces[i].split()).replace("\u2581", " "))
        assert not done[i].endswith(" .")


def test_rare_names_are_copied(trained, corpus):
    """Full character coverage: unseen names are spelled out in pieces and copied."""
    save, _ = trained
    out = run_bytes(interactive(corpus, save), ("\n".join(COPY_LINES) + "\n").encode())
    src, done = results(out, "S"), results(out, "D")
    assert len(done) == len(COPY_LINES), out[-3000:]
    # every character is in the vocabulary: the names are spelled out in pieces, no <unk>
    assert "<unk>" not in " ".join(src.values()), src
    copied = [n for i, n in enumerate(RARE_NAMES) if n in re.findall(r"\w+", done[i])]
    # a 600-update model is not perfect (at 400 updates, 2 of the 6 came through); most
    # names must come through letter for letter
    assert len(copied) >= 3, done


def test_copy_bias_keeps_the_source_unless_the_model_clearly_prefers_a_change(trained, corpus):
    """--copy-bias B: the source wins unless best - copy > B (mean log-prob per token)."""
    save, _ = trained
    lines = ("She have two cat .\nWe was happy .\nTom is my friend.\nI saw Wojciech.\n"
             "he go to school yesterday\nIt is a big house.\nThe the dog barks .\n").encode()
    outs = {b: run_bytes(interactive(corpus, save, *(["--copy-bias", b] if b else [])), lines)
            for b in (None, "1000", "-1000", "0")}
    src = results(outs["1000"], "S")
    scores = {b: {int(m.group(1)): float(m.group(2)) for m in
                  re.finditer(r"^H-(\d+)\t([-\d.e]+)\t", o, re.M)} for b, o in outs.items()}
    hyp = {b: results(o, "H") for b, o in outs.items()}
    assert len(src) == 7 and hyp["1000"] == src, outs["1000"][-2000:]   # always the source
    assert hyp["-1000"] == hyp[None] and scores["-1000"] == scores[None]  # never
    # bias 0: per sentence, whichever of (beam best, source) has the higher mean log-prob
    # (interactive prints base-2 scores; both are per-token means with --lenpen 1)
    changed = 0
    for i in src:
        want = hyp[None][i] if scores[None][i] > scores["1000"][i] else src[i]
        assert hyp["0"][i] == want, (i, outs["0"][-2000:])
        changed += hyp[None][i] != src[i]
    assert changed, "the beam output equals the source everywhere: the test shows nothing"


# ----------------------------------------------------------------------------- LM fusion
@pytest.fixture(scope="module")
def fusion_lm(corpus):
    """A tiny fairseq transformer LM on the corpus's target side, in the target vocabulary."""
    lm = corpus / "lm"
    run([cli("fairseq-preprocess"), "--only-source", "--trainpref", corpus / "tok" / "train.cor",
         "--validpref", corpus / "tok" / "valid.cor", "--srcdict", corpus / "bin" / "dict.cor.txt",
         "--destdir", lm / "bin"])
    # the plugin also makes fairseq's language modelling run under NumPy 2 (np.compat)
    run([cli("fairseq-train"), lm / "bin", "--user-dir", PLUGIN_DIR, "--task", "language_modeling",
         "--arch", "transformer_lm", "--decoder-layers", "1", "--decoder-embed-dim", "32",
         "--decoder-ffn-embed-dim", "64", "--decoder-attention-heads", "2",
         "--share-decoder-input-output-embed", "--sample-break-mode", "eos",
         "--tokens-per-sample", "256", "--optimizer", "adam", "--lr", "0.005",
         "--max-tokens", "4000", "--max-update", "40", "--save-dir", lm / "ckpt",
         "--no-epoch-checkpoints", "--cpu", "--num-workers", "0", "--seed", "1"])
    return lm / "ckpt" / "checkpoint_last.pt"


@pytest.mark.parametrize("task", ["gec", "translation"])
def test_lm_fusion_adds_the_weighted_lm_log_probability_at_every_step(trained, corpus, fusion_lm,
                                                                       task):
    """--lm-path/--lm-weight in fairseq-interactive: each output token's score is the GEC
    model's log-probability plus weight x the LM's, recomputed here from both checkpoints.
    fairseq itself ignores both options in the shell; the plugin's fix works for every
    task, so fairseq's own translation task is checked too."""
    save, _ = trained
    weight = 0.7
    lines = b"She have two cat .\nWe was happy .\nTom is my friend.\nI saw Wojciech.\n"
    out = run_bytes(interactive(corpus, save, "--beam", "1", "--lm-path", fusion_lm,
                                "--lm-weight", str(weight), task=task), lines)
    assert_scores_are_fused(out, save / "checkpoint_best.pt", corpus / "bin", fusion_lm, weight,
                            [0, 1, 2, 3])


def assert_scores_are_fused(out, checkpoint, data_bin, lm_path, weight, ids):
    """Every P- score of the sentences ``ids`` in fairseq output ``out`` equals the GEC
    model's log-probability plus weight x the LM's, recomputed from both checkpoints."""
    import math

    import torch
    from fairseq import checkpoint_utils

    from fairseq_plugins import lm_fusion

    src, hyp = results(out, "S"), results(out, "H")
    printed = {int(m.group(1)): [float(x) for x in m.group(2).split()]
               for m in re.finditer(r"^P-(\d+)\t(.*)$", out, re.M)}
    assert set(ids) <= set(printed), out[-3000:]

    models, _, task = checkpoint_utils.load_model_ensemble_and_task(
        [str(checkpoint)], arg_overrides={"data": str(data_bin)})
    gec = models[0].eval()
    lm = lm_fusion.load_language_model(str(lm_path), task.target_dictionary,
                                       torch.device("cpu"))
    lm_moved = 0.0
    for i in ids:
        source = task.source_dictionary.encode_line(src[i], add_if_not_exist=False).long()
        target = task.target_dictionary.encode_line(hyp[i], add_if_not_exist=False).long()
        prev = torch.cat([target.new([task.target_dictionary.eos()]), target[:-1]])[None]
        with torch.no_grad():
            g = gec.get_normalized_probs(gec(source[None], torch.tensor([len(source)]), prev),
                                         log_probs=True)[0]
            lp = lm.get_normalized_probs(lm(prev), log_probs=True)[0]
        steps = torch.arange(len(target))
        fused = (g[steps, target] + weight * lp[steps, target]) / math.log(2)
        assert fused.tolist() == pytest.approx(printed[i], abs=2e-3), (i, out[-2000:])
        lm_moved = max(lm_moved, float((weight * lp[steps, target]).abs().max()))
    assert lm_moved > 0.1   # the LM's share is far above the printed precision


def swapped_dictionary_lm(fusion_lm, folder):
    """The same LM, but the dict.txt beside it has two entries swapped: same size, other
    order (fusing it would pair unrelated words)."""
    import shutil

    moved = folder / "lm.pt"
    shutil.copy(fusion_lm, moved)
    symbols = (fusion_lm.parent.parent / "bin" / "dict.txt").read_text().splitlines()
    symbols[5], symbols[6] = symbols[6], symbols[5]
    (folder / "dict.txt").write_text("\n".join(symbols) + "\n")
    return moved


def test_lm_fusion_in_fairseq_generate(trained, corpus, fusion_lm, tmp_path):
    """fairseq-generate loads the LM its own way, on DATA/dict.txt: the fusion is the same,
    and an LM of another vocabulary order is refused there too (fairseq would fuse it)."""
    import shutil

    save, _ = trained
    data_bin = tmp_path / "bin"
    shutil.copytree(corpus / "bin", data_bin)
    shutil.copy(data_bin / "dict.cor.txt", data_bin / "dict.txt")   # where fairseq looks
    generate = [cli("fairseq-generate"), data_bin, "--user-dir", PLUGIN_DIR, "--task", "gec",
                "--path", save / "checkpoint_best.pt", "--gen-subset", "valid", "--beam", "1",
                "--batch-size", "16", "--cpu", "--lm-weight", "0.7"]
    out = run(generate + ["--lm-path", fusion_lm]).stdout
    assert_scores_are_fused(out, save / "checkpoint_best.pt", data_bin, fusion_lm, 0.7,
                            [0, 1, 2, 3])

    lm_dir = tmp_path / "lm"
    lm_dir.mkdir()
    proc = run(generate + ["--lm-path", swapped_dictionary_lm(fusion_lm, lm_dir)], check=False)
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert last.startswith("fairseq-generate: error: --lm-path") and "at entry 9" in last, last


def test_lm_fusion_refuses_a_model_it_cannot_fuse(trained, corpus, fusion_lm, tmp_path):
    import torch

    save, _ = trained
    moved = swapped_dictionary_lm(fusion_lm, tmp_path)
    # right dictionary, weights of another size (as an LM trained with
    # --output-dictionary-size would have): one line, not load_state_dict's traceback
    cut = tmp_path / "cut"
    cut.mkdir()
    state = torch.load(fusion_lm, map_location="cpu", weights_only=False)
    key = "decoder.embed_tokens.weight"
    state["model"][key] = state["model"][key][:-8].clone()
    torch.save(state, cut / "lm.pt")
    (cut / "dict.txt").write_text((fusion_lm.parent.parent / "bin" / "dict.txt").read_text())
    cases = [(moved, "differs from the target dictionary", "at entry 9"),
             (cut / "lm.pt", "weights do not fit", "size mismatch"),
             (save / "checkpoint_best.pt", "not a language model", "'gec'"),
             (tmp_path / "none.pt", "no such file")]
    for path, *fragments in cases:
        proc = run(interactive(corpus, save, "--lm-path", path, "--lm-weight", "0.5"),
                   input="She have two cat .\n", check=False)
        last = proc.stderr.strip().splitlines()[-1]
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert last.startswith("fairseq-interactive: error: --lm-path"), last
        for f in fragments:
            assert f in last, last
