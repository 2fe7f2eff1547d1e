"""preprocess.gec_data's options: one dataclass, the command line's names and defaults, so
that a new flag cannot reach the parser without reaching the library (or the reverse)."""
import dataclasses

import pytest

from preprocess import gec_data
from preprocess.texttools.errors import InputError


def test_the_options_dataclass_is_the_command_line():
    parser = gec_data.build_parser()
    flags = {a.dest: a.default for a in parser._actions
             if a.dest not in ("help", "progress", "quiet")}
    fields = {f.name: f.default for f in dataclasses.fields(gec_data.GecDataOptions)}
    assert set(flags) == set(fields)
    assert {k: v for k, v in flags.items() if k != "out"} == {
        k: v for k, v in fields.items() if k != "out"}
    args = parser.parse_args(["--out", "x", "--quiet", "--noise-copies", "3"])
    opts = gec_data.GecDataOptions.from_args(args)
    assert opts.out == "x" and opts.noise_copies == 3 and opts.seed == 1


@pytest.mark.parametrize("change,message", [
    (dict(noise_copies=-1), "must not be negative"),
    (dict(join_sentences=0), "--join-sentences must be at least 1"),
    (dict(learner_copies=0), "--learner-copies must be at least 1"),
    (dict(jfleg_dev_patterns=-0.5), "--jfleg-dev-patterns must not be negative"),
    (dict(rates="nosuchrate=0.1"), "--rates:"),
])
def test_check_refuses_each_bad_option_in_one_line(tmp_path, change, message):
    opts = gec_data.GecDataOptions(out=str(tmp_path / "out"), **change)
    with pytest.raises(InputError, match=message):
        opts.check()


def test_check_refuses_to_overwrite_prepared_data(tmp_path):
    (tmp_path / "prepare.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="use --force"):
        gec_data.GecDataOptions(out=str(tmp_path)).check()
    assert isinstance(gec_data.GecDataOptions(out=str(tmp_path), force=True).check(), dict)
